/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Proofs of death and disuse, and the cleanups built on them. */

#include <string.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "ipcguard/ipcg_log.h"
#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_registry.h"

/* Liveness answers of one cleanup: thousands of objects usually name the
 * same few dead pids. */
static apr_hash_t *alive_cache;

static int alive(apr_pool_t *p, const ipcg_reap_opts_t *o, apr_int64_t pid)
{
    int a, *cached;

    if (pid <= 0) {
        return 0;
    }
    if (o->alive) {
        return o->alive(o->alive_baton, pid);
    }
    if (alive_cache
        && (cached = apr_hash_get(alive_cache, &pid, sizeof(pid))) != NULL) {
        return *cached;
    }
    a = ipcg_proc_alive(p, o->paths, pid, 0);
    if (alive_cache) {
        apr_int64_t *k = apr_palloc(apr_hash_pool_get(alive_cache), sizeof(*k));
        cached = apr_palloc(apr_hash_pool_get(alive_cache), sizeof(*cached));
        *k = pid;
        *cached = a;
        apr_hash_set(alive_cache, k, sizeof(*k), cached);
    }
    return a;
}

static const char *exe_of(apr_pool_t *p, const ipcg_paths_t *paths,
                          apr_int64_t pid)
{
    char buf[1024];
    ssize_t n = readlink(apr_psprintf(p, "%s/%" APR_INT64_T_FMT "/exe",
                                      paths->proc, pid),
                         buf, sizeof(buf) - 1);
    if (n <= 0) {
        return NULL;
    }
    buf[n] = '\0';
    return apr_pstrdup(p, buf);
}

static void mark_tree(apr_pool_t *p, const apr_array_header_t *procs,
                      apr_int64_t root, apr_hash_t *set)
{
    apr_array_header_t *tree = ipcg_proc_tree(p, procs, root);
    int i;

    for (i = 0; i < tree->nelts; i++) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = APR_ARRAY_IDX(tree, i, ipcg_proc_t).pid;
        apr_hash_set(set, k, sizeof(*k), k);
    }
}

static const ipcg_proc_t *find_proc(const apr_array_header_t *procs,
                                    apr_int64_t pid)
{
    int i;

    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        if (pr->pid == pid) {
            return pr;
        }
    }
    return NULL;
}

/* The processes that are not another run's: this one, its ancestors and
 * descendants, and the trees of live instances. */
static apr_hash_t *not_theirs(apr_pool_t *p, const ipcg_reap_opts_t *o,
                              const apr_array_header_t *procs,
                              const apr_array_header_t *live_states)
{
    apr_hash_t *set = apr_hash_make(p);
    apr_int64_t pid = o->self_pid;
    int i, guard = 0;

    mark_tree(p, procs, o->self_pid, set);
    while (pid > 1 && guard++ < 4096) {
        const ipcg_proc_t *pr = find_proc(procs, pid);
        apr_int64_t *k;
        if (pr == NULL) {
            break;
        }
        k = apr_palloc(p, sizeof(*k));
        *k = pid;
        apr_hash_set(set, k, sizeof(*k), k);
        pid = pr->ppid;
    }
    for (i = 0; live_states && i < live_states->nelts; i++) {
        mark_tree(p, procs, APR_ARRAY_IDX(live_states, i, ipcg_state_t).pid,
                  set);
    }
    return set;
}

