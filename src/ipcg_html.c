/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The /ipc-status page (ipcg_html.h). */

#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ipcguard/ipcg_html.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"

#define outs ipcg_out_puts
#define outf ipcg_out_printf
#define esc ipcg_html_escape

static const char *const html_special[128] = {
    ['&'] = "&amp;", ['"'] = "&quot;", ['\''] = "&#39;", ['<'] = "&lt;",
    ['>'] = "&gt;",
};

/* HTML: the five markup bytes as references; control bytes and bytes that
 * are not UTF-8 visible, as their value. */
static const ipcg_escaping_t html_escaping = { html_special, "\\x%02x", 6 };

const char *ipcg_html_escape(apr_pool_t *p, const char *s)
{
    return ipcg_escape(p, s, &html_escaping);
}

#define local_time ipcg_local_time

static const char *obj_name(apr_pool_t *p, const ipcg_obj_t *o)
{
    if (o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM) {
        /* the name may be anything: escape markup and show control bytes
         * visibly */
        char buf[IPCG_NAME_MAX * 4];
        apr_size_t i, j = 0;
        for (i = 0; o->name[i] && j + 5 < sizeof(buf); i++) {
            unsigned char c = (unsigned char)o->name[i];
            if (c < 0x20 || c == 0x7f || c >= 0x80) {
                j += (apr_size_t)apr_snprintf(buf + j, sizeof(buf) - j,
                                              "\\x%02x", c);
            }
            else {
                buf[j++] = (char)c;
            }
        }
        /* esc() may return its argument: not this stack buffer */
        return esc(p, apr_pstrmemdup(p, buf, j));
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT, o->id);
}

/* "<time datetime=... title=...>3 min ago</time>": relative, the absolute
 * local time on hover. */
static const char *when(apr_pool_t *p, apr_int64_t t, apr_int64_t now)
{
    apr_time_exp_t tm;
    char iso[32];
    apr_size_t len = 0;

    if (t <= 0) {
        return "never";
    }
    if (apr_time_exp_gmt(&tm, apr_time_from_sec(t)) != APR_SUCCESS
        || apr_strftime(iso, &len, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm)
           != APR_SUCCESS) {
        iso[0] = '\0';
    }
    return apr_psprintf(p, "<time datetime=\"%s\" title=\"%s\">%s</time>",
                        iso, local_time(p, t), ipcg_ago_text(p, t, now));
}

static const char *const style =
    "body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1240px;"
    "padding:0 10px 20px;color:#1d2330;background:#f4f5f7}"
    "h1{font-size:1.35em;margin:14px 0 2px}h1 small{font-weight:400;"
    "color:#5a6270}h2{font-size:1.08em;margin:14px 0 8px}"
    ".sub,.quiet,figcaption,footer{color:#5a6270;font-size:.88em}"
    "section{background:#fff;border:1px solid #dde1e6;border-radius:8px;"
    "padding:2px 14px 12px;margin:10px 0}"
    ".verdict{border-left:6px solid #2e7d32}.verdict.warn{border-left-color:"
    "#d48806}.verdict.crit{border-left-color:#c62828}"
    ".verdict ul{padding:0;list-style:none}.verdict li{margin:8px 0;"
    "padding-left:20px;position:relative}.verdict li::before{content:'';"
    "position:absolute;left:2px;top:.4em;width:10px;height:10px;"
    "border-radius:50%;background:#8a94a3}li.warn::before{background:#d48806}"
    "li.crit::before{background:#c62828}.verdict li span{display:block;"
    "color:#4a5260;font-size:.92em}"
    ".meters,.charts{display:grid;gap:10px 18px;grid-template-columns:"
    "repeat(auto-fill,minmax(300px,1fr))}.charts{grid-template-columns:"
    "repeat(auto-fill,minmax(330px,1fr))}"
    ".mh{display:flex;gap:6px;align-items:baseline}.mh span{flex:1;"
    "min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}"
    ".mh em{font-style:normal;white-space:nowrap}"
    ".bar{position:relative;height:10px;background:#e4e7ec;border-radius:5px;"
    "overflow:hidden;margin-top:3px}.bar i{display:block;height:100%;"
    "background:#2e7d32}.warn .bar i{background:#d48806}.crit .bar i"
    "{background:#c62828}.bar b{position:absolute;top:0;bottom:0;"
    "border-left:2px solid #1d2330;opacity:.35}"
    "figure{margin:0}svg{width:100%;height:auto;display:block}"
    ".tw{overflow-x:auto}table{border-collapse:collapse;font-size:.87em}"
    "th,td{border-bottom:1px solid #e6e9ee;padding:3px 8px;text-align:left;"
    "white-space:nowrap}td.n{text-align:right}td.why{white-space:normal;"
    "min-width:12em;max-width:32em}"
    "em,td,.mh{font-variant-numeric:tabular-nums}summary{cursor:pointer}"
    "svg text{font-size:10px;fill:#5a6270}.ax{stroke:#9aa3af;fill:none}"
    "polyline{fill:none;stroke-width:2}.u{stroke:#1f6feb}circle.u{fill:"
    "#1f6feb}.lim{stroke:#c62828;stroke-dasharray:4 3}svg .limt{fill:"
    "#c62828}.fc{stroke:#d48806;stroke-width:2;stroke-dasharray:5 4}"
    "svg .fct{fill:#b26a00;font-weight:600}.ca{stroke:#d48806;color:#d48806;"
    "fill:#d48806}.cf{stroke:#8250df;color:#8250df;fill:#8250df}.ci{stroke:"
    "#2e7d32;color:#2e7d32;fill:#2e7d32}polyline.ca,polyline.cf,polyline.ci"
    "{fill:none}";

