/*
 * ch_state.h - the host's state store, in one of two backends
 * (ch_store.h): SQLite (state.db in the home directory, WAL mode,
 * synchronous=FULL; the processes of one machine) or PostgreSQL (the
 * hosts of many machines).
 *
 * Every write is one transaction; read-modify-write sequences serialize
 * across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: conditional
 * statements and row locks), and a process killed at any moment loses
 * nothing it committed. A ch_state handle is thread-safe (one mutex
 * guards the connection).
 */
#ifndef CH_STATE_H
#define CH_STATE_H

#include <aconn/aconn.h>

#include "ch_fprint.h"
#include "ch_store.h"

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Largest value state_cas() accepts (aconn.h: "at most 1 MiB"). */
#define CH_STATE_VALUE_MAX ((size_t) 1024 * 1024)
#define CH_STATE_KEY_MAX ((size_t) 512)

typedef struct ch_state ch_state;

/* What became of a connection's pending run (connections.run_outcome). */
#define CH_OUTCOME_RUNNING "running"       /* in progress, or the host died */
#define CH_OUTCOME_RETRY "retry"           /* rerun same id and range */
#define CH_OUTCOME_REAUTHORIZE "reauthorize"
#define CH_OUTCOME_PERMANENT "permanent"   /* next run: new id, extended range */
#define CH_OUTCOME_FATAL "fatal"

/* One connection row. Strings are heap copies (ch_connection_clear). */
typedef struct ch_connection {
    char *id;
    char *plugin_path;
    char *plugin_id;
    char *profile;
    char *dataset_path;            /* absolute */
    char *settings_json;           /* immutable */
    int64_t created_at_ms;
    uint64_t lines_at_connect;
    int historical;                /* 1: the first run starts at line 1 */
    uint64_t delivered_through;    /* last line delivered; 0 = none */
    /* The pending run; run_id is NULL when there is none. */
    char *run_id;
    uint64_t run_first;
    uint64_t run_last;
    uint32_t run_attempt;
    char *run_outcome;             /* CH_OUTCOME_* */
    char *run_status;              /* aconn_status_name() of the last attempt */
    int64_t not_before_ms;         /* do not start the next attempt earlier */
    int run_full_refresh;          /* the pending run replaces membership */
    int64_t last_full_refresh_ms;  /* when the last full refresh finished
                                      (the connection's creation at first) */
    /* What delivered_through covers; stored by insert and by run_end
       when the run finished (set it before). */
    ch_fprint fp;
    int paused;                    /* never due while set (a run finishes) */
    int64_t disconnected_ms;       /* 0, or when it was disconnected for good */
} ch_connection;

/* ch_state_open's answer when the database server cannot be reached. */
#define CH_STATE_UNREACHABLE (-2)

/*
 * Opens the state `url` names: "sqlite:PATH" or a bare PATH (an SQLite
 * file), or a libpq URI "postgresql://..." (when built with libpq), and
 * creates or migrates its schema. 0; -1 with err; CH_STATE_UNREACHABLE
 * with err naming the server (a retry later).
 */
int ch_state_open(const char *url, ch_state **out, char *err, size_t errlen);
void ch_state_close(ch_state *st);

/* "sqlite" or "postgresql". */
const char *ch_state_backend(const ch_state *st);
/* Non-zero when the last failed call could not reach the server. */
int ch_state_unreachable(const ch_state *st);

/* One statement (?N parameters, SQL both backends take), under the
   handle's mutex; rows and changes may be NULL. 0 or -1 with err. */
int ch_state_exec(ch_state *st, const char *what, const char *sql, const ch_sql_arg *args,
                  int nargs, ch_rows *rows, int64_t *changes, char *err, size_t errlen);

/* The key-value store behind aconn_host.state_get/state_cas; `ns` is the
   plugin id. Same statuses as those services; ACONN_RETRY when the
   database stayed locked past the busy timeout. */
aconn_status ch_state_kv_get(ch_state *st, const char *ns, const char *key,
                             char *buf, size_t buflen, size_t *len,
                             uint64_t *version);
aconn_status ch_state_kv_cas(ch_state *st, const char *ns, const char *key,
                             uint64_t expected, const char *value, size_t len,
                             uint64_t *new_version);

/* The request budgets behind aconn_host.pace (ch_pace.c): reserves cost_us
   of key's budget, or with push_us > 0 keeps anything from being granted
   for push_us, and sets *wait_us (>= 0) to how long the caller waits and
   *slot_us (may be NULL) to the slot's time on the store's clock (us since
   the epoch). One statement; ACONN_RETRY when the database is busy or
   unreachable. */
aconn_status ch_state_pace(ch_state *st, const char *ns, const char *key, int64_t cost_us,
                           int64_t push_us, int64_t *wait_us, int64_t *slot_us);

