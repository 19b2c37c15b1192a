/* Unit tests of the one decision procedure: each proof with a fake
 * liveness oracle, then the run-state proof, the startup decision, the
 * child reaper, the live-instance set, the orphan pass's refusal and the
 * removal of exactly the checked file on fixture /proc trees built in a
 * temp directory (a process is a directory with stat, exe, maps, fd/). */

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <unistd.h>

#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcg_check.h"

/* pids below 1000 are alive, the rest dead; 500 cannot be told */
static int oracle(void *baton, apr_int64_t pid)
{
    (void)baton;
    if (pid == 500) {
        return -1;
    }
    return pid < 1000 ? 1 : 0;
}

static ipcg_paths_t paths;

static ipcg_reap_opts_t opts(ipcg_cleanup_e mode)
{
    ipcg_reap_opts_t o;
    memset(&o, 0, sizeof(o));
    ipcg_paths_default(&paths);
    o.mode = mode;
    o.run_uid = 33;
    o.run_gid = 33;
    o.paths = &paths;
    o.alive = oracle;
    o.self_pid = 99999;
    return o;
}

static ipcg_obj_t rec_sem(void)
{
    ipcg_obj_t r;
    memset(&r, 0, sizeof(r));
    r.kind = IPCG_SYSV_SEM;
    r.id = 32768;
    r.key = 0;
    r.uid = 33;
    r.gid = 33;
    r.cuid = 0;
    r.size = 1;
    r.ctime = 1000;
    r.cls = IPCG_CLASS_INSTANCE;
    r.phase = IPCG_PHASE_POST_CONFIG;
    strcpy(r.module, "mod_rewrite.c");
    return r;
}

/* a probe of the same object, unused, last touched by dead pid 4000 */
static ipcg_use_t dead_use(const ipcg_obj_t *r)
{
    ipcg_use_t u;
    memset(&u, 0, sizeof(u));
    u.exists = 1;
    u.now = *r;
    u.npids = 1;
    u.pids[0] = 4000;
    return u;
}

static ipcg_subject_t startup_of(ipcg_run_e run)
{
    ipcg_subject_t s;
    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_STARTUP;
    s.run_uid = 33;
    s.run_gid = 33;
    s.run = run;
    return s;
}

/* The verdict of the startup path on a dead run, its text in @a why. */
static ipcg_verdict_t decide(ipcg_cleanup_e mode, const ipcg_obj_t *r,
                             const ipcg_use_t *u, char *why)
{
    ipcg_reap_opts_t o = opts(mode);
    ipcg_reap_ctx_t *c = ipcg_reap_ctx_make(pool, &o);
    ipcg_subject_t s = startup_of(IPCG_RUN_DEAD);
    ipcg_verdict_t v;

    ipcg_reap_judge(c, &s, r, u, &v);
    ipcg_verdict_text(&v, why, IPCG_REASON_MAX);
    return v;
}

#define ck_verdict(v, want, code) do { \
        ck_assert_msg((v).verdict == (want) && (v).reason == (code), \
                      "expected verdict %d (%s), got %d (%s)", (want), \
                      ipcg_reason_name(code), (v).verdict, \
                      ipcg_reason_name((v).reason)); \
    } while (0)

START_TEST(dead_and_unused_is_removed)
{
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u = dead_use(&r);
    char why[IPCG_REASON_MAX];
    ipcg_verdict_t v;

    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    /* a root-owned segment of the parent is ours too */
    r.uid = 0;
    u.now.uid = 0;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
}
END_TEST

START_TEST(report_mode_removes_nothing)
{
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u = dead_use(&r);
    char why[IPCG_REASON_MAX];
    ipcg_verdict_t v;

    v = decide(IPCG_CLEANUP_REPORT, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_REPORT_MODE);
    ck_assert_str_eq(why, "report mode: would be removed");
    v = decide(IPCG_CLEANUP_OFF, &r, &u, why);
    ck_assert_int_eq(v.verdict, IPCG_VERDICT_KEEP);
}
END_TEST

START_TEST(each_proof_keeps_it)
{
    ipcg_obj_t r;
    ipcg_use_t u;
    char why[IPCG_REASON_MAX];
    ipcg_verdict_t v;

    r = rec_sem(); u = dead_use(&r);
    r.cls = IPCG_CLASS_APPLICATION; u.now.cls = r.cls;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CLASS);
    ck_assert_ptr_nonnull(strstr(why, "application-owned"));

    r = rec_sem(); u = dead_use(&r);
    u.exists = 0;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_GONE, IPCG_WHY_GONE);
    ck_assert_str_eq(why, "already gone");

    /* another user's object, as recorded or as it is now */
    r = rec_sem(); u = dead_use(&r);
    r.uid = 1000; u.now.uid = 1000;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RECORDED_OWNER);
    ck_assert_ptr_nonnull(strstr(why, "neither root nor the run User"));
    r = rec_sem(); u = dead_use(&r);
    u.now.uid = 1000;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OWNER);
    ck_assert_ptr_nonnull(strstr(why, "owned by uid 1000"));
    /* the group counts too */
    r = rec_sem(); u = dead_use(&r);
    u.now.gid = 1000;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OWNER);
    ck_assert_ptr_nonnull(strstr(why, "group 1000"));

    /* the id now holds another object: other ctime, other size, other
     * key, other creator */
    r = rec_sem(); u = dead_use(&r);
    u.now.ctime = 2000;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CHANGED);
    ck_assert_ptr_nonnull(strstr(why, "now a different object"));
    r = rec_sem(); u = dead_use(&r);
    u.now.size = 3;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CHANGED);
    r = rec_sem(); u = dead_use(&r);
    u.now.key = 77;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CHANGED);
    r = rec_sem(); u = dead_use(&r);
    u.now.cuid = 33;
    v = decide(IPCG_CLEANUP_REGISTERED, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CHANGED);

    /* in use: attached, waited on, touched by a live pid, unknowable */
    r = rec_sem(); u = dead_use(&r);
    u.nattch = 2;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_ATTACHED);
    ck_assert_str_eq(why, "attached by 2 process(es)");
    r = rec_sem(); u = dead_use(&r);
    u.waiters = 1;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_WAITERS);
    ck_assert_str_eq(why, "1 process(es) wait on it");
    r = rec_sem(); u = dead_use(&r);
    u.pids[1] = 77; u.npids = 2;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_LIVE_PID);
    ck_assert_str_eq(why, "used by live pid 77");
    r = rec_sem(); u = dead_use(&r);
    u.pids[0] = 500;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_PID_UNKNOWN);
    ck_assert_str_eq(why, "cannot tell whether pid 500 is alive");
    r = rec_sem(); u = dead_use(&r);
    u.pids_truncated = 1;
    v = decide(IPCG_CLEANUP_ORPHANS, &r, &u, why);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_TOO_MANY_PIDS);
}
END_TEST

START_TEST(the_run_must_be_dead)
{
    ipcg_reap_opts_t o = opts(IPCG_CLEANUP_REGISTERED);
    ipcg_reap_ctx_t *c = ipcg_reap_ctx_make(pool, &o);
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u = dead_use(&r);
    ipcg_subject_t s;
    ipcg_verdict_t v;
    char why[IPCG_REASON_MAX];

    s = startup_of(IPCG_RUN_ALIVE);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RUN_ALIVE);
    s = startup_of(IPCG_RUN_UNKNOWN);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RUN_UNKNOWN);
    s = startup_of(IPCG_RUN_SURVIVORS);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_SURVIVORS);
    ipcg_verdict_text(&v, why, sizeof(why));
    ck_assert_ptr_nonnull(strstr(why, "survive"));
    /* the recorded User and Group, not today's */
    s = startup_of(IPCG_RUN_DEAD);
    s.run_uid = 1000;
    s.run_gid = 1000;
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RECORDED_OWNER);
}
END_TEST

START_TEST(every_reason_has_one_text)
{
    ipcg_verdict_t v;
    char a[IPCG_REASON_MAX];
    int i, j;

    for (i = 0; i < IPCG_WHY_COUNT; i++) {
        memset(&v, 0, sizeof(v));
        v.reason = (ipcg_reason_e)i;
        ipcg_verdict_text(&v, a, sizeof(a));
        ck_assert_msg(a[0] != '\0', "reason %d has no text", i);
        ck_assert_msg(strcmp(ipcg_reason_name((ipcg_reason_e)i), "unknown"),
                      "reason %d has no name", i);
        for (j = 0; j < i; j++) {
            ck_assert_msg(strcmp(ipcg_reason_name((ipcg_reason_e)i),
                                 ipcg_reason_name((ipcg_reason_e)j)),
                          "reasons %d and %d share the name %s", i, j,
                          ipcg_reason_name((ipcg_reason_e)i));
        }
    }
    ck_assert_str_eq(ipcg_reason_name(IPCG_WHY_COUNT), "unknown");
}
END_TEST

