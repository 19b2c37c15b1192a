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

#include <apr_hash.h>

#include "ipcguard/ipcg_obj.h"

#ifdef __cplusplus
extern "C" {
#endif

struct semid_ds;
struct seminfo;

/** semctl()'s fourth argument, which glibc leaves to the caller to
 * declare; the scanner and the probes share this one. */
union ipcg_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *info;
};

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

/** Start an empty snapshot whose first @a cap objects go to @a buf (room
 * for @a cap ipcg_obj_t, which must outlive the snapshot); more go to
 * @a p. A caller that keeps one buffer for its scans does not touch new
 * memory with each one. */
void ipcg_snapshot_init_buf(apr_pool_t *p, ipcg_snapshot_t *snap, void *buf,
                            int cap);

/* ---- What appeared since a mark, without reading the tables ----------
 *
 * The kernel gives every new SysV object the next free index after the
 * last one it gave (cyclically) and an id of (sequence << shift) + index,
 * the sequence growing at each wrap: ids grow in the order objects are
 * made. A mark makes and at once removes one object of each SysV kind
 * (IPC_PRIVATE, mode 0); its id is the allocation clock at that moment.
 * Everything made after a mark has a larger id and an index between the
 * mark's and the next mark's, cyclically, which SEM_STAT, SHM_STAT and
 * MSG_STAT read index by index. So the cost grows with what was made in
 * between (and with the indexes the kernel skipped as taken), not with
 * what other programs hold; a freed index taken again carries a new id.
 * Where no mark can be made (a table full), that kind is read whole from
 * /proc once, and the largest id seen serves as the mark. A kind the
 * kernel counts none of (*_INFO) takes no mark: nothing made since the
 * last one is left, and the last one stays. A kind the kernel counted
 * objects of at the last look is not asked again: it gets its mark at
 * once (the answer would almost always be "some", and the mark is exact
 * either way); it is asked again once a look finds it empty.
 *
 * /dev/shm is watched through its directory: unchanged mtime, ctime and
 * size (tmpfs counts its entries in it) since a stat taken after the
 * clock had passed them prove nothing was added; otherwise the names are
 * listed, and only names or inodes not seen before are looked at. */

/** The sequence and index split of a SysV id. */
typedef struct {
    int shift;                 /**< 15, or 24 with ipcmni_extend */
    int stat_any;              /**< *_STAT_ANY works (Linux 4.17) */
} ipcg_idfmt_t;

/** A mark: where the allocation clock stood. */
typedef struct {
    apr_int64_t last[3];       /**< per SysV kind: every object of the
                                    kind that existed at the mark has an
                                    id <= this, everything made later a
                                    larger one; -1: unknown */
    int populated[3];          /**< per SysV kind: the kernel counted
                                    objects of it at the last look */
    ipcg_idfmt_t fmt;
    int devshm_ok;             /**< the /dev/shm part below is valid */
    int devshm_settled;        /**< its times were older than the clock */
    apr_int64_t dir_mtime, dir_ctime;   /**< nanoseconds */
    apr_uint64_t dir_size, dir_ino;
    apr_hash_t *names;         /**< /dev/shm name -> apr_uint64_t inode */
    apr_pool_t *parent;        /**< where each mark's pool is made */
    apr_pool_t *pool;          /**< holds names */
    apr_uint64_t probes;       /**< indexes read by the last ipcg_scan_since */
    int full_reads;            /**< tables read whole by it */
} ipcg_mark_t;

/** Take a mark in a subpool of @a p (which must outlive it); any earlier
 * mark in @a m is released. */
apr_status_t ipcg_mark_take(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_mark_t *m);

/** Append to @a added (a snapshot) every object that exists now and was
 * made after the mark @a m, then move the mark to now. APR_EGENERAL when
 * a kind could not be told (its sequence wrapped around); the mark still
 * moves. */
apr_status_t ipcg_scan_since(apr_pool_t *p, const ipcg_paths_t *paths,
                             ipcg_mark_t *m, ipcg_snapshot_t *added);

/** Release the pool of a mark. */
void ipcg_mark_clear(ipcg_mark_t *m);

/** The index ranges an allocation between id @a from and id @a to (both
 * marks) can have used: fills @a lo and @a hi (inclusive, at most 2
 * ranges, max_idx the highest index in use now) and returns how many;
 * -1 when @a to is not after @a from (a sequence wrapped around). */
int ipcg_mark_ranges(apr_int64_t from, apr_int64_t to, int shift,
                     apr_int64_t max_idx, apr_int64_t lo[2],
                     apr_int64_t hi[2]);

/** Read the current state of just the objects in @a objs (ipcg_obj_t)
 * by id or by name, into @a snap: each that still exists (the same
 * object, not a reuse of its id) is appended; its kind is marked read.
 * An object that cannot be read for a reason other than being gone is
 * appended as it was given. The cost grows with @a objs, not with what
 * the kernel holds. */
apr_status_t ipcg_scan_objects(apr_pool_t *p, const ipcg_paths_t *paths,
                               const apr_array_header_t *objs,
                               ipcg_snapshot_t *snap);

/** Whether @a o, found new between two marks, can have been made by
 * process @a pid running with effective uid @a euid: the creator uid must
 * be @a euid (POSIX objects: the owner @a euid or @a alt_uid), and a pid
 * the kernel recorded (shm creator, last semop or SETVAL on a set, last
 * msgsnd) must be @a pid. */
int ipcg_obj_maybe_by(const ipcg_obj_t *o, apr_int64_t pid,
                      apr_uint32_t euid, apr_uint32_t alt_uid);
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
