/* Unit tests of the state file (src/ipcg_state.c): the format byte for
 * byte, the strict parser against every malformed input, the atomic
 * write and the reader's refusals. Fixtures: t/fixtures/state/, where
 * every bad_X.state comes with bad_X.why, the exact message expected.
 *
 *   make build/test_state && build/test_state
 *   CK_FORK=no valgrind --leak-check=full --error-exitcode=1 build/test_state
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_portable.h>

#include "ipcg_check.h"

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_state.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* FNV-1a 64, written again here so that the checksum is checked against
 * an implementation other than the one under test. */
static const char *fnv_hex(const char *s, apr_size_t len)
{
    apr_uint64_t h = APR_UINT64_C(0xcbf29ce484222325);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= APR_UINT64_C(0x100000001b3);
    }
    return apr_psprintf(pool, "%016" APR_UINT64_T_HEX_FMT, h);
}

static const char *const mods[6][2] = {
    { "prefork.c", "open_logs" },
    { "mod_auth_digest.c", "post_config" },
    { "mod_proxy.c", "post_config" },
    { "mod_proxy_balancer.c", "post_config" },
    { "mod_rewrite.c", "post_config" },
    { "mod_cache_socache.c", "post_config" }
};

/* The state of t/fixtures/state/valid_typical.state: the six semaphore
 * sets of `Mutex sysvsem` (SPEC §3), or @a n objects like them. */
static ipcg_state_t make_state(int n)
{
    ipcg_state_t st;
    int i;

    memset(&st, 0, sizeof(st));
    st.pidfile = "/run/apache2/apache2.pid";
    ipcg_state_instance_id(st.pidfile, st.instance);
    st.pid = 2975;
    st.starttime = 123456;
    st.pgrp = 2975;
    st.session = 2975;
    strcpy(st.boot_id, "0d6c2f1e-4a5b-4c3d-9e8f-7a6b5c4d3e2f");
    st.run_uid = 33;
    st.run_gid = 33;
    st.started = 1763800000;
    st.written = 1763800123;
    st.generation = 0;
    st.objs = apr_array_make(pool, n, sizeof(ipcg_obj_t));
    for (i = 0; i < n; i++) {
        ipcg_obj_t *o = apr_array_push(st.objs);
        memset(o, 0, sizeof(*o));
        o->kind = IPCG_SYSV_SEM;
        o->id = 32768 + i;
        o->key = 0;
        o->mode = 0600;
        o->uid = o->gid = 33;
        o->size = 1;
        o->ctime = 1763800001 + i;
        o->owner_pid = 2975;
        o->phase = (ipcg_phase_e)ipcg_phase_parse(mods[i % 6][1]);
        o->cls = IPCG_CLASS_INSTANCE;
        ipcg_strlcpy(o->module, mods[i % 6][0], sizeof(o->module));
        /* live values, not part of the file */
        o->nattch = 7;
        o->lpid = 99;
        o->otime = 5;
        o->rss = 4096;
    }
    return st;
}

/* NULL if @a a and @a b agree on every field the file holds, else the
 * first that differs. */
static const char *state_diff(const ipcg_state_t *a, const ipcg_state_t *b)
{
    int i;

#define D(f) if (a->f != b->f) return #f
    D(pid); D(starttime); D(pgrp); D(session); D(run_uid); D(run_gid);
    D(started); D(written); D(generation);
    if (strcmp(a->boot_id, b->boot_id)) return "boot_id";
    if (strcmp(a->instance, b->instance)) return "instance";
    if (strcmp(a->pidfile ? a->pidfile : "", b->pidfile ? b->pidfile : ""))
        return "pidfile";
    if (a->objs->nelts != b->objs->nelts) return "number of objects";
    for (i = 0; i < a->objs->nelts; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(a->objs, i, ipcg_obj_t);
        const ipcg_obj_t *y = &APR_ARRAY_IDX(b->objs, i, ipcg_obj_t);
#undef D
#define D(f) if (x->f != y->f) return apr_psprintf(pool, "obj %d " #f, i)
        D(kind); D(id); D(key); D(mode); D(uid); D(gid); D(cuid); D(cgid);
        D(size); D(ctime); D(ino); D(cpid); D(owner_pid); D(phase); D(cls);
        if (strcmp(x->module, y->module))
            return apr_psprintf(pool, "obj %d module", i);
        if (strcmp(x->name, y->name))
            return apr_psprintf(pool, "obj %d name", i);
    }
#undef D
    return NULL;
}

/* format, parse, format again: the same state and the same bytes */
static void check_round_trip(const ipcg_state_t *st)
{
    apr_size_t len, len2;
    char *text = ipcg_state_format(pool, st, &len);
    char *text2;
    ipcg_state_t back;
    const char *why = NULL, *diff;

    ck_assert_uint_eq(len, strlen(text));
    ck_assert_msg(ipcg_state_parse(pool, text, len, &back, &why)
                  == APR_SUCCESS, "own output refused: %s", why);
    diff = state_diff(st, &back);
    ck_assert_msg(diff == NULL, "%s differs after a round trip", diff);
    text2 = ipcg_state_format(pool, &back, &len2);
    ck_assert_uint_eq(len, len2);
    ck_assert_msg(memcmp(text, text2, len) == 0,
                  "format(parse(text)) != text");
}

/* Every proper prefix of @a text must be refused with a line number. */
static void check_prefixes_refused(const char *text, apr_size_t len,
                                   const char *what)
{
    apr_pool_t *sub;
    apr_size_t n;

    apr_pool_create(&sub, pool);
    for (n = 0; n < len; n++) {
        ipcg_state_t st;
        const char *why = NULL;
        apr_status_t rv = ipcg_state_parse(sub, text, n, &st, &why);
        ck_assert_msg(rv != APR_SUCCESS, "%s: the first %lu of %lu bytes "
                      "were accepted", what, (unsigned long)n,
                      (unsigned long)len);
        ck_assert_msg(why != NULL && strncmp(why, "line ", 5) == 0,
                      "%s: prefix of %lu bytes refused without a line "
                      "number: %s", what, (unsigned long)n,
                      why ? why : "(null)");
        apr_pool_clear(sub);
    }
    apr_pool_destroy(sub);
}

static char *slurp(const char *path, apr_size_t *len)
{
    char *text = NULL;
    apr_status_t rv = ipcg_read_file(pool, path, 64u * 1024 * 1024, &text,
                                     len);
    ck_assert_msg(rv == APR_SUCCESS, "cannot read %s", path);
    return text;
}

/* ------------------------------------------------------------------ */
/* Format and round trips                                               */

START_TEST(instance_id_is_fnv1a64)
{
    char id[17];

    ipcg_state_instance_id("", id);
    ck_assert_str_eq(id, "cbf29ce484222325");
    ipcg_state_instance_id("a", id);
    ck_assert_str_eq(id, "af63dc4c8601ec8c");
    ck_assert(ipcg_fnv1a("a", 1) == APR_UINT64_C(0xaf63dc4c8601ec8c));
    ck_assert_str_eq(apr_psprintf(pool, "%016" APR_UINT64_T_HEX_FMT,
                                  ipcg_fnv1a("a dir", 5)),
                     fnv_hex("a dir", 5));
    ipcg_state_instance_id("/run/apache2/apache2.pid", id);
    ck_assert_str_eq(id, "bc7045905060d308");
    ck_assert_str_eq(ipcg_state_path(pool, "/run/ipcguard", id),
                     "/run/ipcguard/bc7045905060d308.state");
}
END_TEST

START_TEST(format_matches_golden_file)
{
    ipcg_state_t st = make_state(6);
    apr_size_t len, glen;
    char *text = ipcg_state_format(pool, &st, &len);
    char *golden = slurp(fixture("state/valid_typical.state"), &glen);

    ck_assert_msg(len == glen && memcmp(text, golden, len) == 0,
                  "format() output differs from valid_typical.state:\n%s",
                  text);
    /* the checksum is FNV-1a 64 of everything before the end line */
    ck_assert_ptr_nonnull(strstr(text, apr_psprintf(pool, "\nend 6 %s\n",
        fnv_hex(text, (apr_size_t)(strstr(text, "\nend ") + 1 - text)))));
}
END_TEST

START_TEST(round_trip_no_objects)
{
    ipcg_state_t st = make_state(0);
    apr_size_t len;
    char *text;

    check_round_trip(&st);
    text = ipcg_state_format(pool, &st, &len);
    ck_assert_ptr_nonnull(strstr(text, "\ngeneration 0\nend 0 "));
    check_prefixes_refused(text, len, "no objects");
    /* objs NULL and pidfile NULL are formatted as none */
    st.objs = NULL;
    st.pidfile = NULL;
    text = ipcg_state_format(pool, &st, &len);
    ck_assert_ptr_nonnull(strstr(text, "\npidfile \n"));
    ck_assert_ptr_nonnull(strstr(text, "\nend 0 "));
}
END_TEST

