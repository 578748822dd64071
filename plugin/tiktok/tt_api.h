/*
 * tt_api.h - typed wrappers for the TikTok Marketing API v1.3 endpoints the
 * connector uses. Each returns an aconn_status (classified by tt_status) and
 * fills caller-owned result structs that have their own free functions.
 *
 * The calls live in tt_api_account.c, tt_api_audience.c, tt_api_file.c and
 * tt_api_state.c; what they share in tt_api.c (internal: tt_api_int.h).
 *
 * Every call goes through tt_http_call() (bounded retries) except create,
 * which is non-idempotent: a lost answer on create must be recovered by the
 * caller (list the audiences and look for the name) instead of re-sent.
 */
#ifndef TT_API_H
#define TT_API_H

#include "tiktok/tt_http.h"
#include "common/tt_secret.h"

#define TT_API_BC_PAGE_SIZE 50
#define TT_API_AUDIENCE_PAGE_SIZE 100
#define TT_API_MAX_PAGES 1000          /* loop bound whatever total_page says */
#define TT_API_MAX_GET_IDS 100
#define TT_API_MAX_FILE_PATHS 50       /* per update call */
#define TT_API_MAX_CREATE_FILE_PATHS 50

/** Who is calling, for one entry-point call. All members borrowed. */
typedef struct tt_api {
    tt_http *http;
    const aconn_host *host;
    const char *token;      /* Access-Token; NULL for the token exchange */
    const char *profile;    /* named in re-authorize messages */
} tt_api;

typedef struct tt_advertiser {
    char *advertiser_id;
    char *name;
} tt_advertiser;

typedef struct tt_advertiser_list {
    tt_advertiser *items;
    size_t count;
} tt_advertiser_list;

typedef struct tt_bc {
    char *bc_id;
    char *name;
    char *user_role;        /* ADMIN | STANDARD */
} tt_bc;

typedef struct tt_bc_list {
    tt_bc *items;
    size_t count;
} tt_bc_list;

typedef struct tt_bc_asset {
    char *asset_id;
    char *asset_name;
    char *relation_type;    /* OWNER_BC | OWNER_PARTNER | OWNER_INDIVIDUAL */
    char *relation_status;  /* BOUND | UNBOUND | PENDING | REJECTED */
    char *advertiser_role;  /* ADMIN | OPERATOR | ANALYST */
} tt_bc_asset;

typedef struct tt_bc_asset_list {
    tt_bc_asset *items;
    size_t count;
} tt_bc_asset_list;

typedef struct tt_audience {
    char *audience_id;
    char *name;
    char *calculate_type;
    char *audience_type;
    int64_t cover_num;      /* matched users; -1 when absent */
    int is_valid;
    int is_creator;
    int is_expiring;
    /* create_time read as UTC ("YYYY-MM-DD HH:MM:SS"; TikTok does not say
       which zone it uses, so callers allow a day of slack); -1 when absent. */
    int64_t create_time_ms;
    int64_t expired_time_ms;  /* expired_time, read the same way; -1 when absent */
} tt_audience;

typedef struct tt_audience_list {
    tt_audience *items;
    size_t count;
} tt_audience_list;

/** oauth2/access_token/ result. The token is a secret: tt_secret wipes it. */
typedef struct tt_token_grant {
    tt_secret token;
    char **advertiser_ids;
    size_t count;
} tt_token_grant;

typedef enum tt_update_action {
    TT_UPDATE_APPEND = 0,
    TT_UPDATE_REMOVE,
    TT_UPDATE_REPLACE
} tt_update_action;

/** One advertiser's outcome of a parallel upload. Free with tt_upload_results_free(). */
typedef struct tt_upload_result {
    aconn_status status;
    aconn_error err;        /* filled when status != ACONN_OK */
    char *file_path;        /* TikTok's file_path on success */
} tt_upload_result;

void tt_advertiser_list_free(tt_advertiser_list *l);
void tt_bc_list_free(tt_bc_list *l);
void tt_bc_asset_list_free(tt_bc_asset_list *l);
void tt_audience_list_free(tt_audience_list *l);
void tt_token_grant_free(tt_token_grant *g);
/* Frees what each of the n results owns (file_path); the array itself is
   the caller's, as tt_api_file_upload_many() takes it. */