START_TEST(orphan_candidates)
{
    ipcg_reap_opts_t o = opts(IPCG_CLEANUP_ORPHANS);
    ipcg_reap_ctx_t *c;
    ipcg_obj_t x = rec_sem();
    ipcg_use_t u = dead_use(&x);
    ipcg_subject_t s;
    ipcg_verdict_t v;

    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_ORPHAN;
    s.run_uid = 33;
    s.run_gid = 33;
    o.paths = &paths;
    c = ipcg_reap_ctx_make(pool, &o);
    x.cls = IPCG_CLASS_FOREIGN;
    /* never operated on: names no pid, cannot be proven */
    u.npids = 0;
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_NO_PID);
    u = dead_use(&x);
    u.pids[1] = 99; u.npids = 2;        /* one live pid among dead ones */
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_LIVE_PID);
    /* no candidates at all: keyed, another user, POSIX */
    u = dead_use(&x);
    x.key = 4242;
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_SKIP, IPCG_WHY_NOT_CANDIDATE);
    x = rec_sem();
    x.uid = 0;
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_SKIP, IPCG_WHY_NOT_CANDIDATE);
    x = rec_sem();
    x.kind = IPCG_POSIX_SEM;
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_SKIP, IPCG_WHY_NOT_CANDIDATE);
}
END_TEST

/* A run that never was root: only its user's objects are its own, and
 * root's never (a set root made and gave to the user is another server's,
 * one started as root). */
START_TEST(a_user_run_owns_only_its_users_objects)
{
    ipcg_reap_opts_t o = opts(IPCG_CLEANUP_ORPHANS);
    ipcg_reap_ctx_t *c;
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u;
    ipcg_subject_t s = startup_of(IPCG_RUN_DEAD);
    ipcg_verdict_t v;
    char why[IPCG_REASON_MAX];

    o.trust_uid = 1500;
    o.run_uid = o.run_gid = 1500;
    c = ipcg_reap_ctx_make(pool, &o);
    s.user_only = 1;
    s.run_uid = s.run_gid = 1500;
    r.uid = r.cuid = r.gid = r.cgid = 1500;
    u = dead_use(&r);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    /* made by root, given to the user: not this run's */
    r.cuid = 0;
    u = dead_use(&r);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RECORDED_OWNER);
    ipcg_verdict_text(&v, why, sizeof(why));
    ck_assert_msg(strstr(why, "is not the run User (uid 1500, group 1500)")
                  != NULL, "unexpected text: %s", why);
    /* root's group, or root's now */
    r.cuid = 1500;
    r.gid = 0;
    u = dead_use(&r);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_RECORDED_OWNER);
    r.gid = 1500;
    u = dead_use(&r);
    u.now.uid = 0;
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OWNER);
    ipcg_verdict_text(&v, why, sizeof(why));
    ck_assert_msg(strstr(why, "owned by uid 0 (creator 1500, group 1500), not "
                         "the run User") != NULL, "unexpected text: %s", why);
    /* another user's */
    u = dead_use(&r);
    u.now.uid = u.now.cuid = 1501;
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OWNER);
    /* the same objects for a run started as root with User 1500: root's
     * are its own too */
    s.user_only = 0;
    r.cuid = 0;
    u = dead_use(&r);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);

    /* orphans: a candidate is the user's and made by the user */
    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_ORPHAN;
    s.user_only = 1;
    s.run_uid = s.run_gid = 1500;
    r = rec_sem();
    r.cls = IPCG_CLASS_FOREIGN;
    r.uid = r.gid = r.cgid = 1500;
    r.cuid = 0;
    u = dead_use(&r);
    ipcg_reap_judge(c, &s, &r, &u, &v);
    ck_verdict(v, IPCG_VERDICT_SKIP, IPCG_WHY_NOT_CANDIDATE);
}
END_TEST

START_TEST(registry_reconcile_and_diff)
{
    ipcg_snapshot_t a, b;
    apr_array_header_t *reg = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    apr_array_header_t *added = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    ipcg_obj_t x = rec_sem(), y = rec_sem(), z;

    y.id = 32769;
    ipcg_snapshot_init(pool, &a);
    ipcg_snapshot_init(pool, &b);
    a.kinds_read = b.kinds_read = 1 << IPCG_SYSV_SEM;
    *(ipcg_obj_t *)apr_array_push(a.objs) = x;
    *(ipcg_obj_t *)apr_array_push(b.objs) = x;
    *(ipcg_obj_t *)apr_array_push(b.objs) = y;
    ipcg_snapshot_diff(pool, &a, &b, added);
    ck_assert_int_eq(added->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(added, 0, ipcg_obj_t).id, 32769);
    /* the same slot with a new object counts as new */
    z = x;
    z.size = 5;
    APR_ARRAY_IDX(b.objs, 0, ipcg_obj_t) = z;
    added->nelts = 0;
    ipcg_snapshot_diff(pool, &a, &b, added);
    ck_assert_int_eq(added->nelts, 2);

    *(ipcg_obj_t *)apr_array_push(reg) = x;
    *(ipcg_obj_t *)apr_array_push(reg) = y;
    /* x was replaced (size differs), y goes on with a chown */
    APR_ARRAY_IDX(b.objs, 1, ipcg_obj_t).ctime = 1500;
    APR_ARRAY_IDX(b.objs, 1, ipcg_obj_t).uid = 0;
    ck_assert_int_eq(ipcg_registry_reconcile(pool, reg, &b), 2);
    ck_assert_int_eq(reg->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(reg, 0, ipcg_obj_t).id, 32769);
    ck_assert_int_eq(APR_ARRAY_IDX(reg, 0, ipcg_obj_t).ctime, 1500);
    ck_assert_str_eq(APR_ARRAY_IDX(reg, 0, ipcg_obj_t).module,
                     "mod_rewrite.c");
    /* a table that was not read proves nothing gone */
    b.kinds_read = 0;
    apr_array_clear(b.objs);
    ck_assert_int_eq(ipcg_registry_reconcile(pool, reg, &b), 0);
    ck_assert_int_eq(reg->nelts, 1);
}
END_TEST

/* The map by slot: SysV objects by kind and id, POSIX ones by kind and
 * name (copied), each found again after the map grew, nothing else found;
 * the same answers as ipcg_obj_slot() strings in an apr hash. */
START_TEST(objmap_finds_each_slot_once)
{
    ipcg_objmap_t *m = ipcg_objmap_make(pool, 0);
    apr_hash_t *h = apr_hash_make(pool);
    ipcg_obj_t o, *objs;
    char name[32];
    int i, n = 3000;

    objs = apr_pcalloc(pool, sizeof(*objs) * (apr_size_t)n);
    for (i = 0; i < n; i++) {
        o = rec_sem();
        switch (i % 3) {
        case 0:   /* ids that differ only in the sequence (high) bits */
            o.id = (apr_int64_t)(i / 3) * 32768;
            break;
        case 1:   /* the same ids, another kind */
            o.kind = IPCG_SYSV_SHM;
            o.id = (apr_int64_t)(i / 3) * 32768;
            break;
        default:
            o.kind = (i % 2) ? IPCG_POSIX_SHM : IPCG_POSIX_SEM;
            o.id = -1;
            apr_snprintf(name, sizeof(name), "/ipcg.%d", i);
            apr_cpystrn(o.name, name, sizeof(o.name));
            break;
        }
        objs[i] = o;
        ipcg_objmap_set(m, &objs[i], &objs[i]);
        apr_hash_set(h, ipcg_obj_slot(pool, &objs[i]), APR_HASH_KEY_STRING,
                     &objs[i]);
    }
    ck_assert_int_eq(ipcg_objmap_count(m), n);
    ck_assert_int_eq(ipcg_objmap_count(m), (int)apr_hash_count(h));
    for (i = 0; i < n; i++) {
        o = objs[i];               /* a copy: found by slot, not address */
        ck_assert_ptr_eq(ipcg_objmap_get(m, &o), &objs[i]);
        ck_assert_ptr_eq(ipcg_objmap_get(m, &o),
                         apr_hash_get(h, ipcg_obj_slot(pool, &o),
                                      APR_HASH_KEY_STRING));
    }
    /* the name is the map's own: changing the object changes nothing */
    apr_cpystrn(objs[2].name, "/elsewhere", sizeof(objs[2].name));
    o = objs[2];
    ck_assert_ptr_null(ipcg_objmap_get(m, &o));
    apr_cpystrn(o.name, "/ipcg.2", sizeof(o.name));
    ck_assert_ptr_eq(ipcg_objmap_get(m, &o), &objs[2]);
    /* absent: another id, kind or name */
    o = rec_sem();
    o.id = 1;
    ck_assert_ptr_null(ipcg_objmap_get(m, &o));
    o.kind = IPCG_SYSV_MSG;
    o.id = 0;
    ck_assert_ptr_null(ipcg_objmap_get(m, &o));
    o = objs[2];
    o.kind = o.kind == IPCG_POSIX_SHM ? IPCG_POSIX_SEM : IPCG_POSIX_SHM;
    apr_cpystrn(o.name, "/ipcg.2", sizeof(o.name));
    ck_assert_ptr_null(ipcg_objmap_get(m, &o));
    /* setting a slot again replaces its value, and counts once */
    ipcg_objmap_set(m, &objs[0], "again");
    ck_assert_int_eq(ipcg_objmap_count(m), n);
    ck_assert_str_eq(ipcg_objmap_get(m, &objs[0]), "again");
}
END_TEST

