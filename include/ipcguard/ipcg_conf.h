/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_conf.h
 * @brief Parsing and checking of configuration values, shared by the
 * module's directives and ipcguardctl's options.
 *
 * Each parser returns NULL on success or a message saying what is
 * accepted; the caller prefixes the directive or option name.
 */
#ifndef IPCG_CONF_H
#define IPCG_CONF_H

#include <apr.h>
#include <apr_pools.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    IPCG_CLEANUP_OFF = 0,     /**< neither look nor remove */
    IPCG_CLEANUP_REPORT,      /**< decide and report, remove nothing */
    IPCG_CLEANUP_REGISTERED,  /**< remove the dead run's registered objects */
    IPCG_CLEANUP_ORPHANS      /**< also proven orphans of unregistered runs */
} ipcg_cleanup_e;

#define IPCG_DEFAULT_CLEANUP      IPCG_CLEANUP_REGISTERED
#define IPCG_DEFAULT_STATE_DIR    "/run/ipcguard"
/** The state directory of a server not started as root, under httpd's
 * DefaultRuntimeDir. */
#define IPCG_USER_STATE_SUBDIR    "ipcguard"
#define IPCG_DEFAULT_SCAN_SECONDS 10
#define IPCG_DEFAULT_WARN_PERCENT 80
#define IPCG_DEFAULT_MAX_OBJECTS  2048
#define IPCG_DEFAULT_BEANCOUNTERS "/proc/user_beancounters"

#define IPCG_MIN_SCAN_SECONDS 1
#define IPCG_MAX_SCAN_SECONDS 86400
#define IPCG_DEFAULT_FORECAST_WINDOW  (APR_INT64_C(6) * 3600)
#define IPCG_DEFAULT_FORECAST_HORIZON (APR_INT64_C(7) * 86400)
#define IPCG_MIN_FORECAST_WINDOW  10
#define IPCG_MAX_FORECAST_WINDOW  (APR_INT64_C(30) * 86400)
#define IPCG_MAX_FORECAST_HORIZON (APR_INT64_C(365) * 86400)

#define IPCG_MIN_MAX_OBJECTS  16
#define IPCG_MAX_MAX_OBJECTS  1000000

const char *ipcg_conf_cleanup(const char *arg, ipcg_cleanup_e *out);
const char *ipcg_cleanup_name(ipcg_cleanup_e mode);
/** Seconds, IPCG_MIN_SCAN_SECONDS..IPCG_MAX_SCAN_SECONDS, plain digits. */
const char *ipcg_conf_seconds(const char *arg, int *out);
/** A percentage 1..100, "80" or "80%". */
const char *ipcg_conf_percent(const char *arg, int *out);
/** IPCG_MIN_MAX_OBJECTS..IPCG_MAX_MAX_OBJECTS. */
const char *ipcg_conf_max_objects(const char *arg, int *out);
/** An absolute path, or "none" (returned as ""). */
const char *ipcg_conf_path_or_none(const char *arg, const char **out);
/** An absolute path without "..", control characters or a trailing '/'. */
const char *ipcg_conf_dir(const char *arg);
/** Whether a duration directive takes "off". */
typedef enum {
    IPCG_DURATION_ONLY = 0,     /**< a duration, nothing else */
    IPCG_DURATION_OR_OFF        /**< or "off", which gives 0 */
} ipcg_duration_off_e;

/** A duration: digits with an optional unit s, m, h or d ("90", "15m",
 * "6h", "7d"), from @a lo to @a hi seconds, or "off" as @a off says. */
const char *ipcg_conf_duration(apr_pool_t *p, const char *arg,
                               apr_int64_t lo, apr_int64_t hi,
                               ipcg_duration_off_e off, apr_int64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_CONF_H */
