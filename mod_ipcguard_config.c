/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: the directives (one setter for the valued ones, driven by
 * a table, one for the flags), create and merge, and the effective
 * settings a hook sees, defaults filled in.
 */

#include "mod_ipcguard_private.h"

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

void *ipcgm_create_server_conf(apr_pool_t *p, server_rec *s)
{
    ipcg_server_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->enabled = -1;
    c->show_foreign = -1;
    c->forecast_horizon = -1;
    return c;
}

void *ipcgm_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
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

/* The user and group the server's processes run as. */
apr_uint32_t ipcgm_run_user(void)
{
    return ipcgm.started_as_root ? (apr_uint32_t)ap_unixd_config.user_id
                           : ipcgm.started_uid;
}

apr_uint32_t ipcgm_run_group(void)
{
    return ipcgm.started_as_root ? (apr_uint32_t)ap_unixd_config.group_id
                           : ipcgm.started_gid;
}

/* Who must own the state directory and its files: root, or the user a
 * server that never was root runs as. */
apr_uint32_t ipcgm_trust_uid(void)
{
    return ipcgm.started_as_root ? 0 : ipcgm.started_uid;
}

static const char *default_state_dir(void)
{
    if (ipcgm.started_as_root || ipcgm.user_state_dir[0] == '\0') {
        return IPCG_DEFAULT_STATE_DIR;
    }
    return ipcgm.user_state_dir;
}

void ipcgm_settings_of(server_rec *s, ipcg_settings *st)
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

/* How a valued directive's argument is parsed (by the core's parsers),
 * and where in ipcg_server_conf it goes. */
typedef enum {
    ARG_CLEANUP,            /* ipcg_cleanup_e; sets cleanup_set */
    ARG_DIR,                /* const char *, checked by ipcg_conf_dir */
    ARG_SECONDS,            /* int */
    ARG_PERCENT,            /* int */
    ARG_MAX_OBJECTS,        /* int */
    ARG_PATH_OR_NONE,       /* const char * */
    ARG_DURATION,           /* apr_int64_t, from lo to hi */
    ARG_DURATION_OR_OFF     /* the same, or "off" (0) */
} arg_kind;

typedef struct {
    arg_kind kind;
    apr_size_t offset;      /* of the field in ipcg_server_conf */
    apr_int64_t lo, hi;     /* ARG_DURATION*: the bounds, in seconds */
} directive_slot;

#define SLOT(kind, field) { kind, APR_OFFSETOF(ipcg_server_conf, field), 0, 0 }

static const directive_slot slot_cleanup = SLOT(ARG_CLEANUP, cleanup);
static const directive_slot slot_state_dir = SLOT(ARG_DIR, state_dir);
static const directive_slot slot_scan = SLOT(ARG_SECONDS, scan_seconds);
static const directive_slot slot_warn = SLOT(ARG_PERCENT, warn_percent);
static const directive_slot slot_max = SLOT(ARG_MAX_OBJECTS, max_objects);
static const directive_slot slot_bc = SLOT(ARG_PATH_OR_NONE, beancounters);
static const directive_slot slot_window = {
    ARG_DURATION, APR_OFFSETOF(ipcg_server_conf, forecast_window),
    IPCG_MIN_FORECAST_WINDOW, IPCG_MAX_FORECAST_WINDOW
};
static const directive_slot slot_horizon = {
    ARG_DURATION_OR_OFF, APR_OFFSETOF(ipcg_server_conf, forecast_horizon),
    60, IPCG_MAX_FORECAST_HORIZON
};
/* the flags: only where the int goes */
static const apr_size_t flag_enabled = APR_OFFSETOF(ipcg_server_conf,
                                                    enabled);
static const apr_size_t flag_foreign = APR_OFFSETOF(ipcg_server_conf,
                                                    show_foreign);

