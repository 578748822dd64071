/*
 * ch_worker.c - connector-host worker: the scheduler. It loops: lists the
 * connections that may be due, takes a lease on one (ch_lease.h), delivers
 * it with its lease renewed by a thread and every write fenced by the
 * lease's token, releases the lease, and sleeps when nothing is due.
 * Several workers, in one process or on many machines, never deliver one
 * connection at once.
 */
#include <config.h>

#include "ch_cli.h"
#include "ch_held.h"
#include "ch_lease.h"
#include "ch_run.h"
#include "ch_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/file.h>
#include <unistd.h>

#define CH_WORKER_LEASE_MS 60000
#define CH_WORKER_POLL_MS 5000
#define CH_WORKER_IDLE_TRY_MS (15LL * 60 * 1000)
#define CH_WORKER_BATCH 64        /* candidates listed per pass */

typedef struct ch_worker {
    ch_cli *cli;
    char holder[160];             /* host:pid:random, what leases name */
    int64_t lease_ms, poll_ms;
    uint64_t batch_lines;
    int once;
    int deferred;                 /* something due was not delivered */
    char **visited;               /* --once: connections already tried */
    size_t nvisited;
    /* When each partial connection may next try its behind targets with
       no new rows (ch_run_options.idle_next). */
    struct ch_worker_idle { char id[48]; int64_t next_ms; } *idle;
    size_t nidle;
} ch_worker;

/* The idle slot of connection id (made when new); NULL out of memory. */
static int64_t *ch_worker_idle_slot(ch_worker *w, const char *id)
{
    struct ch_worker_idle *grown;

    for (size_t i = 0; i < w->nidle; i++)
        if (strcmp(w->idle[i].id, id) == 0)
            return &w->idle[i].next_ms;
    if ((grown = realloc(w->idle, (w->nidle + 1) * sizeof(*grown))) == NULL)
        return NULL;
    w->idle = grown;
    snprintf(grown[w->nidle].id, sizeof(grown[w->nidle].id), "%s", id);
    grown[w->nidle].next_ms = 0;
    return &grown[w->nidle++].next_ms;
}

