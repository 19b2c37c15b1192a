/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Strict number parsing and whole-file reads shared by every parser. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"

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

apr_status_t ipcg_read_file(apr_pool_t *p, const char *path, apr_size_t max,
                            char **text, apr_size_t *len)
{
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t cap = 4096, used = 0;
    char *buf;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* one byte over max tells a file of exactly max bytes from a bigger
     * one, and one more holds the NUL */
    if (cap > max + 2) {
        cap = max + 2;
    }
    buf = apr_palloc(p, cap);
    for (;;) {
        apr_size_t n = cap - used - 1;
        if (n == 0) {
            char *bigger;
            if (cap >= max + 2) {
                apr_file_close(f);
                return APR_ENOSPC;
            }
            cap = (cap * 2 > max + 2) ? max + 2 : cap * 2;
            bigger = apr_palloc(p, cap);
            memcpy(bigger, buf, used);
            buf = bigger;
            continue;
        }
        rv = apr_file_read(f, buf + used, &n);
        used += n;
        if (rv == APR_EOF) {
            break;
        }
        if (rv != APR_SUCCESS) {
            apr_file_close(f);
            return rv;
        }
    }
    apr_file_close(f);
    if (used > max) {
        return APR_ENOSPC;
    }
    buf[used] = '\0';
    *text = buf;
    if (len) {
        *len = used;
    }
    return APR_SUCCESS;
}
