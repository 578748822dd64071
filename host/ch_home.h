/*
 * ch_home.h - the host's home directory: state.db, secrets.json, spool/.
 */
#ifndef CH_HOME_H
#define CH_HOME_H

#include <stddef.h>

typedef struct ch_home {
    char *dir;        /* absolute or as given */
    char *state_db;   /* <dir>/state.db */
    char *secrets;    /* <dir>/secrets.json */
    char *spool;      /* <dir>/spool */
} ch_home;

/*
 * Resolves the home directory (dir, else $CONNECTOR_HOST_HOME, else
 * ~/.local/share/connector-host), creates it and spool/ with mode 0700,
 * and fills *h. Returns 0, or -1 with a message in err.
 */
int ch_home_open(ch_home *h, const char *dir, char *err, size_t errlen);
void ch_home_close(ch_home *h);

/* <spool>/<connection id>, created 0700; heap string or NULL (err set). */
char *ch_home_spool_dir(const ch_home *h, const char *connection_id,
                        char *err, size_t errlen);

/* One deliver per connection at a time on this machine, across processes
   (deliver and the worker): an exclusive flock on <spool>/<id>.lock, kept
   in *fd until closed. 0 locked, 1 held by another process, -1 error
   (errno). */
int ch_home_lock_connection(const ch_home *home, const char *id, int *fd);

#endif /* CH_HOME_H */
