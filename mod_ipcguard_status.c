/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the handler of /ipc-status (the page, ?auto, ?json,
 * ?metrics) and the section and IPCGuard* lines in /server-status.
 */

#include "mod_ipcguard_private.h"

/* The IPCGuard* lines, gathered in one buffer: one write to the request
 * instead of one per line. */
typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len, cap;
} line_buf;

static void out_to_buffer(void *baton, const char *buf, apr_size_t len)
{
    line_buf *b = baton;

    if (b->len + len > b->cap) {
        apr_size_t cap = b->cap ? b->cap * 2 : 4096;
        char *nb;
        while (cap < b->len + len) {
            cap *= 2;
        }
        nb = apr_palloc(b->pool, cap);
        if (b->len) {
            memcpy(nb, b->buf, b->len);
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, buf, len);
    b->len += len;
}

#define UPTIME_KEY "IPCGuardUptime: "

/* The IPCGuard* lines of /server-status?auto, rendered once here from
 * the view just published (its report is the table's, counts of what did
 * not fit included) rather than on every request: the table keeps them
 * without their Uptime line, which the status hook puts back. */
void ipcgm_publish_auto(apr_pool_t *p, const ipcg_view_t *v)
{
    ipcg_out_t out;
    line_buf lb = { p, NULL, 0, 0 };
    apr_size_t at, end;
    char *u;

    out.write = out_to_buffer;
    out.baton = &lb;
    ipcg_render_auto(p, v, "IPCGuard", &out);
    out_to_buffer(&lb, "", 1);              /* a NUL to search up to */
    lb.len--;
    u = strstr(lb.buf, "\n" UPTIME_KEY);
    if (u) {
        at = (apr_size_t)(u + 1 - lb.buf);
        end = at;
        while (end < lb.len && lb.buf[end] != '\n') {
            end++;
        }
        end = end < lb.len ? end + 1 : end;
        memmove(lb.buf + at, lb.buf + end, lb.len - end);
        lb.len -= end - at;
    }
    else {
        /* no Uptime now: after the ServerPid line, where it would be */
        const char *sp = strstr(lb.buf, "IPCGuardServerPid: ");
        const char *nl = sp ? strchr(sp, '\n') : NULL;
        at = nl ? (apr_size_t)(nl + 1 - lb.buf) : 0;
    }
    ipcg_table_publish_auto(ipcgm.table, lb.buf, lb.len, at, v->rep.started);
}

static void out_to_request(void *baton, const char *buf, apr_size_t len)
{
    ap_rwrite(buf, (int)len, (request_rec *)baton);
}

/* The page: its headers here, its body from the core. */
static void render_html(request_rec *r, const ipcg_view_t *v, int refresh_s,
                        ipcg_out_t *out)
{
    ipcg_html_opts_t o;

    ap_set_content_type(r, "text/html; charset=utf-8");
    if (refresh_s > 0) {
        apr_table_setn(r->headers_out, "Refresh",
                       apr_psprintf(r->pool, "%d", refresh_s));
    }
    if (r->header_only) {
        return;
    }
    o.host = ap_get_server_name(r);
    o.via = r->connection->local_ip;
    o.signature = ap_psignature("<hr />\n", r);
    o.refresh = refresh_s;
    o.now = apr_time_sec(r->request_time);
    ipcg_render_html(r->pool, v, &o, out);
}

/* The generation's first full scan runs once the server serves: a request
 * that comes before it has ended waits for it, a while. 1 once it has. */
static int first_scan_done(request_rec *r)
{
    if (ipcg_table_wait_filled(ipcgm.table, IPCG_FIRST_SCAN_WAIT)
        != APR_EAGAIN) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ipcguard(403): the first scan since the start has not "
                  "finished within %d seconds; /ipc-status answers once it "
                  "has", (int)apr_time_sec(IPCG_FIRST_SCAN_WAIT));
    apr_table_setn(r->err_headers_out, "Retry-After", "1");
    return 0;
}

/* The first value of @a name in the query string, or NULL. */
static const char *query_arg(request_rec *r, const char *name, int *present)
{
    char *args, *tok, *last;
    apr_size_t n = strlen(name);

    *present = 0;
    if (r->args == NULL) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&;", &last); tok;
         tok = apr_strtok(NULL, "&;", &last)) {
        if (strncmp(tok, name, n) == 0 && (tok[n] == '\0' || tok[n] == '=')) {
            *present = 1;
            return tok[n] == '=' ? tok + n + 1 : "";
        }
    }
    return NULL;
}

