/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The one decision procedure behind every removal, the removal of exactly
 * the object that was checked, and the cleanups built on them. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_atomic.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <apr_time.h>

#include "ipcguard/ipcg_log.h"
#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_units.h"

/* What the context knows about one pid: alive (1, 0, -1), and in which
 * round of fresh answers it was asked. */
typedef struct {
    apr_int64_t pid;
    int alive;
    unsigned round;
} pid_answer_t;

/* SysV objects judged but not yet settled: their removal waits for fresh
 * answers about the pids they name, asked once per pid for the batch. */
#define BATCH_MAX 64

typedef struct {
    const ipcg_obj_t *rec;
    int idx;                        /* its place in the caller's list */
    ipcg_use_t use;
    ipcg_verdict_t v;
    apr_status_t prv;               /* of its probe */
    int probe_failed;               /* the first probe failed */
} pending_t;

/* How a pass settles (logs, counts, records) one object it judged. */
typedef void settle_fn(void *baton, pending_t *pend);

/* A pass over at least this many SysV objects probes each batch with a
 * second thread: one probe of a semaphore set is four system calls, most
 * of a cleanup's time, and they take no lock two sets share. */
#define PARALLEL_MIN BATCH_MAX

typedef struct prober_t prober_t;

struct ipcg_reap_ctx_t {
    apr_pool_t *pool;
    ipcg_reap_opts_t o;
    ipcg_exe_t httpd;
    apr_hash_t *alive;              /* pid -> pid_answer_t */
    unsigned round;                 /* of fresh answers */
    int run_held;                   /* the last run judged: its run lock
                                       held 1, not 0, cannot tell -1 */
    pending_t *batch;               /* BATCH_MAX of them, made once */
    int nbatch;
    pending_t *held;                /* judged, removals not yet made */
    int nheld;
    settle_fn *held_settle;         /* and how their pass settles them */
    void *held_baton;
    int procs_done;
    apr_array_header_t *procs;      /* NULL: cannot be listed */
    int users_done;
    apr_hash_t *users;              /* NULL: cannot be told */
    int live_done;
    apr_hash_t *live_slots;         /* of instances not proven dead */
    apr_hash_t *other_slots;        /* of other instances proven dead */
    apr_array_header_t *live_states;
    int other_done;
    apr_int64_t other_httpd;        /* -1 cannot tell, 0 none, else pid */
    prober_t *prober;               /* NULL: the batch is probed alone */
};

ipcg_reap_ctx_t *ipcg_reap_ctx_make(apr_pool_t *p, const ipcg_reap_opts_t *o)
{
    ipcg_reap_ctx_t *c = apr_pcalloc(p, sizeof(*c));

    c->pool = p;
    c->o = *o;
    ipcg_exe_init(p, o->self_exe, &c->httpd);
    c->alive = apr_hash_make(p);
    return c;
}

/* ------------------------------------------------------------------ */
/* Verdicts and their one text                                          */

static const char *const reason_names[IPCG_WHY_COUNT] = {
    "dead", "gone", "not-candidate", "class", "recorded-owner", "owner",
    "changed", "run-alive", "run-unknown", "survivors", "owner-alive",
    "owner-unknown", "live-instance", "other-state", "attached", "waiters",
    "too-many-pids", "live-pid", "pid-unknown", "map-unknown", "mapped",
    "no-pid", "other-httpd", "procs-unknown", "report-mode", "probe-failed",
    "remove-failed"
};

const char *ipcg_reason_name(ipcg_reason_e r)
{
    return (unsigned)r < IPCG_WHY_COUNT ? reason_names[r] : "unknown";
}

/* A text per reason, in a table looked up by reason. */
typedef struct {
    ipcg_reason_e why;
    const char *text;
} reason_text_t;

static const char *text_for(const reason_text_t *t, apr_size_t n,
                            ipcg_reason_e why)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (t[i].why == why) {
            return t[i].text;
        }
    }
    return NULL;
}

/* The texts with nothing to fill in. */
static const reason_text_t fixed_texts[] = {
    { IPCG_WHY_GONE,
      "already gone" },
    { IPCG_WHY_NOT_CANDIDATE,
      "no orphan candidate: keyed, POSIX, or not "
      "the run User's" },
    { IPCG_WHY_LIVE_INSTANCE,
      "registered by a live instance" },
    { IPCG_WHY_OTHER_STATE,
      "recorded in another instance's state file: "
      "left to that instance's cleanup" },
    { IPCG_WHY_MAP_UNKNOWN,
      "cannot tell who maps it" },
    { IPCG_WHY_NO_PID,
      "no process ever operated on it: its creator "
      "cannot be proven dead" },
    { IPCG_WHY_PROCS_UNKNOWN,
      "cannot list processes to rule out a live "
      "server without the module" },
    { IPCG_WHY_PROBE_FAILED,
      "cannot probe it" },
    { IPCG_WHY_REMOVE_FAILED,
      "removal failed" },
};

/* The texts that name the verdict's pid. */
static const reason_text_t pid_texts[] = {
    { IPCG_WHY_RUN_ALIVE,
      "httpd pid %" APR_INT64_T_FMT " of this "
      "instance is still running" },
    { IPCG_WHY_RUN_UNKNOWN,
      "cannot tell whether httpd pid %"
      APR_INT64_T_FMT " is alive" },
    { IPCG_WHY_OWNER_ALIVE,
      "its owner pid %" APR_INT64_T_FMT " still runs" },
    { IPCG_WHY_OWNER_UNKNOWN,
      "cannot tell whether its owner pid %"
      APR_INT64_T_FMT " runs" },
    { IPCG_WHY_LIVE_PID,
      "used by live pid %" APR_INT64_T_FMT },
    { IPCG_WHY_PID_UNKNOWN,
      "cannot tell whether pid %" APR_INT64_T_FMT
      " is alive" },
    { IPCG_WHY_MAPPED,
      "mapped or open by pid %" APR_INT64_T_FMT },
    { IPCG_WHY_OTHER_HTTPD,
      "httpd pid %" APR_INT64_T_FMT " runs without "
      "the module: its objects cannot be told from "
      "orphans" },
};

/* The texts that need more of the verdict than one pid. */
static void detailed_text(const ipcg_verdict_t *v, char *buf, apr_size_t len)
{
    const char *who = v->reason == IPCG_WHY_RECORDED_OWNER
                          ? "recorded owner uid %u (creator %u, group %u) is"
                          : "owned by uid %u (creator %u, group %u),";
    char owner[96];

    switch (v->reason) {
    case IPCG_WHY_DEAD:
        apr_snprintf(buf, len, "%s", v->path == IPCG_PATH_ORPHAN
                     ? "every pid it names is dead"
                     : v->path == IPCG_PATH_CHILD
                     ? "its child exited and nothing uses it" : "dead");
        break;
    case IPCG_WHY_CLASS:
        apr_snprintf(buf, len, "%s-owned: never removed automatically",
                     ipcg_class_name(v->cls));
        break;
    case IPCG_WHY_RECORDED_OWNER:
    case IPCG_WHY_OWNER:
        apr_snprintf(owner, sizeof(owner), who, (unsigned)v->uid,
                     (unsigned)v->cuid, (unsigned)v->gid);
        apr_snprintf(buf, len, "%s %s the run User (uid %u, group %u)",
                     owner, v->user_only ? "not" : "neither root nor",
                     (unsigned)v->run_uid, (unsigned)v->run_gid);
        break;
    case IPCG_WHY_CHANGED:
        apr_snprintf(buf, len, "now a different object (ctime %"
                     APR_INT64_T_FMT ", size %" APR_UINT64_T_FMT
                     "; recorded ctime %" APR_INT64_T_FMT ", size %"
                     APR_UINT64_T_FMT ")", v->ctime, v->size, v->rec_ctime,
                     v->rec_size);
        break;
    case IPCG_WHY_SURVIVORS:
        if (v->pid > 0) {
            apr_snprintf(buf, len, "the old run's processes survive (%"
                         APR_UINT64_T_FMT " of them; pid %" APR_INT64_T_FMT
                         " uses it)", v->count, v->pid);
        }
        else {
            apr_snprintf(buf, len, "the old run's processes survive (%"
                         APR_UINT64_T_FMT " of them)", v->count);
        }
        break;
    case IPCG_WHY_ATTACHED:
        apr_snprintf(buf, len, "attached by %" APR_UINT64_T_FMT
                     " process(es)", v->count);
        break;
    case IPCG_WHY_WAITERS:
        apr_snprintf(buf, len, "%" APR_UINT64_T_FMT " process(es) wait on "
                     "it", v->count);
        break;
    case IPCG_WHY_TOO_MANY_PIDS:
        apr_snprintf(buf, len, "names more than %d pids: not all can be "
                     "checked", IPCG_PROBE_MAX_PIDS);
        break;
    case IPCG_WHY_REPORT_MODE:
        if (v->path == IPCG_PATH_ORPHAN) {
            apr_snprintf(buf, len, "every pid it names is dead");
        }
        else {
            apr_snprintf(buf, len, "%s mode: would be removed",
                         ipcg_cleanup_name(v->mode));
        }
        break;
    default:
        apr_snprintf(buf, len, "removal failed");
        break;
    }
}

void ipcg_verdict_text(const ipcg_verdict_t *v, char *buf, apr_size_t len)
{
    const char *fixed = text_for(fixed_texts, sizeof(fixed_texts)
                                              / sizeof(fixed_texts[0]),
                                 v->reason);
    const char *pid = text_for(pid_texts, sizeof(pid_texts)
                                          / sizeof(pid_texts[0]), v->reason);

    if (fixed) {
        apr_snprintf(buf, len, "%s", fixed);
    }
    else if (pid) {
        apr_snprintf(buf, len, pid, v->pid);
    }
    else {
        detailed_text(v, buf, len);
    }
}

/* ------------------------------------------------------------------ */
/* What the context learns about processes, once per run               */

/* Whether a question about processes may take the answer the context
 * already has, or must ask the kernel again. */
typedef enum {
    LOOKUP_CACHED,
    LOOKUP_FRESH
} lookup_e;

