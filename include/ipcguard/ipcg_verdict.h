/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_verdict.h
 * @brief The answer in one look: each limit as a meter, the diagnosis of
 * processes that each hold their own copy of a shared mapping, and the
 * verdict (healthy, or what needs attention and what to do), made from a
 * report as data, for the page, ?json, `ipcguardctl status` and the
 * error log alike.
 */
#ifndef IPCG_VERDICT_H
#define IPCG_VERDICT_H

#include "ipcguard/ipcg_report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How urgent a finding is; a meter's state. */
typedef enum {
    IPCG_LEVEL_OK = 0,
    IPCG_LEVEL_NOTE,        /**< worth knowing, nothing to do now */
    IPCG_LEVEL_WARN,        /**< needs attention */
    IPCG_LEVEL_CRIT         /**< failing now (a limit full, refusals) */
} ipcg_level_e;

typedef enum {
    IPCG_UNIT_COUNT = 0,
    IPCG_UNIT_BYTES,
    IPCG_UNIT_PAGES         /**< shown as bytes (page_size each) */
} ipcg_unit_e;

/** One limit with its use. */
typedef struct {
    const char *series;     /**< the forecast's name: "semmni", "bc:..." */
    const char *name;       /**< "SEMMNI", "/dev/shm", "shmpages" */
    const char *what;       /**< "semaphore sets", "beancounter", ... */
    ipcg_unit_e unit;
    apr_uint64_t page_size; /**< bytes of a page, for IPCG_UNIT_PAGES */
    apr_uint64_t used;
    apr_uint64_t limit;
    int known;              /**< the limit could be read */
    int unlimited;          /**< the kernel's (or beancounter's) no limit */
    int percent;            /**< used of limit, -1 when none */
    apr_uint64_t failcnt;   /**< beancounters: refused allocations */
    ipcg_level_e level;
} ipcg_meter_t;

/** The meters of @a r: the SysV limits, /dev/shm, and each beancounter. */
apr_array_header_t *ipcg_meters(apr_pool_t *p, const ipcg_report_t *r);

/** A meter's figure in human units: "118", "1.3 MiB". */
const char *ipcg_meter_value(apr_pool_t *p, const ipcg_meter_t *m,
                             apr_uint64_t v);

/** "118 of 128 (92%)", "1.3 MiB of 64 MiB (2%)", "16,400 of unlimited",
 * "2 (limit unknown)". */
const char *ipcg_meter_text(apr_pool_t *p, const ipcg_meter_t *m);

/** Several processes of one program, each with its own shared mapping of
 * about the same size where one shared between them would do. */
typedef struct {
    const char *program;        /**< the command (comm) */
    apr_uint32_t processes;     /**< processes holding such a mapping */
    apr_uint32_t mappings;      /**< distinct mappings among them */
    apr_uint64_t each;          /**< the typical (median) size, bytes */
    apr_uint64_t total;         /**< the distinct mappings together */
    ipcg_map_kind_e kind;
    const char *limit;          /**< what it counts towards: "bc:shmpages",
                                     "shmall", "devshm" or "shmem" */
    const char *limit_label;    /**< "beancounter shmpages", ... */
    apr_uint64_t limit_used;    /**< bytes in use of it */
    apr_uint64_t limit_size;    /**< bytes, 0: no limit known */
    const char *what;           /**< the diagnosis, one sentence */
    const char *cause;          /**< the usual cause and the fix */
    const char *text;           /**< both */
} ipcg_dup_t;

/** The processes of @a v that each map their own copy (ipcg_dup_t), the
 * most memory first. */
apr_array_header_t *ipcg_diagnose_dup(apr_pool_t *p, const ipcg_view_t *v);

/** One thing the verdict names. */
typedef struct {
    ipcg_level_e level;
    const char *topic;      /**< a stable word: limit, failcnt, forecast,
                                 cleanup, kept, outside, duplicate,
                                 orphans, dropped */
    const char *what;       /**< what is the matter, one sentence */
    const char *todo;       /**< what to do about it */
} ipcg_finding_t;

/** What needs attention in @a v (ipcg_finding_t), the most urgent first;
 * none at or above IPCG_LEVEL_WARN means healthy. */
apr_array_header_t *ipcg_verdict(apr_pool_t *p, const ipcg_view_t *v);

/** The highest level among @a findings. */
ipcg_level_e ipcg_verdict_level(const apr_array_header_t *findings);

/** "ok", "note", "warn", "crit". */
const char *ipcg_level_name(ipcg_level_e level);

/** How ipcg_render_text() marks levels. */
typedef enum {
    IPCG_TEXT_PLAIN = 0,    /**< plain text, for pipes and files */
    IPCG_TEXT_ANSI          /**< ANSI colours, for a terminal */
} ipcg_text_style_e;

/** The verdict and a bar for each meter, for a terminal (`ipcguardctl
 * status`). Text from the system is written as it is. */
void ipcg_render_text(apr_pool_t *p, const ipcg_view_t *v,
                      ipcg_text_style_e style, ipcg_out_t *out);

/** What usually removes a live server's IPC objects from outside httpd:
 * the one list the page, the terminal and the error log name. */
#define IPCG_OUTSIDE_CULPRITS                                               \
    "an ipcrm loop in cron, ExecStartPre=/ExecStopPost= commands, "         \
    "systemd's RemoveIPC=yes, a logind logout of the server's User"

/** The usual causes of a removal from outside httpd, and the fix. */
extern const char ipcg_outside_causes[];

#ifdef __cplusplus
}
#endif
#endif /* IPCG_VERDICT_H */