int ipcgm_handler(request_rec *r)
{
    ipcg_view_t *v;
    ipcg_out_t out;
    apr_status_t rv;
    int is_auto, is_json, is_metrics, has_refresh;
    const char *refresh_s;
    ipcg_settings cf;

    if (strcmp(r->handler, IPCG_HANDLER) != 0) {
        return DECLINED;
    }
    ipcgm_settings_of(r->server, &cf);
    if (!cf.enabled) {
        return DECLINED;        /* IPCGuard Off: the module does nothing */
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (ipcgm.table == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ipcguard(401): no status table: the module is off "
                      "(IPCGuard Off) or could not start");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!first_scan_done(r)) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    /* the view is tens of kilobytes: from the request's pool, not the
     * stack of a worker thread (ThreadStackSize can be small) */
    v = apr_pcalloc(r->pool, sizeof(*v));
    rv = ipcg_table_read(ipcgm.table, r->pool, v);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "ipcguard(402): cannot read the status table");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    query_arg(r, "auto", &is_auto);
    query_arg(r, "json", &is_json);
    query_arg(r, "metrics", &is_metrics);
    refresh_s = query_arg(r, "refresh", &has_refresh);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    out.write = out_to_request;
    out.baton = r;
    if (is_json) {
        ap_set_content_type(r, "application/json");
        if (!r->header_only) {
            ipcg_render_json(r->pool, v, &out);
        }
    }
    else if (is_metrics) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only) {
            ipcg_render_metrics(r->pool, v, &out);
        }
    }
    else if (is_auto) {
        ap_set_content_type(r, "text/plain; charset=ISO-8859-1");
        if (!r->header_only) {
            ipcg_render_auto(r->pool, v, "", &out);
        }
    }
    else {
        int secs = 0;
        if (has_refresh) {
            apr_int64_t want = 1;
            /* as mod_status: anything but a number is one second */
            if (refresh_s && *refresh_s
                && ipcg_parse_i64(refresh_s, &want) != APR_SUCCESS) {
                want = 1;
            }
            secs = want < 1 ? 1 : want > 86400 ? 86400 : (int)want;
        }
        render_html(r, v, secs, &out);
    }
    return OK;
}

/* The section in /server-status and the IPCGuard* lines in its ?auto:
 * both print only the report's counters and summary, so only the report
 * is copied out of the table, never its lists. */
int ipcgm_status_hook(request_rec *r, int flags)
{
    ipcg_view_t *v;
    ipcg_out_t out;

    /* nothing to add until the first scan since the start has ended
     * (/server-status does not wait for it) */
    if (ipcgm.table == NULL || !ipcg_table_filled(ipcgm.table)) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        char *buf = apr_palloc(r->pool, IPCG_TABLE_AUTO_MAX);
        apr_size_t len, at;
        apr_int64_t started, now = apr_time_sec(apr_time_now());

        if (ipcg_table_read_auto(ipcgm.table, buf, IPCG_TABLE_AUTO_MAX, &len,
                                 &at, &started) == APR_SUCCESS) {
            ap_rwrite(buf, (int)at, r);
            if (started > 0 && now >= started) {
                ap_rprintf(r, UPTIME_KEY "%" APR_INT64_T_FMT "\n",
                           now - started);
            }
            ap_rwrite(buf + at, (int)(len - at), r);
            return OK;
        }
    }
    /* as in the handler: not on a worker thread's stack */
    v = apr_pcalloc(r->pool, sizeof(*v));
    if (ipcg_table_read_report(ipcgm.table, &v->rep) != APR_SUCCESS) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        /* nothing rendered yet: render the report here */
        out.write = out_to_request;
        out.baton = r;
        ipcg_render_auto(r->pool, v, "IPCGuard", &out);
        return OK;
    }
    {
        const ipcg_report_t *rep = &v->rep;
        apr_uint64_t inst = 0, foreign = 0;
        int k;
        for (k = 0; k < IPCG_KIND_COUNT; k++) {
            inst += rep->count[k][IPCG_CLASS_INSTANCE];
            foreign += rep->count[k][IPCG_CLASS_FOREIGN];
        }
        ap_rputs("<hr />\n<h2>IPC objects (mod_ipcguard)</h2>\n<dl>", r);
        ap_rprintf(r, "<dt>%" APR_UINT64_T_FMT " objects of this server, %"
                   APR_UINT64_T_FMT " of others</dt>\n", inst, foreign);
        if (rep->limits.semmni.present) {
            ap_rprintf(r, "<dt>Semaphore sets: %" APR_UINT64_T_FMT " of %"
                       APR_UINT64_T_FMT " (SEMMNI)</dt>\n",
                       rep->usage.count[IPCG_SYSV_SEM], rep->limits.semmni.v);
        }
        ap_rprintf(r, "<dt>Last startup cleanup: %s</dt>\n",
                   rep->cleanup.summary[0]
                       ? ap_escape_html(r->pool, rep->cleanup.summary)
                       : "no cleanup has run");
        ap_rputs("</dl>\n", r);
    }
    return OK;
}