/* A map whose cells are in the caller's memory: that memory is zeroed
 * (whatever was in it before), the map answers as one made in a pool and
 * writes its cells there; a buffer too short is not used. */
START_TEST(objmap_cells_in_given_memory)
{
    int i, n = 1000;
    apr_size_t len = ipcg_objmap_bytes(n);
    unsigned char *buf = apr_palloc(pool, len + 64);
    ipcg_objmap_t *m, *short_m;
    ipcg_obj_t *objs = apr_pcalloc(pool, sizeof(*objs) * (apr_size_t)n);
    ipcg_obj_t o;
    apr_size_t k, nonzero = 0;

    ck_assert_uint_ge(len, ipcg_objmap_bytes(n / 2));
    ck_assert_uint_lt(ipcg_objmap_bytes(0), len);
    memset(buf, 0xA5, len + 64);        /* a last user's bytes */
    m = ipcg_objmap_make_in(pool, n, buf, len);
    for (k = 0; k < len; k++) {
        nonzero += buf[k] != 0;
    }
    ck_assert_uint_eq(nonzero, 0);
    ck_assert_uint_eq(buf[len], 0xA5);  /* nothing past what it needs */
    for (i = 0; i < n; i++) {
        o = rec_sem();
        o.id = (apr_int64_t)i * 32768 + 7;
        objs[i] = o;
        ipcg_objmap_set(m, &objs[i], &objs[i]);
    }
    for (k = 0; k < len; k++) {
        nonzero += buf[k] != 0;
    }
    ck_assert_uint_gt(nonzero, 0);      /* the cells are in buf */
    ck_assert_int_eq(ipcg_objmap_count(m), n);
    for (i = 0; i < n; i++) {
        o = objs[i];
        ck_assert_ptr_eq(ipcg_objmap_get(m, &o), &objs[i]);
    }
    o = rec_sem();
    o.id = 5;
    ck_assert_ptr_null(ipcg_objmap_get(m, &o));
    /* too short: the pool's cells, the buffer untouched */
    memset(buf, 0xA5, len + 64);
    short_m = ipcg_objmap_make_in(pool, n, buf, len - 1);
    ipcg_objmap_set(short_m, &objs[0], &objs[0]);
    ck_assert_ptr_eq(ipcg_objmap_get(short_m, &objs[0]), &objs[0]);
    for (k = 0, nonzero = 0; k < len + 64; k++) {
        nonzero += buf[k] != 0xA5;
    }
    ck_assert_uint_eq(nonzero, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fixture /proc trees                                                  */

static char *fx;                     /* the temp root */
static ipcg_paths_t fxpaths;
static const char *httpd_bin;        /* <root>/bin/apache2, a plain file */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static const char *at(const char *rel)
{
    return apr_pstrcat(pool, fx, "/", rel, NULL);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void fx_setup(void)
{
    pool_setup();
    fx = temp_dir("ipcg-reap-test");
    chmod(fx, 0700);
    mkdir(at("proc"), 0755);
    mkdir(at("devshm"), 0700);
    mkdir(at("state"), 0700);
    mkdir(at("bin"), 0755);
    httpd_bin = at("bin/apache2");
    put(httpd_bin, "not really httpd\n");
    memset(&fxpaths, 0, sizeof(fxpaths));
    ipcg_paths_default(&fxpaths);
    fxpaths.proc = at("proc");
    fxpaths.devshm = at("devshm");
}

static void fx_teardown(void)
{
    nftw(fx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    pool_teardown();
}

/* One process: its stat line, its exe link (NULL: none, as a kernel
 * thread), its maps (NULL: empty) and an empty fd/ directory. */
static void mkproc(apr_int64_t pid, apr_int64_t ppid, apr_int64_t session,
                   apr_uint64_t start, char state, const char *comm,
                   const char *exe, const char *maps)
{
    const char *dir = at(apr_psprintf(pool, "proc/%" APR_INT64_T_FMT, pid));

    mkdir(dir, 0755);
    put(apr_pstrcat(pool, dir, "/stat", NULL),
        apr_psprintf(pool, "%" APR_INT64_T_FMT " (%s) %c %" APR_INT64_T_FMT
                     " %" APR_INT64_T_FMT " %" APR_INT64_T_FMT " 0 -1 "
                     "4194624 0 0 0 0 0 0 0 0 20 0 1 0 %" APR_UINT64_T_FMT
                     " 0 0 0 0 0\n", pid, comm, state, ppid, session,
                     session, start));
    if (exe) {
        ck_assert_int_eq(symlink(exe, apr_pstrcat(pool, dir, "/exe", NULL)),
                         0);
    }
    put(apr_pstrcat(pool, dir, "/maps", NULL), maps ? maps : "");
    mkdir(apr_pstrcat(pool, dir, "/fd", NULL), 0755);
}

static void rmproc(apr_int64_t pid)
{
    nftw(at(apr_psprintf(pool, "proc/%" APR_INT64_T_FMT, pid)), rm_one, 16,
         FTW_DEPTH | FTW_PHYS);
}

static const char *deleted(const char *path)
{
    return apr_pstrcat(pool, path, " (deleted)", NULL);
}

/* A maps line of a process that maps /dev/shm file @a name. */
static const char *maps_of(const char *name)
{
    struct stat st;
    ck_assert_int_eq(stat(apr_pstrcat(pool, fxpaths.devshm, "/", name, NULL),
                          &st), 0);
    /* the device of the file, as the kernel writes it */
    return apr_psprintf(pool, "7f0000000000-7f0000001000 rw-s 00000000 "
                        "%02x:%02x %lu %s/%s\n", major(st.st_dev),
                        minor(st.st_dev), (unsigned long)st.st_ino,
                        fxpaths.devshm, name);
}

/* A /dev/shm file, and the record of it. */
static ipcg_obj_t mkshm(const char *name)
{
    ipcg_obj_t x;
    struct stat st;
    const char *path = apr_pstrcat(pool, fxpaths.devshm, "/", name, NULL);

    put(path, "0123456789");
    ck_assert_int_eq(stat(path, &st), 0);
    memset(&x, 0, sizeof(x));
    x.kind = IPCG_POSIX_SHM;
    x.id = -1;
    x.uid = x.cuid = (apr_uint32_t)st.st_uid;
    x.gid = x.cgid = (apr_uint32_t)st.st_gid;
    x.size = (apr_uint64_t)st.st_size;
    x.ino = (apr_uint64_t)st.st_ino;
    x.ctime = (apr_int64_t)st.st_ctime;
    x.cls = IPCG_CLASS_INSTANCE;
    x.phase = IPCG_PHASE_POST_CONFIG;
    strcpy(x.module, "mod_test.c");
    ipcg_strlcpy(x.name, name, sizeof(x.name));
    return x;
}

/* The name gets a new file (a new inode: both exist while it moves in). */
static ipcg_obj_t replace_shm(const char *name)
{
    const char *path = apr_pstrcat(pool, fxpaths.devshm, "/", name, NULL);
    ipcg_obj_t x = mkshm(apr_pstrcat(pool, name, ".new", NULL));

    ck_assert_int_eq(rename(apr_pstrcat(pool, path, ".new", NULL), path), 0);
    ipcg_strlcpy(x.name, name, sizeof(x.name));
    return x;
}

static int shm_exists(const char *name)
{
    struct stat st;
    return lstat(apr_pstrcat(pool, fxpaths.devshm, "/", name, NULL), &st)
           == 0;
}

/* A state file of instance @a pidfile in <root>/state. */
static const char *mkstate(const char *pidfile, apr_int64_t pid,
                           apr_uint64_t start, apr_int64_t session,
                           const ipcg_obj_t *objs, int n, char id[17])
{
    ipcg_state_t st;
    const char *why = NULL, *path;
    int i;

    memset(&st, 0, sizeof(st));
    ipcg_state_instance_id(pidfile, id);
    memcpy(st.instance, id, 17);
    st.pidfile = pidfile;
    st.pid = pid;
    st.starttime = start;
    st.pgrp = st.session = session;
    st.run_uid = 0;
    st.run_gid = 0;
    st.started = 1000;
    st.written = 2000;
    st.objs = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    for (i = 0; i < n; i++) {
        *(ipcg_obj_t *)apr_array_push(st.objs) = objs[i];
    }
    path = ipcg_state_path(pool, at("state"), id);
    ck_assert_msg(ipcg_state_write(pool, path, &st, &why) == APR_SUCCESS,
                  "writing %s: %s", path, why ? why : "?");
    return path;
}

/* A state file of instance @a pidfile, dead pid 100, with no object,
 * naming @a run_uid as the run User and Group. */
static void mkstate_as(const char *pidfile, apr_uint32_t run_uid, char id[17])
{
    ipcg_state_t st;
    const char *why = NULL, *path;

    memset(&st, 0, sizeof(st));
    ipcg_state_instance_id(pidfile, id);
    memcpy(st.instance, id, 17);
    st.pidfile = pidfile;
    st.pid = 100;
    st.starttime = 5000;
    st.pgrp = st.session = 100;
    st.run_uid = st.run_gid = run_uid;
    st.started = 1000;
    st.written = 2000;
    st.objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    path = ipcg_state_path(pool, at("state"), id);
    ck_assert_msg(ipcg_state_write(pool, path, &st, &why) == APR_SUCCESS,
                  "writing %s: %s", path, why ? why : "?");
}

static ipcg_reap_opts_t fxopts(ipcg_cleanup_e mode, const char *instance)
{
    ipcg_reap_opts_t o;
    memset(&o, 0, sizeof(o));
    o.mode = mode;
    o.run_uid = 0;
    o.run_gid = 0;
    o.self_pid = 99999;
    o.self_exe = httpd_bin;
    o.paths = &fxpaths;
    o.state_dir = at("state");
    o.instance = instance;
    return o;
}

static ipcg_reap_ctx_t *fxctx(ipcg_cleanup_e mode, const char *instance)
{
    ipcg_reap_opts_t o = fxopts(mode, instance);
    return ipcg_reap_ctx_make(pool, &o);
}

START_TEST(httpd_is_told_by_binary_not_by_name)
{
    ipcg_exe_t exe;
    int del = 0;

    ipcg_exe_init(pool, httpd_bin, &exe);
    ck_assert(exe.have_ino);
    /* mod_perl renames the process: the binary is what counts */
    mkproc(300, 1, 300, 10, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    ck_assert_int_eq(ipcg_proc_is_httpd(pool, &fxpaths, 300, &exe), 1);
    /* a package upgrade replaced the binary under it */
    mkproc(301, 1, 301, 10, 'S', "apache2", deleted(httpd_bin), NULL);
    ck_assert_int_eq(ipcg_proc_is_httpd(pool, &fxpaths, 301, &exe), 1);
    ck_assert_str_eq(ipcg_proc_exe(pool, &fxpaths, 301, &del), httpd_bin);
    ck_assert_int_eq(del, 1);
    /* another install path: an APR program */
    mkproc(302, 1, 302, 10, 'S', "httpd", "/usr/local/apache2/bin/httpd",
           "7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 "
           "/usr/local/apache2/lib/libapr-1.so.0.7.2\n");
    ck_assert_int_eq(ipcg_proc_is_httpd(pool, &fxpaths, 302, &exe), 1);
    /* named like httpd, but not one */
    mkproc(303, 1, 303, 10, 'S', "apache2", "/bin/bash",
           "7f0000000000-7f0000001000 r-xp 00000000 08:01 99 /bin/bash\n");
    ck_assert_int_eq(ipcg_proc_is_httpd(pool, &fxpaths, 303, &exe), 0);
    /* a kernel thread: no binary at all */
    mkproc(304, 2, 0, 10, 'S', "kworker/0:1", NULL, NULL);
    ck_assert_int_eq(ipcg_proc_is_httpd(pool, &fxpaths, 304, &exe), 0);
}
END_TEST

START_TEST(proc_tree_follows_ppid_not_names)
{
    apr_array_header_t *procs, *tree;

    mkproc(400, 1, 400, 10, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    mkproc(401, 400, 400, 11, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    mkproc(402, 401, 400, 12, 'S', "perl", "/usr/bin/perl", NULL);
    mkproc(403, 1, 403, 12, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(ipcg_proc_list(pool, &fxpaths, &procs), APR_SUCCESS);
    ck_assert_int_eq(procs->nelts, 4);
    tree = ipcg_proc_tree(pool, procs, 400);
    ck_assert_int_eq(tree->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(tree, 0, ipcg_proc_t).comm,
                     "/usr/sbin/apach");
}
END_TEST

static ipcg_run_e run_of(apr_int64_t pid, apr_uint64_t start,
                         apr_int64_t session, int *nsurv)
{
    ipcg_state_t st;
    apr_array_header_t *surv = apr_array_make(pool, 4, sizeof(ipcg_proc_t));
    ipcg_run_e r;

    memset(&st, 0, sizeof(st));
    st.pid = pid;
    st.starttime = start;
    st.session = st.pgrp = session;
    st.objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    r = ipcg_reap_run_state(fxctx(IPCG_CLEANUP_REGISTERED, "x"), &st, surv);
    *nsurv = surv->nelts;
    return r;
}

START_TEST(run_state_proof)
{
    int n;

    /* live: the parent with its start time */
    mkproc(100, 1, 100, 5000, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_ALIVE);
    /* replaced binary: still the same live process */
    rmproc(100);
    mkproc(100, 1, 100, 5000, 'S', "apache2", deleted(httpd_bin), NULL);
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_ALIVE);
    /* reused pid: same pid, another start time (and its own session) */
    rmproc(100);
    mkproc(100, 1, 100, 9000, 'S', "bash", "/bin/bash", NULL);
    ck_assert_int_eq(run_of(100, 5000, 77, &n), IPCG_RUN_DEAD);
    /* a zombie parent is dead */
    rmproc(100);
    mkproc(100, 1, 100, 5000, 'Z', "apache2", NULL, NULL);
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_DEAD);
    /* dead */
    rmproc(100);
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_DEAD);
    ck_assert_int_eq(n, 0);
    /* survivors of a daemon run: its session, started after it */
    mkproc(101, 1, 100, 5100, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_SURVIVORS);
    ck_assert_int_eq(n, 1);
    rmproc(101);
    /* a foreground run (session of its shell 50): a bash started later
     * in the session is not one of its processes ... */
    mkproc(50, 1, 50, 100, 'S', "bash", "/bin/bash", NULL);
    mkproc(103, 50, 50, 6000, 'S', "bash", "/bin/bash", NULL);
    ck_assert_int_eq(run_of(100, 5000, 50, &n), IPCG_RUN_DEAD);
    /* ... a child running the replaced binary is, and one renamed by
     * mod_perl too */
    mkproc(102, 1, 50, 5100, 'S', "apache2", deleted(httpd_bin), NULL);
    ck_assert_int_eq(run_of(100, 5000, 50, &n), IPCG_RUN_SURVIVORS);
    ck_assert_int_eq(n, 1);
    rmproc(102);
    mkproc(104, 1, 50, 5100, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    ck_assert_int_eq(run_of(100, 5000, 50, &n), IPCG_RUN_SURVIVORS);
    /* a process from before the run is not its survivor */
    rmproc(104);
    mkproc(105, 1, 50, 4000, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_of(100, 5000, 50, &n), IPCG_RUN_DEAD);
    /* an unreadable process list: cannot tell */
    fxpaths.proc = at("no-such-proc");
    ck_assert_int_eq(run_of(100, 5000, 100, &n), IPCG_RUN_UNKNOWN);
}
END_TEST

/* One startup cleanup of instance "/run/t.pid" with the parent recorded
 * as pid 100 started at 5000, over a /dev/shm file. */
static ipcg_cleanup_t startup_over(const ipcg_obj_t *x, const char **path,
                                   apr_array_header_t *decisions)
{
    char id[17];
    ipcg_cleanup_t res;
    ipcg_reap_ctx_t *c;

    *path = mkstate("/run/t.pid", 100, 5000, 100, x, 1, id);
    c = fxctx(IPCG_CLEANUP_REGISTERED, apr_pstrdup(pool, id));
    ipcg_reap_startup(c, &res, decisions, NULL);
    return res;
}

static int state_objs(const char *path, apr_int64_t *pid)
{
    ipcg_state_t st;
    const char *why = NULL;

    ck_assert_msg(ipcg_state_read(pool, path, 0, &st, &why) == APR_SUCCESS,
                  "reading %s back: %s", path, why ? why : "?");
    *pid = st.pid;
    return st.objs->nelts;
}

START_TEST(startup_decision)
{
    apr_array_header_t *dec = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    ipcg_obj_t x = mkshm("ShM.t1");
    ipcg_cleanup_t res;
    const char *path;
    apr_int64_t pid;

    /* live: nothing removed, the file untouched */
    mkproc(100, 1, 100, 5000, 'S', "apache2", httpd_bin, NULL);
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_ALIVE);
    ck_assert(shm_exists("ShM.t1"));
    /* replaced binary: alive all the same */
    rmproc(100);
    mkproc(100, 1, 100, 5000, 'S', "apache2", deleted(httpd_bin), NULL);
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_ALIVE);
    ck_assert(shm_exists("ShM.t1"));
    /* survivor: its child lives on and maps the file */
    rmproc(100);
    mkproc(101, 1, 100, 5100, 'S', "/usr/sbin/apach", httpd_bin,
           maps_of("ShM.t1"));
    dec->nelts = 0;
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_SURVIVORS);
    ck_assert_int_eq(res.kept_count, 1);
    ck_assert(shm_exists("ShM.t1"));
    ck_assert_int_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).code,
                     IPCG_WHY_SURVIVORS);
    ck_assert_msg(strstr(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).reason,
                         "pid 101 uses it") != NULL, "reason: %s",
                  APR_ARRAY_IDX(dec, 0, ipcg_decision_t).reason);
    /* dead, but another process still maps it */
    rmproc(101);
    mkproc(200, 1, 200, 100, 'S', "php-fpm", "/usr/sbin/php-fpm",
           maps_of("ShM.t1"));
    dec->nelts = 0;
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_DONE);
    ck_assert_int_eq(res.removed_count, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).code,
                     IPCG_WHY_MAPPED);
    ck_assert(shm_exists("ShM.t1"));
    ck_assert_int_eq(state_objs(path, &pid), 1);
    /* reused pid: pid 100 runs again, as another process */
    rmproc(200);
    mkproc(100, 1, 100, 9000, 'S', "bash", "/bin/bash", NULL);
    dec->nelts = 0;
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_DONE);
    ck_assert_int_eq(res.removed_count, 1);
    ck_assert(!shm_exists("ShM.t1"));
    /* the state file tells the truth: still the earlier run, without
     * what was removed */
    ck_assert_int_eq(state_objs(path, &pid), 0);
    ck_assert_int_eq(pid, 100);
    ck_assert_int_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).what,
                     IPCG_DEC_REMOVED);
}
END_TEST

