/* libFuzzer target for every parser of text the kernel writes: the lines
 * of /proc/sysvipc/{sem,shm,msg}, /proc/<pid>/{stat,status,maps},
 * kernel.sem, /proc/meminfo, /proc/user_beancounters, and the number
 * parsers beneath them; and the readers of those files.
 *
 * The first byte of an input picks the parser (its value modulo 16, in
 * the order of the switch below: 0-2 a SysV line of sem, shm, msg, 3
 * stat, 4 status, 5 maps, 6 kernel.sem, 7 meminfo, 8 beancounters, 10
 * the files, anything else the numbers); the rest, NUL-terminated, is
 * the text. What a parser accepts must make sense, or abort(): the kind
 * asked for with fields in their ranges, a SysV line and a stat line
 * that print back to a line parsing to the same values, names that end
 * inside their buffers, kernel.sem's four limits all present and printing
 * back to them, Shmem in whole kilobytes, no shared mapping counted
 * without an 's' in its permissions, numbers that print back to the
 * digits they were read from.
 *
 * Selector 10 writes the text to a file that every path of a scratch
 * /proc tree (made once under $TMPDIR, default /tmp, and removed at exit)
 * links to: the SysV tables, process 4242's stat, status and maps, the
 * sysctls, meminfo, boot_id and the beancounters; /dev/shm is $TMPDIR
 * itself. What the readers make of it must be what the parsers make of
 * the same text.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     $(apr-1-config --cflags --cppflags --includes) t/fuzz/fuzz_proc.c \
 *     src/ipcg_scan.c src/ipcg_proc.c src/ipcg_limits.c src/ipcg_util.c \
 *     src/ipcg_obj.c src/ipcg_probe.c $(apr-1-config --link-ld) \
 *     -o /tmp/fuzz_proc
 *   /tmp/fuzz_proc -max_total_time=60 t/fuzz/corpus/proc
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_proc.h"
#include "ipcguard/ipcg_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;
static ipcg_paths_t tree;      /* the scratch /proc for selector 10 */
static const char *tree_file;  /* the one file all its paths lead to */

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

/* An accepted SysV line: every field a number, the fields in their
 * ranges, and the line the kernel would print for the object parses to
 * the same object. */
static void check_sysv(apr_pool_t *p, ipcg_kind_e k, const char *text,
                       const ipcg_obj_t *o)
{
    const char *line;
    char *copy = apr_pstrdup(p, text), *tok, *last;
    ipcg_obj_t again;

    for (tok = apr_strtok(copy, " \t\r\n", &last); tok;
         tok = apr_strtok(NULL, " \t\r\n", &last)) {
        const char *d = tok + (tok[0] == '-' ? 1 : 0);
        if (*d == '\0' || strspn(d, "0123456789") != strlen(d)) {
            fail("a SysV line accepted with a field that is no number");
        }
    }

    if (o->kind != k || o->id < 0 || o->id > 0x7fffffff
        || o->mode > 07777 || o->name[0] != '\0' || o->ino != 0
        || o->cls != IPCG_CLASS_FOREIGN || o->phase != IPCG_PHASE_UNKNOWN
        || o->owner_pid != 0 || strcmp(o->module, "unknown") != 0
        || o->cpid < 0 || o->lpid < 0) {
        fail("a SysV line gave an object of another kind or out of range");
    }
    switch (k) {
    case IPCG_SYSV_SEM:
        if (o->nattch != 0 || o->cpid != 0 || o->lpid != 0 || o->rss != 0) {
            fail("a semaphore set with fields only other kinds have");
        }
        line = apr_psprintf(p, "%d %" APR_INT64_T_FMT " %o %" APR_UINT64_T_FMT
                            " %u %u %u %u %" APR_INT64_T_FMT " %"
                            APR_INT64_T_FMT, o->key, o->id, o->mode, o->size,
                            o->uid, o->gid, o->cuid, o->cgid, o->otime,
                            o->ctime);
        break;
    case IPCG_SYSV_SHM:
        line = apr_psprintf(p, "%d %" APR_INT64_T_FMT " %o %" APR_UINT64_T_FMT
                            " %" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %"
                            APR_UINT64_T_FMT " %u %u %u %u %" APR_INT64_T_FMT
                            " 0 %" APR_INT64_T_FMT " %" APR_UINT64_T_FMT " 0",
                            o->key, o->id, o->mode, o->size, o->cpid,
                            o->lpid, o->nattch, o->uid, o->gid, o->cuid,
                            o->cgid, o->otime, o->ctime, o->rss);
        break;
    default:
        if (o->rss != 0) {
            fail("a message queue with a resident size");
        }
        line = apr_psprintf(p, "%d %" APR_INT64_T_FMT " %o %" APR_UINT64_T_FMT
                            " %" APR_UINT64_T_FMT " %" APR_INT64_T_FMT " %"
                            APR_INT64_T_FMT " %u %u %u %u %" APR_INT64_T_FMT
                            " %" APR_INT64_T_FMT " %" APR_INT64_T_FMT,
                            o->key, o->id, o->mode, o->size, o->nattch,
                            o->cpid, o->lpid, o->uid, o->gid, o->cuid,
                            o->cgid, o->otime, o->otime, o->ctime);
        break;
    }
    if (ipcg_parse_sysv_line(k, line, &again) != APR_SUCCESS
        || memcmp(o, &again, sizeof(again)) != 0) {
        fail("a SysV object does not survive its own line");
    }
}

