/*
 * fz_api.c - the typed TikTok response parsers in plugin/tiktok/tt_api*.c, reached
 * through the public wrappers with the fake transport (fz_transport.h).
 *
 * Input: byte 0 picks the endpoint (low nibble; the slots keep their
 * numbers so the committed seeds keep theirs) and whether the last
 * answer repeats when the bodies run out (0x80, drives paging to its
 * bound); the rest is the answer bodies, NUL-separated, in call order.
 *
 * Checks: a failure always has a reason code and message; the app secret
 * and auth code never show in them; successful results hold ids; paging
 * stops within TT_API_MAX_PAGES calls; an update makes one call per 50
 * files.
 */
#include <config.h>

#include "fz.h"

#include <string.h>

#include "fz_transport.h"
#include "tiktok/tt_api.h"

#define FZ_APP_ID "7000000000000000001"
#define FZ_SECRET "fz-app-secret-5f1d"
#define FZ_AUTH_CODE "fz-auth-code-9c2e"
#define FZ_ADV "7100000000000000001"
#define FZ_UPDATE_FILES 120     /* three update calls: 50 + 50 + 20 */
#define FZ_UPLOAD_ADVS 3

enum {
    FZ_EP_ACCESS_TOKEN = 0,
    FZ_EP_ADVERTISER_GET,
    FZ_EP_REVOKE_TOKEN,
    FZ_EP_BC_GET,
    FZ_EP_BC_ASSETS,
    FZ_EP_ADVERTISER_INFO,  /* advertiser/info is gone: its seed feeds advertiser_get */
    FZ_EP_AUDIENCE_CREATE,
    FZ_EP_AUDIENCE_UPDATE,
    FZ_EP_AUDIENCE_GET,
    FZ_EP_AUDIENCE_LIST,
    FZ_EP_FILE_UPLOAD,      /* one advertiser through upload_many */
    FZ_EP_FILE_UPLOAD_MANY,
    FZ_EP_AUDIENCE_STATE,
    FZ_EP_COUNT
};

/*
 * A failure says why, and never shows the app secret or the auth code --
 * unless TikTok's answer itself carried that text (a request_id or message
 * echoed into the error is the remote's text, not a leak of ours): `input`
 * is the whole fuzz input, to tell the two apart.
 */
static int fz_err_sane(aconn_status st, const aconn_error *err, const uint8_t *input,
                       size_t input_size)
{
    if (st == ACONN_OK)
        return 1;
    if (err->status != st || err->code[0] == '\0' || err->message[0] == '\0')
        return 0;
    if (strstr(err->message, FZ_SECRET) != NULL && !fz_contains(input, input_size, FZ_SECRET))
        return 0;
    return strstr(err->message, FZ_AUTH_CODE) == NULL
           || fz_contains(input, input_size, FZ_AUTH_CODE);
}

static int fz_advertisers_sane(const tt_advertiser_list *l)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (l->items[i].advertiser_id == NULL)
            return 0;
    return 1;
}

static int fz_audiences_sane(const tt_audience_list *l)
{
    size_t i;

    for (i = 0; i < l->count; i++)
        if (l->items[i].audience_id == NULL)
            return 0;
    return 1;
}

/* The OAuth and advertiser endpoints; *st is the call's status. */
static int fz_call_oauth(int ep, const tt_api *api, aconn_status *st, aconn_error *err)
{
    int rc = 0;
    size_t i;

    switch (ep) {
    case FZ_EP_ACCESS_TOKEN: {
        tt_token_grant g;
        *st = tt_api_access_token(api, FZ_APP_ID, FZ_SECRET, FZ_AUTH_CODE, &g, err);
        if (*st == ACONN_OK && (g.token.value == NULL || g.token.len == 0
                               || strlen(g.token.value) != g.token.len))
            rc = 40;
        for (i = 0; *st == ACONN_OK && i < g.count; i++)
            if (g.advertiser_ids[i] == NULL)
                rc = 41;
        tt_token_grant_free(&g);
        break;
    }
    case FZ_EP_ADVERTISER_GET: {
        tt_advertiser_list l;
        *st = tt_api_advertiser_get(api, FZ_APP_ID, FZ_SECRET, &l, err);
        if (*st == ACONN_OK && !fz_advertisers_sane(&l))
            rc = 42;
        tt_advertiser_list_free(&l);
        break;
    }
    case FZ_EP_REVOKE_TOKEN:
        *st = tt_api_revoke_token(api, FZ_APP_ID, FZ_SECRET, "fz-token", err);
        break;
    case FZ_EP_ADVERTISER_INFO: {
        tt_advertiser_list l;
        *st = tt_api_advertiser_get(api, FZ_APP_ID, FZ_SECRET, &l, err);
        if (*st == ACONN_OK && !fz_advertisers_sane(&l))
            rc = 45;
        tt_advertiser_list_free(&l);
        break;
    }
    default:
        break;
    }
    return rc;
}

