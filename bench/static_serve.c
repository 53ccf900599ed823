/* brrt-bench-static: libmicrohttpd serving one pre-rendered body on every GET, with the server
 * options brrt-stat export uses (internal epoll thread pool of --threads, default 2): the
 * floor an exporter scrape is compared with in bench/export_bench.sh.
 * Usage: brrt-bench-static --port PORT --body FILE [--threads N]   (listens on 127.0.0.1;
 *        --help, --version) */
#include "brrtstat/render.h"
#include "cli_opts.h"
#include "export_server.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_len, void **state)
{
    (void)url, (void)method, (void)version, (void)upload, (void)upload_len;
    static int started;
    if (!*state) {
        *state = &started;
        return MHD_YES;
    }
    return MHD_queue_response(c, MHD_HTTP_OK, cls); /* the one response, shared */
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    if (f)
        fclose(f);
    return buf;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: brrt-bench-static --port PORT --body FILE [--threads N]\n"
               "       brrt-bench-static --help | --version\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"port", required_argument, NULL, 'p'}, {"body", required_argument, NULL, 'b'},
        {"threads", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},    {NULL, 0, NULL, 0}};
    long port = 0, threads = 2;
    const char *body_path = NULL;
    int opt;
    cli_prog = "brrt-bench-static";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (opt) {
        case 'p': port = strtol(optarg, NULL, 10); break;
        case 'b': body_path = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return BRRT_EXIT_OK;
        case 'V': return cli_version("brrt-bench-static");
        default: return cli_option_error(opt, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    size_t len = 0;
    char *body = body_path ? slurp(body_path, &len) : NULL;
    if (port <= 0 || port > 65535 || threads < 1 || threads > 64 || !body) {
        usage(stderr);
        return BRRT_EXIT_USAGE;
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, BRRT_PROM_CONTENT_TYPE_004);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handle, r, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&a, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, EXPORT_MHD_LIMITS,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "brrt-bench-static: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    MHD_destroy_response(r);
    free(body);
    return 0;
}
