/* test_sb_common.h: shared fixture for the sandbox CUnit programs: one
 * sandbox per program over HTTPS with verification on, plus helpers that
 * call TikTok endpoints and return the envelope's code and data. */
#ifndef TEST_SB_COMMON_H
#define TEST_SB_COMMON_H

#include "ts.h"
#include "ts_cunit.h"

#include <CUnit/CUnit.h>

typedef struct {
    ts_sandbox *sb;
    json_object *world;
    const char *app_id, *secret;
    const char *main_user, *owner_user, *other_user;
    const char *adv_admin;      /* main user ADMIN */
    const char *adv_operator;   /* main user OPERATOR */
    const char *adv_analyst;    /* main user ANALYST only */
    const char *adv_full;       /* 398 prefilled audiences */
    const char *adv_owner_bc;   /* main user is BC ADMIN (owner) */
    const char *adv_solo;       /* outside any BC */
    const char *adv_foreign;    /* not reachable by the main user */
    char *token;                /* main user's token */
    char dir[TS_PATH_MAX];      /* scratch directory */
} tsb_env;

extern tsb_env tsb;

/* Starts the sandbox with opts (NULL = defaults) and authorizes the main
 * user. 0 on success. */
int tsb_setup(const ts_sandbox_opts *opts);
int tsb_teardown(void);
/* tsb_setup(NULL), as a suite init (tsb_teardown is its cleanup). */
int tsb_setup_default(void);
/* POST /sandbox/reset and re-authorize. */
int tsb_reset(void);

/* A TikTok call. Returns the envelope code (or -1 when none); *data (may
 * be NULL) gets a new reference the caller puts. token NULL = none. */
int tsb_get(const char *path_and_query, const char *token, json_object **data);
int tsb_post(const char *path, const char *token, const char *json_body, json_object **data);
/* Raw HTTP status for path (GET or POST with an empty JSON body). */
long tsb_status(const char *method, const char *path, const char *token);

/* Writes a file with members [from, to) of kind ("email" -> SHA-256 of
 * "user<i>@example.com"), one lower-case hex digest per line. Returns the
 * path (static buffer reused per call slot 0..7). */
const char *tsb_write_members(int slot, long from, long to);
/* Uploads path as filename for adv; signature NULL = correct MD5. Returns
 * the code; file_path (17 bytes) filled on success. */
int tsb_upload(const char *adv, const char *calc, const char *path, const char *filename,
               const char *signature, char file_path[17]);
/* Upload members [from,to) and return the file_path (asserts success). */
int tsb_upload_range(const char *adv, long from, long to, char file_path[17]);
/* Creates an EMAIL_SHA256 audience from file paths; id out (32 bytes). */
int tsb_create(const char *adv, const char *name, const char *const *paths, size_t n,
               char id[32]);
/* The same with any calculate_type (e.g. "MULTIPLE_TYPES"). */
int tsb_create_typed(const char *adv, const char *name, const char *calc,
                     const char *const *paths, size_t n, char id[32]);

/* Identifier i of a kind as lower-case hex into hex (65 bytes):
 * 'e' SHA-256("user<i>@example.com") (as tsb_write_members), 'p' SHA-256 of
 * "+1555<i, 7 digits>", 'm' SHA-256("maid-<i>"), 'd' MD5("maid-<i>"). */
void tsb_id_hex(char kind, long i, char hex[65]);
/* Writes a MULTIPLE_TYPES file for rows [from, to): the header
 * Email_SHA256,Phone_SHA256,MAID_SHA256 and each row's three digests; kinds
 * ("epm" by default when NULL) picks the columns, e.g. "e" or "pm". Same
 * slots as tsb_write_members. */
const char *tsb_write_multi(int slot, const char *kinds, long from, long to);
/* Uploads tsb_write_multi(7, kinds, from, to) as MULTIPLE_TYPES. */
int tsb_upload_multi(const char *adv, const char *kinds, long from, long to,
                     char file_path[17]);
/* The message of the last non-zero envelope code (static buffer). */
const char *tsb_last_message(void);
/* /sandbox/audiences entry of aud (new reference) or NULL. */
json_object *tsb_audience_info(const char *adv, const char *aud);
/* Update with action and file paths; returns code. */
int tsb_update(const char *adv, const char *aud, const char *action,
               const char *const *paths, size_t n);
/* Control API: size of an audience from /sandbox/audiences (-1 unknown). */
long tsb_audience_size(const char *adv, const char *aud);
/* Control API JSON (new reference) */
json_object *tsb_ctl(const char *path);
/* Control API POST with a JSON body; returns the HTTP status (0: none). */
long tsb_ctl_post(const char *path, const char *json_body);

/* A named test, for the shared runner (ts_cunit.h). */
typedef ts_test tsb_test;

#endif
