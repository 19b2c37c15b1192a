/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_state.h
 * @brief The per-instance state file: what a run registered, so that the
 * next start can prove the run dead and remove exactly its leftovers.
 *
 * Format (docs/state-file.md): versioned, line oriented, one record per
 * line, fields "name=value" with values percent-encoded, ended by a line
 * holding the count of records and a checksum of everything before it, so
 * that a truncated or edited file is refused whole. Writing is atomic
 * (temp file in the same directory, rename; no fsync: see state-file.md).
 * Reading refuses a file that anyone but root could have
 * written.
 */
#ifndef IPCG_STATE_H
#define IPCG_STATE_H

#include <apr_file_io.h>

#include "ipcguard/ipcg_obj.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IPCG_STATE_VERSION 1
/** A state file larger than this is refused (about 20,000 objects). */
#define IPCG_STATE_MAX_BYTES ((apr_uint64_t)16 * 1024 * 1024)

typedef struct {
    apr_int64_t pid;             /**< the httpd parent */
    apr_uint64_t starttime;      /**< its /proc/<pid>/stat field 22 */
    apr_int64_t pgrp, session;
    char boot_id[40];
    apr_uint32_t run_uid, run_gid;   /**< the run User and Group */
    apr_int64_t started;         /**< when the parent started, epoch s */
    apr_int64_t written;         /**< when this file was written, epoch s */
    apr_uint64_t generation;     /**< MPM generation at the last write */
    char instance[17];           /**< hex id of the instance (see below) */
    const char *pidfile;         /**< the PidFile the id derives from */
    apr_array_header_t *objs;    /**< of ipcg_obj_t */
} ipcg_state_t;

/** FNV-1a, 64 bits, of @a len bytes of @a s: the hash of the instance id
 * and of the file's checksum, for anything else that must tell one text
 * from another (it is no signature). */
apr_uint64_t ipcg_fnv1a(const char *s, apr_size_t len);

/** The instance id: 16 hex digits of a hash of @a pidfile (the absolute
 * PidFile path), stable across runs of the same configuration. */
void ipcg_state_instance_id(const char *pidfile, char out[17]);

/** The state file's path for @a instance in @a dir: dir/<id>.state */
const char *ipcg_state_path(apr_pool_t *p, const char *dir,
                            const char *instance);

/** Render @a st as the file's text. */
char *ipcg_state_format(apr_pool_t *p, const ipcg_state_t *st,
                        apr_size_t *len);

/** Parse @a text strictly. On failure returns APR_EGENERAL and sets
 * @a why to a message naming the line and what was wrong. */
apr_status_t ipcg_state_parse(apr_pool_t *p, const char *text,
                              apr_size_t len, ipcg_state_t *st,
                              const char **why);

/** Write @a st to @a path atomically, mode 0600: a temp file
 * ".<name>.tmp.<pid>" in the same directory (created exclusively),
 * written and renamed over @a path; not synced (the objects it names do
 * not outlive a reboot; the page cache outlives the process). A
 * state whose text would not parse back (e.g. pid 0, a SysV object with a
 * name) is not written: APR_EINVAL. On any failure the temp file is
 * removed and @a why says what failed. */
apr_status_t ipcg_state_write(apr_pool_t *p, const char *path,
                              const ipcg_state_t *st, const char **why);

/** ipcg_state_write for a text ipcg_state_format already made: checked
 * by parsing it back, then written the same way. */
apr_status_t ipcg_state_write_text(apr_pool_t *p, const char *path,
                                   const char *text, apr_size_t len,
                                   const char **why);

/** FNV-1a of what a state text records: all of it but its "written" line
 * and its "end" line (which sums the written time too). Two texts with
 * the same content sum record the same server and objects, whenever they
 * were written. Never 0. */
apr_uint64_t ipcg_state_content_sum(const char *text, apr_size_t len);

/** Read @a path, refusing (APR_EACCES, with @a why) a symlink, a file that
 * is not regular, not owned by @a owner_uid (root: 0), group- or
 * world-writable, in a directory writable by others than its owner, or
 * larger than IPCG_STATE_MAX_BYTES; APR_ENOENT if there is none; parse
 * errors as ipcg_state_parse. */
apr_status_t ipcg_state_read(apr_pool_t *p, const char *path,
                             apr_uint32_t owner_uid, ipcg_state_t *st,
                             const char **why);

/** The writing half of ipcg_state_write, for any file of the state
 * directory: @a text goes to @a path atomically, mode 0600 (temp file,
 * rename); when @a durable, the file and the directory are synced too. */
apr_status_t ipcg_file_write_atomic(apr_pool_t *p, const char *path,
                                    const char *text, apr_size_t len,
                                    int durable, const char **why);

/** The reading half of ipcg_state_read: the same refusals, then the
 * whole file in @a text (NUL-terminated, @a len bytes). */
apr_status_t ipcg_file_read_trusted(apr_pool_t *p, const char *path,
                                    apr_uint32_t owner_uid, char **text,
                                    apr_size_t *len, const char **why);

/** Remove the state file (a clean stop). */
apr_status_t ipcg_state_remove(apr_pool_t *p, const char *path);

/** The run lock beside the state file at @a state_path: the same path
 * with ".lock" for ".state" (dir/<id>.lock). A serving parent holds it
 * for as long as it runs; its children share it (see below). */
const char *ipcg_runlock_path(apr_pool_t *p, const char *state_path);

/** Take the run lock at @a path (made if missing, mode 0600): an
 * open-file-description lock, shared with every process forked from the
 * holder and released by the kernel when the last of them exits, however
 * it ends. The file stays open in @a p (close-on-exec: programs httpd
 * runs do not hold it). APR_EAGAIN: another open file description holds
 * it (a live run of the same instance, in whatever PID namespace). */
apr_status_t ipcg_runlock_take(apr_pool_t *p, const char *path,
                               apr_file_t **lock);

/** Whether a process holds the run lock at @a path, asked without taking
 * it: 1 held, 0 not held or no such file (a run that never held one),
 * -1 cannot tell. A process must not ask about a lock it holds itself
 * through another descriptor: it would see its own. */
int ipcg_runlock_held(apr_pool_t *p, const char *path);

/** Make the state directory if it is missing: mode 0700, owned by the
 * caller; refuse (APR_EACCES) one that is a symlink, not owned by
 * @a owner_uid or writable by group or others. */
apr_status_t ipcg_state_dir_ensure(apr_pool_t *p, const char *dir,
                                   apr_uint32_t owner_uid, const char **why);

/** Every state file in @a dir (other instances' too), parsed; files that
 * fail the checks are skipped and counted in @a refused. Names starting
 * with '.' (temp files) and not ending in ".state" are ignored; the result
 * is sorted by instance id. */
apr_status_t ipcg_state_list(apr_pool_t *p, const char *dir,
                             apr_uint32_t owner_uid, const char *exclude,
                             apr_array_header_t **states, int *refused);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_STATE_H */
