/* brrt-demo load: a bounded HTTP load generator for the demo (so the demo needs nothing else
 * installed). Keep-alive connections on one epoll loop, an open-loop request schedule at
 * --rate (or as fast as possible), a request mix that includes every early error the server
 * has, and an exact count of the responses by status. Bounded by --duration and --requests;
 * talks only to the --target it is given. */
#include "load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024

struct lconn {
    int fd;
    bool connected;
    bool waiting;       /* a request is out, its response not complete */
    char req[512];
    size_t req_len, req_off;
    char in[65536 + 1]; /* + a terminating NUL for sscanf/strstr */
    size_t in_len;
    uint64_t sent_ns;
};

struct load {
    const struct load_opts *o;
    struct sockaddr_in addr;
    int epfd;
    struct lconn conns[MAX_CONNS];
    uint64_t sent, answered, errors, reconnects, connect_errors;
    uint64_t by_status[600];
    uint64_t lat_us[64]; /* log2 buckets of microseconds */
    uint64_t rng;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t next_rand(struct load *l)
{
    l->rng ^= l->rng << 13, l->rng ^= l->rng >> 7, l->rng ^= l->rng << 17;
    return l->rng;
}

/* The request mix: X(weight, request line and headers (%d: a random id), body). Every early
 * error the server has is in it: 404 unmatched, 405, 400 malformed, 413 body too large. */
#define MIX_NORMAL(X)                                                                            \
    X(10, "GET /health HTTP/1.1\r\nHost: demo\r\n", NULL)                                        \
    X(20, "GET /pets HTTP/1.1\r\nHost: demo\r\n", NULL)                                          \
    X(28, "GET /pets/%d HTTP/1.1\r\nHost: demo\r\n", NULL)                                       \
    X(20, "GET /users/%d/orders HTTP/1.1\r\nHost: demo\r\n", NULL)                               \
    X(10, "POST /pets HTTP/1.1\r\nHost: demo\r\nContent-Type: application/json\r\n",            \
      "{\"name\":\"rex\",\"species\":\"dog\"}")                                                   \
    X(4, "GET /no/such/route/%d HTTP/1.1\r\nHost: demo\r\n", NULL)                               \
    X(2, "DELETE /pets HTTP/1.1\r\nHost: demo\r\n", NULL)                                        \
    X(2, "GET /stack/%d HTTP/1.1\r\nHost: demo\r\n", NULL)                                       \
    X(1, "GET /sleep/20 HTTP/1.1\r\nHost: demo\r\n", NULL)                                       \
    X(2, "BROKEN REQUEST LINE\r\n", NULL)                                                         \
    X(1, "POST /pets HTTP/1.1\r\nHost: demo\r\nContent-Length: 10000000\r\n", NULL)

static const struct {
    int weight;
    const char *head;
    const char *body;
} mix[] = {
#define MIX_ROW(w, h, b) {w, h, b},
    MIX_NORMAL(MIX_ROW)
#undef MIX_ROW
};

static void build_request(struct load *l, struct lconn *c)
{
    int total = 0;
    for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
        total += mix[i].weight;
    int id = (int)(next_rand(l) % 1100) + 1;
    int n;
    if (l->o->path) {
        n = snprintf(c->req, sizeof c->req, "GET %s HTTP/1.1\r\nHost: demo\r\n\r\n", l->o->path);
    } else {
        int pick = (int)(next_rand(l) % (uint64_t)total);
        size_t i = 0;
        while (pick >= mix[i].weight)
            pick -= mix[i++].weight;
        if (strstr(mix[i].head, "/stack/"))
            id = id % 32 + 1; /* 1..32 KiB: within the default 64 KiB stack */
        n = snprintf(c->req, sizeof c->req, mix[i].head, id);
        const char *body = mix[i].body;
        if (body)
            n += snprintf(c->req + n, sizeof c->req - (size_t)n, "Content-Length: %zu\r\n\r\n%s",
                          strlen(body), body);
        else
            n += snprintf(c->req + n, sizeof c->req - (size_t)n, "\r\n");
    }
    c->req_len = (size_t)n;
    c->req_off = 0;
}

static int open_conn(struct load *l, struct lconn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&l->addr, sizeof l->addr) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->connected = false;
    c->waiting = false;
    c->in_len = 0;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, c->fd, &ev);
    return 0;
}

static void close_conn(struct load *l, struct lconn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->waiting = false;
}

static void record(struct load *l, int status, uint64_t ns)
{
    l->answered++;
    if (status >= 100 && status < 600)
        l->by_status[status]++;
    uint64_t us = ns / 1000;
    int b = 0;
    while (us > 1 && b < 63)
        us >>= 1, b++;
    l->lat_us[b]++;
}

