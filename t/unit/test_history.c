/* Unit tests of the usage history, the forecasts and the history file. */

#include <sys/stat.h>
#include <unistd.h>

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_report.h"
#include "ipcg_check.h"

static ipcg_sample_t sample(apr_int64_t t, apr_uint64_t used,
                            apr_uint64_t uncleaned, apr_uint64_t limit)
{
    ipcg_sample_t s;

    memset(&s, 0, sizeof(s));
    s.t = t;
    ipcg_sample_put(&s, "semmni", used, uncleaned, limit);
    return s;
}

static ipcg_history_t typical(void)
{
    ipcg_history_t h;
    ipcg_sample_t s;
    ipcg_event_t e;

    ipcg_history_init(pool, &h);
    strcpy(h.instance, "0123456789abcdef");
    h.pid = 2975;
    h.started = 1795360973;
    h.exited = 1795361000;
    h.outside_total = 1;
    s = sample(1795360980, 10, 4, 128);
    s.count[IPCG_SYSV_SEM][IPCG_CLASS_INSTANCE] = 6;
    s.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] = 4;
    s.count[IPCG_POSIX_SHM][IPCG_CLASS_APPLICATION] = 2;
    ipcg_sample_put(&s, "bc:numsem", 7, 7, 100);
    ipcg_history_add_sample(&h, &s, 1);
    s = sample(1795360990, 11, 5, 128);
    s.count[IPCG_SYSV_SEM][IPCG_CLASS_INSTANCE] = 6;
    s.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] = 5;
    ipcg_history_add_sample(&h, &s, 1);
    memset(&e, 0, sizeof(e));
    e.found = 1795360995;
    e.last_seen = 1795360990;
    e.server_pid = 2975;
    e.kind = IPCG_SYSV_SEM;
    e.id = 32768;
    e.key = -1;
    e.phase = IPCG_PHASE_POST_CONFIG;
    strcpy(e.module, "mod_rewrite.c");
    ipcg_history_add_event(&h, &e);
    e.kind = IPCG_POSIX_SHM;
    e.id = -1;
    e.key = 0;
    strcpy(e.module, "my-module c");
    strcpy(e.name, "<b>ShM.1\xff");
    ipcg_history_add_event(&h, &e);
    return h;
}

START_TEST(format_parse_roundtrip)
{
    ipcg_history_t h = typical(), back;
    apr_size_t len, len2;
    const char *why = NULL;
    char *text = ipcg_history_format(pool, &h, &len);
    char *again;

    ck_assert_msg(ipcg_history_parse(pool, text, len, &back, &why)
                  == APR_SUCCESS, "%s", why);
    again = ipcg_history_format(pool, &back, &len2);
    ck_assert_str_eq(again, text);
    ck_assert_int_eq(back.samples->nelts, 2);
    ck_assert_int_eq(back.events->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back.events, 1, ipcg_event_t).name,
                     "<b>ShM.1\xff");
    ck_assert_str_eq(APR_ARRAY_IDX(back.events, 1, ipcg_event_t).module,
                     "my-module c");
    ck_assert_int_eq(APR_ARRAY_IDX(back.events, 0, ipcg_event_t).key, -1);
    ck_assert_int_eq(APR_ARRAY_IDX(back.samples, 0, ipcg_sample_t).n, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(back.samples, 0, ipcg_sample_t).pt[1].name,
                     "bc:numsem");
    ck_assert_int_eq(APR_ARRAY_IDX(back.samples, 1, ipcg_sample_t)
                     .count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN], 5);
    ck_assert_int_eq(APR_ARRAY_IDX(back.samples, 0, ipcg_sample_t)
                     .count[IPCG_POSIX_SHM][IPCG_CLASS_APPLICATION], 2);
    ck_assert_ptr_ne(strstr(text, "sample 1795360980 sysv-sem=6/0/4 "
                            "sysv-shm=0/0/0 sysv-msg=0/0/0 posix-shm=0/2/0 "
                            "posix-sem=0/0/0 semmni=10/4/128"), NULL);
    ck_assert_int_eq(back.outside_total, 1);
    ck_assert_int_eq(back.exited, 1795361000);
    /* the text has no byte a shell or a log would choke on */
    ck_assert_ptr_eq(strchr(text, '<'), NULL);
    ck_assert_ptr_eq(strchr(text, '\xff'), NULL);
}
END_TEST

