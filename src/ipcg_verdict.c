/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Meters, the duplicated-mapping diagnosis and the verdict
 * (ipcg_verdict.h). */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"

/* A mapping below this is no cache worth a diagnosis. */
#define DUP_MIN_BYTES ((apr_uint64_t)1 << 20)
/* "about the same size": within an eighth of the smallest */
#define DUP_SIMILAR(a, b) ((b) <= (a) + (a) / 8)

const char ipcg_outside_causes[] =
    "The usual causes: " IPCG_OUTSIDE_CULPRITS ". Find and stop it (RemoveIPC=no in logind.conf; no ipcrm of "
    "objects that a live server holds).";

const char *ipcg_level_name(ipcg_level_e level)
{
    switch (level) {
    case IPCG_LEVEL_NOTE: return "note";
    case IPCG_LEVEL_WARN: return "warn";
    case IPCG_LEVEL_CRIT: return "crit";
    default: return "ok";
    }
}

/* ---- meters ---- */

static ipcg_meter_t *meter_add(apr_array_header_t *a, const char *series,
                               const char *name, const char *what,
                               ipcg_unit_e unit, apr_uint64_t used,
                               const ipcg_num_t *lim)
{
    ipcg_meter_t *m = apr_array_push(a);

    memset(m, 0, sizeof(*m));
    m->series = series;
    m->name = name;
    m->what = what;
    m->unit = unit;
    m->page_size = 4096;
    m->used = used;
    m->known = lim->present;
    m->limit = lim->present ? lim->v : 0;
    m->unlimited = lim->present && ipcg_is_unlimited(lim->v);
    m->percent = -1;
    return m;
}

static void meter_level(ipcg_meter_t *m, int warn_percent)
{
    if (m->known && !m->unlimited && m->limit > 0) {
        apr_uint64_t pct = m->used * 100 / m->limit;
        m->percent = pct > 1000 ? 1000 : (int)pct;
    }
    m->level = m->percent >= 100 ? IPCG_LEVEL_CRIT
               : m->percent >= warn_percent && warn_percent > 0
                   ? IPCG_LEVEL_WARN : IPCG_LEVEL_OK;
}

static void bc_meters(apr_pool_t *p, apr_array_header_t *a,
                      const ipcg_report_t *r)
{
    apr_uint32_t b;

    for (b = 0; r->bc_present && b < r->bc_rows; b++) {
        const ipcg_bc_row_t *row = &r->bc[b];
        apr_size_t len = strlen(row->resource);
        ipcg_num_t lim;
        ipcg_meter_t *m;

        lim.present = 1;
        lim.v = row->limit_unlimited ? ~(apr_uint64_t)0 : row->limit;
        m = meter_add(a, apr_pstrcat(p, "bc:", row->resource, NULL),
                      apr_pstrdup(p, row->resource), "beancounter",
                      len > 5 && strcmp(row->resource + len - 5, "pages") == 0
                          ? IPCG_UNIT_PAGES : IPCG_UNIT_COUNT,
                      row->held, &lim);
        m->failcnt = row->failcnt;
    }
}

apr_array_header_t *ipcg_meters(apr_pool_t *p, const ipcg_report_t *r)
{
    apr_array_header_t *a = apr_array_make(p, 8 + (int)r->bc_rows,
                                           sizeof(ipcg_meter_t));
    const ipcg_limits_t *l = &r->limits;
    const ipcg_usage_t *u = &r->usage;
    ipcg_meter_t *m;
    int i;

    meter_add(a, "semmni", "SEMMNI", "semaphore sets", IPCG_UNIT_COUNT,
              u->count[IPCG_SYSV_SEM], &l->semmni);
    meter_add(a, "semmns", "SEMMNS", "semaphores", IPCG_UNIT_COUNT,
              u->sem_total, &l->semmns);
    meter_add(a, "shmmni", "SHMMNI", "shared memory segments",
              IPCG_UNIT_COUNT, u->count[IPCG_SYSV_SHM], &l->shmmni);
    m = meter_add(a, "shmall", "SHMALL", "SysV shared memory",
                  IPCG_UNIT_PAGES, u->shm_pages, &l->shmall);
    if (l->page_size.present && l->page_size.v) {
        m->page_size = l->page_size.v;
    }
    meter_add(a, "msgmni", "MSGMNI", "message queues", IPCG_UNIT_COUNT,
              u->count[IPCG_SYSV_MSG], &l->msgmni);
    meter_add(a, "devshm", "/dev/shm", "POSIX shared memory",
              IPCG_UNIT_BYTES,
              l->devshm_used.present ? l->devshm_used.v : 0,
              &l->devshm_size);
    bc_meters(p, a, r);
    for (i = 0; i < a->nelts; i++) {
        meter_level(&APR_ARRAY_IDX(a, i, ipcg_meter_t), r->warn_percent);
    }
    return a;
}

