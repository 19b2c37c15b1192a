/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: what the parent carries across generations (in the process
 * pool), the logger the core writes through, the registry of this
 * instance's objects and the state file that records it.
 */

#include "mod_ipcguard_private.h"

/* set to what a fresh load starts with by register_hooks (the module is
 * kept mapped across generations: mod_ipcguard.c) */
ipcgm_state_t ipcgm;

/* A process that may write the state and history files: the parent,
 * with the privilege it started with (a child runs as the User, or as
 * the same user when the server was not started as root). */
int ipcgm_may_write_state(void)
{
    return ipcgm.g != NULL && ipcgm.g->pid == (apr_int64_t)getpid()
           && (!ipcgm.started_as_root || geteuid() == 0);
}

/* The sizes of what is carried, the arrays' elements and the full scans'
 * view (kept in the carried pool) included, summed: a forgotten bump of
 * IPCG_CARRIED_LAYOUT is still caught when one moves. */
apr_uint64_t ipcgm_carried_shape(void)
{
    const apr_uint64_t sizes[] = {
        sizeof(ipcg_global), sizeof(ipcg_obj_t), sizeof(ipcg_decision_t),
        sizeof(ipcg_view_t)
    };

    return ipcg_fnv1a((const char *)sizes, sizeof(sizes));
}

/* Is what the process pool carries this release's? 0: nothing carried;
 * 1: ours; -1: another release's (its head names its layout). */
static int carried_is_ours(const void *data)
{
    const ipcg_carried_head *h = data;

    if (data == NULL) {
        return 0;
    }
    return h->magic == IPCG_CARRIED_MAGIC && h->layout == IPCG_CARRIED_LAYOUT
           && h->size == ipcgm_carried_shape() ? 1 : -1;
}

ipcg_global *ipcgm_global_state(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    void *data = NULL;
    int carried;
    apr_uint32_t old_layout = 0;
    apr_uint64_t old_size = 0;

    apr_pool_userdata_get(&data, IPCG_USERDATA, pp);
    carried = carried_is_ours(data);
    if (carried < 0) {
        const ipcg_carried_head *h = data;
        apr_pool_t *old = h->magic == IPCG_CARRIED_MAGIC ? h->pool : NULL;

        old_layout = h->magic == IPCG_CARRIED_MAGIC ? h->layout : 0;
        old_size = h->magic == IPCG_CARRIED_MAGIC ? h->size : 0;
        apr_pool_userdata_set(NULL, IPCG_USERDATA, apr_pool_cleanup_null, pp);
        /* only another release's own head says where its pool is */
        if (old) {
            apr_pool_destroy(old);
        }
        data = NULL;
    }
    if (data == NULL) {
        ipcg_global *g = apr_pcalloc(pp, sizeof(*g));
        /* not a child of the process pool: at exit httpd destroys that
         * pool's children, newest first, before pconf, whose cleanup
         * still needs the registry */
        apr_pool_create(&g->pool, NULL);
        g->head.magic = IPCG_CARRIED_MAGIC;
        g->head.layout = IPCG_CARRIED_LAYOUT;
        g->head.size = ipcgm_carried_shape();
        g->head.pool = g->pool;
        g->rebuilt = carried < 0;
        g->rebuilt_layout = old_layout;
        g->rebuilt_size = old_size;
        apr_pool_create(&g->regpool, g->pool);
        apr_pool_create(&g->seenpool, g->pool);
        g->reg = apr_array_make(g->regpool, 16, sizeof(ipcg_obj_t));
        g->decisions = apr_array_make(g->pool, 16, sizeof(ipcg_decision_t));
        g->seen = ipcg_objmap_make(g->seenpool, 0);
        g->warned = apr_hash_make(g->pool);
        g->failcnt = apr_hash_make(g->pool);
        g->pending = apr_array_make(g->pool, 16, sizeof(pending_msg));
        ipcg_history_init(g->pool, &g->hist);
        apr_pool_create(&g->watchpool, g->pool);
        g->watch = apr_hash_make(g->watchpool);
        apr_pool_userdata_set(g, IPCG_USERDATA, apr_pool_cleanup_null, pp);
        data = g;
    }
    return data;
}

