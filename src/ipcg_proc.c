/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Processes as /proc shows them: identity, shared memory, the tree. */

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_proc.h"

#define STAT_MAX 4096
#define STATUS_MAX ((apr_size_t)64 * 1024)
#define MAPS_MAX ((apr_size_t)64 * 1024 * 1024)

apr_status_t ipcg_parse_proc_stat(const char *text, ipcg_proc_t *pr)
{
    const char *open, *close;
    char buf[1024];
    char *f[24], *last, *tok;
    int n = 0;
    apr_size_t clen;
    apr_int64_t pid;

    /* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime cutime cstime prio nice threads
     * itrealvalue starttime ..."; comm may contain anything, so it ends
     * at the last ')' */
    open = strchr(text, '(');
    close = strrchr(text, ')');
    if (open == NULL || close == NULL || close < open
        || (apr_size_t)(open - text) >= sizeof(buf)) {
        return APR_EINVAL;
    }
    memcpy(buf, text, (apr_size_t)(open - text));
    buf[open - text] = '\0';
    tok = apr_strtok(buf, " ", &last);
    if (tok == NULL || apr_strtok(NULL, " ", &last) != NULL
        || ipcg_parse_i64(tok, &pid) != APR_SUCCESS || pid <= 0) {
        return APR_EINVAL;
    }
    memset(pr, 0, sizeof(*pr));
    pr->pid = pid;
    clen = (apr_size_t)(close - open - 1);
    if (clen >= sizeof(pr->comm)) {
        clen = sizeof(pr->comm) - 1;
    }
    memcpy(pr->comm, open + 1, clen);
    pr->comm[clen] = '\0';
    if (strlen(close + 1) >= sizeof(buf)) {
        return APR_EINVAL;
    }
    memcpy(buf, close + 1, strlen(close + 1) + 1);
    for (tok = apr_strtok(buf, " \n", &last); tok && n < 24;
         tok = apr_strtok(NULL, " \n", &last)) {
        f[n++] = tok;
    }
    /* f[0] is field 3 (state); field 22 (starttime) is f[19] */
    if (n < 20 || strlen(f[0]) != 1) {
        return APR_EINVAL;
    }
    pr->state = f[0][0];
    if (ipcg_parse_i64(f[1], &pr->ppid) != APR_SUCCESS
        || ipcg_parse_i64(f[2], &pr->pgrp) != APR_SUCCESS
        || ipcg_parse_i64(f[3], &pr->session) != APR_SUCCESS
        || ipcg_parse_u64(f[19], &pr->starttime) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    /* the counters that tell whether memory can have changed: optional,
     * 0 when absent or unreadable */
    if (ipcg_parse_u64(f[7], &pr->minflt) != APR_SUCCESS) pr->minflt = 0;
    if (ipcg_parse_u64(f[9], &pr->majflt) != APR_SUCCESS) pr->majflt = 0;
    if (n > 21) {
        if (ipcg_parse_u64(f[20], &pr->vsize) != APR_SUCCESS) pr->vsize = 0;
        if (ipcg_parse_u64(f[21], &pr->rss_pages) != APR_SUCCESS) {
            pr->rss_pages = 0;
        }
    }
    return APR_SUCCESS;
}

/* The number after "Key:" on a status line, with an optional " kB". */
static int status_value(const char *line, apr_size_t len, const char *key,
                        apr_uint64_t *v, int kb)
{
    apr_size_t kl = strlen(key);
    char buf[96];
    char *last, *num, *unit;

    if (len <= kl || strncmp(line, key, kl) != 0 || line[kl] != ':'
        || len - kl >= sizeof(buf)) {
        return 0;
    }
    memcpy(buf, line + kl + 1, len - kl - 1);
    buf[len - kl - 1] = '\0';
    num = apr_strtok(buf, " \t", &last);
    unit = num ? apr_strtok(NULL, " \t", &last) : NULL;
    if (num == NULL || ipcg_parse_u64(num, v) != APR_SUCCESS) {
        return -1;
    }
    if (kb) {
        if (unit == NULL || strcmp(unit, "kB") != 0
            || *v > APR_UINT64_MAX / 1024) {
            return -1;
        }
        *v *= 1024;
    }
    return 1;
}

apr_status_t ipcg_parse_proc_status(const char *text, ipcg_proc_t *pr)
{
    const char *line = text;
    int got_uid = 0;

    pr->rss_shmem.present = 0;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        apr_size_t len = nl ? (apr_size_t)(nl - line) : strlen(line);
        apr_uint64_t v;
        int r;

        if ((r = status_value(line, len, "RssShmem", &v, 1)) != 0) {
            if (r < 0) {
                return APR_EINVAL;
            }
            pr->rss_shmem.present = 1;
            pr->rss_shmem.v = v;
        }
        else if ((r = status_value(line, len, "Uid", &v, 0)) != 0) {
            /* "Uid: real effective saved fs": the first is the real one */
            if (r < 0) {
                return APR_EINVAL;
            }
            pr->uid = v;
            got_uid = 1;
        }
        line = nl ? nl + 1 : NULL;
    }
    return got_uid ? APR_SUCCESS : APR_EINVAL;
}

