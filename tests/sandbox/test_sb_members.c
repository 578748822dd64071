/* test_sb_members.c: unit tests of the compact member set and the fault
 * picker, linked directly against the sandbox sources. */
#include "sb.h"

#include <CUnit/Basic.h>
#include "ts_cunit.h"
#include <stdlib.h>
#include <string.h>

static void key_of(uint64_t i, uint8_t key[32])
{
    for (int w = 0; w < 4; w++) {
        uint64_t v = sb_splitmix64(i * 4 + (uint64_t)w);
        memcpy(key + 8 * w, &v, 8);
    }
}

static void t_add_remove_many(void)
{
    sb_members *m = sb_members_new();
    uint8_t key[32];
    const uint64_t n = 200000;
    size_t hits = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (uint64_t i = 0; i < n; i++) {
        key_of(i, key);
        CU_ASSERT_EQUAL_FATAL(sb_members_add(m, key, i % 2 ? SB_T_EMAIL_SHA256
                                                           : SB_T_PHONE_SHA256), 1);
    }
    key_of(5, key);
    CU_ASSERT_EQUAL(sb_members_add(m, key, SB_T_EMAIL_SHA256), 0);
    CU_ASSERT_EQUAL(sb_members_count(m), n);
    CU_ASSERT_EQUAL(sb_members_count_type(m, SB_T_EMAIL_SHA256), n / 2);
    /* Remove every third: backward-shift deletion must keep the rest
     * reachable. */
    for (uint64_t i = 0; i < n; i += 3) {
        key_of(i, key);
        CU_ASSERT_EQUAL_FATAL(sb_members_remove(m, key, i % 2 ? SB_T_EMAIL_SHA256
                                                               : SB_T_PHONE_SHA256), 1);
    }
    key_of(0, key);
    CU_ASSERT_EQUAL(sb_members_remove(m, key, SB_T_PHONE_SHA256), 0);
    for (uint64_t i = 0; i < n; i++) {
        int t = i % 2 ? SB_T_EMAIL_SHA256 : SB_T_PHONE_SHA256;
        key_of(i, key);
        hits += sb_members_contains(m, key, t);
        if ((i % 3 == 0) == sb_members_contains(m, key, t)) {
            CU_FAIL_FATAL("membership wrong after removals");
        }
    }
    CU_ASSERT_EQUAL(hits, n - (n + 2) / 3);
    CU_ASSERT_EQUAL(sb_members_count(m), hits);
    sb_members_free(m);
}

/* The same digest under two types is two members; removing one type
 * leaves the other. */
/* A batch must leave exactly the set one-at-a-time adds leave: repeats
 * inside a batch, members already present, the same digest under two
 * types, batches that make the table grow. */
static void t_add_batch(void)
{
    sb_members *one = sb_members_new(), *batch = sb_members_new();
    static uint8_t keys[SB_MEMBERS_BATCH][32];
    static uint8_t types[SB_MEMBERS_BATCH];
    size_t added = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(one);
    CU_ASSERT_PTR_NOT_NULL_FATAL(batch);
    for (uint64_t round = 0; round < 64; round++) {
        int got;
        for (size_t i = 0; i < SB_MEMBERS_BATCH; i++) {
            /* keys repeat across rounds and within one (i / 3) */
            key_of(round * 500 + i / 3, keys[i]);
            types[i] = i % 5 == 0 ? SB_T_PHONE_SHA256 : SB_T_EMAIL_SHA256;
            added += (size_t)sb_members_add(one, keys[i], types[i]);
        }
        got = sb_members_add_batch(batch, (const uint8_t (*)[32])keys, types,
                                   SB_MEMBERS_BATCH);
        CU_ASSERT_FATAL(got >= 0);
        CU_ASSERT_EQUAL(sb_members_count(batch), sb_members_count(one));
    }
    CU_ASSERT_EQUAL(sb_members_count(batch), added);
    CU_ASSERT_EQUAL(sb_members_count_type(batch, SB_T_PHONE_SHA256),
                    sb_members_count_type(one, SB_T_PHONE_SHA256));
    for (uint64_t i = 0; i < 64 * 500 + SB_MEMBERS_BATCH; i++) {
        uint8_t key[32];
        key_of(i, key);
        CU_ASSERT_EQUAL(sb_members_contains(batch, key, SB_T_EMAIL_SHA256),
                        sb_members_contains(one, key, SB_T_EMAIL_SHA256));
        CU_ASSERT_EQUAL(sb_members_contains(batch, key, SB_T_PHONE_SHA256),
                        sb_members_contains(one, key, SB_T_PHONE_SHA256));
    }
    /* refused whole: a type that is none, a batch over the limit */
    types[7] = 0;
    CU_ASSERT_EQUAL(sb_members_add_batch(batch, (const uint8_t (*)[32])keys, types, 8), -1);
    CU_ASSERT_EQUAL(sb_members_add_batch(batch, (const uint8_t (*)[32])keys, types,
                                         SB_MEMBERS_BATCH + 1), -1);
    CU_ASSERT_EQUAL(sb_members_count(batch), added);
    /* reserve: room without a rehash, and the set unchanged */
    CU_ASSERT_EQUAL(sb_members_reserve(batch, 1000000), 0);
    CU_ASSERT_EQUAL(sb_members_count(batch), added);
    sb_members_free(one);
    sb_members_free(batch);
}

