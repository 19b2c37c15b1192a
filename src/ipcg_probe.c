/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Live questions to the kernel about one object, and its removal. */

#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_proc.h"

static void add_pid(ipcg_use_t *use, apr_int64_t pid)
{
    int i;

    if (pid <= 0) {
        return;
    }
    for (i = 0; i < use->npids; i++) {
        if (use->pids[i] == pid) {
            return;
        }
    }
    if (use->npids == IPCG_PROBE_MAX_PIDS) {
        use->pids_truncated = 1;
        return;
    }
    use->pids[use->npids++] = pid;
}

static void fill_perm(ipcg_obj_t *o, const struct ipc_perm *perm)
{
    o->key = (apr_int32_t)perm->__key;
    o->uid = perm->uid;
    o->gid = perm->gid;
    o->cuid = perm->cuid;
    o->cgid = perm->cgid;
    o->mode = perm->mode & 07777;
}

/* After a failed IPC_STAT: an object that is gone is no error (exists
 * stays 0). */
static apr_status_t stat_failed(void)
{
    return (errno == EINVAL || errno == EIDRM) ? APR_SUCCESS
                                               : APR_FROM_OS_ERROR(errno);
}

/* What every SysV object's IPC_STAT tells, and the two pids it names. */
static void found(ipcg_use_t *use, const struct ipc_perm *perm,
                  apr_uint64_t size, apr_int64_t ctime, apr_int64_t cpid,
                  apr_int64_t lpid)
{
    use->exists = 1;
    fill_perm(&use->now, perm);
    use->now.size = size;
    use->now.ctime = ctime;
    use->now.cpid = cpid;
    use->now.lpid = lpid;
    add_pid(use, cpid);
    add_pid(use, lpid);
}

static apr_status_t probe_sem(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct semid_ds ds;
    union ipcg_semun arg;
    int id = (int)obj->id;
    unsigned long i;

    arg.buf = &ds;
    if (semctl(id, 0, IPC_STAT, arg) == -1) {
        return stat_failed();
    }
    use->exists = 1;
    fill_perm(&use->now, &ds.sem_perm);
    use->now.size = ds.sem_nsems;
    use->now.ctime = ds.sem_ctime;
    use->now.otime = ds.sem_otime;
    for (i = 0; i < ds.sem_nsems; i++) {
        int pid = semctl(id, (int)i, GETPID);
        int ncnt = semctl(id, (int)i, GETNCNT);
        int zcnt = semctl(id, (int)i, GETZCNT);
        if (pid == -1 || ncnt == -1 || zcnt == -1) {
            apr_status_t rv = stat_failed();
            if (rv == APR_SUCCESS) {
                use->exists = 0;            /* gone meanwhile */
            }
            return rv;
        }
        use->waiters += (apr_uint64_t)ncnt + (apr_uint64_t)zcnt;
        add_pid(use, pid);
    }
    return APR_SUCCESS;
}

apr_int64_t ipcg_probe_sem_maker(const ipcg_obj_t *obj)
{
    struct semid_ds ds;
    union ipcg_semun arg;
    int id = (int)obj->id;
    unsigned long i;

    arg.buf = &ds;
    if (semctl(id, 0, IPC_STAT, arg) == -1
        || (apr_int64_t)ds.sem_ctime != obj->ctime) {
        return 0;                   /* gone, or another set on the id */
    }
    for (i = 0; i < ds.sem_nsems; i++) {
        int pid = semctl(id, (int)i, GETPID);
        if (pid != 0) {
            return pid > 0 ? pid : 0;
        }
    }
    return 0;
}

static apr_status_t probe_shm(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct shmid_ds ds;

    if (shmctl((int)obj->id, IPC_STAT, &ds) == -1) {
        return stat_failed();
    }
    found(use, &ds.shm_perm, ds.shm_segsz, ds.shm_ctime, ds.shm_cpid,
          ds.shm_lpid);
    use->now.otime = ds.shm_atime;
    use->now.nattch = ds.shm_nattch;
    use->nattch = ds.shm_nattch;
    return APR_SUCCESS;
}

static apr_status_t probe_msg(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct msqid_ds ds;

    if (msgctl((int)obj->id, IPC_STAT, &ds) == -1) {
        return stat_failed();
    }
    found(use, &ds.msg_perm, ds.__msg_cbytes, ds.msg_ctime, ds.msg_lspid,
          ds.msg_lrpid);
    use->now.nattch = ds.msg_qnum;
    return APR_SUCCESS;
}

