/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The kernel's IPC tables: /proc/sysvipc/{sem,shm,msg} and /dev/shm. */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/statvfs.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_scan.h"

/* The longest table line a kernel prints is well under this; a longer one
 * is malformed. */
#define LINE_MAX_LEN 512
#define MAX_FIELDS 20
/* /proc/sysvipc tables can be large (32000 sets); allow 64 MiB. */
#define TABLE_MAX_BYTES ((apr_size_t)64 * 1024 * 1024)

void ipcg_paths_default(ipcg_paths_t *paths)
{
    paths->proc = "/proc";
    paths->devshm = "/dev/shm";
    paths->beancounters = "/proc/user_beancounters";
}

void ipcg_snapshot_init(apr_pool_t *p, ipcg_snapshot_t *snap)
{
    /* not zeroed: every place is filled whole as it is pushed; a bracket
     * makes one of these between every two hook entries */
    snap->objs = ipcg_objs_make(p, 64);
    snap->bad_lines = 0;
    snap->kinds_read = 0;
}

void ipcg_snapshot_init_buf(apr_pool_t *p, ipcg_snapshot_t *snap, void *buf,
                            int cap)
{
    ipcg_snapshot_init(p, snap);
    if (buf != NULL && cap > 0) {
        snap->objs->elts = buf;
        snap->objs->nalloc = cap;
    }
}

/* Split @a line (copied) into at most MAX_FIELDS whitespace-separated
 * fields; returns the count, or -1 if there are more. */
static int is_sep(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int split_fields(char *buf, char **fields)
{
    int n = 0;
    char *s = buf;

    /* one pass: a table of 32,000 lines is split in a few milliseconds */
    for (;;) {
        while (is_sep(*s)) {
            s++;
        }
        if (*s == '\0') {
            return n;
        }
        if (n == MAX_FIELDS) {
            return -1;
        }
        fields[n++] = s;
        while (*s != '\0' && !is_sep(*s)) {
            s++;
        }
        if (*s != '\0') {
            *s++ = '\0';
        }
    }
}

static int get_u64(const char *s, apr_uint64_t *out)
{
    return ipcg_parse_u64(s, out) == APR_SUCCESS;
}

static int get_i64(const char *s, apr_int64_t *out)
{
    return ipcg_parse_i64(s, out) == APR_SUCCESS;
}

static int get_u32(const char *s, apr_uint32_t *out)
{
    apr_uint64_t v;
    if (!get_u64(s, &v) || v > 0xffffffffu) {
        return 0;
    }
    *out = (apr_uint32_t)v;
    return 1;
}

static int get_pid(const char *s, apr_int64_t *out)
{
    apr_uint64_t v;
    /* pid_max is at most 2^22 */
    if (!get_u64(s, &v) || v > 0x7fffffffu) {
        return 0;
    }
    *out = (apr_int64_t)v;
    return 1;
}

static int get_mode(const char *s, apr_uint32_t *out)
{
    apr_uint32_t v = 0;
    if (*s == '\0' || strlen(s) > 7) {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '7') {
            return 0;
        }
        v = v * 8 + (apr_uint32_t)(*s - '0');
    }
    *out = v;
    return 1;
}

static int get_key(const char *s, apr_int32_t *out)
{
    apr_int64_t v;
    /* keys are printed signed (%10d); accept the unsigned spelling too */
    if (!get_i64(s, &v) || v < APR_INT32_MIN || v > 0xffffffffLL) {
        return 0;
    }
    *out = (apr_int32_t)(apr_uint32_t)(apr_uint64_t)v;
    return 1;
}

static int get_id(const char *s, apr_int64_t *out)
{
    apr_uint64_t v;
    if (!get_u64(s, &v) || v > 0x7fffffffu) {
        return 0;
    }
    *out = (apr_int64_t)v;
    return 1;
}

/* uid gid cuid cgid, in that order from @a f. */
static int get_owners(char **f, ipcg_obj_t *obj)
{
    return get_u32(f[0], &obj->uid) && get_u32(f[1], &obj->gid)
           && get_u32(f[2], &obj->cuid) && get_u32(f[3], &obj->cgid);
}

/* key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime
 * ctime [rss swap] */
static int shm_fields(char **f, int n, ipcg_obj_t *obj)
{
    apr_int64_t dtime;          /* read only to refuse a line where */
    apr_uint64_t swap;          /* they are no numbers */

    return (n == 14 || n == 16)
           && get_u64(f[3], &obj->size) && get_pid(f[4], &obj->cpid)
           && get_pid(f[5], &obj->lpid) && get_u64(f[6], &obj->nattch)
           && get_owners(f + 7, obj)
           && get_i64(f[11], &obj->otime) && get_i64(f[13], &obj->ctime)
           && (n == 14 || get_u64(f[14], &obj->rss))
           && get_i64(f[12], &dtime) && (n == 14 || get_u64(f[15], &swap));
}

/* key semid perms nsems uid gid cuid cgid otime ctime */
static int sem_fields(char **f, int n, ipcg_obj_t *obj)
{
    return n == 10 && get_u64(f[3], &obj->size) && get_owners(f + 4, obj)
           && get_i64(f[8], &obj->otime) && get_i64(f[9], &obj->ctime);
}

/* key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime
 * ctime; otime is the later of stime and rtime */
