/* sb_members.c: audience members as binary digests in an open-addressing
 * hash set, so an audience of millions costs ~50 bytes per member rather
 * than a string and a pointer each. Keys are digests already, so their
 * first bytes are a good hash once mixed. Linear probing with
 * backward-shift deletion keeps lookups tombstone-free. */
#include "sb.h"

#include <stdlib.h>
#include <string.h>

struct sb_members {
    uint8_t *keys;      /* cap * 32 */
    uint8_t *types;     /* cap; 0 = empty slot */
    size_t cap;         /* power of two or 0 */
    size_t count;
    size_t by_type[SB_T_COUNT];
};

sb_members *sb_members_new(void)
{
    return calloc(1, sizeof(sb_members));
}

void sb_members_free(sb_members *m)
{
    if (m == NULL) {
        return;
    }
    free(m->keys);
    free(m->types);
    free(m);
}

size_t sb_members_count(const sb_members *m)
{
    return m->count;
}

size_t sb_members_count_type(const sb_members *m, int type)
{
    if (type <= 0 || type >= SB_T_COUNT) {
        return 0;
    }
    return m->by_type[type];
}

/* A member is (type, digest): the same digest under two identifier types
 * is two identifiers, as TikTok matches each column by its own type. */
static size_t slot_of(const uint8_t key[32], int type, size_t cap)
{
    uint64_t h;

    memcpy(&h, key, sizeof h);
    return (size_t)(sb_splitmix64(h ^ key[31] ^ ((uint64_t)type << 56)) & (cap - 1));
}

/* Rehashes into ncap slots (a power of two that keeps load below 70 %). */
static int rehash(sb_members *m, size_t ncap)
{
    uint8_t *nkeys = malloc(ncap * 32);
    uint8_t *ntypes = calloc(ncap, 1);

    if (nkeys == NULL || ntypes == NULL) {
        free(nkeys);
        free(ntypes);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->types[i] == 0) {
            continue;
        }
        size_t s = slot_of(m->keys + i * 32, m->types[i], ncap);
        while (ntypes[s] != 0) {
            s = (s + 1) & (ncap - 1);
        }
        memcpy(nkeys + s * 32, m->keys + i * 32, 32);
        ntypes[s] = m->types[i];
    }
    free(m->keys);
    free(m->types);
    m->keys = nkeys;
    m->types = ntypes;
    m->cap = ncap;
    return 0;
}

static int grow(sb_members *m)
{
    return rehash(m, m->cap == 0 ? 1024 : m->cap * 2);
}

int sb_members_reserve(sb_members *m, size_t n)
{
    size_t ncap = m->cap == 0 ? 1024 : m->cap;

    while ((m->count + n) * 10 > ncap * 7) {
        if (ncap > SIZE_MAX / 4 / 32) {
            return -1;
        }
        ncap *= 2;
    }
    return ncap == m->cap ? 0 : rehash(m, ncap);
}

/* Slot holding key, or the empty slot where it would go. */
static size_t find_from(const sb_members *m, size_t s, const uint8_t key[32], int type,
                        bool *found)
{
    /* Bounded: load stays below 70 %, so an empty slot always exists. */
    while (m->types[s] != 0) {
        if (m->types[s] == type && memcmp(m->keys + s * 32, key, 32) == 0) {
            *found = true;
            return s;
        }
        s = (s + 1) & (m->cap - 1);
    }
    *found = false;
    return s;
}

static size_t find(const sb_members *m, const uint8_t key[32], int type, bool *found)
{
    return find_from(m, slot_of(key, type, m->cap), key, type, found);
}

int sb_members_add(sb_members *m, const uint8_t key[32], int type)
{
    bool found;
    size_t s;

    if (type <= 0 || type >= SB_T_COUNT) {
        return -1;
    }
    if ((m->count + 1) * 10 > m->cap * 7 && grow(m) != 0) {
        return -1;
    }
    s = find(m, key, type, &found);
    if (found) {
        return 0;
    }
    memcpy(m->keys + s * 32, key, 32);
    m->types[s] = (uint8_t)type;
    m->count++;
    m->by_type[type]++;
    return 1;
}

/* How far ahead the batch prefetches: enough slots in flight to hide a
 * miss to memory, few enough to stay in L1. */
#define PREFETCH_AHEAD 8