START_TEST(round_trip_hostile_strings)
{
    static const char *const names[] = {
        "<img src=x onerror=alert(1)>", "<script>alert('x')<\\script>",
        "line1\nline2", "cr\rlf\r\n", "tab\tbell\a\x1b[31m", "\xff\xfe\x80",
        "\xc3\xa9t\xc3\xa9 \xe2\x98\x83", " ", "%", "=", "%41", "%%==",
        "a=b c=d", "\x7f\x01\x1f", "...", ".x", "sem.\"quoted\"", "&amp;"
    };
    ipcg_state_t st = make_state(0);
    char longname[IPCG_NAME_MAX], longmod[IPCG_MODULE_MAX];
    apr_size_t i, len;
    ipcg_obj_t *o;
    char *text;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        o = apr_array_push(st.objs);
        memset(o, 0, sizeof(*o));
        o->kind = (i % 2) ? IPCG_POSIX_SEM : IPCG_POSIX_SHM;
        o->id = -1;
        o->ino = i + 1;
        ipcg_strlcpy(o->name, names[i], sizeof(o->name));
        ipcg_strlcpy(o->module, names[sizeof(names) / sizeof(names[0]) - 1
                                      - i], sizeof(o->module));
    }
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    memset(longmod, '\xe9', sizeof(longmod) - 1);
    longmod[sizeof(longmod) - 1] = '\0';
    o = apr_array_push(st.objs);
    memset(o, 0, sizeof(*o));
    o->kind = IPCG_POSIX_SHM;
    o->id = -1;
    strcpy(o->name, longname);
    strcpy(o->module, longmod);
    o = apr_array_push(st.objs);       /* SysV: empty name and module */
    memset(o, 0, sizeof(*o));
    st.pidfile = "/tmp/a dir/\xff%=\n<b>.pid";
    strcpy(st.boot_id, " %=\t\n");
    check_round_trip(&st);

    text = ipcg_state_format(pool, &st, &len);
    ck_assert_ptr_nonnull(strstr(text,
        " name=<img%20src%3Dx%20onerror%3Dalert(1)>\n"));
    ck_assert_ptr_nonnull(strstr(text, " name=line1%0Aline2\n"));
    ck_assert_ptr_nonnull(strstr(text, " name=%FF%FE%80\n"));
    ck_assert_ptr_nonnull(strstr(text, " name=%2541\n"));
    ck_assert_ptr_nonnull(strstr(text, "\npidfile /tmp/a%20dir/%FF%25%3D%0A"
                                       "<b>.pid\n"));
    ck_assert_ptr_nonnull(strstr(text, "\nboot_id %20%25%3D%09%0A\n"));
    /* one record per line whatever the names hold */
    {
        apr_size_t lines = 0, j;
        for (j = 0; j < len; j++) {
            lines += text[j] == '\n';
        }
        ck_assert_uint_eq(lines, 13 + (apr_size_t)st.objs->nelts + 1);
    }
    check_prefixes_refused(text, len, "hostile names");
}
END_TEST

START_TEST(round_trip_extremes)
{
    ipcg_state_t st = make_state(0);
    int k, ph, c;

    st.pid = APR_INT64_C(2147483647);
    st.starttime = APR_UINT64_MAX;
    st.pgrp = st.session = 0;
    st.run_uid = st.run_gid = APR_UINT32_MAX;
    st.started = APR_INT64_MIN;
    st.written = APR_INT64_MAX;
    st.generation = APR_UINT64_MAX;
    memset(st.boot_id, 'b', sizeof(st.boot_id) - 1);
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        for (ph = 0; ph < IPCG_PHASE_COUNT; ph++) {
            for (c = 0; c < IPCG_CLASS_COUNT; c++) {
                ipcg_obj_t *o = apr_array_push(st.objs);
                int posix = k == IPCG_POSIX_SHM || k == IPCG_POSIX_SEM;
                memset(o, 0, sizeof(*o));
                o->kind = (ipcg_kind_e)k;
                o->phase = (ipcg_phase_e)ph;
                o->cls = (ipcg_class_e)c;
                o->id = posix ? -1 : (c ? APR_INT64_C(2147483647) : 0);
                o->key = c == 0 ? APR_INT32_MIN : c == 1 ? APR_INT32_MAX : -1;
                o->mode = c == 0 ? 0 : c == 1 ? 07777 : 01600;
                o->uid = o->gid = o->cuid = o->cgid = c ? APR_UINT32_MAX : 0;
                o->size = c ? APR_UINT64_MAX : 0;
                o->ino = c ? APR_UINT64_MAX : 0;
                o->ctime = c == 0 ? APR_INT64_MIN : c == 1 ? APR_INT64_MAX
                                                          : -1;
                o->cpid = o->owner_pid = c ? APR_INT64_C(2147483647) : 0;
                ipcg_strlcpy(o->module, "unknown", sizeof(o->module));
                if (posix) {
                    apr_snprintf(o->name, sizeof(o->name), "n%d.%d.%d", k, ph,
                                 c);
                }
            }
        }
    }
    check_round_trip(&st);
}
END_TEST

