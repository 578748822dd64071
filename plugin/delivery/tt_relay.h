/*
 * tt_relay.h - host service calls of the plugin's own threads, run on the
 * deliver_batch() thread (aconn.h section 8: a plugin SHOULD call host
 * services on the entry point's thread, so that a host whose runtime must
 * attach foreign threads never sees one).
 *
 * A thread is given the relay's table instead of the host's: each call it
 * makes is queued and the thread waits while the deliver_batch() thread
 * runs it on the real table, at its own poll points (tt_relay_poll()) or
 * while it waits for the threads to finish (tt_relay_serve()). A thread
 * that waits on the relay holds none of its owner's locks, so the owner can
 * always serve it. batch_next() and reject() are not the threads' to call:
 * the relay refuses them; request_catch_up is absent.
 *
 * cancelled() is not relayed: libcurl asks it from its progress callback
 * many times a second per upload, and a round trip each time cost a context
 * switch pair per 64 KiB sent (most of the host's CPU at ten accounts,
 * bench-e2e). The threads read the answer the owner last saw, refreshed at
 * every 256th poll and at least every 100 ms while the owner serves, so a
 * cancellation reaches them that much later.
 *
 * Used by the accounts' threads (tt_par.h) and the early uploads' thread
 * (tt_early.h). The struct lives on the owner's side; no globals.
 */
#ifndef TT_RELAY_H
#define TT_RELAY_H

#include <pthread.h>
#include <stdatomic.h>

#include <aconn/aconn.h>

typedef struct tt_relay_req tt_relay_req;

typedef struct tt_relay {
    aconn_host table;            /* what the threads get; ctx = this */
    const aconn_host *real;      /* deliver_batch()'s table */
    pthread_mutex_t mu;          /* the queue and live */
    pthread_cond_t to_main, to_threads;
    tt_relay_req *head, *tail;
    atomic_int pending;          /* head != NULL, read without the lock */
    atomic_int cancelled;        /* real->cancelled() as the owner last saw it */
    unsigned polls;              /* the owner's tt_relay_poll() calls */
    int live;                    /* threads that may still relay */
} tt_relay;

/* Sets r up for the calls of real (tt_relay_destroy() undoes it). */
void tt_relay_init(tt_relay *r, const aconn_host *real);

/* Points r at the table of the deliver_batch() call in progress; only while
   no thread is live. */
void tt_relay_set_host(tt_relay *r, const aconn_host *real);

/* Before starting a thread that relays: tt_relay_serve() waits for its
   tt_relay_leave() (call that too when the thread could not start). */
void tt_relay_enter(tt_relay *r);

/* A thread's last use of the relay. */
void tt_relay_leave(tt_relay *r);

/* On the deliver_batch() thread: runs the calls queued now; returns at
   once when there are none (one atomic load: cheap in a hot loop). */
void tt_relay_poll(tt_relay *r);

/* On the deliver_batch() thread: runs calls until every entered thread
   has left. */
void tt_relay_serve(tt_relay *r);

void tt_relay_destroy(tt_relay *r);

#endif
