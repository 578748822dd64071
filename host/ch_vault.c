/*
 * ch_vault.c - secrets kept in the state database, sealed with
 * AES-256-GCM (OpenSSL EVP) under a key read from a file every worker
 * has (issue #12): with a PostgreSQL state, the hosts of many machines
 * share the secrets without any of them in plain text in the database.
 *
 * A sealed value is: version byte 1, the key's id (the first 8 bytes of
 * SHA-256 over the key), a random 12-byte nonce, the 16-byte tag, then the
 * ciphertext. The secret's name is the additional authenticated data, so a
 * sealed value moved to another name does not open. The key id lets a
 * wrong key file be named as such rather than as corruption.
 */
#include <config.h>

#include "ch_vault.h"
#include "ch_file.h"
#include "ch_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#define CH_VAULT_KEY 32
#define CH_VAULT_ID 8
#define CH_VAULT_NONCE 12
#define CH_VAULT_TAG 16
#define CH_VAULT_HEAD (1 + CH_VAULT_ID + CH_VAULT_NONCE + CH_VAULT_TAG)

struct ch_vault {
    unsigned char key[CH_VAULT_KEY];
    unsigned char id[CH_VAULT_ID];
    char *path;
};

static int ch_vault_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The key from the file's bytes: 64 hex digits (a trailing newline
   allowed). 0 or -1. */
static int ch_vault_parse(const unsigned char *b, size_t n, unsigned char key[CH_VAULT_KEY])
{
    size_t i;

    while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == '\r'))
        n--;
    if (n == CH_VAULT_KEY * 2) {
        for (i = 0; i < CH_VAULT_KEY; i++) {
            int hi = ch_vault_hex(b[2 * i]), lo = ch_vault_hex(b[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            key[i] = (unsigned char) (hi << 4 | lo);
        }
        return 0;
    }
    return -1;
}

int ch_vault_open(const char *path, ch_vault **out, char *err, size_t errlen)
{
    unsigned char buf[CH_VAULT_KEY * 2 + 8], digest[SHA256_DIGEST_LENGTH];
    ch_vault *v = NULL;
    ssize_t n = 0;
    int fd = -1, rc = -1, opened;

    *out = NULL;
    opened = ch_file_open_private(path, O_RDONLY, "secrets key file", &fd, err, errlen);
    if (opened == 1) {
        ch_errf(err, errlen, "secrets key file %s does not exist; every worker needs the same "
                "one: make it once with (umask 077; openssl rand -hex 32 > %s) and copy it "
                "to each machine", path, path);
        goto cleanup;
    }
    if (opened != 0)
        goto cleanup;
    n = read(fd, buf, sizeof(buf));
    if ((v = calloc(1, sizeof(*v))) == NULL || (v->path = strdup(path)) == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    if (n <= 0 || ch_vault_parse(buf, (size_t) n, v->key) != 0) {
        ch_errf(err, errlen, "secrets key file %s does not hold a key: it must be 64 hex "
                "digits, as (umask 077; openssl rand -hex 32 > %s) makes", path, path);
        goto cleanup;
    }
    SHA256(v->key, CH_VAULT_KEY, digest);
    memcpy(v->id, digest, CH_VAULT_ID);
    *out = v;
    v = NULL;
    rc = 0;
cleanup:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    ch_vault_close(v);
    return rc;
}

void ch_vault_close(ch_vault *v)
{
    if (v == NULL)
        return;
    OPENSSL_cleanse(v->key, sizeof(v->key));
    free(v->path);
    free(v);
}

/* AES-256-GCM one shot; enc 1 seals, 0 opens. 0, or -1 (a tag that does
   not verify, when opening). */
static int ch_vault_gcm(const ch_vault *v, int enc, const unsigned char *nonce,
                        const char *aad, const unsigned char *in, size_t n,
                        unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok;

    ok = ctx != NULL
         && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1
         && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CH_VAULT_NONCE, NULL) == 1
         && EVP_CipherInit_ex(ctx, NULL, NULL, v->key, nonce, enc) == 1
         && EVP_CipherUpdate(ctx, NULL, &len, (const unsigned char *) aad, (int) strlen(aad)) == 1
         && (n == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int) n) == 1)
         && (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CH_VAULT_TAG, tag) == 1)
         && EVP_CipherFinal_ex(ctx, out + (n > 0 ? len : 0), &len) == 1
         && (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CH_VAULT_TAG, tag) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