static int hexval(const char *s, const char *end, apr_uint64_t *v)
{
    apr_uint64_t x = 0;

    if (s == end || end - s > 16) {
        return 0;
    }
    for (; s < end; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
        else return 0;
        x = (x << 4) | d;
    }
    *v = x;
    return 1;
}

/* The kind of a shared mapping by its path, IPCG_MAP_NONE for a file. */
static ipcg_map_kind_e map_kind(const char *path, const char *end)
{
    apr_size_t plen = (apr_size_t)(end - path);

    if ((plen >= 9 && strncmp(path, "/dev/zero", 9) == 0)
        || (plen >= 7 && strncmp(path, "/memfd:", 7) == 0)
        || (plen >= 12 && strncmp(path, "[anon_shmem]", 12) == 0)
        || plen == 0) {
        return IPCG_MAP_ANON;
    }
    if (plen >= 5 && strncmp(path, "/SYSV", 5) == 0) {
        return IPCG_MAP_SYSV;
    }
    if (plen >= 9 && strncmp(path, "/dev/shm/", 9) == 0) {
        return IPCG_MAP_POSIX;
    }
    return IPCG_MAP_NONE;
}

/* "fd:01 1234": the device as major << 20 | minor, and the inode. */
static void map_ident(const char *dev, const char *end, apr_uint64_t *d,
                      apr_uint64_t *ino)
{
    const char *colon = memchr(dev, ':', (apr_size_t)(end - dev));
    const char *sp = memchr(dev, ' ', (apr_size_t)(end - dev));
    apr_uint64_t major = 0, minor = 0;

    *d = *ino = 0;
    if (colon == NULL || sp == NULL || colon > sp
        || !hexval(dev, colon, &major) || !hexval(colon + 1, sp, &minor)) {
        return;
    }
    *d = (major << 20) | minor;
    for (sp++; sp < end && *sp >= '0' && *sp <= '9'; sp++) {
        *ino = *ino * 10 + (apr_uint64_t)(*sp - '0');
    }
}

static void maps_reset(ipcg_proc_t *pr)
{
    pr->shared_anon = pr->shared_sysv = pr->shared_posix = 0;
    pr->map_bytes = pr->map_dev = pr->map_ino = 0;
    pr->map_kind = IPCG_MAP_NONE;
}

