/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_reap.h
 * @brief The one decision procedure behind every removal, and the
 * startup, orphan and child cleanups built on it.
 *
 * Every path that removes anything (the startup cleanup, the orphan pass,
 * the child reaper, `ipcguardctl clean`) asks ipcg_reap_judge() and
 * removes only through ipcg_reap_remove(). An object goes only when all of
 * these hold: whoever made it is dead (the recorded run, proven by pid
 * plus start time and no surviving process; a child's owner pid plus start
 * time; for an orphan, every pid it names, and no live httpd without the
 * module); it is the object that was recorded or scanned (kind, id, key,
 * creator, size and ctime; for /dev/shm name and inode); it belongs to
 * root or the run User and Group (the ones the state file recorded; the
 * running server's for the child reaper; only the run User's and Group's,
 * never root's, for a server that never was root); it is instance-owned
 * (orphans: IPC_PRIVATE, owned by the run User); no live instance has it
 * registered; and nothing uses it (no attachment, no waiter, every pid it
 * names dead, no process maps or holds the /dev/shm file). In report mode
 * nothing is removed at all.
 *
 * The verdict is data (ipcg_verdict_t: an enum verdict and an enum reason
 * code); the text for the log and the page is made from it by
 * ipcg_verdict_text() and nowhere else.
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
    apr_uint32_t run_uid, run_gid;   /**< the running server's (orphans,
                                          child reaper); the startup
                                          cleanup uses the recorded ones */
    apr_int64_t self_pid;            /**< this process, never a survivor */
    const char *self_exe;            /**< the httpd binary: this one's
                                          /proc/self/exe, or the tool's
                                          --httpd */
    const ipcg_paths_t *paths;
    const char *state_dir;
    const char *instance;            /**< this instance's id; NULL: take
                                          it from the state file */
    const char *state_file;          /**< read this file instead of
                                          state_dir/<instance>.state */
    ipcg_alive_fn *alive;            /**< NULL: ask /proc */
    void *alive_baton;
    apr_uint32_t trust_uid;          /**< who must own the state files and
                                          their directory: 0 for a server
                                          started as root; else the user
                                          a server that never was root runs
                                          as, and then only that user's
                                          objects are its own (root's
                                          never), and a state file must
                                          record that user as the run
                                          User */
    int instance_lock;               /**< this instance's run lock, as the
                                          caller found it (ipcg_lock_e) */
    int unguarded_since;             /**< the startup cleanup of a server
                                          that ran without the module until
                                          a restart gave it the module
                                          (ipcg_cleanup_t.unguarded_since) */
    apr_int64_t stopped_pid;         /**< the run the history file says went
                                          through its exit (a clean stop),
                                          its pid and start (epoch s); 0:
                                          none known. Only the wording of
                                          the summary depends on it
                                          (ipcg_cleanup_t.previous_stopped) */
    apr_int64_t stopped_started;
} ipcg_reap_opts_t;

/** What the caller knows of its own instance's run lock. */
typedef enum {
    IPCG_LOCK_ASK = 0,       /**< nothing: ask the lock file */
    IPCG_LOCK_OURS,          /**< this process holds it: no earlier run
                                  of the instance has a process left */
    IPCG_LOCK_ELSEWHERE      /**< another process holds it: a run of the
                                  instance lives, maybe where its pids
                                  cannot be seen */
} ipcg_lock_e;

typedef enum {
    IPCG_RUN_DEAD = 0,       /**< proven dead: its leftovers may go */
    IPCG_RUN_ALIVE,          /**< the recorded parent still runs */
    IPCG_RUN_SURVIVORS,      /**< the parent is gone, some of its processes
                                  are not */
    IPCG_RUN_UNKNOWN         /**< cannot tell (e.g. /proc unreadable) */
} ipcg_run_e;

/** The removal paths: they differ only in who must be proven dead. */
typedef enum {
    IPCG_PATH_STARTUP = 0,   /**< an object recorded by an earlier run */
    IPCG_PATH_ORPHAN,        /**< an object no state file records */
    IPCG_PATH_CHILD          /**< a runtime object of an exited child */
} ipcg_path_e;

