/* Shared helpers of the core's Check unit tests. */
#ifndef IPCG_CHECK_H
#define IPCG_CHECK_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_info.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

static apr_pool_t *pool;

static void pool_setup(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
}

static void pool_teardown(void)
{
    apr_pool_destroy(pool);
    apr_terminate();
}

/* A fixture path: t/fixtures/<rel>, or under $IPCG_FIXTURES. */
static APR_INLINE const char *fixture(const char *rel)
{
    const char *base = getenv("IPCG_FIXTURES");
    return apr_pstrcat(pool, base ? base : "t/fixtures", "/", rel, NULL);
}

/* Write @a text to a new temp file; returns its path. */
static APR_INLINE const char *temp_file(const char *text)
{
    char *path = apr_pstrdup(pool, "/tmp/ipcg-unit.XXXXXX");
    FILE *f;
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Run the suite with TAP output; exit status 1 on any failure. */
static int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#define ADD_TEST(tc, fn) tcase_add_test(tc, fn)

#endif