ipcg_run_e ipcg_reap_run_state(apr_pool_t *p, const ipcg_reap_opts_t *o,
                               const ipcg_state_t *st,
                               const apr_array_header_t *procs,
                               const apr_array_header_t *live_states,
                               apr_array_header_t *survivors,
                               const char **why)
{
    char boot[40];
    int a, i;
    apr_hash_t *excluded, *found;
    int daemon = (st->session == st->pid);

    if (ipcg_boot_id(p, o->paths, boot, sizeof(boot)) == APR_SUCCESS
        && st->boot_id[0] && strcmp(boot, st->boot_id) != 0) {
        /* the machine rebooted: the run and all its objects are gone */
        *why = "the recorded run was in an earlier boot";
        return IPCG_RUN_DEAD;
    }
    a = ipcg_proc_alive(p, o->paths, st->pid, st->starttime);
    if (a == 1) {
        *why = apr_psprintf(p, "httpd pid %" APR_INT64_T_FMT
                            " of this instance is still running", st->pid);
        return IPCG_RUN_ALIVE;
    }
    if (a < 0) {
        *why = apr_psprintf(p, "cannot tell whether pid %" APR_INT64_T_FMT
                            " is alive", st->pid);
        return IPCG_RUN_UNKNOWN;
    }
    excluded = not_theirs(p, o, procs, live_states);
    found = apr_hash_make(p);
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        const char *exe;
        if (apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))
            || pr->session != st->session || pr->starttime < st->starttime
            || pr->state == 'Z') {
            continue;
        }
        if (!daemon) {
            /* a foreground run shares its session with its launcher:
             * only the same binary counts as one of its processes */
            exe = exe_of(p, o->paths, pr->pid);
            if (exe == NULL || o->self_exe == NULL
                || strcmp(exe, o->self_exe) != 0) {
                continue;
            }
        }
        mark_tree(p, procs, pr->pid, found);
    }
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        if (apr_hash_get(found, &pr->pid, sizeof(pr->pid))
            && !apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))) {
            *(ipcg_proc_t *)apr_array_push(survivors) = *pr;
        }
    }
    if (survivors->nelts) {
        *why = apr_psprintf(p, "httpd pid %" APR_INT64_T_FMT " is gone but "
                            "%d of its processes survive", st->pid,
                            survivors->nelts);
        return IPCG_RUN_SURVIVORS;
    }
    *why = "dead";
    return IPCG_RUN_DEAD;
}

static int owner_ok(const ipcg_reap_opts_t *o, const ipcg_obj_t *x)
{
    return (x->uid == 0 || x->uid == o->run_uid)
           && (x->cuid == 0 || x->cuid == o->run_uid);
}

/* Nothing uses it: no attachment, no waiter, no live pid. Fills reason. */
static int unused(apr_pool_t *p, const ipcg_reap_opts_t *o,
                  const ipcg_obj_t *x, const ipcg_use_t *use,
                  apr_hash_t *posix_users, char *reason, apr_size_t len)
{
    int i;

    if (use->nattch > 0) {
        apr_snprintf(reason, len, "attached by %" APR_UINT64_T_FMT
                     " process(es)", use->nattch);
        return 0;
    }
    if (use->waiters > 0) {
        apr_snprintf(reason, len, "%" APR_UINT64_T_FMT " process(es) wait "
                     "on it", use->waiters);
        return 0;
    }
    if (use->pids_truncated) {
        apr_snprintf(reason, len, "names more than %d pids: not all can be "
                     "checked", IPCG_PROBE_MAX_PIDS);
        return 0;
    }
    for (i = 0; i < use->npids; i++) {
        int a = alive(p, o, use->pids[i]);
        if (a != 0) {
            apr_snprintf(reason, len, a > 0 ? "used by live pid %"
                         APR_INT64_T_FMT : "cannot tell whether pid %"
                         APR_INT64_T_FMT " is alive", use->pids[i]);
            return 0;
        }
    }
    if (x->kind == IPCG_POSIX_SHM || x->kind == IPCG_POSIX_SEM) {
        apr_int64_t *pid;
        if (posix_users == NULL) {
            apr_snprintf(reason, len, "cannot tell who maps it");
            return 0;
        }
        pid = apr_hash_get(posix_users, &use->now.ino, sizeof(apr_uint64_t));
        if (pid) {
            apr_snprintf(reason, len, "mapped or open by pid %"
                         APR_INT64_T_FMT, *pid);
            return 0;
        }
    }
    return 1;
}

