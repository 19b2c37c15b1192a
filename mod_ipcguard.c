/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: knows every SysV and POSIX IPC object this server
 * allocates, shows them (and the limits they count against) on
 * /ipc-status and in /server-status, and removes, safely and by itself,
 * what an earlier run left behind when it was killed.
 *
 *   LoadModule ipcguard_module modules/mod_ipcguard.so
 *   <Location "/ipc-status">
 *       SetHandler ipc-status
 *       Require local
 *   </Location>
 *
 * This file is the module record and the hooks' entry points; the rest of
 * the httpd glue is in the mod_ipcguard_*.c files, one concern each (see
 * mod_ipcguard_private.h). Everything else is the core in src/ (APR
 * only), shared with ipcguardctl.
 *
 * How it works (docs/design.md):
 * - check_config, first pass: the startup cleanup reads this instance's
 *   state file, proves the run it names dead and removes its leftovers.
 * - check_config, later passes: the sorted open_logs, post_config and
 *   pre_mpm hook arrays get a snapshot of the kernel's IPC tables between
 *   every two entries, so that each new object is attributed to the
 *   module whose hook made it.
 * - The parent keeps the registry, writes the state file whenever it
 *   changes and publishes everything in an anonymous shared table that the
 *   handler in every child reads without a lock.
 * - monitor: rescans, registers what children made at runtime, refreshes
 *   limits and process memory, warns before a limit is reached.
 * - child_status: the generation's first full scan once its first child
 *   has started; removes what a dead child made and nothing uses.
 */

#include <dlfcn.h>
#include <sys/resource.h>

#include "apr_dso.h"
#include "apr_file_info.h"
#include "apr_thread_proc.h"
#include "http_main.h"

#include "mod_ipcguard_private.h"

/* The module stays mapped from one generation to the next. httpd unloads
 * every module at the end of a generation and loads it again from the
 * new configuration; unmapping and mapping this one (its relocations and
 * symbols, its pages written again) cost a graceful restart about as much
 * as the module's own steps. A reference of its own, in the process's
 * pool, keeps it; httpd's load then finds it mapped, and its statics are
 * set back to what a fresh load gives (fresh_statics()). When the file
 * was replaced (a package upgrade), the reference goes at the end of the
 * generation, so that the next configuration loads the new file. */
#define SELF_IDENTITY (APR_FINFO_IDENT | APR_FINFO_SIZE | APR_FINFO_MTIME \
                       | APR_FINFO_CTIME)
static struct {
    apr_dso_handle_t *handle;   /* the reference, NULL: none */
    const char *path;           /* in the process's pool */
    apr_finfo_t file;           /* the file when it was taken */
    int replaced;               /* the file is another one now */
    void *exit_data;            /* the carried state on_process_exit() was
                                   registered with, NULL: not registered */
} self;

static apr_status_t on_process_exit(void *data);

/* The process pool's cleanup for a server whose last generation ran
 * without the module (a2dismod, or IPCGuard Off, then a restart): its
 * clean stop is recorded too. Only while this file stays mapped (the
 * reference above, taken before: the process pool runs its cleanups
 * newest first, so this one runs before the reference goes). */
static void hook_process_exit(server_rec *s)
{
    if (self.handle == NULL || self.exit_data == (void *)ipcgm.g) {
        return;
    }
    if (self.exit_data) {
        apr_pool_cleanup_kill(s->process->pool, self.exit_data,
                              on_process_exit);
    }
    apr_pool_cleanup_register(s->process->pool, ipcgm.g, on_process_exit,
                              apr_pool_cleanup_null);
    self.exit_data = ipcgm.g;
}

/* No process-pool cleanup of this file's may outlive its mapping. */
static void unhook_process_exit(void)
{
    if (self.exit_data) {
        apr_pool_cleanup_kill(ap_pglobal, self.exit_data, on_process_exit);
        self.exit_data = NULL;
    }
}

static int same_file(const apr_finfo_t *a, const apr_finfo_t *b)
{
    return a->device == b->device && a->inode == b->inode
           && a->size == b->size && a->mtime == b->mtime
           && a->ctime == b->ctime;
}

