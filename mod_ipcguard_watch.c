/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: scans and publishing: the parent's full and quiet passes
 * (monitor, child exits, the end of the startup), objects children made at
 * runtime, the view the status table publishes.
 */


#include "mod_ipcguard_private.h"

/* The most objects the scan buffer is made for (about 47 MB of address
 * space; only what a scan fills is ever touched) */
#define IPCG_SNAPBUF_MAX 100000

/* The scan buffer goes (to be made larger). */
static void snapbuf_clear(void)
{
    if (ipcgm.g->snapbuf.pool) {
        apr_pool_destroy(ipcgm.g->snapbuf.pool);
    }
    memset(&ipcgm.g->snapbuf, 0, sizeof(ipcgm.g->snapbuf));
}

static apr_status_t snapbuf_release(void *data)
{
    (void)data;
    ipcgm.g->snapbuf.busy = 0;
    return APR_SUCCESS;
}

/* Whether the scan buffer is free and has room for @a want objects;
 * made (again) larger when it is free and too small. */
static int snapbuf_ready(apr_uint64_t want)
{
    apr_shm_t *shm;
    int cap;

    if (ipcgm.g == NULL || ipcgm.g->snapbuf.busy) {
        return 0;
    }
    if (want > IPCG_SNAPBUF_MAX) {
        want = IPCG_SNAPBUF_MAX;
    }
    if ((apr_uint64_t)ipcgm.g->snapbuf.cap >= want && ipcgm.g->snapbuf.base) {
        return 1;
    }
    snapbuf_clear();
    /* room for what comes until the next scan */
    cap = (int)want + (int)want / 4 + 64;
    apr_pool_create(&ipcgm.g->snapbuf.pool, ipcgm.g->pool);
    if (apr_shm_create(&shm, (apr_size_t)cap * sizeof(ipcg_obj_t), NULL,
                       ipcgm.g->snapbuf.pool) != APR_SUCCESS) {
        snapbuf_clear();
        return 0;
    }
    ipcgm.g->snapbuf.base = apr_shm_baseaddr_get(shm);
    ipcgm.g->snapbuf.cap = cap;
    /* the pages a scan is about to fill, in one call (APR keeps the
     * segment's size in front, so the first page faults on its own) */
    ipcg_populate(ipcgm.g->snapbuf.base,
                  (apr_size_t)want * sizeof(ipcg_obj_t));
    return 1;
}

/* Read the kernel's tables; failures of single tables are tolerated. The
 * snapshot goes to the scan buffer unless another snapshot is in it (a
 * scan within a scan); it is free again when @a p goes. */
void ipcgm_scan(apr_pool_t *p, ipcg_snapshot_t *snap)
{
    ipcg_signature_t sig;
    apr_uint64_t want;

    /* how many objects there are, from the kernel's counts */
    ipcg_scan_signature(p, &ipcgm.paths, &sig);
    want = sig.n1[IPCG_SYSV_SEM] + sig.n1[IPCG_SYSV_SHM]
           + sig.n1[IPCG_SYSV_MSG] + sig.devshm_files;
    if (snapbuf_ready(want)) {
        ipcg_snapshot_init_buf(p, snap, ipcgm.g->snapbuf.base,
                               ipcgm.g->snapbuf.cap);
        ipcgm.g->snapbuf.busy = 1;
        apr_pool_cleanup_register(p, NULL, snapbuf_release,
                                  apr_pool_cleanup_null);
    }
    else {
        ipcg_snapshot_init(p, snap);
    }
    ipcg_scan_all(p, &ipcgm.paths, snap);
}

/* The pid that a fresh object names as its maker, 0 if none. */
static apr_int64_t maker_of(const ipcg_obj_t *o)
{
    switch (o->kind) {
    case IPCG_SYSV_SHM:
        return o->cpid;
    case IPCG_SYSV_MSG:
        return o->cpid ? o->cpid : o->lpid;
    case IPCG_SYSV_SEM:
        /* SETVAL and semop leave the caller's pid on the semaphore */
        return ipcg_probe_sem_maker(o);
    default:
        return 0;
    }
}

