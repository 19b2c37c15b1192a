/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/*
 * ipcguardctl: mod_ipcguard's report and safe cleanup from outside httpd,
 * on the same core, for when httpd cannot start for another reason and
 * for systemd's ExecStopPost=.
 *
 *   ipcguardctl list                       every IPC object, one a line
 *   ipcguardctl status [--json|--metrics|--auto|--html]
 *   ipcguardctl clean [--dry-run] [--state FILE | --pidfile PATH]
 *                     [--orphans --user NAME]
 *
 * Exit codes: 0 done; 1 error; 2 bad usage; 3 refused (the state file
 * failed its checks, or the recorded server or some of its processes
 * still run): nothing was removed.
 */

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_html.h"
#include "ipcguard/ipcg_log.h"
#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_state.h"
#include "ipcguard/ipcg_trends.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"

#define EXIT_REFUSED 3
#define EXIT_USAGE 2

static const char *const level_names[] = {
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};

static int verbosity = IPCG_LOG_NOTICE;

static void log_stderr(void *baton, int level, apr_status_t rv,
                       const char *msg)
{
    char err[256];

    (void)baton;
    if (level > verbosity) {
        return;
    }
    if (rv != APR_SUCCESS) {
        fprintf(stderr, "ipcguardctl: [%s] %s: %s\n",
                level_names[level & 7], msg,
                apr_strerror(rv, err, sizeof(err)));
    }
    else {
        fprintf(stderr, "ipcguardctl: [%s] %s\n", level_names[level & 7], msg);
    }
}

static void out_stdout(void *baton, const char *buf, apr_size_t len)
{
    (void)baton;
    fwrite(buf, 1, len, stdout);
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: ipcguardctl COMMAND [OPTIONS]\n"
"\n"
"Commands:\n"
"  list                 every IPC object on this system, one a line\n"
"                       (tab-separated: kind id key uid gid cuid mode size\n"
"                       nattch cpid lpid name)\n"
"  status               the report /ipc-status shows, from outside httpd\n"
"      --json | --metrics | --auto | --html   the format (default: the\n"
"                       verdict and a bar for each limit; colour on a TTY)\n"
"  clean                the module's startup cleanup, with the same proofs\n"
"      --dry-run        decide and report, remove nothing\n"
"      --state FILE     the state file to act on\n"
"      --pidfile PATH   the instance's PidFile (default\n"
"                       /var/run/apache2/apache2.pid)\n"
"      --orphans        also remove provable orphans (needs --user)\n"
"\n"
"Options for every command:\n"
"  --state-dir DIR      the state directory (default " IPCG_DEFAULT_STATE_DIR
")\n"
"  --user NAME|UID      the httpd run User (default www-data; run as\n"
"                       another user than root: that user)\n"
"  --group NAME|GID     the httpd run Group (default: the User's group)\n"
"  --httpd PATH         the httpd binary, to tell its processes\n"
"                       (default /usr/sbin/apache2)\n"
"  --beancounters PATH  user_beancounters file, or none\n"
"  --proc DIR, --devshm DIR   read another /proc or /dev/shm (testing)\n"
"  -v                   say more (each object's decision)\n"
"  -h, --help           this help\n"
"\n"
"Exit status: 0 done, 1 error, 2 bad usage, 3 refused (nothing removed).\n");
}

/* "sysv-sem\t32768\t0\t33\t..." with the name's unprintable bytes as
 * \xNN, so that a line is always one object. */
static void print_obj(const ipcg_obj_t *o)
{
    const unsigned char *c;

    printf("%s\t", ipcg_kind_name(o->kind));
    if (o->id >= 0) {
        printf("%" APR_INT64_T_FMT, o->id);
    }
    else {
        printf("-");
    }
    printf("\t%d\t%u\t%u\t%u\t%04o\t%" APR_UINT64_T_FMT "\t%" APR_UINT64_T_FMT
           "\t%" APR_INT64_T_FMT "\t%" APR_INT64_T_FMT "\t",
           (int)o->key, (unsigned)o->uid, (unsigned)o->gid, (unsigned)o->cuid,
           (unsigned)o->mode, o->size, o->nattch, o->cpid, o->lpid);
    for (c = (const unsigned char *)o->name; *c; c++) {
        if (*c < 0x21 || *c >= 0x7f || *c == '\\') {
            printf("\\x%02x", *c);
        }
        else {
            putchar(*c);
        }
    }
    putchar('\n');
}

