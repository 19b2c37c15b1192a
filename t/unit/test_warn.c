/* Unit tests of the warning policy (src/ipcg_warn.c): which limits are
 * raised and cleared with which text, a beancounter's failcnt, the
 * forecasts against the horizon, and the repetition interval on an
 * injected clock.
 *
 *   make build/test_warn && build/test_warn
 */
#include "ipcg_check.h"

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_warn.h"

static ipcg_warn_memory_t memory(void)
{
    ipcg_warn_memory_t m;

    m.pool = pool;
    m.said = apr_hash_make(pool);
    m.failcnt = apr_hash_make(pool);
    return m;
}

/* A view with no limit known, no process and no object. */
static ipcg_view_t *empty_view(void)
{
    ipcg_view_t *v = apr_pcalloc(pool, sizeof(*v));

    v->objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    v->decisions = apr_array_make(pool, 1, sizeof(ipcg_decision_t));
    v->procs = apr_array_make(pool, 1, sizeof(ipcg_proc_t));
    return v;
}

static void add_obj(apr_array_header_t *reg, ipcg_kind_e kind,
                    const char *module)
{
    ipcg_obj_t *o = apr_array_push(reg);

    memset(o, 0, sizeof(*o));
    o->kind = kind;
    apr_cpystrn(o->module, module, sizeof(o->module));
}

static const ipcg_warning_t *at(const apr_array_header_t *w, int i)
{
    ck_assert_msg(i < w->nelts, "expected a warning #%d, got %d in all", i,
                  w->nelts);
    return &APR_ARRAY_IDX(w, i, ipcg_warning_t);
}

START_TEST(due_once_per_interval)
{
    ipcg_warn_memory_t m = memory();
    apr_time_t t0 = apr_time_from_sec(1000000);
    apr_time_t iv = apr_time_from_sec(600);

    ck_assert_int_eq(ipcg_warn_due(&m, "SEMMNI", t0, iv), 1);
    ck_assert_int_eq(ipcg_warn_due(&m, "SEMMNI", t0 + iv - 1, iv), 0);
    /* another resource has its own interval */
    ck_assert_int_eq(ipcg_warn_due(&m, "SHMMNI", t0 + 1, iv), 1);
    ck_assert_int_eq(ipcg_warn_due(&m, "SEMMNI", t0 + iv, iv), 1);
    /* said again at t0 + iv: quiet until t0 + 2 iv */
    ck_assert_int_eq(ipcg_warn_due(&m, "SEMMNI", t0 + iv + 1, iv), 0);
    /* cleared: may be said at once */
    ipcg_warn_clear(&m, "SEMMNI");
    ck_assert_int_eq(ipcg_warn_due(&m, "SEMMNI", t0 + iv + 2, iv), 1);
    /* clearing what was never said changes nothing */
    ipcg_warn_clear(&m, "never");
    ck_assert_int_eq(apr_hash_count(m.said), 2);
}
END_TEST

START_TEST(limit_over_and_under)
{
    ipcg_warn_memory_t m = memory();
    ipcg_view_t *v = empty_view();
    apr_array_header_t *reg = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    apr_array_header_t *w = apr_array_make(pool, 4, sizeof(ipcg_warning_t));

    add_obj(reg, IPCG_SYSV_SEM, "mpm_prefork.c");
    add_obj(reg, IPCG_SYSV_SEM, "mpm_prefork.c");
    add_obj(reg, IPCG_SYSV_SEM, "mod_ssl.c");
    add_obj(reg, IPCG_SYSV_SHM, "core");
    v->rep.limits.semmni.present = 1;
    v->rep.limits.semmni.v = 100;
    v->rep.usage.count[IPCG_SYSV_SEM] = 85;
    v->rep.limits.msgmni.present = 1;
    v->rep.limits.msgmni.v = 32000;
    /* SEMMNS, SHMMNI, SHMALL unknown: no word on them */
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_RAISE);
    ck_assert_int_eq(at(w, 0)->tag, IPCG_WARN_TAG_LIMIT);
    ck_assert_str_eq(at(w, 0)->resource, "SEMMNI (semaphore sets)");
    ck_assert_str_eq(at(w, 0)->msg,
                     "SEMMNI (semaphore sets) at 85% (85 of 100), over the "
                     "80% warning threshold; this server's top holders: "
                     "mpm_prefork.c (2), mod_ssl.c (1)");
    ck_assert_int_eq(at(w, 1)->what, IPCG_WARN_CLEAR);
    ck_assert_str_eq(at(w, 1)->resource, "MSGMNI (message queues)");
    ck_assert_ptr_null(at(w, 1)->msg);
    /* just under the threshold: cleared */
    w->nelts = 0;
    v->rep.usage.count[IPCG_SYSV_SEM] = 79;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_CLEAR);
    ck_assert_str_eq(at(w, 0)->resource, "SEMMNI (semaphore sets)");
    /* a limit of 0 is no limit */
    w->nelts = 0;
    v->rep.limits.semmni.v = 0;
    v->rep.limits.msgmni.present = 0;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 0);
}
END_TEST