/* Each edit of a valid file is refused, with the line named. */
START_TEST(parse_refuses)
{
    ipcg_history_t h = typical(), back;
    apr_size_t len;
    char *good = ipcg_history_format(pool, &h, &len);
    static const char *const edits[][2] = {
        {"ipcguard-history 1", "ipcguard-history 2"},
        {"instance 0123456789abcdef", "instance 0123456789ABCDEF"},
        {"pid 2975", "pid 0"},
        {"pid 2975", "pid 02975"},
        {"started ", "started -"},
        {"outside_total 1", "outside_total +1"},
        {"semmni=10/4/128", "semmni=10/11/128"},      /* more than used */
        {"semmni=10/4/128", "semmni=10/4/0"},         /* no limit */
        {"semmni=10/4/128", "SEMMNI=10/4/128"},
        {"semmni=10/4/128", "semmni=10/4"},
        {"semmni=10/4/128 bc:numsem=7/7/100", "semmni=10/4/128 semmni=7/7/100"},
        {"sample 1795360990", "sample 1795360980"},   /* out of order */
        {"2975 sysv-sem 32768", "2975 sysv-sam 32768"},
        {"sysv-sem=6/0/4", "sysv-sem=6/0"},            /* a class short */
        {"sysv-sem=6/0/4", "sysv-sem=6/0/04"},
        {"sysv-sem=6/0/4 sysv-shm=0/0/0", "sysv-shm=0/0/0 sysv-sem=6/0/4"},
        {" posix-sem=0/0/0 semmni=10/4/128", " semmni=10/4/128"},
        {"posix-shm=0/2/0", "posix-shm=0/-2/0"},
        {"post_config", "post-config"},
        {"mod_rewrite.c", "mod_rewrite%2Ec"},         /* not canonical */
        {"%FF", "%ff"},
        {"end 10", "end 9"},
        {"end 10\n", "end 10\nsample 1\n"},
        {"2975 sysv-sem", "0 sysv-sem"},
        {" -1 post_config", "  -1 post_config"},
        {" -1 post_config", " 2147483648 post_config"},
    };
    apr_size_t i;

    ck_assert_ptr_ne(strstr(good, "end 10\n"), NULL);
    for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        const char *at = strstr(good, edits[i][0]);
        const char *why = NULL;
        char *bad;
        ck_assert_msg(at != NULL, "edit %d: '%s' not in the file", (int)i,
                      edits[i][0]);
        bad = apr_pstrcat(pool, apr_pstrndup(pool, good, (apr_size_t)(at - good)),
                          edits[i][1], at + strlen(edits[i][0]), NULL);
        ck_assert_msg(ipcg_history_parse(pool, bad, strlen(bad), &back, &why)
                      == APR_EGENERAL, "edit %d accepted: %s", (int)i, bad);
        ck_assert_msg(why && strncmp(why, "line ", 5) == 0, "edit %d: %s",
                      (int)i, why ? why : "(null)");
    }
    /* truncation anywhere */
    for (i = 1; i < len; i++) {
        const char *why = NULL;
        ck_assert_msg(ipcg_history_parse(pool, good, i, &back, &why)
                      != APR_SUCCESS, "truncated at %d accepted", (int)i);
    }
}
END_TEST