START_TEST(startup_dead_run_and_changed_file)
{
    apr_array_header_t *dec = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    ipcg_obj_t x = mkshm("ShM.t2"), y;
    ipcg_cleanup_t res;
    const char *path;
    apr_int64_t pid;

    /* the name now holds another file: kept, and the file stays */
    y = x;
    x = replace_shm("ShM.t2");
    ck_assert(x.ino != y.ino);
    res = startup_over(&y, &path, dec);
    ck_assert_int_eq(res.removed_count, 0);
    ck_assert_int_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).code,
                     IPCG_WHY_CHANGED);
    ck_assert(shm_exists("ShM.t2"));
    ck_assert_int_eq(state_objs(path, &pid), 1);
    /* dead and unused: removed */
    dec->nelts = 0;
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.removed_count, 1);
    ck_assert_int_eq(res.removed_posix, 1);
    ck_assert(!shm_exists("ShM.t2"));
    ck_assert_int_eq(state_objs(path, &pid), 0);
    /* the next start reads the file the cleanup left: nothing of ours is
     * taken for an outside removal */
    {
        ipcg_reap_ctx_t *c;
        char id[17];
        ipcg_state_instance_id("/run/t.pid", id);
        c = fxctx(IPCG_CLEANUP_REGISTERED, apr_pstrdup(pool, id));
        dec->nelts = 0;
        ipcg_reap_startup(c, &res, dec, NULL);
        ck_assert_int_eq(res.outcome, IPCG_OUTCOME_DONE);
        ck_assert_int_eq(res.kept_count, 0);
        ck_assert_msg(strstr(res.summary, "outside") == NULL, "summary: %s",
                      res.summary);
    }
    /* whereas a file that still names it says it went missing */
    dec->nelts = 0;
    res = startup_over(&x, &path, dec);
    ck_assert_int_eq(res.kept_count, 1);
    ck_assert_msg(strstr(res.summary, "already gone: removed by something "
                         "outside httpd") != NULL, "summary: %s",
                  res.summary);
}
END_TEST

