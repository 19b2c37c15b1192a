/* Unit tests of the core's parsers: /proc/sysvipc, /dev/shm, limits,
 * beancounters, /proc/<pid>, configuration values. */

#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_proc.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_scan.h"
#include "ipcg_check.h"

static ipcg_paths_t fx_paths(void)
{
    ipcg_paths_t p;
    p.proc = fixture("proc");
    p.devshm = "/nonexistent";
    p.beancounters = fixture("user_beancounters");
    return p;
}

START_TEST(sysv_sem_real_capture)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_snapshot_t snap;
    const ipcg_obj_t *o;

    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &snap),
                     APR_SUCCESS);
    ck_assert_int_eq(snap.objs->nelts, 2);
    ck_assert_int_eq(snap.bad_lines, 0);
    o = &APR_ARRAY_IDX(snap.objs, 0, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_SYSV_SEM);
    ck_assert_int_eq(o->key, -515510167);
    ck_assert_int_eq(o->id, 0);
    ck_assert_uint_eq(o->mode, 0644);
    ck_assert_uint_eq(o->size, 3);
    ck_assert_int_eq(o->ctime, 1795361810);
    o = &APR_ARRAY_IDX(snap.objs, 1, ipcg_obj_t);
    ck_assert_int_eq(o->key, -1561952504);
    ck_assert_uint_eq(o->size, 1);
}
END_TEST

START_TEST(sysv_shm_and_msg_real_capture)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_snapshot_t snap;
    const ipcg_obj_t *o;

    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_all(pool, &paths, &snap), APR_ENOENT);
    /* /dev/shm is missing here, but the three tables were read */
    ck_assert_int_eq(snap.objs->nelts, 5);
    o = &APR_ARRAY_IDX(snap.objs, 2, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_SYSV_SHM);
    ck_assert_uint_eq(o->size, 65536);
    ck_assert_int_eq(o->cpid, 10932);
    ck_assert_uint_eq(o->nattch, 0);
    o = &APR_ARRAY_IDX(snap.objs, 3, ipcg_obj_t);
    ck_assert_uint_eq(o->mode, 0600);
    o = &APR_ARRAY_IDX(snap.objs, 4, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_SYSV_MSG);
    ck_assert_int_eq(o->key, 571057711);
}
END_TEST

/* A snapshot in a caller's buffer: the objects land in it while they fit,
 * the rest go to the pool, and nothing is lost or reordered either way. */
START_TEST(snapshot_in_a_buffer)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_snapshot_t ref, small, big;
    ipcg_obj_t *one = apr_pcalloc(pool, sizeof(ipcg_obj_t));
    ipcg_obj_t *room = apr_pcalloc(pool, 64 * sizeof(ipcg_obj_t));
    int i;

    ipcg_snapshot_init(pool, &ref);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &ref);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SHM, &ref);
    ck_assert_int_gt(ref.objs->nelts, 2);
    ipcg_snapshot_init_buf(pool, &small, one, 1);
    ck_assert_ptr_eq(small.objs->elts, one);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &small);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SHM, &small);
    ck_assert_ptr_ne(small.objs->elts, one);
    ipcg_snapshot_init_buf(pool, &big, room, 64);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &big);
    ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SHM, &big);
    ck_assert_ptr_eq(big.objs->elts, room);
    ck_assert_int_eq(small.objs->nelts, ref.objs->nelts);
    ck_assert_int_eq(big.objs->nelts, ref.objs->nelts);
    for (i = 0; i < ref.objs->nelts; i++) {
        const ipcg_obj_t *a = &APR_ARRAY_IDX(ref.objs, i, ipcg_obj_t);
        ck_assert_msg(ipcg_obj_same(a, &APR_ARRAY_IDX(small.objs, i,
                                                      ipcg_obj_t))
                      && ipcg_obj_same(a, &APR_ARRAY_IDX(big.objs, i,
                                                         ipcg_obj_t)),
                      "object %d differs from the pool's snapshot (id %"
                      APR_INT64_T_FMT ")", i, a->id);
    }
}
END_TEST

START_TEST(sysv_line_flags_and_old_format)
{
    ipcg_obj_t o;
    /* SHM_DEST|SHM_LOCKED (03000) with 0600, 14 columns (no rss/swap) */
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SHM,
        "0 98307 3600 1048576 812 813 2 33 33 0 0 1700000000 0 1700000000",
        &o), APR_SUCCESS);
    ck_assert_uint_eq(o.mode, 03600);
    ck_assert_uint_eq(o.nattch, 2);
    ck_assert_int_eq(o.lpid, 813);
    ck_assert_uint_eq(o.uid, 33);
    /* a key printed unsigned is accepted and kept as the same bits */
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SEM,
        "4294967295 5 600 1 33 33 0 0 0 1700000000", &o), APR_SUCCESS);
    ck_assert_int_eq(o.key, -1);
}
END_TEST

START_TEST(sysv_hostile_lines)
{
    static const char *bad[] = {
        "",
        "0 5 600 1 33 33 0 0 0",                 /* truncated */
        "0 5 600 1 33 33 0 0 0 1700000000 99",   /* extra column */
        "0 5 6x0 1 33 33 0 0 0 1700000000",      /* non-octal mode */
        "0 5 600 one 33 33 0 0 0 1700000000",    /* non-numeric */
        "0 5 600 99999999999999999999 33 33 0 0 0 1700000000", /* overflow */
        "0 -5 600 1 33 33 0 0 0 1700000000",     /* negative id */
        "99999999999 5 600 1 33 33 0 0 0 1700000000", /* key range */
        "0 5 600 1 -33 33 0 0 0 1700000000",     /* negative uid */
        NULL
    };
    ipcg_obj_t o;
    char longline[700];
    int i;

    for (i = 0; bad[i]; i++) {
        ck_assert_msg(ipcg_parse_sysv_line(IPCG_SYSV_SEM, bad[i], &o)
                      != APR_SUCCESS, "accepted: '%s'", bad[i]);
    }
    memset(longline, '1', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    ck_assert_int_ne(ipcg_parse_sysv_line(IPCG_SYSV_SEM, longline, &o),
                     APR_SUCCESS);
}
END_TEST

/* Lines with fewer than three fields, for every kind: a crash the fuzzer
 * found (the fields after the first were read unset). */
START_TEST(sysv_short_lines)
{
    static const char *bad[] = { "-5155101", "0", "0 5", "   7  ", NULL };
    const char *path = fixture("fuzz/sysv_short_line");
    char buf[1024];
    ipcg_obj_t o;
    FILE *f;
    size_t n;
    int i, k;

    for (k = IPCG_SYSV_SEM; k <= IPCG_SYSV_MSG; k++) {
        for (i = 0; bad[i]; i++) {
            ck_assert_msg(ipcg_parse_sysv_line((ipcg_kind_e)k, bad[i], &o)
                          == APR_EGENERAL, "accepted: '%s'", bad[i]);
        }
    }
    /* the fuzzer's input as it was: a selector byte, then the text */
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no fixture %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    ck_assert_int_gt(n, 1);
    buf[n] = '\0';
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SEM, buf + 1, &o),
                     APR_EGENERAL);
}
END_TEST

