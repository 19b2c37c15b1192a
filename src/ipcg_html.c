/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The /ipc-status page (ipcg_html.h). */

#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ipcguard/ipcg_html.h"

#define outs ipcg_out_puts
#define outf ipcg_out_printf
#define esc ipcg_html_escape

const char *ipcg_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0, j = 0;
    const char *c;
    char *o;

    for (c = s; *c; c++) {
        n += *c == '&' ? 5 : *c == '"' ? 6 : (*c == '<' || *c == '>') ? 4 : 1;
    }
    o = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        const char *ref = *c == '&' ? "&amp;" : *c == '"' ? "&quot;"
                          : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : NULL;
        if (ref) {
            apr_size_t l = strlen(ref);
            memcpy(o + j, ref, l);
            j += l;
        }
        else {
            o[j++] = *c;
        }
    }
    o[j] = '\0';
    return o;
}

static const char *local_time(apr_pool_t *p, apr_int64_t epoch)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len = 0;

    if (epoch <= 0
        || apr_time_exp_lt(&tm, apr_time_from_sec(epoch)) != APR_SUCCESS
        || apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)
           != APR_SUCCESS) {
        return "an unknown time";
    }
    return apr_pstrmemdup(p, buf, len);
}

static const char *obj_name(apr_pool_t *p, const ipcg_obj_t *o)
{
    if (o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM) {
        /* the name may be anything: escape markup and show control bytes
         * visibly */
        char buf[IPCG_NAME_MAX * 4];
        apr_size_t i, j = 0;
        for (i = 0; o->name[i] && j + 5 < sizeof(buf); i++) {
            unsigned char c = (unsigned char)o->name[i];
            if (c < 0x20 || c == 0x7f || c >= 0x80) {
                j += (apr_size_t)apr_snprintf(buf + j, sizeof(buf) - j,
                                              "\\x%02x", c);
            }
            else {
                buf[j++] = (char)c;
            }
        }
        buf[j] = '\0';
        return esc(p, buf);
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT, o->id);
}

static void obj_row(apr_pool_t *p, ipcg_out_t *out, const ipcg_obj_t *o,
                    const char *extra)
{
    char ct[APR_CTIME_LEN];

    if (apr_ctime(ct, apr_time_from_sec(o->ctime)) != APR_SUCCESS) {
        ct[0] = '\0';
    }
    outf(out, p, "<tr><td>%s</td><td>%s</td><td>0x%08x</td><td>%u</td>"
         "<td>%04o</td><td>%" APR_UINT64_T_FMT "%s</td><td>%"
         APR_UINT64_T_FMT "</td><td>%" APR_INT64_T_FMT "/%"
         APR_INT64_T_FMT "</td><td>%s</td><td>%s</td><td>%s</td>"
         "<td>%s</td>%s</tr>\n",
         ipcg_kind_name(o->kind), obj_name(p, o),
         (unsigned)o->key, (unsigned)o->uid, (unsigned)o->mode,
         o->size, o->kind == IPCG_SYSV_SEM ? " sems" : " B",
         o->nattch, o->cpid, o->lpid, ct, ipcg_phase_name(o->phase),
         esc(p, o->module), ipcg_class_name(o->cls), extra ? extra : "");
}

static const char *const obj_head =
    "<tr><th>kind</th><th>id / name</th><th>key</th><th>owner</th>"
    "<th>mode</th><th>size</th><th>nattch</th><th>cpid/lpid</th>"
    "<th>created</th><th>phase</th><th>module</th><th>class</th>";

static void limit_row(apr_pool_t *p, ipcg_out_t *out, const char *name,
                      apr_uint64_t used, const ipcg_num_t *lim, int warn)
{
    apr_uint64_t pct;

    if (!lim->present) {
        outf(out, p, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td>"
             "<td>unknown</td><td></td></tr>\n", name, used);
        return;
    }
    pct = lim->v ? used * 100 / lim->v : 0;
    outf(out, p, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%"
         APR_UINT64_T_FMT "</td><td>%s%" APR_UINT64_T_FMT "%%%s</td></tr>\n",
         name, used, lim->v, pct >= (apr_uint64_t)warn ? "<b>" : "", pct,
         pct >= (apr_uint64_t)warn ? " (over threshold)</b>" : "");
}

