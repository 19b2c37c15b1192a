/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the history file, the trends drawn from it, and the
 * outside removals: objects of the generation that something other than
 * httpd removed.
 */

#include "mod_ipcguard_private.h"

/* Write the history file; @a durable syncs it (what it adds should outlive
 * a reboot: samples, removals from outside, the end of a run). */
void ipcgm_history_save(apr_pool_t *p, server_rec *s, int durable)
{
    const char *why = NULL;
    apr_status_t rv;

    if (ipcgm.g->hist_path[0] == '\0' || ipcgm.g->state_clash
        || !ipcgm_may_write_state()) {
        return;
    }
    rv = ipcg_history_write(p, ipcgm.g->hist_path, &ipcgm.g->hist, durable,
                            &why);
    if (rv != APR_SUCCESS) {
        ipcgm_warn_once_tag(s, 108, "history file",
                      apr_psprintf(p, "cannot write the history file %s: "
                                   "%s; trends will not span restarts",
                                   ipcgm.g->hist_path, why ? why : "error"));
        return;
    }
    ipcgm.g->hist_dirty = 0;
}

/* The objects the current generation made in its startup phases: nothing
 * of httpd removes them before the generation ends. */
void ipcgm_watch_generation(void)
{
    int i;

    apr_pool_clear(ipcgm.g->watchpool);
    ipcgm.g->watch = apr_hash_make(ipcgm.g->watchpool);
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        if (o->cls == IPCG_CLASS_INSTANCE && o->owner_pid == ipcgm.g->pid
            && (o->phase == IPCG_PHASE_POST_CONFIG
                || o->phase == IPCG_PHASE_OPEN_LOGS
                || o->phase == IPCG_PHASE_PRE_MPM)) {
            ipcg_obj_t *copy = apr_pmemdup(ipcgm.g->watchpool, o, sizeof(*o));
            apr_hash_set(ipcgm.g->watch, ipcg_obj_slot(ipcgm.g->watchpool, o),
                         APR_HASH_KEY_STRING, copy);
        }
    }
    ipcgm.g->last_seen_at = apr_time_sec(apr_time_now());
}

/* Say that @a o of this server was removed from outside httpd. */
static void log_outside(apr_pool_t *p, server_rec *s, const ipcg_obj_t *o,
                        const ipcg_event_t *ev)
{
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "ipcguard(301): %s %s%s (%s, %s) of this server (pid %"
                 APR_INT64_T_FMT ") was removed by something outside "
                 "httpd while the server ran: last seen %s, found gone "
                 "%s; httpd did not remove it. The usual causes: "
                 IPCG_OUTSIDE_CULPRITS ". What used it fails from now on "
                 "(prefork: AH00144, couldn't grab the accept mutex)",
                 ipcg_kind_name(o->kind),
                 o->id >= 0 ? "id " : "",
                 o->id >= 0
                     ? apr_psprintf(p, "%" APR_INT64_T_FMT " key 0x%08x",
                                    o->id, (unsigned)o->key)
                     : ap_escape_logitem(p, o->name),
                 o->module, ipcg_phase_name(o->phase), ev->server_pid,
                 ipcg_local_time(p, ev->last_seen),
                 ipcg_local_time(p, ev->found));
}

/* Whether every watched object is there as it was, asked for one by one
 * with nothing built: the usual answer, and the one a generation's end
 * needs fast (its children still share this process's memory then, and
 * each page written is copied first). Anything else, including a kernel
 * that cannot tell, takes the full check. */
static int watch_intact(apr_pool_t *p)
{
    apr_hash_index_t *hi;

    if (ipcgm.g->watch == NULL) {
        return 1;
    }
    /* the iterator in the scratch pool, whose page is written already,
     * not in the hash (a page shared with the children) */
    for (hi = apr_hash_first(p, ipcgm.g->watch); hi;
         hi = apr_hash_next(hi)) {
        const ipcg_obj_t *o = apr_hash_this_val(hi);
        /* unchanged implies that the object continues, as the full check
         * asks: a /dev/shm file's owner stands in for its creator */
        if (ipcg_obj_unchanged(p, &ipcgm.paths, o) != 1
            || (o->kind >= IPCG_POSIX_SHM && o->uid != o->cuid)) {
            return 0;
        }
    }
    return 1;
}

/* A watched object that is gone, or whose slot holds another object, was
 * removed by someone else (ipcg_outside_find): say so once, and keep the
 * event. The watched objects are asked for one by one (by id, by name):
 * the cost grows with this server's objects, not with the tables. */