/* "Shmem:" with nothing after it: a crash the fuzzer found (a second
 * apr_strtok after the first found no token). */
START_TEST(meminfo_blank_shmem)
{
    const char *path = fixture("fuzz/meminfo_shmem_blank");
    char buf[1024];
    ipcg_num_t n;
    FILE *f;
    size_t len;

    ck_assert_int_eq(ipcg_parse_meminfo_shmem("Shmem: \n", &n), APR_EINVAL);
    ck_assert_int_eq(ipcg_parse_meminfo_shmem("Shmem:\t\t", &n), APR_EINVAL);
    ck_assert_int_eq(n.present, 0);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no fixture %s", path);
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    ck_assert_int_gt(len, 1);
    buf[len] = '\0';
    ck_assert_int_eq(ipcg_parse_meminfo_shmem(buf + 1, &n), APR_EINVAL);
}
END_TEST

/* The swap column of a 16-column shm line must be a number like the
 * rest: a line with junk there was accepted (the fuzzer's input is kept
 * as a fixture: a selector byte, then the line). */
START_TEST(sysv_shm_junk_swap)
{
    const char *path = fixture("fuzz/sysv_shm_junk_swap");
    char buf[1024];
    ipcg_obj_t o;
    FILE *f;
    size_t n;

    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SHM,
        "0 98307 600 4096 812 813 2 33 33 0 0 1700000000 0 1700000000 "
        "4096 0", &o), APR_SUCCESS);
    ck_assert_uint_eq(o.rss, 4096);
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SHM,
        "0 98307 600 4096 812 813 2 33 33 0 0 1700000000 0 1700000000 "
        "4096 0x10", &o), APR_EGENERAL);
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SHM,
        "0 98307 600 4096 812 813 2 33 33 0 0 1700000000 0 1700000000 "
        "4096 -1", &o), APR_EGENERAL);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "no fixture %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    ck_assert_int_gt(n, 1);
    buf[n] = '\0';
    ck_assert_int_eq(buf[0] % 16, IPCG_SYSV_SHM);
    ck_assert_int_eq(ipcg_parse_sysv_line(IPCG_SYSV_SHM, buf + 1, &o),
                     APR_EGENERAL);
}
END_TEST

/* A private /proc with an empty sysvipc/sem table open for writing:
 * @a paths points at it, drop_fake_proc() takes it away. */
static FILE *fake_sem_table(ipcg_paths_t *paths)
{
    char *dir = temp_dir("ipcg-unit-proc");
    FILE *f;

    ck_assert_int_eq(mkdir(apr_pstrcat(pool, dir, "/sysvipc", NULL), 0700),
                     0);
    f = fopen(apr_pstrcat(pool, dir, "/sysvipc/sem", NULL), "w");
    ck_assert_ptr_nonnull(f);
    paths->proc = dir;
    paths->devshm = dir;
    return f;
}

static void drop_fake_proc(const ipcg_paths_t *paths)
{
    unlink(apr_pstrcat(pool, paths->proc, "/sysvipc/sem", NULL));
    rmdir(apr_pstrcat(pool, paths->proc, "/sysvipc", NULL));
    rmdir(paths->proc);
}

START_TEST(sysv_table_counts_bad_lines_and_goes_on)
{
    ipcg_paths_t paths;
    ipcg_snapshot_t snap;
    FILE *f;

    f = fake_sem_table(&paths);
    fputs("       key      semid perms      nsems   uid   gid  cuid  cgid"
          "      otime      ctime\n"
          "         0          1   600          1    33    33     0     0"
          "          0 1700000000\n"
          "garbage here\n"
          "         0          2   600          1    33    33     0\n"
          "         0          3   600          1    33    33     0     0"
          "          0 1700000001\n", f);
    fclose(f);
    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &snap),
                     APR_SUCCESS);
    ck_assert_int_eq(snap.objs->nelts, 2);
    ck_assert_int_eq(snap.bad_lines, 2);
    drop_fake_proc(&paths);
}
END_TEST

/* A table far larger than the piece read at a time: every line is taken
 * whole wherever the pieces end, a line longer than a piece counts once
 * as bad and its rest is skipped, and a last line without a newline is
 * taken. */
START_TEST(sysv_table_read_in_pieces)
{
    ipcg_paths_t paths;
    ipcg_snapshot_t snap;
    FILE *f;
    int i, n = 3000, j;

    f = fake_sem_table(&paths);
    fputs("       key      semid perms      nsems   uid   gid  cuid  cgid"
          "      otime      ctime\n", f);
    for (i = 0; i < n; i++) {
        if (i == 1500) {
            for (j = 0; j < 40000; j++) {
                fputc('x', f);
            }
            fputc('\n', f);
        }
        fprintf(f, "%10d %10d   600          1    33    33     0     0"
                "          0 %d%s", i, i * 32768 + 7, 1700000000 + i,
                i == n - 1 ? "" : "\n");
    }
    fclose(f);
    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_sysv(pool, &paths, IPCG_SYSV_SEM, &snap),
                     APR_SUCCESS);
    ck_assert_int_eq(snap.objs->nelts, n);
    ck_assert_int_eq(snap.bad_lines, 1);
    for (i = 0; i < n; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap.objs, i, ipcg_obj_t);
        ck_assert_int_eq(o->key, i);
        ck_assert_int_eq(o->id, (apr_int64_t)i * 32768 + 7);
        ck_assert_int_eq(o->ctime, 1700000000 + i);
    }
    ck_assert(snap.kinds_read & (1 << IPCG_SYSV_SEM));
    drop_fake_proc(&paths);
}
END_TEST

