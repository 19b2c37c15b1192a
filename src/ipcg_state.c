/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The per-instance state file: format, strict parse, atomic write, and a
 * reader that trusts nothing root did not write. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_state.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static apr_uint64_t fnv1a(const char *s, apr_size_t len)
{
    apr_uint64_t h = FNV_OFFSET;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

void ipcg_state_instance_id(const char *pidfile, char out[17])
{
    apr_uint64_t h = fnv1a(pidfile, strlen(pidfile));

    apr_snprintf(out, 17, "%016" APR_UINT64_T_HEX_FMT, h);
}

const char *ipcg_state_path(apr_pool_t *p, const char *dir,
                            const char *instance)
{
    return apr_pstrcat(p, dir, "/", instance, ".state", NULL);
}

/* Percent-encode every byte outside 0x21..0x7e, and '%' and '='. */
static char *encode(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i, j = 0;
    char *out = apr_palloc(p, n * 3 + 1);
    static const char hex[] = "0123456789ABCDEF";

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e || c == '%' || c == '=') {
            out[j++] = '%';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        }
        else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return out;
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode into @a out (of @a len bytes); refuses bad escapes, bytes that
 * should have been encoded, NUL, and anything too long. */
static int decode(const char *s, char *out, apr_size_t len)
{
    apr_size_t j = 0;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (j + 1 >= len) {
            return 0;
        }
        if (c == '%') {
            int hi = hexdigit(s[1]), lo = hi < 0 ? -1 : hexdigit(s[2]);
            unsigned v;
            if (hi < 0 || lo < 0) {
                return 0;
            }
            v = (unsigned)(hi * 16 + lo);
            /* canonical: only what encode() would have escaped */
            if (v == 0 || (v >= 0x21 && v <= 0x7e && v != '%' && v != '=')) {
                return 0;
            }
            out[j++] = (char)v;
            s += 2;
        }
        else if (c < 0x21 || c > 0x7e || c == '=') {
            return 0;
        }
        else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return 1;
}

static const char *obj_line(apr_pool_t *p, const ipcg_obj_t *o)
{
    return apr_psprintf(p,
        "obj kind=%s id=%" APR_INT64_T_FMT " key=%d mode=%04o uid=%u gid=%u"
        " cuid=%u cgid=%u size=%" APR_UINT64_T_FMT " ctime=%" APR_INT64_T_FMT
        " ino=%" APR_UINT64_T_FMT " cpid=%" APR_INT64_T_FMT
        " owner_pid=%" APR_INT64_T_FMT " phase=%s class=%s module=%s"
        " name=%s\n",
        ipcg_kind_name(o->kind), o->id, (int)o->key, (unsigned)o->mode,
        (unsigned)o->uid, (unsigned)o->gid, (unsigned)o->cuid,
        (unsigned)o->cgid, o->size, o->ctime, o->ino, o->cpid, o->owner_pid,
        ipcg_phase_name(o->phase), ipcg_class_name(o->cls),
        encode(p, o->module), encode(p, o->name));
}

char *ipcg_state_format(apr_pool_t *p, const ipcg_state_t *st,
                        apr_size_t *len)
{
    apr_array_header_t *parts = apr_array_make(p, 16 + st->objs->nelts,
                                               sizeof(const char *));
    char *body, *text;
    int i, n = st->objs ? st->objs->nelts : 0;

#define PART(s) (*(const char **)apr_array_push(parts) = (s))
    PART(apr_psprintf(p, "ipcguard-state %d\n", IPCG_STATE_VERSION));
    PART(apr_psprintf(p, "instance %s\n", st->instance));
    PART(apr_psprintf(p, "pidfile %s\n",
                      encode(p, st->pidfile ? st->pidfile : "")));
    PART(apr_psprintf(p, "pid %" APR_INT64_T_FMT "\n", st->pid));
    PART(apr_psprintf(p, "starttime %" APR_UINT64_T_FMT "\n",
                      st->starttime));
    PART(apr_psprintf(p, "pgrp %" APR_INT64_T_FMT "\n", st->pgrp));
    PART(apr_psprintf(p, "session %" APR_INT64_T_FMT "\n", st->session));
    PART(apr_psprintf(p, "boot_id %s\n", encode(p, st->boot_id)));
    PART(apr_psprintf(p, "run_uid %u\n", (unsigned)st->run_uid));
    PART(apr_psprintf(p, "run_gid %u\n", (unsigned)st->run_gid));
    PART(apr_psprintf(p, "started %" APR_INT64_T_FMT "\n", st->started));
    PART(apr_psprintf(p, "written %" APR_INT64_T_FMT "\n", st->written));
    PART(apr_psprintf(p, "generation %" APR_UINT64_T_FMT "\n",
                      st->generation));
    for (i = 0; i < n; i++) {
        PART(obj_line(p, &APR_ARRAY_IDX(st->objs, i, ipcg_obj_t)));
    }
#undef PART
    body = apr_array_pstrcat(p, parts, 0);
    text = apr_psprintf(p, "%send %d %016" APR_UINT64_T_HEX_FMT "\n", body,
                        n, fnv1a(body, strlen(body)));
    if (len) {
        *len = strlen(text);
    }
    return text;
}

/* ---- parsing ---- */

typedef struct {
    apr_pool_t *p;
    int lineno;
    const char **why;
} pctx;

static apr_status_t bad(pctx *c, const char *what)
{
    *c->why = apr_psprintf(c->p, "line %d: %s", c->lineno, what);
    return APR_EGENERAL;
}

static int num_i64(const char *s, apr_int64_t *v)
{
    return ipcg_parse_i64(s, v) == APR_SUCCESS;
}

static int num_u64(const char *s, apr_uint64_t *v)
{
    return ipcg_parse_u64(s, v) == APR_SUCCESS;
}

static int num_u32(const char *s, apr_uint32_t *v)
{
    apr_uint64_t x;
    if (!num_u64(s, &x) || x > 0xffffffffu) {
        return 0;
    }
    *v = (apr_uint32_t)x;
    return 1;
}

static int num_pid(const char *s, apr_int64_t *v)
{
    apr_uint64_t x;
    if (!num_u64(s, &x) || x > 0x7fffffffu) {
        return 0;
    }
    *v = (apr_int64_t)x;
    return 1;
}

static apr_status_t parse_obj(pctx *c, char *rest, ipcg_obj_t *o)
{
    static const char *const keys[] = {
        "kind", "id", "key", "mode", "uid", "gid", "cuid", "cgid", "size",
        "ctime", "ino", "cpid", "owner_pid", "phase", "class", "module",
        "name"
    };
    char *tok, *last;
    int k = 0, v;

    memset(o, 0, sizeof(*o));
    for (tok = apr_strtok(rest, " ", &last); tok;
         tok = apr_strtok(NULL, " ", &last), k++) {
        char *eq = strchr(tok, '=');
        const char *val;
        apr_int64_t x;
        apr_uint64_t mode;
        if (k >= (int)(sizeof(keys) / sizeof(keys[0]))) {
            return bad(c, "too many fields");
        }
        if (eq == NULL || (apr_size_t)(eq - tok) != strlen(keys[k])
            || strncmp(tok, keys[k], strlen(keys[k])) != 0) {
            return bad(c, apr_psprintf(c->p, "expected field %s", keys[k]));
        }
        val = eq + 1;
        switch (k) {
        case 0:
            if ((v = ipcg_kind_parse(val)) < 0) {
                return bad(c, "unknown kind");
            }
            o->kind = (ipcg_kind_e)v;
            break;
        case 1:
            if (!num_i64(val, &o->id) || o->id < -1 || o->id > 0x7fffffff) {
                return bad(c, "bad value for id");
            }
            break;
        case 2:
            if (!num_i64(val, &x) || x < APR_INT32_MIN || x > APR_INT32_MAX) {
                return bad(c, "bad value for key");
            }
            o->key = (apr_int32_t)x;
            break;
        case 3:
            if (strlen(val) != 4 && strlen(val) != 5) {
                return bad(c, "bad value for mode");
            }
            mode = 0;
            for (; *val; val++) {
                if (*val < '0' || *val > '7') {
                    return bad(c, "bad value for mode");
                }
                mode = mode * 8 + (apr_uint64_t)(*val - '0');
            }
            if (mode > 07777) {
                return bad(c, "bad value for mode");
            }
            o->mode = (apr_uint32_t)mode;
            break;
        case 4: if (!num_u32(val, &o->uid)) return bad(c, "bad value for uid");
            break;
        case 5: if (!num_u32(val, &o->gid)) return bad(c, "bad value for gid");
            break;
        case 6: if (!num_u32(val, &o->cuid)) return bad(c, "bad value for cuid");
            break;
        case 7: if (!num_u32(val, &o->cgid)) return bad(c, "bad value for cgid");
            break;
        case 8: if (!num_u64(val, &o->size)) return bad(c, "bad value for size");
            break;
        case 9: if (!num_i64(val, &o->ctime)) return bad(c, "bad value for ctime");
            break;
        case 10: if (!num_u64(val, &o->ino)) return bad(c, "bad value for ino");
            break;
        case 11: if (!num_pid(val, &o->cpid)) return bad(c, "bad value for cpid");
            break;
        case 12:
            if (!num_pid(val, &o->owner_pid)) {
                return bad(c, "bad value for owner_pid");
            }
            break;
        case 13:
            if ((v = ipcg_phase_parse(val)) < 0) {
                return bad(c, "unknown phase");
            }
            o->phase = (ipcg_phase_e)v;
            break;
        case 14:
            if ((v = ipcg_class_parse(val)) < 0) {
                return bad(c, "unknown class");
            }
            o->cls = (ipcg_class_e)v;
            break;
        case 15:
            if (!decode(val, o->module, sizeof(o->module))) {
                return bad(c, "bad value for module");
            }
            break;
        case 16:
            if (!decode(val, o->name, sizeof(o->name))
                || strchr(o->name, '/') != NULL) {
                return bad(c, "bad value for name");
            }
            break;
        }
    }
    if (k != (int)(sizeof(keys) / sizeof(keys[0]))) {
        return bad(c, "missing fields");
    }
    if ((o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM)
        ? (o->id != -1 || o->name[0] == '\0' || strcmp(o->name, ".") == 0
           || strcmp(o->name, "..") == 0)
        : (o->id < 0 || o->name[0] != '\0')) {
        return bad(c, "id and name do not fit the kind");
    }
    return APR_SUCCESS;
}

static const char *const header_keys[] = {
    "ipcguard-state", "instance", "pidfile", "pid", "starttime", "pgrp",
    "session", "boot_id", "run_uid", "run_gid", "started", "written",
    "generation"
};
#define N_HEADER ((int)(sizeof(header_keys) / sizeof(header_keys[0])))

apr_status_t ipcg_state_parse(apr_pool_t *p, const char *text,
                              apr_size_t len, ipcg_state_t *st,
                              const char **why)
{
    pctx c;
    const char *line = text, *end = text + len;
    const char *ignored;
    char buf[4096];
    int count_seen = 0;

    c.p = p;
    c.lineno = 0;
    c.why = why ? why : &ignored;
    memset(st, 0, sizeof(*st));
    st->objs = apr_array_make(p, 16, sizeof(ipcg_obj_t));
    if (memchr(text, '\0', len) != NULL) {
        c.lineno = 1;
        return bad(&c, "NUL byte in the file");
    }
    if (len == 0 || text[len - 1] != '\n') {
        c.lineno = 1;
        return bad(&c, "missing final newline (truncated?)");
    }
    while (line < end) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        apr_size_t l = (apr_size_t)(nl - line);
        char *sp, *val;

        c.lineno++;
        if (l >= sizeof(buf)) {
            return bad(&c, "line too long");
        }
        memcpy(buf, line, l);
        buf[l] = '\0';
        sp = strchr(buf, ' ');
        if (sp == NULL) {
            return bad(&c, "no value");
        }
        *sp = '\0';
        val = sp + 1;
        if (c.lineno <= N_HEADER) {
            const char *k = header_keys[c.lineno - 1];
            if (strcmp(buf, k) != 0) {
                return bad(&c, apr_psprintf(p, "expected %s", k));
            }
            switch (c.lineno) {
            case 1:
                if (strcmp(val, "1") != 0) {
                    return bad(&c, "unsupported version");
                }
                break;
            case 2:
                if (strlen(val) != 16 || strspn(val, "0123456789abcdef")
                                             != 16) {
                    return bad(&c, "bad value for instance");
                }
                memcpy(st->instance, val, 17);
                break;
            case 3: {
                char *pf = apr_palloc(p, strlen(val) + 1);
                if (!decode(val, pf, strlen(val) + 1)) {
                    return bad(&c, "bad value for pidfile");
                }
                st->pidfile = pf;
                break;
            }
            case 4:
                if (!num_pid(val, &st->pid) || st->pid <= 0) {
                    return bad(&c, "bad value for pid");
                }
                break;
            case 5:
                if (!num_u64(val, &st->starttime)) {
                    return bad(&c, "bad value for starttime");
                }
                break;
            case 6:
                if (!num_pid(val, &st->pgrp)) {
                    return bad(&c, "bad value for pgrp");
                }
                break;
            case 7:
                if (!num_pid(val, &st->session)) {
                    return bad(&c, "bad value for session");
                }
                break;
            case 8:
                if (!decode(val, st->boot_id, sizeof(st->boot_id))) {
                    return bad(&c, "bad value for boot_id");
                }
                break;
            case 9:
                if (!num_u32(val, &st->run_uid)) {
                    return bad(&c, "bad value for run_uid");
                }
                break;
            case 10:
                if (!num_u32(val, &st->run_gid)) {
                    return bad(&c, "bad value for run_gid");
                }
                break;
            case 11:
                if (!num_i64(val, &st->started)) {
                    return bad(&c, "bad value for started");
                }
                break;
            case 12:
                if (!num_i64(val, &st->written)) {
                    return bad(&c, "bad value for written");
                }
                break;
            case 13:
                if (!num_u64(val, &st->generation)) {
                    return bad(&c, "bad value for generation");
                }
                break;
            }
        }
        else if (strcmp(buf, "obj") == 0) {
            ipcg_obj_t o;
            apr_status_t rv = parse_obj(&c, val, &o);
            if (rv != APR_SUCCESS) {
                return rv;
            }
            *(ipcg_obj_t *)apr_array_push(st->objs) = o;
        }
        else if (strcmp(buf, "end") == 0) {
            char *cnt = val, *sum = strchr(val, ' ');
            apr_uint64_t n;
            if (sum == NULL) {
                return bad(&c, "bad end line");
            }
            *sum++ = '\0';
            if (!num_u64(cnt, &n) || n != (apr_uint64_t)st->objs->nelts) {
                return bad(&c, "object count does not match");
            }
            if (strlen(sum) != 16 || strspn(sum, "0123456789abcdef") != 16) {
                return bad(&c, "bad checksum");
            }
            if (strcmp(sum, apr_psprintf(p, "%016" APR_UINT64_T_HEX_FMT,
                                         fnv1a(text, (apr_size_t)(line
                                                                  - text))))
                != 0) {
                return bad(&c, "checksum mismatch");
            }
            if (nl + 1 != end) {
                c.lineno++;
                return bad(&c, "data after the end line");
            }
            count_seen = 1;
            break;
        }
        else {
            return bad(&c, apr_psprintf(p, "unknown record '%s'", buf));
        }
        line = nl + 1;
    }
    if (!count_seen) {
        return bad(&c, "no end line (truncated?)");
    }
    return APR_SUCCESS;
}

