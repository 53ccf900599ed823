#include "coro.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static pthread_once_t guard_once = PTHREAD_ONCE_INIT;

static void install(void)
{
    brrt_stack_guard_install();
}

int co_thread_init(void)
{
    pthread_once(&guard_once, install);
    return brrt_stack_guard_arm();
}

uint64_t co_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __thread struct coro_sched *tls_sched;

static void trampoline(void)
{
    struct coro *c = tls_sched->current;
    c->fn(c->arg);
    c->state = CO_DONE;
    /* returning switches to uc_link, the worker loop */
}

struct coro *co_get(struct coro_pool *p, void (*fn)(void *), void *arg)
{
    struct coro *c = p->free;
    if (c) {
        p->free = c->next;
    } else {
        c = calloc(1, sizeof *c);
        if (!c || brrt_stack_alloc(p->stack_size, &c->stack) != 0) {
            free(c);
            return NULL;
        }
        c->pool = p;
        pthread_mutex_lock(&p->lock);
        if (p->n_all == p->cap_all) {
            uint32_t cap = p->cap_all ? p->cap_all * 2 : 16;
            struct coro **all = realloc(p->all, cap * sizeof *all);
            if (!all) {
                pthread_mutex_unlock(&p->lock);
                brrt_stack_free(&c->stack);
                free(c);
                return NULL;
            }
            p->all = all;
            p->cap_all = cap;
        }
        p->all[p->n_all++] = c;
        pthread_mutex_unlock(&p->lock);
    }
    c->fn = fn;
    c->arg = arg;
    c->state = CO_IDLE;
    c->next = NULL;
    return c;
}

void co_put(struct coro *c)
{
    if (c->state == CO_OVERFLOWED)
        brrt_stack_repaint(&c->stack, 0); /* its contents are garbage; measure afresh */
    c->next = c->pool->free;
    c->pool->free = c;
}

enum co_state co_resume(struct coro_sched *s, struct coro *c)
{
    tls_sched = s;
    if (c->state == CO_IDLE) {
        getcontext(&c->ctx);
        c->ctx.uc_stack.ss_sp = c->stack.lo;
        c->ctx.uc_stack.ss_size = c->stack.size;
        c->ctx.uc_link = &s->loop;
        makecontext(&c->ctx, trampoline, 0);
    }
    c->state = CO_RUNNING;
    s->current = c;
    brrt_stack_enter(&c->stack);
    if (sigsetjmp(*brrt_stack_catch(), 0) == BRRT_STACK_OVERFLOWED) {
        c->state = CO_OVERFLOWED; /* the handler's state is abandoned; nothing to unwind */
    } else {
        swapcontext(&s->loop, &c->ctx);
    }
    brrt_stack_enter(NULL);
    s->current = NULL;
    return c->state;
}

void co_sleep(struct coro_sched *s, uint32_t ms)
{
    struct coro *c = s->current;
    c->wake_ns = co_now_ns() + (uint64_t)ms * 1000000ull;
    c->state = CO_SLEEPING;
    swapcontext(&c->ctx, &s->loop);
}

size_t co_pool_high_water(const struct coro_pool *p)
{
    size_t best = 0;
    pthread_mutex_lock((pthread_mutex_t *)&p->lock);
    for (uint32_t i = 0; i < p->n_all; i++) {
        size_t u = brrt_stack_used(&p->all[i]->stack);
        best = u > best ? u : best;
    }
    pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
    return best;
}
