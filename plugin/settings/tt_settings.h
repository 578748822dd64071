/*
 * tt_settings.h - a connection's quick settings: parse, check, compare.
 *
 * Structural validation only (no I/O); the TikTok API checks live with the
 * API code. The JSON shape is the contract, also published as the
 * manifest's "quick_settings_schema":
 *
 *   { "connection_type": "new" | "existing" | "both",         required
 *     "audience_name": "...",             new/both: required; 1-128 Unicode
 *                                         code points, no control characters;
 *                                         existing: not allowed
 *     "create_new_for": ["<advertiser_id>", ...],
 *                                         new/both: required, non-empty, no
 *                                         duplicates; existing: not allowed
 *     "existing_audiences": {"<advertiser_id>": ["<audience_id>", ...], ...},
 *                                         existing/both: required, non-empty,
 *                                         each list non-empty without
 *                                         duplicates; new: not allowed
 *     "historical_data_enabled": true,    optional bool, default true
 *     "deliver_all_data": true,           optional bool; the same decision as
 *                                         historical_data_enabled (deliver
 *                                         rows present before the connection
 *                                         was made): when both are given
 *                                         they must agree
 *     "membership_duration_days": 365,    optional integer 1-365, default 365
 *                                         (TikTok's retention_in_days)
 *     "accept_clear_text_emails": false,  optional bool, default false
 *     "audience_per_identifier_type": false }
 *                                         optional bool, default false: true
 *                                         creates one audience per identifier
 *                                         type ("<name> (email)", ...) instead
 *                                         of one MULTIPLE_TYPES audience per
 *                                         Ad Account (no effect on "existing",
 *                                         as in the manifest's schema)
 *
 * Ids (advertiser and audience) are the numeric ids shown in TikTok Ads
 * Manager: decimal strings of 1-19 digits without a leading zero that fit
 * a signed 64-bit integer. An Ad Account may not appear both in
 * create_new_for and in existing_audiences. Unknown fields are refused.
 * Text must be valid UTF-8 JSON (RFC 8259, no comments, nothing after the
 * value).
 *
 * Every problem is appended to the caller's aconn_error_list (not just the
 * first), with status ACONN_ERR_INVALID, a JSON path in `field` (e.g.
 * "audience_name", "create_new_for[2]",
 * "existing_audiences.7100000000000000002[0]"; "" for the whole document),
 * a stable `code` (required, unknown_field, wrong_type, out_of_range,
 * too_long, empty, duplicate, malformed_id, conflict, invalid_json,
 * invalid_characters, immutable) and a message saying what is wrong and how
 * to fix it.
 *
 * Thread-safety: every function is reentrant; a tt_settings is immutable
 * once parsed and may be shared read-only between threads.
 */
#ifndef TT_SETTINGS_H
#define TT_SETTINGS_H

#include <stddef.h>

#include <aconn/aconn.h>

/** Longest id: 19 digits (INT64_MAX has 19). */
#define TT_SETTINGS_ID_MAX 19
/** audience_name limits, in Unicode code points. */
#define TT_SETTINGS_NAME_MAX 128
#define TT_SETTINGS_RETENTION_MAX 365

typedef enum tt_connection_type {
    TT_CONNECTION_NEW = 1,
    TT_CONNECTION_EXISTING,
    TT_CONNECTION_BOTH
} tt_connection_type;

typedef char tt_settings_id[TT_SETTINGS_ID_MAX + 1];

/** One Ad Account the connection delivers to. */
typedef struct tt_target {
    tt_settings_id advertiser_id;
    int create_new;              /* 1: create one new audience (audience_name) */
    size_t naudiences;           /* existing audiences to update (0 if new) */
    tt_settings_id *audience_ids;
} tt_target;

/** Parsed, valid settings. Read-only for users; owned by the tt_settings. */
typedef struct tt_settings {
    tt_connection_type connection_type;
    char *audience_name;         /* NULL for "existing" */
    size_t ntargets;
    tt_target *targets;          /* create_new_for in order, then
                                    existing_audiences in document order */
    int historical;              /* deliver rows present before the
                                    connection (both toggles), default 1 */
    int retention_days;          /* 1-365, default 365 */
    int accept_clear_text_emails;
    int audience_per_identifier_type; /* one audience per identifier type in
                                         each new Ad Account (the layout of
                                         releases before 0.2) */
} tt_settings;

/**
 * Parses and checks settings_json. On success returns ACONN_OK and sets
 * *out (free with tt_settings_free()); out may be NULL to only validate.
 * Otherwise returns ACONN_ERR_INVALID (every problem in errors, which may
 * be NULL) or ACONN_ERR_FATAL (out of memory); *out is then NULL.
 */
aconn_status tt_settings_parse(const char *settings_json, tt_settings **out,
                               aconn_error_list *errors);

/** Frees parsed settings; accepts NULL. */
void tt_settings_free(tt_settings *s);

/**
 * Checks a change of an existing connection's settings: new_json must be
 * valid and equal in meaning to current_json (list order and defaults
 * aside), because settings are immutable once connected. Each changed field
 * is an "immutable" error; a change of targets says to create a new
 * connection. Returns ACONN_OK when unchanged, ACONN_ERR_INVALID otherwise.
 */
aconn_status tt_settings_check_change(const char *current_json,
                                      const char *new_json,
                                      aconn_error_list *errors);

/** tt_ident_map() flags these settings call for. */
unsigned tt_settings_ident_flags(const tt_settings *s);

/** The target for advertiser_id, or NULL. */
const tt_target *tt_settings_find_target(const tt_settings *s,
                                         const char *advertiser_id);

/** "new", "existing" or "both". Static. */
const char *tt_connection_type_name(tt_connection_type t);

/**
 * Non-zero when s (len bytes) is a well-formed TikTok id: 1-19 decimal
 * digits, no leading zero, at most INT64_MAX.
 */
int tt_settings_id_valid(const char *s, size_t len);

#endif
