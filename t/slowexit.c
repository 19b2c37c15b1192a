/* slowexit.so: a test-only LD_PRELOAD library. With IPCG_SLOW_EXIT=N in
 * the environment, the process that loaded it first (not its children)
 * takes N more seconds to exit, so that what it started runs on while it
 * is still alive: httpd -k start's detaching process, say. */

#include <stdlib.h>
#include <unistd.h>

static pid_t first;

__attribute__((constructor)) static void slowexit_init(void)
{
    first = getpid();
}

__attribute__((destructor)) static void slowexit_fini(void)
{
    const char *n = getenv("IPCG_SLOW_EXIT");

    if (n != NULL && getpid() == first) {
        sleep((unsigned)atoi(n));
    }
}
