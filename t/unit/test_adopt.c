/* Unit tests of adoption and the application record (src/ipcg_adopt.c):
 * who of a server's tree uses an object, what the maps say, the record's
 * format byte for byte, its strict parser, and the reader's refusals.
 *
 *   make build/test_adopt && build/test_adopt
 */
#include <sys/stat.h>
#include <unistd.h>

#include "ipcg_check.h"

#include "ipcguard/ipcg_adopt.h"
#include "ipcguard/ipcg_registry.h"

/* A tree of three processes: the parent 100 and its children 101, 102. */
static ipcg_users_t users(void)
{
    apr_array_header_t *tree = apr_array_make(pool, 3, sizeof(ipcg_proc_t));
    ipcg_users_t u;
    int i;

    for (i = 0; i < 3; i++) {
        ipcg_proc_t *pr = apr_array_push(tree);
        memset(pr, 0, sizeof(*pr));
        pr->pid = 100 + i;
        pr->ppid = i ? 100 : 1;
        strcpy(pr->comm, "apache2");
    }
    ipcg_users_init(pool, &u, tree, 0);
    return u;
}

static ipcg_obj_t sysv(ipcg_kind_e kind, apr_int64_t id, apr_int32_t key)
{
    ipcg_obj_t o;

    memset(&o, 0, sizeof(o));
    o.kind = kind;
    o.id = id;
    o.key = key;
    o.cuid = 33;
    o.ctime = 1700000000;
    o.size = kind == IPCG_SYSV_SEM ? 3 : 16384;
    o.cls = IPCG_CLASS_FOREIGN;
    return o;
}

static ipcg_obj_t posix(const char *name, apr_uint64_t ino)
{
    ipcg_obj_t o;

    memset(&o, 0, sizeof(o));
    o.kind = IPCG_POSIX_SHM;
    o.id = -1;
    o.ino = ino;
    o.cuid = 33;
    o.ctime = 1700000000;
    o.size = 4096;
    ipcg_strlcpy(o.name, name, sizeof(o.name));
    o.cls = IPCG_CLASS_FOREIGN;
    return o;
}

/* ------------------------------------------------------------------ */
/* Who uses an object                                                   */

START_TEST(maps_name_segments_and_devshm_files)
{
    ipcg_users_t u = users();
    const char *maps =
        "7f0000000000-7f0000004000 rw-s 00000000 00:01 32769                      /SYSV62004154 (deleted)\n"
        "7f0000010000-7f0000011000 rw-s 00000000 00:1a 4711                       /dev/shm/app pool\n"
        "7f0000020000-7f0000021000 r--s 00000000 00:1b 4712                       /dev/shm/other-fs\n"
        "7f0000030000-7f0000031000 r-xp 00000000 08:01 999                        /usr/lib/x.so\n"
        "7f0000040000-7f0000041000 rw-s 00000000 00:01 5                          /dev/zero (deleted)\n"
        "7f0000050000-7f0000051000 rw-p 00000000 00:00 0 \n"
        "garbage\n";
    apr_int64_t id = 32769, other = 5;
    apr_uint64_t ino = 4711, ino2 = 4712;
    const apr_int64_t *pid;

    ipcg_users_parse_maps(&u, 101, maps, "/dev/shm", "0:1a");
    pid = apr_hash_get(u.shm, &id, sizeof(id));
    ck_assert_msg(pid && *pid == 101, "segment 32769 is mapped by 101");
    ck_assert_ptr_null(apr_hash_get(u.shm, &other, sizeof(other)));
    pid = apr_hash_get(u.files, &ino, sizeof(ino));
    ck_assert_msg(pid && *pid == 101, "/dev/shm/app pool (a space in the "
                  "name) is mapped by 101");
    ck_assert_msg(apr_hash_get(u.files, &ino2, sizeof(ino2)) == NULL,
                  "a file on another device is no /dev/shm object");
    ck_assert_int_eq(apr_hash_count(u.shm), 1);
    ck_assert_int_eq(apr_hash_count(u.files), 1);
    /* the first user seen stays */
    ipcg_users_parse_maps(&u, 102, maps, "/dev/shm", NULL);
    pid = apr_hash_get(u.shm, &id, sizeof(id));
    ck_assert_int_eq(*pid, 101);
    ck_assert_msg(apr_hash_get(u.files, &ino2, sizeof(ino2)) != NULL,
                  "without a device to compare, the path decides");
}
END_TEST

