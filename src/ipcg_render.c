/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The machine formats: mod_status-style ?auto, JSON and Prometheus. */

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_reap.h"
#include "ipcguard/ipcg_report.h"
#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"

/* Distinct module label values in ?metrics; the rest are "other". */
#define METRICS_MAX_MODULES 64

/* the one writer of every format (ipcg_report.h) */
#define outs ipcg_out_puts
#define outf ipcg_out_printf

/* ---- ?auto ---- */

static void kv(ipcg_out_t *out, apr_pool_t *p, const char *prefix,
               const char *key, apr_uint64_t v)
{
    outf(out, p, "%s%s: %" APR_UINT64_T_FMT "\n", prefix, key, v);
}

static void kv_num(ipcg_out_t *out, apr_pool_t *p, const char *prefix,
                   const char *key, const ipcg_num_t *n)
{
    if (n->present) {
        kv(out, p, prefix, key, n->v);
    }
}

/* "shmpages" -> "Shmpages", keeping only letters and digits. */
static const char *camel(apr_pool_t *p, const char *s)
{
    char *o = apr_palloc(p, strlen(s) + 1);
    apr_size_t j = 0;

    for (; *s; s++) {
        if (apr_isalnum(*s)) {
            o[j] = (char)((j == 0) ? apr_toupper(*s) : *s);
            j++;
        }
    }
    o[j] = '\0';
    return o;
}

static apr_uint64_t class_total(const ipcg_report_t *r, ipcg_class_e c)
{
    apr_uint64_t n = 0;
    int k;

    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        n += r->count[k][c];
    }
    return n;
}

void ipcg_render_auto(apr_pool_t *p, const ipcg_view_t *v, const char *prefix,
                      ipcg_out_t *out)
{
    ipcg_render_auto_at(p, v, prefix, apr_time_sec(apr_time_now()), out);
}

static void auto_identity(apr_pool_t *p, const ipcg_report_t *r,
                          const char *prefix, ipcg_out_t *out, apr_int64_t now)
{
    static const char *const kind_keys[IPCG_KIND_COUNT] = {
        "SysvSemSets", "SysvShmSegments", "SysvMsgQueues", "PosixShmObjects",
        "PosixSemObjects"
    };
    int k;

    outf(out, p, "%sInstance: %s\n", prefix,
         r->instance[0] ? r->instance : "none");
    outf(out, p, "%sCleanupMode: %s\n", prefix, ipcg_cleanup_name(r->mode));
    outf(out, p, "%sPrivilege: %s\n", prefix, r->user_mode ? "user" : "root");
    kv(out, p, prefix, "RunUid", r->run_uid);
    kv(out, p, prefix, "ServerPid", (apr_uint64_t)r->pid);
    if (r->started > 0 && now >= r->started) {
        kv(out, p, prefix, "Uptime", (apr_uint64_t)(now - r->started));
    }
    kv(out, p, prefix, "Generation", r->generation);
    kv(out, p, prefix, "InstanceObjects", class_total(r, IPCG_CLASS_INSTANCE));
    kv(out, p, prefix, "ApplicationObjects",
       class_total(r, IPCG_CLASS_APPLICATION));
    kv(out, p, prefix, "ForeignObjects", class_total(r, IPCG_CLASS_FOREIGN));
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        kv(out, p, prefix, kind_keys[k],
           r->count[k][IPCG_CLASS_INSTANCE]
           + r->count[k][IPCG_CLASS_APPLICATION]);
    }
}

static void auto_limits(apr_pool_t *p, const ipcg_report_t *r,
                        const char *prefix, ipcg_out_t *out)
{
    const ipcg_limits_t *l = &r->limits;
    apr_uint32_t i;

    kv(out, p, prefix, "SemSetsUsed", r->usage.count[IPCG_SYSV_SEM]);
    kv_num(out, p, prefix, "SemSetsLimit", &l->semmni);
    kv(out, p, prefix, "SemaphoresUsed", r->usage.sem_total);
    kv_num(out, p, prefix, "SemaphoresLimit", &l->semmns);
    kv_num(out, p, prefix, "SemPerSetLimit", &l->semmsl);
    kv_num(out, p, prefix, "SemOpsLimit", &l->semopm);
    kv(out, p, prefix, "ShmSegmentsUsed", r->usage.count[IPCG_SYSV_SHM]);
    kv_num(out, p, prefix, "ShmSegmentsLimit", &l->shmmni);
    kv(out, p, prefix, "ShmPagesUsed", r->usage.shm_pages);
    kv_num(out, p, prefix, "ShmPagesLimit", &l->shmall);
    kv_num(out, p, prefix, "ShmMaxBytes", &l->shmmax);
    kv(out, p, prefix, "MsgQueuesUsed", r->usage.count[IPCG_SYSV_MSG]);
    kv_num(out, p, prefix, "MsgQueuesLimit", &l->msgmni);
    kv_num(out, p, prefix, "DevShmBytesUsed", &l->devshm_used);
    kv_num(out, p, prefix, "DevShmBytesSize", &l->devshm_size);
    kv_num(out, p, prefix, "SystemShmemBytes", &l->meminfo_shmem);
    for (i = 0; r->bc_present && i < r->bc_rows; i++) {
        const ipcg_bc_row_t *b = &r->bc[i];
        const char *res = apr_pstrcat(p, "Beancounter", camel(p, b->resource),
                                      NULL);
        kv(out, p, prefix, apr_pstrcat(p, res, "Held", NULL), b->held);
        kv(out, p, prefix, apr_pstrcat(p, res, "Maxheld", NULL), b->maxheld);
        if (!b->barrier_unlimited) {
            kv(out, p, prefix, apr_pstrcat(p, res, "Barrier", NULL),
               b->barrier);
        }
        if (!b->limit_unlimited) {
            kv(out, p, prefix, apr_pstrcat(p, res, "Limit", NULL), b->limit);
        }
        kv(out, p, prefix, apr_pstrcat(p, res, "Failcnt", NULL), b->failcnt);
    }
}