START_TEST(devshm_listing)
{
    char *dir;
    ipcg_paths_t paths;
    ipcg_snapshot_t snap;
    const char *names[] = { "ShM.abc", "sem.foo",
                            "<img src=x onerror=alert(1)>",
                            "new\nline\xff", NULL };
    int i, found = 0;
    FILE *f;

    dir = temp_dir("ipcg-unit-shm");
    for (i = 0; names[i]; i++) {
        f = fopen(apr_pstrcat(pool, dir, "/", names[i], NULL), "w");
        fputs("abc", f);
        fclose(f);
    }
    ck_assert_int_eq(symlink("/etc/passwd",
                             apr_pstrcat(pool, dir, "/link", NULL)), 0);
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, dir, "/sub", NULL), 0700), 0);
    paths.proc = "/proc";
    paths.devshm = dir;
    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_devshm(pool, &paths, &snap), APR_SUCCESS);
    ck_assert_int_eq(snap.objs->nelts, 4);
    for (i = 0; i < snap.objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(snap.objs, i, ipcg_obj_t);
        int j;
        ck_assert_int_eq(o->id, -1);
        ck_assert_uint_eq(o->size, 3);
        ck_assert_uint_ne(o->ino, 0);
        for (j = 0; names[j]; j++) {
            if (strcmp(o->name, names[j]) == 0) {
                found |= 1 << j;
                ck_assert_int_eq(o->kind, j == 1 ? IPCG_POSIX_SEM
                                                 : IPCG_POSIX_SHM);
            }
        }
    }
    ck_assert_int_eq(found, 15);
    for (i = 0; names[i]; i++) {
        unlink(apr_pstrcat(pool, dir, "/", names[i], NULL));
    }
    unlink(apr_pstrcat(pool, dir, "/link", NULL));
    rmdir(apr_pstrcat(pool, dir, "/sub", NULL));
    rmdir(dir);
}
END_TEST

START_TEST(limits_from_fixture)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_limits_t lim;

    ck_assert_int_eq(ipcg_limits_read(pool, &paths, &lim), APR_SUCCESS);
    ck_assert(lim.semmni.present && lim.semmns.present);
    ck_assert_uint_eq(lim.semmsl.v, 32000);
    ck_assert_uint_eq(lim.semmns.v, 1024000000);
    ck_assert_uint_eq(lim.semopm.v, 500);
    ck_assert_uint_eq(lim.semmni.v, 32000);
    ck_assert(lim.shmmni.present && lim.msgmni.present);
    ck_assert(lim.meminfo_shmem.present);
    ck_assert_uint_eq(lim.meminfo_shmem.v % 1024, 0);
    /* /dev/shm does not exist here: absent, never zero */
    ck_assert(!lim.devshm_size.present);
}
END_TEST

START_TEST(kernel_sem_and_meminfo)
{
    ipcg_limits_t lim;
    ipcg_num_t n;

    memset(&lim, 0, sizeof(lim));
    ck_assert_int_eq(ipcg_parse_kernel_sem("250 32000 32 8\n", &lim),
                     APR_SUCCESS);
    ck_assert_uint_eq(lim.semmni.v, 8);
    ck_assert_int_ne(ipcg_parse_kernel_sem("250 32000 32\n", &lim),
                     APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_kernel_sem("250 32000 32 8 9\n", &lim),
                     APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_kernel_sem("250 x 32 8\n", &lim),
                     APR_SUCCESS);
    ck_assert_int_eq(ipcg_parse_meminfo_shmem(
        "MemTotal: 100 kB\nShmem:       9060 kB\nOther: 1 kB\n", &n),
        APR_SUCCESS);
    ck_assert(n.present);
    ck_assert_uint_eq(n.v, 9060 * 1024);
    ck_assert_int_eq(ipcg_parse_meminfo_shmem("MemTotal: 1 kB\n", &n),
                     APR_ENOENT);
    ck_assert(!n.present);
    ck_assert_int_ne(ipcg_parse_meminfo_shmem("Shmem: 12 MB\n", &n),
                     APR_SUCCESS);
}
END_TEST

START_TEST(beancounters)
{
    ipcg_bc_t bc;
    const ipcg_bc_row_t *r;

    ck_assert_int_eq(ipcg_beancounters_read(pool, fixture("user_beancounters"),
                                            &bc), APR_SUCCESS);
    ck_assert(bc.present);
    ck_assert_str_eq(bc.version, "2.5");
    ck_assert_int_eq(bc.uid, 101);
    ck_assert_int_eq(bc.rows->nelts, 8);
    ck_assert_int_eq(bc.bad_lines, 0);
    r = ipcg_bc_find(&bc, "shmpages");
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->held, 247122);
    ck_assert_uint_eq(r->limit, 262144);
    ck_assert_uint_eq(r->failcnt, 10067);
    ck_assert(!r->limit_unlimited);
    r = ipcg_bc_find(&bc, "physpages");
    ck_assert(r->barrier_unlimited && r->limit_unlimited);
    r = ipcg_bc_find(&bc, "kmemsize");
    ck_assert_uint_eq(r->maxheld, 31457280);
    ck_assert_ptr_null(ipcg_bc_find(&bc, "nosuch"));

    ck_assert_int_eq(ipcg_beancounters_read(pool,
        fixture("user_beancounters.bad"), &bc), APR_SUCCESS);
    ck_assert_int_eq(bc.rows->nelts, 1);
    ck_assert_int_eq(bc.bad_lines, 4);

    ck_assert_int_eq(ipcg_beancounters_read(pool, "/nonexistent/ubc", &bc),
                     APR_ENOENT);
    ck_assert(!bc.present);
    ck_assert_int_ne(ipcg_parse_beancounters(pool, "uid resource\n", &bc),
                     APR_SUCCESS);
}
END_TEST

START_TEST(proc_stat_status_maps)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_proc_t pr;

    ck_assert_int_eq(ipcg_proc_read(pool, &paths, 4243, IPCG_PROC_MEMORY, &pr),
                     APR_SUCCESS);
    ck_assert_int_eq(pr.pid, 4243);
    ck_assert_str_eq(pr.comm, "php) (cgi) x");
    ck_assert_int_eq(pr.ppid, 4242);
    ck_assert_int_eq(pr.pgrp, 4242);
    ck_assert_uint_eq(pr.starttime, 1154100);
    ck_assert_uint_eq(pr.uid, 33);
    ck_assert(pr.rss_shmem.present);
    ck_assert_uint_eq(pr.rss_shmem.v, 2412 * 1024);
    ck_assert_uint_eq(pr.shared_anon, 64 * 1024 * 1024);
    ck_assert_uint_eq(pr.shared_sysv, 65536);
    ck_assert_uint_eq(pr.shared_posix, 4096);
    /* the largest shared mapping and the object behind it */
    ck_assert_int_eq(pr.map_kind, IPCG_MAP_ANON);
    ck_assert_uint_eq(pr.map_bytes, 64 * 1024 * 1024);
    ck_assert_uint_eq(pr.map_dev, 1);
    ck_assert_uint_eq(pr.map_ino, 1027);
    ck_assert_int_eq(ipcg_parse_proc_maps(
        "7f00-8f00 rw-s 00000000 fd:02 12345 /dev/shm/big\n", &pr),
        APR_SUCCESS);
    ck_assert_int_eq(pr.map_kind, IPCG_MAP_POSIX);
    ck_assert_uint_eq(pr.map_dev, (0xfdULL << 20) | 2);
    ck_assert_uint_eq(pr.map_ino, 12345);
    ck_assert_int_ne(ipcg_parse_proc_stat("no parens here", &pr),
                     APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_proc_stat("12 (x) S 1 2", &pr), APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_proc_maps("zzzz-1 rw-s\n", &pr), APR_SUCCESS);
}
END_TEST