static void uid_add(apr_pool_t *p, apr_hash_t *uids, apr_uint32_t uid)
{
    apr_uint32_t *k = apr_palloc(p, sizeof(*k));

    *k = uid;
    apr_hash_set(uids, k, sizeof(*k), k);
}

/* The uids a process of this server can have made an object as (the
 * kernel records the maker's effective uid as the creator): the parent's,
 * the run User's, and each process's own, the owner of its /proc entry
 * (its effective uid; root while it is not dumpable). A just-exited child
 * ran as the User, or as a uid one of its siblings has. */
static apr_hash_t *tree_uids(apr_pool_t *p, const apr_array_header_t *tree)
{
    apr_hash_t *uids = apr_hash_make(p);
    int i;

    uid_add(p, uids, ipcgm.started_uid);
    uid_add(p, uids, ipcgm_run_user());
    for (i = 0; i < tree->nelts; i++) {
        apr_finfo_t fi;
        const char *dir = apr_psprintf(p, "%s/%" APR_INT64_T_FMT,
                                       ipcgm.paths.proc,
                                       APR_ARRAY_IDX(tree, i,
                                                     ipcg_proc_t).pid);
        if (apr_stat(&fi, dir, APR_FINFO_USER, p) == APR_SUCCESS) {
            uid_add(p, uids, (apr_uint32_t)fi.user);
        }
    }
    return uids;
}

/* Whether @a o may have been made by a process of this server: its
 * creator's uid is one of theirs, and it did not last change (its ctime:
 * made, or its owner or a value set) before the parent began. */
static int maybe_made_here(const ipcg_obj_t *o, apr_hash_t *uids)
{
    if (ipcgm.parent_born > 0 && o->ctime < ipcgm.parent_born) {
        return 0;
    }
    return apr_hash_get(uids, &o->cuid, sizeof(o->cuid)) != NULL;
}

/* The server's processes: the parent's tree, @a extra_pid (a child just
 * exited, no longer in /proc) and the children that exited since the
 * last full scan; into *@a ours (pid -> pid) and *@a tree (ipcg_proc_t).
 * 0 if /proc cannot be read. */
static int server_procs(apr_pool_t *p, apr_int64_t extra_pid,
                        apr_hash_t **ours, apr_array_header_t **tree)
{
    apr_array_header_t *procs = NULL;
    int i;

    if (ipcg_proc_list(p, &ipcgm.paths, &procs) != APR_SUCCESS) {
        return 0;
    }
    *tree = ipcg_proc_tree(p, procs, ipcgm.g->pid);
    *ours = apr_hash_make(p);
    for (i = 0; i < (*tree)->nelts; i++) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = APR_ARRAY_IDX(*tree, i, ipcg_proc_t).pid;
        apr_hash_set(*ours, k, sizeof(*k), k);
    }
    if (extra_pid > 0) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = extra_pid;
        apr_hash_set(*ours, k, sizeof(*k), k);
    }
    for (i = 0; i < ipcgm.g->n_exited; i++) {
        apr_hash_set(*ours, &ipcgm.g->exited[i], sizeof(apr_int64_t),
                     &ipcgm.g->exited[i]);
    }
    if (ipcgm.parent_born == 0) {
        ipcgm.parent_born = ipcg_proc_born(p, &ipcgm.paths,
                                           ipcgm.g->starttime);
    }
    return 1;
}

/* Register @a o, new to this server's look, if one of @a ours made it.
 * Returns 1 if it did. */