static void head(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v,
                 const ipcg_html_opts_t *o, ipcg_level_e level)
{
    const ipcg_report_t *rep = &v->rep;
    apr_uint64_t n[IPCG_CLASS_COUNT] = { 0, 0, 0 };
    int k, c;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            n[c] += rep->count[k][c];
        }
    }
    outs(out, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
         "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
         "content=\"width=device-width, initial-scale=1\">\n");
    if (o->refresh > 0) {
        outf(out, p, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
             o->refresh);
    }
    outf(out, p, "<title>IPC status of %s: %s</title>\n<style>",
         esc(p, o->host),
         level >= IPCG_LEVEL_WARN ? "needs attention" : "healthy");
    outs(out, style);
    outf(out, p, "</style>\n</head><body>\n<header><h1>IPC status <small>"
         "%s%s%s%s</small></h1>\n", esc(p, o->host), o->via ? " (via " : "",
         o->via ? esc(p, o->via) : "", o->via ? ")" : "");
    outf(out, p, "<p class=\"sub\">Objects: %s of this server, %s "
         "application-owned, %s of others%s &middot; httpd pid %"
         APR_INT64_T_FMT ", up %s, generation %" APR_UINT64_T_FMT
         " &middot; cleanup mode %s &middot; %s &middot; instance %s "
         "&middot; updated %s</p></header>\n",
         ipcg_grouped(p, n[IPCG_CLASS_INSTANCE]),
         ipcg_grouped(p, n[IPCG_CLASS_APPLICATION]),
         ipcg_grouped(p, n[IPCG_CLASS_FOREIGN]),
         rep->show_foreign ? "" : " (not listed: IPCGuardShowForeign Off)",
         rep->pid, rep->started > 0 && o->now >= rep->started
             ? ipcg_span_text(p, o->now - rep->started) : "unknown",
         rep->generation, ipcg_cleanup_name(rep->mode),
         rep->user_mode
             ? apr_psprintf(p, "<span title=\"not started as root: cleans "
                            "up only this user's objects\">Privilege: user "
                            "(uid %u)</span>", (unsigned)rep->run_uid)
             : "<span title=\"started as root, runs as the User\">"
               "Privilege: root</span>",
         esc(p, rep->instance), when(p, rep->updated, o->now));
}