/* The users of /dev/shm files, from maps files with many mappings: each
 * line is searched on its own, so that the prefix of a later line is
 * neither taken for this one's nor looked for again on every line (which
 * made tens of thousands of mappings cost seconds). */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* When a process began, from the boot time and its start time in ticks;
 * a "btime" inside another line is not the boot time. */
START_TEST(proc_born_from_btime)
{
    char *dir;
    ipcg_paths_t paths;
    long hz = sysconf(_SC_CLK_TCK);
    const char *stat;

    dir = temp_dir("ipcg-unit-born");
    paths.proc = dir;
    paths.devshm = "";
    paths.beancounters = "";
    stat = apr_pstrcat(pool, dir, "/stat", NULL);
    ck_assert_int_eq(ipcg_proc_born(pool, &paths, 0), -1);   /* no file */
    write_text(stat, "cpu  1 2 3\nintr 5 btime 99\nbtime 1700000000\n"
                     "processes 42\n");
    ck_assert_int_eq(ipcg_proc_born(pool, &paths, (apr_uint64_t)hz * 250
                                                  + (apr_uint64_t)hz / 2),
                     1700000250);
    ck_assert_int_eq(ipcg_proc_born(pool, &paths, 0), 1700000000);
    write_text(stat, "cpu  1 2 3\nbtime x\n");
    ck_assert_int_eq(ipcg_proc_born(pool, &paths, 5), -1);
    write_text(stat, "cpu  1 2 3\n");
    ck_assert_int_eq(ipcg_proc_born(pool, &paths, 5), -1);
    unlink(stat);
    rmdir(dir);
}
END_TEST

START_TEST(posix_users_many_mappings)
{
    char *dir;
    ipcg_paths_t paths;
    apr_hash_t *users;
    apr_uint64_t ino;
    const apr_int64_t *pid;
    char *maps;
    apr_size_t n;
    apr_time_t t0;
    struct stat shm;
    const char *dev;
    int i;

    dir = temp_dir("ipcg-unit-maps");
    paths.proc = apr_pstrcat(pool, dir, "/proc", NULL);
    paths.devshm = apr_pstrcat(pool, dir, "/shm", NULL);
    paths.beancounters = "";
    ck_assert_int_eq(mkdir(paths.proc, 0700), 0);
    ck_assert_int_eq(mkdir(paths.devshm, 0700), 0);
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, paths.proc, "/7", NULL), 0700),
                     0);
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, paths.proc, "/8", NULL), 0700),
                     0);
    maps = apr_palloc(pool, 30000 * 80 + 1);
    for (n = 0, i = 0; i < 30000; i++) {
        n += (apr_size_t)apr_snprintf(maps + n, 80, "%012x-%012x r-xp "
                                      "00000000 08:01 %d /usr/lib/libx.so.%d"
                                      "\n", i * 4096, (i + 1) * 4096,
                                      1000 + i, i);
    }
    ck_assert_int_eq(stat(paths.devshm, &shm), 0);
    dev = apr_psprintf(pool, "%02x:%02x", major(shm.st_dev),
                       minor(shm.st_dev));
    /* the inode of a line without the prefix is not the next line's */
    maps = apr_pstrcat(pool, maps,
                       "7f0000000000-7f0000001000 rw-s 00000000 ", dev, " 55 "
                       "/tmp/other\n"
                       "7f0000001000-7f0000002000 rw-s 00000000 ", dev, " 77 ",
                       paths.devshm, "/ShM.a\n"
                       "7f0000002000-7f0000003000 rw-s 00000000 ", dev, " 0 ",
                       paths.devshm, "/zero-inode\n"
                       /* the same name in another mount namespace's
                        * /dev/shm: another device, not this file */
                       "7f0000003000-7f0000004000 rw-s 00000000 ff:fe 66 ",
                       paths.devshm, "/ShM.c\n", NULL);
    write_text(apr_pstrcat(pool, paths.proc, "/7/maps", NULL), maps);
    /* the last line without a newline */
    write_text(apr_pstrcat(pool, paths.proc, "/8/maps", NULL),
               apr_pstrcat(pool, "7f0000000000-7f0000001000 rw-s 00000000 ",
                           dev, " 77 ", paths.devshm, "/ShM.a\n"
                           "7f0000001000-7f0000002000 rw-s 00000000 ", dev,
                           " 99 ", paths.devshm, "/sem.b", NULL));
    t0 = apr_time_now();
    ck_assert_int_eq(ipcg_posix_users(pool, &paths, &users), APR_SUCCESS);
    /* milliseconds when each line is searched alone (under valgrind too);
     * a search to the end of the text took seconds */
    ck_assert_int_lt(apr_time_now() - t0, apr_time_from_sec(2));
    ck_assert_uint_eq(apr_hash_count(users), 2);
    ino = 66;
    ck_assert_msg(apr_hash_get(users, &ino, sizeof(ino)) == NULL,
                  "a file of another device's /dev/shm was taken for ours");
    ino = 77;
    pid = apr_hash_get(users, &ino, sizeof(ino));
    ck_assert_ptr_nonnull(pid);
    ck_assert(*pid == 7 || *pid == 8);
    ino = 99;
    pid = apr_hash_get(users, &ino, sizeof(ino));
    ck_assert_ptr_nonnull(pid);
    ck_assert_int_eq(*pid, 8);
    ino = 55;
    ck_assert_ptr_null(apr_hash_get(users, &ino, sizeof(ino)));
    ck_assert_int_eq(system(apr_pstrcat(pool, "rm -rf ", dir, NULL)), 0);
}
END_TEST

START_TEST(proc_tree_and_liveness)
{
    ipcg_paths_t paths = fx_paths();
    apr_array_header_t *procs, *tree;

    ck_assert_int_eq(ipcg_proc_list(pool, &paths, &procs), APR_SUCCESS);
    ck_assert_int_eq(procs->nelts, 2);
    tree = ipcg_proc_tree(pool, procs, 4242);
    ck_assert_int_eq(tree->nelts, 2);
    ck_assert_int_eq(APR_ARRAY_IDX(tree, 1, ipcg_proc_t).pid, 4243);
    ck_assert_int_eq(ipcg_proc_tree(pool, procs, 4243)->nelts, 1);
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, 4242, 1154008), 1);
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, 4242, 0), 1);
    /* the same pid with another start time is another process */
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, 4242, 99), 0);
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, 4244, 0), 0);
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, 0, 0), 0);
}
END_TEST

