/* sb_bc.c: Business Center discovery (bc/get, bc/asset/get) and
 * advertiser/info: what a connector calls to learn which Ad Accounts the
 * token reaches and with which role. */
#include "sb.h"

#include <stdio.h>
#include <string.h>

static const char *const asset_types[] = {
    "ADVERTISER", "CATALOG", "DOMAIN", "LEAD", "PIXEL", "STOREFRONT",
    "TIKTOK_SHOP", "TT_ACCOUNT",
};

/* World names are optional; fall back to the id. */
static const char *name_or(json_object *o, const char *id)
{
    const char *n = sb_w_str(o, "name");

    return n != NULL ? n : id;
}

static json_object *page_slice(json_object *all, long page, long size)
{
    json_object *out = json_object_new_array();
    size_t n = json_object_array_length(all);
    size_t from = (size_t)(page - 1) * (size_t)size;

    for (size_t i = from; out != NULL && i < n && i < from + (size_t)size; i++) {
        json_object_array_add(out, json_object_get(json_object_array_get_idx(all, i)));
    }
    return out;
}

static void reply_page(sb_req *req, json_object *all, long page, long size)
{
    json_object *data = json_object_new_object();

    json_object_object_add(data, "list", page_slice(all, page, size));
    json_object_object_add(data, "page_info",
                           sb_page_info(page, size, json_object_array_length(all)));
    sb_ok(req, data);
}

void sb_h_bc_get(sb_ctx *ctx, sb_req *req)
{
    long page, size;
    const char *only = NULL;
    json_object *bcs, *all = NULL;

    if (sb_q_int(req, "page", &page, 1, 1, 1000000) < 0
        || sb_q_int(req, "page_size", &size, 10, 1, 50) < 0
        || sb_q_id(req, "bc_id", &only, false) < 0) {
        return;
    }
    all = json_object_new_array();
    pthread_mutex_lock(&ctx->lock);
    json_object_object_get_ex(ctx->world, "business_centers", &bcs);
    for (size_t i = 0; all != NULL && i < json_object_array_length(bcs); i++) {
        json_object *bc = json_object_array_get_idx(bcs, i), *o, *info, *ext;
        const char *id = sb_w_str(bc, "bc_id");
        const char *name = sb_w_str(bc, "name") != NULL ? sb_w_str(bc, "name") : id;
        int r = sb_w_bc_role(ctx, req->user_id, id);
        if (r == SB_ROLE_NONE || (only != NULL && strcmp(only, id) != 0)) {
            continue;
        }
        info = json_object_new_object();
        json_object_object_add(info, "bc_id", json_object_new_string(id));
        json_object_object_add(info, "name", json_object_new_string(name));
        json_object_object_add(info, "company", json_object_new_string(name));
        json_object_object_add(info, "currency", json_object_new_string("USD"));
        json_object_object_add(info, "registered_area", json_object_new_string("US"));
        json_object_object_add(info, "status", json_object_new_string("ENABLE"));
        json_object_object_add(info, "timezone", json_object_new_string("Etc/GMT"));
        json_object_object_add(info, "type", json_object_new_string("NORMAL"));
        ext = json_object_new_object();
        json_object_object_add(ext, "finance_role",
                               json_object_new_string(r == SB_ROLE_ADMIN ? "MANAGER" : "ANALYST"));
        o = json_object_new_object();
        json_object_object_add(o, "bc_info", info);
        json_object_object_add(o, "user_role",
                               json_object_new_string(r == SB_ROLE_ADMIN ? "ADMIN" : "STANDARD"));
        json_object_object_add(o, "ext_user_role", ext);
        json_object_array_add(all, o);
    }
    pthread_mutex_unlock(&ctx->lock);
    if (all == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        return;
    }
    reply_page(req, all, page, size);
    json_object_put(all);
}

