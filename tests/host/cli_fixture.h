/*
 * cli_fixture.h - the fixture test_cli and test_cli_runs share: a temporary
 * --home with a dataset and settings file, connector-host run with the test
 * plugin in a given mode, and a connected profile p1.
 */
#ifndef CLI_FIXTURE_H
#define CLI_FIXTURE_H

#include "home_fixture.h"
#include "test_util.h"

/* A temporary directory holding `data` as the dataset and `settings` as
   the settings file. 0 or -1. */
int fx_init(fx *f, const char *data, const char *settings);

/* Runs connector-host ARGS... (NULL-terminated) --home HOME with the test
   plugin in `mode`. */
void host(fx *f, const char *mode, const char *input, test_result *r, ...);

/* Authorizes profile p1 (against api_base/ca_file when not NULL: the
   profile is bound to that API) and connects it; the connection id (heap). */
char *connect_fx_at(fx *f, const char *mode, const char *api_base, const char *ca_file);
char *connect_fx(fx *f, const char *mode);

#endif /* CLI_FIXTURE_H */
