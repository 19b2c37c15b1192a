/* Unit tests of the proofs: the decision about each recorded object and
 * each orphan candidate, with a fake liveness oracle. */

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

static int decide(ipcg_cleanup_e mode, const ipcg_obj_t *r,
                  const ipcg_use_t *u, apr_hash_t *live, char *why)
{
    ipcg_reap_opts_t o = opts(mode);
    return ipcg_reap_decide(&o, r, u, live, NULL, why, IPCG_REASON_MAX);
}

START_TEST(dead_and_unused_is_removed)
{
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u = dead_use(&r);
    char why[IPCG_REASON_MAX];

    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 1);
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 1);
    /* a root-owned segment of the parent is ours too */
    r.uid = 0;
    u.now.uid = 0;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 1);
}
END_TEST

START_TEST(report_mode_removes_nothing)
{
    ipcg_obj_t r = rec_sem();
    ipcg_use_t u = dead_use(&r);
    char why[IPCG_REASON_MAX];

    ck_assert_int_eq(decide(IPCG_CLEANUP_REPORT, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "report mode: would be removed");
    ck_assert_int_eq(decide(IPCG_CLEANUP_OFF, &r, &u, NULL, why), 0);
}
END_TEST

START_TEST(each_proof_keeps_it)
{
    ipcg_obj_t r;
    ipcg_use_t u;
    char why[IPCG_REASON_MAX];
    apr_hash_t *live;

    r = rec_sem(); u = dead_use(&r);
    r.cls = IPCG_CLASS_APPLICATION; u.now.cls = r.cls;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);
    ck_assert_ptr_nonnull(strstr(why, "application-owned"));

    r = rec_sem(); u = dead_use(&r);
    u.exists = 0;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "already gone");

    /* another user's object, as recorded or as it is now */
    r = rec_sem(); u = dead_use(&r);
    r.uid = 1000; u.now.uid = 1000;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 0);
    ck_assert_ptr_nonnull(strstr(why, "neither root nor the run User"));
    r = rec_sem(); u = dead_use(&r);
    u.now.uid = 1000;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 0);
    ck_assert_ptr_nonnull(strstr(why, "owned by uid 1000"));

    /* the id now holds another object: other ctime, other size */
    r = rec_sem(); u = dead_use(&r);
    u.now.ctime = 2000;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 0);
    ck_assert_ptr_nonnull(strstr(why, "now a different object"));
    r = rec_sem(); u = dead_use(&r);
    u.now.size = 3;
    ck_assert_int_eq(decide(IPCG_CLEANUP_REGISTERED, &r, &u, NULL, why), 0);
    ck_assert_ptr_nonnull(strstr(why, "now a different object"));

    /* in use: attached, waited on, touched by a live pid, unknowable */
    r = rec_sem(); u = dead_use(&r);
    u.nattch = 2;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "attached by 2 process(es)");
    r = rec_sem(); u = dead_use(&r);
    u.waiters = 1;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "1 process(es) wait on it");
    r = rec_sem(); u = dead_use(&r);
    u.pids[1] = 77; u.npids = 2;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "used by live pid 77");
    r = rec_sem(); u = dead_use(&r);
    u.pids[0] = 500;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);
    ck_assert_str_eq(why, "cannot tell whether pid 500 is alive");
    r = rec_sem(); u = dead_use(&r);
    u.pids_truncated = 1;
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, NULL, why), 0);

    /* registered by a live instance */
    r = rec_sem(); u = dead_use(&r);
    live = apr_hash_make(pool);
    apr_hash_set(live, ipcg_obj_slot(pool, &r), APR_HASH_KEY_STRING, &r);
    ck_assert_int_eq(decide(IPCG_CLEANUP_ORPHANS, &r, &u, live, why), 0);
    ck_assert_str_eq(why, "registered by a live instance");
}
END_TEST

START_TEST(posix_objects_need_a_map_of_users)
{
    ipcg_obj_t r;
    ipcg_use_t u;
    ipcg_reap_opts_t o = opts(IPCG_CLEANUP_REGISTERED);
    char why[IPCG_REASON_MAX];
    apr_hash_t *users = apr_hash_make(pool);
    apr_uint64_t ino = 77;
    apr_int64_t holder = 812;

    memset(&r, 0, sizeof(r));
    r.kind = IPCG_POSIX_SHM;
    r.id = -1;
    r.ino = ino;
    r.size = 4096;
    strcpy(r.name, "ShM.abc");
    r.cls = IPCG_CLASS_INSTANCE;
    memset(&u, 0, sizeof(u));
    u.exists = 1;
    u.now = r;
    ck_assert_int_eq(ipcg_reap_decide(&o, &r, &u, NULL, NULL, why,
                                      sizeof(why)), 0);
    ck_assert_str_eq(why, "cannot tell who maps it");
    ck_assert_int_eq(ipcg_reap_decide(&o, &r, &u, NULL, users, why,
                                      sizeof(why)), 1);
    apr_hash_set(users, &ino, sizeof(ino), &holder);
    ck_assert_int_eq(ipcg_reap_decide(&o, &r, &u, NULL, users, why,
                                      sizeof(why)), 0);
    ck_assert_str_eq(why, "mapped or open by pid 812");
    /* another file under the same name */
    apr_hash_clear(users);
    u.now.ino = 78;
    ck_assert_int_eq(ipcg_reap_decide(&o, &r, &u, NULL, users, why,
                                      sizeof(why)), 0);
}
END_TEST

START_TEST(orphans)
{
    ipcg_reap_opts_t o = opts(IPCG_CLEANUP_ORPHANS);
    ipcg_obj_t x = rec_sem();
    ipcg_use_t u = dead_use(&x);
    char why[IPCG_REASON_MAX];

    x.cls = IPCG_CLASS_FOREIGN;
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     1);
    /* never operated on: names no pid, cannot be proven */
    u.npids = 0;
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     0);
    ck_assert_ptr_nonnull(strstr(why, "cannot be proven dead"));
    u = dead_use(&x);
    u.pids[1] = 99; u.npids = 2;        /* one live pid among dead ones */
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     0);
    /* no candidates at all: keyed, another user, POSIX */
    u = dead_use(&x);
    x.key = 4242;
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     -1);
    x = rec_sem();
    x.uid = 0;
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     -1);
    x = rec_sem();
    x.kind = IPCG_POSIX_SEM;
    ck_assert_int_eq(ipcg_orphan_decide(&o, &x, &u, NULL, why, sizeof(why)),
                     -1);
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

int main(void)
{
    Suite *s = suite_create("reap");
    TCase *tc = tcase_create("proofs");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, dead_and_unused_is_removed);
    ADD_TEST(tc, report_mode_removes_nothing);
    ADD_TEST(tc, each_proof_keeps_it);
    ADD_TEST(tc, posix_objects_need_a_map_of_users);
    ADD_TEST(tc, orphans);
    ADD_TEST(tc, registry_reconcile_and_diff);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