START_TEST(round_trip_1000_objects)
{
    ipcg_state_t st = make_state(1000);
    int i;

    for (i = 0; i < 1000; i += 3) {
        ipcg_obj_t *o = &APR_ARRAY_IDX(st.objs, i, ipcg_obj_t);
        o->kind = IPCG_POSIX_SHM;
        o->id = -1;
        o->ino = (apr_uint64_t)i * 7919;
        apr_snprintf(o->name, sizeof(o->name), "ShM.%d <x=%d>\n", i, i);
    }
    check_round_trip(&st);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed input: each case edits the valid six-object text           */

/* Lines of the base text: 1 version, 2 instance, 3 pidfile, 4 pid,
 * 5 starttime, 6 pgrp, 7 session, 8 boot_id, 9 run_uid, 10 run_gid,
 * 11 started, 12 written, 13 generation, 14..19 obj, 20 end. */
typedef struct {
    int line;            /* line of the body to edit (1-based) */
    char op;             /* R replace, I insert before, D delete,
                          * S substitute a for b within the line, 0 none */
    const char *a, *b;
    const char *end;     /* the end line, NULL: a correct one; "{count}"
                          * and "{sum}" are the correct values */
    const char *tail;    /* appended after the end line */
    const char *why;     /* the message expected, exactly */
} mut_t;

#define OBJ14 "obj kind=sysv-sem id=32768 key=0 mode=0600 uid=33 gid=33 " \
              "cuid=0 cgid=0 size=1 ctime=1763800001 ino=0 cpid=0 "      \
              "owner_pid=2975 phase=open_logs class=instance "           \
              "module=prefork.c name="
#define POSIX14 "obj kind=posix-shm id=-1 key=0 mode=0600 uid=33 gid=33 " \
                "cuid=0 cgid=0 size=1 ctime=1763800001 ino=5 cpid=0 "    \
                "owner_pid=2975 phase=runtime class=instance "           \
                "module=unknown name="

static const mut_t muts[] = {
    /* the version line */
    { 1, 'R', "ipcguard-state 2", 0, 0, 0,
      "line 1: unsupported version 2 (this reader knows 1)" },
    { 1, 'R', "ipcguard-state 0", 0, 0, 0,
      "line 1: unsupported version 0 (this reader knows 1)" },
    { 1, 'R', "ipcguard-state 01", 0, 0, 0,
      "line 1: bad value for version (leading zero)" },
    { 1, 'R', "ipcguard-state 1 ", 0, 0, 0,
      "line 1: bad value for version (not a number)" },
    { 1, 'R', "ipcguard-state", 0, 0, 0,
      "line 1: not an ipcguard state file (expected 'ipcguard-state 1')" },
    { 1, 'R', "IPCGUARD-STATE 1", 0, 0, 0,
      "line 1: not an ipcguard state file (expected 'ipcguard-state 1')" },
    { 1, 'D', 0, 0, 0, 0,
      "line 1: not an ipcguard state file (expected 'ipcguard-state 1')" },
    { 1, 'I', "", 0, 0, 0,
      "line 1: not an ipcguard state file (expected 'ipcguard-state 1')" },
    { 14, 'I', "ipcguard-state 1", 0, 0, 0,
      "line 14: duplicate header line 'ipcguard-state'" },
    /* header lines: missing, duplicate, unknown, out of order */
    { 2, 'D', 0, 0, 0, 0,
      "line 2: missing header line 'instance' (found 'pidfile')" },
    { 8, 'D', 0, 0, 0, 0,
      "line 8: missing header line 'boot_id' (found 'run_uid')" },
    { 13, 'D', 0, 0, 0, 0,
      "line 13: missing header line 'generation' (found 'obj')" },
    { 5, 'I', "pid 2975", 0, 0, 0, "line 5: duplicate header line 'pid'" },
    { 14, 'I', "pid 2975", 0, 0, 0, "line 14: duplicate header line 'pid'" },
    { 20, 'I', "generation 1", 0, 0, 0,
      "line 20: duplicate header line 'generation'" },
    { 4, 'I', "starttime 1", 0, 0, 0,
      "line 4: missing header line 'pid' (found 'starttime')" },
    { 3, 'I', "colour <red>", 0, 0, 0, "line 3: unknown key 'colour'" },
    { 17, 'I', "object kind=sysv-sem", 0, 0, 0,
      "line 17: unknown key 'object'" },
    { 15, 'I', "\x1b[2Jevil\xff", 0, 0, 0,
      "line 15: unknown key '%1B[2Jevil%FF'" },
    { 14, 'I', "", 0, 0, 0,
      "line 14: empty line or line starting with a space" },
    { 14, 'I', " obj", 0, 0, 0,
      "line 14: empty line or line starting with a space" },
    /* header values */
    { 2, 'R', "instance BC7045905060D308", 0, 0, 0,
      "line 2: bad value for instance (not 16 lower-case hex digits)" },
    { 2, 'R', "instance bc70459050", 0, 0, 0,
      "line 2: bad value for instance (not 16 lower-case hex digits)" },
    { 2, 'R', "instance bc7045905060d308 ", 0, 0, 0,
      "line 2: bad value for instance (not 16 lower-case hex digits)" },
    { 3, 'R', "pidfile /run/a b", 0, 0, 0,
      "line 3: unescaped byte 0x20 in pidfile" },
    { 3, 'R', "pidfile /run/a\tb", 0, 0, 0,
      "line 3: unescaped byte 0x09 in pidfile" },
    { 3, 'R', "pidfile /run/\x80", 0, 0, 0,
      "line 3: unescaped byte 0x80 in pidfile" },
    { 3, 'R', "pidfile /run/a=b", 0, 0, 0,
      "line 3: unescaped byte 0x3D in pidfile" },
    { 3, 'R', "pidfile /run/a%00", 0, 0, 0, "line 3: NUL byte in pidfile" },
    { 3, 'R', "pidfile /run/a%2", 0, 0, 0,
      "line 3: bad percent-escape in pidfile" },
    { 3, 'R', "pidfile /run/a%", 0, 0, 0,
      "line 3: bad percent-escape in pidfile" },
    { 3, 'R', "pidfile /run/a%g0", 0, 0, 0,
      "line 3: bad percent-escape in pidfile" },
    { 3, 'R', "pidfile /run/a%0a", 0, 0, 0,
      "line 3: bad percent-escape in pidfile" },
    { 3, 'R', "pidfile /run/%41", 0, 0, 0,
      "line 3: bad percent-escape in pidfile (%41 stands for 'A', which is "
      "written as it is)" },
    { 4, 'R', "pid", 0, 0, 0, "line 4: no value for pid" },
    { 4, 'R', "pid ", 0, 0, 0, "line 4: bad value for pid (not a number)" },
    { 4, 'R', "pid 29x5", 0, 0, 0,
      "line 4: bad value for pid (not a number)" },
    { 4, 'R', "pid +2975", 0, 0, 0,
      "line 4: bad value for pid (not a number)" },
    { 4, 'R', "pid  2975", 0, 0, 0,
      "line 4: bad value for pid (not a number)" },
    { 4, 'R', "pid 2975\r", 0, 0, 0,
      "line 4: bad value for pid (not a number)" },
    { 4, 'R', "pid 02975", 0, 0, 0,
      "line 4: bad value for pid (leading zero)" },
    { 4, 'R', "pid 0", 0, 0, 0, "line 4: bad value for pid (out of range)" },
    { 4, 'R', "pid -1", 0, 0, 0, "line 4: bad value for pid (out of range)" },
    { 4, 'R', "pid 2147483648", 0, 0, 0,
      "line 4: bad value for pid (out of range)" },
    { 4, 'R', "pid 99999999999999999999999", 0, 0, 0,
      "line 4: bad value for pid (out of range)" },
    { 5, 'R', "starttime 18446744073709551616", 0, 0, 0,
      "line 5: bad value for starttime (out of range)" },
    { 5, 'R', "starttime -1", 0, 0, 0,
      "line 5: bad value for starttime (not a number)" },
    { 6, 'R', "pgrp -0", 0, 0, 0,
      "line 6: bad value for pgrp (not a canonical number)" },
    { 7, 'R', "session -", 0, 0, 0,
      "line 7: bad value for session (not a number)" },
    { 8, 'R', "boot_id 0123456789012345678901234567890123456789", 0, 0, 0,
      "line 8: boot_id longer than 39 bytes" },
    { 8, 'R', "boot_id a%zz", 0, 0, 0,
      "line 8: bad percent-escape in boot_id" },
    { 9, 'R', "run_uid 4294967296", 0, 0, 0,
      "line 9: bad value for run_uid (out of range)" },
    { 10, 'R', "run_gid -1", 0, 0, 0,
      "line 10: bad value for run_gid (not a number)" },
    { 11, 'R', "started -9223372036854775809", 0, 0, 0,
      "line 11: bad value for started (out of range)" },
    { 11, 'R', "started 1.5", 0, 0, 0,
      "line 11: bad value for started (not a number)" },
    { 12, 'R', "written 9223372036854775808", 0, 0, 0,
      "line 12: bad value for written (out of range)" },
    { 13, 'R', "generation 0x10", 0, 0, 0,
      "line 13: bad value for generation (not a number)" },
    /* obj lines: numbers */
    { 14, 'S', "id=32768", "id=abc", 0, 0,
      "line 14: bad value for id (not a number)" },
    { 14, 'S', "id=32768", "id=-2", 0, 0,
      "line 14: bad value for id (out of range)" },
    { 14, 'S', "id=32768", "id=2147483648", 0, 0,
      "line 14: bad value for id (out of range)" },
    { 14, 'S', "id=32768", "id=", 0, 0,
      "line 14: bad value for id (not a number)" },
    { 14, 'S', "id=32768", "id=-1", 0, 0,
      "line 14: bad value for id (a sysv-sem has an id)" },
    { 14, 'S', "key=0", "key=2147483648", 0, 0,
      "line 14: bad value for key (out of range)" },
    { 14, 'S', "key=0", "key=-2147483649", 0, 0,
      "line 14: bad value for key (out of range)" },
    { 14, 'S', "key=0", "key=00", 0, 0,
      "line 14: bad value for key (leading zero)" },
    { 14, 'S', "key=0", "key=0x1", 0, 0,
      "line 14: bad value for key (not a number)" },
    { 14, 'S', "mode=0600", "mode=600", 0, 0,
      "line 14: bad value for mode (not four octal digits)" },
    { 14, 'S', "mode=0600", "mode=00600", 0, 0,
      "line 14: bad value for mode (not four octal digits)" },
    { 14, 'S', "mode=0600", "mode=0800", 0, 0,
      "line 14: bad value for mode (not four octal digits)" },
    { 14, 'S', "mode=0600", "mode=rw--", 0, 0,
      "line 14: bad value for mode (not four octal digits)" },
    { 14, 'S', " uid=33", " uid=-1", 0, 0,
      "line 14: bad value for uid (not a number)" },
    { 14, 'S', " uid=33", " uid=4294967296", 0, 0,
      "line 14: bad value for uid (out of range)" },
    { 14, 'S', " gid=33", " gid=33a", 0, 0,
      "line 14: bad value for gid (not a number)" },
    { 14, 'S', "cuid=0", "cuid=4294967296", 0, 0,
      "line 14: bad value for cuid (out of range)" },
    { 14, 'S', "cgid=0", "cgid=", 0, 0,
      "line 14: bad value for cgid (not a number)" },
    { 14, 'S', "size=1", "size=18446744073709551616", 0, 0,
      "line 14: bad value for size (out of range)" },
    { 14, 'S', "ctime=1763800001", "ctime=9223372036854775808", 0, 0,
      "line 14: bad value for ctime (out of range)" },
    { 14, 'S', "ctime=1763800001", "ctime=12a", 0, 0,
      "line 14: bad value for ctime (not a number)" },
    { 14, 'S', "ino=0", "ino=-5", 0, 0,
      "line 14: bad value for ino (not a number)" },
    { 14, 'S', "cpid=0", "cpid=2147483648", 0, 0,
      "line 14: bad value for cpid (out of range)" },
    { 14, 'S', "owner_pid=2975", "owner_pid=-1", 0, 0,
      "line 14: bad value for owner_pid (out of range)" },
    /* obj lines: names */
    { 14, 'S', "kind=sysv-sem", "kind=sysv-pipe", 0, 0,
      "line 14: unknown kind 'sysv-pipe'" },
    { 14, 'S', "kind=sysv-sem", "kind=", 0, 0, "line 14: unknown kind ''" },
    { 14, 'S', "phase=open_logs", "phase=post_read_request", 0, 0,
      "line 14: unknown phase 'post_read_request'" },
    { 14, 'S', "class=instance", "class=Instance", 0, 0,
      "line 14: unknown class 'Instance'" },
    { 14, 'S', "module=prefork.c", "module=pre%2", 0, 0,
      "line 14: bad percent-escape in module" },
    { 14, 'S', "module=prefork.c", "module=pre\x01", 0, 0,
      "line 14: unescaped byte 0x01 in module" },
    { 14, 'S', "module=prefork.c", "module=%00", 0, 0,
      "line 14: NUL byte in module" },
    { 14, 'S', "module=prefork.c", "module=mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
      "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm", 0, 0,
      "line 14: module longer than 63 bytes" },
    { 14, 'S', "name=", "name=x", 0, 0,
      "line 14: bad value for name (a sysv-sem has none)" },
    { 14, 'R', POSIX14 "ShM.1", 0, 0, 0, NULL },   /* control: valid */
    { 14, 'R', POSIX14, 0, 0, 0,
      "line 14: bad value for name (a posix-shm needs one)" },
    { 14, 'R', POSIX14 "a/b", 0, 0, 0, "line 14: '/' in name" },
    { 14, 'R', POSIX14 "%2F", 0, 0, 0,
      "line 14: bad percent-escape in name (%2F stands for '/', which is "
      "written as it is)" },
    { 14, 'R', POSIX14 ".", 0, 0, 0, "line 14: bad value for name ('.')" },
    { 14, 'R', POSIX14 "..", 0, 0, 0, "line 14: bad value for name ('..')" },
    { 14, 'R', POSIX14 "a%00b", 0, 0, 0, "line 14: NUL byte in name" },
    { 14, 'R', POSIX14 "a b", 0, 0, 0, "line 14: field 'b' has no '='" },
    { 14, 'R', POSIX14 "a b=c", 0, 0, 0, "line 14: unknown field 'b'" },
    { 14, 'S', "id=-1", "id=7", 0, 0, NULL },   /* no-op on line 14 */
    /* obj lines: fields */
    { 14, 'S', "id=32768 key=0", "key=0 id=32768", 0, 0,
      "line 14: missing field 'id' (found 'key')" },
    { 14, 'S', " key=0", " id=1 key=0", 0, 0,
      "line 14: duplicate field 'id'" },
    { 14, 'S', " name=", " color=red name=", 0, 0,
      "line 14: unknown field 'color'" },
    { 14, 'S', " name=", "", 0, 0, "line 14: missing field 'name'" },
    { 14, 'S', " module=prefork.c name=", "", 0, 0,
      "line 14: missing field 'module'" },
    { 14, 'S', "name=", "name= extra=1", 0, 0,
      "line 14: unknown field 'extra'" },
    { 14, 'S', "name=", "name= name=x", 0, 0,
      "line 14: duplicate field 'name'" },
    { 14, 'S', "name=", "name= ", 0, 0,
      "line 14: empty field (two spaces, or a space at the end?)" },
    { 14, 'S', "name=", "name=  kind", 0, 0,
      "line 14: empty field (two spaces, or a space at the end?)" },
    { 14, 'S', " key=0", "  key=0", 0, 0,
      "line 14: empty field (two spaces, or a space at the end?)" },
    { 14, 'S', " uid=33", " uid33", 0, 0,
      "line 14: field 'uid33' has no '='" },
    { 14, 'S', "kind=", "KIND=", 0, 0, "line 14: unknown field 'KIND'" },
    { 14, 'R', "obj", 0, 0, 0, "line 14: obj line without fields" },
    { 14, 'R', "obj ", 0, 0, 0,
      "line 14: empty field (two spaces, or a space at the end?)" },
    { 19, 'S', "id=32773", "id=32773\tx", 0, 0,
      "line 19: bad value for id (not a number)" },
    /* the end line */
    { 0, 0, 0, 0, "end 6", 0,
      "line 20: bad end line (expected 'end <count> <checksum>')" },
    { 0, 0, 0, 0, "end", 0, "line 20: end line without fields" },
    { 0, 0, 0, 0, "end x {sum}", 0,
      "line 20: bad value for count (not a number)" },
    { 0, 0, 0, 0, "end 06 {sum}", 0,
      "line 20: bad value for count (leading zero)" },
    { 0, 0, 0, 0, "end -6 {sum}", 0,
      "line 20: bad value for count (not a number)" },
    { 0, 0, 0, 0, "end 7 {sum}", 0,
      "line 20: object count 7 does not match the 6 obj lines" },
    { 0, 0, 0, 0, "end 5 {sum}", 0,
      "line 20: object count 5 does not match the 6 obj lines" },
    { 0, 0, 0, 0, "end 4294967302 {sum}", 0,
      "line 20: bad value for count (out of range)" },
    { 0, 0, 0, 0, "end 6 0123456789abcdef", 0, NULL /* mismatch, below */ },
    { 0, 0, 0, 0, "end 6 0123456789ABCDEF", 0,
      "line 20: bad checksum '0123456789ABCDEF' (not 16 lower-case hex "
      "digits)" },
    { 0, 0, 0, 0, "end 6 {sum} ", 0, NULL /* bad checksum, below */ },
    { 0, 0, 0, 0, "end  6 {sum}", 0,
      "line 20: bad value for count (not a number)" },
    { 0, 0, 0, 0, NULL, "\n", "line 21: data after the end line" },
    { 0, 0, 0, 0, NULL, "end 6 0000000000000000\n",
      "line 21: data after the end line" },
    { 0, 0, 0, 0, NULL, "x", "line 21: missing final newline (truncated?)" },
    /* controls: without an obj line the file is valid again */
    { 19, 'D', 0, 0, 0, 0, NULL },
    { 14, 'D', 0, 0, 0, 0, NULL },
};

/* Apply @a m to the lines of the base body and build a text with a
 * correct or given end line. */
static char *apply(const mut_t *m, const char *base_body)
{
    apr_array_header_t *lines = apr_array_make(pool, 32, sizeof(char *));
    char *copy = apr_pstrdup(pool, base_body), *s, *nl, *body, *endl;
    int i, count = 0;

    for (s = copy; *s; s = nl + 1) {
        nl = strchr(s, '\n');
        *nl = '\0';
        *(char **)apr_array_push(lines) = s;
    }
    if (m->op) {
        char **arr;
        ck_assert_int_ge(m->line, 1);
        ck_assert_int_le(m->line, lines->nelts + (m->op == 'I'));
        if (m->op == 'I') {
            apr_array_push(lines);
            arr = (char **)lines->elts;
            memmove(arr + m->line, arr + m->line - 1,
                    sizeof(char *) * (size_t)(lines->nelts - m->line));
            arr[m->line - 1] = apr_pstrdup(pool, m->a);
        }
        else {
            arr = (char **)lines->elts;
            if (m->op == 'R') {
                arr[m->line - 1] = apr_pstrdup(pool, m->a);
            }
            else if (m->op == 'D') {
                memmove(arr + m->line - 1, arr + m->line,
                        sizeof(char *) * (size_t)(lines->nelts - m->line));
                lines->nelts--;
            }
            else if (m->op == 'S') {
                char *at = strstr(arr[m->line - 1], m->a);
                if (at != NULL) {
                    arr[m->line - 1] = apr_pstrcat(pool,
                        apr_pstrndup(pool, arr[m->line - 1],
                                     (apr_size_t)(at - arr[m->line - 1])),
                        m->b, at + strlen(m->a), NULL);
                }
            }
        }
    }
    body = "";
    for (i = 0; i < lines->nelts; i++) {
        const char *l = APR_ARRAY_IDX(lines, i, char *);
        body = apr_pstrcat(pool, body, l, "\n", NULL);
        count += strncmp(l, "obj ", 4) == 0 || strcmp(l, "obj") == 0;
    }
    endl = apr_pstrdup(pool, m->end ? m->end : "end {count} {sum}");
    {
        const char *sum = fnv_hex(body, strlen(body));
        char *at;
        if ((at = strstr(endl, "{count}")) != NULL) {
            endl = apr_psprintf(pool, "%.*s%d%s", (int)(at - endl), endl,
                                count, at + 7);
        }
        if ((at = strstr(endl, "{sum}")) != NULL) {
            endl = apr_psprintf(pool, "%.*s%s%s", (int)(at - endl), endl,
                                sum, at + 5);
        }
    }
    return apr_pstrcat(pool, body, endl, "\n", m->tail ? m->tail : "",
                       NULL);
}

static const char *base_body(void)
{
    ipcg_state_t st = make_state(6);
    apr_size_t len;
    char *text = ipcg_state_format(pool, &st, &len);
    char *endl = strstr(text, "\nend ");

    return apr_pstrndup(pool, text, (apr_size_t)(endl + 1 - text));
}

START_TEST(malformed_input_named_by_line)
{
    const mut_t *m = &muts[_i];
    const char *body = base_body();
    char *text = apply(m, body);
    const char *why = NULL, *expect = m->why;
    ipcg_state_t st;
    apr_status_t rv;

    if (expect == NULL) {
        /* the cases whose message depends on the text */
        if (m->end && strcmp(m->end, "end 6 0123456789abcdef") == 0) {
            expect = apr_psprintf(pool, "line 20: checksum mismatch (the "
                                  "file says 0123456789abcdef, its content "
                                  "hashes to %s)",
                                  fnv_hex(body, strlen(body)));
        }
        else if (m->end && strcmp(m->end, "end 6 {sum} ") == 0) {
            expect = apr_psprintf(pool, "line 20: bad checksum '%s%%20' (not "
                                  "16 lower-case hex digits)",
                                  fnv_hex(body, strlen(body)));
        }
    }
    rv = ipcg_state_parse(pool, text, strlen(text), &st, &why);
    if (expect == NULL) {
        ck_assert_msg(rv == APR_SUCCESS, "case %d should parse: %s\n%s", _i,
                      why, text);
        check_round_trip(&st);
        return;
    }
    ck_assert_msg(rv == APR_EGENERAL, "case %d accepted, expected \"%s\":\n%s",
                  _i, expect, text);
    ck_assert_msg(why != NULL && strcmp(why, expect) == 0,
                  "case %d: expected \"%s\", got \"%s\"", _i, expect,
                  why ? why : "(null)");
}
END_TEST

/* Every byte of the obj lines replaced by others, or dropped, the
 * checksum made right again: what is accepted must be exactly what the
 * writer writes for the object read (the reader's fast path for obj
 * lines takes nothing the strict one would not, and reads it the same). */
START_TEST(obj_line_mutations_read_as_written)
{
    static const char repl[] = "0129-+ =%/.aZx\xff";
    ipcg_state_t st = make_state(2);
    ipcg_obj_t *o = apr_array_push(st.objs);
    apr_size_t len, pos, r, first, accepted = 0, tried = 0;
    char *text, *body_end;
    apr_pool_t *sub;

    memset(o, 0, sizeof(*o));
    o->kind = IPCG_POSIX_SHM;
    o->id = -1;
    o->key = -5;
    o->ino = 4242;
    o->ctime = -7;
    o->cpid = 12;
    o->phase = IPCG_PHASE_RUNTIME;
    o->cls = IPCG_CLASS_APPLICATION;
    strcpy(o->name, "php.sess%1 a");
    strcpy(o->module, "mod_x.c");
    text = ipcg_state_format(pool, &st, &len);
    first = (apr_size_t)(strstr(text, "\nobj ") + 1 - text);
    body_end = strstr(text, "\nend ") + 1;
    apr_pool_create(&sub, pool);
    for (pos = first; pos < (apr_size_t)(body_end - text); pos++) {
        for (r = 0; r <= sizeof(repl) - 1; r++) {
            apr_size_t blen = (apr_size_t)(body_end - text), mlen;
            char *body = apr_pstrmemdup(sub, text, blen), *mut, *again;
            ipcg_state_t back;
            const char *why = NULL;

            if (r == sizeof(repl) - 1) {
                memmove(body + pos, body + pos + 1, blen - pos - 1);
                blen--;                         /* the byte dropped */
            }
            else if (body[pos] == repl[r] || body[pos] == '\n') {
                continue;
            }
            else {
                body[pos] = repl[r];
            }
            body[blen] = '\0';
            mut = apr_psprintf(sub, "%send %d %s\n", body, st.objs->nelts,
                               fnv_hex(body, blen));
            mlen = strlen(mut);
            tried++;
            if (ipcg_state_parse(sub, mut, mlen, &back, &why)
                != APR_SUCCESS) {
                ck_assert_msg(why != NULL && strncmp(why, "line ", 5) == 0,
                              "refused without a line number: %s",
                              why ? why : "(null)");
                apr_pool_clear(sub);
                continue;
            }
            accepted++;
            again = ipcg_state_format(sub, &back, NULL);
            ck_assert_msg(strcmp(again, mut) == 0, "byte %lu changed to "
                          "0x%02x: accepted, but read as something else:\n"
                          "%s\nwritten back as\n%s", (unsigned long)pos,
                          (unsigned)(unsigned char)repl[r], mut, again);
            apr_pool_clear(sub);
        }
    }
    apr_pool_destroy(sub);
    /* some changes are still valid files (another id, another digit) */
    ck_assert_uint_gt(accepted, 0);
    ck_assert_uint_gt(tried, accepted);
}
END_TEST

START_TEST(whole_file_defects)
{
    ipcg_state_t st = make_state(6);
    apr_size_t len;
    char *text = ipcg_state_format(pool, &st, &len), *copy;
    const char *why = NULL;

    ck_assert_int_eq(ipcg_state_parse(pool, "", 0, &st, &why), APR_EGENERAL);
    ck_assert_str_eq(why, "line 1: empty file");

    ck_assert_int_eq(ipcg_state_parse(pool, text, len - 1, &st, &why),
                     APR_EGENERAL);
    ck_assert_str_eq(why, "line 20: missing final newline (truncated?)");

    /* a NUL byte names its line, even with a correct checksum */
    copy = apr_pstrmemdup(pool, text, len);
    copy[strstr(copy, "\nobj ") + 10 - copy] = '\0';
    ck_assert_int_eq(ipcg_state_parse(pool, copy, len, &st, &why),
                     APR_EGENERAL);
    ck_assert_str_eq(why, "line 14: NUL byte");

    /* CRLF line ends are not this format */
    {
        const char *crlf = "ipcguard-state 1\r\n";
        ck_assert_int_eq(ipcg_state_parse(pool, crlf, strlen(crlf), &st,
                                          &why), APR_EGENERAL);
        ck_assert_str_eq(why, "line 1: bad value for version (not a number)");
    }
    /* a very long line is no problem for the parser, only for the value */
    {
        char *big = apr_palloc(pool, 200000);
        memset(big, 'x', 200000);
        memcpy(big, "ipcguard-state 1\npid ", 21);
        big[199999] = '\n';
        ck_assert_int_eq(ipcg_state_parse(pool, big, 200000, &st, &why),
                         APR_EGENERAL);
        ck_assert_str_eq(why, "line 2: missing header line 'instance' "
                              "(found 'pid')");
    }
    /* why may be NULL */
    ck_assert_int_eq(ipcg_state_parse(pool, "x\n", 2, &st, NULL),
                     APR_EGENERAL);
}
END_TEST

START_TEST(every_prefix_refused)
{
    ipcg_state_t st = make_state(6);
    apr_size_t len;
    char *text = ipcg_state_format(pool, &st, &len);
    const char *why = NULL;

    check_prefixes_refused(text, len, "six objects");
    /* the cut that lands on a line end says what is missing */
    ck_assert_int_eq(ipcg_state_parse(pool, text, (apr_size_t)(strstr(text,
        "\nend ") + 1 - text), &st, &why), APR_EGENERAL);
    ck_assert_str_eq(why, "line 20: missing end line (truncated?)");
    ck_assert_int_eq(ipcg_state_parse(pool, text, (apr_size_t)(strstr(text,
        "\nstarttime ") + 1 - text), &st, &why), APR_EGENERAL);
    ck_assert_str_eq(why, "line 5: missing header line 'starttime' "
                          "(truncated?)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fixture files                                                        */

/* A state file written by release 0.1.0's module (a real server: the
 * rewrite lock, the scoreboard, a child's private set and an
 * application's keyed segment). A later release must go on reading it:
 * after an upgrade the first start cleans up after the old release. */
START_TEST(reads_release_0_1_0_file)
{
    apr_size_t len;
    char *text = slurp(fixture("state/valid_release_0_1_0.state"), &len);
    ipcg_state_t st;
    const char *why = NULL;
    const ipcg_obj_t *o;

    ck_assert_msg(ipcg_state_parse(pool, text, len, &st, &why)
                  == APR_SUCCESS, "release 0.1.0's file refused: %s", why);
    ck_assert_int_eq(st.pid, 12);
    ck_assert_int_eq(st.run_uid, 33);
    ck_assert_int_eq(st.objs->nelts, 4);
    o = &APR_ARRAY_IDX(st.objs, 0, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_SYSV_SEM);
    ck_assert_str_eq(o->module, "mod_rewrite.c");
    ck_assert_int_eq(o->phase, IPCG_PHASE_POST_CONFIG);
    o = &APR_ARRAY_IDX(st.objs, 1, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_POSIX_SHM);
    ck_assert_str_eq(o->name, "ShM.45535cf2Hf20c0ff0");
    ck_assert_int_eq(o->ino, 2);
    o = &APR_ARRAY_IDX(st.objs, 3, ipcg_obj_t);
    ck_assert_int_eq(o->kind, IPCG_SYSV_SHM);
    ck_assert_int_eq(o->key, 4242);
    ck_assert_int_eq(o->cls, IPCG_CLASS_APPLICATION);
    ck_assert_int_eq(o->owner_pid, 16);
}
END_TEST

START_TEST(fixture_files)
{
    const char *dir = fixture("state");
    DIR *d = opendir(dir);
    struct dirent *e;
    int valid = 0, badn = 0;

    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        apr_size_t n = strlen(name), len;
        const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
        char *text;
        ipcg_state_t st;
        const char *why = NULL;
        apr_status_t rv;

        if (n > 4 && strcmp(name + n - 4, ".why") == 0) {
            ck_assert_msg(access(apr_pstrcat(pool, dir, "/",
                apr_pstrndup(pool, name, n - 4), ".state", NULL), F_OK) == 0,
                "%s has no .state file", name);
            continue;
        }
        if (n <= 6 || strcmp(name + n - 6, ".state") != 0) {
            continue;
        }
        text = slurp(path, &len);
        rv = ipcg_state_parse(pool, text, len, &st, &why);
        if (strncmp(name, "valid_", 6) == 0) {
            apr_size_t len2;
            char *again;
            ck_assert_msg(rv == APR_SUCCESS, "%s refused: %s", name, why);
            again = ipcg_state_format(pool, &st, &len2);
            ck_assert_msg(len == len2 && memcmp(text, again, len) == 0,
                          "%s: format(parse(file)) differs:\n%s", name,
                          again);
            check_round_trip(&st);
            check_prefixes_refused(text, len, name);
            valid++;
        }
        else if (strncmp(name, "bad_", 4) == 0) {
            apr_size_t wlen;
            char *want = slurp(apr_pstrcat(pool, dir, "/",
                               apr_pstrndup(pool, name, n - 6), ".why",
                               NULL), &wlen);
            if (wlen > 0 && want[wlen - 1] == '\n') {
                want[wlen - 1] = '\0';
            }
            ck_assert_msg(rv == APR_EGENERAL, "%s accepted", name);
            ck_assert_msg(why != NULL && strcmp(why, want) == 0,
                          "%s: expected \"%s\", got \"%s\"", name, want,
                          why ? why : "(null)");
            badn++;
        }
        else {
            ck_abort_msg("%s: fixtures are valid_*.state or bad_*.state",
                         name);
        }
    }
    closedir(d);
    ck_assert_int_ge(valid, 4);
    ck_assert_int_ge(badn, 20);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files: write, read, refusals                                         */

static char *tdir;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    chmod(path, 0700);
    return remove(path);
}

static void files_setup(void)
{
    pool_setup();
    tdir = temp_dir("ipcg-state-test");
    chmod(tdir, 0700);
}

static void files_teardown(void)
{
    nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    pool_teardown();
}

static const char *in_tdir(const char *name)
{
    return apr_pstrcat(pool, tdir, "/", name, NULL);
}

/* The names in tdir (or @a dir), sorted, joined by spaces. */
static const char *listing(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir ? dir : tdir, &list, NULL, alphasort), i;
    const char *out = "";

    ck_assert_int_ge(n, 0);
    for (i = 0; i < n; i++) {
        if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
            out = apr_pstrcat(pool, out, *out ? " " : "", list[i]->d_name,
                              NULL);
        }
        free(list[i]);
    }
    free(list);
    return out;
}

