/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * What the files of the httpd glue share: the settings a hook sees, what
 * the parent carries across generations, the one struct of this process's
 * module state, and the functions one file of the glue calls in another.
 *
 *   mod_ipcguard.c          the module record, register_hooks, the hooks
 *   mod_ipcguard_config.c   directives, create/merge, effective settings
 *   mod_ipcguard_state.c    the carried state, the logger, the registry,
 *                           the state file
 *   mod_ipcguard_attrib.c   attribution: brackets in httpd's hook arrays
 *   mod_ipcguard_start.c    the startup cleanup, becoming the parent
 *   mod_ipcguard_watch.c    scans and publishing (monitor, child exits)
 *   mod_ipcguard_history.c  the history file, trends, outside removals
 *   mod_ipcguard_warn.c     the warnings in the error log
 *   mod_ipcguard_status.c   the handler and the mod_status section
 *   mod_ipcguard_adopt.c    adoption of what the server's processes use,
 *                           and the application record
 *
 * Only this glue includes httpd headers; the core (src/) is APR only.
 */

#ifndef MOD_IPCGUARD_PRIVATE_H
#define MOD_IPCGUARD_PRIVATE_H

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

#include "ipcguard/ipcg_adopt.h"
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
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"
#include "ipcguard/ipcg_warn.h"
#include "ipcguard/ipcg_outside.h"
#include "ipcguard/ipcg_trends.h"

/* every file's log lines carry the module's name and LogLevel */
APLOG_USE_MODULE(ipcguard);

extern module AP_MODULE_DECLARE_DATA ipcguard_module;
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
#define IPCG_CARRIED_LAYOUT 8u
#endif
#define IPCG_CAP_DECISIONS 512
#define IPCG_EXITED_MAX 256
#define IPCG_CAP_PROCS 512
/* how long a request to /ipc-status waits for the first scan after a
 * start or a graceful restart */
#define IPCG_FIRST_SCAN_WAIT apr_time_from_sec(10)
/* a warning about the same limit again only after this long */
#define IPCG_WARN_INTERVAL apr_time_from_sec(600)

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
    apr_uint64_t size;          /* ipcgm_carried_shape() of the writer */
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
    int orphans_due;            /* the startup's orphan pass waits for the
                                   first full scan (it only reports) */
    /* children that exited while a generation's first full scan was due
     * (a graceful restart ends the old generation's children then): what
     * they made is this server's, though they are gone from /proc. Emptied
     * by every full scan; at most IPCG_EXITED_MAX (a full scan comes first
     * when that is not enough) */
    apr_int64_t exited[IPCG_EXITED_MAX];
    int n_exited;
    char instance[17];
    char state_path[1024];
    char pidfile[1024];
    apr_int64_t pid;
    apr_uint64_t starttime;
    apr_int64_t started;
    /* the parent's process group and session, as of its last claim (a
     * server that detaches does so before that), and the machine's boot
     * id: named by every state write without reading /proc again */
    apr_int64_t pgrp, session;
    char boot_id[40];
    apr_uint64_t scans_total, warnings_total, child_reaped_total,
                 removed_total;
    apr_time_t last_scan;
    ipcg_objmap_t *seen;        /* slots of the last scan, in seenpool */
    apr_pool_t *seenpool;
    /* Where the seen maps' cells go (mod_ipcguard_watch.c): anonymous
     * shared memory like the scan buffer, two of them, since a full scan
     * builds the next map while it reads the last. seen_in is 1 or 2 when
     * seen's cells are in seenbuf[0] or [1], 0 when they are in seenpool. */
    struct {
        apr_pool_t *pool;           /* holds the memory */
        void *base;
        apr_size_t len;
    } seenbuf[2];
    int seen_in;
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
    ipcg_report_t *kept_rep;    /* what the last full scan published:
                                   full_view's report once there was one */
    ipcg_view_t *full_view;     /* where each full scan builds its view, in
                                   pool: one copy of the report, written
                                   in place, not three */
    apr_array_header_t *kept_objs;
    apr_pool_t *keptpool;       /* holds kept_objs; replaced per full scan */
    ipcg_adopt_t *adopt;        /* adoption's memo, in pool */
    apr_uint64_t apps_sum;      /* FNV-1a of the application record last
                                   written, 0: none yet */
    int apps_none;              /* 1: no application object at the last
                                   save, and its record removed */
    /* The pools of the two marks (the brackets', the full scan's):
     * kept for the parent's life and cleared when a generation takes its
     * first mark in them, not destroyed at a generation's end, when every
     * page written is copied first for the old children that still share
     * it (tens of microseconds each on a virtual machine). */
    apr_pool_t *markpool[2];
    apr_uint64_t state_sum;     /* ipcg_state_content_sum of the state
                                   file last written; 0: none since */
    apr_uint64_t state_ino;     /* that file as written: inode, size and */
    apr_uint64_t state_size;    /* change time, to tell it from a file */
    apr_int64_t state_ctime;    /* someone else put there since */
    /* The buffer full scans read the kernel's tables into
     * (mod_ipcguard_watch.c): anonymous shared memory, which a fork does
     * not write-protect, so a scan after children forked writes into it
     * without copying a page. Made by the first full scan that finds it
     * too small, and kept for the parent's life: a buffer made anew for
     * each generation cost a page fault on every page at the first scan
     * after each graceful restart. */
    struct {
        apr_pool_t *pool;           /* holds the memory */
        void *base;
        int cap;                    /* room, in ipcg_obj_t */
        int busy;                   /* a snapshot lives in it */
    } snapbuf;
