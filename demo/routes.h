/* The demo's pet-store API: route templates (the only values the path label takes), their
 * handlers, and the work each does. */
#ifndef BRRT_DEMO_ROUTES_H
#define BRRT_DEMO_ROUTES_H

#include "brrtstat/render.h"
#include "coro.h"

#include <stddef.h>

#define ROUTE_MAX_PARAMS 4
#define PATH_UNMATCHED "__unmatched"

struct handler_ctx {
    struct coro_sched *sched;
    const char *body;
    size_t body_len;
    const char *param[ROUTE_MAX_PARAMS];
    size_t param_len[ROUTE_MAX_PARAMS];
    int status;               /* set by the handler (default 200) */
    const char *content_type; /* default application/json */
    struct brrt_buf out;      /* response body */
};

struct route {
    const char *method;
    const char *template;
    const char *handler; /* name for BRRTR_STACK_SIZE__<HANDLER> */
    void (*fn)(struct handler_ctx *);
};

extern const struct route routes[];
extern const int n_routes;

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_BAD_METHOD };

/* Matches `path`; on ROUTE_FOUND or ROUTE_BAD_METHOD *index is the route (for its template). */
enum route_match route_find(const char *method, const char *path, int *index, struct handler_ctx *ctx);

#endif
