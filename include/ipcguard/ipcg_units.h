/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_units.h
 * @brief Numbers and times for people: thousands separators, KiB/MiB/GiB,
 * "unlimited" for the kernel's no-limit values, "3 min ago".
 */
#ifndef IPCG_UNITS_H
#define IPCG_UNITS_H

#include <apr_pools.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The length of the valid UTF-8 sequence at @a s (1 to 4), or 0 when
 * it is not one (overlong, surrogate, beyond U+10FFFF, cut short). */
int ipcg_utf8_len(const unsigned char *s);

/** How one output language escapes text: the one escaping loop
 * (ipcg_escape()) serves JSON, Prometheus labels and HTML. */
typedef struct {
    /** per ASCII byte: what it becomes, or NULL to keep it (control
     * bytes without an entry are written with @a other) */
    const char *const *special;
    /** printf format, with the byte as unsigned, for a control byte or a
     * byte that does not start valid UTF-8 */
    const char *other;
    /** the most bytes one input byte becomes */
    apr_size_t worst;
} ipcg_escaping_t;

/** @a s escaped as @a e says: bytes in e->special replaced, valid UTF-8
 * kept, anything else written with e->other. Returns @a s itself when
 * nothing needs escaping. */
const char *ipcg_escape(apr_pool_t *p, const char *s,
                        const ipcg_escaping_t *e);

/** The plural ending of a count's noun: "" for 1, "s" for any other
 * count ("1 set", "0 sets", "2 sets"). */
const char *ipcg_plural(apr_uint64_t n);

/** 31900 -> "31,900". */
const char *ipcg_grouped(apr_pool_t *p, apr_uint64_t v);

/** 1409024 -> "1.3 MiB"; below 1 KiB "512 B". */
const char *ipcg_bytes_text(apr_pool_t *p, apr_uint64_t v);

/** Whether @a v is one of the kernel's "no limit" values (SHMALL's and
 * SHMMAX's 18446744073692774399, a beancounter's LONG_MAX, ...): anything
 * from 2^62 up, which no real limit of IPC objects or bytes reaches. */
int ipcg_is_unlimited(apr_uint64_t v);

/** How long ago @a then was at @a now: "just now", "45 s ago",
 * "3 min ago", "2 h ago", "5 days ago"; "in 3 min" for a future time;
 * "never" for 0 or less. */
const char *ipcg_ago_text(apr_pool_t *p, apr_int64_t then, apr_int64_t now);

/** @a seconds as "1 d 3 h", "4 h 12 min", "3 min", "40 s". */
const char *ipcg_span_text(apr_pool_t *p, apr_int64_t seconds);

/** "2026-12-01 10:00:00" in local time; "an unknown time" for 0 or less. */
const char *ipcg_local_time(apr_pool_t *p, apr_int64_t epoch);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_UNITS_H */