/* An apr_uint64_t of the report by its offset: the tables below name
 * the report's counters once for ?auto and once for ?metrics. */
static apr_uint64_t rep_u64(const ipcg_report_t *r, apr_size_t offset)
{
    return *(const apr_uint64_t *)((const char *)r + offset);
}

static const struct {
    const char *key;
    apr_size_t offset;
} auto_counter_fields[] = {
    { "OrphanCandidates", offsetof(ipcg_report_t, orphans) },
    { "OrphansProvable", offsetof(ipcg_report_t, orphans_provable) },
    { "Processes", offsetof(ipcg_report_t, proc_count) },
    { "ProcessesRssShmemBytes", offsetof(ipcg_report_t, proc_rss_shmem) },
    { "ProcessesSharedAnonBytes",
      offsetof(ipcg_report_t, proc_shared_anon) },
    { "ProcessesSharedSysvBytes",
      offsetof(ipcg_report_t, proc_shared_sysv) },
    { "ProcessesSharedPosixBytes",
      offsetof(ipcg_report_t, proc_shared_posix) },
    { "ScansTotal", offsetof(ipcg_report_t, scans_total) },
    { "WarningsTotal", offsetof(ipcg_report_t, warnings_total) },
    { "ChildReapedTotal", offsetof(ipcg_report_t, child_reaped_total) },
    { "RemovedTotal", offsetof(ipcg_report_t, removed_total) },
    { "RegistryDropped", offsetof(ipcg_report_t, objs_dropped) },
    { "OutsideRemovalsTotal",
      offsetof(ipcg_report_t, outside_removals_total) },
};

static void auto_counters(apr_pool_t *p, const ipcg_report_t *r,
                          const char *prefix, ipcg_out_t *out)
{
    apr_size_t i;

    kv(out, p, prefix, "CleanupRan", r->cleanup.ran ? 1 : 0);
    kv(out, p, prefix, "CleanupRemoved", r->cleanup.removed_count);
    kv(out, p, prefix, "CleanupKept", r->cleanup.kept_count);
    kv(out, p, prefix, "CleanupDurationUs",
       (apr_uint64_t)(r->cleanup.duration_us > 0 ? r->cleanup.duration_us
                                                 : 0));
    kv(out, p, prefix, "CleanupPreviousPid",
       (apr_uint64_t)(r->cleanup.previous_pid > 0 ? r->cleanup.previous_pid
                                                  : 0));
    for (i = 0; i < sizeof(auto_counter_fields)
                    / sizeof(auto_counter_fields[0]); i++) {
        kv(out, p, prefix, auto_counter_fields[i].key,
           rep_u64(r, auto_counter_fields[i].offset));
    }
}

static void auto_forecasts(apr_pool_t *p, const ipcg_report_t *r,
                           const char *prefix, ipcg_out_t *out)
{
    apr_uint32_t i;

    for (i = 0; i < r->forecast_rows; i++) {
        const ipcg_forecast_t *f = &r->forecast[i];
        const char *key;
        if (strncmp(f->name, "bc:", 3) == 0) {
            continue;       /* beancounters: ?json and ?metrics */
        }
        key = apr_pstrcat(p, "Forecast", camel(p, f->name), NULL);
        kv(out, p, prefix, apr_pstrcat(p, key, "Uncleaned", NULL),
           f->uncleaned);
        if (f->seconds_to_full >= 0) {
            kv(out, p, prefix, apr_pstrcat(p, key, "SecondsToFull", NULL),
               (apr_uint64_t)f->seconds_to_full);
        }
    }
}

void ipcg_render_auto_at(apr_pool_t *p, const ipcg_view_t *v,
                         const char *prefix, apr_int64_t now, ipcg_out_t *out)
{
    auto_identity(p, &v->rep, prefix, out, now);
    auto_limits(p, &v->rep, prefix, out);
    auto_counters(p, &v->rep, prefix, out);
    auto_forecasts(p, &v->rep, prefix, out);
}

/* ---- JSON ---- */

static const char *const json_special[128] = {
    ['"'] = "\\\"", ['\\'] = "\\\\",
};

/* JSON: '"' and '\\' escaped, control bytes and bytes that are not UTF-8
 * as \\u00XX (the byte's value as a code point). */
static const ipcg_escaping_t json_escaping = { json_special, "\\u%04x", 6 };

const char *ipcg_json_str(apr_pool_t *p, const char *s)
{
    return apr_pstrcat(p, "\"", ipcg_escape(p, s, &json_escaping), "\"",
                       NULL);
}

static const char *jnum(apr_pool_t *p, const ipcg_num_t *n)
{
    return n->present ? apr_psprintf(p, "%" APR_UINT64_T_FMT, n->v) : "null";
}

