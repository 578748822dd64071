/*
 * ch_arena.c - bump allocator over a list of fixed blocks.
 */
#include <config.h>

#include "ch_arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CH_ARENA_BLOCK ((size_t) 256 * 1024)

struct ch_arena_block {
    ch_arena_block *next;
    size_t cap;
    size_t off;
    max_align_t data[];   /* flexible array: aligned for any type */
};

void *ch_arena_alloc(ch_arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t need = (n + align - 1) & ~(align - 1);
    ch_arena_block *b = a->cur;
    void *p;

    if (need < n)
        return NULL;
    /* Walk the kept blocks first; a new block goes at the end. */
    while (b != NULL && b->cap - b->off < need)
        b = b->next;
    if (b == NULL) {
        size_t cap = need > CH_ARENA_BLOCK ? need : CH_ARENA_BLOCK;
        ch_arena_block **tail = &a->head;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL)
            return NULL;
        b->next = NULL;
        b->cap = cap;
        b->off = 0;
        while (*tail != NULL)
            tail = &(*tail)->next;
        *tail = b;
    }
    a->cur = b;
    p = (unsigned char *) b->data + b->off;
    b->off += need;
    a->used += need;
    return p;
}

char *ch_arena_strndup(ch_arena *a, const char *s, size_t len)
{
    char *d = ch_arena_alloc(a, len + 1);

    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void ch_arena_reset(ch_arena *a)
{
    ch_arena_block *b;

    for (b = a->head; b != NULL; b = b->next)
        b->off = 0;
    a->cur = a->head;
    a->used = 0;
}

void ch_arena_free(ch_arena *a)
{
    ch_arena_block *b = a->head;

    while (b != NULL) {
        ch_arena_block *next = b->next;
        free(b);
        b = next;
    }
    memset(a, 0, sizeof(*a));
}
