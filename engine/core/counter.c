#include "engine/core/counter.h"

static atomic_uint next_stripe;
static _Thread_local unsigned my_stripe; /* 0: not taken yet; else stripe + 1 */

unsigned counter_stripe(void)
{
    if (my_stripe == 0) {
        my_stripe = atomic_fetch_add_explicit(&next_stripe, 1, memory_order_relaxed) %
                        COUNTER_STRIPES +
                    1;
    }
    return my_stripe - 1;
}