static int msg_fields(char **f, int n, ipcg_obj_t *obj)
{
    apr_int64_t rtime;

    if (n != 14 || !get_u64(f[3], &obj->size)
        || !get_u64(f[4], &obj->nattch) || !get_pid(f[5], &obj->cpid)
        || !get_pid(f[6], &obj->lpid) || !get_owners(f + 7, obj)
        || !get_i64(f[11], &obj->otime) || !get_i64(f[13], &obj->ctime)
        || !get_i64(f[12], &rtime)) {
        return 0;
    }
    if (rtime > obj->otime) {
        obj->otime = rtime;
    }
    return 1;
}

apr_status_t ipcg_parse_sysv_line(ipcg_kind_e kind, const char *line,
                                  ipcg_obj_t *obj)
{
    char buf[LINE_MAX_LEN + 1];
    char *f[MAX_FIELDS];
    int n, ok;
    apr_size_t len = strlen(line);

    if (len > LINE_MAX_LEN) {
        return APR_EGENERAL;
    }
    memcpy(buf, line, len + 1);
    n = split_fields(buf, f);
    /* every table has at least key, id and perms: fewer fields (a line cut
     * short) must not reach them */
    if (n < 3) {
        return APR_EGENERAL;
    }
    memset(obj, 0, sizeof(*obj));
    obj->kind = kind;
    obj->cls = IPCG_CLASS_FOREIGN;
    obj->phase = IPCG_PHASE_UNKNOWN;
    ipcg_strlcpy(obj->module, "unknown", sizeof(obj->module));
    if (!get_key(f[0], &obj->key) || !get_id(f[1], &obj->id)
        || !get_mode(f[2], &obj->mode)) {
        return APR_EGENERAL;
    }
    switch (kind) {
    case IPCG_SYSV_SHM:
        ok = shm_fields(f, n, obj);
        break;
    case IPCG_SYSV_SEM:
        ok = sem_fields(f, n, obj);
        break;
    case IPCG_SYSV_MSG:
        ok = msg_fields(f, n, obj);
        break;
    default:
        return APR_EGENERAL;
    }
    obj->mode &= 07777;
    return ok ? APR_SUCCESS : APR_EGENERAL;
}

static const char *sysv_table(ipcg_kind_e kind)
{
    switch (kind) {
    case IPCG_SYSV_SHM: return "shm";
    case IPCG_SYSV_SEM: return "sem";
    case IPCG_SYSV_MSG: return "msg";
    default: return NULL;
    }
}

/* The kernel's own counters for one System V kind (its *_INFO command):
 * @a n[0] objects, @a n[1] semaphores, pages or messages, @a n[2] queued
 * bytes.  Returns the highest index in use, or -1 if the kernel does not
 * say (and leaves @a n zero). */
static int kernel_info(ipcg_kind_e kind, apr_uint64_t n[3])
{
    union {
        struct seminfo sem;
        struct shm_info shm;
        struct msginfo msg;
    } u;
    union ipcg_semun arg;
    int high = -1;

    memset(&u, 0, sizeof(u));
    n[0] = n[1] = n[2] = 0;
    switch (kind) {
    case IPCG_SYSV_SEM:
        arg.info = &u.sem;
        if ((high = semctl(0, 0, SEM_INFO, arg)) >= 0) {
            n[0] = (apr_uint64_t)u.sem.semusz;   /* sets */
            n[1] = (apr_uint64_t)u.sem.semaem;   /* semaphores */
        }
        break;
    case IPCG_SYSV_SHM:
        high = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&u.shm);
        if (high >= 0) {
            n[0] = (apr_uint64_t)u.shm.used_ids;
            n[1] = (apr_uint64_t)u.shm.shm_tot;  /* pages */
        }
        break;
    case IPCG_SYSV_MSG:
        high = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&u.msg);
        if (high >= 0) {
            n[0] = (apr_uint64_t)u.msg.msgpool; /* queues */
            n[1] = (apr_uint64_t)u.msg.msgmap;  /* messages */
            n[2] = (apr_uint64_t)u.msg.msgtql;  /* bytes */
        }
        break;
    default:
        break;
    }
    return high;
}

/* How many objects of @a kind the kernel counts, 0 if it does not say:
 * how much room a table's objects will want. */
static int kernel_count(ipcg_kind_e kind)
{
    apr_uint64_t n[3];

    if (kernel_info(kind, n) < 0 || n[0] > (apr_uint64_t)INT_MAX) {
        return 0;
    }
    return (int)n[0];
}

/* One line of a table, NUL-terminated, into @a snap. */
typedef struct {
    ipcg_kind_e kind;
    ipcg_snapshot_t *snap;
    int first;                  /* no line taken yet: the header may come */
    int skipping;               /* in the rest of a line too long to hold */
} table_reader_t;

static void take_line(table_reader_t *t, const char *line)
{
    ipcg_obj_t obj;

    if (*line == '\0') {
        return;                                 /* an empty line */
    }
    if (t->first) {
        t->first = 0;
        /* the header names the columns; "key" comes first */
        if (strstr(line, "key") != NULL) {
            return;
        }
    }
    if (ipcg_parse_sysv_line(t->kind, line, &obj) == APR_SUCCESS) {
        *(ipcg_obj_t *)apr_array_push(t->snap->objs) = obj;
    }
    else {
        t->snap->bad_lines++;
    }
}

/* Take the whole lines of @a buf (@a len bytes); returns how many bytes
 * of an unfinished last line are left at its start. */
static apr_size_t take_lines(table_reader_t *t, char *buf, apr_size_t len)
{
    char *s = buf, *end = buf + len, *nl;
    apr_size_t left;

    while ((nl = memchr(s, '\n', (apr_size_t)(end - s))) != NULL) {
        *nl = '\0';
        if (t->skipping) {
            t->skipping = 0;                    /* the end of a long one */
        }
        else {
            take_line(t, s);
        }
        s = nl + 1;
    }
    left = (apr_size_t)(end - s);
    memmove(buf, s, left);
    return left;
}

