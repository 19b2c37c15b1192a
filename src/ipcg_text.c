/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The verdict and the meters for a terminal (ipcg_verdict.h). */

#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_units.h"
#include "ipcguard/ipcg_verdict.h"

#define BAR 24

static const char *colour(ipcg_text_style_e st, ipcg_level_e level)
{
    if (st != IPCG_TEXT_ANSI) {
        return "";
    }
    switch (level) {
    case IPCG_LEVEL_CRIT: return "\033[1;31m";
    case IPCG_LEVEL_WARN: return "\033[1;33m";
    case IPCG_LEVEL_NOTE: return "\033[36m";
    default: return "\033[32m";
    }
}

static void text_meter(apr_pool_t *p, ipcg_out_t *out, ipcg_text_style_e st,
                       const ipcg_meter_t *m)
{
    char bar[BAR + 1];
    int i, fill = m->percent < 0 ? 0
                  : (m->percent >= 100 ? BAR : m->percent * BAR / 100);

    for (i = 0; i < BAR; i++) {
        bar[i] = (char)(m->percent < 0 ? ' ' : i < fill ? '#' : '.');
    }
    bar[BAR] = '\0';
    ipcg_out_printf(out, p, "  %-22s %-24s %s[%s]%s %s\n",
                    apr_pstrcat(p, m->name, NULL), m->what,
                    colour(st, m->level), bar,
                    st == IPCG_TEXT_ANSI ? "\033[0m" : "",
                    ipcg_meter_text(p, m));
}

void ipcg_render_text(apr_pool_t *p, const ipcg_view_t *v,
                      ipcg_text_style_e st, ipcg_out_t *out)
{
    apr_array_header_t *f = ipcg_verdict(p, v);
    apr_array_header_t *ms = ipcg_meters(p, &v->rep);
    ipcg_level_e level = ipcg_verdict_level(f);
    const char *reset = st == IPCG_TEXT_ANSI ? "\033[0m" : "";
    int i;

    ipcg_out_printf(out, p, "IPC status: %s%s%s\n", colour(st, level),
                    level >= IPCG_LEVEL_WARN ? "needs attention" : "healthy",
                    reset);
    for (i = 0; i < f->nelts; i++) {
        const ipcg_finding_t *x = &APR_ARRAY_IDX(f, i, ipcg_finding_t);
        ipcg_out_printf(out, p, "  %s%-4s%s %s\n       %s\n",
                        colour(st, x->level), ipcg_level_name(x->level),
                        reset, x->what, x->todo);
    }
    ipcg_out_puts(out, "Limits:\n");
    for (i = 0; i < ms->nelts; i++) {
        text_meter(p, out, st, &APR_ARRAY_IDX(ms, i, ipcg_meter_t));
    }
}
