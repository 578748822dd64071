/*
 * aconn.h - the audience connector ABI, version 1.
 *
 * A connector is a shared object that a connector host loads at run time to
 * deliver first-party audiences to one advertising platform. This header is
 * the whole contract between the two: one exported function, one descriptor
 * of entry points the plugin implements, one table of services the host
 * implements, and the plain structs that cross between them.
 *
 * Reading guide
 *   1. Versioning and growth       ACONN_ABI_*, struct_size, ACONN_HAS()
 *   2. Statuses                    aconn_status and its four bands
 *   3. Errors                      aconn_error, aconn_error_list
 *   4. Output                      aconn_output (JSON text to the host)
 *   5. Records and batches         aconn_attr, aconn_record, aconn_batch
 *   6. Host services               aconn_host
 *   7. Plugin entry points         aconn_plugin, aconn_plugin_entry()
 *   8. Threading                   the three call classes
 *   9. Helpers                     static inline, header-only
 *
 * The key words MUST, MUST NOT, SHOULD and MAY are used as in RFC 2119.
 *
 * Ownership words used below:
 *   borrowed for the call   valid until the function returns; copy to keep.
 *   caller-owned            allocated and freed by the caller; the callee
 *                           only writes into it.
 *   static                  lives as long as the shared object is loaded;
 *                           never freed by the receiver.
 *
 * Everything that crosses the boundary is C: fixed-width integers, pointers,
 * and NUL-terminated UTF-8 strings. Settings, profile status and reports
 * cross as JSON text so their shape can grow without touching this header.
 */
#ifndef ACONN_H
#define ACONN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* 1. Versioning and growth                                              */
/* ===================================================================== */

/**
 * The ABI version this header describes.
 *
 * The major version changes only when an existing member changes meaning,
 * type or position; a host MUST refuse a plugin whose major differs from its
 * own. The minor version grows when members are appended to the end of a
 * struct; both sides handle a peer with a smaller or larger minor by checking
 * struct_size before touching a member (see ACONN_HAS).
 */
#define ACONN_ABI_MAJOR 1
#define ACONN_ABI_MINOR 2

/** Name of the one symbol a connector exports. */
#define ACONN_ENTRY_SYMBOL "aconn_plugin_entry"

#if defined(_WIN32)
#define ACONN_EXPORT __declspec(dllexport)
#else
#define ACONN_EXPORT __attribute__((visibility("default")))
#endif

/**
 * Non-zero when the struct at p, whose first member is uint32_t struct_size,
 * is large enough to contain member m of type T.
 *
 * Every struct in this header that can grow starts with struct_size, set by
 * whoever allocated it to the sizeof() it was compiled with. Members are only
 * ever appended. A reader MUST test ACONN_HAS() before reading a member that
 * was added after ABI 1.0, and a writer MUST NOT write past struct_size.
 * Every struct is at least its ABI 1.0 size, so the 1.0 members need no
 * test.
 */
#define ACONN_HAS(p, T, m) \
    ((p) != NULL && (p)->struct_size >= offsetof(T, m) + sizeof(((T *) 0)->m))

/* ===================================================================== */
/* 2. Statuses                                                           */
/* ===================================================================== */

/**
 * What every entry point and most host services return.
 *
 * Codes come in bands so a host can act on a code it has never seen:
 *
 *   0-99      success. 0 is complete success; 1 (ABI 1.1) is success for
 *             some of the run's targets while others could not be served
 *             (the report says which and why). The host MUST treat the band
 *             as success (move its checkpoint); a plugin MUST NOT return a
 *             code other than 0 to a host whose abi_minor is 0.
 *   100-199   retry later: the same call may succeed later. The plugin saved
 *             its progress; aconn_error.retry_after_ms says when to retry
 *             (0 = the host's own backoff).
 *   200-299   re-authorize: the profile's credentials no longer work.
 *             aconn_error.profile names the profile; the host MUST run the
 *             authorize flow for it before retrying.
 *   300-399   permanent: the same input fails the same way. Nothing the
 *             host had committed is lost; a person has to change something.
 *   400-499   fatal: the connection context is unusable. The only call the
 *             host may make with it is teardown().
 *
 * Use the ACONN_STATUS_IS_*() predicates rather than comparing ranges.
 * A receiver MUST act on a code it does not know by its band, and MUST
 * treat a negative value (never a status; a sender MUST NOT return one,
 * and ACONN_STATUS_IS_FATAL() does not test for it) as ACONN_ERR_FATAL. A
 * host in another language MUST return a status from every service it
 * implements, also when the service fails by an exception (section 6).
 * Which side returns each code, and what the receiver does with it, is
 * given at the code.
 */
typedef int32_t aconn_status;

enum {
    ACONN_OK = 0,                 /* done; from entry points and services */
    /* ABI 1.1. The run is done for every target that can be served; some
       targets are behind or dead (for good, until a person acts): the
       checkpoint moves, the report lists what each such target misses. */
    ACONN_OK_PARTIAL = 1,

