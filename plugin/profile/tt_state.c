/*
 * tt_state.c - sign and verify the OAuth state; single-use nonces.
 */
#include <config.h>

#include "profile/tt_state.h"
#include "common/tt_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define TT_STATE_KID_BYTES 6
#define TT_STATE_MAC_BYTES 32
#define TT_NONCE_PENDING "pending"
#define TT_NONCE_USED "used"
#define TT_STATE_HELP "The authorization link is valid for 24 hours and only once. " \
    "Start again with: connector-host authorize --profile %s"

/* base64url without padding; out must hold 4 * ceil(n / 3) + 1 bytes. */
static void tt_b64url_encode(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *) out, in, (int) n);
    int i;

    for (i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
}

/* Decodes n chars of base64url into a new heap buffer; -1 on bad input. */
/*
 * RFC 4648 section 3.5: the bits after the last whole byte must be zero, so
 * every value has one encoding. Otherwise a state could be altered in its
 * last character and still verify.
 */
static int tt_b64url_canonical_tail(const char *in, size_t n, size_t pad)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned mask = pad == 1 ? 0x3u : pad == 2 ? 0xfu : 0u;
    const char *p;

    if (mask == 0)
        return 1;
    p = in[n - 1] != '\0' ? strchr(alphabet, in[n - 1]) : NULL;
    return p != NULL && ((unsigned) (p - alphabet) & mask) == 0;
}

static int tt_b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
    size_t padded = (n + 3) / 4 * 4;
    char *tmp = NULL;
    unsigned char *buf = NULL;
    size_t i, pad = padded - n;
    int len, rc = -1;

    *out = NULL;
    if (n == 0 || pad == 3)
        return -1;
    tmp = malloc(padded + 1);
    buf = malloc(padded / 4 * 3 + 1);
    if (tmp == NULL || buf == NULL)
        goto cleanup;
    for (i = 0; i < n; i++) {
        char c = in[i];
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
        else if (c == '+' || c == '/' || c == '=')
            goto cleanup;   /* not base64url */
        tmp[i] = c;
    }
    if (!tt_b64url_canonical_tail(in, n, pad))
        goto cleanup;
    for (; i < padded; i++)
        tmp[i] = '=';
    tmp[padded] = '\0';
    len = EVP_DecodeBlock(buf, (const unsigned char *) tmp, (int) padded);
    if (len < 0 || (size_t) len < pad)
        goto cleanup;
    *outlen = (size_t) len - pad;
    buf[*outlen] = '\0';
    *out = buf;
    buf = NULL;
    rc = 0;
cleanup:
    free(tmp);
    free(buf);
    return rc;
}

static int tt_hmac(const char *key, size_t keylen, const void *data, size_t n,
                   unsigned char mac[TT_STATE_MAC_BYTES])
{
    unsigned int maclen = 0;

    if (HMAC(EVP_sha256(), key, (int) keylen, data, n, mac, &maclen) == NULL
        || maclen != TT_STATE_MAC_BYTES)
        return -1;
    return 0;
}

/* The key's public fingerprint: a truncated HMAC of a fixed label. */
static int tt_state_kid(const char *key, size_t keylen,
                        char kid[2 * TT_STATE_KID_BYTES + 1])
{
    static const char label[] = "tiktok-connector state key id";
    unsigned char mac[TT_STATE_MAC_BYTES];

    if (tt_hmac(key, keylen, label, sizeof(label) - 1, mac) != 0)
        return -1;
    tt_hex_string(mac, TT_STATE_KID_BYTES, kid);
    OPENSSL_cleanse(mac, sizeof(mac));
    return 0;
}

aconn_status tt_state_new_nonce(char nonce[TT_STATE_NONCE_HEX + 1], aconn_error *err)
{
    unsigned char raw[TT_STATE_NONCE_HEX / 2];

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return aconn_error_set(err, ACONN_ERR_FATAL, "random_failed", NULL,
                               "OpenSSL could not produce random bytes for the state.");
    tt_hex_string(raw, sizeof(raw), nonce);
    return ACONN_OK;
}