static const char *write_state(const char *name, int nobjs)
{
    ipcg_state_t st = make_state(nobjs);
    const char *path = in_tdir(name), *why = NULL;
    apr_status_t rv = ipcg_state_write(pool, path, &st, &why);

    ck_assert_msg(rv == APR_SUCCESS, "write %s: %s", path, why);
    return path;
}

static void expect_refused(const char *path, apr_uint32_t owner,
                           apr_status_t want_rv, const char *want_why)
{
    ipcg_state_t st;
    const char *why = NULL;
    apr_status_t rv = ipcg_state_read(pool, path, owner, &st, &why);

    ck_assert_msg(rv == want_rv, "read %s: status %d, expected %d (%s)", path,
                  rv, want_rv, why ? why : "");
    ck_assert_msg(why != NULL && strcmp(why, want_why) == 0,
                  "read %s: expected \"%s\", got \"%s\"", path, want_why,
                  why ? why : "(null)");
}

START_TEST(write_then_read)
{
    ipcg_state_t st = make_state(6), back;
    const char *path = in_tdir("bc7045905060d308.state"), *why = NULL;
    struct stat sb;
    apr_size_t len, flen;

    ck_assert_int_eq(ipcg_state_write(pool, path, &st, &why), APR_SUCCESS);
    ck_assert_int_eq(lstat(path, &sb), 0);
    ck_assert_msg(S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0600,
                  "mode %o, expected a regular file 0600",
                  (unsigned)sb.st_mode);
    ck_assert_str_eq(listing(NULL), "bc7045905060d308.state");
    /* the file holds exactly what format() gives */
    {
        char *want = ipcg_state_format(pool, &st, &len);
        char *got = slurp(path, &flen);
        ck_assert_msg(flen == len && memcmp(got, want, len) == 0,
                      "file differs from format()");
    }
    ck_assert_int_eq(ipcg_state_read(pool, path, 0, &back, &why),
                     APR_SUCCESS);
    ck_assert_ptr_null(state_diff(&st, &back));

    /* overwrite: the new content replaces the old whole */
    st = make_state(1000);
    st.generation = 3;
    ck_assert_int_eq(ipcg_state_write(pool, path, &st, &why), APR_SUCCESS);
    ck_assert_int_eq(ipcg_state_read(pool, path, 0, &back, &why),
                     APR_SUCCESS);
    ck_assert_ptr_null(state_diff(&st, &back));
    ck_assert_str_eq(listing(NULL), "bc7045905060d308.state");

    /* a stale temp file of an earlier crash with our pid is replaced */
    {
        const char *tmp = in_tdir(apr_psprintf(pool,
            ".bc7045905060d308.state.tmp.%ld", (long)getpid()));
        FILE *f = fopen(tmp, "w");
        ck_assert_ptr_nonnull(f);
        fputs("junk", f);
        fclose(f);
        ck_assert_int_eq(ipcg_state_write(pool, path, &st, &why),
                         APR_SUCCESS);
        ck_assert_str_eq(listing(NULL), "bc7045905060d308.state");
    }
    ck_assert_int_eq(ipcg_state_remove(pool, path), APR_SUCCESS);
    ck_assert_str_eq(listing(NULL), "");
    ck_assert_int_eq(ipcg_state_remove(pool, path), APR_SUCCESS);
    expect_refused(path, 0, APR_ENOENT, "no state file");
}
END_TEST