/* The counts by kind and class with their growth, for the kinds present. */
static void class_trends(apr_pool_t *p, ipcg_out_t *out,
                         const ipcg_report_t *rep)
{
    int k, c, head = 0;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        const ipcg_class_trend_t *t =
            &rep->class_trend[(apr_size_t)k * IPCG_CLASS_COUNT];
        if (t[0].count + t[1].count + t[2].count == 0
            && t[0].rate == 0 && t[1].rate == 0 && t[2].rate == 0) {
            continue;
        }
        if (!head) {
            outs(out, "<table border=\"1\"><tr><th>kind</th>");
            for (c = 0; c < IPCG_CLASS_COUNT; c++) {
                outf(out, p, "<th>%s</th><th>growth a day</th>",
                     ipcg_class_name((ipcg_class_e)c));
            }
            outs(out, "</tr>\n");
            head = 1;
        }
        outf(out, p, "<tr><td>%s</td>", ipcg_kind_name((ipcg_kind_e)k));
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            outf(out, p, "<td>%" APR_UINT64_T_FMT "</td><td>%+.1f</td>",
                 t[c].count, t[c].rate * 86400.0);
        }
        outs(out, "</tr>\n");
    }
    if (head) {
        outs(out, "</table>\n");
    }
}

/* The trend of each limit and when it will be full at that rate. */
static void trends(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep)
{
    apr_uint32_t i;

    outf(out, p, "<h2>Trends and forecasts</h2>\n<p>Growth of what httpd "
         "does not clean up (other programs' objects, application "
         "objects, orphans) over the last %s; warning when a limit "
         "would be full within %s.</p>\n",
         ipcg_duration_text(p, rep->forecast_window),
         rep->forecast_horizon > 0
             ? ipcg_duration_text(p, rep->forecast_horizon)
             : "no horizon (IPCGuardForecastHorizon off)");
    class_trends(p, out, rep);
    if (rep->forecast_rows == 0) {
        outs(out, "<p>No limit could be read.</p>\n");
        return;
    }
    outs(out, "<table border=\"1\"><tr><th>limit</th><th>used</th>"
         "<th>of</th><th>not cleaned by httpd</th><th>growth a day</th>"
         "<th>samples</th><th>forecast</th></tr>\n");
    for (i = 0; i < rep->forecast_rows; i++) {
        const ipcg_forecast_t *f = &rep->forecast[i];
        int soon = rep->forecast_horizon > 0 && f->rate > 0
                   && f->seconds_to_full >= 0
                   && f->seconds_to_full <= rep->forecast_horizon;
        outf(out, p, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%"
             APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT "</td>"
             "<td>%+.1f</td><td>%u over %s</td><td>%s%s%s</td></tr>\n",
             esc(p, ipcg_series_label(p, f->name)),
             f->used, f->limit, f->uncleaned, f->rate * 86400.0,
             f->points, ipcg_duration_text(p, f->span),
             soon ? "<b>" : "", esc(p, ipcg_forecast_text(p, f)),
             soon ? "</b>" : "");
    }
    outs(out, "</table>\n");
}

/* Objects removed from outside while the server ran. */
static void events(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep)
{
    apr_uint32_t i;

    outf(out, p, "<h2>Removed from outside httpd</h2>\n<p>%"
         APR_UINT64_T_FMT " object(s) of this server removed by "
         "something else since it started.", rep->outside_removals_total);
    if (rep->event_rows == 0) {
        outs(out, "</p>\n");
        return;
    }
    outs(out, " The usual causes: an ipcrm loop in cron, "
         "ExecStartPre=/ExecStopPost= commands, systemd's RemoveIPC=yes, "
         "a logind logout of the server's User.</p>\n"
         "<table border=\"1\"><tr><th>found gone</th><th>last seen</th>"
         "<th>server pid</th><th>kind</th><th>id or name</th>"
         "<th>module</th><th>phase</th></tr>\n");
    for (i = rep->event_rows; i-- > 0;) {
        const ipcg_event_t *e = &rep->events[i];
        outf(out, p, "<tr><td>%s</td><td>%s</td><td>%" APR_INT64_T_FMT
             "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
             local_time(p, e->found), local_time(p, e->last_seen),
             e->server_pid, ipcg_kind_name(e->kind),
             e->id >= 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT, e->id)
                        : esc(p, e->name),
             esc(p, e->module), ipcg_phase_name(e->phase));
    }
    outs(out, "</table>\n");
}