static int register_if_made(const ipcg_obj_t *obj, apr_hash_t *ours,
                            apr_hash_t *uids)
{
    ipcg_obj_t o = *obj;
    apr_int64_t maker;

    if (ipcg_registry_find(ipcgm.g->reg, &o) >= 0 || o.kind > IPCG_SYSV_MSG
        || !maybe_made_here(&o, uids)) {
        return 0;
    }
    maker = maker_of(&o);
    if (maker <= 0 || !apr_hash_get(ours, &maker, sizeof(maker))) {
        return 0;
    }
    o.phase = IPCG_PHASE_RUNTIME;
    o.cls = o.key == 0 ? IPCG_CLASS_INSTANCE : IPCG_CLASS_APPLICATION;
    o.owner_pid = maker;
    if (o.cls == IPCG_CLASS_APPLICATION) {
        /* made by one of its processes: this server's from now on */
        o.adopted = apr_time_sec(apr_time_now());
    }
    ipcg_strlcpy(o.module, "unknown", sizeof(o.module));
    ipcgm_registry_add(&o);
    return 1;
}

/* A map for the slots of this scan, with its cells in the seen buffer
 * the last scan's map is not in: anonymous shared memory, which a fork
 * does not write-protect, so the scans after children forked fill it
 * without copying a page (384 KB at 10,000 objects). Made
 * larger when too small; in @a np if that fails. *in: the buffer used,
 * as ipcg_global's seen_in counts. */
static ipcg_objmap_t *seen_make(apr_pool_t *np, int hint, int *in)
{
    int k = ipcgm.g->seen_in == 1 ? 1 : 0;
    apr_size_t want = ipcg_objmap_bytes(hint);
    apr_shm_t *shm;

    if (ipcgm.g->seenbuf[k].len < want) {
        if (ipcgm.g->seenbuf[k].pool) {
            apr_pool_destroy(ipcgm.g->seenbuf[k].pool);
        }
        memset(&ipcgm.g->seenbuf[k], 0, sizeof(ipcgm.g->seenbuf[k]));
        /* room for what comes until a later scan */
        want = ipcg_objmap_bytes(hint + hint / 4 + 64);
        apr_pool_create(&ipcgm.g->seenbuf[k].pool, ipcgm.g->pool);
        if (apr_shm_create(&shm, want, NULL, ipcgm.g->seenbuf[k].pool)
            != APR_SUCCESS) {
            apr_pool_destroy(ipcgm.g->seenbuf[k].pool);
            memset(&ipcgm.g->seenbuf[k], 0, sizeof(ipcgm.g->seenbuf[k]));
            *in = 0;
            return ipcg_objmap_make(np, hint);
        }
        ipcgm.g->seenbuf[k].base = apr_shm_baseaddr_get(shm);
        ipcgm.g->seenbuf[k].len = apr_shm_size_get(shm);
    }
    *in = k + 1;
    return ipcg_objmap_make_in(np, hint, ipcgm.g->seenbuf[k].base,
                               ipcgm.g->seenbuf[k].len);
}

/* Register the objects in @a snap that processes of this server made at
 * runtime; @a extra_pid is a just-exited child (no longer in /proc).
 * Returns how many were added; the server's processes it listed go to
 * *@a listed (NULL when /proc could not be read), for a full scan's
 * report. A set is asked for its maker (a system call a semaphore) only
 * when it may have been made here: the sets of other users, and every set
 * older than the parent, however many, cost nothing. */
static int register_runtime(apr_pool_t *p, const ipcg_snapshot_t *snap,
                            apr_int64_t extra_pid,
                            const apr_array_header_t **listed)
{
    apr_array_header_t *tree;
    apr_hash_t *ours, *uids;
    apr_pool_t *np;
    ipcg_objmap_t *seen;
    int i, added = 0, seen_in;

    *listed = NULL;
    if (!server_procs(p, extra_pid, &ours, &tree)) {
        return 0;
    }
    *listed = tree;
    uids = tree_uids(p, tree);
    apr_pool_create(&np, ipcgm.g->pool);
    seen = seen_make(np, snap->objs->nelts, &seen_in);
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);

        ipcg_objmap_set(seen, o, "");
        /* look at each object once: when it first appears */
        if (!ipcg_objmap_get(ipcgm.g->seen, o)) {
            added += register_if_made(o, ours, uids);
        }
    }
    added += ipcgm_adopt_used(p, snap, tree, extra_pid);
    /* what the exited children made is registered or seen now */
    ipcgm.g->n_exited = 0;
    apr_pool_destroy(ipcgm.g->seenpool);
    ipcgm.g->seenpool = np;
    ipcgm.g->seen = seen;
    ipcgm.g->seen_in = seen_in;
    return added;
}

