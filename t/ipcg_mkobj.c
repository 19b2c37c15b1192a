/* ipcg_mkobj: make one SysV object for the tests, the way other software
 * would, and optionally keep using it.
 *
 *   ipcg_mkobj sem|shm|msg [key] [op] [attach] [hold]
 *
 * key: decimal key (default IPC_PRIVATE); op: a semop (so the set names
 * this pid) or a msgsnd; attach: shmat; hold: stay alive until killed.
 * Prints the id.
 *
 *   ipcg_mkobj leak MILLISECONDS MAX
 *
 * A leak: one semaphore set every MILLISECONDS, on a fixed schedule, at
 * most MAX; prints "made N EPOCH_MS" for each and, when the kernel
 * refuses one, "full N EPOCH_MS" and exits.
 *
 *   ipcg_mkobj churn WINDOW OPS SECONDS
 *
 * Another program's churn: WINDOW sets, one removed and one made in
 * their place, OPS times or for SECONDS at most; prints each id made. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int leak(long interval_ms, long max)
{
    struct timespec start, next;
    long n;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (n = 0; n < max; n++) {
        long long at = (long long)start.tv_sec * 1000000000LL + start.tv_nsec
                       + (long long)n * interval_ms * 1000000LL;
        next.tv_sec = (time_t)(at / 1000000000LL);
        next.tv_nsec = (long)(at % 1000000000LL);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL)
               == EINTR) {
        }
        if (semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0) {
            printf("full %ld %lld %d\n", n, now_ms(), errno);
            fflush(stdout);
            return 0;
        }
        printf("made %ld %lld\n", n + 1, now_ms());
        fflush(stdout);
    }
    return 0;
}

/* Churn: keep WINDOW sets, and until SECONDS have passed or OPS sets
 * were made, remove one of them (in turn, from a shuffled order) and make
 * another, so that the kernel frees indexes and gives them out again.
 * Prints the id of every set made, one a line, then "ops N". */
static int churn(int window, long ops, long seconds)
{
    struct timespec start, now, nap = { 0, 20000 };
    int *ids = calloc((size_t)window, sizeof(int));
    long n;
    unsigned seed = (unsigned)getpid();
    int i;

    if (ids == NULL) {
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (i = 0; i < window; i++) {
        ids[i] = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        if (ids[i] >= 0) {
            printf("%d\n", ids[i]);
        }
    }
    for (n = 0; n < ops; n++) {
        int k = (int)(rand_r(&seed) % (unsigned)window);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds) {
            break;
        }
        if (ids[k] >= 0) {
            semctl(ids[k], 0, IPC_RMID);
        }
        ids[k] = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        if (ids[k] >= 0) {
            printf("%d\n", ids[k]);
        }
        nanosleep(&nap, NULL);
    }
    printf("ops %ld\n", n);
    fflush(stdout);
    free(ids);
    return 0;
}

int main(int argc, char **argv)
{
    key_t key = IPC_PRIVATE;
    int op = 0, attach = 0, hold = 0, id, i;

    if (argc < 2) {
        fprintf(stderr, "usage: ipcg_mkobj sem|shm|msg [key] [op] [attach] [hold]\n");
        return 2;
    }
    if (strcmp(argv[1], "leak") == 0) {
        if (argc != 4 || atol(argv[2]) <= 0 || atol(argv[3]) <= 0) {
            fprintf(stderr, "usage: ipcg_mkobj leak MILLISECONDS MAX\n");
            return 2;
        }
        return leak(atol(argv[2]), atol(argv[3]));
    }
    if (strcmp(argv[1], "churn") == 0) {
        if (argc != 5 || atoi(argv[2]) <= 0 || atol(argv[3]) <= 0
            || atol(argv[4]) <= 0) {
            fprintf(stderr, "usage: ipcg_mkobj churn WINDOW OPS SECONDS\n");
            return 2;
        }
        return churn(atoi(argv[2]), atol(argv[3]), atol(argv[4]));
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
