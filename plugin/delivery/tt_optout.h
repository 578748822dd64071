/*
 * tt_optout.h - the set of identifiers a run removes, so its adds can
 * exclude them before they are uploaded.
 *
 * A new audience is created from the run's adds in one operation; without
 * this set the run would need a REMOVE right after its CREATE to make an
 * opt-out win over an add of the same identifier. Keys are the first 128
 * bits of the SHA-256 digest (collisions between different identifiers are
 * not a practical concern at 2^-128), 16 bytes each, in an open-addressing
 * table that grows to at most max_entries identifiers. Beyond that the set
 * is "overflowed": it answers nothing, and the caller falls back to
 * CREATE + REMOVE (correct, one operation more).
 *
 * Threading: one thread at a time.
 */
#ifndef TT_OPTOUT_H
#define TT_OPTOUT_H

#include <stddef.h>

#include "identifiers/tt_ident.h"

/* A million opt-outs in one run: at most 32 MiB of table. */
#define TT_OPTOUT_DEFAULT_MAX 1000000u

typedef struct tt_optout tt_optout;

/* NULL when out of memory. */
tt_optout *tt_optout_new(size_t max_entries);
void tt_optout_free(tt_optout *set);

/* Adds a 64-digit lower-case hex digest. 0 on success (also when the set
   has overflowed: adding then does nothing), -1 when out of memory. */
int tt_optout_add(tt_optout *set, const char hex[TT_HEX_LEN]);

/* 1 when hex is in the set; always 0 once the set has overflowed. */
int tt_optout_has(const tt_optout *set, const char hex[TT_HEX_LEN]);

size_t tt_optout_count(const tt_optout *set);
int tt_optout_overflowed(const tt_optout *set);

#endif