/** What the procedure says about one object. */
typedef enum {
    IPCG_VERDICT_REMOVE = 0, /**< every proof holds */
    IPCG_VERDICT_KEEP,       /**< a proof fails: see the reason */
    IPCG_VERDICT_GONE,       /**< it no longer exists */
    IPCG_VERDICT_SKIP        /**< orphans: no candidate at all (keyed,
                                  POSIX, another owner) */
} ipcg_verdict_e;

/** Why: one code for each proof that can fail, and one for success. */
typedef enum {
    IPCG_WHY_DEAD = 0,          /**< removable: every proof holds */
    IPCG_WHY_GONE,              /**< already gone */
    IPCG_WHY_NOT_CANDIDATE,     /**< orphans: keyed, POSIX, other owner */
    IPCG_WHY_CLASS,             /**< application- or foreign-owned */
    IPCG_WHY_RECORDED_OWNER,    /**< recorded owner not root/run User */
    IPCG_WHY_OWNER,             /**< owner now not root/run User/Group */
    IPCG_WHY_CHANGED,           /**< the id or name holds another object */
    IPCG_WHY_RUN_ALIVE,         /**< the recorded run still runs */
    IPCG_WHY_RUN_UNKNOWN,       /**< cannot tell whether it is dead */
    IPCG_WHY_SURVIVORS,         /**< the run's processes survive */
    IPCG_WHY_OWNER_ALIVE,       /**< child: its owner process runs */
    IPCG_WHY_OWNER_UNKNOWN,     /**< child: cannot tell if its owner runs */
    IPCG_WHY_LIVE_INSTANCE,     /**< registered by a live instance */
    IPCG_WHY_OTHER_STATE,       /**< orphans: another state file names it */
    IPCG_WHY_ATTACHED,          /**< shm attached (count) */
    IPCG_WHY_WAITERS,           /**< sem waited on (count) */
    IPCG_WHY_TOO_MANY_PIDS,     /**< names more pids than can be checked */
    IPCG_WHY_LIVE_PID,          /**< a pid it names is alive (pid) */
    IPCG_WHY_PID_UNKNOWN,       /**< cannot tell if a pid it names lives */
    IPCG_WHY_MAP_UNKNOWN,       /**< cannot tell who maps the file */
    IPCG_WHY_MAPPED,            /**< the file is mapped or open (pid) */
    IPCG_WHY_NO_PID,            /**< orphans: names no pid at all */
    IPCG_WHY_OTHER_HTTPD,       /**< orphans: an httpd without the module
                                     runs (pid) */
    IPCG_WHY_PROCS_UNKNOWN,     /**< orphans: processes cannot be listed */
    IPCG_WHY_REPORT_MODE,       /**< would be removed; the mode forbids */
    IPCG_WHY_PROBE_FAILED,      /**< the kernel could not be asked */
    IPCG_WHY_REMOVE_FAILED,     /**< removal was refused by the kernel */
    IPCG_WHY_COUNT
} ipcg_reason_e;

typedef struct {
    ipcg_verdict_e verdict;
    ipcg_reason_e reason;
    ipcg_path_e path;           /**< the path it was judged for */
    apr_int64_t pid;            /**< the pid the reason names, or 0 */
    apr_uint64_t count;         /**< attachments, waiters, survivors */
    apr_uint32_t uid, cuid, gid;    /**< owner reasons: the owner seen */
    apr_uint32_t run_uid, run_gid;  /**< owner reasons: who may own it */
    int user_only;                  /**< owner reasons: root may not */
    apr_int64_t ctime;          /**< changed: the ctime seen now */
    apr_uint64_t size;          /**< changed: the size seen now */
    apr_int64_t rec_ctime;      /**< changed: the ctime recorded */
    apr_uint64_t rec_size;      /**< changed: the size recorded */
    ipcg_class_e cls;           /**< class reason */
    ipcg_cleanup_e mode;        /**< report-mode reason */
    apr_status_t rv;            /**< probe or removal failure */
} ipcg_verdict_t;

/** A short stable name of @a r for machines ("live-pid", "attached"). */
const char *ipcg_reason_name(ipcg_reason_e r);

/** The one text of a verdict, for the log and the page. */
void ipcg_verdict_text(const ipcg_verdict_t *v, char *buf, apr_size_t len);

/** One cleanup run's context: what it learnt about processes (liveness,
 * the process list, who maps /dev/shm files, live instances) so that
 * thousands of objects naming the same few pids cost one look each.
 * Callers make one per run in a pool of that run and pass it in; nothing
 * of it outlives the pool. */
