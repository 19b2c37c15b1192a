/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/*
 * mkstale: make what a killed httpd leaves behind, at scale, for the
 * cleanup benchmark. Creates N SysV semaphore sets the way httpd's
 * "Mutex sysvsem" does (IPC_PRIVATE, one semaphore, SETVAL, then chowned
 * to the run User), from a process that then exits, and writes a state
 * file naming that dead process as the run's parent.
 *
 *   mkstale N STATE_FILE UID GID
 *
 * Run it only inside a private IPC namespace (unshare --ipc).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_proc.h"
#include "ipcguard/ipcg_state.h"

union semun_arg {
    int val;
    struct semid_ds *buf;
};

int main(int argc, char **argv)
{
    apr_pool_t *p;
    ipcg_paths_t paths;
    ipcg_state_t st;
    const char *why = NULL;
    int n, i, fds[2];
    pid_t child;
    unsigned uid, gid;
    apr_int64_t child_pid;
    apr_uint64_t child_start = 0;

    if (argc != 5 || (n = atoi(argv[1])) <= 0) {
        fprintf(stderr, "usage: mkstale N STATE_FILE UID GID\n");
        return 2;
    }
    uid = (unsigned)atoi(argv[3]);
    gid = (unsigned)atoi(argv[4]);
    apr_initialize();
    apr_pool_create(&p, NULL);
    ipcg_paths_default(&paths);
    if (pipe(fds) != 0) {
        perror("pipe");
        return 1;
    }
    child = fork();
    if (child == 0) {
        /* the "httpd parent": creates, operates, then waits to be read */
        char c;
        for (i = 0; i < n; i++) {
            union semun_arg a;
            struct semid_ds ds;
            int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
            if (id < 0) {
                perror("semget");
                _exit(1);
            }
            a.val = 1;
            semctl(id, 0, SETVAL, a);
            a.buf = &ds;
            semctl(id, 0, IPC_STAT, a);
            ds.sem_perm.uid = uid;
            ds.sem_perm.gid = gid;
            a.buf = &ds;
            semctl(id, 0, IPC_SET, a);
        }
        close(fds[1]);
        if (read(fds[0], &c, 1) < 0) {
            _exit(1);
        }
        _exit(0);
    }
    close(fds[0]);
    /* read the child's identity while it lives, then let it die */
    {
        ipcg_proc_t pr;
        int tries;
        for (tries = 0; tries < 1000; tries++) {
            if (ipcg_proc_read(p, &paths, child, IPCG_PROC_IDENTITY, &pr)
                == APR_SUCCESS) {
                child_start = pr.starttime;
                break;
            }
            usleep(1000);
        }
    }
    child_pid = child;
    memset(&st, 0, sizeof(st));
    st.objs = apr_array_make(p, n, sizeof(ipcg_obj_t));
    /* wait for the sets: scan once the child is done creating */
    {
        ipcg_snapshot_t snap;
        int tries;
        for (tries = 0; tries < 30000; tries++) {
            ipcg_snapshot_init(p, &snap);
            ipcg_scan_sysv(p, &paths, IPCG_SYSV_SEM, &snap);
            if (snap.objs->nelts >= n) {
                break;
            }
            usleep(1000);
        }
        for (i = 0; i < snap.objs->nelts; i++) {
            ipcg_obj_t o = APR_ARRAY_IDX(snap.objs, i, ipcg_obj_t);
            o.phase = IPCG_PHASE_POST_CONFIG;
            o.cls = IPCG_CLASS_INSTANCE;
            o.owner_pid = child_pid;
            apr_cpystrn(o.module, "mod_rewrite.c", sizeof(o.module));
            *(ipcg_obj_t *)apr_array_push(st.objs) = o;
        }
    }
    if (write(fds[1], "x", 1) != 1) {
        perror("write");
    }
    close(fds[1]);
    waitpid(child, NULL, 0);
    st.pid = child_pid;
    st.starttime = child_start;
    st.pgrp = child_pid;
    st.session = child_pid;
    ipcg_boot_id(p, &paths, st.boot_id, sizeof(st.boot_id));
    st.run_uid = uid;
    st.run_gid = gid;
    st.started = apr_time_sec(apr_time_now());
    st.written = st.started;
    st.pidfile = "/bench/httpd.pid";
    ipcg_state_instance_id(st.pidfile, st.instance);
    if (ipcg_state_write(p, argv[2], &st, &why) != APR_SUCCESS) {
        fprintf(stderr, "mkstale: %s: %s\n", argv[2], why ? why : "error");
        return 1;
    }
    printf("%d\n", st.objs->nelts);
    apr_terminate();
    return 0;
}
