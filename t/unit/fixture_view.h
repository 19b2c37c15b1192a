/* A fixed report for the byte-for-byte tests of the page and the three
 * machine formats: every section filled, hostile strings wherever text
 * comes from the system or the configuration, fixed times, no live read. */
#ifndef IPCG_FIXTURE_VIEW_H
#define IPCG_FIXTURE_VIEW_H

#include <string.h>

#include <apr_tables.h>

#include "ipcguard/ipcg_report.h"

/* The time the fixture is shown at: 2026-12-01 10:00:00 UTC. */
#define FIXTURE_NOW ((apr_int64_t)1796119200)

static APR_INLINE ipcg_obj_t fixture_obj(ipcg_kind_e kind, apr_int64_t id,
                                         const char *name, const char *module,
                                         ipcg_class_e cls, apr_uint64_t size)
{
    ipcg_obj_t o;

    memset(&o, 0, sizeof(o));
    o.kind = kind;
    o.id = id;
    o.key = id >= 0 ? (apr_int32_t)(0x01020000 + id) : 0;
    o.mode = 0600;
    o.uid = 33;
    o.gid = 33;
    o.size = size;
    o.nattch = kind == IPCG_SYSV_SHM ? 4 : 0;
    o.cpid = 2975;
    o.lpid = 3001;
    o.ctime = FIXTURE_NOW - 3600 - id;
    o.phase = IPCG_PHASE_POST_CONFIG;
    o.cls = cls;
    o.owner_pid = 2975;
    memcpy(o.module, module, strlen(module) + 1);
    memcpy(o.name, name, strlen(name) + 1);
    return o;
}

static APR_INLINE void fixture_limits(ipcg_report_t *r)
{
    ipcg_limits_t *l = &r->limits;

#define FIX_NUM(f, val) do { l->f.present = 1; l->f.v = (val); } while (0)
    FIX_NUM(semmni, 128);
    FIX_NUM(semmns, 32000);
    FIX_NUM(semmsl, 250);
    FIX_NUM(semopm, 32);
    FIX_NUM(shmmni, 4096);
    FIX_NUM(shmall, 18446744073692774399ULL);
    FIX_NUM(shmmax, 18446744073692774399ULL);
    FIX_NUM(msgmni, 32000);
    FIX_NUM(msgmax, 8192);
    FIX_NUM(msgmnb, 16384);
    FIX_NUM(page_size, 4096);
    FIX_NUM(devshm_size, 67108864);
    FIX_NUM(devshm_used, 1409024);
    FIX_NUM(meminfo_shmem, 1098907648);
#undef FIX_NUM
    r->usage.count[IPCG_SYSV_SEM] = 118;
    r->usage.count[IPCG_SYSV_SHM] = 2;
    r->usage.count[IPCG_SYSV_MSG] = 1;
    r->usage.count[IPCG_POSIX_SHM] = 2;
    r->usage.sem_total = 118;
    r->usage.shm_bytes = 67174400;
    r->usage.shm_pages = 16400;
    r->usage.posix_bytes = 1409024;
    r->bc_present = 1;
    strcpy(r->bc_version, "2.5");
    r->bc_rows = 3;
    strcpy(r->bc[0].resource, "shmpages");
    r->bc[0].held = 247122;
    r->bc[0].maxheld = 261000;
    r->bc[0].barrier = 262144;
    r->bc[0].limit = 262144;
    r->bc[0].failcnt = 10067;
    strcpy(r->bc[1].resource, "numsem");
    r->bc[1].held = 118;
    r->bc[1].maxheld = 120;
    r->bc[1].barrier_unlimited = 1;
    r->bc[1].limit_unlimited = 1;
    r->bc[1].barrier = 9223372036854775807ULL;
    r->bc[1].limit = 9223372036854775807ULL;
    strcpy(r->bc[2].resource, "<b>&\"x'");
    r->bc[2].held = 1;
    r->bc[2].limit = 10;
    r->bc[2].barrier = 10;
}

