/* tt_ident.c - Rosetta Stone attribute to TikTok identifier (see tt_ident.h). */
#include <config.h>

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "identifiers/tt_ident.h"

/* The seed's table, row by row. Order matters only for the manifest, which
   lists rows in this order. */
static const tt_ident_rule tt_rules[] = {
    {TT_ID_EMAIL_SHA256, "sha256_hashed_email", NULL, TT_VALUE_SHA256_HEX},
    {TT_ID_EMAIL_SHA256, "hashed_email", "sha256_hashed_email", TT_VALUE_SHA256_HEX},
    {TT_ID_EMAIL_SHA256, "unique_id", "sha256_hashed_email", TT_VALUE_SHA256_HEX},
    {TT_ID_EMAIL_SHA256, "email", NULL, TT_VALUE_CLEAR_EMAIL},
    {TT_ID_EMAIL_SHA256, "hashed_email", "email", TT_VALUE_CLEAR_EMAIL},
    {TT_ID_EMAIL_SHA256, "unique_id", "email", TT_VALUE_CLEAR_EMAIL},
    {TT_ID_PHONE_SHA256, "sha256_hashed_phone_number", NULL, TT_VALUE_SHA256_HEX},
    {TT_ID_IDFA_SHA256, "apple_idfa", NULL, TT_VALUE_SHA256_HEX},
    {TT_ID_IDFA_SHA256, "mobile_id_unique_identifier", "apple_idfa", TT_VALUE_SHA256_HEX},
    {TT_ID_GAID_SHA256, "android_advertising_id", NULL, TT_VALUE_SHA256_HEX},
    {TT_ID_GAID_SHA256, "mobile_id_unique_identifier", "android_advertising_id",
     TT_VALUE_SHA256_HEX},
};

#define TT_NRULES (sizeof(tt_rules) / sizeof(tt_rules[0]))

static const char *const tt_type_names[TT_ID_TYPE_COUNT] = {
    "EMAIL_SHA256", "PHONE_SHA256", "IDFA_SHA256", "GAID_SHA256",
};

static const char *const tt_type_slugs[TT_ID_TYPE_COUNT] = {
    "email_sha256", "phone_sha256", "idfa_sha256", "gaid_sha256",
};

static const char *const tt_reject_codes[TT_REJECT_COUNT] = {
    "ok", "empty", "wrong_length", "not_hex", "unknown_attribute",
    "unknown_type", "clear_text_not_enabled", "bad_email",
};

const char *tt_id_type_name(tt_id_type t)
{
    return (unsigned) t < TT_ID_TYPE_COUNT ? tt_type_names[t] : "?";
}

const char *tt_id_type_slug(tt_id_type t)
{
    return (unsigned) t < TT_ID_TYPE_COUNT ? tt_type_slugs[t] : "?";
}

const char *tt_reject_code(tt_reject r)
{
    return (unsigned) r < TT_REJECT_COUNT ? tt_reject_codes[r] : "?";
}

const tt_ident_rule *tt_ident_rules(size_t *count)
{
    *count = TT_NRULES;
    return tt_rules;
}

void tt_ident_count(tt_ident_counts *c, tt_reject r, tt_id_type t)
{
    if (r == TT_REJECT_NONE) {
        if ((unsigned) t < TT_ID_TYPE_COUNT)
            c->accepted[t]++;
    } else if ((unsigned) r < TT_REJECT_COUNT) {
        c->rejected[r]++;
    }
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

#if defined(__SSE2__)
/* 16 bytes at a time: hex digits are the bytes in '0'..'9', and those
   whose lower-cased form (bit 5 set: it maps 'A'..'F', and only them, onto
   'a'..'f') is in 'a'..'f'; setting bit 5 leaves digits as they are, so it
   is also the canonical form. The byte table this replaces was most of
   the pipeline's per-identifier work (bench-pipeline). */
static int canon_hex_block(const char *in, char *out)
{
    const __m128i v = _mm_loadu_si128((const __m128i *) (const void *) in);
    const __m128i lo = _mm_or_si128(v, _mm_set1_epi8(0x20));
    /* signed compares: bytes >= 0x80 are negative, below every range */
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lo, _mm_set1_epi8('a' - 1)),
                                  _mm_cmplt_epi8(lo, _mm_set1_epi8('f' + 1)));

    _mm_storeu_si128((__m128i *) (void *) out, lo);
    return _mm_movemask_epi8(_mm_or_si128(digit, alpha)) == 0xffff;
}
#endif