/* The table is read a piece at a time into a buffer on the stack and
 * taken line by line: a table of 10,000 sets is 850 KB of text, which,
 * read whole into pool memory, costs a page fault per page at every scan
 * of a parent that has forked since the last. */
#define TABLE_CHUNK 16384

apr_status_t ipcg_scan_sysv(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_kind_e kind, ipcg_snapshot_t *snap)
{
    const char *table = sysv_table(kind);
    char buf[TABLE_CHUNK + 1];
    table_reader_t t;
    apr_file_t *f;
    apr_size_t have = 0, total = 0;
    apr_status_t rv;

    if (table == NULL) {
        return APR_EINVAL;
    }
    rv = apr_file_open(&f, apr_pstrcat(p, paths->proc, "/sysvipc/", table,
                                       NULL),
                       APR_FOPEN_READ, APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    t.kind = kind;
    t.snap = snap;
    t.first = 1;
    t.skipping = 0;
    ipcg_array_reserve(snap->objs, kernel_count(kind));
    for (;;) {
        apr_size_t n = TABLE_CHUNK - have;

        rv = apr_file_read(f, buf + have, &n);
        if (rv == APR_EOF || (rv == APR_SUCCESS && n == 0)) {
            break;
        }
        if (rv != APR_SUCCESS) {
            apr_file_close(f);
            return rv;
        }
        total += n;
        if (total > TABLE_MAX_BYTES) {
            apr_file_close(f);
            return APR_ENOSPC;
        }
        have = take_lines(&t, buf, have + n);
        if (have == TABLE_CHUNK) {
            /* a line longer than the buffer, so far past any a kernel
             * prints: one bad line, whose rest is skipped */
            if (!t.skipping) {
                snap->bad_lines++;
                t.skipping = 1;
            }
            have = 0;
        }
    }
    apr_file_close(f);
    if (have > 0 && !t.skipping) {
        buf[have] = '\0';
        take_line(&t, buf);                     /* no newline at the end */
    }
    snap->kinds_read |= 1 << kind;
    return APR_SUCCESS;
}

static int devshm_entry(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *name, ipcg_obj_t *obj, int *cut);

typedef struct {
    const ipcg_paths_t *paths;
    ipcg_snapshot_t *snap;
} devshm_walk_t;

static void devshm_one(void *baton, apr_pool_t *sub, const apr_finfo_t *e)
{
    devshm_walk_t *w = baton;
    ipcg_obj_t obj;
    int cut;

    if (devshm_entry(sub, w->paths, e->name, &obj, &cut)) {
        *(ipcg_obj_t *)apr_array_push(w->snap->objs) = obj;
    }
    else if (cut) {
        w->snap->bad_lines++;
    }
}

apr_status_t ipcg_scan_devshm(apr_pool_t *p, const ipcg_paths_t *paths,
                              ipcg_snapshot_t *snap)
{
    devshm_walk_t w;
    apr_status_t rv;

    w.paths = paths;
    w.snap = snap;
    rv = ipcg_dir_each(p, paths->devshm, APR_FINFO_NAME, devshm_one, &w);
    if (rv == APR_SUCCESS) {
        snap->kinds_read |= (1 << IPCG_POSIX_SHM) | (1 << IPCG_POSIX_SEM);
    }
    return rv;
}

apr_status_t ipcg_scan_all(apr_pool_t *p, const ipcg_paths_t *paths,
                           ipcg_snapshot_t *snap)
{
    apr_status_t first = APR_SUCCESS, rv;
    int k;

    for (k = IPCG_SYSV_SEM; k <= IPCG_SYSV_MSG; k++) {
        rv = ipcg_scan_sysv(p, paths, (ipcg_kind_e)k, snap);
        if (rv != APR_SUCCESS && first == APR_SUCCESS) {
            first = rv;
        }
    }
    rv = ipcg_scan_devshm(p, paths, snap);
    if (rv != APR_SUCCESS && first == APR_SUCCESS) {
        first = rv;
    }
    return first;
}

/* ------------------------------------------------------------------ */
/* What appeared since a mark                                           */

static void obj_blank(ipcg_obj_t *o, ipcg_kind_e kind, int id)
{
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->id = id;
    o->cls = IPCG_CLASS_FOREIGN;
    o->phase = IPCG_PHASE_UNKNOWN;
    ipcg_strlcpy(o->module, "unknown", sizeof(o->module));
}

/* The fields /proc/sysvipc prints, from the kernel's ds structures, so
 * that an object read either way compares equal. */
static void from_sem(ipcg_obj_t *o, int id, const struct semid_ds *ds)
{
    obj_blank(o, IPCG_SYSV_SEM, id);
    o->key = (apr_int32_t)ds->sem_perm.__key;
    o->mode = (apr_uint32_t)ds->sem_perm.mode & 07777;
    o->uid = (apr_uint32_t)ds->sem_perm.uid;
    o->gid = (apr_uint32_t)ds->sem_perm.gid;
    o->cuid = (apr_uint32_t)ds->sem_perm.cuid;
    o->cgid = (apr_uint32_t)ds->sem_perm.cgid;
    o->size = (apr_uint64_t)ds->sem_nsems;
    o->otime = (apr_int64_t)ds->sem_otime;
    o->ctime = (apr_int64_t)ds->sem_ctime;
}

static void from_shm(ipcg_obj_t *o, int id, const struct shmid_ds *ds)
{
    obj_blank(o, IPCG_SYSV_SHM, id);
    o->key = (apr_int32_t)ds->shm_perm.__key;
    o->mode = (apr_uint32_t)ds->shm_perm.mode & 07777;
    o->uid = (apr_uint32_t)ds->shm_perm.uid;
    o->gid = (apr_uint32_t)ds->shm_perm.gid;
    o->cuid = (apr_uint32_t)ds->shm_perm.cuid;
    o->cgid = (apr_uint32_t)ds->shm_perm.cgid;
    o->size = (apr_uint64_t)ds->shm_segsz;
    o->cpid = (apr_int64_t)ds->shm_cpid;
    o->lpid = (apr_int64_t)ds->shm_lpid;
    o->nattch = (apr_uint64_t)ds->shm_nattch;
    o->otime = (apr_int64_t)ds->shm_atime;
    o->ctime = (apr_int64_t)ds->shm_ctime;
}

static void from_msg(ipcg_obj_t *o, int id, const struct msqid_ds *ds)
{
    obj_blank(o, IPCG_SYSV_MSG, id);
    o->key = (apr_int32_t)ds->msg_perm.__key;
    o->mode = (apr_uint32_t)ds->msg_perm.mode & 07777;
    o->uid = (apr_uint32_t)ds->msg_perm.uid;
    o->gid = (apr_uint32_t)ds->msg_perm.gid;
    o->cuid = (apr_uint32_t)ds->msg_perm.cuid;
    o->cgid = (apr_uint32_t)ds->msg_perm.cgid;
    o->size = (apr_uint64_t)ds->msg_cbytes;
    o->nattch = (apr_uint64_t)ds->msg_qnum;
    o->cpid = (apr_int64_t)ds->msg_lspid;
    o->lpid = (apr_int64_t)ds->msg_lrpid;
    o->otime = (apr_int64_t)(ds->msg_rtime > ds->msg_stime ? ds->msg_rtime
                                                           : ds->msg_stime);
    o->ctime = (apr_int64_t)ds->msg_ctime;
}

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY SEM_STAT
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY SHM_STAT
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY MSG_STAT
#endif

/* Read the object at index @a idx of @a kind: its id (filling @a o), or
 * -1 if the index is free or cannot be read. */
static int stat_index(ipcg_kind_e kind, int idx, int any, ipcg_obj_t *o)
{
    int id;

    switch (kind) {
    case IPCG_SYSV_SEM: {
        struct semid_ds ds;
        union ipcg_semun a;
        a.buf = &ds;
        id = semctl(idx, 0, any ? SEM_STAT_ANY : SEM_STAT, a);
        if (id >= 0) {
            from_sem(o, id, &ds);
        }
        return id;
    }
    case IPCG_SYSV_SHM: {
        struct shmid_ds ds;
        id = shmctl(idx, any ? SHM_STAT_ANY : SHM_STAT, &ds);
        if (id >= 0) {
            from_shm(o, id, &ds);
        }
        return id;
    }
    case IPCG_SYSV_MSG: {
        struct msqid_ds ds;
        id = msgctl(idx, any ? MSG_STAT_ANY : MSG_STAT, &ds);
        if (id >= 0) {
            from_msg(o, id, &ds);
        }
        return id;
    }
    default:
        return -1;
    }
}

/* Read the object with id @a id: 1 (filling @a o), 0 if it is gone,
 * -1 if it cannot be read. */
static int stat_id(ipcg_kind_e kind, int id, ipcg_obj_t *o)
{
    int r = -1;

    switch (kind) {
    case IPCG_SYSV_SEM: {
        struct semid_ds ds;
        union ipcg_semun a;
        a.buf = &ds;
        r = semctl(id, 0, IPC_STAT, a);
        if (r == 0) {
            from_sem(o, id, &ds);
        }
        break;
    }
    case IPCG_SYSV_SHM: {
        struct shmid_ds ds;
        r = shmctl(id, IPC_STAT, &ds);
        if (r == 0) {
            from_shm(o, id, &ds);
        }
        break;
    }
    case IPCG_SYSV_MSG: {
        struct msqid_ds ds;
        r = msgctl(id, IPC_STAT, &ds);
        if (r == 0) {
            from_msg(o, id, &ds);
        }
        break;
    }
    default:
        return -1;
    }
    if (r == 0) {
        return 1;
    }
    return (errno == EINVAL || errno == EIDRM) ? 0 : -1;
}

/* Make and remove one object of @a kind at once: its id, or -1. Mode 0:
 * no one but root can touch it in the moment it exists. */
static int make_mark(ipcg_kind_e kind)
{
    int id = -1;

    switch (kind) {
    case IPCG_SYSV_SEM:
        id = semget(IPC_PRIVATE, 1, IPC_CREAT);
        if (id >= 0) {
            semctl(id, 0, IPC_RMID);
        }
        break;
    case IPCG_SYSV_SHM:
        id = shmget(IPC_PRIVATE, 1, IPC_CREAT);
        if (id >= 0) {
            shmctl(id, IPC_RMID, NULL);
        }
        break;
    case IPCG_SYSV_MSG:
        id = msgget(IPC_PRIVATE, IPC_CREAT);
        if (id >= 0) {
            msgctl(id, IPC_RMID, NULL);
        }
        break;
    default:
        break;
    }
    return id;
}

/* How ids split, learned from a live object: make one, find it by index
 * under each split and each STAT command, remove it. */
static void learn_idfmt(ipcg_idfmt_t *f)
{
    static const int shifts[2] = { 15, 24 };
    ipcg_obj_t o;
    int id, i, any;

    f->shift = 15;
    f->stat_any = 0;
    id = semget(IPC_PRIVATE, 1, IPC_CREAT);
    if (id < 0) {
        return;
    }
    for (i = 0; i < 2; i++) {
        int idx = id & (int)((1u << shifts[i]) - 1);
        for (any = 1; any >= 0; any--) {
            if (stat_index(IPCG_SYSV_SEM, idx, any, &o) == id) {
                f->shift = shifts[i];
                f->stat_any = any;
                i = 2;
                break;
            }
        }
    }
    semctl(id, 0, IPC_RMID);
}

int ipcg_mark_ranges(apr_int64_t from, apr_int64_t to, int shift,
                     apr_int64_t max_idx, apr_int64_t lo[2],
                     apr_int64_t hi[2])
{
    apr_int64_t mask = ((apr_int64_t)1 << shift) - 1;
    apr_int64_t sf = from >> shift, st = to >> shift;
    apr_int64_t fi = from & mask, ti = to & mask;
    int n = 0;

    if (to <= from) {
        return -1;
    }
    if (max_idx < 0) {
        return 0;                       /* nothing in use */
    }
#define IPCG_RANGE(a, b)                                                     \
    do {                                                                     \
        apr_int64_t a_ = (a), b_ = (b) > max_idx ? max_idx : (b);            \
        if (a_ <= b_) { lo[n] = a_; hi[n] = b_; n++; }                       \
    } while (0)
    if (st == sf) {
        IPCG_RANGE(fi + 1, ti - 1);
    }
    else if (st == sf + 1 && ti <= fi) {
        IPCG_RANGE(fi + 1, max_idx);
        IPCG_RANGE(0, ti - 1);
    }
    else {
        IPCG_RANGE(0, max_idx);         /* the clock went all the way round */
    }
#undef IPCG_RANGE
    return n;
}

/* Beyond this many indexes, reading the table whole is cheaper. */
#define PROBE_MAX 2048

/* sysv_since without a mark (a full table) or without an earlier one:
 * the table read whole, what is newer than the old mark (and older than
 * the new one, if any) appended to @a added, and the mark moved to the
 * new one or to the largest id seen. */
static apr_status_t sysv_read_whole(apr_pool_t *p, const ipcg_paths_t *paths,
                                    ipcg_kind_e kind, ipcg_mark_t *m,
                                    int mark, ipcg_snapshot_t *added)
{
    apr_int64_t since = m->last[kind], top = -1;
    ipcg_snapshot_t all;
    apr_status_t rv;
    int i;

    ipcg_snapshot_init(p, &all);
    rv = ipcg_scan_sysv(p, paths, kind, &all);
    m->full_reads++;
    for (i = 0; i < all.objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(all.objs, i, ipcg_obj_t);
        if (o->id > top) {
            top = o->id;
        }
        if (since >= 0 && o->id > since
            && (mark < 0 || o->id < mark)) {
            *(ipcg_obj_t *)apr_array_push(added->objs) = *o;
        }
    }
    added->bad_lines += all.bad_lines;
    if (mark >= 0) {
        m->last[kind] = mark;
    }
    else if (rv == APR_SUCCESS && top > since) {
        m->last[kind] = top;
    }
    if (rv != APR_SUCCESS) {
        added->kinds_read &= ~(1 << kind);
    }
    return since < 0 ? APR_EGENERAL : rv;
}

/* The objects of SysV @a kind made after id @a since: appended to
 * @a added; *@a last becomes the new mark. */
static apr_status_t sysv_since(apr_pool_t *p, const ipcg_paths_t *paths,
                               ipcg_kind_e kind, ipcg_mark_t *m,
                               ipcg_snapshot_t *added)
{
    apr_int64_t since = m->last[kind];
    apr_int64_t lo[2], hi[2], total = 0;
    apr_uint64_t count[3];
    int mark, n, i;

    added->kinds_read |= 1 << kind;
    /* none of the kind exists now (one question, no object made): what
     * was made since the mark is gone, nothing is left to find, and the
     * mark stays where it is. Anything found from it later exists then
     * but did not now, so it was made after this look. */
    if (since >= 0 && !m->populated[kind]) {
        if (kernel_info(kind, count) >= 0) {
            if (count[0] == 0) {
                return APR_SUCCESS;
            }
            m->populated[kind] = 1;
        }
    }
    mark = make_mark(kind);
    if (mark < 0 || since < 0) {
        return sysv_read_whole(p, paths, kind, m, mark, added);
    }
    m->last[kind] = mark;
    /* the highest index in use only bounds ranges that are there: when
     * nothing was made between the two marks (the usual answer) the
     * kernel is not asked for it */
    n = ipcg_mark_ranges(since, mark, m->fmt.shift, APR_INT32_MAX, lo, hi);
    if (n > 0) {
        int high = kernel_info(kind, count);
        /* an empty kind is asked again before its next mark */
        m->populated[kind] = high >= 0 && count[0] > 0;
        n = ipcg_mark_ranges(since, mark, m->fmt.shift, high, lo, hi);
    }
    if (n < 0) {
        return APR_EGENERAL;            /* the sequence wrapped around */
    }
    for (i = 0; i < n; i++) {
        total += hi[i] - lo[i] + 1;
    }
    if (total > PROBE_MAX) {
        ipcg_snapshot_t all;

        ipcg_snapshot_init(p, &all);
        m->full_reads++;
        if (ipcg_scan_sysv(p, paths, kind, &all) != APR_SUCCESS) {
            added->kinds_read &= ~(1 << kind);
            return APR_EGENERAL;
        }
        for (i = 0; i < all.objs->nelts; i++) {
            const ipcg_obj_t *o = &APR_ARRAY_IDX(all.objs, i, ipcg_obj_t);
            if (o->id > since && o->id < mark) {
                *(ipcg_obj_t *)apr_array_push(added->objs) = *o;
            }
        }
        added->bad_lines += all.bad_lines;
        return APR_SUCCESS;
    }
    for (i = 0; i < n; i++) {
        apr_int64_t idx;
        for (idx = lo[i]; idx <= hi[i]; idx++) {
            ipcg_obj_t o;
            int id = stat_index(kind, (int)idx, m->fmt.stat_any, &o);
            m->probes++;
            /* an index taken again carries a new id: only ids made
             * between the two marks are new */
            if (id >= 0 && id > since && id < mark) {
                *(ipcg_obj_t *)apr_array_push(added->objs) = o;
            }
        }
    }
    return APR_SUCCESS;
}

/* One /dev/shm entry, stat'ed into @a obj: 1 if it is a shm object. */
static int devshm_entry(apr_pool_t *p, const ipcg_paths_t *paths,
                        const char *name, ipcg_obj_t *obj, int *cut)
{
    apr_finfo_t fi;
    apr_status_t rv;
    const char *full = apr_pstrcat(p, paths->devshm, "/", name, NULL);

    *cut = 0;
    rv = apr_stat(&fi, full,
                  APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_INODE
                  | APR_FINFO_OWNER | APR_FINFO_PROT | APR_FINFO_SIZE
                  | APR_FINFO_CTIME | APR_FINFO_MTIME,
                  p);
    /* a symlink, directory or fifo is no shm object; a file gone since
     * the listing is simply not there any more */
    if ((rv != APR_SUCCESS && rv != APR_INCOMPLETE) || fi.filetype != APR_REG) {
        return 0;
    }
    memset(obj, 0, sizeof(*obj));
    obj->kind = strncmp(name, "sem.", 4) == 0 ? IPCG_POSIX_SEM
                                               : IPCG_POSIX_SHM;
    obj->id = -1;
    obj->mode = ipcg_unix_mode(fi.protection);
    obj->uid = obj->cuid = (apr_uint32_t)fi.user;
    obj->gid = obj->cgid = (apr_uint32_t)fi.group;
    obj->size = (apr_uint64_t)fi.size;
    obj->ino = (apr_uint64_t)fi.inode;
    obj->ctime = apr_time_sec(fi.ctime);
    obj->otime = apr_time_sec(fi.mtime);
    obj->cls = IPCG_CLASS_FOREIGN;
    ipcg_strlcpy(obj->module, "unknown", sizeof(obj->module));
    if (ipcg_strlcpy(obj->name, name, sizeof(obj->name))) {
        /* never keep a cut name: it could match a different file */
        *cut = 1;
        return 0;
    }
    return 1;
}

/* The directory's times and size, and whether the coarse clock (the one
 * tmpfs stamps with) had already passed its times when they were read. */
static int devshm_dirstat(const ipcg_paths_t *paths, ipcg_mark_t *m)
{
    struct stat st;
    struct timespec now;
    apr_int64_t newest;

    if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0
        || stat(paths->devshm, &st) != 0) {
        return 0;
    }
    m->dir_mtime = (apr_int64_t)st.st_mtim.tv_sec * 1000000000
                   + st.st_mtim.tv_nsec;
    m->dir_ctime = (apr_int64_t)st.st_ctim.tv_sec * 1000000000
                   + st.st_ctim.tv_nsec;
    m->dir_size = (apr_uint64_t)st.st_size;
    m->dir_ino = (apr_uint64_t)st.st_ino;
    newest = m->dir_mtime > m->dir_ctime ? m->dir_mtime : m->dir_ctime;
    m->devshm_settled = newest < (apr_int64_t)now.tv_sec * 1000000000
                                 + now.tv_nsec;
    return 1;
}