static void head(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v,
                 const ipcg_html_opts_t *o)
{
    const ipcg_report_t *rep = &v->rep;
    apr_uint64_t inst = 0, app = 0, foreign = 0;
    int k;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        inst += rep->count[k][IPCG_CLASS_INSTANCE];
        app += rep->count[k][IPCG_CLASS_APPLICATION];
        foreign += rep->count[k][IPCG_CLASS_FOREIGN];
    }
    outs(out, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n"
         "<html><head>\n<title>IPC Status</title>\n"
         "</head><body>\n<h1>IPC Status for ");
    outf(out, p, "%s%s%s%s</h1>\n\n", esc(p, o->host),
         o->via ? " (via " : "", o->via ? esc(p, o->via) : "",
         o->via ? ")" : "");
    outf(out, p, "<dl><dt>Instance %s, httpd pid %" APR_INT64_T_FMT
         ", generation %" APR_UINT64_T_FMT ", cleanup mode %s</dt>\n",
         rep->instance, rep->pid, rep->generation,
         ipcg_cleanup_name(rep->mode));
    outf(out, p, "<dt>Objects: %" APR_UINT64_T_FMT " of this server, %"
         APR_UINT64_T_FMT " application-owned, %" APR_UINT64_T_FMT
         " of others%s</dt>\n", inst, app, foreign,
         rep->show_foreign ? "" : " (not listed: IPCGuardShowForeign Off)");
    if (rep->objs_dropped) {
        outf(out, p, "<dt><b>%" APR_UINT64_T_FMT " objects do not fit the "
             "table (raise IPCGuardMaxObjects)</b></dt>\n",
             rep->objs_dropped);
    }
    outf(out, p, "<dt>Last startup cleanup: %s</dt></dl>\n",
         rep->cleanup.summary[0] ? esc(p, rep->cleanup.summary)
                                 : "no cleanup has run");
}

typedef struct {
    const char *module;
    ipcg_kind_e kind;
    ipcg_class_e cls;
    int count;
} mod_group;

static int cmp_group(const void *a, const void *b)
{
    const mod_group *x = a, *y = b;
    int c = strcmp(x->module, y->module);

    if (c == 0) {
        c = strcmp(ipcg_kind_name(x->kind), ipcg_kind_name(y->kind));
    }
    return c ? c : strcmp(ipcg_class_name(x->cls), ipcg_class_name(y->cls));
}

/* The listed objects counted by module, kind and class, sorted by those. */
static apr_array_header_t *by_module(apr_pool_t *p, const ipcg_view_t *v)
{
    apr_array_header_t *g = apr_array_make(p, 16, sizeof(mod_group));
    apr_hash_t *h = apr_hash_make(p);
    int i;

    for (i = 0; i < v->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(v->objs, i, ipcg_obj_t);
        const char *key = apr_psprintf(p, "%s\t%d\t%d", o->module,
                                       (int)o->kind, (int)o->cls);
        mod_group *m = apr_hash_get(h, key, APR_HASH_KEY_STRING);
        if (m == NULL) {
            m = apr_array_push(g);
            m->module = o->module;
            m->kind = o->kind;
            m->cls = o->cls;
            m->count = 0;
            /* the array may move: the hash holds the index */
            apr_hash_set(h, key, APR_HASH_KEY_STRING,
                         (void *)(apr_uintptr_t)g->nelts);
        }
        else {
            m = &APR_ARRAY_IDX(g, (apr_uintptr_t)m - 1, mod_group);
        }
        m->count++;
    }
    if (g->nelts > 1) {
        qsort(g->elts, (size_t)g->nelts, sizeof(mod_group), cmp_group);
    }
    return g;
}

static void modules(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v)
{
    apr_array_header_t *g = by_module(p, v);
    int i;

    outs(out, "<h2>Objects by module</h2>\n<table border=\"1\"><tr><th>module"
         "</th><th>kind</th><th>class</th><th>count</th></tr>\n");
    for (i = 0; i < g->nelts; i++) {
        const mod_group *m = &APR_ARRAY_IDX(g, i, mod_group);
        outf(out, p, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%d</td>"
             "</tr>\n", esc(p, m->module), ipcg_kind_name(m->kind),
             ipcg_class_name(m->cls), m->count);
    }
    outs(out, "</table>\n");
}

