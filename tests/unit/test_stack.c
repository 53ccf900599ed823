/* writer/stack.c: painting, high-water measurement at two known depths, guard-page overflow. */
#include "fixture.h"

#include "brrtstat/stack.h"

#include <string.h>
#include <ucontext.h>

static ucontext_t main_ctx, co_ctx;
static size_t depth_bytes;
static volatile int sink;

/* Uses about `depth_bytes` of stack: a frame that touches every byte of a local buffer. */
static __attribute__((noinline)) BRRT_NO_ASAN void deep(void)
{
    volatile char buf[256 * 1024];
    size_t n = depth_bytes < sizeof buf ? depth_bytes : sizeof buf;
    for (size_t i = 0; i < n; i += 64)
        buf[sizeof buf - 1 - i] = (char)i; /* from the top down, as a real frame fills */
    buf[sizeof buf - n] = 1;               /* and exactly n bytes deep */
    sink = buf[sizeof buf - 1];
}

static void entry(void)
{
    deep();
}

static size_t run_on(struct brrt_stack *s, size_t bytes)
{
    depth_bytes = bytes;
    getcontext(&co_ctx);
    co_ctx.uc_stack.ss_sp = s->lo;
    co_ctx.uc_stack.ss_size = s->size;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, entry, 0);
    swapcontext(&main_ctx, &co_ctx);
    return brrt_stack_used(s);
}

START_TEST(fresh_stack_is_unused_and_guarded)
{
    struct brrt_stack s;
    ck_assert_int_eq(brrt_stack_alloc(10000, &s), 0);
    ck_assert_uint_eq(s.size % 4096, 0);
    ck_assert_uint_ge(s.size, 10000);
    ck_assert_uint_eq(brrt_stack_used(&s), 0);
    s.hi[-8] = 1; /* one word at the top */
    ck_assert_uint_eq(brrt_stack_used(&s), 8);
    brrt_stack_repaint(&s, 0);
    ck_assert_uint_eq(brrt_stack_used(&s), 0);
    ck_assert_int_eq(brrt_stack_alloc(0, &s), BRRT_E_INVAL);
    brrt_stack_free(&s);
}
END_TEST

/* Two depths: the measurement follows the real use, not a constant. */
START_TEST(high_water_tracks_depth)
{
    struct brrt_stack s;
    ck_assert_int_eq(brrt_stack_alloc(512 * 1024, &s), 0);
    size_t shallow = run_on(&s, 16 * 1024);
    ck_assert_uint_ge(shallow, 16 * 1024);
    ck_assert_uint_lt(shallow, 16 * 1024 + 8 * 1024);
    brrt_stack_repaint(&s, 0);
    size_t deeper = run_on(&s, 128 * 1024);
    ck_assert_uint_ge(deeper, 128 * 1024);
    ck_assert_uint_lt(deeper, 128 * 1024 + 8 * 1024);
    /* without repainting, the mark stays at the deepest use */
    ck_assert_uint_eq(run_on(&s, 4 * 1024), deeper);
    brrt_stack_free(&s);
}
END_TEST

static volatile int limit = 1 << 30; /* never reached: the guard page stops it first */

static __attribute__((noinline)) BRRT_NO_ASAN int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return n < limit ? recurse(n + 1) + pad[0] : 0;
}

static void overflow_entry(void)
{
    sink = recurse(0);
}

START_TEST(overflow_is_caught_not_fatal)
{
    ck_assert_int_eq(brrt_stack_guard_install(), 0);
    ck_assert_int_eq(brrt_stack_guard_arm(), 0);
    struct brrt_stack s;
    ck_assert_int_eq(brrt_stack_alloc(64 * 1024, &s), 0);
    uint64_t before = brrt_stack_overflows();
    volatile int caught = 0;
    if (sigsetjmp(*brrt_stack_catch(), 0) == BRRT_STACK_OVERFLOWED) {
        caught = 1;
    } else {
        getcontext(&co_ctx);
        co_ctx.uc_stack.ss_sp = s.lo;
        co_ctx.uc_stack.ss_size = s.size;
        co_ctx.uc_link = &main_ctx;
        makecontext(&co_ctx, overflow_entry, 0);
        brrt_stack_enter(&s);
        swapcontext(&main_ctx, &co_ctx);
    }
    brrt_stack_enter(NULL);
    ck_assert_int_eq(caught, 1);
    ck_assert_uint_eq(brrt_stack_overflows(), before + 1);
    ck_assert_uint_ge(brrt_stack_used(&s), s.size - 1024); /* used (nearly) all of it */
    /* the stack can be used again after a repaint */
    brrt_stack_repaint(&s, 0);
    ck_assert_uint_ge(run_on(&s, 8 * 1024), 8 * 1024);
    brrt_stack_free(&s);
    brrt_stack_guard_disarm();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fresh_stack_is_unused_and_guarded);
    tcase_add_test(tc, high_water_tracks_depth);
    tcase_add_test(tc, overflow_is_caught_not_fatal);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
