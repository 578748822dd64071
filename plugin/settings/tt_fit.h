/*
 * tt_fit.h - does a connection fit the Ad Accounts it names? The checks
 * validate --remote makes on what TikTok reports, kept apart from the
 * calls that fetch it so they can be tested without a network.
 *
 * Room: a connection creates one MULTIPLE_TYPES audience per Ad Account,
 * or with audience_per_identifier_type one per identifier type (up to
 * four: email, phone, IDFA, GAID; which ones depends on the data, so all
 * four are counted). An account must have room for all of them under
 * TikTok's 400, or the first run stops half way.
 *
 * Existing audiences: the connector delivers SHA-256 customer files, and
 * TikTok neither converts an audience's calculate_type nor lets anyone but
 * the owning account change a shared audience. An existing audience that
 * can take none of what the connector sends is refused up front:
 *   - shared to the account, not owned by it (is_creator false);
 *   - not a customer-file audience (a lookalike, engagement, partner ...);
 *   - a calculate_type outside TT_FIT_ACCEPTED_TYPES (the MD5 types).
 *
 * Thread-safety: stateless.
 */
#ifndef TT_FIT_H
#define TT_FIT_H

#include <stdint.h>

#include <aconn/aconn.h>

#include "settings/tt_settings.h"
#include "tiktok/tt_api.h"

/* TikTok's cap on custom audiences per Ad Account. */
#define TT_FIT_AUDIENCES_PER_ACCOUNT 400
/* The calculate_types the connector can deliver to, for messages. */
#define TT_FIT_ACCEPTED_TYPES "EMAIL_SHA256, PHONE_SHA256, IDFA_SHA256, GAID_SHA256, " \
                              "FIRST_SHA256, MAID_SHA256 or MULTIPLE_TYPES"

/* Audiences the connection can create in one create-new Ad Account: 1, or
   4 with audience_per_identifier_type. */
int tt_fit_new_audiences(const tt_settings *s);

/* Non-zero when an audience of calculate_type `calc` can take some of what
   the connector delivers (exact, case-sensitive: TikTok's enum spelling). */
int tt_fit_calc_accepted(const char *calc);

/* Non-zero when TikTok's audience_type (list/) or type (get/) names a
   customer-file audience ("Customer File Audience", "Customer File");
   an absent type is taken as one, the calculate_type then decides. */
int tt_fit_is_customer_file(const char *audience_type);

/*
 * Adds an "audience_limit" error (ACONN_ERR_LIMIT) at `field` when an Ad
 * Account owning `owned` audiences has no room for `need` more; the
 * message names the account, its count, the limit and the fix. Returns 1
 * when it fits, 0 when an error was added.
 */
int tt_fit_room(const char *advertiser_id, const char *field, int64_t owned, int need,
                aconn_error_list *errors);

/*
 * Adds one error at `field` when the existing audience `a` of Ad Account
 * advertiser_id can take none of the connector's identifier types:
 * "audience_not_owned" (ACONN_ERR_PERMISSION), "audience_not_customer_file"
 * or "audience_type_unsupported" (ACONN_ERR_INVALID), each naming the
 * audience, the account and the fix. Returns 1 when it fits, 0 otherwise.
 */
int tt_fit_existing(const tt_audience *a, const char *advertiser_id, const char *field,
                    aconn_error_list *errors);

#endif