void sb_h_bc_asset_get(sb_ctx *ctx, sb_req *req)
{
    const char *bc_id = NULL, *type = sb_query(req, "asset_type");
    long page, size;
    bool known = false;
    json_object *advs, *all = NULL, *bc;

    if (sb_q_id(req, "bc_id", &bc_id, true) < 0) {
        return;
    }
    if (type == NULL || *type == '\0') {
        sb_fail(req, 40002, "asset_type: Missing data for required field.");
        return;
    }
    for (size_t i = 0; i < sizeof asset_types / sizeof asset_types[0]; i++) {
        known |= strcmp(type, asset_types[i]) == 0;
    }
    if (!known) {
        sb_fail(req, 40002, "asset_type: Must be one of ADVERTISER, CATALOG, DOMAIN, "
                "LEAD, PIXEL, STOREFRONT, TIKTOK_SHOP, TT_ACCOUNT.");
        return;
    }
    if (sb_q_int(req, "page", &page, 1, 1, 1000000) < 0
        || sb_q_int(req, "page_size", &size, 10, 1, 50) < 0) {
        return;
    }
    all = json_object_new_array();
    pthread_mutex_lock(&ctx->lock);
    bc = sb_w_bc(ctx, bc_id);
    if (bc == NULL || sb_w_bc_role(ctx, req->user_id, bc_id) == SB_ROLE_NONE) {
        sb_fail(req, 40001, "No permission: the authorized user is not a member of "
                "Business Center %s.", bc_id);
        goto cleanup;
    }
    json_object_object_get_ex(ctx->world, "advertisers", &advs);
    for (size_t i = 0; all != NULL && strcmp(type, "ADVERTISER") == 0
                       && i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i), *o;
        const char *id = sb_w_str(a, "advertiser_id"), *owner = sb_w_str(a, "owner_bc_id");
        int r;
        if (owner == NULL || strcmp(owner, bc_id) != 0) {
            continue;
        }
        r = sb_w_role(ctx, req->user_id, id);
        if (r == SB_ROLE_NONE) {
            continue;
        }
        o = json_object_new_object();
        json_object_object_add(o, "asset_id", json_object_new_string(id));
        json_object_object_add(o, "asset_name",
                               json_object_new_string(name_or(a, id)));
        json_object_object_add(o, "asset_type", json_object_new_string("ADVERTISER"));
        json_object_object_add(o, "relation_type", json_object_new_string("OWNER_BC"));
        json_object_object_add(o, "relation_status", json_object_new_string("BOUND"));
        json_object_object_add(o, "advertiser_status", json_object_new_string("STATUS_ENABLE"));
        json_object_object_add(o, "advertiser_account_type", json_object_new_string("AUCTION"));
        json_object_object_add(o, "advertiser_role", json_object_new_string(sb_role_name(r)));
        json_object_object_add(o, "owner_bc_name",
                               json_object_new_string(name_or(bc, bc_id)));
        json_object_array_add(all, o);
    }
    if (all == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    reply_page(req, all, page, size);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(all);
}

void sb_h_advertiser_info(sb_ctx *ctx, sb_req *req)
{
    json_object *ids = NULL, *list = NULL, *data;

    if (sb_q_id_array(req, "advertiser_ids", &ids, 1, 100, true) < 0) {
        return;
    }
    list = json_object_new_array();
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; list != NULL && i < json_object_array_length(ids); i++) {
        const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
        json_object *a, *o;
        if (sb_require_adv(ctx, req, id, false) != 0) {
            goto cleanup;
        }
        a = sb_w_advertiser(ctx, id);
        o = json_object_new_object();
        json_object_object_add(o, "advertiser_id", json_object_new_string(id));
        json_object_object_add(o, "name", json_object_new_string(name_or(a, id)));
        json_object_object_add(o, "status", json_object_new_string("STATUS_ENABLE"));
        json_object_object_add(o, "role", json_object_new_string("ROLE_ADVERTISER"));
        json_object_object_add(o, "currency", json_object_new_string("USD"));
        json_object_object_add(o, "timezone", json_object_new_string("Etc/GMT"));
        json_object_object_add(o, "country", json_object_new_string("US"));
        json_object_object_add(o, "owner_bc_id",
                               sb_w_str(a, "owner_bc_id") != NULL
                               ? json_object_new_string(sb_w_str(a, "owner_bc_id")) : NULL);
        json_object_array_add(list, o);
    }
    if (list == NULL) {
        sb_fail(req, 50000, "System error: out of memory.");
        goto cleanup;
    }
    data = json_object_new_object();
    json_object_object_add(data, "list", list);
    list = NULL;
    sb_ok(req, data);
cleanup:
    pthread_mutex_unlock(&ctx->lock);
    json_object_put(list);
    json_object_put(ids);
}
