/*
 * fz_state.c - the OAuth "state" parameter: tt_state_verify() with a fixed
 * key.
 *
 * Input, byte 0 even: the state text as it came back in the redirect URL
 * (verified for profile "fz"). Byte 0 odd: bytes 1-8 are issued_ms
 * (big-endian), byte 9 picks a character to tamper with, the rest is the
 * profile; the harness signs those claims and verifies the result, which
 * must pass exactly when the state is fresh, and must fail once tampered.
 * Random text cannot forge the HMAC, so the second mode is how the checks
 * after the signature (version, profile, expiry) get fuzzed.
 */
#include <config.h>

#include "fz.h"

#include <stdlib.h>
#include <string.h>

#include "profile/tt_state.h"

#define FZ_KEY "fz-state-key-3b7c0d1e9f2a4b6c8d0e1f2a3b4c5d6e"
#define FZ_NOW_MS INT64_C(1764000000000)

/* input: the whole fuzz input; an error may quote a profile taken from it,
   so the key showing up is a leak only when the input did not hold it. */
static int fz_state_err_sane(aconn_status st, const aconn_error *err, const uint8_t *input,
                             size_t input_size)
{
    static const char *const codes[] = {"state_missing", "state_malformed", "state_tampered",
                                        "state_foreign", "state_expired"};
    size_t i;

    if (st == ACONN_OK)
        return 1;
    if (st != ACONN_ERR_AUTH_FLOW || err->status != st || err->message[0] == '\0')
        return 0;
    if (strstr(err->message, FZ_KEY) != NULL && !fz_contains(input, input_size, FZ_KEY))
        return 0;
    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(err->code, codes[i]) == 0)
            return 1;
    return 0;
}

static int fz_claims_fresh(const tt_state_claims *c, const char *profile)
{
    return c->version == TT_STATE_VERSION && strcmp(c->profile, profile) == 0
           && strlen(c->nonce) == TT_STATE_NONCE_HEX && c->issued_ms >= 0
           && c->issued_ms - FZ_NOW_MS <= TT_STATE_CLOCK_SKEW_MS
           && FZ_NOW_MS - c->issued_ms <= TT_STATE_LIFETIME_MS;
}

static int fz_verify_text(const uint8_t *data, size_t size)
{
    char *state = fz_strndup(data, size);
    tt_state_claims claims;
    aconn_error err;
    aconn_status st;
    int rc = 0;

    if (state == NULL)
        return 0;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    st = tt_state_verify(FZ_KEY, strlen(FZ_KEY), state, "fz", FZ_NOW_MS, &claims, &err);
    if (!fz_state_err_sane(st, &err, data, size))
        rc = 60;
    else if (st == ACONN_OK && !fz_claims_fresh(&claims, "fz"))
        rc = 61;
    free(state);
    return rc;
}

static int fz_roundtrip(const uint8_t *data, size_t size)
{
    tt_state_claims claims, got;
    aconn_error err;
    aconn_status st;
    uint64_t issued = 0;
    char *state = NULL, *profile = NULL;
    size_t i, pos;
    int rc = 0, fresh;

    if (size < 10)
        return 0;
    for (i = 1; i <= 8; i++)
        issued = issued << 8 | data[i];
    profile = fz_strndup(data + 10, size - 10);
    if (profile == NULL)
        return 0;
    memset(&claims, 0, sizeof(claims));
    claims.version = TT_STATE_VERSION;
    claims.issued_ms = (int64_t) issued;
    ACONN_STRSET(claims.profile, profile);
    memset(claims.nonce, 'a', TT_STATE_NONCE_HEX);
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    if (tt_state_sign(FZ_KEY, strlen(FZ_KEY), &claims, &state, &err) != ACONN_OK)
        goto cleanup;   /* refusing to sign is allowed */
    if (state == NULL || strlen(state) == 0) {
        rc = 62;
        goto cleanup;
    }
    /* Expected: fresh claims pass, anything else fails (a profile longer
       than the claims hold was truncated, so it no longer matches). */
    fresh = fz_claims_fresh(&claims, profile);
    st = tt_state_verify(FZ_KEY, strlen(FZ_KEY), state, profile, FZ_NOW_MS, &got, &err);
    if (!fz_state_err_sane(st, &err, data, size) || (st == ACONN_OK) != fresh) {
        rc = 63;
        goto cleanup;
    }
    if (st == ACONN_OK && (got.issued_ms != claims.issued_ms
                           || strcmp(got.nonce, claims.nonce) != 0)) {
        rc = 64;
        goto cleanup;
    }
    /* One changed character must never verify. */
    pos = data[9] % strlen(state);
    state[pos] = state[pos] == 'A' ? 'B' : 'A';
    st = tt_state_verify(FZ_KEY, strlen(FZ_KEY), state, profile, FZ_NOW_MS, &got, &err);
    if (st == ACONN_OK || !fz_state_err_sane(st, &err, data, size))
        rc = 65;
cleanup:
    free(state);
    free(profile);
    return rc;
}

int fz_state(const uint8_t *data, size_t size)
{
    if (size > 0 && (data[0] & 1) != 0)
        return fz_roundtrip(data, size);
    return fz_verify_text(size > 0 ? data + 1 : data, size > 0 ? size - 1 : 0);
}
