/*
 * ts_pg.c - a throwaway PostgreSQL cluster for one test program (ts.h).
 *
 * initdb into a fresh directory under /tmp (as the `postgres` user through
 * runuser when the test runs as root: initdb refuses root), the server
 * listening only on a Unix socket in that directory, nothing depending on
 * a system service. A watchdog process stops the server and removes the
 * directory when the test process ends in any way (its pipe reaches EOF),
 * so a crashed or killed test leaves no server behind.
 */
#include <config.h>

#include "ts.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct ts_pg {
    char dir[128];       /* the cluster's directory: data/, log, socket */
    char bindir[TS_PATH_MAX];
    char url[512];
    int as_postgres;     /* run the server's tools through runuser */
    int watch_fd;        /* write end of the watchdog's pipe */
    pid_t watchdog;
};

/* The directory holding initdb and pg_ctl: pg_config --bindir, else the
   newest /usr/lib/postgresql/N/bin. 0 or -1. */
static int ts_pg_bindir(char *out, size_t len)
{
    const char *const argv[] = { "pg_config", "--bindir", NULL };
    char *o = NULL, path[TS_PATH_MAX + 16];
    int code = -1;
    glob_t g;

    if (ts_run_capture(argv, NULL, 10000, &code, &o, NULL) == 0 && code == 0 && o != NULL) {
        o[strcspn(o, "\n")] = '\0';
        snprintf(path, sizeof(path), "%s/initdb", o);
        if (access(path, X_OK) == 0) {
            snprintf(out, len, "%s", o);
            free(o);
            return 0;
        }
    }
    free(o);
    if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0 && g.gl_pathc > 0) {
        snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
        *strrchr(out, '/') = '\0';
        globfree(&g);
        return 0;
    }
    return -1;
}

/* Runs one of the server's tools (argv[0] a name in bindir), as postgres
   when needed. Returns its exit code, or -1. */
