#include "server.h"

#include "http.h"
#include "routes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define READ_CHUNK 16384
#define MAX_CONNS_PER_WORKER 4096
/* A connection whose unsent output is over this is not read (nor its buffered requests
 * answered) until the output is flushed: a client that pipelines and never reads costs at
 * most this plus its input buffer, the kernel's socket buffers hold the rest. */
#define OUT_LIMIT (64 * 1024)
/* When accept4 fails for want of descriptors (or memory), the listener is paused for this,
 * doubling up to ACCEPT_BACKOFF_MAX_MS, and resumed early when a connection closes: pending
 * clients wait in the backlog instead of the workers spinning on a readable listener. */
#define ACCEPT_BACKOFF_MIN_MS 10
#define ACCEPT_BACKOFF_MAX_MS 1000
/* Edge-triggered: a connection whose request sleeps on a coroutine is simply not read (no
 * event storm), and its input buffer cannot move under the handler. */
#define CONN_EVENTS (EPOLLIN | EPOLLRDHUP | EPOLLET)

struct worker;

struct conn {
    int fd;
    struct worker *w;
    char *in;
    size_t in_len, in_cap;
    struct brrt_buf out;
    size_t out_off;
    bool close_after;   /* close once `out` is flushed */
    bool want_write;    /* EPOLLOUT registered */
    bool peer_closed;   /* the client closed (or reset) its side: counted once */
    bool read_eof;      /* nothing more will come in */
    bool unread;        /* the socket may hold unread bytes (edge-triggered: no new event) */
    bool broken;        /* a write failed: counted once, freed when not busy */
    bool stalled;       /* not read while its output is over OUT_LIMIT; pumped once flushed */
    uint64_t active_ns; /* last byte read or written: the idle timeout counts from it */
    struct conn *idle_prev, *idle_next; /* the worker's list, least recently active first */
    /* the request in progress on a coroutine (busy) */
    bool busy;
    struct coro *co;
    struct handler_ctx ctx;
    struct http_request req;
    int route;
    uint64_t start_ns;
    uint64_t deadline_ns;
    struct conn *next_sleeper;
};

struct worker {
    int id;
    pthread_t thread;
    int epfd;
    int lfd;
    const struct server_opts *o;
    struct demo_metrics *m;
    volatile sig_atomic_t *stop;
    struct coro_sched sched;
    struct coro_pool pools[64];
    struct conn *sleepers;
    struct conn *idle_head, *idle_tail;
    bool listen_paused;
    uint32_t accept_backoff_ms;
    uint64_t listen_resume_ns;
    uint32_t inflight;
    uint32_t conns;
    uint64_t rng;
    double tokens;
    uint64_t tokens_ns;
    struct request_counters counters;
};

static double rnd(struct worker *w)
{
    w->rng ^= w->rng << 13, w->rng ^= w->rng >> 7, w->rng ^= w->rng << 17;
    return (double)(w->rng >> 11) / 9007199254740992.0;
}

static int listen_on(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 1024)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void idle_unlink(struct conn *c)
{
    struct worker *w = c->w;
    *(c->idle_prev ? &c->idle_prev->idle_next : &w->idle_head) = c->idle_next;
    *(c->idle_next ? &c->idle_next->idle_prev : &w->idle_tail) = c->idle_prev;
    c->idle_prev = c->idle_next = NULL;
}

/* Marks c active now: it moves to the tail of the idle list. */
static void touch(struct conn *c)
{
    struct worker *w = c->w;
    if (w->idle_tail != c) {
        if (c->idle_prev || c->idle_next || w->idle_head == c)
            idle_unlink(c);
        c->idle_prev = w->idle_tail;
        *(w->idle_tail ? &w->idle_tail->idle_next : &w->idle_head) = c;
        w->idle_tail = c;
    }
    c->active_ns = co_now_ns();
}

static void conn_free(struct conn *c)
{
    struct worker *w = c->w;
    idle_unlink(c);
    if (w->listen_paused)
        w->listen_resume_ns = 0; /* a descriptor is free now: try accepting again */
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    brrt_buf_free(&c->out);
    brrt_buf_free(&c->ctx.out);
    w->conns--;
    free(c);
}