/* List /dev/shm into a fresh pool of @a m; with @a added, append the
 * entries not in the previous listing (new names, or a name with a new
 * inode). */
static apr_status_t devshm_list(apr_pool_t *p, const ipcg_paths_t *paths,
                                ipcg_mark_t *m, ipcg_snapshot_t *added)
{
    apr_pool_t *np;
    apr_hash_t *names;
    apr_dir_t *dir;
    apr_finfo_t dent;
    apr_status_t rv;

    apr_pool_create(&np, m->parent);
    names = apr_hash_make(np);
    rv = apr_dir_open(&dir, paths->devshm, np);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(np);
        return rv;
    }
    for (;;) {
        apr_uint64_t *ino, *old;
        const char *name;

        rv = apr_dir_read(&dent, APR_FINFO_NAME | APR_FINFO_INODE, dir);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;                      /* APR_ENOENT: the end */
        }
        if (dent.name == NULL || strcmp(dent.name, ".") == 0
            || strcmp(dent.name, "..") == 0) {
            continue;
        }
        name = apr_pstrdup(np, dent.name);
        ino = apr_palloc(np, sizeof(*ino));
        *ino = (dent.valid & APR_FINFO_INODE) ? (apr_uint64_t)dent.inode : 0;
        apr_hash_set(names, name, APR_HASH_KEY_STRING, ino);
        if (added == NULL) {
            continue;
        }
        old = m->names ? apr_hash_get(m->names, name, APR_HASH_KEY_STRING)
                       : NULL;
        if (old == NULL || *old != *ino || *ino == 0) {
            ipcg_obj_t obj;
            int cut;
            if (devshm_entry(p, paths, name, &obj, &cut)) {
                if (old == NULL || *old != obj.ino) {
                    *(ipcg_obj_t *)apr_array_push(added->objs) = obj;
                }
            }
            else if (cut) {
                added->bad_lines++;
            }
        }
    }
    apr_dir_close(dir);
    if (m->pool) {
        apr_pool_destroy(m->pool);
    }
    m->pool = np;
    m->names = names;
    return APR_SUCCESS;
}

