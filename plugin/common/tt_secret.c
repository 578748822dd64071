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
#include <string.h>

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
    if (obj == NULL || !json_object_is_type(obj, json_type_object))
        return;
    /* No re-serialisation here: on an object never printed it would make
       json-c's growing print buffer, and leave copies in its freed blocks. */
    json_object_object_foreach(obj, key, value) {
        (void) key;
        if (value != NULL && json_object_is_type(value, json_type_string))
            tt_wipe_const(json_object_get_string(value), (size_t) json_object_get_string_len(value));
    }
}

/* Writes s as a JSON string (quotes included) at out, or only measures it
   when out is NULL; returns its length. */
static size_t tt_json_quoted(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    const unsigned char *p;

#define TT_PUT(c) do { if (out != NULL) out[n] = (char) (c); n++; } while (0)
    TT_PUT('"');
    for (p = (const unsigned char *) (s != NULL ? s : ""); *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            TT_PUT('\\');
            TT_PUT(*p);
        } else if (*p < 0x20) {
            TT_PUT('\\');
            TT_PUT('u');
            TT_PUT('0');
            TT_PUT('0');
            TT_PUT(hex[*p >> 4]);
            TT_PUT(hex[*p & 0x0f]);
        } else {
            TT_PUT(*p);
        }
    }
    TT_PUT('"');
#undef TT_PUT
    return n;
}

/* The whole object at out (or measured when out is NULL); its length. */
static size_t tt_json_emit(char *out, const char *const *pairs, size_t npairs)
{
    size_t i, n = 0;

    if (out != NULL)
        out[n] = '{';
    n++;
    for (i = 0; i < npairs; i++) {
        if (i > 0) {
            if (out != NULL)
                out[n] = ',';
            n++;
        }
        n += tt_json_quoted(out != NULL ? out + n : NULL, pairs[2 * i]);
        if (out != NULL)
            out[n] = ':';
        n++;
        n += tt_json_quoted(out != NULL ? out + n : NULL, pairs[2 * i + 1]);
    }
    if (out != NULL)
        out[n] = '}';
    return n + 1;
}

int tt_secret_json(tt_secret *out, const char *const *pairs, size_t npairs)
{
    size_t n = tt_json_emit(NULL, pairs, npairs);

    memset(out, 0, sizeof(*out));
    out->value = malloc(n + 1);
    if (out->value == NULL)
        return -1;
    out->cap = n + 1;
    out->len = tt_json_emit(out->value, pairs, npairs);   /* the same walk: n */
    out->value[out->len] = '\0';
    return 0;
}
