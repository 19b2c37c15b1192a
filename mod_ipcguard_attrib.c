/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements; and licensed under the Apache License,
 * Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 * http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_ipcguard: attribution: a snapshot between every two entries of the
 * sorted open_logs, post_config and pre_mpm hook arrays, so that each new
 * object is attributed to the module whose hook made it.
 *
 * This is the only code that depends on httpd's hook internals: the
 * ap_hook_get_<name>() arrays and their ap_LINK_<name>_t elements (pFunc,
 * szName, nOrder), as AP_IMPLEMENT_HOOK_* in apr_hooks.h defines them.
 * httpd sorts each array once per generation before it runs it; the
 * brackets go in after that sort (in check_config) and are put in again
 * for every generation.
 */

#include "mod_ipcguard_private.h"

/* The first configuration pass, which every httpd process makes, the ones
 * that only test, dump or signal included. */
int ipcgm_first_pass(void)
{
    return ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG;
}

int ipcgm_in_real_pass(void)
{
    return ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_NORMAL
           && ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG;
}

/* Whether pre_mpm runs in this generation after post_config. The Unix
 * MPMs run it at the start and after a restart that was not graceful;
 * after a graceful restart the scoreboard stays and pre_mpm is skipped.
 * Their shared retained data says which restart this generation follows
 * (was_graceful, set as the last generation's pconf was cleared). */
int ipcgm_pre_mpm_follows(void)
{
    const ap_unixd_mpm_retained_data *rd = ap_unixd_mpm_get_retained_data();

    return rd != NULL && !rd->was_graceful;
}

/* Where the brackets start from: what exists now is no module's of this
 * pass. Taken at the start of every configuration pass, and again after
 * anything of the module's own that makes or removes objects before the
 * first bracket (the startup cleanup). Costs a few system calls, plus a
 * listing of /dev/shm: it reads no table (see ipcg_mark_take). */
void ipcgm_bracket_baseline(void)
{
    if (ipcgm.g == NULL) {
        return;
    }
    ipcgm_mark_hold(&ipcgm.bracket.at);
    ipcgm.bracket.reconciled = 0;
}

void ipcgm_mark_hold(ipcgm_mark_holder_t *m)
{
    if (m->pool == NULL) {
        apr_pool_t **kept = &ipcgm.g->markpool[m == &ipcgm.since];

        if (*kept == NULL) {
            apr_pool_create(kept, ipcgm.g->pool);
        }
        else {
            /* the last generation's mark goes now, a configuration
             * read after its end: by then its old children, which
             * shared these pages, have as a rule exited */
            apr_pool_clear(*kept);
        }
        m->pool = *kept;
        memset(&m->mark, 0, sizeof(m->mark));
    }
    m->valid = ipcg_mark_take(m->pool, &ipcgm.paths, &m->mark)
               == APR_SUCCESS;
}

/* The end of a mark's generation: it is no longer valid, and its pool,
 * carried, is cleared when the next generation takes its first mark (at
 * a generation's end nothing of it is written). */
void ipcgm_mark_release(ipcgm_mark_holder_t *m)
{
    m->valid = 0;
    m->pool = NULL;
}

/* The end of a generation: its brackets and their names go. */
void ipcgm_brackets_clear(void)
{
    ipcgm_mark_release(&ipcgm.bracket.at);
    memset(ipcgm.bracket.names, 0, sizeof(ipcgm.bracket.names));
}

/* One bracket: what appeared since the last one, and can have been made
 * by this process, was made by the entry that ran in between. Another
 * program's objects made meanwhile have another creator or another pid
 * on them and are left alone. */