/* How the run ended is told by the history the caller read: a clean stop
 * of that very run (its pid and start), or else an unclean one. */
START_TEST(startup_names_how_the_run_ended)
{
    apr_array_header_t *dec = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    ipcg_obj_t x = mkshm("ShM.t3");
    ipcg_reap_opts_t o;
    ipcg_cleanup_t res;
    char id[17];

    (void)mkstate("/run/t.pid", 100, 5000, 100, &x, 1, id);
    o = fxopts(IPCG_CLEANUP_REGISTERED, apr_pstrdup(pool, id));
    o.stopped_pid = 100;
    o.stopped_started = 1000;
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_int_eq(res.removed_count, 1);
    ck_assert_int_eq(res.previous_stopped, 1);
    ck_assert_msg(strstr(res.summary, "left by httpd pid 100 (stopped "
                         "cleanly; its children's objects outlived it); "
                         "kept 0") != NULL, "summary: %s", res.summary);
    ck_assert(!shm_exists("ShM.t3"));

    /* another run of the same pid (a container's pid 1) that was killed */
    x = mkshm("ShM.t3");
    (void)mkstate("/run/t.pid", 100, 5000, 100, &x, 1, id);
    o.stopped_started = 999;
    dec->nelts = 0;
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_int_eq(res.removed_count, 1);
    ck_assert_int_eq(res.previous_stopped, 0);
    ck_assert_msg(strstr(res.summary, "(unclean stop after ") != NULL,
                  "summary: %s", res.summary);
}
END_TEST

/* A cleanup of many objects lists the first IPCG_LISTED_MAX removed ones
 * and every kept one, and counts them all. */
START_TEST(startup_lists_a_bounded_number_of_removals)
{
    apr_array_header_t *dec = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    int n = IPCG_LISTED_MAX + 44, i, removed = 0, kept = 0;
    ipcg_obj_t *objs = apr_pcalloc(pool, sizeof(ipcg_obj_t) * (apr_size_t)n);
    ipcg_cleanup_t res;
    ipcg_reap_ctx_t *c;
    char id[17];

    for (i = 0; i < n - 1; i++) {
        objs[i] = mkshm(apr_psprintf(pool, "ShM.many%d", i));
    }
    /* the last one's name now holds another file: kept */
    objs[n - 1] = mkshm("ShM.manyx");
    (void)replace_shm("ShM.manyx");
    mkstate("/run/t.pid", 100, 5000, 100, objs, n, id);
    c = fxctx(IPCG_CLEANUP_REGISTERED, apr_pstrdup(pool, id));
    ipcg_reap_startup(c, &res, dec, NULL);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_DONE);
    ck_assert_int_eq(res.removed_count, n - 1);
    ck_assert_int_eq(res.kept_count, 1);
    for (i = 0; i < dec->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(dec, i, ipcg_decision_t);
        removed += d->what == IPCG_DEC_REMOVED;
        kept += d->what == IPCG_DEC_KEPT;
    }
    ck_assert_int_eq(removed, IPCG_LISTED_MAX);
    ck_assert_int_eq(kept, 1);
    /* the kept one, last in the file, comes first: a list cut further on
     * keeps it; the removed ones follow in the file's order */
    ck_assert_int_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).what,
                     IPCG_DEC_KEPT);
    ck_assert_str_eq(APR_ARRAY_IDX(dec, 0, ipcg_decision_t).obj.name,
                     "ShM.manyx");
    ck_assert_str_eq(APR_ARRAY_IDX(dec, 1, ipcg_decision_t).obj.name,
                     "ShM.many0");
    ck_assert_str_eq(APR_ARRAY_IDX(dec, IPCG_LISTED_MAX, ipcg_decision_t)
                         .obj.name,
                     apr_psprintf(pool, "ShM.many%d", IPCG_LISTED_MAX - 1));
    for (i = 0; i < n - 1; i++) {
        ck_assert(!shm_exists(apr_psprintf(pool, "ShM.many%d", i)));
    }
    ck_assert(shm_exists("ShM.manyx"));
}
END_TEST