int ipcg_reap_decide(const ipcg_reap_opts_t *o, const ipcg_obj_t *rec,
                     const ipcg_use_t *use, apr_hash_t *live_slots,
                     apr_hash_t *posix_users, char *reason, apr_size_t len)
{
    apr_pool_t *p;
    int ok;

    if (rec->cls != IPCG_CLASS_INSTANCE) {
        apr_snprintf(reason, len, "%s-owned: never removed automatically",
                     ipcg_class_name(rec->cls));
        return 0;
    }
    if (!owner_ok(o, rec)) {
        apr_snprintf(reason, len, "recorded owner uid %u (creator %u) is "
                     "neither root nor the run User (uid %u)",
                     (unsigned)rec->uid, (unsigned)rec->cuid,
                     (unsigned)o->run_uid);
        return 0;
    }
    if (!use->exists) {
        apr_snprintf(reason, len, "already gone");
        return 0;
    }
    if (!owner_ok(o, &use->now)) {
        apr_snprintf(reason, len, "owned by uid %u (creator %u), neither "
                     "root nor the run User (uid %u)",
                     (unsigned)use->now.uid, (unsigned)use->now.cuid,
                     (unsigned)o->run_uid);
        return 0;
    }
    if (!ipcg_obj_same(rec, &use->now)) {
        apr_snprintf(reason, len, "now a different object (ctime %"
                     APR_INT64_T_FMT ", size %" APR_UINT64_T_FMT
                     "; recorded ctime %" APR_INT64_T_FMT ", size %"
                     APR_UINT64_T_FMT ")", use->now.ctime, use->now.size,
                     rec->ctime, rec->size);
        return 0;
    }
    if (live_slots && apr_hash_count(live_slots)) {
        apr_pool_t *tmp;
        const char *slot;
        apr_pool_create(&tmp, apr_hash_pool_get(live_slots));
        slot = ipcg_obj_slot(tmp, rec);
        ok = apr_hash_get(live_slots, slot, APR_HASH_KEY_STRING) == NULL;
        apr_pool_destroy(tmp);
        if (!ok) {
            apr_snprintf(reason, len, "registered by a live instance");
            return 0;
        }
    }
    p = alive_cache ? apr_hash_pool_get(alive_cache) : NULL;
    if (p == NULL) {
        apr_pool_create(&p, NULL);
    }
    ok = unused(p, o, rec, use, posix_users, reason, len);
    if (alive_cache == NULL) {
        apr_pool_destroy(p);
    }
    if (!ok) {
        return 0;
    }
    if (o->mode < IPCG_CLEANUP_REGISTERED) {
        apr_snprintf(reason, len, "%s mode: would be removed",
                     ipcg_cleanup_name(o->mode));
        return 0;
    }
    reason[0] = '\0';
    return 1;
}

int ipcg_orphan_decide(const ipcg_reap_opts_t *o, const ipcg_obj_t *obj,
                       const ipcg_use_t *use, apr_hash_t *live_slots,
                       char *reason, apr_size_t len)
{
    apr_pool_t *p;
    int ok;

    if (obj->kind > IPCG_SYSV_MSG || obj->key != 0 || obj->uid != o->run_uid
        || (obj->cuid != 0 && obj->cuid != o->run_uid)) {
        return -1;
    }
    if (!use->exists) {
        return -1;
    }
    apr_pool_create(&p, NULL);
    if (live_slots && apr_hash_get(live_slots, ipcg_obj_slot(p, obj),
                                   APR_HASH_KEY_STRING)) {
        apr_pool_destroy(p);
        apr_snprintf(reason, len, "registered by a live instance");
        return 0;
    }
    ok = unused(p, o, obj, use, NULL, reason, len);
    apr_pool_destroy(p);
    if (!ok) {
        return 0;
    }
    if (use->npids == 0) {
        apr_snprintf(reason, len, "no process ever operated on it: its "
                     "creator cannot be proven dead");
        return 0;
    }
    reason[0] = '\0';
    return 1;
}