static void json_obj_fields(apr_pool_t *p, ipcg_out_t *out,
                            const ipcg_obj_t *o)
{
    outf(out, p, "\"kind\":\"%s\",", ipcg_kind_name(o->kind));
    if (o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM) {
        outf(out, p, "\"name\":%s,\"ino\":%" APR_UINT64_T_FMT ",",
             ipcg_json_str(p, o->name), o->ino);
    }
    else {
        outf(out, p, "\"id\":%" APR_INT64_T_FMT ",", o->id);
    }
    outf(out, p, "\"key\":%d,\"key_hex\":\"0x%08x\",\"owner_uid\":%u,"
         "\"owner_gid\":%u,\"creator_uid\":%u,\"creator_gid\":%u,"
         "\"mode\":\"%04o\",", (int)o->key, (unsigned)o->key,
         (unsigned)o->uid, (unsigned)o->gid, (unsigned)o->cuid,
         (unsigned)o->cgid, (unsigned)o->mode);
    switch (o->kind) {
    case IPCG_SYSV_SEM:
        outf(out, p, "\"nsems\":%" APR_UINT64_T_FMT ",", o->size);
        break;
    case IPCG_SYSV_MSG:
        outf(out, p, "\"qbytes\":%" APR_UINT64_T_FMT ",\"messages\":%"
             APR_UINT64_T_FMT ",", o->size, o->nattch);
        break;
    default:
        outf(out, p, "\"bytes\":%" APR_UINT64_T_FMT ",", o->size);
        break;
    }
    outf(out, p, "\"nattch\":%" APR_UINT64_T_FMT ",\"cpid\":%" APR_INT64_T_FMT
         ",\"lpid\":%" APR_INT64_T_FMT ",\"ctime\":%" APR_INT64_T_FMT
         ",\"phase\":\"%s\",\"module\":%s,\"class\":\"%s\",\"owner_pid\":%"
         APR_INT64_T_FMT,
         o->kind == IPCG_SYSV_MSG ? 0 : o->nattch, o->cpid, o->lpid,
         o->ctime, ipcg_phase_name(o->phase), ipcg_json_str(p, o->module),
         ipcg_class_name(o->cls), o->owner_pid);
    if (o->cls == IPCG_CLASS_APPLICATION && o->adopted > 0) {
        /* when this server first saw its processes use it */
        outf(out, p, ",\"adopted\":%" APR_INT64_T_FMT, o->adopted);
    }
}

static void json_decisions(apr_pool_t *p, ipcg_out_t *out,
                           const ipcg_view_t *v, int what)
{
    int i, first = 1;

    outs(out, "[");
    for (i = 0; i < v->decisions->nelts; i++) {
        const ipcg_decision_t *d = &APR_ARRAY_IDX(v->decisions, i,
                                                  ipcg_decision_t);
        if ((int)d->what != what) {
            continue;
        }
        outs(out, first ? "{" : ",{");
        first = 0;
        json_obj_fields(p, out, &d->obj);
        if (what == IPCG_DEC_ORPHAN) {
            outf(out, p, ",\"provable\":%s", d->provable ? "true" : "false");
        }
        outf(out, p, ",\"reason_code\":\"%s\",\"reason\":%s}",
             ipcg_reason_name((ipcg_reason_e)d->code),
             ipcg_json_str(p, d->reason));
    }
    outs(out, "]");
}

static const char *outcome_name(ipcg_outcome_e o)
{
    switch (o) {
    case IPCG_OUTCOME_NO_STATE: return "no_state";
    case IPCG_OUTCOME_DONE: return "done";
    case IPCG_OUTCOME_REFUSED: return "refused";
    case IPCG_OUTCOME_ALIVE: return "alive";
    case IPCG_OUTCOME_SURVIVORS: return "survivors";
    case IPCG_OUTCOME_UNKNOWN: return "unknown";
    default: return "off";
    }
}

static const char *map_kind_name(ipcg_map_kind_e k)
{
    return k == IPCG_MAP_SYSV ? "sysv" : k == IPCG_MAP_POSIX ? "posix"
                                                             : "shared_anon";
}

/* "verdict" (what needs attention, and what to do) and "diagnoses" (the
 * processes that each hold their own copy of a shared mapping). */
static void json_verdict(apr_pool_t *p, const ipcg_view_t *v,
                         ipcg_out_t *out)
{
    apr_array_header_t *f = ipcg_verdict(p, v);
    apr_array_header_t *d = ipcg_diagnose_dup(p, v);
    int i;

    outf(out, p, "\"verdict\":{\"status\":\"%s\",\"level\":\"%s\","
         "\"findings\":[", ipcg_verdict_level(f) >= IPCG_LEVEL_WARN
                              ? "attention" : "healthy",
         ipcg_level_name(ipcg_verdict_level(f)));
    for (i = 0; i < f->nelts; i++) {
        const ipcg_finding_t *x = &APR_ARRAY_IDX(f, i, ipcg_finding_t);
        outf(out, p, "%s{\"level\":\"%s\",\"topic\":\"%s\",\"what\":%s,"
             "\"todo\":%s}", i ? ",\n" : "\n", ipcg_level_name(x->level),
             x->topic, ipcg_json_str(p, x->what), ipcg_json_str(p, x->todo));
    }
    outs(out, "]},\n\"diagnoses\":[");
    for (i = 0; i < d->nelts; i++) {
        const ipcg_dup_t *x = &APR_ARRAY_IDX(d, i, ipcg_dup_t);
        outf(out, p, "%s{\"type\":\"per_process_mapping\",\"program\":%s,"
             "\"processes\":%u,\"mappings\":%u,\"mapping_bytes\":%"
             APR_UINT64_T_FMT ",\"total_bytes\":%" APR_UINT64_T_FMT
             ",\"mapping_kind\":\"%s\",\"limit\":\"%s\","
             "\"limit_used_bytes\":%" APR_UINT64_T_FMT ",\"limit_bytes\":%s,"
             "\"text\":%s}", i ? ",\n" : "\n", ipcg_json_str(p, x->program),
             x->processes, x->mappings, x->each, x->total,
             map_kind_name(x->kind), x->limit, x->limit_used,
             x->limit_size ? apr_psprintf(p, "%" APR_UINT64_T_FMT,
                                          x->limit_size) : "null",
             ipcg_json_str(p, x->text));
    }
    outs(out, "]");
}