START_TEST(file_roundtrip_and_refusals)
{
    ipcg_history_t h = typical(), back;
    const char *dir = temp_dir("ipcg-hist");
    const char *path, *why = NULL;

    path = ipcg_history_path(pool, dir, h.instance);
    ck_assert_str_eq(path, apr_pstrcat(pool, dir, "/0123456789abcdef.history",
                                       NULL));
    ck_assert_int_eq(ipcg_history_read(pool, path, getuid(), &back, &why),
                     APR_ENOENT);
    ck_assert_msg(ipcg_history_write(pool, path, &h, 1, &why) == APR_SUCCESS,
                  "%s", why);
    ck_assert_msg(ipcg_history_read(pool, path, getuid(), &back, &why)
                  == APR_SUCCESS, "%s", why);
    ck_assert_int_eq(back.events->nelts, 2);
    /* a file someone else may have written is not believed */
    chmod(path, 0666);
    ck_assert_int_eq(ipcg_history_read(pool, path, getuid(), &back, &why),
                     APR_EACCES);
    ck_assert_str_eq(why, "is group- or world-writable (mode 0666)");
    unlink(path);
    ck_assert_int_eq(symlink("/etc/passwd", path), 0);
    ck_assert_int_eq(ipcg_history_read(pool, path, getuid(), &back, &why),
                     APR_EACCES);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(samples_spacing_and_thinning)
{
    ipcg_history_t h;
    ipcg_sample_t s;
    int i;

    ipcg_history_init(pool, &h);
    /* room for one sample at first, then for all of them at once */
    ck_assert_int_eq(h.samples->nalloc, 1);
    s = sample(100, 1, 1, 10);
    ck_assert_int_eq(ipcg_history_add_sample(&h, &s, 10), 1);
    s.t = 105;
    ck_assert_int_eq(ipcg_history_add_sample(&h, &s, 10), 0);
    s.t = 110;
    ck_assert_int_eq(ipcg_history_add_sample(&h, &s, 10), 1);
    ck_assert_int_eq(h.samples->nalloc, IPCG_HISTORY_CAP);
    ck_assert_int_eq(APR_ARRAY_IDX(h.samples, 0, ipcg_sample_t).t, 100);
    ck_assert_int_eq(APR_ARRAY_IDX(h.samples, 1, ipcg_sample_t).t, 110);
    for (i = 0; i < 10 * IPCG_HISTORY_CAP; i++) {
        s.t = 120 + i * 10;
        ipcg_history_add_sample(&h, &s, 10);
        ck_assert_int_le(h.samples->nelts, IPCG_HISTORY_CAP);
        ck_assert_int_eq(h.samples->nalloc, IPCG_HISTORY_CAP);
    }
    /* the oldest sample survives thinning, the newest is the last added,
     * and the times stay in order */
    ck_assert_int_eq(APR_ARRAY_IDX(h.samples, 0, ipcg_sample_t).t, 100);
    ck_assert_int_eq(APR_ARRAY_IDX(h.samples, h.samples->nelts - 1,
                                   ipcg_sample_t).t, s.t);
    for (i = 1; i < h.samples->nelts; i++) {
        ck_assert_int_lt(APR_ARRAY_IDX(h.samples, i - 1, ipcg_sample_t).t,
                         APR_ARRAY_IDX(h.samples, i, ipcg_sample_t).t);
    }
    /* the recent half keeps full resolution */
    ck_assert_int_eq(APR_ARRAY_IDX(h.samples, h.samples->nelts - 2,
                                   ipcg_sample_t).t, s.t - 10);
}
END_TEST

START_TEST(events_are_bounded)
{
    ipcg_history_t h;
    ipcg_event_t e;
    int i;

    ipcg_history_init(pool, &h);
    memset(&e, 0, sizeof(e));
    e.server_pid = 1;
    for (i = 0; i < IPCG_EVENTS_MAX + 5; i++) {
        e.id = i;
        ipcg_history_add_event(&h, &e);
    }
    ck_assert_int_eq(h.events->nelts, IPCG_EVENTS_MAX);
    ck_assert_int_eq(APR_ARRAY_IDX(h.events, 0, ipcg_event_t).id, 5);
    ck_assert_int_eq(APR_ARRAY_IDX(h.events, IPCG_EVENTS_MAX - 1,
                                   ipcg_event_t).id, IPCG_EVENTS_MAX + 4);
}
END_TEST

START_TEST(sample_put_rules)
{
    ipcg_sample_t s;
    int i;

    memset(&s, 0, sizeof(s));
    ipcg_sample_put(&s, "semmni", 5, 9, 10);
    ck_assert_int_eq(s.pt[0].uncleaned, 5);       /* capped at used */
    ipcg_sample_put(&s, "nolimit", 5, 5, 0);      /* no limit: left out */
    ipcg_sample_put(&s, "Bad Name", 5, 5, 10);    /* not a series name */
    ck_assert_int_eq(s.n, 1);
    for (i = 0; i < 2 * IPCG_SERIES_MAX; i++) {
        ipcg_sample_put(&s, "bc:x", 1, 1, 2);
    }
    ck_assert_int_eq(s.n, IPCG_SERIES_MAX);
}
END_TEST

START_TEST(theil_sen)
{
    apr_int64_t t[] = {0, 10, 20, 30, 40, 50};
    double line[] = {5, 15, 25, 35, 45, 55};
    double burst[] = {0, 0, 0, 100, 0, 0};       /* one odd sample */
    apr_int64_t same[] = {7, 7, 7};
    double any[] = {1, 2, 3};

    ck_assert(ipcg_theil_sen(t, line, 6) > 0.999
              && ipcg_theil_sen(t, line, 6) < 1.001);
    ck_assert(ipcg_theil_sen(t, burst, 6) == 0);
    ck_assert(ipcg_theil_sen(same, any, 3) == 0);
    ck_assert(ipcg_theil_sen(t, line, 1) == 0);
}
END_TEST

/* One set a second since t=1000, SEMMNI 200: full at t=1000+190. */
START_TEST(forecast_of_a_leak)
{
    ipcg_history_t h;
    ipcg_sample_t s, now;
    ipcg_forecast_t f[4];
    apr_int64_t t;

    ipcg_history_init(pool, &h);
    for (t = 900; t < 1000; t += 10) {          /* quiet before the leak */
        s = sample(t, 10, 0, 200);
        ipcg_history_add_sample(&h, &s, 1);
    }
    for (t = 1000; t < 1040; t += 10) {
        s = sample(t, 10 + (apr_uint64_t)(t - 1000),
                   (apr_uint64_t)(t - 1000), 200);
        ipcg_history_add_sample(&h, &s, 1);
    }
    now = sample(1040, 50, 40, 200);
    ck_assert_int_eq(ipcg_forecast_compute(&h, &now, 160, f, 4), 1);
    ck_assert_str_eq(f[0].name, "semmni");
    ck_assert_msg(f[0].rate > 0.99 && f[0].rate < 1.01, "rate %f", f[0].rate);
    ck_assert_int_eq(f[0].seconds_to_full, 150);
    ck_assert_int_eq(f[0].used, 50);
    ck_assert_int_eq(f[0].limit, 200);
    ck_assert_int_eq(f[0].span, 140);
    ck_assert_str_eq(ipcg_forecast_text(pool, &f[0]),
                     "SEMMNI: 50 of 200 used at +60 a minute: full in under "
                     "an hour (about 3 minutes)");
    /* a window of quiet samples only: the leak's newest quarter of a
     * longer window is not there, and the rate falls */
    now = sample(990, 10, 0, 200);
    ck_assert_int_eq(ipcg_forecast_compute(&h, &now, 160, f, 4), 1);
    ck_assert(f[0].rate == 0);
}
END_TEST

/* Foreign sets leak one each 10 s since t=1000; the instance's stay. */
START_TEST(class_trends_follow_each_class)
{
    ipcg_history_t h;
    ipcg_sample_t s, now;
    ipcg_class_trend_t tr[IPCG_CLASS_TRENDS];
    const ipcg_class_trend_t *sem = &tr[IPCG_SYSV_SEM * IPCG_CLASS_COUNT];
    apr_int64_t t;
    int i;

    ipcg_history_init(pool, &h);
    memset(&now, 0, sizeof(now));
    now.t = 1000;
    ipcg_class_trends(&h, &now, 600, tr);
    ck_assert_int_eq(tr[0].points, 1);
    ck_assert(tr[0].rate == 0);
    for (t = 900; t < 1100; t += 10) {
        s = sample(t, 10, 0, 200);
        s.count[IPCG_SYSV_SEM][IPCG_CLASS_INSTANCE] = 6;
        s.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] =
            t < 1000 ? 3 : 3 + (apr_uint64_t)(t - 1000) / 10;
        ipcg_history_add_sample(&h, &s, 1);
    }
    now = s;
    now.t = 1100;
    now.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] = 13;
    /* the whole window is half quiet; its newest quarter is the leak's */
    ipcg_class_trends(&h, &now, 200, tr);
    ck_assert_int_eq(sem[IPCG_CLASS_FOREIGN].kind, IPCG_SYSV_SEM);
    ck_assert_int_eq(sem[IPCG_CLASS_FOREIGN].cls, IPCG_CLASS_FOREIGN);
    ck_assert_int_eq(sem[IPCG_CLASS_FOREIGN].count, 13);
    ck_assert_int_eq(sem[IPCG_CLASS_FOREIGN].points, 21);
    ck_assert_msg(sem[IPCG_CLASS_FOREIGN].rate > 0.099
                  && sem[IPCG_CLASS_FOREIGN].rate < 0.101,
                  "rate %f", sem[IPCG_CLASS_FOREIGN].rate);
    ck_assert(sem[IPCG_CLASS_INSTANCE].rate == 0);
    ck_assert_int_eq(sem[IPCG_CLASS_INSTANCE].count, 6);
    for (i = 0; i < IPCG_CLASS_TRENDS; i++) {
        ck_assert_int_eq(tr[i].kind, i / IPCG_CLASS_COUNT);
        ck_assert_int_eq(tr[i].cls, i % IPCG_CLASS_COUNT);
        if (tr[i].kind != IPCG_SYSV_SEM) {
            ck_assert(tr[i].rate == 0);
        }
    }
    /* a short window holds only the leak */
    ipcg_class_trends(&h, &now, 45, tr);
    ck_assert_int_eq(sem[IPCG_CLASS_FOREIGN].points, 5);
    ck_assert_msg(sem[IPCG_CLASS_FOREIGN].rate > 0.099
                  && sem[IPCG_CLASS_FOREIGN].rate < 0.101,
                  "rate %f", sem[IPCG_CLASS_FOREIGN].rate);
}
END_TEST