int sb_members_add_batch(sb_members *m, const uint8_t (*keys)[32], const uint8_t *types,
                         size_t n)
{
    size_t slots[SB_MEMBERS_BATCH];
    int added = 0;

    if (n > SB_MEMBERS_BATCH || sb_members_reserve(m, n) != 0) {
        return -1;
    }
    /* The table is sized for all n first, so no slot moves during the
       batch and every slot can be fetched before it is probed: a set of
       millions lives far outside the cache, and one miss at a time was
       most of a create's time (bench-e2e's remote stage). */
    for (size_t i = 0; i < n; i++) {
        if (types[i] == 0 || types[i] >= SB_T_COUNT) {
            return -1;
        }
        slots[i] = slot_of(keys[i], types[i], m->cap);
    }
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++) {
        __builtin_prefetch(m->types + slots[i]);
        __builtin_prefetch(m->keys + slots[i] * 32);
    }
    for (size_t i = 0; i < n; i++) {
        bool found;
        size_t s;
        if (i + PREFETCH_AHEAD < n) {
            __builtin_prefetch(m->types + slots[i + PREFETCH_AHEAD]);
            __builtin_prefetch(m->keys + slots[i + PREFETCH_AHEAD] * 32);
        }
        s = find_from(m, slots[i], keys[i], types[i], &found);
        if (!found) {
            memcpy(m->keys + s * 32, keys[i], 32);
            m->types[s] = types[i];
            m->count++;
            m->by_type[types[i]]++;
            added++;
        }
    }
    return added;
}

bool sb_members_contains(const sb_members *m, const uint8_t key[32], int type)
{
    bool found = false;

    if (m->cap != 0) {
        (void)find(m, key, type, &found);
    }
    return found;
}

int sb_members_remove(sb_members *m, const uint8_t key[32], int type)
{
    bool found = false;
    size_t hole, s;

    if (m->cap == 0) {
        return 0;
    }
    hole = find(m, key, type, &found);
    if (!found) {
        return 0;
    }
    m->by_type[m->types[hole]]--;
    m->count--;
    m->types[hole] = 0;
    /* Backward shift: move later entries of the probe run into the hole
     * when their home slot does not lie cyclically in (hole, s]. */
    s = (hole + 1) & (m->cap - 1);
    while (m->types[s] != 0) {
        size_t home = slot_of(m->keys + s * 32, m->types[s], m->cap);
        bool stays = hole <= s ? (hole < home && home <= s)
                               : (hole < home || home <= s);
        if (!stays) {
            memcpy(m->keys + hole * 32, m->keys + s * 32, 32);
            m->types[hole] = m->types[s];
            m->types[s] = 0;
            hole = s;
        }
        s = (s + 1) & (m->cap - 1);
    }
    return 1;
}

int sb_members_each(const sb_members *m,
                    int (*fn)(const uint8_t key[32], int type, void *arg),
                    void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->types[i] != 0) {
            int rc = fn(m->keys + i * 32, m->types[i], arg);
            if (rc != 0) {
                return rc;
            }
        }
    }
    return 0;
}

typedef struct {
    const uint8_t *key;
    size_t len;
    int type;
} dump_item;

/* Byte order equals the order of lower-case hex strings; a shorter
 * digest sorts first when it is a prefix; then by type. */
static int cmp_item(const void *pa, const void *pb)
{
    const dump_item *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);

    if (c != 0) {
        return c;
    }
    if (a->len != b->len) {
        return (a->len > b->len) - (a->len < b->len);
    }
    return (a->type > b->type) - (a->type < b->type);
}

int sb_members_dump_sorted(const sb_members *m, int only_type, bool with_type,
                           char **out, size_t *out_len)
{
    static const char hex[] = "0123456789abcdef";
    dump_item *items = NULL;
    char *buf = NULL, *p;
    size_t n = 0;
    int rc = -1;

    /* "FIRST_SHA256," is the longest prefix: 13 bytes. */
    items = malloc((m->count + 1) * sizeof *items);
    buf = malloc(m->count * (65 + (with_type ? 16 : 0)) + 1);
    if (items == NULL || buf == NULL) {
        goto cleanup;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->types[i] != 0 && (only_type == 0 || m->types[i] == only_type)) {
            items[n].key = m->keys + i * 32;
            items[n].len = sb_idtype_len(m->types[i]);
            items[n].type = m->types[i];
            n++;
        }
    }
    qsort(items, n, sizeof *items, cmp_item);
    p = buf;
    for (size_t i = 0; i < n; i++) {
        if (with_type) {
            const char *name = sb_idtype_name(items[i].type);
            size_t l = strlen(name);
            memcpy(p, name, l);
            p += l;
            *p++ = ',';
        }
        for (size_t j = 0; j < items[i].len; j++) {
            *p++ = hex[items[i].key[j] >> 4];
            *p++ = hex[items[i].key[j] & 15];
        }
        *p++ = '\n';
    }
    *p = '\0';
    *out_len = (size_t)(p - buf);
    *out = buf;
    buf = NULL;
    rc = 0;
cleanup:
    free(items);
    free(buf);
    return rc;
}
