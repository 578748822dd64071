/*
 * ch_arena.h - a bump allocator for one chunk of dataset records. Blocks
 * are never moved, so pointers stay valid until the next reset; a reset
 * keeps the blocks, so steady-state reading allocates nothing.
 */
#ifndef CH_ARENA_H
#define CH_ARENA_H

#include <stddef.h>

typedef struct ch_arena_block ch_arena_block;

typedef struct ch_arena {
    ch_arena_block *head;
    ch_arena_block *cur;
    size_t used;          /* bytes handed out since the last reset */
} ch_arena;

/* Returns n bytes aligned for any type, or NULL when out of memory. */
void *ch_arena_alloc(ch_arena *a, size_t n);

/* Copies len bytes and a NUL into the arena. */
char *ch_arena_strndup(ch_arena *a, const char *s, size_t len);

/* Forgets every allocation; keeps the memory for reuse. */
void ch_arena_reset(ch_arena *a);

/* Frees all memory. */
void ch_arena_free(ch_arena *a);

#endif /* CH_ARENA_H */