START_TEST(forecast_flat_full_and_too_few)
{
    ipcg_history_t h;
    ipcg_sample_t s, now;
    ipcg_forecast_t f[1];

    ipcg_history_init(pool, &h);
    now = sample(1000, 10, 3, 200);
    ipcg_forecast_compute(&h, &now, 3600, f, 1);
    ck_assert_int_eq(f[0].seconds_to_full, -1);
    ck_assert_int_eq(f[0].points, 1);
    ck_assert_str_eq(ipcg_forecast_text(pool, &f[0]),
                     "SEMMNI: 10 of 200 used: too few samples for a trend yet");
    s = sample(900, 10, 3, 200);
    ipcg_history_add_sample(&h, &s, 1);
    s = sample(950, 10, 3, 200);
    ipcg_history_add_sample(&h, &s, 1);
    ipcg_forecast_compute(&h, &now, 3600, f, 1);
    ck_assert_int_eq(f[0].seconds_to_full, -1);
    ck_assert(f[0].rate == 0);
    ck_assert_str_eq(ipcg_forecast_text(pool, &f[0]),
                     "SEMMNI: 10 of 200 used, not growing");
    /* samples outside the window do not count */
    ipcg_forecast_compute(&h, &now, 60, f, 1);
    ck_assert_int_eq(f[0].points, 2);
    /* shrinking is not growing */
    s = sample(800, 50, 43, 200);
    ipcg_history_init(pool, &h);
    ipcg_history_add_sample(&h, &s, 1);
    s = sample(900, 30, 23, 200);
    ipcg_history_add_sample(&h, &s, 1);
    ipcg_forecast_compute(&h, &now, 3600, f, 1);
    ck_assert(f[0].rate < 0);
    ck_assert_int_eq(f[0].seconds_to_full, -1);
    /* full is full, whatever the trend */
    now = sample(1000, 200, 190, 200);
    ipcg_forecast_compute(&h, &now, 3600, f, 1);
    ck_assert_int_eq(f[0].seconds_to_full, 0);
    ck_assert_str_eq(ipcg_forecast_text(pool, &f[0]),
                     "SEMMNI: 200 of 200 used: full");
}
END_TEST

