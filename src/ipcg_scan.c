/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The kernel's IPC tables: /proc/sysvipc/{sem,shm,msg} and /dev/shm. */

#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/statvfs.h>

#include <apr_file_info.h>
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
    snap->objs = apr_array_make(p, 64, sizeof(ipcg_obj_t));
    snap->bad_lines = 0;
    snap->kinds_read = 0;
}

/* Split @a line (copied) into at most MAX_FIELDS whitespace-separated
 * fields; returns the count, or -1 if there are more. */
static int split_fields(char *buf, char **fields)
{
    int n = 0;
    char *last, *tok;

    for (tok = apr_strtok(buf, " \t\r\n", &last); tok;
         tok = apr_strtok(NULL, " \t\r\n", &last)) {
        if (n == MAX_FIELDS) {
            return -1;
        }
        fields[n++] = tok;
    }
    return n;
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
    ok = get_key(f[0], &obj->key) && get_id(f[1], &obj->id)
         && get_mode(f[2], &obj->mode);
    if (!ok) {
        return APR_EGENERAL;
    }
    switch (kind) {
    case IPCG_SYSV_SHM:
        /* key shmid perms size cpid lpid nattch uid gid cuid cgid atime
         * dtime ctime [rss swap] */
        if (n != 14 && n != 16) {
            return APR_EGENERAL;
        }
        ok = get_u64(f[3], &obj->size) && get_pid(f[4], &obj->cpid)
             && get_pid(f[5], &obj->lpid) && get_u64(f[6], &obj->nattch)
             && get_u32(f[7], &obj->uid) && get_u32(f[8], &obj->gid)
             && get_u32(f[9], &obj->cuid) && get_u32(f[10], &obj->cgid)
             && get_i64(f[11], &obj->otime) && get_i64(f[13], &obj->ctime)
             && (n == 14 || get_u64(f[14], &obj->rss));
        {
            /* read only to refuse a line where they are no numbers */
            apr_int64_t dtime;
            apr_uint64_t swap;
            ok = ok && get_i64(f[12], &dtime)
                 && (n == 14 || get_u64(f[15], &swap));
        }
        break;
    case IPCG_SYSV_SEM:
        /* key semid perms nsems uid gid cuid cgid otime ctime */
        if (n != 10) {
            return APR_EGENERAL;
        }
        ok = get_u64(f[3], &obj->size) && get_u32(f[4], &obj->uid)
             && get_u32(f[5], &obj->gid) && get_u32(f[6], &obj->cuid)
             && get_u32(f[7], &obj->cgid) && get_i64(f[8], &obj->otime)
             && get_i64(f[9], &obj->ctime);
        break;
    case IPCG_SYSV_MSG:
        /* key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime
         * rtime ctime */
        if (n != 14) {
            return APR_EGENERAL;
        }
        ok = get_u64(f[3], &obj->size) && get_u64(f[4], &obj->nattch)
             && get_pid(f[5], &obj->cpid) && get_pid(f[6], &obj->lpid)
             && get_u32(f[7], &obj->uid) && get_u32(f[8], &obj->gid)
             && get_u32(f[9], &obj->cuid) && get_u32(f[10], &obj->cgid)
             && get_i64(f[11], &obj->otime) && get_i64(f[13], &obj->ctime);
        {
            apr_int64_t rtime;
            ok = ok && get_i64(f[12], &rtime);
            if (ok && rtime > obj->otime) {
                obj->otime = rtime;
            }
        }
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

/* Room in @a snap for one object per line of @a text at once: with
 * thousands of objects, growing the array by doubling touches about three
 * times the memory (each a page the process then keeps). */
static void reserve_lines(apr_pool_t *p, ipcg_snapshot_t *snap,
                          const char *text)
{
    apr_array_header_t *a = snap->objs, *bigger;
    const char *c = text;
    int lines = 0;

    while ((c = strchr(c, '\n')) != NULL) {
        lines++;
        c++;
    }
    if (a->nelts + lines <= a->nalloc) {
        return;
    }
    bigger = apr_array_make(p, a->nelts + lines + 1, a->elt_size);
    apr_array_cat(bigger, a);
    snap->objs = bigger;
}

apr_status_t ipcg_scan_sysv(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_kind_e kind, ipcg_snapshot_t *snap)
{
    const char *table = sysv_table(kind);
    char *text, *line, *last;
    apr_status_t rv;
    int first = 1;

    if (table == NULL) {
        return APR_EINVAL;
    }
    rv = ipcg_read_file(p, apr_pstrcat(p, paths->proc, "/sysvipc/", table,
                                       NULL),
                        TABLE_MAX_BYTES, &text, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    snap->kinds_read |= 1 << kind;
    reserve_lines(p, snap, text);
    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ipcg_obj_t obj;
        if (first) {
            first = 0;
            /* the header names the columns; "key" comes first */
            if (strstr(line, "key") != NULL) {
                continue;
            }
        }
        if (ipcg_parse_sysv_line(kind, line, &obj) == APR_SUCCESS) {
            *(ipcg_obj_t *)apr_array_push(snap->objs) = obj;
        }
        else {
            snap->bad_lines++;
        }
    }
    return APR_SUCCESS;
}

/* APR's permission bits back to the octal mode the kernel shows. */
static apr_uint32_t unix_mode(apr_fileperms_t perms)
{
    apr_uint32_t mode = 0;

    if (perms & APR_USETID) mode |= 04000;
    if (perms & APR_GSETID) mode |= 02000;
    if (perms & APR_WSTICKY) mode |= 01000;
    if (perms & APR_UREAD) mode |= 0400;
    if (perms & APR_UWRITE) mode |= 0200;
    if (perms & APR_UEXECUTE) mode |= 0100;
    if (perms & APR_GREAD) mode |= 040;
    if (perms & APR_GWRITE) mode |= 020;
    if (perms & APR_GEXECUTE) mode |= 010;
    if (perms & APR_WREAD) mode |= 04;
    if (perms & APR_WWRITE) mode |= 02;
    if (perms & APR_WEXECUTE) mode |= 01;
    return mode;
}

apr_status_t ipcg_scan_devshm(apr_pool_t *p, const ipcg_paths_t *paths,
                              ipcg_snapshot_t *snap)
{
    apr_dir_t *dir;
    apr_finfo_t dent;
    apr_status_t rv;
    apr_pool_t *sub;

    rv = apr_dir_open(&dir, paths->devshm, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    snap->kinds_read |= (1 << IPCG_POSIX_SHM) | (1 << IPCG_POSIX_SEM);
    apr_pool_create(&sub, p);
    for (;;) {
        apr_finfo_t fi;
        ipcg_obj_t obj;
        const char *full;

        rv = apr_dir_read(&dent, APR_FINFO_NAME, dir);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;                      /* APR_ENOENT: the end */
        }
        if (dent.name == NULL || strcmp(dent.name, ".") == 0
            || strcmp(dent.name, "..") == 0) {
            continue;
        }
        apr_pool_clear(sub);
        full = apr_pstrcat(sub, paths->devshm, "/", dent.name, NULL);
        rv = apr_stat(&fi, full,
                      APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_INODE
                      | APR_FINFO_OWNER | APR_FINFO_PROT | APR_FINFO_SIZE
                      | APR_FINFO_CTIME | APR_FINFO_MTIME,
                      sub);
        /* a symlink, directory or fifo is no shm object; a file gone since
         * the listing is simply not there any more */
        if ((rv != APR_SUCCESS && rv != APR_INCOMPLETE)
            || fi.filetype != APR_REG) {
            continue;
        }
        memset(&obj, 0, sizeof(obj));
        obj.kind = strncmp(dent.name, "sem.", 4) == 0 ? IPCG_POSIX_SEM
                                                       : IPCG_POSIX_SHM;
        obj.id = -1;
        obj.mode = unix_mode(fi.protection);
        obj.uid = obj.cuid = (apr_uint32_t)fi.user;
        obj.gid = obj.cgid = (apr_uint32_t)fi.group;
        obj.size = (apr_uint64_t)fi.size;
        obj.ino = (apr_uint64_t)fi.inode;
        obj.ctime = apr_time_sec(fi.ctime);
        obj.otime = apr_time_sec(fi.mtime);
        obj.cls = IPCG_CLASS_FOREIGN;
        ipcg_strlcpy(obj.module, "unknown", sizeof(obj.module));
        if (ipcg_strlcpy(obj.name, dent.name, sizeof(obj.name))) {
            /* never keep a cut name: it could match a different file */
            snap->bad_lines++;
            continue;
        }
        *(ipcg_obj_t *)apr_array_push(snap->objs) = obj;
    }
    apr_pool_destroy(sub);
    apr_dir_close(dir);
    return APR_SUCCESS;
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

/* ---- change detection ---- */

/* glibc leaves union semun to the caller */
union sig_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *info;
};

void ipcg_scan_signature(apr_pool_t *p, const ipcg_paths_t *paths,
                         ipcg_signature_t *sig)
{
    struct seminfo si;
    struct shm_info shi;
    struct msginfo mi;
    union sig_semun arg;
    struct statvfs vfs;
    apr_finfo_t fi;
    int high;

    memset(sig, 0, sizeof(*sig));
    memset(&si, 0, sizeof(si));
    arg.info = &si;
    /* the return value of the *_INFO commands is the highest index used */
    high = semctl(0, 0, SEM_INFO, arg);
    if (high >= 0) {
        sig->read |= 1 << IPCG_SYSV_SEM;
        sig->high[IPCG_SYSV_SEM] = high;
        sig->n1[IPCG_SYSV_SEM] = (apr_uint64_t)si.semusz;  /* sets */
        sig->n2[IPCG_SYSV_SEM] = (apr_uint64_t)si.semaem;  /* semaphores */
    }
    memset(&shi, 0, sizeof(shi));
    high = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&shi);
    if (high >= 0) {
        sig->read |= 1 << IPCG_SYSV_SHM;
        sig->high[IPCG_SYSV_SHM] = high;
        sig->n1[IPCG_SYSV_SHM] = (apr_uint64_t)shi.used_ids;
        sig->n2[IPCG_SYSV_SHM] = (apr_uint64_t)shi.shm_tot;  /* pages */
    }
    memset(&mi, 0, sizeof(mi));
    high = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);
    if (high >= 0) {
        sig->read |= 1 << IPCG_SYSV_MSG;
        sig->high[IPCG_SYSV_MSG] = high;
        sig->n1[IPCG_SYSV_MSG] = (apr_uint64_t)mi.msgpool;   /* queues */
        sig->n2[IPCG_SYSV_MSG] = (apr_uint64_t)mi.msgmap;    /* messages */
        sig->n3[IPCG_SYSV_MSG] = (apr_uint64_t)mi.msgtql;    /* bytes */
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
        union sig_semun arg;
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
