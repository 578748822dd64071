/*
 * test_oauth_state.c - signing and verifying the OAuth state, every error,
 * and single-use nonces through the mock host's CAS store.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "mock_host.h"
#include <json-c/json.h>

#include "common/tt_secret.h"
#include "profile/tt_state.h"

#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define T0 1700000000000LL

static char *make_state(const char *key, const char *profile, int64_t issued,
                        tt_state_claims *claims)
{
    aconn_error err;
    char *state = NULL;

    mock_error_init(&err);
    memset(claims, 0, sizeof(*claims));
    claims->version = TT_STATE_VERSION;
    ACONN_STRSET(claims->profile, profile);
    claims->issued_ms = issued;
    CU_ASSERT_EQUAL(tt_state_new_nonce(claims->nonce, &err), ACONN_OK);
    CU_ASSERT_EQUAL(strlen(claims->nonce), TT_STATE_NONCE_HEX);
    CU_ASSERT_EQUAL(tt_state_sign(key, strlen(key), claims, &state, &err), ACONN_OK);
    CU_ASSERT_PTR_NOT_NULL(state);
    return state;
}

static aconn_status verify(const char *key, const char *state, const char *profile,
                           int64_t now, aconn_error *err, tt_state_claims *out)
{
    mock_error_init(err);
    return tt_state_verify(key, strlen(key), state, profile, now, out, err);
}

static void test_roundtrip(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = make_state(KEY_A, "acme", T0, &c);
    size_t i;

    if (state == NULL)
        return;
    /* URL-safe without escaping: only base64url characters and one dot. */
    for (i = 0; state[i] != '\0'; i++)
        CU_ASSERT(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.",
                         state[i]) != NULL);
    CU_ASSERT_PTR_NULL(strstr(state, KEY_A));
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0 + 1000, &err, &out), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(out.profile, "acme");
    CU_ASSERT_STRING_EQUAL(out.nonce, c.nonce);
    CU_ASSERT_EQUAL(out.issued_ms, T0);
    free(state);
}

/* The redirect URI rides in the signed state (a link made before it did
   verifies with an empty one), so the callback is checked against it. */
static void test_redirect_in_state(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = NULL;

    mock_error_init(&err);
    memset(&c, 0, sizeof(c));
    c.version = TT_STATE_VERSION;
    ACONN_STRSET(c.profile, "acme");
    ACONN_STRSET(c.redirect_uri, "https://127.0.0.1/callback");
    c.issued_ms = T0;
    CU_ASSERT_EQUAL_FATAL(tt_state_new_nonce(c.nonce, &err), ACONN_OK);
    CU_ASSERT_EQUAL_FATAL(tt_state_sign(KEY_A, strlen(KEY_A), &c, &state, &err), ACONN_OK);
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0 + 1, &err, &out), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(out.redirect_uri, "https://127.0.0.1/callback");
    free(state);
    state = make_state(KEY_A, "acme", T0, &c);
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0 + 1, &err, &out), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(out.redirect_uri, "");
    free(state);
}

