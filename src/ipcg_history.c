/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The usage history, the forecasts drawn from it, and the record of
 * outside removals; the file format is in docs/history-file.md. */

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_state.h"

void ipcg_history_init(apr_pool_t *p, ipcg_history_t *h)
{
    memset(h, 0, sizeof(*h));
    /* room for one sample (2.4 KB) until there is a second: a start makes
     * three of these, and room for more, zeroed, was a page fault every
     * 4 KB on the way to serving */
    h->samples = apr_array_make(p, 1, sizeof(ipcg_sample_t));
    h->events = apr_array_make(p, 4, sizeof(ipcg_event_t));
}

/* Room for one more sample: the first time the one place is full, room
 * for all IPCG_HISTORY_CAP at once, not zeroed (each place is written
 * whole as it is pushed), so that the long-lived pool keeps no trail of
 * doubled copies. */
static ipcg_sample_t *sample_push(ipcg_history_t *h)
{
    apr_array_header_t *a = h->samples;

    if (a->nelts == a->nalloc && a->nalloc < IPCG_HISTORY_CAP) {
        ipcg_array_reserve(a, IPCG_HISTORY_CAP - a->nelts);
    }
    return (ipcg_sample_t *)apr_array_push(a);
}

const char *ipcg_history_path(apr_pool_t *p, const char *dir,
                              const char *instance)
{
    return apr_pstrcat(p, dir, "/", instance, ".history", NULL);
}

int ipcg_history_add_sample(ipcg_history_t *h, const ipcg_sample_t *s,
                            apr_int64_t min_spacing)
{
    ipcg_sample_t *all = (ipcg_sample_t *)h->samples->elts;
    int n = h->samples->nelts;

    if (n > 0 && s->t - all[n - 1].t < min_spacing) {
        return 0;
    }
    if (n >= IPCG_HISTORY_CAP) {
        /* thin the older half: the recent past keeps its resolution,
         * the span keeps growing */
        int half = n / 2, i, kept = 0;
        for (i = 0; i < half; i += 2) {
            all[kept++] = all[i];
        }
        for (i = half; i < n; i++) {
            all[kept++] = all[i];
        }
        h->samples->nelts = kept;
    }
    *sample_push(h) = *s;
    return 1;
}

void ipcg_history_add_event(ipcg_history_t *h, const ipcg_event_t *ev)
{
    if (h->events->nelts >= IPCG_EVENTS_MAX) {
        memmove(h->events->elts, h->events->elts + sizeof(ipcg_event_t),
                sizeof(ipcg_event_t) * (apr_size_t)(h->events->nelts - 1));
        h->events->nelts--;
    }
    *(ipcg_event_t *)apr_array_push(h->events) = *ev;
}

static int series_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
           || c == ':' || c == '.';
}

static int series_name_ok(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++, n++) {
        if (!series_char(*s)) {
            return 0;
        }
    }
    return n > 0 && n < IPCG_SERIES_NAME_MAX;
}

void ipcg_sample_put(ipcg_sample_t *s, const char *name, apr_uint64_t used,
                     apr_uint64_t uncleaned, apr_uint64_t limit)
{
    ipcg_point_t *pt;

    if (limit == 0 || s->n >= IPCG_SERIES_MAX || !series_name_ok(name)) {
        return;
    }
    pt = &s->pt[s->n++];
    ipcg_strlcpy(pt->name, name, sizeof(pt->name));
    pt->used = used;
    pt->uncleaned = uncleaned < used ? uncleaned : used;
    pt->limit = limit;
}

/* ------------------------------------------------------------------ */
/* The file                                                             */

static int plain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

/* Bytes other than [A-Za-z0-9._] as %XX; the empty string as "-". */
static const char *enc(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);
    char *out;

    if (n == 0) {
        return "-";
    }
    out = apr_palloc(p, n * 3 + 1);
    ipcg_pct_encode(out, s, n, plain_char);
    return out;
}

