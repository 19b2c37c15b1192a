/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_limits.h
 * @brief The limits IPC objects count against, and how much of each is used.
 *
 * Each value carries a flag saying whether it was read: a value that could
 * not be read is reported absent, never as a number.
 */
#ifndef IPCG_LIMITS_H
#define IPCG_LIMITS_H

#include <apr_file_info.h>

#include "ipcguard/ipcg_scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A number that may be absent. */
typedef struct {
    int present;
    apr_uint64_t v;
} ipcg_num_t;

/** One row of /proc/user_beancounters. */
typedef struct {
    char resource[32];
    apr_uint64_t held, maxheld, barrier, limit, failcnt;
    int barrier_unlimited, limit_unlimited;  /**< LONG_MAX in the file */
} ipcg_bc_row_t;

typedef struct {
    int present;               /**< the file existed and parsed */
    char version[16];          /**< "2.5" */
    apr_int64_t uid;           /**< the container's uid, -1 if none seen */
    apr_array_header_t *rows;  /**< of ipcg_bc_row_t */
    int bad_lines;
} ipcg_bc_t;

/** Kernel limits (sysctls) and /dev/shm. */
typedef struct {
    ipcg_num_t shmmax, shmall, shmmni;          /**< bytes, pages, count */
    ipcg_num_t semmsl, semmns, semopm, semmni;  /**< kernel.sem */
    ipcg_num_t msgmni, msgmax, msgmnb;
    ipcg_num_t page_size;
    ipcg_num_t devshm_size, devshm_used, devshm_avail;   /**< bytes */
    ipcg_num_t meminfo_shmem;                   /**< bytes, /proc/meminfo */
} ipcg_limits_t;

/** Usage computed from a snapshot, to set beside the limits. */
typedef struct {
    apr_uint64_t count[IPCG_KIND_COUNT];  /**< objects per kind */
    apr_uint64_t sem_total;       /**< semaphores in all sets (vs SEMMNS) */
    apr_uint64_t shm_bytes;       /**< bytes in SysV segments */
    apr_uint64_t shm_pages;       /**< pages in SysV segments (vs SHMALL) */
    apr_uint64_t posix_bytes;     /**< bytes of /dev/shm files */
    apr_uint64_t msg_bytes;       /**< bytes queued */
} ipcg_usage_t;

/** Read every limit from @a paths->proc and statvfs(@a paths->devshm). */
apr_status_t ipcg_limits_read(apr_pool_t *p, const ipcg_paths_t *paths,
                              ipcg_limits_t *lim);

/** Parse the contents of /proc/sys/kernel/sem ("250 32000 32 128"). */
apr_status_t ipcg_parse_kernel_sem(const char *text, ipcg_limits_t *lim);

/** Parse /proc/meminfo's text for Shmem (kB, returned in bytes). */
apr_status_t ipcg_parse_meminfo_shmem(const char *text, ipcg_num_t *out);

/** Parse the text of /proc/user_beancounters. */
apr_status_t ipcg_parse_beancounters(apr_pool_t *p, const char *text,
                                     ipcg_bc_t *bc);

/** Read @a path (absent file: bc->present = 0 and APR_ENOENT). */
apr_status_t ipcg_beancounters_read(apr_pool_t *p, const char *path,
                                    ipcg_bc_t *bc);

/** The row for @a resource, or NULL. */
const ipcg_bc_row_t *ipcg_bc_find(const ipcg_bc_t *bc, const char *resource);

/** Sum up @a snap. */
void ipcg_usage_compute(const ipcg_snapshot_t *snap, apr_uint64_t page_size,
                        ipcg_usage_t *u);

/** Room in @a a for @a more elements at once (not zeroed; nothing when
 * there is room already): an array of thousands is not copied again and
 * again as it grows. */
void ipcg_array_reserve(apr_array_header_t *a, int more);

/** Parse a whole decimal, unsigned, with no sign, no junk and no overflow. */
apr_status_t ipcg_parse_u64(const char *s, apr_uint64_t *out);
/** Parse a whole signed decimal with no junk and no overflow. */
apr_status_t ipcg_parse_i64(const char *s, apr_int64_t *out);

/** A decimal exactly as the state and history files write it: digits,
 * no leading zero, no '+'; for the signed one a '-' only before a number
 * that is not zero. NULL when @a s is one (then in @a out), else why not:
 * "not a number", "not a canonical number", "leading zero" or
 * "out of range". */
const char *ipcg_canon_u64(const char *s, apr_uint64_t *out);
/** The same, signed. */
const char *ipcg_canon_i64(const char *s, apr_int64_t *out);