/* An accepted stat line: a pid, a state, and the line printed back from
 * what was read parses to the same process. */
static void check_stat(apr_pool_t *p, const ipcg_proc_t *pr)
{
    ipcg_proc_t again;
    const char *line;

    terminated(pr->comm, sizeof(pr->comm), "comm not terminated");
    if (pr->pid <= 0 || pr->state == ' ' || pr->state == '\n'
        || pr->state == '\0') {
        fail("stat parsed without a pid or a state");
    }
    line = apr_psprintf(p, "%" APR_INT64_T_FMT " (%s) %c %" APR_INT64_T_FMT
                        " %" APR_INT64_T_FMT " %" APR_INT64_T_FMT
                        " 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 %"
                        APR_UINT64_T_FMT " 1 2 3\n", pr->pid, pr->comm,
                        pr->state, pr->ppid, pr->pgrp, pr->session,
                        pr->starttime);
    memset(&again, 0, sizeof(again));
    if (ipcg_parse_proc_stat(line, &again) != APR_SUCCESS
        || again.pid != pr->pid || again.ppid != pr->ppid
        || again.pgrp != pr->pgrp || again.session != pr->session
        || again.state != pr->state || again.starttime != pr->starttime
        || strcmp(again.comm, pr->comm) != 0) {
        fail("a stat line does not survive being printed back");
    }
}

/* The scratch /proc: every file of it a symlink to tree_file; /dev/shm
 * is the temp directory itself, whose name inputs can spell. */
static const char *const tree_links[] = {
    "sysvipc/sem", "sysvipc/shm", "sysvipc/msg", "4242/stat", "4242/status",
    "4242/maps", "sys/kernel/shmmax", "sys/kernel/sem", "sys/kernel/msgmni",
    "meminfo", "sys/kernel/random/boot_id", NULL
};
static const char *const tree_dirs[] = {
    "/proc", "/proc/sysvipc", "/proc/4242", "/proc/sys", "/proc/sys/kernel",
    "/proc/sys/kernel/random", NULL
};
static char *tree_base;

static void remove_tree(void)
{
    int i;

    for (i = 0; tree_links[i]; i++) {
        unlink(apr_pstrcat(root, tree.proc, "/", tree_links[i], NULL));
    }
    unlink(tree_file);
    /* the directories deepest first */
    i = (int)(sizeof(tree_dirs) / sizeof(tree_dirs[0])) - 1;
    while (i-- > 0) {
        rmdir(apr_pstrcat(root, tree_base, tree_dirs[i], NULL));
    }
    rmdir(tree_base);
}

static void make_tree(void)
{
    const char *tmp = getenv("TMPDIR");
    int i;

    tree.devshm = tmp && *tmp ? tmp : "/tmp";
    tree_base = apr_pstrcat(root, tree.devshm, "/fuzz_proc.XXXXXX", NULL);
    if (mkdtemp(tree_base) == NULL) {
        fail("cannot make a scratch directory");
    }
    tree.proc = apr_pstrcat(root, tree_base, "/proc", NULL);
    tree_file = apr_pstrcat(root, tree_base, "/text", NULL);
    tree.beancounters = tree_file;
    atexit(remove_tree);
    for (i = 0; tree_dirs[i]; i++) {
        if (mkdir(apr_pstrcat(root, tree_base, tree_dirs[i], NULL), 0700)
            != 0) {
            fail("cannot make the scratch tree");
        }
    }
    for (i = 0; tree_links[i]; i++) {
        if (symlink(tree_file, apr_pstrcat(root, tree.proc, "/",
                                           tree_links[i], NULL)) != 0) {
            fail("cannot link the scratch tree");
        }
    }
}