static void set_events(struct conn *c, bool want_write)
{
    if (c->want_write == want_write)
        return;
    struct epoll_event ev = {.events = CONN_EVENTS | (want_write ? EPOLLOUT : 0u), .data.ptr = c};
    epoll_ctl(c->w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = want_write;
}

enum flush_state { FLUSH_FAILED = -1, FLUSH_PENDING = 0, FLUSH_DRAINED = 1 };

/* Writes what it can of `out`. */
static enum flush_state flush(struct conn *c)
{
    if (c->broken)
        return FLUSH_FAILED;
    while (c->out_off < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            touch(c);
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_events(c, true);
            return FLUSH_PENDING;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            c->broken = true;
            instrument_count(c->w->m, c->w->m->conn_errors);
            return FLUSH_FAILED;
        }
    }
    brrt_buf_reset(&c->out);
    c->out_off = 0;
    set_events(c, false);
    return FLUSH_DRAINED;
}

/* The one place a response is produced: counted once, in-flight released once. */
static void respond(struct conn *c, int route, int status, const char *type, const char *body,
                    size_t len, bool close)
{
    struct worker *w = c->w;
    c->close_after = c->close_after || close || !c->req.keep_alive;
    http_respond(&c->out, status, type, body, len, c->close_after);
    const char *label = route >= 0 ? routes[route].template : PATH_UNMATCHED;
    instrument_response(w->m, &w->counters, route, label, status, c->start_ns, co_now_ns());
}

static void respond_error(struct conn *c, int route, int status, bool close)
{
    char body[96];
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", http_reason(status));
    respond(c, route, status, "application/json", body, (size_t)n, close);
}

static bool rate_limited(struct worker *w)
{
    if (!w->o->rate_limit)
        return false;
    uint64_t now = co_now_ns();
    w->tokens += (double)(now - w->tokens_ns) / 1e9 * w->o->rate_limit;
    if (w->tokens > w->o->rate_limit)
        w->tokens = w->o->rate_limit;
    w->tokens_ns = now;
    if (w->tokens < 1)
        return true;
    w->tokens -= 1;
    return false;
}

static void run_handler(void *arg)
{
    struct conn *c = arg;
    struct worker *w = c->w;
    if (w->o->slow_rate > 0 && rnd(w) < w->o->slow_rate)
        co_sleep(&w->sched, w->o->slow_ms);
    routes[c->route].fn(&c->ctx);
    if (w->o->error_rate > 0 && rnd(w) < w->o->error_rate)
        c->ctx.status = 500;
}

/* Finishes the request on the coroutine, whatever state it ended in. */
static void finish(struct conn *c, enum co_state st)
{
    struct worker *w = c->w;
    if (st == CO_SLEEPING) {
        c->next_sleeper = w->sleepers;
        w->sleepers = c;
        return;
    }
    if (st == CO_OVERFLOWED) {
        instrument_count(w->m, w->m->overflows);
        respond_error(c, c->route, 500, false);
    } else if (c->ctx.status >= 400 && c->ctx.status != 404 && c->ctx.status != 400 && c->ctx.out.len == 0) {
        respond_error(c, c->route, c->ctx.status, false);
    } else {
        respond(c, c->route, c->ctx.status, c->ctx.content_type, c->ctx.out.data ? c->ctx.out.data : "",
                c->ctx.out.len, false);
    }
    co_put(c->co);
    c->co = NULL;
    c->busy = false;
    w->inflight--;
    brrt_buf_reset(&c->ctx.out);
}

static bool out_full(const struct conn *c)
{
    return c->out.len - c->out_off > OUT_LIMIT;
}

/* Takes the next complete request off the input buffer. Returns false if there is none (or
 * the connection is to be closed, or its output is over the limit: stalled). */
static bool next_request(struct conn *c)
{
    struct worker *w = c->w;
    if (c->busy || c->close_after || c->in_len == 0)
        return false;
    if (out_full(c)) {
        c->stalled = true;
        return false;
    }
    struct http_request *req = &c->req;
    enum http_parse p = http_parse(c->in, c->in_len, req);
    if (p == HTTP_INCOMPLETE)
        return false;
    c->start_ns = co_now_ns();
    instrument_begin(w->m);
    if (p != HTTP_OK) { /* malformed or oversize: answer, then close (framing is lost) */
        int route = -1;
        if (p == HTTP_BODY_TOO_LARGE) /* the request line was fine: label it with its route */
            route_find(req->method, req->path, &route, &c->ctx);
        req->keep_alive = false;
        respond_error(c, route, (int)p, true);
        return false;
    }
    size_t used = req->header_len + req->body_len;
    memset(&c->ctx.param, 0, sizeof c->ctx.param);
    int route;
    enum route_match rm = route_find(req->method, req->path, &route, &c->ctx);
    if (rm == ROUTE_NO_PATH) {
        respond_error(c, -1, 404, false);
    } else if (rm == ROUTE_BAD_METHOD) {
        respond_error(c, route, 405, false);
    } else if (rate_limited(w)) {
        respond_error(c, route, 429, false);
    } else if (w->inflight >= w->o->max_inflight) {
        respond_error(c, route, 503, false);
    } else {
        struct coro *co = co_get(&w->pools[route], run_handler, c);
        if (!co) {
            respond_error(c, route, 503, false);
        } else {
            c->route = route;
            c->co = co;
            c->busy = true;
            w->inflight++;
            c->ctx.sched = &w->sched;
            c->ctx.body = c->in + req->header_len; /* stays put: input is consumed after */
            c->ctx.body_len = req->body_len;
            c->ctx.status = 200;
            c->ctx.content_type = "application/json";
            c->deadline_ns = c->start_ns + (uint64_t)w->o->timeout_ms * 1000000ull;
            finish(c, co_resume(&w->sched, co));
            if (c->busy)
                return false; /* sleeping: keep the input until it is done */
        }
    }
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    return true;
}