    /* Retry later. From entry points; batch_next() MAY return ACONN_RETRY
       (the dataset cannot be read now), and the plugin then returns a retry
       status itself. The host SHOULD wait at least retry_after_ms. */
    ACONN_RETRY = 100,            /* transient: network, timeout, remote 5xx */
    ACONN_RETRY_THROTTLED = 101,  /* remote rate limit */
    ACONN_RETRY_DEFERRED = 102,   /* a quota is used up until retry_after_ms;
                                     the host SHOULD NOT retry earlier */
    ACONN_RETRY_CANCELLED = 103,  /* host asked to stop; progress is saved.
                                     Only after cancelled() was non-zero */

    /* Re-authorize. From entry points only; aconn_error.profile MUST name
       the profile. */
    ACONN_REAUTHORIZE = 200,      /* token revoked, expired or invalid */

    /* Permanent. From entry points unless said otherwise; the host SHOULD
       show aconn_error.message to a person and SHOULD NOT retry the same
       input unchanged on a schedule. */
    ACONN_ERR_INVALID = 300,      /* bad settings or arguments; see field */
    ACONN_ERR_REJECTED = 301,     /* the remote API refused the request */
    ACONN_ERR_NOT_FOUND = 302,    /* a named object does not exist; also
                                     secret_get()/state_get(): no such name,
                                     which is an answer, not a failure */
    ACONN_ERR_PERMISSION = 303,   /* the profile lacks a required role */
    ACONN_ERR_LIMIT = 304,        /* a hard remote limit would be exceeded */
    ACONN_ERR_AUTH_FLOW = 305,    /* authorize: bad, expired or reused state;
                                     the host starts the flow again */
    ACONN_ERR_UNSUPPORTED = 306,  /* the host lacks a service the call needs
                                     (a NULL member, or struct_size too small
                                     for it); a newer host fixes it */
    ACONN_ERR_CONFLICT = 307,     /* state_cas() only: the version did not
                                     match; the plugin SHOULD re-read and
                                     retry, and MUST NOT pass it on from an
                                     entry point as it is */
    ACONN_ERR_TOO_SMALL = 308,    /* secret_get()/state_get() only: buf is too
                                     small; *len is the length needed, so the
                                     caller retries with more than *len bytes */

    /* Fatal to the connection context. From entry points, and from any
       service that failed (secret_put() that could not store, a service
       that raised an exception); a plugin that gets it from a service MUST
       NOT assume the service did anything and SHOULD return it. */
    ACONN_ERR_FATAL = 400         /* out of memory, broken invariant */
};

#define ACONN_STATUS_IS_OK(s) ((s) >= 0 && (s) < 100)
#define ACONN_STATUS_IS_RETRY(s) ((s) >= 100 && (s) < 200)
#define ACONN_STATUS_IS_REAUTHORIZE(s) ((s) >= 200 && (s) < 300)
#define ACONN_STATUS_IS_PERMANENT(s) ((s) >= 300 && (s) < 400)
#define ACONN_STATUS_IS_FATAL(s) ((s) >= 400)

/* ===================================================================== */
/* 3. Errors                                                             */
/* ===================================================================== */

/**
 * A structured error. Caller-owned: the caller allocates it, sets
 * struct_size = sizeof(aconn_error) and zeroes the rest; the callee fills it
 * in (use aconn_error_set()) when it returns a status outside the success
 * band, and MUST NOT keep the pointer after it returns. Every text member is
 * NUL-terminated and truncated to fit (a fixed array, not a pointer: a
 * foreign host reads it up to the NUL).
 *
 * Text members MUST NOT contain secrets (tokens, app secrets, signing keys)
 * or record contents (identifiers, even hashed ones).
 */
typedef struct aconn_error {
    uint32_t struct_size;
    aconn_status status;      /* the status the call returned */
    int64_t retry_after_ms;   /* retry band: wait at least this long; 0 = any */
    int32_t http_status;      /* last HTTP status seen, 0 if none */
    uint32_t reserved0;
    char code[48];            /* stable machine-readable reason, e.g.
                                 "audience_not_found", "state_expired" */
    char field[256];          /* JSON path of the offending input, e.g.
                                 "existing_audiences.7001[0]"; "" if none */
    char remote_code[24];     /* the remote API's own code, e.g. "40100" */
    char request_id[72];      /* the remote API's request id, for support */
    char profile[128];        /* reauthorize band: the profile to redo */
    char message[1024];       /* for people: what happened and how to fix it */
} aconn_error;

/**
 * A list of errors, for calls that find several problems at once
 * (validate_settings). Caller-owned: the caller allocates `capacity` items of
 * `item_size` bytes each, zeroed, and sets every field but count; the callee
 * appends with aconn_error_list_add(), which never writes past capacity or
 * item_size and sets each item's struct_size to item_size. `count` is the
 * number of errors found, which may exceed capacity (the rest were dropped):
 * read only the first min(count, capacity) items.
 */
