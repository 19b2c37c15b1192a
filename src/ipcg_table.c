/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The shared table: single writer, lock-free readers (a seqlock). */

#include <sched.h>
#include <string.h>

#include <apr_time.h>

#include "ipcguard/ipcg_table.h"

#define TABLE_MAGIC 0x47435049u   /* "IPCG" */
#define TABLE_VERSION 3u
/* A reader yields for its first tries, then sleeps a millisecond between
 * tries, and gives up only after a second: on a busy machine the writer
 * (the parent) can lose its CPU in the middle of a publish for far longer
 * than a thousand yields take. */
#define READ_YIELDS 100
#define READ_SLEEP apr_time_from_msec(1)
#define READ_WAIT apr_time_from_sec(1)
/* how often a reader looks whether the first view has come */
#define FILL_SLEEP apr_time_from_msec(5)

struct ipcg_table_t {
    apr_uint32_t magic, version;
    apr_uint32_t seq;              /* odd while the writer is at work */
    apr_uint32_t filled;           /* 1 once the first view is published */
    apr_uint32_t cap_objs, cap_decisions, cap_procs;
    apr_uint32_t n_objs, n_decisions, n_procs;
    apr_uint64_t total_size;
    /* the report's ?auto lines, rendered by the writer (0: none) */
    apr_uint32_t auto_len, auto_uptime_at;
    apr_int64_t auto_started;
    char auto_text[IPCG_TABLE_AUTO_MAX];
    ipcg_report_t rep;
    /* followed by the three arrays, each aligned for its type */
};

static apr_size_t align_up(apr_size_t n)
{
    return (n + 15) & ~(apr_size_t)15;
}

static apr_size_t off_objs(void)
{
    return align_up(sizeof(ipcg_table_t));
}

static apr_size_t off_decisions(const ipcg_table_t *t)
{
    return off_objs() + align_up((apr_size_t)t->cap_objs * sizeof(ipcg_obj_t));
}

static apr_size_t off_procs(const ipcg_table_t *t)
{
    return off_decisions(t)
           + align_up((apr_size_t)t->cap_decisions * sizeof(ipcg_decision_t));
}

apr_size_t ipcg_table_size(apr_uint32_t cap_objs, apr_uint32_t cap_decisions,
                           apr_uint32_t cap_procs)
{
    return off_objs() + align_up((apr_size_t)cap_objs * sizeof(ipcg_obj_t))
           + align_up((apr_size_t)cap_decisions * sizeof(ipcg_decision_t))
           + align_up((apr_size_t)cap_procs * sizeof(ipcg_proc_t));
}

ipcg_table_t *ipcg_table_init(void *mem, apr_size_t size,
                              apr_uint32_t cap_objs,
                              apr_uint32_t cap_decisions,
                              apr_uint32_t cap_procs)
{
    if (mem == NULL
        || size < ipcg_table_size(cap_objs, cap_decisions, cap_procs)) {
        return NULL;
    }
    memset(mem, 0, sizeof(ipcg_table_t));
    return ipcg_table_init_zeroed(mem, size, cap_objs, cap_decisions,
                                  cap_procs);
}

ipcg_table_t *ipcg_table_init_zeroed(void *mem, apr_size_t size,
                                     apr_uint32_t cap_objs,
                                     apr_uint32_t cap_decisions,
                                     apr_uint32_t cap_procs)
{
    ipcg_table_t *t = mem;

    if (mem == NULL
        || size < ipcg_table_size(cap_objs, cap_decisions, cap_procs)) {
        return NULL;
    }
    t->magic = TABLE_MAGIC;
    t->version = TABLE_VERSION;
    t->cap_objs = cap_objs;
    t->cap_decisions = cap_decisions;
    t->cap_procs = cap_procs;
    t->total_size = size;
    return t;
}

static void copy_in(char *base, apr_size_t off, apr_uint32_t cap,
                    const apr_array_header_t *arr, apr_size_t elt,
                    apr_uint32_t *n, apr_uint64_t *dropped)
{
    apr_uint32_t count = arr ? (apr_uint32_t)arr->nelts : 0;

    if (count > cap) {
        if (dropped) {
            *dropped += count - cap;
        }
        count = cap;
    }
    if (count) {
        memcpy(base + off, arr->elts, (apr_size_t)count * elt);
    }
    *n = count;
}

void ipcg_table_publish(ipcg_table_t *t, ipcg_view_t *v)
{
    char *base = (char *)t;
    apr_uint64_t dropped_objs, dropped_procs, dropped_dec = 0;

    __atomic_add_fetch(&t->seq, 1, __ATOMIC_ACQ_REL);   /* now odd */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    t->rep = v->rep;
    dropped_objs = t->rep.objs_dropped;
    dropped_procs = t->rep.procs_dropped;
    copy_in(base, off_objs(), t->cap_objs, v->objs, sizeof(ipcg_obj_t),
            &t->n_objs, &dropped_objs);
    copy_in(base, off_decisions(t), t->cap_decisions, v->decisions,
            sizeof(ipcg_decision_t), &t->n_decisions, &dropped_dec);
    copy_in(base, off_procs(t), t->cap_procs, v->procs, sizeof(ipcg_proc_t),
            &t->n_procs, &dropped_procs);
    t->rep.objs_dropped = v->rep.objs_dropped = dropped_objs;
    t->rep.procs_dropped = v->rep.procs_dropped = dropped_procs;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_add_fetch(&t->seq, 1, __ATOMIC_RELEASE);   /* even again */
    __atomic_store_n(&t->filled, 1, __ATOMIC_RELEASE);
}

