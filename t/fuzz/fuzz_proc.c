/* libFuzzer target for every parser of text the kernel writes: the lines
 * of /proc/sysvipc/{sem,shm,msg}, /proc/<pid>/{stat,status,maps},
 * kernel.sem, /proc/meminfo, /proc/user_beancounters, and the number
 * parsers beneath them.
 *
 * The first byte of an input picks the parser (its value modulo 10, in
 * the order of the switch below); the rest, NUL-terminated, is the text.
 * What a parser accepts must make sense, or abort(): the kind asked for,
 * names that end inside their buffers, kernel.sem's four limits all
 * present, Shmem in whole kilobytes, numbers that print back to the
 * digits they were read from.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     $(apr-1-config --cflags --cppflags --includes) t/fuzz/fuzz_proc.c \
 *     src/ipcg_scan.c src/ipcg_proc.c src/ipcg_limits.c src/ipcg_util.c \
 *     src/ipcg_obj.c $(apr-1-config --link-ld) -o /tmp/fuzz_proc
 *   /tmp/fuzz_proc -max_total_time=60 t/fuzz/corpus/proc
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_proc.h"
#include "ipcguard/ipcg_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_proc: %s\n", what);
    abort();
}

static void terminated(const char *buf, size_t cap, const char *what)
{
    if (memchr(buf, '\0', cap) == NULL) {
        fail(what);
    }
}

/* A number that parsed prints back to what was read, leading zeros
 * aside. */
static void same_digits(const char *text, apr_uint64_t v, int neg)
{
    char back[32];
    const char *t = text + (neg ? 1 : 0);

    while (*t == '0' && t[1] != '\0') {
        t++;
    }
    apr_snprintf(back, sizeof(back), "%" APR_UINT64_T_FMT, v);
    if (strcmp(back, t) != 0) {
        fail("a number does not print back to its digits");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *text;
    ipcg_obj_t o;
    ipcg_proc_t pr;
    ipcg_limits_t lim;
    ipcg_num_t num;
    ipcg_bc_t bc;
    apr_uint64_t u;
    apr_int64_t i;
    int k;

    if (size == 0) {
        return 0;
    }
    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    switch (data[0] % 10) {
    case 0: case 1: case 2:
        k = data[0] % 10;       /* sysv-sem, sysv-shm, sysv-msg */
        if (ipcg_parse_sysv_line((ipcg_kind_e)k, text, &o) == APR_SUCCESS) {
            if (o.kind != (ipcg_kind_e)k || o.id < 0 || o.name[0] != '\0') {
                fail("a SysV line gave an object of another kind or no id");
            }
            terminated(o.module, sizeof(o.module), "module not terminated");
        }
        break;
    case 3:
        memset(&pr, 0, sizeof(pr));
        if (ipcg_parse_proc_stat(text, &pr) == APR_SUCCESS) {
            terminated(pr.comm, sizeof(pr.comm), "comm not terminated");
            if (pr.pid <= 0) {
                fail("stat parsed without a pid");
            }
        }
        break;
    case 4:
        memset(&pr, 0, sizeof(pr));
        if (ipcg_parse_proc_status(text, &pr) == APR_SUCCESS
            && pr.rss_shmem.present && pr.rss_shmem.v % 1024 != 0) {
            fail("RssShmem is not whole kilobytes");
        }
        break;
    case 5:
        memset(&pr, 0, sizeof(pr));
        if (ipcg_parse_proc_maps(text, &pr) == APR_SUCCESS
            && (pr.shared_anon + pr.shared_sysv < pr.shared_anon)) {
            fail("mapped sizes overflow");
        }
        break;
    case 6:
        memset(&lim, 0, sizeof(lim));
        if (ipcg_parse_kernel_sem(text, &lim) == APR_SUCCESS
            && !(lim.semmsl.present && lim.semmns.present
                 && lim.semopm.present && lim.semmni.present)) {
            fail("kernel.sem parsed without its four limits");
        }
        break;
    case 7:
        memset(&num, 0, sizeof(num));
        if (ipcg_parse_meminfo_shmem(text, &num) == APR_SUCCESS
            && (!num.present || num.v % 1024 != 0)) {
            fail("Shmem is not whole kilobytes");
        }
        break;
    case 8:
        memset(&bc, 0, sizeof(bc));
        if (ipcg_parse_beancounters(p, text, &bc) == APR_SUCCESS
            && bc.present) {
            for (k = 0; k < bc.rows->nelts; k++) {
                const ipcg_bc_row_t *r = &APR_ARRAY_IDX(bc.rows, k,
                                                        ipcg_bc_row_t);
                terminated(r->resource, sizeof(r->resource),
                           "resource not terminated");
                if (r->resource[0] == '\0') {
                    fail("a beancounter row without a resource");
                }
            }
            terminated(bc.version, sizeof(bc.version),
                       "version not terminated");
        }
        break;
    default:
        if (ipcg_parse_u64(text, &u) == APR_SUCCESS) {
            same_digits(text, u, 0);
        }
        if (ipcg_parse_i64(text, &i) == APR_SUCCESS) {
            if ((i < 0) != (text[0] == '-' && strspn(text + 1, "0")
                                              != strlen(text + 1))) {
                fail("the sign of an i64 is not the text's");
            }
            same_digits(text, i < 0 ? (apr_uint64_t)0 - (apr_uint64_t)i
                                    : (apr_uint64_t)i, text[0] == '-');
        }
        break;
    }
    apr_pool_destroy(p);
    return 0;
}