static apr_array_header_t *reg_of(const ipcg_obj_t *x)
{
    apr_array_header_t *reg = apr_array_make(pool, 2, sizeof(ipcg_obj_t));
    *(ipcg_obj_t *)apr_array_push(reg) = *x;
    return reg;
}

START_TEST(child_reaper)
{
    ipcg_obj_t x = mkshm("ShM.c1");
    apr_array_header_t *reg;
    ipcg_obj_t *kept;

    x.phase = IPCG_PHASE_RUNTIME;
    x.owner_pid = 200;
    x.owner_start = 6000;
    /* live owner: kept */
    mkproc(200, 1, 1, 6000, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     200, 0), 0);
    ck_assert_int_eq(reg->nelts, 1);
    ck_assert(shm_exists("ShM.c1"));
    /* replaced binary: the same live owner */
    rmproc(200);
    mkproc(200, 1, 1, 6000, 'S', "apache2", deleted(httpd_bin), NULL);
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     200, 0), 0);
    ck_assert(shm_exists("ShM.c1"));
    /* survivor: the owner is gone, a sibling holds the file open */
    rmproc(200);
    mkproc(201, 1, 1, 6100, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(symlink(apr_pstrcat(pool, fxpaths.devshm, "/ShM.c1",
                                         NULL),
                             at("proc/201/fd/3")), 0);
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     200, 0), 0);
    ck_assert_int_eq(reg->nelts, 1);
    kept = &APR_ARRAY_IDX(reg, 0, ipcg_obj_t);
    ck_assert(shm_exists("ShM.c1"));
    /* and a later process with pid 200 is not taken for its owner */
    ck_assert(kept->owner_start == IPCG_OWNER_GONE);
    rmproc(201);
    mkproc(200, 1, 1, 7000, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     200, 0), 0);
    ck_assert(shm_exists("ShM.c1"));
    /* reused pid: pid 200 runs with another start time, so the owner is
     * dead; nothing uses the file: removed, and it leaves the registry */
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     200, 0), 1);
    ck_assert_int_eq(reg->nelts, 0);
    ck_assert(!shm_exists("ShM.c1"));
    /* dead owner, report mode: kept */
    x = mkshm("ShM.c2");
    x.phase = IPCG_PHASE_RUNTIME;
    x.owner_pid = 202;
    x.owner_start = 6000;
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REPORT, "x"), reg,
                                     202, 0), 0);
    ck_assert(shm_exists("ShM.c2"));
    ck_assert(APR_ARRAY_IDX(reg, 0, ipcg_obj_t).owner_start
              == IPCG_OWNER_GONE);
    /* dead owner: removed */
    reg = reg_of(&x);
    ck_assert_int_eq(ipcg_reap_child(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg,
                                     202, 0), 1);
    ck_assert(!shm_exists("ShM.c2"));
}
END_TEST

START_TEST(stamp_owners_records_start_times)
{
    ipcg_obj_t x = rec_sem();
    apr_array_header_t *reg;

    mkproc(210, 1, 1, 6600, 'S', "apache2", httpd_bin, NULL);
    x.owner_pid = 210;
    reg = reg_of(&x);
    x.owner_pid = 211;                      /* gone */
    *(ipcg_obj_t *)apr_array_push(reg) = x;
    ipcg_reap_stamp_owners(fxctx(IPCG_CLEANUP_REGISTERED, "x"), reg);
    ck_assert_uint_eq(APR_ARRAY_IDX(reg, 0, ipcg_obj_t).owner_start, 6600);
    ck_assert_uint_eq(APR_ARRAY_IDX(reg, 1, ipcg_obj_t).owner_start, 0);
}
END_TEST

START_TEST(live_instance_set)
{
    ipcg_obj_t a = mkshm("ShM.A"), b = mkshm("ShM.B"), c3 = mkshm("ShM.C"),
               d = rec_sem(), e = mkshm("ShM.E"), f = mkshm("ShM.F");
    const apr_array_header_t *live;
    apr_hash_t *slots;
    char id[17];
    ipcg_reap_ctx_t *c;
    ipcg_subject_t s;
    ipcg_verdict_t v;
    ipcg_use_t u;
    apr_file_t *flock;
    int i, seen[6] = { 0, 0, 0, 0, 0, 0 };

    /* A live; B dead; C's parent dead, its child survives; D's pid
     * reused; E's parent runs a replaced binary; F's pids are not to be
     * seen here, but a process holds its run lock */
    mkproc(110, 1, 110, 100, 'S', "apache2", httpd_bin, NULL);
    mkstate("/run/a.pid", 110, 100, 110, &a, 1, id);
    mkstate("/run/b.pid", 120, 100, 120, &b, 1, id);
    mkproc(131, 1, 130, 150, 'S', "/usr/sbin/apach", httpd_bin, NULL);
    mkstate("/run/c.pid", 130, 100, 130, &c3, 1, id);
    d.id = 40000;
    d.uid = d.gid = 0;
    mkproc(140, 1, 140, 999, 'S', "bash", "/bin/bash", NULL);
    mkstate("/run/d.pid", 140, 100, 140, &d, 1, id);
    mkproc(150, 1, 150, 100, 'S', "apache2", deleted(httpd_bin), NULL);
    mkstate("/run/e.pid", 150, 100, 150, &e, 1, id);
    mkstate("/run/f.pid", 170, 100, 170, &f, 1, id);
    ck_assert_int_eq(ipcg_runlock_take(pool, ipcg_runlock_path(pool,
                     ipcg_state_path(pool, at("state"), id)), &flock),
                     APR_SUCCESS);
    /* and this instance's own file, which is never another's */
    mkstate("/run/self.pid", 160, 100, 160, &b, 1, id);

    c = fxctx(IPCG_CLEANUP_ORPHANS, apr_pstrdup(pool, id));
    slots = ipcg_live_slots(c, &live);
    for (i = 0; i < live->nelts; i++) {
        apr_int64_t pid = APR_ARRAY_IDX(live, i, ipcg_state_t).pid;
        seen[pid == 110 ? 0 : pid == 130 ? 2 : pid == 150 ? 4
             : pid == 170 ? 5 : pid == 120 ? 1 : 3]++;
    }
    ck_assert_msg(seen[0] == 1 && seen[1] == 0 && seen[2] == 1
                  && seen[3] == 0 && seen[4] == 1 && seen[5] == 1,
                  "live set: expected A, C, E and F; got A %d B %d C %d "
                  "D %d E %d F %d", seen[0], seen[1], seen[2], seen[3],
                  seen[4], seen[5]);
    ck_assert_int_eq(apr_hash_count(slots), 4);
    ck_assert_ptr_nonnull(apr_hash_get(slots, ipcg_obj_slot(pool, &e),
                                       APR_HASH_KEY_STRING));
    ck_assert_ptr_nonnull(apr_hash_get(slots, ipcg_obj_slot(pool, &f),
                                       APR_HASH_KEY_STRING));
    apr_file_close(flock);

    /* the startup path keeps what a live instance registered */
    s = startup_of(IPCG_RUN_DEAD);
    s.run_uid = s.run_gid = 0;
    memset(&u, 0, sizeof(u));
    u.exists = 1;
    u.now = c3;
    ipcg_reap_judge(c, &s, &c3, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_LIVE_INSTANCE);
    /* a dead instance's objects are left to its own cleanup */
    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_ORPHAN;
    u.now = d;
    u.npids = 1;
    u.pids[0] = 4000;
    ipcg_reap_judge(c, &s, &d, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OTHER_STATE);
}
END_TEST