#ifdef IPCG_CARRIED_TEST_LAYOUT
    char test_pad[64];          /* moves nothing above, grows the struct */
#endif
} ipcg_global;

/* A mark of the kernel's allocation clock (ipcg_mark_take) in a pool of
 * its own, carried (ipcg_global.markpool) and taken again in place; valid
 * once taken. */
typedef struct {
    ipcg_mark_t mark;
    apr_pool_t *pool;           /* holds mark */
    int valid;
} ipcgm_mark_holder_t;

/* Everything this module keeps in the process beyond one call. The
 * module is unloaded and loaded again with each generation, so this
 * starts afresh (started_as_root 1, the rest zero) at every load; what
 * must outlive a generation is in *g, in the process pool. */
typedef struct {
    /* Written by pre_config in the parent, before any child exists; read
     * everywhere after. Whether httpd was started as root (a child of a
     * root server runs as the User): a server started as an ordinary
     * user runs as that user (httpd ignores User and Group then), its
     * state lives in a directory of that user and only that user's
     * objects are its own. */
    int started_as_root;
    apr_uint32_t started_uid, started_gid;
    ipcg_paths_t paths;             /* where /proc, /sys, /dev/shm are */
    /* Written by check_config at every pass, once DefaultRuntimeDir is
     * known: the default state directory of a server not started as root,
     * <DefaultRuntimeDir>/ipcguard. */
    char user_state_dir[1024];
    /* Set by check_config of an enabled normal run (global state of the
     * parent), never cleared: NULL while the module does nothing. */
    ipcg_global *g;
    /* Set by post_config (the status table, in pconf's shared memory and
     * inherited by the children), cleared by pconf's cleanup; the
     * handler and the status hook only read it. */
    ipcg_table_t *table;
    /* Set by check_config's later passes and by become_server: the error
     * log is not open yet, so log lines wait in g->pending; cleared by
     * flush_pending once open_logs has opened it. */
    int log_pending;
    /* The brackets (mod_ipcguard_attrib.c): set by check_config (the
     * baseline, the wrapped hook arrays) and by each bracket; cleared by
     * pconf's cleanup at the end of the generation. */
    struct {
        ipcgm_mark_holder_t at;     /* where the previous bracket stood,
                                       per generation */
        ipcg_phase_e phase;         /* the phase the brackets are in */
        int index;                  /* brackets of that phase so far */
        apr_array_header_t *names[IPCG_PHASE_COUNT];  /* entries' names */
        int reconciled;             /* the registry checked against the
                                       kernel since the baseline */
    } bracket;
    /* The second the parent began (ipcg_proc_born), read by the first
     * runtime registration of each generation: an object that last
     * changed before it is no runtime object of this server's. 0: not
     * read yet, -1: unknown. */
    apr_int64_t parent_born;
    /* Set after the last startup hook of a generation (pre_mpm's, or
     * post_config's in a graceful restart), once the registry is recorded:
     * the generation's first full scan is due. It runs in the parent as
     * the first child of the generation has started (child_status), so
     * that reading the kernel's tables, however many objects other
     * programs hold, does not keep the server from serving; or at a
     * child's exit that must read the tables anyway, if one comes first.
     * The monitor leaves it to the first child for one scan interval
     * after it became due (refresh_due_at): prefork makes a graceful
     * restart's children as the old ones exit, with a monitor's pass in
     * between, and a full scan there would hold up the first fork. */
    int refresh_due;
    apr_time_t refresh_due_at;
    /* The kernel's allocation clock at the last full scan, moved by each
     * child's exit (mod_ipcguard_watch.c): what was made since, read
     * without reading the tables. Taken by every full scan; cleared by
     * pconf's cleanup at the end of the generation. */
    ipcgm_mark_holder_t since;
    /* This instance's run lock as this process last found it
     * (ipcg_lock_e), set by ipcgm_take_runlock() at the startup cleanup
     * and at every later pass: what the cleanups' run-state proof is told
     * of their own instance. */
    int runlock;
} ipcgm_state_t;

