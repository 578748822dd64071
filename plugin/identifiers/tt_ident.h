/*
 * tt_ident.h - map one Rosetta Stone attribute to a TikTok identifier.
 *
 * The hot path of a delivery: every attribute of every record goes through
 * tt_ident_map(). It allocates nothing, builds no JSON and touches no global
 * state, so it is safe to call from any number of threads at once (pure,
 * apart from the caller-owned email hasher, which belongs to one thread).
 *
 * Mapping (the seed's "Supported Identifier Types" table; the same table is
 * published in the manifest's "identifiers" and a test keeps them equal):
 *
 *   EMAIL_SHA256  sha256_hashed_email            (direct)
 *                 hashed_email | unique_id       with type sha256_hashed_email
 *   PHONE_SHA256  sha256_hashed_phone_number     (direct)
 *   IDFA_SHA256   apple_idfa                     (direct)
 *                 mobile_id_unique_identifier    with type apple_idfa
 *   GAID_SHA256   android_advertising_id         (direct)
 *                 mobile_id_unique_identifier    with type android_advertising_id
 *
 * Clear-text emails (only with TT_IDENT_CLEAR_TEXT_EMAILS):
 *   EMAIL_SHA256  email                          (direct)
 *                 unique_id | hashed_email       with type email
 *
 * A direct attribute accepts an empty type or a type equal to its own name.
 * A known attribute with any other type is rejected as unknown_type; any
 * other attribute name as unknown_attribute.
 *
 * Values: leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r)
 * is trimmed first. A hashed value must then be exactly 64 hex digits; upper
 * case is canonicalised to lower case. A clear-text email is normalised
 * (see tt_email.h) and hashed with SHA-256.
 */
#ifndef TT_IDENT_H
#define TT_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include <aconn/aconn.h>

#include "identifiers/tt_email.h"

/** TikTok's customer-file calculate_type values this plugin delivers. */
typedef enum tt_id_type {
    TT_ID_EMAIL_SHA256 = 0,
    TT_ID_PHONE_SHA256,
    TT_ID_IDFA_SHA256,
    TT_ID_GAID_SHA256,
    TT_ID_TYPE_COUNT
} tt_id_type;

/** Why an attribute was not delivered. TT_REJECT_NONE means accepted. */
typedef enum tt_reject {
    TT_REJECT_NONE = 0,
    TT_REJECT_EMPTY,                   /* "empty" */
    TT_REJECT_WRONG_LENGTH,            /* "wrong_length" */
    TT_REJECT_NOT_HEX,                 /* "not_hex" */
    TT_REJECT_UNKNOWN_ATTRIBUTE,       /* "unknown_attribute" */
    TT_REJECT_UNKNOWN_TYPE,            /* "unknown_type" */
    TT_REJECT_CLEAR_TEXT_NOT_ENABLED,  /* "clear_text_not_enabled" */
    TT_REJECT_BAD_EMAIL,               /* "bad_email" */
    TT_REJECT_COUNT
} tt_reject;

/** tt_ident_map() flags. */
enum {
    /* accept_clear_text_emails: hash clear-text email attributes. */
    TT_IDENT_CLEAR_TEXT_EMAILS = 1u << 0
};

/** Length of a SHA-256 digest in hex. */
#define TT_HEX_LEN 64

/** How a mapping row reads its value. */
typedef enum tt_value_kind {
    TT_VALUE_SHA256_HEX = 0,   /* already hashed: validate and canonicalise */
    TT_VALUE_CLEAR_EMAIL       /* clear-text email: normalise and hash */
} tt_value_kind;

/** One row of the mapping table. Static. */
typedef struct tt_ident_rule {
    tt_id_type type;
    const char *attribute;     /* Rosetta Stone attribute name */
    const char *type_filter;   /* NULL: direct attribute; else the generic
                                  attribute's required type */
    tt_value_kind value_kind;
} tt_ident_rule;

/** Per-run tally: accepted per TikTok type, rejected per reason. */
typedef struct tt_ident_counts {
    uint64_t accepted[TT_ID_TYPE_COUNT];
    uint64_t rejected[TT_REJECT_COUNT];  /* [TT_REJECT_NONE] stays 0 */
} tt_ident_counts;

/**
 * Maps one attribute. On success returns TT_REJECT_NONE, sets *type and
 * writes 64 lower-case hex digits (no NUL) to hex_out. On rejection returns
 * the reason; *type and hex_out are then unspecified.
 *
 * hasher: a caller-owned, per-thread email hasher (tt_email.h), needed only
 * for clear-text emails; NULL makes each email use the one-shot digest.
 * Never allocates; thread-safe for distinct hashers.
 */
tt_reject tt_ident_map(const aconn_attr *a, unsigned flags,
                       tt_email_hasher *hasher, tt_id_type *type,
                       char hex_out[TT_HEX_LEN]);

/**
 * Validates and lower-cases a SHA-256 hex digest of len bytes (already
 * trimmed). Writes 64 bytes to hex_out on success.
 */
tt_reject tt_ident_canon_hex(const char *value, size_t len,
                             char hex_out[TT_HEX_LEN]);
/** The same without SSE2 (what other CPUs run), for the tests to compare. */
tt_reject tt_ident_canon_hex_portable(const char *value, size_t len,
                                      char hex_out[TT_HEX_LEN]);

/** "EMAIL_SHA256", ... (TikTok's calculate_type). Static; "?" if out of range. */
const char *tt_id_type_name(tt_id_type t);

/** "email_sha256", ... for file names and report keys. Static. */
const char *tt_id_type_slug(tt_id_type t);

/** Stable reason code, e.g. "not_hex"; "ok" for TT_REJECT_NONE. Static. */
const char *tt_reject_code(tt_reject r);

/** The mapping table (static) and its row count. */
const tt_ident_rule *tt_ident_rules(size_t *count);

/** Adds one tt_ident_map() outcome to *c. */
void tt_ident_count(tt_ident_counts *c, tt_reject r, tt_id_type t);

#endif