/* The business-center endpoints; *st is the call's status. */
static int fz_call_bc(int ep, const tt_api *api, aconn_status *st, aconn_error *err)
{
    int rc = 0;
    size_t i;

    switch (ep) {
    case FZ_EP_BC_GET: {
        tt_bc_list l;
        *st = tt_api_bc_get(api, &l, err);
        for (i = 0; *st == ACONN_OK && i < l.count; i++)
            if (l.items[i].bc_id == NULL)
                rc = 43;
        tt_bc_list_free(&l);
        break;
    }
    case FZ_EP_BC_ASSETS: {
        tt_bc_asset_list l;
        *st = tt_api_bc_assets(api, "7200000000000000001", &l, err);
        for (i = 0; *st == ACONN_OK && i < l.count; i++)
            if (l.items[i].asset_id == NULL)
                rc = 44;
        tt_bc_asset_list_free(&l);
        break;
    }
    default:
        break;
    }
    return rc;
}

/* The audience endpoints; *st is the call's status. */
static int fz_call_audience(int ep, const tt_api *api, fz_feed *feed, aconn_status *st,
                            aconn_error *err)
{
    static const char *const ids[] = {"1", "2", "3"};
    const char *files[FZ_UPDATE_FILES];
    int rc = 0;
    size_t i;

    for (i = 0; i < FZ_UPDATE_FILES; i++)
        files[i] = "fz/file/path";
    switch (ep) {
    case FZ_EP_AUDIENCE_STATE: {
        tt_audience_state as;
        *st = tt_api_audience_state(api, FZ_ADV, "1", &as, err);
        if (*st == ACONN_OK && !as.found && as.is_valid)
            rc = 56;   /* valid but not found */
        break;
    }
    case FZ_EP_AUDIENCE_CREATE: {
        char *id = NULL;
        *st = tt_api_audience_create(api, FZ_ADV, "Fuzz", "EMAIL_SHA256", files, 2, 30, &id,
                                    err);
        if ((*st == ACONN_OK) != (id != NULL) || feed->calls != 1)
            rc = 46;   /* create is never repeated */
        free(id);
        break;
    }
    case FZ_EP_AUDIENCE_UPDATE: {
        size_t calls = 0;
        *st = tt_api_audience_update(api, FZ_ADV, "1", TT_UPDATE_REPLACE, files,
                                    FZ_UPDATE_FILES, &calls, err);
        if (calls != feed->calls || (*st == ACONN_OK && calls != 3))
            rc = 47;
        break;
    }
    case FZ_EP_AUDIENCE_GET: {
        tt_audience_list l;
        *st = tt_api_audience_get(api, FZ_ADV, ids, 3, &l, err);
        if (*st == ACONN_OK && !fz_audiences_sane(&l))
            rc = 48;
        tt_audience_list_free(&l);
        break;
    }
    case FZ_EP_AUDIENCE_LIST: {
        tt_audience_list l;
        *st = tt_api_audience_list(api, FZ_ADV, &l, err);
        if (*st == ACONN_OK && !fz_audiences_sane(&l))
            rc = 49;
        tt_audience_list_free(&l);
        break;
    }
    default:
        break;
    }
    return rc;
}

