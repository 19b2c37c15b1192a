/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: knows every SysV and POSIX IPC object this server
 * allocates, shows them (and the limits they count against) on
 * /ipc-status and in /server-status, and removes, safely and by itself,
 * what an earlier run left behind when it was killed.
 *
 *   LoadModule ipcguard_module modules/mod_ipcguard.so
 *   <Location "/ipc-status">
 *       SetHandler ipc-status
 *       Require local
 *   </Location>
 *
 * This file is the httpd glue only: directives, hooks, the handler and the
 * mod_status section. Everything else is the core in src/ (APR only),
 * shared with ipcguardctl.
 *
 * How it works (docs/design.md):
 * - check_config, first pass: the startup cleanup reads this instance's
 *   state file, proves the run it names dead and removes its leftovers.
 * - check_config, later passes: the sorted open_logs, post_config and
 *   pre_mpm hook arrays get a snapshot of the kernel's IPC tables between
 *   every two entries, so that each new object is attributed to the
 *   module whose hook made it.
 * - The parent keeps the registry, writes the state file whenever it
 *   changes and publishes everything in an anonymous shared table that the
 *   handler in every child reads without a lock.
 * - monitor: rescans, registers what children made at runtime, refreshes
 *   limits and process memory, warns before a limit is reached.
 * - child_status: removes what a dead child made and nothing uses.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apr_hash.h"
#include "apr_optional.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "httpd.h"
#include "ap_mpm.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"
#include "mpm_common.h"
#include "scoreboard.h"
#include "unixd.h"

#include "ipcguard/ipcg_conf.h"
#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_html.h"
#include "ipcguard/ipcg_log.h"
#include "ipcguard/ipcg_probe.h"
#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_registry.h"
#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_state.h"
#include "ipcguard/ipcg_table.h"
#include "ipcguard/ipcg_verdict.h"

module AP_MODULE_DECLARE_DATA ipcguard_module;


#define IPCG_HANDLER "ipc-status"
/* The process-pool key of what the parent carries across generations. A
 * release whose ipcg_global differs bumps IPCG_CARRIED_LAYOUT: after a
 * package upgrade swaps the module under a running server, the graceful
 * restart loads the new code into the same parent, and what the old code
 * left there must not be read with the new layout. */
#define IPCG_USERDATA "ipcguard-carried"
#define IPCG_CARRIED_MAGIC 0x49504347u       /* "IPCG" */
#ifdef IPCG_CARRIED_TEST_LAYOUT
/* a build for the upgrade test: another layout, as a later release has */
#define IPCG_CARRIED_LAYOUT 1000u
#else
#define IPCG_CARRIED_LAYOUT 2u
#endif
#define IPCG_CAP_DECISIONS 512
#define IPCG_CAP_PROCS 512
/* a warning about the same limit again only after this long */
#define IPCG_WARN_INTERVAL apr_time_from_sec(600)

/* ------------------------------------------------------------------ */
/* Configuration                                                        */

typedef struct {
    int enabled;                 /* -1: unset (On) */
    int cleanup_set;
    ipcg_cleanup_e cleanup;
    const char *state_dir;
    int scan_seconds;            /* 0: unset */
    int warn_percent;
    int max_objects;
    const char *beancounters;    /* "": none */
    int show_foreign;            /* -1: unset (Off) */
    apr_int64_t forecast_window;  /* 0: unset */
    apr_int64_t forecast_horizon; /* -1: unset; 0: off */
} ipcg_server_conf;

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    ipcg_server_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->enabled = -1;
    c->show_foreign = -1;
    c->forecast_horizon = -1;
    return c;
}

static void *merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    ipcg_server_conf *base = basev, *add = addv;
    ipcg_server_conf *c = apr_pcalloc(p, sizeof(*c));

    c->enabled = add->enabled != -1 ? add->enabled : base->enabled;
    c->cleanup_set = add->cleanup_set || base->cleanup_set;
    c->cleanup = add->cleanup_set ? add->cleanup : base->cleanup;
    c->state_dir = add->state_dir ? add->state_dir : base->state_dir;
    c->scan_seconds = add->scan_seconds ? add->scan_seconds
                                        : base->scan_seconds;
    c->warn_percent = add->warn_percent ? add->warn_percent
                                        : base->warn_percent;
    c->max_objects = add->max_objects ? add->max_objects : base->max_objects;
    c->beancounters = add->beancounters ? add->beancounters
                                        : base->beancounters;
    c->show_foreign = add->show_foreign != -1 ? add->show_foreign
                                              : base->show_foreign;
    c->forecast_window = add->forecast_window ? add->forecast_window
                                              : base->forecast_window;
    c->forecast_horizon = add->forecast_horizon != -1
                          ? add->forecast_horizon : base->forecast_horizon;
    return c;
}

/* The effective values, defaults filled in. */
typedef struct {
    int enabled;
    ipcg_cleanup_e cleanup;
    const char *state_dir;
    int scan_seconds;
    int warn_percent;
    int max_objects;
    const char *beancounters;
    int show_foreign;
    apr_int64_t forecast_window;
    apr_int64_t forecast_horizon;     /* 0: off */
} ipcg_settings;

/* Whether httpd was started as root, decided in the parent's pre_config
 * before any child exists (a child of a root server runs as the User).
 * A server started as an ordinary user runs as that user (httpd ignores
 * User and Group then): its state lives in a directory of that user and
 * only that user's objects are its own. */
static int started_as_root = 1;
static apr_uint32_t started_uid, started_gid;
/* the default state directory of a server not started as root:
 * <DefaultRuntimeDir>/ipcguard, set at each check_config */
static char user_state_dir[1024];

/* The user and group the server's processes run as. */
static apr_uint32_t run_user(void)
{
    return started_as_root ? (apr_uint32_t)ap_unixd_config.user_id
                           : started_uid;
}

static apr_uint32_t run_group(void)
{
    return started_as_root ? (apr_uint32_t)ap_unixd_config.group_id
                           : started_gid;
}

/* Who must own the state directory and its files: root, or the user a
 * server that never was root runs as. */
static apr_uint32_t trust_uid(void)
{
    return started_as_root ? 0 : started_uid;
}

static const char *default_state_dir(void)
{
    if (started_as_root || user_state_dir[0] == '\0') {
        return IPCG_DEFAULT_STATE_DIR;
    }
    return user_state_dir;
}

static void settings_of(server_rec *s, ipcg_settings *st)
{
    ipcg_server_conf *c = ap_get_module_config(s->module_config,
                                               &ipcguard_module);

    st->enabled = c->enabled != 0;
    st->cleanup = c->cleanup_set ? c->cleanup : IPCG_DEFAULT_CLEANUP;
    st->state_dir = c->state_dir ? c->state_dir : default_state_dir();
    st->scan_seconds = c->scan_seconds ? c->scan_seconds
                                       : IPCG_DEFAULT_SCAN_SECONDS;
    st->warn_percent = c->warn_percent ? c->warn_percent
                                       : IPCG_DEFAULT_WARN_PERCENT;
    st->max_objects = c->max_objects ? c->max_objects
                                     : IPCG_DEFAULT_MAX_OBJECTS;
    st->beancounters = c->beancounters ? c->beancounters
                                       : IPCG_DEFAULT_BEANCOUNTERS;
    st->show_foreign = c->show_foreign == 1;
    st->forecast_window = c->forecast_window ? c->forecast_window
                                             : IPCG_DEFAULT_FORECAST_WINDOW;
    st->forecast_horizon = c->forecast_horizon != -1
                           ? c->forecast_horizon
                           : IPCG_DEFAULT_FORECAST_HORIZON;
}

static ipcg_server_conf *cmd_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &ipcguard_module);
}

/* Every directive is server-wide: one registry per instance. */
static const char *global_only(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, GLOBAL_ONLY);
}

static const char *fail(cmd_parms *cmd, const char *arg, const char *msg)
{
    return apr_psprintf(cmd->pool, "%s '%s': %s", cmd->directive->directive,
                        arg, msg);
}

static const char *set_enabled(cmd_parms *cmd, void *dc, int flag)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    cmd_conf(cmd)->enabled = flag;
    return NULL;
}

static const char *set_cleanup(cmd_parms *cmd, void *dc, const char *arg)
{
    ipcg_server_conf *c = cmd_conf(cmd);
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_cleanup(arg, &c->cleanup)) != NULL) {
        return fail(cmd, arg, err);
    }
    c->cleanup_set = 1;
    return NULL;
}

static const char *set_state_dir(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_dir(arg)) != NULL) {
        return fail(cmd, arg, err);
    }
    cmd_conf(cmd)->state_dir = arg;
    return NULL;
}

static const char *set_scan(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_seconds(arg, &cmd_conf(cmd)->scan_seconds)) != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const char *set_warn(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_percent(arg, &cmd_conf(cmd)->warn_percent)) != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const char *set_max(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_max_objects(arg, &cmd_conf(cmd)->max_objects))
        != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const char *set_bc(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_path_or_none(arg, &cmd_conf(cmd)->beancounters))
        != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const char *set_foreign(cmd_parms *cmd, void *dc, int flag)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    cmd_conf(cmd)->show_foreign = flag;
    return NULL;
}

static const char *set_window(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_duration(cmd->pool, arg, IPCG_MIN_FORECAST_WINDOW,
                                  IPCG_MAX_FORECAST_WINDOW, 0,
                                  &cmd_conf(cmd)->forecast_window)) != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const char *set_horizon(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *err = global_only(cmd);

    (void)dc;
    if (err) {
        return err;
    }
    if ((err = ipcg_conf_duration(cmd->pool, arg, 60,
                                  IPCG_MAX_FORECAST_HORIZON, 1,
                                  &cmd_conf(cmd)->forecast_horizon)) != NULL) {
        return fail(cmd, arg, err);
    }
    return NULL;
}

static const command_rec ipcg_cmds[] = {
    AP_INIT_FLAG("IPCGuard", set_enabled, NULL, RSRC_CONF,
                 "On (default) or Off: Off makes the module do nothing"),
    AP_INIT_TAKE1("IPCGuardCleanup", set_cleanup, NULL, RSRC_CONF,
                  "off, report, registered (default) or orphans"),
    AP_INIT_TAKE1("IPCGuardStateDir", set_state_dir, NULL, RSRC_CONF,
                  "the host-wide state directory (default "
                  IPCG_DEFAULT_STATE_DIR "; for a server not started as "
                  "root, <DefaultRuntimeDir>/" IPCG_USER_STATE_SUBDIR ")"),
    AP_INIT_TAKE1("IPCGuardScanInterval", set_scan, NULL, RSRC_CONF,
                  "seconds between the parent's scans, 1-86400 (default 10)"),
    AP_INIT_TAKE1("IPCGuardWarnThreshold", set_warn, NULL, RSRC_CONF,
                  "percentage of a limit that triggers a warning, 1-100 "
                  "(default 80)"),
    AP_INIT_TAKE1("IPCGuardMaxObjects", set_max, NULL, RSRC_CONF,
                  "objects the status table holds, 16-1000000 (default 2048)"),
    AP_INIT_TAKE1("IPCGuardBeancounters", set_bc, NULL, RSRC_CONF,
                  "path of user_beancounters, or none (default "
                  IPCG_DEFAULT_BEANCOUNTERS ")"),
    AP_INIT_FLAG("IPCGuardShowForeign", set_foreign, NULL, RSRC_CONF,
                 "On to list other users' objects on /ipc-status (default "
                 "Off)"),
    AP_INIT_TAKE1("IPCGuardForecastWindow", set_window, NULL, RSRC_CONF,
                  "how much usage history a growth rate rests on, 10s-30d "
                  "(default 6h)"),
    AP_INIT_TAKE1("IPCGuardForecastHorizon", set_horizon, NULL, RSRC_CONF,
                  "warn when a limit is forecast to be full within this "
                  "time, 60s-365d, or off (default 7d)"),
    {NULL}
};