static apr_status_t probe_posix(apr_pool_t *p, const ipcg_paths_t *paths,
                                const ipcg_obj_t *obj, ipcg_use_t *use)
{
    apr_finfo_t fi;
    apr_status_t rv;

    if (obj->name[0] == '\0' || strchr(obj->name, '/') != NULL
        || strcmp(obj->name, ".") == 0 || strcmp(obj->name, "..") == 0) {
        return APR_EINVAL;
    }
    rv = apr_stat(&fi, apr_pstrcat(p, paths->devshm, "/", obj->name, NULL),
                  APR_FINFO_LINK | APR_FINFO_TYPE | APR_FINFO_INODE
                  | APR_FINFO_OWNER | APR_FINFO_SIZE | APR_FINFO_CTIME,
                  p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        return rv;
    }
    use->exists = 1;
    use->now.uid = use->now.cuid = (apr_uint32_t)fi.user;
    use->now.gid = use->now.cgid = (apr_uint32_t)fi.group;
    use->now.size = (apr_uint64_t)fi.size;
    use->now.ino = (apr_uint64_t)fi.inode;
    use->now.ctime = apr_time_sec(fi.ctime);
    if (fi.filetype != APR_REG) {
        /* a symlink or anything else where the object was: not the same */
        use->now.ino = 0;
    }
    return APR_SUCCESS;
}

/* What a probe knows before it asks: the record, nothing in use. */
static void use_init(ipcg_use_t *use, const ipcg_obj_t *obj)
{
    memset(use, 0, sizeof(*use));
    use->now = *obj;
    use->now.nattch = 0;
}

apr_status_t ipcg_probe_sysv(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    use_init(use, obj);
    switch (obj->kind) {
    case IPCG_SYSV_SEM:
        return probe_sem(obj, use);
    case IPCG_SYSV_SHM:
        return probe_shm(obj, use);
    case IPCG_SYSV_MSG:
        return probe_msg(obj, use);
    default:
        return APR_EINVAL;
    }
}

apr_status_t ipcg_probe(apr_pool_t *p, const ipcg_paths_t *paths,
                        const ipcg_obj_t *obj, ipcg_use_t *use)
{
    if (obj->kind != IPCG_POSIX_SHM && obj->kind != IPCG_POSIX_SEM) {
        return ipcg_probe_sysv(obj, use);
    }
    use_init(use, obj);
    return probe_posix(p, paths, obj, use);
}

/* The first @a needle (not empty) in the @a len bytes at @a s, or NULL. */
static const char *find_in(const char *s, apr_size_t len, const char *needle)
{
    apr_size_t n = strlen(needle);
    const char *end = s + len;

    while ((apr_size_t)(end - s) >= n) {
        const char *c = memchr(s, needle[0], (apr_size_t)(end - s) - n + 1);
        if (c == NULL) {
            return NULL;
        }
        if (memcmp(c, needle, n) == 0) {
            return c;
        }
        s = c + 1;
    }
    return NULL;
}

/* Note the inode of every /dev/shm file in one maps file. The prefix is
 * looked for in each line only: a search through the rest of the text
 * would make a process with many mappings cost their square. */
/* Is the "major:minor" (hex) device field at @a s another device than
 * /dev/shm's? Unreadable fields count as the same device: keeping a file
 * is the safe side. A process in another mount namespace maps files of
 * its own /dev/shm under the same names and inode numbers. */
static int other_device(const char *s, dev_t shm_dev)
{
    char *end = NULL;
    apr_int64_t maj, min;

    maj = apr_strtoi64(s, &end, 16);
    if (end == s || *end != ':' || maj < 0) {
        return 0;
    }
    s = end + 1;
    min = apr_strtoi64(s, &end, 16);
    if (end == s || *end != ' ' || min < 0) {
        return 0;
    }
    return (apr_uint64_t)maj != (apr_uint64_t)major(shm_dev)
           || (apr_uint64_t)min != (apr_uint64_t)minor(shm_dev);
}

/* The first pid found for inode @a ino is its user. */
static void add_user(apr_pool_t *p, apr_hash_t *users, apr_uint64_t ino,
                     apr_int64_t pid)
{
    apr_uint64_t *k;
    apr_int64_t *v;

    if (apr_hash_get(users, &ino, sizeof(ino)) != NULL) {
        return;
    }
    k = apr_palloc(p, sizeof(*k));
    v = apr_palloc(p, sizeof(*v));
    *k = ino;
    *v = pid;
    apr_hash_set(users, k, sizeof(*k), v);
}

