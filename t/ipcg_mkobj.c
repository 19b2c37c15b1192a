/* ipcg_mkobj: make one SysV object for the tests, the way other software
 * would, and optionally keep using it.
 *
 *   ipcg_mkobj sem|shm|msg [key] [op] [attach] [hold]
 *
 * key: decimal key (default IPC_PRIVATE); op: a semop (so the set names
 * this pid) or a msgsnd; attach: shmat; hold: stay alive until killed.
 * Prints the id. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    key_t key = IPC_PRIVATE;
    int op = 0, attach = 0, hold = 0, id, i;

    if (argc < 2) {
        fprintf(stderr, "usage: ipcg_mkobj sem|shm|msg [key] [op] [attach] [hold]\n");
        return 2;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "op") == 0) op = 1;
        else if (strcmp(argv[i], "attach") == 0) attach = 1;
        else if (strcmp(argv[i], "hold") == 0) hold = 1;
        else key = (key_t)atoi(argv[i]);
    }
    if (strcmp(argv[1], "sem") == 0) {
        id = semget(key, 1, IPC_CREAT | 0600);
        if (id >= 0 && op) {
            struct sembuf b = { 0, 1, 0 };
            semop(id, &b, 1);
        }
    }
    else if (strcmp(argv[1], "shm") == 0) {
        id = shmget(key, 8192, IPC_CREAT | 0600);
        if (id >= 0 && attach && shmat(id, NULL, 0) == (void *)-1) {
            perror("shmat");
            return 1;
        }
    }
    else {
        id = msgget(key, IPC_CREAT | 0600);
        if (id >= 0 && op) {
            struct { long t; char c[1]; } m = { 1, { 'x' } };
            msgsnd(id, &m, 1, 0);
        }
    }
    if (id < 0) {
        perror("ipcg_mkobj");
        return 1;
    }
    printf("%d\n", id);
    fflush(stdout);
    if (hold) {
        for (;;) {
            pause();
        }
    }
    return 0;
}
