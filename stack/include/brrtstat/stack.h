/* Coroutine stacks that measure themselves (library brrtstat_stack, independent of the metric
 * libraries: it installs a process-wide SIGSEGV handler, which only a program that asks for it
 * should get). Any coroutine runtime can allocate its stacks here
 * and get (1) a guard page below the stack, so an overflow faults instead of corrupting the
 * neighbour, and (2) the high-water mark of use, measured by painting the stack with a pattern
 * at creation and scanning for the deepest overwritten word.
 *
 * Usage constraints:
 *  1. Stacks grow down (x86-64, aarch64). The usable range is [lo, hi); the guard page is the
 *     page below lo.
 *  2. brrt_stack_used() may run on another thread while the coroutine runs; it reads words
 *     with relaxed atomic loads and may under-report by what was written after the scan.
 *  3. The high-water mark never decreases until brrt_stack_repaint().
 *  4. Overflow detection: call brrt_stack_guard_install() once per process; then
 *     brrt_stack_guard_arm() on a thread gives it an alternate signal stack, and a fault in the
 *     guard page of the stack registered with brrt_stack_enter() jumps back to the
 *     brrt_stack_catch() point of that thread with BRRT_STACK_OVERFLOWED. A fault anywhere else
 *     keeps the default action (the process crashes, as it would without this). Code that
 *     overflowed must not hold locks (malloc's included) at the fault; its state is abandoned. */
#ifndef BRRTSTAT_STACK_H
#define BRRTSTAT_STACK_H

#include "brrtstat/errors.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BRRT_STACK_API __attribute__((visibility("default")))

#define BRRT_STACK_PATTERN 0x5A17C0DE5A17C0DEull

/* Code that reads or writes stack memory outside its own frames on purpose (painting,
 * scanning, frames of a known size) opts out of AddressSanitizer's stack instrumentation,
 * which would otherwise report those accesses and add redzones to the frames. */
#define BRRT_NO_ASAN __attribute__((no_sanitize_address))
#define BRRT_STACK_OVERFLOWED 0x0F

struct brrt_stack {
    uint8_t *map;   /* mmap'd region: guard page + stack */
    size_t map_len;
    uint8_t *lo;    /* lowest usable byte */
    uint8_t *hi;    /* one past the highest: the initial stack pointer */
    size_t size;    /* hi - lo */
};

/* Rounds `size` up to whole pages, maps it plus a PROT_NONE guard page, paints it. Returns 0,
 * BRRT_E_INVAL (size 0 or above 1 GiB) or BRRT_E_NOMEM. */
BRRT_STACK_API int brrt_stack_alloc(size_t size, struct brrt_stack *out);
BRRT_STACK_API void brrt_stack_free(struct brrt_stack *s);
/* Bytes between hi and the deepest word ever written (a multiple of 8). */
BRRT_STACK_API size_t brrt_stack_used(const struct brrt_stack *s);
/* Paints [lo, lo + size - keep) again so a reused stack measures afresh; `keep` bytes at the
 * top (the live frames of the caller, if any) are left alone. */
BRRT_STACK_API void brrt_stack_repaint(struct brrt_stack *s, size_t keep);

/* Overflow catching (constraint 4). */
BRRT_STACK_API int brrt_stack_guard_install(void);
BRRT_STACK_API int brrt_stack_guard_arm(void);
/* Undoes brrt_stack_guard_arm on this thread (frees its alternate signal stack). */
BRRT_STACK_API void brrt_stack_guard_disarm(void);
/* The jump buffer of this thread's catch point; use as: if (sigsetjmp(*brrt_stack_catch(), 0)). */
BRRT_STACK_API sigjmp_buf *brrt_stack_catch(void);
/* Tells the fault handler which stack this thread is running on now (NULL: none). */
BRRT_STACK_API void brrt_stack_enter(const struct brrt_stack *s);
/* Overflows caught so far in this process. */
BRRT_STACK_API uint64_t brrt_stack_overflows(void);

#ifdef __cplusplus
}
#endif

#endif