static void keep_loaded(void)
{
    Dl_info di;
    apr_finfo_t fi;
    apr_dso_handle_t *h;

    if (self.handle != NULL
        || !dladdr((const void *)&ipcguard_module, &di) || !di.dli_fname
        || di.dli_fname[0] != '/'
        || apr_stat(&fi, di.dli_fname, SELF_IDENTITY, ap_pglobal)
           != APR_SUCCESS) {
        return;
    }
    /* the same file, already mapped: a reference more, nothing loaded */
    if (apr_dso_load(&h, di.dli_fname, ap_pglobal) == APR_SUCCESS) {
        self.handle = h;
        self.path = apr_pstrdup(ap_pglobal, di.dli_fname);
        self.file = fi;
    }
}

/* At the end of a generation, while httpd still knows the module (its
 * lines carry its name): whether the file is no longer the one mapped;
 * the reference then goes once httpd has taken the module out
 * (after_unlink()), and httpd's unload with it. */
static void check_replaced(void)
{
    apr_finfo_t now;

    if (self.handle == NULL || self.replaced
        || (apr_stat(&now, self.path, SELF_IDENTITY, ap_pglobal)
            == APR_SUCCESS && same_file(&now, &self.file))) {
        return;
    }
    self.replaced = 1;
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, NULL, "ipcguard(115): %s was "
                 "replaced while the server ran (a package upgrade): the "
                 "next configuration loads the new file", self.path);
}

/* What a fresh load of the module starts with: a kept module is not
 * loaded again, and the last generation's values (its server, its
 * pools) must not reach the next. */
static void fresh_statics(void)
{
    memset(&ipcgm, 0, sizeof(ipcgm));
    ipcgm.started_as_root = 1;
    ipcg_log_set(NULL, NULL);
    ipcg_log_set_level(IPCG_LOG_DEBUG);
}

/* pconf's cleanup: what belongs to the generation that ends goes with it
 * (the table's memory is pconf's, the brackets are built again). */
static apr_status_t clear_generation(void *data)
{
    (void)data;
    ipcgm.table = NULL;
    ipcgm_brackets_clear();
    ipcgm_mark_release(&ipcgm.since);
    /* the generation's server record goes with pconf */
    ipcg_log_set(NULL, NULL);
    check_replaced();
    return APR_SUCCESS;
}

/* Registered while httpd adds the module, between mod_so's own two
 * cleanups: runs after httpd has taken the module out of its list and
 * before the handle mod_so loaded is closed. httpd clears the module's
 * link to the next one only when it was first in the list (as it is when
 * modules go in the reverse order of their loading), and links it again
 * at the next add only when that link is clear: a fresh load always
 * starts with it clear. */
static apr_status_t after_unlink(void *data)
{
    (void)data;
    ipcguard_module.next = NULL;
    if (self.replaced) {
        unhook_process_exit();
        apr_dso_unload(self.handle);
        self.handle = NULL;
        self.replaced = 0;
    }
    return APR_SUCCESS;
}

/* A clean stop: remove the state file unless something of this instance
 * outlives the server (@a s: NULL once the configuration is gone). */
static void record_clean_stop(apr_pool_t *p, server_rec *s)
{
    ipcg_snapshot_t snap;
    int i, left = 0;

    /* which of the registry's objects are left: asked for one by one */
    ipcgm_scan_registry(p, &snap);
    ipcg_registry_reconcile(p, ipcgm.g->reg, &snap);
    ipcgm_adopt_save(p, s);
    /* what the startup phases made goes with httpd's own cleanups (the
     * scoreboard's with the process pool, after this); what children made
     * at runtime and still exists would be lost without the file */
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        if (o->cls == IPCG_CLASS_INSTANCE
            && (o->phase == IPCG_PHASE_RUNTIME
                || o->phase == IPCG_PHASE_CHILD_INIT
                || o->owner_pid != ipcgm.g->pid)) {
            left++;
        }
    }
    if (left) {
        ipcgm_state_write(p, s);
        /* the server's error log (in plog) is closed by now: stderr
         * goes to the same file */
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, NULL,
                     "ipcguard(103): clean stop; %d object%s of this "
                     "instance %s recorded in %s for the next start", left,
                     ipcg_plural((apr_uint64_t)left),
                     left == 1 ? "remains and stays" : "remain and stay",
                     ipcgm.g->state_path);
    }
    else {
        ipcg_state_remove(p, ipcgm.g->state_path);
        ipcgm.g->state_sum = 0;
    }
}

/* Runs last of all pconf cleanups of a generation: on a clean stop,
 * remove the state file unless something of this instance outlives it. */
