/*
 * test_duration.c - the ISO 8601 duration parser on hostile input (issue
 * #21, point 6): repeated or out-of-order designators and values whose
 * product or sum overflows int64 are refused, without undefined behaviour
 * (this runs under UBSan in CI), and ordinary periods still parse.
 */
#include <config.h>

#include <CUnit/Basic.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ch_util.h"
#include "ts_cunit.h"

static void test_valid(void)
{
    int64_t ms = -1;

    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("P540D", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(540) * 86400000);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("P1Y2M", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(425) * 86400000);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("PT36H", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(36) * 3600000);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("P2W", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(14) * 86400000);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("P1DT1H1M1S", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(86400000) + 3600000 + 60000 + 1000);
    /* The largest that fits. */
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("PT9223372036854775S", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_C(9223372036854775) * 1000);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms("P106751991167DT7H12M55S", &ms), 0);
    CU_ASSERT_EQUAL(ms, INT64_MAX - 807);
}

static void test_hostile(void)
{
    static const char *const bad[] = {
        "", "P", "PT", "P1DT", "D", "P1", "P1X", "PT1D", "P1H", "P-1D", "P1.5D",
        "P1D1D", "P1M1Y", "PT1S1M", "P1YT1H1H", "PTT1H",
        "P9999999999999999999D",        /* the digits overflow */
        "PT9223372036854776S",          /* the product overflows */
        "P106751991167D1000000000000H", /* not in order */
        "P106751991167DT7H12M56S",      /* the sum overflows (INT64_MAX ms is
                                           106751991167 days 7:12:55.807) */
    };
    char big[400] = "P";
    int64_t ms = 42;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ch_iso8601_duration_ms(bad[i], &ms) != -1)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CU_ASSERT_EQUAL(ch_iso8601_duration_ms(bad[i], &ms), -1);
    }
    CU_ASSERT_EQUAL(ms, 42);   /* untouched on refusal */
    /* The manifest: "P" + "9999999Y" x 30. */
    for (i = 0; i < 30; i++)
        strcat(big, "9999999Y");
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms(big, &ms), -1);
    CU_ASSERT_EQUAL(ch_iso8601_duration_ms(NULL, &ms), -1);
}

int main(void)
{
    static const ts_test tests[] = {
        {"ordinary periods", test_valid},
        {"hostile durations refused", test_hostile},
    };
    static const ts_suite suites[] = {
        {"duration", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