typedef struct aconn_error_list {
    uint32_t struct_size;
    uint32_t item_size;       /* sizeof(aconn_error) as the caller built it */
    uint32_t capacity;
    uint32_t count;           /* written by the callee */
    aconn_error *items;       /* caller-owned array, capacity entries */
} aconn_error_list;

/* ===================================================================== */
/* 4. Output                                                             */
/* ===================================================================== */

/**
 * Where a plugin writes JSON text for the host: the authorization URL, the
 * profile status, the delivery report. Borrowed for the call: the plugin
 * MUST NOT call write() after the entry point that got it has returned.
 *
 * write() appends len bytes (not NUL-terminated) and returns ACONN_OK, or
 * ACONN_ERR_FATAL when the host cannot take them. The host copies the bytes;
 * the plugin MAY free or reuse its buffer as soon as write() returns. A
 * plugin SHOULD write one complete JSON value per call of an entry point.
 */
typedef struct aconn_output {
    uint32_t struct_size;
    uint32_t reserved0;
    void *ctx;
    aconn_status (*write)(void *ctx, const char *data, size_t len);
} aconn_output;

/* ===================================================================== */
/* 5. Records and batches                                                */
/* ===================================================================== */

/**
 * One Rosetta Stone attribute of a record: its name (the attribute, e.g.
 * "sha256_hashed_email" or the generic "mobile_id_unique_identifier"), its
 * type (e.g. "apple_idfa"; "" when the dataset gave none) and its value.
 *
 * This struct is frozen for ABI 1: it will never grow, so arrays of it can
 * be indexed directly. All three strings are NUL-terminated; value_len is
 * strlen(value), given so hot paths need not measure it.
 */
typedef struct aconn_attr {
    const char *name;
    const char *type;
    const char *value;
    size_t value_len;
} aconn_attr;

/** What a record asks for. */
enum {
    ACONN_RECORD_ADD = 0,     /* the identifiers join the audience */
    ACONN_RECORD_REMOVE = 1   /* the identifiers leave the audience */
};

/**
 * One dataset record. Borrowed: valid until the next batch_next() call or
 * until deliver_batch() returns, whichever is first.
 */
typedef struct aconn_record {
    uint32_t struct_size;
    uint32_t op;              /* ACONN_RECORD_ADD or ACONN_RECORD_REMOVE */
    uint64_t seq;             /* the host's position of the record in the
                                 dataset (1-based line number for the
                                 reference host); increases within a run */
    uint32_t nattrs;
    uint32_t reserved0;
    const aconn_attr *attrs;  /* nattrs entries */
} aconn_record;

/** aconn_batch.flags */
enum {
    /* First batch of a delivery run: discard any partial spool of this run
       and start again. */
    ACONN_BATCH_RUN_BEGIN = 1u << 0,
    /* Last batch of the run: after its records, apply the run remotely. */
    ACONN_BATCH_RUN_END = 1u << 1,
    /* The run carries the dataset's whole current membership and the plugin
       SHOULD replace, not append (a policy refresh). */
    ACONN_BATCH_FULL_REFRESH = 1u << 2,
    /* ABI 1.1. A catch-up run, which a host runs after the plugin called
       aconn_host.request_catch_up(): the rows are from_seq to the
       connection's checkpoint (rows delivered already), the plugin delivers
       them only to the targets that fell behind (healthy targets have them),
       and the host MUST NOT move its checkpoint for it. */
    ACONN_BATCH_CATCH_UP = 1u << 3
};

/**
 * One call's worth of a delivery run. Borrowed for the call.
 *
 * A delivery run is the host's unit of "deliver these rows": a fixed range of
 * the dataset, split into one or more batches. The first batch has
 * ACONN_BATCH_RUN_BEGIN, the last ACONN_BATCH_RUN_END (one batch may have
 * both). If any batch of a run returns a non-OK status, the host abandons the
 * run's remaining batches and later starts the run again from its first
 * batch with the same run_id and the same rows, so a plugin can skip work it
 * recorded as done (via state_cas) under that run_id. A run is finished when
 * its END batch returns ACONN_OK; only then does the host move the
 * connection's checkpoint past the run's rows.
 *
 * Records are pulled with aconn_host.batch_next().
 */
typedef struct aconn_batch {
    uint32_t struct_size;
    uint32_t flags;                /* ACONN_BATCH_* */
    const char *connection_id;     /* stable id of the connection */
    const char *run_id;            /* same for every attempt of one run */
    const char *profile;           /* the profile the connection uses */
    const char *settings_json;     /* the connection's immutable settings */
    const char *spool_dir;         /* a directory only this connection uses;
                                      the plugin MAY keep files here between
                                      calls; the host MAY delete it between
                                      runs */
    uint64_t run_first_seq;        /* seq of the run's first record */
    uint64_t run_last_seq;         /* seq of its last record (0 if empty) */
    uint32_t run_attempt;          /* 1 on the first attempt of this run */
    uint32_t reserved0;
    aconn_output *report;          /* END batches: write the run report */
} aconn_batch;

