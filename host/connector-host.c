/*
 * connector-host.c - main() of the reference connector host.
 */
#include <config.h>

#include <curl/curl.h>

#include "ch_cli.h"
#include "ch_util.h"

int main(int argc, char **argv)
{
    int rc;

    /* Once, before any plugin runs: libcurl's global state is refcounted,
       so a plugin's own curl_global_init() only adds a reference. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ch_cli_error("cannot initialise libcurl");
        return CH_EXIT_INTERNAL;
    }
    rc = ch_cli_main(argc, argv);
    curl_global_cleanup();
    return rc;
}
