/* The verdict, the meters, the duplicated-mapping diagnosis, the units
 * for people, the charts of the page and the terminal text. */

#include <time.h>

#include "ipcguard/ipcg_html.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"
#include "ipcg_check.h"
#include "fixture_view.h"

typedef struct {
    apr_pool_t *p;
    char *buf;
} sink;

static void sink_write(void *baton, const char *b, apr_size_t len)
{
    sink *s = baton;
    s->buf = apr_pstrcat(s->p, s->buf, apr_pstrndup(s->p, b, len), NULL);
}

/* A quiet server: a few objects, far from every limit, nothing kept. */
static void quiet_view(ipcg_view_t *v)
{
    memset(v, 0, sizeof(*v));
    v->rep.pid = 100;
    v->rep.warn_percent = 90;
    v->rep.limits.semmni.present = 1;
    v->rep.limits.semmni.v = 32000;
    v->rep.limits.shmall.present = 1;
    v->rep.limits.shmall.v = 18446744073692774399ULL;
    v->rep.usage.count[IPCG_SYSV_SEM] = 3;
    v->objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    v->decisions = apr_array_make(pool, 1, sizeof(ipcg_decision_t));
    v->procs = apr_array_make(pool, 1, sizeof(ipcg_proc_t));
}

static ipcg_proc_t *add_proc(ipcg_view_t *v, const char *comm,
                             apr_uint64_t bytes, apr_uint64_t ino)
{
    ipcg_proc_t *pr = apr_array_push(v->procs);

    memset(pr, 0, sizeof(*pr));
    pr->pid = 1000 + v->procs->nelts;
    strcpy(pr->comm, comm);
    pr->shared_anon = bytes;
    pr->map_bytes = bytes;
    pr->map_kind = IPCG_MAP_ANON;
    pr->map_dev = 1;
    pr->map_ino = ino;
    return pr;
}

static char *page(const ipcg_view_t *v)
{
    sink s = { pool, "" };
    ipcg_out_t out = { sink_write, &s };
    ipcg_html_opts_t o = { "h", NULL, NULL, 0, FIXTURE_NOW };

    ipcg_render_html(pool, v, &o, &out);
    return s.buf;
}

START_TEST(units_for_people)
{
    ck_assert_str_eq(ipcg_grouped(pool, 1409024), "1,409,024");
    ck_assert_str_eq(ipcg_grouped(pool, 999), "999");
    ck_assert_str_eq(ipcg_bytes_text(pool, 512), "512 B");
    ck_assert_str_eq(ipcg_bytes_text(pool, 1409024), "1.3 MiB");
    ck_assert_str_eq(ipcg_bytes_text(pool, 67108864), "64 MiB");
    ck_assert_str_eq(ipcg_bytes_text(pool, 1073741824), "1 GiB");
    ck_assert(ipcg_is_unlimited(18446744073692774399ULL));
    ck_assert(ipcg_is_unlimited(9223372036854775807ULL));
    ck_assert(!ipcg_is_unlimited(1024000000));
    ck_assert_str_eq(ipcg_ago_text(pool, 1000 - 180, 1000), "3 min ago");
    ck_assert_str_eq(ipcg_ago_text(pool, 1000, 1000), "just now");
    ck_assert_str_eq(ipcg_ago_text(pool, 0, 1000), "never");
    ck_assert_str_eq(ipcg_ago_text(pool, 1000 + 7200, 1000), "in 2 h");
    ck_assert_str_eq(ipcg_span_text(pool, 90123), "1 d 1 h");
    ck_assert_str_eq(ipcg_plural(1), "");
    ck_assert_str_eq(ipcg_plural(0), "s");
    ck_assert_str_eq(ipcg_plural(2), "s");
    ck_assert_str_eq(ipcg_plural(11), "s");
}
END_TEST

START_TEST(quiet_server_is_healthy)
{
    ipcg_view_t v;
    apr_array_header_t *f;
    char *html;

    quiet_view(&v);
    f = ipcg_verdict(pool, &v);
    ck_assert_msg(ipcg_verdict_level(f) < IPCG_LEVEL_WARN,
                  "a quiet server: expected healthy, got level %s (%s)",
                  ipcg_level_name(ipcg_verdict_level(f)),
                  f->nelts ? APR_ARRAY_IDX(f, 0, ipcg_finding_t).what : "");
    html = page(&v);
    ck_assert_msg(strstr(html, "<h2>Healthy</h2>") != NULL,
                  "the page says healthy");
    ck_assert_msg(strstr(html, "0 B of unlimited") != NULL,
                  "SHMALL's no-limit value shows as unlimited");
    ck_assert_msg(strstr(html, "18446744073692774399") == NULL,
                  "the kernel's no-limit number is not shown raw");
}
END_TEST