void ipcgm_check_outside(apr_pool_t *p, server_rec *s)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_array_header_t *gone;
    ipcg_snapshot_t snap;
    int i, found;

    if (watch_intact(p)) {
        ipcgm.g->last_seen_at = now;
        return;
    }
    gone = apr_array_make(p, 4, sizeof(ipcg_outside_t));
    ipcg_snapshot_init(p, &snap);
    if (ipcgm.g->watch && apr_hash_count(ipcgm.g->watch)) {
        apr_array_header_t *watched = apr_array_make(
            p, (int)apr_hash_count(ipcgm.g->watch), sizeof(ipcg_obj_t));
        apr_hash_index_t *hi;
        for (hi = apr_hash_first(p, ipcgm.g->watch); hi;
             hi = apr_hash_next(hi)) {
            *(ipcg_obj_t *)apr_array_push(watched) =
                *(const ipcg_obj_t *)apr_hash_this_val(hi);
        }
        ipcg_scan_objects(p, &ipcgm.paths, watched, &snap);
    }
    found = ipcg_outside_find(p, ipcgm.g->watch, &snap, now,
                              ipcgm.g->last_seen_at, ipcgm.g->pid, gone);
    for (i = 0; i < gone->nelts; i++) {
        const ipcg_outside_t *g = &APR_ARRAY_IDX(gone, i, ipcg_outside_t);
        ipcg_history_add_event(&ipcgm.g->hist, &g->ev);
        ipcgm.g->outside_total++;
        ipcgm.g->hist.outside_total = ipcgm.g->outside_total;
        log_outside(p, s, g->obj, &g->ev);
    }
    ipcgm.g->last_seen_at = now;
    if (found) {
        ipcgm.g->hist_dirty = 1;
        ipcgm_history_save(p, s, 1);
    }
}

/* At the first start: the history of earlier runs, into the carried
 * state; 1 if there was one of this instance. */
int ipcgm_history_load(apr_pool_t *p, const ipcg_settings *cf)
{
    ipcg_history_t h;
    const char *why = NULL;
    apr_status_t rv;

    ipcg_strlcpy(ipcgm.g->hist_path,
                 ipcg_history_path(p, cf->state_dir, ipcgm.g->instance),
                 sizeof(ipcgm.g->hist_path));
    rv = ipcg_history_read(ipcgm.g->pool, ipcgm.g->hist_path,
                           ipcgm_trust_uid(), &h, &why);
    if (rv == APR_SUCCESS && strcmp(h.instance, ipcgm.g->instance) == 0) {
        ipcgm.g->hist = h;
        return 1;
    }
    if (!APR_STATUS_IS_ENOENT(rv)) {
        ipcg_log(IPCG_LOG_WARNING, 0, 109, "history file %s not used: %s; "
                 "trends start afresh", ipcgm.g->hist_path,
                 rv == APR_SUCCESS ? "it belongs to another instance"
                                   : why ? why : "unreadable");
    }
    return 0;
}

/* When the last run (the history just loaded) lost objects to an outside
 * removal, say so, after the cleanup's own summary. */
void ipcgm_history_losses(apr_pool_t *p)
{
    const ipcg_history_t *h = &ipcgm.g->hist;
    const char *list = "";
    int i, n = 0;

    for (i = 0; i < h->events->nelts; i++) {
        const ipcg_event_t *e = &APR_ARRAY_IDX(h->events, i, ipcg_event_t);
        if (e->server_pid != h->pid) {
            continue;
        }
        if (n < 4) {
            list = apr_psprintf(p, "%s%s%s %s%s (%s)", list, n ? ", " : "",
                                ipcg_kind_name(e->kind),
                                e->id >= 0 ? "id " : "",
                                e->id >= 0 ? apr_psprintf(p, "%"
                                                APR_INT64_T_FMT, e->id)
                                           : ap_escape_logitem(p, e->name),
                                e->module);
        }
        n++;
    }
    if (n > 0 && h->pid != getpid()) {
        const char *how = h->exited
            ? apr_psprintf(p, "it exited at %s", ipcg_local_time(p, h->exited))
            : "it then stopped without its own cleanup (killed, or still "
              "stopping)";
        const char *msg = apr_psprintf(
            p, "the last run (httpd pid %" APR_INT64_T_FMT ") lost %d IPC "
            "object%s to a removal from outside httpd while it ran (%s%s), "
            "first at %s; %s. Look for what removes IPC objects: "
            IPCG_OUTSIDE_CULPRITS, h->pid, n, ipcg_plural((apr_uint64_t)n),
            list, n > 4 ? ", ..." : "",
            ipcg_local_time(p, APR_ARRAY_IDX(h->events, h->events->nelts - n,
                                        ipcg_event_t).found), how);
        ipcg_log(IPCG_LOG_NOTICE, 0, 22, "%s", msg);
        apr_snprintf(ipcgm.g->cleanup.summary,
                     sizeof(ipcgm.g->cleanup.summary),
                     "%s%sthe last run (pid %" APR_INT64_T_FMT ") lost %d "
                     "object%s to a removal from outside httpd",
                     ipcgm.g->cleanup.summary,
                     ipcgm.g->cleanup.summary[0] ? "; " : "", h->pid, n,
                     ipcg_plural((apr_uint64_t)n));
    }
}

/* A sample of now; forecasts from it and the history into @a v; the
 * sample kept in the history. */
void ipcgm_trends(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                  ipcg_view_t *v)
{
    ipcg_sample_t *smp = apr_palloc(p, sizeof(*smp));
    ipcg_report_t *r = &v->rep;
    apr_int64_t spacing = cf->forecast_window / IPCG_FORECAST_POINTS;

    ipcg_report_sample(r, ipcgm.g->reg, apr_time_sec(apr_time_now()), smp);
    ipcg_report_trends(&ipcgm.g->hist, smp, cf->forecast_window,
                       cf->forecast_horizon, ipcgm.g->outside_total, r);
    if (ipcg_history_add_sample(&ipcgm.g->hist, smp,
                                spacing < 1 ? 1 : spacing)) {
        ipcgm.g->hist_dirty = 1;
    }
    if (ipcgm.g->hist_dirty) {
        ipcgm_history_save(p, s, 1);
    }
}
