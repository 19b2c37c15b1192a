/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The trends part of a report, from the usage history. */

#include "ipcguard/ipcg_trends.h"

void ipcg_report_trends(const ipcg_history_t *h, const ipcg_sample_t *now,
                        apr_int64_t window, apr_int64_t horizon,
                        apr_uint64_t outside_total, ipcg_report_t *r)
{
    int i;

    r->forecast_window = window;
    r->forecast_horizon = horizon;
    r->forecast_rows = (apr_uint32_t)ipcg_forecast_compute(
        h, now, window, r->forecast, IPCG_SERIES_MAX);
    ipcg_class_trends(h, now, window, r->class_trend);
    ipcg_report_chart(h, now, r);
    r->outside_removals_total = outside_total;
    r->event_rows = 0;
    for (i = 0; i < h->events->nelts && i < IPCG_EVENTS_MAX; i++) {
        r->events[r->event_rows++] = APR_ARRAY_IDX(h->events, i,
                                                   ipcg_event_t);
    }
}
