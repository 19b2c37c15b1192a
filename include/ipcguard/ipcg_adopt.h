/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_adopt.h
 * @brief Adoption: a keyed or named object that this server's processes
 * use is this server's application object, whoever made it and when; and
 * the short record that carries what the server knew of its application
 * objects across a stop, clean or not.
 *
 * Use is what the kernel records: the pid of the last semop (or SETVAL)
 * on any semaphore of a set, the creator and last shmat/shmdt pid of a
 * segment, the last msgsnd and msgrcv pid of a queue; and what /proc
 * shows: a SysV segment in a process's maps (its inode there is the
 * segment id), a /dev/shm file mapped or held open. Only processes of
 * the server's tree count.
 *
 * Adoption changes the class of an object from foreign to application,
 * nothing else: application objects are never removed automatically.
 *
 * Record format (docs/state-file.md, "The application record"): line
 * oriented, canonical, refused whole on any fault:
 *
 *     ipcguard-apps 1
 *     instance <16 hex digits>
 *     obj kind=sysv-sem id=10 key=1627407700 name= ino=0 cuid=33 \
 *         ctime=N size=1 pid=812 adopted=N      (one line)
 *     end <number of obj lines>
 */
#ifndef IPCG_ADOPT_H
#define IPCG_ADOPT_H
#include <apr_hash.h>
#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_proc.h"
#ifdef __cplusplus
extern "C" {
#endif

#define IPCG_APPS_VERSION 1
/** A record larger than this is refused. */
#define IPCG_APPS_MAX_BYTES ((apr_uint64_t)1024 * 1024)
/** At most this many objects in a record. */
#define IPCG_APPS_MAX_OBJS 4096

/** What the processes of one server tree use. */
typedef struct {
    apr_pool_t *pool;
    apr_hash_t *pids;      /**< apr_int64_t pid -> const char *command */
    apr_hash_t *shm;       /**< apr_int64_t segment id -> apr_int64_t pid */
    apr_hash_t *files;     /**< apr_uint64_t /dev/shm inode ->
                                apr_int64_t pid */
    int mapped;            /**< maps and descriptors were read */
} ipcg_users_t;

/** Start with the processes of @a tree (ipcg_proc_t, see ipcg_proc_tree)
 * and, when > 0, @a extra_pid (a child that has just exited). */
void ipcg_users_init(apr_pool_t *p, ipcg_users_t *u,
                     const apr_array_header_t *tree, apr_int64_t extra_pid);

/** Add what the text of /proc/<pid>/maps of @a pid shows: SysV segments
 * ("/SYSV<key>" entries, inode = id) and files under @a devshm (with
 * @a devshm_dev, the device of that directory, as "major:minor" in hex,
 * or NULL to take any device). */
void ipcg_users_parse_maps(ipcg_users_t *u, apr_int64_t pid,
                           const char *text, const char *devshm,
                           const char *devshm_dev);

/** Read the maps and the open descriptors of every process of @a u. */
void ipcg_users_read(ipcg_users_t *u, const ipcg_paths_t *paths);

/** Whether @a o can be adopted at all: a SysV object with a key (one
 * made with IPC_PRIVATE is no one's to find again) or a POSIX object. */
int ipcg_adopt_candidate(const ipcg_obj_t *o);

/** The pid of the server's tree that uses @a o, 0 if none is seen.
 * @a use: a probe of @a o (for a semaphore set, the pids of its
 * semaphores), or NULL. Files and mapped segments count only when
 * ipcg_users_read() ran. */
apr_int64_t ipcg_adopt_user(const ipcg_users_t *u, const ipcg_obj_t *o,
                            const ipcg_use_t *use);

/** What adoption remembers between scans: when each semaphore set last
 * changed, so that a set is probed again only after an operation. */
typedef struct ipcg_adopt_t ipcg_adopt_t;

/** A memo in its own subpool of @a p. */
ipcg_adopt_t *ipcg_adopt_create(apr_pool_t *p);

/** Look at each candidate of @a snap whose slot is not in @a known: the
 * ones a process of @a u uses are appended to @a found (ipcg_obj_t, as
 * the snapshot shows them, with class application, phase runtime,
 * module "unknown", owner_pid the user and adopted @a now). The maps
 * and descriptors of @a u are read, once, only when a segment or a POSIX
 * object is not settled by the pids the kernel records. Returns how many
 * were found. */
int ipcg_adopt_scan(ipcg_adopt_t *a, apr_pool_t *p, const ipcg_paths_t *paths,
                    const ipcg_snapshot_t *snap, apr_hash_t *known,
                    ipcg_users_t *u, apr_int64_t now,
                    apr_array_header_t *found);

/** The record of a server's application objects. */
typedef struct {
    char instance[17];          /**< hex id of the instance */
    apr_array_header_t *objs;   /**< of ipcg_obj_t: kind, id, key, name,
                                     ino, cuid, ctime, size, owner_pid
                                     (the user seen), adopted */
} ipcg_apps_t;

/** dir/<instance>.apps */
const char *ipcg_apps_path(apr_pool_t *p, const char *dir,
                           const char *instance);

/** The application objects of @a reg as a record for @a instance. */
void ipcg_apps_from(apr_pool_t *p, const apr_array_header_t *reg,
                    const char *instance, ipcg_apps_t *apps);

/** Render @a apps as the record's text (NULL if an object cannot be
 * written: a SysV object with a name, a POSIX one without, a name with
 * '/'). */
char *ipcg_apps_format(apr_pool_t *p, const ipcg_apps_t *apps,
                       apr_size_t *len);

/** Parse @a text strictly: only what ipcg_apps_format() writes. On
 * failure APR_EGENERAL, and @a why names the line and the fault. */
apr_status_t ipcg_apps_parse(apr_pool_t *p, const char *text, apr_size_t len,
                             ipcg_apps_t *apps, const char **why);

/** Read @a path with the state file's refusals (ipcg_file_read_trusted:
 * owner @a owner_uid, no group or world write, no symlink), then parse
 * it; APR_ENOENT if there is none. */
apr_status_t ipcg_apps_read(apr_pool_t *p, const char *path,
                            apr_uint32_t owner_uid, ipcg_apps_t *apps,
                            const char **why);

/** Write @a apps to @a path atomically, mode 0600. */
apr_status_t ipcg_apps_write(apr_pool_t *p, const char *path,
                             const ipcg_apps_t *apps, const char **why);

/** The objects of @a apps that still exist (the same objects: see
 * ipcg_obj_continues), read from the kernel one by one, as registry
 * entries: class application, phase runtime, module "unknown", the
 * recorded user and adoption time, the user's start time
 * IPCG_OWNER_GONE (a process of an earlier run). Appended to @a out. */
void ipcg_apps_revive(apr_pool_t *p, const ipcg_paths_t *paths,
                      const ipcg_apps_t *apps, apr_array_header_t *out);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_ADOPT_H */