static void json_instance(apr_pool_t *p, const ipcg_view_t *v,
                          ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;

    outf(out, p, "{\"instance\":{\"id\":\"%s\",\"pid\":%" APR_INT64_T_FMT
         ",\"started\":%" APR_INT64_T_FMT ",\"generation\":%" APR_UINT64_T_FMT
         ",\"run_uid\":%u,\"run_gid\":%u,\"privilege\":\"%s\","
         "\"mode\":\"%s\",\"updated\":%"
         APR_INT64_T_FMT ",\"scan_interval\":%d,\"warn_threshold\":%d,"
         "\"show_foreign\":%s},\n",
         r->instance, r->pid, r->started, r->generation,
         (unsigned)r->run_uid, (unsigned)r->run_gid,
         r->user_mode ? "user" : "root",
         ipcg_cleanup_name(r->mode), r->updated, r->scan_seconds,
         r->warn_percent, r->show_foreign ? "true" : "false");
}

static void json_limits(apr_pool_t *p, const ipcg_view_t *v,
                        ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;
    const ipcg_limits_t *l = &r->limits;
    apr_uint32_t b;

    outf(out, p, "\"limits\":{\"semmni\":%s,\"semmns\":%s,\"semmsl\":%s,"
         "\"semopm\":%s,\"shmmni\":%s,\"shmall\":%s,\"shmmax\":%s,"
         "\"msgmni\":%s,\"msgmax\":%s,\"msgmnb\":%s,\"page_size\":%s,"
         "\"devshm_size\":%s,\"devshm_used\":%s,\"meminfo_shmem\":%s,"
         "\"beancounters\":",
         jnum(p, &l->semmni), jnum(p, &l->semmns), jnum(p, &l->semmsl),
         jnum(p, &l->semopm), jnum(p, &l->shmmni), jnum(p, &l->shmall),
         jnum(p, &l->shmmax), jnum(p, &l->msgmni), jnum(p, &l->msgmax),
         jnum(p, &l->msgmnb), jnum(p, &l->page_size),
         jnum(p, &l->devshm_size), jnum(p, &l->devshm_used),
         jnum(p, &l->meminfo_shmem));
    if (!r->bc_present) {
        outs(out, "null");
    }
    else {
        outf(out, p, "{\"version\":%s,\"rows\":[",
             ipcg_json_str(p, r->bc_version));
        for (b = 0; b < r->bc_rows; b++) {
            const ipcg_bc_row_t *row = &r->bc[b];
            outf(out, p, "%s{\"resource\":%s,\"held\":%" APR_UINT64_T_FMT
                 ",\"maxheld\":%" APR_UINT64_T_FMT ",\"barrier\":%"
                 APR_UINT64_T_FMT ",\"limit\":%" APR_UINT64_T_FMT
                 ",\"failcnt\":%" APR_UINT64_T_FMT ",\"barrier_unlimited\":%s"
                 ",\"limit_unlimited\":%s}", b ? "," : "",
                 ipcg_json_str(p, row->resource), row->held, row->maxheld,
                 row->barrier, row->limit, row->failcnt,
                 row->barrier_unlimited ? "true" : "false",
                 row->limit_unlimited ? "true" : "false");
        }
        outs(out, "]}");
    }
    outs(out, "},\n");
}

static void json_usage(apr_pool_t *p, const ipcg_view_t *v,
                       ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;
    int k, c;

    outf(out, p, "\"usage\":{\"sem_sets\":%" APR_UINT64_T_FMT ",\"semaphores\":%"
         APR_UINT64_T_FMT ",\"shm_segments\":%" APR_UINT64_T_FMT
         ",\"shm_bytes\":%" APR_UINT64_T_FMT ",\"shm_pages\":%"
         APR_UINT64_T_FMT ",\"msg_queues\":%" APR_UINT64_T_FMT
         ",\"msg_bytes\":%" APR_UINT64_T_FMT ",\"posix_objects\":%"
         APR_UINT64_T_FMT ",\"posix_bytes\":%" APR_UINT64_T_FMT "},\n",
         r->usage.count[IPCG_SYSV_SEM], r->usage.sem_total,
         r->usage.count[IPCG_SYSV_SHM], r->usage.shm_bytes,
         r->usage.shm_pages, r->usage.count[IPCG_SYSV_MSG],
         r->usage.msg_bytes,
         r->usage.count[IPCG_POSIX_SHM] + r->usage.count[IPCG_POSIX_SEM],
         r->usage.posix_bytes);
    outs(out, "\"totals\":{");
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        outf(out, p, "%s\"%s\":{", k ? "," : "", ipcg_kind_name(k));
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            outf(out, p, "%s\"%s\":%" APR_UINT64_T_FMT, c ? "," : "",
                 ipcg_class_name(c), r->count[k][c]);
        }
        outs(out, "}");
    }
    outf(out, p, ",\"listed\":%d,\"dropped\":%" APR_UINT64_T_FMT "},\n",
         v->objs->nelts, r->objs_dropped);
}

static void json_objects(apr_pool_t *p, const apr_array_header_t *objs,
                         ipcg_out_t *out)
{
    int i;

    outs(out, "\"objects\":[");
    for (i = 0; i < objs->nelts; i++) {
        outs(out, i ? ",\n{" : "\n{");
        json_obj_fields(p, out, &APR_ARRAY_IDX(objs, i, ipcg_obj_t));
        outs(out, "}");
    }
    outs(out, "],\n");
}

static void json_cleanup(apr_pool_t *p, const ipcg_view_t *v,
                         ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;

    outf(out, p, "\"cleanup\":{\"ran\":%s,\"outcome\":\"%s\",\"mode\":\"%s\","
         "\"at\":%" APR_INT64_T_FMT ",\"removed_count\":%u,\"kept_count\":%u,"
         "\"duration_us\":%" APR_INT64_T_FMT ",\"previous_pid\":%"
         APR_INT64_T_FMT ",\"previous_start\":%" APR_INT64_T_FMT
         ",\"previous_written\":%" APR_INT64_T_FMT ",\"summary\":%s,"
         "\"removed\":",
         r->cleanup.ran ? "true" : "false", outcome_name(r->cleanup.outcome),
         ipcg_cleanup_name(r->cleanup.mode), r->cleanup.at,
         r->cleanup.removed_count, r->cleanup.kept_count,
         r->cleanup.duration_us, r->cleanup.previous_pid,
         r->cleanup.previous_start, r->cleanup.previous_written,
         ipcg_json_str(p, r->cleanup.summary));
    json_decisions(p, out, v, IPCG_DEC_REMOVED);
    outs(out, ",\"kept\":");
    json_decisions(p, out, v, IPCG_DEC_KEPT);
    outs(out, "},\n\"orphans\":");
    json_decisions(p, out, v, IPCG_DEC_ORPHAN);
}