/* Whether a finding of @a topic is among @a f. */
static int has_topic(const apr_array_header_t *f, const char *topic)
{
    int i;

    for (i = 0; i < f->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(f, i, ipcg_finding_t).topic, topic) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A healthy page's sentence claims only what no note below it says
 * otherwise (a note may name objects of a killed run found gone, or an
 * earlier run's loss to an outside removal). */
static const char *healthy_text(const apr_array_header_t *f)
{
    int kept = has_topic(f, "kept"), outside = has_topic(f, "outside");

    if (kept && outside) {
        return "No limit is close to full and nothing is forecast to fill "
               "one.";
    }
    if (kept) {
        return "No limit is close to full, nothing is forecast to fill one, "
               "nothing was removed from outside.";
    }
    if (outside) {
        return "No limit is close to full, nothing is forecast to fill one, "
               "nothing was kept after a crash.";
    }
    return "No limit is close to full, nothing is forecast to fill one, "
           "nothing was kept after a crash or removed from outside.";
}

static void verdict(apr_pool_t *p, ipcg_out_t *out,
                    const apr_array_header_t *f)
{
    ipcg_level_e level = ipcg_verdict_level(f);
    int i;

    outf(out, p, "<section id=\"verdict\" class=\"verdict %s\"><h2>%s</h2>\n",
         ipcg_level_name(level),
         level >= IPCG_LEVEL_WARN ? "Needs attention" : "Healthy");
    if (level < IPCG_LEVEL_WARN) {
        outf(out, p, "<p>%s</p>\n", healthy_text(f));
    }
    if (f->nelts) {
        outs(out, "<ul>\n");
    }
    for (i = 0; i < f->nelts; i++) {
        const ipcg_finding_t *x = &APR_ARRAY_IDX(f, i, ipcg_finding_t);
        outf(out, p, "<li class=\"%s\" data-topic=\"%s\"><b>%s</b> "
             "<span>%s</span></li>\n", ipcg_level_name(x->level), x->topic,
             esc(p, x->what), esc(p, x->todo));
    }
    outs(out, f->nelts ? "</ul></section>\n" : "</section>\n");
}

static void meter(apr_pool_t *p, ipcg_out_t *out, const ipcg_meter_t *m,
                  int warn)
{
    int width = m->percent < 0 ? 0 : m->percent > 100 ? 100 : m->percent;

    outf(out, p, "<div class=\"meter %s\" id=\"m-%s\"><div class=\"mh\">"
         "<b>%s</b> <span class=\"quiet\">%s</span> <em>%s</em></div>",
         ipcg_level_name(m->level), esc(p, m->series), esc(p, m->name),
         esc(p, m->what), esc(p, ipcg_meter_text(p, m)));
    if (m->percent >= 0) {
        outf(out, p, "<div class=\"bar\" title=\"%d%% used; warning at "
             "%d%%\"><i style=\"width:%d%%\"></i><b style=\"left:%d%%\">"
             "</b></div>", m->percent, warn, width, warn);
    }
    else {
        outs(out, "<div class=\"bar\" title=\"no limit to measure against\">"
             "</div>");
    }
    outs(out, "</div>\n");
}

static void meters(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep,
                   const apr_array_header_t *ms)
{
    const ipcg_limits_t *l = &rep->limits;
    int i;

    outs(out, "<section id=\"limits\"><h2>Limits</h2>\n<div class=\"meters\">"
         "\n");
    for (i = 0; i < ms->nelts; i++) {
        meter(p, out, &APR_ARRAY_IDX(ms, i, ipcg_meter_t), rep->warn_percent);
    }
    outs(out, "</div>\n<p class=\"quiet\">");
    if (l->semmsl.present) {
        outf(out, p, "SEMMSL %s semaphores a set &middot; ",
             ipcg_grouped(p, l->semmsl.v));
    }
    if (l->semopm.present) {
        outf(out, p, "SEMOPM %s operations a call &middot; ",
             ipcg_grouped(p, l->semopm.v));
    }
    if (l->shmmax.present) {
        outf(out, p, "SHMMAX %s a segment &middot; ",
             ipcg_is_unlimited(l->shmmax.v) ? "unlimited"
                 : ipcg_bytes_text(p, l->shmmax.v));
    }
    if (l->meminfo_shmem.present) {
        outf(out, p, "Shmem %s in the whole system &middot; ",
             ipcg_bytes_text(p, l->meminfo_shmem.v));
    }
    outf(out, p, "warning at %d%%</p></section>\n", rep->warn_percent);
}

/* ---- charts ---- */

/* The plot area of a chart, in the SVG's units. */
#define CW 360
#define CH 150
#define CL 56
#define CR 350
#define CT 12
#define CB 122

typedef struct {
    double x0, x1;      /* epoch seconds at CL and CR */
    double ymax;        /* the value at CT (0 at CB) */
} frame;

/* Whole units of the SVG: finer is invisible, and integers are cheap to
 * write. */
static int fx(const frame *f, double t)
{
    return CL + (int)((t - f->x0) / (f->x1 - f->x0) * (CR - CL) + 0.5);
}

static int fy(const frame *f, double v)
{
    int y = CB - (int)(v / f->ymax * (CB - CT) + 0.5);
    return y < CT - 4 ? CT - 4 : y;
}

/* 1, 2, 5 times a power of ten, at least @a v. */
static double nice_up(double v)
{
    double m = 1;

    while (m * 10 <= v) {
        m *= 10;
    }
    return v <= m ? m : v <= 2 * m ? 2 * m : v <= 5 * m ? 5 * m : 10 * m;
}

/* The time between two neighbours beyond which the line breaks (a
 * restart, or the server stopped): four times the middle spacing. */
static double gap_of(const ipcg_chart_t *c)
{
    apr_int64_t d[IPCG_CHART_POINTS];
    apr_uint32_t i, j, n = 0;

    for (i = 1; i < c->n; i++) {
        apr_int64_t x = c->t[i] - c->t[i - 1];
        for (j = n; j > 0 && d[j - 1] > x; j--) {
            d[j] = d[j - 1];
        }
        d[j] = x;
        n++;
    }
    return n ? 4.0 * (double)(d[n / 2] > 0 ? d[n / 2] : 1) : 1.0;
}

/* The line of @a y over the chart's times, broken where a value is
 * missing or a gap is too long; a dot for a point alone. */
static void line(apr_pool_t *p, ipcg_out_t *out, const ipcg_chart_t *c,
                 const apr_uint64_t *y, const frame *f, const char *cls)
{
    double gap = gap_of(c);
    apr_uint32_t i = 0, j, k;

    while (i < c->n) {
        if (y[i] == IPCG_CHART_NONE) {
            i++;
            continue;
        }
        for (j = i + 1; j < c->n && y[j] != IPCG_CHART_NONE
             && (double)(c->t[j] - c->t[j - 1]) <= gap; j++) {
        }
        if (j - i == 1) {
            outf(out, p, "<circle class=\"%s\" cx=\"%d\" cy=\"%d\" "
                 "r=\"3\"/>", cls, fx(f, (double)c->t[i]),
                 fy(f, (double)y[i]));
        }
        else {
            outf(out, p, "<polyline class=\"%s\" points=\"", cls);
            for (k = i; k < j; k++) {
                outf(out, p, "%s%d,%d", k > i ? " " : "",
                     fx(f, (double)c->t[k]), fy(f, (double)y[k]));
            }
            outs(out, "\"/>");
        }
        i = j;
    }
}

static void axes(apr_pool_t *p, ipcg_out_t *out, const char *top,
                 const char *left, const char *right)
{
    outf(out, p, "<path class=\"ax\" d=\"M%d %dV%dH%d\"/>"
         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>"
         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
         "<text x=\"%d\" y=\"%d\">%s</text>"
         "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
         CL, CT, CB, CR, CL - 4, CB + 3, CL - 4, CT + 7, top, CL,
         CH - 12, left, CR, CH - 12, right);
}

static const ipcg_meter_t *meter_of(const apr_array_header_t *ms,
                                    const char *series)
{
    int i;

    for (i = 0; i < ms->nelts; i++) {
        const ipcg_meter_t *m = &APR_ARRAY_IDX(ms, i, ipcg_meter_t);
        if (strcmp(m->series, series) == 0) {
            return m;
        }
    }
    return NULL;
}

static const char *value_text(apr_pool_t *p, const ipcg_meter_t *m,
                              apr_uint64_t v)
{
    return m ? ipcg_meter_value(p, m, v) : ipcg_grouped(p, v);
}

/* Whether forecast @a fc says full soon enough to draw it. */
static int forecast_soon(const ipcg_report_t *r, const ipcg_forecast_t *fc)
{
    apr_int64_t horizon = r->forecast_horizon > 0 ? r->forecast_horizon
                                                  : (apr_int64_t)7 * 86400;

    return fc->rate > 0 && fc->seconds_to_full > 0
           && fc->seconds_to_full <= horizon && fc->limit > 0
           && !ipcg_is_unlimited(fc->limit);
}

/* The frame of a chart: the window's samples, and the forecast after. */
static void frame_of(const ipcg_chart_t *c, apr_int64_t now, apr_int64_t ext,
                     frame *f)
{
    apr_int64_t t0 = c->n ? c->t[0] : now, tn = c->n ? c->t[c->n - 1] : now;

    if (tn - t0 < 60) {
        t0 = tn - 60;           /* one sample: a minute before it */
    }
    f->x0 = (double)t0;
    f->x1 = (double)tn;
    if (ext > 0) {
        apr_int64_t room = tn - t0 > 600 ? tn - t0 : 600;
        f->x1 += (double)(ext < room ? ext : room);
    }
}

/* The forecast from the last sample to full, cut at the frame's end. */
static void forecast_line(apr_pool_t *p, ipcg_out_t *out,
                          const ipcg_chart_t *c, const apr_uint64_t *y,
                          const ipcg_forecast_t *fc, const frame *f)
{
    double tn = (double)c->t[c->n - 1], u = (double)y[c->n - 1];
    double stf = (double)fc->seconds_to_full, limit = (double)fc->limit;
    double x1 = f->x1 < tn + stf ? f->x1 : tn + stf;
    double at = u + (limit - u) * (x1 - tn) / stf;

    outf(out, p, "<path class=\"fc\" d=\"M%d %dL%d %d\"/>"
         "<text class=\"fct\" x=\"%d\" y=\"%d\" text-anchor=\"end\">"
         "full in %s</text>", fx(f, tn), fy(f, u), fx(f, x1), fy(f, at),
         CR, fy(f, at) + 14 > CB - 2 ? CB - 2 : fy(f, at) + 14,
         ipcg_span_text(p, fc->seconds_to_full));
}

static void chart_usage(apr_pool_t *p, ipcg_out_t *out,
                        const ipcg_report_t *r, apr_uint32_t fi,
                        const apr_array_header_t *ms, apr_int64_t now)
{
    const ipcg_forecast_t *fc = &r->forecast[fi];
    const ipcg_chart_t *c = &r->chart;
    const apr_uint64_t *y = c->used[fi];
    const ipcg_meter_t *m = meter_of(ms, fc->name);
    int soon = forecast_soon(r, fc) && c->n > 0
               && y[c->n - 1] != IPCG_CHART_NONE;
    int finite = fc->limit > 0 && !ipcg_is_unlimited(fc->limit);
    apr_uint64_t top = 0;
    apr_uint32_t i;
    frame f;

    for (i = 0; i < c->n; i++) {
        if (y[i] != IPCG_CHART_NONE && y[i] > top) {
            top = y[i];
        }
    }
    frame_of(c, now, soon ? fc->seconds_to_full : 0, &f);
    f.ymax = finite && (top * 20 >= fc->limit || soon)
             ? (double)fc->limit * 1.08 : nice_up((double)top * 1.25 + 1);
    outf(out, p, "<figure class=\"chart\" id=\"c-%s\"><svg viewBox=\"0 0 %d"
         " %d\" role=\"img\" aria-label=\"%s over time\">",
         esc(p, fc->name), CW, CH, esc(p, ipcg_series_label(p, fc->name)));
    if (finite && (double)fc->limit <= f.ymax) {
        outf(out, p, "<path class=\"lim\" d=\"M%d %dH%d\"/><text "
             "class=\"limt\" x=\"%d\" y=\"%d\">limit %s</text>", CL,
             fy(&f, (double)fc->limit), CR, CL + 4,
             fy(&f, (double)fc->limit) - 3,
             esc(p, value_text(p, m, fc->limit)));
    }
    line(p, out, c, y, &f, "u");
    if (soon) {
        forecast_line(p, out, c, y, fc, &f);
    }
    axes(p, out, esc(p, value_text(p, m, (apr_uint64_t)f.ymax)),
         esc(p, apr_pstrcat(p, ipcg_span_text(p, now - (apr_int64_t)f.x0),
                            " ago", NULL)),
         soon ? esc(p, apr_pstrcat(p, "+", ipcg_span_text(
                    p, (apr_int64_t)f.x1 - now), NULL)) : "now");
    outf(out, p, "</svg><figcaption><b>%s</b>%s%s: %s</figcaption></figure>"
         "\n", esc(p, ipcg_series_label(p, fc->name)), m ? " " : "",
         m ? esc(p, m->what) : "", esc(p, ipcg_forecast_text(p, fc)));
}

static void chart_classes(apr_pool_t *p, ipcg_out_t *out,
                          const ipcg_report_t *r, apr_int64_t now)
{
    static const char *const cls[] = { "ci", "ca", "cf" };
    const ipcg_chart_t *c = &r->chart;
    apr_uint64_t top = 0;
    apr_uint32_t i;
    int k;
    frame f;

    for (k = 0; k < IPCG_CLASS_COUNT; k++) {
        for (i = 0; i < c->n; i++) {
            top = c->cls[k][i] > top ? c->cls[k][i] : top;
        }
    }
    frame_of(c, now, 0, &f);
    f.ymax = nice_up((double)top * 1.25 + 1);
    outf(out, p, "<figure class=\"chart\" id=\"c-classes\"><svg viewBox=\"0 "
         "0 %d %d\" role=\"img\" aria-label=\"objects by class over "
         "time\">", CW, CH);
    for (k = IPCG_CLASS_COUNT; k-- > 0;) {
        line(p, out, c, c->cls[k], &f, cls[k]);
    }
    axes(p, out, ipcg_grouped(p, (apr_uint64_t)f.ymax),
         apr_pstrcat(p, ipcg_span_text(p, now - (apr_int64_t)f.x0), " ago",
                     NULL), "now");
    outs(out, "</svg><figcaption><b>Objects by class</b>: <span class=\"ca\">"
         "&#9632; application</span> and <span class=\"cf\">&#9632; other "
         "programs'</span> (httpd does not clean them up), <span class=\"ci\">"
         "&#9632; this server's</span></figcaption></figure>\n");
}

static void charts(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *r,
                   const apr_array_header_t *ms, apr_int64_t now)
{
    apr_uint32_t i, idle = 0;

    outf(out, p, "<section id=\"charts\"><h2>Usage over the last %s</h2>\n",
         ipcg_span_text(p, r->forecast_window));
    if (r->forecast_rows == 0) {
        outs(out, "<p>No limit could be read.</p></section>\n");
        return;
    }
    outs(out, "<div class=\"charts\">\n");
    for (i = 0; i < r->forecast_rows; i++) {
        if (r->forecast[i].used > 0 || forecast_soon(r, &r->forecast[i])) {
            chart_usage(p, out, r, i, ms, now);
        }
        else {
            idle++;
        }
    }
    chart_classes(p, out, r, now);
    outs(out, "</div>\n");
    if (idle) {
        outf(out, p, "<details><summary>%u more limit%s, none in use"
             "</summary><div class=\"charts\">\n", idle, ipcg_plural(idle));
        for (i = 0; i < r->forecast_rows; i++) {
            if (!(r->forecast[i].used > 0
                  || forecast_soon(r, &r->forecast[i]))) {
                chart_usage(p, out, r, i, ms, now);
            }
        }
        outs(out, "</div></details>\n");
    }
    outf(out, p, "<p class=\"quiet\">%u sample%s; a break in a line is "
         "a stretch with no samples (the server stopped, or did not "
         "scan) or a sample without that figure; the dashed line is the "
         "forecast to full at the growth of what httpd does not clean "
         "up.</p></section>\n",
         r->chart.n, ipcg_plural(r->chart.n));
}

/* ---- tables ---- */

static const char *size_cell(apr_pool_t *p, const ipcg_obj_t *o)
{
    if (o->kind == IPCG_SYSV_SEM) {
        return apr_psprintf(p, "%s sem%s", ipcg_grouped(p, o->size),
                            ipcg_plural(o->size));
    }
    return apr_psprintf(p, "<span title=\"%s bytes\">%s</span>",
                        ipcg_grouped(p, o->size), ipcg_bytes_text(p, o->size));
}

/* A row of an object table: the object's kind and id or name, then
 * @a lead (a decision table's own cells, so that what was decided and
 * why stand next to the object, not past the edge of a narrow window),
 * then the rest of what the kernel says of it. */
static void obj_row(apr_pool_t *p, ipcg_out_t *out, const ipcg_obj_t *o,
                    apr_int64_t now, const char *lead)
{
    outf(out, p, "<tr><td>%s</td><td>%s</td>%s<td>0x%08x</td><td>%u</td>"
         "<td>%04o</td><td class=\"n\">%s</td><td class=\"n\">%"
         APR_UINT64_T_FMT "</td><td>%" APR_INT64_T_FMT "/%" APR_INT64_T_FMT
         "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
         ipcg_kind_name(o->kind), obj_name(p, o), lead ? lead : "",
         (unsigned)o->key, (unsigned)o->uid, (unsigned)o->mode,
         size_cell(p, o), o->nattch, o->cpid, o->lpid,
         when(p, o->ctime, now), ipcg_phase_name(o->phase),
         esc(p, o->module), ipcg_class_name(o->cls));
}

/* An object table's start: folded behind <details> with @a fold as its
 * summary unless that is NULL, then the head: the first two columns,
 * @a lead_heads (a decision table's own, or NULL), the rest, as obj_row's
 * cells. */
static void obj_table_open(ipcg_out_t *out, const char *fold,
                           const char *lead_heads)
{
    if (fold) {
        outs(out, "<details><summary>");
        outs(out, fold);
        outs(out, "</summary>\n");
    }
    outs(out, "<div class=\"tw\"><table><tr><th>kind</th><th>id / name</th>");
    if (lead_heads) {
        outs(out, lead_heads);
    }
    outs(out, "<th>key</th><th>owner</th><th>mode</th><th>size</th><th>"
         "nattch</th><th>cpid/lpid</th><th>created</th><th>phase</th><th>"
         "module</th><th>class</th></tr>\n");
}

/* The end of a table obj_table_open started, folded or not. */
static void obj_table_close(ipcg_out_t *out, int folded)
{
    outs(out, folded ? "</table></div></details>\n" : "</table></div>\n");
}

typedef struct {
    const char *module;
    ipcg_kind_e kind;
    ipcg_class_e cls;
    int count;
} mod_group;

static int cmp_group(const void *a, const void *b)
{
    const mod_group *x = a, *y = b;
    int c = y->count - x->count;

    if (c == 0) {
        c = strcmp(x->module, y->module);
    }
    if (c == 0) {
        c = strcmp(ipcg_kind_name(x->kind), ipcg_kind_name(y->kind));
    }
    return c ? c : strcmp(ipcg_class_name(x->cls), ipcg_class_name(y->cls));
}

/* The listed objects counted by module, kind and class, most first. */
static apr_array_header_t *by_module(apr_pool_t *p, const ipcg_view_t *v)
{
    apr_array_header_t *g = apr_array_make(p, 16, sizeof(mod_group));
    apr_hash_t *h = apr_hash_make(p);
    int i;

    for (i = 0; i < v->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(v->objs, i, ipcg_obj_t);
        const char *key = apr_psprintf(p, "%s\t%d\t%d", o->module,
                                       (int)o->kind, (int)o->cls);
        apr_uintptr_t at = (apr_uintptr_t)apr_hash_get(h, key,
                                                       APR_HASH_KEY_STRING);
        mod_group *m;
        if (at == 0) {
            m = apr_array_push(g);
            m->module = o->module;
            m->kind = o->kind;
            m->cls = o->cls;
            m->count = 0;
            /* the array may move: the hash holds the index, plus one */
            apr_hash_set(h, key, APR_HASH_KEY_STRING,
                         (void *)(apr_uintptr_t)g->nelts);
        }
        else {
            m = &APR_ARRAY_IDX(g, at - 1, mod_group);
        }
        m->count++;
    }
    if (g->nelts > 1) {
        qsort(g->elts, (size_t)g->nelts, sizeof(mod_group), cmp_group);
    }
    return g;
}

/* Object tables longer than this are folded behind <details>. */
#define LONG_TABLE 25

static void modules(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v,
                    apr_int64_t now)
{
    apr_array_header_t *g = by_module(p, v);
    int i, fold = v->objs->nelts > LONG_TABLE;

    outs(out, "<section id=\"modules\"><h2>Objects by module</h2>\n<div "
         "class=\"tw\"><table><tr><th>objects</th><th>module</th><th>kind"
         "</th><th>class</th></tr>\n");
    for (i = 0; i < g->nelts; i++) {
        const mod_group *m = &APR_ARRAY_IDX(g, i, mod_group);
        outf(out, p, "<tr><td class=\"n\">%d</td><td>%s</td><td>%s</td><td>"
             "%s</td></tr>\n", m->count, esc(p, m->module),
             ipcg_kind_name(m->kind), ipcg_class_name(m->cls));
    }
    outs(out, "</table></div>\n<h2>Objects</h2>\n");
    obj_table_open(out, fold ? apr_psprintf(p, "All %d objects",
                                            v->objs->nelts) : NULL, NULL);
    for (i = 0; i < v->objs->nelts; i++) {
        obj_row(p, out, &APR_ARRAY_IDX(v->objs, i, ipcg_obj_t), now, NULL);
    }
    obj_table_close(out, fold);
    outs(out, "</section>\n");
}

static void diagnoses(apr_pool_t *p, ipcg_out_t *out,
                      const apr_array_header_t *dups)
{
    int i;

    if (dups->nelts == 0) {
        return;
    }
    outs(out, "<section id=\"duplicates\"><h2>Shared memory held in copies"
         "</h2>\n");
    for (i = 0; i < dups->nelts; i++) {
        const ipcg_dup_t *d = &APR_ARRAY_IDX(dups, i, ipcg_dup_t);
        outf(out, p, "<p data-program=\"%s\">%s</p>\n", esc(p, d->program),
             esc(p, d->text));
    }
    outs(out, "</section>\n");
}

/* The counts by kind and class with their growth, for the kinds present. */
static void class_trends(apr_pool_t *p, ipcg_out_t *out,
                         const ipcg_report_t *rep)
{
    int k, c, head = 0;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        const ipcg_class_trend_t *t =
            &rep->class_trend[(apr_size_t)k * IPCG_CLASS_COUNT];
        if (t[0].count + t[1].count + t[2].count == 0
            && t[0].rate == 0 && t[1].rate == 0 && t[2].rate == 0) {
            continue;
        }
        if (!head) {
            outs(out, "<div class=\"tw\"><table><tr><th>kind</th>");
            for (c = 0; c < IPCG_CLASS_COUNT; c++) {
                outf(out, p, "<th>%s</th><th>growth a day</th>",
                     ipcg_class_name((ipcg_class_e)c));
            }
            outs(out, "</tr>\n");
            head = 1;
        }
        outf(out, p, "<tr><td>%s</td>", ipcg_kind_name((ipcg_kind_e)k));
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            outf(out, p, "<td>%" APR_UINT64_T_FMT "</td><td>%+.1f</td>",
                 t[c].count, t[c].rate * 86400.0);
        }
        outs(out, "</tr>\n");
    }
    if (head) {
        outs(out, "</table></div>\n");
    }
}

