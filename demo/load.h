#ifndef BRRT_DEMO_LOAD_H
#define BRRT_DEMO_LOAD_H

#include <stdbool.h>
#include <stdint.h>

struct load_opts {
    const char *host;
    int port;
    double duration;   /* seconds of sending; then at most 10 s to drain */
    double rate;       /* requests per second in total; 0 = as fast as the connections go */
    int connections;
    uint64_t requests; /* stop after this many (0 = only the duration bounds it) */
    const char *path;  /* only GET this path (instead of the mix) */
    bool json;
    unsigned seed;
};

/* Runs the load and prints the summary. Returns 0 when every request sent got a response or
 * was counted as an error, 1 otherwise, 2 on bad options. */
int load_run(const struct load_opts *o);

#endif