/* The core logs through httpd's error log. */
void ipcgm_log_to_httpd(void *baton, int level, apr_status_t rv,
                         const char *msg)
{
    server_rec *s = baton;

    if (ipcgm.log_pending && ipcgm.g) {
        pending_msg *m = apr_array_push(ipcgm.g->pending);
        m->level = level;
        m->rv = rv;
        m->msg = apr_pstrdup(ipcgm.g->pool, msg);
        return;
    }
    ap_log_error(APLOG_MARK, level, rv, s, "%s", msg);
}

apr_status_t ipcgm_flush_on_exit(void *data)
{
    if (ipcgm.log_pending) {
        ipcgm_flush_pending(data);
    }
    return APR_SUCCESS;
}

void ipcgm_flush_pending(server_rec *s)
{
    int i;

    ipcgm.log_pending = 0;
    if (ipcgm.g == NULL) {
        return;
    }
    for (i = 0; i < ipcgm.g->pending->nelts; i++) {
        const pending_msg *m = &APR_ARRAY_IDX(ipcgm.g->pending, i,
                                              pending_msg);
        ap_log_error(APLOG_MARK, m->level, m->rv, s, "%s", m->msg);
    }
    ipcgm.g->pending->nelts = 0;
}

void ipcgm_set_logger(server_rec *s)
{
    int level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);

    ipcg_log_set(ipcgm_log_to_httpd, s);
    /* httpd always writes notice lines (the cleanup's summary is one),
     * whatever LogLevel says */
    ipcg_log_set_level(level < APLOG_NOTICE ? APLOG_NOTICE : level);
}

/* Copy the registry into a fresh pool so that restarts do not grow it. */
void ipcgm_registry_compact(void)
{
    apr_pool_t *np;
    apr_array_header_t *na;

    apr_pool_create(&np, ipcgm.g->pool);
    na = apr_array_copy(np, ipcgm.g->reg);
    apr_pool_destroy(ipcgm.g->regpool);
    ipcgm.g->regpool = np;
    ipcgm.g->reg = na;
}

/* Just the registry's objects, read one by one by id or by name: the cost
 * grows with this server's objects, not with what other programs hold. */
void ipcgm_scan_registry(apr_pool_t *p, ipcg_snapshot_t *snap)
{
    ipcg_snapshot_init(p, snap);
    ipcg_scan_objects(p, &ipcgm.paths, ipcgm.g->reg, snap);
}

/* Keep the registry exact against the kernel and record it, reading no
 * table: what a startup step needs when there are no children yet to
 * have made objects at runtime. */
void ipcgm_record_registry(apr_pool_t *p, server_rec *s)
{
    ipcg_snapshot_t mine;

    ipcgm_scan_registry(p, &mine);
    ipcg_registry_reconcile(p, ipcgm.g->reg, &mine);
    ipcgm_registry_compact();
    ipcgm_state_write(p, s);
}

void ipcgm_registry_add(const ipcg_obj_t *o)
{
    int i = ipcg_registry_find(ipcgm.g->reg, o);

    if (i >= 0) {
        APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t) = *o;
    }
    else {
        *(ipcg_obj_t *)apr_array_push(ipcgm.g->reg) = *o;
    }
}

apr_uint64_t ipcgm_text_sum(const char *text, apr_size_t len)
{
    apr_uint64_t h = ipcg_fnv1a(text, len);

    return h ? h : 1;
}

/* The state file's inode, size and change time, or 0 if it cannot be
 * stat'ed. */
