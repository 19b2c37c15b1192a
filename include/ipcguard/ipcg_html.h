/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_html.h
 * @brief The /ipc-status page and `ipcguardctl status --html`: the report
 * as one HTML document, written through the same ipcg_out_t as the other
 * formats, and the one HTML escaper every piece of text on it goes
 * through.
 */
#ifndef IPCG_HTML_H
#define IPCG_HTML_H

#include "ipcguard/ipcg_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the page shows besides the report. */
typedef struct {
    const char *host;       /**< the server's name (escaped here) */
    const char *via;        /**< the address it was asked at (escaped here);
                                 NULL: not shown */
    const char *signature;  /**< HTML the server made for the foot of its
                                 pages (httpd's ServerSignature, with its
                                 rule), written as it is; NULL: none */
    int refresh;            /**< seconds between reloads, 0: none */
    apr_int64_t now;        /**< the time the page is shown at, epoch s */
} ipcg_html_opts_t;

/** @a s for HTML text and quoted attributes: &, <, >, " and ' as
 * character references; valid UTF-8 as it is; control bytes and bytes
 * that are not UTF-8 shown as the text \xNN. Text that needs none of this
 * is returned as it is (@a s itself, not a copy). */
const char *ipcg_html_escape(apr_pool_t *p, const char *s);

/** The whole page. */
void ipcg_render_html(apr_pool_t *p, const ipcg_view_t *v,
                      const ipcg_html_opts_t *o, ipcg_out_t *out);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_HTML_H */
