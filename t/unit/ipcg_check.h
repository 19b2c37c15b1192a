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

/* Where a test makes its files: $TMPDIR, else /tmp. t/run-unit.sh gives
 * each test binary a $TMPDIR of its own and removes it afterwards, so a
 * test that fails halfway (its teardown does not run then) leaves
 * nothing behind. */
static APR_INLINE const char *temp_base(void)
{
    const char *base = getenv("TMPDIR");
    return base && *base ? base : "/tmp";
}

/* A new directory <temp_base>/<stem>.XXXXXX; returns its path. */
static APR_INLINE char *temp_dir(const char *stem)
{
    char *dir = apr_pstrcat(pool, temp_base(), "/", stem, ".XXXXXX", NULL);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
    return dir;
}

/* Write @a text to a new file ipcg-unit.XXXXXX in @a dir; returns its
 * path. */
static APR_INLINE const char *temp_file_in(const char *dir, const char *text)
{
    char *path = apr_pstrcat(pool, dir, "/ipcg-unit.XXXXXX", NULL);
    FILE *f;
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Write @a text to a new temp file; returns its path. */
static APR_INLINE const char *temp_file(const char *text)
{
    return temp_file_in(temp_base(), text);
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
