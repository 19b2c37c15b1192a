/* libFuzzer target for the state-file parser (src/ipcg_state.c).
 *
 * Every input is parsed; one that parses must format back to exactly its
 * own bytes (the format is canonical), and that text must parse again to
 * the same state. Any difference is a bug: abort(). Each input is tried
 * a second time with its checksum made right, so that the fuzzer's edits
 * behind the checksum reach the accepting paths as well.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     $(apr-1-config --cflags --cppflags --includes) t/fuzz/fuzz_state.c \
 *     src/ipcg_state.c src/ipcg_util.c src/ipcg_obj.c \
 *     $(apr-1-config --link-ld) -o /tmp/fuzz_state
 *   /tmp/fuzz_state -max_total_time=60 t/fuzz/corpus/state
 *
 * The seed corpus is a copy of t/fixtures/state/valid_*.state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_state: %s\n", what);
    abort();
}

/* The fields the file holds must agree. */
static void same_state(const ipcg_state_t *a, const ipcg_state_t *b)
{
    int i;

    if (a->pid != b->pid || a->starttime != b->starttime
        || a->pgrp != b->pgrp || a->session != b->session
        || a->run_uid != b->run_uid || a->run_gid != b->run_gid
        || a->started != b->started || a->written != b->written
        || a->generation != b->generation
        || strcmp(a->boot_id, b->boot_id) != 0
        || strcmp(a->instance, b->instance) != 0
        || strcmp(a->pidfile, b->pidfile) != 0
        || a->objs->nelts != b->objs->nelts) {
        fail("header differs after a round trip");
    }
    for (i = 0; i < a->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(a->objs, i, ipcg_obj_t);
        const ipcg_obj_t *y = &APR_ARRAY_IDX(b->objs, i, ipcg_obj_t);
        if (x->kind != y->kind || x->id != y->id || x->key != y->key
            || x->mode != y->mode || x->uid != y->uid || x->gid != y->gid
            || x->cuid != y->cuid || x->cgid != y->cgid
            || x->size != y->size || x->ctime != y->ctime
            || x->ino != y->ino || x->cpid != y->cpid
            || x->owner_pid != y->owner_pid || x->phase != y->phase
            || x->cls != y->cls || strcmp(x->module, y->module) != 0
            || strcmp(x->name, y->name) != 0) {
            fail("an object differs after a round trip");
        }
    }
}

/* Parse @a data; if it parses, format it back and parse that again. */
static void check(apr_pool_t *p, const char *data, size_t size)
{
    ipcg_state_t st, again;
    const char *why = NULL;
    char *text;
    apr_size_t len;

    if (ipcg_state_parse(p, data, size, &st, &why) != APR_SUCCESS) {
        /* a refusal always names its line */
        if (why == NULL || strncmp(why, "line ", 5) != 0) {
            fail("refused without a line number");
        }
        return;
    }
    text = ipcg_state_format(p, &st, &len);
    if (len != size || memcmp(text, data, size) != 0) {
        fail("format(parse(x)) != x");
    }
    if (ipcg_state_parse(p, text, len, &again, &why) != APR_SUCCESS) {
        fail("format(parse(x)) does not parse");
    }
    same_state(&st, &again);
}

/* A copy of @a data whose checksum is made right, so that mutations
 * behind the checksum reach the accepting paths too; NULL if the input
 * does not end with "end <n> <16 bytes>\n". */
static char *fix_checksum(apr_pool_t *p, const char *data, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    const char *last;
    char *copy;
    apr_uint64_t h = APR_UINT64_C(0xcbf29ce484222325);
    size_t body, i;

    if (size < 22 || data[size - 1] != '\n' || data[size - 18] != ' ') {
        return NULL;
    }
    for (last = data + size - 18; last > data && last[-1] != '\n'; last--) {
    }
    if (strncmp(last, "end ", 4) != 0) {
        return NULL;
    }
    body = (size_t)(last - data);
    for (i = 0; i < body; i++) {
        h ^= (unsigned char)data[i];
        h *= APR_UINT64_C(0x100000001b3);
    }
    copy = apr_pmemdup(p, data, size);
    for (i = 0; i < 16; i++) {
        copy[size - 2 - i] = hex[(h >> (4 * i)) & 15];
    }
    return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    char *fixed;

    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    check(p, (const char *)data, size);
    fixed = fix_checksum(p, (const char *)data, size);
    if (fixed != NULL) {
        check(p, fixed, size);
    }
    apr_pool_destroy(p);
    return 0;
}
