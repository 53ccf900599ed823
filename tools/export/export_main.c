/* brrt-stat export: the Prometheus exporter (libmicrohttpd). GET /metrics (text 0.0.4, or
 * OpenMetrics 1.0 or protobuf with native histograms as Accept prefers; gzip when
 * Accept-Encoding allows), GET /healthz, HEAD of both; any other
 * path 404, any other method 405. Reads the segments directly, never blocks their writers,
 * keeps serving when a writer dies or restarts. */
#include "cli.h"
#include "export_server.h"
#include "render_pb.h"
#include "segset.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>


/* /metrics bodies kept for the next scrapes: a scrape takes a free slot's buffer (its memory
 * from earlier scrapes) and libmicrohttpd gives it back when it is done sending (the response's
 * free callback). A malloc and free of the whole body per scrape (and the consolidation of small
 * chunks glibc does before a large malloc) cost as much as rendering a small segment. A scrape
 * that finds every slot in flight allocates as before; a buffer over BODY_KEEP_MAX bytes is
 * freed on return, so that the slots keep at most BODY_SLOTS x BODY_KEEP_MAX. */
#define BODY_SLOTS 4
#define BODY_KEEP_MAX (1u << 20)

struct body_slot {
    struct brrt_buf b;
    bool busy; /* atomic: taken by a scrape until its response is freed */
};
static struct body_slot body_pool[BODY_SLOTS];

static struct body_slot *body_take(void)
{
    for (int i = 0; i < BODY_SLOTS; i++)
        if (!__atomic_load_n(&body_pool[i].busy, __ATOMIC_RELAXED) &&
            !__atomic_exchange_n(&body_pool[i].busy, true, __ATOMIC_ACQUIRE)) {
            brrt_buf_reset(&body_pool[i].b);
            return &body_pool[i];
        }
    return NULL;
}

static void body_give(void *cls)
{
    struct body_slot *slot = cls;
    if (slot->b.cap > BODY_KEEP_MAX)
        brrt_buf_free(&slot->b);
    __atomic_store_n(&slot->busy, false, __ATOMIC_RELEASE);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: brrt-stat export --listen ADDR:PORT [--segment NAME | --all] [--threads N]\n"
            "\n"
            "Serves the segment's metrics to Prometheus:\n"
            "  GET /metrics   Prometheus text 0.0.4; OpenMetrics 1.0 or the protobuf exposition (native\n"
            "                 histograms) when the Accept header prefers them; gzip when\n"
            "                 Accept-Encoding allows it\n"
            "  GET /healthz   200 \"ok\" while the exporter runs, with each segment's state\n"
            "  HEAD           of either: the same status and headers, no body\n"
            "  anything else  404 (unknown path) or 405 (a method other than GET or HEAD)\n"
            "\n"
            "  --listen, -l   address to listen on, e.g. 127.0.0.1:9102 or [::1]:9102 (required)\n"
            "  --segment, -s  the segment to export (default: the only one in $BRRT_STAT_DIR)\n"
            "  --all, -a      export every segment in $BRRT_STAT_DIR, with a segment=\"NAME\" label\n"
            "  --threads, -t  server threads (default 2)\n"
            "\n"
            "A missing, dead or exited writer is reported as brrtstat_segment_up 0 (never an HTTP\n"
            "error; a crashed writer at most 0.1 s late); a restarted writer is followed without\n"
            "restarting the exporter.\n\nexit status:\n");
    cli_print_exit_codes(out);
}

/* Does header `header` accept `what` (a media type or a coding)? Elements are split at
 * commas; one whose value (before any ';') is `what` accepts it unless its q is 0. */
static bool accepts(struct MHD_Connection *c, const char *header, const char *what)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, header);
    size_t wl = strlen(what);
    while (v && *v) {
        const char *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        const char *p = v;
        while (p < v + len && (*p == ' ' || *p == '\t'))
            p++;
        const char *semi = memchr(p, ';', (size_t)(v + len - p));
        const char *tok_end = semi ? semi : v + len;
        while (tok_end > p && (tok_end[-1] == ' ' || tok_end[-1] == '\t'))
            tok_end--;
        if ((size_t)(tok_end - p) == wl && strncasecmp(p, what, wl) == 0) {
            double q = 1.0;
            for (const char *s = semi; s && s < v + len; s = memchr(s + 1, ';', (size_t)(v + len - s - 1))) {
                const char *k = s + 1;
                while (*k == ' ')
                    k++;
                if ((k[0] == 'q' || k[0] == 'Q') && k[1] == '=')
                    q = strtod(k + 2, NULL);
            }
            return q > 0;
        }
        v = end ? end + 1 : NULL;
    }
    return false;
}

