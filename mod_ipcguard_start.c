/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the start: the startup cleanup of the first pass, this
 * instance's identity and state file, becoming the parent, taking the
 * registry back after an in-place upgrade.
 */

#include "mod_ipcguard_private.h"

/* Say once (per ten minutes) that the state directory cannot be used. */
static void state_dir_unusable(apr_pool_t *p, server_rec *s,
                               const ipcg_settings *cf, const char *why)
{
    ipcgm_log_once(s, APLOG_ERR, 105, "state directory", apr_psprintf(p,
             "IPCGuardStateDir: %s; no cleanup and no state or history "
             "file in %s", why ? why : "unusable", cf->state_dir));
    ipcgm.g->state_path[0] = '\0';
    ipcgm.g->hist_path[0] = '\0';
}

void ipcgm_identify_instance(apr_pool_t *p, server_rec *s,
                              const ipcg_settings *cf)
{
    const char *pidfile = ap_runtime_dir_relative(p, ap_pid_fname
                                                      ? ap_pid_fname
                                                      : DEFAULT_PIDLOG);
    const char *why = NULL;

    ipcg_strlcpy(ipcgm.g->pidfile, pidfile ? pidfile : "",
                 sizeof(ipcgm.g->pidfile));
    ipcg_state_instance_id(ipcgm.g->pidfile, ipcgm.g->instance);
    ipcg_strlcpy(ipcgm.g->state_path,
                 ipcg_state_path(p, cf->state_dir, ipcgm.g->instance),
                 sizeof(ipcgm.g->state_path));
    /* the serving process's later passes: only a directory that is still
     * safe (this user's, writable by no one else) gets the files; the
     * first pass leaves that to the startup cleanup, since it may be a
     * process that only signals a server */
    if (!ipcgm_first_pass()
        && ipcg_state_dir_ensure(p, cf->state_dir, ipcgm_trust_uid(), &why)
           != APR_SUCCESS) {
        state_dir_unusable(p, s, cf, why);
    }
}

void ipcgm_fill_opts(apr_pool_t *p, const ipcg_settings *cf,
                      ipcg_reap_opts_t *o)
{
    char exe[1024];
    ssize_t n;

    memset(o, 0, sizeof(*o));
    o->mode = cf->cleanup;
    o->run_uid = ipcgm_run_user();
    o->run_gid = ipcgm_run_group();
    o->trust_uid = ipcgm_trust_uid();
    o->self_pid = getpid();
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        o->self_exe = apr_pstrdup(p, exe);
    }
    o->paths = &ipcgm.paths;
    o->state_dir = cf->state_dir;
    o->instance = ipcgm.g->instance;
    o->instance_lock = ipcgm.runlock;
}

/* This instance's run lock, held from the startup cleanup for as long as
 * the server runs, in the process pool: it outlives every generation and
 * a new release of the module loaded by a restart, and the parent of a
 * daemonizing start hands it to the process that serves. A run whose
 * pids cannot be seen from here (another PID namespace that shares this
 * IPC namespace and state directory: two containers of one pod) is still
 * known to live by it. IPCG_LOCK_ASK: no state file, or the lock file
 * cannot be used; then pids alone prove a run dead. */
typedef struct {                    /* every release reads this one:
                                       its layout never changes */
    apr_file_t *file;
    const char *path;
} runlock_t;

#define RUNLOCK_KEY "mod_ipcguard-runlock"

int ipcgm_take_runlock(apr_pool_t *p, server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_pool_t *lp;
    void *data = NULL;
    runlock_t *held;
    const char *path;
    apr_file_t *f;
    apr_status_t rv;

    ipcgm.runlock = IPCG_LOCK_ASK;
    if (ipcgm.g->state_path[0] == '\0') {
        return ipcgm.runlock;
    }
    path = ipcg_runlock_path(p, ipcgm.g->state_path);
    apr_pool_userdata_get(&data, RUNLOCK_KEY, pp);
    held = data;
    if (held && held->file && strcmp(held->path, path) == 0) {
        return ipcgm.runlock = IPCG_LOCK_OURS;
    }
    if (held && held->file) {
        /* another instance's (PidFile or IPCGuardStateDir changed): this
         * process no longer runs it; the old generation's children let
         * it go as they exit */
        apr_file_close(held->file);
        held->file = NULL;
    }
    /* the lock's file lives as long as the process, in a pool of its own
     * so that a server that keeps finding the lock taken (restart after
     * restart) does not add a closed file to the process pool each time */
    apr_pool_create(&lp, pp);
    rv = ipcg_runlock_take(lp, path, &f);
    if (rv == APR_SUCCESS) {
        if (held == NULL) {
            held = apr_palloc(pp, sizeof(*held));
            apr_pool_userdata_set(held, RUNLOCK_KEY, apr_pool_cleanup_null,
                                  pp);
        }
        held->file = f;
        held->path = apr_pstrdup(lp, path);
        return ipcgm.runlock = IPCG_LOCK_OURS;
    }
    apr_pool_destroy(lp);
    if (APR_STATUS_IS_EAGAIN(rv)) {
        return ipcgm.runlock = IPCG_LOCK_ELSEWHERE;
    }
    ipcgm_log_once(s, APLOG_WARNING, 116, "run lock", apr_psprintf(p,
             "cannot take the run lock %s (%pm): a run of this instance "
             "in another PID namespace cannot be told from a dead one",
             path, &rv));
    return ipcgm.runlock;
}