apr_status_t ipcg_mark_take(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_mark_t *m)
{
    int k;

    ipcg_mark_clear(m);
    memset(m, 0, sizeof(*m));
    m->parent = p;
    learn_idfmt(&m->fmt);
    for (k = IPCG_SYSV_SEM; k <= IPCG_SYSV_MSG; k++) {
        m->last[k] = make_mark((ipcg_kind_e)k);
        if (m->last[k] < 0) {
            /* a full table: the largest id in it will do */
            ipcg_snapshot_t all;
            int i;
            ipcg_snapshot_init(p, &all);
            if (ipcg_scan_sysv(p, paths, (ipcg_kind_e)k, &all)
                == APR_SUCCESS) {
                m->last[k] = 0;
                for (i = 0; i < all.objs->nelts; i++) {
                    apr_int64_t id = APR_ARRAY_IDX(all.objs, i,
                                                   ipcg_obj_t).id;
                    if (id > m->last[k]) {
                        m->last[k] = id;
                    }
                }
            }
        }
    }
    /* the stat first: a change during the listing then shows next time */
    m->devshm_ok = devshm_dirstat(paths, m)
                   && devshm_list(p, paths, m, NULL) == APR_SUCCESS;
    return APR_SUCCESS;
}

apr_status_t ipcg_scan_since(apr_pool_t *p, const ipcg_paths_t *paths,
                             ipcg_mark_t *m, ipcg_snapshot_t *added)
{
    apr_status_t first = APR_SUCCESS, rv;
    int k;

    m->probes = 0;
    m->full_reads = 0;
    for (k = IPCG_SYSV_SEM; k <= IPCG_SYSV_MSG; k++) {
        rv = sysv_since(p, paths, (ipcg_kind_e)k, m, added);
        if (rv != APR_SUCCESS && first == APR_SUCCESS) {
            first = rv;
        }
    }
    {
        ipcg_mark_t before = *m;
        int was_ok = m->devshm_ok;

        if (!devshm_dirstat(paths, m)) {
            m->devshm_ok = 0;
            return first;
        }
        added->kinds_read |= (1 << IPCG_POSIX_SHM) | (1 << IPCG_POSIX_SEM);
        if (was_ok && before.devshm_settled
            && before.dir_mtime == m->dir_mtime
            && before.dir_ctime == m->dir_ctime
            && before.dir_size == m->dir_size
            && before.dir_ino == m->dir_ino) {
            return first;               /* nothing added or removed */
        }
        rv = devshm_list(p, paths, m, was_ok ? added : NULL);
        m->devshm_ok = rv == APR_SUCCESS;
        if (!was_ok || rv != APR_SUCCESS) {
            added->kinds_read &= ~((1 << IPCG_POSIX_SHM)
                                   | (1 << IPCG_POSIX_SEM));
            if (first == APR_SUCCESS) {
                first = rv != APR_SUCCESS ? rv : APR_EGENERAL;
            }
        }
    }
    return first;
}