static void ch_worker_sleep_ms(int64_t ms)
{
    /* In slices, so SIGTERM ends the sleep soon. */
    while (ms > 0 && !ch_host_cancel_requested()) {
        int64_t step = ms < 100 ? ms : 100;
        struct timespec ts = { (time_t) (step / 1000), (long) (step % 1000) * 1000000L };
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* One deliver per connection on this machine, as the deliver command
   keeps it (spool/<id>.lock). 0 locked, 1 busy, -1 error. */
static int ch_worker_flock(ch_cli *cli, const char *id, int *fd)
{
    char *path = ch_strdup_printf("%s/%s.lock", cli->home.spool, id);
    int rc = -1;

    *fd = -1;
    if (path == NULL)
        return -1;
    *fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (*fd >= 0 && flock(*fd, LOCK_EX | LOCK_NB) == 0)
        rc = 0;
    else if (*fd >= 0 && errno == EWOULDBLOCK)
        rc = 1;
    free(path);
    return rc;
}

/* The connection's plugin, loaded once while consecutive runs share it. */
static int ch_worker_plugin(ch_cli *cli, const ch_connection *c)
{
    int rc;

    if (cli->plugin.path != NULL && strcmp(cli->plugin.path, c->plugin_path) == 0)
        return 0;
    ch_plugin_unload(&cli->plugin);
    memset(&cli->plugin, 0, sizeof(cli->plugin));
    if ((rc = ch_cli_load_plugin(cli, c->plugin_path)) != 0)
        return rc;
    if (strcmp(ch_plugin_id(&cli->plugin), c->plugin_id) != 0) {
        ch_cli_error("worker: connection %s: plugin %s has id %s, not %s", c->id,
                     c->plugin_path, ch_plugin_id(&cli->plugin), c->plugin_id);
        return CH_EXIT_PLUGIN;
    }
    return 0;
}

/* What a deliver of c needs before the run: plugin, profile, API base. */
static int ch_worker_prepare(ch_cli *cli, const ch_connection *c)
{
    char err[1024] = "", *status = NULL;
    int rc;

    if ((rc = ch_worker_plugin(cli, c)) != 0)
        return rc;
    if (ch_state_profile_get(cli->state, c->plugin_id, c->profile, &status, err,
                             sizeof(err)) < 0) {
        ch_cli_error("%s", err);
        return ch_state_unreachable(cli->state) ? CH_EXIT_RETRY : CH_EXIT_INTERNAL;
    }
    rc = status != NULL && strcmp(status, "reauthorize_required") == 0;
    free(status);
    if (rc) {
        ch_cli_error("worker: connection %s: profile %s must be authorized again: "
                     "connector-host authorize --plugin %s --profile %s", c->id, c->profile,
                     c->plugin_path, c->profile);
        return CH_EXIT_REAUTHORIZE;
    }
    /* Each connection's profile brings its own API base and CA file. */
    free(cli->endpoint_base);
    free(cli->endpoint_ca);
    cli->endpoint_base = cli->endpoint_ca = NULL;
    cli->host.api_base = cli->a.api_base;
    cli->host.ca_file = cli->a.ca_file;
    return ch_cli_profile_endpoint(cli, c->plugin_id, c->profile);
}

/* One JSON line per finished run: the report's summary. */
static void ch_worker_print(const ch_worker *w, json_object *report, int exitc)
{
    static const char *const keep[] = { "connection_id", "run_id", "attempt", "status",
                                        "first_line", "last_line", "records_read",
                                        "checkpoint", "duration_ms", "not_before_ms" };
    json_object *line = json_object_new_object(), *v;
    size_t i;

    if (line == NULL)
        return;
    for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        if (json_object_object_get_ex(report, keep[i], &v))
            json_object_object_add(line, keep[i], json_object_get(v));
    if (json_object_object_get_ex(report, "error", &v)
        && json_object_object_get_ex(v, "code", &v))
        json_object_object_add(line, "error_code", json_object_get(v));
    json_object_object_add(line, "exit", json_object_new_int(exitc));
    json_object_object_add(line, "worker", json_object_new_string(w->holder));
    printf("%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(line);
}

/* Delivers connection c under the lease; returns the exit code, *status
   the report's status ("" when none). */
static int ch_worker_deliver(ch_worker *w, ch_connection *c, const ch_held *held,
                             char *status, size_t len)
{
    ch_cli *cli = w->cli;
    ch_run_options opt;
    json_object *report = NULL, *s;
    char err[1024] = "", *spool = NULL;
    int rc;

    memset(&opt, 0, sizeof(opt));
    status[0] = '\0';
    if ((rc = ch_worker_prepare(cli, c)) != 0)
        return rc;
    if ((spool = ch_home_spool_dir(&cli->home, c->id, err, sizeof(err))) == NULL) {
        ch_cli_error("%s", err);
        return CH_EXIT_INTERNAL;
    }
    opt.batch_lines = w->batch_lines;
    opt.spool_dir = spool;
    opt.progress = isatty(STDERR_FILENO);
    /* A partial connection with no new rows tries its behind targets every
       CH_WORKER_IDLE_TRY_MS, not every poll (ch_run_current.c). */
    opt.idle_wait_ms = CH_WORKER_IDLE_TRY_MS;
    opt.idle_next = ch_worker_idle_slot(w, c->id);
    cli->host.lease_lost = ch_held_lost(held);
    rc = ch_run_deliver(&cli->host, &cli->plugin, c, &opt, &report, err, sizeof(err));
    cli->host.lease_lost = NULL;
    if (rc == CH_EXIT_INTERNAL && ch_state_unreachable(cli->state))
        rc = CH_EXIT_RETRY;   /* the database went away: the run stays pending */
    if (err[0] != '\0')
        ch_cli_error("worker: connection %s: %s", c->id, err);
    if (report != NULL && json_object_object_get_ex(report, "status", &s))
        snprintf(status, len, "%s", json_object_get_string(s));
    if (report != NULL && strcmp(status, "up_to_date") != 0 && strcmp(status, "not_before") != 0
        && !json_object_object_get_ex(report, "unchanged", NULL))
        ch_worker_print(w, report, rc);
    json_object_put(report);
    free(spool);
    return rc;
}

/* Takes connection id's lease, delivers it and releases the lease. 1 it
   ran (*exitc its exit code), 0 not granted, -1 a state error. */
static int ch_worker_one(ch_worker *w, const char *id, int *exitc)
{
    ch_cli *cli = w->cli;
    int64_t now, free_at;
    ch_connection c;
    ch_held *held = NULL;
    char err[1024] = "", status[64] = "";
    int got, rc, lockfd = -1;

    got = ch_held_take(cli->state, &cli->host, id, w->holder, NULL, w->lease_ms, &held, err,
                       sizeof(err));
    if (got <= 0) {
        if (got < 0)
            ch_cli_error("worker: %s", err);
        return got;
    }
    memset(&c, 0, sizeof(c));
    switch (ch_worker_flock(cli, id, &lockfd)) {
    case 0:
        rc = ch_state_connection_get(cli->state, id, &c, err, sizeof(err));
        if (rc == 0)
            rc = ch_worker_deliver(w, &c, held, status, sizeof(status));
        else if (rc < 0)
            ch_cli_error("worker: %s", err);
        if (rc < 0 || rc == 1)
            rc = ch_state_unreachable(cli->state) ? CH_EXIT_RETRY : CH_EXIT_INTERNAL;
        break;
    case 1:
        rc = CH_EXIT_RETRY;   /* a deliver command of this machine has it */
        break;
    default:
        ch_cli_error("worker: cannot lock connection %s: %s", id, strerror(errno));
        rc = CH_EXIT_INTERNAL;
        break;
    }
    /* A delivered connection may be due again at once (rows appended
       meanwhile); anything else waits a poll interval (a retry's time is
       its not_before). */
    now = ch_host_now_ms(&cli->host);
    free_at = rc == CH_EXIT_OK && strcmp(status, "delivered") == 0 ? now : now + w->poll_ms;
    if (ch_held_release(held, free_at, err, sizeof(err)) != 0)
        ch_cli_error("worker: %s (the lease expires by itself)", err);
    if (lockfd >= 0)
        close(lockfd);
    ch_connection_clear(&c);
    *exitc = rc;
    return 1;
}

static int ch_worker_visited(const ch_worker *w, const char *id)
{
    for (size_t i = 0; i < w->nvisited; i++)
        if (strcmp(w->visited[i], id) == 0)
            return 1;
    return 0;
}

static int ch_worker_visit(ch_worker *w, const char *id)
{
    char **v = realloc(w->visited, (w->nvisited + 1) * sizeof(*v));

    if (v == NULL)
        return -1;
    w->visited = v;
    if ((v[w->nvisited] = strdup(id)) == NULL)
        return -1;
    w->nvisited++;
    return 0;
}

/* One pass over the candidates; the number of runs made, or -1 when the
   state could not be read. *worst: the exit code that matters most. */
static int ch_worker_pass(ch_worker *w, int *worst)
{
    char err[1024] = "", **ids = NULL;
    size_t n = 0, i;
    int ran = 0, exitc = 0, r = 0;

    if (ch_lease_candidates(w->cli->state, ch_host_now_ms(&w->cli->host), CH_WORKER_BATCH,
                            &ids, &n, err, sizeof(err)) != 0) {
        ch_cli_error("worker: %s", err);
        ch_lease_ids_free(ids, n);
        return -1;
    }
    for (i = 0; i < n && !ch_host_cancel_requested(); i++) {
        if (w->once && ch_worker_visited(w, ids[i]))
            continue;
        if ((r = ch_worker_one(w, ids[i], &exitc)) <= 0)
            continue;
        ran++;
        if (w->once && ch_worker_visit(w, ids[i]) != 0)
            r = -1;
        if (exitc == CH_EXIT_RETRY || (*worst == CH_EXIT_OK && exitc != CH_EXIT_OK))
            *worst = exitc;
        if (r < 0)
            break;
    }
    ch_lease_ids_free(ids, n);
    return r < 0 ? -1 : ran;
}

/* A positive number of milliseconds option, or its default. */
static int ch_worker_ms(const char *opt, const char *v, int64_t def, int64_t *out)
{
    *out = def;
    if (v == NULL)
        return 0;
    if (ch_parse_i64(v, out) != 0 || *out <= 0 || *out > 86400000) {
        ch_cli_error("%s: '%s' is not a number of milliseconds from 1 to 86400000", opt, v);
        return CH_EXIT_USAGE;
    }
    return 0;
}

static int ch_worker_setup(ch_cli *cli, ch_worker *w)
{
    char host[64] = "", rnd[32];
    int64_t batch = 0;
    int rc;

    w->cli = cli;
    w->once = cli->a.once;
    w->batch_lines = CH_DEFAULT_BATCH_LINES;
    if ((rc = ch_worker_ms("--lease-ms", cli->a.lease_ms, CH_WORKER_LEASE_MS, &w->lease_ms)) != 0
        || (rc = ch_worker_ms("--poll-ms", cli->a.poll_ms, CH_WORKER_POLL_MS, &w->poll_ms)) != 0)
        return rc;
    if (cli->a.batch_records != NULL) {
        if (ch_parse_i64(cli->a.batch_records, &batch) != 0 || batch <= 0) {
            ch_cli_error("--batch-records: '%s' must be a positive integer",
                         cli->a.batch_records);
            return CH_EXIT_USAGE;
        }
        w->batch_lines = (uint64_t) batch;
    }
    gethostname(host, sizeof(host) - 1);
    if (ch_random_id("", 6, rnd, sizeof(rnd)) != 0)
        snprintf(rnd, sizeof(rnd), "%lld", (long long) ch_wall_ms());
    snprintf(w->holder, sizeof(w->holder), "%s:%ld:%s", host, (long) getpid(), rnd);
    return ch_cli_open_home(cli);
}

int ch_cmd_worker(ch_cli *cli)
{
    ch_worker w;
    int rc, worst = CH_EXIT_OK, ran;
    int64_t sleep_ms;

    memset(&w, 0, sizeof(w));
    if ((rc = ch_worker_setup(cli, &w)) != 0)
        goto done;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "connector-host worker %s: state %s, lease %lld ms, poll %lld ms\n",
                w.holder, ch_state_backend(cli->state), (long long) w.lease_ms,
                (long long) w.poll_ms);
    sleep_ms = w.poll_ms;
    while (!ch_host_cancel_requested()) {
        ran = ch_worker_pass(&w, &worst);
        if (ran < 0 && w.once) {
            worst = CH_EXIT_RETRY;
            break;
        }
        if (w.once && ran == 0)
            break;
        if (ran > 0) {
            sleep_ms = w.poll_ms;
            continue;
        }
        /* Nothing due (or the database away): back off up to 8 polls. */
        ch_worker_sleep_ms(sleep_ms);
        if (sleep_ms < 8 * w.poll_ms)
            sleep_ms *= 2;
    }
    /* SIGTERM / SIGINT: the run was cancelled and its lease released. */
    rc = w.once && !ch_host_cancel_requested() ? worst : CH_EXIT_OK;
done:
    for (size_t i = 0; i < w.nvisited; i++)
        free(w.visited[i]);
    free(w.visited);
    free(w.idle);
    return rc;
}

/* The holder of c's lease when it is a process of this machine that is
   gone (a killed deliver or worker): its lease need not be waited for,
   since the caller holds the machine's lock on c. Heap, or NULL. */
static char *ch_deliver_dead_holder(ch_cli *cli, const char *id, const char *host)
{
    char err[512], *holder = NULL, *p;
    size_t n = strlen(host);
    long pid;

    if (ch_lease_holder(cli->state, id, &holder, err, sizeof(err)) != 0 || holder == NULL)
        return NULL;
    p = strncmp(holder, "deliver:", 8) == 0 ? holder + 8 : holder;
    if (n > 0 && strncmp(p, host, n) == 0 && p[n] == ':') {
        pid = strtol(p + n + 1, NULL, 10);
        if (pid > 0 && kill((pid_t) pid, 0) != 0 && errno == ESRCH)
            return holder;
    }
    free(holder);
    return NULL;
}

int ch_deliver_hold(ch_cli *cli, const ch_connection *c, ch_held **out)
{
    char err[1024] = "", holder[160], host[64] = "", home[1100], *dead;
    int got;

    *out = NULL;
    gethostname(host, sizeof(host) - 1);
    snprintf(holder, sizeof(holder), "deliver:%s:%ld", host, (long) getpid());
    /* An explicit deliver does not wait for a worker's cool-down. */
    dead = ch_deliver_dead_holder(cli, c->id, host);
    got = ch_held_take(cli->state, &cli->host, c->id, holder, dead != NULL ? dead : "",
                       CH_WORKER_LEASE_MS, out, err, sizeof(err));
    free(dead);
    if (got > 0)
        return 0;
    if (got < 0) {
        ch_cli_error("%s", err);
        return ch_state_unreachable(cli->state) ? CH_EXIT_RETRY : CH_EXIT_INTERNAL;
    }
    if (c->disconnected_ms > 0) {
        ch_cli_error("connection %s was disconnected: it is never delivered again (its "
                     "audiences stay in TikTok); connect the dataset again for a new one", c->id);
        return CH_EXIT_FAILED;
    }
    if (c->paused) {
        ch_cli_error("connection %s is paused; resume it first: connector-host resume "
                     "--connection %s%s", c->id, c->id, ch_cli_fix_home(cli, home, sizeof(home)));
        return CH_EXIT_FAILED;
    }
    ch_cli_error("connection %s is being delivered by a worker (it holds the lease); try "
                 "again when it finishes", c->id);
    return CH_EXIT_RETRY;
}