apr_hash_t *ipcg_live_slots(apr_pool_t *p, const ipcg_reap_opts_t *o,
                            apr_array_header_t **live_states)
{
    apr_hash_t *slots = apr_hash_make(p);
    apr_array_header_t *states = NULL;
    const char *exclude;
    int refused = 0, i, j;

    *live_states = apr_array_make(p, 4, sizeof(ipcg_state_t));
    if (o->state_dir == NULL) {
        return slots;
    }
    /* this instance's own file is not another instance's: skip it unread
     * (it can hold thousands of objects) */
    exclude = o->state_file ? o->state_file
                            : (o->instance ? ipcg_state_path(p, o->state_dir,
                                                             o->instance)
                                           : NULL);
    if (ipcg_state_list(p, o->state_dir, 0, exclude, &states,
                               &refused) != APR_SUCCESS
        || states == NULL) {
        return slots;
    }
    for (i = 0; i < states->nelts; i++) {
        const ipcg_state_t *st = &APR_ARRAY_IDX(states, i, ipcg_state_t);
        if ((o->instance && strcmp(st->instance, o->instance) == 0)
            || ipcg_proc_alive(p, o->paths, st->pid, st->starttime) != 1) {
            continue;
        }
        *(ipcg_state_t *)apr_array_push(*live_states) = *st;
        for (j = 0; j < st->objs->nelts; j++) {
            const ipcg_obj_t *x = &APR_ARRAY_IDX(st->objs, j, ipcg_obj_t);
            apr_hash_set(slots, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
        }
    }
    return slots;
}

static void describe(char *buf, apr_size_t len, const ipcg_obj_t *x)
{
    if (x->kind == IPCG_POSIX_SHM || x->kind == IPCG_POSIX_SEM) {
        /* the name may hold anything: the log shows it escaped by httpd,
         * and here only its printable bytes */
        char safe[IPCG_NAME_MAX];
        apr_size_t i;
        for (i = 0; i < sizeof(safe) - 1 && x->name[i]; i++) {
            unsigned char c = (unsigned char)x->name[i];
            safe[i] = (char)((c < 0x20 || c >= 0x7f) ? '?' : c);
        }
        safe[i] = '\0';
        apr_snprintf(buf, len, "%s %s (%s, %s)", ipcg_kind_name(x->kind),
                     safe, x->module, ipcg_phase_name(x->phase));
    }
    else {
        apr_snprintf(buf, len, "%s id %" APR_INT64_T_FMT " key 0x%08x (%s, "
                     "%s)", ipcg_kind_name(x->kind), x->id,
                     (unsigned)x->key, x->module, ipcg_phase_name(x->phase));
    }
}

static void add_decision(apr_array_header_t *decisions, ipcg_decision_e what,
                         int provable, const ipcg_obj_t *x,
                         const char *reason)
{
    ipcg_decision_t *d;

    if (decisions == NULL) {
        return;
    }
    d = apr_array_push(decisions);
    memset(d, 0, sizeof(*d));
    d->what = what;
    d->provable = provable;
    d->obj = *x;
    ipcg_strlcpy(d->reason, reason ? reason : "", sizeof(d->reason));
}

static int any_posix(const apr_array_header_t *objs)
{
    int i;

    for (i = 0; i < objs->nelts; i++) {
        ipcg_kind_e k = APR_ARRAY_IDX(objs, i, ipcg_obj_t).kind;
        if (k == IPCG_POSIX_SHM || k == IPCG_POSIX_SEM) {
            return 1;
        }
    }
    return 0;
}

static void count_removed(ipcg_cleanup_t *res, const ipcg_obj_t *x)
{
    res->removed_count++;
    switch (x->kind) {
    case IPCG_SYSV_SEM: res->removed_sem++; break;
    case IPCG_SYSV_SHM: res->removed_shm++; break;
    case IPCG_SYSV_MSG: res->removed_msg++; break;
    default: res->removed_posix++; break;
    }
}

/* The startup-phase objects of the dead run that were gone before the
 * cleanup looked: nothing of httpd removes them after a kill -9, so
 * something else did (before the crash or since). */
static const char *gone_phrase(apr_pool_t *p, int gone)
{
    if (gone == 0) {
        return "";
    }
    return apr_psprintf(p, " (%d of them already gone: removed by something "
                        "outside httpd)", gone);
}

static const char *kinds_phrase(apr_pool_t *p, const ipcg_cleanup_t *res)
{
    const char *s = "";
    const char *sep = "";

    if (res->removed_sem) {
        s = apr_psprintf(p, "%s%s%u semaphore set%s", s, sep,
                         res->removed_sem, res->removed_sem == 1 ? "" : "s");
        sep = ", ";
    }
    if (res->removed_shm) {
        s = apr_psprintf(p, "%s%s%u shared memory segment%s", s, sep,
                         res->removed_shm, res->removed_shm == 1 ? "" : "s");
        sep = ", ";
    }
    if (res->removed_msg) {
        s = apr_psprintf(p, "%s%s%u message queue%s", s, sep,
                         res->removed_msg, res->removed_msg == 1 ? "" : "s");
        sep = ", ";
    }
    if (res->removed_posix) {
        s = apr_psprintf(p, "%s%s%u /dev/shm file%s", s, sep,
                         res->removed_posix,
                         res->removed_posix == 1 ? "" : "s");
    }
    return s;
}

static const char *when(apr_pool_t *p, apr_int64_t sec)
{
    char *buf = apr_palloc(p, APR_RFC822_DATE_LEN);

    if (sec <= 0 || apr_rfc822_date(buf, apr_time_from_sec(sec))
                        != APR_SUCCESS) {
        return "an unknown time";
    }
    return buf;
}

static void finish(ipcg_cleanup_t *res, apr_time_t t0)
{
    res->duration_us = (apr_int64_t)(apr_time_now() - t0);
}

/* Which live survivors name this object, for the log. */
static const char *holders(apr_pool_t *p, const ipcg_use_t *use,
                           const apr_array_header_t *survivors,
                           apr_hash_t *posix_users)
{
    const char *s = "";
    int i, j;

    for (i = 0; i < use->npids; i++) {
        for (j = 0; j < survivors->nelts; j++) {
            if (APR_ARRAY_IDX(survivors, j, ipcg_proc_t).pid == use->pids[i]) {
                s = apr_psprintf(p, "%s%s%" APR_INT64_T_FMT, s, *s ? "," : "",
                                 use->pids[i]);
            }
        }
    }
    if (posix_users && use->now.ino) {
        apr_int64_t *pid = apr_hash_get(posix_users, &use->now.ino,
                                        sizeof(apr_uint64_t));
        if (pid) {
            s = apr_psprintf(p, "%s%s%" APR_INT64_T_FMT, s, *s ? "," : "",
                             *pid);
        }
    }
    if (use->nattch) {
        s = apr_psprintf(p, "%s%sattached %" APR_UINT64_T_FMT " time(s)", s,
                         *s ? "; " : "", use->nattch);
    }
    return *s ? s : "no pid recorded on the object";
}

void ipcg_reap_startup(apr_pool_t *p, const ipcg_reap_opts_t *o,
                       ipcg_cleanup_t *res, apr_array_header_t *decisions,
                       apr_array_header_t *carried)
{
    apr_time_t t0 = apr_time_now();
    ipcg_state_t st;
    const char *path, *why = NULL;
    apr_status_t rv;
    apr_array_header_t *procs = NULL, *live_states, *survivors;
    apr_hash_t *live, *posix_users = NULL;
    ipcg_run_e run;
    int i, gone = 0;
    char desc[IPCG_NAME_MAX + 128] = "";
    char reason[IPCG_REASON_MAX];

    memset(res, 0, sizeof(*res));
    res->ran = 1;
    res->mode = o->mode;
    res->at = apr_time_sec(t0);
    if (o->mode == IPCG_CLEANUP_OFF) {
        res->ran = 0;
        res->outcome = IPCG_OUTCOME_OFF;
        ipcg_strlcpy(res->summary, "cleanup is off", sizeof(res->summary));
        return;
    }
    path = o->state_file ? o->state_file
                         : ipcg_state_path(p, o->state_dir, o->instance);
    memset(&st, 0, sizeof(st));
    rv = ipcg_state_read(p, path, 0, &st, &why);
    if (APR_STATUS_IS_ENOENT(rv)) {
        apr_snprintf(res->summary, sizeof(res->summary), "no state file %s: "
                     "the last run stopped cleanly or never ran with the "
                     "module", path);
        res->outcome = IPCG_OUTCOME_NO_STATE;
        ipcg_log(IPCG_LOG_INFO, 0, 10, "%s", res->summary);
        finish(res, t0);
        return;
    }
    if (rv != APR_SUCCESS) {
        apr_snprintf(res->summary, sizeof(res->summary), "refusing state "
                     "file %s: %s; nothing removed", path,
                     why ? why : "unreadable");
        res->outcome = IPCG_OUTCOME_REFUSED;
        /* the reason is in the message: an APR code adds nothing */
        ipcg_log(IPCG_LOG_WARNING, 0, 11, "%s", res->summary);
        finish(res, t0);
        return;
    }
    if (o->instance && strcmp(st.instance, o->instance) != 0) {
        apr_snprintf(res->summary, sizeof(res->summary), "refusing state "
                     "file %s: it names instance %s, not %s; nothing removed",
                     path, st.instance, o->instance);
        res->outcome = IPCG_OUTCOME_REFUSED;
        ipcg_log(IPCG_LOG_WARNING, 0, 12, "%s", res->summary);
        finish(res, t0);
        return;
    }
    res->previous_pid = st.pid;
    res->previous_start = st.started;
    res->previous_written = st.written;
    if (ipcg_proc_list(p, o->paths, &procs) != APR_SUCCESS) {
        apr_snprintf(res->summary, sizeof(res->summary), "cannot list "
                     "processes in %s/: nothing removed", o->paths->proc);
        res->outcome = IPCG_OUTCOME_UNKNOWN;
        ipcg_log(IPCG_LOG_WARNING, 0, 13, "%s", res->summary);
        finish(res, t0);
        return;
    }
    live = ipcg_live_slots(p, o, &live_states);
    alive_cache = apr_hash_make(p);
    survivors = apr_array_make(p, 4, sizeof(ipcg_proc_t));
    run = ipcg_reap_run_state(p, o, &st, procs, live_states, survivors, &why);
    if (any_posix(st.objs)) {
        if (ipcg_posix_users(p, o->paths, &posix_users) != APR_SUCCESS) {
            posix_users = NULL;   /* then no POSIX object can be proven */
        }
    }
    if (run == IPCG_RUN_ALIVE || run == IPCG_RUN_UNKNOWN) {
        apr_snprintf(res->summary, sizeof(res->summary), "%s: nothing to "
                     "clean up", why);
        ipcg_log(run == IPCG_RUN_ALIVE ? IPCG_LOG_INFO : IPCG_LOG_WARNING, 0,
                 14, "%s", res->summary);
        res->outcome = run == IPCG_RUN_ALIVE ? IPCG_OUTCOME_ALIVE
                                             : IPCG_OUTCOME_UNKNOWN;
        res->ran = 0;
        finish(res, t0);
        return;
    }
    if (run == IPCG_RUN_SURVIVORS) {
        const char *list = "";
        for (i = 0; i < survivors->nelts; i++) {
            const ipcg_proc_t *pr = &APR_ARRAY_IDX(survivors, i, ipcg_proc_t);
            list = apr_psprintf(p, "%s%s%" APR_INT64_T_FMT " (%s)", list,
                                i ? ", " : "", pr->pid, pr->comm);
        }
        ipcg_log(IPCG_LOG_WARNING, 0, 15, "httpd pid %" APR_INT64_T_FMT
                 " of this instance died but its processes %s survive: "
                 "removing nothing; stop them (kill by pid) and start httpd "
                 "again, or run 'ipcguardctl clean' once they are gone",
                 st.pid, list);
    }
    for (i = 0; i < st.objs->nelts; i++) {
        const ipcg_obj_t *rec = &APR_ARRAY_IDX(st.objs, i, ipcg_obj_t);
        ipcg_use_t use;
        int verdict;

        /* naming the object costs more than deciding: only for the log */
        if (ipcg_log_enabled(IPCG_LOG_INFO)) {
            describe(desc, sizeof(desc), rec);
        }
        else if (ipcg_log_enabled(IPCG_LOG_WARNING)) {
            desc[0] = '\0';
        }
        rv = ipcg_probe(p, o->paths, rec, &use);
        if (rv != APR_SUCCESS) {
            apr_snprintf(reason, sizeof(reason), "cannot probe it");
            describe(desc, sizeof(desc), rec);
            ipcg_log(IPCG_LOG_WARNING, rv, 16, "keeping %s: %s", desc, reason);
            add_decision(decisions, IPCG_DEC_KEPT, 0, rec, reason);
            res->kept_count++;
            continue;
        }
        if (run == IPCG_RUN_SURVIVORS) {
            verdict = 0;
            apr_snprintf(reason, sizeof(reason), "the old run's processes "
                         "survive (%s)",
                         use.exists ? holders(p, &use, survivors, posix_users)
                                    : "gone");
            if (!use.exists) {
                apr_snprintf(reason, sizeof(reason), "already gone");
            }
        }
        else {
            verdict = ipcg_reap_decide(o, rec, &use, live, posix_users,
                                       reason, sizeof(reason));
        }
        if (verdict) {
            rv = ipcg_remove(p, o->paths, rec);
            if (rv == APR_SUCCESS) {
                ipcg_log(IPCG_LOG_INFO, 0, 17, "removed %s, left by httpd "
                         "pid %" APR_INT64_T_FMT, desc, st.pid);
                add_decision(decisions, IPCG_DEC_REMOVED, 1, rec, "dead");
                count_removed(res, rec);
                continue;
            }
            apr_snprintf(reason, sizeof(reason), "removal failed");
            describe(desc, sizeof(desc), rec);
            ipcg_log(IPCG_LOG_WARNING, rv, 18, "could not remove %s", desc);
        }
        else if (strcmp(reason, "already gone") == 0) {
            ipcg_log(IPCG_LOG_INFO, 0, 19, "%s is already gone", desc);
            /* what the startup phases made outlives a killed parent:
             * only someone else removes it */
            if (rec->phase == IPCG_PHASE_POST_CONFIG
                || rec->phase == IPCG_PHASE_OPEN_LOGS
                || rec->phase == IPCG_PHASE_PRE_MPM) {
                gone++;
            }
        }
        else {
            if (desc[0] == '\0') {
                describe(desc, sizeof(desc), rec);
            }
            ipcg_log(IPCG_LOG_WARNING, 0, 20, "keeping %s: %s", desc, reason);
        }
        add_decision(decisions, IPCG_DEC_KEPT, 0, rec, reason);
        res->kept_count++;
        if (carried && use.exists && rec->cls != IPCG_CLASS_FOREIGN
            && strcmp(reason, "registered by a live instance") != 0
            && ipcg_obj_continues(rec, &use.now)) {
            *(ipcg_obj_t *)apr_array_push(carried) = *rec;
        }
    }
    alive_cache = NULL;
    finish(res, t0);
    res->outcome = run == IPCG_RUN_SURVIVORS ? IPCG_OUTCOME_SURVIVORS
                                             : IPCG_OUTCOME_DONE;
    if (run == IPCG_RUN_SURVIVORS) {
        apr_snprintf(res->summary, sizeof(res->summary), "%s: removed "
                     "nothing, kept %u", why, res->kept_count);
    }
    else if (res->removed_count) {
        apr_snprintf(res->summary, sizeof(res->summary), "removed %u stale "
                     "IPC object%s (%s) left by httpd pid %" APR_INT64_T_FMT
                     " (unclean stop after %s); kept %u%s",
                     res->removed_count, res->removed_count == 1 ? "" : "s",
                     kinds_phrase(p, res), st.pid, when(p, st.written),
                     res->kept_count, gone_phrase(p, gone));
    }
    else {
        apr_snprintf(res->summary, sizeof(res->summary), "removed no IPC "
                     "object left by httpd pid %" APR_INT64_T_FMT " (unclean "
                     "stop after %s); kept %u%s", st.pid, when(p, st.written),
                     res->kept_count, gone_phrase(p, gone));
    }
    ipcg_log(IPCG_LOG_NOTICE, 0, 21, "%s (%s mode, %" APR_INT64_T_FMT " us)",
             res->summary, ipcg_cleanup_name(o->mode), res->duration_us);
}

/* A live httpd parent that no state file knows: a server without the
 * module, whose objects cannot be told from orphans. */
static apr_int64_t unregistered_httpd(apr_pool_t *p, const ipcg_reap_opts_t *o,
                                      const apr_array_header_t *procs,
                                      const apr_array_header_t *live_states)
{
    apr_hash_t *excluded = not_theirs(p, o, procs, live_states);
    int i;

    if (o->self_exe == NULL) {
        return -1;
    }
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        const char *exe;
        if (apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))
            || pr->state == 'Z') {
            continue;
        }
        exe = exe_of(p, o->paths, pr->pid);
        if (exe && strcmp(exe, o->self_exe) == 0) {
            return pr->pid;
        }
    }
    return 0;
}

