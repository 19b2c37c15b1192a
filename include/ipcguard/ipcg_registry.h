/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_registry.h
 * @brief The registry: this instance's objects, kept exact by diffing the
 * kernel's tables around the phases where httpd allocates, and by
 * reconciling with a fresh scan.
 */
#ifndef IPCG_REGISTRY_H
#define IPCG_REGISTRY_H

#include <apr_hash.h>

#include "ipcguard/ipcg_scan.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The key naming an object's kernel slot: "<kind>:<id>" for SysV,
 * "<kind>/<name>" for POSIX. */
const char *ipcg_obj_slot(apr_pool_t *p, const ipcg_obj_t *o);

/** A hash from slot to the object in @a snap. */
apr_hash_t *ipcg_snapshot_index(apr_pool_t *p, const ipcg_snapshot_t *snap);

/** The objects of @a after that are not in @a before (by slot, and for a
 * reused slot, by identity), appended to @a added (of ipcg_obj_t). */
void ipcg_snapshot_diff(apr_pool_t *p, const ipcg_snapshot_t *before,
                        const ipcg_snapshot_t *after,
                        apr_array_header_t *added);

/** Bring @a reg (ipcg_obj_t) in line with @a snap: entries whose object is
 * gone, or whose slot now holds another object, leave; the others take the
 * kernel's current owner, mode, attach count, pids and times (an IPC_SET
 * chown moves ctime). Returns how many entries left or changed identity. */
int ipcg_registry_reconcile(apr_pool_t *p, apr_array_header_t *reg,
                            const ipcg_snapshot_t *snap);

/** Index of @a o's slot in @a reg, or -1. */
int ipcg_registry_find(const apr_array_header_t *reg, const ipcg_obj_t *o);

/** True when @a now may be the object @a rec was registered as: same kind,
 * slot, key, creator and size (message queues: any size), and a ctime no
 * earlier than the recorded one. */
int ipcg_obj_continues(const ipcg_obj_t *rec, const ipcg_obj_t *now);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_REGISTRY_H */