START_TEST(limit_near_full_needs_attention)
{
    ipcg_view_t v;
    apr_array_header_t *f, *ms;
    const ipcg_finding_t *x;

    quiet_view(&v);
    v.rep.usage.count[IPCG_SYSV_SEM] = 29000;
    ms = ipcg_meters(pool, &v.rep);
    ck_assert_int_eq(APR_ARRAY_IDX(ms, 0, ipcg_meter_t).percent, 90);
    ck_assert_int_eq(APR_ARRAY_IDX(ms, 0, ipcg_meter_t).level,
                     IPCG_LEVEL_WARN);
    f = ipcg_verdict(pool, &v);
    ck_assert_int_ge(f->nelts, 1);
    x = &APR_ARRAY_IDX(f, 0, ipcg_finding_t);
    ck_assert_str_eq(x->topic, "limit");
    ck_assert_msg(strstr(x->what, "29,000 of 32,000 (90%)") != NULL,
                  "the finding names the use: got \"%s\"", x->what);
    ck_assert_msg(strstr(x->todo, "kernel.sem") != NULL,
                  "and what to raise: got \"%s\"", x->todo);
    v.rep.usage.count[IPCG_SYSV_SEM] = 32000;
    f = ipcg_verdict(pool, &v);
    ck_assert_int_eq(ipcg_verdict_level(f), IPCG_LEVEL_CRIT);
}
END_TEST

START_TEST(own_copies_are_diagnosed)
{
    ipcg_view_t v;
    apr_array_header_t *d;
    const ipcg_dup_t *x;
    int i;

    quiet_view(&v);
    v.rep.limits.meminfo_shmem.present = 1;
    v.rep.limits.meminfo_shmem.v = 1000u << 20;
    for (i = 0; i < 11; i++) {
        /* 9 of 64 MiB, 2 of 40 MiB, each its own (incident 000) */
        add_proc(&v, "php-cgi", (i < 9 ? 64u : 40u) << 20,
                 2000 + (apr_uint64_t)i);
    }
    /* httpd's children share the parent's mapping: no diagnosis */
    for (i = 0; i < 5; i++) {
        add_proc(&v, "apache2", 8u << 20, 77);
    }
    d = ipcg_diagnose_dup(pool, &v);
    ck_assert_int_eq(d->nelts, 1);
    x = &APR_ARRAY_IDX(d, 0, ipcg_dup_t);
    ck_assert_str_eq(x->program, "php-cgi");
    ck_assert_uint_eq(x->processes, 9);
    ck_assert_uint_eq(x->mappings, 9);
    ck_assert_uint_eq(x->each, 64u << 20);
    ck_assert_uint_eq(x->total, 9 * (64ull << 20));
    ck_assert_str_eq(x->limit, "shmem");
    ck_assert_msg(strstr(x->text, "9 php-cgi processes each hold their own "
                         "shared mapping of about 64 MiB") != NULL
                  && strstr(x->text, "576 MiB in all") != NULL
                  && strstr(x->text, "opcache") != NULL
                  && strstr(x->text, "PHP-FPM") != NULL,
                  "count, size, total, cause and fix: got \"%s\"", x->text);
}
END_TEST

START_TEST(copies_count_against_shmpages)
{
    ipcg_view_t v;
    apr_array_header_t *d;

    quiet_view(&v);
    v.rep.bc_present = 1;
    v.rep.bc_rows = 1;
    strcpy(v.rep.bc[0].resource, "shmpages");
    v.rep.bc[0].held = 247122;
    v.rep.bc[0].limit = 262144;
    add_proc(&v, "php-cgi", 64u << 20, 1);
    add_proc(&v, "php-cgi", 64u << 20, 2);
    add_proc(&v, "php-cgi", 64u << 20, 2);   /* one shared by two */
    d = ipcg_diagnose_dup(pool, &v);
    ck_assert_int_eq(d->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(d, 0, ipcg_dup_t).limit, "bc:shmpages");
    ck_assert_uint_eq(APR_ARRAY_IDX(d, 0, ipcg_dup_t).processes, 3);
    ck_assert_uint_eq(APR_ARRAY_IDX(d, 0, ipcg_dup_t).mappings, 2);
    ck_assert_msg(strstr(APR_ARRAY_IDX(d, 0, ipcg_dup_t).text,
                         "the beancounter shmpages (965 MiB of 1 GiB in use)")
                  != NULL, "against the limit: got \"%s\"",
                  APR_ARRAY_IDX(d, 0, ipcg_dup_t).text);
}
END_TEST