aconn_status tt_state_sign(const char *key, size_t keylen, const tt_state_claims *claims,
                           char **out, aconn_error *err)
{
    json_object *obj = NULL;
    const char *payload;
    size_t plen;
    unsigned char mac[TT_STATE_MAC_BYTES];
    char kid[2 * TT_STATE_KID_BYTES + 1];
    char *text = NULL;
    aconn_status st = ACONN_ERR_FATAL;

    *out = NULL;
    if (tt_state_kid(key, keylen, kid) != 0)
        goto fail;
    obj = json_object_new_object();
    if (obj == NULL
        || json_object_object_add(obj, "v", json_object_new_int(TT_STATE_VERSION)) != 0
        || json_object_object_add(obj, "p", json_object_new_string(claims->profile)) != 0
        || json_object_object_add(obj, "t", json_object_new_int64(claims->issued_ms)) != 0
        || json_object_object_add(obj, "n", json_object_new_string(claims->nonce)) != 0
        || json_object_object_add(obj, "k", json_object_new_string(kid)) != 0
        || (claims->redirect_uri[0] != '\0'
            && json_object_object_add(obj, "r", json_object_new_string(claims->redirect_uri))
                   != 0))
        goto fail;
    payload = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    if (payload == NULL)
        goto fail;
    plen = strlen(payload);
    if (tt_hmac(key, keylen, payload, plen, mac) != 0)
        goto fail;
    text = malloc((plen + 2) / 3 * 4 + 1 + (TT_STATE_MAC_BYTES + 2) / 3 * 4 + 1);
    if (text == NULL)
        goto fail;
    tt_b64url_encode((const unsigned char *) payload, plen, text);
    plen = strlen(text);
    text[plen] = '.';
    tt_b64url_encode(mac, sizeof(mac), text + plen + 1);
    *out = text;
    st = ACONN_OK;
    goto cleanup;
fail:
    st = aconn_error_set(err, ACONN_ERR_FATAL, "state_sign_failed", NULL,
                         "Could not sign the OAuth state (out of memory or crypto failure).");
cleanup:
    json_object_put(obj);
    OPENSSL_cleanse(mac, sizeof(mac));
    return st;
}

static aconn_status tt_state_malformed(aconn_error *err, const char *why, const char *profile)
{
    return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_malformed", "state",
                           "The state parameter of the redirect is malformed (%s). "
                           TT_STATE_HELP, why, profile);
}

/* Copies the payload's fields into claims; -1 when a field is missing. */
static int tt_state_parse(const unsigned char *payload, size_t n, tt_state_claims *claims,
                          char *kid, size_t kidlen)
{
    json_object *obj = NULL, *v;
    json_tokener *tok = json_tokener_new();
    int rc = -1;

    if (tok == NULL)
        return -1;
    obj = json_tokener_parse_ex(tok, (const char *) payload, (int) n);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success
        || tok->char_offset != (int) n || !json_object_is_type(obj, json_type_object))
        goto cleanup;
    if (!json_object_object_get_ex(obj, "v", &v) || !json_object_is_type(v, json_type_int))
        goto cleanup;
    claims->version = json_object_get_int(v);
    if (!json_object_object_get_ex(obj, "t", &v) || !json_object_is_type(v, json_type_int))
        goto cleanup;
    claims->issued_ms = json_object_get_int64(v);
    if (!json_object_object_get_ex(obj, "p", &v) || !json_object_is_type(v, json_type_string)
        || (size_t) json_object_get_string_len(v) >= sizeof(claims->profile))
        goto cleanup;
    ACONN_STRSET(claims->profile, json_object_get_string(v));
    if (!json_object_object_get_ex(obj, "n", &v) || !json_object_is_type(v, json_type_string)
        || json_object_get_string_len(v) != TT_STATE_NONCE_HEX)
        goto cleanup;
    ACONN_STRSET(claims->nonce, json_object_get_string(v));
    if (!json_object_object_get_ex(obj, "k", &v) || !json_object_is_type(v, json_type_string)
        || (size_t) json_object_get_string_len(v) >= kidlen)
        goto cleanup;
    aconn__strlcpy(kid, json_object_get_string(v), kidlen);
    if (json_object_object_get_ex(obj, "r", &v)) {
        if (!json_object_is_type(v, json_type_string)
            || (size_t) json_object_get_string_len(v) >= sizeof(claims->redirect_uri))
            goto cleanup;
        ACONN_STRSET(claims->redirect_uri, json_object_get_string(v));
    }
    rc = 0;
