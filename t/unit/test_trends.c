/* Unit tests of a report's trends part (src/ipcg_trends.c), the one
 * procedure the module and ipcguardctl status share.
 *
 *   make build/test_trends && build/test_trends
 */
#include "ipcg_check.h"

#include "ipcguard/ipcg_trends.h"

static ipcg_sample_t sample(apr_int64_t t, apr_uint64_t used,
                            apr_uint64_t uncleaned)
{
    ipcg_sample_t s;

    memset(&s, 0, sizeof(s));
    s.t = t;
    ipcg_sample_put(&s, "semmni", used, uncleaned, 200);
    return s;
}

/* One set a second since t=1000, SEMMNI 200; events beyond what a report
 * holds. */
START_TEST(trends_of_a_leak)
{
    ipcg_history_t h;
    ipcg_sample_t s, now;
    ipcg_event_t e;
    ipcg_report_t *r = apr_pcalloc(pool, sizeof(*r));
    apr_int64_t t;
    int i;

    ipcg_history_init(pool, &h);
    for (t = 1000; t < 1040; t += 10) {
        s = sample(t, 10 + (apr_uint64_t)(t - 1000),
                   (apr_uint64_t)(t - 1000));
        ipcg_history_add_sample(&h, &s, 1);
    }
    memset(&e, 0, sizeof(e));
    e.kind = IPCG_SYSV_SEM;
    for (i = 0; i < IPCG_EVENTS_MAX + 3; i++) {
        e.id = i;
        e.found = 2000 + i;
        ipcg_history_add_event(&h, &e);
    }
    r->event_rows = 99;                 /* whatever was there goes */
    now = sample(1040, 50, 40);
    ipcg_report_trends(&h, &now, 160, 3600, 7, r);
    ck_assert_int_eq(r->forecast_window, 160);
    ck_assert_int_eq(r->forecast_horizon, 3600);
    ck_assert_int_eq(r->forecast_rows, 1);
    ck_assert_str_eq(r->forecast[0].name, "semmni");
    ck_assert_int_eq(r->forecast[0].seconds_to_full, 150);
    ck_assert_int_eq(r->outside_removals_total, 7);
    /* the history keeps the newest IPCG_EVENTS_MAX, oldest first */
    ck_assert_int_eq(r->event_rows, IPCG_EVENTS_MAX);
    ck_assert_int_eq(r->events[0].id, 3);
    ck_assert_int_eq(r->events[IPCG_EVENTS_MAX - 1].id, IPCG_EVENTS_MAX + 2);
    /* the chart ends with now */
    ck_assert_uint_gt(r->chart.n, 0);
    ck_assert_int_eq(r->chart.t[r->chart.n - 1], 1040);
}
END_TEST

/* No history yet: no forecast, no event, the total as given. */
START_TEST(trends_without_history)
{
    ipcg_history_t h;
    ipcg_sample_t now = sample(1040, 50, 40);
    ipcg_report_t *r = apr_pcalloc(pool, sizeof(*r));

    ipcg_history_init(pool, &h);
    ipcg_report_trends(&h, &now, 21600, 0, 0, r);
    ck_assert_int_eq(r->forecast_horizon, 0);
    ck_assert_int_eq(r->event_rows, 0);
    ck_assert_int_eq(r->outside_removals_total, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trends");
    TCase *tc = tcase_create("trends");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_test(tc, trends_of_a_leak);
    tcase_add_test(tc, trends_without_history);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