START_TEST(users_are_the_tree_only)
{
    ipcg_users_t u = users();
    ipcg_obj_t shm = sysv(IPCG_SYSV_SHM, 7, 0x62004154);
    ipcg_obj_t msg = sysv(IPCG_SYSV_MSG, 8, 0x63004154);
    ipcg_obj_t sem = sysv(IPCG_SYSV_SEM, 9, 0x61004154);
    ipcg_obj_t f = posix("app", 4711);
    ipcg_use_t use;
    apr_int64_t id = 7;
    apr_uint64_t ino = 4711;

    /* a segment: its last attach, then its creator, then a mapping */
    shm.cpid = 555;
    shm.lpid = 666;
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 0);
    shm.cpid = 102;
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 102);
    shm.lpid = 101;
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 101);
    shm.cpid = shm.lpid = 555;
    ipcg_users_parse_maps(&u, 100, "7f00-7f01 rw-s 00000000 00:01 7 /SYSV62004154\n",
                          "/dev/shm", NULL);
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 100);
    (void)id;
    /* a set: any semaphore's last operation */
    memset(&use, 0, sizeof(use));
    use.exists = 1;
    use.npids = 2;
    use.pids[0] = 555;
    use.pids[1] = 777;
    ck_assert_int_eq(ipcg_adopt_user(&u, &sem, &use), 0);
    use.pids[1] = 102;
    ck_assert_int_eq(ipcg_adopt_user(&u, &sem, &use), 102);
    ck_assert_int_eq(ipcg_adopt_user(&u, &sem, NULL), 0);
    /* a queue: last send or receive */
    msg.cpid = 555;
    msg.lpid = 101;
    ck_assert_int_eq(ipcg_adopt_user(&u, &msg, NULL), 101);
    msg.lpid = 0;
    ck_assert_int_eq(ipcg_adopt_user(&u, &msg, NULL), 0);
    /* a /dev/shm file: mapped or open */
    ck_assert_int_eq(ipcg_adopt_user(&u, &f, NULL), 0);
    ipcg_users_parse_maps(&u, 102, "7f00-7f01 rw-s 00000000 00:1a 4711 /dev/shm/app\n",
                          "/dev/shm", NULL);
    ck_assert_int_eq(ipcg_adopt_user(&u, &f, NULL), 102);
    (void)ino;
}
END_TEST

START_TEST(private_objects_are_never_adopted)
{
    ipcg_users_t u = users();
    ipcg_obj_t shm = sysv(IPCG_SYSV_SHM, 7, 0);
    ipcg_obj_t unnamed = posix("", 1);

    shm.cpid = shm.lpid = 101;
    ck_assert_int_eq(ipcg_adopt_candidate(&shm), 0);
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 0);
    ck_assert_int_eq(ipcg_adopt_candidate(&unnamed), 0);
    shm.key = 1;
    ck_assert_int_eq(ipcg_adopt_candidate(&shm), 1);
}
END_TEST

START_TEST(extra_pid_counts_as_the_tree)
{
    ipcg_users_t u;
    ipcg_obj_t shm = sysv(IPCG_SYSV_SHM, 7, 0x62004154);

    ipcg_users_init(pool, &u, NULL, 4242);
    shm.lpid = 4242;
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 4242);
    shm.lpid = 4243;
    ck_assert_int_eq(ipcg_adopt_user(&u, &shm, NULL), 0);
}
END_TEST

/* The scan: what is known is skipped; segments and files are adopted
 * from what the kernel and the maps say; what the tree does not use
 * stays out. */
