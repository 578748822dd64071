/* tt_conn.c - the per-connection context. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common/tt_util.h"
#include "delivery/tt_conn.h"
#include "delivery/tt_early.h"

static aconn_status conn_new(const aconn_batch *batch, tt_conn **out, aconn_error *err)
{
    tt_conn *c = calloc(1, sizeof(*c));
    aconn_error_list none = {.struct_size = sizeof(none), .item_size = sizeof(aconn_error)};
    aconn_status st = ACONN_OK;

    *out = NULL;
    if (c == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    c->connection_id = tt_strdup(batch->connection_id);
    c->settings_json = tt_strdup(batch->settings_json);
    c->hasher = tt_email_hasher_new();
    if (c->connection_id == NULL || c->settings_json == NULL || c->hasher == NULL) {
        st = aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        goto cleanup;
    }
    /* The host validated these settings when the connection was made; a
       failure here means the stored settings were damaged. */
    st = tt_settings_parse(c->settings_json, &c->settings, &none);
    if (st != ACONN_OK || c->settings == NULL) {
        st = aconn_error_set(err, ACONN_ERR_INVALID, "invalid_settings", NULL,
                             "connection %s has settings that no longer validate (%u problems); "
                             "run `connector-host validate` on them and create a new connection",
                             c->connection_id, none.count);
        goto cleanup;
    }
    c->ident_flags = tt_settings_ident_flags(c->settings);
    *out = c;
    c = NULL;
cleanup:
    tt_conn_free(c);
    return st;
}

aconn_status tt_conn_get(void **slot, const aconn_batch *batch, tt_conn **out,
                         aconn_error *err)
{
    tt_conn *c = *slot;

    if (batch->connection_id == NULL || batch->settings_json == NULL)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_batch", NULL,
                               "the host passed a batch without connection_id or settings_json");
    if (c != NULL) {
        if (strcmp(c->connection_id, batch->connection_id) != 0 ||
            strcmp(c->settings_json, batch->settings_json) != 0)
            return aconn_error_set(err, ACONN_ERR_INVALID, "immutable", NULL,
                                   "connection %s changed its settings; connections are "
                                   "immutable: create a new connection",
                                   c->connection_id);
        *out = c;
        return ACONN_OK;
    }
    aconn_status st = conn_new(batch, &c, err);
    if (st == ACONN_OK)
        *slot = c;
    *out = c;
    return st;
}

void tt_conn_free(tt_conn *c)
{
    if (c == NULL)
        return;
    tt_spool_abort(c->spool);
    tt_early_free(c->early);
    tt_settings_free(c->settings);
    tt_email_hasher_free(c->hasher);
    free(c->connection_id);
    free(c->settings_json);
    free(c->run_id);
    free(c->ids);
    free(c);
}