/* The inverse of enc(), refusing anything enc() would not write. */
static int dec(const char *s, char *out, apr_size_t cap)
{
    const char *at;

    if (strcmp(s, "-") == 0) {
        out[0] = '\0';
        return 1;
    }
    return ipcg_pct_decode(s, out, cap, plain_char, &at) == IPCG_PCT_OK
           && out[0] != '\0';
}

char *ipcg_history_format(apr_pool_t *p, const ipcg_history_t *h,
                          apr_size_t *len)
{
    apr_array_header_t *parts = apr_array_make(p, 16, sizeof(const char *));
    int i, lines = 6;
    apr_uint32_t k;
    char *text;

#define PART(x) (*(const char **)apr_array_push(parts) = (x))
    PART(apr_psprintf(p, "ipcguard-history %d\ninstance %s\npid %"
                      APR_INT64_T_FMT "\nstarted %" APR_INT64_T_FMT
                      "\nexited %" APR_INT64_T_FMT "\noutside_total %"
                      APR_UINT64_T_FMT "\n", IPCG_HISTORY_VERSION,
                      h->instance, h->pid, h->started, h->exited,
                      h->outside_total));
    for (i = 0; i < h->samples->nelts; i++) {
        const ipcg_sample_t *s = &APR_ARRAY_IDX(h->samples, i, ipcg_sample_t);
        PART(apr_psprintf(p, "sample %" APR_INT64_T_FMT, s->t));
        for (k = 0; k < IPCG_KIND_COUNT; k++) {
            PART(apr_psprintf(p, " %s=%" APR_UINT64_T_FMT "/%"
                              APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT,
                              ipcg_kind_name((ipcg_kind_e)k),
                              s->count[k][IPCG_CLASS_INSTANCE],
                              s->count[k][IPCG_CLASS_APPLICATION],
                              s->count[k][IPCG_CLASS_FOREIGN]));
        }
        for (k = 0; k < s->n; k++) {
            const ipcg_point_t *pt = &s->pt[k];
            PART(apr_psprintf(p, " %s=%" APR_UINT64_T_FMT "/%"
                              APR_UINT64_T_FMT "/%" APR_UINT64_T_FMT,
                              pt->name, pt->used, pt->uncleaned, pt->limit));
        }
        PART("\n");
        lines++;
    }
    for (i = 0; i < h->events->nelts; i++) {
        const ipcg_event_t *e = &APR_ARRAY_IDX(h->events, i, ipcg_event_t);
        PART(apr_psprintf(p, "event %" APR_INT64_T_FMT " %" APR_INT64_T_FMT
                          " %" APR_INT64_T_FMT " %s %" APR_INT64_T_FMT " %d"
                          " %s %s %s\n", e->found, e->last_seen,
                          e->server_pid, ipcg_kind_name(e->kind), e->id,
                          (int)e->key, ipcg_phase_name(e->phase),
                          enc(p, e->module), enc(p, e->name)));
        lines++;
    }
    PART(apr_psprintf(p, "end %d\n", lines));
#undef PART
    text = apr_array_pstrcat(p, parts, 0);
    if (len) {
        *len = strlen(text);
    }
    return text;
}

/* A history file's place and refusals (see ipcg_lines_refuse()). */
typedef ipcg_lines_t hctx_t;

static apr_status_t hbad(hctx_t *c, const char *what)
{
    return ipcg_lines_refuse(c, what);
}

/* A decimal number exactly as the writer prints it. */
static int canon_i64(const char *s, apr_int64_t *out)
{
    return ipcg_canon_i64(s, out) == NULL;
}

static int canon_u64(const char *s, apr_uint64_t *out)
{
    return ipcg_canon_u64(s, out) == NULL;
}

/* "name value" with exactly this name. */
static const char *header_value(hctx_t *c, char *line, const char *name)
{
    apr_size_t n = strlen(name);

    if (strncmp(line, name, n) != 0 || line[n] != ' ') {
        hbad(c, apr_psprintf(c->p, "expected '%s'", name));
        return NULL;
    }
    return line + n + 1;
}

