/* Unit tests of the state file: round trips, malformed and truncated
 * input, the reader's refusals, the atomic writer. */

#include <sys/stat.h>
#include <unistd.h>

#include "ipcguard/ipcg_state.h"
#include "ipcg_check.h"

static char dir[64];

static void dir_setup(void)
{
    pool_setup();
    strcpy(dir, "/tmp/ipcg-unit-state.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    chmod(dir, 0700);
}

static void dir_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    pool_teardown();
}

static ipcg_state_t sample(int nobjs)
{
    ipcg_state_t st;
    int i;

    memset(&st, 0, sizeof(st));
    st.pid = 2975;
    st.starttime = 1154008;
    st.pgrp = 2975;
    st.session = 2975;
    strcpy(st.boot_id, "0eda0a3b-0c11-4e3f-a27a-089b4d4ab101");
    st.run_uid = 33;
    st.run_gid = 33;
    st.started = 1795360973;
    st.written = 1795360980;
    st.generation = 3;
    st.pidfile = "/run/apache2/apache2.pid";
    ipcg_state_instance_id(st.pidfile, st.instance);
    st.objs = apr_array_make(pool, nobjs + 1, sizeof(ipcg_obj_t));
    for (i = 0; i < nobjs; i++) {
        ipcg_obj_t *o = apr_array_push(st.objs);
        memset(o, 0, sizeof(*o));
        o->kind = (ipcg_kind_e)(i % IPCG_KIND_COUNT);
        o->id = (o->kind >= IPCG_POSIX_SHM) ? -1 : 32768 + i;
        o->key = (i % 3 == 0) ? 0 : -515510167 + i;
        o->mode = 0600;
        o->uid = o->gid = 33;
        o->size = (apr_uint64_t)i + 1;
        o->ctime = 1795360973 + i;
        o->phase = (ipcg_phase_e)(1 + i % 6);
        o->cls = (ipcg_class_e)(i % 2);
        o->owner_pid = 2975;
        strcpy(o->module, i % 2 ? "mod_rewrite.c" : "core");
        if (o->kind >= IPCG_POSIX_SHM) {
            static const char *names[] = {
                "ShM.6b70438aHf41e5652", "<img src=x onerror=alert(1)>",
                "new\nline\xff", "a=b%c d", "sem.apache"
            };
            strcpy(o->name, names[i % 5]);
            o->ino = 1000 + (apr_uint64_t)i;
        }
    }
    return st;
}

START_TEST(round_trip_byte_for_byte)
{
    static const int sizes[] = { 0, 1, 7, 1000 };
    int k;

    for (k = 0; k < 4; k++) {
        ipcg_state_t st = sample(sizes[k]), back;
        apr_size_t len, len2;
        const char *why = NULL;
        char *text = ipcg_state_format(pool, &st, &len);
        char *again;
        int i;

        ck_assert_msg(ipcg_state_parse(pool, text, len, &back, &why)
                      == APR_SUCCESS, "parse failed: %s", why);
        again = ipcg_state_format(pool, &back, &len2);
        ck_assert_uint_eq(len, len2);
        ck_assert_msg(memcmp(text, again, len) == 0, "not byte for byte");
        ck_assert_int_eq(back.objs->nelts, sizes[k]);
        ck_assert_int_eq(back.pid, 2975);
        ck_assert_str_eq(back.pidfile, "/run/apache2/apache2.pid");
        for (i = 0; i < sizes[k]; i++) {
            const ipcg_obj_t *a = &APR_ARRAY_IDX(st.objs, i, ipcg_obj_t);
            const ipcg_obj_t *b = &APR_ARRAY_IDX(back.objs, i, ipcg_obj_t);
            ck_assert_str_eq(a->name, b->name);
            ck_assert_str_eq(a->module, b->module);
            ck_assert(ipcg_obj_same(a, b));
            ck_assert_int_eq(a->phase, b->phase);
            ck_assert_int_eq(a->cls, b->cls);
        }
    }
}
END_TEST

/* Replace the first @a from in @a text by @a to, and fix nothing else. */
static char *edit(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    ck_assert_ptr_nonnull(at);
    return apr_pstrcat(pool, apr_pstrndup(pool, text, (apr_size_t)(at - text)),
                       to, at + strlen(from), NULL);
}

