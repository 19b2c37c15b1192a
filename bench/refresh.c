/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/*
 * refresh: what one scan of the parent costs with the objects that exist
 * (made beforehand, in a private IPC namespace, by mkstale): read the
 * kernel's tables, reconcile a registry that holds all of them, build the
 * report, take a sample and compute every forecast and class trend from a
 * full history.
 * Prints milliseconds per scan, per part, over ROUNDS rounds.
 *
 *   refresh ROUNDS
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_time.h>

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_report.h"

int main(int argc, char **argv)
{
    apr_pool_t *root, *p;
    ipcg_paths_t paths;
    ipcg_snapshot_t snap;
    ipcg_history_t h;
    ipcg_view_t *v;
    ipcg_sample_t *smp;
    apr_array_header_t *reg;
    apr_time_t t_scan = 0, t_reg = 0, t_rep = 0, t_fc = 0, t0;
    int rounds = argc > 1 ? atoi(argv[1]) : 50, i, k, nobj;

    if (rounds <= 0) {
        fprintf(stderr, "usage: refresh ROUNDS\n");
        return 2;
    }
    apr_initialize();
    apr_pool_create(&root, NULL);
    ipcg_paths_default(&paths);
    v = apr_pcalloc(root, sizeof(*v));
    smp = apr_pcalloc(root, sizeof(*smp));

    /* every object is this instance's: the registry at its largest */
    ipcg_snapshot_init(root, &snap);
    ipcg_scan_all(root, &paths, &snap);
    reg = apr_array_copy(root, snap.objs);
    for (k = 0; k < reg->nelts; k++) {
        APR_ARRAY_IDX(reg, k, ipcg_obj_t).cls = IPCG_CLASS_INSTANCE;
    }
    nobj = reg->nelts;

    /* a full history: a slow leak over IPCG_HISTORY_CAP samples */
    ipcg_history_init(root, &h);
    v->objs = apr_array_make(root, 16, sizeof(ipcg_obj_t));
    ipcg_report_system(root, &paths, "", &snap, &v->rep);
    for (k = 0; k < IPCG_HISTORY_CAP; k++) {
        ipcg_report_sample(&v->rep, reg, 1000000 + k * 60, smp);
        smp->pt[0].uncleaned += (apr_uint64_t)k;
        smp->count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] += (apr_uint64_t)k;
        ipcg_history_add_sample(&h, smp, 1);
    }

    for (i = 0; i < rounds; i++) {
        apr_pool_create(&p, root);
        t0 = apr_time_now();
        ipcg_snapshot_init(p, &snap);
        ipcg_scan_all(p, &paths, &snap);
        t_scan += apr_time_now() - t0;

        t0 = apr_time_now();
        ipcg_registry_reconcile(p, reg, &snap);
        t_reg += apr_time_now() - t0;

        t0 = apr_time_now();
        memset(v, 0, sizeof(*v));
        v->objs = apr_array_make(p, reg->nelts + 8, sizeof(ipcg_obj_t));
        v->decisions = apr_array_make(p, 1, sizeof(ipcg_decision_t));
        v->procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
        ipcg_report_system(p, &paths, "", &snap, &v->rep);
        ipcg_report_objects(p, reg, &snap, 0, v);
        t_rep += apr_time_now() - t0;

        t0 = apr_time_now();
        ipcg_report_sample(&v->rep, reg, 1000000 + IPCG_HISTORY_CAP * 60, smp);
        v->rep.forecast_rows = (apr_uint32_t)ipcg_forecast_compute(
            &h, smp, 86400 * 30, v->rep.forecast, IPCG_SERIES_MAX);
        ipcg_class_trends(&h, smp, 86400 * 30, v->rep.class_trend);
        t_fc += apr_time_now() - t0;
        apr_pool_destroy(p);
    }
    printf("objects %d, registry %d, limits %u, rounds %d: scan %.3f ms, "
           "reconcile %.3f ms, report %.3f ms, forecasts %.3f ms, "
           "total %.3f ms per scan\n", nobj, reg->nelts, smp->n, rounds,
           (double)t_scan / rounds / 1000, (double)t_reg / rounds / 1000,
           (double)t_rep / rounds / 1000, (double)t_fc / rounds / 1000,
           (double)(t_scan + t_reg + t_rep + t_fc) / rounds / 1000);
    return 0;
}
