/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Names of kinds, phases and classes, and object identity. */

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipcguard/ipcg_obj.h"

static const char *const kind_names[IPCG_KIND_COUNT] = {
    "sysv-sem", "sysv-shm", "sysv-msg", "posix-shm", "posix-sem"
};

static const char *const phase_names[IPCG_PHASE_COUNT] = {
    "unknown", "pre_config", "post_config", "open_logs", "pre_mpm",
    "child_init", "runtime"
};

static const char *const class_names[IPCG_CLASS_COUNT] = {
    "instance", "application", "foreign"
};

static int lookup(const char *const *names, int n, const char *name)
{
    int i;

    if (name == NULL) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *ipcg_kind_name(ipcg_kind_e kind)
{
    return ((unsigned)kind < IPCG_KIND_COUNT) ? kind_names[kind] : "unknown";
}

int ipcg_kind_parse(const char *name)
{
    return lookup(kind_names, IPCG_KIND_COUNT, name);
}

const char *ipcg_phase_name(ipcg_phase_e phase)
{
    return ((unsigned)phase < IPCG_PHASE_COUNT) ? phase_names[phase]
                                                : "unknown";
}

int ipcg_phase_parse(const char *name)
{
    return lookup(phase_names, IPCG_PHASE_COUNT, name);
}

const char *ipcg_class_name(ipcg_class_e cls)
{
    return ((unsigned)cls < IPCG_CLASS_COUNT) ? class_names[cls] : "foreign";
}

int ipcg_class_parse(const char *name)
{
    return lookup(class_names, IPCG_CLASS_COUNT, name);
}

int ipcg_obj_same(const ipcg_obj_t *a, const ipcg_obj_t *b)
{
    if (a->kind != b->kind) {
        return 0;
    }
    if (a->kind == IPCG_POSIX_SHM || a->kind == IPCG_POSIX_SEM) {
        return strcmp(a->name, b->name) == 0 && a->ino == b->ino
               && a->cuid == b->cuid;
    }
    if (a->id != b->id || a->key != b->key || a->cuid != b->cuid
        || a->ctime != b->ctime) {
        return 0;
    }
    /* a semaphore set never changes its size; a segment never does either;
     * a message queue's byte count does, so it is no identity. */
    if (a->kind != IPCG_SYSV_MSG && a->size != b->size) {
        return 0;
    }
    return 1;
}

int ipcg_strlcpy(char *dst, const char *src, apr_size_t len)
{
    apr_size_t n;

    if (len == 0) {
        return 1;
    }
    n = strlen(src);
    if (n >= len) {
        memcpy(dst, src, len - 1);
        dst[len - 1] = '\0';
        return 1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

void ipcg_populate(void *at, apr_size_t len)
{
#ifdef MADV_POPULATE_WRITE
    long page = sysconf(_SC_PAGESIZE);
    apr_uintptr_t a = (apr_uintptr_t)at, b = a + len;

    if (page <= 0) {
        return;
    }
    a = (a + (apr_uintptr_t)page - 1) & ~((apr_uintptr_t)page - 1);
    if (b > a) {
        (void)madvise((void *)a, (size_t)(b - a), MADV_POPULATE_WRITE);
    }
#else
    (void)at;
    (void)len;
#endif
}

apr_array_header_t *ipcg_objs_make(apr_pool_t *p, int n)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(ipcg_obj_t));

    if (n > 1) {
        a->elts = apr_palloc(p, (apr_size_t)n * sizeof(ipcg_obj_t));
        a->nalloc = n;
    }
    return a;
}

/* Pages are made this many places ahead, in one call each time. */
#define POPULATE_STEP 256

ipcg_obj_t *ipcg_objs_push(apr_array_header_t *objs)
{
    if (objs->nelts < objs->nalloc) {
        ipcg_obj_t *o = &((ipcg_obj_t *)(void *)objs->elts)[objs->nelts];
        if (objs->nelts % POPULATE_STEP == 0) {
            int n = objs->nalloc - objs->nelts;
            ipcg_populate(o, (apr_size_t)(n < POPULATE_STEP ? n
                                                            : POPULATE_STEP)
                             * sizeof(*o));
        }
        objs->nelts++;
        return o;
    }
    return apr_array_push(objs);
}