START_TEST(zombie_is_dead)
{
    ipcg_paths_t paths;
    pid_t child = fork();
    int i, alive = 1;

    if (child == 0) {
        _exit(0);
    }
    ipcg_paths_default(&paths);
    for (i = 0; i < 200 && alive; i++) {
        alive = ipcg_proc_alive(pool, &paths, child, 0);
        if (alive) {
            usleep(10000);
        }
    }
    ck_assert_int_eq(alive, 0);          /* a zombie, not yet reaped */
    ck_assert_int_eq(ipcg_proc_alive(pool, &paths, getpid(), 0), 1);
    waitpid(child, NULL, 0);
}
END_TEST

START_TEST(numbers_and_files)
{
    apr_uint64_t u;
    apr_int64_t i;
    char *text;
    apr_size_t len;
    const char *f;

    ck_assert_int_eq(ipcg_parse_u64("18446744073709551615", &u), APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_u64("18446744073709551616", &u), APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_u64("-1", &u), APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_u64("", &u), APR_SUCCESS);
    ck_assert_int_ne(ipcg_parse_u64("12a", &u), APR_SUCCESS);
    ck_assert_int_eq(ipcg_parse_i64("-9223372036854775808", &i), APR_SUCCESS);
    ck_assert(i == APR_INT64_MIN);
    ck_assert_int_ne(ipcg_parse_i64("9223372036854775808", &i), APR_SUCCESS);
    f = temp_file("12345");
    ck_assert_int_eq(ipcg_read_file(pool, f, 5, &text, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, 5);
    ck_assert_str_eq(text, "12345");
    ck_assert_int_eq(ipcg_read_file(pool, f, 4, &text, &len), APR_ENOSPC);
    unlink(f);
}
END_TEST

/* What ipcg_read_lines() gave, run by run. */
typedef struct {
    char *all;
    int runs, open, bad, fail_at;
} runs_t;

static apr_status_t collect_run(void *baton, const char *lines)
{
    runs_t *r = baton;
    apr_size_t n = strlen(lines);

    /* a run ends at a newline; only the file's last may not */
    if (n == 0 || r->open) {
        r->bad++;
    }
    r->open = lines[n - 1] != '\n';
    r->all = apr_pstrcat(pool, r->all, lines, NULL);
    return ++r->runs == r->fail_at ? APR_EGENERAL : APR_SUCCESS;
}

static apr_status_t read_runs(const char *text, runs_t *r, int fail_at)
{
    const char *f = temp_file(text);
    apr_status_t rv;

    memset(r, 0, sizeof(*r));
    r->all = "";
    r->fail_at = fail_at;
    rv = ipcg_read_lines(pool, f, collect_run, r);
    unlink(f);
    return rv;
}

/* A text of @a lines lines of varied lengths, or of @a bytes bytes of
 * one line when @a lines is 0. */
static char *made_text(int lines, int bytes)
{
    char *t, *at;
    int i;

    if (lines == 0) {
        t = apr_palloc(pool, (apr_size_t)bytes + 1);
        memset(t, 'x', (apr_size_t)bytes);
        t[bytes] = '\0';
        return t;
    }
    t = at = apr_palloc(pool, (apr_size_t)lines * 64 + 1);
    *at = '\0';
    for (i = 0; i < lines; i++) {
        at += sprintf(at, "%05d %.*s\n", i, i % 50, "abcdefghijklmnopqrstuvwxyz"
                      "abcdefghijklmnopqrstuvwxyz");
    }
    return t;
}

START_TEST(files_of_every_size)
{
    runs_t r;
    char *text, *big = made_text(3000, 0);
    apr_size_t len, n = strlen(big);
    const char *f;
    int sizes[] = { 4094, 4095, 4096, 4097 }, i;

    /* whole, past the first page read on the stack */
    f = temp_file(big);
    ck_assert_int_eq(ipcg_read_file(pool, f, n, &text, &len), APR_SUCCESS);
    ck_assert_uint_eq(len, n);
    ck_assert_str_eq(text, big);
    ck_assert_int_eq(ipcg_read_file(pool, f, n - 1, &text, &len),
                     APR_ENOSPC);
    unlink(f);
    for (i = 0; i < 4; i++) {
        char *one = made_text(0, sizes[i]);
        f = temp_file(one);
        ck_assert_int_eq(ipcg_read_file(pool, f, (apr_size_t)sizes[i], &text,
                                        &len), APR_SUCCESS);
        ck_assert_uint_eq(len, (apr_size_t)sizes[i]);
        ck_assert_str_eq(text, one);
        ck_assert_int_eq(ipcg_read_file(pool, f, (apr_size_t)sizes[i] - 1,
                                        &text, &len), APR_ENOSPC);
        unlink(f);
    }

    /* in runs of whole lines: every byte once, in order */
    ck_assert_uint_gt(n, 4 * IPCG_LINES_CHUNK);
    ck_assert_int_eq(read_runs(big, &r, 0), APR_SUCCESS);
    ck_assert_str_eq(r.all, big);
    ck_assert_int_gt(r.runs, 4);
    ck_assert_int_eq(r.bad, 0);
    ck_assert(!r.open);
    /* a last line without its newline comes last */
    ck_assert_int_eq(read_runs("a\nbb\nccc", &r, 0), APR_SUCCESS);
    ck_assert_str_eq(r.all, "a\nbb\nccc");
    ck_assert_int_eq(r.bad, 0);
    ck_assert(r.open);
    ck_assert_int_eq(read_runs("", &r, 0), APR_SUCCESS);
    ck_assert_int_eq(r.runs, 0);
    /* a line longer than the buffer is refused, not cut */
    text = apr_pstrcat(pool, "short\n", made_text(0, IPCG_LINES_CHUNK),
                       "\n", NULL);
    ck_assert_int_eq(read_runs(text, &r, 0), APR_ENOSPC);
    ck_assert_str_eq(r.all, "short\n");
    /* the callback's status ends the read */
    ck_assert_int_eq(read_runs(big, &r, 2), APR_EGENERAL);
    ck_assert_int_eq(r.runs, 2);
    ck_assert_int_eq(ipcg_read_lines(pool, "/nonexistent/maps", collect_run,
                                     &r), APR_ENOENT);
}
END_TEST

/* A maps of thousands of lines, read in runs, sums what the whole text
 * does: a shared mapping on every run's edge is counted once. */
START_TEST(proc_maps_in_runs)
{
    ipcg_paths_t paths = fx_paths();
    char *dir, *stat_text, *maps, *at;
    ipcg_proc_t pr, whole;
    apr_size_t len;
    int i;
    FILE *fp;

    dir = temp_dir("ipcg-unit-proc");
    ck_assert_int_eq(ipcg_read_file(pool, fixture("proc/4243/stat"), 4096,
                                    &stat_text, &len), APR_SUCCESS);
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, dir, "/4243", NULL), 0700), 0);
    fp = fopen(apr_pstrcat(pool, dir, "/4243/stat", NULL), "w");
    fputs(stat_text, fp);
    fclose(fp);
    maps = at = apr_palloc(pool, 4000 * 128);
    for (i = 0; i < 4000; i++) {
        apr_uint64_t lo = 0x7f0000000000ULL + (apr_uint64_t)i * 0x100000;
        at += sprintf(at, "%" APR_UINT64_T_HEX_FMT "-%" APR_UINT64_T_HEX_FMT
                      " %s 00000000 00:01 %d %s\n", lo,
                      lo + (apr_uint64_t)(i % 7 + 1) * 4096,
                      i % 3 ? "r--p" : "rw-s", 1000 + i,
                      i % 3 ? "/usr/lib/x86_64-linux-gnu/libapr-1.so.0.7.2"
                            : i % 2 ? "/dev/zero (deleted)"
                                    : "/SYSV00000000 (deleted)");
    }
    fp = fopen(apr_pstrcat(pool, dir, "/4243/maps", NULL), "w");
    fputs(maps, fp);
    fclose(fp);
    ck_assert_uint_gt(strlen(maps), 8 * IPCG_LINES_CHUNK);

    paths.proc = dir;
    ck_assert_int_eq(ipcg_proc_read(pool, &paths, 4243, IPCG_PROC_MEMORY, &pr),
                     APR_SUCCESS);
    memset(&whole, 0, sizeof(whole));
    ck_assert_int_eq(ipcg_parse_proc_maps(maps, &whole), APR_SUCCESS);
    ck_assert_uint_gt(whole.shared_anon, 0);
    ck_assert_uint_gt(whole.shared_sysv, 0);
    ck_assert_uint_eq(pr.shared_anon, whole.shared_anon);
    ck_assert_uint_eq(pr.shared_sysv, whole.shared_sysv);
    ck_assert_uint_eq(pr.shared_posix, whole.shared_posix);
    ck_assert_uint_eq(pr.map_bytes, whole.map_bytes);
    ck_assert_uint_eq(pr.map_ino, whole.map_ino);
    ck_assert_int_eq(pr.map_kind, whole.map_kind);

    unlink(apr_pstrcat(pool, dir, "/4243/stat", NULL));
    unlink(apr_pstrcat(pool, dir, "/4243/maps", NULL));
    rmdir(apr_pstrcat(pool, dir, "/4243", NULL));
    rmdir(dir);
}
END_TEST