/* Profiles. get returns 0 found, 1 missing, -1 error; *status is heap. */
int ch_state_profile_set(ch_state *st, const char *plugin_id, const char *name,
                         const char *status, const char *status_json,
                         int64_t now_ms, char *err, size_t errlen);
int ch_state_profile_get(ch_state *st, const char *plugin_id, const char *name,
                         char **status, char *err, size_t errlen);

/* The API base and CA file a profile was authorized against ("" = the
   plugin's default / none). set: on an existing profile row. get returns
   0 found, 1 nothing recorded (no row, or a row from before it was), -1
   error; both strings heap. */
int ch_state_profile_endpoint_set(ch_state *st, const char *plugin_id, const char *name,
                                  const char *api_base, const char *ca_file,
                                  char *err, size_t errlen);
/* A profile whose authorization link was made but never completed. */
#define CH_PROFILE_AUTHORIZING "authorizing"

/* authorize's first step (the link): records where the link points, on a
   new profile row (status "authorizing") or one whose authorization never
   completed; a profile that completed one keeps its endpoint. */
int ch_state_profile_begin(ch_state *st, const char *plugin_id, const char *name,
                           const char *api_base, const char *ca_file, int64_t now_ms,
                           char *err, size_t errlen);
int ch_state_profile_endpoint_get(ch_state *st, const char *plugin_id, const char *name,
                                  char **api_base, char **ca_file, char *err, size_t errlen);

/* Connections. get returns 0 found, 1 missing, -1 error. */
int ch_state_connection_insert(ch_state *st, const ch_connection *c,
                               char *err, size_t errlen);
int ch_state_connection_get(ch_state *st, const char *id, ch_connection *c,
                            char *err, size_t errlen);
void ch_connection_clear(ch_connection *c);

/* The columns ch_state_connection_from_row reads, in order. */
#define CH_CONN_COLUMNS \
    "id, plugin_path, plugin_id, profile, dataset_path, settings_json, created_at_ms," \
    " dataset_lines_at_connect, historical, delivered_through, run_id, run_first," \
    " run_last, run_attempt, run_outcome, run_status, not_before_ms, run_full_refresh," \
    " last_full_refresh_ms, paused, disconnected_ms"
/* Fills c from row i of a SELECT CH_CONN_COLUMNS; 0 or -1 (memory). */
int ch_state_connection_from_row(const ch_rows *r, size_t i, ch_connection *c);

/* Points connection id at another copy of its plugin (plugin_path is not
   part of the immutable settings). 0 done, 1 no such connection, -1 error. */
int ch_state_connection_set_plugin(ch_state *st, const char *id, const char *plugin_path,
                                   char *err, size_t errlen);

/*
 * Records the start of one attempt of c's pending run (c->run_* already
 * set by the caller): the connection's run columns with outcome "running",
 * and a row in the runs history, in one transaction.
 */
int ch_state_run_begin(ch_state *st, const ch_connection *c, int64_t now_ms,
                       char *err, size_t errlen);

/*
 * Records how the attempt ended, in one transaction: the runs history row,
 * and either the checkpoint moved to run_last with the pending run cleared
 * (outcome NULL: the run finished OK) or the run kept pending with
 * `outcome`, `status` and not_before_ms.
 */
int ch_state_run_end(ch_state *st, const ch_connection *c, const char *outcome,
                     const char *status, int64_t not_before_ms,
                     const char *report_json, int64_t now_ms,
                     char *err, size_t errlen);

/* The report of c's last finished run attempt (parsed; NULL when there
   is none, or with err set when it cannot be read: *failed 1). */
json_object *ch_state_last_report(ch_state *st, const char *connection_id, int *failed,
                                  char *err, size_t errlen);

/* Records a finished pass that moved no checkpoint (a catch-up when there
   were no new rows) as a run of its own: run_id attempt 1, lines
   first..last, status, report; the connection row is not touched. */
int ch_state_run_record(ch_state *st, const char *connection_id, const char *run_id,
                        uint64_t first, uint64_t last, const char *status,
                        const char *report_json, int64_t started_ms, int64_t now_ms,
                        char *err, size_t errlen);

/* Runs a read-only SELECT with `nbinds` text parameters (?1..) and gives
   its rows as a JSON array of objects named by column (NULL columns
   absent). 0 or -1 with err. */
int ch_state_select_json(ch_state *st, const char *sql, const char *const *binds,
                         int nbinds, json_object **out, char *err, size_t errlen);

/* Lists "profiles", "connections" or "runs" as a JSON array. */
int ch_state_list(ch_state *st, const char *what, json_object **out,
                  char *err, size_t errlen);

#endif /* CH_STATE_H */