static apr_status_t parse_sample(hctx_t *c, char *rest, ipcg_sample_t *s)
{
    char *tok, *last = NULL;
    int k;

    memset(s, 0, sizeof(*s));
    tok = apr_strtok(rest, " ", &last);
    if (tok == NULL || !canon_i64(tok, &s->t) || s->t < 0) {
        return hbad(c, "a sample needs its time");
    }
    /* the counts of every kind, in order: instance/application/foreign */
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        const char *kind = ipcg_kind_name((ipcg_kind_e)k);
        apr_size_t kl = strlen(kind);
        char *s1, *s2;
        tok = apr_strtok(NULL, " ", &last);
        if (tok == NULL || strncmp(tok, kind, kl) != 0 || tok[kl] != '='
            || (s1 = strchr(tok + kl, '/')) == NULL
            || (s2 = strchr(s1 + 1, '/')) == NULL) {
            return hbad(c, apr_psprintf(c->p, "a sample needs '%s=instance/"
                                        "application/foreign'", kind));
        }
        *s1 = *s2 = '\0';
        if (!canon_u64(tok + kl + 1, &s->count[k][IPCG_CLASS_INSTANCE])
            || !canon_u64(s1 + 1, &s->count[k][IPCG_CLASS_APPLICATION])
            || !canon_u64(s2 + 1, &s->count[k][IPCG_CLASS_FOREIGN])) {
            return hbad(c, apr_psprintf(c->p, "a bad count of %s in a "
                                        "sample", kind));
        }
    }
    while ((tok = apr_strtok(NULL, " ", &last)) != NULL) {
        char *eq = strchr(tok, '='), *s1, *s2;
        ipcg_point_t *pt;
        apr_uint32_t j;

        if (s->n >= IPCG_SERIES_MAX) {
            return hbad(c, "too many limits in one sample");
        }
        if (eq == NULL || (s1 = strchr(eq, '/')) == NULL
            || (s2 = strchr(s1 + 1, '/')) == NULL) {
            return hbad(c, "expected name=used/uncleaned/limit");
        }
        *eq = *s1 = *s2 = '\0';
        pt = &s->pt[s->n];
        if (!series_name_ok(tok) || !canon_u64(eq + 1, &pt->used)
            || !canon_u64(s1 + 1, &pt->uncleaned)
            || !canon_u64(s2 + 1, &pt->limit) || pt->limit == 0
            || pt->uncleaned > pt->used) {
            return hbad(c, "a bad limit in a sample");
        }
        for (j = 0; j < s->n; j++) {
            if (strcmp(s->pt[j].name, tok) == 0) {
                return hbad(c, "a limit twice in one sample");
            }
        }
        ipcg_strlcpy(pt->name, tok, sizeof(pt->name));
        s->n++;
    }
    return APR_SUCCESS;
}

static apr_status_t parse_event(hctx_t *c, char *rest, ipcg_event_t *e)
{
    char *f[9], *last = NULL;
    apr_int64_t key;
    int i, kind, phase;

    memset(e, 0, sizeof(*e));
    for (i = 0; i < 9; i++) {
        f[i] = apr_strtok(i ? NULL : rest, " ", &last);
        if (f[i] == NULL) {
            return hbad(c, "an event has nine fields");
        }
    }
    if (apr_strtok(NULL, " ", &last) != NULL) {
        return hbad(c, "an event has nine fields");
    }
    kind = ipcg_kind_parse(f[3]);
    phase = ipcg_phase_parse(f[6]);
    if (!canon_i64(f[0], &e->found) || !canon_i64(f[1], &e->last_seen)
        || !canon_i64(f[2], &e->server_pid) || e->server_pid <= 0
        || kind < 0 || !canon_i64(f[4], &e->id) || !canon_i64(f[5], &key)
        || key < APR_INT32_MIN || key > APR_INT32_MAX || phase < 0
        || !dec(f[7], e->module, sizeof(e->module))
        || !dec(f[8], e->name, sizeof(e->name))) {
        return hbad(c, "a bad event");
    }
    if (strcmp(f[8], "-") == 0 && e->name[0] == '\0'
        && (kind == IPCG_POSIX_SHM || kind == IPCG_POSIX_SEM)) {
        return hbad(c, "a POSIX object's event needs its name");
    }
    e->kind = (ipcg_kind_e)kind;
    e->phase = (ipcg_phase_e)phase;
    e->key = (apr_int32_t)key;
    return APR_SUCCESS;
}

