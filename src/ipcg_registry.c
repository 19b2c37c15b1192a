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

/* ------------------------------------------------------------------ */
/* Maps by slot                                                         */

/* Open addressing, at most three quarters full, in cells of 24 bytes: a
 * lookup is a hash and a few compares, with no string built per object;
 * a full scan looks up each of thousands of objects in one of these, and
 * the memory it first touches costs more than the lookups. */
typedef struct {
    const void *val;            /* NULL: an empty cell */
    union {
        const char *name;       /* POSIX objects: the name, copied */
        apr_int64_t id;         /* SysV objects */
    } u;
    apr_uint32_t hash;
    int kind;
} objmap_cell_t;

struct ipcg_objmap_t {
    apr_pool_t *pool;
    objmap_cell_t *cells;
    apr_uint32_t mask;          /* the number of cells, minus one */
    int count;
};

static apr_uint32_t slot_hash(const ipcg_obj_t *o)
{
    apr_uint64_t x;

    if (is_posix(o)) {
        apr_ssize_t len = APR_HASH_KEY_STRING;
        return apr_hashfunc_default(o->name, &len) * 31u
               + (apr_uint32_t)o->kind;
    }
    /* ids differ in their low bits (index) and high bits (sequence):
     * a multiplicative mix spreads both */
    x = ((apr_uint64_t)o->id ^ ((apr_uint64_t)o->kind << 56))
        * APR_UINT64_C(0x9E3779B97F4A7C15);
    return (apr_uint32_t)(x >> 32);
}

static objmap_cell_t *cell_of(const ipcg_objmap_t *m, const ipcg_obj_t *o,
                              apr_uint32_t h)
{
    apr_uint32_t i = h & m->mask;

    for (;;) {
        objmap_cell_t *c = &m->cells[i];
        if (c->val == NULL) {
            return c;
        }
        if (c->hash == h && c->kind == (int)o->kind
            && (is_posix(o) ? strcmp(c->u.name, o->name) == 0
                            : c->u.id == o->id)) {
            return c;
        }
        i = (i + 1) & m->mask;
    }
}

static void cells_alloc(ipcg_objmap_t *m, apr_uint32_t n)
{
    m->cells = apr_pcalloc(m->pool, sizeof(objmap_cell_t) * n);
    m->mask = n - 1;
}

/* The cells of a map for @a hint objects: a power of two, at most three
 * quarters used. */
static apr_uint32_t cells_for(int hint)
{
    apr_uint32_t n = 16;

    while (hint > 0 && n / 4 * 3 < (apr_uint32_t)hint && n < (1u << 30)) {
        n <<= 1;
    }
    return n;
}

apr_size_t ipcg_objmap_bytes(int hint)
{
    return (apr_size_t)cells_for(hint) * sizeof(objmap_cell_t);
}

ipcg_objmap_t *ipcg_objmap_make_in(apr_pool_t *p, int hint, void *buf,
                                   apr_size_t len)
{
    ipcg_objmap_t *m = apr_pcalloc(p, sizeof(*m));
    apr_uint32_t n = cells_for(hint);

    m->pool = p;
    if (buf != NULL && len >= (apr_size_t)n * sizeof(objmap_cell_t)) {
        memset(buf, 0, (apr_size_t)n * sizeof(objmap_cell_t));
        m->cells = buf;
        m->mask = n - 1;
    }
    else {
        cells_alloc(m, n);
    }
    return m;
}

ipcg_objmap_t *ipcg_objmap_make(apr_pool_t *p, int hint)
{
    return ipcg_objmap_make_in(p, hint, NULL, 0);
}

static void objmap_grow(ipcg_objmap_t *m)
{
    objmap_cell_t *old = m->cells;
    apr_uint32_t i, n = m->mask + 1;

    cells_alloc(m, n * 2);
    for (i = 0; i < n; i++) {
        if (old[i].val != NULL) {
            apr_uint32_t j = old[i].hash & m->mask;
            while (m->cells[j].val != NULL) {
                j = (j + 1) & m->mask;
            }
            m->cells[j] = old[i];
        }
    }
}