static APR_INLINE void fixture_trends(ipcg_report_t *r)
{
    ipcg_forecast_t *f;
    apr_uint32_t i;

    r->forecast_window = 7 * 86400;
    r->forecast_horizon = 7 * 86400;
    r->forecast_rows = 3;
    f = &r->forecast[0];
    strcpy(f->name, "semmni");
    f->used = 118;
    f->uncleaned = 112;
    f->limit = 128;
    f->rate = 20.0 / 86400.0;
    f->seconds_to_full = 43200;
    f->points = 40;
    f->span = 6 * 86400;
    f = &r->forecast[1];
    strcpy(f->name, "devshm");
    f->used = 1409024;
    f->uncleaned = 0;
    f->limit = 67108864;
    f->rate = 0;
    f->seconds_to_full = -1;
    f->points = 2;
    f->span = 600;
    f = &r->forecast[2];
    strcpy(f->name, "bc:shmpages");
    f->used = 247122;
    f->uncleaned = 200000;
    f->limit = 262144;
    f->rate = -3.5 / 86400.0;
    f->seconds_to_full = -1;
    f->points = 40;
    f->span = 6 * 86400;
    for (i = 0; i < IPCG_CLASS_TRENDS; i++) {
        r->class_trend[i].kind = (ipcg_kind_e)(i / IPCG_CLASS_COUNT);
        r->class_trend[i].cls = (ipcg_class_e)(i % IPCG_CLASS_COUNT);
    }
    r->class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_INSTANCE].count = 6;
    r->class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_APPLICATION].count = 100;
    r->class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_APPLICATION].rate = 20.0 / 86400.0;
    r->class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_APPLICATION].points = 40;
    r->class_trend[IPCG_SYSV_SEM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_FOREIGN].count = 12;
    r->class_trend[IPCG_POSIX_SHM * IPCG_CLASS_COUNT
                   + IPCG_CLASS_INSTANCE].count = 2;
}

static APR_INLINE void fixture_events(ipcg_report_t *r)
{
    ipcg_event_t *e;

    r->outside_removals_total = 2;
    r->event_rows = 2;
    e = &r->events[0];
    memset(e, 0, sizeof(*e));
    e->found = FIXTURE_NOW - 7200;
    e->last_seen = FIXTURE_NOW - 7210;
    e->server_pid = 2975;
    e->kind = IPCG_SYSV_SEM;
    e->id = 32770;
    e->key = 0;
    e->phase = IPCG_PHASE_POST_CONFIG;
    strcpy(e->module, "mod_ssl.c");
    e = &r->events[1];
    memset(e, 0, sizeof(*e));
    e->found = FIXTURE_NOW - 180;
    e->last_seen = FIXTURE_NOW - 190;
    e->server_pid = 2975;
    e->kind = IPCG_POSIX_SHM;
    e->id = -1;
    e->phase = IPCG_PHASE_POST_CONFIG;
    strcpy(e->module, "mod_<i>x</i>.c");
    strcpy(e->name, "/gone<script>alert(1)</script>&\"'");
}

static APR_INLINE void fixture_cleanup(ipcg_report_t *r)
{
    ipcg_cleanup_t *c = &r->cleanup;

    c->ran = 1;
    c->mode = IPCG_CLEANUP_REGISTERED;
    c->at = FIXTURE_NOW - 86400;
    c->duration_us = 1234;
    c->removed_count = 5;
    c->kept_count = 1;
    c->removed_sem = 4;
    c->removed_shm = 1;
    c->previous_pid = 2200;
    c->previous_start = FIXTURE_NOW - 2 * 86400;
    c->previous_written = FIXTURE_NOW - 86500;
    c->outcome = IPCG_OUTCOME_DONE;
    strcpy(c->summary, "removed 5 stale IPC objects of the run of pid 2200 "
           "<killed> & \"gone\" (kept 1)");
}

