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

/** A map from objects' slots (what ipcg_obj_slot() names) to values,
 * without a string per object: one hash and a compare or two a lookup. */
typedef struct ipcg_objmap_t ipcg_objmap_t;

/** An empty map with room for about @a hint objects before it grows. */
ipcg_objmap_t *ipcg_objmap_make(apr_pool_t *p, int hint);

/** The bytes of cells a map made for @a hint objects starts with. */
apr_size_t ipcg_objmap_bytes(int hint);

/** ipcg_objmap_make() with its cells in @a buf (zeroed here) when @a len
 * holds ipcg_objmap_bytes(@a hint), else in @a p. The caller keeps @a buf
 * for the map's life; POSIX names and a map that grows go to @a p. */
ipcg_objmap_t *ipcg_objmap_make_in(apr_pool_t *p, int hint, void *buf,
                                   apr_size_t len);

/** Map @a o's slot to @a val (not NULL), replacing what it mapped to. Only
 * the slot is kept (a POSIX name is copied), not @a o. */
void ipcg_objmap_set(ipcg_objmap_t *m, const ipcg_obj_t *o, const void *val);

/** What @a o's slot maps to, or NULL. */
const void *ipcg_objmap_get(const ipcg_objmap_t *m, const ipcg_obj_t *o);

/** How many slots @a m maps. */
int ipcg_objmap_count(const ipcg_objmap_t *m);

/** A map from slot to the object in @a snap. */
ipcg_objmap_t *ipcg_snapshot_index(apr_pool_t *p, const ipcg_snapshot_t *snap);

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