/* ===================================================================== */
/* 6. Host services                                                      */
/* ===================================================================== */

/** Log levels for aconn_host.log(). */
enum {
    ACONN_LOG_ERROR = 0,
    ACONN_LOG_WARN = 1,
    ACONN_LOG_INFO = 2,
    ACONN_LOG_DEBUG = 3
};

/**
 * The services a host gives a plugin. Host-owned; borrowed by every entry
 * point for the duration of the call (the plugin MUST NOT keep the pointer
 * in a connection context: the next call passes it again).
 *
 * Every service is thread-safe unless it says otherwise, and every string
 * argument is borrowed for the call (the host copies what it keeps).
 * Every function pointer here MUST stay callable while the table is in use
 * (a host in a managed language keeps its callback objects referenced), and
 * a service that can raise MUST catch and return a status: an FFI's default
 * of 0 would read as ACONN_OK. See docs/ABI.md, "Hosts in other languages".
 * Every ABI 1.0 member (the ones above the marker) is present and non-NULL
 * in every host: a plugin calls them without testing. Members after the
 * first ABI 1.0 set are appended below the marker and MUST be tested with
 * ACONN_HAS() (and for NULL, where they say a host may leave them NULL)
 * before use.
 */
typedef struct aconn_host {
    uint32_t struct_size;
    uint32_t abi_major;            /* ACONN_ABI_MAJOR the host was built for */
    uint32_t abi_minor;
    uint32_t reserved0;
    void *ctx;                     /* first argument of every service */

    /**
     * Log one line. msg MUST NOT contain secrets or identifiers.
     */
    void (*log)(void *ctx, int32_t level, const char *msg);

    /**
     * A host option by name, or NULL when unset. The result is static for
     * the life of this table (never a temporary made for the callback).
     * Names a plugin may ask for:
     *   "api_base"      base URL of the remote API (tests point it at a
     *                   sandbox); NULL means the plugin's production URL
     *   "ca_file"       PEM file of trusted CAs; NULL means the system store
     *   "redirect_uri"  where the authorize flow sends the user back
     *   "home"          the host's data directory (informational)
     *   "dry_run"       "1": hash and spool, write the report, send
     *                   nothing; the host MUST NOT move its checkpoint
     *   "request_timeout_ms"  decimal milliseconds (100..600000): the
     *                   whole-request timeout of non-upload requests; NULL
     *                   means the plugin's default
     *   "parallel_accounts"  decimal 1..16: how many remote accounts one
     *                   deliver_batch() may write to at once; NULL means
     *                   the plugin's default
     */
    const char *(*option)(void *ctx, const char *name);

    /**
     * The current wall-clock time, UTC, in milliseconds since the Unix epoch.
     * Plugins MUST use this instead of time() so hosts and tests can move the
     * clock.
     */
    int64_t (*now_ms)(void *ctx);

    /**
     * Non-zero once the host wants the current call to stop early. A plugin
     * SHOULD poll it between network requests and, when set, save progress
     * and return ACONN_RETRY_CANCELLED.
     */
    int32_t (*cancelled)(void *ctx);

    /**
     * Secrets: tokens, app secrets, signing keys. The host stores them where
     * only its user can read them and never prints them.
     *
     * secret_get() copies the secret `name` and a NUL into buf and sets *len
     * to its length. Returns ACONN_OK; ACONN_ERR_NOT_FOUND when unset;
     * ACONN_ERR_TOO_SMALL (with *len = the length needed) when buflen is not
     * larger than the secret. The plugin MUST wipe buf after use.
     *
     * secret_put() stores len bytes under name (value NULL deletes it; the
     * bytes are not NUL-terminated: copy exactly len) and
     * returns ACONN_OK once the value is durable, or ACONN_ERR_FATAL.
     */
    aconn_status (*secret_get)(void *ctx, const char *name, char *buf,
                               size_t buflen, size_t *len);
    aconn_status (*secret_put)(void *ctx, const char *name, const char *value,
                               size_t len);

    /**
     * A small persistent key-value store, shared by every connection and
     * every worker process of this plugin on this host (keys are namespaced
     * by plugin). Values are at most 1 MiB of bytes. Each key has a version
     * that starts at 1 and increases on every write.
     *
     * state_get() copies the value and a NUL into buf, sets *len and
     * *version. Returns ACONN_OK; ACONN_ERR_NOT_FOUND (with *version = 0);
     * ACONN_ERR_TOO_SMALL (with *len = the length needed).
     *
     * state_cas() writes value (len bytes, not NUL-terminated; NULL deletes
     * the key) only if the
     * key's version is still `expected` (0 = the key must not exist), and
     * sets *new_version (0 after a delete). Returns ACONN_OK once the write
     * is durable; ACONN_ERR_CONFLICT when the version differed, in which
     * case nothing was written and the caller SHOULD re-read and retry.
     * Several processes can share one store safely through this call: it is
     * how workers share per-account quotas.
     */
    aconn_status (*state_get)(void *ctx, const char *key, char *buf,
                              size_t buflen, size_t *len, uint64_t *version);
    aconn_status (*state_cas)(void *ctx, const char *key, uint64_t expected,
                              const char *value, size_t len,
                              uint64_t *new_version);

    /**
     * Dataset iteration. Valid only during deliver_batch(), only on the
     * calling thread, and only with the batch that call received.
     *
     * batch_next() sets *records to an array of *count record pointers
     * (the array, the records, their attrs and every string they point
     * to are host-owned and borrowed until the next batch_next() or the
     * end of the call; the plugin copies what it keeps) and
     * returns ACONN_OK; *count == 0 means the batch has no more records.
     * It returns a retry status when the host cannot read the dataset now.
     *
     * reject() tells the host that one identifier of a record (attr_index
     * into its attrs, or UINT32_MAX for the whole record) was not delivered,
     * with a stable reason code such as "not_hex" and a short detail for
     * people. The detail MUST NOT contain the identifier.
     */
    aconn_status (*batch_next)(void *ctx, const aconn_batch *batch,
                               const aconn_record *const **records,
                               size_t *count);
    void (*reject)(void *ctx, const aconn_batch *batch, uint64_t seq,
                   uint32_t attr_index, const char *reason,
                   const char *detail);

    /* ---- ABI 1.1 and later: members are appended below this line ---- */

    /**
     * ABI 1.1. Asks the host for a catch-up run (ACONN_BATCH_CATCH_UP) of
     * this connection once the current run has finished: a target that fell
     * behind at row from_seq can be served again and needs the rows from
     * there to the checkpoint, which the other targets must not get twice.
     * reason is for people (copied). Valid only during deliver_batch() with
     * the batch that call received; several calls keep the smallest
     * from_seq. A host SHOULD run it in the same delivery, right after the
     * run whose call asked; a host that cannot MUST leave the member NULL.
     * A plugin MUST keep what it needs to ask again (the host may die
     * before the catch-up runs).
     */
    void (*request_catch_up)(void *ctx, const aconn_batch *batch, uint64_t from_seq,
                             const char *reason);

    /* ---- ABI 1.2 ---- */

    /**
     * ABI 1.2, optional. App-wide request pacing: one request budget shared
     * by every connection, worker process and machine of this host's state
     * (a remote API that limits requests per developer app, not per call
     * site, can then be paced instead of refused).
     *
     * Before each remote request it guards, a plugin calls pace() with a
     * key naming the remote quota (e.g. "<app id>/<endpoint>"; borrowed,
     * at most 200 bytes; the host namespaces it by plugin) and n = the
     * requests it is about to send (normally 1). The host reserves n slots
     * of the key's budget at the rate it was configured with (the same
     * rate for every key; the reference host's --app-qps, default 10 per
     * second) and sets *wait_ms to how long the caller MUST wait before
     * sending them: 0 means send now. The slots are the caller's once
     * granted: it MUST NOT ask again for the same request, and a request
     * it then does not send only wastes its slot.
     *
     * With flags ACONN_PACE_REFUSED the plugin reports instead that the
     * remote refused a request for its rate (TikTok's 40100): the host
     * pushes the key's budget back so that no slot is granted, to anyone,
     * for the next second; n is ignored and *wait_ms is set as for a grant.
     *
     * Returns ACONN_OK; ACONN_ERR_INVALID for a bad key or n; a retry
     * status when the shared store cannot be reached, in which case the
     * plugin SHOULD send unpaced rather than fail (pacing only avoids
     * refusals). A plugin SHOULD sleep *wait_ms in short slices, polling
     * cancelled(); a wait longer than a few seconds means the budget is
     * oversubscribed and the plugin SHOULD return a retry status with
     * retry_after_ms instead (section 8: no long sleeps). The call costs
     * one small write to the host's state (far less than a remote
     * request). Thread-safe like every service. A host that cannot share
     * a budget leaves the member NULL, and a plugin then behaves as a
     * 1.1 plugin does (sends unpaced, backs off after a refusal): test
     * ACONN_HAS(host, aconn_host, pace) and the pointer before calling.
     */
    aconn_status (*pace)(void *ctx, const char *key, uint32_t n, uint32_t flags,
                         int64_t *wait_ms);
} aconn_host;

