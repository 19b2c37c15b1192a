/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_report.h
 * @brief Everything /ipc-status and `ipcguardctl status` show, as plain
 * data: the fixed part (ipcg_report_t, no pointers, so that it can live in
 * shared memory) and the lists (ipcg_view_t).
 */
#ifndef IPCG_REPORT_H
#define IPCG_REPORT_H

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_proc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPCG_MAX_BC_ROWS 32
#define IPCG_REASON_MAX 160
/** The most removed objects, and the most orphans, one cleanup pass lists
 * among its decisions (every kept object is listed; all are counted). */
#define IPCG_LISTED_MAX 256

/** What became of one object in a cleanup, or what an orphan is. */
typedef enum {
    IPCG_DEC_REMOVED = 0,   /**< removed by the startup cleanup */
    IPCG_DEC_KEPT,          /**< kept by the startup cleanup: see reason */
    IPCG_DEC_ORPHAN         /**< a candidate orphan of an unregistered run */
} ipcg_decision_e;

typedef struct {
    ipcg_decision_e what;
    int provable;           /**< orphans: every pid it names is dead */
    int code;               /**< the reason's ipcg_reason_e (ipcg_reap.h) */
    ipcg_obj_t obj;
    char reason[IPCG_REASON_MAX];   /**< its text (ipcg_verdict_text) */
} ipcg_decision_t;

/** How the last startup cleanup ended. */
typedef enum {
    IPCG_OUTCOME_OFF = 0,        /**< did not run (off, not root, ...) */
    IPCG_OUTCOME_NO_STATE,       /**< no state file: nothing to clean */
    IPCG_OUTCOME_DONE,           /**< the run was dead: objects decided */
    IPCG_OUTCOME_REFUSED,        /**< the state file was refused */
    IPCG_OUTCOME_ALIVE,          /**< the recorded run still runs */
    IPCG_OUTCOME_SURVIVORS,      /**< its processes survive: nothing removed */
    IPCG_OUTCOME_UNKNOWN         /**< could not tell: nothing removed */
} ipcg_outcome_e;

/** The last startup cleanup. */
typedef struct {
    int ran;                      /**< 0: no cleanup has run */
    ipcg_cleanup_e mode;
    apr_int64_t at;               /**< when it ran, epoch seconds */
    apr_int64_t duration_us;      /**< deciding and removing */
    apr_uint32_t removed_count, kept_count;
    apr_uint32_t removed_sem, removed_shm, removed_msg, removed_posix;
    apr_int64_t previous_pid;     /**< the run it cleaned up after, 0: none */
    apr_int64_t previous_start;   /**< that run's start, epoch seconds */
    apr_int64_t previous_written; /**< its state file's last write */
    char summary[256];            /**< the notice line, or why nothing ran */
    ipcg_outcome_e outcome;
    int unguarded_since;          /**< this server ran without the module
                                       after that run (a restart gave it
                                       the module): its own modules may
                                       have removed that run's named
                                       segments to make them afresh */
    int previous_stopped;         /**< that run stopped cleanly (its history
                                       says so): what it left were the
                                       objects its children made, kept in
                                       its state file at the stop */
} ipcg_cleanup_t;

#define IPCG_CHART_POINTS 64
#define IPCG_CHART_NONE (~(apr_uint64_t)0)  /**< no value at that time */

/** The history behind the page's charts: up to IPCG_CHART_POINTS times of
 * the forecast window, evenly thinned, the last one now. */
typedef struct {
    apr_uint32_t n;                         /**< points */
    apr_int64_t t[IPCG_CHART_POINTS];       /**< epoch seconds, ascending */
    /** what each limit of forecast[] had in use (its row's index), or
     * IPCG_CHART_NONE where the sample lacks it */
    apr_uint64_t used[IPCG_SERIES_MAX][IPCG_CHART_POINTS];
    /** objects on the system by class, every kind together */
    apr_uint64_t cls[IPCG_CLASS_COUNT][IPCG_CHART_POINTS];
} ipcg_chart_t;

typedef struct {
    /* the instance */
    char instance[17];
    apr_int64_t pid;
    apr_uint64_t starttime;
    apr_int64_t started;          /**< epoch seconds */
    apr_uint64_t generation;
    apr_uint32_t run_uid, run_gid;
    int user_mode;                /**< not started as root: runs as
                                       run_uid, cleans up only its objects */
    ipcg_cleanup_e mode;
    int show_foreign;
    int warn_percent;
    int scan_seconds;
    apr_int64_t updated;          /**< last time the parent published */
    /* the system */
    ipcg_limits_t limits;
    ipcg_usage_t usage;           /**< every object on the system */
    int bc_present;
    char bc_version[16];
    apr_uint32_t bc_rows;
    ipcg_bc_row_t bc[IPCG_MAX_BC_ROWS];
    /* counts over every object, listed or not */
    apr_uint64_t count[IPCG_KIND_COUNT][IPCG_CLASS_COUNT];
    apr_uint64_t objs_dropped;    /**< registry entries that did not fit */
    apr_uint64_t procs_dropped;
    /* the processes of the httpd tree */
    apr_uint64_t proc_count;
    apr_uint64_t proc_rss_shmem, proc_shared_anon, proc_shared_sysv,
                 proc_shared_posix;
    /* the last startup cleanup and the orphans */
    ipcg_cleanup_t cleanup;
    apr_uint64_t orphans, orphans_provable;
    /* counters since the parent started */
    apr_uint64_t scans_total;
    apr_uint64_t warnings_total;
    apr_uint64_t child_reaped_total;
    apr_uint64_t removed_total;
    /* trends: a forecast for each limit */
    apr_int64_t forecast_window;      /**< seconds of history a rate uses */
    apr_int64_t forecast_horizon;     /**< warn when full sooner; 0: off */
    apr_uint32_t forecast_rows;
    ipcg_forecast_t forecast[IPCG_SERIES_MAX];
    ipcg_class_trend_t class_trend[IPCG_CLASS_TRENDS];  /**< kind by class */
    /* objects removed from outside while the server ran */
    apr_uint64_t outside_removals_total;  /**< since the parent started */
    apr_uint32_t event_rows;
    ipcg_event_t events[IPCG_EVENTS_MAX]; /**< oldest first */
    ipcg_chart_t chart;                   /**< for the page's charts */
} ipcg_report_t;

