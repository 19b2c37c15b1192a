/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: application objects. What this server's processes use
 * (a keyed SysV object, a /dev/shm file) is this server's application
 * object, whoever made it; the application record in the state directory
 * carries them across a stop (the core: src/ipcg_adopt.c).
 */

#include "mod_ipcguard_private.h"

static const char *obj_text(apr_pool_t *p, const ipcg_obj_t *o)
{
    if (o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM) {
        /* a name may hold anything: only its printable bytes */
        char *safe = apr_pstrdup(p, o->name), *c;
        for (c = safe; *c; c++) {
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) {
                *c = '?';
            }
        }
        return apr_psprintf(p, "%s %s", ipcg_kind_name(o->kind), safe);
    }
    return apr_psprintf(p, "%s id %" APR_INT64_T_FMT " key 0x%08x",
                        ipcg_kind_name(o->kind), o->id, (unsigned)o->key);
}

/* Adopt the keyed and POSIX objects of @a snap that processes of @a tree
 * (and @a extra_pid, a child just exited) use, unless another live
 * instance records them. Returns how many. */
int ipcgm_adopt_used(apr_pool_t *p, const ipcg_snapshot_t *snap,
                     const apr_array_header_t *tree, apr_int64_t extra_pid)
{
    apr_hash_t *known = apr_hash_make(p), *others;
    apr_array_header_t *found = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    ipcg_users_t u;
    ipcg_settings cf;
    ipcg_reap_opts_t o;
    int i, added = 0;

    if (ipcgm.g->adopt == NULL) {
        ipcgm.g->adopt = ipcg_adopt_create(ipcgm.g->pool);
    }
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        apr_hash_set(known, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
    }
    ipcg_users_init(p, &u, tree, extra_pid);
    if (ipcg_adopt_scan(ipcgm.g->adopt, p, &ipcgm.paths, snap, known, &u,
                        apr_time_sec(apr_time_now()), found) == 0) {
        return 0;
    }
    ipcgm_settings_of(ap_server_conf, &cf);
    ipcgm_fill_opts(p, &cf, &o);
    others = ipcg_live_slots(ipcg_reap_ctx_make(p, &o), NULL);
    for (i = 0; i < found->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(found, i, ipcg_obj_t);
        const char *cmd = apr_hash_get(u.pids, &x->owner_pid,
                                       sizeof(x->owner_pid));

        if (others && apr_hash_get(others, ipcg_obj_slot(p, x),
                                   APR_HASH_KEY_STRING)) {
            continue;               /* another live instance's */
        }
        ipcgm_registry_add(x);
        added++;
        ipcgm_log_to_httpd(ap_server_conf, APLOG_INFO, 0, apr_psprintf(p,
                     "ipcguard(111): %s is an application object of this "
                     "server: used by its pid %" APR_INT64_T_FMT " (%s); "
                     "never removed automatically", obj_text(p, x),
                     x->owner_pid, cmd && *cmd ? cmd : "exited"));
    }
    return added;
}

/* The application record's path: beside the state file. */
static const char *apps_path(apr_pool_t *p)
{
    const char *sp = ipcgm.g->state_path;
    const char *slash = strrchr(sp, '/');
    const char *dir = slash ? apr_pstrndup(p, sp, (apr_size_t)(slash - sp))
                            : ".";

    return ipcg_apps_path(p, *dir ? dir : "/", ipcgm.g->instance);
}

/* Tells a record from the last one written. */
static apr_uint64_t apps_sum(const char *text)
{
    return ipcgm_text_sum(text, strlen(text));
}

/* Write the record of this server's application objects when it
 * differs from the last one written. */