/* The orphan pass: this user's objects that no record names and whose
 * makers are provably dead (removed only in IPCGuardCleanup orphans);
 * what this server has recorded is left out. In @a snap, the tables
 * just read; NULL: reads them. */
static void orphan_search(apr_pool_t *p, ipcg_reap_ctx_t *ctx,
                          const ipcg_snapshot_t *snap)
{
    ipcg_snapshot_t own;
    apr_hash_t *mine = apr_hash_make(p);
    apr_time_t t0 = apr_time_now();
    int i, removed;

    for (i = 0; i < ipcgm.g->decisions->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(ipcgm.g->decisions, i,
                                             ipcg_decision_t).obj;
        apr_hash_set(mine, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
    }
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        apr_hash_set(mine, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
    }
    if (snap == NULL) {
        ipcgm_scan(p, &own);
        snap = &own;
    }
    removed = ipcg_reap_orphans(ctx, snap, mine, ipcgm.g->decisions,
                                &ipcgm.g->orphans,
                                &ipcgm.g->orphans_provable);
    ipcgm.g->removed_total += (apr_uint64_t)removed;
    ipcgm.g->cleanup.duration_us += (apr_int64_t)(apr_time_now() - t0);
}

/* The startup cleanup: first pass, normal runs only; or the first
 * generation of a running server that loads the module (@a at_restart). */
static void startup_cleanup(apr_pool_t *p, server_rec *s,
                            const ipcg_settings *cf, int at_restart)
{
    ipcg_reap_opts_t o;
    ipcg_reap_ctx_t *ctx;
    apr_array_header_t *carried;
    const char *why = NULL;
    int i, hist;

    ipcgm.g->startup_done = 1;
    if (ipcgm.started_as_root) {
        ipcgm_log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                     "ipcguard(104): started as root: state in %s, trusted "
                     "when owned by root; cleans up after this instance's "
                     "runs, their objects owned by root or the run User "
                     "(uid %u, gid %u)", cf->state_dir,
                     (unsigned)ipcgm_run_user(),
                     (unsigned)ipcgm_run_group()));
    }
    else {
        ipcgm_log_to_httpd(s, APLOG_NOTICE, 0, apr_psprintf(p,
                     "ipcguard(104): not started as root: runs as uid %u, "
                     "gid %u (User and Group do not apply); state in %s, "
                     "trusted only when owned by uid %u; cleans up after "
                     "this instance's runs, only objects of uid %u",
                     (unsigned)ipcgm_run_user(), (unsigned)ipcgm_run_group(),
                     cf->state_dir, (unsigned)ipcgm_trust_uid(),
                     (unsigned)ipcgm_run_user()));
    }
    if (ipcg_state_dir_ensure(p, cf->state_dir, ipcgm_trust_uid(), &why)
        != APR_SUCCESS) {
        state_dir_unusable(p, s, cf, why);
        apr_snprintf(ipcgm.g->cleanup.summary,
                     sizeof(ipcgm.g->cleanup.summary),
                     "state directory %s unusable: no cleanup", cf->state_dir);
        return;
    }
    /* a live run of this instance holds it: nothing of that run's is
     * removed, and this one keeps no state (ipcgm_claim_parent) */
    ipcgm_take_runlock(p, s);
    /* the history first: it tells whether the run the state file names
     * went through its exit */
    hist = ipcgm_history_load(p, cf);
    ipcgm_fill_opts(p, cf, &o);
    o.unguarded_since = at_restart;
    if (hist && ipcgm.g->hist.exited > 0) {
        o.stopped_pid = ipcgm.g->hist.pid;
        o.stopped_started = ipcgm.g->hist.started;
    }
    /* one context for this cleanup, gone with its pool */
    ctx = ipcg_reap_ctx_make(p, &o);
    carried = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    ipcgm.g->decisions->nelts = 0;
    ipcg_reap_startup(ctx, &ipcgm.g->cleanup, ipcgm.g->decisions, carried);
    ipcgm.g->removed_total += ipcgm.g->cleanup.removed_count;
    if (hist) {
        ipcgm_history_losses(p);
    }
    for (i = 0; i < carried->nelts; i++) {
        ipcgm_registry_add(&APR_ARRAY_IDX(carried, i, ipcg_obj_t));
    }
    ipcgm_adopt_load(p, s, ctx);
    /* while this instance's earlier parent runs (or may run), every
     * object of its user may be that server's: no orphan pass at all; nor
     * in a server that ran without the module until now, whose own
     * objects of then are recorded nowhere */
    if (cf->cleanup >= IPCG_CLEANUP_REPORT && !at_restart
        && ipcgm.g->cleanup.outcome != IPCG_OUTCOME_ALIVE
        && ipcgm.g->cleanup.outcome != IPCG_OUTCOME_UNKNOWN) {
        if (cf->cleanup == IPCG_CLEANUP_ORPHANS) {
            /* it removes: before this run makes anything */
            orphan_search(p, ctx, NULL);
        }
        else {
            /* it only reports: with the first full scan, once the
             * server serves (it reads every table) */
            ipcgm.g->orphans_due = 1;
        }
    }
}