int ipcgm_register_runtime(apr_pool_t *p, const ipcg_snapshot_t *snap,
                            apr_int64_t extra_pid)
{
    const apr_array_header_t *listed;

    return register_runtime(p, snap, extra_pid, &listed);
}

int ipcgm_exited_add(apr_int64_t pid)
{
    if (ipcgm.g->n_exited >= IPCG_EXITED_MAX) {
        return 0;
    }
    ipcgm.g->exited[ipcgm.g->n_exited++] = pid;
    return 1;
}

int ipcgm_exit_since_mark(apr_pool_t *p, apr_int64_t pid)
{
    ipcg_snapshot_t added, mine;
    apr_array_header_t *tree;
    apr_hash_t *ours, *uids;
    int i, n = 0;

    if (!ipcgm.since.valid) {
        return -1;
    }
    ipcg_snapshot_init(p, &added);
    if (ipcg_scan_since(p, &ipcgm.paths, &ipcgm.since.mark, &added)
        != APR_SUCCESS) {
        ipcgm.since.valid = 0;
        return -1;
    }
    ipcgm_scan_registry(p, &mine);
    ipcg_registry_reconcile(p, ipcgm.g->reg, &mine);
    /* nothing made since the mark (the usual exit): no process to look
     * up, and /proc is not read. Read after the scan, the list still has
     * every child that made what it found, alive or not yet reaped: this
     * process reaps them, and it is busy here. */
    if (added.objs->nelts == 0) {
        return 0;
    }
    if (!server_procs(p, pid, &ours, &tree)) {
        return -1;
    }
    uids = tree_uids(p, tree);
    for (i = 0; i < added.objs->nelts; i++) {
        n += register_if_made(&APR_ARRAY_IDX(added.objs, i, ipcg_obj_t),
                              ours, uids);
    }
    /* what the exited child used of the objects made since */
    n += ipcgm_adopt_used(p, &added, tree, pid);
    return n;
}

/* A full scan at least every this many monitor passes (five minutes at
 * the default interval) when nothing seems to change: it catches what the
 * kernel's counts cannot tell (an object made where another went, a
 * foreign object's owner or attach count), and every process's maps are
 * read again with it. With 10,000 objects a full scan costs about as
 * much as a hundred quiet passes. */
#define IPCG_FULL_SCAN_EVERY 30

/* The server's processes with their shared memory, from @a listed (the
 * tree a full scan's registration just listed) or, when NULL, from a
 * listing of their own; status and maps are read only for processes that
 * are new or whose counters moved, and for every one at the backstop's
 * full scans. */
static void view_procs(apr_pool_t *p, const apr_array_header_t *listed,
                       ipcg_view_t *v)
{
    if (ipcgm.g->procmemo == NULL) {
        ipcgm.g->procmemo = ipcg_proc_memo_create(ipcgm.g->pool);
    }
    if (ipcgm.g->backstop_due) {
        ipcg_proc_memo_round(ipcgm.g->procmemo, IPCG_MEMO_FORGET_ALL);
        ipcgm.g->backstop_due = 0;
    }
    if (listed) {
        ipcg_report_procs_tree(p, &ipcgm.paths, listed, ipcgm.g->procmemo,
                               v);
    }
    else {
        ipcg_report_procs_memo(p, &ipcgm.paths, ipcgm.g->pid,
                               ipcgm.g->procmemo, v);
    }
    ipcg_proc_memo_round(ipcgm.g->procmemo, IPCG_MEMO_KEEP_READ);
}