/* The trend of each limit and when it will be full at that rate. */
static void trends(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep)
{
    apr_uint32_t i;

    outf(out, p, "<section id=\"trends\"><h2>Trends and forecasts</h2>\n<p>"
         "Growth of what httpd does not clean up (other programs' objects, "
         "application objects, orphans) over the last %s; warning when a "
         "limit would be full within %s.</p>\n",
         ipcg_duration_text(p, rep->forecast_window),
         rep->forecast_horizon > 0
             ? ipcg_duration_text(p, rep->forecast_horizon)
             : "no horizon (IPCGuardForecastHorizon off)");
    class_trends(p, out, rep);
    if (rep->forecast_rows > 0) {
        outs(out, "<div class=\"tw\"><table><tr><th>limit</th><th>used</th>"
             "<th>of</th><th>not cleaned by httpd</th><th>growth a day</th>"
             "<th>samples</th><th>forecast</th></tr>\n");
    }
    for (i = 0; i < rep->forecast_rows; i++) {
        const ipcg_forecast_t *f = &rep->forecast[i];
        int soon = rep->forecast_horizon > 0 && f->rate > 0
                   && f->seconds_to_full >= 0
                   && f->seconds_to_full <= rep->forecast_horizon;
        outf(out, p, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">"
             "%s</td><td class=\"n\">%s</td><td class=\"n\">%+.1f</td><td>%u "
             "over %s</td><td>%s%s%s</td></tr>\n",
             esc(p, ipcg_series_label(p, f->name)), ipcg_grouped(p, f->used),
             ipcg_is_unlimited(f->limit) ? "unlimited"
                 : ipcg_grouped(p, f->limit),
             ipcg_grouped(p, f->uncleaned), f->rate * 86400.0, f->points,
             ipcg_duration_text(p, f->span), soon ? "<b>" : "",
             esc(p, ipcg_forecast_text(p, f)), soon ? "</b>" : "");
    }
    outs(out, rep->forecast_rows ? "</table></div></section>\n"
                                 : "</section>\n");
}

