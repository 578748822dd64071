/*
 * fz_manifest_check.h - reads a connector manifest document and checks the
 * keys and types a host relies on (the same ones tests/plugin/
 * test_manifest.c asserts for this plugin's manifest). No host in this
 * tree reads manifests yet (connector-host only prints describe()'s text),
 * so this reader exists for the fuzz target and its replay test.
 */
#ifndef FZ_MANIFEST_CHECK_H
#define FZ_MANIFEST_CHECK_H

#include <stddef.h>

/*
 * Parses len bytes (strict JSON, one value, nothing but white space after
 * it) and checks them. Returns 0 for a usable manifest, -1 otherwise with
 * the first problem in why (names the key).
 */
int fz_manifest_check(const char *text, size_t len, char *why, size_t whylen);

#endif