const char *ipcg_meter_value(apr_pool_t *p, const ipcg_meter_t *m,
                             apr_uint64_t v)
{
    switch (m->unit) {
    case IPCG_UNIT_BYTES:
        return ipcg_bytes_text(p, v);
    case IPCG_UNIT_PAGES:
        return ipcg_is_unlimited(v) ? ipcg_grouped(p, v)
                                    : ipcg_bytes_text(p, v * m->page_size);
    default:
        return ipcg_grouped(p, v);
    }
}

const char *ipcg_meter_text(apr_pool_t *p, const ipcg_meter_t *m)
{
    const char *used = ipcg_meter_value(p, m, m->used);

    if (!m->known) {
        return apr_pstrcat(p, used, " (limit unknown)", NULL);
    }
    if (m->unlimited) {
        return apr_pstrcat(p, used, " of unlimited", NULL);
    }
    return apr_psprintf(p, "%s of %s (%d%%)", used,
                        ipcg_meter_value(p, m, m->limit), m->percent);
}

/* ---- the duplicated-mapping diagnosis ---- */

static int cmp_proc(const void *a, const void *b)
{
    const ipcg_proc_t *x = *(const ipcg_proc_t *const *)a;
    const ipcg_proc_t *y = *(const ipcg_proc_t *const *)b;
    int c = strcmp(x->comm, y->comm);

    if (c) {
        return c;
    }
    return x->map_bytes < y->map_bytes ? -1 : x->map_bytes > y->map_bytes;
}

/* Distinct mappings among @a pr[0..n) and their bytes together. */
static apr_uint32_t distinct_maps(const ipcg_proc_t *const *pr, int n,
                                  apr_uint64_t *total)
{
    apr_uint32_t d = 0;
    int i, j;

    *total = 0;
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++) {
            if (pr[j]->map_kind == pr[i]->map_kind
                && pr[j]->map_dev == pr[i]->map_dev
                && pr[j]->map_ino == pr[i]->map_ino) {
                break;
            }
        }
        if (j == i) {
            d++;
            *total += pr[i]->map_bytes;
        }
    }
    return d;
}

/* What mappings of @a kind count towards, the binding limit first. */
static void dup_limit(apr_pool_t *p, const ipcg_report_t *r, ipcg_dup_t *d)
{
    const ipcg_limits_t *l = &r->limits;
    apr_uint64_t page = l->page_size.present && l->page_size.v
                        ? l->page_size.v : 4096;
    apr_uint32_t b;

    for (b = 0; r->bc_present && b < r->bc_rows; b++) {
        if (strcmp(r->bc[b].resource, "shmpages") == 0
            && !r->bc[b].limit_unlimited && r->bc[b].limit) {
            d->limit = "bc:shmpages";
            d->limit_label = "the beancounter shmpages";
            d->limit_used = r->bc[b].held * 4096;
            d->limit_size = r->bc[b].limit * 4096;
            return;
        }
    }
    if (d->kind == IPCG_MAP_SYSV && l->shmall.present
        && !ipcg_is_unlimited(l->shmall.v)) {
        d->limit = "shmall";
        d->limit_label = "SHMALL";
        d->limit_used = r->usage.shm_pages * page;
        d->limit_size = l->shmall.v * page;
        return;
    }
    if (d->kind == IPCG_MAP_POSIX && l->devshm_size.present) {
        d->limit = "devshm";
        d->limit_label = "/dev/shm";
        d->limit_used = l->devshm_used.present ? l->devshm_used.v : 0;
        d->limit_size = l->devshm_size.v;
        return;
    }
    d->limit = "shmem";
    d->limit_label = "the system's shared memory (Shmem)";
    d->limit_used = l->meminfo_shmem.present ? l->meminfo_shmem.v : 0;
    d->limit_size = 0;
    (void)p;
}