/* ------------------------------------------------------------------ */
/* Process state of the parent                                          */

/* A message of the startup cleanup, kept until the error log is open. */
typedef struct {
    int level;
    apr_status_t rv;
    const char *msg;
} pending_msg;

/* Lives in the process pool so that it survives restarts (the module
 * itself is unloaded and loaded again with each generation): it must
 * hold no pointer into this module's code or static data. */
/* The head of what is carried: its layout never changes, so that any
 * release can tell whether the rest is its own. */
typedef struct {
    apr_uint32_t magic;         /* IPCG_CARRIED_MAGIC */
    apr_uint32_t layout;        /* IPCG_CARRIED_LAYOUT of the writer */
    apr_uint64_t size;          /* carried_shape() of the writer */
    apr_pool_t *pool;           /* everything carried lives in it */
} ipcg_carried_head;

typedef struct {
    ipcg_carried_head head;     /* first: see above */
    apr_pool_t *pool;           /* process lifetime */
    apr_pool_t *regpool;        /* holds reg; replaced as it is rebuilt */
    apr_array_header_t *reg;    /* ipcg_obj_t: this instance's objects */
    int startup_done;           /* the startup cleanup ran (or was skipped) */
    int rebuilt;                /* made anew after another release's */
    apr_uint32_t rebuilt_layout;    /* that release's layout, 0: unknown */
    apr_uint64_t rebuilt_size;
    ipcg_cleanup_t cleanup;
    apr_array_header_t *decisions;   /* ipcg_decision_t, in pool */
    apr_uint64_t orphans, orphans_provable;
    char instance[17];
    char state_path[1024];
    char pidfile[1024];
    apr_int64_t pid;
    apr_uint64_t starttime;
    apr_int64_t started;
    apr_uint64_t scans_total, warnings_total, child_reaped_total,
                 removed_total;
    apr_time_t last_scan;
    apr_hash_t *seen;           /* slots of the last scan, in seenpool */
    apr_pool_t *seenpool;
    apr_hash_t *warned;         /* resource -> apr_time_t of last warning */
    apr_hash_t *failcnt;        /* beancounter resource -> last failcnt */
    int state_clash;            /* another live parent owns the state file */
    ipcg_history_t hist;        /* usage samples and outside removals */
    char hist_path[1024];       /* "": kept in memory only */
    int hist_dirty;             /* unsaved events or samples */
    apr_hash_t *watch;          /* slot -> ipcg_obj_t: the generation's
                                   objects that must not vanish */
    apr_pool_t *watchpool;
    apr_int64_t last_seen_at;   /* epoch s of the last scan of the watch */
    apr_uint64_t outside_total; /* outside removals since the start */
    apr_array_header_t *pending;     /* log lines waiting for the error log */
    /* watching between full scans */
    ipcg_signature_t sig;       /* the kernel's summary before the last
                                   full scan */
    int sig_valid;
    int quiet_run;              /* quiet passes since the last full scan */
    int backstop_due;           /* this full scan is the backstop's */
    apr_uint64_t full_scans, quiet_scans;
    ipcg_proc_memo_t *procmemo; /* processes' memory, by pid */
    ipcg_report_t *kept_rep;    /* what the last full scan published */
    apr_array_header_t *kept_objs;
    apr_pool_t *keptpool;       /* holds kept_objs; replaced per full scan */
#ifdef IPCG_CARRIED_TEST_LAYOUT
    char test_pad[64];          /* moves nothing above, grows the struct */
#endif
} ipcg_global;

/* Per generation (reset when the module is loaded again). */
static ipcg_table_t *table;           /* inherited by the children */
static ipcg_global *G;
static ipcg_mark_t bracket_mark;      /* where the previous bracket stood */
static int bracket_marked;            /* bracket_mark is valid */
static apr_pool_t *bracket_pool;      /* holds bracket_mark, per generation */
static ipcg_phase_e bracket_phase;
static int bracket_index;
static apr_array_header_t *bracket_names[IPCG_PHASE_COUNT];
static ipcg_paths_t paths;

/* A process that may write the state and history files: the parent,
 * with the privilege it started with (a child runs as the User, or as
 * the same user when the server was not started as root). */
static int may_write_state(void)
{
    return G != NULL && G->pid == (apr_int64_t)getpid()
           && (!started_as_root || geteuid() == 0);
}

/* The sizes of what is carried, the arrays' elements included: a
 * forgotten bump of IPCG_CARRIED_LAYOUT is still caught when one moves. */
static apr_uint64_t carried_shape(void)
{
    return (apr_uint64_t)sizeof(ipcg_global)
           | (apr_uint64_t)sizeof(ipcg_obj_t) << 20
           | (apr_uint64_t)sizeof(ipcg_decision_t) << 40;
}

/* Is what the process pool carries this release's? 0: nothing carried;
 * 1: ours; -1: another release's (its head names its layout). */
static int carried_is_ours(const void *data)
{
    const ipcg_carried_head *h = data;

    if (data == NULL) {
        return 0;
    }
    return h->magic == IPCG_CARRIED_MAGIC && h->layout == IPCG_CARRIED_LAYOUT
           && h->size == carried_shape() ? 1 : -1;
}

static ipcg_global *global_state(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    void *data = NULL;
    int carried;
    apr_uint32_t old_layout = 0;
    apr_uint64_t old_size = 0;

    apr_pool_userdata_get(&data, IPCG_USERDATA, pp);
    carried = carried_is_ours(data);
    if (carried < 0) {
        const ipcg_carried_head *h = data;
        apr_pool_t *old = h->magic == IPCG_CARRIED_MAGIC ? h->pool : NULL;

        old_layout = h->magic == IPCG_CARRIED_MAGIC ? h->layout : 0;
        old_size = h->magic == IPCG_CARRIED_MAGIC ? h->size : 0;
        apr_pool_userdata_set(NULL, IPCG_USERDATA, apr_pool_cleanup_null, pp);
        /* only another release's own head says where its pool is */
        if (old) {
            apr_pool_destroy(old);
        }
        data = NULL;
    }
    if (data == NULL) {
        ipcg_global *g = apr_pcalloc(pp, sizeof(*g));
        /* not a child of the process pool: at exit httpd destroys that
         * pool's children, newest first, before pconf, whose cleanup
         * still needs the registry */
        apr_pool_create(&g->pool, NULL);
        g->head.magic = IPCG_CARRIED_MAGIC;
        g->head.layout = IPCG_CARRIED_LAYOUT;
        g->head.size = carried_shape();
        g->head.pool = g->pool;
        g->rebuilt = carried < 0;
        g->rebuilt_layout = old_layout;
        g->rebuilt_size = old_size;
        apr_pool_create(&g->regpool, g->pool);
        apr_pool_create(&g->seenpool, g->pool);
        g->reg = apr_array_make(g->regpool, 16, sizeof(ipcg_obj_t));
        g->decisions = apr_array_make(g->pool, 16, sizeof(ipcg_decision_t));
        g->seen = apr_hash_make(g->seenpool);
        g->warned = apr_hash_make(g->pool);
        g->failcnt = apr_hash_make(g->pool);
        g->pending = apr_array_make(g->pool, 16, sizeof(pending_msg));
        ipcg_history_init(g->pool, &g->hist);
        apr_pool_create(&g->watchpool, g->pool);
        g->watch = apr_hash_make(g->watchpool);
        apr_pool_userdata_set(g, IPCG_USERDATA, apr_pool_cleanup_null, pp);
        data = g;
    }
    return data;
}

/* The startup cleanup runs in check_config, before httpd opens its error
 * log: what it says is kept and written once the log is open. */
static int log_pending;

/* The core logs through httpd's error log. */
static void log_to_httpd(void *baton, int level, apr_status_t rv,
                         const char *msg)
{
    server_rec *s = baton;

    if (log_pending && G) {
        pending_msg *m = apr_array_push(G->pending);
        m->level = level;
        m->rv = rv;
        m->msg = apr_pstrdup(G->pool, msg);
        return;
    }
    ap_log_error(APLOG_MARK, level, rv, s, "%s", msg);
}

static void flush_pending(server_rec *s);

static apr_status_t flush_on_exit(void *data)
{
    if (log_pending) {
        flush_pending(data);
    }
    return APR_SUCCESS;
}

static void flush_pending(server_rec *s)
{
    int i;

    log_pending = 0;
    if (G == NULL) {
        return;
    }
    for (i = 0; i < G->pending->nelts; i++) {
        const pending_msg *m = &APR_ARRAY_IDX(G->pending, i, pending_msg);
        ap_log_error(APLOG_MARK, m->level, m->rv, s, "%s", m->msg);
    }
    G->pending->nelts = 0;
}

static void set_logger(server_rec *s)
{
    int level = ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX);

    ipcg_log_set(log_to_httpd, s);
    /* httpd always writes notice lines (the cleanup's summary is one),
     * whatever LogLevel says */
    ipcg_log_set_level(level < APLOG_NOTICE ? APLOG_NOTICE : level);
}

/* Copy the registry into a fresh pool so that restarts do not grow it. */
static void registry_compact(void)
{
    apr_pool_t *np;
    apr_array_header_t *na;

    apr_pool_create(&np, G->pool);
    na = apr_array_copy(np, G->reg);
    apr_pool_destroy(G->regpool);
    G->regpool = np;
    G->reg = na;
}

static void registry_add(const ipcg_obj_t *o)
{
    int i = ipcg_registry_find(G->reg, o);

    if (i >= 0) {
        APR_ARRAY_IDX(G->reg, i, ipcg_obj_t) = *o;
    }
    else {
        *(ipcg_obj_t *)apr_array_push(G->reg) = *o;
    }
}

/* ------------------------------------------------------------------ */
/* The state file                                                       */

static void log_once(server_rec *s, int level, int tag, const char *resource,
                     const char *msg);
static void warn_rearm(const char *resource);

