/* The PromQL template expander and the signals the dashboard and the alert rules share; see
 * promql.h for the syntax. */
#include "promql.h"

#include "brrtstat/buf.h"
#include "brrtstat/catalog.h"
#include "brrtstat/types.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The signals: one definition each, used by panels and alerts alike. X(name, template) */
#define PQ_FRAGMENTS(X)                                                                            \
    /* CPU cores in use (CPU seconds per second) per process */                                     \
    X(cores, "sum by (@by) (rate(@CPU_SECONDS[@1]))")                                               \
    /* CPU in % of the cgroup CPU limit when there is one, else of one core */                     \
    X(cpu_pct, "100 * (@cores(@1) / sum by (@by) (@CPU_LIMIT) or @cores(@1))")                      \
    /* CPU in % of the limit only (no limit: no result) */                                          \
    X(cpu_of_limit, "100 * @cores(@1) / sum by (@by) (@CPU_LIMIT)")                                 \
    /* memory (RSS) in % of the cgroup memory limit (no limit: no result) */                       \
    X(mem_of_limit, "100 * sum by (@by) (@MEMORY_RSS) / sum by (@by) (@MEMORY_LIMIT)")              \
    /* open file descriptors in % of RLIMIT_NOFILE (-1 = unlimited: no result) */                  \
    X(fds_of_limit, "100 * sum by (@by) (@OPEN_FDS) / (sum by (@by) (@MAX_FDS) > 0)")               \
    /* responses per second per process */                                                          \
    X(req_rate, "sum by (@by) (rate(@REQUESTS_TOTAL[@1]))")                                         \
    /* responses per second per service */                                                          \
    X(svc_req_rate, "sum by (@svc) (rate(@REQUESTS_TOTAL[@1]))")                                    \
    /* requests per second per CPU percentage point (of one core) */                                \
    X(cpu_eff, "@req_rate(@1) / (100 * @cores(@1))")                                                \
    /* requests per second per MiB of RSS */                                                        \
    X(mem_eff, "@req_rate(@1) / (sum by (@by) (@MEMORY_RSS) / 1048576)")                            \
    /* net growth of RSS and of the allocator's heap, bytes per second (deriv: they are gauges) */ \
    X(rss_growth, "sum by (@by) (deriv(@MEMORY_RSS[@1]))")                                          \
    X(heap_growth, "sum by (@by) (deriv(@MEMORY_HEAP[@1]))")                                        \
    /* share of 5xx responses per service; 0 (not "no data") when there are none or no traffic */  \
    X(err_ratio, "sum by (@svc) (rate(@REQUESTS_TOTAL{status=~\"5..\"}[@1]))"                       \
                 " / (@svc_req_rate(@1) > 0) or @svc_req_rate(@1) * 0")                             \
    /* THE error rate: 5xx in % of all responses, per service (TUI, panels and alerts alike) */   \
    X(err_pct, "100 * @err_ratio(@1)")                                                              \
    /* client errors (4xx) in % of all responses per service, shown apart from the error rate */  \
    X(client_err_pct, "100 * (sum by (@svc) (rate(@REQUESTS_TOTAL{status=~\"4..\"}[@1]))"          \
                      " / (@svc_req_rate(@1) > 0) or @svc_req_rate(@1) * 0)")                        \
    /* Latency from the duration histogram: native first (exact buckets, a few % error), then  \
     * the classic le buckets for a server that ingests only those (docs/dashboard.md). Each    \
     * `or` keeps the native result of a label set and adds the classic ones it lacks.          \
     * latency quantile @1 (0..1) over window @2, per service, and per service and route */     \
    X(quantile, "histogram_quantile(@1, sum by (@svc) (rate(@REQUEST_DURATION:native[@2])))"        \
                " or histogram_quantile(@1, sum by (@svc, le) (rate(@REQUEST_DURATION:bucket[@2])))") \
    X(route_quantile, "histogram_quantile(@1, sum by (@svc, path) (rate(@REQUEST_DURATION:native[@2])))" \
                      " or histogram_quantile(@1, sum by (@svc, path, le)"                          \
                      " (rate(@REQUEST_DURATION:bucket[@2])))")                                     \
    /* mean latency per process: sum / count of the observations in the window */                 \
    X(mean_latency, "sum by (@by) (histogram_sum(rate(@REQUEST_DURATION:native[@1])))"             \
                    " / sum by (@by) (histogram_count(rate(@REQUEST_DURATION:native[@1])))"         \
                    " or sum by (@by) (rate(@REQUEST_DURATION:sum[@1]))"                            \
                    " / sum by (@by) (rate(@REQUEST_DURATION:count[@1]))")                          \
    /* observations (responses) per second per service and route, from the histogram */         \
    X(route_rate, "sum by (@svc, path) (histogram_count(rate(@REQUEST_DURATION:native[@1])))"       \
                  " or sum by (@svc, path) (rate(@REQUEST_DURATION:count[@1]))")                    \
    /* coroutine stack high-water mark in % of the configured stack size */                        \
    X(stack_pct, "100 * max by (@by) (@STACK_USED_BYTES) / max by (@by) (@STACK_BYTES)")

