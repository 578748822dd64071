/*
 * ch_home.c - resolving, creating and checking the home directory.
 */
#define _DEFAULT_SOURCE 1 /* realpath(), flock() */
#include <config.h>

#include "ch_home.h"
#include "ch_file.h"
#include "ch_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int ch_home_open(ch_home *h, const char *dir, char *err, size_t errlen)
{
    const char *env = getenv("CONNECTOR_HOST_HOME");
    const char *user = getenv("HOME");
    char abs[PATH_MAX];

    memset(h, 0, sizeof(*h));
    if (dir != NULL && *dir != '\0')
        h->dir = strdup(dir);
    else if (env != NULL && *env != '\0')
        h->dir = strdup(env);
    else if (user != NULL && *user != '\0')
        h->dir = ch_strdup_printf("%s/.local/share/connector-host", user);
    else {
        ch_errf(err, errlen, "no home directory: pass --home DIR or set "
                "CONNECTOR_HOST_HOME");
        return -1;
    }
    if (h->dir == NULL)
        goto nomem;
    /* 0700: the home holds the secrets file and every audience's spool. */
    if (ch_mkdir_p(h->dir, CH_DIR_MODE) != 0) {
        ch_errf(err, errlen, "cannot create home directory %s: %s", h->dir,
                strerror(errno));
        ch_home_close(h);
        return -1;
    }
    /* Absolute, so the "home" option and spool paths given to plugins do
       not depend on the current directory; and free of symbolic links, so
       the check below is of the directory then used. */
    if (realpath(h->dir, abs) != NULL) {
        free(h->dir);
        h->dir = strdup(abs);
        if (h->dir == NULL)
            goto nomem;
    }
    /* Whoever can write the home can replace secrets.json or state.db with
       their own between two runs: refuse such a home, however it came. */
    if (ch_file_check_dir(h->dir, "home directory", err, errlen) != 0) {
        ch_home_close(h);
        return -1;
    }
    h->state_db = ch_strdup_printf("%s/state.db", h->dir);
    h->secrets = ch_strdup_printf("%s/secrets.json", h->dir);
    h->spool = ch_strdup_printf("%s/spool", h->dir);
    if (h->state_db == NULL || h->secrets == NULL || h->spool == NULL)
        goto nomem;
    if (ch_file_make_dir(h->spool, "spool directory", err, errlen) != 0) {
        ch_home_close(h);
        return -1;
    }
    return 0;
nomem:
    ch_errf(err, errlen, "out of memory");
    ch_home_close(h);
    return -1;
}

void ch_home_close(ch_home *h)
{
    free(h->dir);
    free(h->state_db);
    free(h->secrets);
    free(h->spool);
    memset(h, 0, sizeof(*h));
}

char *ch_home_spool_dir(const ch_home *h, const char *connection_id,
                        char *err, size_t errlen)
{
    char *d = ch_strdup_printf("%s/%s", h->spool, connection_id);

    if (d == NULL) {
        ch_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (ch_file_make_dir(d, "spool directory", err, errlen) != 0) {
        free(d);
        return NULL;
    }
    return d;
}

/* Only one deliver per connection at a time, across processes; the lock
   goes away with the process, so a killed host never blocks the next. */
int ch_home_lock_connection(const ch_home *home, const char *id, int *fd)
{
    char *path = ch_strdup_printf("%s/%s.lock", home->spool, id);
    int rc = -1;

    *fd = -1;
    if (path == NULL)
        return -1;
    /* O_NOFOLLOW, O_NONBLOCK: never a planted link or FIFO (issue #21). */
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) == 0)
        rc = 0;
    else if (*fd >= 0 && errno == EWOULDBLOCK)
        rc = 1;
    free(path);
    return rc;
}