typedef struct {
    ipcg_paths_t paths;
    const char *state_dir;
    const char *state_file;
    const char *pidfile;
    const char *user;
    const char *group;
    const char *httpd;
    const char *beancounters;
    int json, metrics, autofmt, html, dry_run, orphans;
} ctl_opts;

/* A name from the user or group database, or a number ("1500" or httpd's
 * "#1500"): containers run under uids that have no passwd entry. */
static int numeric_id(const char *arg, apr_uint32_t *id)
{
    char *end;
    unsigned long v;

    if (arg[0] == '#') {
        arg++;
    }
    if (arg[0] < '0' || arg[0] > '9') {
        return 0;
    }
    v = strtoul(arg, &end, 10);
    if (*end != '\0' || v > 0xfffffffeUL) {
        return 0;
    }
    *id = (apr_uint32_t)v;
    return 1;
}

/* The run User and Group: --user and --group; by default www-data as
 * root, else the caller itself (a server not started as root runs as the
 * user that started it). */
static int run_uid_gid(const ctl_opts *c, apr_uint32_t *uid,
                       apr_uint32_t *gid)
{
    if (c->user == NULL && geteuid() != 0) {
        *uid = (apr_uint32_t)geteuid();
        *gid = (apr_uint32_t)getegid();
    }
    else {
        const char *user = c->user ? c->user : "www-data";
        struct passwd *pw = getpwnam(user);
        if (pw != NULL) {
            *uid = pw->pw_uid;
            *gid = pw->pw_gid;
        }
        else if (numeric_id(user, uid)) {
            *gid = *uid;
        }
        else {
            fprintf(stderr, "ipcguardctl: --user %s: no such user\n", user);
            return 0;
        }
    }
    if (c->group) {
        struct group *gr = getgrnam(c->group);
        if (gr != NULL) {
            *gid = gr->gr_gid;
        }
        else if (!numeric_id(c->group, gid)) {
            fprintf(stderr, "ipcguardctl: --group %s: no such group\n",
                    c->group);
            return 0;
        }
    }
    return 1;
}

static void fill_reap(apr_pool_t *p, const ctl_opts *c, ipcg_reap_opts_t *o,
                      apr_uint32_t uid, apr_uint32_t gid)
{
    memset(o, 0, sizeof(*o));
    o->mode = c->dry_run ? IPCG_CLEANUP_REPORT
                         : (c->orphans ? IPCG_CLEANUP_ORPHANS
                                       : IPCG_CLEANUP_REGISTERED);
    o->run_uid = uid;
    o->run_gid = gid;
    /* run as root: root's state files (a server started as root); run as
     * another user: that user's (a server that user started) */
    o->trust_uid = (apr_uint32_t)geteuid();
    o->self_pid = getpid();
    o->self_exe = c->httpd;
    o->paths = &c->paths;
    o->state_dir = c->state_dir;
    if (c->state_file) {
        o->state_file = c->state_file;
        o->instance = NULL;
    }
    else {
        char *id = apr_palloc(p, 17);
        ipcg_state_instance_id(c->pidfile, id);
        o->instance = id;
    }
}

static int cmd_list(apr_pool_t *p, const ctl_opts *c)
{
    ipcg_snapshot_t snap;
    apr_status_t rv;
    int i;

    ipcg_snapshot_init(p, &snap);
    rv = ipcg_scan_all(p, &c->paths, &snap);
    if (rv != APR_SUCCESS) {
        char err[256];
        fprintf(stderr, "ipcguardctl: some tables could not be read: %s\n",
                apr_strerror(rv, err, sizeof(err)));
    }
    printf("#kind\tid\tkey\tuid\tgid\tcuid\tmode\tsize\tnattch\tcpid\tlpid"
           "\tname\n");
    for (i = 0; i < snap.objs->nelts; i++) {
        print_obj(&APR_ARRAY_IDX(snap.objs, i, ipcg_obj_t));
    }
    if (snap.bad_lines) {
        fprintf(stderr, "ipcguardctl: %d malformed line%s skipped\n",
                snap.bad_lines, ipcg_plural((apr_uint64_t)snap.bad_lines));
    }
    return rv == APR_SUCCESS ? 0 : 1;
}