static void state_write(apr_pool_t *p, server_rec *s)
{
    ipcg_state_t st;
    const char *why = NULL;
    apr_status_t rv;
    int i;

    if (G->state_clash || G->state_path[0] == '\0' || !may_write_state()) {
        return;
    }
    memset(&st, 0, sizeof(st));
    st.pid = G->pid;
    st.starttime = G->starttime;
    {
        ipcg_proc_t me;
        if (ipcg_proc_read(p, &paths, G->pid, 0, &me) == APR_SUCCESS) {
            st.pgrp = me.pgrp;
            st.session = me.session;
        }
    }
    ipcg_boot_id(p, &paths, st.boot_id, sizeof(st.boot_id));
    st.run_uid = run_user();
    st.run_gid = run_group();
    st.started = G->started;
    st.written = apr_time_sec(apr_time_now());
    st.generation = (apr_uint64_t)ap_state_query(AP_SQ_CONFIG_GEN);
    memcpy(st.instance, G->instance, sizeof(st.instance));
    st.pidfile = G->pidfile;
    st.objs = apr_array_make(p, G->reg->nelts + 1, sizeof(ipcg_obj_t));
    for (i = 0; i < G->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
        *(ipcg_obj_t *)apr_array_push(st.objs) = *o;
    }
    rv = ipcg_state_write(p, G->state_path, &st, &why);
    if (rv != APR_SUCCESS) {
        log_once(s, APLOG_ERR, 101, "state file",
                 apr_psprintf(p, "cannot write state file %s: %s; the next "
                              "start cannot clean up after this run",
                              G->state_path, why ? why : "error"));
    }
    else {
        warn_rearm("state file");
    }
}

/* ------------------------------------------------------------------ */
/* Scanning and publishing                                              */

/* Read the kernel's tables; failures of single tables are tolerated. */
static void scan(apr_pool_t *p, ipcg_snapshot_t *snap)
{
    ipcg_snapshot_init(p, snap);
    ipcg_scan_all(p, &paths, snap);
}

/* The pid that a fresh object names as its maker, 0 if none. */
static apr_int64_t maker_of(apr_pool_t *p, const ipcg_obj_t *o)
{
    ipcg_use_t use;

    switch (o->kind) {
    case IPCG_SYSV_SHM:
        return o->cpid;
    case IPCG_SYSV_MSG:
        return o->cpid ? o->cpid : o->lpid;
    case IPCG_SYSV_SEM:
        /* SETVAL and semop leave the caller's pid on the semaphore */
        if (ipcg_probe(p, &paths, o, &use) == APR_SUCCESS && use.npids) {
            return use.pids[0];
        }
        return 0;
    default:
        return 0;
    }
}

/* Register the objects in @a snap that processes of this server made at
 * runtime; @a extra_pid is a just-exited child (no longer in /proc).
 * Returns how many were added. */
static int register_runtime(apr_pool_t *p, const ipcg_snapshot_t *snap,
                            apr_int64_t extra_pid)
{
    apr_array_header_t *procs = NULL, *tree;
    apr_hash_t *ours = apr_hash_make(p);
    apr_pool_t *np;
    apr_hash_t *seen;
    int i, added = 0;

    if (ipcg_proc_list(p, &paths, &procs) != APR_SUCCESS) {
        return 0;
    }
    tree = ipcg_proc_tree(p, procs, G->pid);
    for (i = 0; i < tree->nelts; i++) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = APR_ARRAY_IDX(tree, i, ipcg_proc_t).pid;
        apr_hash_set(ours, k, sizeof(*k), k);
    }
    if (extra_pid > 0) {
        apr_int64_t *k = apr_palloc(p, sizeof(*k));
        *k = extra_pid;
        apr_hash_set(ours, k, sizeof(*k), k);
    }
    apr_pool_create(&np, G->pool);
    seen = apr_hash_make(np);
    for (i = 0; i < snap->objs->nelts; i++) {
        ipcg_obj_t o = APR_ARRAY_IDX(snap->objs, i, ipcg_obj_t);
        const char *slot = ipcg_obj_slot(np, &o);
        apr_int64_t maker;

        apr_hash_set(seen, slot, APR_HASH_KEY_STRING, "");
        /* look at each object once: when it first appears */
        if (apr_hash_get(G->seen, slot, APR_HASH_KEY_STRING)
            || ipcg_registry_find(G->reg, &o) >= 0
            || o.kind > IPCG_SYSV_MSG) {
            continue;
        }
        maker = maker_of(p, &o);
        if (maker <= 0 || !apr_hash_get(ours, &maker, sizeof(maker))) {
            continue;
        }
        o.phase = IPCG_PHASE_RUNTIME;
        o.cls = o.key == 0 ? IPCG_CLASS_INSTANCE : IPCG_CLASS_APPLICATION;
        o.owner_pid = maker;
        ipcg_strlcpy(o.module, "unknown", sizeof(o.module));
        registry_add(&o);
        added++;
    }
    apr_pool_destroy(G->seenpool);
    G->seenpool = np;
    G->seen = seen;
    return added;
}

/* A full scan at least every this many monitor passes (five minutes at
 * the default interval) when nothing seems to change: it catches what the
 * kernel's counts cannot tell (an object made where another went, a
 * foreign object's owner or attach count), and every process's maps are
 * read again with it. With 10,000 objects a full scan costs about as
 * much as a hundred quiet passes. */
#define IPCG_FULL_SCAN_EVERY 30

/* The server's processes with their shared memory; status and maps are
 * read only for processes that are new or whose counters moved, and for
 * every one at the backstop's full scans. */
static void view_procs(apr_pool_t *p, ipcg_view_t *v)
{
    if (G->procmemo == NULL) {
        G->procmemo = ipcg_proc_memo_create(G->pool);
    }
    if (G->backstop_due) {
        ipcg_proc_memo_round(G->procmemo, 1);
        G->backstop_due = 0;
    }
    ipcg_report_procs_memo(p, &paths, G->pid, G->procmemo, v);
    ipcg_proc_memo_round(G->procmemo, 0);
}

/* The parent's own figures in the report. */
static void view_counters(ipcg_report_t *r)
{
    r->cleanup = G->cleanup;
    r->orphans = G->orphans;
    r->orphans_provable = G->orphans_provable;
    r->scans_total = G->scans_total;
    r->warnings_total = G->warnings_total;
    r->child_reaped_total = G->child_reaped_total;
    r->removed_total = G->removed_total;
}

/* Build the view the table publishes. */
static void build_view(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                       const ipcg_snapshot_t *snap, ipcg_view_t *v)
{
    ipcg_report_t *r = &v->rep;

    (void)s;
    memset(v, 0, sizeof(*v));
    v->objs = apr_array_make(p, G->reg->nelts + 8, sizeof(ipcg_obj_t));
    v->decisions = apr_array_copy(p, G->decisions);
    v->procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    memcpy(r->instance, G->instance, sizeof(r->instance));
    r->pid = G->pid;
    r->starttime = G->starttime;
    r->started = G->started;
    r->generation = (apr_uint64_t)ap_state_query(AP_SQ_CONFIG_GEN);
    r->run_uid = run_user();
    r->run_gid = run_group();
    r->user_mode = !started_as_root;
    r->mode = cf->cleanup;
    r->show_foreign = cf->show_foreign;
    r->warn_percent = cf->warn_percent;
    r->scan_seconds = cf->scan_seconds;
    r->updated = apr_time_sec(apr_time_now());
    ipcg_report_system(p, &paths, cf->beancounters, snap, r);
    ipcg_report_objects(p, G->reg, snap, cf->show_foreign, v);
    view_procs(p, v);
    view_counters(r);
}

/* Log @a msg at @a level unless the same @a resource was logged in the
 * last ten minutes. */
static void log_once(server_rec *s, int level, int tag, const char *resource,
                     const char *msg)
{
    apr_time_t now = apr_time_now();
    apr_time_t *last = apr_hash_get(G->warned, resource, APR_HASH_KEY_STRING);

    if (last && now - *last < IPCG_WARN_INTERVAL) {
        return;
    }
    if (last == NULL) {
        last = apr_palloc(G->pool, sizeof(*last));
        apr_hash_set(G->warned, apr_pstrdup(G->pool, resource),
                     APR_HASH_KEY_STRING, last);
    }
    *last = now;
    G->warnings_total++;
    if (log_pending) {
        /* the first configuration pass, before the error log is open */
        log_to_httpd(s, level, 0, apr_psprintf(G->pool, "ipcguard(%03d): %s",
                                               tag, msg));
        return;
    }
    ap_log_error(APLOG_MARK, level, 0, s, "ipcguard(%03d): %s", tag, msg);
}

static void warn_once_tag(server_rec *s, int tag, const char *resource,
                          const char *msg)
{
    log_once(s, APLOG_WARNING, tag, resource, msg);
}

static void warn_once(server_rec *s, const char *resource, const char *msg)
{
    warn_once_tag(s, 201, resource, msg);
}

/* Re-arm a limit's warning once usage is back under the threshold. */
static void warn_rearm(const char *resource)
{
    apr_time_t *last = apr_hash_get(G->warned, resource, APR_HASH_KEY_STRING);

    if (last) {
        *last = 0;
    }
}

/* The modules holding most objects of @a kind in the registry. */
static const char *top_modules(apr_pool_t *p, int kind)
{
    apr_hash_t *h = apr_hash_make(p);
    apr_hash_index_t *hi;
    const char *out = "";
    int i, shown;

    for (i = 0; i < G->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
        int *n;
        if (kind >= 0 && (int)o->kind != kind) {
            continue;
        }
        n = apr_hash_get(h, o->module, APR_HASH_KEY_STRING);
        if (n == NULL) {
            n = apr_pcalloc(p, sizeof(*n));
            apr_hash_set(h, o->module, APR_HASH_KEY_STRING, n);
        }
        (*n)++;
    }
    for (shown = 0; shown < 3; shown++) {
        const char *best = NULL;
        int bestn = 0;
        for (hi = apr_hash_first(p, h); hi; hi = apr_hash_next(hi)) {
            const void *k;
            void *val;
            apr_hash_this(hi, &k, NULL, &val);
            if (*(int *)val > bestn) {
                best = k;
                bestn = *(int *)val;
            }
        }
        if (best == NULL) {
            break;
        }
        out = apr_psprintf(p, "%s%s%s (%d)", out, shown ? ", " : "", best,
                           bestn);
        apr_hash_set(h, best, APR_HASH_KEY_STRING, NULL);
    }
    return *out ? apr_pstrcat(p, "; this server's top holders: ", out, NULL)
                : "; this server holds none of them";
}

static const char *top_processes(apr_pool_t *p, const ipcg_view_t *v)
{
    const char *out = "";
    int i;

    for (i = 0; i < v->procs->nelts && i < 3; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        out = apr_psprintf(p, "%s%spid %" APR_INT64_T_FMT " %s (%"
                           APR_UINT64_T_FMT " bytes shared)", out,
                           i ? ", " : "", pr->pid, pr->comm,
                           pr->shared_anon + pr->shared_sysv
                           + pr->shared_posix);
    }
    return *out ? apr_pstrcat(p, "; largest processes of this server: ", out,
                              NULL)
                : "";
}

