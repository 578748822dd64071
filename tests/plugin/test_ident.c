/* test_ident.c - identifier mapping, hex canonicalisation, email hashing. */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>

#include "identifiers/tt_email.h"
#include "identifiers/tt_ident.h"
#include "identifiers/tt_ident_report.h"
#include "ts_cunit.h"

static const char HEX_LOWER[] =
    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
static const char HEX_UPPER[] =
    "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8";

static aconn_attr attr(const char *name, const char *type, const char *value)
{
    aconn_attr a = {name, type, value, strlen(value)};
    return a;
}

/* SHA-256 hex of s, computed here with EVP independently of the plugin. */
static void sha256_hex(const char *s, char out[65])
{
    unsigned char d[32];
    unsigned int n = 0;
    int i;

    CU_ASSERT_FATAL(EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL) == 1);
    CU_ASSERT_FATAL(n == 32);
    for (i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The seed's table, written out again here so a change to either side shows. */
static const struct {
    const char *name, *type;
    tt_id_type expect;
    int clear_email;
} mapping_rows[] = {
    {"sha256_hashed_email", "", TT_ID_EMAIL_SHA256, 0},
    {"sha256_hashed_email", "sha256_hashed_email", TT_ID_EMAIL_SHA256, 0},
    {"hashed_email", "sha256_hashed_email", TT_ID_EMAIL_SHA256, 0},
    {"unique_id", "sha256_hashed_email", TT_ID_EMAIL_SHA256, 0},
    {"sha256_hashed_phone_number", "", TT_ID_PHONE_SHA256, 0},
    {"sha256_hashed_phone_number", "sha256_hashed_phone_number", TT_ID_PHONE_SHA256, 0},
    {"apple_idfa", "", TT_ID_IDFA_SHA256, 0},
    {"apple_idfa", "apple_idfa", TT_ID_IDFA_SHA256, 0},
    {"mobile_id_unique_identifier", "apple_idfa", TT_ID_IDFA_SHA256, 0},
    {"android_advertising_id", "", TT_ID_GAID_SHA256, 0},
    {"android_advertising_id", "android_advertising_id", TT_ID_GAID_SHA256, 0},
    {"mobile_id_unique_identifier", "android_advertising_id", TT_ID_GAID_SHA256, 0},
    {"email", "", TT_ID_EMAIL_SHA256, 1},
    {"email", "email", TT_ID_EMAIL_SHA256, 1},
    {"unique_id", "email", TT_ID_EMAIL_SHA256, 1},
    {"hashed_email", "email", TT_ID_EMAIL_SHA256, 1},
};

static void test_every_mapping_row(void)
{
    size_t i;
    char expect_email[65];

    sha256_hex("johndoe@example.com", expect_email);
    for (i = 0; i < sizeof(mapping_rows) / sizeof(mapping_rows[0]); i++) {
        const char *value = mapping_rows[i].clear_email
            ? "John.Doe+tag@Example.com" : HEX_LOWER;
        aconn_attr a = attr(mapping_rows[i].name, mapping_rows[i].type, value);
        tt_id_type t = TT_ID_TYPE_COUNT;
        char out[TT_HEX_LEN];
        tt_reject r = tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, NULL, &t, out);

        CU_ASSERT_EQUAL(r, TT_REJECT_NONE);
        CU_ASSERT_EQUAL(t, mapping_rows[i].expect);
        CU_ASSERT_NSTRING_EQUAL(out, mapping_rows[i].clear_email
                                ? expect_email : HEX_LOWER, TT_HEX_LEN);
        if (r != TT_REJECT_NONE || t != mapping_rows[i].expect)
            fprintf(stderr, "row %zu (%s/%s) failed: %s\n", i,
                    mapping_rows[i].name, mapping_rows[i].type, tt_reject_code(r));
    }
}

static void test_table_matches_seed(void)
{
    size_t n = 0, i, j, found;
    const tt_ident_rule *rules = tt_ident_rules(&n);

    /* Every table row appears among the rows above (direct rows with "") ... */
    CU_ASSERT_EQUAL(n, 11);
    for (i = 0; i < n; i++) {
        found = 0;
        for (j = 0; j < sizeof(mapping_rows) / sizeof(mapping_rows[0]); j++)
            if (strcmp(rules[i].attribute, mapping_rows[j].name) == 0
                && strcmp(rules[i].type_filter ? rules[i].type_filter : "",
                          mapping_rows[j].type) == 0
                && rules[i].type == mapping_rows[j].expect
                && (rules[i].value_kind == TT_VALUE_CLEAR_EMAIL)
                       == mapping_rows[j].clear_email)
                found = 1;
        CU_ASSERT(found);
    }
}

