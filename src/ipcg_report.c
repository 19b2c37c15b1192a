/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Building a report: the same for the module's parent and ipcguardctl. */

#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_report.h"

void ipcg_report_limits(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *bc_path, ipcg_report_t *r)
{
    ipcg_bc_t bc;
    int i;

    ipcg_limits_read(p, paths, &r->limits);
    r->bc_present = 0;
    r->bc_rows = 0;
    if (ipcg_beancounters_read(p, bc_path, &bc) == APR_SUCCESS && bc.present) {
        r->bc_present = 1;
        ipcg_strlcpy(r->bc_version, bc.version, sizeof(r->bc_version));
        for (i = 0; i < bc.rows->nelts && i < IPCG_MAX_BC_ROWS; i++) {
            r->bc[i] = APR_ARRAY_IDX(bc.rows, i, ipcg_bc_row_t);
        }
        r->bc_rows = (apr_uint32_t)i;
    }
}

void ipcg_report_system(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *bc_path, const ipcg_snapshot_t *snap,
                        ipcg_report_t *r)
{
    ipcg_report_limits(p, paths, bc_path, r);
    ipcg_usage_compute(snap, r->limits.page_size.present
                                 ? r->limits.page_size.v : 4096, &r->usage);
}

void ipcg_report_objects(apr_pool_t *p, const apr_array_header_t *reg,
                         const ipcg_snapshot_t *snap, int show_foreign,
                         ipcg_view_t *v)
{
    ipcg_objmap_t *idx = ipcg_objmap_make(p, reg->nelts);
    int i;

    memset(v->rep.count, 0, sizeof(v->rep.count));
    for (i = 0; i < reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(reg, i, ipcg_obj_t);
        ipcg_objmap_set(idx, o, o);
        *(ipcg_obj_t *)apr_array_push(v->objs) = *o;
    }
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        const ipcg_obj_t *mine = ipcg_objmap_get(idx, o);
        if (mine) {
            v->rep.count[o->kind][mine->cls]++;
            continue;
        }
        v->rep.count[o->kind][IPCG_CLASS_FOREIGN]++;
        if (show_foreign) {
            *(ipcg_obj_t *)apr_array_push(v->objs) = *o;
        }
    }
}

void ipcg_report_procs(apr_pool_t *p, const ipcg_paths_t *paths,
                       apr_int64_t root, ipcg_view_t *v)
{
    ipcg_report_procs_memo(p, paths, root, NULL, v);
}

void ipcg_report_procs_memo(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_int64_t root, ipcg_proc_memo_t *memo,
                            ipcg_view_t *v)
{
    apr_array_header_t *procs = NULL;

    if (root <= 0 || ipcg_proc_list(p, paths, &procs) != APR_SUCCESS) {
        ipcg_report_procs_tree(p, paths, NULL, memo, v);
        return;
    }
    ipcg_report_procs_tree(p, paths, ipcg_proc_tree(p, procs, root), memo,
                           v);
}

void ipcg_report_procs_tree(apr_pool_t *p, const ipcg_paths_t *paths,
                            const apr_array_header_t *tree,
                            ipcg_proc_memo_t *memo, ipcg_view_t *v)
{
    ipcg_report_t *r = &v->rep;
    int i;

    r->proc_count = r->proc_rss_shmem = r->proc_shared_anon
        = r->proc_shared_sysv = r->proc_shared_posix = 0;
    for (i = 0; tree && i < tree->nelts; i++) {
        const ipcg_proc_t *st = &APR_ARRAY_IDX(tree, i, ipcg_proc_t);
        ipcg_proc_t pr;
        apr_status_t rv =
            memo ? ipcg_proc_read_memo(p, paths, memo, st, &pr)
                 : ipcg_proc_read(p, paths, st->pid, IPCG_PROC_MEMORY, &pr);
        if (rv != APR_SUCCESS) {
            continue;                 /* exited since the listing */
        }
        r->proc_count++;
        r->proc_rss_shmem += pr.rss_shmem.present ? pr.rss_shmem.v : 0;
        r->proc_shared_anon += pr.shared_anon;
        r->proc_shared_sysv += pr.shared_sysv;
        r->proc_shared_posix += pr.shared_posix;
        *(ipcg_proc_t *)apr_array_push(v->procs) = pr;
    }
    ipcg_procs_sort(v->procs);
}

