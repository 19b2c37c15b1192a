/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_probe.h
 * @brief Asking the kernel about one object right now: does it still
 * exist, is it the same object, and who uses it. And removing it.
 */
#ifndef IPCG_PROBE_H
#define IPCG_PROBE_H

#include <apr_hash.h>

#include "ipcguard/ipcg_scan.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPCG_PROBE_MAX_PIDS 32

typedef struct {
    int exists;                 /**< 0: the id or name is gone */
    ipcg_obj_t now;             /**< the object as the kernel has it now */
    apr_uint64_t nattch;        /**< shm: attach count */
    apr_uint64_t waiters;       /**< sem: GETNCNT + GETZCNT over the set */
    int npids;                  /**< distinct pids the object names */
    apr_int64_t pids[IPCG_PROBE_MAX_PIDS];
    int pids_truncated;         /**< it named more than IPCG_PROBE_MAX_PIDS */
} ipcg_use_t;

/** The pid a semaphore set @a obj names first (the SETVAL or semop of
 * its first semaphore that has one): whoever made a fresh set. 0 when
 * none, or when the id now holds another set (its ctime differs). Two
 * system calls for a one-semaphore set, where ipcg_probe() takes four. */
apr_int64_t ipcg_probe_sem_maker(const ipcg_obj_t *obj);

/** ipcg_probe() of a SysV object (APR_EINVAL for any other kind). It
 * uses no pool and no state but @a use, so threads may probe different
 * objects at once. */
apr_status_t ipcg_probe_sysv(const ipcg_obj_t *obj, ipcg_use_t *use);

/** Probe @a obj by its id (SysV, with IPC_STAT and, for semaphores,
 * GETPID/GETNCNT/GETZCNT per semaphore) or by its name (POSIX, lstat). */
apr_status_t ipcg_probe(apr_pool_t *p, const ipcg_paths_t *paths,
                        const ipcg_obj_t *obj, ipcg_use_t *use);

/** The processes that map or hold open files in /dev/shm: a hash from the
 * file's inode (apr_uint64_t key) to the first such pid (apr_int64_t). */
apr_status_t ipcg_posix_users(apr_pool_t *p, const ipcg_paths_t *paths,
                              apr_hash_t **users);

/** Add to @a users (as ipcg_posix_users() fills it, from @a p) the files
 * on device @a dev that process @a pid holds open, as its descriptors in
 * paths->proc show them; @a tmp for the walk. */
void ipcg_fd_users(apr_pool_t *p, apr_pool_t *tmp, const ipcg_paths_t *paths,
                   apr_int64_t pid, apr_uint64_t dev, apr_hash_t *users);

/** Remove @a obj: IPC_RMID for SysV, unlink for POSIX. Never anything
 * else. */
apr_status_t ipcg_remove(apr_pool_t *p, const ipcg_paths_t *paths,
                         const ipcg_obj_t *obj);

/** ipcg_remove() of a SysV object (APR_EINVAL for any other kind): one
 * IPC_RMID by its id. It uses no pool, so threads may remove different
 * objects at once. */
apr_status_t ipcg_remove_sysv(const ipcg_obj_t *obj);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_PROBE_H */