static void check_limit(apr_pool_t *p, server_rec *s, int percent,
                        const char *resource, apr_uint64_t used,
                        const ipcg_num_t *limit, const char *who)
{
    apr_uint64_t pct;

    if (!limit->present || limit->v == 0) {
        return;
    }
    pct = used * 100 / limit->v;
    if (pct >= (apr_uint64_t)percent) {
        warn_once(s, resource,
                  apr_psprintf(p, "%s at %" APR_UINT64_T_FMT "%% (%"
                               APR_UINT64_T_FMT " of %" APR_UINT64_T_FMT
                               "), over the %d%% warning threshold%s",
                               resource, pct, used, limit->v, percent, who));
    }
    else {
        warn_rearm(resource);
    }
}

/* The diagnosis of processes that each hold their own copy of a shared
 * mapping that counts towards @a series, for that limit's warning. */
static const char *dup_note(apr_pool_t *p, const apr_array_header_t *dups,
                            const char *series)
{
    const char *note = "";
    int i;

    for (i = 0; i < dups->nelts; i++) {
        const ipcg_dup_t *d = &APR_ARRAY_IDX(dups, i, ipcg_dup_t);
        if (strcmp(d->limit, series) == 0) {
            note = apr_pstrcat(p, note, "; ", d->text, NULL);
        }
    }
    return note;
}

static void early_warnings(apr_pool_t *p, server_rec *s,
                           const ipcg_settings *cf, const ipcg_view_t *v)
{
    const ipcg_report_t *r = &v->rep;
    const ipcg_limits_t *l = &r->limits;
    const char *procs = top_processes(p, v);
    apr_array_header_t *dups = ipcg_diagnose_dup(p, v);
    apr_uint32_t i;

    check_limit(p, s, cf->warn_percent, "SEMMNI (semaphore sets)",
                r->usage.count[IPCG_SYSV_SEM], &l->semmni,
                top_modules(p, IPCG_SYSV_SEM));
    check_limit(p, s, cf->warn_percent, "SEMMNS (semaphores)",
                r->usage.sem_total, &l->semmns,
                top_modules(p, IPCG_SYSV_SEM));
    check_limit(p, s, cf->warn_percent, "SHMMNI (shared memory segments)",
                r->usage.count[IPCG_SYSV_SHM], &l->shmmni,
                top_modules(p, IPCG_SYSV_SHM));
    check_limit(p, s, cf->warn_percent, "SHMALL (shared memory pages)",
                r->usage.shm_pages, &l->shmall,
                apr_pstrcat(p, procs, dup_note(p, dups, "shmall"), NULL));
    check_limit(p, s, cf->warn_percent, "MSGMNI (message queues)",
                r->usage.count[IPCG_SYSV_MSG], &l->msgmni,
                top_modules(p, IPCG_SYSV_MSG));
    if (l->devshm_used.present) {
        check_limit(p, s, cf->warn_percent, "/dev/shm", l->devshm_used.v,
                    &l->devshm_size,
                    apr_pstrcat(p, procs, dup_note(p, dups, "devshm"), NULL));
    }
    for (i = 0; i < r->bc_rows; i++) {
        const ipcg_bc_row_t *b = &r->bc[i];
        apr_uint64_t *last = apr_hash_get(G->failcnt, b->resource,
                                          APR_HASH_KEY_STRING);
        const char *res = apr_pstrcat(p, "beancounter ", b->resource, NULL);
        if (!b->limit_unlimited && b->limit) {
            ipcg_num_t lim;
            lim.present = 1;
            lim.v = b->limit;
            check_limit(p, s, cf->warn_percent, res, b->held, &lim,
                        apr_pstrcat(p, procs, dup_note(p, dups, apr_pstrcat(
                                        p, "bc:", b->resource, NULL)),
                                    NULL));
        }
        if (last == NULL) {
            last = apr_palloc(G->pool, sizeof(*last));
            *last = b->failcnt;
            apr_hash_set(G->failcnt, apr_pstrdup(G->pool, b->resource),
                         APR_HASH_KEY_STRING, last);
        }
        else if (b->failcnt > *last) {
            warn_once(s, apr_pstrcat(p, res, " failcnt", NULL),
                      apr_psprintf(p, "%s failcnt grew from %" APR_UINT64_T_FMT
                                   " to %" APR_UINT64_T_FMT ": allocations "
                                   "are failing (held %" APR_UINT64_T_FMT
                                   ", limit %" APR_UINT64_T_FMT ")%s", res,
                                   *last, b->failcnt, b->held, b->limit,
                                   procs));
            *last = b->failcnt;
        }
    }
}

/* ------------------------------------------------------------------ */
/* History, forecasts and outside removals                              */

static const char *local_time(apr_pool_t *p, apr_int64_t epoch)
{
    apr_time_exp_t tm;
    char buf[32];
    apr_size_t len = 0;

    if (epoch <= 0
        || apr_time_exp_lt(&tm, apr_time_from_sec(epoch)) != APR_SUCCESS
        || apr_strftime(buf, &len, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)
           != APR_SUCCESS) {
        return "an unknown time";
    }
    return apr_pstrmemdup(p, buf, len);
}

static void history_save(apr_pool_t *p, server_rec *s)
{
    const char *why = NULL;
    apr_status_t rv;

    if (G->hist_path[0] == '\0' || G->state_clash || !may_write_state()) {
        return;
    }
    rv = ipcg_history_write(p, G->hist_path, &G->hist, &why);
    if (rv != APR_SUCCESS) {
        warn_once_tag(s, 108, "history file",
                      apr_psprintf(p, "cannot write the history file %s: "
                                   "%s; trends will not span restarts",
                                   G->hist_path, why ? why : "error"));
        return;
    }
    G->hist_dirty = 0;
}

/* The objects the current generation made in its startup phases: nothing
 * of httpd removes them before the generation ends. */
static void watch_generation(void)
{
    int i;

    apr_pool_clear(G->watchpool);
    G->watch = apr_hash_make(G->watchpool);
    for (i = 0; i < G->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
        if (o->cls == IPCG_CLASS_INSTANCE && o->owner_pid == G->pid
            && (o->phase == IPCG_PHASE_POST_CONFIG
                || o->phase == IPCG_PHASE_OPEN_LOGS
                || o->phase == IPCG_PHASE_PRE_MPM)) {
            ipcg_obj_t *copy = apr_pmemdup(G->watchpool, o, sizeof(*o));
            apr_hash_set(G->watch, ipcg_obj_slot(G->watchpool, o),
                         APR_HASH_KEY_STRING, copy);
        }
    }
    G->last_seen_at = apr_time_sec(apr_time_now());
}

/* A watched object that @a snap no longer has was removed by someone
 * else: say so once, and keep the event. */
static void check_outside(apr_pool_t *p, server_rec *s,
                          const ipcg_snapshot_t *snap)
{
    apr_int64_t now = apr_time_sec(apr_time_now());
    apr_hash_t *idx;
    apr_hash_index_t *hi;
    int found = 0;

    if (G->watch == NULL || apr_hash_count(G->watch) == 0) {
        G->last_seen_at = now;
        return;
    }
    idx = ipcg_snapshot_index(p, snap);
    for (hi = apr_hash_first(p, G->watch); hi; hi = apr_hash_next(hi)) {
        const void *key;
        void *val;
        const ipcg_obj_t *o, *cur;
        ipcg_event_t ev;

        apr_hash_this(hi, &key, NULL, &val);
        o = val;
        if (!(snap->kinds_read & (1 << o->kind))) {
            continue;
        }
        cur = apr_hash_get(idx, key, APR_HASH_KEY_STRING);
        if (cur && ipcg_obj_continues(o, cur)) {
            continue;
        }
        memset(&ev, 0, sizeof(ev));
        ev.found = now;
        ev.last_seen = G->last_seen_at;
        ev.server_pid = G->pid;
        ev.kind = o->kind;
        ev.id = o->id;
        ev.key = o->key;
        ev.phase = o->phase;
        ipcg_strlcpy(ev.module, o->module, sizeof(ev.module));
        ipcg_strlcpy(ev.name, o->name, sizeof(ev.name));
        ipcg_history_add_event(&G->hist, &ev);
        G->outside_total++;
        G->hist.outside_total = G->outside_total;
        found++;
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     "ipcguard(301): %s %s%s (%s, %s) of this server (pid %"
                     APR_INT64_T_FMT ") was removed by something outside "
                     "httpd while the server ran: last seen %s, found gone "
                     "%s; httpd did not remove it. The usual causes: an "
                     "ipcrm loop in cron, ExecStartPre=/ExecStopPost= "
                     "commands, systemd's RemoveIPC=yes, or a logind logout "
                     "of the server's User. What used it fails from now on "
                     "(prefork: AH00144, couldn't grab the accept mutex)",
                     ipcg_kind_name(o->kind),
                     o->id >= 0 ? "id " : "",
                     o->id >= 0
                         ? apr_psprintf(p, "%" APR_INT64_T_FMT " key 0x%08x",
                                        o->id, (unsigned)o->key)
                         : ap_escape_logitem(p, o->name),
                     o->module, ipcg_phase_name(o->phase), G->pid,
                     local_time(p, ev.last_seen), local_time(p, now));
        /* reported once */
        apr_hash_set(G->watch, key, APR_HASH_KEY_STRING, NULL);
    }
    G->last_seen_at = now;
    if (found) {
        G->hist_dirty = 1;
        history_save(p, s);
    }
}

/* At the first start: the history of earlier runs; and, when the last run
 * lost objects to an outside removal, say so. */