/* Whether a pid an object names is alive. The kernel keeps no start time
 * with those pids: any live process with the pid counts as a user, so a
 * reused pid errs on the side of keeping. LOOKUP_FRESH asks again. */
static int pid_alive(ipcg_reap_ctx_t *c, apr_int64_t pid, lookup_e lookup)
{
    pid_answer_t *ans;

    if (pid <= 0) {
        return 0;
    }
    if (c->o.alive) {
        return c->o.alive(c->o.alive_baton, pid);
    }
    ans = apr_hash_get(c->alive, &pid, sizeof(pid));
    if (ans && lookup == LOOKUP_CACHED) {
        return ans->alive;
    }
    if (ans == NULL) {
        ans = apr_palloc(c->pool, sizeof(*ans));
        ans->pid = pid;
        apr_hash_set(c->alive, &ans->pid, sizeof(ans->pid), ans);
    }
    ans->alive = ipcg_proc_alive(c->pool, c->o.paths, pid, 0);
    ans->round = c->round;
    return ans->alive;
}

/* Ask about @a pid again unless it was asked in this round already: one
 * question per pid for all the objects of a batch. */
static void pid_refresh(ipcg_reap_ctx_t *c, apr_int64_t pid)
{
    pid_answer_t *ans;

    if (pid <= 0 || c->o.alive) {
        return;
    }
    ans = apr_hash_get(c->alive, &pid, sizeof(pid));
    if (ans == NULL || ans->round != c->round) {
        pid_alive(c, pid, LOOKUP_FRESH);
    }
}

/* Every process, listed once per run; NULL when /proc cannot be read. */
static const apr_array_header_t *procs_of(ipcg_reap_ctx_t *c)
{
    if (!c->procs_done) {
        c->procs_done = 1;
        if (ipcg_proc_list(c->pool, c->o.paths, &c->procs) != APR_SUCCESS) {
            c->procs = NULL;
        }
    }
    return c->procs;
}

/* Who maps or holds each /dev/shm file; NULL when it cannot be told.
 * LOOKUP_FRESH looks again (the final check before an unlink). */
static apr_hash_t *users_of(ipcg_reap_ctx_t *c, lookup_e lookup)
{
    if (!c->users_done || lookup == LOOKUP_FRESH) {
        c->users_done = 1;
        if (ipcg_posix_users(c->pool, c->o.paths, &c->users)
            != APR_SUCCESS) {
            c->users = NULL;
        }
    }
    return c->users;
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
static apr_hash_t *not_theirs(ipcg_reap_ctx_t *c,
                              const apr_array_header_t *procs,
                              const apr_array_header_t *live_states)
{
    apr_hash_t *set = apr_hash_make(c->pool);
    apr_int64_t pid = c->o.self_pid;
    int i, guard = 0;

    mark_tree(c->pool, procs, c->o.self_pid, set);
    while (pid > 1 && guard++ < 4096) {
        const ipcg_proc_t *pr = find_proc(procs, pid);
        apr_int64_t *k;
        if (pr == NULL) {
            break;
        }
        k = apr_palloc(c->pool, sizeof(*k));
        *k = pid;
        apr_hash_set(set, k, sizeof(*k), k);
        pid = pr->ppid;
    }
    for (i = 0; live_states && i < live_states->nelts; i++) {
        mark_tree(c->pool, procs,
                  APR_ARRAY_IDX(live_states, i, ipcg_state_t).pid, set);
    }
    return set;
}

/* This instance's state file: the one given, else its path in the state
 * directory; NULL: no instance named. */
static const char *own_state(ipcg_reap_ctx_t *c)
{
    if (c->o.state_file) {
        return c->o.state_file;
    }
    return c->o.instance ? ipcg_state_path(c->pool, c->o.state_dir,
                                           c->o.instance) : NULL;
}

/* Whether a process holds the run lock of the run recorded in @a st: 1
 * yes, 0 no (or a run that held none), -1 cannot tell. The lock tells a
 * live run whose pids this process cannot see (another PID namespace on
 * the same IPC namespace and state directory: containers of one pod)
 * from a dead one; this instance's own lock is asked of the caller, who
 * may hold it. */
static int run_locked(ipcg_reap_ctx_t *c, const ipcg_state_t *st)
{
    const char *state = NULL;
    int ours = c->o.instance == NULL
               || strcmp(st->instance, c->o.instance) == 0;

    if (ours && c->o.instance_lock != IPCG_LOCK_ASK) {
        return c->o.instance_lock == IPCG_LOCK_ELSEWHERE;
    }
    if (ours) {
        state = own_state(c);
    }
    if (state == NULL && c->o.state_dir && st->instance[0]) {
        state = ipcg_state_path(c->pool, c->o.state_dir, st->instance);
    }
    if (state == NULL) {
        return 0;
    }
    return ipcg_runlock_held(c->pool, ipcg_runlock_path(c->pool, state));
}

/* A run this process's pids prove dead is dead unless a process holds
 * its run lock: then it lives where its pids cannot be seen (alive), or
 * whether it does cannot be told (unknown). */
static ipcg_run_e unless_locked(ipcg_reap_ctx_t *c, const ipcg_state_t *st)
{
    int a = run_locked(c, st);

    c->run_held = a;
    return a == 0 ? IPCG_RUN_DEAD : (a > 0 ? IPCG_RUN_ALIVE
                                           : IPCG_RUN_UNKNOWN);
}

/* The run-state proof, with the live instances given (the live set is
 * itself built with this proof). */
static ipcg_run_e run_state(ipcg_reap_ctx_t *c, const ipcg_state_t *st,
                            const apr_array_header_t *live_states,
                            apr_array_header_t *survivors)
{
    char boot[40];
    int a, i;
    apr_hash_t *excluded, *found;
    const apr_array_header_t *procs;
    int daemon = (st->session == st->pid);

    c->run_held = 0;
    if (ipcg_boot_id(c->pool, c->o.paths, boot, sizeof(boot)) == APR_SUCCESS
        && st->boot_id[0] && strcmp(boot, st->boot_id) != 0) {
        /* the machine rebooted: the run and all its objects are gone */
        return IPCG_RUN_DEAD;
    }
    a = ipcg_proc_alive(c->pool, c->o.paths, st->pid, st->starttime);
    if (a == 1) {
        return IPCG_RUN_ALIVE;
    }
    if (a < 0 || (procs = procs_of(c)) == NULL) {
        return IPCG_RUN_UNKNOWN;
    }
    if (daemon) {
        /* the kernel gives a pid to a new process only once no process
         * is left in the session or group of that number: a session
         * leader's pid in other hands means its session is empty */
        const ipcg_proc_t *now = find_proc(procs, st->pid);
        if (now && now->state != 'Z' && now->starttime != st->starttime) {
            return unless_locked(c, st);
        }
    }
    excluded = not_theirs(c, procs, live_states);
    found = apr_hash_make(c->pool);
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        if (apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))
            || pr->session != st->session || pr->starttime < st->starttime
            || pr->state == 'Z') {
            continue;
        }
        /* a foreground run shares its session with its launcher: only an
         * httpd counts as one of its processes (never by command name) */
        if (!daemon
            && !ipcg_proc_is_httpd(c->pool, c->o.paths, pr->pid, &c->httpd)) {
            continue;
        }
        mark_tree(c->pool, procs, pr->pid, found);
    }
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        if (apr_hash_get(found, &pr->pid, sizeof(pr->pid))
            && !apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))) {
            *(ipcg_proc_t *)apr_array_push(survivors) = *pr;
        }
    }
    return survivors->nelts ? IPCG_RUN_SURVIVORS : unless_locked(c, st);
}

/* Other instances' state files: those not proven dead make the live set
 * (their slots may never go), the others' slots are left to their own
 * cleanup by the orphan pass. */
static void load_instances(ipcg_reap_ctx_t *c)
{
    apr_array_header_t *states = NULL, *parents, *survivors;
    const char *exclude;
    int refused = 0, i, j;
    char *dead;

    if (c->live_done) {
        return;
    }
    c->live_done = 1;
    c->live_slots = apr_hash_make(c->pool);
    c->other_slots = apr_hash_make(c->pool);
    c->live_states = apr_array_make(c->pool, 4, sizeof(ipcg_state_t));
    if (c->o.state_dir == NULL) {
        return;
    }
    /* this instance's own file is not another instance's: skip it unread
     * (it can hold thousands of objects) */
    exclude = own_state(c);
    if (ipcg_state_list(c->pool, c->o.state_dir, c->o.trust_uid, exclude,
                        &states, &refused) != APR_SUCCESS
        || states == NULL) {
        return;
    }
    /* first the instances whose parent runs (or may), then those whose
     * parent is gone, by the run-state proof with the first as live */
    parents = apr_array_make(c->pool, 4, sizeof(ipcg_state_t));
    dead = apr_pcalloc(c->pool, (apr_size_t)states->nelts + 1);
    for (i = 0; i < states->nelts; i++) {
        const ipcg_state_t *st = &APR_ARRAY_IDX(states, i, ipcg_state_t);
        if (c->o.instance && strcmp(st->instance, c->o.instance) == 0) {
            dead[i] = 2;                    /* ours: neither */
            continue;
        }
        if (ipcg_proc_alive(c->pool, c->o.paths, st->pid, st->starttime)
            != 0) {
            *(ipcg_state_t *)apr_array_push(parents) = *st;
        }
        else {
            dead[i] = 1;
        }
    }
    survivors = apr_array_make(c->pool, 4, sizeof(ipcg_proc_t));
    for (i = 0; i < states->nelts; i++) {
        const ipcg_state_t *st = &APR_ARRAY_IDX(states, i, ipcg_state_t);
        apr_hash_t *into;
        if (dead[i] == 2) {
            continue;
        }
        if (dead[i] == 1) {
            survivors->nelts = 0;
            if (run_state(c, st, parents, survivors) == IPCG_RUN_DEAD) {
                into = c->other_slots;
            }
            else {
                into = c->live_slots;
                *(ipcg_state_t *)apr_array_push(c->live_states) = *st;
            }
        }
        else {
            into = c->live_slots;
            *(ipcg_state_t *)apr_array_push(c->live_states) = *st;
        }
        for (j = 0; j < st->objs->nelts; j++) {
            const ipcg_obj_t *x = &APR_ARRAY_IDX(st->objs, j, ipcg_obj_t);
            apr_hash_set(into, ipcg_obj_slot(c->pool, x), APR_HASH_KEY_STRING,
                         x);
        }
    }
}

