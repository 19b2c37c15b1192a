/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_history.h
 * @brief What outlives one run of the server: the usage history behind
 * the forecasts, and the IPC objects that something outside httpd removed
 * while the server ran.
 *
 * The history is kept in memory by the parent and in a file of the state
 * directory, `<instance>.history` (docs/history-file.md), so that trends
 * span restarts and the next start can say why the last run ended.
 *
 * A sample holds the count of objects on the system by kind and class
 * and, for each limit, everything in use on the system and the part of it
 * that httpd does not clean up (objects of other programs, application
 * objects, unprovable orphans). The forecast's rate is the
 * Theil-Sen slope of that part (the median of the pairwise slopes, which
 * one odd sample moves little) over the window, or over the window's
 * newest quarter when that is steeper, so that a leak that began lately
 * is not averaged away by the quiet time before it. The time to full is
 * what remains of the limit at that rate.
 */
#ifndef IPCG_HISTORY_H
#define IPCG_HISTORY_H

#include "ipcguard/ipcg_obj.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPCG_HISTORY_VERSION 1
#define IPCG_SERIES_MAX 40          /**< limits in one sample */
#define IPCG_SERIES_NAME_MAX 32
#define IPCG_HISTORY_CAP 256        /**< samples kept (older ones thinned) */
#define IPCG_EVENTS_MAX 16          /**< outside removals kept */
#define IPCG_FORECAST_POINTS 96     /**< newest samples a rate rests on */
#define IPCG_FORECAST_MIN_POINTS 3

/** One limit in one sample. */
typedef struct {
    char name[IPCG_SERIES_NAME_MAX];  /**< "semmni", "bc:numshm", ... */
    apr_uint64_t used;        /**< everything on the system */
    apr_uint64_t uncleaned;   /**< the part httpd does not clean up */
    apr_uint64_t limit;       /**< the limit (never 0 in a sample) */
} ipcg_point_t;

typedef struct {
    apr_int64_t t;            /**< epoch seconds */
    /** objects on the system by kind and ownership class */
    apr_uint64_t count[IPCG_KIND_COUNT][IPCG_CLASS_COUNT];
    apr_uint32_t n;
    ipcg_point_t pt[IPCG_SERIES_MAX];
} ipcg_sample_t;

/** An object of the server that disappeared while the server that made
 * it was alive and had not removed it itself. */
typedef struct {
    apr_int64_t found;        /**< when it was found gone, epoch s */
    apr_int64_t last_seen;    /**< the last scan that saw it, epoch s */
    apr_int64_t server_pid;   /**< the httpd parent it belonged to */
    ipcg_kind_e kind;
    apr_int64_t id;
    apr_int32_t key;
    ipcg_phase_e phase;
    char module[IPCG_MODULE_MAX];
    char name[IPCG_NAME_MAX];
} ipcg_event_t;

typedef struct {
    char instance[17];
    apr_int64_t pid;          /**< the parent that wrote it last */
    apr_int64_t started;      /**< when that parent started */
    apr_int64_t exited;       /**< when it went through its exit, 0: not
                                   (still running, or killed) */
    apr_uint64_t outside_total;   /**< outside removals that parent saw */
    apr_array_header_t *samples;  /**< ipcg_sample_t, oldest first */
    apr_array_header_t *events;   /**< ipcg_event_t, oldest first */
} ipcg_history_t;

/** What the trend of one limit says. */
typedef struct {
    char name[IPCG_SERIES_NAME_MAX];
    apr_uint64_t used, uncleaned, limit;
    double rate;                  /**< uncleaned units per second */
    apr_int64_t seconds_to_full;  /**< 0: full; -1: not growing, or too
                                       few samples to tell */
    apr_uint32_t points;          /**< samples the rate rests on */
    apr_int64_t span;             /**< seconds those samples cover */
} ipcg_forecast_t;