/* The same without SSE2. No early exit and no table: a loop the compiler
   can vectorise. */
static int canon_hex_block_portable(const char *in, char *out)
{
    int ok = 1;

    for (size_t i = 0; i < 16; i++) {
        unsigned char c = (unsigned char) in[i], lo = (unsigned char) (c | 0x20);
        ok &= (unsigned char) (c - '0') < 10 || (unsigned char) (lo - 'a') < 6;
        out[i] = (char) lo;
    }
    return ok;
}

static tt_reject canon_hex(const char *value, size_t len, char hex_out[TT_HEX_LEN],
                           int (*block)(const char *in, char *out))
{
    int ok = 1;

    if (len == 0)
        return TT_REJECT_EMPTY;
    if (len != TT_HEX_LEN)
        return TT_REJECT_WRONG_LENGTH;
    for (size_t i = 0; i < TT_HEX_LEN; i += 16)
        ok &= block(value + i, hex_out + i);
    return ok ? TT_REJECT_NONE : TT_REJECT_NOT_HEX;
}

tt_reject tt_ident_canon_hex_portable(const char *value, size_t len,
                                      char hex_out[TT_HEX_LEN])
{
    return canon_hex(value, len, hex_out, canon_hex_block_portable);
}

tt_reject tt_ident_canon_hex(const char *value, size_t len,
                             char hex_out[TT_HEX_LEN])
{
#if defined(__SSE2__)
    return canon_hex(value, len, hex_out, canon_hex_block);
#else
    return canon_hex(value, len, hex_out, canon_hex_block_portable);
#endif
}

/* Finds the row for (name, type): NULL with *why set when none applies. */
static const tt_ident_rule *find_rule(const char *name, const char *type,
                                      tt_reject *why)
{
    size_t i;
    int name_known = 0;

    for (i = 0; i < TT_NRULES; i++) {
        const tt_ident_rule *r = &tt_rules[i];

        /* First byte before strcmp: most rows differ there. */
        if (r->attribute[0] != name[0] || strcmp(r->attribute, name) != 0)
            continue;
        name_known = 1;
        if (r->type_filter == NULL) {
            if (type[0] == '\0' || strcmp(type, r->attribute) == 0)
                return r;
        } else if (strcmp(type, r->type_filter) == 0) {
            return r;
        }
    }
    *why = name_known ? TT_REJECT_UNKNOWN_TYPE : TT_REJECT_UNKNOWN_ATTRIBUTE;
    return NULL;
}

tt_reject tt_ident_map(const aconn_attr *a, unsigned flags,
                       tt_email_hasher *hasher, tt_id_type *type,
                       char hex_out[TT_HEX_LEN])
{
    const tt_ident_rule *rule;
    tt_reject why = TT_REJECT_UNKNOWN_ATTRIBUTE;
    const char *v = a->value;
    size_t len = a->value_len;

    rule = find_rule(a->name != NULL ? a->name : "",
                     a->type != NULL ? a->type : "", &why);
    if (rule == NULL)
        return why;
    *type = rule->type;

    if (rule->value_kind == TT_VALUE_CLEAR_EMAIL) {
        if ((flags & TT_IDENT_CLEAR_TEXT_EMAILS) == 0)
            return TT_REJECT_CLEAR_TEXT_NOT_ENABLED;
        if (v == NULL || len == 0)
            return TT_REJECT_EMPTY;
        /* Digest failure (-2) cannot be told apart usefully per record;
           it is counted with the malformed addresses. */
        return tt_email_hash(hasher, v, len, hex_out) == 0
            ? TT_REJECT_NONE : TT_REJECT_BAD_EMAIL;
    }

    if (v == NULL)
        return TT_REJECT_EMPTY;
    while (len > 0 && is_ascii_space((unsigned char) v[0])) {
        v++;
        len--;
    }
    while (len > 0 && is_ascii_space((unsigned char) v[len - 1]))
        len--;
    return tt_ident_canon_hex(v, len, hex_out);
}
