/* tt_fit.c - room for new audiences, and existing audiences the connector can fill. */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "settings/tt_fit.h"
#include "identifiers/tt_ident.h"

static const char *const accepted[] = {
    "EMAIL_SHA256", "PHONE_SHA256", "IDFA_SHA256", "GAID_SHA256",
    "FIRST_SHA256", "MAID_SHA256", "MULTIPLE_TYPES",
};

static void fit_error(aconn_error_list *errors, aconn_status st, const char *code,
                      const char *field, const char *msg)
{
    aconn_error e = {.struct_size = sizeof(e)};

    aconn_error_set(&e, st, code, field, "%s", msg);
    aconn_error_list_add(errors, &e);
}

int tt_fit_new_audiences(const tt_settings *s)
{
    return s->audience_per_identifier_type ? TT_ID_TYPE_COUNT : 1;
}

int tt_fit_calc_accepted(const char *calc)
{
    for (size_t i = 0; calc != NULL && i < sizeof(accepted) / sizeof(accepted[0]); i++)
        if (strcmp(calc, accepted[i]) == 0)
            return 1;
    return 0;
}

int tt_fit_is_customer_file(const char *audience_type)
{
    static const char want[] = "customerfile";
    size_t n = 0;

    if (audience_type == NULL || audience_type[0] == '\0')
        return 1;
    /* Case, spaces and underscores aside: TikTok spells it differently in
       list/ ("Customer File Audience") and get/ ("Customer File"). */
    for (const char *p = audience_type; *p != '\0' && n < sizeof(want) - 1; p++) {
        if (*p == ' ' || *p == '_')
            continue;
        if (tolower((unsigned char) *p) != want[n++])
            return 0;
    }
    return n == sizeof(want) - 1;
}

int tt_fit_room(const char *advertiser_id, const char *field, int64_t owned, int need,
                aconn_error_list *errors)
{
    char msg[768];

    if (owned + need <= TT_FIT_AUDIENCES_PER_ACCOUNT)
        return 1;
    snprintf(msg, sizeof(msg),
             "Ad Account %s already has %lld custom audiences and this connection creates %d "
             "more there (%s), but TikTok's limit is %d per Ad Account: delete at least %lld "
             "audiences you no longer use in TikTok Ads Manager%s, or deliver to an existing "
             "audience instead",
             advertiser_id, (long long) owned, need,
             need > 1 ? "one per identifier type, audience_per_identifier_type is true"
                      : "one audience with every identifier type",
             TT_FIT_AUDIENCES_PER_ACCOUNT,
             (long long) (owned + need - TT_FIT_AUDIENCES_PER_ACCOUNT),
             need > 1 ? ", or leave audience_per_identifier_type out (one audience instead)"
                      : "");
    fit_error(errors, ACONN_ERR_LIMIT, "audience_limit", field, msg);
    return 0;
}

int tt_fit_existing(const tt_audience *a, const char *advertiser_id, const char *field,
                    aconn_error_list *errors)
{
    static const char other[] = "choose another audience of this Ad Account, or let the "
                                "connector create one (create_new_for)";
    char msg[768];
    const char *id = a->audience_id != NULL ? a->audience_id : "?";

    if (!a->is_creator) {
        snprintf(msg, sizeof(msg),
                 "audience %s is shared to Ad Account %s by the Ad Account that owns it, and "
                 "TikTok lets only the owner change its members: list it under the owning Ad "
                 "Account instead, or %s",
                 id, advertiser_id, other);
        fit_error(errors, ACONN_ERR_PERMISSION, "audience_not_owned", field, msg);
        return 0;
    }
    if (!tt_fit_is_customer_file(a->audience_type)) {
        snprintf(msg, sizeof(msg),
                 "audience %s in Ad Account %s is a %.60s audience, not a customer-file "
                 "audience, and the connector delivers customer files only: %s",
                 id, advertiser_id, a->audience_type, other);
        fit_error(errors, ACONN_ERR_INVALID, "audience_not_customer_file", field, msg);
        return 0;
    }
    if (!tt_fit_calc_accepted(a->calculate_type)) {
        char what[80] = "reports no calculate_type";

        if (a->calculate_type != NULL && a->calculate_type[0] != '\0')
            snprintf(what, sizeof(what), "takes %.40s identifiers", a->calculate_type);
        snprintf(msg, sizeof(msg),
                 "audience %s in Ad Account %s %s; the connector sends SHA-256 hashes to "
                 "audiences of type %s, and TikTok cannot change an audience's type: %s",
                 id, advertiser_id, what, TT_FIT_ACCEPTED_TYPES, other);
        fit_error(errors, ACONN_ERR_INVALID, "audience_type_unsupported", field, msg);
        return 0;
    }
    return 1;
}
