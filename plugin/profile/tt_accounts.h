/*
 * tt_accounts.h - which authorized Ad Accounts a profile may deliver to.
 *
 * Pure: from the advertisers that authorized the app, the Business Centers
 * the user reaches and each BC's advertiser assets, decide per account
 * whether the user can write audiences there: advertiser_role ADMIN or
 * OPERATOR, or ADMIN of the Business Center that owns the account
 * (relation_type OWNER_BC) - the seed's "Owner". The relation must be BOUND.
 */
#ifndef TT_ACCOUNTS_H
#define TT_ACCOUNTS_H

#include <json-c/json.h>

#include "tiktok/tt_api.h"

typedef struct tt_account {
    char *advertiser_id;
    char *name;
    char *bc_id;
    char *bc_name;
    const char *role;         /* static: "ADMIN", "OPERATOR" or "OWNER" */
} tt_account;

typedef struct tt_excluded {
    char *advertiser_id;
    char *name;
    const char *reason;       /* static code: outside_business_center,
                                 not_bound, read_only_role */
    char detail[256];         /* for people */
} tt_excluded;

typedef struct tt_account_set {
    tt_account *usable;
    size_t nusable;
    tt_excluded *excluded;
    size_t nexcluded;
} tt_account_set;

/*
 * assets[i] belongs to bcs->items[i]. Returns 0, or -1 when out of memory
 * (out is then empty).
 */
int tt_accounts_classify(const tt_advertiser_list *authorized, const tt_bc_list *bcs,
                         const tt_bc_asset_list *assets, tt_account_set *out);
void tt_account_set_free(tt_account_set *set);

/* [{advertiser_id, name, bc_id, bc_name, role}]; NULL when out of memory. */
json_object *tt_accounts_usable_json(const tt_account_set *set);
/* [{advertiser_id, name, reason, detail}]; NULL when out of memory. */
json_object *tt_accounts_excluded_json(const tt_account_set *set);

#endif