static const struct {
    const char *name, *body;
} fragments[] = {
#define PQ_FRAG_ROW(n, b) {#n, b},
    PQ_FRAGMENTS(PQ_FRAG_ROW)
#undef PQ_FRAG_ROW
};

/* Catalog metrics by id (their names read from the table at expansion), then the exporter's
 * own metrics (m = BRRT_M_COUNT, name and type here). */
static const struct {
    const char *id;
    enum brrt_metric_id m;
    const char *name;
    int type;
} metric_ids[] = {
#define PQ_ID_ROW(id, name, type, unit, labels, section, help) {#id, BRRT_M_##id, NULL, 0},
    BRRT_CATALOG(PQ_ID_ROW)
#undef PQ_ID_ROW
#define PQ_EXP_ROW(id, name, type, help) {#id, BRRT_M_COUNT, name, type},
    BRRT_EXPORTER_CATALOG(PQ_EXP_ROW)
#undef PQ_EXP_ROW
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 9
#define MAX_DEPTH 16

struct expander {
    const struct pq_ctx *ctx;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct expander *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct expander *x, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->errlen, fmt, ap);
    va_end(ap);
}

/* Index just past the PromQL string (with backslash escapes) opening at s[i], 0 if unclosed. */
static size_t skip_string(const char *s, size_t i)
{
    for (i++; s[i] && s[i] != '"'; i++)
        if (s[i] == '\\' && s[i + 1])
            i++;
    return s[i] ? i + 1 : 0;
}

/* Index just past the bracket matching the opening one at s[i], or 0 if unbalanced. Strings
 * are skipped. */
static size_t skip_group(const char *s, size_t i)
{
    int depth = 0;
    while (s[i]) {
        char c = s[i];
        if (c == '"') {
            if (!(i = skip_string(s, i)))
                return 0;
            continue;
        }
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if ((c == ')' || c == ']' || c == '}') && --depth == 0)
            return i + 1;
        i++;
    }
    return 0;
}

/* Index just past the string or bracketed group at s[i], or 0 if unbalanced. */
static size_t skip_any(const char *s, size_t i)
{
    return s[i] == '"' ? skip_string(s, i) : skip_group(s, i);
}

static bool opens(char c) { return c == '(' || c == '[' || c == '{' || c == '"'; }

/* True if `s` is one term: no binary operator outside brackets and strings. */
static bool is_single_term(const char *s)
{
    static const char *const words[] = {" or ", " and ", " unless ", " atan2 "};
    for (size_t i = 0; s[i];) {
        if (opens(s[i])) {
            if (!(i = skip_any(s, i)))
                return false;
            continue;
        }
        if (strchr("+-*/%^<>=!", s[i]))
            return false;
        for (size_t w = 0; w < N_OF(words); w++)
            if (strncmp(s + i, words[w], strlen(words[w])) == 0)
                return false;
        i++;
    }
    return true;
}

static void expand(struct expander *x, struct brrt_buf *out, const char *t, const char *const *args,
                   int nargs, int depth);