static void test_unknown_type_and_attribute(void)
{
    static const struct {
        const char *name, *type;
        tt_reject expect;
    } cases[] = {
        {"sha256_hashed_email", "apple_idfa", TT_REJECT_UNKNOWN_TYPE},
        {"sha256_hashed_email", "SHA256_HASHED_EMAIL", TT_REJECT_UNKNOWN_TYPE},
        {"hashed_email", "", TT_REJECT_UNKNOWN_TYPE},
        {"hashed_email", "md5_hashed_email", TT_REJECT_UNKNOWN_TYPE},
        {"unique_id", "", TT_REJECT_UNKNOWN_TYPE},
        {"unique_id", "apple_idfa", TT_REJECT_UNKNOWN_TYPE},
        {"mobile_id_unique_identifier", "", TT_REJECT_UNKNOWN_TYPE},
        {"mobile_id_unique_identifier", "sha256_hashed_email", TT_REJECT_UNKNOWN_TYPE},
        {"apple_idfa", "android_advertising_id", TT_REJECT_UNKNOWN_TYPE},
        {"android_advertising_id", "apple_idfa", TT_REJECT_UNKNOWN_TYPE},
        {"sha256_hashed_phone_number", "phone", TT_REJECT_UNKNOWN_TYPE},
        {"email", "sha256_hashed_email", TT_REJECT_UNKNOWN_TYPE},
        {"phone_number", "", TT_REJECT_UNKNOWN_ATTRIBUTE},
        {"md5_hashed_email", "", TT_REJECT_UNKNOWN_ATTRIBUTE},
        {"", "", TT_REJECT_UNKNOWN_ATTRIBUTE},
        {"Sha256_hashed_email", "", TT_REJECT_UNKNOWN_ATTRIBUTE},
        {"sha256_hashed_emailx", "", TT_REJECT_UNKNOWN_ATTRIBUTE},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aconn_attr a = attr(cases[i].name, cases[i].type, HEX_LOWER);
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, NULL, &t, out),
                        cases[i].expect);
    }
}

static void test_value_rejects(void)
{
    char s63[64], s65[66], bad_first[65], bad_last[65], inner_space[65];
    static const char *const not_hex_chars = "gGzZ-:/@`~ \x01\x7f\x80\xff";
    const char *p;
    struct {
        const char *value;
        tt_reject expect;
    } cases[8];
    size_t i, n = 0;

    memcpy(s63, HEX_LOWER, 63);
    s63[63] = '\0';
    memcpy(s65, HEX_LOWER, 64);
    s65[64] = 'a';
    s65[65] = '\0';
    memcpy(bad_first, HEX_LOWER, 65);
    bad_first[0] = 'g';
    memcpy(bad_last, HEX_LOWER, 65);
    bad_last[63] = 'G';
    memcpy(inner_space, HEX_LOWER, 65);
    inner_space[30] = ' ';

    cases[n].value = "", cases[n++].expect = TT_REJECT_EMPTY;
    cases[n].value = "  \t\r\n ", cases[n++].expect = TT_REJECT_EMPTY;
    cases[n].value = s63, cases[n++].expect = TT_REJECT_WRONG_LENGTH;
    cases[n].value = s65, cases[n++].expect = TT_REJECT_WRONG_LENGTH;
    cases[n].value = "abc", cases[n++].expect = TT_REJECT_WRONG_LENGTH;
    cases[n].value = bad_first, cases[n++].expect = TT_REJECT_NOT_HEX;
    cases[n].value = bad_last, cases[n++].expect = TT_REJECT_NOT_HEX;
    cases[n].value = inner_space, cases[n++].expect = TT_REJECT_NOT_HEX;

    for (i = 0; i < n; i++) {
        aconn_attr a = attr("sha256_hashed_email", "", cases[i].value);
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), cases[i].expect);
    }
    /* Every non-hex byte at every position class is caught. */
    for (p = not_hex_chars; *p != '\0'; p++) {
        char v[65];
        aconn_attr a;
        tt_id_type t;
        char out[TT_HEX_LEN];

        memcpy(v, HEX_LOWER, 65);
        v[17] = *p;
        a = attr("apple_idfa", "", v);
        CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), TT_REJECT_NOT_HEX);
    }
}

static void test_null_value_is_empty(void)
{
    aconn_attr a = {"apple_idfa", "", NULL, 0};
    tt_id_type t;
    char out[TT_HEX_LEN];

    CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), TT_REJECT_EMPTY);
}