/** A report with its lists. */
typedef struct {
    ipcg_report_t rep;
    apr_array_header_t *objs;       /**< ipcg_obj_t: instance, application
                                         and (when shown) foreign objects */
    apr_array_header_t *decisions;  /**< ipcg_decision_t */
    apr_array_header_t *procs;      /**< ipcg_proc_t, largest first */
} ipcg_view_t;

/** A sink for the renderers: the module writes to the request, the tool
 * to stdout. */
typedef struct {
    void (*write)(void *baton, const char *buf, apr_size_t len);
    void *baton;
} ipcg_out_t;

/** Write @a s to @a out. */
void ipcg_out_puts(ipcg_out_t *out, const char *s);

/** Write the printf-style @a fmt to @a out (formatted in @a p). */
void ipcg_out_printf(ipcg_out_t *out, apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** mod_status-style "Key: value" lines with stable CamelCase keys and
 * integers in base units; every key starts with @a prefix ("" for
 * /ipc-status?auto, "IPCGuard" for /server-status?auto). */
void ipcg_render_auto(apr_pool_t *p, const ipcg_view_t *v, const char *prefix,
                      ipcg_out_t *out);

/** ipcg_render_auto() as seen at @a now (epoch seconds): the uptime is
 * counted to it. */
void ipcg_render_auto_at(apr_pool_t *p, const ipcg_view_t *v,
                         const char *prefix, apr_int64_t now,
                         ipcg_out_t *out);

/** One JSON document (SPEC: instance, limits, totals, objects[], cleanup,
 * orphans[], processes[]). Strings are escaped for JSON; bytes that are
 * not UTF-8 become \\u00XX of their byte value. */
void ipcg_render_json(apr_pool_t *p, const ipcg_view_t *v, ipcg_out_t *out);

/** Prometheus text format 0.0.4, aggregated so that the number of series
 * is bounded whatever the number of objects. */
void ipcg_render_metrics(apr_pool_t *p, const ipcg_view_t *v,
                         ipcg_out_t *out);

/** Limits, system-wide usage of @a snap, and the beancounters of
 * @a bc_path ("" or NULL: none) into @a r. */
void ipcg_report_system(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *bc_path, const ipcg_snapshot_t *snap,
                        ipcg_report_t *r);

/** The limits and the beancounters of @a bc_path alone into @a r (what
 * ipcg_report_system does but the usage, which needs a scan). */
void ipcg_report_limits(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *bc_path, ipcg_report_t *r);

/** List @a reg (this instance's objects) in @a v and count every object of
 * @a snap by class: registered ones by their class, the rest as foreign
 * (listed too when @a show_foreign). */
void ipcg_report_objects(apr_pool_t *p, const apr_array_header_t *reg,
                         const ipcg_snapshot_t *snap, int show_foreign,
                         ipcg_view_t *v);

/** As ipcg_report_procs, reading each process's status and maps only
 * when @a memo (NULL: always) says they can have changed; the caller ends
 * the round with ipcg_proc_memo_round. */
void ipcg_report_procs_memo(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_int64_t root, ipcg_proc_memo_t *memo,
                            ipcg_view_t *v);

/** As ipcg_report_procs_memo for a tree already listed (ipcg_proc_tree's,
 * NULL: none): a caller that has just listed the server's processes does
 * not list every process of the host again. */
void ipcg_report_procs_tree(apr_pool_t *p, const ipcg_paths_t *paths,
                            const apr_array_header_t *tree,
                            ipcg_proc_memo_t *memo, ipcg_view_t *v);

/** A history sample of @a r at @a t: its counts by kind and class and,
 * for each limit, what is used and the part of it that is not the
 * instance objects of @a reg (what httpd cleans up), beancounters counted
 * whole. */
void ipcg_report_sample(const ipcg_report_t *r, const apr_array_header_t *reg,
                        apr_int64_t t, ipcg_sample_t *s);

/** The chart of @a r from the samples of @a h in the forecast window
 * before @a now, and @a now itself (call after the forecasts are made). */
void ipcg_report_chart(const ipcg_history_t *h, const ipcg_sample_t *now,
                       ipcg_report_t *r);

/** The process tree under @a root with each process's shared memory,
 * largest first, and the totals. */
void ipcg_report_procs(apr_pool_t *p, const ipcg_paths_t *paths,
                       apr_int64_t root, ipcg_view_t *v);

/** @a s as a JSON string literal, quotes included. */
const char *ipcg_json_str(apr_pool_t *p, const char *s);

/** Sort @a procs largest first (shared mapped + RssShmem). */
void ipcg_procs_sort(apr_array_header_t *procs);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_REPORT_H */
