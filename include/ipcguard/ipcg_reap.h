/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_reap.h
 * @brief The proofs behind every removal, and the startup, child and
 * orphan cleanups built on them.
 *
 * Nothing is removed unless all of these hold: the run that made it is
 * dead (its parent pid is gone or has another start time, and none of its
 * processes survives); the object is the one recorded (same slot, key,
 * creator, size and ctime); it belongs to root or the run User/Group; it
 * is instance-owned; no live instance has it registered; and nothing uses
 * it (no attachment, no waiter, every pid it names dead, no process maps
 * or holds the /dev/shm file). In report mode nothing is removed at all.
 */
#ifndef IPCG_REAP_H
#define IPCG_REAP_H

#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_proc.h"
#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_state.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Tells whether a pid is alive: 1 alive, 0 dead, -1 cannot tell. */
typedef int ipcg_alive_fn(void *baton, apr_int64_t pid);

typedef struct {
    ipcg_cleanup_e mode;
    apr_uint32_t run_uid, run_gid;
    apr_int64_t self_pid;            /**< this process, never a survivor */
    const char *self_exe;            /**< this binary (/proc/self/exe) */
    const ipcg_paths_t *paths;
    const char *state_dir;
    const char *instance;            /**< this instance's id; NULL: take
                                          it from the state file */
    const char *state_file;          /**< read this file instead of
                                          state_dir/<instance>.state */
    ipcg_alive_fn *alive;            /**< NULL: ask /proc */
    void *alive_baton;
} ipcg_reap_opts_t;

typedef enum {
    IPCG_RUN_DEAD = 0,       /**< proven dead: its leftovers may go */
    IPCG_RUN_ALIVE,          /**< the recorded parent still runs */
    IPCG_RUN_SURVIVORS,      /**< the parent is gone, some of its processes
                                  are not */
    IPCG_RUN_UNKNOWN         /**< cannot tell (e.g. /proc unreadable) */
} ipcg_run_e;

/** Is the run recorded in @a st dead? @a procs is every process
 * (ipcg_proc_list); @a survivors receives the old run's live processes
 * (ipcg_proc_t). @a why says why not dead. */
ipcg_run_e ipcg_reap_run_state(apr_pool_t *p, const ipcg_reap_opts_t *o,
                               const ipcg_state_t *st,
                               const apr_array_header_t *procs,
                               const apr_array_header_t *live_states,
                               apr_array_header_t *survivors,
                               const char **why);

/** Decide about one recorded object of a dead run from its probe.
 * @a live_slots holds the slots registered by live instances. Returns 1
 * when it may be removed, else 0 with @a reason filled. */
int ipcg_reap_decide(const ipcg_reap_opts_t *o, const ipcg_obj_t *rec,
                     const ipcg_use_t *use, apr_hash_t *live_slots,
                     apr_hash_t *posix_users, char *reason, apr_size_t len);

/** Decide whether an unregistered object is a provable orphan of an
 * earlier run: owned by the run User, IPC_PRIVATE, unused, naming at least
 * one pid and only dead ones, registered by no live instance. Returns 1
 * when provable; 0 with @a reason otherwise; -1 when it is no candidate at
 * all (another owner, keyed, POSIX). */
int ipcg_orphan_decide(const ipcg_reap_opts_t *o, const ipcg_obj_t *obj,
                       const ipcg_use_t *use, apr_hash_t *live_slots,
                       char *reason, apr_size_t len);

/** The startup cleanup: read this instance's state file, prove the run
 * dead, decide about and (by mode) remove each object; log the summary at
 * notice, each object at info, each refusal at warning. Fills @a res and
 * appends ipcg_decision_t to @a decisions; objects kept that still exist
 * and are this instance's are appended to @a carried (ipcg_obj_t) so that
 * the new run keeps them registered. Never fails startup: errors are
 * logged and reported in @a res. */
void ipcg_reap_startup(apr_pool_t *p, const ipcg_reap_opts_t *o,
                       ipcg_cleanup_t *res, apr_array_header_t *decisions,
                       apr_array_header_t *carried);

/** Look for orphans among @a snap's objects not in @a registered (slots of
 * this instance); report each (decision IPCG_DEC_ORPHAN) and, in orphans
 * mode, remove the provable ones. Returns the number removed. */
int ipcg_reap_orphans(apr_pool_t *p, const ipcg_reap_opts_t *o,
                      const ipcg_snapshot_t *snap, apr_hash_t *registered,
                      int remove, apr_array_header_t *decisions,
                      apr_uint64_t *candidates, apr_uint64_t *provable);

/** The slots (hash keys) of every object registered by a live instance
 * other than @a o->instance, from the state files in o->state_dir. */
apr_hash_t *ipcg_live_slots(apr_pool_t *p, const ipcg_reap_opts_t *o,
                            apr_array_header_t **live_states);

/** After a child exits: remove the instance-owned runtime objects in
 * @a reg whose owner_pid is @a pid and that nothing uses any more; they
 * leave @a reg. Returns how many were removed. */
int ipcg_reap_child(apr_pool_t *p, const ipcg_reap_opts_t *o,
                    apr_array_header_t *reg, apr_int64_t pid);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_REAP_H */
