/* sb.h: internals of tiktok-sandbox, a local stand-in for TikTok's
 * Marketing API v1.3. Private to tests/sandbox; nothing here is an ABI.
 *
 * Threading: MHD serves requests on a thread pool. All world state
 * (sb_state) is guarded by sb_ctx.lock; handlers take it for the whole
 * of their work on the state, so every request sees a consistent world.
 * Uploads stream to disk without the lock and take it only to register
 * the finished file.
 */
#ifndef SB_H
#define SB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <json-c/json.h>

/* Compact JSON without "\/" escapes, as TikTok answers. */
#define SB_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define SB_ID_MAX 64          /* longest id we accept anywhere */
#define SB_FILE_ID_LEN 16     /* TikTok's file_path is 16 characters */
#define SB_MAX_FILE_BYTES (50L * 1024 * 1024)
#define SB_MAX_AUDIENCES 400
#define SB_DAILY_UPDATES 24
#define SB_MIN_AUDIENCE 1000
#define SB_AUTH_CODE_TTL_MS (3600L * 1000)
#define SB_FILE_TTL_MS (7L * 24 * 3600 * 1000)
#define SB_DAY_MS (24L * 3600 * 1000)

/* ---- member identifier types ------------------------------------------ */

/* 0 is "no type" so a zero-filled slot reads as empty. */
enum sb_idtype {
    SB_T_NONE = 0,
    SB_T_EMAIL_SHA256,
    SB_T_PHONE_SHA256,
    SB_T_IDFA_SHA256,
    SB_T_IDFA_MD5,
    SB_T_GAID_SHA256,
    SB_T_GAID_MD5,
    SB_T_FIRST_SHA256,
    SB_T_FIRST_MD5,
    SB_T_MULTIPLE,        /* a calculate_type, never a member's type */
    SB_T_COUNT
};

const char *sb_idtype_name(int type);
/* Upload enum accepts MAID_* aliases; create enum does not. 0 = unknown. */
int sb_idtype_parse_upload(const char *s);
int sb_idtype_parse_create(const char *s);
/* Digest length in bytes (16 or 32) for a member type. */
size_t sb_idtype_len(int type);
/* Comma-joined enum list for error messages (static string). */
const char *sb_idtype_upload_enum(void);
const char *sb_idtype_create_enum(void);

/* ---- compact member set (sb_members.c) -------------------------------- */

/* Open-addressing set of (type, 32-byte key) members (MD5 digests
 * zero-padded): a member is an identifier of one type, so REMOVE of an
 * Email digest never removes a MAID. Roughly 33 bytes per slot at <= 70 %
 * load. */
typedef struct sb_members sb_members;

sb_members *sb_members_new(void);
void sb_members_free(sb_members *m);
size_t sb_members_count(const sb_members *m);
size_t sb_members_count_type(const sb_members *m, int type);
/* 1 added, 0 already present, -1 out of memory. */
int sb_members_add(sb_members *m, const uint8_t key[32], int type);
/* Room for n more members without a rehash; 0 or -1 out of memory. */
int sb_members_reserve(sb_members *m, size_t n);
/* Adds up to SB_MEMBERS_BATCH members at once (keys[i] of types[i]),
 * prefetching their slots; the number newly added, or -1 (out of memory,
 * a bad type or n too large: nothing of the batch is then promised). */
#define SB_MEMBERS_BATCH 1024
int sb_members_add_batch(sb_members *m, const uint8_t (*keys)[32], const uint8_t *types,
                         size_t n);
/* 1 removed, 0 absent. */
int sb_members_remove(sb_members *m, const uint8_t key[32], int type);
bool sb_members_contains(const sb_members *m, const uint8_t key[32], int type);
/* Calls fn for every member; stops when fn returns non-zero. */
int sb_members_each(const sb_members *m,
                    int (*fn)(const uint8_t key[32], int type, void *arg),
                    void *arg);
/* Sorted lower-case hex digests, one per line; only_type 0 = every type;
 * with_type prefixes each line with "TYPE,". Caller frees *out. */
int sb_members_dump_sorted(const sb_members *m, int only_type, bool with_type,
                           char **out, size_t *out_len);

/* ---- clock (sb_clock.c) ------------------------------------------------ */

