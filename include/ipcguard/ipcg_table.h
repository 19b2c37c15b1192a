/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_table.h
 * @brief The table the parent publishes for the children: one writer (the
 * parent), many readers (the handler in every child), no lock.
 *
 * The memory is the caller's: the module puts it in anonymous shared
 * memory (apr_shm_create with no name), so that it creates no SysV object
 * and no named semaphore and a kill -9 leaves nothing behind. Readers use
 * the generation counter (a seqlock): the writer makes it odd, writes,
 * and makes it even again; a reader copies and retries when the counter
 * was odd or moved.
 */
#ifndef IPCG_TABLE_H
#define IPCG_TABLE_H

#include "ipcguard/ipcg_report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipcg_table_t ipcg_table_t;

/** Room for the report's ?auto lines kept ready in the table. */
#define IPCG_TABLE_AUTO_MAX 16384

/** Bytes needed for a table of these capacities. */
apr_size_t ipcg_table_size(apr_uint32_t cap_objs, apr_uint32_t cap_decisions,
                           apr_uint32_t cap_procs);

/** Lay a fresh, empty table out in @a mem (of @a size bytes). */
ipcg_table_t *ipcg_table_init(void *mem, apr_size_t size,
                              apr_uint32_t cap_objs,
                              apr_uint32_t cap_decisions,
                              apr_uint32_t cap_procs);

/** The same for @a mem that is all zero bytes already, as fresh anonymous
 * shared memory is: only the header's first fields are written, so the
 * pages of the report and the ?auto text are first touched by the first
 * publish, not while httpd builds a generation. */
ipcg_table_t *ipcg_table_init_zeroed(void *mem, apr_size_t size,
                                     apr_uint32_t cap_objs,
                                     apr_uint32_t cap_decisions,
                                     apr_uint32_t cap_procs);

/** Publish @a v; what does not fit is counted in the report's *_dropped,
 * the table's and @a v's alike: @a v's report is then the one published. */
void ipcg_table_publish(ipcg_table_t *t, ipcg_view_t *v);

/** Whether a view was published in @a t since ipcg_table_init(): the
 * writer fills the table first after the start's first full scan, which
 * runs once the server serves. */
int ipcg_table_filled(const ipcg_table_t *t);

/** Wait until ipcg_table_filled(@a t), at most @a max: APR_SUCCESS,
 * APR_EAGAIN when @a max passed first, APR_EINVAL if @a t is not a
 * table. */
apr_status_t ipcg_table_wait_filled(const ipcg_table_t *t,
                                    apr_interval_time_t max);

/** Copy a consistent view out of @a t into @a p. Returns APR_EAGAIN if
 * the writer kept it busy for over a second, APR_EINVAL if @a t is not
 * a table. */
apr_status_t ipcg_table_read(ipcg_table_t *t, apr_pool_t *p, ipcg_view_t *v);

/** Copy only the fixed report (counters, summary, limits, forecasts:
 * about 13 KB) out of @a t, consistent under the same seqlock, without
 * the object, decision and process lists. For readers that print only
 * the report, such as the lines added to /server-status. Returns as
 * ipcg_table_read does. */
apr_status_t ipcg_table_read_report(ipcg_table_t *t, ipcg_report_t *rep);

/** Keep @a text (@a len bytes: the report's ?auto lines, as the writer
 * rendered them, without the one line that changes by itself, Uptime,
 * which belongs at @a uptime_at and is computed from @a started) ready for
 * readers that print only those lines. Text longer than
 * IPCG_TABLE_AUTO_MAX is not kept (APR_ENOSPC): readers then find none. */
apr_status_t ipcg_table_publish_auto(ipcg_table_t *t, const char *text,
                                     apr_size_t len, apr_size_t uptime_at,
                                     apr_int64_t started);

/** Copy the ready ?auto text into @a buf (of @a cap bytes), consistent
 * under the seqlock: its length, where the Uptime line goes and the start
 * it counts from. APR_ENOENT when none was published, otherwise as
 * ipcg_table_read. */
apr_status_t ipcg_table_read_auto(ipcg_table_t *t, char *buf, apr_size_t cap,
                                  apr_size_t *len, apr_size_t *uptime_at,
                                  apr_int64_t *started);

/** The current generation (even when stable); for tests. */
apr_uint32_t ipcg_table_generation(const ipcg_table_t *t);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_TABLE_H */