static void history_load(apr_pool_t *p, const ipcg_settings *cf)
{
    ipcg_history_t h;
    const char *why = NULL, *list = "";
    apr_status_t rv;
    int i, n = 0;

    ipcg_strlcpy(G->hist_path,
                 ipcg_history_path(p, cf->state_dir, G->instance),
                 sizeof(G->hist_path));
    rv = ipcg_history_read(G->pool, G->hist_path, trust_uid(), &h, &why);
    if (rv == APR_SUCCESS && strcmp(h.instance, G->instance) == 0) {
        G->hist = h;
    }
    else if (!APR_STATUS_IS_ENOENT(rv)) {
        ipcg_log(IPCG_LOG_WARNING, 0, 109, "history file %s not used: %s; "
                 "trends start afresh", G->hist_path,
                 rv == APR_SUCCESS ? "it belongs to another instance"
                                   : why ? why : "unreadable");
        return;
    }
    else {
        return;
    }
    for (i = 0; i < h.events->nelts; i++) {
        const ipcg_event_t *e = &APR_ARRAY_IDX(h.events, i, ipcg_event_t);
        if (e->server_pid != h.pid) {
            continue;
        }
        if (n < 4) {
            list = apr_psprintf(p, "%s%s%s %s%s (%s)", list, n ? ", " : "",
                                ipcg_kind_name(e->kind),
                                e->id >= 0 ? "id " : "",
                                e->id >= 0 ? apr_psprintf(p, "%"
                                                APR_INT64_T_FMT, e->id)
                                           : ap_escape_logitem(p, e->name),
                                e->module);
        }
        n++;
    }
    if (n > 0 && h.pid != getpid()) {
        const char *how = h.exited
            ? apr_psprintf(p, "it exited at %s", local_time(p, h.exited))
            : "it then stopped without its own cleanup (killed, or still "
              "stopping)";
        const char *msg = apr_psprintf(
            p, "the last run (httpd pid %" APR_INT64_T_FMT ") lost %d IPC "
            "object(s) to a removal from outside httpd while it ran (%s%s), "
            "first at %s; %s. Look for what removes IPC objects: an ipcrm "
            "loop in cron, ExecStartPre=/ExecStopPost=, systemd's "
            "RemoveIPC=yes, a logind logout", h.pid, n, list,
            n > 4 ? ", ..." : "",
            local_time(p, APR_ARRAY_IDX(h.events, h.events->nelts - n,
                                        ipcg_event_t).found), how);
        ipcg_log(IPCG_LOG_NOTICE, 0, 22, "%s", msg);
        apr_snprintf(G->cleanup.summary, sizeof(G->cleanup.summary),
                     "%s%sthe last run (pid %" APR_INT64_T_FMT ") lost %d "
                     "object(s) to a removal from outside httpd",
                     G->cleanup.summary,
                     G->cleanup.summary[0] ? "; " : "", h.pid, n);
    }
}

/* A sample of now; forecasts from it and the history into @a v. */
static void trends(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                   ipcg_view_t *v)
{
    ipcg_sample_t *smp = apr_palloc(p, sizeof(*smp));
    ipcg_report_t *r = &v->rep;
    apr_int64_t spacing = cf->forecast_window / IPCG_FORECAST_POINTS;
    int i;

    ipcg_report_sample(r, G->reg, apr_time_sec(apr_time_now()), smp);
    r->forecast_window = cf->forecast_window;
    r->forecast_horizon = cf->forecast_horizon;
    r->forecast_rows = (apr_uint32_t)ipcg_forecast_compute(
        &G->hist, smp, cf->forecast_window, r->forecast, IPCG_SERIES_MAX);
    ipcg_class_trends(&G->hist, smp, cf->forecast_window, r->class_trend);
    ipcg_report_chart(&G->hist, smp, r);
    if (ipcg_history_add_sample(&G->hist, smp, spacing < 1 ? 1 : spacing)) {
        G->hist_dirty = 1;
    }
    r->outside_removals_total = G->outside_total;
    r->event_rows = 0;
    for (i = 0; i < G->hist.events->nelts && i < IPCG_EVENTS_MAX; i++) {
        r->events[r->event_rows++] = APR_ARRAY_IDX(G->hist.events, i,
                                                   ipcg_event_t);
    }
    if (G->hist_dirty) {
        history_save(p, s);
    }
}

/* The early warning on a forecast: full within the horizon. */
static void forecast_warnings(apr_pool_t *p, server_rec *s,
                              const ipcg_settings *cf, const ipcg_view_t *v)
{
    apr_uint32_t i;

    for (i = 0; i < v->rep.forecast_rows; i++) {
        const ipcg_forecast_t *f = &v->rep.forecast[i];
        const char *res = apr_pstrcat(p, "forecast ", f->name, NULL);

        if (cf->forecast_horizon > 0 && f->rate > 0
            && f->seconds_to_full > 0
            && f->seconds_to_full <= cf->forecast_horizon) {
            warn_once_tag(s, 202, res, apr_psprintf(
                p, "%s, within IPCGuardForecastHorizon (%s); what grows is "
                "not httpd's to clean up (other programs' objects, "
                "application objects, orphans): see /ipc-status",
                ipcg_forecast_text(p, f),
                ipcg_duration_text(p, cf->forecast_horizon)));
        }
        else {
            warn_rearm(res);
        }
    }
}

/* Keep what a full scan published, for the quiet passes until the next. */
static void keep_view(const ipcg_view_t *v)
{
    apr_pool_t *np;

    if (G->kept_rep == NULL) {
        G->kept_rep = apr_palloc(G->pool, sizeof(*G->kept_rep));
    }
    *G->kept_rep = v->rep;
    apr_pool_create(&np, G->pool);
    G->kept_objs = apr_array_copy(np, v->objs);
    if (G->keptpool) {
        apr_pool_destroy(G->keptpool);
    }
    G->keptpool = np;
}

/* The IPCGuard* lines, gathered in one buffer: one write to the request
 * instead of one per line. */
typedef struct {
    apr_pool_t *pool;
    char *buf;
    apr_size_t len, cap;
} line_buf;

static void out_to_buffer(void *baton, const char *buf, apr_size_t len)
{
    line_buf *b = baton;

    if (b->len + len > b->cap) {
        apr_size_t cap = b->cap ? b->cap * 2 : 4096;
        char *nb;
        while (cap < b->len + len) {
            cap *= 2;
        }
        nb = apr_palloc(b->pool, cap);
        if (b->len) {
            memcpy(nb, b->buf, b->len);
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, buf, len);
    b->len += len;
}

#define UPTIME_KEY "IPCGuardUptime: "

/* The IPCGuard* lines of /server-status?auto, rendered once here from
 * the report just published rather than on every request: the table keeps
 * them without their Uptime line, which the status hook puts back. */
static void publish_auto(apr_pool_t *p)
{
    ipcg_view_t v;
    ipcg_out_t out;
    line_buf lb = { p, NULL, 0, 0 };
    apr_size_t at, end;
    char *u;

    memset(&v, 0, sizeof(v));
    if (ipcg_table_read_report(table, &v.rep) != APR_SUCCESS) {
        return;
    }
    out.write = out_to_buffer;
    out.baton = &lb;
    ipcg_render_auto(p, &v, "IPCGuard", &out);
    out_to_buffer(&lb, "", 1);              /* a NUL to search up to */
    lb.len--;
    u = strstr(lb.buf, "\n" UPTIME_KEY);
    if (u) {
        at = (apr_size_t)(u + 1 - lb.buf);
        end = at;
        while (end < lb.len && lb.buf[end] != '\n') {
            end++;
        }
        end = end < lb.len ? end + 1 : end;
        memmove(lb.buf + at, lb.buf + end, lb.len - end);
        lb.len -= end - at;
    }
    else {
        /* no Uptime now: after the ServerPid line, where it would be */
        const char *sp = strstr(lb.buf, "IPCGuardServerPid: ");
        const char *nl = sp ? strchr(sp, '\n') : NULL;
        at = nl ? (apr_size_t)(nl + 1 - lb.buf) : 0;
    }
    ipcg_table_publish_auto(table, lb.buf, lb.len, at, v.rep.started);
}

/* Publish @a v; the warnings on it when @a warn. */
static void publish(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                    ipcg_view_t *v, int warn)
{
    trends(p, s, cf, v);
    if (table) {
        ipcg_table_publish(table, v);
        publish_auto(p);
    }
    if (warn) {
        early_warnings(p, s, cf, v);
        forecast_warnings(p, s, cf, v);
    }
    if (G->reg->nelts > cf->max_objects) {
        warn_once(s, "table", apr_psprintf(p, "the status table is full: "
                  "this server has %d objects, IPCGuardMaxObjects is %d; "
                  "/ipc-status lists the first %d and counts the rest",
                  G->reg->nelts, cf->max_objects, cf->max_objects));
    }
}

/* Rescan, keep the registry exact, publish; write the state file when the
 * registry changed, or always when @a write (a new parent, a new run). */
static void refresh(apr_pool_t *p, server_rec *s, int warn, int write)
{
    ipcg_settings cf;
    ipcg_snapshot_t snap;
    ipcg_view_t v;
    int changed;

    settings_of(s, &cf);
    /* the kernel's summary before the scan: whatever changes after it
     * shows in the next one */
    ipcg_scan_signature(p, &paths, &G->sig);
    G->sig_valid = 1;
    G->quiet_run = 0;
    G->full_scans++;
    scan(p, &snap);
    G->scans_total++;
    check_outside(p, s, &snap);
    changed = ipcg_registry_reconcile(p, G->reg, &snap);
    changed += register_runtime(p, &snap, 0);
    build_view(p, s, &cf, &snap, &v);
    publish(p, s, &cf, &v, warn);
    keep_view(&v);
    if (changed || write) {
        registry_compact();
        state_write(p, s);
    }
}

/* Whether nothing came, went or changed since the last full scan, as far
 * as the kernel's summary and a look at each object of this server tell:
 * NULL if so, else why not. */
static const char *changed_since_full(apr_pool_t *p)
{
    ipcg_signature_t now;
    int i;

    if (!G->sig_valid || G->kept_rep == NULL) {
        return "no full scan yet";
    }
    if (G->quiet_run >= IPCG_FULL_SCAN_EVERY - 1) {
        G->backstop_due = 1;
        return "the backstop's turn";
    }
    ipcg_scan_signature(p, &paths, &now);
    if (!ipcg_signature_same(&now, &G->sig)) {
        return "the kernel's counts moved";
    }
    for (i = 0; i < G->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
        if (ipcg_obj_unchanged(p, &paths, o) != 1) {
            return "an object of this server changed";
        }
    }
    return NULL;
}

/* Nothing came or went: publish what the last full scan found, with the
 * limits, the processes, the counters and the trends of now. */
static void refresh_quiet(apr_pool_t *p, server_rec *s)
{
    ipcg_settings cf;
    ipcg_view_t v;
    ipcg_report_t *r = &v.rep;

    settings_of(s, &cf);
    G->scans_total++;
    G->quiet_scans++;
    G->quiet_run++;
    /* every watched object was just seen, unchanged */
    G->last_seen_at = apr_time_sec(apr_time_now());
    memset(&v, 0, sizeof(v));
    v.rep = *G->kept_rep;
    v.objs = G->kept_objs;
    v.decisions = apr_array_copy(p, G->decisions);
    v.procs = apr_array_make(p, 16, sizeof(ipcg_proc_t));
    r->mode = cf.cleanup;
    r->show_foreign = cf.show_foreign;
    r->warn_percent = cf.warn_percent;
    r->scan_seconds = cf.scan_seconds;
    r->updated = apr_time_sec(apr_time_now());
    ipcg_report_limits(p, &paths, cf.beancounters, r);
    view_procs(p, &v);
    view_counters(r);
    publish(p, s, &cf, &v, 1);
}

/* ------------------------------------------------------------------ */
/* Attribution: snapshots between the entries of the sorted hook arrays */

/* The first configuration pass, which every httpd process makes, the ones
 * that only test, dump or signal included. */
static int first_pass(void)
{
    return ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG;
}

static int in_real_pass(void)
{
    return ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_NORMAL
           && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG;
}

/* Where the brackets start from: what exists now is no module's of this
 * pass. Taken at the start of every configuration pass, and again after
 * anything of the module's own that makes or removes objects before the
 * first bracket (the startup cleanup). Costs a few system calls, plus a
 * listing of /dev/shm: it reads no table (see ipcg_mark_take). */
static void bracket_baseline(void)
{
    if (G == NULL) {
        return;
    }
    if (bracket_pool == NULL) {
        apr_pool_create(&bracket_pool, G->pool);
        memset(&bracket_mark, 0, sizeof(bracket_mark));
    }
    ipcg_mark_take(bracket_pool, &paths, &bracket_mark);
    bracket_marked = 1;
}

/* One bracket: what appeared since the last one, and can have been made
 * by this process, was made by the entry that ran in between. Another
 * program's objects made meanwhile have another creator or another pid
 * on them and are left alone. */
static void bracket(ipcg_phase_e phase)
{
    ipcg_snapshot_t added;
    apr_array_header_t *names = bracket_names[phase];
    const char *maker = "unknown";
    apr_pool_t *np;
    apr_status_t rv;
    apr_int64_t me = (apr_int64_t)getpid();
    int i, n = 0;

    if (G == NULL || !bracket_marked || names == NULL) {
        return;
    }
    if (phase != bracket_phase) {
        bracket_phase = phase;
        bracket_index = 0;
    }
    if (bracket_index > 0 && bracket_index - 1 < names->nelts) {
        maker = APR_ARRAY_IDX(names, bracket_index - 1, const char *);
        if (strcmp(maker, "core.c") == 0) {
            maker = "core";         /* the scoreboard, the core's mutexes */
        }
    }
    apr_pool_create(&np, G->pool);
    ipcg_snapshot_init(np, &added);
    rv = ipcg_scan_since(np, &paths, &bracket_mark, &added);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, ap_server_conf,
                     "ipcguard(102): what %s made in %s cannot all be told "
                     "apart", maker, ipcg_phase_name(phase));
    }
    for (i = 0; i < added.objs->nelts; i++) {
        ipcg_obj_t o = APR_ARRAY_IDX(added.objs, i, ipcg_obj_t);
        if (!ipcg_obj_maybe_by(&o, me, (apr_uint32_t)geteuid(),
                               (apr_uint32_t)ap_unixd_config.user_id)) {
            continue;               /* another program's, made meanwhile */
        }
        o.phase = phase;
        o.cls = IPCG_CLASS_INSTANCE;
        o.owner_pid = me;
        ipcg_strlcpy(o.module, maker, sizeof(o.module));
        registry_add(&o);
        n++;
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     "ipcguard(102): registered %s %s%" APR_INT64_T_FMT
                     " from %s in %s", ipcg_kind_name(o.kind),
                     o.id >= 0 ? "id " : "", o.id, maker,
                     ipcg_phase_name(phase));
    }
    /* recorded at once: a kill -9 later in the startup must not leave
     * objects no state file names */
    if (n && G->pid == me) {
        /* what the last generation made and its teardown removed is not
         * recorded again: the registry's objects are looked up one by
         * one, the tables are not read */
        ipcg_snapshot_t mine;
        ipcg_snapshot_init(np, &mine);
        ipcg_scan_objects(np, &paths, G->reg, &mine);
        ipcg_registry_reconcile(np, G->reg, &mine);
        state_write(np, ap_server_conf);
    }
    apr_pool_destroy(np);
    bracket_index++;
}

