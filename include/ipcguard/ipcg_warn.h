/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_warn.h
 * @brief The warning policy: which limits are over the threshold (and
 * which are back under it), which beancounters' failure counts grew,
 * which limits are forecast to be full within the horizon, and how often
 * the same warning may be said again. Decisions with their text; the
 * caller logs them. The clock is the caller's (@a now), so that the
 * policy is tested without waiting.
 */
#ifndef IPCG_WARN_H
#define IPCG_WARN_H

#include <apr_hash.h>

#include "ipcguard/ipcg_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The tags of the warnings' log lines, "ipcguard(NNN)". */
#define IPCG_WARN_TAG_LIMIT 201     /**< a limit, a failcnt, the table */
#define IPCG_WARN_TAG_FORECAST 202  /**< a limit forecast to be full */

/** What to do about a resource. */
typedef enum {
    IPCG_WARN_RAISE,        /**< say msg (unless said lately) */
    IPCG_WARN_CLEAR         /**< back under: the next one may be said */
} ipcg_warn_what_e;

typedef struct {
    ipcg_warn_what_e what;
    int tag;                /**< IPCG_WARN_TAG_*; RAISE only */
    const char *resource;   /**< what the warning is about, its key */
    const char *msg;        /**< RAISE only */
} ipcg_warning_t;

/** What the warnings remember between passes; its tables and what they
 * hold live in @a pool (the caller's, as long as the warnings go on). */
typedef struct {
    apr_pool_t *pool;
    apr_hash_t *said;       /**< resource -> apr_time_t, when last said */
    apr_hash_t *failcnt;    /**< beancounter resource -> apr_uint64_t */
} ipcg_warn_memory_t;

/** Whether the warning about @a resource may be said at @a now: not said
 * within @a interval before. When so, @a now is remembered for it. */
int ipcg_warn_due(const ipcg_warn_memory_t *m, const char *resource,
                  apr_time_t now, apr_time_t interval);

/** The warning about @a resource may be said again at once. */
void ipcg_warn_clear(const ipcg_warn_memory_t *m, const char *resource);

/** The warnings on the limits of @a v at @a percent of each: every
 * SysV limit, /dev/shm and the beancounters present are raised or
 * cleared, a beancounter whose failcnt grew since the last call raised;
 * each warning names who holds most (the modules of @a reg, the
 * processes of @a v, processes that hold copies of a mapping). Appended
 * to @a out (ipcg_warning_t), in that order. */
void ipcg_warn_limits(apr_pool_t *p, const ipcg_warn_memory_t *m,
                      int percent, const apr_array_header_t *reg,
                      const ipcg_view_t *v, apr_array_header_t *out);

/** The warnings on the forecasts of @a r: raised for each limit forecast
 * to be full within @a horizon seconds (0: off), cleared for the
 * others. Appended to @a out (ipcg_warning_t). */
void ipcg_warn_forecasts(apr_pool_t *p, apr_int64_t horizon,
                         const ipcg_report_t *r, apr_array_header_t *out);

#ifdef __cplusplus
}
#endif

#endif /* IPCG_WARN_H */
