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

#ifdef __cplusplus
}
#endif
#endif /* IPCG_SCAN_H */
