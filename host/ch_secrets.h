/*
 * ch_secrets.h - the host's secret store: secrets.json in the home
 * directory, a JSON object {"<plugin id>/<name>": "<value>"}, mode 0600.
 *
 * Values are never printed, logged or stored elsewhere; buffers that held
 * them are wiped, old values before they are replaced or deleted. Readers take no lock (writers replace the file with an
 * atomic rename); writers serialize on "<file>.lock" with flock().
 * Every function is thread-safe and safe across processes.
 */
#ifndef CH_SECRETS_H
#define CH_SECRETS_H

#include <aconn/aconn.h>

#include <stddef.h>

#include <json-c/json.h>

/* Largest secret value accepted. */
#define CH_SECRET_MAX ((size_t) 64 * 1024)

/*
 * Refuses a secrets file that is not a regular file of ours only we can
 * access (a symbolic link, a FIFO, another user's, mode beyond 0600),
 * naming the fix; checked on the opened descriptor (ch_file.h), as every
 * read and write also does. A missing file is fine. Returns 0, or -1 with
 * a message in err.
 */
int ch_secrets_check(const char *path, char *err, size_t errlen);

/*
 * Copies the secret `key` ("<plugin id>/<name>") and a NUL into buf,
 * following aconn_host.secret_get(): ACONN_OK, ACONN_ERR_NOT_FOUND,
 * ACONN_ERR_TOO_SMALL (*len = length needed), or ACONN_ERR_FATAL with a
 * message in err (which never contains the value).
 */
aconn_status ch_secrets_get(const char *path, const char *key, char *buf,
                            size_t buflen, size_t *len, char *err, size_t errlen);

/* Stores len bytes under key (value NULL deletes it), durably. */
aconn_status ch_secrets_put(const char *path, const char *key, const char *value,
                            size_t len, char *err, size_t errlen);

/*
 * The names of the secrets whose key starts with prefix (for example
 * "<plugin id>/"), without the prefix, sorted: a new JSON array of
 * strings (the caller puts it). Values are never copied out. 0, or -1 with
 * a message in err.
 */
int ch_secrets_names(const char *path, const char *prefix, json_object **names, char *err,
                     size_t errlen);

#endif /* CH_SECRETS_H */