START_TEST(orphans_refused_while_an_httpd_without_the_module_runs)
{
    ipcg_obj_t x = rec_sem();
    ipcg_use_t u = dead_use(&x);
    ipcg_subject_t s;
    ipcg_verdict_t v;
    ipcg_reap_ctx_t *c;
    char why[IPCG_REASON_MAX];

    x.uid = 0;
    x.gid = 0;
    u.now = x;
    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_ORPHAN;
    /* nothing else runs: provable */
    mkproc(60, 1, 60, 10, 'S', "bash", "/bin/bash", NULL);
    c = fxctx(IPCG_CLEANUP_ORPHANS, "x");
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    /* an httpd whose binary a package upgrade replaced */
    mkproc(61, 1, 61, 10, 'S', "apache2", deleted(httpd_bin), NULL);
    c = fxctx(IPCG_CLEANUP_ORPHANS, "x");
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OTHER_HTTPD);
    ck_assert_int_eq(v.pid, 61);
    ipcg_verdict_text(&v, why, sizeof(why));
    ck_assert_ptr_nonnull(strstr(why, "runs without the module"));
    /* one from another install path, renamed by mod_perl */
    rmproc(61);
    mkproc(62, 1, 62, 10, 'S', "/usr/sbin/apach",
           "/usr/local/apache2/bin/httpd",
           "7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 "
           "/usr/local/apache2/lib/libapr-1.so.0\n");
    c = fxctx(IPCG_CLEANUP_ORPHANS, "x");
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_OTHER_HTTPD);
    /* processes that cannot be listed: refused */
    fxpaths.proc = at("no-such-proc");
    c = fxctx(IPCG_CLEANUP_ORPHANS, "x");
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_PROCS_UNKNOWN);
}
END_TEST

/* The run state with this process as @a self (its pid and start time in
 * the fixture /proc). */
static ipcg_run_e run_as_self(apr_int64_t self, apr_int64_t pid,
                              apr_uint64_t start, apr_int64_t session,
                              int *nsurv)
{
    ipcg_reap_opts_t o = fxopts(IPCG_CLEANUP_REGISTERED, "x");
    ipcg_state_t st;
    apr_array_header_t *surv = apr_array_make(pool, 4, sizeof(ipcg_proc_t));
    ipcg_run_e r;

    o.self_pid = self;
    memset(&st, 0, sizeof(st));
    st.pid = pid;
    st.starttime = start;
    st.session = st.pgrp = session;
    st.objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    r = ipcg_reap_run_state(ipcg_reap_ctx_make(pool, &o), &st, surv);
    *nsurv = surv->nelts;
    return r;
}

/* A container restart: a fresh PID namespace, httpd pid 1 again. The
 * recorded pid is this very process's, with another start time: the run
 * it names is dead, never "still running". */
START_TEST(pid_one_again_after_a_container_restart)
{
    int n;

    /* pid 1 leads its session, as a container's init does */
    mkproc(1, 0, 1, 9000, 'S', "apache2", httpd_bin, NULL);
    mkproc(2, 1, 1, 9100, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_as_self(1, 1, 5000, 1, &n), IPCG_RUN_DEAD);
    ck_assert_int_eq(n, 0);
    /* the same process recorded itself: that run is alive */
    ck_assert_int_eq(run_as_self(1, 1, 9000, 1, &n), IPCG_RUN_ALIVE);
    /* pid 1 whose session leader is outside the namespace (session 0),
     * with a child of its own: still dead, and no survivors */
    rmproc(1);
    rmproc(2);
    mkproc(1, 0, 0, 9000, 'S', "apache2", httpd_bin, NULL);
    mkproc(2, 1, 0, 9100, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_as_self(1, 1, 5000, 0, &n), IPCG_RUN_DEAD);
    ck_assert_int_eq(n, 0);
    /* an httpd of the old run that is not this one's would survive */
    mkproc(7, 0, 0, 5100, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_as_self(1, 1, 5000, 0, &n), IPCG_RUN_SURVIVORS);
    ck_assert_int_eq(n, 1);
}
END_TEST

/* The run state of a run recorded by instance @a inst as pid 1 started
 * at @a start (in session @a session), judged by this process (pid 1 started at 9000,
 * instance "0123456789abcdef"), which tells what it knows of its own
 * instance's run lock in @a lock. */
static ipcg_run_e run_with_lock(const char *inst, apr_uint64_t start,
                                apr_int64_t session, int lock)
{
    ipcg_reap_opts_t o = fxopts(IPCG_CLEANUP_REGISTERED, "0123456789abcdef");
    ipcg_state_t st;
    apr_array_header_t *surv = apr_array_make(pool, 4, sizeof(ipcg_proc_t));

    o.self_pid = 1;
    o.instance_lock = lock;
    memset(&st, 0, sizeof(st));
    apr_cpystrn(st.instance, inst, sizeof(st.instance));
    st.pid = 1;
    st.starttime = start;
    st.session = st.pgrp = session;
    st.objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    return ipcg_reap_run_state(ipcg_reap_ctx_make(pool, &o), &st, surv);
}

/* Two servers with one PidFile, each pid 1 of its own PID namespace, on
 * one IPC namespace and state directory: the other's pids are not to be
 * seen, and pid 1 here is this process. The run lock is what tells the
 * other's live run from a dead one. */
START_TEST(a_held_run_lock_is_a_live_run)
{
    const char *mine = "0123456789abcdef", *other = "fedcba9876543210";
    const char *lock = ipcg_runlock_path(pool, ipcg_state_path(pool,
                                         at("state"), mine));
    const char *olock = ipcg_runlock_path(pool, ipcg_state_path(pool,
                                          at("state"), other));
    apr_file_t *held, *oheld;

    mkproc(1, 0, 1, 9000, 'S', "apache2", httpd_bin, NULL);
    /* no lock file, nothing held: pid 1 with another start time is dead */
    ck_assert_int_eq(run_with_lock(mine, 5000, 1, IPCG_LOCK_ASK), IPCG_RUN_DEAD);
    /* asked of the file: another open file description holds it */
    ck_assert_int_eq(ipcg_runlock_take(pool, lock, &held), APR_SUCCESS);
    ck_assert_int_eq(run_with_lock(mine, 5000, 1, IPCG_LOCK_ASK),
                     IPCG_RUN_ALIVE);
    /* told by the caller: it took the lock itself, so no earlier run of
     * the instance has a process left, whatever the file says to others */
    ck_assert_int_eq(run_with_lock(mine, 5000, 1, IPCG_LOCK_OURS),
                     IPCG_RUN_DEAD);
    ck_assert_int_eq(run_with_lock(mine, 5000, 1, IPCG_LOCK_ELSEWHERE),
                     IPCG_RUN_ALIVE);
    /* the pids still come first: this very process recorded itself */
    ck_assert_int_eq(run_with_lock(mine, 9000, 1, IPCG_LOCK_OURS),
                     IPCG_RUN_ALIVE);
    /* and survivors seen here are survivors, lock or not (pid 1 whose
     * session leader is outside the namespace, a child of the old run) */
    rmproc(1);
    mkproc(1, 0, 0, 9000, 'S', "apache2", httpd_bin, NULL);
    mkproc(7, 0, 0, 5100, 'S', "apache2", httpd_bin, NULL);
    ck_assert_int_eq(run_with_lock(mine, 5000, 0, IPCG_LOCK_ELSEWHERE),
                     IPCG_RUN_SURVIVORS);
    rmproc(7);
    ck_assert_int_eq(run_with_lock(mine, 5000, 0, IPCG_LOCK_ELSEWHERE),
                     IPCG_RUN_ALIVE);
    apr_file_close(held);
    ck_assert_int_eq(run_with_lock(mine, 5000, 1, IPCG_LOCK_ASK), IPCG_RUN_DEAD);

    /* another instance's run: always asked of its file */
    ck_assert_int_eq(run_with_lock(other, 5000, 1, IPCG_LOCK_OURS),
                     IPCG_RUN_DEAD);
    ck_assert_int_eq(ipcg_runlock_take(pool, olock, &oheld), APR_SUCCESS);
    ck_assert_int_eq(run_with_lock(other, 5000, 1, IPCG_LOCK_OURS),
                     IPCG_RUN_ALIVE);
    apr_file_close(oheld);
    /* a lock that cannot be asked: cannot tell */
    ck_assert_int_eq(unlink(olock), 0);
    ck_assert_int_eq(symlink(olock, olock), 0);
    ck_assert_int_eq(run_with_lock(other, 5000, 1, IPCG_LOCK_OURS),
                     IPCG_RUN_UNKNOWN);
}
END_TEST

/* Another user's httpd (a server that user started) cannot have made a
 * set of the run User's: it does not stop the orphan pass. Root's, the
 * run User's, or one whose uid cannot be read do. */