static void maps_users(apr_pool_t *p, const char *text, const char *prefix,
                       apr_int64_t pid, dev_t shm_dev, apr_hash_t *users)
{
    const char *line = text;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        apr_size_t len = nl ? (apr_size_t)(nl - line) : strlen(line);
        const char *path = find_in(line, len, prefix);
        if (path) {
            /* "addr perms offset dev inode path": inode is the 5th */
            char buf[32];
            const char *s = line, *dev = NULL;
            int field;
            for (field = 0; field < 4 && s; field++) {
                s = strchr(s, ' ');
                while (s && *s == ' ') s++;
                if (field == 2) {
                    dev = s;
                }
            }
            if (dev && dev < path && other_device(dev, shm_dev)) {
                s = NULL;
            }
            if (s && (apr_size_t)(path - s) < sizeof(buf) && path > s) {
                apr_uint64_t ino;
                char *sp;
                memcpy(buf, s, (apr_size_t)(path - s));
                buf[path - s] = '\0';
                sp = strchr(buf, ' ');
                if (sp) {
                    *sp = '\0';
                }
                if (ipcg_parse_u64(buf, &ino) == APR_SUCCESS && ino) {
                    add_user(p, users, ino, pid);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

/* One process's open descriptors on one device. */
typedef struct {
    apr_pool_t *p;
    apr_hash_t *users;
    apr_int64_t pid;
    apr_uint64_t dev;
    const char *fddir;
} fd_walk_t;

/* One open descriptor: stat follows the link to the file itself. */
static void fd_user(void *baton, apr_pool_t *sub, const apr_finfo_t *e)
{
    fd_walk_t *w = baton;
    struct stat st;

    if (e->name[0] == '.'
        || stat(apr_pstrcat(sub, w->fddir, "/", e->name, NULL), &st) != 0
        || (apr_uint64_t)st.st_dev != w->dev) {
        return;
    }
    add_user(w->p, w->users, (apr_uint64_t)st.st_ino, w->pid);
}

void ipcg_fd_users(apr_pool_t *p, apr_pool_t *tmp, const ipcg_paths_t *paths,
                   apr_int64_t pid, apr_uint64_t dev, apr_hash_t *users)
{
    fd_walk_t w;

    w.p = p;
    w.users = users;
    w.pid = pid;
    w.dev = dev;
    w.fddir = apr_psprintf(tmp, "%s/%" APR_INT64_T_FMT "/fd", paths->proc,
                           pid);
    ipcg_dir_each(tmp, w.fddir, APR_FINFO_NAME, fd_user, &w);
}

/* The walk of every process's maps and open descriptors for files in
 * /dev/shm: the first pid found for each inode. */
typedef struct {
    apr_pool_t *p;
    const ipcg_paths_t *paths;
    const char *prefix;         /* " <devshm>/" in a maps line */
    dev_t dev;                  /* /dev/shm's device */
    apr_hash_t *users;
} users_walk_t;

static void proc_users(void *baton, apr_pool_t *sub, apr_int64_t pid)
{
    users_walk_t *w = baton;
    char *text;

    if (ipcg_read_file(sub, apr_psprintf(sub, "%s/%" APR_INT64_T_FMT "/maps",
                                         w->paths->proc, pid),
                       (apr_size_t)64 * 1024 * 1024, &text, NULL)
        == APR_SUCCESS) {
        maps_users(w->p, text, w->prefix, pid, w->dev, w->users);
    }
    ipcg_fd_users(w->p, sub, w->paths, pid, (apr_uint64_t)w->dev, w->users);
}

apr_status_t ipcg_posix_users(apr_pool_t *p, const ipcg_paths_t *paths,
                              apr_hash_t **users)
{
    struct stat shm_st;
    users_walk_t w;

    *users = apr_hash_make(p);
    if (stat(paths->devshm, &shm_st) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.paths = paths;
    w.prefix = apr_pstrcat(p, " ", paths->devshm, "/", NULL);
    w.dev = shm_st.st_dev;
    w.users = *users;
    return ipcg_proc_each(p, paths, proc_users, &w);
}

apr_status_t ipcg_remove_sysv(const ipcg_obj_t *obj)
{
    int r;

    switch (obj->kind) {
    case IPCG_SYSV_SEM:
        r = semctl((int)obj->id, 0, IPC_RMID);
        break;
    case IPCG_SYSV_SHM:
        r = shmctl((int)obj->id, IPC_RMID, NULL);
        break;
    case IPCG_SYSV_MSG:
        r = msgctl((int)obj->id, IPC_RMID, NULL);
        break;
    default:
        return APR_EINVAL;
    }
    return r == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}

apr_status_t ipcg_remove(apr_pool_t *p, const ipcg_paths_t *paths,
                         const ipcg_obj_t *obj)
{
    if (obj->kind != IPCG_POSIX_SHM && obj->kind != IPCG_POSIX_SEM) {
        return ipcg_remove_sysv(obj);
    }
    if (obj->name[0] == '\0' || strchr(obj->name, '/') != NULL
        || strcmp(obj->name, ".") == 0 || strcmp(obj->name, "..") == 0) {
        return APR_EINVAL;
    }
    return apr_file_remove(apr_pstrcat(p, paths->devshm, "/", obj->name,
                                       NULL), p);
}
