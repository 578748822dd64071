/*
 * tt_secret.c - host secrets in wiped-on-free buffers.
 *
 * The host reports the needed size with ACONN_ERR_TOO_SMALL, so a read is at
 * most two calls; a value that keeps growing between calls is an error
 * rather than a loop.
 */
#include <config.h>

#include "common/tt_secret.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define TT_SECRET_FIRST_CAP 256

void tt_secret_free(tt_secret *s)
{
    if (s == NULL)
        return;
    if (s->value != NULL) {
        OPENSSL_cleanse(s->value, s->cap);
        free(s->value);
    }
    s->value = NULL;
    s->len = 0;
    s->cap = 0;
}

/* Every 1.0 host has secrets (aconn.h); a caller may still pass none. */
static int tt_secret_usable(const aconn_host *host)
{
    return host != NULL;
}

aconn_status tt_secret_get(const aconn_host *host, const char *name,
                           tt_secret *out, aconn_error *err)
{
    size_t cap = TT_SECRET_FIRST_CAP;
    size_t len = 0;
    aconn_status st = ACONN_ERR_FATAL;
    int attempt;

    tt_secret_free(out);
    if (!tt_secret_usable(host))
        return aconn_error_set(err, ACONN_ERR_UNSUPPORTED, "no_secret_store", NULL,
                               "The host has no secrets service; the TikTok connector "
                               "needs one to keep credentials.");
    for (attempt = 0; attempt < 2; attempt++) {
        out->value = malloc(cap);
        if (out->value == NULL) {
            st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL,
                                 "Out of memory reading secret %s.", name);
            goto cleanup;
        }
        out->cap = cap;
        len = 0;
        st = host->secret_get(host->ctx, name, out->value, cap, &len);
        if (st == ACONN_OK && len < cap) {
            out->value[len] = '\0';
            out->len = len;
            return ACONN_OK;
        }
        tt_secret_free(out);
        if (st != ACONN_ERR_TOO_SMALL)
            break;
        cap = len + 1;
    }
    if (st == ACONN_ERR_NOT_FOUND) {
        st = aconn_error_set(err, ACONN_ERR_NOT_FOUND, "secret_missing", name,
                             "The secret %s is not set. Set it with: connector-host "
                             "secret set --plugin tiktok_connector %s", name, name);
    } else {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "secret_read_failed", name,
                             "The host could not read the secret %s (%s).", name,
                             aconn_status_name(st));
    }
cleanup:
    tt_secret_free(out);
    return st;
}

aconn_status tt_secret_put(const aconn_host *host, const char *name,
                           const char *value, size_t len, aconn_error *err)
{
    aconn_status st;

    if (!tt_secret_usable(host))
        return aconn_error_set(err, ACONN_ERR_UNSUPPORTED, "no_secret_store", NULL,
                               "The host has no secrets service; the TikTok connector "
                               "needs one to keep credentials.");
    st = host->secret_put(host->ctx, name, value, len);
    if (st != ACONN_OK)
        return aconn_error_set(err, ACONN_ERR_FATAL, "secret_write_failed", name,
                               "The host could not store the secret %s (%s).", name,
                               aconn_status_name(st));
    return ACONN_OK;
}

aconn_status tt_secret_state_key(const aconn_host *host, tt_secret *out,
                                 aconn_error *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[TT_STATE_KEY_BYTES];
    char text[2 * TT_STATE_KEY_BYTES + 1];
    aconn_status st;
    size_t i;

    st = tt_secret_get(host, "state_key", out, err);
    if (st != ACONN_ERR_NOT_FOUND)
        return st;
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "random_failed", NULL,
                             "OpenSSL could not produce random bytes for the state key.");
        goto cleanup;
    }
    for (i = 0; i < sizeof(raw); i++) {
        text[2 * i] = hex[raw[i] >> 4];
        text[2 * i + 1] = hex[raw[i] & 0x0f];
    }
    text[sizeof(text) - 1] = '\0';
    st = tt_secret_put(host, "state_key", text, sizeof(text) - 1, err);
    if (st != ACONN_OK)
        goto cleanup;
    /* Read it back so this request signs with exactly what the host kept. */
    st = tt_secret_get(host, "state_key", out, err);
cleanup:
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(text, sizeof(text));
    return st;
}

int tt_secret_token_name(const char *profile, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "token/%s", profile != NULL ? profile : "");
    return (n < 0 || (size_t) n >= buflen) ? -1 : 0;
}

/* json-c hands out const pointers into memory the object owns; the object
   is about to be freed, so overwriting it is safe and is the only way to
   wipe it. */
static void tt_wipe_const(const char *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse((void *) (uintptr_t) p, n);
}

void tt_secret_wipe_json(json_object *obj)
{
    const char *text;

    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return;
    /* Re-serialising rewrites the cached text in the same buffer, so the
       wipe reaches the copy an earlier serialisation left there. */
    text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN
                                               | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text != NULL)
        tt_wipe_const(text, strlen(text));
    json_object_object_foreach(obj, key, value) {
        (void) key;
        if (value != NULL && json_object_is_type(value, json_type_string))
            tt_wipe_const(json_object_get_string(value), (size_t) json_object_get_string_len(value));
    }
}