/* The parent's own figures in the report. */
static void view_counters(ipcg_report_t *r)
{
    r->cleanup = ipcgm.g->cleanup;
    r->orphans = ipcgm.g->orphans;
    r->orphans_provable = ipcgm.g->orphans_provable;
    r->scans_total = ipcgm.g->scans_total;
    r->warnings_total = ipcgm.g->warnings_total;
    r->child_reaped_total = ipcgm.g->child_reaped_total;
    r->removed_total = ipcgm.g->removed_total;
}

/* Build the view the table publishes; @a listed: the server's processes
 * as the scan's registration listed them (NULL: list them again). */
static void build_view(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                       const ipcg_snapshot_t *snap,
                       const apr_array_header_t *listed, ipcg_view_t *v)
{
    ipcg_report_t *r = &v->rep;

    (void)s;
    memset(v, 0, sizeof(*v));
    v->objs = apr_array_make(p, ipcgm.g->reg->nelts + 8, sizeof(ipcg_obj_t));
    v->decisions = apr_array_copy(p, ipcgm.g->decisions);
    v->procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    memcpy(r->instance, ipcgm.g->instance, sizeof(r->instance));
    r->pid = ipcgm.g->pid;
    r->starttime = ipcgm.g->starttime;
    r->started = ipcgm.g->started;
    r->generation = (apr_uint64_t)ap_state_query(AP_SQ_CONFIG_GEN);
    r->run_uid = ipcgm_run_user();
    r->run_gid = ipcgm_run_group();
    r->user_mode = !ipcgm.started_as_root;
    r->mode = cf->cleanup;
    r->show_foreign = cf->show_foreign;
    r->warn_percent = cf->warn_percent;
    r->scan_seconds = cf->scan_seconds;
    r->updated = apr_time_sec(apr_time_now());
    ipcg_report_system(p, &ipcgm.paths, cf->beancounters, snap, r);
    ipcg_report_objects(p, ipcgm.g->reg, snap, cf->show_foreign, v);
    view_procs(p, listed, v);
    view_counters(r);
}

/* Keep what a full scan published, for the quiet passes until the next:
 * the report where it was built, the objects copied out of the scan's
 * pool (its other lists go with that pool). */
static void keep_view(ipcg_view_t *v)
{
    apr_pool_t *np;

    ipcgm.g->kept_rep = &v->rep;
    apr_pool_create(&np, ipcgm.g->pool);
    ipcgm.g->kept_objs = apr_array_copy(np, v->objs);
    if (ipcgm.g->keptpool) {
        apr_pool_destroy(ipcgm.g->keptpool);
    }
    ipcgm.g->keptpool = np;
    v->objs = ipcgm.g->kept_objs;
    v->decisions = v->procs = NULL;
}

/* Publish @a v; the warnings on it on the monitor's passes. */
static void publish(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                    ipcg_view_t *v, ipcgm_pass_e pass)
{
    ipcgm_trends(p, s, cf, v);
    if (ipcgm.table) {
        ipcg_table_publish(ipcgm.table, v);
        ipcgm_publish_auto(p, v);
    }
    if (pass == IPCGM_PASS_MONITOR) {
        ipcgm_early_warnings(p, s, cf, v);
        ipcgm_forecast_warnings(p, s, cf, v);
    }
    if (ipcgm.g->reg->nelts > cf->max_objects) {
        ipcgm_warn_once(s, "table", apr_psprintf(p,
                        "the status table is full: this server has %d "
                        "objects, IPCGuardMaxObjects is %d; /ipc-status "
                        "lists the first %d and counts the rest",
                        ipcgm.g->reg->nelts, cf->max_objects,
                        cf->max_objects));
    }
}

/* Rescan, keep the registry exact, publish; write the state file when the
 * registry changed, or always on a recording pass (a new parent, a new
 * run, a child's exit). */
