#include <criterion/criterion.h>

#include "engine/core/slice.h"
#include "tests/support/guard.h"

Test(slice, take_until_moves_past_delimiter)
{
    slice in = guard_slice("a=b;c"), out;
    cr_assert(slice_take_until(&in, ';', &out));
    cr_assert(slice_eq(out, SLICE_LIT("a=b")));
    cr_assert(slice_eq(in, SLICE_LIT("c")));
}

Test(slice, take_until_absent_leaves_input_unchanged)
{
    slice in = guard_slice("abc"), out = SLICE_NULL;
    cr_assert_not(slice_take_until(&in, ';', &out));
    cr_assert_eq(in.len, 3);
}

Test(slice, take_line_strips_cr_and_handles_missing_final_newline)
{
    slice in = guard_slice("one\r\ntwo\nthree"), l;
    cr_assert(slice_take_line(&in, &l) && slice_eq(l, SLICE_LIT("one")));
    cr_assert(slice_take_line(&in, &l) && slice_eq(l, SLICE_LIT("two")));
    cr_assert(slice_take_line(&in, &l) && slice_eq(l, SLICE_LIT("three")));
    cr_assert_not(slice_take_line(&in, &l));
}

Test(slice, u64_rejects_overflow_and_empty)
{
    uint64_t v;
    cr_assert(slice_u64_all(guard_slice("18446744073709551615"), &v));
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_not(slice_u64_all(guard_slice("18446744073709551616"), &v));
    cr_assert_not(slice_u64_all(guard_slice(""), &v));
    cr_assert_not(slice_u64_all(guard_slice("12a"), &v));
    cr_assert_not(slice_u64_all(guard_slice("-1"), &v));
}

Test(slice, trim_fws_removes_folding_whitespace_both_ends)
{
    cr_assert(slice_eq(slice_trim_fws(guard_slice(" \t\r\n x y \r\n")), SLICE_LIT("x y")));
    cr_assert_eq(slice_trim_fws(guard_slice(" \t ")).len, 0);
}

Test(slice, eq_ci_is_ascii_only)
{
    cr_assert(slice_eq_ci(guard_slice("DKIM-Signature"), SLICE_LIT("dkim-signature")));
    cr_assert_not(slice_eq_ci(guard_bytes("\xc4", 1), guard_bytes("\xe4", 1)));
}

Test(slice, find_sub_handles_short_and_nul_containing_input)
{
    cr_assert_eq(slice_find_sub(guard_bytes("a\0bc", 4), SLICE_LIT("bc")), 2);
    cr_assert_eq(slice_find_sub(guard_slice("ab"), SLICE_LIT("abc")), -1);
}
