/* tt_email.c - clear-text email normalisation and SHA-256 (see tt_email.h). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/tt_util.h"
#include "identifiers/tt_email.h"

struct tt_email_hasher {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

tt_email_hasher *tt_email_hasher_new(void)
{
    tt_email_hasher *h = calloc(1, sizeof(*h));

    if (h == NULL)
        return NULL;
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (h->md == NULL || h->ctx == NULL) {
        tt_email_hasher_free(h);
        return NULL;
    }
    return h;
}

void tt_email_hasher_free(tt_email_hasher *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
    free(h);
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

int tt_email_normalize(const char *value, size_t len, char out[TT_EMAIL_MAX],
                       size_t *out_len)
{
    size_t start = 0, end = len, i, n = 0, local_len = 0;
    int in_local = 1, in_tag = 0, ats = 0;

    while (start < end && is_ascii_space((unsigned char) value[start]))
        start++;
    while (end > start && is_ascii_space((unsigned char) value[end - 1]))
        end--;
    if (end - start > TT_EMAIL_MAX)
        return -1;

    for (i = start; i < end; i++) {
        unsigned char c = (unsigned char) value[i];

        /* Inner whitespace and control characters never belong in an
           address; refusing beats hashing something TikTok cannot match. */
        if (c < 0x20 || c == 0x7f || c == ' ')
            return -1;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char) (c - 'A' + 'a');
        if (c == '@') {
            if (++ats > 1)
                return -1;
            in_local = 0;
            in_tag = 0;
            out[n++] = '@';
            continue;
        }
        if (in_local) {
            if (c == '+')
                in_tag = 1;
            if (in_tag || c == '.')
                continue;
            local_len++;
        }
        out[n++] = (char) c;
    }
    /* n <= end - start <= TT_EMAIL_MAX, so out never overflows. */
    if (ats != 1 || local_len == 0 || out[n - 1] == '@')
        return -1;
    *out_len = n;
    return 0;
}

int tt_email_hash(tt_email_hasher *h, const char *value, size_t len,
                  char hex_out[64])
{
    char norm[TT_EMAIL_MAX];
    unsigned char digest[SHA256_DIGEST_LENGTH];
    size_t norm_len = 0;

    if (tt_email_normalize(value, len, norm, &norm_len) != 0)
        return -1;
    if (h != NULL) {
        if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1
            || EVP_DigestUpdate(h->ctx, norm, norm_len) != 1
            || EVP_DigestFinal_ex(h->ctx, digest, NULL) != 1)
            return -2;
    } else if (SHA256((const unsigned char *) norm, norm_len, digest) == NULL) {
        return -2;
    }
    tt_hex_encode(digest, sizeof(digest), hex_out);
    return 0;
}
