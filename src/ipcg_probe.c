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

/* glibc leaves union semun to the caller */
union ipcg_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

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

static apr_status_t probe_sem(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct semid_ds ds;
    union ipcg_semun arg;
    int id = (int)obj->id;
    unsigned long i;

    arg.buf = &ds;
    if (semctl(id, 0, IPC_STAT, arg) == -1) {
        if (errno == EINVAL || errno == EIDRM) {
            return APR_SUCCESS;           /* gone */
        }
        return APR_FROM_OS_ERROR(errno);
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
            if (errno == EINVAL || errno == EIDRM) {
                use->exists = 0;
                return APR_SUCCESS;
            }
            return APR_FROM_OS_ERROR(errno);
        }
        use->waiters += (apr_uint64_t)ncnt + (apr_uint64_t)zcnt;
        add_pid(use, pid);
    }
    return APR_SUCCESS;
}

static apr_status_t probe_shm(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct shmid_ds ds;

    if (shmctl((int)obj->id, IPC_STAT, &ds) == -1) {
        if (errno == EINVAL || errno == EIDRM) {
            return APR_SUCCESS;
        }
        return APR_FROM_OS_ERROR(errno);
    }
    use->exists = 1;
    fill_perm(&use->now, &ds.shm_perm);
    use->now.size = ds.shm_segsz;
    use->now.ctime = ds.shm_ctime;
    use->now.otime = ds.shm_atime;
    use->now.nattch = ds.shm_nattch;
    use->now.cpid = ds.shm_cpid;
    use->now.lpid = ds.shm_lpid;
    use->nattch = ds.shm_nattch;
    add_pid(use, ds.shm_cpid);
    add_pid(use, ds.shm_lpid);
    return APR_SUCCESS;
}

static apr_status_t probe_msg(const ipcg_obj_t *obj, ipcg_use_t *use)
{
    struct msqid_ds ds;

    if (msgctl((int)obj->id, IPC_STAT, &ds) == -1) {
        if (errno == EINVAL || errno == EIDRM) {
            return APR_SUCCESS;
        }
        return APR_FROM_OS_ERROR(errno);
    }
    use->exists = 1;
    fill_perm(&use->now, &ds.msg_perm);
    use->now.size = ds.__msg_cbytes;
    use->now.nattch = ds.msg_qnum;
    use->now.ctime = ds.msg_ctime;
    use->now.cpid = ds.msg_lspid;
    use->now.lpid = ds.msg_lrpid;
    add_pid(use, ds.msg_lspid);
    add_pid(use, ds.msg_lrpid);
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

apr_status_t ipcg_probe(apr_pool_t *p, const ipcg_paths_t *paths,
                        const ipcg_obj_t *obj, ipcg_use_t *use)
{
    memset(use, 0, sizeof(*use));
    use->now = *obj;
    use->now.nattch = 0;
    switch (obj->kind) {
    case IPCG_SYSV_SEM:
        return probe_sem(obj, use);
    case IPCG_SYSV_SHM:
        return probe_shm(obj, use);
    case IPCG_SYSV_MSG:
        return probe_msg(obj, use);
    case IPCG_POSIX_SHM:
    case IPCG_POSIX_SEM:
        return probe_posix(p, paths, obj, use);
    default:
        return APR_EINVAL;
    }
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
                    apr_uint64_t *k = apr_palloc(p, sizeof(*k));
                    apr_int64_t *v = apr_palloc(p, sizeof(*v));
                    *k = ino;
                    *v = pid;
                    if (apr_hash_get(users, k, sizeof(*k)) == NULL) {
                        apr_hash_set(users, k, sizeof(*k), v);
                    }
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

apr_status_t ipcg_posix_users(apr_pool_t *p, const ipcg_paths_t *paths,
                              apr_hash_t **users)
{
    apr_dir_t *dir;
    apr_finfo_t dent;
    apr_status_t rv;
    apr_pool_t *sub;
    struct stat shm_st;
    const char *prefix = apr_pstrcat(p, " ", paths->devshm, "/", NULL);

    *users = apr_hash_make(p);
    if (stat(paths->devshm, &shm_st) != 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    rv = apr_dir_open(&dir, paths->proc, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_pool_create(&sub, p);
    for (;;) {
        apr_int64_t pid;
        char *text;
        const char *fddir;
        apr_dir_t *fds;

        rv = apr_dir_read(&dent, APR_FINFO_NAME, dir);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;
        }
        if (dent.name == NULL || ipcg_parse_i64(dent.name, &pid) != APR_SUCCESS
            || pid <= 0) {
            continue;
        }
        apr_pool_clear(sub);
        if (ipcg_read_file(sub, apr_psprintf(sub, "%s/%s/maps", paths->proc,
                                             dent.name),
                           (apr_size_t)64 * 1024 * 1024, &text, NULL)
            == APR_SUCCESS) {
            maps_users(p, text, prefix, pid, shm_st.st_dev, *users);
        }
        /* open descriptors: stat follows the link to the file itself */
        fddir = apr_psprintf(sub, "%s/%s/fd", paths->proc, dent.name);
        if (apr_dir_open(&fds, fddir, sub) == APR_SUCCESS) {
            apr_finfo_t fdent;
            for (;;) {
                struct stat st;
                rv = apr_dir_read(&fdent, APR_FINFO_NAME, fds);
                if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
                    break;
                }
                if (fdent.name == NULL || fdent.name[0] == '.') {
                    continue;
                }
                if (stat(apr_pstrcat(sub, fddir, "/", fdent.name, NULL), &st)
                        == 0
                    && st.st_dev == shm_st.st_dev) {
                    apr_uint64_t *k = apr_palloc(p, sizeof(*k));
                    apr_int64_t *v = apr_palloc(p, sizeof(*v));
                    *k = (apr_uint64_t)st.st_ino;
                    *v = pid;
                    if (apr_hash_get(*users, k, sizeof(*k)) == NULL) {
                        apr_hash_set(*users, k, sizeof(*k), v);
                    }
                }
            }
            apr_dir_close(fds);
        }
    }
    apr_pool_destroy(sub);
    apr_dir_close(dir);
    return APR_SUCCESS;
}

apr_status_t ipcg_remove(apr_pool_t *p, const ipcg_paths_t *paths,
                         const ipcg_obj_t *obj)
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
    case IPCG_POSIX_SHM:
    case IPCG_POSIX_SEM:
        if (obj->name[0] == '\0' || strchr(obj->name, '/') != NULL
            || strcmp(obj->name, ".") == 0 || strcmp(obj->name, "..") == 0) {
            return APR_EINVAL;
        }
        return apr_file_remove(apr_pstrcat(p, paths->devshm, "/", obj->name,
                                           NULL), p);
    default:
        return APR_EINVAL;
    }
    return r == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}