/* @a text written as a 0600 file, read back with ipcg_state_read(): its
 * status and message, which must be those of ipcg_state_parse(). */
static void read_as_parsed(const char *what, const char *text,
                           apr_size_t len)
{
    const char *path = in_tdir("pieces.state");
    const char *want = NULL, *got = NULL;
    ipcg_state_t a, b;
    apr_status_t want_rv, got_rv;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    want_rv = ipcg_state_parse(pool, text, len, &a, &want);
    got_rv = ipcg_state_read(pool, path, geteuid(), &b, &got);
    ck_assert_msg(got_rv == want_rv, "%s: read gave %d, parse %d (%s)", what,
                  got_rv, want_rv, got ? got : "");
    if (want_rv == APR_SUCCESS) {
        ck_assert_ptr_null(state_diff(&a, &b));
        ck_assert_int_eq(b.objs->nelts, a.objs->nelts);
    }
    else {
        ck_assert_msg(got != NULL && strcmp(got, want) == 0,
                      "%s: read said \"%s\", parse \"%s\"", what,
                      got ? got : "(null)", want);
    }
}

/* The reader takes the file in pieces of 64 KB: a file of many pieces,
 * and every defect in a later piece or across two, read as the whole
 * text parses. */
START_TEST(read_in_pieces_as_parsed)
{
    ipcg_state_t st = make_state(2000);
    apr_size_t len, at;
    char *text = ipcg_state_format(pool, &st, &len), *copy;

    ck_assert_uint_gt(len, 4 * 65536);
    read_as_parsed("2000 objects", text, len);
    /* cut at every place around a piece's border, and in a later one */
    for (at = 65536 - 3; at <= 65536 + 3; at++) {
        read_as_parsed("cut at a border", text, at);
    }
    read_as_parsed("cut in the fourth piece", text, 3 * 65536 + 77);
    read_as_parsed("cut one byte into a line", text,
                   (apr_size_t)(strchr(text + 2 * 65536, '\n') + 2 - text));
    read_as_parsed("cut before the end line", text,
                   (apr_size_t)(strstr(text, "\nend ") + 1 - text));
    /* a NUL byte in a later piece names its line */
    copy = apr_pstrmemdup(pool, text, len);
    copy[2 * 65536 + 5] = '\0';
    read_as_parsed("NUL in the third piece", copy, len);
    /* a changed byte: the checksum */
    copy = apr_pstrmemdup(pool, text, len);
    copy[len - 100] = copy[len - 100] == '1' ? '2' : '1';
    read_as_parsed("a digit changed", copy, len);
    /* data after the end line */
    copy = apr_pstrcat(pool, text, "obj x\n", NULL);
    read_as_parsed("after the end line", copy, strlen(copy));
    /* a line longer than two pieces */
    {
        apr_size_t head = (apr_size_t)(strstr(text, "\nobj ") + 1 - text);
        apr_size_t big = 150000;
        char *t = apr_palloc(pool, len + big + 1);
        memcpy(t, text, head);
        memcpy(t + head, "obj ", 4);
        memset(t + head + 4, 'x', big - 5);
        t[head + big - 1] = '\n';
        memcpy(t + head + big, text + head, len - head);
        read_as_parsed("a long line", t, len + big);
    }
}
END_TEST