/* ---- files ---- */

static apr_status_t sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int r;

    if (fd < 0) {
        return APR_FROM_OS_ERROR(errno);
    }
    r = fsync(fd);
    close(fd);
    return r == 0 ? APR_SUCCESS : APR_FROM_OS_ERROR(errno);
}

static const char *dirname_of(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return ".";
    }
    if (slash == path) {
        return "/";
    }
    return apr_pstrndup(p, path, (apr_size_t)(slash - path));
}

apr_status_t ipcg_state_write(apr_pool_t *p, const char *path,
                              const ipcg_state_t *st, const char **why)
{
    const char *dir = dirname_of(p, path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *tmp = apr_psprintf(p, "%s/.%s.tmp.%ld", dir, base,
                                   (long)getpid());
    apr_file_t *f;
    apr_size_t len, wrote;
    char *text = ipcg_state_format(p, st, &len);
    apr_status_t rv;
    const char *ignored;

    if (why == NULL) {
        why = &ignored;
    }
    apr_file_remove(tmp, p);      /* a stale temp of an earlier crash */
    rv = apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                | APR_FOPEN_EXCL | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot create %s", tmp);
        return rv;
    }
    rv = apr_file_write_full(f, text, len, &wrote);
    if (rv == APR_SUCCESS) {
        rv = apr_file_sync(f);
    }
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        apr_file_remove(tmp, p);
        *why = apr_psprintf(p, "cannot write %s", tmp);
        return rv;
    }
    rv = apr_file_close(f);
    if (rv == APR_SUCCESS) {
        rv = apr_file_rename(tmp, path, p);
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmp, p);
        *why = apr_psprintf(p, "cannot rename %s to %s", tmp, path);
        return rv;
    }
    rv = sync_dir(dir);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot sync directory %s", dir);
    }
    return rv;
}