int ipcg_reap_orphans(apr_pool_t *p, const ipcg_reap_opts_t *o,
                      const ipcg_snapshot_t *snap, apr_hash_t *registered,
                      int remove, apr_array_header_t *decisions,
                      apr_uint64_t *candidates, apr_uint64_t *provable)
{
    apr_array_header_t *procs = NULL, *live_states;
    apr_hash_t *live = ipcg_live_slots(p, o, &live_states);
    apr_int64_t other = -1;
    int i, removed = 0;
    char desc[IPCG_NAME_MAX + 128];
    char reason[IPCG_REASON_MAX];

    *candidates = *provable = 0;
    if (ipcg_proc_list(p, o->paths, &procs) == APR_SUCCESS) {
        other = unregistered_httpd(p, o, procs, live_states);
    }
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        ipcg_use_t use;
        int verdict;

        if (registered && apr_hash_get(registered, ipcg_obj_slot(p, x),
                                       APR_HASH_KEY_STRING)) {
            continue;
        }
        if (x->kind > IPCG_SYSV_MSG || x->key != 0 || x->uid != o->run_uid) {
            continue;                 /* no candidate: skip the probe */
        }
        if (ipcg_probe(p, o->paths, x, &use) != APR_SUCCESS) {
            continue;
        }
        verdict = ipcg_orphan_decide(o, x, &use, live, reason,
                                     sizeof(reason));
        if (verdict < 0) {
            continue;
        }
        (*candidates)++;
        if (verdict == 1 && other != 0) {
            verdict = 0;
            if (other > 0) {
                apr_snprintf(reason, sizeof(reason), "httpd pid %"
                             APR_INT64_T_FMT " runs without the module: its "
                             "objects cannot be told from orphans", other);
            }
            else {
                apr_snprintf(reason, sizeof(reason), "cannot list processes "
                             "to rule out a live server without the module");
            }
        }
        if (verdict == 1) {
            (*provable)++;
        }
        describe(desc, sizeof(desc), x);
        if (verdict == 1 && remove) {
            if (ipcg_remove(p, o->paths, x) == APR_SUCCESS) {
                ipcg_log(IPCG_LOG_INFO, 0, 30, "removed orphan %s: owned by "
                         "the run User, unused, every pid it names is dead",
                         desc);
                add_decision(decisions, IPCG_DEC_REMOVED, 1, x,
                             "orphan: every pid it names is dead");
                removed++;
                continue;
            }
            ipcg_log(IPCG_LOG_WARNING, 0, 31, "could not remove orphan %s",
                     desc);
        }
        add_decision(decisions, IPCG_DEC_ORPHAN, verdict == 1, x,
                     verdict == 1 ? "every pid it names is dead" : reason);
    }
    if (*candidates) {
        ipcg_log(IPCG_LOG_NOTICE, 0, 32, "%" APR_UINT64_T_FMT " orphan "
                 "candidate%s of earlier runs owned by uid %u: %"
                 APR_UINT64_T_FMT " provably dead, %d removed%s",
                 *candidates, *candidates == 1 ? "" : "s",
                 (unsigned)o->run_uid, *provable, removed,
                 remove ? "" : " (IPCGuardCleanup orphans removes them)");
    }
    return removed;
}