/* The content sum tells texts apart by what they record, not by when
 * they were written. */
START_TEST(content_sum_leaves_the_time_out)
{
    ipcg_state_t st = make_state(3);
    apr_size_t la, lb;
    char *a, *b;
    apr_uint64_t sa;

    a = ipcg_state_format(pool, &st, &la);
    sa = ipcg_state_content_sum(a, la);
    ck_assert_msg(sa != 0, "a sum is never 0");
    st.written += 3600;
    b = ipcg_state_format(pool, &st, &lb);
    ck_assert_msg(la != lb || memcmp(a, b, la) != 0, "the texts differ");
    ck_assert_msg(ipcg_state_content_sum(b, lb) == sa,
                  "another written time, the same sum");

    /* anything else recorded moves it: an object, the generation, the
     * count of objects */
    APR_ARRAY_IDX(st.objs, 1, ipcg_obj_t).ctime++;
    b = ipcg_state_format(pool, &st, &lb);
    ck_assert_msg(ipcg_state_content_sum(b, lb) != sa, "an object's ctime");
    APR_ARRAY_IDX(st.objs, 1, ipcg_obj_t).ctime--;
    st.generation = 7;
    b = ipcg_state_format(pool, &st, &lb);
    ck_assert_msg(ipcg_state_content_sum(b, lb) != sa, "the generation");
    st.generation = 0;
    apr_array_pop(st.objs);
    b = ipcg_state_format(pool, &st, &lb);
    ck_assert_msg(ipcg_state_content_sum(b, lb) != sa, "one object fewer");

    /* the sum is of the text: a "written" line in the middle of it or no
     * "end" line are summed whole, except the written line */
    ck_assert_msg(ipcg_state_content_sum("a\nwritten 1\nb\n", 14)
                  == ipcg_state_content_sum("a\nwritten 2\nb\n", 14),
                  "the written line left out");
    ck_assert_msg(ipcg_state_content_sum("a\nwritten 1\nb\n", 14)
                  != ipcg_state_content_sum("a\nwritten 1\nc\n", 14),
                  "the last line counts when it is not an end line");
    ck_assert_msg(ipcg_state_content_sum("", 0) != 0, "empty: not 0");
}
END_TEST

