/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Outside removals: watched objects a scan no longer finds. */

#include <string.h>

#include "ipcguard/ipcg_outside.h"
#include "ipcguard/ipcg_registry.h"

static void event_of(const ipcg_obj_t *o, apr_int64_t now,
                     apr_int64_t last_seen, apr_int64_t server_pid,
                     ipcg_event_t *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->found = now;
    ev->last_seen = last_seen;
    ev->server_pid = server_pid;
    ev->kind = o->kind;
    ev->id = o->id;
    ev->key = o->key;
    ev->phase = o->phase;
    ipcg_strlcpy(ev->module, o->module, sizeof(ev->module));
    ipcg_strlcpy(ev->name, o->name, sizeof(ev->name));
}

int ipcg_outside_find(apr_pool_t *p, apr_hash_t *watch,
                      const ipcg_snapshot_t *snap, apr_int64_t now,
                      apr_int64_t last_seen, apr_int64_t server_pid,
                      apr_array_header_t *gone)
{
    ipcg_objmap_t *idx;
    apr_hash_index_t *hi;
    int found = 0;

    if (watch == NULL || apr_hash_count(watch) == 0) {
        return 0;
    }
    idx = ipcg_snapshot_index(p, snap);
    for (hi = apr_hash_first(p, watch); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        const ipcg_obj_t *o, *cur;
        ipcg_outside_t *g;

        apr_hash_this(hi, &key, NULL, &val);
        o = val;
        if (!(snap->kinds_read & (1 << o->kind))) {
            continue;
        }
        cur = ipcg_objmap_get(idx, o);
        if (cur && ipcg_obj_continues(o, cur)) {
            continue;
        }
        g = apr_array_push(gone);
        g->obj = o;
        event_of(o, now, last_seen, server_pid, &g->ev);
        found++;
        /* reported once (taking out the current entry is allowed) */
        apr_hash_set(watch, key, APR_HASH_KEY_STRING, NULL);
    }
    return found;
}
