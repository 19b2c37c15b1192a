/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_ipcg_test: a TEST-ONLY module that allocates SysV IPC objects the way
 * third-party modules and PHP's sysvshm/sysvsem/sysvmsg do, so that the
 * integration tests can exercise every kind of object whatever this
 * machine's APR does by default. Never load it in production.
 *
 *   IPCGTestPostConfig sem|shm|msg [key]
 *       In post_config (not the first pass), create such an object
 *       (IPC_PRIVATE unless a decimal key is given; mode 0600; shm 64 KiB;
 *       one semaphore set to 1 with SETVAL) and remove it with a pconf
 *       cleanup: a clean stop or restart removes it, a kill -9 leaks it.
 *
 *   <Location /ipcg-test> SetHandler ipcg-test </Location>
 *       ?make=sem|shm|msg[&key=N][&attach=1][&semop=1]
 *           create an object in the child at runtime and leave it (as
 *           PHP's sem_get()/shm_attach() do); the reply is
 *           "kind id key pid".
 *       ?pid=1    reply with the child's pid
 *       ?exit=1   the child exits after replying; ?crash=1: _exit(1)
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

module AP_MODULE_DECLARE_DATA ipcg_test_module;

typedef struct {
    const char *kind;
    key_t key;
} test_obj;

typedef struct {
    apr_array_header_t *objs;    /* test_obj */
} test_conf;

union test_semun {
    int val;
    struct semid_ds *buf;
};

typedef struct {
    int kind;      /* 0 sem, 1 shm, 2 msg */
    int id;
} made_obj;

static void *create_conf(apr_pool_t *p, server_rec *s)
{
    test_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->objs = apr_array_make(p, 4, sizeof(test_obj));
    return c;
}

static const char *set_post_config(cmd_parms *cmd, void *dc, const char *kind,
                                   const char *key)
{
    test_conf *c = ap_get_module_config(cmd->server->module_config,
                                        &ipcg_test_module);
    test_obj *o;

    (void)dc;
    if (strcmp(kind, "sem") && strcmp(kind, "shm") && strcmp(kind, "msg")) {
        return "IPCGTestPostConfig: kind must be sem, shm or msg";
    }
    o = apr_array_push(c->objs);
    o->kind = kind;
    o->key = key ? (key_t)atoi(key) : IPC_PRIVATE;
    return NULL;
}

/* Create one object; returns its id or -1. */
static int make_obj(const char *kind, key_t key, int semop_too)
{
    int flags = IPC_CREAT | 0600;

    if (strcmp(kind, "sem") == 0) {
        union test_semun arg;
        int id = semget(key, 1, flags);
        if (id < 0) {
            return -1;
        }
        arg.val = 1;
        semctl(id, 0, SETVAL, arg);
        if (semop_too) {
            struct sembuf op = { 0, -1, 0 };
            semop(id, &op, 1);
            op.sem_op = 1;
            semop(id, &op, 1);
        }
        return id;
    }
    if (strcmp(kind, "shm") == 0) {
        return shmget(key, 65536, flags);
    }
    return msgget(key, flags);
}

static apr_status_t remove_obj(void *data)
{
    made_obj *m = data;

    if (m->kind == 0) {
        semctl(m->id, 0, IPC_RMID);
    }
    else if (m->kind == 1) {
        shmctl(m->id, IPC_RMID, NULL);
    }
    else {
        msgctl(m->id, IPC_RMID, NULL);
    }
    return APR_SUCCESS;
}

static int test_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    test_conf *c = ap_get_module_config(s->module_config, &ipcg_test_module);
    int i;

    (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (i = 0; i < c->objs->nelts; i++) {
        test_obj *o = &APR_ARRAY_IDX(c->objs, i, test_obj);
        made_obj *m = apr_palloc(pconf, sizeof(*m));
        m->id = make_obj(o->kind, o->key, 0);
        if (m->id < 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                         "ipcg_test: cannot create sysv-%s", o->kind);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        m->kind = strcmp(o->kind, "sem") == 0 ? 0
                  : strcmp(o->kind, "shm") == 0 ? 1 : 2;
        apr_pool_cleanup_register(pconf, m, remove_obj,
                                  apr_pool_cleanup_null);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "ipcg_test: created sysv-%s id %d key %d in post_config",
                     o->kind, m->id, (int)o->key);
    }
    return OK;
}

/* The value of @a name in the query string, or NULL. */
static const char *arg_of(request_rec *r, const char *name)
{
    char *args, *tok, *last;
    apr_size_t n = strlen(name);

    if (r->args == NULL) {
        return NULL;
    }
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&", &last); tok;
         tok = apr_strtok(NULL, "&", &last)) {
        if (strncmp(tok, name, n) == 0 && tok[n] == '=') {
            return tok + n + 1;
        }
    }
    return NULL;
}

static int test_handler(request_rec *r)
{
    const char *make, *key, *v;
    int id = -1;
    key_t k;

    if (strcmp(r->handler, "ipcg-test") != 0) {
        return DECLINED;
    }
    ap_set_content_type(r, "text/plain");
    if (arg_of(r, "pid")) {
        ap_rprintf(r, "%ld\n", (long)getpid());
    }
    make = arg_of(r, "make");
    if (make) {
        if (strcmp(make, "sem") && strcmp(make, "shm") && strcmp(make, "msg")) {
            return HTTP_BAD_REQUEST;
        }
        key = arg_of(r, "key");
        k = key ? (key_t)atoi(key) : IPC_PRIVATE;
        v = arg_of(r, "semop");
        id = make_obj(make, k, v && strcmp(v, "1") == 0);
        if (id < 0) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        v = arg_of(r, "attach");
        if (strcmp(make, "shm") == 0 && v && strcmp(v, "1") == 0) {
            if (shmat(id, NULL, 0) == (void *)-1) {
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        ap_rprintf(r, "sysv-%s %d %d %ld\n", make, id, (int)k,
                   (long)getpid());
    }
    if (arg_of(r, "exit") || arg_of(r, "crash")) {
        ap_rflush(r);
        ap_lingering_close(r->connection);
        if (arg_of(r, "crash")) {
            _exit(1);
        }
        exit(0);
    }
    return OK;
}

static const command_rec test_cmds[] = {
    AP_INIT_TAKE12("IPCGTestPostConfig", set_post_config, NULL, RSRC_CONF,
                   "sem|shm|msg [key]: an object made in post_config"),
    {NULL}
};

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(test_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(test_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(ipcg_test) = {
    STANDARD20_MODULE_STUFF,
    NULL,                   /* create per-directory config */
    NULL,                   /* merge per-directory config */
    create_conf,            /* create per-server config */
    NULL,                   /* merge per-server config */
    test_cmds,              /* directives */
    register_hooks,         /* register hooks */
    AP_MODULE_FLAG_NONE     /* flags */
};