/* Parse @a arg into @a field as @a d says: NULL, or the parser's error. */
static const char *parse_arg(cmd_parms *cmd, const directive_slot *d,
                             const char *arg, void *field)
{
    switch (d->kind) {
    case ARG_CLEANUP:
        return ipcg_conf_cleanup(arg, field);
    case ARG_DIR: {
        const char *err = ipcg_conf_dir(arg);
        if (err == NULL) {
            *(const char **)field = arg;
        }
        return err;
    }
    case ARG_SECONDS:
        return ipcg_conf_seconds(arg, field);
    case ARG_PERCENT:
        return ipcg_conf_percent(arg, field);
    case ARG_MAX_OBJECTS:
        return ipcg_conf_max_objects(arg, field);
    case ARG_PATH_OR_NONE:
        return ipcg_conf_path_or_none(arg, field);
    case ARG_DURATION:
        return ipcg_conf_duration(cmd->pool, arg, d->lo, d->hi,
                                  IPCG_DURATION_ONLY, field);
    case ARG_DURATION_OR_OFF:
        return ipcg_conf_duration(cmd->pool, arg, d->lo, d->hi,
                                  IPCG_DURATION_OR_OFF, field);
    }
    return "unknown directive kind";
}

/* Every valued directive: server-wide only (one registry per instance),
 * its argument parsed by the core, an error prefixed with the directive's
 * name and the argument. */
static const char *set_value(cmd_parms *cmd, void *dc, const char *arg)
{
    const directive_slot *d = cmd->info;
    ipcg_server_conf *c = ap_get_module_config(cmd->server->module_config,
                                               &ipcguard_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dc;
    if (err) {
        return err;
    }
    err = parse_arg(cmd, d, arg, (char *)c + d->offset);
    if (err) {
        return apr_psprintf(cmd->pool, "%s '%s': %s",
                            cmd->directive->directive, arg, err);
    }
    if (d->kind == ARG_CLEANUP) {
        c->cleanup_set = 1;
    }
    return NULL;
}

/* Every flag: server-wide only, an int of ipcg_server_conf. */
static const char *set_flag(cmd_parms *cmd, void *dc, int flag)
{
    const apr_size_t *offset = cmd->info;
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dc;
    if (err == NULL) {
        char *c = ap_get_module_config(cmd->server->module_config,
                                       &ipcguard_module);
        *(int *)(void *)(c + *offset) = flag;
    }
    return err;
}

/* cmd->info is not const in httpd's command_rec: the slots are only read */
#define INFO(x) ((void *)(apr_uintptr_t)&(x))

const command_rec ipcgm_cmds[] = {
    AP_INIT_FLAG("IPCGuard", set_flag, INFO(flag_enabled), RSRC_CONF,
                 "On (default) or Off: Off makes the module do nothing"),
    AP_INIT_TAKE1("IPCGuardCleanup", set_value, INFO(slot_cleanup),
                  RSRC_CONF, "off, report, registered (default) or orphans"),
    AP_INIT_TAKE1("IPCGuardStateDir", set_value, INFO(slot_state_dir),
                  RSRC_CONF,
                  "the host-wide state directory (default "
                  IPCG_DEFAULT_STATE_DIR "; for a server not started as "
                  "root, <DefaultRuntimeDir>/" IPCG_USER_STATE_SUBDIR ")"),
    AP_INIT_TAKE1("IPCGuardScanInterval", set_value, INFO(slot_scan),
                  RSRC_CONF,
                  "seconds between the parent's scans, 1-86400 (default 10)"),
    AP_INIT_TAKE1("IPCGuardWarnThreshold", set_value, INFO(slot_warn),
                  RSRC_CONF,
                  "percentage of a limit that triggers a warning, 1-100 "
                  "(default 80)"),
    AP_INIT_TAKE1("IPCGuardMaxObjects", set_value, INFO(slot_max), RSRC_CONF,
                  "objects the status table holds, 16-1000000 (default 2048)"),
    AP_INIT_TAKE1("IPCGuardBeancounters", set_value, INFO(slot_bc),
                  RSRC_CONF,
                  "path of user_beancounters, or none (default "
                  IPCG_DEFAULT_BEANCOUNTERS ")"),
    AP_INIT_FLAG("IPCGuardShowForeign", set_flag, INFO(flag_foreign),
                 RSRC_CONF,
                 "On to list other users' objects on /ipc-status (default "
                 "Off)"),
    AP_INIT_TAKE1("IPCGuardForecastWindow", set_value, INFO(slot_window),
                  RSRC_CONF,
                  "how much usage history a growth rate rests on, 10s-30d "
                  "(default 6h)"),
    AP_INIT_TAKE1("IPCGuardForecastHorizon", set_value, INFO(slot_horizon),
                  RSRC_CONF,
                  "warn when a limit is forecast to be full within this "
                  "time, 60s-365d, or off (default 7d)"),
    {NULL}
};