static void json_processes(apr_pool_t *p, const ipcg_view_t *v,
                           ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;
    int i;

    outs(out, ",\n\"processes\":[");
    for (i = 0; i < v->procs->nelts; i++) {
        const ipcg_proc_t *pr = &APR_ARRAY_IDX(v->procs, i, ipcg_proc_t);
        outf(out, p, "%s{\"pid\":%" APR_INT64_T_FMT ",\"ppid\":%"
             APR_INT64_T_FMT ",\"command\":%s,\"rss_shmem_bytes\":%s,"
             "\"shared_mapped_bytes\":%" APR_UINT64_T_FMT
             ",\"shared_anon_bytes\":%" APR_UINT64_T_FMT
             ",\"shared_sysv_bytes\":%" APR_UINT64_T_FMT
             ",\"shared_posix_bytes\":%" APR_UINT64_T_FMT "}",
             i ? ",\n" : "\n", pr->pid, pr->ppid,
             ipcg_json_str(p, pr->comm), jnum(p, &pr->rss_shmem),
             pr->shared_anon + pr->shared_sysv, pr->shared_anon,
             pr->shared_sysv, pr->shared_posix);
    }
    outf(out, p, "],\n\"counters\":{\"scans_total\":%" APR_UINT64_T_FMT
         ",\"warnings_total\":%" APR_UINT64_T_FMT ",\"child_reaped_total\":%"
         APR_UINT64_T_FMT ",\"removed_total\":%" APR_UINT64_T_FMT
         ",\"orphan_candidates\":%" APR_UINT64_T_FMT ",\"orphans_provable\":%"
         APR_UINT64_T_FMT ",\"processes_dropped\":%" APR_UINT64_T_FMT
         ",\"outside_removals_total\":%" APR_UINT64_T_FMT "}",
         r->scans_total, r->warnings_total, r->child_reaped_total,
         r->removed_total, r->orphans, r->orphans_provable, r->procs_dropped,
         r->outside_removals_total);
}

static void json_trends(apr_pool_t *p, const ipcg_view_t *v,
                        ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;
    apr_uint32_t b;

    outf(out, p, ",\n\"trends\":{\"window_seconds\":%" APR_INT64_T_FMT
         ",\"horizon_seconds\":%" APR_INT64_T_FMT ",\"forecasts\":[",
         r->forecast_window, r->forecast_horizon);
    for (b = 0; b < r->forecast_rows; b++) {
        const ipcg_forecast_t *f = &r->forecast[b];
        outf(out, p, "%s{\"resource\":%s,\"label\":%s,\"used\":%"
             APR_UINT64_T_FMT ",\"limit\":%" APR_UINT64_T_FMT
             ",\"uncleaned\":%" APR_UINT64_T_FMT ",\"rate_per_day\":%.3f,"
             "\"seconds_to_full\":%s,\"samples\":%u,\"span_seconds\":%"
             APR_INT64_T_FMT ",\"text\":%s}", b ? ",\n" : "\n",
             ipcg_json_str(p, f->name),
             ipcg_json_str(p, ipcg_series_label(p, f->name)), f->used,
             f->limit, f->uncleaned, f->rate * 86400.0,
             f->seconds_to_full >= 0
                 ? apr_psprintf(p, "%" APR_INT64_T_FMT, f->seconds_to_full)
                 : "null",
             f->points, f->span,
             ipcg_json_str(p, ipcg_forecast_text(p, f)));
    }
    outs(out, "],\n\"objects\":[");
    for (b = 0; b < IPCG_CLASS_TRENDS; b++) {
        const ipcg_class_trend_t *ct = &r->class_trend[b];
        outf(out, p, "%s{\"kind\":\"%s\",\"class\":\"%s\",\"count\":%"
             APR_UINT64_T_FMT ",\"rate_per_day\":%.3f,\"samples\":%u}",
             b ? ",\n" : "\n", ipcg_kind_name(ct->kind),
             ipcg_class_name(ct->cls), ct->count, ct->rate * 86400.0,
             ct->points);
    }
    outs(out, "]},\n\"events\":[");
    for (b = 0; b < r->event_rows; b++) {
        const ipcg_event_t *e = &r->events[b];
        outf(out, p, "%s{\"type\":\"outside_removal\",\"found\":%"
             APR_INT64_T_FMT ",\"last_seen\":%" APR_INT64_T_FMT
             ",\"server_pid\":%" APR_INT64_T_FMT ",\"kind\":\"%s\",\"id\":%"
             APR_INT64_T_FMT ",\"key\":%d,\"name\":%s,\"module\":%s,"
             "\"phase\":\"%s\"}", b ? ",\n" : "\n", e->found, e->last_seen,
             e->server_pid, ipcg_kind_name(e->kind), e->id, (int)e->key,
             ipcg_json_str(p, e->name), ipcg_json_str(p, e->module),
             ipcg_phase_name(e->phase));
    }
}

void ipcg_render_json(apr_pool_t *p, const ipcg_view_t *v, ipcg_out_t *out)
{
    json_instance(p, v, out);
    json_limits(p, v, out);
    json_usage(p, v, out);
    json_objects(p, v->objs, out);
    json_cleanup(p, v, out);
    json_processes(p, v, out);
    json_trends(p, v, out);
    outs(out, "],\n");
    json_verdict(p, v, out);
    outs(out, "}\n");
}