void ipcg_mark_clear(ipcg_mark_t *m)
{
    if (m->pool) {
        apr_pool_destroy(m->pool);
    }
    m->pool = NULL;
    m->names = NULL;
}

apr_status_t ipcg_scan_objects(apr_pool_t *p, const ipcg_paths_t *paths,
                               const apr_array_header_t *objs,
                               ipcg_snapshot_t *snap)
{
    int i;

    for (i = 0; i < objs->nelts; i++) {
        const ipcg_obj_t *r = &APR_ARRAY_IDX(objs, i, ipcg_obj_t);
        ipcg_obj_t now;
        int got;

        snap->kinds_read |= 1 << r->kind;
        if (r->kind >= IPCG_POSIX_SHM) {
            int cut;
            got = devshm_entry(p, paths, r->name, &now, &cut);
        }
        else if (r->id < 0 || r->id > 0x7fffffff) {
            got = 0;
        }
        else {
            got = stat_id(r->kind, (int)r->id, &now);
        }
        if (got < 0) {
            now = *r;                  /* cannot tell: as it was */
        }
        else if (got == 0) {
            continue;                   /* gone */
        }
        *(ipcg_obj_t *)apr_array_push(snap->objs) = now;
    }
    return APR_SUCCESS;
}

int ipcg_obj_maybe_by(const ipcg_obj_t *o, apr_int64_t pid,
                      apr_uint32_t euid, apr_uint32_t alt_uid)
{
    switch (o->kind) {
    case IPCG_SYSV_SEM: {
        int i, n = (int)(o->size < 250 ? o->size : 250);
        if (o->cuid != euid) {
            return 0;
        }
        /* SETVAL and semop leave the caller's pid on a semaphore */
        for (i = 0; i < n; i++) {
            int who = semctl((int)o->id, i, GETPID);
            if (who > 0 && who != pid) {
                return 0;
            }
        }
        return 1;
    }
    case IPCG_SYSV_SHM:             /* cpid: the creator */
    case IPCG_SYSV_MSG:             /* cpid: the last sender */
        return o->cuid == euid && (o->cpid == 0 || o->cpid == pid);
    default:
        return o->uid == euid || o->uid == alt_uid;
    }
}

