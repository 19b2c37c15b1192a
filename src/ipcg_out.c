/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* The one writer every renderer writes through (ipcg_out_t). */

#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "ipcguard/ipcg_report.h"

void ipcg_out_puts(ipcg_out_t *out, const char *s)
{
    out->write(out->baton, s, strlen(s));
}

void ipcg_out_printf(ipcg_out_t *out, apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    ipcg_out_puts(out, s);
}