static void dup_text(apr_pool_t *p, ipcg_dup_t *d)
{
    const char *who = d->processes == d->mappings
        ? apr_psprintf(p, "%u %s processes each hold their own shared "
                       "mapping of about %s, not one shared between them",
                       d->processes, d->program,
                       ipcg_bytes_text(p, d->each))
        : apr_psprintf(p, "%u %s processes hold %u separate shared mappings "
                       "of about %s where one shared between them would do",
                       d->processes, d->program, d->mappings,
                       ipcg_bytes_text(p, d->each));
    const char *of = d->limit_size
        ? apr_psprintf(p, "%s of %s in use", ipcg_bytes_text(p, d->limit_used),
                       ipcg_bytes_text(p, d->limit_size))
        : apr_psprintf(p, "%s in use", ipcg_bytes_text(p, d->limit_used));

    d->what = apr_psprintf(p, "%s: %s in all, counted against %s (%s).", who,
                           ipcg_bytes_text(p, d->total), d->limit_label, of);
    d->cause = "The usual cause is a cache kept per process, such as PHP's "
               "opcache under CGI/FastCGI (mod_fcgid), where every process "
               "makes its own; the fix is a process manager that shares one "
               "cache between its workers (PHP-FPM), or a smaller cache "
               "(opcache.memory_consumption).";
    d->text = apr_pstrcat(p, d->what, " ", d->cause, NULL);
}

/* The most distinct mappings of about one size among @a pr[0..n) (one
 * program, sorted by size); pushes a diagnosis when there are two. */
static void dup_program(apr_pool_t *p, const ipcg_view_t *v,
                        const ipcg_proc_t *const *pr, int n,
                        apr_array_header_t *out)
{
    int i, j, best_i = 0, best_n = 0;
    apr_uint32_t best = 0;
    apr_uint64_t total = 0, best_total = 0;
    ipcg_dup_t *d;

    for (i = 0; i < n; i++) {
        apr_uint32_t k;
        for (j = i; j < n && DUP_SIMILAR(pr[i]->map_bytes, pr[j]->map_bytes);
             j++) {
        }
        k = distinct_maps(pr + i, j - i, &total);
        if (k > best || (k == best && total > best_total)) {
            best = k;
            best_total = total;
            best_i = i;
            best_n = j - i;
        }
    }
    if (best < 2) {
        return;
    }
    d = apr_array_push(out);
    memset(d, 0, sizeof(*d));
    d->program = pr[best_i]->comm;
    d->processes = (apr_uint32_t)best_n;
    d->mappings = best;
    d->each = pr[best_i + best_n / 2]->map_bytes;
    d->total = best_total;
    d->kind = pr[best_i]->map_kind;
    dup_limit(p, &v->rep, d);
    dup_text(p, d);
}

static int cmp_dup(const void *a, const void *b)
{
    const ipcg_dup_t *x = a, *y = b;

    return x->total > y->total ? -1 : x->total < y->total;
}

apr_array_header_t *ipcg_diagnose_dup(apr_pool_t *p, const ipcg_view_t *v)
{
    apr_array_header_t *out = apr_array_make(p, 2, sizeof(ipcg_dup_t));
    const ipcg_proc_t **pr = apr_palloc(p, sizeof(const ipcg_proc_t *)
                                        * (apr_size_t)(v->procs->nelts + 1));
    int i, n = 0, s;

    for (i = 0; i < v->procs->nelts; i++) {
        const ipcg_proc_t *x = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        if (x->map_kind != IPCG_MAP_NONE && x->map_bytes >= DUP_MIN_BYTES) {
            pr[n++] = x;
        }
    }
    if (n > 1) {
        qsort(pr, (size_t)n, sizeof(const ipcg_proc_t *), cmp_proc);
    }
    for (s = 0; s < n; s = i) {
        for (i = s; i < n && strcmp(pr[i]->comm, pr[s]->comm) == 0; i++) {
        }
        dup_program(p, v, pr + s, i - s, out);
    }
    if (out->nelts > 1) {
        qsort(out->elts, (size_t)out->nelts, sizeof(ipcg_dup_t), cmp_dup);
    }
    return out;
}

/* ---- the verdict ---- */

static void find(apr_array_header_t *a, ipcg_level_e level,
                 const char *topic, const char *what, const char *todo)
{
    ipcg_finding_t *f = apr_array_push(a);

    f->level = level;
    f->topic = topic;
    f->what = what;
    f->todo = todo;
}