int64_t sb_real_ms(void);
int64_t sb_mono_ms(void);
/* "YYYY-MM-DD" of a UTC ms timestamp into buf (>= 11 bytes). */
void sb_utc_day(int64_t ms, char *buf, size_t len);
/* "YYYY-MM-DD HH:MM:SS" (>= 20 bytes). */
void sb_utc_time(int64_t ms, char *buf, size_t len);

/* ---- faults (sb_faults.c) --------------------------------------------- */

typedef struct {
    uint64_t seed;
    double rate_limit, server_error, drop, slow, lost_response;
    long slow_ms;
    char endpoints[512];     /* '|'-separated substrings, empty = all */
    char spec[1024];         /* normalised spec, echoed to clients */
} sb_faults;

enum sb_fault {
    SB_F_NONE = 0,
    SB_F_RATE_40100,
    SB_F_RATE_40133,
    SB_F_SERVER_50000,
    SB_F_SERVER_50002,
    SB_F_SERVER_HTTP503,
    SB_F_DROP,
    SB_F_SLOW,
    SB_F_LOST_RESPONSE
};

/* Parses SPEC; base_seed is used when SPEC has no seed=. On error fills
 * err and returns -1 leaving *out untouched. */
int sb_faults_parse(const char *spec, uint64_t base_seed, sb_faults *out,
                    char *err, size_t errlen);
/* The fault for the n-th TikTok request on path (deterministic). */
enum sb_fault sb_faults_pick(const sb_faults *f, uint64_t n, const char *path);
uint64_t sb_splitmix64(uint64_t x);

/* ---- world (sb_world.c) and live state (sb_state.c) ------------------ */

enum sb_role { SB_ROLE_NONE = 0, SB_ROLE_ANALYST, SB_ROLE_OPERATOR, SB_ROLE_ADMIN };

typedef struct {
    char *path_id;            /* 16 characters */
    char *advertiser_id;
    int calculate_type;
    char *disk_path;
    int64_t create_ms;
    size_t lines;
    uint64_t bytes;
} sb_file;

typedef struct {
    char *op;                 /* create|update|delete|share|rename */
    char *action;             /* APPEND|REMOVE|REPLACE|CREATE|... */
    char *audience_id;
    char *advertiser_id;
    char utc_day[11];
    int64_t time_ms;
    bool counts_daily;        /* file-based update: counts toward 24/day */
} sb_op;

typedef struct {
    char *audience_id;
    char *advertiser_id;      /* creator */
    char *name;
    int calculate_type;
    int retention_in_days;    /* 0: not set */
    char *sub_type;
    sb_members *members;
    int64_t create_ms;
    int64_t modify_ms;
    int64_t ready_ms;         /* processing ends */
    size_t prev_cover;        /* cover shown while an update processes */
    int64_t last_replace_ms;  /* last applied REPLACE; 0 never (one per 24 h) */
    char **shared_with;
    size_t n_shared;
    const char *kind;         /* static; NULL: a customer file, else the
                                 audience_type, e.g. "Lookalike" */
} sb_audience;

typedef struct {
    char *token;
    char *app_id;
    char *user_id;
    bool revoked;
} sb_token;

typedef struct {
    char *code;
    char *app_id;
    char *user_id;
    int64_t expires_ms;
    bool used;
} sb_authcode;

typedef struct {
    /* Live objects; the static world is read from ctx->world. */
    sb_audience **aud;
    size_t n_aud, cap_aud;
    sb_file **files;
    size_t n_files, cap_files;
    sb_token *tokens;
    size_t n_tokens, cap_tokens;
    sb_authcode *codes;
    size_t n_codes, cap_codes;
    sb_op *ops;
    size_t n_ops, cap_ops;
    uint64_t next_audience;
    uint64_t next_file;
    uint64_t next_secret;
    int64_t clock_offset_ms;
} sb_state;

typedef struct sb_qps sb_qps;
typedef struct sb_inject sb_inject;