static void test_uppercase_and_whitespace(void)
{
    char padded[80];
    tt_id_type t = TT_ID_TYPE_COUNT;
    char out[TT_HEX_LEN];
    aconn_attr a = attr("android_advertising_id", "", HEX_UPPER);

    CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), TT_REJECT_NONE);
    CU_ASSERT_EQUAL(t, TT_ID_GAID_SHA256);
    CU_ASSERT_NSTRING_EQUAL(out, HEX_LOWER, TT_HEX_LEN);

    snprintf(padded, sizeof(padded), " \t%s\r\n ", HEX_UPPER);
    a = attr("sha256_hashed_phone_number", "", padded);
    memset(out, 0, sizeof(out));
    CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), TT_REJECT_NONE);
    CU_ASSERT_EQUAL(t, TT_ID_PHONE_SHA256);
    CU_ASSERT_NSTRING_EQUAL(out, HEX_LOWER, TT_HEX_LEN);

    /* Mixed case too. */
    memcpy(padded, HEX_LOWER, 65);
    padded[0] = '5';
    padded[1] = 'E';
    padded[62] = 'D';
    a = attr("apple_idfa", "", padded);
    CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out), TT_REJECT_NONE);
    CU_ASSERT_NSTRING_EQUAL(out, HEX_LOWER, TT_HEX_LEN);
}

static void test_several_identifiers_per_record(void)
{
    char hex_a[65], hex_b[65], hex_c[65], hex_e[65];
    aconn_attr attrs[6];
    tt_ident_counts counts;
    size_t i;
    const char *expect_hex[6];
    tt_id_type expect_type[6] = {TT_ID_EMAIL_SHA256, TT_ID_PHONE_SHA256,
                                 TT_ID_IDFA_SHA256, TT_ID_GAID_SHA256, 0, 0};

    sha256_hex("a", hex_a);
    sha256_hex("b", hex_b);
    sha256_hex("c", hex_c);
    sha256_hex("x@y.z", hex_e);
    attrs[0] = attr("sha256_hashed_email", "", HEX_LOWER);
    attrs[1] = attr("sha256_hashed_phone_number", "", hex_a);
    attrs[2] = attr("mobile_id_unique_identifier", "apple_idfa", hex_b);
    attrs[3] = attr("mobile_id_unique_identifier", "android_advertising_id", hex_c);
    attrs[4] = attr("email", "", "X@Y.Z");
    attrs[5] = attr("first_name", "", "Ann");
    expect_hex[0] = HEX_LOWER;
    expect_hex[1] = hex_a;
    expect_hex[2] = hex_b;
    expect_hex[3] = hex_c;

    memset(&counts, 0, sizeof(counts));
    for (i = 0; i < 6; i++) {
        tt_id_type t = TT_ID_TYPE_COUNT;
        char out[TT_HEX_LEN];
        tt_reject r = tt_ident_map(&attrs[i], 0, NULL, &t, out);

        tt_ident_count(&counts, r, t);
        if (i < 4) {
            CU_ASSERT_EQUAL(r, TT_REJECT_NONE);
            CU_ASSERT_EQUAL(t, expect_type[i]);
            CU_ASSERT_NSTRING_EQUAL(out, expect_hex[i], TT_HEX_LEN);
        }
    }
    CU_ASSERT_EQUAL(counts.accepted[TT_ID_EMAIL_SHA256], 1);
    CU_ASSERT_EQUAL(counts.accepted[TT_ID_PHONE_SHA256], 1);
    CU_ASSERT_EQUAL(counts.accepted[TT_ID_IDFA_SHA256], 1);
    CU_ASSERT_EQUAL(counts.accepted[TT_ID_GAID_SHA256], 1);
    CU_ASSERT_EQUAL(counts.rejected[TT_REJECT_CLEAR_TEXT_NOT_ENABLED], 1);
    CU_ASSERT_EQUAL(counts.rejected[TT_REJECT_UNKNOWN_ATTRIBUTE], 1);
    CU_ASSERT_EQUAL(counts.rejected[TT_REJECT_NONE], 0);

    /* With the setting on, the clear-text email is hashed. */
    {
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&attrs[4], TT_IDENT_CLEAR_TEXT_EMAILS, NULL,
                                     &t, out), TT_REJECT_NONE);
        CU_ASSERT_NSTRING_EQUAL(out, hex_e, TT_HEX_LEN);
    }
}

