/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Strict number parsing and whole-file reads shared by every parser. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_tables.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"

void ipcg_array_reserve(apr_array_header_t *a, int more)
{
    char *elts;

    if (a == NULL || more <= 0 || a->nalloc - a->nelts >= more) {
        return;
    }
    elts = apr_palloc(a->pool, (apr_size_t)(a->nelts + more)
                               * (apr_size_t)a->elt_size);
    if (a->nelts > 0 && a->elts != NULL) {
        memcpy(elts, a->elts, (apr_size_t)a->nelts * (apr_size_t)a->elt_size);
    }
    a->elts = elts;
    a->nalloc = a->nelts + more;
}

apr_status_t ipcg_parse_u64(const char *s, apr_uint64_t *out)
{
    apr_uint64_t v = 0;

    if (s == NULL || *s == '\0') {
        return APR_EINVAL;
    }
    for (; *s; s++) {
        unsigned d;
        if (*s < '0' || *s > '9') {
            return APR_EINVAL;
        }
        d = (unsigned)(*s - '0');
        if (v > (APR_UINT64_MAX - d) / 10) {
            return APR_ERANGE;
        }
        v = v * 10 + d;
    }
    *out = v;
    return APR_SUCCESS;
}

apr_status_t ipcg_parse_i64(const char *s, apr_int64_t *out)
{
    apr_uint64_t v;
    apr_status_t rv;
    int neg = 0;

    if (s == NULL) {
        return APR_EINVAL;
    }
    if (*s == '-') {
        neg = 1;
        s++;
    }
    rv = ipcg_parse_u64(s, &v);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (neg) {
        if (v > (apr_uint64_t)APR_INT64_MAX + 1) {
            return APR_ERANGE;
        }
        *out = (v == (apr_uint64_t)APR_INT64_MAX + 1) ? APR_INT64_MIN
                                                      : -(apr_int64_t)v;
    }
    else {
        if (v > (apr_uint64_t)APR_INT64_MAX) {
            return APR_ERANGE;
        }
        *out = (apr_int64_t)v;
    }
    return APR_SUCCESS;
}

/* The shape of a canonical decimal; NULL if fine, else why not. */
static const char *noncanonical(const char *s, int sign_ok)
{
    if (sign_ok && *s == '-') {
        s++;
        if (*s == '0') {
            return "not a canonical number";
        }
    }
    if (*s == '\0' || strspn(s, "0123456789") != strlen(s)) {
        return "not a number";
    }
    if (s[0] == '0' && s[1] != '\0') {
        return "leading zero";
    }
    return NULL;
}

const char *ipcg_canon_u64(const char *s, apr_uint64_t *out)
{
    const char *e = noncanonical(s, 0);

    if (e == NULL && ipcg_parse_u64(s, out) != APR_SUCCESS) {
        e = "out of range";
    }
    return e;
}

const char *ipcg_canon_i64(const char *s, apr_int64_t *out)
{
    const char *e = noncanonical(s, 1);

    if (e == NULL && ipcg_parse_i64(s, out) != APR_SUCCESS) {
        e = "out of range";
    }
    return e;
}

apr_size_t ipcg_pct_encode(char *out, const char *s, apr_size_t n,
                           ipcg_pct_plain_fn *plain)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t i, j = 0;

    for (i = 0; i < n && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (plain(c)) {
            out[j++] = (char)c;
        }
        else {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
    }
    out[j] = '\0';
    return j;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

ipcg_pct_e ipcg_pct_decode(const char *s, char *out, apr_size_t cap,
                           ipcg_pct_plain_fn *plain, const char **at)
{
    apr_size_t j = 0;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        *at = s;
        if (j + 1 >= cap) {
            return IPCG_PCT_TOO_LONG;
        }
        if (ch == '%') {
            int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
            unsigned v;
            if (hi < 0 || lo < 0) {
                return IPCG_PCT_BAD_ESCAPE;
            }
            v = (unsigned)(hi * 16 + lo);
            if (v == 0) {
                return IPCG_PCT_NUL;
            }
            if (plain((unsigned char)v)) {
                return IPCG_PCT_NEEDLESS;
            }
            out[j++] = (char)v;
            s += 2;
        }
        else if (!plain(ch)) {
            return IPCG_PCT_UNESCAPED;
        }
        else {
            out[j++] = (char)ch;
        }
    }
    out[j] = '\0';
    return IPCG_PCT_OK;
}