static const char *limit_todo(apr_pool_t *p, const ipcg_meter_t *m)
{
    static const char *const sysctl[][2] = {
        {"semmni", "kernel.sem"}, {"semmns", "kernel.sem"},
        {"shmmni", "kernel.shmmni"}, {"shmall", "kernel.shmall"},
        {"msgmni", "kernel.msgmni"}
    };
    apr_size_t i;

    for (i = 0; i < sizeof(sysctl) / sizeof(sysctl[0]); i++) {
        if (strcmp(m->series, sysctl[i][0]) == 0) {
            return apr_psprintf(p, "Objects by module shows who holds them: "
                                "remove what programs that are gone left "
                                "behind, or raise %s (sysctl).",
                                sysctl[i][1]);
        }
    }
    if (strcmp(m->series, "devshm") == 0) {
        return "The object table lists the files of /dev/shm with their "
               "sizes: remove what programs that are gone left behind, or "
               "give /dev/shm more room (its tmpfs size=).";
    }
    return "A limit of the container (beancounters): lower what uses it "
           "(the shared memory of the processes below), or have the host "
           "raise it.";
}

static void limit_findings(apr_pool_t *p, const apr_array_header_t *meters,
                           const apr_array_header_t *dups,
                           apr_array_header_t *a)
{
    int i, j;

    for (i = 0; i < meters->nelts; i++) {
        const ipcg_meter_t *m = &APR_ARRAY_IDX(meters, i, ipcg_meter_t);
        const char *todo;
        if (m->level >= IPCG_LEVEL_WARN) {
            todo = limit_todo(p, m);
            for (j = 0; j < dups->nelts; j++) {
                const ipcg_dup_t *d = &APR_ARRAY_IDX(dups, j, ipcg_dup_t);
                if (strcmp(d->limit, m->series) == 0) {
                    todo = apr_psprintf(p, "%s Much of it: %u %s processes "
                                        "each with their own copy (below).",
                                        todo, d->processes, d->program);
                }
            }
            find(a, m->level, "limit", apr_psprintf(
                     p, "%s (%s) is %s: %s.", m->name, m->what,
                     m->level == IPCG_LEVEL_CRIT ? "full" : "close to full",
                     ipcg_meter_text(p, m)), todo);
        }
        if (m->failcnt > 0) {
            find(a, m->level >= IPCG_LEVEL_WARN ? IPCG_LEVEL_CRIT
                                                : IPCG_LEVEL_NOTE,
                 "failcnt", apr_psprintf(
                     p, "The beancounter %s has refused %s allocations since "
                     "the container started (failcnt).", m->name,
                     ipcg_grouped(p, m->failcnt)),
                 "Allocations fail while it is at its limit: keep its use "
                 "below it.");
        }
    }
}

static void forecast_findings(apr_pool_t *p, const ipcg_report_t *r,
                              apr_array_header_t *a)
{
    apr_uint32_t i;

    for (i = 0; i < r->forecast_rows; i++) {
        const ipcg_forecast_t *f = &r->forecast[i];
        if (r->forecast_horizon > 0 && f->rate > 0 && f->seconds_to_full > 0
            && f->seconds_to_full <= r->forecast_horizon) {
            find(a, IPCG_LEVEL_WARN, "forecast",
                 apr_pstrcat(p, "Forecast: ", ipcg_forecast_text(p, f), ".",
                             NULL),
                 "What grows is not httpd's to clean up (other programs' "
                 "objects, application objects, orphans): the growth by "
                 "class shows which; find the program that leaks them "
                 "before the limit is reached.");
        }
    }
}

/* The most common reason among the kept objects, and how many share it. */
static const char *kept_reason(apr_pool_t *p, const ipcg_view_t *v)
{
    const char *best = NULL;
    int i, j, best_n = 0, kept = 0;

    for (i = 0; i < v->decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(v->decisions, i,
                                                  ipcg_decision_t);
        int n = 0;
        if (d->what != IPCG_DEC_KEPT || d->code == IPCG_WHY_CLASS) {
            continue;
        }
        kept++;
        for (j = 0; j < v->decisions->nelts; j++) {
            const ipcg_decision_t *e = &APR_ARRAY_IDX(v->decisions, j,
                                                      ipcg_decision_t);
            n += e->what == IPCG_DEC_KEPT && e->code != IPCG_WHY_CLASS
                 && strcmp(e->reason, d->reason) == 0;
        }
        if (n > best_n) {
            best = d->reason;
            best_n = n;
        }
    }
    if (best == NULL) {
        return "";
    }
    return best_n == kept ? apr_pstrcat(p, ": ", best, NULL)
        : apr_psprintf(p, "; %d of them: %s", best_n, best);
}

