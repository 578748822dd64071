/*
 * tt_status.h - classify the outcome of one TikTok API request.
 *
 * TikTok answers most errors with HTTP 200 and a non-zero "code" in the JSON
 * envelope, so HTTP status alone says little. This module turns (transport
 * result, HTTP status, TikTok code) into an aconn_status, a retry hint, a
 * stable reason code and a message that tells a person what to do.
 *
 * Pure: no I/O, no globals; safe on any thread.
 */
#ifndef TT_STATUS_H
#define TT_STATUS_H

#include <aconn/aconn.h>

/** What happened on the wire, before any body was looked at. */
typedef enum tt_transport {
    TT_TRANSPORT_OK = 0,     /* a complete HTTP response arrived */
    TT_TRANSPORT_CONNECT,    /* name resolution or connect failed */
    TT_TRANSPORT_TIMEOUT,    /* connect or whole-request timeout */
    TT_TRANSPORT_DROPPED,    /* connection closed before a full response */
    TT_TRANSPORT_TLS,        /* certificate refused or handshake failed */
    TT_TRANSPORT_BAD_BODY,   /* HTTP answered, but the body is not an envelope */
    TT_TRANSPORT_TOO_LARGE,  /* the body passed the size cap */
    TT_TRANSPORT_REDIRECT,   /* a 3xx answer: never followed (token safety) */
    TT_TRANSPORT_CANCELLED,  /* the host asked us to stop */
    TT_TRANSPORT_LOCAL       /* local failure: memory, unreadable file, bad URL */
} tt_transport;

/** Everything the classifier looks at. Strings are borrowed; any may be NULL. */
typedef struct tt_status_input {
    tt_transport transport;
    long http_status;         /* 0 when no response */
    long code;                /* TikTok's envelope code (transport OK) */
    const char *message;      /* TikTok's message */
    const char *request_id;   /* TikTok's request id */
    const char *endpoint;     /* e.g. "dmp/custom_audience/update" */
    const char *profile;      /* the profile in use, for re-authorize text */
    const char *advertiser_id;/* the Ad Account the call was about */
    const char *detail;       /* local detail, e.g. libcurl's error text */
    int64_t now_ms;           /* host clock, for "until 00:00 UTC" hints; 0 = unknown */
} tt_status_input;

/*
 * Fills err (caller-owned, may be NULL) with status, retry_after_ms,
 * http_status, code, remote_code, request_id, profile and message, and
 * returns the status. The "code" member is a stable reason such as
 * "rate_limited", "token_invalid", "no_permission".
 */
aconn_status tt_status_classify(const tt_status_input *in, aconn_error *err);

/* Host-level retry hints (milliseconds), exposed for tests and callers. */
#define TT_HINT_THROTTLED_MS 1000        /* QPS limit: retry next second */
#define TT_HINT_REMOTE_ERROR_MS 60000    /* 5xxxx codes in the envelope */
#define TT_HINT_HTTP_5XX_MS 300000       /* TikTok: retry 5xx after ~5 min */
#define TT_HINT_NETWORK_MS 30000         /* connect, timeout, drop */
#define TT_HINT_CONFLICT_MS 5000         /* 40202 write conflict */
#define TT_HINT_PROCESSING_MS 900000     /* audience still processing */
#define TT_HINT_DAY_UNKNOWN_MS 3600000   /* daily limit, clock unknown */
#define TT_DAY_MS 86400000LL

/*
 * Non-zero when a call that failed this way may be repeated within the same
 * plugin call (short backoff). TLS failures, cancellations, deferrals and
 * audiences still processing are retry-band for the host but pointless to
 * repeat at once.
 */
int tt_status_retry_in_call(const aconn_error *err);

/*
 * What a caller should do about an answer, derived from the stable reason
 * (err->code) the classifier wrote. The aconn_status says what the host
 * does; the class says what the plugin's own recovery does.
 */
typedef enum tt_class {
    TT_CLASS_OK = 0,          /* done */
    TT_CLASS_PARTIAL,         /* 20001: done in part; status ACONN_OK, details in message */
    TT_CLASS_RATE_LIMITED,    /* throttled: back off (tt_backoff) */
    TT_CLASS_TRANSIENT,       /* surely not carried out; retry later */
    TT_CLASS_OUTCOME_UNKNOWN, /* may have been carried out: settle/adopt, never resend blindly */
    TT_CLASS_PROCESSING,      /* the audience is busy: retry later */
    TT_CLASS_DEFERRED,        /* a quota or window: retry after retry_after_ms */
    TT_CLASS_FILE_GONE,       /* 40905/40910: upload the file again, once */
    TT_CLASS_AUTH,            /* re-authorize the profile */
    TT_CLASS_AUTH_CODE,       /* token exchange: the auth_code is spent; start again */
    TT_CLASS_APP_CREDENTIALS, /* app_id / app_secret wrong, or another app's token */
    TT_CLASS_PERMISSION,      /* a role or allowlist is missing */
    TT_CLASS_NOT_FOUND,       /* the audience or Ad Account does not exist */
    TT_CLASS_PARAMETER,       /* unknown 40002: permanent once a get shows the audience is not processing */
    TT_CLASS_LIMIT,           /* a hard TikTok limit (size, audience count) */
    TT_CLASS_REJECTED,        /* any other refusal: permanent */
    TT_CLASS_CANCELLED,       /* the host asked to stop */
    TT_CLASS_LOCAL            /* our side: memory, files, configuration */
} tt_class;

/* The class of a classified error; TT_CLASS_LOCAL for NULL. */
tt_class tt_status_class(const aconn_error *err);

/* "ok", "partial", "rate_limited", ...: stable, for logs and docs. */
const char *tt_class_name(tt_class cls);

#endif