/* A text already formatted is written as it is, and checked first. */
START_TEST(write_text_writes_what_it_is_given)
{
    ipcg_state_t st = make_state(4), back;
    const char *path = in_tdir("t.state"), *why = NULL;
    apr_size_t len, flen;
    char *text = ipcg_state_format(pool, &st, &len), *got;

    ck_assert_int_eq(ipcg_state_write_text(pool, path, text, len, &why),
                     APR_SUCCESS);
    got = slurp(path, &flen);
    ck_assert_msg(flen == len && memcmp(got, text, len) == 0,
                  "the file holds the text");
    ck_assert_int_eq(ipcg_state_read(pool, path, 0, &back, &why),
                     APR_SUCCESS);
    ck_assert_ptr_null(state_diff(&st, &back));

    /* a text cut short would not read back: the file stays as it was */
    why = NULL;
    ck_assert_int_eq(ipcg_state_write_text(pool, path, text, len - 3, &why),
                     APR_EINVAL);
    ck_assert_msg(why && strncmp(why, "the state would not read back: ",
                                 31) == 0, "why: %s", why ? why : "(null)");
    got = slurp(path, &flen);
    ck_assert_msg(flen == len && memcmp(got, text, len) == 0,
                  "the file unchanged");
    ck_assert_str_eq(listing(NULL), "t.state");
    ck_assert_int_eq(ipcg_state_remove(pool, path), APR_SUCCESS);
}
END_TEST

START_TEST(write_failures_leave_nothing)
{
    ipcg_state_t st = make_state(6);
    const char *why = NULL;
    apr_status_t rv;

    /* no directory: nothing to create the temp file in */
    rv = ipcg_state_write(pool, in_tdir("missing/x.state"), &st, &why);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_msg(why && strstr(why, "cannot create ") && strstr(why,
                  "/missing/.x.state.tmp."), "why: %s", why);
    ck_assert_str_eq(listing(NULL), "");

    /* rename fails (the final name is a directory): the temp file, made
     * and written, must go */
    ck_assert_int_eq(mkdir(in_tdir("d.state"), 0700), 0);
    ck_assert_int_eq(mkdir(in_tdir("d.state/sub"), 0700), 0);
    why = NULL;
    rv = ipcg_state_write(pool, in_tdir("d.state"), &st, &why);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_msg(why && strstr(why, "cannot rename "), "why: %s", why);
    ck_assert_str_eq(listing(NULL), "d.state");
    ck_assert_str_eq(listing(in_tdir("d.state")), "sub");

    /* a state that would not read back is never written */
    st.pid = 0;
    why = NULL;
    rv = ipcg_state_write(pool, in_tdir("x.state"), &st, &why);
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_str_eq(why, "the state would not read back: line 4: bad value "
                          "for pid (out of range)");
    st = make_state(1);
    strcpy(APR_ARRAY_IDX(st.objs, 0, ipcg_obj_t).name, "x");
    rv = ipcg_state_write(pool, in_tdir("x.state"), &st, &why);
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_str_eq(why, "the state would not read back: line 14: bad "
                          "value for name (a sysv-sem has none)");
    ck_assert_str_eq(listing(NULL), "d.state");
    /* why may be NULL */
    ck_assert_int_eq(ipcg_state_write(pool, in_tdir("x.state"), &st, NULL),
                     APR_EINVAL);
}
END_TEST

START_TEST(read_refuses_unsafe_files)
{
    const char *path = write_state("ok.state", 6), *p2;
    int fd;

    /* a symlink to a good file */
    p2 = in_tdir("link.state");
    ck_assert_int_eq(symlink(path, p2), 0);
    expect_refused(p2, 0, APR_EACCES, "is a symbolic link");
    /* a dangling one */
    ck_assert_int_eq(symlink(in_tdir("nowhere"), in_tdir("dangle.state")),
                     0);
    expect_refused(in_tdir("dangle.state"), 0, APR_EACCES,
                   "is a symbolic link");

    ck_assert_int_eq(chmod(path, 0620), 0);
    expect_refused(path, 0, APR_EACCES,
                   "is group- or world-writable (mode 0620)");
    ck_assert_int_eq(chmod(path, 0666), 0);
    expect_refused(path, 0, APR_EACCES,
                   "is group- or world-writable (mode 0666)");
    ck_assert_int_eq(chmod(path, 0602), 0);
    expect_refused(path, 0, APR_EACCES,
                   "is group- or world-writable (mode 0602)");
    ck_assert_int_eq(chmod(path, 0644), 0);   /* readable is fine */
    {
        ipcg_state_t st;
        ck_assert_int_eq(ipcg_state_read(pool, path, 0, &st, NULL),
                         APR_SUCCESS);
    }
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(path, 65534, 0), 0);
        expect_refused(path, 0, APR_EACCES, "owned by uid 65534, not root");
        ck_assert_int_eq(chown(path, 0, 0), 0);
    }
    expect_refused(path, 4242, APR_EACCES, apr_psprintf(pool,
        "owned by uid %u, not uid 4242", (unsigned)geteuid()));

    /* too large: refused before it is read */
    p2 = in_tdir("big.state");
    fd = open(p2, O_CREAT | O_WRONLY | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)IPCG_STATE_MAX_BYTES + 1), 0);
    close(fd);
    expect_refused(p2, geteuid(), APR_EACCES,
                   "is too large (16777217 bytes, at most 16777216)");

    ck_assert_int_eq(mkdir(in_tdir("dir.state"), 0700), 0);
    expect_refused(in_tdir("dir.state"), geteuid(), APR_EACCES,
                   "is not a regular file (it is a directory)");
    ck_assert_int_eq(mkfifo(in_tdir("fifo.state"), 0600), 0);
    expect_refused(in_tdir("fifo.state"), geteuid(), APR_EACCES,
                   "is not a regular file (it is a FIFO)");

    /* a file that fails to parse: the parser's message */
    p2 = in_tdir("count.state");
    {
        apr_size_t len;
        char *text = slurp(fixture("state/bad_count.state"), &len);
        FILE *f = fopen(p2, "w");
        ck_assert_ptr_nonnull(f);
        fwrite(text, 1, len, f);
        fclose(f);
        chmod(p2, 0600);
    }
    expect_refused(p2, geteuid(), APR_EGENERAL,
                   "line 20: object count 5 does not match the 6 obj lines");

    expect_refused(in_tdir("none.state"), 0, APR_ENOENT, "no state file");
    expect_refused(in_tdir("nodir/none.state"), 0, APR_ENOENT,
                   "no state file");
}
END_TEST

START_TEST(read_refuses_unsafe_directories)
{
    const char *path = write_state("ok.state", 6);
    const char *tmpfile_path;

    ck_assert_int_eq(chmod(tdir, 0770), 0);
    expect_refused(path, geteuid(), APR_EACCES, apr_psprintf(pool,
        "directory %s is group- or world-writable (mode 0770)", tdir));
    ck_assert_int_eq(chmod(tdir, 0703), 0);
    expect_refused(path, geteuid(), APR_EACCES, apr_psprintf(pool,
        "directory %s is group- or world-writable (mode 0703)", tdir));
    ck_assert_int_eq(chmod(tdir, 0755), 0);
    {
        ipcg_state_t st;
        ck_assert_int_eq(ipcg_state_read(pool, path, geteuid(), &st, NULL),
                         APR_SUCCESS);
    }
    if (geteuid() == 0) {
        ck_assert_int_eq(chown(tdir, 65534, 0), 0);
        expect_refused(path, 0, APR_EACCES, apr_psprintf(pool,
            "directory %s is owned by uid 65534, not root", tdir));
        ck_assert_int_eq(chown(tdir, 0, 0), 0);
    }

    /* the directory reached through a symlink */
    ck_assert_int_eq(mkdir(in_tdir("real"), 0700), 0);
    ck_assert_int_eq(symlink(in_tdir("real"), in_tdir("alias")), 0);
    {
        ipcg_state_t st = make_state(1);
        ck_assert_int_eq(ipcg_state_write(pool, in_tdir("real/x.state"), &st,
                                          NULL), APR_SUCCESS);
    }
    expect_refused(in_tdir("alias/x.state"), geteuid(), APR_EACCES,
                   apr_psprintf(pool, "directory %s is a symbolic link, not "
                                "a directory", in_tdir("alias")));

    /* /tmp is sticky and world-writable: nothing there is trusted */
    tmpfile_path = temp_file_in("/tmp", "ipcguard-state 1\n");
    chmod(tmpfile_path, 0600);
    expect_refused(tmpfile_path, geteuid(), APR_EACCES,
                   "directory /tmp is group- or world-writable (mode 1777)");
    unlink(tmpfile_path);
}
END_TEST