/* Objects removed from outside while the server ran. */
static void events(apr_pool_t *p, ipcg_out_t *out, const ipcg_report_t *rep,
                   apr_int64_t now)
{
    apr_uint32_t i;

    outf(out, p, "<section id=\"outside\"><h2>Removed from outside httpd</h2>"
         "\n<p>%s object%s of this server removed by something else since "
         "it started.", ipcg_grouped(p, rep->outside_removals_total),
         ipcg_plural(rep->outside_removals_total));
    if (rep->event_rows == 0) {
        outs(out, "</p></section>\n");
        return;
    }
    outf(out, p, " %s</p>\n<div class=\"tw\"><table><tr><th>found gone</th>"
         "<th>last seen</th><th>server pid</th><th>kind</th><th>id or name"
         "</th><th>module</th><th>phase</th></tr>\n",
         esc(p, ipcg_outside_causes));
    for (i = rep->event_rows; i-- > 0;) {
        const ipcg_event_t *e = &rep->events[i];
        outf(out, p, "<tr><td>%s</td><td>%s</td><td>%" APR_INT64_T_FMT
             "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
             when(p, e->found, now), when(p, e->last_seen, now),
             e->server_pid, ipcg_kind_name(e->kind),
             e->id >= 0 ? apr_psprintf(p, "%" APR_INT64_T_FMT, e->id)
                        : esc(p, e->name),
             esc(p, e->module), ipcg_phase_name(e->phase));
    }
    outs(out, "</table></div></section>\n");
}