static void t_typed_identity(void)
{
    sb_members *m = sb_members_new();
    uint8_t k[32] = {0x42};

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(sb_members_add(m, k, SB_T_EMAIL_SHA256), 1);
    CU_ASSERT_EQUAL(sb_members_add(m, k, SB_T_FIRST_SHA256), 1);
    CU_ASSERT_EQUAL(sb_members_add(m, k, SB_T_EMAIL_SHA256), 0);
    CU_ASSERT_EQUAL(sb_members_count(m), 2);
    CU_ASSERT_EQUAL(sb_members_remove(m, k, SB_T_PHONE_SHA256), 0);
    CU_ASSERT_EQUAL(sb_members_remove(m, k, SB_T_EMAIL_SHA256), 1);
    CU_ASSERT_FALSE(sb_members_contains(m, k, SB_T_EMAIL_SHA256));
    CU_ASSERT_TRUE(sb_members_contains(m, k, SB_T_FIRST_SHA256));
    CU_ASSERT_EQUAL(sb_members_count_type(m, SB_T_FIRST_SHA256), 1);
    CU_ASSERT_EQUAL(sb_members_count_type(m, SB_T_EMAIL_SHA256), 0);
    sb_members_free(m);
}

static void t_dump_sorted(void)
{
    sb_members *m = sb_members_new();
    uint8_t a[32] = {0xff}, b[32] = {0x01}, md5[32] = {0x80};
    char *out = NULL;
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(sb_members_add(m, a, SB_T_EMAIL_SHA256), 1);
    CU_ASSERT_EQUAL(sb_members_add(m, b, SB_T_EMAIL_SHA256), 1);
    CU_ASSERT_EQUAL(sb_members_add(m, md5, SB_T_IDFA_MD5), 1);
    CU_ASSERT_EQUAL_FATAL(sb_members_dump_sorted(m, 0, false, &out, &len), 0);
    CU_ASSERT_EQUAL(len, 65 + 33 + 65);
    CU_ASSERT_EQUAL(strncmp(out, "01", 2), 0);
    CU_ASSERT_EQUAL(strncmp(out + 65, "80000000000000000000000000000000\n", 33), 0);
    CU_ASSERT_EQUAL(strncmp(out + 98, "ff", 2), 0);
    free(out);
    sb_members_free(m);
}

static void t_fault_spec(void)
{
    sb_faults f, g;
    char err[256];
    int counts[9] = {0};

    CU_ASSERT_EQUAL(sb_faults_parse("seed=3,rate_limit=0.5,endpoints=a/|b/", 1, &f, err,
                                    sizeof err), 0);
    CU_ASSERT_EQUAL(f.seed, 3);
    CU_ASSERT_EQUAL(sb_faults_parse("drop=0.7,slow=0.7", 1, &g, err, sizeof err), -1);
    CU_ASSERT_EQUAL(sb_faults_parse("drop", 1, &g, err, sizeof err), -1);
    CU_ASSERT_EQUAL(sb_faults_parse("seed=-1", 1, &g, err, sizeof err), -1);
    for (uint64_t n = 0; n < 10000; n++) {
        enum sb_fault x = sb_faults_pick(&f, n, "/x/a/");
        CU_ASSERT_EQUAL(x, sb_faults_pick(&f, n, "/x/a/"));
        counts[x]++;
        CU_ASSERT_EQUAL(sb_faults_pick(&f, n, "/x/c/"), SB_F_NONE);
    }
    /* About half rate limited, split between 40100 and 40133. */
    CU_ASSERT(counts[SB_F_RATE_40100] > 2000 && counts[SB_F_RATE_40133] > 2000);
    CU_ASSERT(counts[SB_F_NONE] > 4500 && counts[SB_F_NONE] < 5500);
}

int main(void)
{
    static const ts_test tests[] = {
        {"add/remove 200k", t_add_remove_many},
        {"a batch adds what single adds add", t_add_batch},
        {"sorted dump", t_dump_sorted},
        {"a member is (type, digest)", t_typed_identity},
        {"fault spec and picker", t_fault_spec},
    };

    return ts_cunit_run_one("members and faults", tests, sizeof tests / sizeof tests[0]);
}
