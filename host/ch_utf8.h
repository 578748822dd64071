/*
 * ch_utf8.h - strict UTF-8 validation (json-c does not check it).
 */
#ifndef CH_UTF8_H
#define CH_UTF8_H

#include <stddef.h>

/* Non-zero when s[0..len) is well-formed UTF-8: no overlong forms, no
   surrogates, nothing above U+10FFFF, no truncated sequence. */
int ch_utf8_valid(const char *s, size_t len);

#endif /* CH_UTF8_H */