apr_hash_t *ipcg_live_slots(ipcg_reap_ctx_t *c,
                            const apr_array_header_t **live_states)
{
    load_instances(c);
    if (live_states) {
        *live_states = c->live_states;
    }
    return c->live_slots;
}

ipcg_run_e ipcg_reap_run_state(ipcg_reap_ctx_t *c, const ipcg_state_t *st,
                               apr_array_header_t *survivors)
{
    load_instances(c);
    return run_state(c, st, c->live_states, survivors);
}

/* Whether process @a pid can have made an orphan candidate: an object
 * owned by the run User and made by it (or by root, for a run started as
 * root) is made by a process running as one of them. Another user's
 * server (a non-root httpd of its own) cannot; a process whose uid cannot
 * be read may. */
static int may_make_candidates(ipcg_reap_ctx_t *c, apr_int64_t pid)
{
    ipcg_proc_t pr;
    char *text;

    memset(&pr, 0, sizeof(pr));
    pr.uid = (apr_uint64_t)-1;
    if (ipcg_read_file(c->pool, apr_psprintf(c->pool, "%s/%" APR_INT64_T_FMT
                                             "/status", c->o.paths->proc,
                                             pid),
                       (apr_size_t)64 * 1024, &text, NULL) != APR_SUCCESS
        || ipcg_parse_proc_status(text, &pr) != APR_SUCCESS
        || pr.uid == (apr_uint64_t)-1) {
        return 1;
    }
    return pr.uid == c->o.run_uid || (c->o.trust_uid == 0 && pr.uid == 0);
}

/* A live httpd that no state file knows: a server without the module,
 * whose objects cannot be told from orphans. -1: cannot tell. */
static apr_int64_t other_httpd(ipcg_reap_ctx_t *c)
{
    const apr_array_header_t *procs;
    apr_hash_t *excluded;
    int i;

    if (c->other_done) {
        return c->other_httpd;
    }
    c->other_done = 1;
    c->other_httpd = -1;
    load_instances(c);
    if ((procs = procs_of(c)) == NULL) {
        return c->other_httpd;
    }
    excluded = not_theirs(c, procs, c->live_states);
    c->other_httpd = 0;
    for (i = 0; i < procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(procs, i, ipcg_proc_t);
        if (apr_hash_get(excluded, &pr->pid, sizeof(pr->pid))
            || pr->state == 'Z') {
            continue;
        }
        if (ipcg_proc_is_httpd(c->pool, c->o.paths, pr->pid, &c->httpd)
            && may_make_candidates(c, pr->pid)) {
            c->other_httpd = pr->pid;
            break;
        }
    }
    return c->other_httpd;
}

/* ------------------------------------------------------------------ */
/* The one decision procedure                                           */

/* A uid or gid that may own or have made the object: the run User's or
 * Group's, and root's only when the run was started as root. */
static int id_ok(apr_uint32_t id, apr_uint32_t run_id, int user_only)
{
    return id == run_id || (!user_only && id == 0);
}

static int owner_ok(const ipcg_subject_t *s, const ipcg_obj_t *x)
{
    return id_ok(x->uid, s->run_uid, s->user_only)
           && id_ok(x->cuid, s->run_uid, s->user_only)
           && id_ok(x->gid, s->run_gid, s->user_only)
           && id_ok(x->cgid, s->run_gid, s->user_only);
}

static int is_posix(const ipcg_obj_t *x)
{
    return x->kind == IPCG_POSIX_SHM || x->kind == IPCG_POSIX_SEM;
}

static void keep(ipcg_verdict_t *v, ipcg_reason_e why)
{
    v->verdict = IPCG_VERDICT_KEEP;
    v->reason = why;
}

/* Which survivor uses the object, for the reason. */
static apr_int64_t survivor_user(ipcg_reap_ctx_t *c, const ipcg_use_t *use,
                                 const apr_array_header_t *survivors)
{
    int i, j;

    for (i = 0; survivors && i < use->npids; i++) {
        for (j = 0; j < survivors->nelts; j++) {
            if (APR_ARRAY_IDX(survivors, j, ipcg_proc_t).pid == use->pids[i]) {
                return use->pids[i];
            }
        }
    }
    if (is_posix(&use->now) && users_of(c, LOOKUP_CACHED) != NULL) {
        apr_int64_t *pid = apr_hash_get(c->users, &use->now.ino,
                                        sizeof(apr_uint64_t));
        if (pid) {
            return *pid;
        }
    }
    return 0;
}

/* The slot text of ipcg_obj_slot(), without the pool: the lookups of a
 * run of thousands of objects allocate nothing. */
static const char *slot_text(char *buf, apr_size_t len, const ipcg_obj_t *x)
{
    if (is_posix(x)) {
        apr_snprintf(buf, len, "%s/%s", ipcg_kind_name(x->kind), x->name);
    }
    else {
        apr_snprintf(buf, len, "%s:%" APR_INT64_T_FMT,
                     ipcg_kind_name(x->kind), x->id);
    }
    return buf;
}

/* Whether the orphan pass looks at @a o at all: a SysV object with no
 * key (IPC_PRIVATE) owned by the run User. The pass's count, its loop
 * and the judgement all ask this one question. */
static int orphan_candidate(const ipcg_obj_t *o, apr_uint32_t run_uid)
{
    return o->kind <= IPCG_SYSV_MSG && o->key == 0 && o->uid == run_uid;
}

/* Each step of the judgement below returns 1 when it has decided (the
 * verdict is filled in) and 0 when the next step must look. */

/* 1. one of ours to judge at all; 2. owned by root or the run User and
 * Group, as recorded and now; 3. the object that was recorded or
 * scanned, not a later one. */
static int judge_identity(const ipcg_subject_t *s, const ipcg_obj_t *rec,
                          const ipcg_use_t *use, ipcg_verdict_t *v)
{
    if (s->path == IPCG_PATH_ORPHAN) {
        if (!orphan_candidate(rec, s->run_uid)
            || !id_ok(rec->cuid, s->run_uid, s->user_only)) {
            v->verdict = IPCG_VERDICT_SKIP;
            v->reason = IPCG_WHY_NOT_CANDIDATE;
            return 1;
        }
    }
    else if (rec->cls != IPCG_CLASS_INSTANCE) {
        keep(v, IPCG_WHY_CLASS);
        return 1;
    }
    if (!owner_ok(s, rec)) {
        keep(v, IPCG_WHY_RECORDED_OWNER);
        v->uid = rec->uid;
        v->cuid = rec->cuid;
        v->gid = rec->gid;
        return 1;
    }
    if (!use->exists) {
        v->verdict = IPCG_VERDICT_GONE;
        v->reason = IPCG_WHY_GONE;
        return 1;
    }
    if (!owner_ok(s, &use->now)) {
        keep(v, IPCG_WHY_OWNER);
        v->uid = use->now.uid;
        v->cuid = use->now.cuid;
        v->gid = use->now.gid;
        return 1;
    }
    if (!ipcg_obj_same(rec, &use->now)) {
        keep(v, IPCG_WHY_CHANGED);
        v->ctime = use->now.ctime;
        v->size = use->now.size;
        return 1;
    }
    return 0;
}

/* 4. whoever made it is dead: the run at startup, the owning child after
 * it exits (orphans: their creator, in judge_orphan()). */
static int judge_maker(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                       const ipcg_obj_t *rec, const ipcg_use_t *use,
                       ipcg_verdict_t *v)
{
    int a;

    switch (s->path) {
    case IPCG_PATH_STARTUP:
        if (s->run == IPCG_RUN_ALIVE || s->run == IPCG_RUN_UNKNOWN) {
            keep(v, s->run == IPCG_RUN_ALIVE ? IPCG_WHY_RUN_ALIVE
                                             : IPCG_WHY_RUN_UNKNOWN);
            return 1;
        }
        if (s->run == IPCG_RUN_SURVIVORS) {
            keep(v, IPCG_WHY_SURVIVORS);
            v->count = s->survivors ? (apr_uint64_t)s->survivors->nelts : 0;
            v->pid = survivor_user(c, use, s->survivors);
            return 1;
        }
        return 0;
    case IPCG_PATH_CHILD:
        /* pid plus start time: a process that reused the pid is not it */
        a = rec->owner_start == IPCG_OWNER_GONE ? 0
            : ipcg_proc_alive(c->pool, c->o.paths, rec->owner_pid,
                              rec->owner_start);
        if (a != 0) {
            keep(v, a > 0 ? IPCG_WHY_OWNER_ALIVE : IPCG_WHY_OWNER_UNKNOWN);
            v->pid = rec->owner_pid;
            return 1;
        }
        return 0;
    case IPCG_PATH_ORPHAN:
    default:
        return 0;
    }
}

/* 5. no live instance has it registered (orphans: nor another
 * instance's state file). */
static int judge_registered(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                            const ipcg_obj_t *rec, ipcg_verdict_t *v)
{
    apr_hash_t *slots = ipcg_live_slots(c, NULL);
    char slotbuf[IPCG_NAME_MAX + 32];
    const char *slot;

    if (!apr_hash_count(slots) && !apr_hash_count(c->other_slots)) {
        return 0;
    }
    slot = slot_text(slotbuf, sizeof(slotbuf), rec);
    if (apr_hash_get(slots, slot, APR_HASH_KEY_STRING)) {
        keep(v, IPCG_WHY_LIVE_INSTANCE);
        return 1;
    }
    if (s->path == IPCG_PATH_ORPHAN
        && apr_hash_get(c->other_slots, slot, APR_HASH_KEY_STRING)) {
        keep(v, IPCG_WHY_OTHER_STATE);
        return 1;
    }
    return 0;
}

/* 6. nothing uses it: no attachment, no waiter, no live pid it names,
 * no process that maps or holds it open. */
