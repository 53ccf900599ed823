/* Handlers do real work of different costs and stack depths: parse, compute, allocate,
 * serialise. */
#include "routes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long param_long(const struct handler_ctx *c, int i, long lo, long hi, long def)
{
    char buf[24];
    size_t n = c->param_len[i] < sizeof buf - 1 ? c->param_len[i] : sizeof buf - 1;
    memcpy(buf, c->param[i], n);
    buf[n] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || end == buf)
        return def;
    return v < lo ? lo : v > hi ? hi : v;
}

static void health(struct handler_ctx *c)
{
    c->content_type = "text/plain";
    brrt_buf_puts(&c->out, "ok\n");
}

static const char *const species[] = {"dog", "cat", "parrot", "hamster", "iguana"};

static void pet_json(struct brrt_buf *b, long id)
{
    brrt_buf_printf(b, "{\"id\":%ld,\"name\":\"pet-%ld\",\"species\":\"%s\",\"age\":%ld}", id, id,
                    species[id % 5], id % 17);
}

static void list_pets(struct handler_ctx *c)
{
    brrt_buf_puts(&c->out, "[");
    for (long id = 1; id <= 50; id++) {
        if (id > 1)
            brrt_buf_puts(&c->out, ",");
        pet_json(&c->out, id);
    }
    brrt_buf_puts(&c->out, "]");
}

static void get_pet(struct handler_ctx *c)
{
    long id = param_long(c, 0, -1, 1000000, -1);
    if (id < 1 || id > 1000) {
        c->status = 404;
        brrt_buf_puts(&c->out, "{\"error\":\"no such pet\"}");
        return;
    }
    pet_json(&c->out, id);
}

/* Parses {"name":"...","species":"..."} the hard way and echoes a created pet. */
static void create_pet(struct handler_ctx *c)
{
    char *copy = malloc(c->body_len + 1);
    if (!copy) {
        c->status = 500;
        return;
    }
    memcpy(copy, c->body, c->body_len);
    copy[c->body_len] = '\0';
    const char *name = strstr(copy, "\"name\"");
    const char *q1 = name ? strchr(name + 6, '"') : NULL;
    const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (!q2 || q2 - q1 - 1 > 64) {
        c->status = 400;
        brrt_buf_puts(&c->out, "{\"error\":\"body needs a \\\"name\\\" of at most 64 bytes\"}");
    } else {
        c->status = 201;
        brrt_buf_printf(&c->out, "{\"id\":%zu,\"name\":\"%.*s\"}", c->body_len * 31 % 997 + 1001,
                        (int)(q2 - q1 - 1), q1 + 1);
    }
    free(copy);
}

/* Orders of a user: a pseudo-random walk over amounts, summed and serialised. */
static void list_orders(struct handler_ctx *c)
{
    long user = param_long(c, 0, 0, 1000000, 0);
    uint64_t x = (uint64_t)user * 0x9E3779B97F4A7C15ull + 1;
    double total = 0;
    brrt_buf_printf(&c->out, "{\"user\":%ld,\"orders\":[", user);
    for (int i = 0; i < 20; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double amount = (double)(x % 100000) / 100.0;
        for (int k = 0; k < 200; k++) /* some arithmetic per order */
            amount = fabs(sin(amount) * 1000.0);
        total += amount;
        brrt_buf_printf(&c->out, "%s{\"id\":%d,\"amount\":%.2f}", i ? "," : "", i, amount);
    }
    brrt_buf_printf(&c->out, "],\"total\":%.2f}", total);
}

/* Uses `kib` KiB of stack in 1 KiB frames: the stack tests' known depth (exactly, also in
 * sanitizer builds). */
static __attribute__((noinline)) BRRT_NO_ASAN long frames(long kib)
{
    volatile char frame[1000];
    for (size_t i = 0; i < sizeof frame; i += 64)
        frame[i] = (char)kib;
    return kib <= 1 ? frame[0] : frames(kib - 1) + frame[64];
}

static void stack_probe(struct handler_ctx *c)
{
    long kib = param_long(c, 0, 1, 1 << 20, 1);
    long r = frames(kib);
    brrt_buf_printf(&c->out, "{\"kib\":%ld,\"r\":%ld}", kib, r);
}

static void sleep_ms(struct handler_ctx *c)
{
    long ms = param_long(c, 0, 0, 10000, 0);
    co_sleep(c->sched, (uint32_t)ms);
    brrt_buf_printf(&c->out, "{\"slept_ms\":%ld}", ms);
}

const struct route routes[] = {
    {"GET", "/health", "health", health},
    {"GET", "/pets", "list_pets", list_pets},
    {"POST", "/pets", "create_pet", create_pet},
    {"GET", "/pets/{id}", "get_pet", get_pet},
    {"GET", "/users/{id}/orders", "list_orders", list_orders},
    {"GET", "/stack/{kib}", "stack_probe", stack_probe},
    {"GET", "/sleep/{ms}", "sleep_ms", sleep_ms},
};
const int n_routes = (int)(sizeof routes / sizeof routes[0]);

/* Segment-by-segment match; "{x}" matches one non-empty segment and becomes a parameter. */
static bool match(const char *tpl, const char *path, struct handler_ctx *c)
{
    int np = 0;
    while (*tpl && *path) {
        if (*tpl != '/' || *path != '/')
            return false;
        tpl++, path++;
        const char *te = strchrnul(tpl, '/'), *pe = strchrnul(path, '/');
        if (*tpl == '{') {
            if (pe == path || np >= ROUTE_MAX_PARAMS)
                return false;
            c->param[np] = path;
            c->param_len[np++] = (size_t)(pe - path);
        } else if (te - tpl != pe - path || memcmp(tpl, path, (size_t)(te - tpl)) != 0) {
            return false;
        }
        tpl = te, path = pe;
    }
    return *tpl == '\0' && *path == '\0';
}

enum route_match route_find(const char *method, const char *path, int *index, struct handler_ctx *c)
{
    int path_match = -1;
    for (int i = 0; i < n_routes; i++) {
        if (!match(routes[i].template, path, c))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            *index = i;
            return ROUTE_FOUND;
        }
        if (path_match < 0)
            path_match = i;
    }
    *index = path_match;
    return path_match < 0 ? ROUTE_NO_PATH : ROUTE_BAD_METHOD;
}