START_TEST(one_shared_mapping_is_no_diagnosis)
{
    ipcg_view_t v;
    int i;

    quiet_view(&v);
    for (i = 0; i < 6; i++) {
        add_proc(&v, "php-fpm8.2", 128u << 20, 555);
    }
    add_proc(&v, "other", 64u << 20, 9);
    ck_assert_int_eq(ipcg_diagnose_dup(pool, &v)->nelts, 0);
}
END_TEST

/* A chart with @a n samples spaced @a step apart, SEMMNI growing. */
static void chart_view(ipcg_view_t *v, apr_uint32_t n, apr_int64_t step,
                       apr_uint32_t gap_at)
{
    apr_uint32_t j;

    quiet_view(v);
    v->rep.forecast_window = 86400;
    v->rep.forecast_rows = 1;
    strcpy(v->rep.forecast[0].name, "semmni");
    v->rep.forecast[0].used = 3;
    v->rep.forecast[0].limit = 32000;
    v->rep.forecast[0].seconds_to_full = -1;
    v->rep.chart.n = n;
    for (j = 0; j < n; j++) {
        v->rep.chart.t[j] = FIXTURE_NOW - (apr_int64_t)(n - 1 - j) * step
                            - (j < gap_at ? 6 * 3600 : 0);
        v->rep.chart.used[0][j] = 1000 + j * 100;
    }
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (; (hay = strstr(hay, needle)) != NULL; hay++) {
        n++;
    }
    return n;
}

START_TEST(charts_one_sample_many_and_a_restart)
{
    ipcg_view_t v;
    char *html;

    chart_view(&v, 1, 60, 0);
    html = page(&v);
    ck_assert_msg(strstr(html, "<circle class=\"u\"") != NULL,
                  "one sample: a dot");
    ck_assert_int_eq(count(html, "<polyline class=\"u\""), 0);
    chart_view(&v, IPCG_CHART_POINTS, 600, 0);
    html = page(&v);
    ck_assert_int_eq(count(html, "<polyline class=\"u\""), 1);
    ck_assert_msg(strstr(html, "limit 32,000") != NULL,
                  "7,300 of 32,000 in use: the limit line is drawn");
    chart_view(&v, 40, 600, 20);
    html = page(&v);
    ck_assert_msg(count(html, "<polyline class=\"u\"") == 2,
                  "a restart's gap breaks the line in two: got %d lines",
                  count(html, "<polyline class=\"u\""));
    ck_assert_msg(strstr(html, "nan") == NULL && strstr(html, "inf") == NULL,
                  "no NaN or infinity in the SVG");
}
END_TEST

START_TEST(terminal_text_has_colour_only_when_asked)
{
    ipcg_view_t v;
    sink s = { NULL, "" };
    ipcg_out_t out = { sink_write, &s };

    s.p = pool;
    fixture_view(pool, &v);
    ipcg_render_text(pool, &v, IPCG_TEXT_PLAIN, &out);
    ck_assert_msg(strchr(s.buf, '\033') == NULL, "plain: no escape codes");
    ck_assert_msg(strstr(s.buf, "IPC status: needs attention") != NULL
                  && strstr(s.buf, "118 of 128 (92%)") != NULL
                  && strstr(s.buf, "[######################..]") != NULL,
                  "verdict and meters: got \"%s\"", s.buf);
    s.buf = "";
    ipcg_render_text(pool, &v, IPCG_TEXT_ANSI, &out);
    ck_assert_msg(strstr(s.buf, "\033[1;31m") != NULL, "ANSI: colours");
}
END_TEST

/* @a n more decisions @a what on semaphore sets from id @a first on. */
static void add_decisions(ipcg_view_t *v, int n, ipcg_decision_e what,
                          apr_int64_t first)
{
    int i;

    for (i = 0; i < n; i++) {
        ipcg_decision_t *d = apr_array_push(v->decisions);
        memset(d, 0, sizeof(*d));
        d->what = what;
        d->obj = fixture_obj(IPCG_SYSV_SEM, first + i, "", "mod_ssl.c",
                             IPCG_CLASS_INSTANCE, 1);
        strcpy(d->reason, "dead");
    }
}

/* That @a html lists a kept object, and before any removed one. */
static int kept_comes_first(const char *html)
{
    const char *kept = strstr(html, "<td>kept</td>");
    const char *removed = strstr(html, "<td>removed</td>");

    return kept && removed && kept < removed;
}

/* Past 25 listed objects the cleanup's table is folded, what was kept
 * first; the orphan candidates' table likewise; a short list is not. */