static int judge_unused(ipcg_reap_ctx_t *c, const ipcg_obj_t *rec,
                        const ipcg_use_t *use, ipcg_verdict_t *v,
                        lookup_e lookup)
{
    int i, a;

    if (use->nattch > 0) {
        keep(v, IPCG_WHY_ATTACHED);
        v->count = use->nattch;
        return 1;
    }
    if (use->waiters > 0) {
        keep(v, IPCG_WHY_WAITERS);
        v->count = use->waiters;
        return 1;
    }
    if (use->pids_truncated) {
        keep(v, IPCG_WHY_TOO_MANY_PIDS);
        return 1;
    }
    for (i = 0; i < use->npids; i++) {
        a = pid_alive(c, use->pids[i], lookup);
        if (a != 0) {
            keep(v, a > 0 ? IPCG_WHY_LIVE_PID : IPCG_WHY_PID_UNKNOWN);
            v->pid = use->pids[i];
            return 1;
        }
    }
    if (is_posix(rec)) {
        apr_hash_t *users = users_of(c, lookup);
        apr_int64_t *pid;
        if (users == NULL) {
            keep(v, IPCG_WHY_MAP_UNKNOWN);
            return 1;
        }
        pid = apr_hash_get(users, &use->now.ino, sizeof(apr_uint64_t));
        if (pid) {
            keep(v, IPCG_WHY_MAPPED);
            v->pid = *pid;
            return 1;
        }
    }
    return 0;
}

/* 7. orphans: a creator proven dead, and no httpd that could own it. */
static int judge_orphan(ipcg_reap_ctx_t *c, const ipcg_use_t *use,
                        ipcg_verdict_t *v)
{
    apr_int64_t other;

    if (use->npids == 0) {
        keep(v, IPCG_WHY_NO_PID);
        return 1;
    }
    other = other_httpd(c);
    if (other != 0) {
        keep(v, other > 0 ? IPCG_WHY_OTHER_HTTPD : IPCG_WHY_PROCS_UNKNOWN);
        v->pid = other > 0 ? other : 0;
        return 1;
    }
    return 0;
}

static void judge(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                  const ipcg_obj_t *rec, const ipcg_use_t *use,
                  ipcg_verdict_t *v, lookup_e lookup)
{
    memset(v, 0, sizeof(*v));
    v->path = s->path;
    v->run_uid = s->run_uid;
    v->run_gid = s->run_gid;
    v->user_only = s->user_only;
    v->mode = c->o.mode;
    v->cls = rec->cls;
    v->rec_ctime = rec->ctime;
    v->rec_size = rec->size;

    if (judge_identity(s, rec, use, v) || judge_maker(c, s, rec, use, v)
        || judge_registered(c, s, rec, v)
        || judge_unused(c, rec, use, v, lookup)
        || (s->path == IPCG_PATH_ORPHAN && judge_orphan(c, use, v))) {
        return;
    }
    /* 8. the mode allows removal */
    if (c->o.mode < (s->path == IPCG_PATH_ORPHAN ? IPCG_CLEANUP_ORPHANS
                                                 : IPCG_CLEANUP_REGISTERED)) {
        keep(v, IPCG_WHY_REPORT_MODE);
        return;
    }
    v->verdict = IPCG_VERDICT_REMOVE;
    v->reason = IPCG_WHY_DEAD;
}

void ipcg_reap_judge(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                     const ipcg_obj_t *rec, const ipcg_use_t *use,
                     ipcg_verdict_t *v)
{
    judge(c, s, rec, use, v, LOOKUP_CACHED);
}

/* ------------------------------------------------------------------ */
/* Removing exactly what was checked                                    */

/* @a name for a log line: its printable ASCII bytes, '?' for the others
 * (the name may hold anything), cut to @a size - 1 bytes. */
static void printable(char *safe, apr_size_t size, const char *name)
{
    apr_size_t i;

    for (i = 0; i < size - 1 && name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        safe[i] = (char)((c < 0x20 || c >= 0x7f) ? '?' : c);
    }
    safe[i] = '\0';
}

