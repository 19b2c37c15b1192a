/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_scan.h
 * @brief Reading the kernel's IPC tables: /proc/sysvipc/{shm,sem,msg} and
 * the POSIX objects in /dev/shm.
 *
 * Every path can be pointed at a fixture (ipcg_paths_t). Parsers split by
 * whitespace (the kernel's columns widen with their values), accept keys
 * as signed decimals and modes as octal with the SHM_DEST/SHM_LOCKED bits,
 * and reject a line rather than guess: a rejected line is counted in
 * ipcg_snapshot_t.bad_lines.
 */
#ifndef IPCG_SCAN_H
#define IPCG_SCAN_H

#include "ipcguard/ipcg_obj.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where the scanner reads; defaults are the live system's. */
typedef struct {
    const char *proc;          /**< "/proc" */
    const char *devshm;        /**< "/dev/shm" */
    const char *beancounters;  /**< "/proc/user_beancounters" */
} ipcg_paths_t;

/** Fill @a paths with the live system's locations. */
void ipcg_paths_default(ipcg_paths_t *paths);

/** What one scan saw: an array of ipcg_obj_t, one per object. */
typedef struct {
    apr_array_header_t *objs;   /**< of ipcg_obj_t */
    int bad_lines;              /**< lines rejected by the parsers */
    int kinds_read;             /**< bit (1 << kind) set for each table read */
} ipcg_snapshot_t;

/** Parse one line of /proc/sysvipc/{shm,sem,msg} for @a kind into @a obj.
 * Returns APR_SUCCESS, or APR_EGENERAL for a header or malformed line. */
apr_status_t ipcg_parse_sysv_line(ipcg_kind_e kind, const char *line,
                                  ipcg_obj_t *obj);

/** Append the objects of /proc/sysvipc/<table> for @a kind to @a snap.
 * A missing file (a kernel without SysV IPC) is APR_ENOENT. */
apr_status_t ipcg_scan_sysv(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_kind_e kind, ipcg_snapshot_t *snap);

/** Append the POSIX objects in /dev/shm to @a snap: "sem.*" files as
 * posix-sem, other regular files as posix-shm. Symlinks, directories and
 * other non-regular entries are skipped (they are no shm objects). */
apr_status_t ipcg_scan_devshm(apr_pool_t *p, const ipcg_paths_t *paths,
                              ipcg_snapshot_t *snap);

/** Everything: the three SysV tables and /dev/shm. The first error is
 * returned, but what could be read is kept. */
apr_status_t ipcg_scan_all(apr_pool_t *p, const ipcg_paths_t *paths,
                           ipcg_snapshot_t *snap);

/** Start an empty snapshot. */
void ipcg_snapshot_init(apr_pool_t *p, ipcg_snapshot_t *snap);

/** What the kernel says about its IPC tables as a whole, in a handful of
 * system calls and without listing a single object: for each SysV table
 * the highest index in use and its counts (SEM_INFO: sets, semaphores;
 * SHM_INFO: segments, pages; MSG_INFO: queues, messages, bytes), and for
 * /dev/shm the blocks and inodes in use (statvfs) and the directory's
 * inode, change and modification times (a file made, removed or renamed
 * there moves them). Two equal signatures mean no object came or went in
 * between, except where one vanished and another took its place with the
 * same counts and index: that is left to a full scan now and then. */
typedef struct {
    int read;                     /**< bit (1 << kind) per table read */
    apr_int64_t high[3];          /**< SysV: highest index in use */
    apr_uint64_t n1[3], n2[3], n3[3]; /**< SysV: the counts above */
    apr_uint64_t devshm_blocks, devshm_files;  /**< in use */
    apr_uint64_t devshm_ino;
    apr_int64_t devshm_mtime, devshm_ctime;    /**< microseconds */
} ipcg_signature_t;

/** Read the signature of the live system (SysV) and of @a paths->devshm. */
void ipcg_scan_signature(apr_pool_t *p, const ipcg_paths_t *paths,
                         ipcg_signature_t *sig);

/** 1 if @a a and @a b are the same signature (the same tables read, the
 * same figures), else 0. */
int ipcg_signature_same(const ipcg_signature_t *a, const ipcg_signature_t *b);

/** Ask the kernel about the one object @a rec, as a scan recorded it:
 * IPC_STAT by its id (SysV) or lstat by its name (POSIX). 1 if it is still
 * there and nothing a scan shows of it moved (key, creator, owner, mode,
 * change time, size; a segment's attach count); 0 if it is gone, replaced
 * or changed; -1 if the kernel cannot tell. The times of its last
 * operations are not compared: an accept mutex moves them on every
 * request. */
int ipcg_obj_unchanged(apr_pool_t *p, const ipcg_paths_t *paths,
                       const ipcg_obj_t *rec);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_SCAN_H */
