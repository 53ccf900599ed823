/* The demo HTTP server: N worker threads, each with its own SO_REUSEPORT listener and epoll
 * loop; every request runs on a coroutine with its own measured stack.
 *
 * Accounting rules (the integration tests hold it to them):
 *  - every request that gets a response passes instrument_begin() once and
 *    instrument_response() once: counted in requests_total{path,status} and the duration
 *    histogram, and released from active_requests, whatever the outcome (400 malformed, 404,
 *    405, 413, 429, 431, 503 queue full, 504 deadline, 500 error or stack overflow);
 *  - connection_closes_total counts connections the client closed, connection_errors_total
 *    connections that ended on a read/write error (an idle timeout is neither).
 *
 * Limits against misbehaving clients: a connection whose unsent output is over OUT_LIMIT is
 * neither read nor answered until it is flushed; a connection with nothing read or written
 * for idle_timeout_ms is closed; when accept4 runs out of descriptors the listener is paused
 * with a backoff (resumed early when a connection closes), so pending clients wait in the
 * backlog instead of the workers spinning. */
#ifndef BRRT_DEMO_SERVER_H
#define BRRT_DEMO_SERVER_H

#include "instrument.h"

#include <signal.h>
#include <stdint.h>

struct server_opts {
    const char *host;
    int port;
    int workers;
    double error_rate;  /* share of handled requests answered 500 */
    double slow_rate;   /* share of handled requests delayed by slow_ms first */
    uint32_t slow_ms;
    uint32_t timeout_ms;  /* a request not answered by then gets 504 */
    uint32_t max_inflight; /* per worker: requests on coroutines; beyond it, 503 */
    uint32_t rate_limit;   /* per worker, requests per second; beyond it, 429 (0: off) */
    uint32_t idle_timeout_ms; /* a connection with nothing read or written for this is closed
                               * (0: never); a request running on a coroutine is not idle */
    size_t stack_size[64]; /* per route */
};

/* Runs until *stop becomes non-zero. Returns 0, or -1 if it could not listen. */
int server_run(const struct server_opts *o, struct demo_metrics *m, volatile sig_atomic_t *stop);

#endif