static void cleanup_findings(apr_pool_t *p, const ipcg_view_t *v,
                             apr_array_header_t *a)
{
    const ipcg_cleanup_t *c = &v->rep.cleanup;
    apr_uint32_t gone = 0, gone_named = 0, apps = 0, kept;
    int i;
    const char *run = c->previous_pid > 0
        ? apr_psprintf(p, "the run of pid %" APR_INT64_T_FMT, c->previous_pid)
        : "the last run";

    for (i = 0; i < v->decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(v->decisions, i,
                                                  ipcg_decision_t);
        int g = d->what == IPCG_DEC_KEPT
                && strcmp(d->reason, "already gone") == 0;
        gone += g;
        gone_named += g && d->obj.kind == IPCG_POSIX_SHM;
        /* an application's object kept is the normal outcome */
        apps += d->what == IPCG_DEC_KEPT && d->code == IPCG_WHY_CLASS;
    }
    kept = c->kept_count > apps ? c->kept_count - apps : 0;
    switch (c->outcome) {
    case IPCG_OUTCOME_REFUSED:
    case IPCG_OUTCOME_ALIVE:
    case IPCG_OUTCOME_SURVIVORS:
    case IPCG_OUTCOME_UNKNOWN:
        find(a, IPCG_LEVEL_WARN, "cleanup",
             apr_pstrcat(p, "The startup cleanup removed nothing: ",
                         c->summary, ".", NULL),
             c->outcome == IPCG_OUTCOME_REFUSED
                 ? "The state file was refused: see the error log for why, "
                   "and ipcguardctl clean --dry-run -v for what it holds."
                 : c->outcome == IPCG_OUTCOME_UNKNOWN
                 ? "It could not tell whether that run is over: check with "
                   "ipcguardctl clean --dry-run -v."
                 : "Processes of that run still live and hold its objects: "
                   "stop them; the next start cleans up.");
        break;
    default:
        break;
    }
    if (kept > 0 && gone == kept && c->unguarded_since
        && gone_named == gone) {
        /* httpd's modules remove a named segment left over before they
         * make it again, as this server did before it had the module */
        find(a, IPCG_LEVEL_NOTE, "kept", apr_psprintf(
                 p, "The startup cleanup after %s, which ended without "
                 "cleaning up, found %u of its /dev/shm segments already "
                 "gone: this server ran without mod_ipcguard until the "
                 "restart that loaded it.", run, gone),
             "Nothing to do: httpd's modules remove a segment left over "
             "under their name before they make it again, as this server's "
             "did then.");
    }
    else if (kept > 0 && gone == kept) {
        find(a, IPCG_LEVEL_WARN, "kept", apr_psprintf(
                 p, "The startup cleanup after %s, which ended without "
                 "cleaning up, found %u of its objects already gone: removed "
                 "by something outside httpd while no server ran.", run,
                 gone), ipcg_outside_causes);
    }
    else if (kept > 0) {
        find(a, IPCG_LEVEL_WARN, "kept", apr_psprintf(
                 p, "The startup cleanup after %s, which ended without "
                 "cleaning up, kept %u object%s%s.", run, kept,
                 ipcg_plural(kept), kept_reason(p, v)),
             "Kept objects are in use or not provably that run's; they "
             "count against the limits until what holds them exits. The "
             "cleanup table names each one and why; ipcguardctl clean "
             "--dry-run -v checks again.");
    }
    if (c->ran && c->removed_count > 0 && c->previous_stopped) {
        find(a, IPCG_LEVEL_NOTE, "cleanup", apr_psprintf(
                 p, "The startup cleanup removed %u object%s that the "
                 "children of %s made and left; that run stopped cleanly.",
                 c->removed_count, ipcg_plural(c->removed_count), run),
             "Nothing to do: objects a child makes at runtime (PHP's "
             "sem_get(), say) outlive it, and httpd does not remove them.");
    }
    else if (c->ran && c->removed_count > 0) {
        find(a, IPCG_LEVEL_NOTE, "cleanup", apr_psprintf(
                 p, "The startup cleanup removed %u object%s that %s left "
                 "behind (a crash or kill -9).", c->removed_count,
                 ipcg_plural(c->removed_count), run),
             "Nothing to do; if the server crashes often, its error log "
             "says why.");
    }
}

