/*
 * mock_host.h - an in-memory aconn_host for unit tests.
 *
 * Options, a movable clock, a cancel flag, a secrets map, a state map with
 * real compare-and-swap versions, captured log lines and captured output.
 * One mock per test; not thread-safe beyond what a single test needs
 * (a mutex guards the maps so threaded tests stay honest).
 */
#ifndef MOCK_HOST_H
#define MOCK_HOST_H

#include <aconn/aconn.h>
#include <pthread.h>

#define MOCK_MAX_ENTRIES 256
#define MOCK_MAX_OPTIONS 16

typedef struct mock_entry {
    char *key;
    char *value;      /* NULL: deleted */
    size_t len;
    uint64_t version;
} mock_entry;

typedef struct mock_host {
    aconn_host host;            /* pass &mock->host to the plugin */
    aconn_output out;           /* pass &mock->out to the plugin */
    pthread_mutex_t lock;
    char *option_names[MOCK_MAX_OPTIONS];
    char *option_values[MOCK_MAX_OPTIONS];
    size_t noptions;
    int64_t now_ms;
    int32_t cancelled;
    int cancel_after_polls;     /* >0: set cancelled after this many polls */
    mock_entry secrets[MOCK_MAX_ENTRIES];
    size_t nsecrets;
    mock_entry state[MOCK_MAX_ENTRIES];
    size_t nstate;
    char *log;                  /* every log line, "\n"-separated */
    size_t log_len;
    char *output;               /* everything written to out */
    size_t output_len;
    int fail_state_cas;         /* >0: the next state_cas calls fail with FATAL */
    /* pace (ABI 1.2), NULL in the table until mock_host_enable_pace(). */
    int64_t pace_wait_ms;       /* what every grant answers */
    int pace_grants, pace_refusals;
    char pace_key[200];         /* the last key asked about */
} mock_host;

/* Returns a new mock (clock at 1700000000000 ms), or NULL. */
mock_host *mock_host_new(void);
void mock_host_free(mock_host *m);

void mock_host_set_option(mock_host *m, const char *name, const char *value);
void mock_host_set_secret(mock_host *m, const char *name, const char *value);
/* Returns the stored secret (borrowed) or NULL. */
const char *mock_host_secret(mock_host *m, const char *name);
/* Returns the stored state value (borrowed, NUL-terminated) or NULL. */
const char *mock_host_state(mock_host *m, const char *key);
void mock_host_clear_output(mock_host *m);
/* Gives the table a pace() service whose every grant says "wait wait_ms",
   counting grants and refusals (ACONN_PACE_REFUSED). */
void mock_host_enable_pace(mock_host *m, int64_t wait_ms);

/*
 * Non-zero when needle occurs in the captured log or output, or in any
 * text member of err (may be NULL). Used to prove secrets never leak.
 */
int mock_host_leaks(const mock_host *m, const aconn_error *err, const char *needle);

/* A freshly zeroed aconn_error with struct_size set. */
void mock_error_init(aconn_error *err);

#endif