/* Header line @a stage (0 to 5) into @a h. */
static apr_status_t history_header(hctx_t *c, ipcg_history_t *h, int stage,
                                   char *line)
{
    static const char *const names[6] = {
        "ipcguard-history", "instance", "pid", "started", "exited",
        "outside_total"
    };
    apr_uint64_t ver;
    const char *v = header_value(c, line, names[stage]);

    if (v == NULL) {
        return APR_EGENERAL;
    }
    switch (stage) {
    case 0:
        if (!canon_u64(v, &ver) || ver != IPCG_HISTORY_VERSION) {
            return hbad(c, "an unknown version");
        }
        break;
    case 1:
        if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16) {
            return hbad(c, "the instance is 16 hex digits");
        }
        memcpy(h->instance, v, 17);
        break;
    case 2:
        if (!canon_i64(v, &h->pid) || h->pid <= 0) {
            return hbad(c, "a bad pid");
        }
        break;
    case 3:
        if (!canon_i64(v, &h->started) || h->started < 0) {
            return hbad(c, "a bad start time");
        }
        break;
    case 4:
        if (!canon_i64(v, &h->exited) || h->exited < 0) {
            return hbad(c, "a bad exit time");
        }
        break;
    default:
        if (!canon_u64(v, &h->outside_total)) {
            return hbad(c, "a bad count of outside removals");
        }
        break;
    }
    return APR_SUCCESS;
}

