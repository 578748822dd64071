/*
 * tt_validate.c - the validate_settings entry point.
 *
 * Structure first (tt_settings: no I/O, every problem reported); then, when
 * the host asks for it, TikTok: each Ad Account must be one the profile can
 * write audiences in, each existing audience must exist in its account and
 * be one the connector can fill, and each account that gets new audiences
 * must have room under TikTok's 400 for all of them (tt_fit).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/tt_kv.h"
#include "common/tt_secret.h"
#include "profile/tt_coverage.h"
#include "profile/tt_profile.h"
#include "tiktok/tt_session.h"
#include "settings/tt_fit.h"
#include "settings/tt_settings.h"
#include "settings/tt_validate.h"

static void add_error(aconn_error_list *errors, aconn_status st, const char *code,
                      const char *field, const char *msg)
{
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_error_set(&e, st, code, field, "%s", msg);
    aconn_error_list_add(errors, &e);
}

static void add_error_from(aconn_error_list *errors, const aconn_error *src, const char *field)
{
    aconn_error e = *src;
    e.struct_size = sizeof(e);
    ACONN_STRSET(e.field, field);
    aconn_error_list_add(errors, &e);
}

/* The profile's accounts as authorize() recorded them. */
static json_object *find_account(json_object *accounts, const char *key, const char *adv)
{
    json_object *list = NULL;

    if (!json_object_object_get_ex(accounts, key, &list) ||
        !json_object_is_type(list, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        json_object *a = json_object_array_get_idx(list, i), *id = NULL;
        if (json_object_object_get_ex(a, "advertiser_id", &id) &&
            strcmp(json_object_get_string(id), adv) == 0)
            return a;
    }
    return NULL;
}

static void check_account(const char *profile, json_object *accounts, const char *adv,
                          const char *field, aconn_error_list *errors, int *usable)
{
    char msg[768];
    json_object *why = NULL, *ex;

    *usable = find_account(accounts, "ad_accounts", adv) != NULL;
    if (*usable)
        return;
    ex = find_account(accounts, "excluded_accounts", adv);
    if (ex != NULL && json_object_object_get_ex(ex, "reason", &why)) {
        snprintf(msg, sizeof(msg),
                 "profile %s reaches Ad Account %s but cannot deliver audiences to it (%s): "
                 "TikTok needs the Admin, Operator or Owner role on the account and the "
                 "account must be in the Business Center; ask a Business Center admin to "
                 "grant the role, then re-authorize the profile",
                 profile, adv, json_object_get_string(why));
        add_error(errors, ACONN_ERR_PERMISSION, "account_not_writable", field, msg);
        return;
    }
    snprintf(msg, sizeof(msg),
             "Ad Account %s is not among the accounts profile %s authorized: check the id "
             "(the numeric id in TikTok Ads Manager), that the account is in the Business "
             "Center you logged in to, and that you have Admin, Operator or Owner access; "
             "then re-authorize the profile",
             adv, profile);
    add_error(errors, ACONN_ERR_NOT_FOUND, "account_not_authorized", field, msg);
}

static void report_not_found(const tt_target *t, size_t j, aconn_error_list *errors)
{
    char field[256], msg[512];

    snprintf(field, sizeof(field), "existing_audiences.%s[%zu]", t->advertiser_id, j);
    snprintf(msg, sizeof(msg),
             "audience %s was not found in Ad Account %s: verify the audience id in "
             "TikTok Ads Manager (Assets > Audiences), that it belongs to this account, "
             "and that the profile has Admin, Operator or Owner access",
             t->audience_ids[j], t->advertiser_id);
    add_error(errors, ACONN_ERR_NOT_FOUND, "audience_not_found", field, msg);
}

/* TikTok refuses a whole custom_audience/get (40007) when one of its ids
   is missing, without saying which; asking for each id alone names the
   index the user must fix. */
static aconn_status check_each_existing(const tt_api *api, const tt_target *t,
                                        aconn_error_list *errors)
{
    char field[256];
    aconn_status st = ACONN_OK;

    for (size_t j = 0; j < t->naudiences; j++) {
        tt_audience_list one = {0};
        aconn_error e = {.struct_size = sizeof(e)};
        const char *id = t->audience_ids[j];

        st = tt_api_audience_get(api, t->advertiser_id, &id, 1, &one, &e);
        if (st == ACONN_OK && one.count == 0)
            st = ACONN_ERR_NOT_FOUND;
        if (st == ACONN_OK) {
            snprintf(field, sizeof(field), "existing_audiences.%s[%zu]", t->advertiser_id, j);
            tt_fit_existing(&one.items[0], t->advertiser_id, field, errors);
        }
        tt_audience_list_free(&one);
        if (st == ACONN_ERR_NOT_FOUND) {
            report_not_found(t, j, errors);
            st = ACONN_OK;
            continue;
        }
        if (st != ACONN_OK) {
            snprintf(field, sizeof(field), "existing_audiences.%s[%zu]", t->advertiser_id, j);
            st = tt_coverage_scope(st, &e, api->profile, t->advertiser_id);
            add_error_from(errors, &e, field);
            break;
        }
    }
    return st;
}

static aconn_status check_existing(const tt_api *api, const tt_target *t,
                                   aconn_error_list *errors)
{
    tt_audience_list info = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    char field[256];
    const char **ids = calloc(t->naudiences, sizeof(*ids));
    aconn_status st;

    if (ids == NULL)
        return ACONN_ERR_FATAL;
    for (size_t j = 0; j < t->naudiences; j++)
        ids[j] = t->audience_ids[j];
    st = tt_api_audience_get(api, t->advertiser_id, ids, t->naudiences, &info, &e);
    if (st == ACONN_ERR_NOT_FOUND) {
        st = check_each_existing(api, t, errors);
        goto cleanup;
    }
    if (st != ACONN_OK) {
        snprintf(field, sizeof(field), "existing_audiences.%s", t->advertiser_id);
        st = tt_coverage_scope(st, &e, api->profile, t->advertiser_id);
        add_error_from(errors, &e, field);
        goto cleanup;
    }
    for (size_t j = 0; j < t->naudiences; j++) {
        const tt_audience *a = NULL;
        for (size_t k = 0; k < info.count && a == NULL; k++)
            if (strcmp(info.items[k].audience_id, ids[j]) == 0)
                a = &info.items[k];
        snprintf(field, sizeof(field), "existing_audiences.%s[%zu]", t->advertiser_id, j);
        if (a == NULL)
            report_not_found(t, j, errors);
        else
            tt_fit_existing(a, t->advertiser_id, field, errors);
    }
cleanup:
    tt_audience_list_free(&info);
    free(ids);
    return st;
}

static aconn_status check_room(const tt_api *api, const char *adv, const char *field,
                               int need, aconn_error_list *errors)
{
    aconn_error e = {.struct_size = sizeof(e)};
    tt_audience_list list = {0};
    aconn_status st = tt_api_audience_list(api, adv, &list, &e);
    int64_t total = 0;

    for (size_t i = 0; i < list.count; i++)
        total += list.items[i].is_creator != 0;
    tt_audience_list_free(&list);
    if (st != ACONN_OK) {
        st = tt_coverage_scope(st, &e, api->profile, adv);
        add_error_from(errors, &e, field);
        return st;
    }
    tt_fit_room(adv, field, total, need, errors);
    return ACONN_OK;
}

static aconn_status validate_remote(const aconn_host *host, const tt_settings *s,
                                    const char *profile, aconn_error_list *errors)
{
    json_object *accounts = NULL;
    tt_session session = {0};
    tt_account_set set = {0};
    tt_secret app_id = {0}, app_secret = {0};
    aconn_error e = {.struct_size = sizeof(e)};
    aconn_status st, worst = ACONN_OK;
    size_t inew = 0;

    st = tt_session_open(&session, host, profile, &e);
    if (st == ACONN_OK)
        st = tt_secret_get(host, "app_id", &app_id, &e);
    if (st == ACONN_OK)
        st = tt_secret_get(host, "app_secret", &app_secret, &e);
    /* The live roles, not the list cached at authorize time: a user
       downgraded since must be reported before deliver fails. */
    if (st == ACONN_OK)
        st = tt_profile_refresh(host, &session.api, profile, app_id.value, app_secret.value,
                                &set, &accounts, &e);
    if (st != ACONN_OK) {
        add_error_from(errors, &e, NULL);
        worst = st;
        goto cleanup;
    }
    for (size_t i = 0; i < s->ntargets; i++) {
        const tt_target *t = &s->targets[i];
        char field[256];
        int usable;

        if (t->create_new)
            snprintf(field, sizeof(field), "create_new_for[%zu]", inew++);
        else
            snprintf(field, sizeof(field), "existing_audiences.%s", t->advertiser_id);
        check_account(profile, accounts, t->advertiser_id, field, errors, &usable);
        if (!usable)
            continue;
        st = t->create_new ? check_room(&session.api, t->advertiser_id, field,
                                        tt_fit_new_audiences(s), errors)
                           : check_existing(&session.api, t, errors);
        /* A token TikTok no longer accepts stops every further check. */
        if (ACONN_STATUS_IS_REAUTHORIZE(st) || ACONN_STATUS_IS_FATAL(st)) {
            worst = st;
            break;
        }
        if (ACONN_STATUS_IS_RETRY(st))
            worst = st;
    }
cleanup:
    tt_account_set_free(&set);
    tt_secret_free(&app_id);
    tt_secret_free(&app_secret);
    tt_session_close(&session);
    json_object_put(accounts);
    return worst;
}

/* What the host must know of valid settings (aconn.h, ABI 1.1): where the
   first run starts, so the host need not read historical_data_enabled. */
static aconn_status write_facts(const tt_settings *s, aconn_output *facts)
{
    return aconn_output_puts(facts, s->historical ? "{\"first_run_from\":\"beginning\"}"
                                                  : "{\"first_run_from\":\"end\"}");
}

aconn_status tt_validate_settings(const aconn_host *host, const aconn_validate_request *req,
                                  aconn_error_list *errors)
{
    tt_settings *s = NULL;
    aconn_status st;
    uint32_t before = errors != NULL ? errors->count : 0;

    if (req == NULL || req->settings_json == NULL) {
        add_error(errors, ACONN_ERR_INVALID, "required", NULL,
                  "no settings were given: pass the quick settings JSON");
        return ACONN_ERR_INVALID;
    }
    st = tt_settings_parse(req->settings_json, &s, errors);
    if (st == ACONN_OK && req->current_settings_json != NULL)
        st = tt_settings_check_change(req->current_settings_json, req->settings_json, errors);
    if (st == ACONN_OK && (req->flags & ACONN_VALIDATE_REMOTE)) {
        if (host == NULL || req->profile == NULL || req->profile[0] == '\0') {
            add_error(errors, ACONN_ERR_INVALID, "profile_required", NULL,
                      "checking settings against TikTok needs a profile: pass --profile NAME");
            st = ACONN_ERR_INVALID;
        } else {
            st = validate_remote(host, s, req->profile, errors);
        }
    }
    if (st == ACONN_OK && errors != NULL && errors->count > before)
        st = ACONN_ERR_INVALID;
    if (st == ACONN_OK && ACONN_HAS(req, aconn_validate_request, facts) && req->facts != NULL)
        st = write_facts(s, req->facts);
    tt_settings_free(s);
    return st;
}
