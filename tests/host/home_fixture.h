/*
 * home_fixture.h - the temporary home the host's CLI tests (test_cli,
 * test_cli_runs, test_ops, test_ops_state) run connector-host in: a
 * --home, a dataset and a settings file, and the built test plugin.
 */
#ifndef HOME_FIXTURE_H
#define HOME_FIXTURE_H

typedef struct fx {
    char *dir;
    char home[4096];
    char dataset[4200];
    char settings[4200];
    char *plugin;
} fx;

/* A new temporary directory (named after tag) holding `data` as the
   dataset and `settings` as the settings file. 0 or -1. */
int fx_make(fx *f, const char *tag, const char *data, const char *settings);
/* Removes the directory and frees f's members. */
void fx_free(fx *f);

#endif /* HOME_FIXTURE_H */