START_TEST(shm_names_the_largest_processes)
{
    ipcg_warn_memory_t m = memory();
    ipcg_view_t *v = empty_view();
    apr_array_header_t *reg = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    apr_array_header_t *w = apr_array_make(pool, 4, sizeof(ipcg_warning_t));
    ipcg_proc_t *pr = apr_array_push(v->procs);

    memset(pr, 0, sizeof(*pr));
    pr->pid = 4242;
    apr_cpystrn(pr->comm, "apache2", sizeof(pr->comm));
    pr->shared_sysv = 4096;
    pr->shared_posix = 100;
    v->rep.limits.shmmni.present = 1;
    v->rep.limits.shmmni.v = 10;
    v->rep.usage.count[IPCG_SYSV_SHM] = 10;
    v->rep.limits.shmall.present = 1;
    v->rep.limits.shmall.v = 1000;
    v->rep.usage.shm_pages = 999;
    ipcg_warn_limits(pool, &m, 90, reg, v, w);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_str_eq(at(w, 0)->msg,
                     "SHMMNI (shared memory segments) at 100% (10 of 10), "
                     "over the 90% warning threshold; this server holds "
                     "none of them");
    ck_assert_str_eq(at(w, 1)->msg,
                     "SHMALL (shared memory pages) at 99% (999 of 1000), "
                     "over the 90% warning threshold; largest processes of "
                     "this server: pid 4242 apache2 (4196 bytes shared)");
}
END_TEST

START_TEST(beancounter_failcnt_grows)
{
    ipcg_warn_memory_t m = memory();
    ipcg_view_t *v = empty_view();
    apr_array_header_t *reg = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    apr_array_header_t *w = apr_array_make(pool, 4, sizeof(ipcg_warning_t));
    ipcg_bc_row_t *b = &v->rep.bc[0];

    v->rep.bc_rows = 1;
    apr_cpystrn(b->resource, "numsem", sizeof(b->resource));
    b->held = 10;
    b->limit = 100;
    b->failcnt = 3;
    /* the first pass only remembers the count */
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 1);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_CLEAR);
    ck_assert_str_eq(at(w, 0)->resource, "beancounter numsem");
    /* the same count: nothing new */
    w->nelts = 0;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 1);
    /* it grew: raised once, then remembered */
    w->nelts = 0;
    b->failcnt = 5;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_int_eq(at(w, 1)->what, IPCG_WARN_RAISE);
    ck_assert_str_eq(at(w, 1)->resource, "beancounter numsem failcnt");
    ck_assert_str_eq(at(w, 1)->msg,
                     "beancounter numsem failcnt grew from 3 to 5: "
                     "allocations are failing (held 10, limit 100)");
    w->nelts = 0;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 1);
    /* an unlimited beancounter has no threshold, only its failcnt */
    w->nelts = 0;
    b->limit_unlimited = 1;
    ipcg_warn_limits(pool, &m, 80, reg, v, w);
    ck_assert_int_eq(w->nelts, 0);
}
END_TEST

START_TEST(forecast_within_the_horizon)
{
    ipcg_report_t *r = apr_pcalloc(pool, sizeof(*r));
    apr_array_header_t *w = apr_array_make(pool, 4, sizeof(ipcg_warning_t));
    ipcg_forecast_t *f = &r->forecast[0];

    r->forecast_rows = 2;
    apr_cpystrn(f->name, "semmni", sizeof(f->name));
    f->rate = 1;
    f->used = 50;
    f->limit = 200;
    f->seconds_to_full = 150;
    f->span = 140;
    apr_cpystrn(r->forecast[1].name, "shmmni", sizeof(r->forecast[1].name));
    ipcg_warn_forecasts(pool, 3600, r, w);
    ck_assert_int_eq(w->nelts, 2);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_RAISE);
    ck_assert_int_eq(at(w, 0)->tag, IPCG_WARN_TAG_FORECAST);
    ck_assert_str_eq(at(w, 0)->resource, "forecast semmni");
    ck_assert_str_eq(at(w, 0)->msg,
                     apr_pstrcat(pool, ipcg_forecast_text(pool, f),
                                 ", within IPCGuardForecastHorizon (",
                                 ipcg_duration_text(pool, 3600), "); what "
                                 "grows is not httpd's to clean up (other "
                                 "programs' objects, application objects, "
                                 "orphans): see /ipc-status", NULL));
    ck_assert_int_eq(at(w, 1)->what, IPCG_WARN_CLEAR);
    ck_assert_str_eq(at(w, 1)->resource, "forecast shmmni");
    /* beyond the horizon, or the horizon off: cleared */
    w->nelts = 0;
    ipcg_warn_forecasts(pool, 149, r, w);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_CLEAR);
    w->nelts = 0;
    ipcg_warn_forecasts(pool, 0, r, w);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_CLEAR);
    /* exactly at the horizon: raised */
    w->nelts = 0;
    ipcg_warn_forecasts(pool, 150, r, w);
    ck_assert_int_eq(at(w, 0)->what, IPCG_WARN_RAISE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("warn");
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_test(tc, due_once_per_interval);
    tcase_add_test(tc, limit_over_and_under);
    tcase_add_test(tc, shm_names_the_largest_processes);
    tcase_add_test(tc, beancounter_failcnt_grows);
    tcase_add_test(tc, forecast_within_the_horizon);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