void ipcgm_orphan_search_due(apr_pool_t *p, server_rec *s,
                             const ipcg_snapshot_t *snap)
{
    ipcg_settings cf;
    ipcg_reap_opts_t o;

    if (!ipcgm.g->orphans_due) {
        return;
    }
    ipcgm.g->orphans_due = 0;
    ipcgm_settings_of(s, &cf);
    ipcgm_fill_opts(p, &cf, &o);
    orphan_search(p, ipcg_reap_ctx_make(p, &o), snap);
}

/* A restart has loaded this release into a parent that another release
 * ran until now (a package upgrade, then a graceful restart): the startup
 * cleanup is long done, and the registry comes back from this server's
 * own state file, which records every object it knew. */
void ipcgm_recover_after_upgrade(apr_pool_t *p, server_rec *s)
{
    ipcg_state_t st;
    const char *why = NULL;
    int i, n = 0;

    ipcgm.g->startup_done = 1;
    ipcgm.g->rebuilt = 0;
    if (ipcgm.g->state_path[0]
        && ipcg_state_read(p, ipcgm.g->state_path, ipcgm_trust_uid(), &st,
                           &why)
           == APR_SUCCESS
        && st.pid == getpid()) {
        ipcgm.g->started = st.started;
        for (i = 0; i < st.objs->nelts; i++) {
            ipcgm_registry_add(&APR_ARRAY_IDX(st.objs, i, ipcg_obj_t));
            n++;
        }
    }
    ipcg_strlcpy(ipcgm.g->cleanup.summary, "the module was upgraded in place: "
                 "the last startup cleanup's record was not carried over",
                 sizeof(ipcgm.g->cleanup.summary));
    ipcgm_log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                 "ipcguard(110): mod_ipcguard was replaced under the running "
                 "server (what it carried has layout %u, shape %"
                 APR_UINT64_T_FMT
                 "; this release's is %u, shape %" APR_UINT64_T_FMT "): "
                 "%d object%s taken back from %s%s%s",
                 ipcgm.g->rebuilt_layout, ipcgm.g->rebuilt_size,
                 IPCG_CARRIED_LAYOUT, ipcgm_carried_shape(), n,
                 ipcg_plural((apr_uint64_t)n),
                 ipcgm.g->state_path[0] ? ipcgm.g->state_path
                                        : "no state file",
                 why ? ": " : "", why ? why : ""));
}

/* The first configuration pass has reached open_logs: httpd's
 * ap_signal_server() has let this process go on, so it is the one that
 * will serve (unless binding or a later hook fails; then what the cleanup
 * did is still recorded truly in the state file). Runs before any
 * open_logs entry, so before the MPM creates its accept mutex. */