static const char *bc_value(apr_pool_t *p, int unlimited, apr_uint64_t v)
{
    return unlimited || ipcg_is_unlimited(v) ? "unlimited"
                                             : ipcg_grouped(p, v);
}

static void beancounters(apr_pool_t *p, ipcg_out_t *out,
                         const ipcg_report_t *rep)
{
    apr_uint32_t b;

    if (!rep->bc_present) {
        return;
    }
    outs(out, "<section id=\"beancounters\"><h2>Beancounters</h2>\n<div "
         "class=\"tw\"><table><tr><th>resource</th><th>held</th><th>maxheld"
         "</th><th>barrier</th><th>limit</th><th>failcnt</th></tr>\n");
    for (b = 0; b < rep->bc_rows; b++) {
        const ipcg_bc_row_t *row = &rep->bc[b];
        outf(out, p, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">"
             "%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
             "class=\"n\">%s%s%s</td></tr>\n", esc(p, row->resource),
             ipcg_grouped(p, row->held), ipcg_grouped(p, row->maxheld),
             bc_value(p, row->barrier_unlimited, row->barrier),
             bc_value(p, row->limit_unlimited, row->limit),
             row->failcnt ? "<b>" : "", ipcg_grouped(p, row->failcnt),
             row->failcnt ? "</b>" : "");
    }
    outs(out, "</table></div></section>\n");
}