/* The startup cleanup found a dead run's objects already gone. After a
 * start, nothing of httpd removed them: a warning, and the usual causes.
 * In a server that ran without the module until a restart loaded it, a
 * /dev/shm segment gone is that server's doing (its modules remove one
 * left over under their name before they make it again): a note; a SysV
 * object gone still warns. */
/* The verdict's finding on kept objects, which must be at @a level. */
static const ipcg_finding_t *kept_finding_at(const ipcg_view_t *v,
                                             ipcg_level_e level)
{
    apr_array_header_t *f = ipcg_verdict(pool, v);
    int i;

    for (i = 0; i < f->nelts; i++) {
        const ipcg_finding_t *x = &APR_ARRAY_IDX(f, i, ipcg_finding_t);
        if (strcmp(x->topic, "kept") == 0) {
            ck_assert_int_eq(x->level, level);
            return x;
        }
    }
    ck_abort_msg("no finding on kept objects");
    return NULL;
}

static void add_gone(ipcg_view_t *v, ipcg_kind_e kind)
{
    ipcg_decision_t *d = apr_array_push(v->decisions);

    memset(d, 0, sizeof(*d));
    d->what = IPCG_DEC_KEPT;
    d->obj.kind = kind;
    strcpy(d->reason, "already gone");
    v->rep.cleanup.kept_count++;
}

START_TEST(objects_already_gone)
{
    ipcg_view_t v;
    const ipcg_finding_t *k;
    const char *html;

    quiet_view(&v);
    v.rep.cleanup.ran = 1;
    v.rep.cleanup.outcome = IPCG_OUTCOME_DONE;
    v.rep.cleanup.previous_pid = 4242;
    add_gone(&v, IPCG_POSIX_SHM);
    k = kept_finding_at(&v, IPCG_LEVEL_WARN);
    ck_assert_str_eq(k->what, "The startup cleanup after the run of pid "
                     "4242, which ended without cleaning up, found 1 of its "
                     "objects already gone: removed by something outside "
                     "httpd while no server ran.");

    v.rep.cleanup.unguarded_since = 1;
    k = kept_finding_at(&v, IPCG_LEVEL_NOTE);
    ck_assert_str_eq(k->what, "The startup cleanup after the run of pid "
                     "4242, which ended without cleaning up, found 1 of its "
                     "/dev/shm segments already gone: this server ran "
                     "without mod_ipcguard until the restart that loaded "
                     "it.");
    ck_assert_msg(ipcg_verdict_level(ipcg_verdict(pool, &v))
                  < IPCG_LEVEL_WARN, "the page stays healthy");
    html = page(&v);
    ck_assert_msg(strstr(html, "<h2>Healthy</h2>\n<p>No limit is close to "
                         "full, nothing is forecast to fill one, nothing was "
                         "removed from outside.</p>") != NULL,
                  "healthy, and not said to have kept nothing: %s", html);
    ck_assert_msg(strstr(html, "nothing was kept") == NULL,
                  "the note names what was found gone");

    add_gone(&v, IPCG_SYSV_SEM);
    k = kept_finding_at(&v, IPCG_LEVEL_WARN);
    ck_assert_msg(strstr(k->what, "found 2 of its objects already gone: "
                         "removed by something outside httpd") != NULL,
                  "a SysV object gone still warns: %s", k->what);
}
END_TEST

/* What the cleanup removed is a crash's leftovers, or, after a clean
 * stop, what the run's children made and left. */
START_TEST(cleanup_note_names_how_the_run_ended)
{
    ipcg_view_t v;
    apr_array_header_t *f;
    const ipcg_finding_t *x;

    quiet_view(&v);
    v.rep.cleanup.ran = 1;
    v.rep.cleanup.outcome = IPCG_OUTCOME_DONE;
    v.rep.cleanup.previous_pid = 4242;
    v.rep.cleanup.removed_count = 2;
    f = ipcg_verdict(pool, &v);
    ck_assert_int_eq(f->nelts, 1);
    x = &APR_ARRAY_IDX(f, 0, ipcg_finding_t);
    ck_assert_str_eq(x->what, "The startup cleanup removed 2 objects that "
                     "the run of pid 4242 left behind (a crash or kill -9).");
    v.rep.cleanup.previous_stopped = 1;
    f = ipcg_verdict(pool, &v);
    ck_assert_int_eq(f->nelts, 1);
    x = &APR_ARRAY_IDX(f, 0, ipcg_finding_t);
    ck_assert_int_eq(x->level, IPCG_LEVEL_NOTE);
    ck_assert_str_eq(x->what, "The startup cleanup removed 2 objects that "
                     "the children of the run of pid 4242 made and left; "
                     "that run stopped cleanly.");
}
END_TEST