static void become_server(apr_pool_t *pconf, apr_pool_t *ptemp,
                          server_rec *s);

static int bracket_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (G && !G->startup_done && first_pass()) {
        become_server(pconf, ptemp, s);
    }
    bracket(IPCG_PHASE_OPEN_LOGS);
    return OK;
}

static int bracket_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s);

static int bracket_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type);

/* Put a bracket before every entry of @a arr and one after the last;
 * remembers the entries' names. Done again for every generation, since
 * httpd sorts its hooks afresh each time. */
#define WRAP_HOOK_ARRAY(name, fn, phase)                                     \
    do {                                                                     \
        apr_array_header_t *arr = ap_hook_get_##name();                      \
        if (arr) {                                                           \
            ap_LINK_##name##_t *old = (ap_LINK_##name##_t *)arr->elts;      \
            int n = arr->nelts, k;                                           \
            ap_LINK_##name##_t *copy = apr_pmemdup(ptemp, old,               \
                                           sizeof(*old) * (apr_size_t)n);    \
            apr_array_header_t *nm = apr_array_make(pconf, n,                \
                                                    sizeof(const char *));   \
            ap_LINK_##name##_t br;                                           \
            memset(&br, 0, sizeof(br));                                      \
            br.pFunc = (fn);                                                 \
            br.szName = "mod_ipcguard.c";                                    \
            br.nOrder = APR_HOOK_MIDDLE;                                     \
            arr->nelts = 0;                                                  \
            for (k = 0; k < n; k++) {                                        \
                if (copy[k].pFunc == (fn)) {                                 \
                    continue;                                                \
                }                                                            \
                *(ap_LINK_##name##_t *)apr_array_push(arr) = br;             \
                *(ap_LINK_##name##_t *)apr_array_push(arr) = copy[k];        \
                *(const char **)apr_array_push(nm) =                         \
                    apr_pstrdup(pconf, copy[k].szName);                      \
            }                                                                \
            *(ap_LINK_##name##_t *)apr_array_push(arr) = br;                 \
            bracket_names[phase] = nm;                                       \
        }                                                                    \
    } while (0)

static void wrap_hooks(apr_pool_t *pconf, apr_pool_t *ptemp)
{
    WRAP_HOOK_ARRAY(open_logs, bracket_open_logs, IPCG_PHASE_OPEN_LOGS);
    WRAP_HOOK_ARRAY(post_config, bracket_post_config, IPCG_PHASE_POST_CONFIG);
    WRAP_HOOK_ARRAY(pre_mpm, bracket_pre_mpm, IPCG_PHASE_PRE_MPM);
}

/* ------------------------------------------------------------------ */
/* Hooks                                                                */

static apr_status_t clear_generation(void *data)
{
    (void)data;
    table = NULL;
    bracket_marked = 0;
    memset(&bracket_mark, 0, sizeof(bracket_mark));
    if (bracket_pool) {
        apr_pool_destroy(bracket_pool);
        bracket_pool = NULL;
    }
    memset(bracket_names, 0, sizeof(bracket_names));
    return APR_SUCCESS;
}

/* Runs last of all pconf cleanups of a generation: on a clean stop,
 * remove the state file unless something of this instance outlives it. */
static apr_status_t on_pconf_cleanup(void *data)
{
    server_rec *s = data;
    apr_pool_t *p;
    ipcg_snapshot_t snap;
    int i, left = 0;

    if (G == NULL || ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_EXITING
        || G->pid != getpid() || G->state_path[0] == '\0'
        || G->state_clash) {
        return APR_SUCCESS;
    }
    apr_pool_create(&p, G->pool);
    scan(p, &snap);
    ipcg_registry_reconcile(p, G->reg, &snap);
    /* what the startup phases made goes with httpd's own cleanups (the
     * scoreboard's with the process pool, after this); what children made
     * at runtime and still exists would be lost without the file */
    for (i = 0; i < G->reg->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
        if (o->cls == IPCG_CLASS_INSTANCE
            && (o->phase == IPCG_PHASE_RUNTIME
                || o->phase == IPCG_PHASE_CHILD_INIT
                || o->owner_pid != G->pid)) {
            left++;
        }
    }
    if (left) {
        state_write(p, s);
        /* the server's error log (in plog) is closed by now: stderr
         * goes to the same file */
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, NULL,
                     "ipcguard(103): clean stop; %d object(s) of this "
                     "instance remain and stay recorded in %s for the next "
                     "start", left, G->state_path);
    }
    else {
        ipcg_state_remove(p, G->state_path);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

/* Runs first of all pconf cleanups, before any module removes what it
 * made: whatever of the generation is gone now was removed by someone
 * else. From here until the next generation is built, objects vanish
 * for good reasons. */
static apr_status_t on_generation_end(void *data)
{
    server_rec *s = data;
    apr_pool_t *p;
    ipcg_snapshot_t snap;
    int exiting = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING;

    if (G == NULL || G->pid != getpid()) {
        return APR_SUCCESS;
    }
    /* at exit the error log of the server (in plog) is already closed:
     * log to stderr, which httpd pointed at the same file */
    if (exiting) {
        s = NULL;
    }
    apr_pool_create(&p, G->pool);
    scan(p, &snap);
    check_outside(p, s, &snap);
    apr_pool_clear(G->watchpool);
    G->watch = apr_hash_make(G->watchpool);
    if (exiting) {
        G->hist.exited = apr_time_sec(apr_time_now());
        G->hist_dirty = 1;
    }
    if (G->hist_dirty) {
        history_save(p, s);
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

static int ipcg_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    (void)plog; (void)ptemp;
    ipcg_paths_default(&paths);
    /* the parent, before any child: what it was started as */
    started_as_root = geteuid() == 0;
    started_uid = (apr_uint32_t)geteuid();
    started_gid = (apr_uint32_t)getegid();
    apr_pool_cleanup_register(pconf, NULL, clear_generation,
                              apr_pool_cleanup_null);
    return OK;
}

/* Say once (per ten minutes) that the state directory cannot be used. */
static void state_dir_unusable(apr_pool_t *p, server_rec *s,
                               const ipcg_settings *cf, const char *why)
{
    log_once(s, APLOG_ERR, 105, "state directory", apr_psprintf(p,
             "IPCGuardStateDir: %s; no cleanup and no state or history "
             "file in %s", why ? why : "unusable", cf->state_dir));
    G->state_path[0] = '\0';
    G->hist_path[0] = '\0';
}

static void identify_instance(apr_pool_t *p, server_rec *s,
                              const ipcg_settings *cf)
{
    const char *pidfile = ap_runtime_dir_relative(p, ap_pid_fname
                                                      ? ap_pid_fname
                                                      : DEFAULT_PIDLOG);
    const char *why = NULL;

    ipcg_strlcpy(G->pidfile, pidfile ? pidfile : "", sizeof(G->pidfile));
    ipcg_state_instance_id(G->pidfile, G->instance);
    ipcg_strlcpy(G->state_path,
                 ipcg_state_path(p, cf->state_dir, G->instance),
                 sizeof(G->state_path));
    /* the serving process's later passes: only a directory that is still
     * safe (this user's, writable by no one else) gets the files; the
     * first pass leaves that to the startup cleanup, since it may be a
     * process that only signals a server */
    if (!first_pass()
        && ipcg_state_dir_ensure(p, cf->state_dir, trust_uid(), &why)
           != APR_SUCCESS) {
        state_dir_unusable(p, s, cf, why);
    }
}

static void fill_opts(apr_pool_t *p, const ipcg_settings *cf,
                      ipcg_reap_opts_t *o)
{
    char exe[1024];
    ssize_t n;

    memset(o, 0, sizeof(*o));
    o->mode = cf->cleanup;
    o->run_uid = run_user();
    o->run_gid = run_group();
    o->trust_uid = trust_uid();
    o->self_pid = getpid();
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        o->self_exe = apr_pstrdup(p, exe);
    }
    o->paths = &paths;
    o->state_dir = cf->state_dir;
    o->instance = G->instance;
}

/* The startup cleanup: first pass, normal runs only. */
static void startup_cleanup(apr_pool_t *p, server_rec *s,
                            const ipcg_settings *cf)
{
    ipcg_reap_opts_t o;
    ipcg_reap_ctx_t *ctx;
    apr_array_header_t *carried;
    const char *why = NULL;
    int i;

    G->startup_done = 1;
    if (started_as_root) {
        log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                     "ipcguard(104): started as root: state in %s, trusted "
                     "when owned by root; cleans up after this instance's "
                     "runs, their objects owned by root or the run User "
                     "(uid %u, gid %u)", cf->state_dir, (unsigned)run_user(),
                     (unsigned)run_group()));
    }
    else {
        log_to_httpd(s, APLOG_NOTICE, 0, apr_psprintf(p,
                     "ipcguard(104): not started as root: runs as uid %u, "
                     "gid %u (User and Group do not apply); state in %s, "
                     "trusted only when owned by uid %u; cleans up after "
                     "this instance's runs, only objects of uid %u",
                     (unsigned)run_user(), (unsigned)run_group(),
                     cf->state_dir, (unsigned)trust_uid(),
                     (unsigned)run_user()));
    }
    if (ipcg_state_dir_ensure(p, cf->state_dir, trust_uid(), &why)
        != APR_SUCCESS) {
        state_dir_unusable(p, s, cf, why);
        apr_snprintf(G->cleanup.summary, sizeof(G->cleanup.summary),
                     "state directory %s unusable: no cleanup", cf->state_dir);
        return;
    }
    fill_opts(p, cf, &o);
    /* one context for this cleanup, gone with its pool */
    ctx = ipcg_reap_ctx_make(p, &o);
    carried = apr_array_make(p, 4, sizeof(ipcg_obj_t));
    G->decisions->nelts = 0;
    ipcg_reap_startup(ctx, &G->cleanup, G->decisions, carried);
    G->removed_total += G->cleanup.removed_count;
    history_load(p, cf);
    for (i = 0; i < carried->nelts; i++) {
        registry_add(&APR_ARRAY_IDX(carried, i, ipcg_obj_t));
    }
    /* while this instance's earlier parent runs (or may run), every
     * object of its user may be that server's: no orphan pass at all */
    if (cf->cleanup >= IPCG_CLEANUP_REPORT
        && G->cleanup.outcome != IPCG_OUTCOME_ALIVE
        && G->cleanup.outcome != IPCG_OUTCOME_UNKNOWN) {
        ipcg_snapshot_t snap;
        apr_hash_t *mine = apr_hash_make(p);
        apr_time_t t0 = apr_time_now();
        int removed;

        for (i = 0; i < G->decisions->nelts; i++) {
            const ipcg_obj_t *x = &APR_ARRAY_IDX(G->decisions, i,
                                                 ipcg_decision_t).obj;
            apr_hash_set(mine, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
        }
        for (i = 0; i < G->reg->nelts; i++) {
            const ipcg_obj_t *x = &APR_ARRAY_IDX(G->reg, i, ipcg_obj_t);
            apr_hash_set(mine, ipcg_obj_slot(p, x), APR_HASH_KEY_STRING, x);
        }
        scan(p, &snap);
        removed = ipcg_reap_orphans(ctx, &snap, mine, G->decisions,
                                    &G->orphans, &G->orphans_provable);
        G->removed_total += (apr_uint64_t)removed;
        G->cleanup.duration_us += (apr_int64_t)(apr_time_now() - t0);
    }
}

static void claim_parent(server_rec *s);

/* A restart has loaded this release into a parent that another release
 * ran until now (a package upgrade, then a graceful restart): the startup
 * cleanup is long done, and the registry comes back from this server's
 * own state file, which records every object it knew. */
static void recover_after_upgrade(apr_pool_t *p, server_rec *s)
{
    ipcg_state_t st;
    const char *why = NULL;
    int i, n = 0;

    G->startup_done = 1;
    G->rebuilt = 0;
    if (G->state_path[0]
        && ipcg_state_read(p, G->state_path, trust_uid(), &st, &why)
           == APR_SUCCESS
        && st.pid == getpid()) {
        G->started = st.started;
        for (i = 0; i < st.objs->nelts; i++) {
            registry_add(&APR_ARRAY_IDX(st.objs, i, ipcg_obj_t));
            n++;
        }
    }
    ipcg_strlcpy(G->cleanup.summary, "the module was upgraded in place: "
                 "the last startup cleanup's record was not carried over",
                 sizeof(G->cleanup.summary));
    log_to_httpd(s, APLOG_INFO, 0, apr_psprintf(p,
                 "ipcguard(110): mod_ipcguard was replaced under the running "
                 "server (what it carried has layout %u, shape %" APR_UINT64_T_FMT
                 "; this release's is %u, shape %" APR_UINT64_T_FMT "): "
                 "%d object(s) taken back from %s%s%s", G->rebuilt_layout,
                 G->rebuilt_size, IPCG_CARRIED_LAYOUT, carried_shape(), n,
                 G->state_path[0] ? G->state_path : "no state file",
                 why ? ": " : "", why ? why : ""));
}

static int ipcg_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;

    (void)plog;
    /* the default state directory of a server not started as root, now
     * that DefaultRuntimeDir is known */
    {
        const char *dir = ap_runtime_dir_relative(ptemp,
                                                  IPCG_USER_STATE_SUBDIR);
        ipcg_strlcpy(user_state_dir, dir ? dir : "", sizeof(user_state_dir));
    }
    settings_of(s, &cf);
    if (!cf.enabled || ap_state_query(AP_SQ_RUN_MODE) != AP_SQ_RM_NORMAL) {
        return OK;
    }
    G = global_state(s);
    set_logger(s);
    identify_instance(ptemp, s, &cf);
    if (!first_pass()) {
        /* before open_logs, a detached server's stderr is /dev/null:
         * what the module says waits for the error log */
        log_pending = 1;
        if (G->rebuilt) {
            recover_after_upgrade(ptemp, s);
        }
    }
    /* the baseline for the brackets: what exists before any module of
     * this generation allocates. The first configuration pass too: its
     * modules make objects that live until pconf is cleared, and a kill -9
     * in between must not leave them unrecorded */
    bracket_baseline();
    bracket_phase = IPCG_PHASE_UNKNOWN;
    bracket_index = 0;
    wrap_hooks(pconf, ptemp);
    /* In the first pass this process may still be one that only signals a
     * server (-k stop, -k graceful, -k start while it runs): httpd decides
     * that after check_config. Nothing is claimed, removed or written
     * until become_server(), at the first bracket of open_logs. */
    if (!first_pass()) {
        claim_parent(s);
    }
    return OK;
}

/* The first configuration pass has reached open_logs: httpd's
 * ap_signal_server() has let this process go on, so it is the one that
 * will serve (unless binding or a later hook fails; then what the cleanup
 * did is still recorded truly in the state file). Runs before any
 * open_logs entry, so before the MPM creates its accept mutex. */
static void become_server(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;

    settings_of(s, &cf);
    log_pending = 1;
    /* if httpd gives up before its error log is open (a port in use, say),
     * what the cleanup said still goes out, to stderr */
    apr_pool_cleanup_register(pconf, s, flush_on_exit, apr_pool_cleanup_null);
    startup_cleanup(ptemp, s, &cf);
    /* what the cleanup removed is no allocation of the first entry */
    bracket_baseline();
    claim_parent(s);
}

/* After core.c has opened the error log: write what the startup cleanup
 * said. */
static int ipcg_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    if (log_pending) {
        flush_pending(s);
    }
    return OK;
}