extern ipcgm_state_t ipcgm;

/* What a scan is for. */
typedef enum {
    /* the monitor's pass: warns on limits and forecasts; writes the state
     * file when the registry changed */
    IPCGM_PASS_MONITOR,
    /* a new generation, a new parent, a child's exit: no warnings; writes
     * the state file in any case */
    IPCGM_PASS_RECORD
} ipcgm_pass_e;

/* mod_ipcguard_config.c */
extern const command_rec ipcgm_cmds[];
void *ipcgm_create_server_conf(apr_pool_t *p, server_rec *s);
void *ipcgm_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void ipcgm_settings_of(server_rec *s, ipcg_settings *st);
apr_uint32_t ipcgm_run_user(void);
apr_uint32_t ipcgm_run_group(void);
apr_uint32_t ipcgm_trust_uid(void);

/* mod_ipcguard_state.c */
int ipcgm_may_write_state(void);
apr_uint64_t ipcgm_carried_shape(void);
ipcg_global *ipcgm_global_state(server_rec *s);
void ipcgm_log_to_httpd(void *baton, int level, apr_status_t rv,
                        const char *msg);
apr_status_t ipcgm_flush_on_exit(void *data);
void ipcgm_flush_pending(server_rec *s);
void ipcgm_set_logger(server_rec *s);
void ipcgm_registry_compact(void);
void ipcgm_registry_add(const ipcg_obj_t *o);
void ipcgm_state_write(apr_pool_t *p, server_rec *s);
/* FNV-1a of @a len bytes of @a text, never 0 (0 stands for none). */
apr_uint64_t ipcgm_text_sum(const char *text, apr_size_t len);
/* Whether the state file is still the one this process last wrote. */
int ipcgm_state_file_ours(apr_pool_t *p);
void ipcgm_scan_registry(apr_pool_t *p, ipcg_snapshot_t *snap);
void ipcgm_record_registry(apr_pool_t *p, server_rec *s);

/* mod_ipcguard_attrib.c */
int ipcgm_first_pass(void);
int ipcgm_in_real_pass(void);
int ipcgm_pre_mpm_follows(void);
void ipcgm_bracket_baseline(void);
/* Take a mark of the allocation clock into @a m (its pool made under the
 * parent's at the first take); release it. */
void ipcgm_mark_hold(ipcgm_mark_holder_t *m);
void ipcgm_mark_release(ipcgm_mark_holder_t *m);
void ipcgm_brackets_clear(void);
void ipcgm_wrap_hooks(apr_pool_t *pconf, apr_pool_t *ptemp);

/* mod_ipcguard_start.c */
void ipcgm_identify_instance(apr_pool_t *p, server_rec *s,
                             const ipcg_settings *cf);