static void bracket(ipcg_phase_e phase)
{
    ipcg_snapshot_t added;
    apr_array_header_t *names = ipcgm.bracket.names[phase];
    const char *maker = "unknown";
    apr_pool_t *np;
    apr_status_t rv;
    apr_int64_t me = 0;
    int i, n = 0;

    if (ipcgm.g == NULL || !ipcgm.bracket.at.valid || names == NULL) {
        return;
    }
    if (phase != ipcgm.bracket.phase) {
        ipcgm.bracket.phase = phase;
        ipcgm.bracket.index = 0;
    }
    if (ipcgm.bracket.index > 0 && ipcgm.bracket.index - 1 < names->nelts) {
        maker = APR_ARRAY_IDX(names, ipcgm.bracket.index - 1, const char *);
        if (strcmp(maker, "core.c") == 0) {
            maker = "core";         /* the scoreboard, the core's mutexes */
        }
    }
    apr_pool_create(&np, ipcgm.g->pool);
    ipcg_snapshot_init(np, &added);
    rv = ipcg_scan_since(np, &ipcgm.paths, &ipcgm.bracket.at.mark, &added);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, ap_server_conf,
                     "ipcguard(102): what %s made in %s cannot all be told "
                     "apart", maker, ipcg_phase_name(phase));
    }
    /* who this process is, asked only when there is something to own
     * (the usual bracket finds nothing) */
    if (added.objs->nelts) {
        me = (apr_int64_t)getpid();
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
        /* the parent's start time, known: no /proc read for it later */
        o.owner_start = ipcgm.g->pid == me ? ipcgm.g->starttime : 0;
        ipcg_strlcpy(o.module, maker, sizeof(o.module));
        ipcgm_registry_add(&o);
        n++;
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, ap_server_conf,
                     "ipcguard(102): registered %s %s%s from %s in %s",
                     ipcg_kind_name(o.kind), o.id >= 0 ? "id " : "",
                     o.id >= 0 ? apr_psprintf(np, "%" APR_INT64_T_FMT, o.id)
                               : ap_escape_logitem(np, o.name),
                     maker, ipcg_phase_name(phase));
    }
    /* recorded at once: a kill -9 later in the startup must not leave
     * objects no state file names */
    if (n && ipcgm.g->pid == me) {
        /* what the last generation made and its teardown removed is not
         * recorded again: at the first bracket that registers anything,
         * the registry's objects are looked up one by one (the tables are
         * not read). Later entries only add; what one of them changes of
         * an earlier entry's object is recorded after the last one. */
        if (!ipcgm.bracket.reconciled) {
            ipcg_snapshot_t mine;
            ipcgm_scan_registry(np, &mine);
            ipcg_registry_reconcile(np, ipcgm.g->reg, &mine);
            ipcgm.bracket.reconciled = 1;
        }
        ipcgm_state_write(np, ap_server_conf);
    }
    apr_pool_destroy(np);
    ipcgm.bracket.index++;
}

/* The bracket in open_logs; the first pass's first one is where this
 * process becomes the server, and where a server that a restart has just
 * given the module cleans up (no start of it has). */
static int bracket_open_logs(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (ipcgm.g && !ipcgm.g->startup_done) {
        if (ipcgm_first_pass()) {
            ipcgm_become_server(pconf, ptemp, s);
        }
        else {
            ipcgm_become_server_at_restart(ptemp, s);
        }
    }
    bracket(IPCG_PHASE_OPEN_LOGS);
    return OK;
}

/* The bracket in post_config; after the last entry the generation's
 * objects exist. */
static int bracket_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *names = ipcgm.bracket.names[IPCG_PHASE_POST_CONFIG];

    (void)pconf; (void)plog; (void)ptemp;
    bracket(IPCG_PHASE_POST_CONFIG);
    if (names && ipcgm.bracket.index == names->nelts + 1 && ipcgm.g) {
        ipcgm_after_post_config(s);
    }
    return OK;
}

/* The bracket in pre_mpm; after the last entry (the scoreboard made)
 * the generation is recorded and watched; its first full scan waits for
 * the first child (ipcgm_state_t.refresh_due). */
static int bracket_pre_mpm(apr_pool_t *p, ap_scoreboard_e sb_type)
{
    apr_array_header_t *names = ipcgm.bracket.names[IPCG_PHASE_PRE_MPM];

    (void)p; (void)sb_type;
    bracket(IPCG_PHASE_PRE_MPM);
    if (names && ipcgm.bracket.index == names->nelts + 1 && ipcgm.g) {
        apr_pool_t *tmp;
        apr_pool_create(&tmp, ipcgm.g->pool);
        ipcgm_record_registry(tmp, ap_server_conf);
        apr_pool_destroy(tmp);
        ipcgm_watch_generation();
        ipcgm_first_scan_due();
    }
    return OK;
}

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
            ipcgm.bracket.names[phase] = nm;                                 \
        }                                                                    \
    } while (0)

void ipcgm_wrap_hooks(apr_pool_t *pconf, apr_pool_t *ptemp)
{
    WRAP_HOOK_ARRAY(open_logs, bracket_open_logs, IPCG_PHASE_OPEN_LOGS);
    WRAP_HOOK_ARRAY(post_config, bracket_post_config, IPCG_PHASE_POST_CONFIG);
    WRAP_HOOK_ARRAY(pre_mpm, bracket_pre_mpm, IPCG_PHASE_PRE_MPM);
}
