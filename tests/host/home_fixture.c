/*
 * home_fixture.c - the temporary home of the host's CLI tests (see
 * home_fixture.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_fixture.h"
#include "test_util.h"

int fx_make(fx *f, const char *tag, const char *data, const char *settings)
{
    memset(f, 0, sizeof(*f));
    f->dir = test_tmpdir(tag);
    f->plugin = test_build_path("test_plugin.la");
    if (f->dir == NULL || f->plugin == NULL || test_env("TT_HOST") == NULL)
        return -1;
    snprintf(f->home, sizeof(f->home), "%s/home", f->dir);
    snprintf(f->dataset, sizeof(f->dataset), "%s/data.jsonl", f->dir);
    snprintf(f->settings, sizeof(f->settings), "%s/settings.json", f->dir);
    if (test_write_file(f->dataset, data) != 0 || test_write_file(f->settings, settings) != 0)
        return -1;
    return 0;
}

void fx_free(fx *f)
{
    test_rm_rf(f->dir);
    free(f->dir);
    free(f->plugin);
}
