/* Coroutines for the demo's request handlers: each runs on its own brrt_stack (guard page,
 * measured high-water mark), on the worker thread that started it. A handler may sleep
 * (co_sleep), which yields to the worker's event loop. Single-threaded per worker. */
#ifndef BRRT_DEMO_CORO_H
#define BRRT_DEMO_CORO_H

#include "brrtstat/stack.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

enum co_state { CO_IDLE, CO_RUNNING, CO_SLEEPING, CO_DONE, CO_OVERFLOWED };

struct coro {
    ucontext_t ctx;
    struct brrt_stack stack;
    enum co_state state;
    uint64_t wake_ns;            /* CO_SLEEPING: when to resume */
    void (*fn)(void *arg);
    void *arg;
    struct coro_pool *pool;
    struct coro *next;           /* free list / sleepers */
};

/* Stacks of one size, reused; `stacks` lists every stack ever made (for measurement). */
struct coro_pool {
    pthread_mutex_t lock; /* guards `all` growth against a concurrent co_pool_high_water */
    size_t stack_size;
    struct coro *free;
    struct coro **all;
    uint32_t n_all, cap_all;
};

/* The worker's side of the switch. */
struct coro_sched {
    ucontext_t loop;
    struct coro *current;
};

/* Installs the guard handler once per process; arms the calling worker thread. */
int co_thread_init(void);
/* A coroutine from the pool (a new stack when none is free); NULL on allocation failure. */
struct coro *co_get(struct coro_pool *pool, void (*fn)(void *), void *arg);
void co_put(struct coro *c);
/* Runs or resumes `c` until it finishes, sleeps or overflows its stack; returns its state. */
enum co_state co_resume(struct coro_sched *s, struct coro *c);
/* From inside a coroutine: sleep `ms`, letting the worker serve other connections. */
void co_sleep(struct coro_sched *s, uint32_t ms);
/* Highest stack use of any stack of the pool, in bytes. Safe from another thread. */
size_t co_pool_high_water(const struct coro_pool *pool);
uint64_t co_now_ns(void);

#endif
