/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_trends.h
 * @brief The trends part of a report, drawn from the usage history: the
 * forecasts, each class's trend, the chart and the outside removals. One
 * procedure for the module's parent and for ipcguardctl status.
 */
#ifndef IPCG_TRENDS_H
#define IPCG_TRENDS_H

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Fill the trends of @a r from the history @a h and the sample @a now
 * (made by ipcg_report_sample): the forecasts over @a window, @a horizon
 * for the warnings on them, the classes' trends, the chart, the outside
 * removals @a h keeps (oldest first, at most IPCG_EVENTS_MAX) and
 * @a outside_total, the count since the server started. */
void ipcg_report_trends(const ipcg_history_t *h, const ipcg_sample_t *now,
                        apr_int64_t window, apr_int64_t horizon,
                        apr_uint64_t outside_total, ipcg_report_t *r);

#ifdef __cplusplus
}
#endif

#endif /* IPCG_TRENDS_H */
