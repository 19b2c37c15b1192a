/* libFuzzer target for the directive parsers (src/ipcg_conf.c), which see
 * whatever an administrator, or a generated configuration, writes.
 *
 * Each input, NUL-terminated, goes to every parser. A parser that
 * accepts must give a value within what the directive documents (mode
 * names that name themselves back, seconds, percentages and counts in
 * their ranges, durations within the bounds asked for, paths absolute,
 * free of control bytes and "..", directories without a trailing '/');
 * one that refuses must say what it accepts and leave the value alone.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     $(apr-1-config --cflags --cppflags --includes) t/fuzz/fuzz_conf.c \
 *     src/ipcg_conf.c src/ipcg_util.c $(apr-1-config --link-ld) \
 *     -o /tmp/fuzz_conf
 *   /tmp/fuzz_conf -max_total_time=60 t/fuzz/corpus/conf
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static void fail(const char *what, const char *arg)
{
    fprintf(stderr, "fuzz_conf: %s: '%s'\n", what, arg);
    abort();
}

static void refused(const char *msg, const char *arg)
{
    if (msg[0] == '\0' || strncmp(msg, "must be", 7) != 0) {
        fail("a refusal that does not say what is accepted", arg);
    }
}

static void path_sane(const char *s, const char *arg)
{
    const char *c;

    if (s[0] != '/' || strstr(s, "/../") != NULL
        || (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0)) {
        fail("an accepted path that is not absolute or has '..'", arg);
    }
    for (c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            fail("an accepted path with a control byte", arg);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *arg, *msg, *path;
    ipcg_cleanup_e mode = (ipcg_cleanup_e)99;
    apr_int64_t d;
    int v;

    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    arg = apr_pstrmemdup(p, (const char *)data, size);

    if ((msg = ipcg_conf_cleanup(arg, &mode)) == NULL) {
        if (strcasecmp(ipcg_cleanup_name(mode), arg) != 0) {
            fail("a cleanup mode that does not name itself back", arg);
        }
    }
    else {
        refused(msg, arg);
        if (mode != (ipcg_cleanup_e)99) {
            fail("a refused mode changed the value", arg);
        }
    }

    v = -7;
    if ((msg = ipcg_conf_seconds(arg, &v)) == NULL) {
        if (v < IPCG_MIN_SCAN_SECONDS || v > IPCG_MAX_SCAN_SECONDS) {
            fail("seconds out of range", arg);
        }
    }
    else if (refused(msg, arg), v != -7) {
        fail("refused seconds changed the value", arg);
    }

    v = -7;
    if ((msg = ipcg_conf_percent(arg, &v)) == NULL) {
        if (v < 1 || v > 100) {
            fail("a percentage out of range", arg);
        }
    }
    else if (refused(msg, arg), v != -7) {
        fail("a refused percentage changed the value", arg);
    }

    v = -7;
    if ((msg = ipcg_conf_max_objects(arg, &v)) == NULL) {
        if (v < IPCG_MIN_MAX_OBJECTS || v > IPCG_MAX_MAX_OBJECTS) {
            fail("a count out of range", arg);
        }
    }
    else if (refused(msg, arg), v != -7) {
        fail("a refused count changed the value", arg);
    }

    d = -7;
    if ((msg = ipcg_conf_duration(p, arg, IPCG_MIN_FORECAST_WINDOW,
                                  IPCG_MAX_FORECAST_WINDOW, IPCG_DURATION_ONLY,
                                  &d)) == NULL) {
        if (d < IPCG_MIN_FORECAST_WINDOW || d > IPCG_MAX_FORECAST_WINDOW) {
            fail("a window out of range", arg);
        }
    }
    else if (refused(msg, arg), d != -7) {
        fail("a refused window changed the value", arg);
    }
    d = -7;
    if ((msg = ipcg_conf_duration(p, arg, 60, IPCG_MAX_FORECAST_HORIZON,
                                  IPCG_DURATION_OR_OFF, &d)) == NULL) {
        if (d != 0 && (d < 60 || d > IPCG_MAX_FORECAST_HORIZON)) {
            fail("a horizon out of range", arg);
        }
        if (d == 0 && strcasecmp(arg, "off") != 0) {
            fail("a horizon of 0 that was not 'off'", arg);
        }
    }
    else if (refused(msg, arg), d != -7) {
        fail("a refused horizon changed the value", arg);
    }

    path = NULL;
    if ((msg = ipcg_conf_path_or_none(arg, &path)) == NULL) {
        if (path[0] != '\0') {
            path_sane(path, arg);
        }
        else if (strcasecmp(arg, "none") != 0) {
            fail("an empty path that was not 'none'", arg);
        }
    }
    else {
        refused(msg, arg);
    }
    if ((msg = ipcg_conf_dir(arg)) == NULL) {
        path_sane(arg, arg);
        if (strlen(arg) > 1 && arg[strlen(arg) - 1] == '/') {
            fail("a directory with a trailing '/'", arg);
        }
    }
    else {
        refused(msg, arg);
    }
    apr_pool_destroy(p);
    return 0;
}
