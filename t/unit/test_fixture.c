/* The four formats of a fixed report, byte for byte: the page, ?auto,
 * ?json and ?metrics of t/unit/fixture_view.h against the committed files
 * of t/fixtures/render/. After an intended change of a format, rewrite
 * them with IPCG_FIXTURE_WRITE=1 and review the diff. */

#include <stdlib.h>
#include <time.h>

#include "ipcguard/ipcg_html.h"
#include "ipcguard/ipcg_report.h"
#include "ipcg_check.h"
#include "fixture_view.h"

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *buf;
} sink;

static void sink_write(void *baton, const char *b, apr_size_t len)
{
    sink *s = baton;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        *(char *)apr_array_push(s->buf) = b[i];
    }
}

/* The signature httpd writes with ServerSignature On. */
#define FIXTURE_SIGNATURE "<hr />\n<address>Apache/2.4.62 (Debian) Server " \
    "at www.example.org Port 8080</address>\n"

static const ipcg_html_opts_t fixture_opts = {
    "www.<example>&\".org", "127.0.0.1", FIXTURE_SIGNATURE, 0, FIXTURE_NOW
};

static apr_array_header_t *render(const char *format)
{
    sink s;
    ipcg_out_t out;
    ipcg_view_t v;

    s.p = pool;
    s.buf = apr_array_make(pool, 65536, 1);
    out.write = sink_write;
    out.baton = &s;
    fixture_view(pool, &v);
    if (strcmp(format, "auto") == 0) {
        ipcg_render_auto_at(pool, &v, "", FIXTURE_NOW, &out);
    }
    else if (strcmp(format, "json") == 0) {
        ipcg_render_json(pool, &v, &out);
    }
    else if (strcmp(format, "metrics") == 0) {
        ipcg_render_metrics(pool, &v, &out);
    }
    else {
        ipcg_render_html(pool, &v, &fixture_opts, &out);
    }
    return s.buf;
}

/* Compare @a got with the file; say where they part. */
static void compare(const char *format, const char *file)
{
    apr_array_header_t *got = render(format);
    const char *path = fixture(apr_pstrcat(pool, "render/", file, NULL));
    apr_size_t len = 0, i, n;
    char *want = NULL;
    FILE *f;

    if (getenv("IPCG_FIXTURE_WRITE")) {
        f = fopen(path, "wb");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        fwrite(got->elts, 1, (size_t)got->nelts, f);
        fclose(f);
    }
    ck_assert_msg(ipcg_read_file(pool, path, 1 << 22, &want, &len)
                  == APR_SUCCESS, "expected file %s is readable", path);
    n = len < (apr_size_t)got->nelts ? len : (apr_size_t)got->nelts;
    for (i = 0; i < n && want[i] == got->elts[i]; i++) {
    }
    ck_assert_msg(i == len && len == (apr_size_t)got->nelts,
                  "%s: %s differs from the expected file at byte %lu of "
                  "%lu (rendered %lu bytes): expected \"%.60s\", got "
                  "\"%.60s\"", format, path, (unsigned long)i,
                  (unsigned long)len, (unsigned long)got->nelts,
                  i < len ? want + i : "(end)",
                  i < (apr_size_t)got->nelts
                      ? apr_pstrndup(pool, got->elts + i,
                                     (apr_size_t)got->nelts - i)
                      : "(end)");
}

START_TEST(page_is_byte_identical)
{
    compare("html", "page.html");
}
END_TEST

START_TEST(auto_is_byte_identical)
{
    compare("auto", "auto.txt");
}
END_TEST

START_TEST(json_is_byte_identical)
{
    compare("json", "report.json");
}
END_TEST

START_TEST(metrics_is_byte_identical)
{
    compare("metrics", "metrics.txt");
}
END_TEST

static void setup(void)
{
    /* times on the page are local: fix the zone */
    setenv("TZ", "UTC", 1);
    tzset();
    pool_setup();
}

int main(void)
{
    Suite *s = suite_create("fixture");
    TCase *tc = tcase_create("formats");

    tcase_add_checked_fixture(tc, setup, pool_teardown);
    ADD_TEST(tc, page_is_byte_identical);
    ADD_TEST(tc, auto_is_byte_identical);
    ADD_TEST(tc, json_is_byte_identical);
    ADD_TEST(tc, metrics_is_byte_identical);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