static void outside_findings(apr_pool_t *p, const ipcg_report_t *r,
                             apr_array_header_t *a)
{
    const ipcg_event_t *e = r->event_rows ? &r->events[r->event_rows - 1]
                                          : NULL;
    const char *last = "";

    if (e) {
        last = apr_psprintf(p, " (the last: %s %s of %s)",
                            ipcg_kind_name(e->kind),
                            e->id >= 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                                      e->id)
                                       : e->name, e->module);
    }
    if (r->outside_removals_total > 0) {
        find(a, IPCG_LEVEL_WARN, "outside", apr_psprintf(
                 p, "%s object%s of this server %s removed from outside "
                 "httpd while it ran%s.",
                 ipcg_grouped(p, r->outside_removals_total),
                 ipcg_plural(r->outside_removals_total),
                 r->outside_removals_total == 1 ? "was" : "were", last),
             ipcg_outside_causes);
    }
    else if (e) {
        find(a, IPCG_LEVEL_NOTE, "outside", apr_psprintf(
                 p, "An earlier run lost objects to a removal from outside "
                 "httpd%s.", last), ipcg_outside_causes);
    }
}

static void other_findings(apr_pool_t *p, const ipcg_view_t *v,
                           const apr_array_header_t *dups,
                           apr_array_header_t *a)
{
    const ipcg_report_t *r = &v->rep;
    int i;

    for (i = 0; i < dups->nelts; i++) {
        const ipcg_dup_t *d = &APR_ARRAY_IDX(dups, i, ipcg_dup_t);
        int near = d->limit_size > 0
                   && (d->limit_used * 100 / d->limit_size
                           >= (apr_uint64_t)r->warn_percent
                       || d->total * 4 >= d->limit_size);
        find(a, near ? IPCG_LEVEL_WARN : IPCG_LEVEL_NOTE, "duplicate",
             d->what, d->cause);
    }
    if (r->orphans_provable > 0 && r->mode != IPCG_CLEANUP_ORPHANS) {
        find(a, IPCG_LEVEL_NOTE, "orphans", apr_psprintf(
                 p, "%s provable orphan%s (every process %s names is dead) "
                 "%s left.", ipcg_grouped(p, r->orphans_provable),
                 ipcg_plural(r->orphans_provable),
                 r->orphans_provable == 1 ? "it" : "they",
                 r->orphans_provable == 1 ? "is" : "are"),
             "IPCGuardCleanup orphans removes them at the next start; "
             "ipcguardctl clean --orphans --user USER does it now.");
    }
    if (r->objs_dropped > 0) {
        find(a, IPCG_LEVEL_NOTE, "dropped", apr_psprintf(
                 p, "%s objects of this server do not fit the status table.",
                 ipcg_grouped(p, r->objs_dropped)),
             "Raise IPCGuardMaxObjects; the counts and limits include them "
             "already.");
    }
}

apr_array_header_t *ipcg_verdict(apr_pool_t *p, const ipcg_view_t *v)
{
    apr_array_header_t *all = apr_array_make(p, 8, sizeof(ipcg_finding_t));
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(ipcg_finding_t));
    apr_array_header_t *dups = ipcg_diagnose_dup(p, v);
    int level, i;

    limit_findings(p, ipcg_meters(p, &v->rep), dups, all);
    forecast_findings(p, &v->rep, all);
    outside_findings(p, &v->rep, all);
    cleanup_findings(p, v, all);
    other_findings(p, v, dups, all);
    /* the most urgent first, each level in the order above */
    for (level = IPCG_LEVEL_CRIT; level > IPCG_LEVEL_OK; level--) {
        for (i = 0; i < all->nelts; i++) {
            const ipcg_finding_t *f = &APR_ARRAY_IDX(all, i, ipcg_finding_t);
            if ((int)f->level == level) {
                *(ipcg_finding_t *)apr_array_push(out) = *f;
            }
        }
    }
    return out;
}

ipcg_level_e ipcg_verdict_level(const apr_array_header_t *findings)
{
    return findings->nelts
        ? APR_ARRAY_IDX(findings, 0, ipcg_finding_t).level : IPCG_LEVEL_OK;
}
