/* tt_util.c - see tt_util.h. */
#include <config.h>

#include "common/tt_util.h"

#include <stdlib.h>
#include <string.h>

char *tt_strdup(const char *s)
{
    size_t n;
    char *d;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    d = malloc(n + 1);
    if (d != NULL)
        memcpy(d, s, n + 1);
    return d;
}

void tt_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
}

void tt_hex_string(const unsigned char *in, size_t n, char *out)
{
    tt_hex_encode(in, n, out);
    out[2 * n] = '\0';
}
