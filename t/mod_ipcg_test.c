/* Licensed under the Apache License, Version 2.0 (see LICENSE). */

/*
 * mod_ipcg_test: a TEST-ONLY module that allocates SysV IPC objects the way
 * third-party modules and PHP's sysvshm/sysvsem/sysvmsg do, so that the
 * integration tests can exercise every kind of object whatever this
 * machine's APR does by default. Never load it in production: any client
 * that reaches its handler can make objects and end children.
 *
 *   LoadModule ipcg_test_module t/.libs/mod_ipcg_test.so
 *
 *   IPCGTestPostConfig sem|shm|msg [key]      (server config, repeatable)
 *       In post_config (not on the first pass), the parent creates such an
 *       object: IPC_PRIVATE unless a decimal key is given, mode 0600, shm
 *       of 64 KiB, one semaphore set to 1 with SETVAL. A pconf cleanup
 *       removes it, so a clean stop or restart removes it and a kill -9
 *       leaks it. Logged at notice:
 *       "ipcg_test: created sysv-sem id N key K in post_config".
 *
 *   <Location /ipcg-test> SetHandler ipcg-test </Location>
 *       ?make=sem|shm|msg[&key=N][&attach=1][&semop=1]
 *           the child creates the object at runtime and leaves it, as PHP's
 *           sem_get()/shm_attach()/msg_get_queue() do; attach=1 keeps a
 *           segment attached for the child's life, semop=1 operates on the
 *           set so that its sempid is the child. Reply: "kind id key pid",
 *           e.g. "sysv-sem 32769 0 1234".
 *       ?pid=1    reply with the child's pid only
 *       ?exit=1   after the reply is sent, the child calls exit(0)
 *       ?crash=1  after the reply is sent, the child calls _exit(1)
 *       (with make=..., the pid line is left out; exit and crash combine
 *       with either)
 */

#include <errno.h>
#include <limits.h>
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

typedef enum { KIND_SEM, KIND_SHM, KIND_MSG } test_kind;

static const char *const kind_names[] = { "sem", "shm", "msg" };

#define TEST_SHM_BYTES 65536
#define TEST_MODE      0600

/* One IPCGTestPostConfig line. */
typedef struct {
    test_kind kind;
    key_t key;
} test_obj;

typedef struct {
    apr_array_header_t *objs;    /* test_obj, in configuration order */
} test_conf;

/* What a pconf cleanup removes. */
typedef struct {
    test_kind kind;
    int id;
} made_obj;