/* The history the module keeps: forecasts at the default window, and the
 * outside removals it recorded. */
static void status_trends(apr_pool_t *p, const ctl_opts *c,
                          const apr_array_header_t *reg, ipcg_report_t *r)
{
    ipcg_history_t h;
    ipcg_sample_t *now = apr_palloc(p, sizeof(*now));
    const char *why = NULL;
    char id[17];
    apr_status_t rv;

    ipcg_state_instance_id(c->pidfile, id);
    rv = ipcg_history_read(p, ipcg_history_path(p, c->state_dir, id),
                           (apr_uint32_t)geteuid(), &h, &why);
    if (rv != APR_SUCCESS) {
        if (!APR_STATUS_IS_ENOENT(rv)) {
            fprintf(stderr, "ipcguardctl: history file: %s\n",
                    why ? why : "unreadable");
        }
        ipcg_history_init(p, &h);
    }
    ipcg_report_sample(r, reg, apr_time_sec(apr_time_now()), now);
    ipcg_report_trends(&h, now, IPCG_DEFAULT_FORECAST_WINDOW,
                       IPCG_DEFAULT_FORECAST_HORIZON, h.outside_total, r);
}

/* The page /ipc-status shows, for this host, without a server signature. */
static void status_html(apr_pool_t *p, const ipcg_view_t *v, ipcg_out_t *out)
{
    ipcg_html_opts_t o;
    char host[256];

    if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    o.host = host;
    o.via = NULL;
    o.signature = NULL;
    o.refresh = 0;
    o.now = apr_time_sec(apr_time_now());
    ipcg_render_html(p, v, &o, out);
}

/* The registry as the state file at @a path records it, with what still
 * exists of it in @a snap appended to @a reg, and the run it names in
 * @a r. Returns whether the file was read. */
static int status_registry(apr_pool_t *p, const char *path,
                           const ipcg_snapshot_t *snap, ipcg_state_t *st,
                           ipcg_report_t *r, apr_array_header_t *reg)
{
    ipcg_objmap_t *live;
    const char *why = NULL;
    int i;

    memset(st, 0, sizeof(*st));
    if (ipcg_state_read(p, path, (apr_uint32_t)geteuid(), st, &why)
        != APR_SUCCESS) {
        if (why) {
            fprintf(stderr, "ipcguardctl: state file %s: %s\n", path, why);
        }
        return 0;
    }
    /* by slot, not a search per object: a state file can list thousands */
    live = ipcg_snapshot_index(p, snap);
    memcpy(r->instance, st->instance, sizeof(r->instance));
    r->pid = st->pid;
    r->starttime = st->starttime;
    r->started = st->started;
    r->generation = st->generation;
    r->updated = st->written;
    for (i = 0; i < st->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(st->objs, i, ipcg_obj_t);
        const ipcg_obj_t *now = ipcg_objmap_get(live, o);
        ipcg_obj_t x = *o;
        if (now == NULL || !ipcg_obj_continues(o, now)) {
            continue;                 /* gone since the file was written */
        }
        x.nattch = now->nattch;
        x.lpid = now->lpid;
        *(ipcg_obj_t *)apr_array_push(reg) = x;
    }
    return 1;
}

/* @a v on stdout in the format the options ask for. */
static void status_render(apr_pool_t *p, const ctl_opts *c,
                          const ipcg_view_t *v)
{
    ipcg_out_t out = { out_stdout, NULL };

    if (c->json) {
        ipcg_render_json(p, v, &out);
    }
    else if (c->metrics) {
        ipcg_render_metrics(p, v, &out);
    }
    else if (c->html) {
        status_html(p, v, &out);
    }
    else if (c->autofmt) {
        ipcg_render_auto(p, v, "", &out);
    }
    else {
        ipcg_render_text(p, v, isatty(STDOUT_FILENO) ? IPCG_TEXT_ANSI
                                                     : IPCG_TEXT_PLAIN,
                         &out);
    }
}

/* The report, built the way the module's parent builds it, with the state
 * file standing for the registry. */
