/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The warning policy: limits, failure counts, forecasts, repetition. */

#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_verdict.h"
#include "ipcguard/ipcg_warn.h"

int ipcg_warn_due(const ipcg_warn_memory_t *m, const char *resource,
                  apr_time_t now, apr_time_t interval)
{
    apr_time_t *last = apr_hash_get(m->said, resource, APR_HASH_KEY_STRING);

    if (last && now - *last < interval) {
        return 0;
    }
    if (last == NULL) {
        last = apr_palloc(m->pool, sizeof(*last));
        apr_hash_set(m->said, apr_pstrdup(m->pool, resource),
                     APR_HASH_KEY_STRING, last);
    }
    *last = now;
    return 1;
}

void ipcg_warn_clear(const ipcg_warn_memory_t *m, const char *resource)
{
    apr_time_t *last = apr_hash_get(m->said, resource, APR_HASH_KEY_STRING);

    if (last) {
        *last = 0;
    }
}

static void add(apr_array_header_t *out, ipcg_warn_what_e what, int tag,
                const char *resource, const char *msg)
{
    ipcg_warning_t *w = apr_array_push(out);

    w->what = what;
    w->tag = tag;
    w->resource = resource;
    w->msg = msg;
}

/* The modules holding most objects of @a kind in @a reg. */
static const char *top_modules(apr_pool_t *p, const apr_array_header_t *reg,
                               int kind)
{
    apr_hash_t *h = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *out = "";
    int i, shown;

    for (i = 0; i < reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(reg, i, ipcg_obj_t);
        int *n;
        if (kind >= 0 && (int)o->kind != kind) {
            continue;
        }
        n = apr_hash_get(h, o->module, APR_HASH_KEY_STRING);
        if (n == NULL) {
            n = apr_pcalloc(p, sizeof(*n));
            apr_hash_set(h, o->module, APR_HASH_KEY_STRING, n);
        }
        (*n)++;
    }
    for (shown = 0; shown < 3; shown++) {
        const char *best = NULL;
        int bestn = 0;
        for (hi = apr_hash_first(p, h); hi; hi = apr_hash_next(hi)) {
            const void *k;
            void *val;
            apr_hash_this(hi, &k, NULL, &val);
            if (*(int *)val > bestn) {
                best = k;
                bestn = *(int *)val;
            }
        }
        if (best == NULL) {
            break;
        }
        out = apr_psprintf(p, "%s%s%s (%d)", out, shown ? ", " : "", best,
                           bestn);
        apr_hash_set(h, best, APR_HASH_KEY_STRING, NULL);
    }
    return *out ? apr_pstrcat(p, "; this server's top holders: ", out, NULL)
                : "; this server holds none of them";
}

static const char *top_processes(apr_pool_t *p, const ipcg_view_t *v)
{
    const char *out = "";
    int i;

    for (i = 0; i < v->procs->nelts && i < 3; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        out = apr_psprintf(p, "%s%spid %" APR_INT64_T_FMT " %s (%"
                           APR_UINT64_T_FMT " bytes shared)", out,
                           i ? ", " : "", pr->pid, pr->comm,
                           pr->shared_anon + pr->shared_sysv
                           + pr->shared_posix);
    }
    return *out ? apr_pstrcat(p, "; largest processes of this server: ", out,
                              NULL)
                : "";
}

/* The diagnosis of processes that each hold their own copy of a shared
 * mapping that counts towards @a series, for that limit's warning. */
static const char *dup_note(apr_pool_t *p, const apr_array_header_t *dups,
                            const char *series)
{
    const char *note = "";
    int i;

    for (i = 0; i < dups->nelts; i++) {
        const ipcg_dup_t *d = &APR_ARRAY_IDX(dups, i, ipcg_dup_t);
        if (strcmp(d->limit, series) == 0) {
            note = apr_pstrcat(p, note, "; ", d->text, NULL);
        }
    }
    return note;
}

/* One limit: raised at @a percent of it or more, else cleared; nothing
 * when the limit is unknown or 0. */
static void check_limit(apr_pool_t *p, int percent, const char *resource,
                        apr_uint64_t used, const ipcg_num_t *limit,
                        const char *who, apr_array_header_t *out)
{
    apr_uint64_t pct;

    if (!limit->present || limit->v == 0) {
        return;
    }
    pct = used * 100 / limit->v;
    if (pct >= (apr_uint64_t)percent) {
        add(out, IPCG_WARN_RAISE, IPCG_WARN_TAG_LIMIT, resource,
            apr_psprintf(p, "%s at %" APR_UINT64_T_FMT "%% (%"
                         APR_UINT64_T_FMT " of %" APR_UINT64_T_FMT
                         "), over the %d%% warning threshold%s",
                         resource, pct, used, limit->v, percent, who));
    }
    else {
        add(out, IPCG_WARN_CLEAR, 0, resource, NULL);
    }
}