/* ---- change detection ---- */

void ipcg_scan_signature(apr_pool_t *p, const ipcg_paths_t *paths,
                         ipcg_signature_t *sig)
{
    static const ipcg_kind_e sysv[3] = {
        IPCG_SYSV_SEM, IPCG_SYSV_SHM, IPCG_SYSV_MSG
    };
    struct statvfs vfs;
    apr_finfo_t fi;
    apr_uint64_t n[3];
    int k, high;

    memset(sig, 0, sizeof(*sig));
    for (k = 0; k < 3; k++) {
        high = kernel_info(sysv[k], n);
        if (high >= 0) {
            sig->read |= 1 << sysv[k];
            sig->high[sysv[k]] = high;
            sig->n1[sysv[k]] = n[0];
            sig->n2[sysv[k]] = n[1];
            sig->n3[sysv[k]] = n[2];
        }
    }
    if (statvfs(paths->devshm, &vfs) == 0
        && apr_stat(&fi, paths->devshm,
                    APR_FINFO_INODE | APR_FINFO_CTIME | APR_FINFO_MTIME, p)
           == APR_SUCCESS) {
        sig->read |= (1 << IPCG_POSIX_SHM) | (1 << IPCG_POSIX_SEM);
        sig->devshm_blocks = (apr_uint64_t)(vfs.f_blocks - vfs.f_bfree);
        sig->devshm_files = (apr_uint64_t)(vfs.f_files - vfs.f_ffree);
        sig->devshm_ino = (apr_uint64_t)fi.inode;
        sig->devshm_mtime = fi.mtime;
        sig->devshm_ctime = fi.ctime;
    }
}

