/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The per-instance state file: format, strict parse, atomic write, and a
 * reader that trusts nothing root did not write. The format is described
 * line by line in docs/state-file.md; keep the two in step. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_portable.h>
#include <apr_strings.h>

#include "ipcguard/ipcg_limits.h"
#include "ipcguard/ipcg_state.h"

/* ------------------------------------------------------------------ */
/* Hashes                                                               */

#define FNV_OFFSET APR_UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME APR_UINT64_C(0x100000001b3)

/* FNV-1a, 64 bits: the instance id and the file's checksum. It finds
 * truncation and stray edits; it is no signature (the owner and mode
 * checks of the reader are what keep forged files out). */
static apr_uint64_t fnv1a_add(apr_uint64_t h, const char *s, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

apr_uint64_t ipcg_fnv1a(const char *s, apr_size_t len)
{
    return fnv1a_add(FNV_OFFSET, s, len);
}

static void hex16(apr_uint64_t v, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 15; i >= 0; i--) {
        out[i] = digits[v & 15];
        v >>= 4;
    }
    out[16] = '\0';
}

static int is_hex16(const char *s)
{
    return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

void ipcg_state_instance_id(const char *pidfile, char out[17])
{
    hex16(ipcg_fnv1a(pidfile, strlen(pidfile)), out);
}

const char *ipcg_state_path(apr_pool_t *p, const char *dir,
                            const char *instance)
{
    return apr_pstrcat(p, dir, "/", instance, ".state", NULL);
}

/* ------------------------------------------------------------------ */
/* An output buffer                                                     */

typedef struct {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap;
} sbuf_t;

static void sb_reserve(sbuf_t *b, apr_size_t more)
{
    char *bigger;
    apr_size_t cap = b->cap ? b->cap : 1024;

    if (b->len + more + 1 <= b->cap) {
        return;
    }
    while (cap < b->len + more + 1) {
        cap *= 2;
    }
    bigger = apr_palloc(b->p, cap);
    if (b->len) {
        memcpy(bigger, b->buf, b->len);
    }
    b->buf = bigger;
    b->cap = cap;
}

static void sb_add(sbuf_t *b, const char *s)
{
    apr_size_t n = strlen(s);

    sb_reserve(b, n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* Bytes that a value never holds as they are: controls, space, DEL and
 * everything above (so any byte sequence, UTF-8 or not, is kept), and
 * '%' and '=' that the syntax itself uses. */
static int must_escape(unsigned char c)
{
    return c < 0x21 || c > 0x7e || c == '%' || c == '=';
}

static int plain_byte(unsigned char c)
{
    return !must_escape(c);
}

/* Append @a s (at most @a max bytes of it, fixed buffers may lack their
 * NUL) percent-encoded, %XX in upper case. */
static void sb_add_enc(sbuf_t *b, const char *s, apr_size_t max)
{
    apr_size_t n = 0;

    while (n < max && s[n] != '\0') {
        n++;
    }
    sb_reserve(b, 3 * n);
    b->len += ipcg_pct_encode(b->buf + b->len, s, n, plain_byte);
}

/* A short, printable rendering of text taken from a file, for messages
 * (they end up in logs: no raw control bytes, no unbounded length). */
static const char *shown(apr_pool_t *p, const char *s)
{
    sbuf_t b = { p, NULL, 0, 0 };
    int cut = strlen(s) > 32;

    sb_add_enc(&b, s, 32);
    if (cut) {
        sb_add(&b, "...");
    }
    return b.buf;
}

/* ------------------------------------------------------------------ */
/* The fields                                                           */

typedef enum {
    T_U64,      /* apr_uint64_t, decimal */
    T_I64,      /* apr_int64_t, decimal, lo..hi */
    T_U32,      /* apr_uint32_t, decimal */
    T_I32,      /* apr_int32_t, decimal */
    T_MODE,     /* apr_uint32_t, exactly four octal digits */
    T_KIND,     /* ipcg_kind_e by name */
    T_PHASE,    /* ipcg_phase_e by name */
    T_CLASS,    /* ipcg_class_e by name */
    T_STR,      /* char[size], percent-encoded, no NUL */
    T_NAME,     /* as T_STR, and no '/', not "." or ".." */
    T_PSTR,     /* const char *, percent-encoded, no NUL */
    T_HEX16     /* char[17], 16 lower-case hex digits */
} ftype_e;

typedef struct {
    const char *name;
    ftype_e type;
    apr_size_t off;
    apr_size_t size;            /* T_STR, T_NAME: the buffer's size */
    apr_int64_t lo, hi;         /* T_I64 */
} field_t;

#define IPCG_PID_MAX APR_INT64_C(0x7fffffff)

#define SF(n, t, m) { n, t, offsetof(ipcg_state_t, m), \
                      sizeof(((ipcg_state_t *)0)->m), 0, 0 }
#define SR(n, m, lo, hi) { n, T_I64, offsetof(ipcg_state_t, m), \
                           sizeof(apr_int64_t), lo, hi }
/* The header, after the "ipcguard-state 1" line, in file order. */
static const field_t header_fields[] = {
    SF("instance", T_HEX16, instance),
    SF("pidfile", T_PSTR, pidfile),
    SR("pid", pid, 1, IPCG_PID_MAX),
    SF("starttime", T_U64, starttime),
    SR("pgrp", pgrp, 0, IPCG_PID_MAX),
    SR("session", session, 0, IPCG_PID_MAX),
    SF("boot_id", T_STR, boot_id),
    SF("run_uid", T_U32, run_uid),
    SF("run_gid", T_U32, run_gid),
    SR("started", started, APR_INT64_MIN, APR_INT64_MAX),
    SR("written", written, APR_INT64_MIN, APR_INT64_MAX),
    SF("generation", T_U64, generation)
};
#define N_HEADER ((int)(sizeof(header_fields) / sizeof(header_fields[0])))
#undef SF
#undef SR

#define OF(n, t, m) { n, t, offsetof(ipcg_obj_t, m), \
                      sizeof(((ipcg_obj_t *)0)->m), 0, 0 }
#define OR(n, m, lo, hi) { n, T_I64, offsetof(ipcg_obj_t, m), \
                           sizeof(apr_int64_t), lo, hi }
/* The fields of an "obj" line, in file order. */
static const field_t obj_fields[] = {
    OF("kind", T_KIND, kind),
    OR("id", id, -1, APR_INT64_C(0x7fffffff)),
    OF("key", T_I32, key),
    OF("mode", T_MODE, mode),
    OF("uid", T_U32, uid),
    OF("gid", T_U32, gid),
    OF("cuid", T_U32, cuid),
    OF("cgid", T_U32, cgid),
    OF("size", T_U64, size),
    OR("ctime", ctime, APR_INT64_MIN, APR_INT64_MAX),
    OF("ino", T_U64, ino),
    OR("cpid", cpid, 0, IPCG_PID_MAX),
    OR("owner_pid", owner_pid, 0, IPCG_PID_MAX),
    OF("phase", T_PHASE, phase),
    OF("class", T_CLASS, cls),
    OF("module", T_STR, module),
    OF("name", T_NAME, name)
};
#define N_OBJ ((int)(sizeof(obj_fields) / sizeof(obj_fields[0])))
#undef OF
#undef OR

#define AT(base, f, type) ((type *)(void *)((char *)(base) + (f)->off))
#define CAT(base, f, type) \
    ((const type *)(const void *)((const char *)(base) + (f)->off))

