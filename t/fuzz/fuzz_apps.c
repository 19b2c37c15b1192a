/* libFuzzer target for the application record's parser (src/ipcg_adopt.c).
 *
 * Every input is parsed; one that parses must format back to exactly its
 * own bytes (the format is canonical), and that text must parse again to
 * the same record. A refusal must name its line. Any difference is a bug:
 * abort().
 *
 *   make build/fuzz_apps && build/fuzz_apps -max_total_time=60 t/fuzz/corpus/apps
 *
 * The seed corpus: t/fuzz/corpus/apps/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "ipcguard/ipcg_adopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_apps: %s\n", what);
    abort();
}

static void same(const ipcg_apps_t *a, const ipcg_apps_t *b)
{
    int i;

    if (strcmp(a->instance, b->instance) != 0
        || a->objs->nelts != b->objs->nelts) {
        fail("header differs after a round trip");
    }
    for (i = 0; i < a->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(a->objs, i, ipcg_obj_t);
        const ipcg_obj_t *y = &APR_ARRAY_IDX(b->objs, i, ipcg_obj_t);
        if (x->kind != y->kind || x->id != y->id || x->key != y->key
            || x->ino != y->ino || x->cuid != y->cuid || x->ctime != y->ctime
            || x->size != y->size || x->owner_pid != y->owner_pid
            || x->adopted != y->adopted || strcmp(x->name, y->name) != 0) {
            fail("an object differs after a round trip");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    ipcg_apps_t apps, again;
    const char *why = NULL;
    apr_size_t len;
    char *text;

    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (ipcg_apps_parse(p, (const char *)data, size, &apps, &why)
        != APR_SUCCESS) {
        if (why == NULL || strncmp(why, "line ", 5) != 0) {
            fail("refused without a line number");
        }
        apr_pool_destroy(p);
        return 0;
    }
    text = ipcg_apps_format(p, &apps, &len);
    if (text == NULL) {
        fail("a parsed record cannot be written");
    }
    if (len != size || memcmp(text, data, size) != 0) {
        fail("format(parse(x)) != x");
    }
    if (ipcg_apps_parse(p, text, len, &again, &why) != APR_SUCCESS) {
        fail("format(parse(x)) does not parse");
    }
    same(&apps, &again);
    apr_pool_destroy(p);
    return 0;
}