static void test_clear_text_not_enabled(void)
{
    static const char *const names[][2] = {
        {"email", ""}, {"email", "email"}, {"unique_id", "email"}, {"hashed_email", "email"},
    };
    size_t i;

    for (i = 0; i < 4; i++) {
        aconn_attr a = attr(names[i][0], names[i][1], "a@b.c");
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&a, 0, NULL, &t, out),
                        TT_REJECT_CLEAR_TEXT_NOT_ENABLED);
    }
}

static void test_email_normalisation(void)
{
    static const struct {
        const char *in, *norm;
    } cases[] = {
        {"John.Doe+tag@Example.com", "johndoe@example.com"},
        {"johndoe@example.com", "johndoe@example.com"},
        {"  JOHNDOE@EXAMPLE.COM \t\n", "johndoe@example.com"},
        {"local-part.123+suffix@domain.com", "local-part123@domain.com"},
        {"a.b.c@mail.example.co.uk", "abc@mail.example.co.uk"},
        {"a+b+c@x.org", "a@x.org"},
        {"a+b.c@x.org", "a@x.org"},
        {".a.@x.org", "a@x.org"},
        {"First.Last@Sub.Domain.Example", "firstlast@sub.domain.example"},
        {"\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr", "\xc3\xa9l\xc3\xa8ve@\xc3\xa9" "cole.fr"},
    };
    size_t i;
    tt_email_hasher *h = tt_email_hasher_new();

    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char norm[TT_EMAIL_MAX], expect[65], out1[64], out2[64];
        size_t n = 0;
        aconn_attr a = attr("email", "", cases[i].in);
        tt_id_type t;

        CU_ASSERT_EQUAL(tt_email_normalize(cases[i].in, strlen(cases[i].in), norm, &n), 0);
        CU_ASSERT_EQUAL(n, strlen(cases[i].norm));
        CU_ASSERT(n == strlen(cases[i].norm) && memcmp(norm, cases[i].norm, n) == 0);

        sha256_hex(cases[i].norm, expect);
        CU_ASSERT_EQUAL(tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, h, &t, out1),
                        TT_REJECT_NONE);
        CU_ASSERT_EQUAL(tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, NULL, &t, out2),
                        TT_REJECT_NONE);
        CU_ASSERT_NSTRING_EQUAL(out1, expect, 64);
        CU_ASSERT_NSTRING_EQUAL(out2, expect, 64);
        CU_ASSERT_EQUAL(t, TT_ID_EMAIL_SHA256);
    }
    tt_email_hasher_free(h);
}

static void test_bad_emails(void)
{
    char too_long[TT_EMAIL_MAX + 10];
    const char *cases[] = {
        "no-at-sign.example.com", "two@@example.com", "a@b@c.com", "@example.com",
        "john@", "+tag@example.com", "...@example.com", ".+x@example.com",
        "jo hn@example.com", "john@exa\tmple.com", "john\x01@example.com",
        "john@example.com\x7f", "   ", too_long,
    };
    size_t i;

    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    too_long[5] = '@';
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        aconn_attr a = attr("unique_id", "email", cases[i]);
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, NULL, &t, out),
                        TT_REJECT_BAD_EMAIL);
    }
    /* An empty value is "empty", like every other attribute. */
    {
        aconn_attr a = attr("email", "", "");
        tt_id_type t;
        char out[TT_HEX_LEN];

        CU_ASSERT_EQUAL(tt_ident_map(&a, TT_IDENT_CLEAR_TEXT_EMAILS, NULL, &t, out),
                        TT_REJECT_EMPTY);
    }
}

static void test_names_and_codes(void)
{
    static const char *const codes[TT_REJECT_COUNT] = {
        "ok", "empty", "wrong_length", "not_hex", "unknown_attribute",
        "unknown_type", "clear_text_not_enabled", "bad_email",
    };
    int i;

    for (i = 0; i < TT_REJECT_COUNT; i++)
        CU_ASSERT_STRING_EQUAL(tt_reject_code((tt_reject) i), codes[i]);
    CU_ASSERT_STRING_EQUAL(tt_reject_code(TT_REJECT_COUNT), "?");
    CU_ASSERT_STRING_EQUAL(tt_id_type_name(TT_ID_EMAIL_SHA256), "EMAIL_SHA256");
    CU_ASSERT_STRING_EQUAL(tt_id_type_name(TT_ID_PHONE_SHA256), "PHONE_SHA256");
    CU_ASSERT_STRING_EQUAL(tt_id_type_name(TT_ID_IDFA_SHA256), "IDFA_SHA256");
    CU_ASSERT_STRING_EQUAL(tt_id_type_name(TT_ID_GAID_SHA256), "GAID_SHA256");
    CU_ASSERT_STRING_EQUAL(tt_id_type_name(TT_ID_TYPE_COUNT), "?");
    CU_ASSERT_STRING_EQUAL(tt_id_type_slug(TT_ID_IDFA_SHA256), "idfa_sha256");
    CU_ASSERT_STRING_EQUAL(tt_id_type_slug(TT_ID_GAID_SHA256), "gaid_sha256");
}