void tt_upload_results_free(tt_upload_result *r, size_t n);

/* POST oauth2/access_token/ {app_id, secret, auth_code}. */
aconn_status tt_api_access_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *auth_code, tt_token_grant *out, aconn_error *err);

/* GET oauth2/advertiser/get/ (app_id, secret): advertisers that authorized the app. */
aconn_status tt_api_advertiser_get(const tt_api *api, const char *app_id, const char *secret,
                                   tt_advertiser_list *out, aconn_error *err);

/* POST oauth2/revoke_token/ {app_id, secret, access_token}. */
aconn_status tt_api_revoke_token(const tt_api *api, const char *app_id, const char *secret,
                                 const char *access_token, aconn_error *err);

/* GET bc/get/, all pages of 50. */
aconn_status tt_api_bc_get(const tt_api *api, tt_bc_list *out, aconn_error *err);

/* GET bc/asset/get/ (asset_type ADVERTISER), all pages of 50. */
aconn_status tt_api_bc_assets(const tt_api *api, const char *bc_id, tt_bc_asset_list *out,
                              aconn_error *err);

/*
 * POST dmp/custom_audience/file/upload/ (multipart): the same file to n
 * advertisers at once (curl multi); each result is classified on its own.
 * md5_hex is the file's lower-case MD5 (the spool computes it as it
 * writes). results is caller-allocated (n entries) and freed
 * with tt_upload_results_free(). Returns ACONN_OK when all succeeded.
 */
aconn_status tt_api_file_upload_many(const tt_api *api, const char *const *advertiser_ids,
                                     size_t n, const char *calculate_type,
                                     const char *local_path, const char *md5_hex,
                                     tt_upload_result *results);

/*
 * POST dmp/custom_audience/create/. retention_days 0 = not sent. One
 * attempt unless the request surely never left (see file comment).
 * *audience_id is heap (free()).
 */
aconn_status tt_api_audience_create(const tt_api *api, const char *advertiser_id,
                                    const char *name, const char *calculate_type,
                                    const char *const *file_paths, size_t n,
                                    int retention_days, char **audience_id, aconn_error *err);

/*
 * POST dmp/custom_audience/update/ with file_paths in calls of at most 50.
 * REPLACE with more than 50 files sends REPLACE first, then APPEND, so the
 * result is still a replacement. *calls (may be NULL) counts the calls made.
 */
aconn_status tt_api_audience_update(const tt_api *api, const char *advertiser_id,
                                    const char *audience_id, tt_update_action action,
                                    const char *const *file_paths, size_t n, size_t *calls,
                                    aconn_error *err);

/* GET dmp/custom_audience/get/ for at most 100 ids. */
aconn_status tt_api_audience_get(const tt_api *api, const char *advertiser_id,
                                 const char *const *ids, size_t n, tt_audience_list *out,
                                 aconn_error *err);

/* GET dmp/custom_audience/list/, every page of 100 (bounded by total_page). */
aconn_status tt_api_audience_list(const tt_api *api, const char *advertiser_id,
                                  tt_audience_list *out, aconn_error *err);

/** What custom_audience/get says about one audience (tt_api_audience_state). */
typedef struct tt_audience_state {
    int found;              /* 0: TikTok does not know it (40007 or not listed) */
    int is_valid;           /* 0 while TikTok is still processing it */
    int64_t cover_num;      /* matched users; -1 when absent */
} tt_audience_state;

/*
 * One audience's state, for a caller deciding what an unclear answer meant
 * (an unknown 40002 on update: processing when found && !is_valid; a
 * 50002 on create: adopt when found). 40007 gives ACONN_OK with found = 0;
 * any other failure is returned as classified.
 */
aconn_status tt_api_audience_state(const tt_api *api, const char *advertiser_id,
                                   const char *audience_id, tt_audience_state *state,
                                   aconn_error *err);

const char *tt_update_action_name(tt_update_action a);

#endif