void ipcgm_become_server(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;

    ipcgm_settings_of(s, &cf);
    ipcgm.log_pending = 1;
    /* if httpd gives up before its error log is open (a port in use, say),
     * what the cleanup said still goes out, to stderr */
    apr_pool_cleanup_register(pconf, s, ipcgm_flush_on_exit,
                              apr_pool_cleanup_null);
    startup_cleanup(ptemp, s, &cf, 0);
    /* what the cleanup removed is no allocation of the first entry */
    ipcgm_bracket_baseline();
    ipcgm_claim_parent(s);
}

/* A restart has loaded the module into a server that ran without it
 * (a2enmod, then apachectl graceful; or IPCGuard turned On): no start
 * has cleaned up after this instance's earlier runs, and one that was
 * killed may have left objects that its state file alone records. The
 * cleanup runs now, at the first open_logs entry, and then the claim of
 * the state file, in the order of a start. */
void ipcgm_become_server_at_restart(apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;

    ipcgm_settings_of(s, &cf);
    ipcgm_log_to_httpd(s, APLOG_NOTICE, 0, apr_psprintf(ptemp,
                 "ipcguard(118): loaded by a restart of the running server "
                 "(pid %" APR_PID_T_FMT ", configuration generation %d): "
                 "the startup cleanup runs now; objects the server made "
                 "before are not known to it, and there is no orphan pass "
                 "until the next start", getpid(),
                 ap_state_query(AP_SQ_CONFIG_GEN)));
    startup_cleanup(ptemp, s, &cf, 1);
    ipcgm_bracket_baseline();
    ipcgm_claim_parent(s);
}

/* Whether this server keeps no state because the state file is another
 * run's. A live one keeps it: one whose pid this process sees running,
 * or one in another PID namespace, which holds the run lock. So does one
 * that has ended while this server kept none (since its start): this
 * server never cleaned up after that run, and writing over its record
 * would leave what it made recorded nowhere; the next start of this
 * instance cleans up after it. The process that detached this one
 * (httpd -k start, apachectl start) recorded the first pass and may still
 * be exiting (mod_perl's teardown is slow): it is this server, not another
 * one. A file this process wrote and no one has replaced since is not
 * read again. The second configuration pass of a start (httpd's
 * generation 1; the first pass is 0) does not repeat what the first said
 * of a live server. */
static int state_of_another_run(apr_pool_t *p, server_rec *s,
                                int was_clashed, int locked_elsewhere)
{
    ipcg_state_t other;
    const char *why;
    int record;
    int said = was_clashed && ap_state_query(AP_SQ_CONFIG_GEN) == 1;

    record = !ipcgm_state_file_ours(p)
             && ipcg_state_read(p, ipcgm.g->state_path, ipcgm_trust_uid(),
                                &other, &why) == APR_SUCCESS
             && other.pid != (apr_int64_t)getppid()
             && (other.pid != ipcgm.g->pid
                 || other.starttime != ipcgm.g->starttime);
    if (record && other.pid != ipcgm.g->pid
        && ipcg_proc_alive(p, &ipcgm.paths, other.pid, other.starttime) == 1) {
        if (said) {
            return 1;
        }
        /* before open_logs: a detached server's stderr is /dev/null, so
         * the line waits for the error log */
        ipcgm_log_to_httpd(s, APLOG_ERR, 0, apr_psprintf(p,
                     "ipcguard(107): state file %s belongs to live httpd pid %"
                     APR_INT64_T_FMT "; two servers share PidFile %s: this "
                     "one keeps no state", ipcgm.g->state_path, other.pid,
                     ipcgm.g->pidfile));
        return 1;
    }
    if (locked_elsewhere) {
        if (said) {
            return 1;
        }
        ipcgm_log_to_httpd(s, APLOG_ERR, 0, apr_psprintf(p,
                     "ipcguard(107): state file %s belongs to a live httpd "
                     "in another PID namespace (it holds the run lock %s); "
                     "two servers that share this IPC namespace and state "
                     "directory share PidFile %s: this one keeps no state "
                     "and removes nothing of the other's",
                     ipcgm.g->state_path,
                     ipcg_runlock_path(p, ipcgm.g->state_path),
                     ipcgm.g->pidfile));
        return 1;
    }
    if (record && was_clashed) {
        ipcgm_log_to_httpd(s, APLOG_WARNING, 0, apr_psprintf(p,
                     "ipcguard(117): state file %s records httpd pid %"
                     APR_INT64_T_FMT ", the other server of PidFile %s, "
                     "which no longer runs: its record stays for the next "
                     "start of this instance to clean up after it; this "
                     "server still keeps no state (stop and start it, not "
                     "restart, to clean up and keep state again)",
                     ipcgm.g->state_path, other.pid, ipcgm.g->pidfile));
        return 1;
    }
    return 0;
}

