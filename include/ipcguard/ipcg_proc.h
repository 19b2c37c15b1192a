/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/**
 * @file ipcg_proc.h
 * @brief What /proc says about a process: identity (start time, process
 * group, session), the shared memory it holds, and the process tree.
 */
#ifndef IPCG_PROC_H
#define IPCG_PROC_H

#include "ipcguard/ipcg_limits.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a shared mapping is. */
typedef enum {
    IPCG_MAP_NONE = 0,
    IPCG_MAP_ANON,      /**< shared anonymous (mmap MAP_SHARED, memfd) */
    IPCG_MAP_SYSV,      /**< a SysV segment */
    IPCG_MAP_POSIX      /**< a /dev/shm file */
} ipcg_map_kind_e;

typedef struct {
    apr_int64_t pid, ppid, pgrp, session;
    apr_uint64_t starttime;     /**< /proc/<pid>/stat field 22, clock ticks */
    char state;                 /**< 'R', 'S', 'Z', ... */
    char comm[64];              /**< field 2 without the parentheses */
    apr_uint64_t uid;           /**< real uid, from status */
    ipcg_num_t rss_shmem;       /**< bytes, RssShmem in status */
    apr_uint64_t shared_anon;   /**< bytes of shared anonymous mappings */
    apr_uint64_t shared_sysv;   /**< bytes of SysV segment mappings */
    apr_uint64_t shared_posix;  /**< bytes of /dev/shm mappings */
    /** the largest shared mapping and the object behind it (device and
     * inode of maps): two processes that show the same object share one
     * mapping, two objects are two copies */
    apr_uint64_t map_bytes;
    apr_uint64_t map_dev, map_ino;
    ipcg_map_kind_e map_kind;
    /* what moves in stat when the memory figures above can: fields 10
     * (minflt), 12 (majflt), 23 (vsize) and 24 (rss); 0 when absent */
    apr_uint64_t minflt, majflt, vsize, rss_pages;
} ipcg_proc_t;

/** Parse the text of /proc/<pid>/stat (comm may hold spaces and ')'). */
apr_status_t ipcg_parse_proc_stat(const char *text, ipcg_proc_t *pr);

/** Parse the text of /proc/<pid>/status for RssShmem and Uid. */
apr_status_t ipcg_parse_proc_status(const char *text, ipcg_proc_t *pr);

/** Parse the text of /proc/<pid>/maps and add up the shared mappings. */
apr_status_t ipcg_parse_proc_maps(const char *text, ipcg_proc_t *pr);

/** How much of a process ipcg_proc_read() reads. */
typedef enum {
    IPCG_PROC_IDENTITY = 0,     /**< stat only: pid, parent, start time */
    IPCG_PROC_MEMORY            /**< stat, status and maps */
} ipcg_proc_detail_e;

/** Read stat and, with IPCG_PROC_MEMORY, status and maps. */
apr_status_t ipcg_proc_read(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_int64_t pid, ipcg_proc_detail_e detail,
                            ipcg_proc_t *pr);

/** What ipcg_proc_each() calls for one process. */
typedef void ipcg_proc_fn(void *baton, apr_pool_t *sub, apr_int64_t pid);

/** Calls @a fn for every process in paths->proc (the one walk of /proc),
 * with @a sub cleared before each call. */
apr_status_t ipcg_proc_each(apr_pool_t *p, const ipcg_paths_t *paths,
                            ipcg_proc_fn *fn, void *baton);

/** All processes' stat (no memory), as ipcg_proc_t. */
apr_status_t ipcg_proc_list(apr_pool_t *p, const ipcg_paths_t *paths,
                            apr_array_header_t **procs);

/** The descendants of @a root (and @a root itself) in @a procs, in tree
 * order, as an array of ipcg_proc_t copies. */
apr_array_header_t *ipcg_proc_tree(apr_pool_t *p,
                                   const apr_array_header_t *procs,
                                   apr_int64_t root);

/** 1 if @a pid is alive with start time @a starttime (0: any start time),
 * 0 if gone or reused, -1 if it cannot be told. */
