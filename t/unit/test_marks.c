/* Licensed under the Apache License, Version 2.0 (see LICENSE). */
/* Where objects made between two marks of the allocation clock can sit. */

#include "ipcg_check.h"
#include "ipcguard/ipcg_scan.h"

#define ID(seq, idx) (((apr_int64_t)(seq) << 15) + (idx))

START_TEST(same_sequence_is_the_indexes_in_between)
{
    apr_int64_t lo[2], hi[2];
    int n = ipcg_mark_ranges(ID(3, 100), ID(3, 105), 15, 10000, lo, hi);

    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(lo[0], 101);
    ck_assert_int_eq(hi[0], 104);
    /* two marks in a row: nothing in between to read */
    n = ipcg_mark_ranges(ID(3, 100), ID(3, 101), 15, 10000, lo, hi);
    ck_assert_int_eq(n, 0);
    /* nothing above the highest index in use */
    n = ipcg_mark_ranges(ID(3, 100), ID(3, 200), 15, 150, lo, hi);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(hi[0], 150);
}
END_TEST

START_TEST(one_wrap_is_the_tail_and_the_head)
{
    apr_int64_t lo[2], hi[2];
    /* the clock wrapped once: after the first mark to the top, and from
     * 0 to before the second; a freed index below is taken again under
     * a larger sequence, so it is read */
    int n = ipcg_mark_ranges(ID(3, 60), ID(4, 5), 15, 63, lo, hi);

    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(lo[0], 61);
    ck_assert_int_eq(hi[0], 63);
    ck_assert_int_eq(lo[1], 0);
    ck_assert_int_eq(hi[1], 4);
}
END_TEST

START_TEST(past_the_first_mark_again_is_everything)
{
    apr_int64_t lo[2], hi[2];
    int n = ipcg_mark_ranges(ID(3, 10), ID(4, 20), 15, 63, lo, hi);

    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(lo[0], 0);
    ck_assert_int_eq(hi[0], 63);
    n = ipcg_mark_ranges(ID(3, 10), ID(6, 2), 15, 63, lo, hi);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(hi[0], 63);
}
END_TEST

START_TEST(a_wrapped_sequence_cannot_be_told)
{
    apr_int64_t lo[2], hi[2];

    ck_assert_int_eq(ipcg_mark_ranges(ID(65535, 10), ID(0, 11), 15, 63, lo, hi), -1);
    ck_assert_int_eq(ipcg_mark_ranges(ID(3, 10), ID(3, 10), 15, 63, lo, hi), -1);
    /* an empty table: nothing to read */
    ck_assert_int_eq(ipcg_mark_ranges(ID(3, 10), ID(3, 12), 15, -1, lo, hi), 0);
    /* ipcmni_extend: 24 bits of index */
    ck_assert_int_eq(ipcg_mark_ranges(((apr_int64_t)2 << 24) + 40000,
                                      ((apr_int64_t)2 << 24) + 40003, 24,
                                      50000, lo, hi), 1);
    ck_assert_int_eq(lo[0], 40001);
    ck_assert_int_eq(hi[0], 40002);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("marks");
    TCase *tc = tcase_create("ranges");

    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
    ADD_TEST(tc, same_sequence_is_the_indexes_in_between);
    ADD_TEST(tc, one_wrap_is_the_tail_and_the_head);
    ADD_TEST(tc, past_the_first_mark_again_is_everything);
    ADD_TEST(tc, a_wrapped_sequence_cannot_be_told);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