static apr_status_t on_pconf_cleanup(void *data)
{
    server_rec *s = data;
    apr_pool_t *p;

    if (ipcgm.g == NULL || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING
        || ipcgm.g->pid != getpid()) {
        return APR_SUCCESS;
    }
    /* recorded here, with the last generation's server */
    unhook_process_exit();
    if (ipcgm.g->state_path[0] == '\0' || ipcgm.g->state_clash) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, ipcgm.g->pool);
    record_clean_stop(p, s);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* The clean stop of a server whose last generation ran without the
 * module: the state file still names this parent, and the registry is
 * the last generation's that had the module. What that generation made
 * at startup went with the restart after it (httpd's own cleanups); what
 * its children made may remain, and is kept recorded. Nothing is
 * removed, nothing is checked for outside removals (the registry does
 * not know what the generations since made). */
static apr_status_t on_process_exit(void *data)
{
    ipcg_global *g = data;
    void *carried = NULL;
    apr_pool_t *p;

    self.exit_data = NULL;
    apr_pool_userdata_get(&carried, IPCG_USERDATA, ap_pglobal);
    if (carried != data || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING
        || g->pid != getpid() || g->state_path[0] == '\0' || g->state_clash) {
        return APR_SUCCESS;
    }
    ipcgm.g = g;
    if (ipcgm.paths.devshm == NULL) {
        ipcg_paths_default(&ipcgm.paths);
    }
    apr_pool_create(&p, g->pool);
    record_clean_stop(p, NULL);
    g->hist.exited = apr_time_sec(apr_time_now());
    g->hist_dirty = 1;
    ipcgm_history_save(p, NULL, 1);
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* Runs first of all pconf cleanups, before any module removes what it
 * made: whatever of the generation is gone now was removed by someone
 * else. From here until the next generation is built, objects vanish
 * for good reasons. */
static apr_status_t on_generation_end(void *data)
{
    server_rec *s = data;
    apr_pool_t *p;
    int exiting = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;

    if (ipcgm.g == NULL || ipcgm.g->pid != getpid()) {
        return APR_SUCCESS;
    }
    /* at exit the error log of the server (in plog) is already closed:
     * log to stderr, which httpd pointed at the same file */
    if (exiting) {
        s = NULL;
    }
    /* the watch goes with the generation: its pool, cleared below, holds
     * the check's scratch too (no pool made and destroyed on the way to
     * the next generation) */
    p = ipcgm.g->watchpool;
    ipcgm_check_outside(p, s);
    if (exiting) {
        ipcgm.g->hist.exited = apr_time_sec(apr_time_now());
        ipcgm.g->hist_dirty = 1;
    }
    if (ipcgm.g->hist_dirty) {
        ipcgm_history_save(p, s, 1);
    }
    apr_pool_clear(ipcgm.g->watchpool);
    ipcgm.g->watch = apr_hash_make(ipcgm.g->watchpool);
    return APR_SUCCESS;
}

static int ipcg_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    (void)plog; (void)ptemp;
    ipcg_paths_default(&ipcgm.paths);
    /* the parent, before any child: what it was started as */
    ipcgm.started_as_root = geteuid() == 0;
    ipcgm.started_uid = (apr_uint32_t)geteuid();
    ipcgm.started_gid = (apr_uint32_t)getegid();
    apr_pool_cleanup_register(pconf, NULL, clear_generation,
                              apr_pool_cleanup_null);
    return OK;
}

static int ipcg_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;

    (void)plog;
    /* the default state directory of a server not started as root, now
     * that DefaultRuntimeDir is known */
    {
        const char *dir = ap_runtime_dir_relative(ptemp,
                                                  IPCG_USER_STATE_SUBDIR);
        ipcg_strlcpy(ipcgm.user_state_dir, dir ? dir : "",
                     sizeof(ipcgm.user_state_dir));
    }
    ipcgm_settings_of(s, &cf);
    if (!cf.enabled || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        return OK;
    }
    ipcgm.g = ipcgm_global_state(s);
    hook_process_exit(s);
    ipcgm_set_logger(s);
    ipcgm_identify_instance(ptemp, s, &cf);
    if (!ipcgm_first_pass()) {
        /* before open_logs, a detached server's stderr is /dev/null:
         * what the module says waits for the error log */
        ipcgm.log_pending = 1;
        if (ipcgm.g->rebuilt) {
            ipcgm_recover_after_upgrade(ptemp, s);
        }
    }
    /* the baseline for the brackets: what exists before any module of
     * this generation allocates. The first configuration pass too: its
     * modules make objects that live until pconf is cleared, and a kill -9
     * in between must not leave them unrecorded */
    ipcgm_bracket_baseline();
    ipcgm.bracket.phase = IPCG_PHASE_UNKNOWN;
    ipcgm.bracket.index = 0;
    ipcgm_wrap_hooks(pconf, ptemp);
    /* In the first pass this process may still be one that only signals a
     * server (-k stop, -k graceful, -k start while it runs): httpd decides
     * that after check_config. Nothing is claimed, removed or written
     * until ipcgm_become_server(), at the first bracket of open_logs; in a
     * server that a restart gives the module, the same is done there
     * (ipcgm_become_server_at_restart(): the cleanup first) */
    if (!ipcgm_first_pass() && ipcgm.g->startup_done) {
        ipcgm_claim_parent(s);
    }
    return OK;
}

