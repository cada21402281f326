/* fuzz_addr: RFC 5322 address lists (addr_parse_list, as for From:) and single paths
 * (addr_parse_path, as for Return-Path) over any bytes. */
#include "engine/core/limits.h"
#include "engine/header/addr.h"
#include "tests/fuzz/fuzz.h"

static void check_addr(const struct addr *ad)
{
    for (size_t k = 0; k < ad->domain.len; k++) {
        uint8_t c = ad->domain.ptr[k];
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z')); /* domains come back lower case */
    }
    for (size_t k = 0; k < ad->local.len; k++) {
        (void)*(volatile const uint8_t *)(ad->local.ptr + k); /* readable */
    }
}

int fuzz_addr_one(const uint8_t *data, size_t size)
{
    static struct arena *a;
    if (a == NULL) {
        a = arena_new(0);
    }
    arena_reset(a);
    slice v = slice_make(data, size);
    struct addr_list l;
    enum addr_status st = addr_parse_list(a, &l, v);
    FUZZ_CHECK(addr_status_name(st) != NULL);
    FUZZ_CHECK(l.n <= LIM_FROM_ADDRESSES);
    if (st == ADDR_OK || st == ADDR_SYNTAX || st == ADDR_TOO_MANY) {
        for (size_t i = 0; i < l.n; i++) {
            check_addr(&l.v[i]);
        }
    }
    struct addr one;
    st = addr_parse_path(a, &one, v);
    FUZZ_CHECK(addr_status_name(st) != NULL);
    if (st == ADDR_OK) {
        check_addr(&one);
    }
    return 0;
}

FUZZ_ENTRY(fuzz_addr_one)