START_TEST(malformed_input_is_refused_with_the_line)
{
    ipcg_state_t st = sample(3), back;
    apr_size_t len;
    char *text = ipcg_state_format(pool, &st, &len);
    const char *why;
    struct { const char *from, *to, *expect; } cases[] = {
        { "ipcguard-state 1", "ipcguard-state 2", "line 1: unsupported version" },
        { "pid 2975", "pid x", "line 4: bad value for pid" },
        { "pid 2975", "pid 99999999999", "line 4: bad value for pid" },
        { "run_uid 33", "run_uid -1", "line 9: bad value for run_uid" },
        { "kind=sysv-sem", "kind=sysv-xyz", "line 14: unknown kind" },
        { "phase=pre_config", "phase=later", "unknown phase" },
        { "key=0", "key=4294967296", "bad value for key" },
        { "mode=0600", "mode=0900", "bad value for mode" },
        { "module=core", "module=co%2", "bad value for module" },
        { "instance ", "instanc ", "line 2: expected instance" },
        { "\nend 3 ", "\nobj kind=sysv-sem\nend 3 ", "line 17: missing fields" },
        { "\nend 3 ", "\nwhat 1\nend 3 ", "unknown record 'what'" },
        { "end 3 ", "end 4 ", "object count does not match" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* the line is refused before the checksum at the end is read */
        char *bad = edit(text, cases[i].from, cases[i].to);
        why = NULL;
        ck_assert_msg(ipcg_state_parse(pool, bad, strlen(bad), &back, &why)
                      != APR_SUCCESS, "accepted case %d", (int)i);
        ck_assert_msg(why && strstr(why, cases[i].expect) != NULL,
                      "case %d: expected '%s', got '%s'", (int)i,
                      cases[i].expect, why ? why : "(null)");
    }
    /* any edit breaks the checksum, even one that parses */
    {
        char *bad = edit(text, "size=1 ", "size=2 ");
        ck_assert_int_ne(ipcg_state_parse(pool, bad, strlen(bad), &back, &why),
                         APR_SUCCESS);
        ck_assert_ptr_nonnull(strstr(why, "checksum mismatch"));
    }
    /* data after the end line */
    {
        char *bad = apr_pstrcat(pool, text, "obj x\n", NULL);
        ck_assert_int_ne(ipcg_state_parse(pool, bad, strlen(bad), &back, &why),
                         APR_SUCCESS);
        ck_assert_ptr_nonnull(strstr(why, "data after the end line"));
    }
    /* a NUL byte */
    {
        char *bad = apr_pmemdup(pool, text, len);
        bad[10] = '\0';
        ck_assert_int_ne(ipcg_state_parse(pool, bad, len, &back, &why),
                         APR_SUCCESS);
    }
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    ipcg_state_t st = sample(5), back;
    apr_size_t len, n;
    char *text = ipcg_state_format(pool, &st, &len);
    const char *why;

    for (n = 0; n < len; n++) {
        ck_assert_msg(ipcg_state_parse(pool, text, n, &back, &why)
                      != APR_SUCCESS, "a prefix of %d bytes parsed", (int)n);
    }
    ck_assert_int_eq(ipcg_state_parse(pool, text, len, &back, &why),
                     APR_SUCCESS);
}
END_TEST

START_TEST(write_then_read)
{
    ipcg_state_t st = sample(12), back;
    const char *path = ipcg_state_path(pool, dir, st.instance);
    const char *why = NULL;
    struct stat sb;
    apr_array_header_t *all;
    int refused;

    ck_assert_int_eq(ipcg_state_write(pool, path, &st, &why), APR_SUCCESS);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0600);
    ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &back, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(back.objs->nelts, 12);
    ck_assert_int_eq(ipcg_state_list(pool, dir, geteuid(), &all, &refused),
                     APR_SUCCESS);
    ck_assert_int_eq(all->nelts, 1);
    ck_assert_int_eq(refused, 0);
    /* no temp file left behind */
    {
        apr_dir_t *d;
        apr_finfo_t f;
        int files = 0;
        apr_dir_open(&d, dir, pool);
        while (apr_dir_read(&f, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (strcmp(f.name, ".") && strcmp(f.name, "..")) {
                files++;
            }
        }
        apr_dir_close(d);
        ck_assert_int_eq(files, 1);
    }
    ck_assert_int_eq(ipcg_state_remove(pool, path), APR_SUCCESS);
    ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &back, &why),
                     APR_ENOENT);
    ck_assert_str_eq(why, "no state file");
    /* a failed write (no such directory) leaves nothing */
    ck_assert_int_ne(ipcg_state_write(pool, apr_pstrcat(pool, dir,
                                      "/missing/x.state", NULL), &st, &why),
                     APR_SUCCESS);
}
END_TEST