/** aconn_host.pace() flags (ABI 1.2). */
enum {
    ACONN_PACE_REFUSED = 1u   /* the remote refused a request for its rate */
};

/* ===================================================================== */
/* 7. Plugin entry points                                                */
/* ===================================================================== */

/**
 * Static facts about a plugin. Static: the host never frees it.
 */
typedef struct aconn_info {
    uint32_t struct_size;
    uint32_t reserved0;
    const char *id;              /* stable id, e.g. "tiktok-audience"; equals
                                    the manifest's "id" */
    const char *name;            /* for people */
    const char *version;         /* the plugin's release */
    const char *manifest_json;   /* the whole manifest (see manifests/);
                                    identical to the installed file */
} aconn_info;

/*
 * The manifest is for people and tools (docs/ABI.md, manifests/); a host
 * reads one top-level member of it by name:
 *   "policy_refresh"  optional ISO 8601 duration, e.g. "P540D": a host
 *                     runs a full refresh (ACONN_BATCH_FULL_REFRESH, the
 *                     whole dataset from its first row) once that long has
 *                     passed since the connection's last one or its
 *                     creation. Absent or unparsable: never.
 * Per-connection facts a host needs cross through
 * aconn_validate_request.facts, never through the plugin's settings keys.
 */

/** aconn_validate_request.flags */
enum {
    /* Also check the settings against the remote API with the profile's
       credentials (audiences exist, roles allow writing, room left). */
    ACONN_VALIDATE_REMOTE = 1u << 0
};