/* Whether a directory may hold state: no symlink, the owner's, writable
 * by nobody else. */
static apr_status_t dir_safe(apr_pool_t *p, const char *dir,
                             apr_uint32_t owner_uid, const char **why)
{
    struct stat sb;

    if (lstat(dir, &sb) != 0) {
        *why = apr_psprintf(p, "directory %s: %s", dir, strerror(errno));
        return APR_FROM_OS_ERROR(errno);
    }
    if (S_ISLNK(sb.st_mode) || !S_ISDIR(sb.st_mode)) {
        *why = apr_psprintf(p, "%s is not a directory (or is a symbolic "
                            "link)", dir);
        return APR_EACCES;
    }
    if (sb.st_uid != owner_uid) {
        *why = apr_psprintf(p, "directory %s is owned by uid %u, not %u",
                            dir, (unsigned)sb.st_uid, (unsigned)owner_uid);
        return APR_EACCES;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        *why = apr_psprintf(p, "directory %s is group- or world-writable "
                            "(mode %04o)", dir, (unsigned)(sb.st_mode & 07777));
        return APR_EACCES;
    }
    return APR_SUCCESS;
}

apr_status_t ipcg_state_read(apr_pool_t *p, const char *path,
                             apr_uint32_t owner_uid, ipcg_state_t *st,
                             const char **why)
{
    struct stat sb;
    int fd;
    char *text;
    apr_size_t got = 0;
    apr_status_t rv;
    const char *ignored;

    if (why == NULL) {
        why = &ignored;
    }
    if (lstat(path, &sb) != 0) {
        if (errno == ENOENT) {
            *why = "no state file";
            return APR_ENOENT;
        }
        *why = apr_psprintf(p, "cannot stat: %s", strerror(errno));
        return APR_FROM_OS_ERROR(errno);
    }
    if (S_ISLNK(sb.st_mode)) {
        *why = "is a symbolic link";
        return APR_EACCES;
    }
    rv = dir_safe(p, dirname_of(p, path), owner_uid, why);
    if (rv != APR_SUCCESS) {
        return rv == APR_EACCES ? rv : APR_EACCES;
    }
    /* O_NOFOLLOW and fstat of what was opened: no race with a swap */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *why = apr_psprintf(p, "cannot open: %s", strerror(errno));
        return errno == ELOOP ? APR_EACCES : APR_FROM_OS_ERROR(errno);
    }
    if (fstat(fd, &sb) != 0) {
        close(fd);
        *why = "cannot stat";
        return APR_EACCES;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        *why = "is not a regular file";
        return APR_EACCES;
    }
    if (sb.st_uid != owner_uid) {
        close(fd);
        *why = apr_psprintf(p, "owned by uid %u, not %s", (unsigned)sb.st_uid,
                            owner_uid == 0 ? "root"
                                : apr_psprintf(p, "uid %u",
                                               (unsigned)owner_uid));
        return APR_EACCES;
    }
    if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
        close(fd);
        *why = apr_psprintf(p, "is group- or world-writable (mode %04o)",
                            (unsigned)(sb.st_mode & 07777));
        return APR_EACCES;
    }
    if ((apr_uint64_t)sb.st_size > IPCG_STATE_MAX_BYTES) {
        close(fd);
        *why = apr_psprintf(p, "is too large (%ld bytes, at most %u)",
                            (long)sb.st_size, IPCG_STATE_MAX_BYTES);
        return APR_EACCES;
    }
    text = apr_palloc(p, (apr_size_t)sb.st_size + 1);
    while (got < (apr_size_t)sb.st_size) {
        ssize_t n = read(fd, text + got, (apr_size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (apr_size_t)n;
    }
    close(fd);
    text[got] = '\0';
    return ipcg_state_parse(p, text, got, st, why);
}

apr_status_t ipcg_state_remove(apr_pool_t *p, const char *path)
{
    apr_status_t rv = apr_file_remove(path, p);

    return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}

apr_status_t ipcg_state_dir_ensure(apr_pool_t *p, const char *dir,
                                   apr_uint32_t owner_uid, const char **why)
{
    struct stat sb;
    const char *ignored;

    if (why == NULL) {
        why = &ignored;
    }
    if (lstat(dir, &sb) != 0) {
        apr_status_t rv;
        if (errno != ENOENT) {
            *why = apr_psprintf(p, "cannot stat %s: %s", dir,
                                strerror(errno));
            return APR_FROM_OS_ERROR(errno);
        }
        rv = apr_dir_make_recursive(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                         | APR_FPROT_UEXECUTE, p);
        if (rv != APR_SUCCESS) {
            *why = apr_psprintf(p, "cannot create %s", dir);
            return rv;
        }
        apr_file_perms_set(dir, APR_FPROT_UREAD | APR_FPROT_UWRITE
                                | APR_FPROT_UEXECUTE);
    }
    return dir_safe(p, dir, owner_uid, why);
}

apr_status_t ipcg_state_list(apr_pool_t *p, const char *dir,
                             apr_uint32_t owner_uid,
                             apr_array_header_t **states, int *refused)
{
    apr_dir_t *d;
    apr_finfo_t dent;
    apr_status_t rv;

    *states = apr_array_make(p, 4, sizeof(ipcg_state_t));
    *refused = 0;
    rv = apr_dir_open(&d, dir, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (;;) {
        apr_size_t l;
        ipcg_state_t st;
        const char *why;
        rv = apr_dir_read(&dent, APR_FINFO_NAME, d);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;
        }
        if (dent.name == NULL || dent.name[0] == '.'
            || (l = strlen(dent.name)) <= 6
            || strcmp(dent.name + l - 6, ".state") != 0) {
            continue;
        }
        if (ipcg_state_read(p, apr_pstrcat(p, dir, "/", dent.name, NULL),
                            owner_uid, &st, &why) == APR_SUCCESS) {
            *(ipcg_state_t *)apr_array_push(*states) = st;
        }
        else {
            (*refused)++;
        }
    }
    apr_dir_close(d);
    return APR_SUCCESS;
}