typedef struct {
    pthread_mutex_t lock;
    json_object *world;       /* in use (the control API changes it); owned */
    json_object *world_loaded;/* as loaded; /sandbox/reset copies it back */
    sb_state st;
    uint64_t resets;          /* sb_state_reset calls: file entries live until the next */
    sb_faults faults;
    sb_faults initial_faults; /* restored by /sandbox/reset */
    uint64_t base_seed;
    uint64_t fault_counter;   /* TikTok requests seen since faults set */
    uint64_t request_counter; /* for request_id */
    uint64_t rid_salt;        /* random per run: ids differ between runs */
    json_object *by_endpoint; /* path -> count */
    json_object *by_advertiser; /* advertiser_id -> requests about it (sb_require_adv) */
    uint64_t total_requests;
    uint64_t qps_refused;        /* answers 40100 of --qps (control API: rate_limited) */
    int64_t processing_delay_ms;
    bool busy_while_processing; /* updates to a processing audience: 40002 */
    int64_t initial_delay_ms;   /* options as at start, for /sandbox/reset */
    bool initial_busy;
    char *data_dir;
    bool data_dir_owned;
    sb_qps *qps;
    sb_inject *inject;        /* /sandbox/inject answers (sb_inject.c) */
} sb_ctx;

/* World loading / defaults. Return 0 or -1 with err filled. */
json_object *sb_world_default(void);
int sb_world_validate(json_object *w, char *err, size_t errlen);
/* Rebuilds live state from ctx->world (also used by reset). Lock held. */
int sb_state_reset(sb_ctx *ctx, char *err, size_t errlen);
void sb_state_free(sb_ctx *ctx);
/* The world file's "tokens" and "audiences" (sb_world_seed.c): checked by
 * sb_world_validate, applied by sb_state_reset; the dump is the world in
 * use plus the live tokens and audiences, in the same format. */
int sb_seed_validate(json_object *w, char *err, size_t errlen);
int sb_seed_apply(sb_ctx *ctx, char *err, size_t errlen);
json_object *sb_seed_dump(sb_ctx *ctx);
int64_t sb_now_ms(const sb_ctx *ctx);

/* World queries (lock held; returned objects are borrowed). */
json_object *sb_w_app(sb_ctx *ctx, const char *app_id);
json_object *sb_w_user(sb_ctx *ctx, const char *user_id);
json_object *sb_w_advertiser(sb_ctx *ctx, const char *adv_id);
json_object *sb_w_bc(sb_ctx *ctx, const char *bc_id);
const char *sb_w_str(json_object *o, const char *key);
/* Effective role of user on advertiser (BC ADMIN of owner BC = ADMIN). */
int sb_w_role(sb_ctx *ctx, const char *user_id, const char *adv_id);
int sb_w_bc_role(sb_ctx *ctx, const char *user_id, const char *bc_id);
const char *sb_role_name(int role);
/* New JSON array of advertiser ids the user reaches. */
json_object *sb_w_covered(sb_ctx *ctx, const char *user_id);

sb_audience *sb_st_audience(sb_ctx *ctx, const char *aud_id);
size_t sb_st_count_owned(sb_ctx *ctx, const char *adv_id);
sb_audience *sb_st_new_audience(sb_ctx *ctx, const char *adv_id,
                                const char *name, int calc_type);
void sb_st_delete_audience(sb_ctx *ctx, sb_audience *a);
sb_file *sb_st_file(sb_ctx *ctx, const char *path_id);
int sb_st_add_op(sb_ctx *ctx, const char *op, const char *action,
                 const char *aud_id, const char *adv_id, bool counts_daily);
size_t sb_st_daily_updates(sb_ctx *ctx, const char *adv_id, int64_t now);
/* Visible state of an audience at the sandbox time. */
size_t sb_aud_cover(const sb_ctx *ctx, const sb_audience *a);
bool sb_aud_valid(const sb_ctx *ctx, const sb_audience *a);
int64_t sb_aud_expire_ms(const sb_audience *a);
/* The audience is adv_id's own (creator) or shared with it. */
bool sb_aud_visible(const sb_audience *a, const char *adv_id, bool *creator);
/* Random lower-case hex string of 2*nbytes chars (OpenSSL RAND). */
char *sb_random_hex(size_t nbytes);

/* ---- requests & responses (sb_server.c) -------------------------------- */

struct MHD_Connection;

typedef struct sb_req sb_req;

typedef void (*sb_handler)(sb_ctx *ctx, sb_req *req);

enum sb_body_kind { SB_BODY_NONE, SB_BODY_JSON, SB_BODY_MULTIPART, SB_BODY_RAW };

typedef struct sb_upload sb_upload;

struct sb_req {
    struct MHD_Connection *conn;
    const char *path;
    const char *method;
    const void *route;