/* A beancounter: its limit, and whether its failcnt grew since the last
 * pass (the first pass only remembers it). */
static void check_bc(apr_pool_t *p, const ipcg_warn_memory_t *m,
                     int percent, const ipcg_bc_row_t *b, const char *procs,
                     const apr_array_header_t *dups, apr_array_header_t *out)
{
    apr_uint64_t *last = apr_hash_get(m->failcnt, b->resource,
                                      APR_HASH_KEY_STRING);
    const char *res = apr_pstrcat(p, "beancounter ", b->resource, NULL);

    if (!b->limit_unlimited && b->limit) {
        ipcg_num_t lim;
        lim.present = 1;
        lim.v = b->limit;
        check_limit(p, percent, res, b->held, &lim,
                    apr_pstrcat(p, procs, dup_note(p, dups, apr_pstrcat(
                                    p, "bc:", b->resource, NULL)),
                                NULL), out);
    }
    if (last == NULL) {
        last = apr_palloc(m->pool, sizeof(*last));
        *last = b->failcnt;
        apr_hash_set(m->failcnt, apr_pstrdup(m->pool, b->resource),
                     APR_HASH_KEY_STRING, last);
    }
    else if (b->failcnt > *last) {
        add(out, IPCG_WARN_RAISE, IPCG_WARN_TAG_LIMIT,
            apr_pstrcat(p, res, " failcnt", NULL),
            apr_psprintf(p, "%s failcnt grew from %" APR_UINT64_T_FMT
                         " to %" APR_UINT64_T_FMT ": allocations "
                         "are failing (held %" APR_UINT64_T_FMT
                         ", limit %" APR_UINT64_T_FMT ")%s", res,
                         *last, b->failcnt, b->held, b->limit, procs));
        *last = b->failcnt;
    }
}

void ipcg_warn_limits(apr_pool_t *p, const ipcg_warn_memory_t *m,
                      int percent, const apr_array_header_t *reg,
                      const ipcg_view_t *v, apr_array_header_t *out)
{
    const ipcg_report_t *r = &v->rep;
    const ipcg_limits_t *l = &r->limits;
    const char *procs = top_processes(p, v);
    apr_array_header_t *dups = ipcg_diagnose_dup(p, v);
    apr_uint32_t i;

    check_limit(p, percent, "SEMMNI (semaphore sets)",
                r->usage.count[IPCG_SYSV_SEM], &l->semmni,
                top_modules(p, reg, IPCG_SYSV_SEM), out);
    check_limit(p, percent, "SEMMNS (semaphores)", r->usage.sem_total,
                &l->semmns, top_modules(p, reg, IPCG_SYSV_SEM), out);
    check_limit(p, percent, "SHMMNI (shared memory segments)",
                r->usage.count[IPCG_SYSV_SHM], &l->shmmni,
                top_modules(p, reg, IPCG_SYSV_SHM), out);
    check_limit(p, percent, "SHMALL (shared memory pages)",
                r->usage.shm_pages, &l->shmall,
                apr_pstrcat(p, procs, dup_note(p, dups, "shmall"), NULL),
                out);
    check_limit(p, percent, "MSGMNI (message queues)",
                r->usage.count[IPCG_SYSV_MSG], &l->msgmni,
                top_modules(p, reg, IPCG_SYSV_MSG), out);
    if (l->devshm_used.present) {
        check_limit(p, percent, "/dev/shm", l->devshm_used.v,
                    &l->devshm_size,
                    apr_pstrcat(p, procs, dup_note(p, dups, "devshm"), NULL),
                    out);
    }
    for (i = 0; i < r->bc_rows; i++) {
        check_bc(p, m, percent, &r->bc[i], procs, dups, out);
    }
}

void ipcg_warn_forecasts(apr_pool_t *p, apr_int64_t horizon,
                         const ipcg_report_t *r, apr_array_header_t *out)
{
    apr_uint32_t i;

    for (i = 0; i < r->forecast_rows; i++) {
        const ipcg_forecast_t *f = &r->forecast[i];
        const char *res = apr_pstrcat(p, "forecast ", f->name, NULL);

        if (horizon > 0 && f->rate > 0 && f->seconds_to_full > 0
            && f->seconds_to_full <= horizon) {
            add(out, IPCG_WARN_RAISE, IPCG_WARN_TAG_FORECAST, res,
                apr_psprintf(p, "%s, within IPCGuardForecastHorizon (%s); "
                             "what grows is not httpd's to clean up (other "
                             "programs' objects, application objects, "
                             "orphans): see /ipc-status",
                             ipcg_forecast_text(p, f),
                             ipcg_duration_text(p, horizon)));
        }
        else {
            add(out, IPCG_WARN_CLEAR, 0, res, NULL);
        }
    }
}