/** What validate_settings() is asked to check. Borrowed for the call. */
typedef struct aconn_validate_request {
    uint32_t struct_size;
    uint32_t flags;                   /* ACONN_VALIDATE_* */
    const char *settings_json;        /* the quick settings to check */
    const char *profile;              /* NULL unless flags has REMOTE */
    const char *current_settings_json;/* when changing an existing
                                         connection: its settings; else NULL */
    /* ---- ABI 1.1 and later: members are appended below this line ---- */
    /**
     * ABI 1.1. Where the plugin writes, when the settings are valid, what
     * the host needs to know of them, as one JSON object; NULL when the host
     * does not ask. The settings themselves stay the plugin's: a host reads
     * none of their keys, only these generic members:
     *   "first_run_from"  "beginning": the connection's first run delivers
     *                     the rows already in the dataset, then new ones;
     *                     "end": only rows added after the connection is
     *                     made. Absent (or nothing written, or a 1.0
     *                     plugin): "beginning".
     * Unknown members MUST be ignored by the host.
     */
    aconn_output *facts;
} aconn_validate_request;

/** aconn_authorize_request.phase */
enum {
    /* Start the flow: write {"url": ..., "expires_at_ms": ...}. */
    ACONN_AUTHORIZE_BEGIN = 1,
    /* Finish it from the redirect: write the profile status JSON, whose
       "status" is "connected" on success. */
    ACONN_AUTHORIZE_COMPLETE = 2,
    /* Re-check a connected profile: write its status JSON. */
    ACONN_AUTHORIZE_STATUS = 3
};

/** One step of the profile (OAuth) flow. Borrowed for the call. */
typedef struct aconn_authorize_request {
    uint32_t struct_size;
    uint32_t phase;              /* ACONN_AUTHORIZE_* */
    const char *profile;         /* the profile's name */
    const char *callback_url;    /* COMPLETE: the full redirect URL */
} aconn_authorize_request;

/** Returns the plugin's static facts. Discovery class; no I/O. */
typedef const aconn_info *aconn_describe_fn(void);

/**
 * Checks quick settings. Always checks structure (no I/O); with
 * ACONN_VALIDATE_REMOTE also asks the remote API. Each problem found is
 * appended to `errors` (caller-owned) with the JSON path of the field and
 * how to fix it. Returns ACONN_OK when the settings are valid,
 * ACONN_ERR_INVALID when any problem was found, or a retry / reauthorize
 * status when a remote check could not be made (described in errors too).
 */
typedef aconn_status aconn_validate_settings_fn(const aconn_host *host,
                                                const aconn_validate_request *req,
                                                aconn_error_list *errors);

/**
 * One step of the profile flow (see aconn_authorize_request). Writes its
 * JSON result to `out`; on failure fills `err` (caller-owned).
 * Credentials it obtains go only to host->secret_put().
 */
typedef aconn_status aconn_authorize_fn(const aconn_host *host,
                                        const aconn_authorize_request *req,
                                        aconn_output *out, aconn_error *err);

/**
 * Delivers one batch of a run (see aconn_batch).
 *
 * *connection_ctx is a slot the host keeps per connection, NULL at first:
 * the plugin MAY store a context there on the first call and MUST accept it
 * back on later calls; the host passes it to teardown() when done.
 * On failure fills `err` (caller-owned).
 */
typedef aconn_status aconn_deliver_batch_fn(const aconn_host *host,
                                            void **connection_ctx,
                                            const aconn_batch *batch,
                                            aconn_error *err);

/**
 * Frees a connection context and wipes any secrets it holds. Accepts NULL.
 * Cannot fail.
 */
