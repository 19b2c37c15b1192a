/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The core's log: formatted here, written by whatever the host installed. */

#include <stdarg.h>
#include <stdio.h>

#include "ipcguard/ipcg_log.h"

static ipcg_log_cb *log_cb;
static void *log_baton;
static int log_max = IPCG_LOG_DEBUG;

void ipcg_log_set_level(int max_level)
{
    log_max = max_level;
}

void ipcg_log_set(ipcg_log_cb *cb, void *baton)
{
    log_cb = cb;
    log_baton = baton;
}

int ipcg_log_enabled(int level)
{
    return log_cb != NULL && level <= log_max;
}

void ipcg_log(int level, apr_status_t rv, int tag, const char *fmt, ...)
{
    char buf[2048];
    int n;
    va_list ap;

    /* not even formatted unless someone will read it */
    if (log_cb == NULL || level > log_max) {
        return;
    }
    n = snprintf(buf, sizeof(buf), "ipcguard(%03d): ", tag);
    if (n < 0 || (apr_size_t)n >= sizeof(buf)) {
        return;
    }
    va_start(ap, fmt);
    /* clang-analyzer 14 misses the va_start just above */
    vsnprintf(buf + n, sizeof(buf) - (apr_size_t)n, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
    va_end(ap);
    log_cb(log_baton, level, rv, buf);
}
