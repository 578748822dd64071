/*
 * ch_store.h - the state backends behind ch_state (issue #12): one small
 * SQL driver interface with an SQLite implementation (ch_store_sqlite.c,
 * the embedded default) and a PostgreSQL one through libpq
 * (ch_store_pg.c, when configure found libpq).
 *
 * The state logic (ch_state.c, ch_state_run.c) is written once against
 * this interface, in SQL both databases accept: parameters are written
 * ?1, ?2, ... (the PostgreSQL driver turns them into $1, $2, ...), upserts
 * use INSERT ... ON CONFLICT, and every integer column is 64-bit. Each
 * driver owns its DDL, because types and triggers differ, and creates or
 * migrates its schema on open (CH_STORE_SCHEMA_VERSION); a database whose
 * schema is newer than this host knows is refused and left untouched.
 *
 * A driver handle is used by one thread at a time: ch_state serializes
 * calls with its mutex.
 */
#ifndef CH_STORE_H
#define CH_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The schema this host writes. 1: the tables of the first releases
   (profiles, connections, kv, runs, fingerprints); 2: the worker's leases,
   connection life (paused, disconnected) and encrypted secrets; 3: the
   shared request budgets of aconn_host.pace (table pace). */
#define CH_STORE_SCHEMA_VERSION 3

/* What a driver call came to. */
typedef enum ch_db_rc {
    CH_DB_OK = 0,
    CH_DB_BUSY,        /* locked, serialization failure, deadlock: retry */
    CH_DB_CONSTRAINT,  /* a constraint or trigger refused the write */
    CH_DB_DOWN,        /* the server cannot be reached (retry later) */
    CH_DB_ERROR,       /* anything else */
    CH_DB_FENCED       /* (ch_state) the lease fencing the write was lost */
} ch_db_rc;

/* One bound parameter. */
typedef struct ch_sql_arg {
    char type;          /* 't' text (s NULL: SQL NULL), 'i' integer, 'b' bytes */
    const char *s;
    size_t len;         /* 'b' */
    int64_t i;
} ch_sql_arg;

#define CH_T(str) ((ch_sql_arg){ 't', (str), 0, 0 })
#define CH_I(v) ((ch_sql_arg){ 'i', NULL, 0, (int64_t) (v) })
#define CH_B(p, n) ((ch_sql_arg){ 'b', (p), (n), 0 })

/* One result cell: NULL, an integer, or text/bytes (NUL-terminated
   after len bytes). */
typedef struct ch_cell {
    char type;          /* 'n', 'i', 't' */
    int64_t i;
    char *s;
    size_t len;
} ch_cell;

/* A whole result, copied out of the driver (values here are small). */
typedef struct ch_rows {
    int ncols;
    size_t nrows;
    char **names;       /* ncols column names */
    ch_cell *cells;     /* nrows * ncols, row-major */
} ch_rows;

void ch_rows_free(ch_rows *r);
/* The cell at (row, col); NULL when out of range. */
const ch_cell *ch_rows_cell(const ch_rows *r, size_t row, int col);
/* Integer value of a cell (text parsed; NULL or absent: 0). */
int64_t ch_rows_int(const ch_rows *r, size_t row, int col);
/* Heap copy of a text cell, NULL for SQL NULL (or out of memory). */
char *ch_rows_strdup(const ch_rows *r, size_t row, int col);
int ch_rows_is_null(const ch_rows *r, size_t row, int col);

typedef struct ch_store_ops {
    const char *name;   /* "sqlite", "postgresql" */
    /*
     * Opens target (a file path; a libpq URI), creates or migrates the
     * schema, and gives the handle. Returns CH_DB_OK, CH_DB_DOWN (the
     * server is unreachable: err names it) or another code with err.
     */
    ch_db_rc (*open)(const char *target, void **db, char *err, size_t errlen);
    void (*close)(void *db);
    /* Runs one statement; rows (may be NULL) gets its result, changes
       (may be NULL) the number of rows it wrote. */
    ch_db_rc (*exec)(void *db, const char *sql, const ch_sql_arg *args, int nargs,
                     ch_rows *rows, int64_t *changes);
    /* A write transaction that serializes with other writers of the rows
       it touches (SQLite: BEGIN IMMEDIATE; PostgreSQL: BEGIN, with row
       locks taken by the statements). */
    ch_db_rc (*begin)(void *db);
    ch_db_rc (*commit)(void *db);
    void (*rollback)(void *db);
    /* The last error's text (never holds a password). */
    const char *(*errmsg)(void *db);
    /* Appended to a SELECT inside a transaction to hold the rows read
       until commit against writers (PostgreSQL: " FOR SHARE"; SQLite's
       write transactions already exclude every other writer: ""). */
    const char *lock_read;
    /*
     * One statement that reserves a slot of a request budget (ch_pace.c),
     * in the driver's dialect, atomic on its own (no transaction): with
     * ?1 namespace, ?2 key, ?3 cost_us, ?4 push_us, it sets base =
     * max(next_us, now + push_us), next_us = base + cost_us, and returns
     * one row: base - now, the microseconds the caller waits, and base.
     * "now" is read by the database once it holds the row (PostgreSQL:
     * the server's clock, which every machine then shares).
     */
    const char *pace_sql;
    /* Non-zero when the database's clock is this machine's wall clock
       (SQLite): the wait is then base minus the time the call returned,
       which takes the commit's own time off it. */
    int pace_local_clock;
} ch_store_ops;

extern const ch_store_ops ch_store_sqlite;
#ifdef HAVE_LIBPQ
extern const ch_store_ops ch_store_pg;
#endif

/* Appends a row's cell to r while a driver copies a result out. */
int ch_rows_init(ch_rows *r, int ncols);
int ch_rows_set_name(ch_rows *r, int col, const char *name);
ch_cell *ch_rows_add_row(ch_rows *r);
int ch_cell_set_text(ch_cell *c, const char *s, size_t len);

#endif /* CH_STORE_H */