int ipcg_reap_child(apr_pool_t *p, const ipcg_reap_opts_t *o,
                    apr_array_header_t *reg, apr_int64_t pid)
{
    ipcg_obj_t *objs = (ipcg_obj_t *)reg->elts;
    int i, kept = 0, removed = 0;
    char desc[IPCG_NAME_MAX + 128];
    char reason[IPCG_REASON_MAX];

    for (i = 0; i < reg->nelts; i++) {
        ipcg_obj_t *x = &objs[i];
        ipcg_use_t use;

        if (x->owner_pid != pid || x->phase != IPCG_PHASE_RUNTIME
            || x->cls != IPCG_CLASS_INSTANCE || o->mode == IPCG_CLEANUP_OFF) {
            objs[kept++] = *x;
            continue;
        }
        if (ipcg_probe(p, o->paths, x, &use) != APR_SUCCESS) {
            objs[kept++] = *x;
            continue;
        }
        if (!use.exists || !ipcg_obj_continues(x, &use.now)) {
            continue;                          /* gone: leaves the registry */
        }
        describe(desc, sizeof(desc), x);
        if (!unused(p, o, x, &use, NULL, reason, sizeof(reason))
            || o->mode < IPCG_CLEANUP_REGISTERED) {
            if (o->mode < IPCG_CLEANUP_REGISTERED) {
                apr_snprintf(reason, sizeof(reason), "%s mode",
                             ipcg_cleanup_name(o->mode));
            }
            ipcg_log(IPCG_LOG_INFO, 0, 40, "child pid %" APR_INT64_T_FMT
                     " exited; keeping its %s: %s", pid, desc, reason);
            objs[kept++] = *x;
            continue;
        }
        if (ipcg_remove(p, o->paths, x) == APR_SUCCESS) {
            ipcg_log(IPCG_LOG_INFO, 0, 41, "removed %s left by child pid %"
                     APR_INT64_T_FMT, desc, pid);
            removed++;
            continue;
        }
        objs[kept++] = *x;
    }
    reg->nelts = kept;
    return removed;
}
