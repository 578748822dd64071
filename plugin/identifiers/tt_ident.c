/* tt_ident.c - Rosetta Stone attribute to TikTok identifier (see tt_ident.h). */
#include <config.h>

#include <string.h>

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

/* Byte -> lower-case hex digit, 0 for anything that is not a hex digit:
   one load per byte instead of several comparisons. */
#define H(c) [c] = c
static const char tt_hex_canon[256] = {
    H('0'), H('1'), H('2'), H('3'), H('4'), H('5'), H('6'), H('7'), H('8'), H('9'),
    H('a'), H('b'), H('c'), H('d'), H('e'), H('f'),
    ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f',
};
#undef H

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

tt_reject tt_ident_canon_hex(const char *value, size_t len,
                             char hex_out[TT_HEX_LEN])
{
    size_t i;
    char bad = 0;

    if (len == 0)
        return TT_REJECT_EMPTY;
    if (len != TT_HEX_LEN)
        return TT_REJECT_WRONG_LENGTH;
    /* No early exit: a branch-free loop the compiler can vectorise. */
    for (i = 0; i < TT_HEX_LEN; i++) {
        char c = tt_hex_canon[(unsigned char) value[i]];
        hex_out[i] = c;
        bad |= (char) (c == 0);
    }
    return bad ? TT_REJECT_NOT_HEX : TT_REJECT_NONE;
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