/* Each reader on @a text written to every file of the tree. */
static void check_files(apr_pool_t *p, const char *text)
{
    FILE *f = fopen(tree_file, "wb");
    ipcg_snapshot_t snap;
    ipcg_proc_t pr, ref;
    ipcg_limits_t lim, lref;
    ipcg_num_t num;
    ipcg_bc_t bc;
    apr_hash_t *users;
    apr_hash_index_t *hi;
    apr_status_t rv;
    char *copy, *line, *last, *nl;
    char boot[37];
    int k, lines, first;

    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fail("cannot write the scratch file");
    }
    /* the tables: each line an object or a bad line, the first skipped
     * when it is the header */
    for (k = IPCG_SYSV_SEM; k <= IPCG_SYSV_MSG; k++) {
        ipcg_snapshot_init(p, &snap);
        if (ipcg_scan_sysv(p, &tree, (ipcg_kind_e)k, &snap) != APR_SUCCESS) {
            continue;        /* too big */
        }
        copy = apr_pstrdup(p, text);
        lines = 0;
        first = 1;
        for (line = apr_strtok(copy, "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            ipcg_obj_t o;
            if (first && strstr(line, "key") != NULL) {
                first = 0;
                continue;
            }
            first = 0;
            if (ipcg_parse_sysv_line((ipcg_kind_e)k, line, &o)
                == APR_SUCCESS) {
                if (lines >= snap.objs->nelts
                    || memcmp(&o, &APR_ARRAY_IDX(snap.objs, lines, ipcg_obj_t),
                              sizeof(o)) != 0) {
                    fail("a table's object is not its line's");
                }
                lines++;
            }
        }
        if (lines != snap.objs->nelts) {
            fail("a table gave more objects than it has good lines");
        }
    }
    /* a process */
    memset(&pr, 0, sizeof(pr));
    memset(&ref, 0, sizeof(ref));
    rv = ipcg_proc_read(p, &tree, 4242, IPCG_PROC_MEMORY, &pr);
    if (rv == APR_SUCCESS) {
        if (ipcg_parse_proc_stat(text, &ref) != APR_SUCCESS) {
            fail("a process was read from a stat that does not parse");
        }
        ipcg_parse_proc_status(text, &ref);
        ipcg_parse_proc_maps(text, &ref);
        if (pr.pid != ref.pid || pr.starttime != ref.starttime
            || pr.uid != ref.uid || pr.rss_shmem.present
            != ref.rss_shmem.present || pr.rss_shmem.v != ref.rss_shmem.v
            || pr.shared_anon != ref.shared_anon
            || pr.shared_sysv != ref.shared_sysv
            || pr.shared_posix != ref.shared_posix) {
            fail("a process read is not its files parsed");
        }
    }
    else if (strlen(text) < 4096 && ipcg_parse_proc_stat(text, &ref)
                                    == APR_SUCCESS) {
        fail("a process whose stat parses was not read");
    }
    /* the limits */
    ipcg_limits_read(p, &tree, &lim);
    memset(&lref, 0, sizeof(lref));
    if (ipcg_parse_kernel_sem(text, &lref) == APR_SUCCESS
        && (!lim.semmni.present || lim.semmni.v != lref.semmni.v
            || lim.semmsl.v != lref.semmsl.v)) {
        fail("kernel.sem read is not kernel.sem parsed");
    }
    if (lim.shmmax.present) {
        copy = apr_pstrdup(p, text);
        if ((nl = strchr(copy, '\n')) != NULL) {
            *nl = '\0';
        }
        same_digits(copy, lim.shmmax.v, 0);
        if (lim.msgmni.v != lim.shmmax.v) {
            fail("two sysctls of the same text differ");
        }
    }
    if (ipcg_parse_meminfo_shmem(text, &num) == APR_SUCCESS
        && strlen(text) < 64 * 1024
        && (!lim.meminfo_shmem.present || lim.meminfo_shmem.v != num.v)) {
        fail("Shmem read is not Shmem parsed");
    }
    /* the boot id: the first line, whole */
    if (ipcg_boot_id(p, &tree, boot, sizeof(boot)) == APR_SUCCESS) {
        terminated(boot, sizeof(boot), "boot id not terminated");
        if (boot[0] == '\0' || strchr(boot, '\n') != NULL
            || strncmp(boot, text, strlen(boot)) != 0
            || (text[strlen(boot)] != '\0' && text[strlen(boot)] != '\n')) {
            fail("a boot id that is not the file's first line");
        }
    }
    /* the beancounters */
    if (ipcg_beancounters_read(p, tree.beancounters, &bc) == APR_SUCCESS
        && !bc.present) {
        fail("beancounters read but not present");
    }
    /* the users of /dev/shm files: only the one process, and none when
     * no line names a file there */
    if (ipcg_posix_users(p, &tree, &users) == APR_SUCCESS) {
        for (hi = apr_hash_first(p, users); hi; hi = apr_hash_next(hi)) {
            const apr_int64_t *pid = apr_hash_this_val(hi);
            if (*pid != 4242) {
                fail("a /dev/shm user that is no process of the tree");
            }
        }
        if (apr_hash_count(users) > 0
            && strstr(text, apr_pstrcat(p, " ", tree.devshm, "/", NULL))
               == NULL) {
            fail("a /dev/shm user without a mapping of /dev/shm");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *text;
    ipcg_obj_t o;
    ipcg_proc_t pr;
    ipcg_limits_t lim, again;
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
        make_tree();
    }
    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    switch (data[0] % 16) {
    case 0: case 1: case 2:
        k = data[0] % 16;       /* sysv-sem, sysv-shm, sysv-msg */
        if (ipcg_parse_sysv_line((ipcg_kind_e)k, text, &o) == APR_SUCCESS) {
            terminated(o.module, sizeof(o.module), "module not terminated");
            check_sysv(p, (ipcg_kind_e)k, text, &o);
        }
        break;
    case 3:
        memset(&pr, 0, sizeof(pr));
        if (ipcg_parse_proc_stat(text, &pr) == APR_SUCCESS) {
            check_stat(p, &pr);
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
            && strchr(text, 's') == NULL
            && (pr.shared_anon | pr.shared_sysv | pr.shared_posix) != 0) {
            fail("a shared mapping counted without an 's'");
        }
        break;
    case 6:
        memset(&lim, 0, sizeof(lim));
        if (ipcg_parse_kernel_sem(text, &lim) == APR_SUCCESS) {
            if (!(lim.semmsl.present && lim.semmns.present
                  && lim.semopm.present && lim.semmni.present)) {
                fail("kernel.sem parsed without its four limits");
            }
            memset(&again, 0, sizeof(again));
            if (ipcg_parse_kernel_sem(
                    apr_psprintf(p, "%" APR_UINT64_T_FMT "\t%"
                                 APR_UINT64_T_FMT "\t%" APR_UINT64_T_FMT
                                 "\t%" APR_UINT64_T_FMT "\n", lim.semmsl.v,
                                 lim.semmns.v, lim.semopm.v, lim.semmni.v),
                    &again) != APR_SUCCESS
                || memcmp(&lim, &again, sizeof(lim)) != 0) {
                fail("kernel.sem does not survive being printed back");
            }
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
        if (ipcg_parse_beancounters(p, text, &bc) == APR_SUCCESS) {
            if (!bc.present || strncmp(text, "Version:", 8) != 0
                || bc.uid < -1) {
                fail("beancounters without their version line");
            }
            for (k = 0; k < bc.rows->nelts; k++) {
                const ipcg_bc_row_t *r = &APR_ARRAY_IDX(bc.rows, k,
                                                        ipcg_bc_row_t);
                terminated(r->resource, sizeof(r->resource),
                           "resource not terminated");
                if (r->resource[0] == '\0'
                    || r->barrier_unlimited
                       != (r->barrier == (apr_uint64_t)APR_INT64_MAX)
                    || r->limit_unlimited
                       != (r->limit == (apr_uint64_t)APR_INT64_MAX)) {
                    fail("a beancounter row without a resource or with "
                         "a wrong unlimited flag");
                }
            }
            terminated(bc.version, sizeof(bc.version),
                       "version not terminated");
        }
        break;
    case 10:
        check_files(p, text);
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
