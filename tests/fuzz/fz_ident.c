/*
 * fz_ident.c - the identifier mapper tt_ident_map() with arbitrary
 * attribute bytes.
 *
 * Input: byte 0 holds the flags (bit 0: accept clear-text emails); the rest
 * is name NUL type NUL value (missing parts are empty strings; the value
 * ends at the next NUL, as aconn_attr's strings do).
 *
 * Checks: a reason in range; an accepted value is 64 lower-case hex digits
 * of a known type; the per-thread hasher and the one-shot digest agree.
 */
#include <config.h>

#include "fz.h"

#include <stdlib.h>
#include <string.h>

#include "identifiers/tt_ident.h"

static int fz_hex_lower(const char *hex)
{
    size_t i;

    for (i = 0; i < TT_HEX_LEN; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
            return 0;
    return 1;
}

int fz_ident(const uint8_t *data, size_t size)
{
    char *name = NULL, *type = NULL, *value = NULL;
    const uint8_t *rest;
    size_t rest_size;
    unsigned flags;
    tt_email_hasher *hasher = NULL;
    aconn_attr a;
    tt_id_type t1 = TT_ID_TYPE_COUNT, t2 = TT_ID_TYPE_COUNT;
    char hex1[TT_HEX_LEN], hex2[TT_HEX_LEN];
    tt_reject r1, r2;
    int rc = 0;

    if (size == 0)
        return 0;
    flags = data[0] & 1 ? TT_IDENT_CLEAR_TEXT_EMAILS : 0;
    if (fz_split(data + 1, size - 1, &name, &rest, &rest_size) < 0
        || fz_split(rest, rest_size, &type, &rest, &rest_size) < 0
        || fz_split(rest, rest_size, &value, &rest, &rest_size) < 0)
        goto cleanup;
    hasher = tt_email_hasher_new();
    if (hasher == NULL)
        goto cleanup;
    a.name = name;
    a.type = type;
    a.value = value;
    a.value_len = strlen(value);
    r1 = tt_ident_map(&a, flags, hasher, &t1, hex1);
    r2 = tt_ident_map(&a, flags, NULL, &t2, hex2);
    if (r1 >= TT_REJECT_COUNT || tt_reject_code(r1) == NULL) {
        rc = 70;
    } else if (r1 != r2) {
        rc = 71;
    } else if (r1 == TT_REJECT_NONE) {
        if (t1 >= TT_ID_TYPE_COUNT || t1 != t2 || !fz_hex_lower(hex1)
            || memcmp(hex1, hex2, TT_HEX_LEN) != 0)
            rc = 72;
    }
cleanup:
    tt_email_hasher_free(hasher);
    free(name);
    free(type);
    free(value);
    return rc;
}