/* The report's processes from a tree listed by the caller are those it
 * lists itself; no tree counts nothing, and clears an earlier count. */
START_TEST(report_procs_from_a_tree)
{
    ipcg_paths_t paths = fx_paths();
    ipcg_view_t *own = apr_pcalloc(pool, sizeof(*own));
    ipcg_view_t *given = apr_pcalloc(pool, sizeof(*given));
    apr_array_header_t *procs = NULL, *tree;
    int i;

    own->procs = apr_array_make(pool, 4, sizeof(ipcg_proc_t));
    given->procs = apr_array_make(pool, 4, sizeof(ipcg_proc_t));
    ipcg_report_procs(pool, &paths, 4242, own);
    ck_assert_int_eq(own->rep.proc_count, 2);
    ck_assert_uint_gt(own->rep.proc_shared_anon, 0);
    ck_assert_int_eq(ipcg_proc_list(pool, &paths, &procs), APR_SUCCESS);
    tree = ipcg_proc_tree(pool, procs, 4242);
    ck_assert_int_eq(tree->nelts, 2);
    ipcg_report_procs_tree(pool, &paths, tree, NULL, given);
    ck_assert_int_eq(given->rep.proc_count, own->rep.proc_count);
    ck_assert_uint_eq(given->rep.proc_rss_shmem, own->rep.proc_rss_shmem);
    ck_assert_uint_eq(given->rep.proc_shared_anon, own->rep.proc_shared_anon);
    ck_assert_uint_eq(given->rep.proc_shared_sysv, own->rep.proc_shared_sysv);
    ck_assert_uint_eq(given->rep.proc_shared_posix,
                      own->rep.proc_shared_posix);
    ck_assert_int_eq(given->procs->nelts, own->procs->nelts);
    for (i = 0; i < own->procs->nelts; i++) {
        ck_assert_int_eq(APR_ARRAY_IDX(given->procs, i, ipcg_proc_t).pid,
                         APR_ARRAY_IDX(own->procs, i, ipcg_proc_t).pid);
    }
    ipcg_report_procs_tree(pool, &paths, NULL, NULL, given);
    ck_assert_int_eq(given->rep.proc_count, 0);
    ck_assert_uint_eq(given->rep.proc_shared_anon, 0);
}
END_TEST

START_TEST(conf_values)
{
    ipcg_cleanup_e m;
    int v;
    const char *s;

    ck_assert_ptr_null(ipcg_conf_cleanup("orphans", &m));
    ck_assert_int_eq(m, IPCG_CLEANUP_ORPHANS);
    ck_assert_ptr_null(ipcg_conf_cleanup("Report", &m));
    ck_assert_str_eq(ipcg_conf_cleanup("sometimes", &m),
                     "must be one of off, report, registered, orphans");
    ck_assert_ptr_null(ipcg_conf_seconds("1", &v));
    ck_assert_ptr_null(ipcg_conf_seconds("86400", &v));
    ck_assert_ptr_nonnull(ipcg_conf_seconds("0", &v));
    ck_assert_ptr_nonnull(ipcg_conf_seconds("86401", &v));
    ck_assert_ptr_nonnull(ipcg_conf_seconds("5s", &v));
    ck_assert_ptr_null(ipcg_conf_percent("80%", &v));
    ck_assert_int_eq(v, 80);
    ck_assert_ptr_null(ipcg_conf_percent("100", &v));
    ck_assert_ptr_nonnull(ipcg_conf_percent("0", &v));
    ck_assert_ptr_nonnull(ipcg_conf_percent("101", &v));
    ck_assert_ptr_nonnull(ipcg_conf_percent("%", &v));
    ck_assert_ptr_null(ipcg_conf_max_objects("16", &v));
    ck_assert_ptr_nonnull(ipcg_conf_max_objects("15", &v));
    ck_assert_ptr_nonnull(ipcg_conf_max_objects("1000001", &v));
    ck_assert_ptr_null(ipcg_conf_path_or_none("none", &s));
    ck_assert_str_eq(s, "");
    ck_assert_ptr_null(ipcg_conf_path_or_none("/proc/user_beancounters", &s));
    ck_assert_ptr_nonnull(ipcg_conf_path_or_none("proc/ubc", &s));
    ck_assert_ptr_null(ipcg_conf_dir("/run/ipcguard"));
    ck_assert_ptr_nonnull(ipcg_conf_dir("/run/ipcguard/"));
    ck_assert_ptr_nonnull(ipcg_conf_dir("/run/../etc"));
    ck_assert_ptr_nonnull(ipcg_conf_dir("/run/\nx"));
}
END_TEST