/* ---- Prometheus ---- */

static const char *const label_special[128] = {
    ['\\'] = "\\\\", ['"'] = "\\\"", ['\n'] = "\\n",
};

/* A label value: \\, \" and \n escaped; other control bytes and bytes
 * that are not UTF-8 as '?'. */
static const ipcg_escaping_t label_escaping = { label_special, "?", 2 };

static const char *label(apr_pool_t *p, const char *s)
{
    return ipcg_escape(p, s, &label_escaping);
}

static void family(ipcg_out_t *out, apr_pool_t *p, const char *name,
                   const char *type, const char *help)
{
    outf(out, p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A rate as a sample's value. APR's %g leaves out the zero before the
 * point (".5"); Prometheus reads that, but people and other parsers
 * expect "0.5", so it is put back. */
static const char *metric_double(apr_pool_t *p, double v)
{
    const char *s = apr_psprintf(p, "%.9g", v);

    if (s[0] == '.') {
        return apr_pstrcat(p, "0", s, NULL);
    }
    if (s[0] == '-' && s[1] == '.') {
        return apr_pstrcat(p, "-0", s + 1, NULL);
    }
    return s;
}

static void sample_num(ipcg_out_t *out, apr_pool_t *p, const char *name,
                       const char *labels, const ipcg_num_t *n)
{
    if (n->present) {
        outf(out, p, "%s{%s} %" APR_UINT64_T_FMT "\n", name, labels, n->v);
    }
}

/* A family whose samples are numbers the report holds: the limits and
 * their use by resource, and the counters with no label. */
typedef struct {
    const char *labels;         /* NULL: a sample without labels */
    apr_size_t offset;          /* of an apr_uint64_t in ipcg_report_t */
} metric_field;

typedef struct {
    const char *name, *type, *help;
    metric_field fields[4];     /* up to the first with offset 0 */
} metric_family;

#define REP(f) offsetof(ipcg_report_t, f)

static const metric_family process_families[] = {
    { "ipcguard_processes", "gauge", "Processes of this server's tree",
      { { NULL, REP(proc_count) } } },
    { "ipcguard_process_shared_memory_bytes", "gauge",
      "Shared memory of this server's processes: resident (RssShmem) "
      "and mapped by type",
      { { "type=\"rss\"", REP(proc_rss_shmem) },
        { "type=\"anon\"", REP(proc_shared_anon) },
        { "type=\"sysv\"", REP(proc_shared_sysv) },
        { "type=\"posix\"", REP(proc_shared_posix) } } },
    { "ipcguard_scans_total", "counter",
      "Scans of the IPC tables by the parent", { { NULL, REP(scans_total) } } },
    { "ipcguard_warnings_total", "counter", "Early warnings logged",
      { { NULL, REP(warnings_total) } } },
    { "ipcguard_child_reaped_objects_total", "counter",
      "Objects of exited children removed",
      { { NULL, REP(child_reaped_total) } } },
    { "ipcguard_removed_objects_total", "counter",
      "Objects removed by the module since the parent started",
      { { NULL, REP(removed_total) } } },
    { "ipcguard_registry_dropped_objects", "gauge",
      "Objects that did not fit the status table",
      { { NULL, REP(objs_dropped) } } },
    { "ipcguard_outside_removals_total", "counter",
      "Objects of this server removed by something outside httpd "
      "while it ran", { { NULL, REP(outside_removals_total) } } },
};

/* The kernel limits by resource, as offsets of ipcg_num_t in ipcg_limits_t. */
typedef struct {
    const char *resource;
    apr_size_t offset;
} limit_field;

#define LIM(f) offsetof(ipcg_limits_t, f)

static const limit_field limit_fields[] = {
    { "semmni", LIM(semmni) }, { "semmns", LIM(semmns) },
    { "semmsl", LIM(semmsl) }, { "semopm", LIM(semopm) },
    { "shmmni", LIM(shmmni) }, { "shmall_pages", LIM(shmall) },
    { "shmmax_bytes", LIM(shmmax) }, { "msgmni", LIM(msgmni) },
    { "devshm_bytes", LIM(devshm_size) },
};

static void sample_u64(ipcg_out_t *out, apr_pool_t *p, const char *name,
                       const char *labels, apr_uint64_t v)
{
    if (labels) {
        outf(out, p, "%s{%s} %" APR_UINT64_T_FMT "\n", name, labels, v);
    }
    else {
        outf(out, p, "%s %" APR_UINT64_T_FMT "\n", name, v);
    }
}

static void metric_families(ipcg_out_t *out, apr_pool_t *p,
                            const ipcg_report_t *r,
                            const metric_family *fam, apr_size_t n)
{
    apr_size_t i, j;

    for (i = 0; i < n; i++) {
        family(out, p, fam[i].name, fam[i].type, fam[i].help);
        for (j = 0; j < 4 && fam[i].fields[j].offset; j++) {
            const metric_field *f = &fam[i].fields[j];
            sample_u64(out, p, fam[i].name, f->labels,
                       rep_u64(r, f->offset));
        }
    }
}

typedef struct {
    const char *module;
    apr_uint64_t count[IPCG_KIND_COUNT];
} mod_count;

static int cmp_mod(const void *a, const void *b)
{
    return strcmp(((const mod_count *)a)->module,
                  ((const mod_count *)b)->module);
}

static void metrics_objects(ipcg_out_t *out, apr_pool_t *p,
                            const ipcg_report_t *r)
{
    int k, c;

    family(out, p, "ipcguard_objects", "gauge",
           "IPC objects on the system by kind and class");
    for (k = 0; k < IPCG_KIND_COUNT; k++) {
        for (c = 0; c < IPCG_CLASS_COUNT; c++) {
            outf(out, p, "ipcguard_objects{kind=\"%s\",class=\"%s\"} %"
                 APR_UINT64_T_FMT "\n", ipcg_kind_name(k),
                 ipcg_class_name(c), r->count[k][c]);
        }
    }
}

/* This server's objects counted per module, sorted by name: at most
 * METRICS_MAX_MODULES names, the rest counted last as "other". */
static apr_array_header_t *count_by_module(apr_pool_t *p,
                                           const ipcg_view_t *v)
{
    apr_hash_t *mods = apr_hash_make(p);
    apr_hash_index_t *hi;
    apr_array_header_t *list;
    mod_count other;
    int i, distinct = 0;

    memset(&other, 0, sizeof(other));
    other.module = "other";
    for (i = 0; i < v->objs->nelts; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(v->objs, i, ipcg_obj_t);
        mod_count *m;
        if (o->cls == IPCG_CLASS_FOREIGN) {
            continue;
        }
        m = apr_hash_get(mods, o->module, APR_HASH_KEY_STRING);
        if (m == NULL) {
            if (distinct >= METRICS_MAX_MODULES) {
                other.count[o->kind]++;
                continue;
            }
            m = apr_pcalloc(p, sizeof(*m));
            m->module = o->module;
            apr_hash_set(mods, o->module, APR_HASH_KEY_STRING, m);
            distinct++;
        }
        m->count[o->kind]++;
    }
    list = apr_array_make(p, distinct + 1, sizeof(mod_count));
    for (hi = apr_hash_first(p, mods); hi; hi = apr_hash_next(hi)) {
        void *val;
        apr_hash_this(hi, NULL, NULL, &val);
        *(mod_count *)apr_array_push(list) = *(mod_count *)val;
    }
    qsort(list->elts, (size_t)list->nelts, sizeof(mod_count), cmp_mod);
    *(mod_count *)apr_array_push(list) = other;
    return list;
}

static void metrics_modules(ipcg_out_t *out, apr_pool_t *p,
                            const ipcg_view_t *v)
{
    apr_array_header_t *list = count_by_module(p, v);
    int i, k;

    family(out, p, "ipcguard_module_objects", "gauge",
           "This server's objects by the module that made them (at most 64 "
           "module names; the rest are module=\"other\")");
    for (i = 0; i < list->nelts; i++) {
        const mod_count *m = &APR_ARRAY_IDX(list, i, mod_count);
        for (k = 0; k < IPCG_KIND_COUNT; k++) {
            if (m->count[k] == 0) {
                continue;
            }
            outf(out, p, "ipcguard_module_objects{module=\"%s\",kind=\"%s\"} %"
                 APR_UINT64_T_FMT "\n", label(p, m->module),
                 ipcg_kind_name(k), m->count[k]);
        }
    }
}

static void metrics_limits(ipcg_out_t *out, apr_pool_t *p,
                           const ipcg_report_t *r)
{
    const ipcg_limits_t *l = &r->limits;
    const struct {
        const char *labels;
        apr_uint64_t v;
    } used[] = {
        { "resource=\"semmni\"", r->usage.count[IPCG_SYSV_SEM] },
        { "resource=\"semmns\"", r->usage.sem_total },
        { "resource=\"shmmni\"", r->usage.count[IPCG_SYSV_SHM] },
        { "resource=\"shmall_pages\"", r->usage.shm_pages },
        { "resource=\"msgmni\"", r->usage.count[IPCG_SYSV_MSG] },
    };
    apr_size_t i;

    family(out, p, "ipcguard_limit", "gauge",
           "Kernel IPC limits (count, pages or bytes as the resource says)");
    for (i = 0; i < sizeof(limit_fields) / sizeof(limit_fields[0]); i++) {
        sample_num(out, p, "ipcguard_limit",
                   apr_psprintf(p, "resource=\"%s\"", limit_fields[i].resource),
                   (const ipcg_num_t *)((const char *)l
                                        + limit_fields[i].offset));
    }
    family(out, p, "ipcguard_used", "gauge",
           "System-wide usage of each limit, in the limit's unit");
    for (i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        sample_u64(out, p, "ipcguard_used", used[i].labels, used[i].v);
    }
    sample_num(out, p, "ipcguard_used", "resource=\"devshm_bytes\"",
               &l->devshm_used);
    family(out, p, "ipcguard_system_shmem_bytes", "gauge",
           "Shmem in /proc/meminfo");
    if (l->meminfo_shmem.present) {
        sample_u64(out, p, "ipcguard_system_shmem_bytes", NULL,
                   l->meminfo_shmem.v);
    }
}

static void bc_field(ipcg_out_t *out, apr_pool_t *p, const char *res,
                     const char *field, apr_uint64_t v)
{
    outf(out, p, "ipcguard_beancounter{resource=\"%s\",field=\"%s\"} %"
         APR_UINT64_T_FMT "\n", res, field, v);
}

static void metrics_beancounters(ipcg_out_t *out, apr_pool_t *p,
                                 const ipcg_report_t *r)
{
    apr_uint32_t b;

    if (!r->bc_present || !r->bc_rows) {
        return;
    }
    family(out, p, "ipcguard_beancounter", "gauge",
           "user_beancounters rows (held, maxheld, barrier, limit; in "
           "the resource's unit; unlimited values omitted)");
    for (b = 0; b < r->bc_rows; b++) {
        const ipcg_bc_row_t *row = &r->bc[b];
        const char *res = label(p, row->resource);
        bc_field(out, p, res, "held", row->held);
        bc_field(out, p, res, "maxheld", row->maxheld);
        if (!row->barrier_unlimited) {
            bc_field(out, p, res, "barrier", row->barrier);
        }
        if (!row->limit_unlimited) {
            bc_field(out, p, res, "limit", row->limit);
        }
    }
    family(out, p, "ipcguard_beancounter_failures_total", "counter",
           "user_beancounters failcnt: allocations refused");
    for (b = 0; b < r->bc_rows; b++) {
        outf(out, p, "ipcguard_beancounter_failures_total{resource=\"%s\"}"
             " %" APR_UINT64_T_FMT "\n", label(p, r->bc[b].resource),
             r->bc[b].failcnt);
    }
}

static void metrics_cleanup(ipcg_out_t *out, apr_pool_t *p,
                            const ipcg_report_t *r)
{
    family(out, p, "ipcguard_cleanup_removed_objects", "gauge",
           "Objects the last startup cleanup removed");
    sample_u64(out, p, "ipcguard_cleanup_removed_objects", NULL,
               r->cleanup.removed_count);
    family(out, p, "ipcguard_cleanup_kept_objects", "gauge",
           "Objects the last startup cleanup kept");
    sample_u64(out, p, "ipcguard_cleanup_kept_objects", NULL,
               r->cleanup.kept_count);
    family(out, p, "ipcguard_cleanup_duration_seconds", "gauge",
           "Time the last startup cleanup took");
    outf(out, p, "ipcguard_cleanup_duration_seconds %.6f\n",
         (double)r->cleanup.duration_us / 1e6);
    family(out, p, "ipcguard_orphan_candidates", "gauge",
           "Objects of earlier runs without a state file");
    sample_u64(out, p, "ipcguard_orphan_candidates", "provable=\"true\"",
               r->orphans_provable);
    sample_u64(out, p, "ipcguard_orphan_candidates", "provable=\"false\"",
               r->orphans - r->orphans_provable);
}

/* One sample per forecast row, labelled by its resource. */
typedef enum {
    FORECAST_UNCLEANED,
    FORECAST_RATE,
    FORECAST_SECONDS_TO_FULL
} forecast_value_e;

static void forecast_family(ipcg_out_t *out, apr_pool_t *p,
                            const ipcg_report_t *r, const char *name,
                            const char *help, forecast_value_e what)
{
    apr_uint32_t b;

    family(out, p, name, "gauge", help);
    for (b = 0; b < r->forecast_rows; b++) {
        const ipcg_forecast_t *f = &r->forecast[b];
        const char *value;
        switch (what) {
        case FORECAST_UNCLEANED:
            value = apr_psprintf(p, "%" APR_UINT64_T_FMT, f->uncleaned);
            break;
        case FORECAST_RATE:
            value = metric_double(p, f->rate);
            break;
        default:
            value = f->seconds_to_full >= 0
                        ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                       f->seconds_to_full)
                        : "+Inf";
            break;
        }
        outf(out, p, "%s{resource=\"%s\"} %s\n", name, label(p, f->name),
             value);
    }
}

static void metrics_trends(ipcg_out_t *out, apr_pool_t *p,
                           const ipcg_report_t *r)
{
    apr_uint32_t b;

    family(out, p, "ipcguard_objects_growth_per_second", "gauge",
           "Growth rate of the count of IPC objects by kind and class "
           "(Theil-Sen slope over the forecast window)");
    for (b = 0; b < IPCG_CLASS_TRENDS; b++) {
        const ipcg_class_trend_t *ct = &r->class_trend[b];
        outf(out, p, "ipcguard_objects_growth_per_second{kind=\"%s\","
             "class=\"%s\"} %s\n", ipcg_kind_name(ct->kind),
             ipcg_class_name(ct->cls), metric_double(p, ct->rate));
    }
    if (!r->forecast_rows) {
        return;
    }
    forecast_family(out, p, r, "ipcguard_uncleaned",
                    "Usage of a limit that httpd does not clean up (other "
                    "programs' objects, application objects, orphans)",
                    FORECAST_UNCLEANED);
    forecast_family(out, p, r, "ipcguard_growth_per_second",
                    "Growth rate of the uncleaned usage of a limit (Theil-Sen "
                    "slope over the forecast window)", FORECAST_RATE);
    forecast_family(out, p, r, "ipcguard_forecast_seconds_to_full",
                    "Time until a limit is full at the growth rate; +Inf when "
                    "it is not growing", FORECAST_SECONDS_TO_FULL);
}

void ipcg_render_metrics(apr_pool_t *p, const ipcg_view_t *v,
                         ipcg_out_t *out)
{
    const ipcg_report_t *r = &v->rep;

    family(out, p, "ipcguard_up", "gauge",
           "1 when the module's parent has published a report");
    outf(out, p, "ipcguard_up %d\n", r->pid > 0 ? 1 : 0);
    metrics_objects(out, p, r);
    metrics_modules(out, p, v);
    metrics_limits(out, p, r);
    metrics_beancounters(out, p, r);
    metrics_cleanup(out, p, r);
    metric_families(out, p, r, process_families,
                    sizeof(process_families) / sizeof(process_families[0]));
    metrics_trends(out, p, r);
}

static int cmp_proc(const void *a, const void *b)
{
    const ipcg_proc_t *x = a, *y = b;
    apr_uint64_t sx = x->shared_anon + x->shared_sysv + x->shared_posix;
    apr_uint64_t sy = y->shared_anon + y->shared_sysv + y->shared_posix;
    apr_uint64_t rx = x->rss_shmem.present ? x->rss_shmem.v : 0;
    apr_uint64_t ry = y->rss_shmem.present ? y->rss_shmem.v : 0;

    if (sx != sy) {
        return sx > sy ? -1 : 1;
    }
    if (rx != ry) {
        return rx > ry ? -1 : 1;
    }
    return x->pid < y->pid ? -1 : (x->pid > y->pid);
}

void ipcg_procs_sort(apr_array_header_t *procs)
{
    if (procs->nelts > 1) {
        qsort(procs->elts, (size_t)procs->nelts, sizeof(ipcg_proc_t),
              cmp_proc);
    }
}
