/* Unit tests of the output formats and the shared table. */

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_table.h"
#include "ipcg_check.h"

typedef struct {
    apr_pool_t *p;
    char *buf;
} sink;

static void sink_write(void *baton, const char *b, apr_size_t len)
{
    sink *s = baton;
    s->buf = apr_pstrcat(s->p, s->buf, apr_pstrndup(s->p, b, len), NULL);
}

static ipcg_view_t view(int nobjs, int nmodules)
{
    ipcg_view_t v;
    int i;
    static const char *names[] = {
        "<img src=x onerror=alert(1)>", "quote\"back\\slash", "new\nline\ttab",
        "bad\xff" "byte", "caf\xc3\xa9"
    };

    memset(&v, 0, sizeof(v));
    strcpy(v.rep.instance, "0123456789abcdef");
    v.rep.pid = 2975;
    v.rep.started = 1795360973;
    v.rep.limits.semmni.present = 1;
    v.rep.limits.semmni.v = 32000;
    v.rep.limits.shmmax.present = 0;           /* absent: omitted / null */
    v.rep.usage.count[IPCG_SYSV_SEM] = (apr_uint64_t)nobjs;
    v.rep.bc_present = 1;
    strcpy(v.rep.bc_version, "2.5");
    v.rep.bc_rows = 2;
    strcpy(v.rep.bc[0].resource, "shmpages");
    v.rep.bc[0].held = 247122;
    v.rep.bc[0].limit = 262144;
    v.rep.bc[0].failcnt = 10067;
    strcpy(v.rep.bc[1].resource, "physpages");
    v.rep.bc[1].limit_unlimited = v.rep.bc[1].barrier_unlimited = 1;
    strcpy(v.rep.cleanup.summary, "removed 6 stale IPC objects");
    v.rep.cleanup.ran = 1;
    v.objs = apr_array_make(pool, nobjs + 1, sizeof(ipcg_obj_t));
    v.decisions = apr_array_make(pool, 4, sizeof(ipcg_decision_t));
    v.procs = apr_array_make(pool, 4, sizeof(ipcg_proc_t));
    for (i = 0; i < nobjs; i++) {
        ipcg_obj_t *o = apr_array_push(v.objs);
        memset(o, 0, sizeof(*o));
        o->kind = (i % 5 == 0) ? IPCG_POSIX_SHM : IPCG_SYSV_SEM;
        o->id = o->kind == IPCG_POSIX_SHM ? -1 : i;
        o->size = 1;
        o->cls = IPCG_CLASS_INSTANCE;
        o->phase = IPCG_PHASE_POST_CONFIG;
        snprintf(o->module, sizeof(o->module), "mod_m%d\"x.c",
                 i % nmodules);
        if (o->kind == IPCG_POSIX_SHM) {
            strcpy(o->name, names[(i / 5) % 5]);
        }
    }
    {
        ipcg_decision_t *d = apr_array_push(v.decisions);
        memset(d, 0, sizeof(*d));
        d->what = IPCG_DEC_ORPHAN;
        d->obj = APR_ARRAY_IDX(v.objs, 0, ipcg_obj_t);
        strcpy(d->reason, "no process ever operated on it");
    }
    {
        ipcg_proc_t *p = apr_array_push(v.procs);
        memset(p, 0, sizeof(*p));
        p->pid = 4243;
        strcpy(p->comm, "php-cgi");
        p->shared_anon = 67108864;
        p->rss_shmem.present = 1;
        p->rss_shmem.v = 2469888;
    }
    return v;
}

static char *render(int what, const ipcg_view_t *v, const char *prefix)
{
    sink s = { pool, "" };
    ipcg_out_t out = { sink_write, &s };

    if (what == 0) {
        ipcg_render_auto(pool, v, prefix, &out);
    }
    else if (what == 1) {
        ipcg_render_json(pool, v, &out);
    }
    else {
        ipcg_render_metrics(pool, v, &out);
    }
    return s.buf;
}

