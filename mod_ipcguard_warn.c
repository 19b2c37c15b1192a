/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the warnings in the error log: near a limit, a
 * beancounter's failures, a limit forecast to be full; each at most once
 * per ten minutes. What is said when is the core's policy
 * (src/ipcg_warn.c); this file says it in the error log.
 */

#include "mod_ipcguard_private.h"

/* What the warnings remember, carried with the parent's state. */
static ipcg_warn_memory_t memory(void)
{
    ipcg_warn_memory_t m;

    m.pool = ipcgm.g->pool;
    m.said = ipcgm.g->warned;
    m.failcnt = ipcgm.g->failcnt;
    return m;
}

/* Log @a msg at @a level unless the same @a resource was logged in the
 * last ten minutes. */
void ipcgm_log_once(server_rec *s, int level, int tag, const char *resource,
                    const char *msg)
{
    ipcg_warn_memory_t m = memory();

    if (!ipcg_warn_due(&m, resource, apr_time_now(), IPCG_WARN_INTERVAL)) {
        return;
    }
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
    ipcgm_warn_once_tag(s, IPCG_WARN_TAG_LIMIT, resource, msg);
}

/* Re-arm a warning once what it was about is back to normal. */
void ipcgm_warn_rearm(const char *resource)
{
    ipcg_warn_memory_t m = memory();

    ipcg_warn_clear(&m, resource);
}

/* Say or re-arm what the policy decided, in its order. */
static void apply(server_rec *s, const apr_array_header_t *warnings)
{
    int i;

    for (i = 0; i < warnings->nelts; i++) {
        const ipcg_warning_t *w = &APR_ARRAY_IDX(warnings, i,
                                                 ipcg_warning_t);
        if (w->what == IPCG_WARN_RAISE) {
            ipcgm_warn_once_tag(s, w->tag, w->resource, w->msg);
        }
        else {
            ipcgm_warn_rearm(w->resource);
        }
    }
}

/* The limits near their end, and beancounters whose allocations fail. */
void ipcgm_early_warnings(apr_pool_t *p, server_rec *s,
                          const ipcg_settings *cf, const ipcg_view_t *v)
{
    apr_array_header_t *w = apr_array_make(p, 16, sizeof(ipcg_warning_t));
    ipcg_warn_memory_t m = memory();

    ipcg_warn_limits(p, &m, cf->warn_percent, ipcgm.g->reg, v, w);
    apply(s, w);
}

/* The early warning on a forecast: full within the horizon. */
void ipcgm_forecast_warnings(apr_pool_t *p, server_rec *s,
                             const ipcg_settings *cf, const ipcg_view_t *v)
{
    apr_array_header_t *w = apr_array_make(p, 16, sizeof(ipcg_warning_t));

    ipcg_warn_forecasts(p, cf->forecast_horizon, &v->rep, w);
    apply(s, w);
}
