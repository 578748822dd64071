/*
 * minimal_connector.c - the smallest complete connector: a starting point to
 * copy. It "delivers" by counting identifiers per attribute and reporting
 * the counts, which is enough to show every rule of the ABI in one page:
 *
 *   - one exported function that returns a static descriptor;
 *   - no mutable globals (each connection's state lives in the context slot
 *     the host keeps for it);
 *   - errors written into caller-owned structs with aconn_error_set();
 *   - JSON out through aconn_output, records in through batch_next().
 *
 * Build it against the installed header:
 *   cc -std=c11 -shared -fPIC -fvisibility=hidden $(pkg-config --cflags aconn) \
 *      minimal_connector.c -o minimal_connector.so
 * and try it:  connector-host describe --plugin ./minimal_connector.so
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aconn/aconn.h>

typedef struct counter_ctx {
    unsigned long long records;
    unsigned long long identifiers;
} counter_ctx;

static aconn_describe_fn mc_describe;
static aconn_validate_settings_fn mc_validate;
static aconn_authorize_fn mc_authorize;
static aconn_deliver_batch_fn mc_deliver;
static aconn_teardown_fn mc_teardown;

static const aconn_info *mc_describe(void)
{
    static const aconn_info info = {
        .struct_size = sizeof(aconn_info),
        .id = "minimal-counter",
        .name = "Minimal counting connector",
        .version = "1.0.0",
        .manifest_json = "{\"id\":\"minimal-counter\",\"name\":\"Minimal counting connector\","
                         "\"version\":\"1.0.0\",\"abi\":{\"major\":1,\"minor\":0},"
                         "\"module\":\"minimal_connector\"}",
    };
    return &info;
}

/* Settings must be a JSON object; this connector has no fields of its own. */
static aconn_status mc_validate(const aconn_host *host, const aconn_validate_request *req,
                                aconn_error_list *errors)
{
    (void) host;
    if (req->settings_json == NULL || req->settings_json[0] != '{') {
        aconn_error e = {.struct_size = sizeof(e)};
        aconn_error_set(&e, ACONN_ERR_INVALID, "wrong_type", "",
                        "settings must be a JSON object, e.g. {}");
        aconn_error_list_add(errors, &e);
        return ACONN_ERR_INVALID;
    }
    return ACONN_OK;
}

/* No remote account to connect: every profile is connected at once. */
static aconn_status mc_authorize(const aconn_host *host, const aconn_authorize_request *req,
                                 aconn_output *out, aconn_error *err)
{
    (void) host;
    (void) err;
    if (req->phase == ACONN_AUTHORIZE_BEGIN)
        return aconn_output_puts(out, "{\"url\":\"about:blank\"}");
    return aconn_output_puts(out, "{\"status\":\"connected\"}");
}

static aconn_status mc_deliver(const aconn_host *host, void **connection_ctx,
                               const aconn_batch *batch, aconn_error *err)
{
    counter_ctx *c = *connection_ctx;

    if (c == NULL) {
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        *connection_ctx = c;
    }
    if (batch->flags & ACONN_BATCH_RUN_BEGIN)
        c->records = c->identifiers = 0;
    for (;;) {
        const aconn_record *const *recs;
        size_t n;
        aconn_status st = host->batch_next(host->ctx, batch, &recs, &n);
        if (st != ACONN_OK)
            return aconn_error_set(err, st, "dataset", NULL, "the dataset is not readable now");
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            c->records++;
            c->identifiers += recs[i]->nattrs;
        }
    }
    if (batch->flags & ACONN_BATCH_RUN_END) {
        char report[128];
        snprintf(report, sizeof(report), "{\"records\":%llu,\"identifiers\":%llu}", c->records,
                 c->identifiers);
        return aconn_output_puts(batch->report, report);
    }
    return ACONN_OK;
}

static void mc_teardown(const aconn_host *host, void *connection_ctx)
{
    (void) host;
    free(connection_ctx);
}

static const aconn_plugin mc_plugin = {
    .struct_size = sizeof(aconn_plugin),
    .abi_major = ACONN_ABI_MAJOR,
    .abi_minor = ACONN_ABI_MINOR,
    .describe = mc_describe,
    .validate_settings = mc_validate,
    .authorize = mc_authorize,
    .deliver_batch = mc_deliver,
    .teardown = mc_teardown,
};

ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor)
{
    (void) host_abi_major;
    (void) host_abi_minor;
    return &mc_plugin;
}
