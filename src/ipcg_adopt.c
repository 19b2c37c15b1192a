/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Adoption of the objects this server's processes use, and the record
 * that carries them across a stop (see ipcg_adopt.h). */

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_adopt.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_state.h"

/* The record's place and refusals (see ipcg_lines_refuse()). */
typedef ipcg_lines_t actx_t;

static apr_status_t refuse(actx_t *c, const char *what)
{
    return ipcg_lines_refuse(c, what);
}

/* The longest maps file read per process. */
#define MAPS_MAX ((apr_size_t)64 * 1024 * 1024)

static int is_posix(const ipcg_obj_t *o)
{
    return o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM;
}

static void put_pid(apr_pool_t *p, apr_hash_t *h, const void *key,
                    apr_size_t klen, apr_int64_t pid)
{
    apr_int64_t *v;
    void *k;

    if (apr_hash_get(h, key, (apr_ssize_t)klen)) {
        return;                         /* the first user seen stays */
    }
    k = apr_pmemdup(p, key, klen);
    v = apr_palloc(p, sizeof(*v));
    *v = pid;
    apr_hash_set(h, k, (apr_ssize_t)klen, v);
}

static apr_int64_t get_pid(apr_hash_t *h, const void *key, apr_size_t klen)
{
    const apr_int64_t *v = apr_hash_get(h, key, (apr_ssize_t)klen);
    return v ? *v : 0;
}

void ipcg_users_init(apr_pool_t *p, ipcg_users_t *u,
                     const apr_array_header_t *tree, apr_int64_t extra_pid)
{
    int i;

    memset(u, 0, sizeof(*u));
    u->pool = p;
    u->pids = apr_hash_make(p);
    u->shm = apr_hash_make(p);
    u->files = apr_hash_make(p);
    for (i = 0; tree && i < tree->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(tree, i, ipcg_proc_t);
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = pr->pid;
        apr_hash_set(u->pids, k, sizeof(*k), apr_pstrdup(p, pr->comm));
    }
    if (extra_pid > 0 && !apr_hash_get(u->pids, &extra_pid,
                                       sizeof(extra_pid))) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = extra_pid;
        apr_hash_set(u->pids, k, sizeof(*k), "");
    }
}

static int ours(const ipcg_users_t *u, apr_int64_t pid)
{
    return pid > 0 && apr_hash_get(u->pids, &pid, sizeof(pid)) != NULL;
}

/* A hexadecimal or decimal number of [s, e): 1 if it is one. */
static int num_of(const char *s, const char *e, int base, apr_uint64_t *v)
{
    apr_uint64_t n = 0;

    if (s >= e || e - s > 16) {
        return 0;
    }
    for (; s < e; s++) {
        int d;
        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        }
        else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = *s - 'a' + 10;
        }
        else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = *s - 'A' + 10;
        }
        else {
            return 0;
        }
        n = n * (apr_uint64_t)base + (apr_uint64_t)d;
    }
    *v = n;
    return 1;
}

/* "major:minor" in hex: 1 if both are the same device. */
static int same_dev(const char *a, const char *ae, const char *b)
{
    const char *ac = memchr(a, ':', (apr_size_t)(ae - a));
    const char *bc = strchr(b, ':');
    apr_uint64_t a1, a2, b1, b2;

    return ac && bc && num_of(a, ac, 16, &a1) && num_of(ac + 1, ae, 16, &a2)
           && num_of(b, bc, 16, &b1) && num_of(bc + 1, b + strlen(b), 16, &b2)
           && a1 == b1 && a2 == b2;
}