static apr_status_t history_sample(hctx_t *c, ipcg_history_t *h, char *rest)
{
    ipcg_sample_t s;
    const ipcg_sample_t *prev;

    if (parse_sample(c, rest, &s) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    prev = h->samples->nelts
           ? &APR_ARRAY_IDX(h->samples, h->samples->nelts - 1, ipcg_sample_t)
           : NULL;
    if (prev && prev->t >= s.t) {
        return hbad(c, "samples out of order");
    }
    if (h->samples->nelts >= IPCG_HISTORY_CAP) {
        return hbad(c, "too many samples");
    }
    *sample_push(h) = s;
    return APR_SUCCESS;
}

static apr_status_t history_event(hctx_t *c, ipcg_history_t *h, char *rest)
{
    ipcg_event_t e;

    if (parse_event(c, rest, &e) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (h->events->nelts >= IPCG_EVENTS_MAX) {
        return hbad(c, "too many events");
    }
    *(ipcg_event_t *)apr_array_push(h->events) = e;
    return APR_SUCCESS;
}

/* A line after the header: samples (before any event), events, the end
 * line that counts the lines before it. */
static apr_status_t history_body(hctx_t *c, ipcg_history_t *h, int *stage,
                                 char *line, int *ended)
{
    apr_int64_t n;

    if (strncmp(line, "sample ", 7) == 0 && *stage == 6) {
        return history_sample(c, h, line + 7);
    }
    if (strncmp(line, "event ", 6) == 0) {
        *stage = 7;
        return history_event(c, h, line + 6);
    }
    if (strncmp(line, "end ", 4) == 0) {
        if (!canon_i64(line + 4, &n) || n != c->line - 1) {
            return hbad(c, "the end line does not count the lines "
                           "(a truncated file?)");
        }
        *ended = 1;
        return APR_SUCCESS;
    }
    return hbad(c, "a line out of place");
}

apr_status_t ipcg_history_parse(apr_pool_t *p, const char *text,
                                apr_size_t len, ipcg_history_t *h,
                                const char **why)
{
    const char *ignored = NULL;
    hctx_t c;
    char *buf, *line, *end;
    int stage = 0, ended = 0;
    apr_status_t rv;

    if (why == NULL) {
        why = &ignored;
    }
    c.p = p;
    c.line = 0;
    c.why = why;
    ipcg_history_init(p, h);
    if (len == 0 || text[len - 1] != '\n' || memchr(text, '\0', len)) {
        c.line = 1;
        return hbad(&c, "not a history file (empty, NUL bytes or no final "
                        "newline)");
    }
    buf = apr_pstrmemdup(p, text, len);
    end = buf + len;
    while ((line = ipcg_lines_next(&c, &buf, end, ended, &rv)) != NULL) {
        if (*line == '\0' || strchr(line, '\r') || strstr(line, "  ")
            || line[strlen(line) - 1] == ' ') {
            return hbad(&c, "an empty line or stray whitespace");
        }
        if (stage < 6) {
            rv = history_header(&c, h, stage++, line);
        }
        else {
            rv = history_body(&c, h, &stage, line, &ended);
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return ipcg_lines_done(&c, rv, ended, "no end line (a truncated file?)");
}

apr_status_t ipcg_history_read(apr_pool_t *p, const char *path,
                               apr_uint32_t owner_uid, ipcg_history_t *h,
                               const char **why)
{
    char *text;
    apr_size_t len;
    apr_status_t rv;

    ipcg_history_init(p, h);
    rv = ipcg_file_read_trusted(p, path, owner_uid, &text, &len, why);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return ipcg_history_parse(p, text, len, h, why);
}

apr_status_t ipcg_history_write(apr_pool_t *p, const char *path,
                                const ipcg_history_t *h, int durable,
                                const char **why)
{
    apr_size_t len;
    const char *text = ipcg_history_format(p, h, &len);

    return ipcg_file_write_atomic(p, path, text, len, durable, why);
}

/* ------------------------------------------------------------------ */
/* Forecasts                                                            */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double ipcg_theil_sen(const apr_int64_t *t, const double *y, int n)
{
    double *slopes, med;
    int i, j, m = 0;

    if (n < 2) {
        return 0;
    }
    slopes = malloc(sizeof(double) * (apr_size_t)n * (apr_size_t)(n - 1) / 2);
    if (slopes == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        for (j = i + 1; j < n; j++) {
            if (t[j] != t[i]) {
                slopes[m++] = (y[j] - y[i]) / (double)(t[j] - t[i]);
            }
        }
    }
    if (m == 0) {
        free(slopes);
        return 0;
    }
    qsort(slopes, (apr_size_t)m, sizeof(double), cmp_double);
    med = m % 2 ? slopes[m / 2] : (slopes[m / 2 - 1] + slopes[m / 2]) / 2;
    free(slopes);
    return med;
}

/* The rate of the points (@a t, @a y), newest first and the last of
 * them now: the Theil-Sen slope of all of them, or of those in the
 * window's newest quarter when that is steeper (a leak that began lately
 * is not averaged away by the quiet before it). */
static double rate_of(const apr_int64_t *t, const double *y, int n,
                      apr_int64_t now, apr_int64_t window)
{
    apr_int64_t rt[IPCG_FORECAST_POINTS + 1];
    double ry[IPCG_FORECAST_POINTS + 1], rate, recent;
    int i, m = 0;

    for (i = 1; i < n && y[i] == y[0]; i++) {
    }
    if (i == n) {
        return 0;       /* flat, as most series are: no slopes to sort */
    }
    rate = ipcg_theil_sen(t, y, n);
    for (i = 0; i < n && m < IPCG_FORECAST_POINTS + 1; i++) {
        if (now - t[i] <= window / 4) {
            rt[m] = t[i];
            ry[m] = y[i];
            m++;
        }
    }
    if (m >= IPCG_FORECAST_MIN_POINTS
        && (recent = ipcg_theil_sen(rt, ry, m)) > rate) {
        rate = recent;
    }
    return rate;
}

void ipcg_class_trends(const ipcg_history_t *h, const ipcg_sample_t *now,
                       apr_int64_t window,
                       ipcg_class_trend_t out[IPCG_CLASS_TRENDS])
{
    const ipcg_sample_t *win[IPCG_FORECAST_POINTS + 1];
    apr_int64_t t[IPCG_FORECAST_POINTS + 1];
    int k, c, i, n = 0;

    /* the samples in the window, newest first, then now */
    for (i = h->samples->nelts - 1; i >= 0 && n < IPCG_FORECAST_POINTS; i--) {
        const ipcg_sample_t *s = &APR_ARRAY_IDX(h->samples, i,
                                                ipcg_sample_t);
        if (s->t >= now->t) {
            continue;
        }
        if (now->t - s->t > window) {
            break;
        }
        win[n++] = s;
    }
    win[n++] = now;
    for (i = 0; i < n; i++) {
        t[i] = win[i]->t;
    }
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            ipcg_class_trend_t *o = &out[k * IPCG_CLASS_COUNT + c];
            double y[IPCG_FORECAST_POINTS + 1];

            for (i = 0; i < n; i++) {
                y[i] = (double)win[i]->count[k][c];
            }
            o->kind = (ipcg_kind_e)k;
            o->cls = (ipcg_class_e)c;
            o->count = now->count[k][c];
            o->points = (apr_uint32_t)n;
            o->rate = n >= IPCG_FORECAST_MIN_POINTS
                      ? rate_of(t, y, n, now->t, window) : 0;
        }
    }
}

static const ipcg_point_t *point_of(const ipcg_sample_t *s, const char *name)
{
    apr_uint32_t k;

    for (k = 0; k < s->n; k++) {
        if (strcmp(s->pt[k].name, name) == 0) {
            return &s->pt[k];
        }
    }
    return NULL;
}

int ipcg_forecast_compute(const ipcg_history_t *h, const ipcg_sample_t *now,
                          apr_int64_t window, ipcg_forecast_t *out, int max)
{
    apr_int64_t t[IPCG_FORECAST_POINTS + 1];
    double y[IPCG_FORECAST_POINTS + 1];
    apr_uint32_t k;
    int written = 0;

    for (k = 0; k < now->n && written < max; k++) {
        const ipcg_point_t *cur = &now->pt[k];
        ipcg_forecast_t *f = &out[written++];
        int i, n = 0;

        memset(f, 0, sizeof(*f));
        ipcg_strlcpy(f->name, cur->name, sizeof(f->name));
        f->used = cur->used;
        f->uncleaned = cur->uncleaned;
        f->limit = cur->limit;
        f->seconds_to_full = -1;
        /* the newest samples first, back to the window's start */
        for (i = h->samples->nelts - 1; i >= 0 && n < IPCG_FORECAST_POINTS;
             i--) {
            const ipcg_sample_t *s = &APR_ARRAY_IDX(h->samples, i,
                                                    ipcg_sample_t);
            const ipcg_point_t *pt;
            if (s->t >= now->t) {
                continue;
            }
            if (now->t - s->t > window) {
                break;
            }
            if ((pt = point_of(s, cur->name)) != NULL) {
                t[n] = s->t;
                y[n] = (double)pt->uncleaned;
                n++;
            }
        }
        t[n] = now->t;
        y[n] = (double)cur->uncleaned;
        n++;
        f->points = (apr_uint32_t)n;
        /* t[n - 2] is the oldest sample used */
        f->span = n > 1 ? now->t - t[n - 2] : 0;
        if (cur->used >= cur->limit) {
            f->seconds_to_full = 0;
        }
        if (n < IPCG_FORECAST_MIN_POINTS) {
            continue;
        }
        f->rate = rate_of(t, y, n, now->t, window);
        if (f->seconds_to_full != 0 && f->rate > 0) {
            double left = (double)(cur->limit - cur->used) / f->rate;
            apr_int64_t whole = left > 9.0e15 ? -1 : (apr_int64_t)left;
            /* rounded up: "full in under a minute" must not be late */
            f->seconds_to_full = whole < 0 ? -1
                                 : whole + ((double)whole < left);
        }
    }
    return written;
}

/* ------------------------------------------------------------------ */
/* Words                                                                */

const char *ipcg_series_label(apr_pool_t *p, const char *name)
{
    static const char *const names[][2] = {
        {"semmni", "SEMMNI"}, {"semmns", "SEMMNS"}, {"shmmni", "SHMMNI"},
        {"shmall", "SHMALL"}, {"msgmni", "MSGMNI"}, {"devshm", "/dev/shm"}
    };
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i][0]) == 0) {
            return names[i][1];
        }
    }
    if (strncmp(name, "bc:", 3) == 0) {
        return apr_pstrcat(p, "beancounter ", name + 3, NULL);
    }
    return name;
}