void ipcgm_fill_opts(apr_pool_t *p, const ipcg_settings *cf,
                     ipcg_reap_opts_t *o);
/* The startup's orphan pass, if it was put off until the first full scan
 * (@a snap: the tables that scan read). */
void ipcgm_orphan_search_due(apr_pool_t *p, server_rec *s,
                             const ipcg_snapshot_t *snap);
void ipcgm_recover_after_upgrade(apr_pool_t *p, server_rec *s);
void ipcgm_become_server(apr_pool_t *pconf, apr_pool_t *ptemp,
                         server_rec *s);
void ipcgm_become_server_at_restart(apr_pool_t *ptemp, server_rec *s);
void ipcgm_claim_parent(server_rec *s);
int ipcgm_take_runlock(apr_pool_t *p, server_rec *s);
void ipcgm_after_post_config(server_rec *s);

/* mod_ipcguard_watch.c */
void ipcgm_scan(apr_pool_t *p, ipcg_snapshot_t *snap);
/* A child's exit without reading the tables: the registry's objects one
 * by one and what was made since the last full scan (or since the last
 * exit) are reconciled, and what @a pid or the server's other processes
 * made is registered. Returns how many were registered, or -1 when it
 * cannot tell (no mark, or the kernel's clock cannot be read): then a
 * full scan must do it. */
int ipcgm_exit_since_mark(apr_pool_t *p, apr_int64_t pid);
/* Note that child @a pid exited; 0 when the list is full (a full scan
 * must come now). */
int ipcgm_exited_add(apr_int64_t pid);
int ipcgm_register_runtime(apr_pool_t *p, const ipcg_snapshot_t *snap,
                           apr_int64_t extra_pid);
void ipcgm_refresh(apr_pool_t *p, server_rec *s, ipcgm_pass_e pass);
const char *ipcgm_changed_since_full(apr_pool_t *p);
void ipcgm_refresh_quiet(apr_pool_t *p, server_rec *s);
/* The generation's first full scan is due from now (refresh_due). */
void ipcgm_first_scan_due(void);
/* Whether the monitor's pass at @a now leaves that scan to the first
 * child's start. */
int ipcgm_first_scan_waits(apr_time_t now, int scan_seconds);

/* mod_ipcguard_history.c */
void ipcgm_history_save(apr_pool_t *p, server_rec *s, int durable);
void ipcgm_watch_generation(void);
void ipcgm_check_outside(apr_pool_t *p, server_rec *s);
int ipcgm_history_load(apr_pool_t *p, const ipcg_settings *cf);
void ipcgm_history_losses(apr_pool_t *p);
void ipcgm_trends(apr_pool_t *p, server_rec *s, const ipcg_settings *cf,
                  ipcg_view_t *v);

/* mod_ipcguard_warn.c */
void ipcgm_log_once(server_rec *s, int level, int tag, const char *resource,
                    const char *msg);
void ipcgm_warn_once_tag(server_rec *s, int tag, const char *resource,
                         const char *msg);
void ipcgm_warn_once(server_rec *s, const char *resource, const char *msg);
void ipcgm_warn_rearm(const char *resource);
void ipcgm_early_warnings(apr_pool_t *p, server_rec *s,
                          const ipcg_settings *cf, const ipcg_view_t *v);
void ipcgm_forecast_warnings(apr_pool_t *p, server_rec *s,
                             const ipcg_settings *cf, const ipcg_view_t *v);

/* mod_ipcguard_adopt.c */
int ipcgm_adopt_used(apr_pool_t *p, const ipcg_snapshot_t *snap,
                     const apr_array_header_t *tree, apr_int64_t extra_pid);
void ipcgm_adopt_save(apr_pool_t *p, server_rec *s);
void ipcgm_adopt_load(apr_pool_t *p, server_rec *s, ipcg_reap_ctx_t *ctx);

/* mod_ipcguard_status.c */
void ipcgm_publish_auto(apr_pool_t *p, const ipcg_view_t *v);
int ipcgm_handler(request_rec *r);
int ipcgm_status_hook(request_rec *r, int flags);

#endif /* MOD_IPCGUARD_PRIVATE_H */