/* Reads what the socket holds, as far as the input buffer allows. */
static void read_some(struct conn *c)
{
    struct worker *w = c->w;
    while (!c->read_eof) {
        if (c->in_cap - c->in_len < READ_CHUNK / 4) {
            if (c->in_cap >= HTTP_MAX_HEADER + HTTP_MAX_BODY + READ_CHUNK)
                return; /* full: read again once requests are consumed (unread stays set) */
            size_t cap = c->in_cap ? c->in_cap * 2 : READ_CHUNK;
            char *p = realloc(c->in, cap);
            if (!p)
                return;
            c->in = p;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            touch(c);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->unread = false;
            return;
        } else {
            c->read_eof = true;
            c->unread = false;
            if (!c->peer_closed)
                instrument_count(w->m, n == 0 ? w->m->closes : w->m->conn_errors);
            c->peer_closed = true;
        }
    }
}

/* Makes all the progress it can: read (unless a request is running or the output is over
 * the limit), answer complete requests in order; again while a full buffer was drained. */
static void pump(struct conn *c)
{
    for (;;) {
        if (out_full(c)) {
            c->stalled = true; /* settle() pumps again once the output is flushed */
            return;
        }
        if (!c->busy && c->unread)
            read_some(c);
        if (c->busy)
            return;
        c->ctx.body = NULL;
        bool progressed = false;
        while (next_request(c))
            progressed = true;
        if (c->busy || !c->unread || c->read_eof || !progressed)
            return;
    }
}

/* After any event on c: flush, then free it once nothing more will happen on it. */
static void settle(struct conn *c)
{
    enum flush_state st = flush(c);
    while (st == FLUSH_DRAINED && c->stalled && !c->busy) {
        c->stalled = false; /* flushed: read and answer again (edge-triggered: no new event) */
        pump(c);
        st = flush(c);
    }
    if (c->busy) /* a coroutine owns the request: decide after it is answered */
        return;
    if (st == FLUSH_FAILED || (st == FLUSH_DRAINED && (c->close_after || c->read_eof)))
        conn_free(c);
}

static void wake_sleepers(struct worker *w)
{
    uint64_t now = co_now_ns();
    struct conn **pp = &w->sleepers;
    while (*pp) {
        struct conn *c = *pp;
        bool late = now >= c->deadline_ns;
        if (!late && now < c->co->wake_ns) {
            pp = &c->next_sleeper;
            continue;
        }
        *pp = c->next_sleeper;
        if (late) {
            /* Past its deadline: answer 504 and abandon the coroutine (it holds nothing). */
            respond_error(c, c->route, 504, false);
            co_put(c->co);
            c->co = NULL;
            c->busy = false;
            w->inflight--;
            brrt_buf_reset(&c->ctx.out);
        } else {
            finish(c, co_resume(&w->sched, c->co));
        }
        if (!c->busy) {
            size_t used = c->req.header_len + c->req.body_len;
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            pump(c); /* what arrived meanwhile, and the requests behind this one */
        }
        settle(c);
        pp = &w->sleepers; /* the list may have changed under us */
    }
}

/* Closes connections idle for idle_timeout_ms (nothing read or written). A connection whose
 * request runs on a coroutine is not idle: its deadline answers it. */
static void close_idle(struct worker *w)
{
    uint64_t now = co_now_ns(), limit = (uint64_t)w->o->idle_timeout_ms * 1000000ull;
    while (limit && w->idle_head && w->idle_head->active_ns + limit <= now) {
        struct conn *c = w->idle_head;
        if (c->busy)
            touch(c);
        else
            conn_free(c);
    }
}

