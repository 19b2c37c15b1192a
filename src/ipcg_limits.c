/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Kernel limits, /dev/shm, /proc/meminfo and /proc/user_beancounters. */

#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"

#define SMALL_FILE_MAX 4096
#define MEMINFO_MAX ((apr_size_t)64 * 1024)
#define BC_MAX ((apr_size_t)4 * 1024 * 1024)
#define BC_LINE_MAX 512

/* Read one sysctl holding a single number. */
static void read_num(apr_pool_t *p, const char *path, ipcg_num_t *out)
{
    char *text;
    char *nl;

    out->present = 0;
    if (ipcg_read_file(p, path, SMALL_FILE_MAX, &text, NULL) != APR_SUCCESS) {
        return;
    }
    nl = strchr(text, '\n');
    if (nl) {
        *nl = '\0';
    }
    if (ipcg_parse_u64(text, &out->v) == APR_SUCCESS) {
        out->present = 1;
    }
}

apr_status_t ipcg_parse_kernel_sem(const char *text, ipcg_limits_t *lim)
{
    char buf[256];
    char *f[5], *last, *tok;
    int n = 0;
    apr_uint64_t v[4];
    int i;

    if (strlen(text) >= sizeof(buf)) {
        return APR_EINVAL;
    }
    memcpy(buf, text, strlen(text) + 1);
    for (tok = apr_strtok(buf, " \t\n", &last); tok;
         tok = apr_strtok(NULL, " \t\n", &last)) {
        if (n == 4) {
            return APR_EINVAL;
        }
        f[n++] = tok;
    }
    if (n != 4) {
        return APR_EINVAL;
    }
    for (i = 0; i < 4; i++) {
        if (ipcg_parse_u64(f[i], &v[i]) != APR_SUCCESS) {
            return APR_EINVAL;
        }
    }
    lim->semmsl.v = v[0];
    lim->semmns.v = v[1];
    lim->semopm.v = v[2];
    lim->semmni.v = v[3];
    lim->semmsl.present = lim->semmns.present = lim->semopm.present
        = lim->semmni.present = 1;
    return APR_SUCCESS;
}

apr_status_t ipcg_parse_meminfo_shmem(const char *text, ipcg_num_t *out)
{
    const char *line = text;

    out->present = 0;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        apr_size_t len = nl ? (apr_size_t)(nl - line) : strlen(line);
        if (len > 6 && strncmp(line, "Shmem:", 6) == 0) {
            char buf[64];
            char *last, *num, *unit;
            apr_uint64_t kb;
            if (len >= sizeof(buf)) {
                return APR_EINVAL;
            }
            memcpy(buf, line + 6, len - 6);
            buf[len - 6] = '\0';
            /* apr_strtok must not be called again once it found nothing */
            num = apr_strtok(buf, " \t", &last);
            unit = num ? apr_strtok(NULL, " \t", &last) : NULL;
            if (num == NULL || unit == NULL || strcmp(unit, "kB") != 0
                || apr_strtok(NULL, " \t", &last) != NULL
                || ipcg_parse_u64(num, &kb) != APR_SUCCESS
                || kb > APR_UINT64_MAX / 1024) {
                return APR_EINVAL;
            }
            out->v = kb * 1024;
            out->present = 1;
            return APR_SUCCESS;
        }
        line = nl ? nl + 1 : NULL;
    }
    return APR_ENOENT;
}

apr_status_t ipcg_limits_read(apr_pool_t *p, const ipcg_paths_t *paths,
                              ipcg_limits_t *lim)
{
    const char *k = apr_pstrcat(p, paths->proc, "/sys/kernel/", NULL);
    char *text;
    struct statvfs vfs;
    long pg;

    memset(lim, 0, sizeof(*lim));
    read_num(p, apr_pstrcat(p, k, "shmmax", NULL), &lim->shmmax);
    read_num(p, apr_pstrcat(p, k, "shmall", NULL), &lim->shmall);
    read_num(p, apr_pstrcat(p, k, "shmmni", NULL), &lim->shmmni);
    read_num(p, apr_pstrcat(p, k, "msgmni", NULL), &lim->msgmni);
    read_num(p, apr_pstrcat(p, k, "msgmax", NULL), &lim->msgmax);
    read_num(p, apr_pstrcat(p, k, "msgmnb", NULL), &lim->msgmnb);
    if (ipcg_read_file(p, apr_pstrcat(p, k, "sem", NULL), SMALL_FILE_MAX,
                       &text, NULL) == APR_SUCCESS) {
        ipcg_parse_kernel_sem(text, lim);
    }
    if (ipcg_read_file(p, apr_pstrcat(p, paths->proc, "/meminfo", NULL),
                       MEMINFO_MAX, &text, NULL) == APR_SUCCESS) {
        ipcg_parse_meminfo_shmem(text, &lim->meminfo_shmem);
    }
    pg = sysconf(_SC_PAGESIZE);
    if (pg > 0) {
        lim->page_size.present = 1;
        lim->page_size.v = (apr_uint64_t)pg;
    }
    if (statvfs(paths->devshm, &vfs) == 0) {
        apr_uint64_t fr = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
        lim->devshm_size.present = lim->devshm_used.present
            = lim->devshm_avail.present = 1;
        lim->devshm_size.v = (apr_uint64_t)vfs.f_blocks * fr;
        lim->devshm_used.v = (apr_uint64_t)(vfs.f_blocks - vfs.f_bfree) * fr;
        lim->devshm_avail.v = (apr_uint64_t)vfs.f_bavail * fr;
    }
    return APR_SUCCESS;
}