static void format_value(sbuf_t *b, const field_t *f, const void *base)
{
    char num[64] = "";

    switch (f->type) {
    case T_U64:
        apr_snprintf(num, sizeof(num), "%" APR_UINT64_T_FMT,
                     *CAT(base, f, apr_uint64_t));
        break;
    case T_I64:
        apr_snprintf(num, sizeof(num), "%" APR_INT64_T_FMT,
                     *CAT(base, f, apr_int64_t));
        break;
    case T_U32:
        apr_snprintf(num, sizeof(num), "%u",
                     (unsigned)*CAT(base, f, apr_uint32_t));
        break;
    case T_I32:
        apr_snprintf(num, sizeof(num), "%d", (int)*CAT(base, f, apr_int32_t));
        break;
    case T_MODE:
        apr_snprintf(num, sizeof(num), "%04o",
                     (unsigned)*CAT(base, f, apr_uint32_t));
        break;
    case T_KIND:
        sb_add(b, ipcg_kind_name(*CAT(base, f, ipcg_kind_e)));
        return;
    case T_PHASE:
        sb_add(b, ipcg_phase_name(*CAT(base, f, ipcg_phase_e)));
        return;
    case T_CLASS:
        sb_add(b, ipcg_class_name(*CAT(base, f, ipcg_class_e)));
        return;
    case T_STR:
    case T_NAME:
        sb_add_enc(b, CAT(base, f, char), f->size);
        return;
    case T_PSTR: {
        const char *s = *(const char *const *)(const void *)
            ((const char *)base + f->off);
        sb_add_enc(b, s ? s : "", (apr_size_t)-1);
        return;
    }
    case T_HEX16:
        sb_add_enc(b, CAT(base, f, char), f->size);
        return;
    }
    sb_add(b, num);
}