static APR_INLINE void fixture_lists(apr_pool_t *p, ipcg_view_t *v)
{
    static const char *const hostile[] = {
        "/<script>alert(1)</script>", "/quote\"amp&apos'", "/new\nline\ttab",
        "/bad\xff\xfe" "bytes", "/caf\xc3\xa9"
    };
    ipcg_decision_t *d;
    ipcg_proc_t *pr;
    int i;

    v->objs = apr_array_make(p, 16, sizeof(ipcg_obj_t));
    v->decisions = apr_array_make(p, 4, sizeof(ipcg_decision_t));
    v->procs = apr_array_make(p, 4, sizeof(ipcg_proc_t));
    for (i = 0; i < 4; i++) {
        *(ipcg_obj_t *)apr_array_push(v->objs) = fixture_obj(
            IPCG_SYSV_SEM, 32768 + i, "", i < 2 ? "mod_ssl.c" : "core.c",
            IPCG_CLASS_INSTANCE, 1);
    }
    *(ipcg_obj_t *)apr_array_push(v->objs) = fixture_obj(
        IPCG_SYSV_SHM, 65536, "", "mod_socache_shmcb.c", IPCG_CLASS_INSTANCE,
        512000);
    *(ipcg_obj_t *)apr_array_push(v->objs) = fixture_obj(
        IPCG_SYSV_MSG, 3, "", "mod_<b>evil</b>&\"q\".c",
        IPCG_CLASS_APPLICATION, 16384);
    for (i = 0; i < 5; i++) {
        *(ipcg_obj_t *)apr_array_push(v->objs) = fixture_obj(
            i % 2 ? IPCG_POSIX_SEM : IPCG_POSIX_SHM, -1, hostile[i],
            "mod_slotmem_shm.c", i == 4 ? IPCG_CLASS_FOREIGN
                                        : IPCG_CLASS_INSTANCE, 4096);
    }
    d = apr_array_push(v->decisions);
    memset(d, 0, sizeof(*d));
    d->what = IPCG_DEC_REMOVED;
    d->obj = fixture_obj(IPCG_SYSV_SEM, 100, "", "mod_ssl.c",
                         IPCG_CLASS_INSTANCE, 1);
    strcpy(d->reason, "its run (pid 2200) is dead");
    d = apr_array_push(v->decisions);
    memset(d, 0, sizeof(*d));
    d->what = IPCG_DEC_KEPT;
    d->obj = fixture_obj(IPCG_SYSV_SHM, 101, "", "mod_php<8>.c",
                         IPCG_CLASS_INSTANCE, 67108864);
    d->obj.nattch = 2;
    strcpy(d->reason, "still attached by 2 processes <pid 3100 & 3101>");
    d = apr_array_push(v->decisions);
    memset(d, 0, sizeof(*d));
    d->what = IPCG_DEC_ORPHAN;
    d->provable = 1;
    d->obj = fixture_obj(IPCG_POSIX_SHM, -1, "/orphan\"<x>", "unknown",
                         IPCG_CLASS_FOREIGN, 8192);
    strcpy(d->reason, "every pid it names is dead: 1200 & 1201");
    for (i = 0; i < 4; i++) {
        pr = apr_array_push(v->procs);
        memset(pr, 0, sizeof(*pr));
        pr->pid = 4243 + i;
        pr->ppid = 2975;
        strcpy(pr->comm, i == 3 ? "<apache2>&\"'" : "php-cgi");
        pr->rss_shmem.present = i != 3;
        pr->rss_shmem.v = 2469888 + (apr_uint64_t)i * 4096;
        pr->shared_anon = i == 3 ? 0 : 67108864;
        pr->shared_sysv = i == 3 ? 512000 : 0;
        pr->shared_posix = 4096;
        /* each php-cgi its own opcache; the last one's segment alone */
        pr->map_kind = i == 3 ? IPCG_MAP_SYSV : IPCG_MAP_ANON;
        pr->map_bytes = i == 3 ? 512000 : 67108864;
        pr->map_dev = 1;
        pr->map_ino = 1027 + (apr_uint64_t)i;
    }
}

/* Six days of samples every four hours with a day's gap (a stop) in the
 * middle; SEMMNI growing, /dev/shm new since the restart, the
 * beancounter steady. */
static APR_INLINE void fixture_chart(ipcg_report_t *r)
{
    ipcg_chart_t *c = &r->chart;
    apr_uint32_t j;

    c->n = 31;
    for (j = 0; j < c->n; j++) {
        apr_int64_t back = (apr_int64_t)(c->n - 1 - j) * 4 * 3600;
        c->t[j] = FIXTURE_NOW - back - (j < 15 ? 86400 : 0);
        c->used[0][j] = 10 + (apr_uint64_t)j * 108 / 30;
        c->used[1][j] = j < 15 ? IPCG_CHART_NONE : 1409024;
        c->used[2][j] = 247122 - (apr_uint64_t)(j % 3) * 100;
        c->cls[IPCG_CLASS_INSTANCE][j] = 11;
        c->cls[IPCG_CLASS_APPLICATION][j] = (apr_uint64_t)j * 101 / 30;
        c->cls[IPCG_CLASS_FOREIGN][j] = 12 + (j > 20);
    }
}

/* The whole fixture, its lists allocated in @a p. */
static APR_INLINE void fixture_view(apr_pool_t *p, ipcg_view_t *v)
{
    ipcg_report_t *r = &v->rep;
    apr_uint64_t per_kind[IPCG_KIND_COUNT][IPCG_CLASS_COUNT] = {
        {6, 100, 12}, {1, 0, 1}, {0, 1, 0}, {2, 0, 0}, {2, 0, 1}
    };

    memset(v, 0, sizeof(*v));
    strcpy(r->instance, "0123456789abcdef");
    r->pid = 2975;
    r->starttime = 123456;
    r->started = FIXTURE_NOW - 86400 - 3723;
    r->generation = 3;
    r->run_uid = 33;
    r->run_gid = 33;
    r->mode = IPCG_CLEANUP_REGISTERED;
    r->show_foreign = 1;
    r->warn_percent = 90;
    r->scan_seconds = 10;
    r->updated = FIXTURE_NOW - 4;
    fixture_limits(r);
    memcpy(r->count, per_kind, sizeof(per_kind));
    r->objs_dropped = 7;
    r->procs_dropped = 1;
    r->proc_count = 4;
    r->proc_rss_shmem = 7421952;
    r->proc_shared_anon = 201326592;
    r->proc_shared_sysv = 512000;
    r->proc_shared_posix = 16384;
    fixture_cleanup(r);
    r->orphans = 1;
    r->orphans_provable = 1;
    r->scans_total = 8640;
    r->warnings_total = 3;
    r->child_reaped_total = 2;
    r->removed_total = 7;
    fixture_trends(r);
    fixture_events(r);
    fixture_chart(r);
    fixture_lists(p, v);
}

#endif
