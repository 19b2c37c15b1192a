/* Unit tests of outside-removal detection (src/ipcg_outside.c): which
 * watched objects a scan reports gone, what their events say, and that
 * each is reported once.
 *
 *   make build/test_outside && build/test_outside
 */
#include "ipcg_check.h"

#include "ipcguard/ipcg_outside.h"
#include "ipcguard/ipcg_registry.h"

static ipcg_obj_t sem(apr_int64_t id, apr_int64_t ctime)
{
    ipcg_obj_t o;

    memset(&o, 0, sizeof(o));
    o.kind = IPCG_SYSV_SEM;
    o.id = id;
    o.key = 0x1234;
    o.ctime = ctime;
    o.phase = IPCG_PHASE_POST_CONFIG;
    apr_cpystrn(o.module, "mpm_prefork.c", sizeof(o.module));
    return o;
}

static void watch_add(apr_hash_t *watch, const ipcg_obj_t *o)
{
    ipcg_obj_t *copy = apr_pmemdup(pool, o, sizeof(*o));

    apr_hash_set(watch, ipcg_obj_slot(pool, o), APR_HASH_KEY_STRING, copy);
}

static void snap_of(ipcg_snapshot_t *snap, int kinds_read)
{
    ipcg_snapshot_init(pool, snap);
    snap->kinds_read = kinds_read;
}

START_TEST(gone_and_kept)
{
    apr_hash_t *watch = apr_hash_make(pool);
    apr_array_header_t *gone = apr_array_make(pool, 2,
                                              sizeof(ipcg_outside_t));
    ipcg_snapshot_t snap;
    ipcg_obj_t a = sem(10, 500), b = sem(11, 500);
    const ipcg_outside_t *g;

    watch_add(watch, &a);
    watch_add(watch, &b);
    snap_of(&snap, 1 << IPCG_SYSV_SEM);
    *(ipcg_obj_t *)apr_array_push(snap.objs) = a;
    ck_assert_int_eq(ipcg_outside_find(pool, watch, &snap, 2000, 1990, 77,
                                       gone), 1);
    ck_assert_int_eq(gone->nelts, 1);
    g = &APR_ARRAY_IDX(gone, 0, ipcg_outside_t);
    ck_assert_int_eq(g->obj->id, 11);
    ck_assert_int_eq(g->ev.found, 2000);
    ck_assert_int_eq(g->ev.last_seen, 1990);
    ck_assert_int_eq(g->ev.server_pid, 77);
    ck_assert_int_eq(g->ev.kind, IPCG_SYSV_SEM);
    ck_assert_int_eq(g->ev.id, 11);
    ck_assert_int_eq(g->ev.key, 0x1234);
    ck_assert_int_eq(g->ev.phase, IPCG_PHASE_POST_CONFIG);
    ck_assert_str_eq(g->ev.module, "mpm_prefork.c");
    /* reported once: the gone one left the watch, the other stays */
    ck_assert_int_eq(apr_hash_count(watch), 1);
    ck_assert_ptr_nonnull(apr_hash_get(watch, ipcg_obj_slot(pool, &a),
                                       APR_HASH_KEY_STRING));
    ck_assert_int_eq(ipcg_outside_find(pool, watch, &snap, 2010, 2000, 77,
                                       gone), 0);
    ck_assert_int_eq(gone->nelts, 1);
}
END_TEST

/* The same id made anew (another key) is another object: the watched
 * one is gone. */
START_TEST(slot_reused)
{
    apr_hash_t *watch = apr_hash_make(pool);
    apr_array_header_t *gone = apr_array_make(pool, 2,
                                              sizeof(ipcg_outside_t));
    ipcg_snapshot_t snap;
    ipcg_obj_t a = sem(10, 500), again = sem(10, 600);

    again.key = 0x9999;
    watch_add(watch, &a);
    snap_of(&snap, 1 << IPCG_SYSV_SEM);
    *(ipcg_obj_t *)apr_array_push(snap.objs) = again;
    ck_assert_int_eq(ipcg_outside_find(pool, watch, &snap, 2000, 1990, 77,
                                       gone), 1);
}
END_TEST

/* A table the scan could not read says nothing about its objects. */
START_TEST(unread_kind_left_alone)
{
    apr_hash_t *watch = apr_hash_make(pool);
    apr_array_header_t *gone = apr_array_make(pool, 2,
                                              sizeof(ipcg_outside_t));
    ipcg_snapshot_t snap;
    ipcg_obj_t a = sem(10, 500);

    watch_add(watch, &a);
    snap_of(&snap, 1 << IPCG_SYSV_SHM);
    ck_assert_int_eq(ipcg_outside_find(pool, watch, &snap, 2000, 1990, 77,
                                       gone), 0);
    ck_assert_int_eq(apr_hash_count(watch), 1);
    /* an empty or missing watch: nothing */
    ck_assert_int_eq(ipcg_outside_find(pool, NULL, &snap, 2000, 1990, 77,
                                       gone), 0);
    ck_assert_int_eq(gone->nelts, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outside");
    TCase *tc = tcase_create("outside");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_test(tc, gone_and_kept);
    tcase_add_test(tc, slot_reused);
    tcase_add_test(tc, unread_kind_left_alone);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