char *ipcg_state_format(apr_pool_t *p, const ipcg_state_t *st,
                        apr_size_t *len)
{
    sbuf_t b = { p, NULL, 0, 0 };
    int i, j, n = st->objs ? st->objs->nelts : 0;
    char num[32], sum[17];

    sb_reserve(&b, 512 + (apr_size_t)n * 256);
    apr_snprintf(num, sizeof(num), "%d", IPCG_STATE_VERSION);
    sb_add(&b, "ipcguard-state ");
    sb_add(&b, num);
    sb_add(&b, "\n");
    for (i = 0; i < N_HEADER; i++) {
        sb_add(&b, header_fields[i].name);
        sb_add(&b, " ");
        format_value(&b, &header_fields[i], st);
        sb_add(&b, "\n");
    }
    for (i = 0; i < n; i++) {
        const ipcg_obj_t *o = &APR_ARRAY_IDX(st->objs, i, ipcg_obj_t);
        sb_add(&b, "obj");
        for (j = 0; j < N_OBJ; j++) {
            sb_add(&b, " ");
            sb_add(&b, obj_fields[j].name);
            sb_add(&b, "=");
            format_value(&b, &obj_fields[j], o);
        }
        sb_add(&b, "\n");
    }
    hex16(ipcg_fnv1a(b.buf, b.len), sum);
    apr_snprintf(num, sizeof(num), "%d", n);
    sb_add(&b, "end ");
    sb_add(&b, num);
    sb_add(&b, " ");
    sb_add(&b, sum);
    sb_add(&b, "\n");
    if (len) {
        *len = b.len;
    }
    return b.buf;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

typedef struct {
    apr_pool_t *p;
    int lineno;
    const char **why;
} pctx_t;

#if defined(__GNUC__)
static apr_status_t bad(pctx_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#endif

static apr_status_t bad(pctx_t *c, const char *fmt, ...)
{
    va_list ap;
    char *what;

    va_start(ap, fmt);
    what = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
    *c->why = apr_psprintf(c->p, "line %d: %s", c->lineno, what);
    return APR_EGENERAL;
}

static apr_status_t get_u64(pctx_t *c, const char *name, const char *s,
                            apr_uint64_t max, apr_uint64_t *out)
{
    apr_uint64_t v = 0;
    const char *e = ipcg_canon_u64(s, &v);

    if (e == NULL && v > max) {
        e = "out of range";
    }
    if (e) {
        return bad(c, "bad value for %s (%s)", name, e);
    }
    *out = v;
    return APR_SUCCESS;
}

static apr_status_t get_i64(pctx_t *c, const char *name, const char *s,
                            apr_int64_t lo, apr_int64_t hi, apr_int64_t *out)
{
    apr_int64_t v = 0;
    const char *e = ipcg_canon_i64(s, &v);

    if (e == NULL && (v < lo || v > hi)) {
        e = "out of range";
    }
    if (e) {
        return bad(c, "bad value for %s (%s)", name, e);
    }
    *out = v;
    return APR_SUCCESS;
}

/* Decode @a s into @a out of @a cap bytes (NUL included). Only what
 * sb_add_enc() writes is accepted, so that formatting gives the same
 * bytes back: upper-case escapes, each for a byte that needs one. */
static apr_status_t decode(pctx_t *c, const char *name, const char *s,
                           char *out, apr_size_t cap)
{
    const char *at = s;
    char hx[3];

    switch (ipcg_pct_decode(s, out, cap, plain_byte, &at)) {
    case IPCG_PCT_OK:
        return APR_SUCCESS;
    case IPCG_PCT_TOO_LONG:
        return bad(c, "%s longer than %lu bytes", name,
                   (unsigned long)(cap - 1));
    case IPCG_PCT_BAD_ESCAPE:
        return bad(c, "bad percent-escape in %s", name);
    case IPCG_PCT_NUL:
        return bad(c, "NUL byte in %s", name);
    case IPCG_PCT_NEEDLESS:
        hx[0] = at[1];
        hx[1] = at[2];
        hx[2] = '\0';
        return bad(c, "bad percent-escape in %s (%%%c%c stands for '%c', "
                   "which is written as it is)", name, at[1], at[2],
                   (char)strtoul(hx, NULL, 16));
    default:
        return bad(c, "unescaped byte 0x%02X in %s",
                   (unsigned)(unsigned char)*at, name);
    }
}

/* The numbers: canonical decimal in the field's range; the mode: four
 * octal digits. */
static apr_status_t parse_number(pctx_t *c, const field_t *f, const char *s,
                                 void *base)
{
    apr_uint64_t u = 0;
    apr_int64_t i = 0;
    apr_status_t rv;

    switch (f->type) {
    case T_U64:
        return get_u64(c, f->name, s, APR_UINT64_MAX, AT(base, f,
                                                         apr_uint64_t));
    case T_I64:
        return get_i64(c, f->name, s, f->lo, f->hi, AT(base, f, apr_int64_t));
    case T_U32:
        if ((rv = get_u64(c, f->name, s, APR_UINT32_MAX, &u))
            == APR_SUCCESS) {
            *AT(base, f, apr_uint32_t) = (apr_uint32_t)u;
        }
        return rv;
    case T_I32:
        if ((rv = get_i64(c, f->name, s, APR_INT32_MIN, APR_INT32_MAX, &i))
            == APR_SUCCESS) {
            *AT(base, f, apr_int32_t) = (apr_int32_t)i;
        }
        return rv;
    default:
        if (strlen(s) != 4 || strspn(s, "01234567") != 4) {
            return bad(c, "bad value for %s (not four octal digits)",
                       f->name);
        }
        *AT(base, f, apr_uint32_t) = (apr_uint32_t)strtoul(s, NULL, 8);
        return APR_SUCCESS;
    }
}

/* The words: a kind, a phase or a class by its name. */
static apr_status_t parse_word(pctx_t *c, const field_t *f, const char *s,
                               void *base)
{
    int v;

    switch (f->type) {
    case T_KIND:
        if ((v = ipcg_kind_parse(s)) < 0) {
            return bad(c, "unknown kind '%s'", shown(c->p, s));
        }
        *AT(base, f, ipcg_kind_e) = (ipcg_kind_e)v;
        return APR_SUCCESS;
    case T_PHASE:
        if ((v = ipcg_phase_parse(s)) < 0) {
            return bad(c, "unknown phase '%s'", shown(c->p, s));
        }
        *AT(base, f, ipcg_phase_e) = (ipcg_phase_e)v;
        return APR_SUCCESS;
    default:
        if ((v = ipcg_class_parse(s)) < 0) {
            return bad(c, "unknown class '%s'", shown(c->p, s));
        }
        *AT(base, f, ipcg_class_e) = (ipcg_class_e)v;
        return APR_SUCCESS;
    }
}

/* The texts: percent-encoded strings, an object name, an instance id. */
static apr_status_t parse_text(pctx_t *c, const field_t *f, const char *s,
                               void *base)
{
    apr_status_t rv;

    switch (f->type) {
    case T_STR:
        return decode(c, f->name, s, AT(base, f, char), f->size);
    case T_NAME: {
        char *out = AT(base, f, char);
        if ((rv = decode(c, f->name, s, out, f->size)) != APR_SUCCESS) {
            return rv;
        }
        if (strchr(out, '/') != NULL) {
            return bad(c, "'/' in %s", f->name);
        }
        if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
            return bad(c, "bad value for %s ('%s')", f->name, out);
        }
        return APR_SUCCESS;
    }
    case T_PSTR: {
        apr_size_t n = strlen(s) + 1;
        char *out = apr_palloc(c->p, n);
        if ((rv = decode(c, f->name, s, out, n)) == APR_SUCCESS) {
            *AT(base, f, const char *) = out;
        }
        return rv;
    }
    default:
        if (!is_hex16(s)) {
            return bad(c, "bad value for %s (not 16 lower-case hex digits)",
                       f->name);
        }
        memcpy(AT(base, f, char), s, 17);
        return APR_SUCCESS;
    }
}

static apr_status_t parse_value(pctx_t *c, const field_t *f, const char *s,
                                void *base)
{
    switch (f->type) {
    case T_U64:
    case T_I64:
    case T_U32:
    case T_I32:
    case T_MODE:
        return parse_number(c, f, s, base);
    case T_KIND:
    case T_PHASE:
    case T_CLASS:
        return parse_word(c, f, s, base);
    case T_STR:
    case T_NAME:
    case T_PSTR:
    case T_HEX16:
        return parse_text(c, f, s, base);
    }
    return bad(c, "internal error: field %s", f->name);
}

static int find_field(const field_t *fields, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++) {
        if (strcmp(fields[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* A name=value token that is not the expected field @a want. */
static apr_status_t misplaced(pctx_t *c, const char *name, int want)
{
    int k = find_field(obj_fields, N_OBJ, name);

    if (k < 0) {
        return bad(c, "unknown field '%s'", shown(c->p, name));
    }
    if (k < want) {
        return bad(c, "duplicate field '%s'", name);
    }
    return bad(c, "missing field '%s' (found '%s')", obj_fields[want].name,
               name);
}

/* The fields of an "obj" line: @a s is what follows "obj ". Fields are
 * separated by exactly one space, all present, in order. */
static apr_status_t parse_obj(pctx_t *c, char *s, ipcg_obj_t *o)
{
    char *tok = s;
    int k;
    apr_status_t rv;
    int posix;

    memset(o, 0, sizeof(*o));
    for (k = 0; k < N_OBJ; k++) {
        char *sp, *eq, *next = NULL;
        if (tok == NULL) {
            return bad(c, "missing field '%s'", obj_fields[k].name);
        }
        if ((sp = strchr(tok, ' ')) != NULL) {
            *sp = '\0';
            next = sp + 1;
        }
        if (*tok == '\0') {
            return bad(c, "empty field (two spaces, or a space at the "
                       "end?)");
        }
        if ((eq = strchr(tok, '=')) == NULL) {
            return bad(c, "field '%s' has no '='", shown(c->p, tok));
        }
        *eq = '\0';
        if (strcmp(tok, obj_fields[k].name) != 0) {
            return misplaced(c, tok, k);
        }
        rv = parse_value(c, &obj_fields[k], eq + 1, o);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        tok = next;
    }
    if (tok != NULL) {
        char *eq;
        if (*tok == '\0' || *tok == ' ') {
            return bad(c, "empty field (two spaces, or a space at the "
                       "end?)");
        }
        if ((eq = strchr(tok, ' ')) != NULL) {
            *eq = '\0';
        }
        if ((eq = strchr(tok, '=')) == NULL) {
            return bad(c, "field '%s' has no '='", shown(c->p, tok));
        }
        *eq = '\0';
        return misplaced(c, tok, N_OBJ);
    }
    posix = o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM;
    if (posix && o->id != -1) {
        return bad(c, "bad value for id (a %s has id -1)",
                   ipcg_kind_name(o->kind));
    }
    if (posix && o->name[0] == '\0') {
        return bad(c, "bad value for name (a %s needs one)",
                   ipcg_kind_name(o->kind));
    }
    if (!posix && o->id < 0) {
        return bad(c, "bad value for id (a %s has an id)",
                   ipcg_kind_name(o->kind));
    }
    if (!posix && o->name[0] != '\0') {
        return bad(c, "bad value for name (a %s has none)",
                   ipcg_kind_name(o->kind));
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The fast path for "obj" lines                                        */

/* A state file of ten thousand objects is read at every start: its obj
 * lines are read here in one pass, without copying, splitting or
 * allocating. This path accepts only what parse_obj() accepts, and fills
 * the object the same way; anything else (an escape, a value out of
 * range, a misplaced field) it leaves to parse_obj(), which then says
 * exactly what is wrong. */

/* "name=" at *s: step over it. Compared byte by byte, so that a short
 * last line stops the comparison at its newline instead of reading past
 * the end of the text. */
static int fast_key(const char **s, const char *name, apr_size_t len)
{
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if ((*s)[i] != name[i]) {
            return 0;
        }
    }
    if ((*s)[len] != '=') {
        return 0;
    }
    *s += len + 1;
    return 1;
}

/* The end of a value: the space before the next field, or the line's
 * end (its newline, read in place) after the last one. */
static int fast_end(const char **s, int last)
{
    if (last) {
        return **s == '\n' || **s == '\0';
    }
    if (**s != ' ') {
        return 0;
    }
    (*s)++;
    return 1;
}

/* A canonical decimal number: digits, no leading zero, a '-' only when
 * @a sign_ok and before a number that is not zero; within lo..hi. */
static int fast_num(const char **s, int sign_ok, apr_int64_t lo,
                    apr_int64_t hi, apr_uint64_t umax, int is_signed,
                    void *out)
{
    const char *p = *s;
    apr_uint64_t v = 0;
    int neg = 0, n = 0;

    if (sign_ok && *p == '-') {
        neg = 1;
        p++;
    }
    if (*p == '0' && (neg || (p[1] >= '0' && p[1] <= '9'))) {
        return 0;
    }
    while (*p >= '0' && *p <= '9') {
        if (++n > 18) {
            return 0;                   /* the slow path knows the limits */
        }
        v = v * 10 + (apr_uint64_t)(*p - '0');
        p++;
    }
    if (n == 0) {
        return 0;
    }
    if (is_signed) {
        apr_int64_t x = neg ? -(apr_int64_t)v : (apr_int64_t)v;
        if (x < lo || x > hi) {
            return 0;
        }
        *(apr_int64_t *)out = x;
    }
    else {
        if (v > umax) {
            return 0;
        }
        *(apr_uint64_t *)out = v;
    }
    *s = p;
    return 1;
}

/* A value of bytes that need no escape, up to the next space or the
 * end, into @a out of @a cap bytes. */
static int fast_str(const char **s, char *out, apr_size_t cap)
{
    const char *p = *s;
    apr_size_t n = 0;

    while (*p != ' ' && *p != '\n' && *p != '\0') {
        if (must_escape((unsigned char)*p) || n + 1 >= cap) {
            return 0;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    *s = p;
    return 1;
}

/* A name from a table (kind, phase, class) into a small buffer. */
static int fast_word(const char **s, char *out, apr_size_t cap)
{
    return fast_str(s, out, cap);
}

#define FAST_U(field, umax) \
    do { apr_uint64_t u_; \
         if (!fast_num(&s, 0, 0, 0, (umax), 0, &u_)) return 0; \
         (field) = u_; } while (0)
#define FAST_I(field, lo, hi) \
    do { apr_int64_t i_; \
         if (!fast_num(&s, 1, (lo), (hi), 0, 1, &i_)) return 0; \
         (field) = i_; } while (0)
#define FAST_KEY(name) \
    do { if (!fast_key(&s, name, sizeof(name) - 1)) return 0; } while (0)
#define FAST_NEXT() do { if (!fast_end(&s, 0)) return 0; } while (0)

/* The obj line's fields from kind to cgid, and the separator after
 * them; @a sp moves past what was read. */
static int fast_obj_head(const char **sp, ipcg_obj_t *o)
{
    const char *s = *sp;
    char word[32];
    int v;

    FAST_KEY("kind");
    if (!fast_word(&s, word, sizeof(word))
        || (v = ipcg_kind_parse(word)) < 0) {
        return 0;
    }
    o->kind = (ipcg_kind_e)v;
    FAST_NEXT();
    FAST_KEY("id");
    FAST_I(o->id, -1, APR_INT64_C(0x7fffffff));
    FAST_NEXT();
    FAST_KEY("key");
    FAST_I(o->key, APR_INT32_MIN, APR_INT32_MAX);
    FAST_NEXT();
    FAST_KEY("mode");
    if (s[0] < '0' || s[0] > '7' || s[1] < '0' || s[1] > '7'
        || s[2] < '0' || s[2] > '7' || s[3] < '0' || s[3] > '7') {
        return 0;
    }
    o->mode = (apr_uint32_t)(((s[0] - '0') << 9) | ((s[1] - '0') << 6)
                             | ((s[2] - '0') << 3) | (s[3] - '0'));
    s += 4;
    FAST_NEXT();
    FAST_KEY("uid");
    FAST_U(o->uid, APR_UINT32_MAX);
    FAST_NEXT();
    FAST_KEY("gid");
    FAST_U(o->gid, APR_UINT32_MAX);
    FAST_NEXT();
    FAST_KEY("cuid");
    FAST_U(o->cuid, APR_UINT32_MAX);
    FAST_NEXT();
    FAST_KEY("cgid");
    FAST_U(o->cgid, APR_UINT32_MAX);
    FAST_NEXT();
    *sp = s;
    return 1;
}

/* The obj line's fields from size to the end of the line. */
static int fast_obj_tail(const char *s, ipcg_obj_t *o)
{
    char word[32];
    int v, posix;

    FAST_KEY("size");
    FAST_U(o->size, APR_UINT64_MAX);
    FAST_NEXT();
    FAST_KEY("ctime");
    FAST_I(o->ctime, APR_INT64_MIN, APR_INT64_MAX);
    FAST_NEXT();
    FAST_KEY("ino");
    FAST_U(o->ino, APR_UINT64_MAX);
    FAST_NEXT();
    FAST_KEY("cpid");
    FAST_I(o->cpid, 0, IPCG_PID_MAX);
    FAST_NEXT();
    FAST_KEY("owner_pid");
    FAST_I(o->owner_pid, 0, IPCG_PID_MAX);
    FAST_NEXT();
    FAST_KEY("phase");
    if (!fast_word(&s, word, sizeof(word))
        || (v = ipcg_phase_parse(word)) < 0) {
        return 0;
    }
    o->phase = (ipcg_phase_e)v;
    FAST_NEXT();
    FAST_KEY("class");
    if (!fast_word(&s, word, sizeof(word))
        || (v = ipcg_class_parse(word)) < 0) {
        return 0;
    }
    o->cls = (ipcg_class_e)v;
    FAST_NEXT();
    FAST_KEY("module");
    if (!fast_str(&s, o->module, sizeof(o->module))) {
        return 0;
    }
    FAST_NEXT();
    FAST_KEY("name");
    if (!fast_str(&s, o->name, sizeof(o->name)) || !fast_end(&s, 1)
        || strchr(o->name, '/') != NULL || strcmp(o->name, ".") == 0
        || strcmp(o->name, "..") == 0) {
        return 0;
    }
    posix = o->kind == IPCG_POSIX_SHM || o->kind == IPCG_POSIX_SEM;
    return posix ? (o->id == -1 && o->name[0] != '\0')
                 : (o->id >= 0 && o->name[0] == '\0');
}

/* The obj line @a s (what follows "obj ") into @a o; 0: let parse_obj()
 * judge it. */
static int fast_obj(const char *s, ipcg_obj_t *o)
{
    /* every field, and the name as an empty string: its 256 bytes are
     * most of the object, and a SysV object's stay unused */
    memset(o, 0, offsetof(ipcg_obj_t, name));
    o->name[0] = '\0';
    return fast_obj_head(&s, o) && fast_obj_tail(s, o);
}

#undef FAST_U
#undef FAST_I
#undef FAST_KEY
#undef FAST_NEXT

/* The "end <count> <checksum>" line; @a s is what follows "end ", @a body
 * the checksum of everything before the line. */
static apr_status_t parse_end(pctx_t *c, char *s, int nobjs,
                              apr_uint64_t body)
{
    char *sum = strchr(s, ' ');
    apr_uint64_t n = 0;
    char want[17];
    apr_status_t rv;

    if (sum == NULL) {
        return bad(c, "bad end line (expected 'end <count> <checksum>')");
    }
    *sum++ = '\0';
    if ((rv = get_u64(c, "count", s, APR_INT32_MAX, &n)) != APR_SUCCESS) {
        return rv;
    }
    if (!is_hex16(sum)) {
        return bad(c, "bad checksum '%s' (not 16 lower-case hex digits)",
                   shown(c->p, sum));
    }
    if (n != (apr_uint64_t)nobjs) {
        return bad(c, "object count %" APR_UINT64_T_FMT " does not match "
                   "the %d obj lines", n, nobjs);
    }
    hex16(body, want);
    if (strcmp(sum, want) != 0) {
        return bad(c, "checksum mismatch (the file says %s, its content "
                   "hashes to %s)", sum, want);
    }
    return APR_SUCCESS;
}

static int count_lines(const char *text, apr_size_t len)
{
    const char *s = text, *end = text + len;
    int n = 1;

    while (s < end && (s = memchr(s, '\n', (apr_size_t)(end - s))) != NULL) {
        n++;
        s++;
    }
    return n;
}

/* Where the parse is: which header line comes next, whether the end line
 * was read, and the checksum of the lines before the current one. */
typedef struct {
    int next_hdr;               /* -1: the version line is next */
    int ended;
    apr_uint64_t sum;           /* FNV-1a of the lines read so far */
} ppos_t;

/* The file as a whole: not empty, no NUL byte, a final newline. */
static apr_status_t check_text(pctx_t *c, const char *text, apr_size_t len)
{
    const char *nul;

    if (len == 0) {
        return bad(c, "empty file");
    }
    if ((nul = memchr(text, '\0', len)) != NULL) {
        c->lineno = count_lines(text, (apr_size_t)(nul - text));
        return bad(c, "NUL byte");
    }
    if (text[len - 1] != '\n') {
        c->lineno = count_lines(text, len);
        return bad(c, "missing final newline (truncated?)");
    }
    return APR_SUCCESS;
}

static apr_status_t parse_version(pctx_t *c, const char *key,
                                  const char *val)
{
    apr_uint64_t v = 0;
    apr_status_t rv;

    if (strcmp(key, "ipcguard-state") != 0 || val == NULL) {
        return bad(c, "not an ipcguard state file (expected "
                   "'ipcguard-state %d')", IPCG_STATE_VERSION);
    }
    if ((rv = get_u64(c, "version", val, APR_UINT64_MAX, &v))
        != APR_SUCCESS) {
        return rv;
    }
    if (v != IPCG_STATE_VERSION) {
        return bad(c, "unsupported version %" APR_UINT64_T_FMT
                   " (this reader knows %d)", v, IPCG_STATE_VERSION);
    }
    return APR_SUCCESS;
}

/* Header line @a h of header_fields, which must be the next one. */
static apr_status_t parse_header(pctx_t *c, ipcg_state_t *st, ppos_t *pos,
                                 int h, const char *key, const char *val)
{
    apr_status_t rv;

    if (h < pos->next_hdr) {
        return bad(c, "duplicate header line '%s'", key);
    }
    if (h > pos->next_hdr) {
        return bad(c, "missing header line '%s' (found '%s')",
                   header_fields[pos->next_hdr].name, key);
    }
    if (val == NULL) {
        return bad(c, "no value for %s", key);
    }
    if ((rv = parse_value(c, &header_fields[h], val, st)) != APR_SUCCESS) {
        return rv;
    }
    pos->next_hdr++;
    return APR_SUCCESS;
}

/* An obj or end line, after every header line. @a o: the place the fast
 * path took for this obj line, or NULL. */
static apr_status_t parse_body(pctx_t *c, ipcg_state_t *st, ppos_t *pos,
                               const char *key, char *val, ipcg_obj_t *o)
{
    apr_status_t rv;

    if (pos->next_hdr < N_HEADER) {
        return bad(c, "missing header line '%s' (found '%s')",
                   header_fields[pos->next_hdr].name, key);
    }
    if (val == NULL) {
        return bad(c, "%s line without fields", key);
    }
    if (key[0] == 'o') {
        return parse_obj(c, val, o ? o : ipcg_objs_push(st->objs));
    }
    if ((rv = parse_end(c, val, st->objs->nelts, pos->sum)) != APR_SUCCESS) {
        return rv;
    }
    pos->ended = 1;
    return APR_SUCCESS;
}

/* One line the fast path did not take, from a copy split at its first
 * space into key and value. */
static apr_status_t parse_line(pctx_t *c, ipcg_state_t *st, ppos_t *pos,
                               char *key, ipcg_obj_t *o)
{
    char *val = NULL, *sp;
    int h;

    if ((sp = strchr(key, ' ')) != NULL) {
        *sp = '\0';
        val = sp + 1;
    }
    if (pos->next_hdr < 0) {
        apr_status_t rv = parse_version(c, key, val);
        pos->next_hdr = rv == APR_SUCCESS ? 0 : -1;
        return rv;
    }
    if (strcmp(key, "ipcguard-state") == 0) {
        return bad(c, "duplicate header line 'ipcguard-state'");
    }
    if ((h = find_field(header_fields, N_HEADER, key)) >= 0) {
        return parse_header(c, st, pos, h, key, val);
    }
    if (strcmp(key, "obj") == 0 || strcmp(key, "end") == 0) {
        return parse_body(c, st, pos, key, val, o);
    }
    if (key[0] == '\0') {
        return bad(c, "empty line or line starting with a space");
    }
    return bad(c, "unknown key '%s'", shown(c->p, key));
}

/* What a text without its end line lacks. */
static apr_status_t missing_end(pctx_t *c, const ppos_t *pos)
{
    c->lineno++;
    if (pos->next_hdr < 0) {
        return bad(c, "missing header line 'ipcguard-state' (truncated?)");
    }
    if (pos->next_hdr < N_HEADER) {
        return bad(c, "missing header line '%s' (truncated?)",
                   header_fields[pos->next_hdr].name);
    }
    return bad(c, "missing end line (truncated?)");
}

/* A parse fed its text in pieces of whole lines. */
typedef struct {
    pctx_t c;
    ppos_t pos;
    ipcg_state_t *st;
} parser_t;

/* Starts a parse into @a st with room for @a nobjs objects. */
static void parser_init(parser_t *ps, apr_pool_t *p, ipcg_state_t *st,
                        const char **why, int nobjs)
{
    memset(ps, 0, sizeof(*ps));
    ps->c.p = p;
    ps->c.why = why;
    ps->st = st;
    memset(st, 0, sizeof(*st));
    st->pidfile = "";
    /* room for every object at once: no copying as the array grows, and
     * no zeroing of what each object line fills whole */
    st->objs = ipcg_objs_make(p, nobjs);
    ps->pos.next_hdr = -1;
    ps->pos.sum = FNV_OFFSET;
}

/* The lines of @a text, @a len bytes that end with a newline. */
static apr_status_t parse_lines(parser_t *ps, const char *text,
                                apr_size_t len)
{
    pctx_t *c = &ps->c;
    ppos_t *pos = &ps->pos;
    const char *line, *end = text + len;

    for (line = text; line < end; ) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        apr_size_t n = (apr_size_t)(nl - line);
        ipcg_obj_t *o = NULL;
        apr_status_t rv;

        c->lineno++;
        if (pos->ended) {
            return bad(c, "data after the end line");
        }
        /* an obj line is read where it is; the others, and any obj line
         * the fast path leaves to the strict one, from a copy */
        if (pos->next_hdr == N_HEADER && n > 4
            && memcmp(line, "obj ", 4) == 0) {
            o = ipcg_objs_push(ps->st->objs);
        }
        if (o == NULL || !fast_obj(line + 4, o)) {
            rv = parse_line(c, ps->st, pos, apr_pstrmemdup(c->p, line, n), o);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        pos->sum = fnv1a_add(pos->sum, line, n + 1);
        line = nl + 1;
    }
    return APR_SUCCESS;
}

static apr_status_t parser_end(parser_t *ps)
{
    return ps->pos.ended ? APR_SUCCESS : missing_end(&ps->c, &ps->pos);
}

apr_status_t ipcg_state_parse(apr_pool_t *p, const char *text,
                              apr_size_t len, ipcg_state_t *st,
                              const char **why)
{
    parser_t ps;
    const char *ignored = NULL;
    apr_status_t rv;

    parser_init(&ps, p, st, why ? why : &ignored, count_lines(text, len));
    ps.c.lineno = 1;
    if ((rv = check_text(&ps.c, text, len)) != APR_SUCCESS) {
        return rv;
    }
    ps.c.lineno = 0;
    if ((rv = parse_lines(&ps, text, len)) != APR_SUCCESS) {
        return rv;
    }
    return parser_end(&ps);
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

#define PERM_0600 (APR_FPROT_UREAD | APR_FPROT_UWRITE)
#define PERM_0700 (APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_UEXECUTE)

static const char *type_name(apr_filetype_e t)
{
    switch (t) {
    case APR_REG: return "a regular file";
    case APR_DIR: return "a directory";
    case APR_CHR: return "a character device";
    case APR_BLK: return "a block device";
    case APR_PIPE: return "a FIFO";
    case APR_LNK: return "a symbolic link";
    case APR_SOCK: return "a socket";
    default: return "of an unknown type";
    }
}

/* The text of an APR status, for messages. */
static const char *err(apr_pool_t *p, apr_status_t rv)
{
    char buf[256];

    return apr_pstrdup(p, apr_strerror(rv, buf, sizeof(buf)));
}

static const char *uid_name(apr_pool_t *p, apr_uint32_t uid)
{
    return uid == 0 ? "root" : apr_psprintf(p, "uid %u", (unsigned)uid);
}

static const char *dirname_of(apr_pool_t *p, const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL) {
        return ".";
    }
    while (slash > path && slash[-1] == '/') {
        slash--;
    }
    if (slash == path) {
        return "/";
    }
    return apr_pstrndup(p, path, (apr_size_t)(slash - path));
}

/* Whether a directory may hold state files: a directory itself (not a
 * symlink to one), owned by @a owner_uid, writable by nobody else (so
 * nobody else can put, swap or remove a file in it). */
static apr_status_t dir_safe(apr_pool_t *p, const char *dir,
                             apr_uint32_t owner_uid, const char **why)
{
    apr_finfo_t fi;
    apr_status_t rv;
    unsigned mode;

    rv = apr_stat(&fi, dir, APR_FINFO_LINK | APR_FINFO_TYPE
                            | APR_FINFO_OWNER | APR_FINFO_PROT, p);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        *why = apr_psprintf(p, "cannot stat directory %s: %s", dir,
                            err(p, rv));
        return rv;
    }
    if (!(fi.valid & APR_FINFO_TYPE) || !(fi.valid & APR_FINFO_USER)
        || !(fi.valid & APR_FINFO_UPROT)) {
        *why = apr_psprintf(p, "cannot stat directory %s", dir);
        return APR_EACCES;
    }
    if (fi.filetype != APR_DIR) {
        *why = apr_psprintf(p, "directory %s is %s, not a directory", dir,
                            type_name(fi.filetype));
        return APR_EACCES;
    }
    if ((apr_uint32_t)fi.user != owner_uid) {
        *why = apr_psprintf(p, "directory %s is owned by uid %u, not %s",
                            dir, (unsigned)fi.user,
                            uid_name(p, owner_uid));
        return APR_EACCES;
    }
    mode = ipcg_unix_mode(fi.protection);
    if (mode & 022) {
        *why = apr_psprintf(p, "directory %s is group- or world-writable "
                            "(mode %04o)", dir, mode);
        return APR_EACCES;
    }
    return APR_SUCCESS;
}

/* Sync a directory, so that a rename in it is durable. Some file systems
 * cannot sync a directory (EINVAL): that is no error. */
static apr_status_t sync_dir(apr_pool_t *p, const char *dir)
{
    apr_file_t *d;
    apr_status_t rv;

    rv = apr_file_open(&d, dir, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;
        if (fd < 0) {
            return APR_FROM_OS_ERROR(errno);
        }
        r = fsync(fd);
        rv = (r == 0 || errno == EINVAL) ? APR_SUCCESS
                                         : APR_FROM_OS_ERROR(errno);
        close(fd);
        return rv;
    }
    rv = apr_file_sync(d);
    apr_file_close(d);
    return APR_STATUS_IS_EINVAL(rv) ? APR_SUCCESS : rv;
}

/* No fsync: the objects the file names do not outlive a reboot, and the
 * page cache outlives the process; a kill -9 just after a module
 * allocates is what the file must survive, and sooner is better. */
apr_status_t ipcg_state_write(apr_pool_t *p, const char *path,
                              const ipcg_state_t *st, const char **why)
{
    apr_pool_t *sub;
    const char *ignored = NULL;
    apr_size_t len;
    char *text;
    apr_status_t rv;

    if (why == NULL) {
        why = &ignored;
    }
    if (apr_pool_create(&sub, p) != APR_SUCCESS) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    text = ipcg_state_format(sub, st, &len);
    rv = ipcg_state_write_text(p, path, text, len, why);
    apr_pool_destroy(sub);
    return rv;
}

apr_status_t ipcg_state_write_text(apr_pool_t *p, const char *path,
                                   const char *text, apr_size_t len,
                                   const char **why)
{
    apr_pool_t *sub;
    const char *ignored = NULL, *bad_why = NULL;
    ipcg_state_t check;

    if (why == NULL) {
        why = &ignored;
    }
    if (apr_pool_create(&sub, p) != APR_SUCCESS) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    /* never leave a file behind that the next start would refuse */
    if (ipcg_state_parse(sub, text, len, &check, &bad_why) != APR_SUCCESS) {
        *why = apr_psprintf(p, "the state would not read back: %s",
                            bad_why);
        apr_pool_destroy(sub);
        return APR_EINVAL;
    }
    apr_pool_destroy(sub);
    return ipcg_file_write_atomic(p, path, text, len, 0, why);
}

/* Where the line that starts with @a key begins in @a text (at its start
 * or after a newline), and where it ends (after its newline): 1 if found. */
static int line_span(const char *text, apr_size_t len, const char *key,
                     apr_size_t *from, apr_size_t *to)
{
    apr_size_t k = strlen(key), i = 0;

    while (i + k <= len) {
        const char *nl = memchr(text + i, '\n', len - i);
        apr_size_t end = nl ? (apr_size_t)(nl - text) + 1 : len;
        if (memcmp(text + i, key, k) == 0) {
            *from = i;
            *to = end;
            return 1;
        }
        i = end;
    }
    return 0;
}

apr_uint64_t ipcg_state_content_sum(const char *text, apr_size_t len)
{
    apr_size_t w0 = 0, w1 = 0, end = len;
    apr_uint64_t h;

    /* the "end" line is the last one */
    while (end > 0 && (end == len || text[end - 1] != '\n')) {
        end--;
    }
    if (len - end < 4 || memcmp(text + end, "end ", 4) != 0) {
        end = len;
    }
    if (!line_span(text, end, "written ", &w0, &w1)) {
        w0 = w1 = 0;
    }
    h = fnv1a_add(FNV_OFFSET, text, w0);
    h = fnv1a_add(h, text + w1, end - w1);
    return h ? h : 1;
}


/* Create @a path, which must not exist, for writing, mode 0600. */
static apr_status_t open_new(apr_file_t **f, const char *path, apr_pool_t *p)
{
    return apr_file_open(f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                  | APR_FOPEN_EXCL | APR_FOPEN_BINARY,
                         PERM_0600, p);
}

apr_status_t ipcg_file_write_atomic(apr_pool_t *p, const char *path,
                                    const char *text, apr_size_t len,
                                    int durable, const char **why)
{
    apr_pool_t *sub;
    const char *dir, *base, *tmp, *ignored = NULL;
    apr_file_t *f;
    apr_status_t rv;

    if (why == NULL) {
        why = &ignored;
    }
    if (apr_pool_create(&sub, p) != APR_SUCCESS) {
        *why = "out of memory";
        return APR_ENOMEM;
    }
    dir = dirname_of(sub, path);
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    tmp = apr_psprintf(sub, "%s/.%s.tmp.%ld", dir, base, (long)getpid());

    /* EXCL makes sure that what we open is a file we made; a temp file of
     * ours left by a crash (same pid, reused) goes first */
    rv = open_new(&f, tmp, sub);
    if (APR_STATUS_IS_EEXIST(rv)) {
        apr_file_remove(tmp, sub);
        rv = open_new(&f, tmp, sub);
    }
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot create %s: %s", tmp, err(p, rv));
        apr_pool_destroy(sub);
        return rv;
    }
    rv = apr_file_write_full(f, text, len, NULL);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot write %s: %s", tmp, err(p, rv));
    }
    else if (durable && (rv = apr_file_sync(f)) != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot sync %s: %s", tmp, err(p, rv));
    }
    if (rv != APR_SUCCESS) {
        apr_file_close(f);
        apr_file_remove(tmp, sub);
        apr_pool_destroy(sub);
        return rv;
    }
    if ((rv = apr_file_close(f)) != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot close %s: %s", tmp, err(p, rv));
    }
    else if ((rv = apr_file_rename(tmp, path, sub)) != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot rename %s to %s: %s", tmp, path,
                            err(p, rv));
    }
    if (rv != APR_SUCCESS) {
        apr_file_remove(tmp, sub);
        apr_pool_destroy(sub);
        return rv;
    }
    if (durable && (rv = sync_dir(sub, dir)) != APR_SUCCESS) {
        *why = apr_psprintf(p, "cannot sync directory %s: %s", dir,
                            err(p, rv));
    }
    apr_pool_destroy(sub);
    return rv;
}

/* The checks on the file itself, made on the lstat before opening and
 * again on the fstat of what was opened. */
static apr_status_t file_safe(apr_pool_t *p, int is_link, int is_reg,
                              const char *type, apr_uint32_t uid,
                              unsigned mode, apr_uint64_t size,
                              apr_uint32_t owner_uid, const char **why)
{
    if (is_link) {
        *why = "is a symbolic link";
        return APR_EACCES;
    }
    if (!is_reg) {
        *why = apr_psprintf(p, "is not a regular file (it is %s)", type);
        return APR_EACCES;
    }
    if (uid != owner_uid) {
        *why = apr_psprintf(p, "owned by uid %u, not %s", (unsigned)uid,
                            uid_name(p, owner_uid));
        return APR_EACCES;
    }
    if (mode & 022) {
        *why = apr_psprintf(p, "is group- or world-writable (mode %04o)",
                            mode & 07777);
        return APR_EACCES;
    }
    if (size > IPCG_STATE_MAX_BYTES) {
        *why = apr_psprintf(p, "is too large (%" APR_UINT64_T_FMT " bytes, "
                            "at most %" APR_UINT64_T_FMT ")", size,
                            IPCG_STATE_MAX_BYTES);
        return APR_EACCES;
    }
    return APR_SUCCESS;
}

static const char *stat_type(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "of an unknown type";
}

/* The file by its path, and its directory: not a link, a regular file
 * of @a owner_uid that nobody else may write, not too large. */
static apr_status_t path_safe(apr_pool_t *p, const char *path,
                              apr_uint32_t owner_uid, const char **why)
{
    apr_finfo_t fi;
    apr_status_t rv;

    rv = apr_stat(&fi, path, APR_FINFO_LINK | APR_FINFO_TYPE
                             | APR_FINFO_OWNER | APR_FINFO_PROT
                             | APR_FINFO_SIZE, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        *why = "no state file";
        return APR_ENOENT;
    }
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        *why = apr_psprintf(p, "cannot stat: %s", err(p, rv));
        return rv;
    }
    if ((fi.valid & (APR_FINFO_TYPE | APR_FINFO_USER | APR_FINFO_UPROT
                     | APR_FINFO_SIZE))
        != (APR_FINFO_TYPE | APR_FINFO_USER | APR_FINFO_UPROT
            | APR_FINFO_SIZE)) {
        *why = "cannot stat (incomplete information)";
        return APR_EACCES;
    }
    rv = file_safe(p, fi.filetype == APR_LNK, fi.filetype == APR_REG,
                   type_name(fi.filetype), (apr_uint32_t)fi.user,
                   ipcg_unix_mode(fi.protection), (apr_uint64_t)fi.size,
                   owner_uid, why);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = dir_safe(p, dirname_of(p, path), owner_uid, why);
    return rv == APR_SUCCESS ? APR_SUCCESS : APR_EACCES;
}

/* What was checked may have been swapped since: opens without following
 * a link, without blocking on a FIFO, and checks what was opened. The
 * descriptor in @a fdp and what it is in @a sb. */
static apr_status_t open_safe(apr_pool_t *p, const char *path,
                              apr_uint32_t owner_uid, int *fdp,
                              struct stat *sb, const char **why)
{
    apr_status_t rv;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY
                        | O_CLOEXEC);

    if (fd < 0) {
        int e = errno;
        if (e == ENOENT) {
            *why = "no state file";
            return APR_ENOENT;
        }
        if (e == ELOOP) {
            *why = "is a symbolic link";
            return APR_EACCES;
        }
        rv = APR_FROM_OS_ERROR(e);
        *why = apr_psprintf(p, "cannot open: %s", err(p, rv));
        return rv;
    }
    if (fstat(fd, sb) != 0) {
        rv = APR_FROM_OS_ERROR(errno);
        close(fd);
        *why = apr_psprintf(p, "cannot stat what was opened: %s", err(p, rv));
        return APR_EACCES;
    }
    rv = file_safe(p, S_ISLNK(sb->st_mode), S_ISREG(sb->st_mode),
                   stat_type(sb->st_mode), (apr_uint32_t)sb->st_uid,
                   (unsigned)(sb->st_mode & 07777),
                   (apr_uint64_t)sb->st_size, owner_uid, why);
    if (rv != APR_SUCCESS) {
        close(fd);
        return rv;
    }
    *fdp = fd;
    return APR_SUCCESS;
}

/* One read(2) of up to @a len bytes into @a buf, again when interrupted;
 * how many in @a got (0 at the end of the file). */
static apr_status_t read_once(apr_pool_t *p, int fd, char *buf,
                              apr_size_t len, apr_size_t *got,
                              const char **why)
{
    ssize_t n;

    do {
        n = read(fd, buf, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        apr_status_t rv = APR_FROM_OS_ERROR(errno);
        *why = apr_psprintf(p, "cannot read: %s", err(p, rv));
        return rv;
    }
    *got = (apr_size_t)n;
    return APR_SUCCESS;
}

/* Reads up to @a size bytes and one more, which tells a file that grew;
 * closes @a fd. */
static apr_status_t read_exactly(apr_pool_t *p, int fd, apr_size_t size,
                                 char **textp, apr_size_t *lenp,
                                 const char **why)
{
    apr_size_t got = 0, want = size + 1;
    char *text = apr_palloc(p, want + 1);
    apr_status_t rv;

    while (got < want) {
        apr_size_t n = 0;
        if ((rv = read_once(p, fd, text + got, want - got, &n, why))
            != APR_SUCCESS) {
            close(fd);
            return rv;
        }
        if (n == 0) {
            break;
        }
        got += n;
    }
    close(fd);
    if (got > size) {
        *why = "changed while it was read";
        return APR_EACCES;
    }
    text[got] = '\0';
    *textp = text;
    *lenp = got;
    return APR_SUCCESS;
}

/* The file checked by its path, opened, and checked again by what was
 * opened: its descriptor in @a fdp and its size in @a sizep. */
static apr_status_t open_trusted(apr_pool_t *p, const char *path,
                                 apr_uint32_t owner_uid, int *fdp,
                                 apr_size_t *sizep, const char **why)
{
    struct stat sb;
    apr_status_t rv;

    memset(&sb, 0, sizeof(sb));
    if ((rv = path_safe(p, path, owner_uid, why)) != APR_SUCCESS
        || (rv = open_safe(p, path, owner_uid, fdp, &sb, why))
           != APR_SUCCESS) {
        return rv;
    }
    *sizep = (apr_size_t)sb.st_size;
    return APR_SUCCESS;
}

apr_status_t ipcg_file_read_trusted(apr_pool_t *p, const char *path,
                                    apr_uint32_t owner_uid, char **textp,
                                    apr_size_t *lenp, const char **why)
{
    const char *ignored = NULL;
    apr_size_t size = 0;
    apr_status_t rv;
    int fd = -1;

    if (why == NULL) {
        why = &ignored;
    }
    *textp = NULL;
    *lenp = 0;
    if ((rv = open_trusted(p, path, owner_uid, &fd, &size, why))
        != APR_SUCCESS) {
        return rv;
    }
    return read_exactly(p, fd, size, textp, lenp, why);
}

/* A state file is read in pieces of whole lines through one buffer that
 * is used again and again: a copy of the whole file in fresh memory costs
 * more than parsing it. */
#define READ_PIECE ((apr_size_t)64 * 1024)

/* An object line is longer than this: a bound from above on how many
 * objects a file of some size can hold, for the room made at once. */
#define OBJ_LINE_MIN 96

/* Reads (from @a fd) and checks (as check_text() does) the next piece:
 * @a *have bytes are kept at the start of @a buf, @a cap its size; the
 * bytes read in @a got, 0 at the end of the file. */
static apr_status_t read_piece(parser_t *ps, int fd, char *buf,
                               apr_size_t cap, apr_size_t have,
                               apr_size_t *got)
{
    const char *nul;
    apr_status_t rv = read_once(ps->c.p, fd, buf + have, cap - have, got,
                                ps->c.why);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if ((nul = memchr(buf + have, '\0', *got)) != NULL) {
        ps->c.lineno += count_lines(buf, (apr_size_t)(nul - buf));
        return bad(&ps->c, "NUL byte");
    }
    return APR_SUCCESS;
}

/* The whole lines at the start of @a buf parsed, and what follows the
 * last one moved to its start; returns what is left in @a *have. */
static apr_status_t parse_piece(parser_t *ps, char *buf, apr_size_t *have)
{
    const char *last = memrchr(buf, '\n', *have);
    apr_size_t done;
    apr_status_t rv;

    if (last == NULL) {
        return APR_SUCCESS;
    }
    done = (apr_size_t)(last - buf) + 1;
    if ((rv = parse_lines(ps, buf, done)) != APR_SUCCESS) {
        return rv;
    }
    memmove(buf, buf + done, *have - done);
    *have -= done;
    return APR_SUCCESS;
}

/* The file open on @a fd, of @a size bytes when it was checked, parsed
 * piece by piece with the same results as ipcg_state_parse() on its
 * text (a NUL byte is found where its piece is read). */
static apr_status_t read_parse(apr_pool_t *p, int fd, apr_size_t size,
                               ipcg_state_t *st, const char **why)
{
    apr_size_t cap = READ_PIECE, have = 0, total = 0, got = 0;
    char *buf = apr_palloc(p, cap);
    parser_t ps;
    apr_status_t rv;

    parser_init(&ps, p, st, why, (int)(size / OBJ_LINE_MIN) + 1);
    for (;;) {
        if (have == cap) {
            /* a line longer than the buffer: a larger one */
            char *more = apr_palloc(p, cap * 2);
            memcpy(more, buf, have);
            buf = more;
            cap *= 2;
        }
        if ((rv = read_piece(&ps, fd, buf, cap, have, &got)) != APR_SUCCESS) {
            return rv;
        }
        if (got == 0) {
            break;
        }
        total += got;
        if (total > size) {
            *why = "changed while it was read";
            return APR_EACCES;
        }
        have += got;
        if ((rv = parse_piece(&ps, buf, &have)) != APR_SUCCESS) {
            return rv;
        }
    }
    if (total == 0) {
        ps.c.lineno = 1;
        return bad(&ps.c, "empty file");
    }
    if (have > 0) {
        ps.c.lineno++;
        return bad(&ps.c, "missing final newline (truncated?)");
    }
    return parser_end(&ps);
}

apr_status_t ipcg_state_read(apr_pool_t *p, const char *path,
                             apr_uint32_t owner_uid, ipcg_state_t *st,
                             const char **why)
{
    const char *ignored = NULL;
    apr_size_t size = 0;
    apr_status_t rv;
    int fd = -1;

    if (why == NULL) {
        why = &ignored;
    }
    memset(st, 0, sizeof(*st));
    if ((rv = open_trusted(p, path, owner_uid, &fd, &size, why))
        != APR_SUCCESS) {
        return rv;
    }
    rv = read_parse(p, fd, size, st, why);
    close(fd);
    return rv;
}

apr_status_t ipcg_state_remove(apr_pool_t *p, const char *path)
{
    apr_status_t rv = apr_file_remove(path, p);

    return APR_STATUS_IS_ENOENT(rv) ? APR_SUCCESS : rv;
}

const char *ipcg_runlock_path(apr_pool_t *p, const char *state_path)
{
    apr_size_t n = strlen(state_path);
    const char *suffix = ".state";
    apr_size_t k = strlen(suffix);

    if (n > k && strcmp(state_path + n - k, suffix) == 0) {
        return apr_pstrcat(p, apr_pstrndup(p, state_path, n - k), ".lock",
                           NULL);
    }
    return apr_pstrcat(p, state_path, ".lock", NULL);
}

/* A write lock on the whole file, as an open-file-description lock:
 * unlike a process's fcntl() lock (what apr_file_lock() takes), it is
 * inherited across fork() (a daemonizing httpd's parent exits after the
 * fork) and not dropped when the process closes another descriptor of
 * the same file; unlike flock(), it can be asked about without taking
 * it (F_OFD_GETLK). */
static void whole_file(struct flock *fl)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = F_WRLCK;
    fl->l_whence = SEEK_SET;
}

apr_status_t ipcg_runlock_take(apr_pool_t *p, const char *path,
                               apr_file_t **lock)
{
    apr_file_t *f;
    apr_os_file_t fd;
    struct flock fl;
    apr_status_t rv;

    *lock = NULL;
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_WRITE
                       | APR_FOPEN_CREATE, APR_FPROT_UREAD | APR_FPROT_UWRITE,
                       p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    apr_os_file_get(&fd, f);
    whole_file(&fl);
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        rv = (errno == EAGAIN || errno == EACCES) ? APR_EAGAIN
                                                  : APR_FROM_OS_ERROR(errno);
        apr_file_close(f);
        return rv;
    }
    *lock = f;
    return APR_SUCCESS;
}

int ipcg_runlock_held(apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    apr_os_file_t fd;
    struct flock fl;
    apr_status_t rv;
    int held;

    rv = apr_file_open(&f, path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        return 0;
    }
    if (rv != APR_SUCCESS) {
        return -1;
    }
    apr_os_file_get(&fd, f);
    whole_file(&fl);
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0) {
        held = -1;
    }
    else {
        held = fl.l_type != F_UNLCK;
    }
    apr_file_close(f);
    return held;
}