void ipcg_report_sample(const ipcg_report_t *r, const apr_array_header_t *reg,
                        apr_int64_t t, ipcg_sample_t *s)
{
    const ipcg_limits_t *l = &r->limits;
    const ipcg_usage_t *u = &r->usage;
    apr_uint64_t page = l->page_size.present && l->page_size.v
                        ? l->page_size.v : 4096;
    apr_uint64_t sets = 0, sems = 0, segs = 0, pages = 0, queues = 0,
                 posix = 0;
    apr_uint32_t i;
    int k;

    memset(s, 0, sizeof(*s));
    s->t = t;
    memcpy(s->count, r->count, sizeof(s->count));
    for (k = 0; k < reg->nelts; k++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(reg, k, ipcg_obj_t);
        if (o->cls != IPCG_CLASS_INSTANCE) {
            continue;
        }
        switch (o->kind) {
        case IPCG_SYSV_SEM:
            sets++;
            sems += o->size;
            break;
        case IPCG_SYSV_SHM:
            segs++;
            pages += (o->size + page - 1) / page;
            break;
        case IPCG_SYSV_MSG:
            queues++;
            break;
        default:
            posix += o->size;
            break;
        }
    }
#define LESS(a, b) ((a) > (b) ? (a) - (b) : 0)
    if (l->semmni.present) {
        ipcg_sample_put(s, "semmni", u->count[IPCG_SYSV_SEM],
                        LESS(u->count[IPCG_SYSV_SEM], sets), l->semmni.v);
    }
    if (l->semmns.present) {
        ipcg_sample_put(s, "semmns", u->sem_total, LESS(u->sem_total, sems),
                        l->semmns.v);
    }
    if (l->shmmni.present) {
        ipcg_sample_put(s, "shmmni", u->count[IPCG_SYSV_SHM],
                        LESS(u->count[IPCG_SYSV_SHM], segs), l->shmmni.v);
    }
    if (l->shmall.present) {
        ipcg_sample_put(s, "shmall", u->shm_pages, LESS(u->shm_pages, pages),
                        l->shmall.v);
    }
    if (l->msgmni.present) {
        ipcg_sample_put(s, "msgmni", u->count[IPCG_SYSV_MSG],
                        LESS(u->count[IPCG_SYSV_MSG], queues), l->msgmni.v);
    }
    if (l->devshm_used.present && l->devshm_size.present) {
        ipcg_sample_put(s, "devshm", l->devshm_used.v,
                        LESS(l->devshm_used.v, posix), l->devshm_size.v);
    }
#undef LESS
    for (i = 0; i < r->bc_rows; i++) {
        const ipcg_bc_row_t *b = &r->bc[i];
        if (!b->limit_unlimited && b->limit) {
            char name[IPCG_SERIES_NAME_MAX];
            apr_snprintf(name, sizeof(name), "bc:%s", b->resource);
            ipcg_sample_put(s, name, b->held, b->held, b->limit);
        }
    }
}

/* The value of series @a name in @a s, or IPCG_CHART_NONE. */
static apr_uint64_t series_used(const ipcg_sample_t *s, const char *name)
{
    apr_uint32_t i;

    for (i = 0; i < s->n && i < IPCG_SERIES_MAX; i++) {
        if (strcmp(s->pt[i].name, name) == 0) {
            return s->pt[i].used;
        }
    }
    return IPCG_CHART_NONE;
}

static void chart_point(ipcg_report_t *r, apr_uint32_t j,
                        const ipcg_sample_t *s)
{
    ipcg_chart_t *c = &r->chart;
    apr_uint32_t f;
    int k, cl;

    c->t[j] = s->t;
    for (f = 0; f < r->forecast_rows && f < IPCG_SERIES_MAX; f++) {
        c->used[f][j] = series_used(s, r->forecast[f].name);
    }
    for (cl = 0; cl < IPCG_CLASS_COUNT; cl++) {
        c->cls[cl][j] = 0;
        for (k = 0; k < IPCG_KIND_COUNT; k++) {
            c->cls[cl][j] += s->count[k][cl];
        }
    }
}

void ipcg_report_chart(const ipcg_history_t *h, const ipcg_sample_t *now,
                       ipcg_report_t *r)
{
    const ipcg_sample_t *smp = (const ipcg_sample_t *)h->samples->elts;
    int first, last = h->samples->nelts, i, n;
    apr_uint32_t j;

    /* the stored samples of the window, older than now */
    while (last > 0 && smp[last - 1].t >= now->t) {
        last--;
    }
    first = last;
    while (first > 0 && smp[first - 1].t >= now->t - r->forecast_window) {
        first--;
    }
    n = last - first;
    r->chart.n = 0;
    for (j = 0; j + 1 < IPCG_CHART_POINTS && (int)j < n; j++) {
        /* evenly thinned, the newest stored sample kept */
        int want = IPCG_CHART_POINTS - 1;
        i = n <= want ? (int)j
            : (int)((apr_int64_t)j * (n - 1) / (want - 1));
        chart_point(r, j, &smp[first + i]);
    }
    chart_point(r, j, now);
    r->chart.n = j + 1;
}
