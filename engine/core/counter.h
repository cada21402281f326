/* counter: a statistics counter that many threads bump without sharing a cache line.
 *
 * A single atomic bumped for every message by every worker makes the cores pass its cache
 * line back and forth (each bump a coherence miss on the other core). Each thread instead
 * bumps its own stripe, 64 bytes apart; reading sums the stripes. Threads take stripes in
 * turn on first use, so with more threads than stripes two share one: still correct (the
 * adds are atomic), only slower. For figures in --verbose and tests, never for decisions. */
#ifndef AUTHSWEEP_COUNTER_H
#define AUTHSWEEP_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

#define COUNTER_STRIPES 16

struct counter {
    struct {
        _Alignas(64) atomic_uint_fast64_t v;
    } s[COUNTER_STRIPES];
};

/* counter_stripe: this thread's stripe (taken on first use). */
unsigned counter_stripe(void);

static inline void counter_add(struct counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->s[counter_stripe()].v, n, memory_order_relaxed);
}

static inline uint64_t counter_get(const struct counter *c)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < COUNTER_STRIPES; i++) {
        sum += atomic_load_explicit(&((struct counter *)c)->s[i].v, memory_order_relaxed);
    }
    return sum;
}

#endif