START_TEST(dir_ensure_creates_and_refuses)
{
    const char *d = in_tdir("a/b/state"), *why = NULL;
    struct stat sb;
    mode_t old = umask(0277);
    apr_status_t rv;

    rv = ipcg_state_dir_ensure(pool, d, geteuid(), &why);
    umask(old);
    ck_assert_msg(rv == APR_SUCCESS, "dir_ensure: %s", why);
    ck_assert_int_eq(lstat(d, &sb), 0);
    ck_assert_msg(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700,
                  "mode %o, expected a directory 0700", (unsigned)sb.st_mode);
    /* again: it exists and is fine */
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, d, geteuid(), NULL),
                     APR_SUCCESS);
    /* 0755 is fine too: others may read, not write */
    ck_assert_int_eq(chmod(d, 0755), 0);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, d, geteuid(), NULL),
                     APR_SUCCESS);

    ck_assert_int_eq(chmod(d, 0770), 0);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, d, geteuid(), &why),
                     APR_EACCES);
    ck_assert_str_eq(why, apr_psprintf(pool, "unsafe state directory: "
        "directory %s is group- or world-writable (mode 0770)", d));
    ck_assert_int_eq(chmod(d, 0700), 0);

    ck_assert_int_eq(ipcg_state_dir_ensure(pool, d, 4242, &why),
                     APR_EACCES);
    ck_assert_str_eq(why, apr_psprintf(pool, "unsafe state directory: "
        "directory %s is owned by uid %u, not uid 4242", d,
        (unsigned)geteuid()));

    ck_assert_int_eq(symlink(d, in_tdir("link")), 0);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, in_tdir("link"), geteuid(),
                                           &why), APR_EACCES);
    ck_assert_str_eq(why, apr_psprintf(pool, "unsafe state directory: "
        "directory %s is a symbolic link, not a directory",
        in_tdir("link")));

    write_state("file", 0);
    ck_assert_int_eq(ipcg_state_dir_ensure(pool, in_tdir("file"), geteuid(),
                                           &why), APR_EACCES);
    ck_assert_str_eq(why, apr_psprintf(pool, "unsafe state directory: "
        "directory %s is a regular file, not a directory", in_tdir("file")));

    /* cannot create below a file */
    rv = ipcg_state_dir_ensure(pool, in_tdir("file/sub"), geteuid(), &why);
    ck_assert_int_ne(rv, APR_SUCCESS);
    ck_assert_msg(strstr(why, "file/sub") != NULL, "why: %s", why);
}
END_TEST

/* The run lock: one holder at a time, shared with a forked child and
 * released with the last process that has it; asked about without
 * taking it; not handed to programs exec'd. */
START_TEST(runlock_one_holder_shared_by_fork)
{
    const char *path = in_tdir("0123456789abcdef.lock");
    apr_file_t *lock = NULL, *again = NULL;
    apr_os_file_t fd;
    struct stat sb;
    int status = 0;
    pid_t child;
    int go[2];
    char c;

    ck_assert_str_eq(ipcg_runlock_path(pool, in_tdir("0123456789abcdef"
                                                     ".state")), path);
    ck_assert_str_eq(ipcg_runlock_path(pool, "/x/other"), "/x/other.lock");
    /* no such file: no run has held it */
    ck_assert_int_eq(ipcg_runlock_held(pool, path), 0);
    ck_assert_int_eq(ipcg_runlock_take(pool, path, &lock), APR_SUCCESS);
    ck_assert_ptr_nonnull(lock);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq((int)(sb.st_mode & 07777), 0600);
    ck_assert_int_eq((int)sb.st_size, 0);
    apr_os_file_get(&fd, lock);
    ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the lock is close-on-exec");
    /* another open file description, even in this process, is refused */
    ck_assert_int_eq(ipcg_runlock_take(pool, path, &again), APR_EAGAIN);
    ck_assert_ptr_null(again);
    ck_assert_int_eq(ipcg_runlock_held(pool, path), 1);

    /* a forked child shares it: the parent's close does not release it */
    ck_assert_int_eq(pipe(go), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(go[1]);
        /* wait until told, then exit with the lock's descriptor open */
        if (read(go[0], &c, 1) != 1) {
            _exit(2);
        }
        _exit(0);
    }
    close(go[0]);
    ck_assert_int_eq(apr_file_close(lock), APR_SUCCESS);
    ck_assert_int_eq(ipcg_runlock_held(pool, path), 1);
    ck_assert_int_eq(ipcg_runlock_take(pool, path, &again), APR_EAGAIN);
    ck_assert_int_eq(write(go[1], "x", 1), 1);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(go[1]);
    /* gone with the last process that had it */
    ck_assert_int_eq(ipcg_runlock_held(pool, path), 0);
    ck_assert_int_eq(ipcg_runlock_take(pool, path, &again), APR_SUCCESS);
    apr_file_close(again);

    /* a lock that cannot be opened: cannot tell */
    ck_assert_int_eq(symlink("loop.lock", in_tdir("loop.lock")), 0);
    ck_assert_int_eq(ipcg_runlock_held(pool, in_tdir("loop.lock")), -1);
}
END_TEST

START_TEST(list_reads_every_state_file)
{
    apr_array_header_t *states;
    int refused = -1, i;
    const char *names[3] = { "/run/c.pid", "/run/a.pid", "/run/b.pid" };
    char ids[3][17];
    apr_size_t len;
    char *bad;
    FILE *f;

    for (i = 0; i < 3; i++) {
        ipcg_state_t st = make_state(i + 1);
        st.pidfile = names[i];
        ipcg_state_instance_id(names[i], ids[i]);
        memcpy(st.instance, ids[i], 17);
        ck_assert_int_eq(ipcg_state_write(pool, ipcg_state_path(pool, tdir,
                                          ids[i]), &st, NULL), APR_SUCCESS);
    }
    /* refused: one that does not parse, one world-writable, a directory */
    bad = slurp(fixture("state/bad_checksum.state"), &len);
    f = fopen(in_tdir("bad.state"), "w");
    ck_assert_ptr_nonnull(f);
    fwrite(bad, 1, len, f);
    fclose(f);
    chmod(in_tdir("bad.state"), 0600);
    write_state("open.state", 2);
    chmod(in_tdir("open.state"), 0666);
    ck_assert_int_eq(mkdir(in_tdir("dir.state"), 0700), 0);
    /* ignored: temp files, other names */
    write_state("notes.txt", 1);
    write_state(".x.state", 1);
    write_state(".state", 1);
    write_state("x.state.tmp.1", 1);

    ck_assert_int_eq(ipcg_state_list(pool, tdir, geteuid(), NULL, &states,
                                     &refused), APR_SUCCESS);
    ck_assert_int_eq(refused, 3);
    ck_assert_int_eq(states->nelts, 3);
    /* the excluded file is skipped unread: neither listed nor refused */
    {
        apr_array_header_t *fewer;
        int refused2;
        ck_assert_int_eq(ipcg_state_list(pool, tdir, geteuid(),
                                         in_tdir("open.state"), &fewer,
                                         &refused2), APR_SUCCESS);
        ck_assert_int_eq(refused2, 2);
        ck_assert_int_eq(fewer->nelts, 3);
    }
    /* sorted by instance */
    for (i = 1; i < states->nelts; i++) {
        ck_assert_int_lt(strcmp(APR_ARRAY_IDX(states, i - 1,
                                              ipcg_state_t).instance,
                                APR_ARRAY_IDX(states, i,
                                              ipcg_state_t).instance), 0);
    }
    for (i = 0; i < states->nelts; i++) {
        const ipcg_state_t *s = &APR_ARRAY_IDX(states, i, ipcg_state_t);
        char id[17];
        ipcg_state_instance_id(s->pidfile, id);
        ck_assert_str_eq(id, s->instance);
    }
    ck_assert_int_ne(ipcg_state_list(pool, in_tdir("missing"), 0, NULL, &states,
                                     &refused), APR_SUCCESS);
    ck_assert_int_eq(states->nelts, 0);
    ck_assert_int_eq(refused, 0);
}
END_TEST

static Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *tc;

    tc = tcase_create("format");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, instance_id_is_fnv1a64);
    ADD_TEST(tc, format_matches_golden_file);
    ADD_TEST(tc, round_trip_no_objects);
    ADD_TEST(tc, round_trip_hostile_strings);
    ADD_TEST(tc, round_trip_extremes);
    ADD_TEST(tc, round_trip_1000_objects);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    tcase_add_loop_test(tc, malformed_input_named_by_line, 0,
                        (int)(sizeof(muts) / sizeof(muts[0])));
    ADD_TEST(tc, whole_file_defects);
    ADD_TEST(tc, obj_line_mutations_read_as_written);
    ADD_TEST(tc, every_prefix_refused);
    ADD_TEST(tc, fixture_files);
    ADD_TEST(tc, reads_release_0_1_0_file);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, files_setup, files_teardown);
    ADD_TEST(tc, write_then_read);
    ADD_TEST(tc, read_in_pieces_as_parsed);
    ADD_TEST(tc, content_sum_leaves_the_time_out);
    ADD_TEST(tc, write_text_writes_what_it_is_given);
    ADD_TEST(tc, write_failures_leave_nothing);
    ADD_TEST(tc, read_refuses_unsafe_files);
    ADD_TEST(tc, read_refuses_unsafe_directories);
    ADD_TEST(tc, dir_ensure_creates_and_refuses);
    ADD_TEST(tc, runlock_one_holder_shared_by_fork);
    ADD_TEST(tc, list_reads_every_state_file);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(state_suite());
}