    /* Buffered body (JSON and raw). */
    char *body;
    size_t body_len, body_cap;
    bool body_too_large;
    json_object *json;        /* parsed JSON body or NULL */

    sb_upload *upload;        /* multipart state or NULL */

    /* Caller identity once Access-Token was checked. */
    char user_id[SB_ID_MAX];
    char app_id[SB_ID_MAX];

    /* Outcome: a TikTok envelope ... */
    int code;
    char message[512];
    json_object *data;        /* owned; NULL = {} */
    /* ... or a raw HTTP answer (http_status != 0). */
    unsigned http_status;
    char *raw_body;           /* owned */
    const char *raw_type;
    char *location;           /* owned; for 302 */
    bool drop_after;          /* lost_response: applied, then no answer */
    int inject_code;          /* /sandbox/inject "apply": answered after the work */
    char inject_message[512];
    bool counted;
};

/* /sandbox/inject (sb_inject.c). take(): true when req is answered now. */
bool sb_inject_take(sb_ctx *ctx, sb_req *req);
void sb_inject_finish(sb_req *req);
void sb_inject_free(sb_inject *in);
void sb_inject_clear(sb_inject *in);   /* under ctx->lock; NULL ok */
void sb_h_ctl_inject(sb_ctx *ctx, sb_req *req);

