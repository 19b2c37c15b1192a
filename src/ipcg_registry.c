/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Registry bookkeeping: slots, diffs and reconciliation. */

#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_registry.h"

static int is_posix(const ipcg_obj_t *o)
{
    return o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM;
}

const char *ipcg_obj_slot(apr_pool_t *p, const ipcg_obj_t *o)
{
    if (is_posix(o)) {
        return apr_pstrcat(p, ipcg_kind_name(o->kind), "/", o->name, NULL);
    }
    return apr_psprintf(p, "%s:%" APR_INT64_T_FMT, ipcg_kind_name(o->kind),
                        o->id);
}

apr_hash_t *ipcg_snapshot_index(apr_pool_t *p, const ipcg_snapshot_t *snap)
{
    apr_hash_t *h = apr_hash_make(p);
    int i;

    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        apr_hash_set(h, ipcg_obj_slot(p, o), APR_HASH_KEY_STRING, o);
    }
    return h;
}

int ipcg_obj_continues(const ipcg_obj_t *rec, const ipcg_obj_t *now)
{
    if (rec->kind != now->kind || rec->cuid != now->cuid) {
        return 0;
    }
    if (is_posix(rec)) {
        return strcmp(rec->name, now->name) == 0 && rec->ino == now->ino;
    }
    if (rec->id != now->id || rec->key != now->key || now->ctime < rec->ctime) {
        return 0;
    }
    return rec->kind == IPCG_SYSV_MSG || rec->size == now->size;
}

void ipcg_snapshot_diff(apr_pool_t *p, const ipcg_snapshot_t *before,
                        const ipcg_snapshot_t *after,
                        apr_array_header_t *added)
{
    apr_hash_t *idx = ipcg_snapshot_index(p, before);
    int i;

    for (i = 0; i < after->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(after->objs, i, ipcg_obj_t);
        const ipcg_obj_t *old = apr_hash_get(idx, ipcg_obj_slot(p, o),
                                             APR_HASH_KEY_STRING);
        if (old == NULL || !ipcg_obj_continues(old, o)) {
            *(ipcg_obj_t *)apr_array_push(added) = *o;
        }
    }
}

int ipcg_registry_reconcile(apr_pool_t *p, apr_array_header_t *reg,
                            const ipcg_snapshot_t *snap)
{
    apr_hash_t *idx = ipcg_snapshot_index(p, snap);
    ipcg_obj_t *objs = (ipcg_obj_t *)reg->elts;
    int i, kept = 0, changed = 0;

    for (i = 0; i < reg->nelts; i++) {
        ipcg_obj_t *r = &objs[i];
        const ipcg_obj_t *now;

        /* only tables this snapshot read can tell that an object is gone */
        if (!(snap->kinds_read & (1 << r->kind))) {
            objs[kept++] = *r;
            continue;
        }
        now = apr_hash_get(idx, ipcg_obj_slot(p, r), APR_HASH_KEY_STRING);
        if (now == NULL || !ipcg_obj_continues(r, now)) {
            changed++;
            continue;
        }
        if (now->ctime != r->ctime || now->uid != r->uid
            || now->gid != r->gid || now->mode != r->mode) {
            changed++;
        }
        r->uid = now->uid;
        r->gid = now->gid;
        r->mode = now->mode;
        r->ctime = now->ctime;
        r->otime = now->otime;
        r->nattch = now->nattch;
        r->size = now->size;
        r->rss = now->rss;
        if (now->cpid) {
            r->cpid = now->cpid;
        }
        r->lpid = now->lpid;
        objs[kept++] = *r;
    }
    reg->nelts = kept;
    return changed;
}

int ipcg_registry_find(const apr_array_header_t *reg, const ipcg_obj_t *o)
{
    const ipcg_obj_t *objs = (const ipcg_obj_t *)reg->elts;
    int i;

    for (i = 0; i < reg->nelts; i++) {
        if (objs[i].kind != o->kind) {
            continue;
        }
        if (is_posix(o) ? strcmp(objs[i].name, o->name) == 0
                        : objs[i].id == o->id) {
            return i;
        }
    }
    return -1;
}