/* Run @a cmd with @a input on stdin; returns its exit status. */
static int pipe_to(const char *cmd, const char *input)
{
    const char *f = temp_file(input);
    int rc = system(apr_psprintf(pool, "%s < '%s' > /dev/null 2>&1", cmd, f));
    unlink(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

START_TEST(auto_is_key_value_lines)
{
    ipcg_view_t v = view(50, 3);
    char *text = render(0, &v, ""), *line, *last;
    int n = 0;

    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last), n++) {
        ck_assert_msg(pipe_to("grep -Eqx '[A-Z][A-Za-z0-9]*: (-?[0-9]+|[a-z0-9]+)'",
                              line) == 0, "not a Key: value line: '%s'", line);
    }
    ck_assert_int_gt(n, 30);
    text = render(0, &v, "");
    ck_assert_ptr_nonnull(strstr(text, "\nSemSetsLimit: 32000\n"));
    ck_assert_ptr_null(strstr(text, "ShmMaxBytes"));   /* absent: omitted */
    ck_assert_ptr_nonnull(strstr(text, "\nBeancounterShmpagesFailcnt: 10067\n"));
    ck_assert_ptr_null(strstr(text, "BeancounterPhyspagesLimit"));
    ck_assert_ptr_null(strstr(text, "<img"));
    text = render(0, &v, "IPCGuard");
    for (line = apr_strtok(text, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        ck_assert_msg(strncmp(line, "IPCGuard", 8) == 0, "'%s'", line);
        ck_assert_msg(strchr(line, '.') == NULL, "a dot in '%s'", line);
    }
}
END_TEST

START_TEST(json_is_valid_and_escaped)
{
    ipcg_view_t v = view(50, 3);
    char *text = render(1, &v, NULL);

    ck_assert_int_eq(pipe_to("jq -e '.instance.pid == 2975 and "
                             "(.objects | length) == 50 and "
                             ".limits.shmmax == null and "
                             ".limits.semmni == 32000 and "
                             "(.orphans[0].provable == false) and "
                             ".processes[0].shared_mapped_bytes == 67108864 and "
                             ".limits.beancounters.rows[0].failcnt == 10067'",
                             text), 0);
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"<img src=x onerror=alert(1)>\""));
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"quote\\\"back\\\\slash\""));
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"new\\u000aline\\u0009tab\""));
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"bad\\u00ffbyte\""));
    ck_assert_ptr_nonnull(strstr(text, "\"name\":\"caf\xc3\xa9\""));
    ck_assert_int_eq(pipe_to("jq -e '[.objects[] | select(.kind == \"posix-shm\") | .name] | length == 10'", text), 0);
}
END_TEST