static int state_file_stat(apr_pool_t *p, apr_finfo_t *fi)
{
    apr_status_t rv = apr_stat(fi, ipcgm.g->state_path,
                               APR_FINFO_LINK | APR_FINFO_TYPE
                               | APR_FINFO_INODE | APR_FINFO_SIZE
                               | APR_FINFO_CTIME, p);

    return (rv == APR_SUCCESS || rv == APR_INCOMPLETE)
           && (fi->valid & APR_FINFO_INODE) && (fi->valid & APR_FINFO_CTIME)
           && fi->filetype == APR_REG;
}

int ipcgm_state_file_ours(apr_pool_t *p)
{
    apr_finfo_t fi;

    return ipcgm.g->state_sum != 0 && ipcgm.g->state_path[0]
           && state_file_stat(p, &fi)
           && (apr_uint64_t)fi.inode == ipcgm.g->state_ino
           && (apr_uint64_t)fi.size == ipcgm.g->state_size
           && (apr_int64_t)fi.ctime == ipcgm.g->state_ctime;
}

/* Remember what was just written: its sum, and the file as it is now. */
static void state_written(apr_pool_t *p, apr_uint64_t sum)
{
    apr_finfo_t fi;

    ipcgm.g->state_sum = 0;
    if (sum != 0 && state_file_stat(p, &fi)) {
        ipcgm.g->state_sum = sum;
        ipcgm.g->state_ino = (apr_uint64_t)fi.inode;
        ipcgm.g->state_size = (apr_uint64_t)fi.size;
        ipcgm.g->state_ctime = (apr_int64_t)fi.ctime;
    }
}

/* Record the registry, unless the file this process last wrote is there
 * and already says all of it: a startup step that only confirms what the
 * brackets recorded writes nothing. The time the file was written is left
 * out of that comparison, so it says when the registry last changed. */
void ipcgm_state_write(apr_pool_t *p, server_rec *s)
{
    ipcg_state_t st;
    const char *why = NULL, *text;
    apr_size_t len;
    apr_uint64_t sum;
    apr_status_t rv;

    if (ipcgm.g->state_clash || ipcgm.g->state_path[0] == '\0'
        || !ipcgm_may_write_state()) {
        return;
    }
    memset(&st, 0, sizeof(st));
    st.pid = ipcgm.g->pid;
    st.starttime = ipcgm.g->starttime;
    st.pgrp = ipcgm.g->pgrp;
    st.session = ipcgm.g->session;
    memcpy(st.boot_id, ipcgm.g->boot_id, sizeof(st.boot_id));
    st.run_uid = ipcgm_run_user();
    st.run_gid = ipcgm_run_group();
    st.started = ipcgm.g->started;
    st.generation = (apr_uint64_t)ap_state_query(AP_SQ_CONFIG_GEN);
    memcpy(st.instance, ipcgm.g->instance, sizeof(st.instance));
    st.pidfile = ipcgm.g->pidfile;
    /* the registry itself, not a copy: formatting only reads it */
    st.objs = ipcgm.g->reg;
    st.written = apr_time_sec(apr_time_now());
    /* formatted once: the sum leaves the time out, the file has it */
    text = ipcg_state_format(p, &st, &len);
    sum = ipcg_state_content_sum(text, len);
    if (sum == ipcgm.g->state_sum && ipcgm_state_file_ours(p)) {
        ipcgm_adopt_save(p, s);
        return;
    }
    rv = ipcg_state_write_text(p, ipcgm.g->state_path, text, len, &why);
    state_written(p, rv == APR_SUCCESS ? sum : 0);
    if (rv != APR_SUCCESS) {
        ipcgm_log_once(s, APLOG_ERR, 101, "state file",
                 apr_psprintf(p, "cannot write state file %s: %s; the next "
                              "start cannot clean up after this run",
                              ipcgm.g->state_path, why ? why : "error"));
    }
    else {
        ipcgm_warn_rearm("state file");
    }
    ipcgm_adopt_save(p, s);
}