/* Parses one complete response at the start of c->in, if there is one. */
static int take_response(struct load *l, struct lconn *c, bool *close_after)
{
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4;
    int status = 0;
    if (sscanf(c->in, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    size_t body = 0;
    *close_after = false;
    for (char *p = c->in; p < end; p = strstr(p, "\r\n") + 2) {
        if (strncasecmp(p, "Content-Length:", 15) == 0)
            body = strtoul(p + 15, NULL, 10);
        else if (strncasecmp(p, "Connection: close", 17) == 0)
            *close_after = true;
    }
    if (c->in_len < head + body)
        return 0;
    record(l, status, now_ns() - c->sent_ns);
    memmove(c->in, c->in + head + body, c->in_len - head - body);
    c->in_len -= head + body;
    c->in[c->in_len] = '\0';
    c->waiting = false;
    return 1;
}

static void on_event(struct load *l, struct lconn *c, uint32_t ev)
{
    if ((ev & EPOLLOUT) && !c->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            l->errors++;
            close_conn(l, c);
            return;
        }
        c->connected = true;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &e);
    }
    if (c->waiting && c->req_off < c->req_len) {
        ssize_t n = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
        if (n > 0)
            c->req_off += (size_t)n;
    }
    if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    for (;;) {
        if (c->in_len >= sizeof c->in - 1) { /* a response larger than we handle */
            l->errors++;
            close_conn(l, c);
            return;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->in[c->in_len] = '\0';
            bool close_after = false;
            int r;
            while ((r = take_response(l, c, &close_after)) > 0 && !close_after)
                ;
            if (r < 0 || close_after) {
                if (r < 0)
                    l->errors++;
                close_conn(l, c);
                return;
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            if (c->waiting) /* the server closed with our request unanswered */
                l->errors++;
            close_conn(l, c);
        }
        return;
    }
}

static bool send_one(struct load *l, struct lconn *c)
{
    if (c->fd < 0) {
        if (open_conn(l, c) != 0) {
            l->connect_errors++;
            return false;
        }
        l->reconnects++;
    }
    if (c->waiting)
        return false;
    build_request(l, c);
    c->waiting = true;
    c->sent_ns = now_ns();
    l->sent++;
    if (c->connected) {
        ssize_t n = send(c->fd, c->req, c->req_len, MSG_NOSIGNAL);
        if (n > 0)
            c->req_off = (size_t)n;
    }
    return true;
}

static void report(const struct load *l, double secs, bool json)
{
    uint64_t total = 0, cum = 0;
    for (int b = 0; b < 64; b++)
        total += l->lat_us[b];
    double p50 = 0, p99 = 0;
    for (int b = 0; b < 64 && total; b++) {
        cum += l->lat_us[b];
        if (!p50 && cum * 2 >= total)
            p50 = ldexp(1, b);
        if (!p99 && cum * 100 >= total * 99)
            p99 = ldexp(1, b);
    }
    if (json) {
        printf("{\"sent\":%llu,\"responses\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rps\":%.1f,"
               "\"p50_us_upper\":%.0f,\"p99_us_upper\":%.0f,\"connect_errors\":%llu,\"by_status\":{",
               (unsigned long long)l->sent, (unsigned long long)l->answered,
               (unsigned long long)l->errors, secs, (double)l->answered / secs, p50, p99,
               (unsigned long long)l->connect_errors);
        bool first = true;
        for (int s = 100; s < 600; s++)
            if (l->by_status[s]) {
                printf("%s\"%d\":%llu", first ? "" : ",", s, (unsigned long long)l->by_status[s]);
                first = false;
            }
        printf("}}\n");
        return;
    }
    printf("sent %llu  responses %llu  errors %llu  in %.2f s  (%.0f responses/s, p50 <= %.0f us, p99 <= %.0f us)\n",
           (unsigned long long)l->sent, (unsigned long long)l->answered, (unsigned long long)l->errors, secs,
           (double)l->answered / secs, p50, p99);
    for (int s = 100; s < 600; s++)
        if (l->by_status[s])
            printf("  %d  %llu\n", s, (unsigned long long)l->by_status[s]);
}

int load_run(const struct load_opts *o)
{
    struct load *l = calloc(1, sizeof *l);
    if (!l)
        return 1;
    l->o = o;
    l->rng = 0x2545F4914F6CDD1Dull ^ (uint64_t)o->seed;
    l->addr.sin_family = AF_INET;
    l->addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host, &l->addr.sin_addr) != 1) {
        fprintf(stderr, "brrt-demo load: \"%s\" is not an IPv4 address\n", o->host);
        free(l);
        return 2;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    int nc = o->connections;
    for (int i = 0; i < nc; i++)
        l->conns[i].fd = -1;
    uint64_t t0 = now_ns();
    uint64_t stop_sending = t0 + (uint64_t)(o->duration * 1e9);
    uint64_t hard_stop = stop_sending + 10ull * 1000000000ull; /* drain at most 10 s */
    double interval_ns = o->rate > 0 ? 1e9 / o->rate : 0;
    uint64_t next_send = t0;
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = now_ns();
        bool sending = now < stop_sending && (o->requests == 0 || l->sent < o->requests);
        bool outstanding = false;
        for (int i = 0; i < nc; i++)
            outstanding = outstanding || l->conns[i].waiting;
        if ((!sending && !outstanding) || now >= hard_stop)
            break;
        for (int i = 0; sending && i < nc && now >= next_send; i++) {
            if (o->requests && l->sent >= o->requests)
                break;
            if (send_one(l, &l->conns[i]) && interval_ns > 0)
                next_send += (uint64_t)interval_ns;
        }
        int timeout = 1;
        int n = epoll_wait(l->epfd, evs, 256, timeout);
        for (int i = 0; i < n; i++)
            on_event(l, evs[i].data.ptr, evs[i].events);
    }
    for (int i = 0; i < nc; i++) {
        if (l->conns[i].waiting)
            l->errors++; /* still unanswered at the hard stop */
        close_conn(l, &l->conns[i]);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    report(l, secs, o->json);
    close(l->epfd);
    int rc = l->sent == l->answered + l->errors ? 0 : 1;
    free(l);
    return rc;
}