#define grouped ipcg_grouped

/* a year of 365.25 days, in seconds */
#define IPCG_YEAR ((apr_int64_t)31557600)

/* "about 3 hours": @a s in whole @a unit seconds, rounded to the nearest */
static const char *about(apr_pool_t *p, apr_int64_t s, apr_int64_t unit,
                         const char *name)
{
    apr_int64_t n = (s + unit / 2) / unit;

    return apr_psprintf(p, "about %" APR_INT64_T_FMT " %s%s", n, name,
                        ipcg_plural(n));
}

const char *ipcg_duration_text(apr_pool_t *p, apr_int64_t s)
{
    if (s < 60) {
        return "under a minute";
    }
    if (s < 3600) {
        return apr_pstrcat(p, "under an hour (", about(p, s, 60, "minute"),
                           ")", NULL);
    }
    if (s < 86400) {
        return apr_pstrcat(p, "under a day (", about(p, s, 3600, "hour"),
                           ")", NULL);
    }
    if (s < IPCG_YEAR) {
        return about(p, s, 86400, "day");
    }
    /* a limit of a billion at a few a day: years, and past a hundred no
     * figure at all, which would only look precise */
    if (s < 100 * IPCG_YEAR) {
        return about(p, s, IPCG_YEAR, "year");
    }
    return "more than a hundred years";
}

