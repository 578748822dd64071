/*
 * fz_email.c - email normalisation, tt_email_normalize() and
 * tt_email_hash().
 *
 * Input: the address bytes, exactly `size` of them with no terminating NUL
 * (the functions take a length).
 *
 * Checks: a normalised address has one '@' with a non-empty local part
 * free of '.' and '+', no upper-case ASCII, no control or space
 * characters, fits TT_EMAIL_MAX, and normalises to itself; hashing the
 * input equals hashing its normal form.
 */
#include <config.h>

#include "fz.h"

#include <string.h>

#include "identifiers/tt_email.h"

static int fz_normal_form(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    size_t i;

    if (n == 0 || n > TT_EMAIL_MAX || at == NULL || at == s || at == s + n - 1)
        return 0;
    if (memchr(at + 1, '@', (size_t) (s + n - at - 1)) != NULL)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c <= ' ' || c == 0x7f || (c >= 'A' && c <= 'Z'))
            return 0;
        if (s + i < at && (c == '.' || c == '+'))
            return 0;
    }
    return 1;
}

int fz_email(const uint8_t *data, size_t size)
{
    char out[TT_EMAIL_MAX], again[TT_EMAIL_MAX], hex1[64], hex2[64];
    size_t out_len = 0, again_len = 0;
    int r, h1, h2;

    r = tt_email_normalize((const char *) data, size, out, &out_len);
    if (r != 0 && r != -1)
        return 80;
    h1 = tt_email_hash(NULL, (const char *) data, size, hex1);
    if (r == -1)
        return h1 == -1 ? 0 : 81;
    if (!fz_normal_form(out, out_len))
        return 82;
    if (tt_email_normalize(out, out_len, again, &again_len) != 0 || again_len != out_len
        || memcmp(again, out, out_len) != 0)
        return 83;   /* not idempotent */
    h2 = tt_email_hash(NULL, out, out_len, hex2);
    if (h1 != 0 || h2 != 0 || memcmp(hex1, hex2, sizeof(hex1)) != 0)
        return 84;
    return 0;
}