static void test_missing(void)
{
    tt_state_claims out;
    aconn_error err;

    CU_ASSERT_EQUAL(verify(KEY_A, NULL, "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_missing");
    CU_ASSERT_EQUAL(verify(KEY_A, "", "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_missing");
    /* A NULL profile is refused as foreign, without formatting a NULL. */
    {
        tt_state_claims c;
        char *state = make_state(KEY_A, "acme", T0, &c);
        CU_ASSERT_EQUAL(verify(KEY_A, state, NULL, T0, &err, &out), ACONN_ERR_AUTH_FLOW);
        CU_ASSERT_STRING_EQUAL(err.code, "state_foreign");
        free(state);
    }
}

static void test_malformed(void)
{
    static const char *bad[] = {
        "nodot", "a.b.c", ".", "abc.", ".abc", "!!!.$$$",
        "eyJ2IjoxfQ.AAAA",                 /* {"v":1} with a short signature */
        "bm90IGpzb24.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* "not json" */
        "e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* {} */
        "a+b/.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* plain base64 */
    };
    tt_state_claims out;
    aconn_error err;
    char *longstate;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(verify(KEY_A, bad[i], "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
        CU_ASSERT_STRING_EQUAL(err.code, "state_malformed");
        CU_ASSERT_STRING_EQUAL(err.field, "state");
    }
    longstate = malloc(TT_STATE_MAX_LEN + 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(longstate);
    memset(longstate, 'A', TT_STATE_MAX_LEN + 9);
    longstate[100] = '.';
    longstate[TT_STATE_MAX_LEN + 9] = '\0';
    CU_ASSERT_EQUAL(verify(KEY_A, longstate, "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_malformed");
    free(longstate);
}

static void test_tampered(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = make_state(KEY_A, "acme", T0, &c);
    char *dot;

    if (state == NULL)
        return;
    /* Flip one character of the signature. */
    dot = strchr(state, '.');
    dot[1] = dot[1] == 'A' ? 'B' : 'A';
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_tampered");
    CU_ASSERT_STRING_EQUAL(out.profile, "");
    free(state);

    /* Swap in another state's payload (re-signed for another profile by us)
       keeping the original signature: the payload was altered. */
    {
        tt_state_claims c2;
        char *s1 = make_state(KEY_A, "acme", T0, &c);
        char *s2 = make_state(KEY_A, "other", T0, &c2);
        char *mix;
        size_t p2 = (size_t) (strchr(s2, '.') - s2);

        mix = malloc(strlen(s1) + strlen(s2) + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(mix);
        memcpy(mix, s2, p2);
        strcpy(mix + p2, strchr(s1, '.'));
        CU_ASSERT_EQUAL(verify(KEY_A, mix, "other", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
        CU_ASSERT_STRING_EQUAL(err.code, "state_tampered");
        /* A forged payload's profile is never echoed. */
        CU_ASSERT_PTR_NULL(strstr(err.message, "made for"));
        free(mix);
        free(s1);
        free(s2);
    }
}

static void test_foreign_key(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = make_state(KEY_B, "acme", T0, &c);

    if (state == NULL)
        return;
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_foreign");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "another connector installation"));
    CU_ASSERT_FALSE(mock_host_leaks(NULL, &err, KEY_A));
    CU_ASSERT_FALSE(mock_host_leaks(NULL, &err, KEY_B));
    free(state);
}

static void test_foreign_profile(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = make_state(KEY_A, "acme", T0, &c);

    if (state == NULL)
        return;
    CU_ASSERT_EQUAL(verify(KEY_A, state, "globex", T0, &err, &out), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_foreign");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "made for profile \"acme\""));
    free(state);
}

static void test_expiry(void)
{
    tt_state_claims c, out;
    aconn_error err;
    char *state = make_state(KEY_A, "acme", T0, &c);

    if (state == NULL)
        return;
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0 + TT_STATE_LIFETIME_MS, &err, &out),
                    ACONN_OK);
    CU_ASSERT_EQUAL(verify(KEY_A, state, "acme", T0 + TT_STATE_LIFETIME_MS + 1, &err, &out),
                    ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_expired");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "valid for 24 hours"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "connector-host authorize --profile acme"));
    free(state);
}

static void test_nonce_single_use(void)
{
    mock_host *m = mock_host_new();
    tt_state_claims c;
    aconn_error err;
    char key[64];

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memset(&c, 0, sizeof(c));
    ACONN_STRSET(c.profile, "acme");
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_state_new_nonce(c.nonce, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_state_nonce_record(&m->host, &c, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_state_nonce_key(c.nonce, key, sizeof(key)), 0);
    CU_ASSERT_STRING_EQUAL(mock_host_state(m, key), "pending");
    /* Recording the same nonce twice is refused by the CAS (expected 0). */
    CU_ASSERT_NOT_EQUAL(tt_state_nonce_record(&m->host, &c, &err), ACONN_OK);

    CU_ASSERT_EQUAL(tt_state_nonce_consume(&m->host, &c, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(mock_host_state(m, key), "used");
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_state_nonce_consume(&m->host, &c, &err), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_reused");

    /* A nonce this host never issued is refused too. */
    CU_ASSERT_EQUAL(tt_state_new_nonce(c.nonce, &err), ACONN_OK);
    CU_ASSERT_EQUAL(tt_state_nonce_consume(&m->host, &c, &err), ACONN_ERR_AUTH_FLOW);
    CU_ASSERT_STRING_EQUAL(err.code, "state_reused");
    mock_host_free(m);
}

static void test_state_key_created_once(void)
{
    mock_host *m = mock_host_new();
    tt_secret k1 = {0}, k2 = {0};
    aconn_error err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    mock_error_init(&err);
    CU_ASSERT_PTR_NULL(mock_host_secret(m, "state_key"));
    CU_ASSERT_EQUAL(tt_secret_state_key(&m->host, &k1, &err), ACONN_OK);
    CU_ASSERT_EQUAL(k1.len, 2 * TT_STATE_KEY_BYTES);
    CU_ASSERT_PTR_NOT_NULL(mock_host_secret(m, "state_key"));
    CU_ASSERT_EQUAL(tt_secret_state_key(&m->host, &k2, &err), ACONN_OK);
    CU_ASSERT_STRING_EQUAL(k1.value, k2.value);
    tt_secret_free(&k1);
    tt_secret_free(&k2);
    CU_ASSERT_PTR_NULL(k1.value);
    CU_ASSERT_EQUAL(k1.cap, 0);
    mock_host_free(m);
}

static void test_secret_get_grows_and_missing(void)
{
    mock_host *m = mock_host_new();
    tt_secret s = {0};
    aconn_error err;
    char big[1000];

    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    mock_host_set_secret(m, "app_secret", big);
    mock_error_init(&err);
    CU_ASSERT_EQUAL(tt_secret_get(&m->host, "app_secret", &s, &err), ACONN_OK);
    CU_ASSERT_EQUAL(s.len, sizeof(big) - 1);
    CU_ASSERT_STRING_EQUAL(s.value, big);
    tt_secret_free(&s);
    CU_ASSERT_EQUAL(tt_secret_get(&m->host, "app_id", &s, &err), ACONN_ERR_NOT_FOUND);
    CU_ASSERT_STRING_EQUAL(err.code, "secret_missing");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "secret set"));
    CU_ASSERT_FALSE(mock_host_leaks(m, &err, big));
    mock_host_free(m);
}

static void test_wipe_json(void)
{
    json_object *o = json_object_new_object();
    json_object *sec;
    const char *v;

    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    json_object_object_add(o, "app_id", json_object_new_string("123"));
    json_object_object_add(o, "secret", json_object_new_string("s3cr3t-value"));
    json_object_object_add(o, "n", json_object_new_int(5));
    CU_ASSERT_TRUE_FATAL(json_object_object_get_ex(o, "secret", &sec));
    v = json_object_get_string(sec);
    tt_secret_wipe_json(o);
    /* The value is zeroed in place. */
    CU_ASSERT_EQUAL(v[0], '\0');
    CU_ASSERT_EQUAL(v[11], '\0');
    tt_secret_wipe_json(NULL);
    json_object_put(o);
}

/* A body built by tt_secret_json() is the JSON of its pairs, whatever bytes
   the values hold, in a buffer of exactly its size. */
static void test_secret_json(void)
{
    static const char odd[] = "q\"b\\s/t\tn\nc\x01\x1f\x7f\xc3\xa9 end";
    const char *const pairs[] = {"app_id", "7312", "secret", odd, "auth_code", NULL};
    const char *const one[] = {"k", "v"};
    tt_secret body = {0};
    json_object *o, *v;

    CU_ASSERT_EQUAL_FATAL(tt_secret_json(&body, one, 1), 0);
    CU_ASSERT_STRING_EQUAL(body.value, "{\"k\":\"v\"}");
    CU_ASSERT_EQUAL(body.len, 9);
    CU_ASSERT_EQUAL(body.cap, 10);
    tt_secret_free(&body);
    CU_ASSERT_EQUAL_FATAL(tt_secret_json(&body, pairs, 0), 0);
    CU_ASSERT_STRING_EQUAL(body.value, "{}");
    tt_secret_free(&body);

    CU_ASSERT_EQUAL_FATAL(tt_secret_json(&body, pairs, 3), 0);
    CU_ASSERT_EQUAL(body.len, strlen(body.value));
    CU_ASSERT_EQUAL(body.cap, body.len + 1);
    /* No raw control character left in the text. */
    for (size_t i = 0; i < body.len; i++)
        CU_ASSERT((unsigned char) body.value[i] >= 0x20);
    CU_ASSERT_PTR_NOT_NULL(strstr(body.value, "\\u0001\\u001f"));
    o = json_tokener_parse(body.value);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(json_object_object_length(o), 3);
    CU_ASSERT(json_object_object_get_ex(o, "secret", &v) && strcmp(json_object_get_string(v), odd) == 0);
    CU_ASSERT(json_object_object_get_ex(o, "app_id", &v) && strcmp(json_object_get_string(v), "7312") == 0);
    /* A NULL value is the empty string. */
    CU_ASSERT(json_object_object_get_ex(o, "auth_code", &v) && strcmp(json_object_get_string(v), "") == 0);
    json_object_put(o);
    tt_secret_free(&body);
    CU_ASSERT_PTR_NULL(body.value);
}

int main(void)
{
    CU_pSuite s;
    int rc;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("tt_state", NULL, NULL);
    CU_add_test(s, "sign and verify round trip", test_roundtrip);
    CU_add_test(s, "redirect URI signed into the state", test_redirect_in_state);
    CU_add_test(s, "state_missing", test_missing);
    CU_add_test(s, "state_malformed", test_malformed);
    CU_add_test(s, "state_tampered", test_tampered);
    CU_add_test(s, "state_foreign: another key", test_foreign_key);
    CU_add_test(s, "state_foreign: another profile", test_foreign_profile);
    CU_add_test(s, "state_expired after 24 h + 1 ms", test_expiry);
    CU_add_test(s, "nonce is single-use (state_reused)", test_nonce_single_use);
    CU_add_test(s, "state_key created once", test_state_key_created_once);
    CU_add_test(s, "secret_get grows buffer; missing secret", test_secret_get_grows_and_missing);
    CU_add_test(s, "JSON secrets wiped in place", test_wipe_json);
    CU_add_test(s, "tt_secret_json: bodies with secrets, escaped, exact size", test_secret_json);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    rc = CU_get_number_of_failures() != 0 || CU_get_error() != CUE_SUCCESS;
    CU_cleanup_registry();
    return rc;
}
