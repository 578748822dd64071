/* tt_optout.c - open-addressing set of digest prefixes (see tt_optout.h). */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delivery/tt_optout.h"

#define TT_KEY_BYTES 16

struct tt_optout {
    unsigned char *slots;     /* nslots * TT_KEY_BYTES; all-zero = empty */
    size_t nslots;            /* a power of two */
    size_t count;
    size_t max_entries;
    int has_zero;             /* the all-zero key, which marks empty slots */
    int overflowed;
};

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
}

static void key_of(const char hex[TT_HEX_LEN], unsigned char key[TT_KEY_BYTES])
{
    for (size_t i = 0; i < TT_KEY_BYTES; i++)
        key[i] = (unsigned char) (nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
}

static int is_zero(const unsigned char *key)
{
    static const unsigned char zero[TT_KEY_BYTES];
    return memcmp(key, zero, TT_KEY_BYTES) == 0;
}

/* The digest is uniformly distributed already: its first bytes hash it. */
static size_t slot_of(const tt_optout *s, const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return (size_t) h & (s->nslots - 1);
}

/* Finds key's slot, or the empty slot where it would go. */
static unsigned char *probe(const tt_optout *s, const unsigned char *key)
{
    size_t i = slot_of(s, key);
    for (;;) {
        unsigned char *slot = s->slots + i * TT_KEY_BYTES;
        if (is_zero(slot) || memcmp(slot, key, TT_KEY_BYTES) == 0)
            return slot;
        i = (i + 1) & (s->nslots - 1);
    }
}

static int grow(tt_optout *s)
{
    size_t old_n = s->nslots;
    unsigned char *old = s->slots;

    s->nslots = old_n ? old_n * 2 : 1024;
    s->slots = calloc(s->nslots, TT_KEY_BYTES);
    if (s->slots == NULL) {
        s->slots = old;
        s->nslots = old_n;
        return -1;
    }
    for (size_t i = 0; i < old_n; i++) {
        const unsigned char *k = old + i * TT_KEY_BYTES;
        if (!is_zero(k))
            memcpy(probe(s, k), k, TT_KEY_BYTES);
    }
    free(old);
    return 0;
}

tt_optout *tt_optout_new(size_t max_entries)
{
    tt_optout *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->max_entries = max_entries;
    if (grow(s) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

void tt_optout_free(tt_optout *s)
{
    if (s == NULL)
        return;
    free(s->slots);
    free(s);
}

int tt_optout_add(tt_optout *s, const char hex[TT_HEX_LEN])
{
    unsigned char key[TT_KEY_BYTES], *slot;

    if (s->overflowed)
        return 0;
    key_of(hex, key);
    if (is_zero(key)) {
        s->count += !s->has_zero;
        s->has_zero = 1;
        return 0;
    }
    slot = probe(s, key);
    if (!is_zero(slot))
        return 0;
    if (s->count >= s->max_entries) {
        /* Free the table: an overflowed set answers nothing. */
        s->overflowed = 1;
        free(s->slots);
        s->slots = NULL;
        s->nslots = 0;
        return 0;
    }
    memcpy(slot, key, TT_KEY_BYTES);
    s->count++;
    /* Keep the load at most one half so probes stay short. */
    if (s->count * 2 > s->nslots && grow(s) != 0)
        return -1;
    return 0;
}

int tt_optout_has(const tt_optout *s, const char hex[TT_HEX_LEN])
{
    unsigned char key[TT_KEY_BYTES];

    if (s == NULL || s->overflowed || s->count == 0)
        return 0;
    key_of(hex, key);
    if (is_zero(key))
        return s->has_zero;
    return !is_zero(probe(s, key));
}

size_t tt_optout_count(const tt_optout *s)
{
    return s != NULL ? s->count : 0;
}

int tt_optout_overflowed(const tt_optout *s)
{
    return s != NULL && s->overflowed;
}