cleanup:
    json_object_put(obj);
    json_tokener_free(tok);
    return rc;
}

/* The claims of a state whose signature is ours: its version, its
   profile, and its age (issued neither in the future nor over 24 hours
   ago). */
static aconn_status tt_state_check_claims(const tt_state_claims *claims, const char *profile,
                                          const char *who, int64_t now_ms, aconn_error *err)
{
    if (claims->version != TT_STATE_VERSION)
        return tt_state_malformed(err, "unsupported version", who);
    if (profile == NULL || strcmp(claims->profile, profile) != 0) {
        /* The signature is ours, so naming its profile is safe and helps. */
        return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_foreign", "state",
                               "This authorization link was made for profile \"%s\", not "
                               "\"%s\". Complete it with --profile %s, or start again with: "
                               "connector-host authorize --profile %s",
                               claims->profile, profile != NULL ? profile : "",
                               claims->profile, profile != NULL ? profile : "NAME");
    }
    /* Both times are checked non-negative first so neither difference can
       overflow; a future date would otherwise pass the age check forever. */
    if (claims->issued_ms < 0 || now_ms < 0
        || claims->issued_ms - now_ms > TT_STATE_CLOCK_SKEW_MS) {
        return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_expired", "state",
                               "The OAuth URL is dated in the future, so it cannot be "
                               "checked for expiry (was the system clock moved back?). "
                               "Start again with: connector-host authorize --profile %s",
                               who);
    }
    if (now_ms - claims->issued_ms > TT_STATE_LIFETIME_MS) {
        return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_expired", "state",
                               "The OAuth URL has expired: it is valid for 24 hours. "
                               "Start again with: connector-host authorize --profile %s",
                               who);
    }
    return ACONN_OK;
}

aconn_status tt_state_verify(const char *key, size_t keylen, const char *state,
                             const char *profile, int64_t now_ms,
                             tt_state_claims *claims, aconn_error *err)
{
    /* Messages name the profile; never format a NULL. */
    const char *who = profile != NULL ? profile : "NAME";
    unsigned char *payload = NULL, *sig = NULL;
    size_t plen = 0, siglen = 0, n;
    unsigned char mac[TT_STATE_MAC_BYTES];
    char kid[2 * TT_STATE_KID_BYTES + 1], their_kid[2 * TT_STATE_KID_BYTES + 1];
    const char *dot;
    aconn_status st;

    memset(claims, 0, sizeof(*claims));
    memset(mac, 0, sizeof(mac));
    if (state == NULL || state[0] == '\0') {
        st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_missing", "state",
                             "The redirect URL has no state parameter, so it cannot be "
                             "checked. Paste the whole URL TikTok redirected to. "
                             TT_STATE_HELP, who);
        goto cleanup;
    }
    n = strlen(state);
    dot = strchr(state, '.');
    if (n > TT_STATE_MAX_LEN || dot == NULL || strchr(dot + 1, '.') != NULL) {
        st = tt_state_malformed(err, "not two dot-separated parts", who);
        goto cleanup;
    }
    if (tt_b64url_decode(state, (size_t) (dot - state), &payload, &plen) != 0
        || tt_b64url_decode(dot + 1, strlen(dot + 1), &sig, &siglen) != 0) {
        st = tt_state_malformed(err, "not base64url", who);
        goto cleanup;
    }
    if (siglen != TT_STATE_MAC_BYTES
        || tt_state_parse(payload, plen, claims, their_kid, sizeof(their_kid)) != 0) {
        st = tt_state_malformed(err, "unexpected content", who);
        goto cleanup;
    }
    if (tt_hmac(key, keylen, payload, plen, mac) != 0 || tt_state_kid(key, keylen, kid) != 0) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "state_verify_failed", NULL,
                             "Could not compute the state signature (crypto failure).");
        goto cleanup;
    }
    if (CRYPTO_memcmp(mac, sig, TT_STATE_MAC_BYTES) != 0) {
        /* Only the fingerprint is compared in the clear; it is public. */
        if (strcmp(kid, their_kid) != 0)
            st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_foreign", "state",
                                 "The state was signed by another connector installation "
                                 "or before its signing key changed, so it cannot be "
                                 "used here. " TT_STATE_HELP, who);
        else
            st = aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_tampered", "state",
                                 "The state parameter was altered (its signature does not "
                                 "match). " TT_STATE_HELP, who);
        memset(claims, 0, sizeof(*claims));
        goto cleanup;
    }
    st = tt_state_check_claims(claims, profile, who, now_ms, err);
