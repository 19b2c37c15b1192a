/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Configuration values: one parser per kind of value, no httpd needed. */

#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_limits.h"

static const char *const cleanup_names[] = {
    "off", "report", "registered", "orphans"
};

const char *ipcg_cleanup_name(ipcg_cleanup_e mode)
{
    return ((unsigned)mode <= IPCG_CLEANUP_ORPHANS) ? cleanup_names[mode]
                                                    : "unknown";
}

const char *ipcg_conf_cleanup(const char *arg, ipcg_cleanup_e *out)
{
    int i;

    for (i = 0; i <= IPCG_CLEANUP_ORPHANS; i++) {
        if (arg && strcasecmp(arg, cleanup_names[i]) == 0) {
            *out = (ipcg_cleanup_e)i;
            return NULL;
        }
    }
    return "must be one of off, report, registered, orphans";
}

static const char *bounded(const char *arg, apr_uint64_t lo, apr_uint64_t hi,
                           int *out, const char *msg)
{
    apr_uint64_t v;

    if (arg == NULL || ipcg_parse_u64(arg, &v) != APR_SUCCESS || v < lo
        || v > hi) {
        return msg;
    }
    *out = (int)v;
    return NULL;
}

const char *ipcg_conf_seconds(const char *arg, int *out)
{
    return bounded(arg, IPCG_MIN_SCAN_SECONDS, IPCG_MAX_SCAN_SECONDS, out,
                   "must be a whole number of seconds from 1 to 86400");
}

const char *ipcg_conf_percent(const char *arg, int *out)
{
    char buf[8];
    apr_size_t len;
    static const char *const msg = "must be a percentage from 1 to 100";

    if (arg == NULL || (len = strlen(arg)) == 0 || len >= sizeof(buf)) {
        return msg;
    }
    memcpy(buf, arg, len + 1);
    if (buf[len - 1] == '%') {
        buf[len - 1] = '\0';
    }
    return bounded(buf, 1, 100, out, msg);
}

const char *ipcg_conf_max_objects(const char *arg, int *out)
{
    return bounded(arg, IPCG_MIN_MAX_OBJECTS, IPCG_MAX_MAX_OBJECTS, out,
                   "must be a whole number from 16 to 1000000");
}

static int path_ok(const char *arg)
{
    const char *s;

    if (arg == NULL || arg[0] != '/' || strlen(arg) > 1024) {
        return 0;
    }
    for (s = arg; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return strstr(arg, "/../") == NULL
           && !(strlen(arg) >= 3 && strcmp(arg + strlen(arg) - 3, "/..") == 0);
}

const char *ipcg_conf_path_or_none(const char *arg, const char **out)
{
    if (arg && strcasecmp(arg, "none") == 0) {
        *out = "";
        return NULL;
    }
    if (!path_ok(arg)) {
        return "must be an absolute file path or 'none'";
    }
    *out = arg;
    return NULL;
}

const char *ipcg_conf_dir(const char *arg)
{
    if (!path_ok(arg) || (strlen(arg) > 1 && arg[strlen(arg) - 1] == '/')) {
        return "must be an absolute directory path without '..' or a "
               "trailing '/'";
    }
    return NULL;
}

const char *ipcg_conf_duration(apr_pool_t *p, const char *arg,
                               apr_int64_t lo, apr_int64_t hi,
                               ipcg_duration_off_e off, apr_int64_t *out)
{
    char buf[24];
    apr_size_t len;
    apr_uint64_t v, unit = 1;
    const char *msg = apr_psprintf(p, "must be a duration from %"
                                   APR_INT64_T_FMT "s to %" APR_INT64_T_FMT
                                   "d: digits with an optional unit s, m, h "
                                   "or d (90, 15m, 6h, 7d)%s", lo,
                                   hi / 86400,
                                   off == IPCG_DURATION_OR_OFF ? ", or off"
                                                               : "");

    if (arg == NULL || (len = strlen(arg)) == 0 || len >= sizeof(buf)) {
        return msg;
    }
    if (off == IPCG_DURATION_OR_OFF && strcasecmp(arg, "off") == 0) {
        *out = 0;
        return NULL;
    }
    memcpy(buf, arg, len + 1);
    switch (buf[len - 1]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: len++; break;      /* no unit: seconds */
    }
    buf[len - 1] = '\0';
    if (ipcg_parse_u64(buf, &v) != APR_SUCCESS || v > (apr_uint64_t)hi
        || v * unit < (apr_uint64_t)lo || v * unit > (apr_uint64_t)hi) {
        return msg;
    }
    *out = (apr_int64_t)(v * unit);
    return NULL;
}
