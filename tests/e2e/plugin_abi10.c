/*
 * plugin_abi10.c - examples/minimal_connector.c as a binary built against
 * the ABI 1.0 header would be: the same code, but a descriptor whose
 * struct_size ends at teardown and abi_minor 0. Past struct_size lies an
 * inspect pointer that a host must never call (it reads past a 1.0
 * descriptor only if it ignores struct_size): calling it prints a marker.
 */
#include <config.h>

/* The example's entry point is renamed so this file can export its own. */
#define aconn_plugin_entry mc_example_entry
#include "../../examples/minimal_connector.c"
#undef aconn_plugin_entry

static aconn_status abi10_poison(const aconn_host *host, const aconn_inspect_request *req,
                                 aconn_output *out, aconn_error *err)
{
    (void) host;
    (void) req;
    (void) err;
    return aconn_output_puts(out, "{\"poison\":\"read past struct_size\"}");
}

static const aconn_plugin abi10_plugin = {
    .struct_size = offsetof(aconn_plugin, teardown) + sizeof(aconn_teardown_fn *),
    .abi_major = 1,
    .abi_minor = 0,
    .describe = mc_describe,
    .validate_settings = mc_validate,
    .authorize = mc_authorize,
    .deliver_batch = mc_deliver,
    .teardown = mc_teardown,
    .inspect = abi10_poison,
};

ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor);
ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor)
{
    (void) host_abi_major;
    (void) host_abi_minor;
    (void) mc_example_entry;
    return &abi10_plugin;
}