static void limits(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep)
{
    const ipcg_limits_t *l = &rep->limits;
    const ipcg_usage_t *u = &rep->usage;
    int w = rep->warn_percent;

    outs(out, "<h2>Limits</h2>\n<table border=\"1\"><tr><th>limit</th>"
         "<th>used</th><th>limit</th><th>usage</th></tr>\n");
    limit_row(p, out, "SEMMNI (semaphore sets)", u->count[IPCG_SYSV_SEM],
              &l->semmni, w);
    limit_row(p, out, "SEMMNS (semaphores)", u->sem_total, &l->semmns, w);
    limit_row(p, out, "SHMMNI (segments)", u->count[IPCG_SYSV_SHM],
              &l->shmmni, w);
    limit_row(p, out, "SHMALL (pages)", u->shm_pages, &l->shmall, w);
    limit_row(p, out, "MSGMNI (queues)", u->count[IPCG_SYSV_MSG], &l->msgmni,
              w);
    limit_row(p, out, "/dev/shm (bytes)",
              l->devshm_used.present ? l->devshm_used.v : 0, &l->devshm_size,
              w);
    if (l->semmsl.present) {
        outf(out, p, "<tr><td>SEMMSL (per set)</td><td></td><td>%"
             APR_UINT64_T_FMT "</td><td></td></tr>\n", l->semmsl.v);
    }
    if (l->semopm.present) {
        outf(out, p, "<tr><td>SEMOPM (ops per call)</td><td></td><td>%"
             APR_UINT64_T_FMT "</td><td></td></tr>\n", l->semopm.v);
    }
    if (l->shmmax.present) {
        outf(out, p, "<tr><td>SHMMAX (bytes per segment)</td><td></td><td>%"
             APR_UINT64_T_FMT "</td><td></td></tr>\n", l->shmmax.v);
    }
    if (l->meminfo_shmem.present) {
        outf(out, p, "<tr><td>Shmem (system, bytes)</td><td>%"
             APR_UINT64_T_FMT "</td><td></td><td></td></tr>\n",
             l->meminfo_shmem.v);
    }
    outs(out, "</table>\n");
}

static const char *bc_value(apr_pool_t *p, int unlimited, apr_uint64_t v)
{
    return unlimited ? "unlimited" : apr_psprintf(p, "%" APR_UINT64_T_FMT, v);
}

static void beancounters(apr_pool_t *p, ipcg_out_t *out,
                         const ipcg_report_t *rep)
{
    apr_uint32_t b;

    if (!rep->bc_present) {
        return;
    }
    outs(out, "<h2>Beancounters</h2>\n<table border=\"1\"><tr><th>resource"
         "</th><th>held</th><th>maxheld</th><th>barrier</th><th>limit"
         "</th><th>failcnt</th></tr>\n");
    for (b = 0; b < rep->bc_rows; b++) {
        const ipcg_bc_row_t *row = &rep->bc[b];
        outf(out, p, "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td><td>%"
             APR_UINT64_T_FMT "</td><td>%s</td><td>%s</td><td>%s%"
             APR_UINT64_T_FMT "%s</td></tr>\n",
             esc(p, row->resource), row->held, row->maxheld,
             bc_value(p, row->barrier_unlimited, row->barrier),
             bc_value(p, row->limit_unlimited, row->limit),
             row->failcnt ? "<b>" : "", row->failcnt,
             row->failcnt ? "</b>" : "");
    }
    outs(out, "</table>\n");
}

static void objects(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v)
{
    int i;

    outs(out, "<h2>Objects</h2>\n<table border=\"1\">");
    outs(out, obj_head);
    outs(out, "</tr>\n");
    for (i = 0; i < v->objs->nelts; i++) {
        obj_row(p, out, &APR_ARRAY_IDX(v->objs, i, ipcg_obj_t), NULL);
    }
    outs(out, "</table>\n");
}

/* The decisions of @a what (kept and removed, or orphans), each row with
 * two more cells. */