/* semctl's fourth argument: the caller defines it (see semctl(2)). */
union test_semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* "sem", "shm" or "msg" to a kind; -1 for anything else. */
static int kind_of(const char *name)
{
    int i;

    for (i = 0; i < 3; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* A decimal key (sign allowed, int range) to @a key; 0 if it is not one. */
static int key_of(const char *s, key_t *key)
{
    char *end;
    apr_int64_t v;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    errno = 0;
    v = apr_strtoi64(s, &end, 10);
    if (errno || *end != '\0' || v < INT_MIN || v > INT_MAX) {
        return 0;
    }
    *key = (key_t)v;
    return 1;
}

/* Create one object; returns its id, or -1 with errno set. */
static int make_obj(test_kind kind, key_t key, int semop_too)
{
    int flags = IPC_CREAT | TEST_MODE;
    int id;

    switch (kind) {
    case KIND_SEM: {
        union test_semun arg;

        id = semget(key, 1, flags);
        if (id < 0) {
            return -1;
        }
        arg.val = 1;
        if (semctl(id, 0, SETVAL, arg) < 0) {
            return -1;
        }
        if (semop_too) {
            /* take and give back: sempid becomes this process */
            struct sembuf op = { 0, -1, 0 };

            if (semop(id, &op, 1) < 0) {
                return -1;
            }
            op.sem_op = 1;
            if (semop(id, &op, 1) < 0) {
                return -1;
            }
        }
        return id;
    }
    case KIND_SHM:
        return shmget(key, TEST_SHM_BYTES, flags);
    case KIND_MSG:
        return msgget(key, flags);
    }
    errno = EINVAL;
    return -1;
}

static apr_status_t remove_obj(void *data)
{
    made_obj *m = data;

    switch (m->kind) {
    case KIND_SEM:
        semctl(m->id, 0, IPC_RMID);
        break;
    case KIND_SHM:
        shmctl(m->id, IPC_RMID, NULL);
        break;
    case KIND_MSG:
        msgctl(m->id, IPC_RMID, NULL);
        break;
    }
    return APR_SUCCESS;
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

static int arg_is_1(request_rec *r, const char *name)
{
    const char *v = arg_of(r, name);

    return v && strcmp(v, "1") == 0;
}

static int test_handler(request_rec *r)
{
    const char *make, *keyarg, *body;
    key_t key = IPC_PRIVATE;
    int kind, id;

    if (strcmp(r->handler, "ipcg-test")) {
        return DECLINED;
    }
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }

    make = arg_of(r, "make");
    if (make) {
        kind = kind_of(make);
        if (kind < 0) {
            return HTTP_BAD_REQUEST;
        }
        keyarg = arg_of(r, "key");
        if (keyarg && !key_of(keyarg, &key)) {
            return HTTP_BAD_REQUEST;
        }
        id = make_obj(kind, key, kind == KIND_SEM && arg_is_1(r, "semop"));
        if (id < 0) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r,
                          "ipcg_test: cannot create sysv-%s key %d at runtime",
                          make, (int)key);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (kind == KIND_SHM && arg_is_1(r, "attach")
            && shmat(id, NULL, 0) == (void *)-1) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, errno, r,
                          "ipcg_test: cannot attach sysv-shm id %d", id);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        body = apr_psprintf(r->pool, "sysv-%s %d %d %ld\n", make, id,
                            (int)key, (long)getpid());
    }
    else if (arg_is_1(r, "pid")) {
        body = apr_psprintf(r->pool, "%ld\n", (long)getpid());
    }
    else {
        body = "ipcg_test\n";
    }

    ap_set_content_type(r, "text/plain");
    ap_set_content_length(r, (apr_off_t)strlen(body));
    ap_rputs(body, r);

    if (arg_is_1(r, "exit") || arg_is_1(r, "crash")) {
        /* the whole reply (its length is known) goes out before we die */
        ap_rflush(r);
        ap_lingering_close(r->connection);
        if (arg_is_1(r, "crash")) {
            _exit(1);
        }
        exit(0);
    }
    return OK;
}

static int test_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    test_conf *c = ap_get_module_config(s->module_config, &ipcg_test_module);
    int i;

    (void)plog;
    (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (i = 0; i < c->objs->nelts; i++) {
        test_obj *o = &APR_ARRAY_IDX(c->objs, i, test_obj);
        made_obj *m = apr_palloc(pconf, sizeof(*m));

        m->kind = o->kind;
        m->id = make_obj(o->kind, o->key, 0);
        if (m->id < 0) {
            ap_log_error(APLOG_MARK, APLOG_ERR, errno, s,
                         "ipcg_test: cannot create sysv-%s key %d in "
                         "post_config", kind_names[o->kind], (int)o->key);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_pool_cleanup_register(pconf, m, remove_obj,
                                  apr_pool_cleanup_null);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     "ipcg_test: created sysv-%s id %d key %d in post_config",
                     kind_names[o->kind], m->id, (int)o->key);
    }
    return OK;
}

static void *create_server_conf(apr_pool_t *p, server_rec *s)
{
    test_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->objs = apr_array_make(p, 4, sizeof(test_obj));
    return c;
}

static const char *set_post_config(cmd_parms *cmd, void *dc,
                                   const char *kind, const char *key)
{
    test_conf *c = ap_get_module_config(cmd->server->module_config,
                                        &ipcg_test_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    test_obj *o;
    int k;

    (void)dc;
    if (err) {
        return err;
    }
    k = kind_of(kind);
    if (k < 0) {
        return apr_psprintf(cmd->pool, "IPCGTestPostConfig '%s': must be "
                            "one of sem, shm, msg", kind);
    }
    o = apr_array_push(c->objs);
    o->kind = k;
    o->key = IPC_PRIVATE;
    if (key && !key_of(key, &o->key)) {
        return apr_psprintf(cmd->pool, "IPCGTestPostConfig %s '%s': the key "
                            "must be a decimal integer", kind, key);
    }
    return NULL;
}

static const command_rec test_cmds[] = {
    AP_INIT_TAKE12("IPCGTestPostConfig", set_post_config, NULL, RSRC_CONF,
                   "sem|shm|msg [decimal key]: an object made in "
                   "post_config and removed with pconf"),
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
    create_server_conf,     /* create per-server config */
    NULL,                   /* merge per-server config */
    test_cmds,              /* directives */
    register_hooks,         /* register hooks */
    AP_MODULE_FLAG_NONE     /* flags */
};