/* After core.c has opened the error log: write what the startup cleanup
 * said. */
static int ipcg_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (ipcgm.log_pending) {
        ipcgm_flush_pending(s);
    }
    return OK;
}

static int ipcg_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;
    apr_shm_t *shm;
    apr_size_t size;
    apr_status_t rv;

    (void)plog; (void)ptemp;
    ipcgm_settings_of(s, &cf);
    if (!cf.enabled || ipcgm.g == NULL || !ipcgm_in_real_pass()) {
        return OK;
    }
    /* the table: anonymous shared memory, inherited by the children; the
     * kernel hands it out zeroed, and its pages are first written by the
     * first publish rather than here, on the way to serving (each is a
     * page fault) */
    size = ipcg_table_size((apr_uint32_t)cf.max_objects, IPCG_CAP_DECISIONS,
                           IPCG_CAP_PROCS);
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "ipcguard(106): cannot create the %" APR_SIZE_T_FMT
                     "-byte status table (IPCGuardMaxObjects %d); "
                     "/ipc-status will be unavailable", size,
                     cf.max_objects);
        ipcgm.table = NULL;
    }
    else {
        ipcgm.table = ipcg_table_init_zeroed(apr_shm_baseaddr_get(shm),
                                size, (apr_uint32_t)cf.max_objects,
                                IPCG_CAP_DECISIONS, IPCG_CAP_PROCS);
    }
    apr_pool_cleanup_register(pconf, s, on_pconf_cleanup,
                              apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(pconf, s, on_generation_end);
    return OK;
}

/* The parent's minor page faults so far, for the debug line of a full
 * scan: each page it first writes after a fork is one, and on a virtual
 * machine each can cost tens of microseconds. */
static long faults_now(void)
{
    struct rusage ru;

    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static int ipcg_monitor(apr_pool_t *p, server_rec *s)
{
    ipcg_settings cf;
    apr_time_t now = apr_time_now();
    apr_pool_t *tmp;
    const char *why;

    ipcgm_settings_of(s, &cf);
    if (!cf.enabled || ipcgm.g == NULL || ipcgm.g->pid != getpid()) {
        return DECLINED;
    }
    if (now - ipcgm.g->last_scan < apr_time_from_sec(cf.scan_seconds)
        && !ipcgm.refresh_due) {
        return DECLINED;
    }
    if (ipcgm_first_scan_waits(now, cf.scan_seconds)) {
        /* the generation's first full scan is the first child's to run
         * (child_status): a graceful restart under prefork comes here
         * between its forks, and 10,000 sets of other programs would
         * hold up the next one by tens of milliseconds */
        return DECLINED;
    }
    ipcgm.g->last_scan = now;
    /* the parent's own allocator, as a child's exit uses: a full scan
     * then reuses the memory the start's scans left there instead of
     * touching new pages (pconf's allocator keeps what it gets too) */
    (void)p;
    apr_pool_create(&tmp, ipcgm.g->pool);
    why = ipcgm_changed_since_full(tmp);
    if (ipcgm.refresh_due) {
        why = "the generation's first";
    }
    if (why) {
        long f0 = faults_now();
        ipcgm.refresh_due = 0;
        ipcgm_refresh(tmp, s, IPCGM_PASS_MONITOR);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "full scan (%s): %"
                     APR_TIME_T_FMT " us, %ld page faults", why,
                     apr_time_now() - now, faults_now() - f0);
    }
    else {
        ipcgm_refresh_quiet(tmp, s);
    }
    apr_pool_destroy(tmp);
    return DECLINED;
}