static int cmd_status(apr_pool_t *p, const ctl_opts *c)
{
    ipcg_snapshot_t snap;
    ipcg_view_t v;
    ipcg_report_t *r = &v.rep;
    ipcg_state_t st;
    apr_array_header_t *reg = apr_array_make(p, 16, sizeof(ipcg_obj_t));
    const char *path;
    apr_uint32_t uid = 0, gid = 0;
    int have_state;

    memset(&v, 0, sizeof(v));
    v.objs = apr_array_make(p, 16, sizeof(ipcg_obj_t));
    v.decisions = apr_array_make(p, 1, sizeof(ipcg_decision_t));
    v.procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    if (run_uid_gid(c, &uid, &gid)) {
        r->run_uid = uid;
        r->run_gid = gid;
    }
    r->user_mode = geteuid() != 0;
    ipcg_snapshot_init(p, &snap);
    ipcg_scan_all(p, &c->paths, &snap);
    if (c->state_file) {
        path = c->state_file;
    }
    else {
        char id[17];
        ipcg_state_instance_id(c->pidfile, id);
        path = ipcg_state_path(p, c->state_dir, id);
    }
    have_state = status_registry(p, path, &snap, &st, r, reg);
    r->show_foreign = 1;
    r->warn_percent = IPCG_DEFAULT_WARN_PERCENT;
    ipcg_report_system(p, &c->paths, c->beancounters, &snap, r);
    ipcg_report_objects(p, reg, &snap, 1, &v);
    if (have_state
        && ipcg_proc_alive(p, &c->paths, st.pid, st.starttime) == 1) {
        ipcg_report_procs(p, &c->paths, st.pid, &v);
    }
    status_trends(p, c, reg, r);
    status_render(p, c, &v);
    return 0;
}