/* @ID[:suffix][{matchers}] at t[*i] (just past the '@'). */
static void metric_ref(struct expander *x, struct brrt_buf *out, const char *t, size_t *i)
{
    size_t s = *i;
    while (isupper((unsigned char)t[*i]) || isdigit((unsigned char)t[*i]) || t[*i] == '_')
        (*i)++;
    size_t n = *i - s;
    const struct brrt_catalog_entry *e = NULL;
    struct brrt_catalog_entry exporter_metric;
    for (size_t k = 0; k < N_OF(metric_ids); k++) {
        if (strlen(metric_ids[k].id) != n || strncmp(metric_ids[k].id, t + s, n) != 0)
            continue;
        if (metric_ids[k].m < BRRT_M_COUNT) {
            e = &brrt_catalog[metric_ids[k].m];
        } else {
            exporter_metric = (struct brrt_catalog_entry){.name = metric_ids[k].name, .type = metric_ids[k].type};
            e = &exporter_metric;
        }
    }
    if (!e) {
        fail(x, "unknown metric @%.*s (not in the catalog)", (int)n, t + s);
        return;
    }
    const char *suffix = "";
    if (t[*i] == ':') {
        static const char *const sfx[] = {"bucket", "sum", "count", "native"};
        size_t k;
        for (k = 0; k < N_OF(sfx); k++)
            if (strncmp(t + *i + 1, sfx[k], strlen(sfx[k])) == 0 &&
                !isalnum((unsigned char)t[*i + 1 + strlen(sfx[k])]))
                break;
        if (k == N_OF(sfx)) {
            fail(x, "@%.*s: unknown suffix (bucket, sum, count or native)", (int)n, t + s);
            return;
        }
        suffix = k == 0 ? "_bucket" : k == 1 ? "_sum" : k == 2 ? "_count" : "";
        *i += 1 + strlen(sfx[k]);
        if (e->type != BRRT_HISTOGRAM) {
            fail(x, "@%.*s is not a histogram: it has no %s series", (int)n, t + s,
                 *suffix ? suffix : "native histogram");
            return;
        }
    } else if (e->type == BRRT_HISTOGRAM) {
        fail(x, "@%.*s is a histogram: use @%.*s:native, :bucket, :sum or :count", (int)n, t + s, (int)n, t + s);
        return;
    }
    const char *extra = NULL;
    size_t extra_len = 0;
    if (t[*i] == '{') {
        size_t end = skip_group(t, *i);
        if (!end) {
            fail(x, "@%.*s: unbalanced {", (int)n, t + s);
            return;
        }
        extra = t + *i + 1;
        extra_len = end - *i - 2;
        *i = end;
    }
    brrt_buf_puts(out, e->name);
    brrt_buf_puts(out, suffix);
    const char *sel = x->ctx->sel ? x->ctx->sel : "";
    if (*sel || extra_len) {
        brrt_buf_puts(out, "{");
        brrt_buf_puts(out, sel);
        if (*sel && extra_len)
            brrt_buf_puts(out, ",");
        if (extra_len) {
            struct brrt_buf m = {0};
            char *copy = strndup(extra, extra_len);
            if (!copy) {
                fail(x, "out of memory");
                return;
            }
            expand(x, &m, copy, NULL, 0, MAX_DEPTH - 1);
            free(copy);
            if (m.data)
                brrt_buf_puts(out, m.data);
            free(m.data);
        }
        brrt_buf_puts(out, "}");
    }
}