static int sample_lines(const char *text)
{
    int n = 0;
    const char *p = text;
    while (p && *p) {
        if (*p != '#') {
            n++;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return n;
}

START_TEST(metrics_are_bounded_and_valid)
{
    ipcg_view_t v10 = view(30, 3), v1000 = view(1000, 3), vmany = view(1000, 200);
    char *a = render(2, &v10, NULL), *b = render(2, &v1000, NULL);
    char *c = render(2, &vmany, NULL);

    ck_assert_int_eq(sample_lines(a), sample_lines(b));
    /* 200 modules: 64 named, the rest as module="other" */
    ck_assert_int_le(sample_lines(c), sample_lines(b) + 2 * 64);
    ck_assert_ptr_nonnull(strstr(c, "module=\"other\""));
    ck_assert_ptr_nonnull(strstr(b, "module=\"mod_m0\\\"x.c\""));
    ck_assert_ptr_nonnull(strstr(b, "ipcguard_beancounter_failures_total{resource=\"shmpages\"} 10067\n"));
    ck_assert_ptr_null(strstr(b, "<img"));
    if (access("/usr/bin/promtool", X_OK) == 0) {
        ck_assert_int_eq(pipe_to("promtool check metrics", b), 0);
        ck_assert_int_eq(pipe_to("promtool check metrics", c), 0);
    }
}
END_TEST

/* Rates below one keep the zero before the point, as in "0.978": a value
 * of ".978" was what APR's %g writes, and readers that expect a leading
 * digit fail on it. */
START_TEST(metrics_rates_have_a_leading_digit)
{
    ipcg_view_t v = view(3, 1);
    ipcg_class_trend_t *ct = &v.rep.class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                                                + IPCG_CLASS_FOREIGN];
    char *text;

    ct->kind = IPCG_SYSV_SEM;
    ct->cls = IPCG_CLASS_FOREIGN;
    ct->rate = 0.978000956;
    v.rep.class_trend[0].rate = -0.25;
    v.rep.class_trend[1].rate = 1.0 / 86400;     /* one a day */
    v.rep.forecast_rows = 2;
    strcpy(v.rep.forecast[0].name, "semmni");
    v.rep.forecast[0].rate = 0.5;
    strcpy(v.rep.forecast[1].name, "shmmni");
    v.rep.forecast[1].rate = 2.5;
    text = render(2, &v, NULL);
    ck_assert_ptr_nonnull(strstr(text, "ipcguard_objects_growth_per_second"
                                 "{kind=\"sysv-sem\",class=\"foreign\"} "
                                 "0.978000956\n"));
    ck_assert_ptr_nonnull(strstr(text, "} -0.25\n"));
    ck_assert_ptr_nonnull(strstr(text, "} 1.15740741e-5\n"));
    ck_assert_ptr_nonnull(strstr(text, "ipcguard_growth_per_second"
                                 "{resource=\"semmni\"} 0.5\n"));
    ck_assert_ptr_nonnull(strstr(text, "ipcguard_growth_per_second"
                                 "{resource=\"shmmni\"} 2.5\n"));
    ck_assert_int_eq(pipe_to("grep -E '} [-]?[.]'", text), 1);
    if (access("/usr/bin/promtool", X_OK) == 0) {
        ck_assert_int_eq(pipe_to("promtool check metrics", text), 0);
    }
}
END_TEST

START_TEST(procs_sort_largest_first)
{
    apr_array_header_t *a = apr_array_make(pool, 3, sizeof(ipcg_proc_t));
    ipcg_proc_t p;

    memset(&p, 0, sizeof(p));
    p.pid = 1; p.shared_anon = 10;
    *(ipcg_proc_t *)apr_array_push(a) = p;
    p.pid = 2; p.shared_anon = 0; p.shared_sysv = 500;
    *(ipcg_proc_t *)apr_array_push(a) = p;
    p.pid = 3; p.shared_sysv = 0; p.rss_shmem.present = 1; p.rss_shmem.v = 9;
    *(ipcg_proc_t *)apr_array_push(a) = p;
    ipcg_procs_sort(a);
    ck_assert_int_eq(APR_ARRAY_IDX(a, 0, ipcg_proc_t).pid, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(a, 1, ipcg_proc_t).pid, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(a, 2, ipcg_proc_t).pid, 3);
}
END_TEST

START_TEST(table_publish_and_read)
{
    ipcg_view_t v = view(40, 3), out;
    apr_size_t size = ipcg_table_size(32, 8, 8);
    void *mem = apr_pcalloc(pool, size);
    ipcg_table_t *t;

    ck_assert_ptr_null(ipcg_table_init(mem, size - 1, 32, 8, 8));
    t = ipcg_table_init(mem, size, 32, 8, 8);
    ck_assert_ptr_nonnull(t);
    /* empty until the first publish: a reader can wait for it */
    ck_assert_int_eq(ipcg_table_filled(t), 0);
    ck_assert_int_eq(ipcg_table_wait_filled(t, apr_time_from_msec(20)),
                     APR_EAGAIN);
    ipcg_table_publish(t, &v);
    ck_assert_int_eq(ipcg_table_filled(t), 1);
    ck_assert_int_eq(ipcg_table_wait_filled(t, 0), APR_SUCCESS);
    ck_assert_uint_eq(ipcg_table_generation(t) % 2, 0);
    ck_assert_int_eq(ipcg_table_read(t, pool, &out), APR_SUCCESS);
    ck_assert_int_eq(out.objs->nelts, 32);
    ck_assert_uint_eq(out.rep.objs_dropped, 8);     /* counted, not lost */
    /* the publisher's report is the one published */
    ck_assert_uint_eq(v.rep.objs_dropped, 8);
    ck_assert_uint_eq(v.rep.procs_dropped, out.rep.procs_dropped);
    ck_assert_int_eq(out.rep.pid, 2975);
    ck_assert_str_eq(APR_ARRAY_IDX(out.objs, 1, ipcg_obj_t).module,
                     "mod_m1\"x.c");
    ck_assert_int_eq(out.decisions->nelts, 1);
    ck_assert_int_eq(out.procs->nelts, 1);
    memset(mem, 0, 16);
    ck_assert_int_eq(ipcg_table_read(t, pool, &out), APR_EINVAL);
    ck_assert_int_eq(ipcg_table_wait_filled(t, 0), APR_EINVAL);
}
END_TEST

START_TEST(table_init_zeroed_lays_out_the_same_table)
{
    /* fresh anonymous shared memory, as the module's table is: zeroed by
     * the kernel, and untouched until the first publish */
    ipcg_view_t v = view(10, 2), from_dirty, from_fresh;
    apr_size_t size = ipcg_table_size(32, 8, 8);
    void *dirty = apr_palloc(pool, size);
    void *fresh = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ipcg_table_t *a, *b;

    ck_assert_ptr_ne(fresh, MAP_FAILED);
    ck_assert_ptr_null(ipcg_table_init_zeroed(NULL, size, 32, 8, 8));
    ck_assert_ptr_null(ipcg_table_init_zeroed(fresh, size - 1, 32, 8, 8));
    memset(dirty, 0xa5, size);
    a = ipcg_table_init(dirty, size, 32, 8, 8);
    b = ipcg_table_init_zeroed(fresh, size, 32, 8, 8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(ipcg_table_filled(b), 0);
    ck_assert_uint_eq(ipcg_table_generation(b), ipcg_table_generation(a));
    ck_assert_int_eq(ipcg_table_wait_filled(b, 0), APR_EAGAIN);
    ipcg_table_publish(a, &v);
    ipcg_table_publish(b, &v);
    ck_assert_int_eq(ipcg_table_read(a, pool, &from_dirty), APR_SUCCESS);
    ck_assert_int_eq(ipcg_table_read(b, pool, &from_fresh), APR_SUCCESS);
    ck_assert_int_eq(from_fresh.objs->nelts, 10);
    ck_assert_int_eq(from_fresh.objs->nelts, from_dirty.objs->nelts);
    ck_assert_int_eq(from_fresh.decisions->nelts, from_dirty.decisions->nelts);
    ck_assert_int_eq(from_fresh.procs->nelts, from_dirty.procs->nelts);
    ck_assert_uint_eq(from_fresh.rep.objs_dropped, 0);
    ck_assert_int_eq(from_fresh.rep.pid, from_dirty.rep.pid);
    ck_assert_uint_eq(ipcg_table_generation(b), ipcg_table_generation(a));
    munmap(fresh, size);
}
END_TEST

START_TEST(table_readers_never_see_a_torn_copy)
{
    /* a child writes two alternating views as fast as it can while the
     * parent reads: every read must be wholly one or the other */
    apr_size_t size = ipcg_table_size(64, 4, 4);
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ipcg_table_t *t = ipcg_table_init(mem, size, 64, 4, 4);
    ipcg_view_t a = view(10, 1), b = view(60, 2), out;
    pid_t writer;
    int i, torn = 0;

    b.rep.pid = 3000;
    ipcg_table_publish(t, &a);
    writer = fork();
    if (writer == 0) {
        for (i = 0; i < 200000; i++) {
            ipcg_table_publish(t, (i & 1) ? &a : &b);
        }
        _exit(0);
    }
    for (i = 0; i < 20000; i++) {
        apr_pool_t *p;
        apr_pool_create(&p, pool);
        if (ipcg_table_read(t, p, &out) == APR_SUCCESS) {
            if (!((out.rep.pid == 2975 && out.objs->nelts == 10)
                  || (out.rep.pid == 3000 && out.objs->nelts == 60))) {
                torn++;
            }
        }
        apr_pool_destroy(p);
    }
    waitpid(writer, NULL, 0);
    munmap(mem, size);
    ck_assert_int_eq(torn, 0);
}
END_TEST

START_TEST(table_report_reader_copies_only_the_report)
{
    /* the report alone, the same as the whole read gives, and a torn
     * report never: a writer alternates two views while the parent reads */
    apr_size_t size = ipcg_table_size(64, 4, 4);
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ipcg_table_t *t = ipcg_table_init(mem, size, 64, 4, 4);
    ipcg_view_t a = view(10, 1), b = view(60, 2), whole;
    ipcg_report_t rep;
    pid_t writer;
    int i, torn = 0;

    b.rep.pid = 3000;
    b.rep.scans_total = 77;
    a.rep.scans_total = 5;
    ipcg_table_publish(t, &a);
    ck_assert_int_eq(ipcg_table_read_report(t, &rep), APR_SUCCESS);
    ck_assert_int_eq(ipcg_table_read(t, pool, &whole), APR_SUCCESS);
    ck_assert_int_eq(memcmp(&rep, &whole.rep, sizeof(rep)), 0);
    writer = fork();
    if (writer == 0) {
        for (i = 0; i < 200000; i++) {
            ipcg_table_publish(t, (i & 1) ? &a : &b);
        }
        _exit(0);
    }
    for (i = 0; i < 200000; i++) {
        if (ipcg_table_read_report(t, &rep) == APR_SUCCESS
            && !((rep.pid == 2975 && rep.scans_total == 5)
                 || (rep.pid == 3000 && rep.scans_total == 77))) {
            torn++;
        }
    }
    waitpid(writer, NULL, 0);
    ck_assert_int_eq(torn, 0);
    memset(mem, 0, 16);
    ck_assert_int_eq(ipcg_table_read_report(t, &rep), APR_EINVAL);
    munmap(mem, size);
}
END_TEST

START_TEST(table_keeps_the_auto_text)
{
    apr_size_t size = ipcg_table_size(8, 2, 2);
    void *mem = apr_pcalloc(pool, size);
    ipcg_table_t *t = ipcg_table_init(mem, size, 8, 2, 2);
    char buf[IPCG_TABLE_AUTO_MAX], *big;
    apr_size_t len = 0, at = 0;
    apr_int64_t started = 0;
    const char *text = "IPCGuardInstance: x\nIPCGuardServerPid: 7\n"
                       "IPCGuardGeneration: 1\n";

    /* none yet: the reader is told so, not given an empty text */
    ck_assert_int_eq(ipcg_table_read_auto(t, buf, sizeof(buf), &len, &at,
                                          &started), APR_ENOENT);
    ck_assert_int_eq(ipcg_table_publish_auto(t, text, strlen(text), 42, 99),
                     APR_SUCCESS);
    ck_assert_int_eq(ipcg_table_read_auto(t, buf, sizeof(buf), &len, &at,
                                          &started), APR_SUCCESS);
    ck_assert_uint_eq(len, strlen(text));
    ck_assert_int_eq(memcmp(buf, text, len), 0);
    ck_assert_uint_eq(at, 42);
    ck_assert_int_eq(started, 99);
    /* a buffer too small is refused, not overrun */
    ck_assert_int_eq(ipcg_table_read_auto(t, buf, 10, &len, &at, &started),
                     APR_ENOSPC);
    /* a text too long is not kept, and an Uptime place past the end is
     * refused */
    big = apr_pcalloc(pool, IPCG_TABLE_AUTO_MAX + 1);
    memset(big, 'a', IPCG_TABLE_AUTO_MAX + 1);
    ck_assert_int_eq(ipcg_table_publish_auto(t, big, IPCG_TABLE_AUTO_MAX + 1,
                                             0, 1), APR_ENOSPC);
    ck_assert_int_eq(ipcg_table_read_auto(t, buf, sizeof(buf), &len, &at,
                                          &started), APR_ENOENT);
    ck_assert_int_eq(ipcg_table_publish_auto(t, text, 5, 6, 1), APR_ENOSPC);
    ck_assert_uint_eq(ipcg_table_generation(t) % 2, 0);
    memset(mem, 0, 16);
    ck_assert_int_eq(ipcg_table_read_auto(t, buf, sizeof(buf), &len, &at,
                                          &started), APR_EINVAL);
}
END_TEST

/* The sequence word of the table follows its magic and version: odd
 * while the writer is at work. */
static volatile apr_uint32_t *seq_word(void *mem)
{
    return (volatile apr_uint32_t *)mem + 2;
}

START_TEST(table_readers_wait_out_a_slow_writer)
{
    /* the writer loses its CPU mid-publish for 50 ms (far longer than a
     * few hundred yields): the reader waits and then succeeds */
    apr_size_t size = ipcg_table_size(32, 4, 4);
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ipcg_table_t *t = ipcg_table_init(mem, size, 32, 4, 4);
    ipcg_view_t a = view(10, 1), out;
    apr_time_t t0, waited;
    pid_t writer;
    int status = -1;

    ipcg_table_publish(t, &a);
    ck_assert_uint_eq(*seq_word(mem), ipcg_table_generation(t));
    *seq_word(mem) += 1;                    /* a publish begins */
    writer = fork();
    if (writer == 0) {
        apr_sleep(apr_time_from_msec(50));
        __atomic_add_fetch(seq_word(mem), 1, __ATOMIC_RELEASE);
        _exit(0);
    }
    t0 = apr_time_now();
    ck_assert_int_eq(ipcg_table_read(t, pool, &out), APR_SUCCESS);
    waited = apr_time_now() - t0;
    waitpid(writer, &status, 0);
    ck_assert_int_eq(status, 0);
    ck_assert_int_eq(out.objs->nelts, 10);
    ck_assert_int_ge(waited, apr_time_from_msec(40));

    /* a writer that never finishes: the reader gives up after about a
     * second, not at once and not never */
    *seq_word(mem) += 1;
    t0 = apr_time_now();
    ck_assert_int_eq(ipcg_table_read(t, pool, &out), APR_EAGAIN);
    waited = apr_time_now() - t0;
    ck_assert_int_ge(waited, apr_time_from_msec(900));
    ck_assert_int_le(waited, apr_time_from_sec(10));
    munmap(mem, size);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("formats");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_set_timeout(tc, 60);
    ADD_TEST(tc, auto_is_key_value_lines);
    ADD_TEST(tc, json_is_valid_and_escaped);
    ADD_TEST(tc, metrics_are_bounded_and_valid);
    ADD_TEST(tc, metrics_rates_have_a_leading_digit);
    ADD_TEST(tc, procs_sort_largest_first);
    ADD_TEST(tc, table_publish_and_read);
    ADD_TEST(tc, table_init_zeroed_lays_out_the_same_table);
    ADD_TEST(tc, table_readers_never_see_a_torn_copy);
    ADD_TEST(tc, table_readers_wait_out_a_slow_writer);
    ADD_TEST(tc, table_report_reader_copies_only_the_report);
    ADD_TEST(tc, table_keeps_the_auto_text);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
