/*
 * ch_utf8.c - strict UTF-8 validation following RFC 3629, section 4.
 */
#include <config.h>

#include "ch_utf8.h"

int ch_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xbf;   /* allowed range of byte 2 */

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0;          /* overlong */
            else if (c == 0xed)
                hi = 0x9f;          /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90;          /* overlong */
            else if (c == 0xf4)
                hi = 0x8f;          /* above U+10FFFF */
        } else {
            return 0;
        }
        if (len - i <= need)
            return 0;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return 0;
        for (size_t k = 2; k <= need; k++) {
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return 0;
        }
        i += need + 1;
    }
    return 1;
}