static void ipcg_child_status(server_rec *s, pid_t pid, ap_generation_t gen,
                              int slot, mpm_child_status state)
{
    ipcg_settings cf;
    ipcg_reap_opts_t o;
    ipcg_reap_ctx_t *ctx;
    ipcg_snapshot_t snap;
    apr_pool_t *p;
    int added, removed, full;

    (void)gen; (void)slot;
    if (ipcgm.g == NULL || ipcgm.g->pid != getpid()) {
        return;
    }
    ipcgm_settings_of(s, &cf);
    if (!cf.enabled) {
        return;
    }
    if (state == MPM_CHILD_STARTED && ipcgm.refresh_due) {
        /* the generation's first full scan, now that a child serves */
        apr_time_t t0;
        long f0;
        ipcgm.refresh_due = 0;
        /* the kernel often queues a new process on its parent's CPU,
         * and this scan (tens of milliseconds with thousands of other
         * programs' sets) would keep it waiting there, runnable beside
         * an idle CPU, until the load balancer moves it: the child runs
         * first, towards its first accept; the timer below counts the
         * scan alone, not this wait */
#if APR_HAS_THREADS
        apr_thread_yield();
#endif
        t0 = apr_time_now();
        f0 = faults_now();
        apr_pool_create(&p, ipcgm.g->pool);
        ipcgm_refresh(p, s, IPCGM_PASS_RECORD);
        apr_pool_destroy(p);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "full scan (the "
                     "generation's first, child %" APR_PID_T_FMT " started): %"
                     APR_TIME_T_FMT " us, %ld page faults", pid,
                     apr_time_now() - t0, faults_now() - f0);
        return;
    }
    if (state != MPM_CHILD_EXITED) {
        return;
    }
    apr_pool_create(&p, ipcgm.g->pool);
    ipcgm_check_outside(p, s);
    /* what the child made since the last scan is registered now, while
     * its pid still tells it was ours: from what the kernel allocated
     * since (its clock, then only those indexes), else from the tables;
     * while the generation's first full scan is due, that scan counts it
     * among the server's too (what it made before the clock was read) */
    full = ipcgm.refresh_due && !ipcgm_exited_add(pid);
    added = full ? -1 : ipcgm_exit_since_mark(p, pid);
    if (added < 0) {
        full = 1;
        ipcgm_scan(p, &snap);
        ipcg_registry_reconcile(p, ipcgm.g->reg, &snap);
        added = ipcgm_register_runtime(p, &snap, pid);
    }
    ipcgm_fill_opts(p, &cf, &o);
    ctx = ipcg_reap_ctx_make(p, &o);
    /* the exited child's start time is gone with it: its objects are told
     * by their recorded owner start times (kept ones are marked so that a
     * later process with the pid is not taken for their owner) */
    removed = ipcg_reap_child(ctx, ipcgm.g->reg, pid, 0);
    /* owners that run now are the processes that made their objects:
     * record their start times while that is still true */
    ipcg_reap_stamp_owners(ctx, ipcgm.g->reg);
    ipcgm.g->child_reaped_total += (apr_uint64_t)removed;
    ipcgm.g->removed_total += (apr_uint64_t)removed;
    if (added || removed || (full && ipcgm.refresh_due)) {
        /* record and publish now: the monitor is seconds away */
        ipcgm.refresh_due = 0;
        ipcgm_refresh(p, s, IPCGM_PASS_RECORD);
    }
    apr_pool_destroy(p);
}

static void register_hooks(apr_pool_t *p)
{
    static const char *const after_core[] = { "core.c", NULL };

    fresh_statics();
    keep_loaded();
    apr_pool_cleanup_register(p, NULL, after_unlink, apr_pool_cleanup_null);
    ap_hook_pre_config(ipcg_pre_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(ipcg_check_config, NULL, NULL,
                         APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(ipcg_open_logs, after_core, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(ipcg_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_monitor(ipcg_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_status(ipcg_child_status, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ipcgm_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, ipcgm_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

/* AP_DECLARE_MODULE without its APLOG_USE_MODULE, which
 * mod_ipcguard_private.h makes for every file of the glue */
module AP_MODULE_DECLARE_DATA ipcguard_module = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* create per-directory config */
    NULL,                   /* merge per-directory config */
    ipcgm_create_server_conf,  /* create per-server config */
    ipcgm_merge_server_conf,   /* merge per-server config */
    ipcgm_cmds,             /* directives */
    register_hooks,         /* register hooks */
    AP_MODULE_FLAG_NONE     /* flags */
};
