/*
 * ch_vault.h - secrets in the state database, sealed with AES-256-GCM
 * under a key file (ch_vault.c). Used with a PostgreSQL state, so every
 * worker of every machine reads the same secrets; an SQLite state keeps
 * the owner-only secrets.json (ch_secrets.h).
 */
#ifndef CH_VAULT_H
#define CH_VAULT_H

#include <aconn/aconn.h>

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ch_state.h"

typedef struct ch_vault ch_vault;

/*
 * Reads the key from path: 64 hex digits (openssl rand -hex 32), in a
 * regular file of the effective user that nobody else may read (checked
 * on the opened descriptor, as secrets.json is). A missing file, one
 * others can read, a link, or one without a key is refused with a message
 * naming the file and the fix. 0, or -1 with err.
 */
int ch_vault_open(const char *path, ch_vault **out, char *err, size_t errlen);
/* Wipes the key and frees v (NULL is fine). */
void ch_vault_close(ch_vault *v);

/* aconn_host.secret_get / secret_put semantics over the state's secrets
   table; name is "<plugin id>/<name>". A value sealed under another key
   is refused naming the key file. Messages never hold a value. */
aconn_status ch_vault_get(const ch_vault *v, ch_state *st, const char *name, char *buf,
                          size_t buflen, size_t *len, char *err, size_t errlen);
aconn_status ch_vault_put(const ch_vault *v, ch_state *st, const char *name, const char *value,
                          size_t len, int64_t now_ms, char *err, size_t errlen);

/* The names of the secrets whose key starts with prefix, without it,
   sorted: a new JSON array (the caller puts it). No key is needed: names
   are not sealed. 0, or -1 with err. */
int ch_vault_names(ch_state *st, const char *prefix, json_object **names, char *err,
                   size_t errlen);

#endif /* CH_VAULT_H */