START_TEST(another_users_httpd_is_no_reason_to_keep_orphans)
{
    ipcg_obj_t x = rec_sem();
    ipcg_use_t u;
    ipcg_subject_t s;
    ipcg_verdict_t v;
    ipcg_reap_ctx_t *c;
    static const struct { const char *uid; int keep; } cases[] = {
        { "1501", 0 }, { "0", 1 }, { "33", 1 }, { NULL, 1 }
    };
    int i;

    x.cls = IPCG_CLASS_FOREIGN;
    x.cuid = 33;
    memset(&s, 0, sizeof(s));
    s.path = IPCG_PATH_ORPHAN;
    s.run_uid = s.run_gid = 33;
    for (i = 0; i < 4; i++) {
        ipcg_reap_opts_t o = fxopts(IPCG_CLEANUP_ORPHANS, "x");
        const char *dir = at("proc/80");
        rmproc(80);
        mkproc(80, 1, 80, 10, 'S', "httpd", httpd_bin, NULL);
        if (cases[i].uid) {
            put(apr_pstrcat(pool, dir, "/status", NULL),
                apr_psprintf(pool, "Name:\thttpd\nUid:\t%s\t%s\t%s\t%s\n",
                             cases[i].uid, cases[i].uid, cases[i].uid,
                             cases[i].uid));
        }
        o.run_uid = o.run_gid = 33;
        c = ipcg_reap_ctx_make(pool, &o);
        u = dead_use(&x);
        ipcg_reap_judge(c, &s, &x, &u, &v);
        if (cases[i].keep) {
            ck_assert_msg(v.reason == IPCG_WHY_OTHER_HTTPD && v.pid == 80,
                          "uid %s: expected other-httpd 80, got %s %d",
                          cases[i].uid ? cases[i].uid : "unknown",
                          ipcg_reason_name(v.reason), (int)v.pid);
        }
        else {
            ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
        }
    }
}
END_TEST

/* A server not started as root trusts only its user's state files, and
 * only those that name that user as the run User. */
START_TEST(a_user_run_trusts_only_its_users_files)
{
    apr_array_header_t *dec = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    ipcg_reap_opts_t o;
    ipcg_cleanup_t res;
    const char *path;
    char id[17];

    path = mkstate("/run/u.pid", 100, 5000, 100, NULL, 0, id);
    o = fxopts(IPCG_CLEANUP_REGISTERED, apr_pstrdup(pool, id));
    o.trust_uid = o.run_uid = o.run_gid = 1500;
    /* root's file, in root's directory */
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_REFUSED);
    ck_assert_msg(strstr(res.summary, "owned by uid 0, not uid 1500") != NULL,
                  "unexpected summary: %s", res.summary);
    /* the user's directory and file, naming another run User */
    ck_assert_int_eq(chown(at("state"), 1500, 1500), 0);
    ck_assert_int_eq(chown(path, 1500, 1500), 0);
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_REFUSED);
    ck_assert_msg(strstr(res.summary, "records run User uid 0, but a server "
                         "not started as root runs as uid 1500") != NULL,
                  "unexpected summary: %s", res.summary);
    /* the user's own, naming the user: read */
    ck_assert_int_eq(chown(at("state"), 0, 0), 0);
    mkstate_as("/run/u.pid", 1500, id);
    ck_assert_int_eq(chown(at("state"), 1500, 1500), 0);
    ck_assert_int_eq(chown(path, 1500, 1500), 0);
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_msg(res.outcome == IPCG_OUTCOME_DONE,
                  "expected done, got %d: %s", res.outcome, res.summary);
    /* another user's: refused */
    ck_assert_int_eq(chown(path, 1501, 1501), 0);
    ipcg_reap_startup(ipcg_reap_ctx_make(pool, &o), &res, dec, NULL);
    ck_assert_int_eq(res.outcome, IPCG_OUTCOME_REFUSED);
    ck_assert_msg(strstr(res.summary, "owned by uid 1501, not uid 1500")
                  != NULL, "unexpected summary: %s", res.summary);
    ck_assert_int_eq(chown(at("state"), 0, 0), 0);
}
END_TEST

START_TEST(removal_is_of_the_checked_file)
{
    ipcg_obj_t x = mkshm("ShM.r1");
    ipcg_reap_ctx_t *c;
    ipcg_subject_t s = startup_of(IPCG_RUN_DEAD);
    ipcg_verdict_t v;
    ipcg_use_t u;
    ipcg_obj_t fresh;

    s.run_uid = s.run_gid = 0;
    c = fxctx(IPCG_CLEANUP_REGISTERED, "x");
    ck_assert_int_eq(ipcg_probe(pool, &fxpaths, &x, &u), APR_SUCCESS);
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    /* between the judgement and the removal, the name gets a new file:
     * the new one stays */
    fresh = replace_shm("ShM.r1");
    ck_assert(fresh.ino != x.ino);
    ipcg_reap_remove(c, &s, &x, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_CHANGED);
    ck_assert(shm_exists("ShM.r1"));
    /* between the judgement and the removal, a process opens it: the
     * check after the rename finds it, and the name comes back */
    x = fresh;
    c = fxctx(IPCG_CLEANUP_REGISTERED, "x");
    ck_assert_int_eq(ipcg_probe(pool, &fxpaths, &x, &u), APR_SUCCESS);
    ipcg_reap_judge(c, &s, &x, &u, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    mkproc(70, 1, 70, 10, 'S', "php", "/usr/bin/php", maps_of("ShM.r1"));
    ipcg_reap_remove(c, &s, &x, &v);
    ck_verdict(v, IPCG_VERDICT_KEEP, IPCG_WHY_MAPPED);
    ck_assert(shm_exists("ShM.r1"));
    ck_assert_msg(!shm_exists(apr_psprintf(pool, ".ipcguard-reap.99999.%"
                                           APR_UINT64_T_FMT, x.ino)),
                  "the private name was left behind");
    /* and once it is closed, the same object goes */
    rmproc(70);
    ipcg_reap_remove(c, &s, &x, &v);
    ck_verdict(v, IPCG_VERDICT_REMOVE, IPCG_WHY_DEAD);
    ck_assert(!shm_exists("ShM.r1"));
    ipcg_reap_remove(c, &s, &x, &v);
    ck_verdict(v, IPCG_VERDICT_GONE, IPCG_WHY_GONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reap");
    TCase *tc = tcase_create("proofs");
    TCase *fxc = tcase_create("fixture /proc trees");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, dead_and_unused_is_removed);
    ADD_TEST(tc, report_mode_removes_nothing);
    ADD_TEST(tc, each_proof_keeps_it);
    ADD_TEST(tc, the_run_must_be_dead);
    ADD_TEST(tc, every_reason_has_one_text);
    ADD_TEST(tc, orphan_candidates);
    ADD_TEST(tc, a_user_run_owns_only_its_users_objects);
    ADD_TEST(tc, registry_reconcile_and_diff);
    ADD_TEST(tc, objmap_finds_each_slot_once);
    ADD_TEST(tc, objmap_cells_in_given_memory);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(fxc, fx_setup, fx_teardown);
    ADD_TEST(fxc, httpd_is_told_by_binary_not_by_name);
    ADD_TEST(fxc, proc_tree_follows_ppid_not_names);
    ADD_TEST(fxc, run_state_proof);
    ADD_TEST(fxc, child_reaper);
    ADD_TEST(fxc, stamp_owners_records_start_times);
    ADD_TEST(fxc, orphans_refused_while_an_httpd_without_the_module_runs);
    ADD_TEST(fxc, removal_is_of_the_checked_file);
    ADD_TEST(fxc, pid_one_again_after_a_container_restart);
    ADD_TEST(fxc, a_held_run_lock_is_a_live_run);
    ADD_TEST(fxc, another_users_httpd_is_no_reason_to_keep_orphans);
    /* these read state files, which only root's are trusted */
    if (geteuid() == 0) {
        ADD_TEST(fxc, startup_decision);
        ADD_TEST(fxc, startup_dead_run_and_changed_file);
        ADD_TEST(fxc, startup_names_how_the_run_ended);
        ADD_TEST(fxc, startup_lists_a_bounded_number_of_removals);
        ADD_TEST(fxc, live_instance_set);
        ADD_TEST(fxc, a_user_run_trusts_only_its_users_files);
    }
    else {
        fprintf(stderr, "# test_reap: not root: the state-file cases "
                "(startup decision, live-instance set) do not run\n");
    }
    suite_add_tcase(s, fxc);
    return run_suite(s);
}
