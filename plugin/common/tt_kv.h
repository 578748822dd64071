/*
 * tt_kv.h - JSON values in the host's state store, with compare-and-set.
 *
 * The plugin keeps everything a run needs to resume (intents, audience ids,
 * uploaded files, quotas) in the host's store, never in files of its own, so
 * a host killed at any moment can be restarted on another worker. Values are
 * json-c objects; the version returned by a read is what a later write must
 * present, which is how two workers racing on one key find out.
 *
 * Thread-safety: stateless; safe from any thread (the host's store is).
 */
#ifndef TT_KV_H
#define TT_KV_H

#include <stdint.h>

#include <aconn/aconn.h>
#include <json-c/json.h>

/*
 * Reads key. On ACONN_OK *out is a new reference the caller puts, and
 * *version its version. ACONN_ERR_NOT_FOUND sets *out = NULL, *version = 0.
 * A value that is not JSON is reported as ACONN_ERR_FATAL (the store was
 * written by something else).
 */
aconn_status tt_kv_get(const aconn_host *host, const char *key, json_object **out,
                       uint64_t *version, aconn_error *err);

/*
 * Writes value (borrowed) if the key's version is still `expected`
 * (0 = must not exist). value NULL deletes. On ACONN_OK sets *new_version
 * (may be NULL) to the version the store gave the write. Returns ACONN_OK,
 * ACONN_ERR_CONFLICT, or the store's failure.
 */
aconn_status tt_kv_cas(const aconn_host *host, const char *key, uint64_t expected,
                       json_object *value, uint64_t *new_version, aconn_error *err);

/* Unconditional write: read-modify-write until no conflict (bounded). */
aconn_status tt_kv_put(const aconn_host *host, const char *key, json_object *value,
                       aconn_error *err);

/* Formats a key into buf; returns 0, or -1 when it does not fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int tt_kv_key(char *buf, size_t size, const char *fmt, ...);

#endif