static int cmd_clean(apr_pool_t *p, const ctl_opts *c)
{
    ipcg_reap_opts_t o;
    ipcg_reap_ctx_t *ctx;
    ipcg_cleanup_t res;
    apr_array_header_t *decisions = apr_array_make(p, 16,
                                                   sizeof(ipcg_decision_t));
    apr_uint32_t uid, gid;
    int i;

    if (!run_uid_gid(c, &uid, &gid)) {
        return EXIT_USAGE;
    }
    fill_reap(p, c, &o, uid, gid);
    /* the same procedure as the module's, with its own context; the
     * recorded objects are judged against the User and Group the state
     * file names, --user and --group are for orphans */
    ctx = ipcg_reap_ctx_make(p, &o);
    ipcg_reap_startup(ctx, &res, decisions, NULL);
    if (c->orphans || c->dry_run) {
        ipcg_snapshot_t snap;
        apr_hash_t *seen = apr_hash_make(p);
        apr_uint64_t cand = 0, prov = 0;
        for (i = 0; i < decisions->nelts; i++) {
            const ipcg_obj_t *x = &APR_ARRAY_IDX(decisions, i,
                                                 ipcg_decision_t).obj;
            apr_hash_set(seen, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
        }
        ipcg_snapshot_init(p, &snap);
        ipcg_scan_all(p, &c->paths, &snap);
        ipcg_reap_orphans(ctx, &snap, seen, decisions, &cand, &prov);
    }
    for (i = 0; verbosity >= IPCG_LOG_INFO && i < decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(decisions, i,
                                                  ipcg_decision_t);
        printf("%s\t", d->what == IPCG_DEC_REMOVED ? "removed"
                       : d->what == IPCG_DEC_KEPT ? "kept"
                       : d->provable ? "orphan-provable" : "orphan-kept");
        print_obj(&d->obj);
        if (d->reason[0]) {
            printf("\treason: %s\n", d->reason);
        }
    }
    printf("%s\n", res.summary);
    switch (res.outcome) {
    case IPCG_OUTCOME_REFUSED:
    case IPCG_OUTCOME_ALIVE:
    case IPCG_OUTCOME_SURVIVORS:
    case IPCG_OUTCOME_UNKNOWN:
        return EXIT_REFUSED;
    default:
        return 0;
    }
}

/* One option into @a c: -1 to go on, else the exit status. */
static int set_option(ctl_opts *c, int ch, const char *arg)
{
    const char *err;

    switch (ch) {
    case 'j': c->json = 1; break;
    case 'm': c->metrics = 1; break;
    case 'a': c->autofmt = 1; break;
    case 'H': c->html = 1; break;
    case 'n': c->dry_run = 1; break;
    case 's': c->state_file = arg; break;
    case 'd':
        if ((err = ipcg_conf_dir(arg)) != NULL) {
            fprintf(stderr, "ipcguardctl: --state-dir %s: %s\n", arg, err);
            return EXIT_USAGE;
        }
        c->state_dir = arg;
        break;
    case 'p': c->pidfile = arg; break;
    case 'o': c->orphans = 1; break;
    case 'u': c->user = arg; break;
    case 'g': c->group = arg; break;
    case 'x': c->httpd = arg; break;
    case 'b':
        if ((err = ipcg_conf_path_or_none(arg, &c->beancounters)) != NULL) {
            fprintf(stderr, "ipcguardctl: --beancounters %s: %s\n", arg,
                    err);
            return EXIT_USAGE;
        }
        break;
    case 'P': c->paths.proc = arg; break;
    case 'D': c->paths.devshm = arg; break;
    case 'v': verbosity = IPCG_LOG_INFO; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return EXIT_USAGE;
    }
    return -1;
}

/* "ipcguardctl COMMAND [OPTIONS]": the command first, then options; the
 * command taken out of @a argv, or NULL when the options come first. */
static const char *command_first(apr_pool_t *p, int *argc,
                                 const char *const **argv)
{
    const char **rest;
    const char *cmd;
    int k;

    if (*argc < 2 || (*argv)[1][0] == '-') {
        return NULL;
    }
    rest = apr_palloc(p, sizeof(char *) * (apr_size_t)*argc);
    cmd = (*argv)[1];
    rest[0] = (*argv)[0];
    for (k = 2; k < *argc; k++) {
        rest[k - 1] = (*argv)[k];
    }
    (*argc)--;
    *argv = rest;
    return cmd;
}

static int run_command(apr_pool_t *p, const char *cmd, const ctl_opts *c)
{
    if (strcmp(cmd, "list") == 0) {
        return cmd_list(p, c);
    }
    if (strcmp(cmd, "status") == 0) {
        return cmd_status(p, c);
    }
    if (strcmp(cmd, "clean") == 0) {
        return cmd_clean(p, c);
    }
    fprintf(stderr, "ipcguardctl: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, const char *const *argv)
{
    static const apr_getopt_option_t options[] = {
        {"json", 'j', 0, "JSON"},
        {"metrics", 'm', 0, "Prometheus"},
        {"auto", 'a', 0, "Key: value"},
        {"html", 'H', 0, "the page"},
        {"dry-run", 'n', 0, "remove nothing"},
        {"state", 's', 1, "state file"},
        {"state-dir", 'd', 1, "state directory"},
        {"pidfile", 'p', 1, "PidFile"},
        {"orphans", 'o', 0, "remove provable orphans"},
        {"user", 'u', 1, "run User"},
        {"group", 'g', 1, "run Group"},
        {"httpd", 'x', 1, "httpd binary"},
        {"beancounters", 'b', 1, "beancounters"},
        {"proc", 'P', 1, "/proc"},
        {"devshm", 'D', 1, "/dev/shm"},
        {"verbose", 'v', 0, "verbose"},
        {"help", 'h', 0, "help"},
        {NULL, 0, 0, NULL}
    };
    apr_pool_t *p;
    apr_getopt_t *os;
    ctl_opts c;
    const char *cmd, *arg;
    int ch, rc;
    apr_status_t rv;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS) {
        return 1;
    }
    atexit(apr_terminate);
    apr_pool_create(&p, NULL);
    memset(&c, 0, sizeof(c));
    ipcg_paths_default(&c.paths);
    c.state_dir = IPCG_DEFAULT_STATE_DIR;
    c.pidfile = "/var/run/apache2/apache2.pid";
    c.httpd = "/usr/sbin/apache2";
    c.beancounters = IPCG_DEFAULT_BEANCOUNTERS;
    cmd = command_first(p, &argc, &argv);
    apr_getopt_init(&os, p, argc, argv);
    while ((rv = apr_getopt_long(os, options, &ch, &arg)) == APR_SUCCESS) {
        if ((rc = set_option(&c, ch, arg)) >= 0) {
            return rc;
        }
    }
    if (cmd == NULL && rv == APR_EOF && os->ind < argc) {
        cmd = argv[os->ind++];
    }
    if (rv != APR_EOF || cmd == NULL || os->ind < argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    ipcg_log_set(log_stderr, NULL);
    ipcg_log_set_level(verbosity);
    rc = run_command(p, cmd, &c);
    apr_pool_destroy(p);
    return rc;
}