/* @name or @name(args) at t[*i] (just past the '@'). */
static void fragment_ref(struct expander *x, struct brrt_buf *out, const char *t, size_t *i,
                         const char *const *args, int nargs, int depth, bool whole)
{
    size_t s = *i;
    while (islower((unsigned char)t[*i]) || isdigit((unsigned char)t[*i]) || t[*i] == '_')
        (*i)++;
    size_t n = *i - s;
    if (n == 2 && strncmp(t + s, "by", 2) == 0) {
        brrt_buf_puts(out, x->ctx->by);
        return;
    }
    if (n == 3 && strncmp(t + s, "svc", 3) == 0) {
        brrt_buf_puts(out, x->ctx->svc);
        return;
    }
    const char *body = NULL;
    for (size_t k = 0; k < N_OF(fragments); k++)
        if (strlen(fragments[k].name) == n && strncmp(fragments[k].name, t + s, n) == 0)
            body = fragments[k].body;
    if (!body) {
        fail(x, "unknown fragment @%.*s", (int)n, t + s);
        return;
    }
    if (depth >= MAX_DEPTH) {
        fail(x, "fragments nested too deeply at @%.*s", (int)n, t + s);
        return;
    }
    /* arguments: split on top-level commas, each expanded in the caller's scope */
    char *fargs[MAX_ARGS] = {0};
    int nf = 0;
    if (t[*i] == '(') {
        size_t end = skip_group(t, *i);
        if (!end) {
            fail(x, "@%.*s: unbalanced (", (int)n, t + s);
            return;
        }
        size_t a = *i + 1;
        for (size_t k = a; k < end && !x->failed;) {
            if (k < end - 1 && opens(t[k])) {
                k = skip_any(t, k);
                continue;
            }
            if (k == end - 1 || t[k] == ',') {
                if (nf == MAX_ARGS) {
                    fail(x, "@%.*s: too many arguments", (int)n, t + s);
                    break;
                }
                size_t b = a, e2 = k;
                while (b < e2 && isspace((unsigned char)t[b]))
                    b++;
                while (e2 > b && isspace((unsigned char)t[e2 - 1]))
                    e2--;
                char *raw = strndup(t + b, e2 - b);
                struct brrt_buf ab = {0};
                if (raw)
                    expand(x, &ab, raw, args, nargs, depth + 1);
                else
                    fail(x, "out of memory");
                free(raw);
                fargs[nf++] = ab.data ? ab.data : strdup("");
                a = k + 1;
            }
            k++;
        }
        *i = end;
    }
    struct brrt_buf body_out = {0};
    if (!x->failed)
        expand(x, &body_out, body, (const char *const *)fargs, nf, depth + 1);
    for (int k = 0; k < nf; k++)
        free(fargs[k]);
    if (body_out.data) {
        bool wrap = !whole && !is_single_term(body_out.data);
        if (wrap)
            brrt_buf_puts(out, "(");
        brrt_buf_puts(out, body_out.data);
        if (wrap)
            brrt_buf_puts(out, ")");
    }
    free(body_out.data);
}

static void expand(struct expander *x, struct brrt_buf *out, const char *t, const char *const *args,
                   int nargs, int depth)
{
    for (size_t i = 0; t[i] && !x->failed;) {
        if (t[i] != '@') {
            size_t j = i;
            while (t[j] && t[j] != '@')
                j++;
            brrt_buf_add(out, t + i, j - i);
            i = j;
            continue;
        }
        i++;
        if (isdigit((unsigned char)t[i])) {
            int k = t[i++] - '0';
            if (k < 1 || k > nargs) {
                fail(x, "@%d: no such argument", k);
                return;
            }
            brrt_buf_puts(out, args[k - 1]);
        } else if (isupper((unsigned char)t[i])) {
            metric_ref(x, out, t, &i);
        } else if (islower((unsigned char)t[i])) {
            fragment_ref(x, out, t, &i, args, nargs, depth, false);
        } else {
            fail(x, "stray @ in \"%s\"", t);
            return;
        }
    }
    if (out->failed)
        fail(x, "out of memory");
}

char *pq_expand(const char *t, const struct pq_ctx *ctx, char *err, size_t errlen)
{
    struct expander x = {.ctx = ctx, .err = err, .errlen = errlen};
    struct brrt_buf out = {0};
    /* A template that is a single fragment call is expanded without the outer parentheses. */
    size_t len = strlen(t);
    bool whole = false;
    if (t[0] == '@' && islower((unsigned char)t[1])) {
        size_t i = 1;
        while (islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '_')
            i++;
        if (t[i] == '(') {
            size_t end = skip_group(t, i);
            whole = end == len;
        } else {
            whole = i == len;
        }
    }
    if (whole) {
        size_t i = 1;
        fragment_ref(&x, &out, t, &i, NULL, 0, 0, true);
    } else {
        expand(&x, &out, t, NULL, 0, 0);
    }
    if (out.failed)
        fail(&x, "out of memory");
    if (x.failed) {
        free(out.data);
        return NULL;
    }
    return out.data ? out.data : strdup("");
}
