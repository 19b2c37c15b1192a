/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_log.h
 * @brief The core's logging: a callback the host installs.
 *
 * The module forwards to ap_log_error (so messages go to ErrorLog with the
 * server's LogLevel); the command-line tool prints to stderr; unit tests
 * capture or silence. Without a callback the core says nothing.
 */
#ifndef IPCG_LOG_H
#define IPCG_LOG_H

#include <apr.h>
#include <apr_errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Levels, numbered as syslog and httpd's APLOG_* are. */
typedef enum {
    IPCG_LOG_ERR = 3,
    IPCG_LOG_WARNING = 4,
    IPCG_LOG_NOTICE = 5,
    IPCG_LOG_INFO = 6,
    IPCG_LOG_DEBUG = 7
} ipcg_log_level_e;

typedef void ipcg_log_cb(void *baton, int level, apr_status_t rv,
                         const char *msg);

/** Install @a cb (NULL to silence). */
void ipcg_log_set(ipcg_log_cb *cb, void *baton);

/** Drop messages less important than @a max_level before they are even
 * formatted (default: keep all, the callback decides). */
void ipcg_log_set_level(int max_level);

/** Whether a message at @a level would be written at all. */
int ipcg_log_enabled(int level);

/** Log through the installed callback; @a tag is the message's stable
 * number (see docs/messages.md), printed as "ipcguard(NNN): ". */
void ipcg_log(int level, apr_status_t rv, int tag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif /* IPCG_LOG_H */