void ipcg_objmap_set(ipcg_objmap_t *m, const ipcg_obj_t *o, const void *val)
{
    apr_uint32_t h = slot_hash(o);
    objmap_cell_t *c;

    if ((apr_uint32_t)m->count + 1 > (m->mask + 1) / 4 * 3) {
        objmap_grow(m);
    }
    c = cell_of(m, o, h);
    if (c->val == NULL) {
        c->hash = h;
        c->kind = (int)o->kind;
        if (is_posix(o)) {
            c->u.name = apr_pstrdup(m->pool, o->name);
        }
        else {
            c->u.id = o->id;
        }
        m->count++;
    }
    c->val = val;
}

const void *ipcg_objmap_get(const ipcg_objmap_t *m, const ipcg_obj_t *o)
{
    return cell_of(m, o, slot_hash(o))->val;
}

int ipcg_objmap_count(const ipcg_objmap_t *m)
{
    return m->count;
}

ipcg_objmap_t *ipcg_snapshot_index(apr_pool_t *p, const ipcg_snapshot_t *snap)
{
    ipcg_objmap_t *m = ipcg_objmap_make(p, snap->objs->nelts);
    int i;

    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        ipcg_objmap_set(m, o, o);
    }
    return m;
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
    ipcg_objmap_t *idx = ipcg_snapshot_index(p, before);
    int i;

    for (i = 0; i < after->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(after->objs, i, ipcg_obj_t);
        const ipcg_obj_t *old = ipcg_objmap_get(idx, o);
        if (old == NULL || !ipcg_obj_continues(old, o)) {
            *(ipcg_obj_t *)apr_array_push(added) = *o;
        }
    }
}

/* For each entry of @a reg, the object in its slot in @a snap (or NULL),
 * into @a now_of: the registry (a few dozen objects) is indexed, not the
 * snapshot (thousands), which is walked once. */
static void find_in_snapshot(apr_pool_t *p, const apr_array_header_t *reg,
                             const ipcg_snapshot_t *snap,
                             const ipcg_obj_t **now_of)
{
    const ipcg_obj_t *objs = (const ipcg_obj_t *)reg->elts;
    ipcg_objmap_t *idx = ipcg_objmap_make(p, reg->nelts);
    int *at = apr_palloc(p, sizeof(int) * (apr_size_t)(reg->nelts + 1));
    int i;

    for (i = 0; i < reg->nelts; i++) {
        const int *first = ipcg_objmap_get(idx, &objs[i]);
        /* an entry shares what the first entry of its slot finds */
        at[i] = first ? *first : i;
        now_of[i] = NULL;
        if (first == NULL) {
            ipcg_objmap_set(idx, &objs[i], &at[i]);
        }
    }
    for (i = 0; reg->nelts > 0 && i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        const int *which = ipcg_objmap_get(idx, o);
        if (which) {
            now_of[*which] = o;
        }
    }
    for (i = 0; i < reg->nelts; i++) {
        now_of[i] = now_of[at[i]];
    }
}

int ipcg_registry_reconcile(apr_pool_t *p, apr_array_header_t *reg,
                            const ipcg_snapshot_t *snap)
{
    ipcg_obj_t *objs = (ipcg_obj_t *)reg->elts;
    const ipcg_obj_t **now_of;
    int i, kept = 0, changed = 0;

    now_of = apr_palloc(p, sizeof(const ipcg_obj_t *)
                           * (apr_size_t)(reg->nelts + 1));
    find_in_snapshot(p, reg, snap, now_of);
    for (i = 0; i < reg->nelts; i++) {
        ipcg_obj_t *r = &objs[i];
        const ipcg_obj_t *now = now_of[i];

        /* only tables this snapshot read can tell that an object is gone */
        if (!(snap->kinds_read & (1 << r->kind))) {
            objs[kept++] = *r;
            continue;
        }
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