START_TEST(words)
{
    ipcg_forecast_t f;

    ck_assert_str_eq(ipcg_duration_text(pool, 59), "under a minute");
    ck_assert_str_eq(ipcg_duration_text(pool, 60),
                     "under an hour (about 1 minute)");
    ck_assert_str_eq(ipcg_duration_text(pool, 7200),
                     "under a day (about 2 hours)");
    ck_assert_str_eq(ipcg_duration_text(pool, 7 * 86400), "about 7 days");
    ck_assert_str_eq(ipcg_duration_text(pool, 86400), "about 1 day");
    ck_assert_str_eq(ipcg_duration_text(pool, 365 * 86400),
                     "about 365 days");
    ck_assert_str_eq(ipcg_duration_text(pool, 366 * 86400),
                     "about 1 year");
    ck_assert_str_eq(ipcg_duration_text(pool, 10 * 31557600 - 1),
                     "about 10 years");
    ck_assert_str_eq(ipcg_duration_text(pool, (apr_int64_t)1440000 * 86400),
                     "more than a hundred years");
    ck_assert_str_eq(ipcg_series_label(pool, "devshm"), "/dev/shm");
    ck_assert_str_eq(ipcg_series_label(pool, "bc:numsem"),
                     "beancounter numsem");
    memset(&f, 0, sizeof(f));
    strcpy(f.name, "semmni");
    f.used = 31900;
    f.limit = 32000;
    f.points = 10;
    f.rate = 120.0 / 86400;
    f.seconds_to_full = 72000;
    ck_assert_str_eq(ipcg_forecast_text(pool, &f),
                     "SEMMNI: 31,900 of 32,000 used at +120 a day: full in "
                     "under a day (about 20 hours)");
    f.rate = 3.0 / 60;
    ck_assert_str_eq(ipcg_forecast_text(pool, &f),
                     "SEMMNI: 31,900 of 32,000 used at +3 a minute: full in "
                     "under a day (about 20 hours)");
    f.rate = 0.5 / 86400;
    ck_assert_ptr_ne(strstr(ipcg_forecast_text(pool, &f), "+0.50 a day"),
                     NULL);
}
END_TEST