/* The healthy sentence claims only what no note below it contradicts. */
START_TEST(healthy_sentence_follows_the_notes)
{
    ipcg_view_t v;
    const char *html;
    ipcg_event_t *e;

    quiet_view(&v);
    html = page(&v);
    ck_assert_msg(strstr(html, "<p>No limit is close to full, nothing is "
                         "forecast to fill one, nothing was kept after a "
                         "crash or removed from outside.</p>") != NULL,
                  "a quiet server: the whole sentence: %s", html);

    /* an earlier run lost an object to an outside removal: a note */
    e = &v.rep.events[0];
    memset(e, 0, sizeof(*e));
    e->kind = IPCG_SYSV_SEM;
    e->id = 98310;
    e->server_pid = 4242;
    strcpy(e->module, "core");
    v.rep.event_rows = 1;
    html = page(&v);
    ck_assert_msg(strstr(html, "<h2>Healthy</h2>") != NULL, "still healthy");
    ck_assert_msg(strstr(html, "An earlier run lost objects to a removal "
                         "from outside httpd") != NULL, "the note is there");
    ck_assert_msg(strstr(html, "<p>No limit is close to full, nothing is "
                         "forecast to fill one, nothing was kept after a "
                         "crash.</p>") != NULL,
                  "the sentence leaves the outside removal out: %s", html);

    /* and a killed run's segments found gone after a restart-load */
    v.rep.cleanup.ran = 1;
    v.rep.cleanup.outcome = IPCG_OUTCOME_DONE;
    v.rep.cleanup.previous_pid = 4242;
    v.rep.cleanup.unguarded_since = 1;
    add_gone(&v, IPCG_POSIX_SHM);
    html = page(&v);
    ck_assert_msg(strstr(html, "<h2>Healthy</h2>\n<p>No limit is close to "
                         "full and nothing is forecast to fill one.</p>")
                  != NULL, "both notes: the sentence claims neither: %s",
                  html);
}
END_TEST

START_TEST(long_decision_lists_fold_kept_first)
{
    ipcg_view_t v;
    const char *html;

    fixture_view(pool, &v);
    html = page(&v);
    ck_assert_msg(strstr(html, "listed objects (") == NULL
                  && strstr(html, "listed candidates") == NULL,
                  "two decisions and one candidate: nothing folded");
    ck_assert_msg(kept_comes_first(html),
                  "the kept object is listed before the removed one");
    add_decisions(&v, 27, IPCG_DEC_REMOVED, 200);
    add_decisions(&v, 3, IPCG_DEC_ORPHAN, 230);
    v.rep.cleanup.removed_count = 28;
    html = page(&v);
    ck_assert_msg(strstr(html, "<details><summary>All 29 listed objects "
                               "(1 kept, 28 removed)</summary>\n<div "
                               "class=\"tw\"><table><tr><th>kind</th>")
                  != NULL, "the cleanup's 29 rows are folded");
    ck_assert_msg(strstr(html, "listed candidates") == NULL,
                  "4 candidates are not folded");
    ck_assert_msg(kept_comes_first(html),
                  "folded, the kept object still comes first");
    add_decisions(&v, 22, IPCG_DEC_ORPHAN, 300);
    v.rep.orphans = 26;
    html = page(&v);
    ck_assert_msg(strstr(html, "<details><summary>All 26 listed candidates"
                               "</summary>") != NULL,
                  "the 26 candidates are folded");
}
END_TEST

static void setup(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    pool_setup();
}

int main(void)
{
    Suite *s = suite_create("verdict");
    TCase *tc = tcase_create("verdict");

    tcase_add_checked_fixture(tc, setup, pool_teardown);
    ADD_TEST(tc, units_for_people);
    ADD_TEST(tc, quiet_server_is_healthy);
    ADD_TEST(tc, limit_near_full_needs_attention);
    ADD_TEST(tc, own_copies_are_diagnosed);
    ADD_TEST(tc, copies_count_against_shmpages);
    ADD_TEST(tc, one_shared_mapping_is_no_diagnosis);
    ADD_TEST(tc, charts_one_sample_many_and_a_restart);
    ADD_TEST(tc, terminal_text_has_colour_only_when_asked);
    ADD_TEST(tc, long_decision_lists_fold_kept_first);
    ADD_TEST(tc, objects_already_gone);
    ADD_TEST(tc, healthy_sentence_follows_the_notes);
    ADD_TEST(tc, cleanup_note_names_how_the_run_ended);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