static int ts_pg_tool(const ts_pg *pg, const char *const *args, char **err)
{
    const char *argv[24];
    char tool[TS_PATH_MAX + 32];
    int n = 0, i, code = -1;

    if (pg->as_postgres) {
        argv[n++] = "runuser";
        argv[n++] = "-u";
        argv[n++] = "postgres";
        argv[n++] = "--";
    }
    snprintf(tool, sizeof(tool), "%s/%s", pg->bindir, args[0]);
    argv[n++] = tool;
    for (i = 1; args[i] != NULL && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (ts_run_capture(argv, NULL, 60000, &code, NULL, err) != 0)
        return -1;
    return code;
}

static int ts_pg_ctl(const ts_pg *pg, const char *what)
{
    char data[160], log[160], opts[320];
    const char *start[] = { "pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "-o", opts,
                            what, NULL };
    const char *stop[] = { "pg_ctl", "-D", data, "-w", "-t", "30", "-m", "fast", what, NULL };
    char *err = NULL;
    int code;

    snprintf(data, sizeof(data), "%s/data", pg->dir);
    snprintf(log, sizeof(log), "%s/log", pg->dir);
    /* Only a socket in the cluster's directory; durability is not what
       these tests measure (killing clients is), so fsync is off unless
       TS_PG_FSYNC is set (benchmarks comparing with SQLite's). */
    snprintf(opts, sizeof(opts), "-k %s -c listen_addresses='' %s -c max_connections=60",
             pg->dir, getenv("TS_PG_FSYNC") != NULL ? ""
                                                    : "-c fsync=off -c full_page_writes=off");
    code = ts_pg_tool(pg, strcmp(what, "stop") == 0 ? stop : start, &err);
    if (code != 0)
        fprintf(stderr, "ts: pg_ctl %s: exit %d: %s\n", what, code, err != NULL ? err : "");
    free(err);
    return code == 0 ? 0 : -1;
}

/* The watchdog: waits for EOF on fd (the test process ended or called
   ts_pg_stop), then stops the server and removes the directory. */
static void ts_pg_watch(ts_pg *pg, int fd)
{
    char c;
    const char *rm[] = { "rm", "-rf", pg->dir, NULL };
    int code;

    setsid();   /* a ^C to the test's process group must not kill it first */
    while (read(fd, &c, 1) > 0 || errno == EINTR)
        ;
    ts_pg_ctl(pg, "stop");
    ts_run_capture(rm, NULL, 30000, &code, NULL, NULL);
    _exit(0);
}

int ts_pg_start(ts_pg **out, char *why, size_t whylen)
{
    ts_pg *pg = calloc(1, sizeof(*pg));
    char data[160], *err = NULL;
    const char *initdb[] = { "initdb", "-D", data, "-A", "trust", "-U", "postgres",
                             "-E", "UTF8", "--no-sync", NULL };
    struct passwd *pw;
    int p[2], code;

    *out = NULL;
    if (pg == NULL)
        return -1;
    pg->watch_fd = -1;
    if (ts_pg_bindir(pg->bindir, sizeof(pg->bindir)) != 0) {
        snprintf(why, whylen, "PostgreSQL is not installed (no initdb from pg_config "
                 "--bindir or /usr/lib/postgresql/*/bin; Debian: postgresql)");
        free(pg);
        return 77;
    }
    pg->as_postgres = geteuid() == 0;
    pw = pg->as_postgres ? getpwnam("postgres") : NULL;
    if (pg->as_postgres && pw == NULL) {
        snprintf(why, whylen, "running as root and there is no postgres user to run "
                 "initdb as (initdb refuses root)");
        free(pg);
        return 77;
    }
    snprintf(pg->dir, sizeof(pg->dir), "/tmp/ts-pg-XXXXXX");
    if (mkdtemp(pg->dir) == NULL || (pw != NULL && chown(pg->dir, pw->pw_uid, pw->pw_gid) != 0)) {
        fprintf(stderr, "ts: cluster directory: %s\n", strerror(errno));
        free(pg);
        return -1;
    }
    snprintf(data, sizeof(data), "%s/data", pg->dir);
    if ((code = ts_pg_tool(pg, initdb, &err)) != 0 || ts_pg_ctl(pg, "start") != 0) {
        if (code != 0)
            fprintf(stderr, "ts: initdb: exit %d: %s\n", code, err != NULL ? err : "");
        free(err);
        ts_pg_ctl(pg, "stop");
        rmdir(pg->dir);
        free(pg);
        return -1;
    }
    free(err);
    snprintf(pg->url, sizeof(pg->url), "postgresql:///postgres?host=%s&user=postgres",
             pg->dir);
    if (pipe(p) != 0 || (pg->watchdog = fork()) < 0) {
        ts_pg_ctl(pg, "stop");
        free(pg);
        return -1;
    }
    if (pg->watchdog == 0) {
        close(p[1]);
        ts_pg_watch(pg, p[0]);
    }
    close(p[0]);
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    pg->watch_fd = p[1];
    *out = pg;
    return 0;
}

const char *ts_pg_url(const ts_pg *pg)
{
    return pg->url;
}

const char *ts_pg_dir(const ts_pg *pg)
{
    return pg->dir;
}

int ts_pg_restart(ts_pg *pg)
{
    return ts_pg_ctl(pg, "stop") == 0 && ts_pg_ctl(pg, "start") == 0 ? 0 : -1;
}

int ts_pg_stop_server(ts_pg *pg)
{
    return ts_pg_ctl(pg, "stop");
}

int ts_pg_start_server(ts_pg *pg)
{
    return ts_pg_ctl(pg, "start");
}

int ts_pg_psql(const ts_pg *pg, const char *db, const char *sql, char **out)
{
    const char *args[] = { "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                           "-h", pg->dir, "-U", "postgres", "-d",
                           db != NULL ? db : "postgres", "-c", sql, NULL };
    const char *argv[24];
    char tool[TS_PATH_MAX + 32];
    int i, code = -1;

    snprintf(tool, sizeof(tool), "%s/psql", pg->bindir);
    argv[0] = access(tool, X_OK) == 0 ? tool : "psql";
    for (i = 1; args[i] != NULL && i < 23; i++)
        argv[i] = args[i];
    argv[i] = NULL;
    if (ts_run_capture(argv, NULL, 30000, &code, out, NULL) != 0)
        return -1;
    return code == 0 ? 0 : -1;
}

int ts_pg_stop(ts_pg *pg)
{
    int status = 0;

    if (pg == NULL)
        return 0;
    close(pg->watch_fd);
    while (waitpid(pg->watchdog, &status, 0) < 0 && errno == EINTR)
        ;
    free(pg);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int ts_pg_start_main(ts_pg **out)
{
#ifndef HAVE_LIBPQ
    *out = NULL;
    printf("SKIP: this build has no PostgreSQL backend (configure found no libpq; "
           "Debian: libpq-dev)\n");
    return 77;
#else
    char why[512] = "";
    int rc = ts_pg_start(out, why, sizeof(why));

    if (rc == 77)
        printf("SKIP: %s\n", why);
    return rc == 0 || rc == 77 ? rc : 1;
#endif
}