/* The format a scrape asks for, as Prometheus' own client libraries negotiate it (expfmt): the
 * Accept element with the highest q that names a format this exporter writes wins, the first
 * of equal q; the protobuf one only with proto=io.prometheus.client.MetricFamily and
 * encoding=delimited; no usable element: text 0.0.4. */
static enum segset_format negotiate(const char *v)
{
    enum segset_format best = SEGSET_TEXT;
    double best_q = -1;
    while (v && *v) {
        const char *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        char el[512];
        snprintf(el, sizeof el, "%.*s", (int)(len < sizeof el ? len : sizeof el - 1), v);
        v = end ? end + 1 : NULL;
        double q = 1.0;
        bool proto_ok = false, delimited = false;
        char *save = NULL, *type = strtok_r(el, ";", &save);
        for (char *p = strtok_r(NULL, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
            while (*p == ' ' || *p == '\t')
                p++;
            for (char *t = p + strlen(p); t > p && (t[-1] == ' ' || t[-1] == '\t');)
                *--t = '\0';
            if (strncasecmp(p, "q=", 2) == 0)
                q = strtod(p + 2, NULL);
            else if (strcmp(p, "proto=io.prometheus.client.MetricFamily") == 0)
                proto_ok = true;
            else if (strcmp(p, "encoding=delimited") == 0)
                delimited = true;
        }
        while (type && (*type == ' ' || *type == '\t'))
            type++;
        if (!type)
            continue;
        for (char *t = type + strlen(type); t > type && (t[-1] == ' ' || t[-1] == '\t');)
            *--t = '\0';
        enum segset_format f;
        if (strcasecmp(type, "application/vnd.google.protobuf") == 0 && proto_ok && delimited)
            f = SEGSET_PROTOBUF;
        else if (strcasecmp(type, "application/openmetrics-text") == 0)
            f = SEGSET_OPENMETRICS;
        else if (strcasecmp(type, "text/plain") == 0 || strcmp(type, "*/*") == 0 ||
                 strcasecmp(type, "text/*") == 0)
            f = SEGSET_TEXT;
        else
            continue;
        if (q > 0 && q > best_q) {
            best = f;
            best_q = q;
        }
    }
    return best;
}

/* gzip of `in`, or NULL. */
static char *gzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)len);
    char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body,
                             size_t len, const char *encoding)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (encoding)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return reply(c, status, "text/plain; charset=utf-8", strdup(msg), strlen(msg), NULL);
}

/* /metrics without gzip into a kept body buffer (body_take). *served is false when no slot was
 * free: the caller serves it the general way. */