static int next_timeout_ms(const struct worker *w)
{
    uint64_t now = co_now_ns(), next = UINT64_MAX;
    for (const struct conn *c = w->sleepers; c; c = c->next_sleeper) {
        uint64_t t = c->co->wake_ns < c->deadline_ns ? c->co->wake_ns : c->deadline_ns;
        next = t < next ? t : next;
    }
    if (w->o->idle_timeout_ms && w->idle_head) {
        uint64_t t = w->idle_head->active_ns + (uint64_t)w->o->idle_timeout_ms * 1000000ull;
        next = t < next ? t : next;
    }
    if (w->listen_paused)
        next = w->listen_resume_ns < next ? w->listen_resume_ns : next;
    if (next == UINT64_MAX)
        return 200;
    return next <= now ? 0 : (int)((next - now) / 1000000ull) + 1;
}

static void listen_events(struct worker *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = NULL};
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, w->lfd, &ev);
}

/* accept4 failed for want of a resource: the listener stays readable, so stop watching it. */
static void pause_listener(struct worker *w, int err)
{
    if (w->accept_backoff_ms == 0)
        fprintf(stderr, "brrt-demo: worker %d: accept: %s; pausing the listener\n", w->id,
                strerror(err));
    w->accept_backoff_ms = w->accept_backoff_ms == 0 ? ACCEPT_BACKOFF_MIN_MS
                           : w->accept_backoff_ms >= ACCEPT_BACKOFF_MAX_MS / 2 ? ACCEPT_BACKOFF_MAX_MS
                                                                               : 2 * w->accept_backoff_ms;
    w->listen_resume_ns = co_now_ns() + (uint64_t)w->accept_backoff_ms * 1000000ull;
    if (!w->listen_paused)
        listen_events(w, 0);
    w->listen_paused = true;
}

static void resume_listener(struct worker *w)
{
    if (w->listen_paused && co_now_ns() >= w->listen_resume_ns) {
        w->listen_paused = false;
        listen_events(w, EPOLLIN); /* level-triggered: reports a waiting client at once */
    }
}

static void accept_all(struct worker *w)
{
    for (;;) {
        int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                pause_listener(w, errno); /* EMFILE, ENFILE, ENOBUFS, ENOMEM */
            return;
        }
        w->accept_backoff_ms = 0;
        struct conn *c = w->conns < MAX_CONNS_PER_WORKER ? calloc(1, sizeof *c) : NULL;
        if (!c) {
            close(fd);
            instrument_count(w->m, w->m->conn_errors);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->fd = fd;
        c->w = w;
        c->route = -1;
        w->conns++;
        c->unread = true;
        touch(c);
        struct epoll_event ev = {.events = CONN_EVENTS, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    co_thread_init();
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->lfd, &ev);
    struct epoll_event events[MAX_EVENTS];
    while (!*w->stop) {
        int n = epoll_wait(w->epfd, events, MAX_EVENTS, next_timeout_ms(w));
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                accept_all(w);
                continue;
            }
            if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                c->unread = true;
                pump(c);
            }
            settle(c);
        }
        wake_sleepers(w);
        close_idle(w);
        resume_listener(w);
    }
    brrt_stack_guard_disarm();
    return NULL;
}

int server_run(const struct server_opts *o, struct demo_metrics *m, volatile sig_atomic_t *stop)
{
    struct worker *ws = calloc((size_t)o->workers, sizeof *ws);
    int rc = 0, started = 0;
    for (int i = 0; ws && i < o->workers; i++) {
        struct worker *w = &ws[i];
        w->id = i;
        w->o = o;
        w->m = m;
        w->stop = stop;
        w->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        w->tokens = o->rate_limit;
        w->tokens_ns = co_now_ns();
        w->lfd = listen_on(o->host, o->port);
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (w->lfd < 0 || w->epfd < 0) {
            fprintf(stderr, "brrt-demo: cannot listen on %s:%d: %s\n", o->host, o->port, strerror(errno));
            rc = -1;
            break;
        }
        for (int r = 0; r < n_routes; r++) {
            pthread_mutex_init(&w->pools[r].lock, NULL);
            w->pools[r].stack_size = o->stack_size[r];
            instrument_add_pool(m, &w->pools[r]);
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = -1;
            break;
        }
        started++;
    }
    if (rc)
        *stop = 1;
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    instrument_forget_pools(m); /* the heartbeat tick must not scan freed pools */
    free(ws);
    return ws ? rc : -1;
}