apr_status_t ipcg_state_dir_ensure(apr_pool_t *p, const char *dir,
                                   apr_uint32_t owner_uid, const char **why)
{
    apr_finfo_t fi;
    const char *ignored = NULL;
    apr_status_t rv;

    if (why == NULL) {
        why = &ignored;
    }
    rv = apr_stat(&fi, dir, APR_FINFO_LINK | APR_FINFO_TYPE, p);
    if (APR_STATUS_IS_ENOENT(rv)) {
        rv = apr_dir_make_recursive(dir, PERM_0700, p);
        if (rv != APR_SUCCESS) {
            *why = apr_psprintf(p, "cannot create state directory %s: %s",
                                dir, err(p, rv));
            return rv;
        }
        /* the umask may have taken bits away; make it exactly 0700 */
        rv = apr_file_perms_set(dir, PERM_0700);
        if (rv != APR_SUCCESS && !APR_STATUS_IS_ENOTIMPL(rv)) {
            *why = apr_psprintf(p, "cannot set the mode of state directory "
                                "%s: %s", dir, err(p, rv));
            return rv;
        }
    }
    else if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
        *why = apr_psprintf(p, "cannot stat state directory %s: %s", dir,
                            err(p, rv));
        return rv;
    }
    rv = dir_safe(p, dir, owner_uid, why);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "unsafe state directory: %s", *why);
        return APR_EACCES;
    }
    return APR_SUCCESS;
}