static int valid_name(const char *name)
{
    return name[0] != '\0' && strchr(name, '/') == NULL
           && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static apr_status_t rename_noreplace(const char *from, const char *to)
{
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0
           ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}

static void remove_posix(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                         const ipcg_obj_t *rec, ipcg_verdict_t *v)
{
    apr_pool_t *p = c->pool;
    const char *dir = c->o.paths->devshm;
    const char *path, *aside;
    ipcg_obj_t moved;
    ipcg_use_t use;
    apr_status_t rv;

    if (!valid_name(rec->name)) {
        keep(v, IPCG_WHY_REMOVE_FAILED);
        v->rv = APR_EINVAL;
        return;
    }
    path = apr_pstrcat(p, dir, "/", rec->name, NULL);
    /* a private name in the same directory: from here on the name the
     * users know no longer leads to the file, and what is checked and
     * unlinked is the file that was moved, whoever makes a new one */
    moved = *rec;
    apr_snprintf(moved.name, sizeof(moved.name), ".ipcguard-reap.%"
                 APR_INT64_T_FMT ".%" APR_UINT64_T_FMT, c->o.self_pid,
                 rec->ino);
    aside = apr_pstrcat(p, dir, "/", moved.name, NULL);
    rv = rename_noreplace(path, aside);
    if (APR_STATUS_IS_ENOENT(rv)) {
        v->verdict = IPCG_VERDICT_GONE;
        v->reason = IPCG_WHY_GONE;
        return;
    }
    if (rv != APR_SUCCESS) {
        keep(v, IPCG_WHY_REMOVE_FAILED);
        v->rv = rv;
        return;
    }
    rv = ipcg_probe(p, c->o.paths, &moved, &use);
    if (rv == APR_SUCCESS) {
        /* judged under the recorded name: the same inode, owner and
         * creator, and nobody maps or holds it, asked afresh */
        ipcg_strlcpy(use.now.name, rec->name, sizeof(use.now.name));
        judge(c, s, rec, &use, v, LOOKUP_FRESH);
    }
    else {
        keep(v, IPCG_WHY_PROBE_FAILED);
        v->rv = rv;
    }
    if (v->verdict == IPCG_VERDICT_REMOVE) {
        rv = apr_file_remove(aside, p);
        if (rv == APR_SUCCESS) {
            return;
        }
        keep(v, IPCG_WHY_REMOVE_FAILED);
        v->rv = rv;
    }
    /* not the file that was checked, or in use after all: give it its
     * name back, unless someone made a new file under it meanwhile */
    rv = rename_noreplace(aside, path);
    if (rv != APR_SUCCESS) {
        char safe[IPCG_NAME_MAX];
        printable(safe, sizeof(safe), rec->name);
        ipcg_log(IPCG_LOG_WARNING, rv, 25, "could not give %s/%s its name "
                 "back after the check before its removal failed; it stays "
                 "as %s", dir, safe, aside);
    }
}

/* IPC_RMID by the id that was probed, after a final REMOVE verdict. It
 * uses no pool: the batches' second thread calls it too. */
static void rmid_checked(const ipcg_obj_t *rec, ipcg_verdict_t *v)
{
    apr_status_t rv = ipcg_remove_sysv(rec);

    if (rv == APR_SUCCESS) {
        return;
    }
    if (APR_STATUS_IS_EINVAL(rv) || rv == APR_FROM_OS_ERROR(EIDRM)) {
        v->verdict = IPCG_VERDICT_GONE;
        v->reason = IPCG_WHY_GONE;
        return;
    }
    keep(v, IPCG_WHY_REMOVE_FAILED);
    v->rv = rv;
}

void ipcg_reap_remove(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                      const ipcg_obj_t *rec, ipcg_verdict_t *v)
{
    ipcg_use_t use;
    apr_status_t rv;

    if (is_posix(rec)) {
        remove_posix(c, s, rec, v);
        return;
    }
    /* SysV: the final probe and judgement, asked afresh, right before
     * IPC_RMID by the id that was probed */
    rv = ipcg_probe(c->pool, c->o.paths, rec, &use);
    if (rv != APR_SUCCESS) {
        memset(v, 0, sizeof(*v));
        v->path = s->path;
        keep(v, IPCG_WHY_PROBE_FAILED);
        v->rv = rv;
        return;
    }
    judge(c, s, rec, &use, v, LOOKUP_FRESH);
    if (v->verdict != IPCG_VERDICT_REMOVE) {
        return;
    }
    rmid_checked(rec, v);
}

/* ------------------------------------------------------------------ */
/* Probing and removing a batch with a second thread                    */

/* What a side does with its share of a batch: probe each object, or
 * remove each one that was judged removable. */
typedef enum { WORK_PROBE, WORK_REMOVE } work_e;

/* Do @a what to the batch's objects @a first, @a first + @a step, ... */
static void work_some(pending_t *b, int n, work_e what, int first, int step)
{
    int i;

    for (i = first; i < n; i += step) {
        if (what == WORK_PROBE) {
            b[i].prv = ipcg_probe_sysv(b[i].rec, &b[i].use);
        }
        else if (b[i].v.verdict == IPCG_VERDICT_REMOVE) {
            rmid_checked(b[i].rec, &b[i].v);
        }
    }
}

#if APR_HAS_THREADS

/* Each batch is probed by both threads, the helper taking its last
 * places; the batch is judged only when both are done, so every probe of
 * it still comes before every fresh pid answer and every removal of it.
 * The batch judged with those answers is held: while the next batch is
 * probed, the helper first removes the held batch's objects judged
 * removable (a removal takes a lock that every removal in the namespace
 * takes, so two threads removing wait on each other, while a probe takes
 * none of it), then probes its share of the new batch. The held batch is
 * settled, in order, when both are done. Between hand-overs each side
 * first spins for a moment (a hand-over takes less than a batch's
 * probes, and waking a sleeping thread costs about as much), then sleeps
 * on the condition. */
struct prober_t {
    apr_pool_t *pool;
    apr_thread_t *thread;
    apr_thread_mutex_t *mu;
    apr_thread_cond_t *cond;
    pending_t *rm;                  /* remove what is judged removable */
    int nrm;
    pending_t *batch;               /* then probe places from..to-1 */
    int from, to;
    int share;                      /* of a batch, the helper's places */
    apr_time_t ended;               /* when the helper ended its job */
    volatile apr_uint32_t asked;    /* batches handed over */
    volatile apr_uint32_t answered; /* batches the helper is done with */
    volatile apr_uint32_t quit;
};

#define SPIN_USEC 1000

/* Until @a *word is @a want (or, for the helper, quit is asked): spin
 * up to SPIN_USEC, then sleep on the condition. */
static void await_word(prober_t *pr, volatile apr_uint32_t *word,
                       apr_uint32_t want, int or_quit)
{
    apr_time_t until = apr_time_now() + SPIN_USEC;
    unsigned i = 0;

    while (apr_atomic_read32(word) != want
           && !(or_quit && apr_atomic_read32(&pr->quit))) {
        if ((++i & 255) == 0 && apr_time_now() > until) {
            apr_thread_mutex_lock(pr->mu);
            while (apr_atomic_read32(word) != want
                   && !(or_quit && apr_atomic_read32(&pr->quit))) {
                apr_thread_cond_wait(pr->cond, pr->mu);
            }
            apr_thread_mutex_unlock(pr->mu);
            return;
        }
    }
}

/* Set @a *word and wake whoever sleeps on it. */
static void post_word(prober_t *pr, volatile apr_uint32_t *word,
                      apr_uint32_t value)
{
    apr_thread_mutex_lock(pr->mu);
    apr_atomic_set32(word, value);
    apr_thread_cond_broadcast(pr->cond);
    apr_thread_mutex_unlock(pr->mu);
}

static void *APR_THREAD_FUNC prober_main(apr_thread_t *t, void *baton)
{
    prober_t *pr = baton;
    apr_uint32_t done = 0;

    for (;;) {
        await_word(pr, &pr->asked, done + 1, 1);
        if (apr_atomic_read32(&pr->quit)) {
            break;
        }
        work_some(pr->rm, pr->nrm, WORK_REMOVE, 0, 1);
        work_some(pr->batch, pr->to, WORK_PROBE, pr->from, 1);
        pr->ended = apr_time_now();
        post_word(pr, &pr->answered, ++done);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* The helper for a pass over @a n objects; none (and the pass probes
 * alone) for a small one, on one processor, or when no thread can be
 * made. It takes no signal: those stay the server's main thread's. */
static void prober_start(ipcg_reap_ctx_t *c, int n, const char *pass)
{
    prober_t *pr;
    apr_pool_t *p;
    sigset_t all, old;
    apr_status_t rv;

    if (n < PARALLEL_MIN || c->prober != NULL
        || sysconf(_SC_NPROCESSORS_ONLN) < 2
        || apr_pool_create(&p, c->pool) != APR_SUCCESS) {
        return;
    }
    pr = apr_pcalloc(p, sizeof(*pr));
    pr->pool = p;
    pr->share = BATCH_MAX / 2;
    if (apr_thread_mutex_create(&pr->mu, APR_THREAD_MUTEX_DEFAULT, p)
        != APR_SUCCESS
        || apr_thread_cond_create(&pr->cond, p) != APR_SUCCESS) {
        apr_pool_destroy(p);
        return;
    }
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rv = apr_thread_create(&pr->thread, NULL, prober_main, pr, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rv != APR_SUCCESS) {
        ipcg_log(IPCG_LOG_DEBUG, rv, 33, "%s: probing %d objects in one "
                 "thread: no second thread could be made", pass, n);
        apr_pool_destroy(p);
        return;
    }
    ipcg_log(IPCG_LOG_DEBUG, 0, 33, "%s: probing %d objects in two threads",
             pass, n);
    c->prober = pr;
}

static void prober_stop(ipcg_reap_ctx_t *c)
{
    prober_t *pr = c->prober;
    apr_status_t rv;

    if (pr == NULL) {
        return;
    }
    post_word(pr, &pr->quit, 1);
    apr_thread_join(&rv, pr->thread);
    c->prober = NULL;
    apr_pool_destroy(pr->pool);
}

/* Probe every object of the batch; the helper first removes what the
 * held batch was judged to remove, then probes its share, the last
 * places. Returns when both are done. How long a removal takes next to
 * a probe depends on the kernel and on what runs beside it, so the share
 * is evened out as the pass goes: the side that ended first takes one
 * place more of the next batch. */
static void probe_with_helper(ipcg_reap_ctx_t *c, prober_t *pr)
{
    apr_uint32_t job;
    apr_time_t mine;
    int split = c->nbatch - (pr->share < c->nbatch ? pr->share : c->nbatch);

    pr->rm = c->held;
    pr->nrm = c->nheld;
    pr->batch = c->batch;
    pr->from = split;
    pr->to = c->nbatch;
    job = apr_atomic_read32(&pr->asked) + 1;
    post_word(pr, &pr->asked, job);
    work_some(c->batch, split, WORK_PROBE, 0, 1);
    mine = apr_time_now();
    await_word(pr, &pr->answered, job, 0);
    if (pr->ended > mine) {
        pr->share -= pr->share > 0;
    }
    else {
        pr->share += pr->share < BATCH_MAX;
    }
}

#else /* !APR_HAS_THREADS */

static void prober_start(ipcg_reap_ctx_t *c, int n, const char *pass)
{
    (void)c;
    (void)n;
    (void)pass;
}

static void prober_stop(ipcg_reap_ctx_t *c)
{
    (void)c;
}

static void probe_with_helper(ipcg_reap_ctx_t *c, prober_t *pr)
{
    (void)c;
    (void)pr;
}

#endif

/* Settle the held batch, in order. */
static void settle_held(ipcg_reap_ctx_t *c)
{
    int i;

    for (i = 0; i < c->nheld; i++) {
        c->held_settle(c->held_baton, &c->held[i]);
    }
    c->nheld = 0;
}

/* Make the held batch's removals here and now, and settle it: at once
 * when there is no helper, before an object that is settled on its own,
 * and at the end of a pass. */
static void batch_drain(ipcg_reap_ctx_t *c)
{
    work_some(c->held, c->nheld, WORK_REMOVE, 0, 1);
    settle_held(c);
}

/* Probe every object of the batch (with the helper, which also makes the
 * held batch's removals), then settle the held batch. */
static void probe_batch(ipcg_reap_ctx_t *c)
{
    if (c->prober == NULL) {
        work_some(c->batch, c->nbatch, WORK_PROBE, 0, 1);
        return;
    }
    probe_with_helper(c, c->prober);
    settle_held(c);
}

/* ------------------------------------------------------------------ */
/* SysV objects in batches                                              */

/* The startup and orphan passes judge thousands of SysV objects that
 * name the same few pids. Each object is probed once, right before its
 * removal, and judged; those found removable wait in a batch. Then every
 * pid the batch's objects name is asked about afresh, once for all of
 * them (after every probe of the batch, before any removal of it), each
 * object is judged again with those answers, and removed by the id that
 * was probed. So the removal rests on the same proofs as
 * ipcg_reap_remove()'s, with one question per pid instead of one per
 * object, and one probe instead of two. */

static pending_t *batch_add(ipcg_reap_ctx_t *c)
{
    if (c->batch == NULL) {
        c->batch = apr_palloc(c->pool, sizeof(pending_t) * BATCH_MAX);
    }
    return &c->batch[c->nbatch++];
}

static void batch_flush(ipcg_reap_ctx_t *c, const ipcg_subject_t *s,
                        settle_fn *settle, void *baton)
{
    pending_t *t;
    int i, j;

    c->round++;
    for (i = 0; i < c->nbatch; i++) {
        pending_t *pd = &c->batch[i];
        if (pd->v.verdict != IPCG_VERDICT_REMOVE) {
            continue;
        }
        for (j = 0; j < pd->use.npids; j++) {
            pid_refresh(c, pd->use.pids[j]);
        }
    }
    for (i = 0; i < c->nbatch; i++) {
        pending_t *pd = &c->batch[i];
        if (pd->v.verdict == IPCG_VERDICT_REMOVE) {
            judge(c, s, pd->rec, &pd->use, &pd->v, LOOKUP_CACHED);
        }
    }
    /* held: with the helper, its removals are made while the next batch
     * is probed; without it, here and now (by the id that was probed).
     * What was held before was settled when this batch was probed. */
    if (c->nheld) {
        batch_drain(c);
    }
    t = c->held;
    c->held = c->batch;
    c->nheld = c->nbatch;
    c->held_settle = settle;
    c->held_baton = baton;
    c->batch = t;
    c->nbatch = 0;
    if (c->prober == NULL) {
        batch_drain(c);
    }
}

/* ------------------------------------------------------------------ */
/* The cleanups                                                         */

static void describe(char *buf, apr_size_t len, const ipcg_obj_t *x)
{
    if (x->kind == IPCG_POSIX_SHM || x->kind == IPCG_POSIX_SEM) {
        /* the name may hold anything: the log shows it escaped by httpd,
         * and here only its printable bytes */
        char safe[IPCG_NAME_MAX];
        printable(safe, sizeof(safe), x->name);
        apr_snprintf(buf, len, "%s %s (%s, %s)", ipcg_kind_name(x->kind),
                     safe, x->module, ipcg_phase_name(x->phase));
    }
    else {
        apr_snprintf(buf, len, "%s id %" APR_INT64_T_FMT " key 0x%08x (%s, "
                     "%s)", ipcg_kind_name(x->kind), x->id,
                     (unsigned)x->key, x->module, ipcg_phase_name(x->phase));
    }
}

/* Record a decision. Every kept object is listed; of the removed ones
 * and of the orphans, the first IPCG_LISTED_MAX of each pass (@a listed
 * counts them): the counts and the error log cover every one, and a list
 * of thousands would cost the cleanup about 650 bytes of fresh memory an
 * object, a third of its time, for a page that shows a few hundred. */
static void add_decision(apr_array_header_t *decisions, ipcg_decision_e what,
                         const ipcg_obj_t *x, const ipcg_verdict_t *v,
                         int *listed)
{
    ipcg_decision_t *d;

    if (decisions == NULL) {
        return;
    }
    if (what != IPCG_DEC_KEPT && listed != NULL) {
        if (*listed >= IPCG_LISTED_MAX) {
            return;
        }
        (*listed)++;
    }
    d = apr_array_push(decisions);
    memset(d, 0, sizeof(*d));
    d->what = what;
    d->provable = what == IPCG_DEC_REMOVED
                  || v->verdict == IPCG_VERDICT_REMOVE
                  || (what == IPCG_DEC_ORPHAN
                      && v->reason == IPCG_WHY_REPORT_MODE);
    d->code = (int)v->reason;
    d->obj = *x;
    ipcg_verdict_text(v, d->reason, sizeof(d->reason));
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
 * something else did (before the crash or since); unless a server of
 * this instance ran without the module since, whose modules remove a
 * named segment left over before they make it afresh. */
static const char *gone_phrase(apr_pool_t *p, int gone, int unguarded)
{
    if (gone == 0) {
        return "";
    }
    if (unguarded) {
        return apr_psprintf(p, " (%d of them already gone: removed by this "
                            "server while it ran without mod_ipcguard, or "
                            "by something outside httpd)", gone);
    }
    return apr_psprintf(p, " (%d of them already gone: removed by something "
                        "outside httpd)", gone);
}

static const char *kinds_phrase(apr_pool_t *p, const ipcg_cleanup_t *res)
{
    const struct {
        unsigned count;
        const char *what;
    } kinds[] = {
        { res->removed_sem, "semaphore set" },
        { res->removed_shm, "shared memory segment" },
        { res->removed_msg, "message queue" },
        { res->removed_posix, "/dev/shm file" },
    };
    const char *s = "";
    const char *sep = "";
    apr_size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].count) {
            s = apr_psprintf(p, "%s%s%u %s%s", s, sep, kinds[i].count,
                             kinds[i].what, ipcg_plural(kinds[i].count));
            sep = ", ";
        }
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

/* Leave a true state file: what was removed is gone from it, the rest
 * (kept, already gone) stays, and it still names the earlier run. Not
 * synced, like every state write: the page cache outlives this process,
 * and the only thing a sync would add, the file after a power loss, names
 * objects that the reboot has ended anyway (its boot id tells the next
 * start so). */
static void rewrite_state(apr_pool_t *p, const char *path,
                          const ipcg_state_t *st, const char *removed,
                          int nremoved)
{
    ipcg_state_t left = *st;
    const char *why = NULL;
    apr_status_t rv;
    int i, gone;

    left.objs = apr_array_make(p, st->objs->nelts - nremoved + 1,
                               sizeof(ipcg_obj_t));
    for (i = 0; i < st->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(st->objs, i, ipcg_obj_t);
        if (!removed[i]) {
            *(ipcg_obj_t *)apr_array_push(left.objs) = *x;
        }
    }
    gone = st->objs->nelts - left.objs->nelts;
    rv = ipcg_state_write(p, path, &left, &why);
    if (rv != APR_SUCCESS) {
        ipcg_log(IPCG_LOG_WARNING, rv, 24, "could not rewrite state file %s "
                 "without the %d object%s removed: %s; the next start will "
                 "find %s gone", path, gone, ipcg_plural((apr_uint64_t)gone),
                 why ? why : "write failed", gone == 1 ? "it" : "them");
        return;
    }
    ipcg_log(IPCG_LOG_INFO, 0, 23, "state file %s rewritten without the %d "
             "object%s removed; %d %s recorded", path, gone,
             ipcg_plural((apr_uint64_t)gone), left.objs->nelts,
             left.objs->nelts == 1 ? "remains" : "remain");
}

static const char *run_text(apr_pool_t *p, ipcg_run_e run,
                            const ipcg_state_t *st, int held)
{
    switch (run) {
    case IPCG_RUN_ALIVE:
        if (held > 0) {
            return apr_psprintf(p, "the run of httpd pid %" APR_INT64_T_FMT
                                " holds its run lock: it lives where this "
                                "process cannot see its pids (another PID "
                                "namespace on this IPC namespace and state "
                                "directory)", st->pid);
        }
        return apr_psprintf(p, "httpd pid %" APR_INT64_T_FMT " of this "
                            "instance is still running", st->pid);
    case IPCG_RUN_UNKNOWN:
        return apr_psprintf(p, "cannot tell whether pid %" APR_INT64_T_FMT
                            " is alive%s", st->pid, held < 0 ? " (its run "
                            "lock cannot be asked)" : "");
    case IPCG_RUN_SURVIVORS:
        return apr_psprintf(p, "httpd pid %" APR_INT64_T_FMT " is gone but "
                            "some of its processes survive", st->pid);
    case IPCG_RUN_DEAD:
    default:
        return "dead";
    }
}

/* One startup cleanup, for settling its objects one by one. */
typedef struct {
    ipcg_reap_ctx_t *c;
    const ipcg_state_t *st;
    ipcg_cleanup_t *res;
    apr_array_header_t *decisions;
    apr_array_header_t *carried;
    char *removed;                  /* per recorded object: 1 removed */
    int nremoved, kept, gone;
    int apps;                       /* kept as application-owned */
    int listed;                     /* removed ones listed in decisions */
} startup_run_t;

/* Log and record the final verdict on one recorded object. */
static void startup_settle(void *baton, pending_t *pd)
{
    startup_run_t *r = baton;
    const ipcg_obj_t *rec = pd->rec;
    ipcg_verdict_t *v = &pd->v;
    char desc[IPCG_NAME_MAX + 128] = "";
    char reason[IPCG_REASON_MAX];

    /* naming the object costs more than deciding: only for the log */
    if (ipcg_log_enabled(IPCG_LOG_INFO)) {
        describe(desc, sizeof(desc), rec);
    }
    if (pd->probe_failed) {
        describe(desc, sizeof(desc), rec);
        ipcg_verdict_text(v, reason, sizeof(reason));
        ipcg_log(IPCG_LOG_WARNING, v->rv, 16, "keeping %s: %s", desc,
                 reason);
        add_decision(r->decisions, IPCG_DEC_KEPT, rec, v, NULL);
        r->kept++;
        return;
    }
    if (v->verdict == IPCG_VERDICT_REMOVE) {
        r->removed[pd->idx] = 1;
        r->nremoved++;
        ipcg_log(IPCG_LOG_INFO, 0, 17, "removed %s, left by httpd pid %"
                 APR_INT64_T_FMT, desc, r->st->pid);
        add_decision(r->decisions, IPCG_DEC_REMOVED, rec, v, &r->listed);
        count_removed(r->res, rec);
        return;
    }
    if (v->reason == IPCG_WHY_REMOVE_FAILED) {
        describe(desc, sizeof(desc), rec);
        ipcg_log(IPCG_LOG_WARNING, v->rv, 18, "could not remove %s", desc);
    }
    if (v->verdict == IPCG_VERDICT_GONE) {
        ipcg_log(IPCG_LOG_INFO, 0, 19, "%s is already gone", desc);
        /* what the startup phases made outlives a killed parent:
         * only someone else removes it */
        if (rec->phase == IPCG_PHASE_POST_CONFIG
            || rec->phase == IPCG_PHASE_OPEN_LOGS
            || rec->phase == IPCG_PHASE_PRE_MPM) {
            r->gone++;
        }
    }
    else if (v->reason != IPCG_WHY_REMOVE_FAILED) {
        /* an application's object kept is the normal outcome: info */
        int app = v->reason == IPCG_WHY_CLASS;
        if (desc[0] == '\0') {
            describe(desc, sizeof(desc), rec);
        }
        ipcg_verdict_text(v, reason, sizeof(reason));
        ipcg_log(app ? IPCG_LOG_INFO : IPCG_LOG_WARNING, 0, app ? 26 : 20,
                 "keeping %s: %s", desc, reason);
        r->apps += app;
    }
    add_decision(r->decisions, IPCG_DEC_KEPT, rec, v, NULL);
    r->kept++;
    if (r->carried && v->verdict != IPCG_VERDICT_GONE
        && rec->cls != IPCG_CLASS_FOREIGN
        && v->reason != IPCG_WHY_LIVE_INSTANCE
        && ipcg_obj_continues(rec, &pd->use.now)) {
        ipcg_obj_t *x = apr_array_push(r->carried);
        *x = *rec;
        /* made by a process of the dead run: no process of the new
         * run that gets the same pid is its owner */
        x->owner_start = IPCG_OWNER_GONE;
    }
}

/* Ends a startup cleanup that removes nothing, with the summary already
 * written: logged at @a level with @a tag. */
static void startup_stop(ipcg_cleanup_t *res, apr_time_t t0,
                         ipcg_outcome_e outcome, int level, int tag)
{
    res->outcome = outcome;
    ipcg_log(level, 0, tag, "%s", res->summary);
    finish(res, t0);
}

/* Reads the state file of the last run and checks that it is this
 * instance's record; 0 (the cleanup stopped, its summary written) when it
 * is missing or refused, or when no process can be listed. */
static int startup_load(ipcg_reap_ctx_t *c, ipcg_cleanup_t *res,
                        apr_time_t t0, const char *path, ipcg_state_t *st)
{
    const ipcg_reap_opts_t *o = &c->o;
    const char *why = NULL;
    apr_status_t rv;

    memset(st, 0, sizeof(*st));
    rv = ipcg_state_read(c->pool, path, o->trust_uid, st, &why);
    if (APR_STATUS_IS_ENOENT(rv)) {
        apr_snprintf(res->summary, sizeof(res->summary), "no state file %s: "
                     "the last run stopped cleanly or never ran with the "
                     "module", path);
        startup_stop(res, t0, IPCG_OUTCOME_NO_STATE, IPCG_LOG_INFO, 10);
        return 0;
    }
    if (rv != APR_SUCCESS) {
        /* the reason is in the message: an APR code adds nothing */
        apr_snprintf(res->summary, sizeof(res->summary), "refusing state "
                     "file %s: %s; nothing removed", path,
                     why ? why : "unreadable");
        startup_stop(res, t0, IPCG_OUTCOME_REFUSED, IPCG_LOG_WARNING, 11);
        return 0;
    }
    if (o->instance && strcmp(st->instance, o->instance) != 0) {
        apr_snprintf(res->summary, sizeof(res->summary), "refusing state "
                     "file %s: it names instance %s, not %s; nothing removed",
                     path, st->instance, o->instance);
        startup_stop(res, t0, IPCG_OUTCOME_REFUSED, IPCG_LOG_WARNING, 12);
        return 0;
    }
    if (o->trust_uid != 0 && st->run_uid != o->trust_uid) {
        /* a server that never was root runs as the user it was started
         * as: a file of that user naming another run User is no record of
         * this instance's runs */
        apr_snprintf(res->summary, sizeof(res->summary), "refusing state "
                     "file %s: it records run User uid %u, but a server not "
                     "started as root runs as uid %u; nothing removed", path,
                     (unsigned)st->run_uid, (unsigned)o->trust_uid);
        startup_stop(res, t0, IPCG_OUTCOME_REFUSED, IPCG_LOG_WARNING, 11);
        return 0;
    }
    res->previous_pid = st->pid;
    res->previous_start = st->started;
    res->previous_written = st->written;
    if (procs_of(c) == NULL) {
        apr_snprintf(res->summary, sizeof(res->summary), "cannot list "
                     "processes in %s/: nothing removed", o->paths->proc);
        startup_stop(res, t0, IPCG_OUTCOME_UNKNOWN, IPCG_LOG_WARNING, 13);
        return 0;
    }
    return 1;
}

static void log_survivors(apr_pool_t *p, const ipcg_state_t *st,
                          const apr_array_header_t *survivors)
{
    const char *list = "";
    int i;

    for (i = 0; i < survivors->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(survivors, i, ipcg_proc_t);
        list = apr_psprintf(p, "%s%s%" APR_INT64_T_FMT " (%s)", list,
                            i ? ", " : "", pr->pid, pr->comm);
    }
    ipcg_log(IPCG_LOG_WARNING, 0, 15, "httpd pid %" APR_INT64_T_FMT
             " of this instance died but its processes %s survive: "
             "removing nothing; stop them (kill by pid) and start httpd "
             "again, or run 'ipcguardctl clean' once they are gone",
             st->pid, list);
}

/* The first verdict on a recorded object whose probe said @a pd->prv:
 * kept when the probe failed, else judged. */
static void startup_judge(ipcg_reap_ctx_t *c, const ipcg_subject_t *subj,
                          pending_t *pd)
{
    pd->probe_failed = pd->prv != APR_SUCCESS;
    if (pd->probe_failed) {
        memset(&pd->v, 0, sizeof(pd->v));
        pd->v.path = IPCG_PATH_STARTUP;
        keep(&pd->v, IPCG_WHY_PROBE_FAILED);
        pd->v.rv = pd->prv;
    }
    else {
        ipcg_reap_judge(c, subj, pd->rec, &pd->use, &pd->v);
    }
}

/* Probe and judge the batch of the file's SysV objects, then settle it. */
static void startup_batch(ipcg_reap_ctx_t *c, const ipcg_subject_t *subj,
                          startup_run_t *run)
{
    int i;

    probe_batch(c);
    for (i = 0; i < c->nbatch; i++) {
        startup_judge(c, subj, &c->batch[i]);
    }
    batch_flush(c, subj, startup_settle, run);
}

/* A POSIX object of the file, probed, judged and settled on its own. */
static void startup_posix(ipcg_reap_ctx_t *c, const ipcg_subject_t *subj,
                          startup_run_t *run, const ipcg_obj_t *rec, int i)
{
    pending_t one;

    memset(&one, 0, sizeof(one));
    one.rec = rec;
    one.idx = i;
    one.prv = ipcg_probe(c->pool, c->o.paths, rec, &one.use);
    startup_judge(c, subj, &one);
    if (one.v.verdict == IPCG_VERDICT_REMOVE) {
        ipcg_reap_remove(c, subj, rec, &one.v);
    }
    startup_settle(run, &one);
}

/* Probes and judges every recorded object in the file's order, SysV ones
 * in batches, POSIX ones one by one (renamed aside, checked again,
 * unlinked), and settles each. */
static void startup_walk(ipcg_reap_ctx_t *c, const ipcg_subject_t *subj,
                         startup_run_t *run)
{
    const apr_array_header_t *objs = run->st->objs;
    int i;

    prober_start(c, objs->nelts, "startup cleanup");
    for (i = 0; i < objs->nelts; i++) {
        const ipcg_obj_t *rec = &APR_ARRAY_IDX(objs, i, ipcg_obj_t);
        pending_t *pd;

        if (is_posix(rec)) {
            /* in the file's order: what waits is settled first */
            startup_batch(c, subj, run);
            batch_drain(c);
            startup_posix(c, subj, run, rec, i);
            continue;
        }
        pd = batch_add(c);
        pd->rec = rec;
        pd->idx = i;
        if (c->nbatch == BATCH_MAX) {
            startup_batch(c, subj, run);
        }
    }
    startup_batch(c, subj, run);
    batch_drain(c);
    prober_stop(c);
}

/* "kept 3", "kept 2 application objects", "kept 3 (2 application
 * objects)", with what was already gone. */
static const char *kept_phrase(apr_pool_t *p, const ipcg_cleanup_t *res,
                               int apps, int gone)
{
    unsigned kept = res->kept_count;
    const char *gp = gone_phrase(p, gone, res->unguarded_since);

    if (apps <= 0) {
        return apr_psprintf(p, "kept %u%s", kept, gp);
    }
    if ((unsigned)apps == kept) {
        return apr_psprintf(p, "kept %d application object%s", apps,
                            ipcg_plural(apps));
    }
    return apr_psprintf(p, "kept %u (%d application object%s)%s", kept, apps,
                        ipcg_plural(apps), gp);
}

/* How the run ended: its clean stop kept its children's objects in the
 * state file; otherwise it was killed, or crashed, after its last write. */
static const char *ending(apr_pool_t *p, const ipcg_cleanup_t *res,
                          const ipcg_state_t *st)
{
    return res->previous_stopped
        ? "stopped cleanly; its children's objects outlived it"
        : apr_psprintf(p, "unclean stop after %s", when(p, st->written));
}

static void startup_summary(apr_pool_t *p, ipcg_cleanup_t *res,
                            const ipcg_state_t *st, ipcg_run_e state,
                            int gone, int apps)
{
    if (state == IPCG_RUN_SURVIVORS) {
        apr_snprintf(res->summary, sizeof(res->summary), "%s: removed "
                     "nothing, kept %u", run_text(p, state, st, 0),
                     res->kept_count);
    }
    else if (res->removed_count) {
        apr_snprintf(res->summary, sizeof(res->summary), "removed %u stale "
                     "IPC object%s (%s) left by httpd pid %" APR_INT64_T_FMT
                     " (%s); %s",
                     res->removed_count, ipcg_plural(res->removed_count),
                     kinds_phrase(p, res), st->pid, ending(p, res, st),
                     kept_phrase(p, res, apps, gone));
    }
    else {
        apr_snprintf(res->summary, sizeof(res->summary), "removed no IPC "
                     "object left by httpd pid %" APR_INT64_T_FMT " (%s); %s",
                     st->pid, ending(p, res, st),
                     kept_phrase(p, res, apps, gone));
    }
}

/* Put the kept objects of @a d (from index @a from on) before the others,
 * each part in its order: a list that is cut further on (the status
 * table holds IPCG_LISTED_MAX removed ones and a few hundred decisions in
 * all) then keeps what needs an operator's eye. */
static void kept_first(apr_pool_t *p, apr_array_header_t *d, int from)
{
    ipcg_decision_t *x, *rest;
    int i, k, r = 0, first = -1, late = 0;

    if (d == NULL) {
        return;
    }
    x = (ipcg_decision_t *)d->elts;
    for (i = from; i < d->nelts; i++) {
        if (x[i].what != IPCG_DEC_KEPT) {
            first = first < 0 ? i : first;
        }
        else if (first >= 0) {
            late = 1;
        }
    }
    if (!late) {
        return;                     /* already in that order */
    }
    rest = apr_palloc(p, sizeof(*rest) * (apr_size_t)(d->nelts - first));
    for (i = k = first; i < d->nelts; i++) {
        if (x[i].what == IPCG_DEC_KEPT) {
            x[k++] = x[i];          /* k <= i: nothing not yet read */
        }
        else {
            rest[r++] = x[i];
        }
    }
    memcpy(x + k, rest, sizeof(*rest) * (apr_size_t)r);
}

void ipcg_reap_startup(ipcg_reap_ctx_t *c, ipcg_cleanup_t *res,
                       apr_array_header_t *decisions,
                       apr_array_header_t *carried)
{
    apr_pool_t *p = c->pool;
    const ipcg_reap_opts_t *o = &c->o;
    apr_time_t t0 = apr_time_now();
    ipcg_state_t st;
    const char *path;
    apr_array_header_t *survivors;
    ipcg_subject_t subj;
    startup_run_t run;
    int listed_from;

    memset(res, 0, sizeof(*res));
    res->ran = 1;
    res->mode = o->mode;
    res->unguarded_since = o->unguarded_since;
    res->at = apr_time_sec(t0);
    if (o->mode == IPCG_CLEANUP_OFF) {
        res->ran = 0;
        res->outcome = IPCG_OUTCOME_OFF;
        ipcg_strlcpy(res->summary, "cleanup is off", sizeof(res->summary));
        return;
    }
    path = own_state(c);
    if (!startup_load(c, res, t0, path, &st)) {
        return;
    }
    res->previous_stopped = o->stopped_pid > 0 && o->stopped_pid == st.pid
                            && o->stopped_started == st.started;
    survivors = apr_array_make(p, 4, sizeof(ipcg_proc_t));
    memset(&subj, 0, sizeof(subj));
    subj.path = IPCG_PATH_STARTUP;
    /* the owner test is against what the run recorded, not against
     * whatever the configuration says today */
    subj.run_uid = st.run_uid;
    subj.run_gid = st.run_gid;
    subj.user_only = c->o.trust_uid != 0;
    subj.run = ipcg_reap_run_state(c, &st, survivors);
    subj.survivors = survivors;
    if (subj.run == IPCG_RUN_ALIVE || subj.run == IPCG_RUN_UNKNOWN) {
        apr_snprintf(res->summary, sizeof(res->summary), "%s: nothing to "
                     "clean up", run_text(p, subj.run, &st, c->run_held));
        res->ran = 0;
        startup_stop(res, t0, subj.run == IPCG_RUN_ALIVE
                                  ? IPCG_OUTCOME_ALIVE : IPCG_OUTCOME_UNKNOWN,
                     subj.run == IPCG_RUN_ALIVE ? IPCG_LOG_INFO
                                                : IPCG_LOG_WARNING, 14);
        return;
    }
    if (subj.run == IPCG_RUN_SURVIVORS) {
        log_survivors(p, &st, survivors);
    }
    memset(&run, 0, sizeof(run));
    run.c = c;
    run.st = &st;
    run.res = res;
    run.decisions = decisions;
    run.carried = carried;
    run.removed = apr_pcalloc(p, (apr_size_t)st.objs->nelts + 1);
    listed_from = decisions ? decisions->nelts : 0;
    ipcg_array_reserve(decisions, st.objs->nelts);
    startup_walk(c, &subj, &run);
    kept_first(p, decisions, listed_from);
    res->kept_count = run.kept;
    if (run.nremoved) {
        rewrite_state(p, path, &st, run.removed, run.nremoved);
    }
    finish(res, t0);
    res->outcome = subj.run == IPCG_RUN_SURVIVORS ? IPCG_OUTCOME_SURVIVORS
                                                  : IPCG_OUTCOME_DONE;
    startup_summary(p, res, &st, subj.run, run.gone, run.apps);
    ipcg_log(IPCG_LOG_NOTICE, 0, 21, "%s (%s mode, %" APR_INT64_T_FMT " us)",
             res->summary, ipcg_cleanup_name(o->mode), res->duration_us);
}

/* One orphan pass, for settling its candidates one by one. */
typedef struct {
    apr_array_header_t *decisions;
    int removed;
    int listed, listed_orphans;     /* of each, listed in decisions */
    apr_uint64_t candidates, provable;
} orphan_run_t;

static void orphan_settle(void *baton, pending_t *pd)
{
    orphan_run_t *r = baton;
    const ipcg_obj_t *x = pd->rec;
    char desc[IPCG_NAME_MAX + 128];

    if (pd->v.verdict == IPCG_VERDICT_REMOVE) {
        if (ipcg_log_enabled(IPCG_LOG_INFO)) {
            describe(desc, sizeof(desc), x);
            ipcg_log(IPCG_LOG_INFO, 0, 30, "removed orphan %s: owned by the "
                     "run User, unused, every pid it names is dead", desc);
        }
        add_decision(r->decisions, IPCG_DEC_REMOVED, x, &pd->v, &r->listed);
        r->removed++;
        return;
    }
    if (pd->v.reason == IPCG_WHY_REMOVE_FAILED) {
        describe(desc, sizeof(desc), x);
        ipcg_log(IPCG_LOG_WARNING, pd->v.rv, 31, "could not remove orphan %s",
                 desc);
    }
    add_decision(r->decisions, IPCG_DEC_ORPHAN, x, &pd->v,
                 &r->listed_orphans);
}

/* Probe and judge the batch of candidates, keep those that are candidates
 * after all (neither skipped nor gone), and settle them. */
static void orphan_batch(ipcg_reap_ctx_t *c, const ipcg_subject_t *subj,
                         orphan_run_t *run)
{
    int i, k = 0;

    probe_batch(c);
    for (i = 0; i < c->nbatch; i++) {
        pending_t *pd = &c->batch[i];
        if (pd->prv != APR_SUCCESS) {
            continue;
        }
        ipcg_reap_judge(c, subj, pd->rec, &pd->use, &pd->v);
        if (pd->v.verdict == IPCG_VERDICT_SKIP
            || pd->v.verdict == IPCG_VERDICT_GONE) {
            continue;
        }
        run->candidates++;
        if (pd->v.verdict == IPCG_VERDICT_REMOVE
            || pd->v.reason == IPCG_WHY_REPORT_MODE) {
            run->provable++;
        }
        if (k != i) {
            c->batch[k] = *pd;
        }
        k++;
    }
    c->nbatch = k;
    batch_flush(c, subj, orphan_settle, run);
}

int ipcg_reap_orphans(ipcg_reap_ctx_t *c, const ipcg_snapshot_t *snap,
                      apr_hash_t *registered, apr_array_header_t *decisions,
                      apr_uint64_t *candidates, apr_uint64_t *provable)
{
    ipcg_subject_t subj;
    orphan_run_t run;
    int i, n = 0;
    char slot[IPCG_NAME_MAX + 32];

    memset(&subj, 0, sizeof(subj));
    subj.path = IPCG_PATH_ORPHAN;
    subj.run_uid = c->o.run_uid;
    subj.run_gid = c->o.run_gid;
    subj.user_only = c->o.trust_uid != 0;
    run.decisions = decisions;
    run.removed = 0;
    run.listed = run.listed_orphans = 0;
    run.candidates = run.provable = 0;
    if (registered && apr_hash_count(registered) == 0) {
        registered = NULL;
    }
    /* room for a decision on every candidate at once, and a helper for
     * many */
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        n += orphan_candidate(x, c->o.run_uid);
    }
    ipcg_array_reserve(decisions, n);
    prober_start(c, n, "orphan pass");
    for (i = 0; i < snap->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        pending_t *pd;

        /* no candidate: skip the probe (the procedure says the same) */
        if (!orphan_candidate(x, c->o.run_uid)) {
            continue;
        }
        if (registered && apr_hash_get(registered,
                                       slot_text(slot, sizeof(slot), x),
                                       APR_HASH_KEY_STRING)) {
            continue;
        }
        pd = batch_add(c);
        pd->rec = x;
        pd->idx = i;
        pd->probe_failed = 0;
        if (c->nbatch == BATCH_MAX) {
            orphan_batch(c, &subj, &run);
        }
    }
    orphan_batch(c, &subj, &run);
    batch_drain(c);
    prober_stop(c);
    *candidates = run.candidates;
    *provable = run.provable;
    if (*candidates) {
        ipcg_log(IPCG_LOG_NOTICE, 0, 32, "%" APR_UINT64_T_FMT " orphan "
                 "candidate%s of earlier runs owned by uid %u: %"
                 APR_UINT64_T_FMT " provably dead, %d removed%s",
                 *candidates, ipcg_plural(*candidates),
                 (unsigned)c->o.run_uid, *provable, run.removed,
                 c->o.mode < IPCG_CLEANUP_ORPHANS
                 ? " (IPCGuardCleanup orphans removes them)" : "");
    }
    return run.removed;
}

int ipcg_reap_child(ipcg_reap_ctx_t *c, apr_array_header_t *reg,
                    apr_int64_t pid, apr_uint64_t starttime)
{
    ipcg_obj_t *objs = (ipcg_obj_t *)reg->elts;
    ipcg_subject_t subj;
    int i, kept = 0, removed = 0;
    char desc[IPCG_NAME_MAX + 128];
    char reason[IPCG_REASON_MAX];

    memset(&subj, 0, sizeof(subj));
    subj.path = IPCG_PATH_CHILD;
    subj.run_uid = c->o.run_uid;
    subj.run_gid = c->o.run_gid;
    subj.user_only = c->o.trust_uid != 0;
    for (i = 0; i < reg->nelts; i++) {
        ipcg_obj_t *x = &objs[i];
        ipcg_use_t use;
        ipcg_verdict_t v;

        /* the exited child's own: the same pid, and the same process when
         * both start times are known */
        if (x->owner_pid != pid || x->owner_start == IPCG_OWNER_GONE
            || (x->owner_start && starttime && x->owner_start != starttime)
            || x->phase != IPCG_PHASE_RUNTIME || c->o.mode == IPCG_CLEANUP_OFF) {
            objs[kept++] = *x;
            continue;
        }
        if (ipcg_probe(c->pool, c->o.paths, x, &use) != APR_SUCCESS) {
            objs[kept++] = *x;
            continue;
        }
        ipcg_reap_judge(c, &subj, x, &use, &v);
        if (v.verdict == IPCG_VERDICT_GONE) {
            continue;                          /* gone: leaves the registry */
        }
        if (v.reason == IPCG_WHY_CLASS) {
            objs[kept++] = *x;                 /* application-owned: quiet */
            continue;
        }
        describe(desc, sizeof(desc), x);
        if (v.verdict == IPCG_VERDICT_REMOVE) {
            ipcg_reap_remove(c, &subj, x, &v);
            if (v.verdict == IPCG_VERDICT_REMOVE) {
                ipcg_log(IPCG_LOG_INFO, 0, 41, "removed %s left by child pid %"
                         APR_INT64_T_FMT, desc, pid);
                removed++;
                continue;
            }
            if (v.verdict == IPCG_VERDICT_GONE) {
                continue;
            }
        }
        ipcg_verdict_text(&v, reason, sizeof(reason));
        ipcg_log(IPCG_LOG_INFO, v.rv, 40, "child pid %" APR_INT64_T_FMT
                 " exited; keeping its %s: %s", pid, desc, reason);
        /* its owner has exited unless the proof said otherwise: a later
         * process with the pid is not its owner */
        if (v.reason != IPCG_WHY_OWNER_ALIVE
            && v.reason != IPCG_WHY_OWNER_UNKNOWN) {
            x->owner_start = IPCG_OWNER_GONE;
        }
        objs[kept++] = *x;
    }
    reg->nelts = kept;
    return removed;
}

void ipcg_reap_stamp_owners(ipcg_reap_ctx_t *c, apr_array_header_t *reg)
{
    int i;

    for (i = 0; i < reg->nelts; i++) {
        ipcg_obj_t *x = &APR_ARRAY_IDX(reg, i, ipcg_obj_t);
        ipcg_proc_t pr;
        apr_pool_t *sub;
        if (x->owner_pid <= 0 || x->owner_start != 0) {
            continue;
        }
        apr_pool_create(&sub, c->pool);
        if (ipcg_proc_read(sub, c->o.paths, x->owner_pid, IPCG_PROC_IDENTITY,
                           &pr) == APR_SUCCESS
            && pr.state != 'Z' && pr.state != 'X') {
            x->owner_start = pr.starttime;
        }
        apr_pool_destroy(sub);
    }
}
