/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Numbers and times for people (ipcg_units.h). */

#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "ipcguard/ipcg_units.h"

const char *ipcg_plural(apr_uint64_t n)
{
    return n == 1 ? "" : "s";
}

const char *ipcg_grouped(apr_pool_t *p, apr_uint64_t v)
{
    char digits[32], *out;
    int n = apr_snprintf(digits, sizeof(digits), "%" APR_UINT64_T_FMT, v);
    int i, o = 0;

    out = apr_palloc(p, (apr_size_t)n + (apr_size_t)n / 3 + 1);
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            out[o++] = ',';
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

const char *ipcg_bytes_text(apr_pool_t *p, apr_uint64_t v)
{
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
                                        "EiB" };
    double x = (double)v / 1024.0;
    int u = 0;

    if (v < 1024) {
        return apr_psprintf(p, "%" APR_UINT64_T_FMT " B", v);
    }
    while (x >= 1024.0 && u < 5) {
        x /= 1024.0;
        u++;
    }
    /* 1.3 MiB, 12 MiB, 640 MiB: two or three significant digits */
    if (x < 10.0 && (apr_uint64_t)(x * 10.0 + 0.5) % 10 != 0) {
        return apr_psprintf(p, "%.1f %s", x, unit[u]);
    }
    return apr_psprintf(p, "%.0f %s", x, unit[u]);
}

int ipcg_is_unlimited(apr_uint64_t v)
{
    return v >= ((apr_uint64_t)1 << 62);
}

const char *ipcg_span_text(apr_pool_t *p, apr_int64_t s)
{
    if (s < 0) {
        s = 0;
    }
    if (s < 60) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " s", s);
    }
    if (s < 3600) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " min", s / 60);
    }
    if (s < 86400) {
        return s % 3600 >= 60
            ? apr_psprintf(p, "%" APR_INT64_T_FMT " h %" APR_INT64_T_FMT
                           " min", s / 3600, s % 3600 / 60)
            : apr_psprintf(p, "%" APR_INT64_T_FMT " h", s / 3600);
    }
    return s % 86400 >= 3600
        ? apr_psprintf(p, "%" APR_INT64_T_FMT " d %" APR_INT64_T_FMT " h",
                       s / 86400, s % 86400 / 3600)
        : apr_psprintf(p, "%" APR_INT64_T_FMT " d", s / 86400);
}

const char *ipcg_ago_text(apr_pool_t *p, apr_int64_t then, apr_int64_t now)
{
    apr_int64_t d;
    const char *amount;

    if (then <= 0) {
        return "never";
    }
    d = now >= then ? now - then : then - now;
    if (d < 5) {
        return "just now";
    }
    if (d < 60) {
        amount = apr_psprintf(p, "%" APR_INT64_T_FMT " s", d);
    }
    else if (d < 3600) {
        amount = apr_psprintf(p, "%" APR_INT64_T_FMT " min", d / 60);
    }
    else if (d < (apr_int64_t)2 * 86400) {
        amount = apr_psprintf(p, "%" APR_INT64_T_FMT " h", d / 3600);
    }
    else {
        amount = apr_psprintf(p, "%" APR_INT64_T_FMT " days", d / 86400);
    }
    return now >= then ? apr_pstrcat(p, amount, " ago", NULL)
                       : apr_pstrcat(p, "in ", amount, NULL);
}

const char *ipcg_local_time(apr_pool_t *p, apr_int64_t epoch)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len = 0;

    if (epoch <= 0
        || apr_time_exp_lt(&tm, apr_time_from_sec(epoch)) != APR_SUCCESS
        || apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)
           != APR_SUCCESS) {
        return "an unknown time";
    }
    return apr_pstrmemdup(p, buf, len);
}

int ipcg_utf8_len(const unsigned char *s)
{
    int n, i;
    apr_uint32_t cp;

    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) { n = 2; cp = s[0] & 0x1f; }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) { n = 3; cp = s[0] & 0x0f; }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) { n = 4; cp = s[0] & 0x07; }
    else return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
        return 0;
    }
    return n;
}

/* Whether @a u needs nothing: printable ASCII without a special byte. */
static int escape_free(const unsigned char *u, const ipcg_escaping_t *e)
{
    for (; *u; u++) {
        if (*u < 0x20 || *u >= 0x7f || e->special[*u]) {
            return 0;
        }
    }
    return 1;
}

const char *ipcg_escape(apr_pool_t *p, const char *s,
                        const ipcg_escaping_t *e)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t j = 0;
    char *o;

    if (escape_free(u, e)) {
        return s;
    }
    o = apr_palloc(p, strlen(s) * e->worst + 1);
    while (*u) {
        const char *ref = *u < 0x80 ? e->special[*u] : NULL;
        int l;
        if (ref) {
            apr_size_t n = strlen(ref);
            memcpy(o + j, ref, n);
            j += n;
            u++;
        }
        else if (*u >= 0x20 && *u != 0x7f && (l = ipcg_utf8_len(u)) > 0) {
            memcpy(o + j, u, (apr_size_t)l);
            j += (apr_size_t)l;
            u += l;
        }
        else {
            /* a control byte, or not UTF-8 */
            j += (apr_size_t)apr_snprintf(o + j, e->worst + 1, e->other,
                                          (unsigned)*u++);
        }
    }
    o[j] = '\0';
    return o;
}