typedef void aconn_teardown_fn(const aconn_host *host, void *connection_ctx);

/**
 * ABI 1.1. What inspect() is asked about: one connection, as the host
 * stores it. Borrowed for the call.
 */
typedef struct aconn_inspect_request {
    uint32_t struct_size;
    uint32_t flags;                  /* none defined yet: 0 */
    const char *connection_id;       /* as in aconn_batch */
    const char *profile;             /* the profile the connection uses */
    const char *settings_json;       /* the connection's immutable settings */
    const char *last_report_json;    /* the report the plugin wrote at the END
                                        batch of the connection's last finished
                                        run (its newest attempt); NULL when it
                                        never wrote one */
} aconn_inspect_request;

/**
 * ABI 1.1, optional. Describes the connection's targets (the audiences it
 * delivers to) as they stand now at the remote platform, for people asking
 * "is my audience ready?" without waiting for the next run's report.
 *
 * Writes one JSON object to `out`: {"targets": [...], ...}. Each target
 * SHOULD have these keys, which a host may tabulate (null when unknown):
 *   "account"          the remote account the audience lives in
 *   "audience_id"      null while it is not created yet
 *   "name", "identifier_types" (array of strings)
 *   "size"             the remote platform's audience size
 *   "status"           "ready", "processing" (the platform is still
 *                      building it), "too_small", "expired", "not_created",
 *                      "not_found" or "unknown"
 *   "expires_at_ms"    when the platform will expire it
 *   "last_outcome"     what the last run did to it (from last_report_json)
 * and MAY add its own (the platform's raw fields, the target's standing).
 *
 * Request class (section 8): any thread, concurrently with any call,
 * including deliver_batch() of the same connection. It MUST NOT change
 * anything: no state_cas(), no secret_put(), no remote write; it MAY call
 * state_get(), secret_get() and read-only remote APIs. On failure it fills
 * `err` (caller-owned) and returns a retry status (the remote platform
 * could not be asked now), ACONN_REAUTHORIZE (err->profile names the
 * profile) or a permanent one (e.g. settings that no longer parse); it MAY
 * still have written what it knows from its own state, which a host SHOULD
 * show beside the error. A plugin that cannot describe its targets leaves
 * the member NULL; a host MUST test ACONN_HAS(desc, aconn_plugin, inspect)
 * and the pointer before calling it, and MUST NOT call it when the plugin's
 * abi_minor is 0.
 */
typedef aconn_status aconn_inspect_fn(const aconn_host *host,
                                      const aconn_inspect_request *req,
                                      aconn_output *out, aconn_error *err);

/**
 * The plugin descriptor. Static: the host never frees it.
 */
typedef struct aconn_plugin {
    uint32_t struct_size;
    uint32_t abi_major;          /* ACONN_ABI_MAJOR the plugin was built for */
    uint32_t abi_minor;
    uint32_t reserved0;
    aconn_describe_fn *describe;
    aconn_validate_settings_fn *validate_settings;
    aconn_authorize_fn *authorize;
    aconn_deliver_batch_fn *deliver_batch;
    aconn_teardown_fn *teardown;
    /* ---- ABI 1.1 and later: members are appended below this line ---- */
    aconn_inspect_fn *inspect;   /* 1.1, optional (NULL): see aconn_inspect_fn */
} aconn_plugin;

/**
 * The one exported symbol, a function (dlsym() is only guaranteed to work on
 * functions). The host passes the ABI version it implements; the plugin
 * returns the descriptor for that major if it has one, and otherwise its
 * newest descriptor, so the host can name both versions when it refuses.
 * Never returns NULL. Discovery class: reentrant, no I/O.
 */
typedef const aconn_plugin *aconn_entry_fn(uint32_t host_abi_major,
                                           uint32_t host_abi_minor);
ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor);

/* ===================================================================== */
/* 8. Threading                                                          */
/* ===================================================================== */
/*
 * Calls fall into three classes (after LV2):
 *
 *   Discovery   aconn_plugin_entry, describe
 *               Reentrant; any thread; concurrently with anything.
 *   Request     validate_settings, authorize, inspect (1.1)
 *               Any thread; concurrently with any other call, including
 *               other requests. A plugin MUST keep no mutable global state.
 *   Connection  deliver_batch, teardown
 *               The host MUST NOT call them concurrently for the same
 *               connection context; different connections MAY run at once
 *               on different threads or processes.
 *
 * Further rules:
 *   - Host services are thread-safe, except batch_next() and reject(), which
 *     belong to the deliver_batch() call in progress on the calling thread.
 *   - A plugin calls host services only while an entry point that received
 *     the table runs, and SHOULD call them on that entry point's thread: a
 *     host whose runtime must attach a thread it did not create before
 *     running code on it (a JVM, .NET, Go) can then rely on it. The
 *     reference plugin starts threads only inside deliver_batch() and
 *     joins them before it returns, and none of them calls a host service
 *     itself: the deliver_batch() thread runs their calls for them (the
 *     threads that write to several Ad Accounts at once, option
 *     parallel_accounts, while it waits for them; the thread that uploads
 *     full spool files while the next is written, between the records it
 *     spools and while it waits; their cancelled() reads the answer that
 *     thread last had from the host, refreshed every few hundred records
 *     and every 100 ms while it waits).
 *   - The host loads plugins resident and never unloads one while any call
 *     runs; plugins MUST NOT register atexit() handlers, and MUST NOT leave
 *     threads running after a call returns.
 *   - A plugin MAY call curl_global_init() (libcurl >= 7.84 makes it
 *     thread-safe) and MUST NOT call the matching cleanup functions.
 *   - A plugin never sleeps through a long wait: for a rate limit or quota it
 *     returns a retry status with retry_after_ms and lets the host schedule.
 */