/** The trend of the count of one kind and class of object. */
typedef struct {
    ipcg_kind_e kind;
    ipcg_class_e cls;
    apr_uint64_t count;           /**< now */
    double rate;                  /**< objects per second */
    apr_uint32_t points;          /**< samples the rate rests on (with now);
                                       below IPCG_FORECAST_MIN_POINTS the
                                       rate is 0 */
} ipcg_class_trend_t;

#define IPCG_CLASS_TRENDS (IPCG_KIND_COUNT * IPCG_CLASS_COUNT)

/** An empty history in @a p. */
void ipcg_history_init(apr_pool_t *p, ipcg_history_t *h);

/** The history file's path for @a instance in @a dir. */
const char *ipcg_history_path(apr_pool_t *p, const char *dir,
                              const char *instance);

/** Append @a s unless the last sample is less than @a min_spacing seconds
 * older (returns 0 then, 1 when stored). A full history keeps its newer
 * half and every other sample of the older half. */
int ipcg_history_add_sample(ipcg_history_t *h, const ipcg_sample_t *s,
                            apr_int64_t min_spacing);

/** Append @a ev, dropping the oldest beyond IPCG_EVENTS_MAX. */
void ipcg_history_add_event(ipcg_history_t *h, const ipcg_event_t *ev);

/** Add one limit to @a s (ignored when @a limit is 0 or @a s is full);
 * @a uncleaned is capped at @a used. */
void ipcg_sample_put(ipcg_sample_t *s, const char *name, apr_uint64_t used,
                     apr_uint64_t uncleaned, apr_uint64_t limit);

/** The file's text; and the strict parse of it (APR_EGENERAL with a
 * message naming the line on anything unexpected). */
char *ipcg_history_format(apr_pool_t *p, const ipcg_history_t *h,
                          apr_size_t *len);
apr_status_t ipcg_history_parse(apr_pool_t *p, const char *text,
                                apr_size_t len, ipcg_history_t *h,
                                const char **why);

/** Read and write the file with the state file's safeguards (owner, mode,
 * no symlink; atomic replace). A missing file is APR_ENOENT. A write is
 * synced, file and directory, when @a durable: trends should outlive a
 * reboot where the directory does. */
apr_status_t ipcg_history_read(apr_pool_t *p, const char *path,
                               apr_uint32_t owner_uid, ipcg_history_t *h,
                               const char **why);
apr_status_t ipcg_history_write(apr_pool_t *p, const char *path,
                                const ipcg_history_t *h, int durable,
                                const char **why);

/** A forecast for each limit of @a now (the current sample, which need not
 * be stored), from the samples of @a h no older than @a window seconds.
 * Returns how many were written to @a out (at most @a max). */
int ipcg_forecast_compute(const ipcg_history_t *h, const ipcg_sample_t *now,
                          apr_int64_t window, ipcg_forecast_t *out, int max);

/** The trend of each kind and class of object (IPCG_CLASS_TRENDS of
 * them, kinds in order, classes in order within each), from the samples
 * of @a h no older than @a window seconds and @a now, with the rate rule
 * of the forecasts. */
void ipcg_class_trends(const ipcg_history_t *h, const ipcg_sample_t *now,
                       apr_int64_t window,
                       ipcg_class_trend_t out[IPCG_CLASS_TRENDS]);

/** The Theil-Sen slope of the points (@a t, @a y): the median of the
 * slopes between every two points of distinct times; 0 with fewer than
 * two such points. */
double ipcg_theil_sen(const apr_int64_t *t, const double *y, int n);

/** "SEMMNI" for "semmni", "beancounter numshm" for "bc:numshm". */
const char *ipcg_series_label(apr_pool_t *p, const char *name);

/** One line for people: "SEMMNI: 31,900 of 32,000 used at +120 a day:
 * full in under a day". */
const char *ipcg_forecast_text(apr_pool_t *p, const ipcg_forecast_t *f);

/** "about 3 hours", "under a minute", ... for @a seconds (>= 0). */
const char *ipcg_duration_text(apr_pool_t *p, apr_int64_t seconds);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_HISTORY_H */