cleanup:
    OPENSSL_cleanse(mac, sizeof(mac));
    free(payload);
    free(sig);
    return st;
}

int tt_state_nonce_key(const char *nonce, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "oauth/nonce/%s", nonce);
    return (n < 0 || (size_t) n >= buflen) ? -1 : 0;
}

aconn_status tt_state_nonce_record(const aconn_host *host, const tt_state_claims *claims,
                                   aconn_error *err)
{
    char key[64];
    uint64_t version = 0;
    aconn_status st;

    if (tt_state_nonce_key(claims->nonce, key, sizeof(key)) != 0)
        return aconn_error_set(err, ACONN_ERR_FATAL, "state_key_too_long", NULL,
                               "Internal error: nonce key too long.");
    st = host->state_cas(host->ctx, key, 0, TT_NONCE_PENDING, strlen(TT_NONCE_PENDING),
                         &version);
    if (st != ACONN_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "state_store_failed", NULL,
                               "The host could not record the authorization nonce (%s).",
                               aconn_status_name(st));
    return ACONN_OK;
}

aconn_status tt_state_nonce_consume(const aconn_host *host, const tt_state_claims *claims,
                                    aconn_error *err)
{
    char key[64], value[32];
    size_t len = 0;
    uint64_t version = 0, new_version = 0;
    aconn_status st;

    if (tt_state_nonce_key(claims->nonce, key, sizeof(key)) != 0)
        return aconn_error_set(err, ACONN_ERR_FATAL, "state_key_too_long", NULL,
                               "Internal error: nonce key too long.");
    st = host->state_get(host->ctx, key, value, sizeof(value), &len, &version);
    if (st == ACONN_OK && len == strlen(TT_NONCE_PENDING)
        && memcmp(value, TT_NONCE_PENDING, len) == 0) {
        /* CAS on the version read: of two racing completions one wins. */
        st = host->state_cas(host->ctx, key, version, TT_NONCE_USED, strlen(TT_NONCE_USED),
                             &new_version);
        if (st == ACONN_OK)
            return ACONN_OK;
        if (st != ACONN_ERR_CONFLICT)
            return aconn_error_set(err, ACONN_ERR_FATAL, "state_store_failed", NULL,
                                   "The host could not update the authorization nonce (%s).",
                                   aconn_status_name(st));
    } else if (st != ACONN_OK && st != ACONN_ERR_NOT_FOUND && st != ACONN_ERR_TOO_SMALL) {
        return aconn_error_set(err, ACONN_ERR_FATAL, "state_store_failed", NULL,
                               "The host could not read the authorization nonce (%s).",
                               aconn_status_name(st));
    }
    return aconn_error_set(err, ACONN_ERR_AUTH_FLOW, "state_reused", "state",
                           "This authorization link was already used (or was made by "
                           "another host). Each link works once. Start again with: "
                           "connector-host authorize --profile %s", claims->profile);
}

int tt_state_nonce_release(const aconn_host *host, const tt_state_claims *claims)
{
    char key[64], value[32];
    size_t len = 0;
    uint64_t version = 0, new_version = 0;

    /* state_get and state_cas are ABI 1.0 services: never NULL (aconn.h). */
    if (tt_state_nonce_key(claims->nonce, key, sizeof(key)) != 0
        || host->state_get(host->ctx, key, value, sizeof(value), &len, &version) != ACONN_OK
        || len != strlen(TT_NONCE_USED) || memcmp(value, TT_NONCE_USED, len) != 0)
        return -1;
    return host->state_cas(host->ctx, key, version, TT_NONCE_PENDING,
                           strlen(TT_NONCE_PENDING), &new_version) == ACONN_OK ? 0 : -1;
}
