/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the warnings in the error log: near a limit, a
 * beancounter's failures, a limit forecast to be full; each at most once
 * per ten minutes.
 */

#include "mod_ipcguard_private.h"

/* Log @a msg at @a level unless the same @a resource was logged in the
 * last ten minutes. */
void ipcgm_log_once(server_rec *s, int level, int tag, const char *resource,
                     const char *msg)
{
    apr_time_t now = apr_time_now();
    apr_time_t *last = apr_hash_get(ipcgm.g->warned, resource,
                                    APR_HASH_KEY_STRING);

    if (last && now - *last < IPCG_WARN_INTERVAL) {
        return;
    }
    if (last == NULL) {
        last = apr_palloc(ipcgm.g->pool, sizeof(*last));
        apr_hash_set(ipcgm.g->warned, apr_pstrdup(ipcgm.g->pool, resource),
                     APR_HASH_KEY_STRING, last);
    }
    *last = now;
    ipcgm.g->warnings_total++;
    if (ipcgm.log_pending) {
        /* the first configuration pass, before the error log is open */
        ipcgm_log_to_httpd(s, level, 0, apr_psprintf(ipcgm.g->pool,
                                                     "ipcguard(%03d): %s",
                                                     tag, msg));
        return;
    }
    ap_log_error(APLOG_MARK, level, 0, s, "ipcguard(%03d): %s", tag, msg);
}

void ipcgm_warn_once_tag(server_rec *s, int tag, const char *resource,
                          const char *msg)
{
    ipcgm_log_once(s, APLOG_WARNING, tag, resource, msg);
}

void ipcgm_warn_once(server_rec *s, const char *resource, const char *msg)
{
    ipcgm_warn_once_tag(s, 201, resource, msg);
}

/* Re-arm a limit's warning once usage is back under the threshold. */
void ipcgm_warn_rearm(const char *resource)
{
    apr_time_t *last = apr_hash_get(ipcgm.g->warned, resource,
                                    APR_HASH_KEY_STRING);

    if (last) {
        *last = 0;
    }
}

/* The modules holding most objects of @a kind in the registry. */
static const char *top_modules(apr_pool_t *p, int kind)
{
    apr_hash_t *h = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *out = "";
    int i, shown;

    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
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

static void check_limit(apr_pool_t *p, server_rec *s, int percent,
                        const char *resource, apr_uint64_t used,
                        const ipcg_num_t *limit, const char *who)
{
    apr_uint64_t pct;

    if (!limit->present || limit->v == 0) {
        return;
    }
    pct = used * 100 / limit->v;
    if (pct >= (apr_uint64_t)percent) {
        ipcgm_warn_once(s, resource,
                  apr_psprintf(p, "%s at %" APR_UINT64_T_FMT "%% (%"
                               APR_UINT64_T_FMT " of %" APR_UINT64_T_FMT
                               "), over the %d%% warning threshold%s",
                               resource, pct, used, limit->v, percent, who));
    }
    else {
        ipcgm_warn_rearm(resource);
    }
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

void ipcgm_early_warnings(apr_pool_t *p, server_rec *s,
                           const ipcg_settings *cf, const ipcg_view_t *v)
{
    const ipcg_report_t *r = &v->rep;
    const ipcg_limits_t *l = &r->limits;
    const char *procs = top_processes(p, v);
    apr_array_header_t *dups = ipcg_diagnose_dup(p, v);
    apr_uint32_t i;

    check_limit(p, s, cf->warn_percent, "SEMMNI (semaphore sets)",
                r->usage.count[IPCG_SYSV_SEM], &l->semmni,
                top_modules(p, IPCG_SYSV_SEM));
    check_limit(p, s, cf->warn_percent, "SEMMNS (semaphores)",
                r->usage.sem_total, &l->semmns,
                top_modules(p, IPCG_SYSV_SEM));
    check_limit(p, s, cf->warn_percent, "SHMMNI (shared memory segments)",
                r->usage.count[IPCG_SYSV_SHM], &l->shmmni,
                top_modules(p, IPCG_SYSV_SHM));
    check_limit(p, s, cf->warn_percent, "SHMALL (shared memory pages)",
                r->usage.shm_pages, &l->shmall,
                apr_pstrcat(p, procs, dup_note(p, dups, "shmall"), NULL));
    check_limit(p, s, cf->warn_percent, "MSGMNI (message queues)",
                r->usage.count[IPCG_SYSV_MSG], &l->msgmni,
                top_modules(p, IPCG_SYSV_MSG));
    if (l->devshm_used.present) {
        check_limit(p, s, cf->warn_percent, "/dev/shm", l->devshm_used.v,
                    &l->devshm_size,
                    apr_pstrcat(p, procs, dup_note(p, dups, "devshm"), NULL));
    }
    for (i = 0; i < r->bc_rows; i++) {
        const ipcg_bc_row_t *b = &r->bc[i];
        apr_uint64_t *last = apr_hash_get(ipcgm.g->failcnt, b->resource,
                                          APR_HASH_KEY_STRING);
        const char *res = apr_pstrcat(p, "beancounter ", b->resource, NULL);
        if (!b->limit_unlimited && b->limit) {
            ipcg_num_t lim;
            lim.present = 1;
            lim.v = b->limit;
            check_limit(p, s, cf->warn_percent, res, b->held, &lim,
                        apr_pstrcat(p, procs, dup_note(p, dups, apr_pstrcat(
                                        p, "bc:", b->resource, NULL)),
                                    NULL));
        }
        if (last == NULL) {
            last = apr_palloc(ipcgm.g->pool, sizeof(*last));
            *last = b->failcnt;
            apr_hash_set(ipcgm.g->failcnt,
                         apr_pstrdup(ipcgm.g->pool, b->resource),
                         APR_HASH_KEY_STRING, last);
        }
        else if (b->failcnt > *last) {
            ipcgm_warn_once(s, apr_pstrcat(p, res, " failcnt", NULL),
                      apr_psprintf(p, "%s failcnt grew from %" APR_UINT64_T_FMT
                                   " to %" APR_UINT64_T_FMT ": allocations "
                                   "are failing (held %" APR_UINT64_T_FMT
                                   ", limit %" APR_UINT64_T_FMT ")%s", res,
                                   *last, b->failcnt, b->held, b->limit,
                                   procs));
            *last = b->failcnt;
        }
    }
}

/* The early warning on a forecast: full within the horizon. */
void ipcgm_forecast_warnings(apr_pool_t *p, server_rec *s,
                              const ipcg_settings *cf, const ipcg_view_t *v)
{
    apr_uint32_t i;

    for (i = 0; i < v->rep.forecast_rows; i++) {
        const ipcg_forecast_t *f = &v->rep.forecast[i];
        const char *res = apr_pstrcat(p, "forecast ", f->name, NULL);

        if (cf->forecast_horizon > 0 && f->rate > 0
            && f->seconds_to_full > 0
            && f->seconds_to_full <= cf->forecast_horizon) {
            ipcgm_warn_once_tag(s, 202, res, apr_psprintf(
                p, "%s, within IPCGuardForecastHorizon (%s); what grows is "
                "not httpd's to clean up (other programs' objects, "
                "application objects, orphans): see /ipc-status",
                ipcg_forecast_text(p, f),
                ipcg_duration_text(p, cf->forecast_horizon)));
        }
        else {
            ipcgm_warn_rearm(res);
        }
    }
}