/* Add the shared mappings of the lines of maps in @a text to @a pr. */
static apr_status_t maps_lines(void *baton, const char *text)
{
    ipcg_proc_t *pr = baton;
    const char *line = text;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        const char *end = nl ? nl : line + strlen(line);
        const char *dash, *sp, *perms, *path, *dev = NULL;
        apr_uint64_t lo, hi, size;
        int field;

        dash = memchr(line, '-', (apr_size_t)(end - line));
        sp = memchr(line, ' ', (apr_size_t)(end - line));
        if (dash == NULL || sp == NULL || dash > sp
            || !hexval(line, dash, &lo) || !hexval(dash + 1, sp, &hi)
            || hi < lo || end - sp < 5) {
            return APR_EINVAL;
        }
        perms = sp + 1;
        size = hi - lo;
        /* the path is the sixth field: skip perms offset dev inode */
        path = perms;
        for (field = 0; field < 4 && path < end; field++) {
            while (path < end && *path != ' ') path++;
            while (path < end && *path == ' ') path++;
            if (field == 1) {
                dev = path;
            }
        }
        if (perms[3] == 's') {
            ipcg_map_kind_e k = map_kind(path, end);
            if (k == IPCG_MAP_ANON) {
                pr->shared_anon += size;
            }
            else if (k == IPCG_MAP_SYSV) {
                pr->shared_sysv += size;
            }
            else if (k == IPCG_MAP_POSIX) {
                pr->shared_posix += size;
            }
            if (k != IPCG_MAP_NONE && size > pr->map_bytes && dev) {
                pr->map_bytes = size;
                pr->map_kind = k;
                map_ident(dev, end, &pr->map_dev, &pr->map_ino);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return APR_SUCCESS;
}

apr_status_t ipcg_parse_proc_maps(const char *text, ipcg_proc_t *pr)
{
    maps_reset(pr);
    return maps_lines(pr, text);
}

apr_status_t ipcg_proc_read(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_int64_t pid, ipcg_proc_detail_e detail,
                            ipcg_proc_t *pr)
{
    const char *dir = apr_psprintf(p, "%s/%" APR_INT64_T_FMT, paths->proc,
                                   pid);
    char *text;
    apr_status_t rv;

    rv = ipcg_read_file(p, apr_pstrcat(p, dir, "/stat", NULL), STAT_MAX,
                        &text, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = ipcg_parse_proc_stat(text, pr);
    if (rv != APR_SUCCESS || detail != IPCG_PROC_MEMORY) {
        return rv;
    }
    if (ipcg_read_file(p, apr_pstrcat(p, dir, "/status", NULL), STATUS_MAX,
                       &text, NULL) == APR_SUCCESS) {
        ipcg_parse_proc_status(text, pr);
    }
    /* maps a run of lines at a time: a few tens of kilobytes for an
     * httpd with its modules, which would otherwise be copied into the
     * pool once and again as the buffer grew */
    maps_reset(pr);
    if (ipcg_read_lines(p, apr_pstrcat(p, dir, "/maps", NULL), maps_lines,
                        pr) != APR_SUCCESS) {
        maps_reset(pr);
    }
    return APR_SUCCESS;
}

typedef struct {
    ipcg_proc_fn *fn;
    void *baton;
} proc_walk_t;

static void proc_entry(void *baton, apr_pool_t *sub, const apr_finfo_t *e)
{
    proc_walk_t *w = baton;
    apr_int64_t pid;

    if (ipcg_parse_i64(e->name, &pid) == APR_SUCCESS && pid > 0) {
        w->fn(w->baton, sub, pid);
    }
}

apr_status_t ipcg_proc_each(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_proc_fn *fn, void *baton)
{
    proc_walk_t w;

    w.fn = fn;
    w.baton = baton;
    return ipcg_dir_each(p, paths->proc, APR_FINFO_NAME, proc_entry, &w);
}

typedef struct {
    const ipcg_paths_t *paths;
    apr_array_header_t *procs;
} proc_list_t;

static void list_one(void *baton, apr_pool_t *sub, apr_int64_t pid)
{
    proc_list_t *l = baton;
    ipcg_proc_t pr;

    /* a process may exit between the listing and the read */
    if (ipcg_proc_read(sub, l->paths, pid, IPCG_PROC_IDENTITY, &pr)
        == APR_SUCCESS) {
        *(ipcg_proc_t *)apr_array_push(l->procs) = pr;
    }
}

apr_status_t ipcg_proc_list(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_array_header_t **procs)
{
    proc_list_t l;
    apr_status_t rv;

    l.paths = paths;
    /* grown as needed: a bigger start is zeroed whole, and each of its
     * pages costs a fault in a parent that has just forked */
    l.procs = apr_array_make(p, 64, sizeof(ipcg_proc_t));
    rv = ipcg_proc_each(p, paths, list_one, &l);
    if (rv == APR_SUCCESS) {
        *procs = l.procs;
    }
    return rv;
}

apr_array_header_t *ipcg_proc_tree(apr_pool_t *p,
                                   const apr_array_header_t *procs,
                                   apr_int64_t root)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    const ipcg_proc_t *all = (const ipcg_proc_t *)procs->elts;
    int i, head = 0;

    for (i = 0; i < procs->nelts; i++) {
        if (all[i].pid == root) {
            *(ipcg_proc_t *)apr_array_push(out) = all[i];
            break;
        }
    }
    /* breadth first: each found process's children join the queue; a pid
     * cannot be its own ancestor, so this ends */
    while (head < out->nelts) {
        apr_int64_t parent = APR_ARRAY_IDX(out, head, ipcg_proc_t).pid;
        head++;
        for (i = 0; i < procs->nelts; i++) {
            if (all[i].ppid == parent && all[i].pid != parent) {
                *(ipcg_proc_t *)apr_array_push(out) = all[i];
            }
        }
    }
    return out;
}

int ipcg_proc_alive(apr_pool_t *p, const ipcg_paths_t *paths,
                    apr_int64_t pid, apr_uint64_t starttime)
{
    ipcg_proc_t pr;
    apr_status_t rv;
    apr_pool_t *sub;
    int alive;

    if (pid <= 0) {
        return 0;
    }
    apr_pool_create(&sub, p);
    rv = ipcg_proc_read(sub, paths, pid, IPCG_PROC_IDENTITY, &pr);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOENT(rv)) {
        alive = -1;
    }
    else if (rv != APR_SUCCESS || pr.state == 'Z' || pr.state == 'X') {
        /* gone, or a zombie: it holds no IPC object and runs no code */
        alive = 0;
    }
    else {
        alive = (starttime == 0 || pr.starttime == starttime) ? 1 : 0;
    }
    apr_pool_destroy(sub);
    return alive;
}

apr_status_t ipcg_boot_id(apr_pool_t *p, const ipcg_paths_t *paths,
                          char *buf, apr_size_t len)
{
    char *text, *nl;
    apr_status_t rv;

    rv = ipcg_read_file(p, apr_pstrcat(p, paths->proc,
                                       "/sys/kernel/random/boot_id", NULL),
                        256, &text, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
    }
    if (*text == '\0' || ipcg_strlcpy(buf, text, len)) {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

#define DELETED_SUFFIX " (deleted)"

static const char *strip_deleted(apr_pool_t *p, const char *path,
                                 int *deleted)
{
    apr_size_t n = strlen(path), sl = sizeof(DELETED_SUFFIX) - 1;

    if (n > sl && strcmp(path + n - sl, DELETED_SUFFIX) == 0) {
        if (deleted) {
            *deleted = 1;
        }
        return apr_pstrndup(p, path, n - sl);
    }
    return path;
}

void ipcg_exe_init(apr_pool_t *p, const char *path, ipcg_exe_t *exe)
{
    struct stat st;

    memset(exe, 0, sizeof(*exe));
    if (path == NULL || *path == '\0') {
        return;
    }
    exe->path = strip_deleted(p, apr_pstrdup(p, path), NULL);
    if (stat(path, &st) == 0) {
        exe->have_ino = 1;
        exe->dev = (apr_uint64_t)st.st_dev;
        exe->ino = (apr_uint64_t)st.st_ino;
    }
}

const char *ipcg_proc_exe(apr_pool_t *p, const ipcg_paths_t *paths,
                          apr_int64_t pid, int *deleted)
{
    char buf[1024];
    ssize_t n;

    if (deleted) {
        *deleted = 0;
    }
    n = readlink(apr_psprintf(p, "%s/%" APR_INT64_T_FMT "/exe", paths->proc,
                              pid), buf, sizeof(buf) - 1);
    if (n <= 0) {
        return NULL;
    }
    buf[n] = '\0';
    return strip_deleted(p, apr_pstrdup(p, buf), deleted);
}

/* Whether a maps text names libapr-1 (any version, any directory). */
static int maps_apr(const char *text)
{
    const char *s = text;

    while ((s = strstr(s, "/libapr-1.so")) != NULL) {
        const char *bol = s;
        while (bol > text && bol[-1] != '\n') {
            bol--;
        }
        /* a mapped file: the path is the line's last field */
        if (strchr(bol, ' ') != NULL && strchr(bol, ' ') < s) {
            return 1;
        }
        s++;
    }
    return 0;
}

int ipcg_proc_is_httpd(apr_pool_t *p, const ipcg_paths_t *paths,
                       apr_int64_t pid, const ipcg_exe_t *httpd)
{
    apr_pool_t *sub;
    const char *exe, *dir;
    char *text;
    struct stat st;
    int yes;

    apr_pool_create(&sub, p);
    dir = apr_psprintf(sub, "%s/%" APR_INT64_T_FMT, paths->proc, pid);
    exe = ipcg_proc_exe(sub, paths, pid, NULL);
    /* by path, also after the binary was replaced */
    yes = exe && httpd && httpd->path && strcmp(exe, httpd->path) == 0;
    /* by the file: stat follows the link to the binary it runs, even a
     * deleted one */
    yes = yes
          || (httpd && httpd->have_ino
              && stat(apr_pstrcat(sub, dir, "/exe", NULL), &st) == 0
              && (apr_uint64_t)st.st_dev == httpd->dev
              && (apr_uint64_t)st.st_ino == httpd->ino);
    /* an APR program: an httpd from another install path */
    yes = yes
          || (ipcg_read_file(sub, apr_pstrcat(sub, dir, "/maps", NULL),
                             MAPS_MAX, &text, NULL) == APR_SUCCESS
              && maps_apr(text));
    apr_pool_destroy(sub);
    return yes;
}

/* ---- the memo of processes' memory ---- */

struct ipcg_proc_memo_t {
    apr_pool_t *pool;
    apr_pool_t *last_pool, *cur_pool;
    apr_hash_t *last, *cur;        /* pid (apr_int64_t) -> ipcg_proc_t */
    apr_uint64_t reads, reused;
};

ipcg_proc_memo_t *ipcg_proc_memo_create(apr_pool_t *p)
{
    ipcg_proc_memo_t *m;
    apr_pool_t *sub;

    apr_pool_create(&sub, p);
    m = apr_pcalloc(sub, sizeof(*m));
    m->pool = sub;
    apr_pool_create(&m->last_pool, sub);
    apr_pool_create(&m->cur_pool, sub);
    m->last = apr_hash_make(m->last_pool);
    m->cur = apr_hash_make(m->cur_pool);
    return m;
}

static int same_counters(const ipcg_proc_t *a, const ipcg_proc_t *b)
{
    return a->starttime == b->starttime && a->minflt == b->minflt
           && a->majflt == b->majflt && a->vsize == b->vsize
           && a->rss_pages == b->rss_pages;
}

apr_status_t ipcg_proc_read_memo(apr_pool_t *p, const ipcg_paths_t *paths,
                                 ipcg_proc_memo_t *m, const ipcg_proc_t *st,
                                 ipcg_proc_t *pr)
{
    const ipcg_proc_t *old = apr_hash_get(m->last, &st->pid,
                                          sizeof(st->pid));
    ipcg_proc_t *keep;
    apr_status_t rv;

    if (old && same_counters(old, st)) {
        *pr = *st;
        pr->uid = old->uid;
        pr->rss_shmem = old->rss_shmem;
        pr->shared_anon = old->shared_anon;
        pr->shared_sysv = old->shared_sysv;
        pr->shared_posix = old->shared_posix;
        m->reused++;
    }
    else {
        rv = ipcg_proc_read(p, paths, st->pid, IPCG_PROC_MEMORY, pr);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        /* remember the counters seen before the read: if they moved
         * while it ran, the next round reads again */
        pr->minflt = st->minflt;
        pr->majflt = st->majflt;
        pr->vsize = st->vsize;
        pr->rss_pages = st->rss_pages;
        if (pr->starttime != st->starttime) {
            return APR_ENOENT;        /* the pid was reused in between */
        }
        m->reads++;
    }
    keep = apr_pmemdup(m->cur_pool, pr, sizeof(*pr));
    apr_hash_set(m->cur, &keep->pid, sizeof(keep->pid), keep);
    return APR_SUCCESS;
}

void ipcg_proc_memo_round(ipcg_proc_memo_t *m, ipcg_memo_round_e what)
{
    apr_pool_t *tmp = m->last_pool;

    /* what this round read becomes what the next one compares with */
    apr_pool_clear(tmp);
    m->last_pool = m->cur_pool;
    m->last = m->cur;
    m->cur_pool = tmp;
    m->cur = apr_hash_make(m->cur_pool);
    if (what == IPCG_MEMO_FORGET_ALL) {
        apr_pool_clear(m->last_pool);
        m->last = apr_hash_make(m->last_pool);
    }
}

void ipcg_proc_memo_counts(const ipcg_proc_memo_t *m, apr_uint64_t *read,
                           apr_uint64_t *reused)
{
    *read = m->reads;
    *reused = m->reused;
}

apr_int64_t ipcg_proc_born(apr_pool_t *p, const ipcg_paths_t *paths,
                           apr_uint64_t starttime)
{
    char *text, *at, *end;
    apr_size_t len;
    apr_int64_t btime;
    long hz = sysconf(_SC_CLK_TCK);

    if (hz <= 0
        || ipcg_read_file(p, apr_pstrcat(p, paths->proc, "/stat", NULL),
                          1 << 20, &text, &len) != APR_SUCCESS) {
        return -1;
    }
    for (at = text; (at = strstr(at, "btime ")) != NULL; at++) {
        if (at == text || at[-1] == '\n') {
            break;
        }
    }
    if (at == NULL) {
        return -1;
    }
    at += sizeof("btime ") - 1;
    btime = apr_strtoi64(at, &end, 10);
    if (end == at || btime <= 0 || (*end != '\n' && *end != '\0')) {
        return -1;
    }
    return btime + (apr_int64_t)(starttime / (apr_uint64_t)hz);
}
