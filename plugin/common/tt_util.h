/*
 * tt_util.h - the small string helpers every layer of the plugin uses, kept
 * in one place so there is one copy of each.
 */
#ifndef TT_UTIL_H
#define TT_UTIL_H

#include <stddef.h>

/* A heap copy of s (free()); NULL when s is NULL or out of memory. */
char *tt_strdup(const char *s);

/* Lower-case hex of n bytes: writes exactly 2n characters, no terminator
   (callers that pack digests into fixed records add their own). */
void tt_hex_encode(const unsigned char *in, size_t n, char *out);

/* The same as a string: out must hold 2n + 1 bytes. */
void tt_hex_string(const unsigned char *in, size_t n, char *out);

#endif