int ipcg_proc_alive(apr_pool_t *p, const ipcg_paths_t *paths,
                    apr_int64_t pid, apr_uint64_t starttime);

/** What identifies an httpd binary: its path (without a trailing
 * " (deleted)") and, when it could be stat'ed, its device and inode. */
typedef struct {
    const char *path;           /**< NULL: unknown */
    int have_ino;
    apr_uint64_t dev, ino;
} ipcg_exe_t;

/** Describe the binary at @a path (this process's /proc/self/exe, or the
 * httpd path the tool was given). */
void ipcg_exe_init(apr_pool_t *p, const char *path, ipcg_exe_t *exe);

/** The target of /proc/<pid>/exe without a trailing " (deleted)"; NULL if
 * it cannot be read (a kernel thread, a process gone). @a deleted, when
 * not NULL, tells whether the binary was replaced or removed since. */
const char *ipcg_proc_exe(apr_pool_t *p, const ipcg_paths_t *paths,
                          apr_int64_t pid, int *deleted);

/** Whether process @a pid runs httpd, judged without its command name
 * (mod_perl and others rename it): its binary is @a httpd by path (also
 * after a package upgrade replaced it: " (deleted)"), or by device and
 * inode (another path to the same file), or it maps libapr-1 (an httpd
 * from another install path such as /usr/local/apache2/bin/httpd; any
 * APR program is taken for one, which errs on the safe side for every
 * caller). 1 yes, 0 no. */
int ipcg_proc_is_httpd(apr_pool_t *p, const ipcg_paths_t *paths,
                       apr_int64_t pid, const ipcg_exe_t *httpd);
/** The second (since the epoch, rounded down) in which a process with
 * start time @a starttime (clock ticks since boot, /proc/<pid>/stat field
 * 22) began, from the boot time in @a paths' stat ("btime"); -1 if that
 * cannot be read. Nothing that process or its descendants made can have
 * changed before it. */
apr_int64_t ipcg_proc_born(apr_pool_t *p, const ipcg_paths_t *paths,
                           apr_uint64_t starttime);

/** What was read of each process's memory (status and maps) in the last
 * round, to read them again only for processes that are new or whose
 * counters moved. */
typedef struct ipcg_proc_memo_t ipcg_proc_memo_t;

/** An empty memo in its own subpool of @a p. */
ipcg_proc_memo_t *ipcg_proc_memo_create(apr_pool_t *p);

/** Like ipcg_proc_read(memory set) for the process @a st (its stat, just
 * read): status and maps are read only when the memo does not know the
 * process from the last round with the same start time and the same
 * minflt, majflt, vsize and rss (a mapping made or dropped moves vsize,
 * a page of it touched moves minflt and rss); otherwise the memory
 * figures are the last round's. Returns APR_SUCCESS or the read's error
 * (the process exited). */
apr_status_t ipcg_proc_read_memo(apr_pool_t *p, const ipcg_paths_t *paths,
                                 ipcg_proc_memo_t *m, const ipcg_proc_t *st,
                                 ipcg_proc_t *pr);

/** What the end of a round forgets. */
typedef enum {
    IPCG_MEMO_KEEP_READ = 0,    /**< the processes not read in the round */
    IPCG_MEMO_FORGET_ALL        /**< every one: the next round reads all */
} ipcg_memo_round_e;

/** End a round of the memo. */
void ipcg_proc_memo_round(ipcg_proc_memo_t *m, ipcg_memo_round_e what);

/** Status and maps read, and memory figures reused, since the memo was
 * made. */
void ipcg_proc_memo_counts(const ipcg_proc_memo_t *m, apr_uint64_t *read,
                           apr_uint64_t *reused);

/** Read the boot id into @a buf (37 bytes). */
apr_status_t ipcg_boot_id(apr_pool_t *p, const ipcg_paths_t *paths,
                          char *buf, apr_size_t len);

#ifdef __cplusplus
}
#endif
#endif /* IPCG_PROC_H */