void ipcg_users_parse_maps(ipcg_users_t *u, apr_int64_t pid,
                           const char *text, const char *devshm,
                           const char *devshm_dev)
{
    apr_size_t dlen = strlen(devshm);
    const char *line = text;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *f[6], *fe[6], *s = line;
        int n;

        /* "addr perms offset dev inode path" */
        for (n = 0; n < 6; n++) {
            while (s < end && *s == ' ') {
                s++;
            }
            if (s >= end) {
                break;
            }
            f[n] = s;
            if (n == 5) {
                fe[n] = end;            /* a path may hold spaces */
                n++;
                break;
            }
            while (s < end && *s != ' ') {
                s++;
            }
            fe[n] = s;
        }
        if (n == 6) {
            apr_uint64_t ino;
            apr_size_t plen = (apr_size_t)(fe[5] - f[5]);

            if (num_of(f[4], fe[4], 10, &ino) && ino) {
                if (plen > 5 && memcmp(f[5], "/SYSV", 5) == 0) {
                    apr_int64_t id = (apr_int64_t)ino;
                    put_pid(u->pool, u->shm, &id, sizeof(id), pid);
                }
                else if (plen > dlen + 1 && memcmp(f[5], devshm, dlen) == 0
                         && f[5][dlen] == '/'
                         && (devshm_dev == NULL
                             || same_dev(f[3], fe[3], devshm_dev))) {
                    put_pid(u->pool, u->files, &ino, sizeof(ino), pid);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

void ipcg_users_read(ipcg_users_t *u, const ipcg_paths_t *paths)
{
    apr_hash_index_t *hi;
    apr_pool_t *sub;
    struct stat shm_st;
    const char *devstr = NULL;
    int have_dev = stat(paths->devshm, &shm_st) == 0;

    u->mapped = 1;
    if (have_dev) {
        devstr = apr_psprintf(u->pool, "%x:%x", major(shm_st.st_dev),
                              minor(shm_st.st_dev));
    }
    apr_pool_create(&sub, u->pool);
    for (hi = apr_hash_first(sub, u->pids); hi; hi = apr_hash_next(hi)) {
        const void *key;
        apr_int64_t pid;
        char *text;
        apr_pool_t *one;

        apr_hash_this(hi, &key, NULL, NULL);
        pid = *(const apr_int64_t *)key;
        apr_pool_create(&one, sub);
        if (ipcg_read_file(one, apr_psprintf(one, "%s/%" APR_INT64_T_FMT
                                             "/maps", paths->proc, pid),
                           MAPS_MAX, &text, NULL) == APR_SUCCESS) {
            ipcg_users_parse_maps(u, pid, text, paths->devshm, devstr);
        }
        if (have_dev) {
            ipcg_fd_users(u->pool, one, paths, pid,
                          (apr_uint64_t)shm_st.st_dev, u->files);
        }
        apr_pool_destroy(one);
    }
    apr_pool_destroy(sub);
}

int ipcg_adopt_candidate(const ipcg_obj_t *o)
{
    if (is_posix(o)) {
        return o->name[0] != '\0';
    }
    return (unsigned)o->kind <= IPCG_SYSV_MSG && o->key != 0 && o->id >= 0;
}

apr_int64_t ipcg_adopt_user(const ipcg_users_t *u, const ipcg_obj_t *o,
                            const ipcg_use_t *use)
{
    int i;

    if (!ipcg_adopt_candidate(o)) {
        return 0;
    }
    switch (o->kind) {
    case IPCG_SYSV_SEM:
        for (i = 0; use && i < use->npids; i++) {
            if (ours(u, use->pids[i])) {
                return use->pids[i];
            }
        }
        return 0;
    case IPCG_SYSV_SHM:
        if (ours(u, o->lpid)) {
            return o->lpid;
        }
        if (ours(u, o->cpid)) {
            return o->cpid;
        }
        return get_pid(u->shm, &o->id, sizeof(o->id));
    case IPCG_SYSV_MSG:
        return ours(u, o->cpid) ? o->cpid : ours(u, o->lpid) ? o->lpid : 0;
    default:
        return get_pid(u->files, &o->ino, sizeof(o->ino));
    }
}

struct ipcg_adopt_t {
    apr_pool_t *parent;
    apr_pool_t *pool;
    apr_hash_t *sems;       /* slot -> apr_int64_t[3]: otime and ctime
                               probed, and the second of the probe */
};

ipcg_adopt_t *ipcg_adopt_create(apr_pool_t *p)
{
    apr_pool_t *sub;
    ipcg_adopt_t *a;

    apr_pool_create(&sub, p);
    a = apr_pcalloc(p, sizeof(*a));     /* outlives each memo's pool */
    a->parent = p;
    a->pool = sub;
    a->sems = apr_hash_make(sub);
    return a;
}

/* Whether the set @a o was probed at its current otime and ctime, in a
 * later second than its otime: the kernel keeps otime in seconds, so an
 * operation in the second of the look (after it) leaves otime as it was,
 * and only a look in a later second rules that out. */
static int sem_unchanged(ipcg_adopt_t *a, const char *slot,
                         const ipcg_obj_t *o)
{
    const apr_int64_t *t = apr_hash_get(a->sems, slot, APR_HASH_KEY_STRING);
    return t && t[0] == o->otime && t[1] == o->ctime && t[2] > o->otime;
}

int ipcg_adopt_scan(ipcg_adopt_t *a, apr_pool_t *p, const ipcg_paths_t *paths,
                    const ipcg_snapshot_t *snap, apr_hash_t *known,
                    ipcg_users_t *u, apr_int64_t now,
                    apr_array_header_t *found)
{
    apr_pool_t *np;
    apr_hash_t *sems;
    int i, n = 0;

    /* the memo keeps only the sets that still exist */
    apr_pool_create(&np, a->parent);
    sems = apr_hash_make(np);
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        const char *slot;
        ipcg_use_t use, *up = NULL;
        apr_int64_t pid;
        ipcg_obj_t *x;

        if (!ipcg_adopt_candidate(o)) {
            continue;
        }
        slot = ipcg_obj_slot(p, o);
        if (known && apr_hash_get(known, slot, APR_HASH_KEY_STRING)) {
            continue;
        }
        if (o->kind == IPCG_SYSV_SEM) {
            apr_int64_t *t;
            if (sem_unchanged(a, slot, o)) {
                /* no operation since the last look: no new user */
                t = apr_pmemdup(np, apr_hash_get(a->sems, slot,
                                                 APR_HASH_KEY_STRING),
                                3 * sizeof(*t));
                apr_hash_set(sems, apr_pstrdup(np, slot), APR_HASH_KEY_STRING,
                             t);
                continue;
            }
            if (ipcg_probe(p, paths, o, &use) != APR_SUCCESS || !use.exists) {
                continue;
            }
            up = &use;
            t = apr_palloc(np, 3 * sizeof(*t));
            t[0] = o->otime;
            t[1] = o->ctime;
            t[2] = now;
            apr_hash_set(sems, apr_pstrdup(np, slot), APR_HASH_KEY_STRING, t);
        }
        pid = ipcg_adopt_user(u, o, up);
        if (pid == 0 && !u->mapped
            && (o->kind == IPCG_SYSV_SHM || is_posix(o))) {
            ipcg_users_read(u, paths);
            pid = ipcg_adopt_user(u, o, up);
        }
        if (pid == 0) {
            continue;
        }
        x = apr_array_push(found);
        *x = *o;
        x->cls = IPCG_CLASS_APPLICATION;
        x->phase = IPCG_PHASE_RUNTIME;
        x->owner_pid = pid;
        x->owner_start = 0;
        x->adopted = now;
        ipcg_strlcpy(x->module, "unknown", sizeof(x->module));
        n++;
    }
    apr_pool_destroy(a->pool);
    a->pool = np;
    a->sems = sems;
    return n;
}

/* ---- The record ----------------------------------------------------- */

const char *ipcg_apps_path(apr_pool_t *p, const char *dir,
                           const char *instance)
{
    return apr_pstrcat(p, dir, "/", instance, ".apps", NULL);
}

void ipcg_apps_from(apr_pool_t *p, const apr_array_header_t *reg,
                    const char *instance, ipcg_apps_t *apps)
{
    int i;

    memset(apps, 0, sizeof(*apps));
    ipcg_strlcpy(apps->instance, instance, sizeof(apps->instance));
    apps->objs = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    for (i = 0; i < reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(reg, i, ipcg_obj_t);
        if (o->cls == IPCG_CLASS_APPLICATION && ipcg_adopt_candidate(o)
            && apps->objs->nelts < IPCG_APPS_MAX_OBJS) {
            *(ipcg_obj_t *)apr_array_push(apps->objs) = *o;
        }
    }
}

/* The bytes a name holds as they are; controls, space, '%', '=' and
 * non-ASCII as %XX. */
static int plain_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '%' && c != '=';
}

static const char *encode(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s);
    char *out = apr_palloc(p, n * 3 + 1);

    ipcg_pct_encode(out, s, n, plain_byte);
    return out;
}

static int valid_obj(const ipcg_obj_t *o)
{
    if (is_posix(o)) {
        return o->name[0] != '\0' && strchr(o->name, '/') == NULL
               && o->id == -1 && o->key == 0;
    }
    return (unsigned)o->kind <= IPCG_SYSV_MSG && o->name[0] == '\0'
           && o->id >= 0 && o->id <= 0x7fffffff && o->ino == 0;
}

char *ipcg_apps_format(apr_pool_t *p, const ipcg_apps_t *apps,
                       apr_size_t *len)
{
    apr_array_header_t *parts = apr_array_make(p, apps->objs->nelts + 3,
                                               sizeof(const char *));
    char *text;
    int i;

    *(const char **)apr_array_push(parts) = apr_psprintf(
        p, "ipcguard-apps %d\ninstance %s\n", IPCG_APPS_VERSION,
        apps->instance);
    for (i = 0; i < apps->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(apps->objs, i, ipcg_obj_t);
        if (!valid_obj(o) || o->ctime < 0 || o->owner_pid < 0
            || o->adopted < 0) {
            return NULL;
        }
        *(const char **)apr_array_push(parts) = apr_psprintf(
            p, "obj kind=%s id=%" APR_INT64_T_FMT " key=%d name=%s ino=%"
            APR_UINT64_T_FMT " cuid=%u ctime=%" APR_INT64_T_FMT " size=%"
            APR_UINT64_T_FMT " pid=%" APR_INT64_T_FMT " adopted=%"
            APR_INT64_T_FMT "\n", ipcg_kind_name(o->kind), o->id,
            (int)o->key, encode(p, o->name), o->ino, (unsigned)o->cuid,
            o->ctime, o->size, o->owner_pid, o->adopted);
    }
    *(const char **)apr_array_push(parts) = apr_psprintf(
        p, "end %d\n", apps->objs->nelts);
    text = apr_array_pstrcat(p, parts, 0);
    if (len) {
        *len = strlen(text);
    }
    return text;
}

/* A canonical decimal within [lo, hi]: a sign only where @a lo is
 * negative. */
static int canon_num(const char *s, apr_int64_t lo, apr_int64_t hi,
                     apr_int64_t *out)
{
    apr_uint64_t u;

    if (lo < 0) {
        return ipcg_canon_i64(s, out) == NULL && *out >= lo && *out <= hi;
    }
    if (ipcg_canon_u64(s, &u) != NULL || u < (apr_uint64_t)lo
        || u > (apr_uint64_t)hi) {
        return 0;
    }
    *out = (apr_int64_t)u;
    return 1;
}

/* Decode a name as encode() writes it, and only so: never a '/'. */
static int decode_name(const char *s, char *out, apr_size_t cap)
{
    const char *at;

    return ipcg_pct_decode(s, out, cap, plain_byte, &at) == IPCG_PCT_OK
           && strchr(out, '/') == NULL;
}

static const char *const obj_fields[] = {
    "kind", "id", "key", "name", "ino", "cuid", "ctime", "size", "pid",
    "adopted"
};
#define OBJ_FIELDS (int)(sizeof(obj_fields) / sizeof(obj_fields[0]))

static apr_status_t parse_obj(actx_t *c, char *s, ipcg_obj_t *o)
{
    char *v[OBJ_FIELDS];
    apr_int64_t n;
    apr_uint64_t u;
    int i, k;

    memset(o, 0, sizeof(*o));
    for (i = 0; i < OBJ_FIELDS; i++) {
        apr_size_t fl = strlen(obj_fields[i]);
        char *sp;
        if (strncmp(s, obj_fields[i], fl) != 0 || s[fl] != '=') {
            return refuse(c, apr_psprintf(c->p, "expected field %s",
                                          obj_fields[i]));
        }
        v[i] = s + fl + 1;
        sp = strchr(v[i], ' ');
        if (i == OBJ_FIELDS - 1) {
            if (sp) {
                return refuse(c, "text after the last field");
            }
        }
        else {
            if (sp == NULL) {
                return refuse(c, apr_psprintf(c->p, "missing field %s",
                                              obj_fields[i + 1]));
            }
            *sp = '\0';
            s = sp + 1;
        }
    }
    k = ipcg_kind_parse(v[0]);
    if (k < 0) {
        return refuse(c, "unknown kind");
    }
    o->kind = (ipcg_kind_e)k;
    if (!canon_num(v[1], -1, 0x7fffffff, &o->id)) {
        return refuse(c, "bad id");
    }
    if (!canon_num(v[2], -2147483647 - 1, 2147483647, &n)) {
        return refuse(c, "bad key");
    }
    o->key = (apr_int32_t)n;
    if (!decode_name(v[3], o->name, sizeof(o->name))) {
        return refuse(c, "bad name");
    }
    if (ipcg_canon_u64(v[4], &o->ino) != NULL) {
        return refuse(c, "bad ino");
    }
    if (!canon_num(v[5], 0, 0xffffffffLL, &n)) {
        return refuse(c, "bad cuid");
    }
    o->cuid = (apr_uint32_t)n;
    if (!canon_num(v[6], 0, APR_INT64_MAX, &o->ctime)) {
        return refuse(c, "bad ctime");
    }
    if (ipcg_canon_u64(v[7], &u) != NULL) {
        return refuse(c, "bad size");
    }
    o->size = u;
    if (!canon_num(v[8], 0, APR_INT64_MAX, &o->owner_pid)) {
        return refuse(c, "bad pid");
    }
    if (!canon_num(v[9], 0, APR_INT64_MAX, &o->adopted)) {
        return refuse(c, "bad adopted");
    }
    if (!valid_obj(o)) {
        return refuse(c, is_posix(o)
                      ? "a POSIX object needs a name, id -1 and key 0"
                      : "a SysV object needs an id, no name and ino 0");
    }
    o->cls = IPCG_CLASS_APPLICATION;
    o->phase = IPCG_PHASE_RUNTIME;
    o->owner_start = IPCG_OWNER_GONE;
    ipcg_strlcpy(o->module, "unknown", sizeof(o->module));
    return APR_SUCCESS;
}

/* The record as a whole before its lines: its size, no NUL, a last
 * newline. */
static apr_status_t check_whole(actx_t *c, const char *text, apr_size_t len)
{
    c->line = 1;
    if (len > IPCG_APPS_MAX_BYTES) {
        return refuse(c, "the record is too large");
    }
    if (memchr(text, '\0', len) != NULL) {
        return refuse(c, "a NUL byte");
    }
    if (len == 0 || text[len - 1] != '\n') {
        return refuse(c, "the record does not end with a newline");
    }
    c->line = 0;
    return APR_SUCCESS;
}

/* "instance <16 lower-case hex digits>" */
static apr_status_t parse_instance(actx_t *c, const char *line,
                                   ipcg_apps_t *apps)
{
    const char *h = line + 9;
    int i;

    if (strncmp(line, "instance ", 9) != 0 || strlen(h) != 16) {
        return refuse(c, "expected instance <16 hex digits>");
    }
    for (i = 0; i < 16; i++) {
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'))) {
            return refuse(c, "expected instance <16 hex digits>");
        }
    }
    memcpy(apps->instance, h, 17);
    return APR_SUCCESS;
}