static int by_instance(const void *a, const void *b)
{
    const ipcg_state_t *x = a, *y = b;
    int r = strcmp(x->instance, y->instance);

    if (r != 0) {
        return r;
    }
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

apr_status_t ipcg_state_list(apr_pool_t *p, const char *dir,
                             apr_uint32_t owner_uid, const char *exclude,
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
        const char *why, *path;
        rv = apr_dir_read(&dent, APR_FINFO_NAME, d);
        if (rv != APR_SUCCESS && rv != APR_INCOMPLETE) {
            break;                  /* APR_ENOENT: the end */
        }
        /* dot files are temp files of a write (or "." and "..") */
        if (dent.name == NULL || dent.name[0] == '.'
            || (l = strlen(dent.name)) <= 6
            || strcmp(dent.name + l - 6, ".state") != 0) {
            continue;
        }
        path = apr_pstrcat(p, dir, "/", dent.name, NULL);
        if (exclude && strcmp(path, exclude) == 0) {
            continue;
        }
        if (ipcg_state_read(p, path, owner_uid, &st, &why) == APR_SUCCESS) {
            *(ipcg_state_t *)apr_array_push(*states) = st;
        }
        else {
            (*refused)++;
        }
    }
    apr_dir_close(d);
    if ((*states)->nelts > 1) {
        qsort((*states)->elts, (size_t)(*states)->nelts,
              sizeof(ipcg_state_t), by_instance);
    }
    return APR_SUCCESS;
}