START_TEST(conf_duration)
{
    apr_int64_t v = -5;

    ck_assert_ptr_eq(ipcg_conf_duration(pool, "90", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_int_eq(v, 90);
    ck_assert_ptr_eq(ipcg_conf_duration(pool, "15m", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_int_eq(v, 900);
    ck_assert_ptr_eq(ipcg_conf_duration(pool, "6h", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_int_eq(v, 21600);
    ck_assert_ptr_eq(ipcg_conf_duration(pool, "1d", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_int_eq(v, 86400);
    ck_assert_ptr_eq(ipcg_conf_duration(pool, "OFF", 60, 86400,
                                        IPCG_DURATION_OR_OFF, &v), NULL);
    ck_assert_int_eq(v, 0);
    v = 7;
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "off", 60, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "2d", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "9s", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "h", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "-5m", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "5 m", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "5w", 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, "99999999999999999999d", 10,
                                        86400, IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_ptr_ne(ipcg_conf_duration(pool, NULL, 10, 86400,
                                        IPCG_DURATION_ONLY, &v), NULL);
    ck_assert_int_eq(v, 7);                       /* untouched on error */
    ck_assert_str_eq(ipcg_conf_duration(pool, "x", 10, 30 * 86400,
                                        IPCG_DURATION_OR_OFF, &v),
                     "must be a duration from 10s to 30d: digits with an "
                     "optional unit s, m, h or d (90, 15m, 6h, 7d), or off");
}
END_TEST

/* The sample counts what is not the instance's as uncleaned. */
START_TEST(report_sample)
{
    ipcg_report_t r;
    apr_array_header_t *reg = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    ipcg_obj_t o;
    ipcg_sample_t s;

    memset(&r, 0, sizeof(r));
    r.limits.semmni.present = 1;
    r.limits.semmni.v = 128;
    r.limits.semmns.present = 1;
    r.limits.semmns.v = 32000;
    r.limits.page_size.present = 1;
    r.limits.page_size.v = 4096;
    r.limits.shmall.present = 1;
    r.limits.shmall.v = 1000;
    r.usage.count[IPCG_SYSV_SEM] = 10;
    r.usage.sem_total = 12;
    r.usage.shm_pages = 30;
    r.bc_rows = 2;
    strcpy(r.bc[0].resource, "numsem");
    r.bc[0].held = 9;
    r.bc[0].limit = 50;
    strcpy(r.bc[1].resource, "kmemsize");
    r.bc[1].held = 9;
    r.bc[1].limit_unlimited = 1;
    memset(&o, 0, sizeof(o));
    o.kind = IPCG_SYSV_SEM;
    o.size = 2;
    o.cls = IPCG_CLASS_INSTANCE;
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    o.cls = IPCG_CLASS_APPLICATION;              /* not cleaned: counts */
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    o.kind = IPCG_SYSV_SHM;
    o.size = 4097;                               /* two pages */
    o.cls = IPCG_CLASS_INSTANCE;
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    r.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN] = 8;
    r.count[IPCG_POSIX_SHM][IPCG_CLASS_INSTANCE] = 3;
    ipcg_report_sample(&r, reg, 1234, &s);
    ck_assert_int_eq(s.t, 1234);
    ck_assert_int_eq(s.count[IPCG_SYSV_SEM][IPCG_CLASS_FOREIGN], 8);
    ck_assert_int_eq(s.count[IPCG_POSIX_SHM][IPCG_CLASS_INSTANCE], 3);
    ck_assert_int_eq(s.count[IPCG_SYSV_SHM][IPCG_CLASS_INSTANCE], 0);
    ck_assert_int_eq(s.n, 4);     /* semmni semmns shmall bc:numsem */
    ck_assert_str_eq(s.pt[0].name, "semmni");
    ck_assert_int_eq(s.pt[0].used, 10);
    ck_assert_int_eq(s.pt[0].uncleaned, 9);
    ck_assert_str_eq(s.pt[1].name, "semmns");
    ck_assert_int_eq(s.pt[1].uncleaned, 10);
    ck_assert_str_eq(s.pt[2].name, "shmall");
    ck_assert_int_eq(s.pt[2].uncleaned, 28);
    ck_assert_str_eq(s.pt[3].name, "bc:numsem");
    ck_assert_int_eq(s.pt[3].uncleaned, 9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("history");
    TCase *tc = tcase_create("history");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_test(tc, format_parse_roundtrip);
    tcase_add_test(tc, parse_refuses);
    tcase_add_test(tc, file_roundtrip_and_refusals);
    tcase_add_test(tc, samples_spacing_and_thinning);
    tcase_add_test(tc, events_are_bounded);
    tcase_add_test(tc, sample_put_rules);
    tcase_add_test(tc, theil_sen);
    tcase_add_test(tc, forecast_of_a_leak);
    tcase_add_test(tc, class_trends_follow_each_class);
    tcase_add_test(tc, forecast_flat_full_and_too_few);
    tcase_add_test(tc, words);
    tcase_add_test(tc, conf_duration);
    tcase_add_test(tc, report_sample);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