START_TEST(unsafe_files_are_refused)
{
    ipcg_state_t st = sample(2), back;
    const char *path = ipcg_state_path(pool, dir, st.instance);
    const char *link = apr_pstrcat(pool, dir, "/link.state", NULL);
    const char *why;

    ck_assert_int_eq(ipcg_state_write(pool, path, &st, &why), APR_SUCCESS);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(ipcg_state_read(pool, link, geteuid(), &back, &why),
                     APR_EACCES);
    ck_assert_str_eq(why, "is a symbolic link");
    unlink(link);

    chmod(path, 0620);
    ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &back, &why),
                     APR_EACCES);
    ck_assert_ptr_nonnull(strstr(why, "group- or world-writable"));
    chmod(path, 0602);
    ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &back, &why),
                     APR_EACCES);
    chmod(path, 0600);

    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 65534), 0);
        ck_assert_int_eq(ipcg_state_read(pool, path, 0, &back, &why),
                         APR_EACCES);
        ck_assert_ptr_nonnull(strstr(why, "owned by uid 65534, not root"));
        ck_assert_int_eq(chown(path, 0, 0), 0);
    }
    /* a group-writable directory makes any file in it untrustworthy */
    chmod(dir, 0770);
    ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &back, &why),
                     APR_EACCES);
    ck_assert_ptr_nonnull(strstr(why, "group- or world-writable"));
    chmod(dir, 0700);

    /* a directory where the file should be */
    ck_assert_int_eq(mkdir(apr_pstrcat(pool, dir, "/d.state", NULL), 0700), 0);
    ck_assert_int_eq(ipcg_state_read(pool, apr_pstrcat(pool, dir, "/d.state",
                                                       NULL),
                                     geteuid(), &back, &why), APR_EACCES);
    rmdir(apr_pstrcat(pool, dir, "/d.state", NULL));

    /* too large */
    {
        const char *big = apr_pstrcat(pool, dir, "/big.state", NULL);
        FILE *f = fopen(big, "w");
        ck_assert_int_eq(ftruncate(fileno(f), IPCG_STATE_MAX_BYTES + 1), 0);
        fclose(f);
        chmod(big, 0600);
        ck_assert_int_eq(ipcg_state_read(pool, big, geteuid(), &back, &why),
                         APR_EACCES);
        ck_assert_ptr_nonnull(strstr(why, "too large"));
        unlink(big);
    }
}
END_TEST

START_TEST(state_dir_checks)
{
    const char *sub = apr_pstrcat(pool, dir, "/new/state", NULL);
    const char *why = NULL;
    struct stat sb;

    ck_assert_int_eq(ipcg_state_dir_ensure(pool, sub, geteuid(), &why),
                     APR_SUCCESS);
    ck_assert_int_eq(stat(sub, &sb), 0);
    ck_assert_uint_eq(sb.st_mode & 07777, 0700);
    chmod(sub, 0777);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, sub, geteuid(), &why),
                     APR_EACCES);
    ck_assert_ptr_nonnull(strstr(why, "group- or world-writable"));
    ck_assert_int_eq(symlink(sub, apr_pstrcat(pool, dir, "/ln", NULL)), 0);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, apr_pstrcat(pool, dir, "/ln",
                                                             NULL),
                                           geteuid(), &why), APR_EACCES);
}
END_TEST

START_TEST(instance_ids)
{
    char a[17], b[17];

    ipcg_state_instance_id("/run/apache2/apache2.pid", a);
    ipcg_state_instance_id("/run/apache2/apache2.pid", b);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(strlen(a), 16);
    ipcg_state_instance_id("/run/apache2-other/apache2.pid", b);
    ck_assert_str_ne(a, b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("state");
    TCase *tc = tcase_create("state");

    tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
    ADD_TEST(tc, round_trip_byte_for_byte);
    ADD_TEST(tc, malformed_input_is_refused_with_the_line);
    ADD_TEST(tc, every_truncation_is_refused);
    ADD_TEST(tc, write_then_read);
    ADD_TEST(tc, unsafe_files_are_refused);
    ADD_TEST(tc, state_dir_checks);
    ADD_TEST(tc, instance_ids);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