void ipcgm_adopt_save(apr_pool_t *p, server_rec *s)
{
    ipcg_apps_t apps;
    const char *path, *why = NULL;
    char *text;
    apr_int64_t now = apr_time_sec(apr_time_now());
    int i, napps = 0;

    if (ipcgm.g->state_path[0] == '\0' || ipcgm.g->state_clash
        || !ipcgm_may_write_state()) {
        return;
    }
    /* an application object registered when it was made is adopted then */
    for (i = 0; i < ipcgm.g->reg->nelts; i++) {
        ipcg_obj_t *x = &APR_ARRAY_IDX(ipcgm.g->reg, i, ipcg_obj_t);
        if (x->cls == IPCG_CLASS_APPLICATION) {
            napps++;
            if (x->adopted == 0) {
                x->adopted = now;
            }
        }
    }
    if (napps == 0 && ipcgm.g->apps_none) {
        return;                     /* still none, and no record */
    }
    ipcg_apps_from(p, ipcgm.g->reg, ipcgm.g->instance, &apps);
    text = ipcg_apps_format(p, &apps, NULL);
    if (text == NULL || apps_sum(text) == ipcgm.g->apps_sum) {
        return;
    }
    path = apps_path(p);
    if (apps.objs->nelts == 0) {
        /* none: no record (a server without applications leaves none) */
        apr_file_remove(path, p);
        ipcgm.g->apps_sum = apps_sum(text);
        ipcgm.g->apps_none = 1;
        return;
    }
    if (ipcg_apps_write(p, path, &apps, &why) != APR_SUCCESS) {
        ipcgm_log_once(s, APLOG_WARNING, 113, "application record",
                       apr_psprintf(p, "cannot write %s: %s; after a clean "
                                    "stop the next start knows this "
                                    "server's application objects only "
                                    "once its processes use them again",
                                    path, why ? why : "error"));
        return;
    }
    ipcgm.g->apps_sum = apps_sum(text);
    ipcgm.g->apps_none = 0;
}

/* At the start: take back the application objects the record of an
 * earlier run names, those that still exist. */
void ipcgm_adopt_load(apr_pool_t *p, server_rec *s, ipcg_reap_ctx_t *ctx)
{
    ipcg_apps_t apps;
    apr_array_header_t *alive = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    apr_hash_t *others = ipcg_live_slots(ctx, NULL);
    const char *path, *why = NULL;
    apr_status_t rv;
    int i, n = 0, known = 0;

    if (ipcgm.g->state_path[0] == '\0') {
        return;
    }
    path = apps_path(p);
    rv = ipcg_apps_read(p, path, ipcgm_trust_uid(), &apps, &why);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return;
    }
    if (rv == APR_SUCCESS && strcmp(apps.instance, ipcgm.g->instance) != 0) {
        rv = APR_EGENERAL;
        why = apr_psprintf(p, "it names instance %s, not %s", apps.instance,
                           ipcgm.g->instance);
    }
    if (rv != APR_SUCCESS) {
        ipcgm_log_to_httpd(s, APLOG_WARNING, 0, apr_psprintf(p,
                     "ipcguard(112): refusing %s: %s; this server's "
                     "application objects count as foreign until its "
                     "processes use them again", path, why ? why : "error"));
        return;
    }
    ipcg_apps_revive(p, &ipcgm.paths, &apps, alive);
    for (i = 0; i < alive->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(alive, i, ipcg_obj_t);
        if (others && apr_hash_get(others, ipcg_obj_slot(p, x),
                                   APR_HASH_KEY_STRING)) {
            continue;
        }
        n++;
        if (ipcg_registry_find(ipcgm.g->reg, x) >= 0) {
            known++;                    /* the state file had it: logged */
        }
        else {
            ipcgm_log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                         "ipcguard(026): keeping %s: application object of "
                         "this server (last used by pid %" APR_INT64_T_FMT
                         "); never removed automatically", obj_text(p, x),
                         x->owner_pid));
        }
        ipcgm_registry_add(x);
    }
    ipcgm.g->apps_sum = 0;                    /* written again with this run */
    ipcgm.g->apps_none = 0;
    if (apps.objs->nelts) {
        ipcgm_log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                     "ipcguard(114): %d of the %d application object%s "
                     "recorded in %s still exist%s: this server's", n,
                     apps.objs->nelts, ipcg_plural(apps.objs->nelts),
                     path, known ? apr_psprintf(p, " (%d also in the state "
                     "file)", known) : ""));
    }
}
