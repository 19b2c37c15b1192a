/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_outside.h
 * @brief Outside removals: objects a generation of the server made in its
 * startup phases, which nothing of httpd removes before the generation
 * ends, and which a scan no longer finds. The decision only; what is said
 * and kept about each is the caller's.
 */
#ifndef IPCG_OUTSIDE_H
#define IPCG_OUTSIDE_H

#include <apr_hash.h>

#include "ipcguard/ipcg_history.h"
#include "ipcguard/ipcg_scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One watched object found gone. */
typedef struct {
    ipcg_event_t ev;            /**< the event for the history */
    const ipcg_obj_t *obj;      /**< the object as it was watched */
} ipcg_outside_t;

/** The objects of @a watch (slot -> ipcg_obj_t) that @a snap, taken at
 * @a now, no longer has, or has as another object: each is appended to
 * @a gone (ipcg_outside_t, in @a watch's order) with an event that says
 * it was last seen at @a last_seen and belonged to @a server_pid, and is
 * taken out of @a watch (it is reported once). Objects of a kind @a snap
 * could not read are left for the next scan. Returns how many were
 * found gone. */
int ipcg_outside_find(apr_pool_t *p, apr_hash_t *watch,
                      const ipcg_snapshot_t *snap, apr_int64_t now,
                      apr_int64_t last_seen, apr_int64_t server_pid,
                      apr_array_header_t *gone);

#ifdef __cplusplus
}
#endif

#endif /* IPCG_OUTSIDE_H */