/* The decisions @a what of the cleanup (kept, removed) or the orphans,
 * each row with two more cells. */
static void decision_rows(apr_pool_t *p, ipcg_out_t *out,
                          const ipcg_view_t *v, ipcg_decision_e what,
                          apr_int64_t now)
{
    int i;

    for (i = 0; i < v->decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(v->decisions, i,
                                                  ipcg_decision_t);
        const char *first;
        if (d->what != what) {
            continue;
        }
        first = what == IPCG_DEC_ORPHAN ? (d->provable ? "yes" : "no")
                : what == IPCG_DEC_REMOVED ? "removed" : "kept";
        obj_row(p, out, &d->obj, now,
                apr_pstrcat(p, "<td>", first, "</td><td class=\"why\">",
                            esc(p, d->reason), "</td>", NULL));
    }
}

/* How many decisions of @a what the view lists. */
static apr_uint64_t listed_of(const ipcg_view_t *v, ipcg_decision_e what)
{
    apr_uint64_t n = 0;
    int i;

    for (i = 0; i < v->decisions->nelts; i++) {
        n += APR_ARRAY_IDX(v->decisions, i, ipcg_decision_t).what == what;
    }
    return n;
}

/* Under a list of decisions: that it holds @a listed of @a total, and
 * where the rest are (nothing when it holds every one). */
static void listed_note(apr_pool_t *p, ipcg_out_t *out, apr_uint64_t listed,
                        apr_uint64_t total, const char *what,
                        const char *rest)
{
    if (listed >= total) {
        return;
    }
    outf(out, p, "<p class=\"quiet\">Listed: %s of the %s %s; %s.</p>\n",
         ipcg_grouped(p, listed), ipcg_grouped(p, total), what, rest);
}

