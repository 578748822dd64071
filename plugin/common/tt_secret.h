/*
 * tt_secret.h - secrets read from the host into buffers that are wiped when
 * freed.
 *
 * Secret names used by the plugin (the host namespaces them by plugin id):
 *   app_id, app_secret       the TikTok developer app
 *   state_key                HMAC key for the OAuth state (created on first use)
 *   token/<profile>          the long-term advertiser access token
 */
#ifndef TT_SECRET_H
#define TT_SECRET_H

#include <aconn/aconn.h>
#include <json-c/json.h>

/** A secret value; NUL-terminated; free with tt_secret_free(). */
typedef struct tt_secret {
    char *value;   /* heap, NUL-terminated; NULL when empty */
    size_t len;
    size_t cap;    /* bytes allocated, all wiped on free */
} tt_secret;

/* Length of the generated state key in bytes (hex-encoded when stored). */
#define TT_STATE_KEY_BYTES 32

/*
 * Reads secret `name` into *out (zeroed by the caller or freshly freed).
 * Returns ACONN_OK, or ACONN_ERR_NOT_FOUND / ACONN_ERR_UNSUPPORTED /
 * ACONN_ERR_FATAL with err filled in (the message names the secret, never
 * its value, and says how to set it).
 */
aconn_status tt_secret_get(const aconn_host *host, const char *name,
                           tt_secret *out, aconn_error *err);

/* Stores len bytes of value under name. */
aconn_status tt_secret_put(const aconn_host *host, const char *name,
                           const char *value, size_t len, aconn_error *err);

/*
 * Reads the state signing key, creating it (32 random bytes, hex) with
 * secret_put on first use. *out holds the hex text.
 */
aconn_status tt_secret_state_key(const aconn_host *host, tt_secret *out,
                                 aconn_error *err);

/* Builds "token/<profile>" into buf; returns 0, or -1 when it does not fit. */
int tt_secret_token_name(const char *profile, char *buf, size_t buflen);

/* Wipes and frees the value; safe on a zeroed or already freed secret. */
void tt_secret_free(tt_secret *s);

/*
 * Wipes, in place, every string value of a JSON object (one level) before
 * json_object_put() frees them: json-c has no wiping free. For GET queries
 * that carry the app secret (they are read value by value, never
 * serialised as a whole). It does not reach a serialisation json-c made of
 * the object (its print buffer is private and grows by realloc()): a body
 * with a secret is built with tt_secret_json() instead. NULL is a no-op.
 */
void tt_secret_wipe_json(json_object *obj);

/*
 * Builds the JSON object {"k0":"v0","k1":"v1",...} of npairs key/value
 * strings (pairs[2i], pairs[2i+1]; a NULL value is "") into out, which
 * tt_secret_free() wipes and frees: for request bodies that carry the app
 * secret, an auth code or a token.
 *
 * Written by hand into one buffer of the exact size, measured first, rather
 * than by json-c: json_object_to_json_string() prints into the object's own
 * print buffer, which starts small and grows by realloc(), freeing every
 * smaller block with a partial copy of the body unwiped, and json-c (0.16)
 * has no way to hand it a buffer sized in advance. Values are escaped as
 * JSON strings (RFC 8259 section 7: quotation mark, reverse solidus and the
 * control characters); other bytes are copied as they are, as json-c does.
 * Returns 0, or -1 when out of memory (out then empty).
 */
int tt_secret_json(tt_secret *out, const char *const *pairs, size_t npairs);

#endif