static void test_counts_json(void)
{
    tt_ident_counts a, b;
    json_object *j, *expect;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    tt_ident_count(&a, TT_REJECT_NONE, TT_ID_IDFA_SHA256);
    tt_ident_count(&a, TT_REJECT_NOT_HEX, TT_ID_TYPE_COUNT);
    tt_ident_count(&b, TT_REJECT_NONE, TT_ID_IDFA_SHA256);
    tt_ident_count(&b, TT_REJECT_NONE, TT_ID_GAID_SHA256);
    tt_ident_count(&b, TT_REJECT_BAD_EMAIL, TT_ID_EMAIL_SHA256);
    tt_ident_counts_merge(&a, &b);
    j = tt_ident_counts_json(&a);
    expect = json_tokener_parse(
        "{\"accepted\":{\"EMAIL_SHA256\":0,\"PHONE_SHA256\":0,\"IDFA_SHA256\":2,"
        "\"GAID_SHA256\":1},\"rejected\":{\"empty\":0,\"wrong_length\":0,\"not_hex\":1,"
        "\"unknown_attribute\":0,\"unknown_type\":0,\"clear_text_not_enabled\":0,"
        "\"bad_email\":1}}");
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NOT_NULL_FATAL(expect);
    CU_ASSERT(json_object_equal(j, expect));
    json_object_put(j);
    json_object_put(expect);
}

/* Every byte value at every position of a digest, against a plain
 * reference: accepted exactly when it is a hex digit, and then the digest
 * comes out lower-cased. Catches a block that skips a range (0x10-0x19
 * become '0'-'9' once bit 5 is set; 0x80 and up are negative bytes). */
static void check_canon_hex(tt_reject (*canon)(const char *, size_t, char *))
{
    char in[TT_HEX_LEN], out[TT_HEX_LEN], want[TT_HEX_LEN];
    size_t wrong = 0;

    for (size_t pos = 0; pos < TT_HEX_LEN; pos++) {
        for (int b = 0; b < 256; b++) {
            int hex = (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') ||
                      (b >= 'A' && b <= 'F');
            tt_reject r;
            memcpy(in, HEX_UPPER, TT_HEX_LEN);
            in[pos] = (char) b;
            r = canon(in, TT_HEX_LEN, out);
            for (size_t i = 0; i < TT_HEX_LEN; i++)
                want[i] = (char) (in[i] >= 'A' && in[i] <= 'F' ? in[i] + 32 : in[i]);
            if (r != (hex ? TT_REJECT_NONE : TT_REJECT_NOT_HEX)
                || (hex && memcmp(out, want, TT_HEX_LEN) != 0))
                wrong++;
        }
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(canon(HEX_UPPER, TT_HEX_LEN, out), TT_REJECT_NONE);
    CU_ASSERT(memcmp(out, HEX_LOWER, TT_HEX_LEN) == 0);
    CU_ASSERT_EQUAL(canon(HEX_UPPER, TT_HEX_LEN - 1, out), TT_REJECT_WRONG_LENGTH);
    CU_ASSERT_EQUAL(canon(HEX_UPPER, 0, out), TT_REJECT_EMPTY);
}

static void test_canon_hex_every_byte(void)
{
    check_canon_hex(tt_ident_canon_hex);
    check_canon_hex(tt_ident_canon_hex_portable);
}

int main(void)
{
    static const ts_test tests[] = {
        {"every mapping row", test_every_mapping_row},
        {"table matches seed", test_table_matches_seed},
        {"unknown type/attribute", test_unknown_type_and_attribute},
        {"value rejects", test_value_rejects},
        {"null value", test_null_value_is_empty},
        {"upper case, whitespace", test_uppercase_and_whitespace},
        {"hex: every byte at every position", test_canon_hex_every_byte},
        {"several per record", test_several_identifiers_per_record},
        {"clear text off", test_clear_text_not_enabled},
        {"email normalisation", test_email_normalisation},
        {"bad emails", test_bad_emails},
        {"names and codes", test_names_and_codes},
        {"counts as JSON", test_counts_json},
    };
    static const ts_suite suites[] = {
        {"ident", NULL, NULL, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