static void decision_rows(apr_pool_t *p, ipcg_out_t *out,
                          const ipcg_view_t *v, int orphans)
{
    int i;

    for (i = 0; i < v->decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(v->decisions, i,
                                                  ipcg_decision_t);
        const char *first;
        if ((d->what == IPCG_DEC_ORPHAN) != orphans) {
            continue;
        }
        first = orphans ? (d->provable ? "yes" : "no")
                : d->what == IPCG_DEC_REMOVED ? "removed" : "kept";
        obj_row(p, out, &d->obj, apr_pstrcat(p, "<td>", first, "</td><td>",
                                             esc(p, d->reason), "</td>",
                                             NULL));
    }
}

static void cleanup(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v)
{
    const ipcg_report_t *rep = &v->rep;

    outs(out, "<h2>Last startup cleanup</h2>\n");
    if (!rep->cleanup.ran && rep->cleanup.summary[0] == '\0') {
        outs(out, "<p>No cleanup has run.</p>\n");
    }
    else {
        outf(out, p, "<p>%s (mode %s, %u removed, %u kept, %" APR_INT64_T_FMT
             " us)</p>\n", esc(p, rep->cleanup.summary),
             ipcg_cleanup_name(rep->cleanup.mode),
             rep->cleanup.removed_count, rep->cleanup.kept_count,
             rep->cleanup.duration_us);
    }
    outs(out, "<table border=\"1\">");
    outs(out, obj_head);
    outs(out, "<th>decision</th><th>reason</th></tr>\n");
    decision_rows(p, out, v, 0);
    outs(out, "</table>\n");
    outf(out, p, "<h2>Orphan candidates</h2>\n<p>%" APR_UINT64_T_FMT
         " candidate(s), %" APR_UINT64_T_FMT " provably dead%s.</p>\n"
         "<table border=\"1\">", rep->orphans, rep->orphans_provable,
         rep->mode == IPCG_CLEANUP_ORPHANS ? ""
             : " (reported only: IPCGuardCleanup orphans removes them)");
    outs(out, obj_head);
    outs(out, "<th>provable</th><th>reason</th></tr>\n");
    decision_rows(p, out, v, 1);
    outs(out, "</table>\n");
}

static void processes(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v)
{
    const ipcg_report_t *rep = &v->rep;
    int i;

    outf(out, p, "<h2>Shared memory of this server's processes</h2>\n"
         "<p>%" APR_UINT64_T_FMT " processes; RssShmem %" APR_UINT64_T_FMT
         " bytes; shared anonymous %" APR_UINT64_T_FMT " bytes; SysV %"
         APR_UINT64_T_FMT " bytes; /dev/shm %" APR_UINT64_T_FMT
         " bytes (mapped).</p>\n"
         "<table border=\"1\"><tr><th>pid</th><th>ppid</th>"
         "<th>command</th><th>RssShmem</th><th>shared anonymous</th>"
         "<th>SysV</th><th>/dev/shm</th></tr>\n",
         rep->proc_count, rep->proc_rss_shmem, rep->proc_shared_anon,
         rep->proc_shared_sysv, rep->proc_shared_posix);
    for (i = 0; i < v->procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        outf(out, p, "<tr><td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT
             "</td><td>%s</td><td>%s</td><td>%" APR_UINT64_T_FMT
             "</td><td>%" APR_UINT64_T_FMT "</td><td>%" APR_UINT64_T_FMT
             "</td></tr>\n", pr->pid, pr->ppid, esc(p, pr->comm),
             pr->rss_shmem.present
                 ? apr_psprintf(p, "%" APR_UINT64_T_FMT, pr->rss_shmem.v)
                 : "unknown",
             pr->shared_anon, pr->shared_sysv, pr->shared_posix);
    }
    outs(out, "</table>\n");
}

void ipcg_render_html(apr_pool_t *p, const ipcg_view_t *v,
                      const ipcg_html_opts_t *o, ipcg_out_t *out)
{
    head(p, out, v, o);
    modules(p, out, v);
    limits(p, out, &v->rep);
    beancounters(p, out, &v->rep);
    trends(p, out, &v->rep);
    events(p, out, &v->rep);
    objects(p, out, v);
    cleanup(p, out, v);
    processes(p, out, v);
    if (o->signature) {
        outs(out, o->signature);
    }
    outs(out, "</body></html>\n");
}