/* One beancounter number; LONG_MAX (9223372036854775807) means unlimited. */
static int bc_num(const char *s, apr_uint64_t *v, int *unlimited)
{
    if (ipcg_parse_u64(s, v) != APR_SUCCESS) {
        return 0;
    }
    if (unlimited) {
        *unlimited = (*v == (apr_uint64_t)APR_INT64_MAX);
    }
    return 1;
}

/* The first line, "Version: 2.5". */
static apr_status_t bc_version(ipcg_bc_t *bc, char *buf)
{
    char *last, *tok;

    if (strncmp(buf, "Version:", 8) != 0) {
        return APR_EINVAL;
    }
    tok = apr_strtok(buf + 8, " \t", &last);
    if (tok == NULL || apr_strtok(NULL, " \t", &last) != NULL) {
        return APR_EINVAL;
    }
    ipcg_strlcpy(bc->version, tok, sizeof(bc->version));
    return APR_SUCCESS;
}

/* A row after the first line: six fields, or seven where "101:" starts a
 * container's block. A line that is no row counts in bad_lines; blank
 * lines and the column header count nowhere. */
static void bc_row(ipcg_bc_t *bc, char *buf)
{
    ipcg_bc_row_t row;
    char *f[8], *last, *tok;
    int n = 0, i = 0;

    for (tok = apr_strtok(buf, " \t\r", &last); tok && n < 8;
         tok = apr_strtok(NULL, " \t\r", &last)) {
        f[n++] = tok;
    }
    /* the column header: "uid  resource  held  maxheld ..." */
    if (n == 0 || (tok == NULL && strcmp(f[0], "uid") == 0)) {
        return;
    }
    if (tok != NULL || (n != 6 && n != 7)) {
        bc->bad_lines++;
        return;
    }
    if (n == 7) {
        apr_size_t l = strlen(f[0]);
        apr_int64_t uid;
        if (l < 2 || f[0][l - 1] != ':') {
            bc->bad_lines++;
            return;
        }
        f[0][l - 1] = '\0';
        if (ipcg_parse_i64(f[0], &uid) != APR_SUCCESS || uid < 0) {
            bc->bad_lines++;
            return;
        }
        if (bc->uid == -1) {
            bc->uid = uid;
        }
        i = 1;
    }
    memset(&row, 0, sizeof(row));
    if (ipcg_strlcpy(row.resource, f[i], sizeof(row.resource))
        || !bc_num(f[i + 1], &row.held, NULL)
        || !bc_num(f[i + 2], &row.maxheld, NULL)
        || !bc_num(f[i + 3], &row.barrier, &row.barrier_unlimited)
        || !bc_num(f[i + 4], &row.limit, &row.limit_unlimited)
        || !bc_num(f[i + 5], &row.failcnt, NULL)) {
        bc->bad_lines++;
        return;
    }
    *(ipcg_bc_row_t *)apr_array_push(bc->rows) = row;
}

apr_status_t ipcg_parse_beancounters(apr_pool_t *p, const char *text,
                                     ipcg_bc_t *bc)
{
    const char *line = text;
    int lineno = 0;

    memset(bc, 0, sizeof(*bc));
    bc->uid = -1;
    bc->rows = apr_array_make(p, 24, sizeof(ipcg_bc_row_t));
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        apr_size_t len = nl ? (apr_size_t)(nl - line) : strlen(line);
        char buf[BC_LINE_MAX + 1];

        lineno++;
        if (len > BC_LINE_MAX) {
            if (lineno == 1) {
                return APR_EINVAL;
            }
            bc->bad_lines++;
            line = nl ? nl + 1 : NULL;
            continue;
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = nl ? nl + 1 : NULL;
        if (lineno == 1) {
            if (bc_version(bc, buf) != APR_SUCCESS) {
                return APR_EINVAL;
            }
        }
        else {
            bc_row(bc, buf);
        }
    }
    if (lineno == 0) {
        return APR_EINVAL;
    }
    bc->present = 1;
    return APR_SUCCESS;
}

apr_status_t ipcg_beancounters_read(apr_pool_t *p, const char *path,
                                    ipcg_bc_t *bc)
{
    char *text;
    apr_status_t rv;

    memset(bc, 0, sizeof(*bc));
    bc->uid = -1;
    if (path == NULL || *path == '\0') {
        return APR_ENOENT;
    }
    rv = ipcg_read_file(p, path, BC_MAX, &text, NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = ipcg_parse_beancounters(p, text, bc);
    if (rv != APR_SUCCESS) {
        bc->present = 0;
    }
    return rv;
}

const ipcg_bc_row_t *ipcg_bc_find(const ipcg_bc_t *bc, const char *resource)
{
    int i;

    if (!bc->present || bc->rows == NULL) {
        return NULL;
    }
    for (i = 0; i < bc->rows->nelts; i++) {
        const ipcg_bc_row_t *r = &APR_ARRAY_IDX(bc->rows, i, ipcg_bc_row_t);
        if (strcmp(r->resource, resource) == 0) {
            return r;
        }
    }
    return NULL;
}

void ipcg_usage_compute(const ipcg_snapshot_t *snap, apr_uint64_t page_size,
                        ipcg_usage_t *u)
{
    int i;

    memset(u, 0, sizeof(*u));
    if (page_size == 0) {
        page_size = 4096;
    }
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        u->count[o->kind]++;
        switch (o->kind) {
        case IPCG_SYSV_SEM:
            u->sem_total += o->size;
            break;
        case IPCG_SYSV_SHM:
            u->shm_bytes += o->size;
            u->shm_pages += (o->size + page_size - 1) / page_size;
            break;
        case IPCG_SYSV_MSG:
            u->msg_bytes += o->size;
            break;
        default:
            u->posix_bytes += o->size;
            break;
        }
    }
}
