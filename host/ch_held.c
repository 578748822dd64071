/*
 * ch_held.c - a lease held while one run goes on (ch_held.h): taken,
 * renewed by a thread every third of its length, fencing the state's
 * writes, released at the end. The worker and the deliver command share
 * it, so on a shared state they never deliver one connection at once.
 */
#include <config.h>

#include "ch_held.h"
#include "ch_lease.h"
#include "ch_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ch_held {
    ch_state *st;
    const ch_host *host;
    char *id;
    char *holder;
    int64_t token, lease_ms;
    pthread_t th;
    int have_th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    atomic_int lost;
};

/* Renews until told to stop; marks the lease lost (the run then stops
   through cancelled()) when another holder was granted it. */
static void *ch_held_renewer(void *arg)
{
    ch_held *h = arg;
    char err[512];

    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec ts;
        int64_t step = h->lease_ms / 3 > 0 ? h->lease_ms / 3 : 1;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t) (step / 1000);
        ts.tv_nsec += (long) (step % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != ETIMEDOUT || h->stop)
            continue;
        /* A failed renewal (the database away) is tried again; the fence
           refuses the writes of a holder that lost the lease meanwhile. */
        if (ch_lease_renew(h->st, h->id, h->holder, h->token,
                           ch_host_now_ms(h->host) + h->lease_ms, err, sizeof(err)) == 0) {
            fprintf(stderr, "connector-host: the lease on connection %s was lost to another "
                    "worker; stopping its run\n", h->id);
            atomic_store(&h->lost, 1);
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

static void ch_held_free(ch_held *h)
{
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h->id);
    free(h->holder);
    free(h);
}

int ch_held_take(ch_state *st, const ch_host *host, const char *id, const char *holder,
                 const char *steal, int64_t lease_ms, ch_held **out, char *err, size_t errlen)
{
    ch_held *h = calloc(1, sizeof(*h));
    int got;

    *out = NULL;
    if (h == NULL || (h->id = strdup(id)) == NULL || (h->holder = strdup(holder)) == NULL
        || pthread_mutex_init(&h->mu, NULL) != 0) {
        if (h != NULL) {
            free(h->id);
            free(h->holder);
        }
        free(h);
        ch_errf(err, errlen, "out of memory");
        return -1;
    }
    if (pthread_cond_init(&h->cv, NULL) != 0) {
        pthread_mutex_destroy(&h->mu);
        free(h->id);
        free(h->holder);
        free(h);
        ch_errf(err, errlen, "cannot create a condition variable");
        return -1;
    }
    h->st = st;
    h->host = host;
    h->lease_ms = lease_ms;
    atomic_init(&h->lost, 0);
    got = ch_lease_take(st, id, holder, steal, ch_host_now_ms(host), lease_ms, &h->token, err,
                        errlen);
    if (got <= 0 || ch_state_fence(st, id, holder, h->token) != 0) {
        if (got > 0)
            ch_lease_release(st, id, holder, h->token, 0, err, errlen);
        ch_held_free(h);
        return got > 0 ? -1 : got;
    }
    h->have_th = pthread_create(&h->th, NULL, ch_held_renewer, h) == 0;
    *out = h;
    return 1;
}

const atomic_int *ch_held_lost(const ch_held *h)
{
    return &h->lost;
}

int ch_held_release(ch_held *h, int64_t free_at, char *err, size_t errlen)
{
    int rc;

    if (h == NULL)
        return 0;
    if (h->have_th) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->th, NULL);
    }
    ch_state_fence(h->st, NULL, NULL, 0);
    rc = ch_lease_release(h->st, h->id, h->holder, h->token, free_at, err, errlen) < 0 ? -1 : 0;
    ch_held_free(h);
    return rc;
}