typedef struct ipcg_reap_ctx_t ipcg_reap_ctx_t;

ipcg_reap_ctx_t *ipcg_reap_ctx_make(apr_pool_t *p, const ipcg_reap_opts_t *o);

/** Who must be dead and who may own the object, for one judgement. */
typedef struct {
    ipcg_path_e path;
    apr_uint32_t run_uid, run_gid;  /**< these (and root, unless
                                         user_only) may own it */
    int user_only;                  /**< the run never was root: root
                                         neither owns nor made its
                                         objects */
    ipcg_run_e run;                 /**< startup: the recorded run's state */
    const apr_array_header_t *survivors;  /**< startup: ipcg_proc_t */
} ipcg_subject_t;

/** Is the run recorded in @a st dead? @a survivors receives the old run's
 * live processes (ipcg_proc_t). */
ipcg_run_e ipcg_reap_run_state(ipcg_reap_ctx_t *c, const ipcg_state_t *st,
                               apr_array_header_t *survivors);

/** The one decision procedure: judge @a rec (the recorded or scanned
 * object) from its probe @a use for the removal path in @a s. */
void ipcg_reap_judge(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                     const ipcg_obj_t *rec, const ipcg_use_t *use,
                     ipcg_verdict_t *v);

/** Remove @a rec after a REMOVE verdict, and only the object that was
 * checked: a SysV object is probed and judged again (with fresh answers)
 * right before IPC_RMID by id; a /dev/shm file is renamed to a private
 * name in the same directory, checked again there (the same inode,
 * nobody maps or holds it, judged again) and then unlinked, or renamed
 * back. On return @a v holds the final verdict: REMOVE when it is gone,
 * else why not (IPCG_WHY_REMOVE_FAILED with rv, or the proof that failed
 * on the final check). */
void ipcg_reap_remove(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                      const ipcg_obj_t *rec, ipcg_verdict_t *v);

/** The startup cleanup: read this instance's state file, prove the run
 * dead, judge and (by mode) remove each object; log the summary at
 * notice, each object at info, each refusal at warning. Fills @a res and
 * appends ipcg_decision_t to @a decisions; objects kept that still exist
 * and are this instance's are appended to @a carried (ipcg_obj_t) so that
 * the new run keeps them registered. When it removed anything, the state
 * file is rewritten (still naming the earlier run) without what it
 * removed, so that no later start takes our removals for someone
 * else's. Never fails startup: errors are logged and reported in @a res. */
void ipcg_reap_startup(ipcg_reap_ctx_t *c, ipcg_cleanup_t *res,
                       apr_array_header_t *decisions,
                       apr_array_header_t *carried);

/** Look for orphans among @a snap's objects not in @a registered (slots of
 * this instance); report each (decision IPCG_DEC_ORPHAN) and, in orphans
 * mode, remove the provable ones. Returns the number removed. */
int ipcg_reap_orphans(ipcg_reap_ctx_t *c, const ipcg_snapshot_t *snap,
                      apr_hash_t *registered,
                      apr_array_header_t *decisions,
                      apr_uint64_t *candidates, apr_uint64_t *provable);

/** The state files of other instances that are not proven dead (parent
 * alive by pid and start time, its processes surviving, or unknown), as
 * ipcg_state_t; and the slots (hash keys) of every object they record. */
apr_hash_t *ipcg_live_slots(ipcg_reap_ctx_t *c,
                            const apr_array_header_t **live_states);

/** After a child exits: judge the instance-owned runtime objects in
 * @a reg whose owner is the exited child (@a pid, with start time
 * @a starttime when known, else 0) and remove those the procedure allows;
 * they leave @a reg, as do the ones that are gone. Objects kept get
 * IPCG_OWNER_GONE as their owner's start time: no later process that
 * reuses the pid is taken for their owner. Returns how many were
 * removed. */
int ipcg_reap_child(ipcg_reap_ctx_t *c, apr_array_header_t *reg,
                    apr_int64_t pid, apr_uint64_t starttime);

/** Give every entry of @a reg whose owner pid runs and whose owner start
 * time is unknown the start time it runs with now. */
void ipcg_reap_stamp_owners(ipcg_reap_ctx_t *c, apr_array_header_t *reg);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_REAP_H */