/* ===================================================================== */
/* 9. Helpers (header-only; usable by plugins and hosts alike)           */
/* ===================================================================== */

/** A stable name for a status, e.g. "retry_throttled". Static string. */
static inline const char *aconn_status_name(aconn_status s)
{
    switch (s) {
    case ACONN_OK: return "ok";
    case ACONN_OK_PARTIAL: return "ok_partial";
    case ACONN_RETRY: return "retry";
    case ACONN_RETRY_THROTTLED: return "retry_throttled";
    case ACONN_RETRY_DEFERRED: return "retry_deferred";
    case ACONN_RETRY_CANCELLED: return "retry_cancelled";
    case ACONN_REAUTHORIZE: return "reauthorize";
    case ACONN_ERR_INVALID: return "invalid";
    case ACONN_ERR_REJECTED: return "rejected";
    case ACONN_ERR_NOT_FOUND: return "not_found";
    case ACONN_ERR_PERMISSION: return "permission";
    case ACONN_ERR_LIMIT: return "limit";
    case ACONN_ERR_AUTH_FLOW: return "auth_flow";
    case ACONN_ERR_UNSUPPORTED: return "unsupported";
    case ACONN_ERR_CONFLICT: return "conflict";
    case ACONN_ERR_TOO_SMALL: return "too_small";
    case ACONN_ERR_FATAL: return "fatal";
    default: break;
    }
    if (ACONN_STATUS_IS_RETRY(s)) return "retry";
    if (ACONN_STATUS_IS_REAUTHORIZE(s)) return "reauthorize";
    if (ACONN_STATUS_IS_PERMANENT(s)) return "permanent";
    return "fatal";
}

/** Copies src into a fixed char array member, truncating; src may be NULL. */
#define ACONN_STRSET(dst, src) \
    aconn__strlcpy((dst), (src) != NULL ? (src) : "", sizeof(dst))

static inline void aconn__strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/**
 * Fills a caller-owned error without writing past its struct_size, and
 * returns `status` so a plugin can write `return aconn_error_set(...)`.
 * code and field may be NULL. err may be NULL (nothing is written).
 */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static inline aconn_status aconn_error_set(aconn_error *err, aconn_status status,
                                           const char *code, const char *field,
                                           const char *fmt, ...)
{
    aconn_error e;
    va_list ap;
    size_t n;

    if (err == NULL || err->struct_size < offsetof(aconn_error, code))
        return status;
    memset(&e, 0, sizeof(e));
    e.struct_size = err->struct_size;
    e.status = status;
    ACONN_STRSET(e.code, code);
    ACONN_STRSET(e.field, field);
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof(e.message), fmt, ap);
    va_end(ap);
    n = err->struct_size < sizeof(e) ? err->struct_size : sizeof(e);
    memcpy(err, &e, n);
    return status;
}

/**
 * Appends a copy of *e to a caller-owned list, honouring item_size and
 * capacity; always counts it. Returns e->status.
 */
static inline aconn_status aconn_error_list_add(aconn_error_list *list,
                                                const aconn_error *e)
{
    if (list == NULL)
        return e->status;
    if (list->items != NULL && list->count < list->capacity) {
        char *slot = (char *) list->items + (size_t) list->count * list->item_size;
        size_t n = list->item_size < sizeof(*e) ? list->item_size : sizeof(*e);
        memcpy(slot, e, n);
        if (n >= sizeof(uint32_t)) {
            uint32_t sz = list->item_size;
            memcpy(slot, &sz, sizeof(sz));   /* struct_size as the list knows it */
        }
    }
    list->count++;
    return e->status;
}

/** Writes a NUL-terminated string to an output; NULL output is a no-op. */
static inline aconn_status aconn_output_puts(aconn_output *out, const char *s)
{
    if (out == NULL || out->write == NULL)
        return ACONN_OK;
    return out->write(out->ctx, s, strlen(s));
}

#ifdef __cplusplus
}
#endif

#endif /* ACONN_H */