/* An obj line, once only per object. */
static apr_status_t add_obj(actx_t *c, char *s, apr_hash_t *slots,
                            ipcg_apps_t *apps)
{
    ipcg_obj_t o;
    const char *slot;

    if (apps->objs->nelts >= IPCG_APPS_MAX_OBJS) {
        return refuse(c, "too many objects");
    }
    if (parse_obj(c, s, &o) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    slot = ipcg_obj_slot(c->p, &o);
    if (apr_hash_get(slots, slot, APR_HASH_KEY_STRING)) {
        return refuse(c, "the same object twice");
    }
    apr_hash_set(slots, slot, APR_HASH_KEY_STRING, "");
    *(ipcg_obj_t *)apr_array_push(apps->objs) = o;
    return APR_SUCCESS;
}

/* One line after the first; *ended set by the end line. */
static apr_status_t parse_line(actx_t *c, char *line, apr_hash_t *slots,
                               ipcg_apps_t *apps, int *ended)
{
    apr_int64_t n;

    if (c->line == 2) {
        return parse_instance(c, line, apps);
    }
    if (strncmp(line, "obj ", 4) == 0) {
        return add_obj(c, line + 4, slots, apps);
    }
    if (strncmp(line, "end ", 4) != 0) {
        return refuse(c, "unknown line");
    }
    if (!canon_num(line + 4, 0, IPCG_APPS_MAX_OBJS, &n)
        || n != apps->objs->nelts) {
        return refuse(c, "the end line does not count the objects");
    }
    *ended = 1;
    return APR_SUCCESS;
}

apr_status_t ipcg_apps_parse(apr_pool_t *p, const char *text, apr_size_t len,
                             ipcg_apps_t *apps, const char **why)
{
    actx_t c;
    char *copy, *line, *end;
    apr_hash_t *slots = apr_hash_make(p);
    const char *dummy = NULL;
    int ended = 0;
    apr_status_t rv;

    c.p = p;
    c.line = 0;
    c.why = why ? why : &dummy;
    memset(apps, 0, sizeof(*apps));
    apps->objs = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    if (check_whole(&c, text, len) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    copy = apr_pstrmemdup(p, text, len);
    end = copy + len;
    while ((line = ipcg_lines_next(&c, &copy, end, ended, &rv)) != NULL) {
        if (c.line == 1) {
            if (strcmp(line, "ipcguard-apps 1") != 0) {
                return refuse(&c, "not an ipcguard-apps 1 record");
            }
        }
        else if (parse_line(&c, line, slots, apps, &ended) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
    }
    return ipcg_lines_done(&c, rv, ended,
                           "no end line: the record is cut short");
}

apr_status_t ipcg_apps_read(apr_pool_t *p, const char *path,
                            apr_uint32_t owner_uid, ipcg_apps_t *apps,
                            const char **why)
{
    char *text = NULL;
    apr_size_t len = 0;
    apr_status_t rv = ipcg_file_read_trusted(p, path, owner_uid, &text, &len,
                                             why);

    return rv != APR_SUCCESS ? rv : ipcg_apps_parse(p, text, len, apps, why);
}

apr_status_t ipcg_apps_write(apr_pool_t *p, const char *path,
                             const ipcg_apps_t *apps, const char **why)
{
    apr_size_t len;
    char *text = ipcg_apps_format(p, apps, &len);

    if (text == NULL) {
        if (why) {
            *why = "an object cannot be written";
        }
        return APR_EINVAL;
    }
    return ipcg_file_write_atomic(p, path, text, len, 0, why);
}

void ipcg_apps_revive(apr_pool_t *p, const ipcg_paths_t *paths,
                      const ipcg_apps_t *apps, apr_array_header_t *out)
{
    ipcg_snapshot_t snap;
    apr_hash_t *idx = apr_hash_make(p);
    int i;

    for (i = 0; i < apps->objs->nelts; i++) {
        const ipcg_obj_t *r = &APR_ARRAY_IDX(apps->objs, i, ipcg_obj_t);
        apr_hash_set(idx, ipcg_obj_slot(p, r), APR_HASH_KEY_STRING, r);
    }
    ipcg_snapshot_init(p, &snap);
    ipcg_scan_objects(p, paths, apps->objs, &snap);
    for (i = 0; i < snap.objs->nelts; i++) {
        const ipcg_obj_t *now = &APR_ARRAY_IDX(snap.objs, i, ipcg_obj_t);
        const ipcg_obj_t *rec = apr_hash_get(idx, ipcg_obj_slot(p, now),
                                             APR_HASH_KEY_STRING);
        ipcg_obj_t *x;

        if (rec == NULL || !ipcg_obj_continues(rec, now)
            || rec->cuid != now->cuid) {
            continue;
        }
        x = apr_array_push(out);
        *x = *now;
        x->cls = IPCG_CLASS_APPLICATION;
        x->phase = IPCG_PHASE_RUNTIME;
        x->owner_pid = rec->owner_pid;
        x->owner_start = IPCG_OWNER_GONE;
        x->adopted = rec->adopted;
        ipcg_strlcpy(x->module, "unknown", sizeof(x->module));
    }
}