static void cleanup(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v,
                    apr_int64_t now)
{
    const ipcg_report_t *rep = &v->rep;

    outs(out, "<section id=\"cleanup\"><h2>Last startup cleanup</h2>\n");
    if (!rep->cleanup.ran && rep->cleanup.summary[0] == '\0') {
        outs(out, "<p>No cleanup has run.</p>\n");
    }
    else {
        outf(out, p, "<p>%s (%s; mode %s, %u removed, %u kept, in %s ms)"
             "</p>\n", esc(p, rep->cleanup.summary),
             when(p, rep->cleanup.at, now),
             ipcg_cleanup_name(rep->cleanup.mode),
             rep->cleanup.removed_count, rep->cleanup.kept_count,
             apr_psprintf(p, "%.1f", (double)rep->cleanup.duration_us / 1e3));
    }
    if (rep->cleanup.removed_count + rep->cleanup.kept_count > 0) {
        apr_uint64_t kept = listed_of(v, IPCG_DEC_KEPT);
        apr_uint64_t removed = listed_of(v, IPCG_DEC_REMOVED);
        const char *fold = kept + removed <= LONG_TABLE ? NULL
            : apr_psprintf(p, "All %s listed objects (%s kept, %s removed)",
                           ipcg_grouped(p, kept + removed),
                           ipcg_grouped(p, kept), ipcg_grouped(p, removed));

        obj_table_open(out, fold, "<th>decision</th><th>reason</th>");
        /* what was kept first: that is what may want a look */
        decision_rows(p, out, v, IPCG_DEC_KEPT, now);
        decision_rows(p, out, v, IPCG_DEC_REMOVED, now);
        obj_table_close(out, fold != NULL);
        listed_note(p, out, removed,
                    rep->cleanup.removed_count, "removed objects",
                    "the error log names each one (<code>ipcguard(017)</code>,"
                    " LogLevel info)");
        listed_note(p, out, kept,
                    rep->cleanup.kept_count, "kept objects",
                    "the error log names each one with its reason "
                    "(<code>ipcguard(016)</code>, <code>(018)</code>, "
                    "<code>(019)</code>, <code>(020)</code>, "
                    "<code>(026)</code>; LogLevel info)");
    }
    outf(out, p, "</section>\n<section id=\"orphans\"><h2>Orphan candidates"
         "</h2>\n<p>%s candidate%s, %s provably dead%s.</p>\n",
         ipcg_grouped(p, rep->orphans), ipcg_plural(rep->orphans),
         ipcg_grouped(p, rep->orphans_provable),
         rep->mode == IPCG_CLEANUP_ORPHANS ? ""
             : " (reported only: IPCGuardCleanup orphans removes them)");
    if (rep->orphans > 0) {
        apr_uint64_t listed = listed_of(v, IPCG_DEC_ORPHAN);
        const char *fold = listed <= LONG_TABLE ? NULL
            : apr_psprintf(p, "All %s listed candidates",
                           ipcg_grouped(p, listed));

        obj_table_open(out, fold, "<th>provable</th><th>reason</th>");
        decision_rows(p, out, v, IPCG_DEC_ORPHAN, now);
        obj_table_close(out, fold != NULL);
        listed_note(p, out, listed, rep->orphans,
                    "candidates", "the error log counts every one "
                    "(<code>ipcguard(032)</code>) and <code>ipcguardctl "
                    "list</code> prints every object");
    }
    outs(out, "</section>\n");
}

static const char *bytes_cell(apr_pool_t *p, apr_uint64_t v)
{
    return apr_psprintf(p, "<td class=\"n\" title=\"%s bytes\">%s</td>",
                        ipcg_grouped(p, v), ipcg_bytes_text(p, v));
}

static void processes(apr_pool_t *p, ipcg_out_t *out, const ipcg_view_t *v)
{
    const ipcg_report_t *rep = &v->rep;
    int i;

    outf(out, p, "<section id=\"processes\"><h2>Shared memory of this "
         "server's processes</h2>\n<p>%s processes; RssShmem %s; shared "
         "anonymous %s; SysV %s; /dev/shm %s (mapped).</p>\n<div class=\"tw\">"
         "<table><tr><th>pid</th><th>ppid</th><th>command</th><th>RssShmem"
         "</th><th>shared anonymous</th><th>SysV</th><th>/dev/shm</th></tr>\n",
         ipcg_grouped(p, rep->proc_count),
         ipcg_bytes_text(p, rep->proc_rss_shmem),
         ipcg_bytes_text(p, rep->proc_shared_anon),
         ipcg_bytes_text(p, rep->proc_shared_sysv),
         ipcg_bytes_text(p, rep->proc_shared_posix));
    for (i = 0; i < v->procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        outf(out, p, "<tr><td>%" APR_INT64_T_FMT "</td><td>%" APR_INT64_T_FMT
             "</td><td>%s</td>%s%s%s%s</tr>\n", pr->pid, pr->ppid,
             esc(p, pr->comm),
             pr->rss_shmem.present ? bytes_cell(p, pr->rss_shmem.v)
                                   : "<td class=\"n\">unknown</td>",
             bytes_cell(p, pr->shared_anon), bytes_cell(p, pr->shared_sysv),
             bytes_cell(p, pr->shared_posix));
    }
    outs(out, "</table></div></section>\n");
}

void ipcg_render_html(apr_pool_t *p, const ipcg_view_t *v,
                      const ipcg_html_opts_t *o, ipcg_out_t *out)
{
    apr_array_header_t *findings = ipcg_verdict(p, v);
    apr_array_header_t *ms = ipcg_meters(p, &v->rep);

    head(p, out, v, o, ipcg_verdict_level(findings));
    verdict(p, out, findings);
    meters(p, out, &v->rep, ms);
    charts(p, out, &v->rep, ms, o->now);
    diagnoses(p, out, ipcg_diagnose_dup(p, v));
    modules(p, out, v, o->now);
    cleanup(p, out, v, o->now);
    events(p, out, &v->rep, o->now);
    trends(p, out, &v->rep);
    beancounters(p, out, &v->rep);
    processes(p, out, v);
    outs(out, "<footer>");
    if (o->signature) {
        outs(out, o->signature);
    }
    outs(out, "</footer>\n</body></html>\n");
}
