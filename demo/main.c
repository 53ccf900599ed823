/* brrt-demo: a BRRTRouter-style pet-store service instrumented with libbrrtstat, and its own
 * bounded load generator.
 *   brrt-demo [serve] --listen 127.0.0.1:8080 --segment demo [options]
 *   brrt-demo load --target 127.0.0.1:8080 --duration 10 [--rate R] [--connections C] ... */
#include "cli_opts.h"
#include "config.h"
#include "load.h"
#include "routes.h"
#include "server.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_alarm(int sig)
{
    (void)sig;
    stop = 1;
}

static int parse_hostport(const char *s, const char **host, int *port, char *buf, size_t n)
{
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= n)
        return -1;
    memcpy(buf, s, (size_t)(colon - s));
    buf[colon - s] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || !buf[0])
        return -1;
    *host = buf;
    *port = (int)p;
    return 0;
}

static double parse_num(const char *flag, const char *v, double lo, double hi)
{
    char *end;
    double d = strtod(v, &end);
    if (*end || end == v || d < lo || d > hi) {
        fprintf(stderr, "brrt-demo: %s wants a number in [%g, %g], not \"%s\"\n", flag, lo, hi, v);
        exit(2);
    }
    return d;
}

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: brrt-demo [serve] --listen HOST:PORT [--segment NAME] [--workers N]\n"
            "                 [--error-rate F] [--slow-rate F] [--slow-ms MS] [--timeout-ms MS]\n"
            "                 [--max-inflight N] [--rate-limit RPS] [--idle-timeout-ms MS]\n"
            "                 [--duration S] [--no-metrics]\n"
            "       brrt-demo load --target HOST:PORT [--duration S] [--rate RPS] [--connections N]\n"
            "                 [--requests N] [--path PATH] [--json] [--seed N]\n"
            "       brrt-demo --help | --version\n\n"
            "Stack sizes: BRRTR_STACK_SIZE (bytes, decimal or 0x hex, default 65536),\n"
            "BRRTR_STACK_SIZE__<HANDLER> per handler, clamped to BRRTR_STACK_MIN_BYTES and\n"
            "BRRTR_STACK_MAX_BYTES. Handlers: ");
    for (int i = 0; i < n_routes; i++)
        fprintf(out, "%s%s", i ? ", " : "", routes[i].handler);
    fprintf(out, ".\n");
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"listen", required_argument, NULL, 'l'},    {"segment", required_argument, NULL, 's'},
        {"workers", required_argument, NULL, 'w'},   {"error-rate", required_argument, NULL, 'e'},
        {"slow-rate", required_argument, NULL, 'r'}, {"slow-ms", required_argument, NULL, 'm'},
        {"timeout-ms", required_argument, NULL, 't'}, {"max-inflight", required_argument, NULL, 'i'},
        {"rate-limit", required_argument, NULL, 'q'}, {"duration", required_argument, NULL, 'd'},
        {"idle-timeout-ms", required_argument, NULL, 'I'},
        {"no-metrics", no_argument, NULL, 'n'},      {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0}};
    struct server_opts o = {.host = "127.0.0.1", .port = 8080, .workers = 2, .slow_ms = 50,
                            .timeout_ms = 2000, .max_inflight = 512, .idle_timeout_ms = 60000};
    const char *segment = "demo";
    double duration = 0;
    bool metrics = true;
    char hostbuf[64];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_hostport(optarg, &o.host, &o.port, hostbuf, sizeof hostbuf)) {
                fprintf(stderr, "brrt-demo: --listen wants HOST:PORT, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 's': segment = optarg; break;
        case 'w': o.workers = (int)parse_num("--workers", optarg, 1, 64); break;
        case 'e': o.error_rate = parse_num("--error-rate", optarg, 0, 1); break;
        case 'r': o.slow_rate = parse_num("--slow-rate", optarg, 0, 1); break;
        case 'm': o.slow_ms = (uint32_t)parse_num("--slow-ms", optarg, 0, 60000); break;
        case 't': o.timeout_ms = (uint32_t)parse_num("--timeout-ms", optarg, 1, 600000); break;
        case 'i': o.max_inflight = (uint32_t)parse_num("--max-inflight", optarg, 1, 100000); break;
        case 'q': o.rate_limit = (uint32_t)parse_num("--rate-limit", optarg, 0, 1e7); break;
        case 'I': o.idle_timeout_ms = (uint32_t)parse_num("--idle-timeout-ms", optarg, 0, 86400000); break;
        case 'd': duration = parse_num("--duration", optarg, 0, 86400); break;
        case 'n': metrics = false; break;
        case 'h': serve_usage(stdout); return 0;
        case 'V': return cli_version("brrt-demo");
        default: return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    size_t max_stack = 0;
    for (int i = 0; i < n_routes; i++) {
        char why[256];
        if (config_stack_size(routes[i].handler, &o.stack_size[i], why, sizeof why) != 0) {
            fprintf(stderr, "brrt-demo: bad stack configuration: %s\n", why);
            return 2;
        }
        max_stack = o.stack_size[i] > max_stack ? o.stack_size[i] : max_stack;
    }
    struct demo_metrics m;
    if (instrument_init(&m, segment, metrics, max_stack) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (duration > 0) {
        signal(SIGALRM, on_alarm);
        alarm((unsigned)(duration + 0.999));
    }
    fprintf(stderr, "brrt-demo: listening on %s:%d with %d workers; metrics %s%s%s\n", o.host, o.port,
            o.workers, metrics ? "in segment " : "off", metrics ? segment : "",
            metrics ? "" : " (--no-metrics)");
    int rc = server_run(&o, &m, &stop);
    instrument_close(&m);
    return rc ? 1 : 0;
}

static int cmd_load(int argc, char **argv)
{
    static const struct option lo[] = {
        {"target", required_argument, NULL, 't'},      {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, 'r'},        {"connections", required_argument, NULL, 'c'},
        {"requests", required_argument, NULL, 'n'},    {"path", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},              {"seed", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},              {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    struct load_opts o = {.host = "127.0.0.1", .port = 8080, .duration = 10, .connections = 8, .seed = 1};
    char hostbuf[64];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_hostport(optarg, &o.host, &o.port, hostbuf, sizeof hostbuf)) {
                fprintf(stderr, "brrt-demo load: --target wants HOST:PORT, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'd': o.duration = parse_num("--duration", optarg, 0.1, 3600); break;
        case 'r': o.rate = parse_num("--rate", optarg, 0, 1e7); break;
        case 'c': o.connections = (int)parse_num("--connections", optarg, 1, 1024); break;
        case 'n': o.requests = (uint64_t)parse_num("--requests", optarg, 1, 1e12); break;
        case 'p': o.path = optarg; break;
        case 'j': o.json = true; break;
        case 's': o.seed = (unsigned)parse_num("--seed", optarg, 0, 4e9); break;
        case 'h': serve_usage(stdout); return 0;
        case 'V': return cli_version("brrt-demo");
        default: return cli_option_error(c, argv);
        }
    }
    return load_run(&o);
}

int main(int argc, char **argv)
{
    cli_prog = "brrt-demo";
    if (argc > 1 && strcmp(argv[1], "load") == 0)
        return cmd_load(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    return cmd_serve(argc, argv);
}