static int ipcg_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    ipcg_settings cf;
    apr_shm_t *shm;
    apr_size_t size;
    apr_status_t rv;

    (void)plog; (void)ptemp;
    settings_of(s, &cf);
    if (!cf.enabled || G == NULL || !in_real_pass()) {
        return OK;
    }
    /* the table: anonymous shared memory, inherited by the children */
    size = ipcg_table_size((apr_uint32_t)cf.max_objects, IPCG_CAP_DECISIONS,
                           IPCG_CAP_PROCS);
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s,
                     "ipcguard(106): cannot create the %" APR_SIZE_T_FMT
                     "-byte status table (IPCGuardMaxObjects %d); "
                     "/ipc-status will be unavailable", size,
                     cf.max_objects);
        table = NULL;
    }
    else {
        table = ipcg_table_init(apr_shm_baseaddr_get(shm), size,
                                (apr_uint32_t)cf.max_objects,
                                IPCG_CAP_DECISIONS, IPCG_CAP_PROCS);
    }
    apr_pool_cleanup_register(pconf, s, on_pconf_cleanup,
                              apr_pool_cleanup_null);
    apr_pool_pre_cleanup_register(pconf, s, on_generation_end);
    return OK;
}

/* At the start of every real configuration pass: this process is the
 * parent for good (httpd detached in pre_config), and may record state
 * unless another live server owns the file. */
static void claim_parent(server_rec *s)
{
    apr_pool_t *p;
    ipcg_proc_t me;
    ipcg_state_t other;
    const char *why;

    apr_pool_create(&p, G->pool);
    G->pid = getpid();
    if (G->started == 0) {
        G->started = apr_time_sec(apr_time_now());
    }
    if (ipcg_proc_read(p, &paths, G->pid, 0, &me) == APR_SUCCESS) {
        G->starttime = me.starttime;
    }
    /* never overwrite the state of another live server that shares this
     * PidFile (a configuration error httpd itself will report). The
     * process that detached this one (httpd -k start, apachectl start)
     * recorded the first pass and may still be exiting (mod_perl's
     * teardown is slow): it is this server, not another one */
    G->state_clash = 0;
    if (G->state_path[0]
        && ipcg_state_read(p, G->state_path, trust_uid(), &other, &why)
           == APR_SUCCESS
        && other.pid != G->pid && other.pid != (apr_int64_t)getppid()
        && ipcg_proc_alive(p, &paths, other.pid, other.starttime) == 1) {
        G->state_clash = 1;
        /* before open_logs: a detached server's stderr is /dev/null, so
         * the line waits for the error log */
        log_to_httpd(s, APLOG_ERR, 0, apr_psprintf(p,
                     "ipcguard(107): state file %s belongs to live httpd pid %"
                     APR_INT64_T_FMT "; two servers share PidFile %s: this "
                     "one keeps no state", G->state_path, other.pid,
                     G->pidfile));
    }
    apr_pool_destroy(p);
}