void ipcgm_refresh(apr_pool_t *p, server_rec *s, ipcgm_pass_e pass)
{
    ipcg_settings cf;
    ipcg_snapshot_t snap;
    ipcg_view_t *v;
    const apr_array_header_t *listed;
    int changed;

    ipcgm_settings_of(s, &cf);
    /* the view is 36 KB: built where it is kept (a page first written
     * after a fork costs the parent a fault) */
    if (ipcgm.g->full_view == NULL) {
        ipcgm.g->full_view = apr_palloc(ipcgm.g->pool,
                                        sizeof(*ipcgm.g->full_view));
    }
    v = ipcgm.g->full_view;
    /* the kernel's summary before the scan: whatever changes after it
     * shows in the next one */
    ipcg_scan_signature(p, &ipcgm.paths, &ipcgm.g->sig);
    ipcgm.g->sig_valid = 1;
    ipcgm.g->quiet_run = 0;
    ipcgm.g->full_scans++;
    ipcgm_check_outside(p, s);
    ipcgm_mark_hold(&ipcgm.since);
    ipcgm_scan(p, &snap);
    ipcgm.g->scans_total++;
    changed = ipcg_registry_reconcile(p, ipcgm.g->reg, &snap);
    changed += register_runtime(p, &snap, 0, &listed);
    /* after the registration: what the children made is not an orphan */
    ipcgm_orphan_search_due(p, s, &snap);
    build_view(p, s, &cf, &snap, listed, v);
    publish(p, s, &cf, v, pass);
    keep_view(v);
    if (changed || pass == IPCGM_PASS_RECORD) {
        ipcgm_registry_compact();
        ipcgm_state_write(p, s);
    }
}

/* Whether nothing came, went or changed since the last full scan, as far
 * as the kernel's summary and a look at each object of this server tell:
 * NULL if so, else why not. */
const char *ipcgm_changed_since_full(apr_pool_t *p)
{
    ipcg_signature_t now;
    int i;

    if (!ipcgm.g->sig_valid || ipcgm.g->kept_rep == NULL) {
        return "no full scan yet";
    }
    if (ipcgm.g->quiet_run >= IPCG_FULL_SCAN_EVERY - 1) {
        ipcgm.g->backstop_due = 1;
        return "the backstop's turn";
    }
    ipcg_scan_signature(p, &ipcgm.paths, &now);
    if (!ipcg_signature_same(&now, &ipcgm.g->sig)) {
        return "the kernel's counts moved";
    }
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        if (ipcg_obj_unchanged(p, &ipcgm.paths, o) != 1) {
            return "an object of this server changed";
        }
    }
    return NULL;
}

void ipcgm_first_scan_due(void)
{
    ipcgm.refresh_due = 1;
    ipcgm.refresh_due_at = apr_time_now();
}

int ipcgm_first_scan_waits(apr_time_t now, int scan_seconds)
{
    return ipcgm.refresh_due
           && now - ipcgm.refresh_due_at < apr_time_from_sec(scan_seconds);
}

/* Nothing came or went: publish what the last full scan found, with the
 * limits, the processes, the counters and the trends of now. */
void ipcgm_refresh_quiet(apr_pool_t *p, server_rec *s)
{
    ipcg_settings cf;
    ipcg_view_t *v = apr_pcalloc(p, sizeof(*v));
    ipcg_report_t *r = &v->rep;

    ipcgm_settings_of(s, &cf);
    ipcgm.g->scans_total++;
    ipcgm.g->quiet_scans++;
    ipcgm.g->quiet_run++;
    /* every watched object was just seen, unchanged */
    ipcgm.g->last_seen_at = apr_time_sec(apr_time_now());
    v->rep = *ipcgm.g->kept_rep;
    v->objs = ipcgm.g->kept_objs;
    v->decisions = apr_array_copy(p, ipcgm.g->decisions);
    v->procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    r->mode = cf.cleanup;
    r->show_foreign = cf.show_foreign;
    r->warn_percent = cf.warn_percent;
    r->scan_seconds = cf.scan_seconds;
    r->updated = apr_time_sec(apr_time_now());
    ipcg_report_limits(p, &ipcgm.paths, cf.beancounters, r);
    view_procs(p, NULL, v);
    view_counters(r);
    publish(p, s, &cf, v, IPCGM_PASS_MONITOR);
}