START_TEST(names_and_identity)
{
    ipcg_obj_t a, b;
    int k;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        ck_assert_int_eq(ipcg_kind_parse(ipcg_kind_name(k)), k);
    }
    for (k = 0; k < IPCG_PHASE_COUNT; k++) {
        ck_assert_int_eq(ipcg_phase_parse(ipcg_phase_name(k)), k);
    }
    for (k = 0; k < IPCG_CLASS_COUNT; k++) {
        ck_assert_int_eq(ipcg_class_parse(ipcg_class_name(k)), k);
    }
    ck_assert_int_eq(ipcg_kind_parse("sysv-nope"), -1);
    memset(&a, 0, sizeof(a));
    a.kind = IPCG_SYSV_SEM;
    a.id = 32768;
    a.size = 1;
    a.ctime = 1000;
    b = a;
    ck_assert(ipcg_obj_same(&a, &b));
    ck_assert(ipcg_obj_continues(&a, &b));
    b.ctime = 1001;           /* a chown moves ctime: the same object goes on */
    ck_assert(!ipcg_obj_same(&a, &b));
    ck_assert(ipcg_obj_continues(&a, &b));
    b = a;
    b.size = 2;               /* a reused id with another size */
    ck_assert(!ipcg_obj_same(&a, &b));
    ck_assert(!ipcg_obj_continues(&a, &b));
    b = a;
    b.ctime = 999;            /* older than recorded: not a continuation */
    ck_assert(!ipcg_obj_continues(&a, &b));
    ck_assert_str_eq(ipcg_obj_slot(pool, &a), "sysv-sem:32768");
}
END_TEST

START_TEST(signature_sees_devshm_change)
{
    /* the kernel's summary of /dev/shm moves when a file is made, grows
     * or goes; two readings with nothing in between are the same */
    char *dir;
    ipcg_paths_t paths;
    ipcg_signature_t a, b, c;
    const char *f;

    dir = temp_dir("ipcg-unit-sig");
    paths.proc = "/proc";
    paths.devshm = dir;
    paths.beancounters = "";
    ipcg_scan_signature(pool, &paths, &a);
    ck_assert(a.read & (1 << IPCG_POSIX_SHM));
    ck_assert(a.read & (1 << IPCG_SYSV_SEM));   /* SEM_INFO answers */
    b = a;
    ck_assert(ipcg_signature_same(&a, &b));
    f = apr_pstrcat(pool, dir, "/made", NULL);
    write_text(f, "x");
    ipcg_scan_signature(pool, &paths, &b);
    c = a;          /* only /dev/shm compared: the host's SysV may move */
    memcpy(c.high, b.high, sizeof(c.high));
    memcpy(c.n1, b.n1, sizeof(c.n1));
    memcpy(c.n2, b.n2, sizeof(c.n2));
    memcpy(c.n3, b.n3, sizeof(c.n3));
    ck_assert_msg(!ipcg_signature_same(&c, &b),
                  "a file made in /dev/shm must change the signature");
    b.n1[IPCG_SYSV_SEM]++;
    c = b;
    c.n1[IPCG_SYSV_SEM]--;
    ck_assert(!ipcg_signature_same(&b, &c));   /* a set more or less */
    ck_assert_int_eq(unlink(f), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    paths.devshm = "/nonexistent-ipcg-dir";
    ipcg_scan_signature(pool, &paths, &c);
    ck_assert(!(c.read & (1 << IPCG_POSIX_SHM)));
}
END_TEST

START_TEST(obj_unchanged_asks_the_kernel)
{
    char *dir;
    ipcg_paths_t paths;
    ipcg_snapshot_t snap;
    ipcg_signature_t before, after;
    ipcg_obj_t rec, gone;
    const char *f;
    FILE *fp;

    dir = temp_dir("ipcg-unit-unch");
    paths.proc = "/proc";
    paths.devshm = dir;
    paths.beancounters = "";
    f = apr_pstrcat(pool, dir, "/seg", NULL);
    write_text(f, "1234");
    ipcg_snapshot_init(pool, &snap);
    ck_assert_int_eq(ipcg_scan_devshm(pool, &paths, &snap), APR_SUCCESS);
    ck_assert_int_eq(snap.objs->nelts, 1);
    rec = APR_ARRAY_IDX(snap.objs, 0, ipcg_obj_t);
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &rec), 1);
    fp = fopen(f, "a");             /* it grew */
    ck_assert_ptr_nonnull(fp);
    fputs("5678", fp);
    fclose(fp);
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &rec), 0);
    ipcg_scan_signature(pool, &paths, &before);
    ck_assert_int_eq(unlink(f), 0);  /* and went */
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &rec), 0);
    /* another file by the same name may get the same inode number on
     * some file systems, so the object alone cannot always tell; the
     * directory's times in the signature do (file system clocks tick in
     * jiffies: wait past one) */
    apr_sleep(apr_time_from_msec(30));
    write_text(f, "12345678");
    ipcg_scan_signature(pool, &paths, &after);
    ck_assert(before.devshm_mtime != after.devshm_mtime
              || before.devshm_ctime != after.devshm_ctime);
    ck_assert_int_eq(unlink(f), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    /* a SysV id that no set has: IPC_STAT says EINVAL, so gone */
    memset(&gone, 0, sizeof(gone));
    gone.kind = IPCG_SYSV_SEM;
    gone.id = 0x7ffffffe;
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &gone), 0);
    gone.kind = IPCG_SYSV_SHM;
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &gone), 0);
    gone.kind = IPCG_SYSV_MSG;
    ck_assert_int_eq(ipcg_obj_unchanged(pool, &paths, &gone), 0);
}
END_TEST

