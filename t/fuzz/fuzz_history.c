/* libFuzzer target for the history-file parser (src/ipcg_history.c).
 *
 * Every input is parsed; one that parses must format back to exactly its
 * own bytes (the writer's form is the only one accepted), and a refusal
 * must name its line. Each parsed history is then used as the forecasts
 * use it, which must give sane values: a time to full of -1 or more, a
 * sample count within what the history holds, and words for each.
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *     $(apr-1-config --cflags --cppflags --includes) t/fuzz/fuzz_history.c \
 *     src/ipcg_history.c src/ipcg_state.c src/ipcg_util.c src/ipcg_obj.c \
 *     $(apr-1-config --link-ld) -o /tmp/fuzz_history
 *   /tmp/fuzz_history -max_total_time=60 t/fuzz/corpus/history
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "ipcguard/ipcg_history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static apr_pool_t *root;

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_history: %s\n", what);
    abort();
}

static void use(apr_pool_t *p, const ipcg_history_t *h)
{
    ipcg_forecast_t f[IPCG_SERIES_MAX];
    const ipcg_sample_t *now;
    int i, n;

    if (h->samples->nelts == 0) {
        return;
    }
    now = &APR_ARRAY_IDX(h->samples, h->samples->nelts - 1, ipcg_sample_t);
    n = ipcg_forecast_compute(h, now, 86400, f, IPCG_SERIES_MAX);
    if (n < 0 || (apr_uint32_t)n != now->n) {
        fail("one forecast per limit of the sample");
    }
    for (i = 0; i < n; i++) {
        if (f[i].seconds_to_full < -1
            || f[i].points > (apr_uint32_t)h->samples->nelts
            || f[i].uncleaned > f[i].used || f[i].limit == 0
            || ipcg_forecast_text(p, &f[i])[0] == '\0') {
            fail("a forecast out of range");
        }
    }
    {
        ipcg_class_trend_t tr[IPCG_CLASS_TRENDS];
        ipcg_class_trends(h, now, 86400, tr);
        for (i = 0; i < IPCG_CLASS_TRENDS; i++) {
            if ((int)tr[i].kind != i / IPCG_CLASS_COUNT
                || (int)tr[i].cls != i % IPCG_CLASS_COUNT
                || tr[i].count != now->count[tr[i].kind][tr[i].cls]
                || tr[i].points > (apr_uint32_t)h->samples->nelts
                || tr[i].rate != tr[i].rate) {
                fail("a class trend out of range");
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    ipcg_history_t h, again;
    const char *why = NULL;
    char *text;
    apr_size_t len;

    if (root == NULL) {
        apr_initialize();
        apr_pool_create(&root, NULL);
    }
    apr_pool_create(&p, root);
    if (ipcg_history_parse(p, (const char *)data, size, &h, &why)
        != APR_SUCCESS) {
        if (why == NULL || strncmp(why, "line ", 5) != 0) {
            fail("refused without a line number");
        }
        apr_pool_destroy(p);
        return 0;
    }
    text = ipcg_history_format(p, &h, &len);
    if (len != size || memcmp(text, data, size) != 0) {
        fail("format(parse(x)) != x");
    }
    if (ipcg_history_parse(p, text, len, &again, &why) != APR_SUCCESS
        || again.samples->nelts != h.samples->nelts
        || again.events->nelts != h.events->nelts) {
        fail("format(parse(x)) does not parse to the same history");
    }
    use(p, &h);
    apr_pool_destroy(p);
    return 0;
}