/* The uploads: they report per advertiser, so they check their own errors. */
static int fz_call_upload(int ep, const tt_api *api, const uint8_t *input, size_t input_size)
{
    static const char *const advs[FZ_UPLOAD_ADVS] = {FZ_ADV, "7100000000000000002",
                                                     "7100000000000000003"};
    aconn_status st;
    int rc = 0;
    size_t i;

    switch (ep) {
    case FZ_EP_FILE_UPLOAD: {
        tt_upload_result r;
        st = tt_api_file_upload_many(api, advs, 1, "EMAIL_SHA256", "/nonexistent/fz.txt",
                                     "0123456789abcdef0123456789abcdef", &r);
        if ((st == ACONN_OK) != (r.file_path != NULL) || r.status != st
            || !fz_err_sane(r.status, &r.err, input, input_size))
            rc = 50;
        tt_upload_results_free(&r, 1);
        return rc;
    }
    case FZ_EP_FILE_UPLOAD_MANY: {
        tt_upload_result r[FZ_UPLOAD_ADVS];
        st = tt_api_file_upload_many(api, advs, FZ_UPLOAD_ADVS, "EMAIL_SHA256",
                                     "/nonexistent/fz.txt",
                                     "0123456789abcdef0123456789abcdef", r);
        for (i = 0; i < FZ_UPLOAD_ADVS; i++) {
            if ((r[i].status == ACONN_OK) != (r[i].file_path != NULL)
                || !fz_err_sane(r[i].status, &r[i].err, input, input_size))
                rc = 51;
            if (r[i].status != ACONN_OK && st == ACONN_OK)
                rc = 52;
        }
        tt_upload_results_free(r, FZ_UPLOAD_ADVS);
        /* The per-advertiser errors were checked; err is not filled. */
        return rc;
    }
    default:
        return 0;
    }
}

/* Runs one endpoint; 0 or a finding number. */
static int fz_api_call(int ep, const tt_api *api, fz_feed *feed, aconn_error *err,
                       const uint8_t *input, size_t input_size)
{
    aconn_status st = ACONN_OK;
    int rc = 0;

    switch (ep) {
    case FZ_EP_ACCESS_TOKEN:
    case FZ_EP_ADVERTISER_GET:
    case FZ_EP_REVOKE_TOKEN:
    case FZ_EP_ADVERTISER_INFO:
        rc = fz_call_oauth(ep, api, &st, err);
        break;
    case FZ_EP_BC_GET:
    case FZ_EP_BC_ASSETS:
        rc = fz_call_bc(ep, api, &st, err);
        break;
    case FZ_EP_AUDIENCE_STATE:
    case FZ_EP_AUDIENCE_CREATE:
    case FZ_EP_AUDIENCE_UPDATE:
    case FZ_EP_AUDIENCE_GET:
    case FZ_EP_AUDIENCE_LIST:
        rc = fz_call_audience(ep, api, feed, &st, err);
        break;
    case FZ_EP_FILE_UPLOAD:
    case FZ_EP_FILE_UPLOAD_MANY:
        return fz_call_upload(ep, api, input, input_size);
    default:
        return 0;
    }
    if (rc == 0 && !fz_err_sane(st, err, input, input_size))
        rc = 53;
    return rc;
}

int fz_api(const uint8_t *data, size_t size)
{
    tt_http http;
    aconn_host host;
    tt_api api;
    fz_feed feed;
    aconn_error err;
    int ep, rc;

    if (size == 0)
        return 0;
    memset(&feed, 0, sizeof(feed));
    feed.next = data + 1;
    feed.left = size - 1;
    feed.repeat_last = (data[0] & 0x80) != 0;
    ep = (data[0] & 0x0f) % FZ_EP_COUNT;
    fz_feed_host(&feed, &host);
    memset(&http, 0, sizeof(http));
    memset(&api, 0, sizeof(api));
    api.http = &http;
    api.host = &host;
    api.token = "fz-token";
    api.profile = "fz";
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = fz_api_call(ep, &api, &feed, &err, data, size);
    if (rc == 0 && feed.bad_request)
        rc = 54;
    if (rc == 0 && feed.calls > TT_API_MAX_PAGES + 1)
        rc = 55;   /* an unbounded loop */
    return rc;
}