START_TEST(scan_adopts_what_the_tree_uses)
{
    ipcg_users_t u = users();
    ipcg_snapshot_t snap;
    ipcg_adopt_t *a = ipcg_adopt_create(pool);
    apr_array_header_t *found = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    apr_hash_t *known = apr_hash_make(pool);
    ipcg_obj_t used = sysv(IPCG_SYSV_SHM, 7, 0x62004154);
    ipcg_obj_t mine = sysv(IPCG_SYSV_SHM, 8, 0x62004155);
    ipcg_obj_t other = sysv(IPCG_SYSV_SHM, 9, 0x62004156);
    ipcg_obj_t priv = sysv(IPCG_SYSV_SHM, 10, 0);
    const ipcg_obj_t *x;

    used.lpid = 101;
    mine.lpid = 102;
    other.cpid = other.lpid = 555;
    priv.lpid = 101;
    ipcg_snapshot_init(pool, &snap);
    *(ipcg_obj_t *)apr_array_push(snap.objs) = used;
    *(ipcg_obj_t *)apr_array_push(snap.objs) = mine;
    *(ipcg_obj_t *)apr_array_push(snap.objs) = other;
    *(ipcg_obj_t *)apr_array_push(snap.objs) = priv;
    apr_hash_set(known, ipcg_obj_slot(pool, &mine), APR_HASH_KEY_STRING, "");
    /* the maps are read (segment 9 is settled by no pid), and show none */
    u.mapped = 1;
    ck_assert_int_eq(ipcg_adopt_scan(a, pool, NULL, &snap, known, &u,
                                     1800000000, found), 1);
    x = &APR_ARRAY_IDX(found, 0, ipcg_obj_t);
    ck_assert_int_eq(x->id, 7);
    ck_assert_int_eq(x->cls, IPCG_CLASS_APPLICATION);
    ck_assert_int_eq(x->phase, IPCG_PHASE_RUNTIME);
    ck_assert_int_eq(x->owner_pid, 101);
    ck_assert_int_eq(x->adopted, 1800000000);
    ck_assert_str_eq(x->module, "unknown");
    ck_assert_int_eq(x->size, 16384);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The record                                                           */

static const char golden[] =
    "ipcguard-apps 1\n"
    "instance 5087a4917ffc70fc\n"
    "obj kind=sysv-sem id=10 key=1627406676 name= ino=0 cuid=33 ctime=1700000000 size=3 pid=812 adopted=1700000100\n"
    "obj kind=sysv-shm id=32769 key=-2 name= ino=0 cuid=33 ctime=1700000000 size=16384 pid=813 adopted=1700000100\n"
    "obj kind=posix-shm id=-1 key=0 name=a%20b%25c%3Dd%0A%C3%A9 ino=4711 cuid=33 ctime=1700000000 size=4096 pid=814 adopted=0\n"
    "end 3\n";

static ipcg_apps_t golden_apps(void)
{
    ipcg_apps_t apps;
    ipcg_obj_t o;

    memset(&apps, 0, sizeof(apps));
    strcpy(apps.instance, "5087a4917ffc70fc");
    apps.objs = apr_array_make(pool, 3, sizeof(ipcg_obj_t));
    o = sysv(IPCG_SYSV_SEM, 10, 0x61004154);
    o.owner_pid = 812;
    o.adopted = 1700000100;
    *(ipcg_obj_t *)apr_array_push(apps.objs) = o;
    o = sysv(IPCG_SYSV_SHM, 32769, -2);
    o.owner_pid = 813;
    o.adopted = 1700000100;
    *(ipcg_obj_t *)apr_array_push(apps.objs) = o;
    o = posix("a b%c=d\n\xc3\xa9", 4711);
    o.owner_pid = 814;
    *(ipcg_obj_t *)apr_array_push(apps.objs) = o;
    return apps;
}

START_TEST(format_matches_golden_text)
{
    ipcg_apps_t apps = golden_apps();
    apr_size_t len;
    char *text = ipcg_apps_format(pool, &apps, &len);

    ck_assert_str_eq(text, golden);
    ck_assert_int_eq(len, strlen(golden));
}
END_TEST

START_TEST(parse_reads_what_format_wrote)
{
    ipcg_apps_t apps, want = golden_apps();
    const char *why = NULL;
    int i;

    ck_assert_int_eq(ipcg_apps_parse(pool, golden, strlen(golden), &apps,
                                     &why), APR_SUCCESS);
    ck_assert_str_eq(apps.instance, want.instance);
    ck_assert_int_eq(apps.objs->nelts, 3);
    for (i = 0; i < 3; i++) {
        const ipcg_obj_t *x = &APR_ARRAY_IDX(apps.objs, i, ipcg_obj_t);
        const ipcg_obj_t *y = &APR_ARRAY_IDX(want.objs, i, ipcg_obj_t);
        ck_assert_msg(ipcg_obj_same(x, y), "object %d read back", i);
        ck_assert_int_eq(x->owner_pid, y->owner_pid);
        ck_assert_int_eq(x->adopted, y->adopted);
        ck_assert_int_eq(x->cls, IPCG_CLASS_APPLICATION);
        ck_assert_int_eq(x->phase, IPCG_PHASE_RUNTIME);
        ck_assert_str_eq(x->module, "unknown");
        ck_assert_msg(x->owner_start == IPCG_OWNER_GONE, "a process of an "
                      "earlier run");
    }
    ck_assert_str_eq(APR_ARRAY_IDX(apps.objs, 2, ipcg_obj_t).name,
                     "a b%c=d\n\xc3\xa9");
}
END_TEST

START_TEST(empty_record_round_trips)
{
    ipcg_apps_t apps, back;
    char *text;

    memset(&apps, 0, sizeof(apps));
    strcpy(apps.instance, "0123456789abcdef");
    apps.objs = apr_array_make(pool, 1, sizeof(ipcg_obj_t));
    text = ipcg_apps_format(pool, &apps, NULL);
    ck_assert_str_eq(text, "ipcguard-apps 1\ninstance 0123456789abcdef\nend 0\n");
    ck_assert_int_eq(ipcg_apps_parse(pool, text, strlen(text), &back, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(back.objs->nelts, 0);
}
END_TEST

START_TEST(format_refuses_what_would_not_parse)
{
    ipcg_apps_t apps = golden_apps();
    ipcg_obj_t *o = &APR_ARRAY_IDX(apps.objs, 2, ipcg_obj_t);

    strcpy(o->name, "a/b");
    ck_assert_ptr_null(ipcg_apps_format(pool, &apps, NULL));
    o = &APR_ARRAY_IDX(apps.objs, 0, ipcg_obj_t);
    strcpy(APR_ARRAY_IDX(apps.objs, 2, ipcg_obj_t).name, "ok");
    strcpy(o->name, "x");
    ck_assert_ptr_null(ipcg_apps_format(pool, &apps, NULL));
}
END_TEST

/* Each mutation of the golden text, and the refusal it must get. */
static const struct {
    const char *from, *to, *why;
} muts[] = {
    { "ipcguard-apps 1", "ipcguard-apps 2", "line 1: not an ipcguard-apps 1 record" },
    { "instance 5087a4917ffc70fc", "instance 5087A4917ffc70fc", "line 2: expected instance <16 hex digits>" },
    { "instance 5087a4917ffc70fc", "instance 5087a4917ffc70f", "line 2: expected instance <16 hex digits>" },
    { "kind=sysv-sem", "kind=sysv-bad", "line 3: unknown kind" },
    { "id=10 ", "id=010 ", "line 3: bad id" },
    { "id=10 ", "id=+10 ", "line 3: bad id" },
    { "id=10 ", "id=-0 ", "line 3: bad id" },
    { "id=10 ", "id=2147483648 ", "line 3: bad id" },
    { "id=10 ", "id=-1 ", "line 3: a SysV object needs an id, no name and ino 0" },
    { "key=1627406676", "key=2147483648", "line 3: bad key" },
    { "id=10 key", "key=1627406676 id=10 key", "line 3: expected field id" },
    { "size=3 pid=812", "size=3 pid=-812", "line 3: bad pid" },
    { "cuid=33 ctime=1700000000 size=3", "cuid=4294967296 ctime=1700000000 size=3", "line 3: bad cuid" },
    { "adopted=1700000100\nobj kind=sysv-shm", "adopted=1700000100 x=1\nobj kind=sysv-shm", "line 3: text after the last field" },
    { "size=3 pid=812 adopted=1700000100", "size=3 pid=812", "line 3: missing field adopted" },
    { "name= ino=0 cuid=33 ctime=1700000000 size=3", "name=x ino=0 cuid=33 ctime=1700000000 size=3", "line 3: a SysV object needs an id, no name and ino 0" },
    { "name=a%20b", "name=a%2fb", "line 5: bad name" },
    { "name=a%20b", "name=a%2Fb", "line 5: bad name" },
    { "name=a%20b", "name=a%41b", "line 5: bad name" },
    { "name=a%20b", "name=a%00b", "line 5: bad name" },
    { "name=a%20b", "name=a%2", "line 5: bad name" },
    { "name=a%20b%25c%3Dd%0A%C3%A9", "name=", "line 5: a POSIX object needs a name, id -1 and key 0" },
    { "kind=posix-shm id=-1 key=0", "kind=posix-shm id=-1 key=5", "line 5: a POSIX object needs a name, id -1 and key 0" },
    { "obj kind=sysv-shm id=32769", "obj kind=sysv-sem id=10", "line 4: the same object twice" },
    { "end 3", "end 2", "line 6: the end line does not count the objects" },
    { "end 3", "end 03", "line 6: the end line does not count the objects" },
    { "end 3\n", "end 3\nend 3\n", "line 7: text after the end line" },
    { "end 3\n", "", "line 5: no end line: the record is cut short" },
    { "end 3\n", "end 3", "line 1: the record does not end with a newline" },
    { "obj kind=sysv-shm", "objx kind=sysv-shm", "line 4: unknown line" },
};

START_TEST(malformed_record_named_by_line)
{
    const char *at = strstr(golden, muts[_i].from);
    const char *text, *why = NULL;
    ipcg_apps_t apps;

    ck_assert_msg(at != NULL, "mutation %d applies", _i);
    text = apr_pstrcat(pool, apr_pstrndup(pool, golden, (apr_size_t)(at - golden)),
                       muts[_i].to, at + strlen(muts[_i].from), NULL);
    ck_assert_int_eq(ipcg_apps_parse(pool, text, strlen(text), &apps, &why),
                     APR_EGENERAL);
    ck_assert_msg(why && strcmp(why, muts[_i].why) == 0,
                  "mutation %d: expected '%s', got '%s'", _i, muts[_i].why,
                  why ? why : "(null)");
}
END_TEST

START_TEST(every_prefix_refused_and_nul_refused)
{
    apr_size_t n, len = strlen(golden);
    ipcg_apps_t apps;
    const char *why;
    char *copy;

    for (n = 0; n < len; n++) {
        why = NULL;
        ck_assert_msg(ipcg_apps_parse(pool, golden, n, &apps, &why)
                      == APR_EGENERAL, "a record cut at %d bytes is refused",
                      (int)n);
        ck_assert_msg(why && strncmp(why, "line ", 5) == 0,
                      "the refusal names a line: %s", why ? why : "(null)");
    }
    copy = apr_pstrdup(pool, golden);
    copy[20] = '\0';
    ck_assert_int_eq(ipcg_apps_parse(pool, copy, len, &apps, &why),
                     APR_EGENERAL);
    ck_assert_str_eq(why, "line 1: a NUL byte");
}
END_TEST

START_TEST(from_registry_takes_application_objects_only)
{
    apr_array_header_t *reg = apr_array_make(pool, 4, sizeof(ipcg_obj_t));
    ipcg_apps_t apps;
    ipcg_obj_t o;

    o = sysv(IPCG_SYSV_SEM, 1, 5);
    o.cls = IPCG_CLASS_APPLICATION;
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    o = sysv(IPCG_SYSV_SEM, 2, 0);
    o.cls = IPCG_CLASS_INSTANCE;
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    o = sysv(IPCG_SYSV_SHM, 3, 7);
    o.cls = IPCG_CLASS_INSTANCE;
    *(ipcg_obj_t *)apr_array_push(reg) = o;
    ipcg_apps_from(pool, reg, "0123456789abcdef", &apps);
    ck_assert_int_eq(apps.objs->nelts, 1);
    ck_assert_int_eq(APR_ARRAY_IDX(apps.objs, 0, ipcg_obj_t).id, 1);
    ck_assert_str_eq(apps.instance, "0123456789abcdef");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files                                                                */

static char *tdir;

static void files_setup(void)
{
    pool_setup();
    tdir = temp_dir("ipcg-adopt-test");
    chmod(tdir, 0700);
}

static void files_teardown(void)
{
    const char *names[] = { "x.apps", "link.apps" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unlink(apr_pstrcat(pool, tdir, "/", names[i], NULL));
    }
    rmdir(tdir);
    pool_teardown();
}

START_TEST(write_read_and_refusals)
{
    ipcg_apps_t apps = golden_apps(), back;
    const char *path = ipcg_apps_path(pool, tdir, "x");
    const char *link = apr_pstrcat(pool, tdir, "/link.apps", NULL);
    const char *why = NULL;
    struct stat st;

    ck_assert_str_eq(path, apr_pstrcat(pool, tdir, "/x.apps", NULL));
    ck_assert_int_eq(ipcg_apps_read(pool, path, geteuid(), &back, &why),
                     APR_ENOENT);
    ck_assert_int_eq(ipcg_apps_write(pool, path, &apps, &why), APR_SUCCESS);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(ipcg_apps_read(pool, path, geteuid(), &back, &why),
                     APR_SUCCESS);
    ck_assert_int_eq(back.objs->nelts, 3);
    /* trusted like the state file: owner, mode, no symlink */
    ck_assert_int_eq(ipcg_apps_read(pool, path, geteuid() + 1, &back, &why),
                     APR_EACCES);
    chmod(path, 0620);
    ck_assert_int_eq(ipcg_apps_read(pool, path, geteuid(), &back, &why),
                     APR_EACCES);
    chmod(path, 0600);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(ipcg_apps_read(pool, link, geteuid(), &back, &why),
                     APR_EACCES);
}
END_TEST

/* At a start: what the record names counts again only while the very
 * object exists (a /dev/shm directory of the test's own). */
START_TEST(revive_takes_back_only_the_same_objects)
{
    ipcg_apps_t apps;
    ipcg_paths_t paths;
    apr_array_header_t *out = apr_array_make(pool, 2, sizeof(ipcg_obj_t));
    const char *file = apr_pstrcat(pool, tdir, "/x.apps", NULL);
    struct stat st;
    ipcg_obj_t rec, *x;
    FILE *f = fopen(file, "w");

    ck_assert_ptr_nonnull(f);
    fputs("app", f);
    fclose(f);
    ck_assert_int_eq(stat(file, &st), 0);
    ipcg_paths_default(&paths);
    paths.devshm = tdir;
    memset(&apps, 0, sizeof(apps));
    strcpy(apps.instance, "0123456789abcdef");
    apps.objs = apr_array_make(pool, 2, sizeof(ipcg_obj_t));
    rec = posix("x.apps", (apr_uint64_t)st.st_ino);
    rec.cuid = (apr_uint32_t)st.st_uid;
    rec.ctime = 0;
    rec.owner_pid = 812;
    rec.adopted = 1700000100;
    *(ipcg_obj_t *)apr_array_push(apps.objs) = rec;
    rec = posix("gone", 77);
    *(ipcg_obj_t *)apr_array_push(apps.objs) = rec;
    ipcg_apps_revive(pool, &paths, &apps, out);
    ck_assert_int_eq(out->nelts, 1);
    x = &APR_ARRAY_IDX(out, 0, ipcg_obj_t);
    ck_assert_str_eq(x->name, "x.apps");
    ck_assert_int_eq(x->size, 3);
    ck_assert_int_eq(x->cls, IPCG_CLASS_APPLICATION);
    ck_assert_int_eq(x->phase, IPCG_PHASE_RUNTIME);
    ck_assert_int_eq(x->owner_pid, 812);
    ck_assert_int_eq(x->adopted, 1700000100);
    ck_assert_msg(x->owner_start == IPCG_OWNER_GONE, "an earlier run's user");
    /* the same name with another inode is another object */
    APR_ARRAY_IDX(apps.objs, 0, ipcg_obj_t).ino++;
    out->nelts = 0;
    ipcg_apps_revive(pool, &paths, &apps, out);
    ck_assert_int_eq(out->nelts, 0);
}
END_TEST

static Suite *adopt_suite(void)
{
    Suite *s = suite_create("adopt");
    TCase *tc;

    tc = tcase_create("users");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, maps_name_segments_and_devshm_files);
    ADD_TEST(tc, users_are_the_tree_only);
    ADD_TEST(tc, private_objects_are_never_adopted);
    ADD_TEST(tc, extra_pid_counts_as_the_tree);
    ADD_TEST(tc, scan_adopts_what_the_tree_uses);
    suite_add_tcase(s, tc);

    tc = tcase_create("record");
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, format_matches_golden_text);
    ADD_TEST(tc, parse_reads_what_format_wrote);
    ADD_TEST(tc, empty_record_round_trips);
    ADD_TEST(tc, format_refuses_what_would_not_parse);
    tcase_add_loop_test(tc, malformed_record_named_by_line, 0,
                        (int)(sizeof(muts) / sizeof(muts[0])));
    ADD_TEST(tc, every_prefix_refused_and_nul_refused);
    ADD_TEST(tc, from_registry_takes_application_objects_only);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, files_setup, files_teardown);
    ADD_TEST(tc, write_read_and_refusals);
    ADD_TEST(tc, revive_takes_back_only_the_same_objects);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(adopt_suite());
}