/* After the last post_config entry: the generation's objects exist. */
static void after_post_config(server_rec *s)
{
    apr_pool_t *p;

    apr_pool_create(&p, G->pool);
    if (G->hist.pid != G->pid) {
        /* this run's entry in the history */
        memcpy(G->hist.instance, G->instance, sizeof(G->hist.instance));
        G->hist.pid = G->pid;
        G->hist.started = G->started;
        G->hist.exited = 0;
        G->hist.outside_total = G->outside_total = 0;
        G->hist_dirty = 1;
    }
    refresh(p, s, 0, 1);
    apr_pool_destroy(p);
}

static int bracket_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *names = bracket_names[IPCG_PHASE_POST_CONFIG];

    (void)pconf; (void)plog; (void)ptemp;
    bracket(IPCG_PHASE_POST_CONFIG);
    if (names && bracket_index == names->nelts + 1 && G) {
        after_post_config(s);
    }
    return OK;
}

static int bracket_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type)
{
    apr_array_header_t *names = bracket_names[IPCG_PHASE_PRE_MPM];

    (void)p; (void)sb_type;
    bracket(IPCG_PHASE_PRE_MPM);
    if (names && bracket_index == names->nelts + 1 && G) {
        apr_pool_t *tmp;
        apr_pool_create(&tmp, G->pool);
        refresh(tmp, ap_server_conf, 0, 1);
        apr_pool_destroy(tmp);
        watch_generation();
    }
    return OK;
}

static int ipcg_monitor(apr_pool_t *p, server_rec *s)
{
    ipcg_settings cf;
    apr_time_t now = apr_time_now();
    apr_pool_t *tmp;
    const char *why;

    settings_of(s, &cf);
    if (!cf.enabled || G == NULL || G->pid != getpid()) {
        return DECLINED;
    }
    if (now - G->last_scan < apr_time_from_sec(cf.scan_seconds)) {
        return DECLINED;
    }
    G->last_scan = now;
    /* the parent's own allocator, as a child's exit uses: a full scan
     * then reuses the memory the start's scans left there instead of
     * touching new pages (pconf's allocator keeps what it gets too) */
    (void)p;
    apr_pool_create(&tmp, G->pool);
    why = changed_since_full(tmp);
    if (why) {
        refresh(tmp, s, 1, 0);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "full scan (%s): %"
                     APR_TIME_T_FMT " us", why, apr_time_now() - now);
    }
    else {
        refresh_quiet(tmp, s);
    }
    apr_pool_destroy(tmp);
    return DECLINED;
}

static void ipcg_child_status(server_rec *s, pid_t pid, ap_generation_t gen,
                              int slot, mpm_child_status state)
{
    ipcg_settings cf;
    ipcg_reap_opts_t o;
    ipcg_reap_ctx_t *ctx;
    ipcg_snapshot_t snap;
    apr_pool_t *p;
    int added, removed;

    (void)gen; (void)slot;
    if (state != MPM_CHILD_EXITED || G == NULL || G->pid != getpid()) {
        return;
    }
    settings_of(s, &cf);
    if (!cf.enabled) {
        return;
    }
    apr_pool_create(&p, G->pool);
    scan(p, &snap);
    check_outside(p, s, &snap);
    ipcg_registry_reconcile(p, G->reg, &snap);
    /* what the child made since the last scan is registered now, while
     * its pid still tells it was ours */
    added = register_runtime(p, &snap, pid);
    fill_opts(p, &cf, &o);
    ctx = ipcg_reap_ctx_make(p, &o);
    /* the exited child's start time is gone with it: its objects are told
     * by their recorded owner start times (kept ones are marked so that a
     * later process with the pid is not taken for their owner) */
    removed = ipcg_reap_child(ctx, G->reg, pid, 0);
    /* owners that run now are the processes that made their objects:
     * record their start times while that is still true */
    ipcg_reap_stamp_owners(ctx, G->reg);
    G->child_reaped_total += (apr_uint64_t)removed;
    G->removed_total += (apr_uint64_t)removed;
    if (added || removed) {
        /* record and publish now: the monitor is seconds away */
        refresh(p, s, 0, 1);
    }
    apr_pool_destroy(p);
}

/* ------------------------------------------------------------------ */
/* The handler                                                          */

static void out_to_request(void *baton, const char *buf, apr_size_t len)
{
    ap_rwrite(buf, (int)len, (request_rec *)baton);
}

/* The page: its headers here, its body from the core. */
static void render_html(request_rec *r, const ipcg_view_t *v, int refresh_s,
                        ipcg_out_t *out)
{
    ipcg_html_opts_t o;

    ap_set_content_type(r, "text/html; charset=utf-8");
    if (refresh_s > 0) {
        apr_table_setn(r->headers_out, "Refresh",
                       apr_psprintf(r->pool, "%d", refresh_s));
    }
    if (r->header_only) {
        return;
    }
    o.host = ap_get_server_name(r);
    o.via = r->connection->local_ip;
    o.signature = ap_psignature("<hr />\n", r);
    o.refresh = refresh_s;
    o.now = apr_time_sec(r->request_time);
    ipcg_render_html(r->pool, v, &o, out);
}

/* The first value of @a name in the query string, or NULL. */
static const char *query_arg(request_rec *r, const char *name, int *present)
{
    char *args, *tok, *last;
    apr_size_t n = strlen(name);

    *present = 0;
    if (r->args == NULL) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&;", &last); tok;
         tok = apr_strtok(NULL, "&;", &last)) {
        if (strncmp(tok, name, n) == 0 && (tok[n] == '\0' || tok[n] == '=')) {
            *present = 1;
            return tok[n] == '=' ? tok + n + 1 : "";
        }
    }
    return NULL;
}

static int ipcg_handler(request_rec *r)
{
    ipcg_view_t v;
    ipcg_out_t out;
    apr_status_t rv;
    int is_auto, is_json, is_metrics, has_refresh;
    const char *refresh_s;
    ipcg_settings cf;

    if (strcmp(r->handler, IPCG_HANDLER) != 0) {
        return DECLINED;
    }
    settings_of(r->server, &cf);
    if (!cf.enabled) {
        return DECLINED;        /* IPCGuard Off: the module does nothing */
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (table == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "ipcguard(401): no status table: the module is off "
                      "(IPCGuard Off) or could not start");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rv = ipcg_table_read(table, r->pool, &v);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r,
                      "ipcguard(402): cannot read the status table");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    query_arg(r, "auto", &is_auto);
    query_arg(r, "json", &is_json);
    query_arg(r, "metrics", &is_metrics);
    refresh_s = query_arg(r, "refresh", &has_refresh);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    out.write = out_to_request;
    out.baton = r;
    if (is_json) {
        ap_set_content_type(r, "application/json");
        if (!r->header_only) {
            ipcg_render_json(r->pool, &v, &out);
        }
    }
    else if (is_metrics) {
        ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only) {
            ipcg_render_metrics(r->pool, &v, &out);
        }
    }
    else if (is_auto) {
        ap_set_content_type(r, "text/plain; charset=ISO-8859-1");
        if (!r->header_only) {
            ipcg_render_auto(r->pool, &v, "", &out);
        }
    }
    else {
        int secs = 0;
        if (has_refresh) {
            apr_int64_t want = 1;
            /* as mod_status: anything but a number is one second */
            if (refresh_s && *refresh_s
                && ipcg_parse_i64(refresh_s, &want) != APR_SUCCESS) {
                want = 1;
            }
            secs = want < 1 ? 1 : want > 86400 ? 86400 : (int)want;
        }
        render_html(r, &v, secs, &out);
    }
    return OK;
}

/* The section in /server-status and the IPCGuard* lines in its ?auto:
 * both print only the report's counters and summary, so only the report
 * is copied out of the table, never its lists. */
static int ipcg_status_hook(request_rec *r, int flags)
{
    ipcg_view_t v;
    ipcg_out_t out;

    if (table == NULL) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        char *buf = apr_palloc(r->pool, IPCG_TABLE_AUTO_MAX);
        apr_size_t len, at;
        apr_int64_t started, now = apr_time_sec(apr_time_now());

        if (ipcg_table_read_auto(table, buf, IPCG_TABLE_AUTO_MAX, &len, &at,
                                 &started) == APR_SUCCESS) {
            ap_rwrite(buf, (int)at, r);
            if (started > 0 && now >= started) {
                ap_rprintf(r, UPTIME_KEY "%" APR_INT64_T_FMT "\n",
                           now - started);
            }
            ap_rwrite(buf + at, (int)(len - at), r);
            return OK;
        }
    }
    memset(&v, 0, sizeof(v));
    if (ipcg_table_read_report(table, &v.rep) != APR_SUCCESS) {
        return OK;
    }
    if (flags & AP_STATUS_SHORT) {
        /* nothing rendered yet: render the report here */
        out.write = out_to_request;
        out.baton = r;
        ipcg_render_auto(r->pool, &v, "IPCGuard", &out);
        return OK;
    }
    {
        const ipcg_report_t *rep = &v.rep;
        apr_uint64_t inst = 0, foreign = 0;
        int k;
        for (k = 0; k < IPCG_KIND_COUNT; k++) {
            inst += rep->count[k][IPCG_CLASS_INSTANCE];
            foreign += rep->count[k][IPCG_CLASS_FOREIGN];
        }
        ap_rputs("<hr />\n<h2>IPC objects (mod_ipcguard)</h2>\n<dl>", r);
        ap_rprintf(r, "<dt>%" APR_UINT64_T_FMT " objects of this server, %"
                   APR_UINT64_T_FMT " of others</dt>\n", inst, foreign);
        if (rep->limits.semmni.present) {
            ap_rprintf(r, "<dt>Semaphore sets: %" APR_UINT64_T_FMT " of %"
                       APR_UINT64_T_FMT " (SEMMNI)</dt>\n",
                       rep->usage.count[IPCG_SYSV_SEM], rep->limits.semmni.v);
        }
        ap_rprintf(r, "<dt>Last startup cleanup: %s</dt>\n",
                   rep->cleanup.summary[0]
                       ? ap_escape_html(r->pool, rep->cleanup.summary)
                       : "no cleanup has run");
        ap_rputs("</dl>\n", r);
    }
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    static const char *const after_core[] = { "core.c", NULL };

    (void)p;
    ap_hook_pre_config(ipcg_pre_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_config(ipcg_check_config, NULL, NULL,
                         APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(ipcg_open_logs, after_core, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(ipcg_post_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_monitor(ipcg_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_status(ipcg_child_status, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ipcg_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, ipcg_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(ipcguard) = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* create per-directory config */
    NULL,                   /* merge per-directory config */
    create_server_conf,     /* create per-server config */
    merge_server_conf,      /* merge per-server config */
    ipcg_cmds,              /* directives */
    register_hooks,         /* register hooks */
    AP_MODULE_FLAG_NONE     /* flags */
};