/* Set an error envelope; message is printf-style. */
void sb_fail(sb_req *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set success with data (ownership taken). */
void sb_ok(sb_req *req, json_object *data);
/* Raw HTTP answer; body copied. */
void sb_raw(sb_req *req, unsigned status, const char *type, const char *body);
/* Raw answer taking ownership of a malloc'd body. */
void sb_raw_take(sb_req *req, unsigned status, const char *type, char *body);

/* Query argument (decoded, borrowed) or NULL. */
const char *sb_query(sb_req *req, const char *key);

/* Caller must cover adv_id (40106) and, when write, hold a writing role
 * (40001). Lock held. Returns 0 ok, -1 with req failed. */
int sb_require_adv(sb_ctx *ctx, sb_req *req, const char *adv_id, bool write);
/* The same check without counting the call (a request that checks again). */
int sb_check_adv(sb_ctx *ctx, sb_req *req, const char *adv_id, bool write);

/* ---- JSON helpers (sb_json.c) ----------------------------------------- */

/* Reads an id that may be a JSON string or integer into buf.
 * 1 present, 0 absent/null, -1 wrong type/too long (req failed 40002). */
int sb_j_id(sb_req *req, json_object *obj, const char *key, char *buf,
            size_t len, bool required);
/* Required/optional string with length bounds (bytes of UTF-8 chars). */
int sb_j_str(sb_req *req, json_object *obj, const char *key,
             const char **out, size_t min_chars, size_t max_chars,
             bool required);
/* Integer in [min,max]; 1 present, 0 absent, -1 failed. */
int sb_j_int(sb_req *req, json_object *obj, const char *key, long *out,
             long min, long max, bool required);
/* Array of ids (strings or integers) with item count bounds; *out is a
 * new array of strings (caller puts). item_len 0 = any length. */
int sb_j_id_array(sb_req *req, json_object *arr_owner, const char *key,
                  json_object **out, size_t min_items, size_t max_items,
                  size_t item_len, bool required);
/* Same for a query parameter holding a JSON array string. */
int sb_q_id_array(sb_req *req, const char *key, json_object **out,
                  size_t min_items, size_t max_items, bool required);
/* Query integer with bounds and default. */
int sb_q_int(sb_req *req, const char *key, long *out, long def, long min,
             long max);
/* Query id (digits) required. */
int sb_q_id(sb_req *req, const char *key, const char **out, bool required);
bool sb_is_id(const char *s);
/* {page,page_size,total_number,total_page}; new object. */
json_object *sb_page_info(long page, long page_size, size_t total);
int sb_utf8_chars(const char *s, size_t *out);

/* ---- endpoint handlers ------------------------------------------------ */

void sb_h_access_token(sb_ctx *ctx, sb_req *req);
void sb_h_advertiser_get(sb_ctx *ctx, sb_req *req);
void sb_h_user_info(sb_ctx *ctx, sb_req *req);
void sb_h_revoke_token(sb_ctx *ctx, sb_req *req);
void sb_h_portal_auth(sb_ctx *ctx, sb_req *req);

void sb_h_bc_get(sb_ctx *ctx, sb_req *req);
void sb_h_bc_asset_get(sb_ctx *ctx, sb_req *req);
void sb_h_advertiser_info(sb_ctx *ctx, sb_req *req);

void sb_h_upload(sb_ctx *ctx, sb_req *req);
void sb_h_aud_create(sb_ctx *ctx, sb_req *req);
void sb_h_aud_update(sb_ctx *ctx, sb_req *req);
void sb_h_aud_get(sb_ctx *ctx, sb_req *req);
void sb_h_aud_list(sb_ctx *ctx, sb_req *req);
void sb_h_aud_delete(sb_ctx *ctx, sb_req *req);
void sb_h_aud_share(sb_ctx *ctx, sb_req *req);

void sb_h_ctl_world(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_audiences(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_members(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_oplog(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_requests(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_reset(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_clock(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_faults(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_options(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_aud_processing(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_world_state(sb_ctx *ctx, sb_req *req);
/* Changing the world while it runs (sb_world_ctl.c). */
void sb_h_ctl_world_role(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_world_owner_bc(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_world_bc_member(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_tokens_revoke(sb_ctx *ctx, sb_req *req);
void sb_h_ctl_world_lookalike(sb_ctx *ctx, sb_req *req);

/* ---- the files of a create or update (sb_files.c) --------------------- */

/* The files of a create or update, read into one set. Reading and parsing
 * them is most of such a request, so it happens outside the world lock
 * (other accounts' requests go on meanwhile); what was read stays good
 * while no reset happens, since file entries are immutable until then. */
typedef struct {
    int calc;             /* set by the rules: the calculate_type the files need */
    int read_calc;        /* the calculate_type set was read as */
    uint64_t resets;      /* ctx->resets when the files were looked up */
    size_t n_ok;          /* files 0..n_ok-1 passed check_files then */
    size_t n_read;        /* of them, read into set: n_ok, or the one that failed */
    size_t hint;          /* files_members_hint() of them */
    char why[256];        /* why file n_read could not be read */
    sb_members *set;
    bool again;           /* the rules run again: do not count the call twice */
} sb_file_set;

/* The rules a create or update meets before its files are read; lock
 * held; 0, or -1 answered. */
typedef int (*sb_file_rules)(sb_ctx *ctx, sb_req *req, void *arg, sb_file_set *fs);

/* Takes the world lock, checks rules() then the files, and returns with
 * the lock held: 0 with fs->set the union of file_paths, or -1 answered.
 * The files are read with the lock released, then every rule is checked
 * again under it (the world may have changed meanwhile: an audience
 * created or replaced, a file uploaded or expired, a reset); if the files
 * it now needs are not those read, they are read again (under the lock
 * on the last try, as before, so it ends). */
int sb_lock_with_files(sb_ctx *ctx, sb_req *req, const char *adv_id, json_object *paths,
                       sb_file_rules rules, void *arg, sb_file_set *fs);

/* ---- multipart upload streaming (sb_upload.c) -------------------------- */

sb_upload *sb_upload_begin(sb_ctx *ctx, sb_req *req);
/* Feeds body bytes; returns 0 (errors are recorded for the final call). */
int sb_upload_feed(sb_upload *u, const char *data, size_t len);
void sb_upload_free(sb_upload *u);
/* Parses a file on disk into set (members of each line); used by create
 * and update, and (into = NULL) to validate an upload. Returns 0, or -1
 * with why naming the line and the problem. */
int sb_file_load(const char *disk_path, int calc_type, sb_members *into,
                 size_t *lines, char *why, size_t whylen);

/* ---- rate limiter (sb_qps in sb_faults.c) ----------------------------- */

sb_qps *sb_qps_new(double qps);
void sb_qps_free(sb_qps *q);
/* true when the request may pass. */
bool sb_qps_take(sb_qps *q, const char *app_id, const char *path);

/* ---- server (sb_server.c) --------------------------------------------- */

typedef struct sb_server sb_server;
typedef struct {
    const char *host;
    unsigned port;
    const char *tls_cert_pem;   /* contents, not paths; NULL = plain */
    const char *tls_key_pem;
    unsigned threads;
} sb_server_opts;

sb_server *sb_server_start(sb_ctx *ctx, const sb_server_opts *o,
                           unsigned *bound_port, char *err, size_t errlen);
void sb_server_stop(sb_server *s);

#endif