/* At the start of every real configuration pass: this process is the
 * parent for good (httpd detached in pre_config), and may record state
 * unless another live server owns the file. */
void ipcgm_claim_parent(server_rec *s)
{
    apr_pool_t *p;
    ipcg_proc_t me;
    int was_clashed;

    apr_pool_create(&p, ipcgm.g->pool);
    if (ipcgm.g->started == 0) {
        ipcgm.g->started = apr_time_sec(apr_time_now());
    }
    /* a restart keeps the process, and its start time, group and session
     * with it: read once per process */
    if (ipcgm.g->pid != getpid() || ipcgm.g->starttime == 0) {
        ipcgm.g->pid = getpid();
        ipcgm.g->starttime = 0;
        ipcgm.g->pgrp = ipcgm.g->session = 0;
        if (ipcg_proc_read(p, &ipcgm.paths, ipcgm.g->pid, IPCG_PROC_IDENTITY,
                           &me) == APR_SUCCESS) {
            ipcgm.g->starttime = me.starttime;
            ipcgm.g->pgrp = me.pgrp;
            ipcgm.g->session = me.session;
        }
    }
    if (ipcgm.g->boot_id[0] == '\0'
        && ipcg_boot_id(p, &ipcgm.paths, ipcgm.g->boot_id,
                        sizeof(ipcgm.g->boot_id)) != APR_SUCCESS) {
        ipcgm.g->boot_id[0] = '\0';
    }
    /* never overwrite the state of another server that shares this
     * PidFile (a configuration error httpd itself will report) */
    was_clashed = ipcgm.g->state_clash;
    ipcgm.g->state_clash = 0;
    if (ipcgm.g->state_path[0]) {
        int lock = ipcgm_take_runlock(p, s);

        ipcgm.g->state_clash = state_of_another_run(
            p, s, was_clashed, lock == IPCG_LOCK_ELSEWHERE);
    }
    apr_pool_destroy(p);
}

/* After the last post_config entry: the generation's objects exist, and
 * the brackets have recorded each as it came. The registry is checked
 * against the kernel (its objects one by one) and recorded; no table is
 * read. In the first pass nothing more (there is no table yet). A start,
 * and a restart that is not graceful, do the same after the last pre_mpm
 * entry; a graceful restart skips pre_mpm, so it does it here. Either way
 * the generation's first full scan comes once its first child runs. */
void ipcgm_after_post_config(server_rec *s)
{
    apr_pool_t *p;

    apr_pool_create(&p, ipcgm.g->pool);
    if (ipcgm.g->hist.pid != ipcgm.g->pid) {
        /* this run's entry in the history */
        memcpy(ipcgm.g->hist.instance, ipcgm.g->instance,
               sizeof(ipcgm.g->hist.instance));
        ipcgm.g->hist.pid = ipcgm.g->pid;
        ipcgm.g->hist.started = ipcgm.g->started;
        ipcgm.g->hist.exited = 0;
        ipcgm.g->hist.outside_total = ipcgm.g->outside_total = 0;
        ipcgm.g->hist_dirty = 1;
    }
    if (!ipcgm_in_real_pass()) {
        ipcgm_record_registry(p, s);
        if (ipcgm.g->hist_dirty) {
            /* this run's entry, on the way to serving: not synced (a
             * power loss takes the run with it; the next sample syncs) */
            ipcgm_history_save(p, s, 0);
        }
    }
    else if (ipcgm_pre_mpm_follows()) {
        /* should no pre_mpm come after all, the monitor's first pass is
         * a full one */
        ipcgm.g->sig_valid = 0;
    }
    else {
        ipcgm_record_registry(p, s);
        /* no pre_mpm to take the watch list after: the generation's
         * startup-phase objects all exist now */
        ipcgm_watch_generation();
        /* the old generation's children exit before the new one's start
         * (prefork makes each as one goes): their exits ask for what was
         * made after this */
        ipcgm_mark_hold(&ipcgm.since);
        ipcgm_first_scan_due();
    }
    apr_pool_destroy(p);
}
