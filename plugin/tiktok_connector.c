/*
 * tiktok_connector.c - the ABI adapter: the one exported symbol and the
 * static descriptor. Everything TikTok-specific lives in the tt_*.c files.
 */
#include <config.h>

#include <aconn/aconn.h>
#include <curl/curl.h>

#include "delivery/tt_deliver.h"
#include "delivery/tt_inspect.h"
#include "settings/tt_manifest.h"
#include "profile/tt_oauth.h"
#include "settings/tt_validate.h"
#include "common/tt_version.h"

static aconn_describe_fn tt_describe;

/* The manifest is the generated tt_manifest_text, the same bytes as the
   installed manifests/tiktok_connector.json. */
static const aconn_info *tt_describe(void)
{
    static const aconn_info info = {
        .struct_size = sizeof(aconn_info),
        .id = TT_PLUGIN_ID,
        .name = TT_PLUGIN_NAME,
        .version = PACKAGE_VERSION,
        .manifest_json = tt_manifest_text,
    };
    return &info;
}

static const aconn_plugin tt_plugin = {
    .struct_size = sizeof(aconn_plugin),
    .abi_major = ACONN_ABI_MAJOR,
    .abi_minor = ACONN_ABI_MINOR,
    .describe = tt_describe,
    .validate_settings = tt_validate_settings,
    .authorize = tt_authorize,
    .deliver_batch = tt_deliver_batch,
    .teardown = tt_teardown,
    .inspect = tt_inspect,
};

/* Only ABI 1 exists, so the answer is the same for every host; a host of
   another major refuses it by its abi_major. libcurl >= 7.84 makes
   curl_global_init() thread-safe and reference-counted, so calling it here,
   on every load, is safe; the plugin never calls the cleanup. */
ACONN_EXPORT const aconn_plugin *aconn_plugin_entry(uint32_t host_abi_major,
                                                    uint32_t host_abi_minor)
{
    (void) host_abi_major;
    (void) host_abi_minor;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return &tt_plugin;
}