/** The bytes a file format writes as they are; the others as %XX. */
typedef int ipcg_pct_plain_fn(unsigned char c);

/** The first @a n bytes of @a s (fewer at a NUL) percent-encoded, %XX in
 * upper case, into @a out, which has room for 3 * @a n + 1 bytes; the
 * length written, without the NUL that ends it. */
apr_size_t ipcg_pct_encode(char *out, const char *s, apr_size_t n,
                           ipcg_pct_plain_fn *plain);

/** What ipcg_pct_decode() found. */
typedef enum {
    IPCG_PCT_OK,
    IPCG_PCT_TOO_LONG,      /**< more than @a cap - 1 bytes */
    IPCG_PCT_BAD_ESCAPE,    /**< '%' without two upper-case hex digits */
    IPCG_PCT_NUL,           /**< %00 */
    IPCG_PCT_NEEDLESS,      /**< an escape for a plain byte */
    IPCG_PCT_UNESCAPED      /**< a byte that is not plain, as it is */
} ipcg_pct_e;

/** @a s decoded into @a out of @a cap bytes (NUL included), accepting only
 * what ipcg_pct_encode() writes, so that encoding gives the same bytes
 * back. On failure @a at points at the offending input. */
ipcg_pct_e ipcg_pct_decode(const char *s, char *out, apr_size_t cap,
                           ipcg_pct_plain_fn *plain, const char **at);

/** Where a line-by-line parser of a file format is, and where it says
 * why it refuses the text. */
typedef struct {
    apr_pool_t *p;
    int line;                   /**< the line being read, from 1 */
    const char **why;
} ipcg_lines_t;

/** *why = "line <line>: @a what"; APR_EGENERAL. */
apr_status_t ipcg_lines_refuse(ipcg_lines_t *c, const char *what);

/** The next line of a text that ends in a newline before @a end: cut in
 * place at *@a at (which moves past it) and counted in @a c->line. NULL
 * at the end of the text, with *@a rv APR_SUCCESS; NULL with a refusal in
 * *@a rv when a line follows the end line (@a ended). */
char *ipcg_lines_next(ipcg_lines_t *c, char **at, const char *end,
                      int ended, apr_status_t *rv);

/** After the last ipcg_lines_next(): its refusal @a rv, or one saying
 * @a cut_short when the text had no end line (not @a ended). */
apr_status_t ipcg_lines_done(ipcg_lines_t *c, apr_status_t rv, int ended,
                             const char *cut_short);

/** APR's permission bits back to the octal mode the kernel shows. */
apr_uint32_t ipcg_unix_mode(apr_fileperms_t perms);

/** What ipcg_dir_each() calls for one entry; @a sub is cleared before
 * each call. */
typedef void ipcg_dir_fn(void *baton, apr_pool_t *sub,
                         const apr_finfo_t *entry);

/** Calls @a fn for every entry of @a dir but "." and "..", as
 * apr_dir_read() gives it with @a wanted (APR_FINFO_NAME and more). An
 * error while reading ends the walk as its end does; only a directory
 * that cannot be opened is an error. */
apr_status_t ipcg_dir_each(apr_pool_t *p, const char *dir,
                           apr_int32_t wanted, ipcg_dir_fn *fn, void *baton);

/** Read a small text file whole (at most @a max bytes) into a NUL-ended
 * buffer from @a p. Bigger files are APR_ENOSPC: never half-read. */
apr_status_t ipcg_read_file(apr_pool_t *p, const char *path, apr_size_t max,
                            char **text, apr_size_t *len);

/** What ipcg_read_lines() calls for each run of whole lines: NUL-ended,
 * with the newline of the last one unless the file ends without one.
 * Anything but APR_SUCCESS ends the read with that status. */
typedef apr_status_t ipcg_lines_fn(void *baton, const char *lines);

/** Read a text file of any size a buffer of IPCG_LINES_CHUNK bytes at a
 * time, giving @a fn whole lines only: nothing is copied into a pool,
 * however big the file (/proc/<pid>/maps of a process with many
 * mappings). A line longer than the buffer is APR_ENOSPC. */
apr_status_t ipcg_read_lines(apr_pool_t *p, const char *path,
                             ipcg_lines_fn *fn, void *baton);

/** The buffer of ipcg_read_lines(): room for a path of PATH_MAX bytes
 * and the fields before it. */
#define IPCG_LINES_CHUNK 8192

#ifdef __cplusplus
}
#endif
#endif /* IPCG_LIMITS_H */