aconn_status ch_vault_put(const ch_vault *v, ch_state *st, const char *name, const char *value,
                          size_t len, int64_t now_ms, char *err, size_t errlen)
{
    unsigned char *sealed = NULL;
    aconn_status s = ACONN_ERR_FATAL;
    size_t n = CH_VAULT_HEAD + len;

    if (value == NULL) {
        const ch_sql_arg del[] = { CH_T(name) };
        return ch_state_exec(st, "deleting a secret", "DELETE FROM secrets WHERE name = ?1",
                             del, 1, NULL, NULL, err, errlen) == 0 ? ACONN_OK
               : ch_state_unreachable(st) ? ACONN_RETRY : ACONN_ERR_FATAL;
    }
    if ((sealed = malloc(n)) == NULL) {
        ch_errf(err, errlen, "out of memory");
        return ACONN_ERR_FATAL;
    }
    sealed[0] = 1;
    memcpy(sealed + 1, v->id, CH_VAULT_ID);
    if (RAND_bytes(sealed + 1 + CH_VAULT_ID, CH_VAULT_NONCE) != 1
        || ch_vault_gcm(v, 1, sealed + 1 + CH_VAULT_ID, name, (const unsigned char *) value, len,
                        sealed + CH_VAULT_HEAD, sealed + 1 + CH_VAULT_ID + CH_VAULT_NONCE) != 0) {
        ch_errf(err, errlen, "cannot seal secret %s (OpenSSL)", name);
        goto cleanup;
    }
    {
        const ch_sql_arg args[] = { CH_T(name), CH_B((const char *) sealed, n), CH_I(now_ms) };
        if (ch_state_exec(st, "saving a secret", "INSERT INTO secrets (name, sealed, updated_ms)"
                          " VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET sealed = ?2,"
                          " updated_ms = ?3", args, 3, NULL, NULL, err, errlen) != 0) {
            s = ch_state_unreachable(st) ? ACONN_RETRY : ACONN_ERR_FATAL;
            goto cleanup;
        }
    }
    s = ACONN_OK;
cleanup:
    free(sealed);
    return s;
}

aconn_status ch_vault_get(const ch_vault *v, ch_state *st, const char *name, char *buf,
                          size_t buflen, size_t *len, char *err, size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(name) };
    unsigned char *plain = NULL, tag[CH_VAULT_TAG];
    const unsigned char *b;
    aconn_status s = ACONN_ERR_FATAL;
    const ch_cell *c;
    size_t n;
    ch_rows r;

    if (ch_state_exec(st, "reading a secret", "SELECT sealed FROM secrets WHERE name = ?1",
                      args, 1, &r, NULL, err, errlen) != 0)
        return ch_state_unreachable(st) ? ACONN_RETRY : ACONN_ERR_FATAL;
    if (r.nrows == 0) {
        ch_rows_free(&r);
        return ACONN_ERR_NOT_FOUND;
    }
    c = ch_rows_cell(&r, 0, 0);
    b = (const unsigned char *) c->s;
    if (c->type != 't' || c->len < CH_VAULT_HEAD || b[0] != 1) {
        ch_errf(err, errlen, "secret %s in the state database is not a sealed value this host "
                "knows; set it again with connector-host secret set", name);
        goto cleanup;
    }
    if (memcmp(b + 1, v->id, CH_VAULT_ID) != 0) {
        ch_errf(err, errlen, "secret %s was sealed with another key than the one in secrets key "
                "file %s: give every worker the key file the secrets were written with (or "
                "set the secret again under this key)", name, v->path);
        goto cleanup;
    }
    n = c->len - CH_VAULT_HEAD;
    if (len != NULL)
        *len = n;
    if (buf == NULL || buflen <= n) {
        s = ACONN_ERR_TOO_SMALL;
        goto cleanup;
    }
    memcpy(tag, b + 1 + CH_VAULT_ID + CH_VAULT_NONCE, CH_VAULT_TAG);
    if ((plain = malloc(n + 1)) == NULL
        || ch_vault_gcm(v, 0, b + 1 + CH_VAULT_ID, name, b + CH_VAULT_HEAD, n, plain, tag) != 0) {
        ch_errf(err, errlen, "secret %s does not open with the key in secrets key file %s (a "
                "wrong key, or the stored value was altered)", name, v->path);
        goto cleanup;
    }
    memcpy(buf, plain, n);
    buf[n] = '\0';
    s = ACONN_OK;
cleanup:
    if (plain != NULL) {
        OPENSSL_cleanse(plain, n + 1);
        free(plain);
    }
    /* The sealed bytes hold no plain text; the row copy is freed as is. */
    ch_rows_free(&r);
    return s;
}

int ch_vault_names(ch_state *st, const char *prefix, json_object **names, char *err,
                   size_t errlen)
{
    const ch_sql_arg args[] = { CH_T(prefix) };
    size_t n = strlen(prefix);
    ch_rows r;

    *names = NULL;
    if (ch_state_exec(st, "listing secrets", "SELECT name FROM secrets WHERE"
                      " substr(name, 1, length(?1)) = ?1 ORDER BY name", args, 1, &r, NULL,
                      err, errlen) != 0)
        return -1;
    if ((*names = json_object_new_array()) == NULL) {
        ch_rows_free(&r);
        ch_errf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < r.nrows; i++) {
        const ch_cell *c = ch_rows_cell(&r, i, 0);
        if (c->type == 't' && c->len >= n)
            json_object_array_add(*names, json_object_new_string(c->s + n));
    }
    ch_rows_free(&r);
    return 0;
}