int ipcg_table_filled(const ipcg_table_t *t)
{
    return t != NULL && __atomic_load_n(&t->filled, __ATOMIC_ACQUIRE) != 0;
}

apr_status_t ipcg_table_wait_filled(const ipcg_table_t *t,
                                    apr_interval_time_t max)
{
    apr_time_t until = apr_time_now() + max;

    if (t == NULL || t->magic != TABLE_MAGIC || t->version != TABLE_VERSION) {
        return APR_EINVAL;
    }
    while (!ipcg_table_filled(t)) {
        if (apr_time_now() >= until) {
            return APR_EAGAIN;
        }
        apr_sleep(FILL_SLEEP);
    }
    return APR_SUCCESS;
}

static apr_array_header_t *copy_out(apr_pool_t *p, const char *src,
                                    apr_uint32_t n, apr_size_t elt)
{
    apr_array_header_t *a = apr_array_make(p, n ? (int)n : 1, (int)elt);

    if (n) {
        memcpy(a->elts, src, (apr_size_t)n * elt);
        a->nelts = (int)n;
    }
    return a;
}

/* Wait before retry number @a tries: a yield for the first READ_YIELDS,
 * then a millisecond's sleep; 0 once READ_WAIT has passed since then. */
static int back_off(int tries, apr_time_t *start)
{
    if (tries <= READ_YIELDS) {
        sched_yield();
        return 1;
    }
    if (tries == READ_YIELDS + 1) {
        *start = apr_time_now();
    }
    else if (apr_time_now() - *start > READ_WAIT) {
        return 0;
    }
    apr_sleep(READ_SLEEP);
    return 1;
}

apr_status_t ipcg_table_read(ipcg_table_t *t, apr_pool_t *p, ipcg_view_t *v)
{
    const char *base = (const char *)t;
    apr_time_t start = 0;
    apr_pool_t *copy;
    int tries;

    if (t == NULL || t->magic != TABLE_MAGIC || t->version != TABLE_VERSION) {
        return APR_EINVAL;
    }
    /* copies torn by a publish are thrown away, not piled up in p */
    apr_pool_create(&copy, p);
    for (tries = 0; tries == 0 || back_off(tries, &start); tries++) {
        apr_uint32_t s1, s2, no, nd, np;

        s1 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            continue;       /* the writer is at work */
        }
        no = t->n_objs;
        nd = t->n_decisions;
        np = t->n_procs;
        if (no > t->cap_objs || nd > t->cap_decisions || np > t->cap_procs) {
            continue;       /* torn: the counts are being rewritten */
        }
        v->rep = t->rep;
        v->objs = copy_out(copy, base + off_objs(), no, sizeof(ipcg_obj_t));
        v->decisions = copy_out(copy, base + off_decisions(t), nd,
                                sizeof(ipcg_decision_t));
        v->procs = copy_out(copy, base + off_procs(t), np,
                            sizeof(ipcg_proc_t));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 == s2) {
            return APR_SUCCESS;
        }
        apr_pool_clear(copy);
    }
    return APR_EAGAIN;
}

apr_status_t ipcg_table_read_report(ipcg_table_t *t, ipcg_report_t *rep)
{
    apr_time_t start = 0;
    int tries;

    if (t == NULL || t->magic != TABLE_MAGIC || t->version != TABLE_VERSION) {
        return APR_EINVAL;
    }
    for (tries = 0; tries == 0 || back_off(tries, &start); tries++) {
        apr_uint32_t s1, s2;

        s1 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            continue;       /* the writer is at work */
        }
        *rep = t->rep;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 == s2) {
            return APR_SUCCESS;
        }
    }
    return APR_EAGAIN;
}

apr_status_t ipcg_table_publish_auto(ipcg_table_t *t, const char *text,
                                     apr_size_t len, apr_size_t uptime_at,
                                     apr_int64_t started)
{
    int fits = len <= sizeof(t->auto_text) && uptime_at <= len;

    __atomic_add_fetch(&t->seq, 1, __ATOMIC_ACQ_REL);   /* now odd */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    if (fits) {
        memcpy(t->auto_text, text, len);
    }
    t->auto_len = fits ? (apr_uint32_t)len : 0;
    t->auto_uptime_at = fits ? (apr_uint32_t)uptime_at : 0;
    t->auto_started = started;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_add_fetch(&t->seq, 1, __ATOMIC_RELEASE);   /* even again */
    return fits ? APR_SUCCESS : APR_ENOSPC;
}

apr_status_t ipcg_table_read_auto(ipcg_table_t *t, char *buf, apr_size_t cap,
                                  apr_size_t *len, apr_size_t *uptime_at,
                                  apr_int64_t *started)
{
    apr_time_t start = 0;
    int tries;

    if (t == NULL || t->magic != TABLE_MAGIC || t->version != TABLE_VERSION) {
        return APR_EINVAL;
    }
    for (tries = 0; tries == 0 || back_off(tries, &start); tries++) {
        apr_uint32_t s1, s2, n, at;

        s1 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1) {
            continue;       /* the writer is at work */
        }
        n = t->auto_len;
        at = t->auto_uptime_at;
        if (n > sizeof(t->auto_text) || at > n) {
            continue;       /* torn */
        }
        if (n > cap) {
            return APR_ENOSPC;
        }
        memcpy(buf, t->auto_text, n);
        *started = t->auto_started;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        s2 = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
        if (s1 == s2) {
            if (n == 0) {
                return APR_ENOENT;
            }
            *len = n;
            *uptime_at = at;
            return APR_SUCCESS;
        }
    }
    return APR_EAGAIN;
}

apr_uint32_t ipcg_table_generation(const ipcg_table_t *t)
{
    return __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
}