/* /proc/<pid>/stat of a fixture process with the given counters. */
static void fx_stat(const char *procdir, int pid, int minflt, int vsize)
{
    write_text(apr_psprintf(pool, "%s/%d/stat", procdir, pid),
               apr_psprintf(pool, "%d (httpd) S 1 %d %d 0 -1 4194560 %d 0 "
                            "0 0 5 6 0 0 20 0 1 0 4242 %d 300 "
                            "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
                            "17 1 0 0 0 0 0\n", pid, pid, pid, minflt, vsize));
}

START_TEST(proc_memo_reads_only_what_moved)
{
    char *dir;
    ipcg_paths_t paths;
    ipcg_proc_memo_t *m;
    ipcg_proc_t st, pr;
    apr_uint64_t reads, reused;
    const char *maps1 = "7f0000000000-7f0000004000 rw-s 00000000 00:01 9 "
                        "/dev/zero (deleted)\n";
    const char *maps2 = "7f0000000000-7f0000008000 rw-s 00000000 00:01 9 "
                        "/dev/zero (deleted)\n";

    dir = temp_dir("ipcg-unit-memo");
    paths.proc = apr_pstrcat(pool, dir, "/proc", NULL);
    paths.devshm = "/dev/shm";
    paths.beancounters = "";
    ck_assert_int_eq(mkdir(paths.proc, 0700), 0);
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, paths.proc, "/40", NULL), 0700),
                     0);
    fx_stat(paths.proc, 40, 100, 8192);
    write_text(apr_pstrcat(pool, paths.proc, "/40/status", NULL),
               "Name:\thttpd\nUid:\t0\t0\t0\t0\nRssShmem:\t     12 kB\n");
    write_text(apr_pstrcat(pool, paths.proc, "/40/maps", NULL), maps1);
    m = ipcg_proc_memo_create(pool);

    /* new: read */
    ck_assert_int_eq(ipcg_proc_read(pool, &paths, 40, IPCG_PROC_IDENTITY, &st),
                     APR_SUCCESS);
    ck_assert_uint_eq(st.minflt, 100);
    ck_assert_uint_eq(st.vsize, 8192);
    ck_assert_uint_eq(st.rss_pages, 300);
    ck_assert_int_eq(ipcg_proc_read_memo(pool, &paths, m, &st, &pr),
                     APR_SUCCESS);
    ck_assert_uint_eq(pr.shared_anon, 16384);
    ck_assert_uint_eq(pr.rss_shmem.v, 12 * 1024);
    ipcg_proc_memo_round(m, IPCG_MEMO_KEEP_READ);

    /* counters still: the last figures, maps not read (it changed
     * behind the counters' back, which only the backstop sees) */
    write_text(apr_pstrcat(pool, paths.proc, "/40/maps", NULL), maps2);
    ck_assert_int_eq(ipcg_proc_read(pool, &paths, 40, IPCG_PROC_IDENTITY, &st),
                     APR_SUCCESS);
    ck_assert_int_eq(ipcg_proc_read_memo(pool, &paths, m, &st, &pr),
                     APR_SUCCESS);
    ck_assert_uint_eq(pr.shared_anon, 16384);
    ipcg_proc_memo_counts(m, &reads, &reused);
    ck_assert_uint_eq(reads, 1);
    ck_assert_uint_eq(reused, 1);
    ipcg_proc_memo_round(m, IPCG_MEMO_KEEP_READ);

    /* a counter moved: read again */
    fx_stat(paths.proc, 40, 101, 16384);
    ck_assert_int_eq(ipcg_proc_read(pool, &paths, 40, IPCG_PROC_IDENTITY, &st),
                     APR_SUCCESS);
    ck_assert_int_eq(ipcg_proc_read_memo(pool, &paths, m, &st, &pr),
                     APR_SUCCESS);
    ck_assert_uint_eq(pr.shared_anon, 32768);
    ipcg_proc_memo_round(m, IPCG_MEMO_KEEP_READ);

    /* the backstop forgets every process: read again though still */
    write_text(apr_pstrcat(pool, paths.proc, "/40/maps", NULL), maps1);
    ipcg_proc_memo_round(m, IPCG_MEMO_FORGET_ALL);
    ck_assert_int_eq(ipcg_proc_read_memo(pool, &paths, m, &st, &pr),
                     APR_SUCCESS);
    ck_assert_uint_eq(pr.shared_anon, 16384);
    ipcg_proc_memo_round(m, IPCG_MEMO_KEEP_READ);

    /* a process not seen in a round is forgotten */
    ipcg_proc_memo_round(m, IPCG_MEMO_KEEP_READ);
    ck_assert_int_eq(ipcg_proc_read_memo(pool, &paths, m, &st, &pr),
                     APR_SUCCESS);
    ipcg_proc_memo_counts(m, &reads, &reused);
    ck_assert_uint_eq(reads, 4);
    ck_assert_uint_eq(reused, 1);
    ck_assert_int_eq(system(apr_pstrcat(pool, "rm -rf ", dir, NULL)), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parse");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, sysv_sem_real_capture);
    ADD_TEST(tc, sysv_shm_and_msg_real_capture);
    ADD_TEST(tc, snapshot_in_a_buffer);
    ADD_TEST(tc, sysv_line_flags_and_old_format);
    ADD_TEST(tc, sysv_hostile_lines);
    ADD_TEST(tc, sysv_short_lines);
    ADD_TEST(tc, sysv_shm_junk_swap);
    ADD_TEST(tc, sysv_table_counts_bad_lines_and_goes_on);
    ADD_TEST(tc, sysv_table_read_in_pieces);
    ADD_TEST(tc, devshm_listing);
    ADD_TEST(tc, limits_from_fixture);
    ADD_TEST(tc, kernel_sem_and_meminfo);
    ADD_TEST(tc, meminfo_blank_shmem);
    ADD_TEST(tc, beancounters);
    ADD_TEST(tc, proc_stat_status_maps);
    ADD_TEST(tc, posix_users_many_mappings);
    ADD_TEST(tc, proc_born_from_btime);
    ADD_TEST(tc, proc_tree_and_liveness);
    ADD_TEST(tc, signature_sees_devshm_change);
    ADD_TEST(tc, obj_unchanged_asks_the_kernel);
    ADD_TEST(tc, proc_memo_reads_only_what_moved);
    ADD_TEST(tc, zombie_is_dead);
    ADD_TEST(tc, numbers_and_files);
    ADD_TEST(tc, files_of_every_size);
    ADD_TEST(tc, proc_maps_in_runs);
    ADD_TEST(tc, report_procs_from_a_tree);
    ADD_TEST(tc, conf_values);
    ADD_TEST(tc, names_and_identity);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
