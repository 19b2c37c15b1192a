/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_obj.h
 * @brief One IPC object as the kernel shows it, with its registry fields.
 *
 * The record has a fixed size so that it can live in the shared table and
 * be copied by value; names longer than IPCG_NAME_MAX are truncated and
 * flagged, never silently reused.
 */
#ifndef IPCG_OBJ_H
#define IPCG_OBJ_H

#include <apr.h>
#include <apr_pools.h>
#include <apr_tables.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The kinds of IPC object, in the order every output lists them. */
typedef enum {
    IPCG_SYSV_SEM = 0,
    IPCG_SYSV_SHM,
    IPCG_SYSV_MSG,
    IPCG_POSIX_SHM,
    IPCG_POSIX_SEM,
    IPCG_KIND_COUNT
} ipcg_kind_e;

/** The phase of the server's life in which an object appeared. */
typedef enum {
    IPCG_PHASE_UNKNOWN = 0,
    IPCG_PHASE_PRE_CONFIG,
    IPCG_PHASE_POST_CONFIG,
    IPCG_PHASE_OPEN_LOGS,
    IPCG_PHASE_PRE_MPM,
    IPCG_PHASE_CHILD_INIT,
    IPCG_PHASE_RUNTIME,
    IPCG_PHASE_COUNT
} ipcg_phase_e;

/** Who an object belongs to (SPEC: ownership classes). */
typedef enum {
    IPCG_CLASS_INSTANCE = 0,   /**< made by this server; removable when dead */
    IPCG_CLASS_APPLICATION,    /**< keyed, made by application code at runtime */
    IPCG_CLASS_FOREIGN,        /**< not this server's */
    IPCG_CLASS_COUNT
} ipcg_class_e;

/** owner_start of an object whose owner process is known to have exited. */
#define IPCG_OWNER_GONE APR_UINT64_MAX

/** Longest /dev/shm name kept (NAME_MAX is 255). */
#define IPCG_NAME_MAX 256
/** Longest module name kept (a source file name such as mod_rewrite.c). */
#define IPCG_MODULE_MAX 64

/**
 * One object. Which fields mean what depends on the kind:
 * - sysv-shm: size = bytes, nattch = attach count, cpid/lpid = creator and
 *   last shmat/shmdt pid.
 * - sysv-sem: size = number of semaphores; nattch, cpid, lpid unused (the
 *   per-semaphore pids come from semctl, see ipcg_probe.h).
 * - sysv-msg: size = bytes queued, nattch = messages queued, cpid = last
 *   msgsnd pid, lpid = last msgrcv pid.
 * - posix-shm / posix-sem: id = -1, name = file name in /dev/shm, size =
 *   file size, ino = inode.
 */
typedef struct {
    ipcg_kind_e kind;
    apr_int64_t id;               /**< SysV id, or -1 */
    apr_int32_t key;              /**< SysV key (signed, as /proc prints) */
    apr_uint32_t mode;            /**< permission bits and SHM_DEST/SHM_LOCKED */
    apr_uint32_t uid, gid;        /**< owner */
    apr_uint32_t cuid, cgid;      /**< creator */
    apr_uint64_t size;
    apr_uint64_t nattch;
    apr_int64_t cpid, lpid;
    apr_int64_t ctime;            /**< seconds since the epoch */
    apr_int64_t otime;            /**< last operation (sem), attach (shm), 0 if none */
    apr_uint64_t ino;             /**< inode for POSIX objects */
    apr_uint64_t rss;             /**< resident bytes (sysv-shm), 0 if unknown */
    /* registry fields */
    ipcg_phase_e phase;
    ipcg_class_e cls;
    apr_int64_t owner_pid;        /**< pid of the server process that made it, 0 if unknown */
    apr_uint64_t owner_start;     /**< its start time (/proc/<pid>/stat field
                                       22): 0 unknown, IPCG_OWNER_GONE known
                                       to have exited (not in state files) */
    apr_int64_t adopted;          /**< application objects: when this
                                       server first saw its processes use
                                       it (epoch s, see ipcg_adopt.h); 0
                                       otherwise (not in state files) */
    char module[IPCG_MODULE_MAX]; /**< allocating module, or "unknown" */
    char name[IPCG_NAME_MAX];     /**< POSIX name, empty for SysV */
} ipcg_obj_t;

/** The name of a kind as every output spells it ("sysv-sem", ...). */
const char *ipcg_kind_name(ipcg_kind_e kind);
/** The kind named by @a name, or -1. */
int ipcg_kind_parse(const char *name);
/** "pre_config", "post_config", ... */
const char *ipcg_phase_name(ipcg_phase_e phase);
int ipcg_phase_parse(const char *name);
/** "instance", "application", "foreign" */
const char *ipcg_class_name(ipcg_class_e cls);
int ipcg_class_parse(const char *name);

/** True when two records name the same kernel object: same kind and id
 * (or name and inode), same key, ctime, creator and size. A later object
 * that reuses an id differs in at least ctime. */
int ipcg_obj_same(const ipcg_obj_t *a, const ipcg_obj_t *b);

/** Copy @a src into the fixed buffer @a dst of @a len bytes; returns 1 if
 * it had to truncate. */
int ipcg_strlcpy(char *dst, const char *src, apr_size_t len);

/** Make the memory pages of the @a len bytes at @a at, which the caller
 * is about to fill, in one system call instead of a page fault each
 * (MADV_POPULATE_WRITE). The part of a page before @a at is left alone,
 * and so is everything where the kernel cannot: those pages fault in as
 * they are filled. */
void ipcg_populate(void *at, apr_size_t len);

/** An array of room for @a n objects for the caller to fill, its memory
 * neither zeroed nor faulted page by page: ipcg_objs_push() hands out
 * its places, each to be filled whole, and makes the pages of the next
 * 256 places in one call as it goes. Room that is never handed out is
 * never touched, so @a n may be a bound from above. */
apr_array_header_t *ipcg_objs_make(apr_pool_t *p, int n);

/** The next place of @a objs, not zeroed while it has room (past that,
 * apr_array_push()'s zeroed one). */
ipcg_obj_t *ipcg_objs_push(apr_array_header_t *objs);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_OBJ_H */
