/* The timed wait of the writer's background threads; see writer_internal.h. */
#include "writer_internal.h"

#include <time.h>

void brrt__cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

bool brrt__wait_period(pthread_cond_t *cond, pthread_mutex_t *lock, uint64_t period_ns, const bool *stop)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + period_ns;
    until.tv_sec += (time_t)(ns / 1000000000ull);
    until.tv_nsec = (long)(ns % 1000000000ull);
    while (!*stop && pthread_cond_timedwait(cond, lock, &until) == 0)
        ;
    return !*stop;
}
