/* Self-measuring coroutine stacks with a guard page; see brrtstat/stack.h. */
#include "brrtstat/stack.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_STACK (1ull << 30)
#define ALT_STACK_SIZE (64 * 1024)

static size_t page_size(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

BRRT_NO_ASAN static void paint(uint8_t *from, uint8_t *to)
{
    for (uint64_t *w = (uint64_t *)from; (uint8_t *)w < to; w++)
        __atomic_store_n(w, BRRT_STACK_PATTERN, __ATOMIC_RELAXED);
}

int brrt_stack_alloc(size_t size, struct brrt_stack *out)
{
    if (!out || size == 0 || size > MAX_STACK)
        return BRRT_E_INVAL;
    size_t ps = page_size();
    size_t usable = (size + ps - 1) / ps * ps;
    size_t len = usable + ps;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return BRRT_E_NOMEM;
    if (mprotect(m, ps, PROT_NONE) != 0) {
        munmap(m, len);
        return BRRT_E_NOMEM;
    }
    out->map = m;
    out->map_len = len;
    out->lo = (uint8_t *)m + ps;
    out->hi = out->lo + usable;
    out->size = usable;
    paint(out->lo, out->hi);
    return 0;
}

void brrt_stack_free(struct brrt_stack *s)
{
    if (s && s->map) {
        munmap(s->map, s->map_len);
        memset(s, 0, sizeof *s);
    }
}

BRRT_NO_ASAN size_t brrt_stack_used(const struct brrt_stack *s)
{
    if (!s || !s->map)
        return 0;
    const uint64_t *w = (const uint64_t *)s->lo;
    const uint64_t *end = (const uint64_t *)s->hi;
    while (w < end && __atomic_load_n(w, __ATOMIC_RELAXED) == BRRT_STACK_PATTERN)
        w++;
    return (size_t)((const uint8_t *)end - (const uint8_t *)w);
}

void brrt_stack_repaint(struct brrt_stack *s, size_t keep)
{
    if (s && s->map && keep <= s->size)
        paint(s->lo, s->hi - keep);
}

/* ---- overflow catching ------------------------------------------------------------------ */

static __thread const struct brrt_stack *current;
static __thread sigjmp_buf catch_point;
static __thread int armed;
static __thread void *alt_stack;
static uint64_t overflows;
static struct sigaction previous;

sigjmp_buf *brrt_stack_catch(void)
{
    return &catch_point;
}

void brrt_stack_enter(const struct brrt_stack *s)
{
    current = s;
}

uint64_t brrt_stack_overflows(void)
{
    return __atomic_load_n(&overflows, __ATOMIC_RELAXED);
}

static void on_segv(int sig, siginfo_t *info, void *uctx)
{
    const struct brrt_stack *s = current;
    uint8_t *addr = info->si_addr;
    if (armed && s && addr >= s->map && addr < s->lo) {
        __atomic_fetch_add(&overflows, 1, __ATOMIC_RELAXED);
        current = NULL;
        siglongjmp(catch_point, BRRT_STACK_OVERFLOWED);
    }
    /* Not ours: behave as if we were never installed. */
    if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction) {
        previous.sa_sigaction(sig, info, uctx);
        return;
    }
    if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL && previous.sa_handler) {
        previous.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

int brrt_stack_guard_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, &previous) == 0 ? 0 : BRRT_E_SYSTEM;
}

int brrt_stack_guard_arm(void)
{
    /* The handler cannot run on the overflowed stack: give this thread an alternate one. */
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = malloc(ALT_STACK_SIZE);
    if (!ss.ss_sp)
        return BRRT_E_NOMEM;
    ss.ss_size = ALT_STACK_SIZE;
    if (sigaltstack(&ss, NULL) != 0) {
        free(ss.ss_sp);
        return BRRT_E_SYSTEM;
    }
    armed = 1;
    alt_stack = ss.ss_sp;
    return 0;
}

void brrt_stack_guard_disarm(void)
{
    if (!armed)
        return;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    free(alt_stack);
    alt_stack = NULL;
    armed = 0;
}