/* Read until EOF, or until @a cap - 1 - @a *used bytes more are in. */
static apr_status_t read_more(apr_file_t *f, char *buf, apr_size_t cap,
                              apr_size_t *used, int *eof)
{
    *eof = 0;
    while (*used < cap - 1) {
        apr_size_t n = cap - 1 - *used;
        apr_status_t rv = apr_file_read(f, buf + *used, &n);
        *used += n;
        if (rv == APR_EOF) {
            *eof = 1;
            return APR_SUCCESS;
        }
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

/* The first page is read on the stack and the pool gives the file's own
 * size: a run of small files (/proc entries, limits) fills one page of
 * the pool instead of one each. A page first written after the parent
 * forked costs a page fault in it. */
apr_status_t ipcg_read_file(apr_pool_t *p, const char *path, apr_size_t max,
                            char **text, apr_size_t *len)
{
    apr_file_t *f;
    apr_status_t rv;
    char first[4096];
    apr_size_t cap = sizeof(first), used = 0;
    char *buf = first;
    int eof;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* one byte over max tells a file of exactly max bytes from a bigger
     * one, and one more holds the NUL */
    if (cap > max + 2) {
        cap = max + 2;
    }
    while ((rv = read_more(f, buf, cap, &used, &eof)) == APR_SUCCESS
           && !eof) {
        char *bigger;
        if (cap >= max + 2) {
            rv = APR_ENOSPC;
            break;
        }
        cap = (cap * 2 > max + 2) ? max + 2 : cap * 2;
        bigger = apr_palloc(p, cap);
        memcpy(bigger, buf, used);
        buf = bigger;
    }
    apr_file_close(f);
    if (rv == APR_SUCCESS && used > max) {
        rv = APR_ENOSPC;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (buf == first) {
        buf = apr_palloc(p, used + 1);
        memcpy(buf, first, used);
    }
    buf[used] = '\0';
    *text = buf;
    if (len) {
        *len = used;
    }
    return APR_SUCCESS;
}

apr_status_t ipcg_read_lines(apr_pool_t *p, const char *path,
                             ipcg_lines_fn *fn, void *baton)
{
    apr_file_t *f;
    apr_status_t rv;
    char buf[IPCG_LINES_CHUNK];
    apr_size_t used = 0;
    int eof = 0;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (rv == APR_SUCCESS && !eof) {
        apr_size_t whole;
        char keep;

        rv = read_more(f, buf, sizeof(buf), &used, &eof);
        if (rv != APR_SUCCESS) {
            break;
        }
        /* whole lines only, unless the file ended */
        whole = used;
        while (!eof && whole > 0 && buf[whole - 1] != '\n') {
            whole--;
        }
        if (whole == 0) {
            rv = used ? APR_ENOSPC : APR_SUCCESS;
            break;
        }
        keep = buf[whole];
        buf[whole] = '\0';
        rv = fn(baton, buf);
        buf[whole] = keep;
        memmove(buf, buf + whole, used - whole);
        used -= whole;
    }
    apr_file_close(f);
    return rv;
}

apr_status_t ipcg_lines_refuse(ipcg_lines_t *c, const char *what)
{
    *c->why = apr_psprintf(c->p, "line %d: %s", c->line, what);
    return APR_EGENERAL;
}

char *ipcg_lines_next(ipcg_lines_t *c, char **at, const char *end,
                      int ended, apr_status_t *rv)
{
    char *line = *at, *nl;

    *rv = APR_SUCCESS;
    if (line >= end) {
        return NULL;
    }
    nl = memchr(line, '\n', (apr_size_t)(end - line));
    *nl = '\0';
    *at = nl + 1;
    c->line++;
    if (ended) {
        *rv = ipcg_lines_refuse(c, "text after the end line");
        return NULL;
    }
    return line;
}

apr_status_t ipcg_lines_done(ipcg_lines_t *c, apr_status_t rv, int ended,
                             const char *cut_short)
{
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return ended ? APR_SUCCESS : ipcg_lines_refuse(c, cut_short);
}

apr_uint32_t ipcg_unix_mode(apr_fileperms_t perms)
{
    static const struct {
        apr_fileperms_t apr;
        apr_uint32_t unix_bit;
    } bits[] = {
        { APR_FPROT_USETID, 04000 }, { APR_FPROT_GSETID, 02000 },
        { APR_FPROT_WSTICKY, 01000 }, { APR_FPROT_UREAD, 0400 },
        { APR_FPROT_UWRITE, 0200 }, { APR_FPROT_UEXECUTE, 0100 },
        { APR_FPROT_GREAD, 040 }, { APR_FPROT_GWRITE, 020 },
        { APR_FPROT_GEXECUTE, 010 }, { APR_FPROT_WREAD, 04 },
        { APR_FPROT_WWRITE, 02 }, { APR_FPROT_WEXECUTE, 01 },
    };
    apr_uint32_t mode = 0;
    apr_size_t i;

    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (perms & bits[i].apr) {
            mode |= bits[i].unix_bit;
        }
    }
    return mode;
}

apr_status_t ipcg_dir_each(apr_pool_t *p, const char *dir,
                           apr_int32_t wanted, ipcg_dir_fn *fn, void *baton)
{
    apr_dir_t *d;
    apr_finfo_t dent;
    apr_status_t rv;
    apr_pool_t *sub;

    rv = apr_dir_open(&d, dir, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&sub, p);
    for (;;) {
        rv = apr_dir_read(&dent, wanted, d);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;                      /* APR_ENOENT: the end */
        }
        if (dent.name == NULL || strcmp(dent.name, ".") == 0
            || strcmp(dent.name, "..") == 0) {
            continue;
        }
        apr_pool_clear(sub);
        fn(baton, sub, &dent);
    }
    apr_pool_destroy(sub);
    apr_dir_close(d);
    return APR_SUCCESS;
}
