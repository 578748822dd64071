/*
 * ops_fixture.h - the fixture test_ops and test_ops_state share: a
 * temporary --home with a two-line dataset and settings, connector-host run
 * with the test plugin, authorized and connected profiles.
 */
#ifndef OPS_FIXTURE_H
#define OPS_FIXTURE_H

#include "home_fixture.h"
#include "test_util.h"

#define BASE_A "https://127.0.0.1:1/a"
#define BASE_B "https://127.0.0.1:1/b"
#define GOOD_CALLBACK "https://127.0.0.1/callback?code=good"

/* A temporary directory with the dataset and settings. 0 or -1. */
int fx_init(fx *f);

/* connector-host ARGS... --home HOME; env: NULL-terminated extra entries. */
void runv(fx *f, const char *const *env, test_result *r, const char *const *args);

/* The same, with the test plugin in `mode` and the args NULL-terminated. */
void host(fx *f, const char *mode, test_result *r, ...);

/* Non-zero when s is a UTC time as the host prints it (ISO 8601, Z). */
int is_iso_utc(const char *s);

/* Completes authorize for profile (against base when not NULL). */
void authorize(fx *f, const char *profile, const char *base);

/* Authorizes profile and connects it; the connection id (heap). */
char *connect_fx(fx *f, const char *profile);

#endif /* OPS_FIXTURE_H */