static enum MHD_Result metrics_pooled(struct MHD_Connection *c, struct segset *set, enum segset_format f,
                                      const char *type, bool *served)
{
    *served = false;
    struct body_slot *slot = body_take();
    if (!slot)
        return MHD_NO;
    *served = true;
    segset_scrape(set, &slot->b, f);
    if (slot->b.failed) {
        body_give(slot);
        return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        slot->b.len, slot->b.data ? slot->b.data : "", body_give, slot);
    if (!r) {
        body_give(slot);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r); /* the slot comes back once the response is sent (or dropped) */
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_len, void **state)
{
    (void)version;
    (void)upload;
    static int started;
    struct segset *set = cls;
    if (!*state) { /* headers only so far: wait for the whole request */
        *state = &started;
        return MHD_YES;
    }
    if (*upload_len) { /* a body: none of our endpoints takes one; discard it */
        *upload_len = 0;
        return MHD_YES;
    }
    bool metrics = strcmp(url, "/metrics") == 0, health = strcmp(url, "/healthz") == 0;
    if (!metrics && !health)
        return text(c, MHD_HTTP_NOT_FOUND, "not found: this exporter serves GET /metrics and GET /healthz\n");
    /* HEAD: the same status and headers as GET; libmicrohttpd leaves the body out. */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: only GET and HEAD\n");
    struct brrt_buf b = {0};
    const char *type = "text/plain; charset=utf-8";
    if (health) {
        segset_health(set, &b);
    } else {
        enum segset_format f = negotiate(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
        type = f == SEGSET_PROTOBUF      ? PB_CONTENT_TYPE
               : f == SEGSET_OPENMETRICS ? BRRT_PROM_CONTENT_TYPE_OPENMETRICS
                                         : BRRT_PROM_CONTENT_TYPE_004;
        if (!accepts(c, MHD_HTTP_HEADER_ACCEPT_ENCODING, "gzip")) {
            bool served;
            enum MHD_Result ret = metrics_pooled(c, set, f, type, &served);
            if (served)
                return ret;
        }
        segset_scrape(set, &b, f);
    }
    if (b.failed) {
        brrt_buf_free(&b);
        return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    if (metrics && accepts(c, MHD_HTTP_HEADER_ACCEPT_ENCODING, "gzip")) {
        size_t zlen;
        char *z = gzip(b.data ? b.data : "", b.len, &zlen);
        if (z) {
            brrt_buf_free(&b);
            return reply(c, MHD_HTTP_OK, type, z, zlen, "gzip");
        }
    }
    size_t len = b.len;
    char *body = b.data ? b.data : strdup("");
    return reply(c, MHD_HTTP_OK, type, body, len, NULL);
}


static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        host[strlen(host) - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"listen", required_argument, NULL, 'l'}, {"segment", required_argument, NULL, 's'},
        {"all", no_argument, NULL, 'a'},          {"threads", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *listen = NULL, *segment = NULL;
    bool all = false;
    long threads = 2;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":l:s:at:h", lo, NULL)) != -1) {
        switch (c) {
        case 'l': listen = optarg; break;
        case 's': segment = optarg; break;
        case 'a': all = true; break;
        case 't':
            if (cli_parse_count(optarg, &threads) || threads > 64)
                return cli_fail(BRRT_EXIT_USAGE, "--threads wants 1..64, not \"%s\"", optarg);
            break;
        case 'h': usage(stdout); return BRRT_EXIT_OK;
        case 'V': return cli_version("brrt-stat-export");
        default: return cli_option_error(c, argv);
        }
    }
    if (cli_no_more_args(argc, argv))
        return BRRT_EXIT_USAGE;
    struct sockaddr_storage addr;
    if (!listen || parse_listen(listen, &addr) != 0)
        return cli_fail(BRRT_EXIT_USAGE, "--listen ADDR:PORT is required (e.g. 127.0.0.1:9102), got \"%s\"",
                        listen ? listen : "nothing");
    if (all && segment)
        return cli_fail(BRRT_EXIT_USAGE, "--segment and --all exclude each other");
    if (segment && strlen(segment) >= BRRT_SHM_PATH_MAX)
        return cli_fail(BRRT_EXIT_USAGE, "--segment is %zu bytes long; at most %d", strlen(segment),
                        BRRT_SHM_PATH_MAX - 1);
    char name[BRRT_SHM_PATH_MAX];
    if (!all) {
        int rc = cli_pick_segment(segment, name, sizeof name);
        if (rc == BRRT_EXIT_NO_SEGMENT && !segment)
            return rc; /* nothing to wait for: name the segment to export */
        if (rc && rc != BRRT_EXIT_NO_SEGMENT)
            return rc;
        if (segment)
            snprintf(name, sizeof name, "%s", segment);
    }
    struct rlimit rl; /* many concurrent scrapers need descriptors */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct segset set;
    if (segset_init(&set, name, all) != 0)
        return cli_fail(BRRT_EXIT_FAILURE, "out of memory");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, &set, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, EXPORT_MHD_LIMITS, MHD_OPTION_END);
    if (!d) {
        segset_free(&set);
        return cli_fail(BRRT_EXIT_FAILURE, "cannot listen on %s (in use? allowed?)", listen);
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "brrt-stat export: serving %s on http://%s/metrics\n", all ? "all segments" : name, listen);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    for (int i = 0; i < BODY_SLOTS; i++) /* every response is gone: no slot is busy */
        brrt_buf_free(&body_pool[i].b);
    segset_free(&set);
    return BRRT_EXIT_OK;
}