/* +60 a minute for a fast leak, +120 a day for a slow one. */
static const char *rate_text(apr_pool_t *p, double per_s)
{
    if (per_s * 60 >= 1) {
        return apr_psprintf(p, "+%s a minute",
                            grouped(p, (apr_uint64_t)(per_s * 60 + 0.5)));
    }
    if (per_s * 86400 >= 1) {
        return apr_psprintf(p, "+%s a day",
                            grouped(p, (apr_uint64_t)(per_s * 86400 + 0.5)));
    }
    return apr_psprintf(p, "+%.2f a day", per_s * 86400);
}

const char *ipcg_forecast_text(apr_pool_t *p, const ipcg_forecast_t *f)
{
    const char *head = apr_psprintf(p, "%s: %s of %s used",
                                    ipcg_series_label(p, f->name),
                                    grouped(p, f->used), grouped(p, f->limit));

    if (f->seconds_to_full == 0) {
        return apr_pstrcat(p, head, ": full", NULL);
    }
    if (f->points < IPCG_FORECAST_MIN_POINTS) {
        return apr_pstrcat(p, head, ": too few samples for a trend yet",
                           NULL);
    }
    if (f->rate <= 0 || f->seconds_to_full < 0) {
        return apr_pstrcat(p, head, ", not growing", NULL);
    }
    return apr_psprintf(p, "%s at %s: full in %s", head, rate_text(p, f->rate),
                        ipcg_duration_text(p, f->seconds_to_full));
}