int ipcg_signature_same(const ipcg_signature_t *a, const ipcg_signature_t *b)
{
    int k;

    if (a->read != b->read || a->devshm_blocks != b->devshm_blocks
        || a->devshm_files != b->devshm_files || a->devshm_ino != b->devshm_ino
        || a->devshm_mtime != b->devshm_mtime
        || a->devshm_ctime != b->devshm_ctime) {
        return 0;
    }
    for (k = 0; k < 3; k++) {
        if (a->high[k] != b->high[k] || a->n1[k] != b->n1[k]
            || a->n2[k] != b->n2[k] || a->n3[k] != b->n3[k]) {
            return 0;
        }
    }
    return 1;
}

/* The fields of a SysV object's ipc_perm that a scan shows. */
static int perm_unchanged(const ipcg_obj_t *rec, const struct ipc_perm *perm)
{
    return (apr_int32_t)perm->__key == rec->key && perm->cuid == rec->cuid
           && perm->uid == rec->uid && perm->gid == rec->gid
           && (perm->mode & 0777) == (rec->mode & 0777);
}

/* The answer of an IPC_STAT that failed: gone, or cannot tell. */
static int stat_failed(void)
{
    return (errno == EINVAL || errno == EIDRM) ? 0 : -1;
}

int ipcg_obj_unchanged(apr_pool_t *p, const ipcg_paths_t *paths,
                       const ipcg_obj_t *rec)
{
    switch (rec->kind) {
    case IPCG_SYSV_SEM: {
        struct semid_ds ds;
        union ipcg_semun arg;
        arg.buf = &ds;
        if (semctl((int)rec->id, 0, IPC_STAT, arg) == -1) {
            return stat_failed();
        }
        return perm_unchanged(rec, &ds.sem_perm)
               && (apr_int64_t)ds.sem_ctime == rec->ctime
               && (apr_uint64_t)ds.sem_nsems == rec->size;
    }
    case IPCG_SYSV_SHM: {
        struct shmid_ds ds;
        if (shmctl((int)rec->id, IPC_STAT, &ds) == -1) {
            return stat_failed();
        }
        return perm_unchanged(rec, &ds.shm_perm)
               && (apr_int64_t)ds.shm_ctime == rec->ctime
               && (apr_uint64_t)ds.shm_segsz == rec->size
               && (apr_uint64_t)ds.shm_nattch == rec->nattch;
    }
    case IPCG_SYSV_MSG: {
        struct msqid_ds ds;
        if (msgctl((int)rec->id, IPC_STAT, &ds) == -1) {
            return stat_failed();
        }
        return perm_unchanged(rec, &ds.msg_perm)
               && (apr_int64_t)ds.msg_ctime == rec->ctime;
    }
    default: {
        apr_finfo_t fi;
        apr_status_t rv;
        const char *full = apr_pstrcat(p, paths->devshm, "/", rec->name,
                                       NULL);
        rv = apr_stat(&fi, full,
                      APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_INODE
                      | APR_FINFO_OWNER | APR_FINFO_SIZE | APR_FINFO_CTIME,
                      p);
        if (APR_STATUS_IS_ENOENT(rv)) {
            return 0;
        }
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            return -1;
        }
        return fi.filetype == APR_REG && (apr_uint64_t)fi.inode == rec->ino
               && (apr_uint32_t)fi.user == rec->uid
               && (apr_uint32_t)fi.group == rec->gid
               && (apr_uint64_t)fi.size == rec->size
               && apr_time_sec(fi.ctime) == rec->ctime;
    }
    }
}
