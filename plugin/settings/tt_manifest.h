/*
 * tt_manifest.h - the plugin's manifest, as describe() returns it.
 *
 * manifests/tiktok_connector.json.in is the one source: the build
 * substitutes the version into manifests/tiktok_connector.json (installed
 * beside the module for the App Marketplace) and compiles the same text into
 * the plugin (tt_manifest_text.c, generated). The parts of the manifest that
 * restate C tables are rebuilt here from those tables so a test can prove
 * that both agree.
 *
 * Thread-safety: all functions are reentrant.
 */
#ifndef TT_MANIFEST_H
#define TT_MANIFEST_H

#include <json-c/json.h>

/** The manifest JSON text (generated; an array so static initialisers such
    as aconn_info can point at it). */
extern const char tt_manifest_text[];

/** The same text. Static. */
const char *tt_manifest_json(void);

/**
 * The manifest's "identifiers" array rebuilt from tt_ident_rules(): per
 * TikTok type (enum order) its direct and generic attributes, and for
 * clear-text email rows a "clear_text_email" object. New reference (caller
 * puts it), or NULL when out of memory.
 */
json_object *tt_manifest_identifiers(void);

/** The reject reason codes (tt_reject_code()), as a new JSON array. */
json_object *tt_manifest_reject_reasons(void);

#endif
