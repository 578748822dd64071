/*
 * ch_prefetch.c - the dataset reader on its own thread: a ring of chunks
 * filled by the reader thread and taken in order by the calling thread
 * (see ch_prefetch.h).
 */
#include <config.h>

#include "ch_prefetch.h"
#include "ch_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct ch_prefetch_slot {
    ch_dataset_chunk *chunk;
    int rc;                     /* ch_dataset_read_chunk's */
    char err[256];
} ch_prefetch_slot;

struct ch_prefetch {
    ch_dataset *ds;             /* the reader thread's until stop */
    uint64_t first, last, per;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a slot was filled, freed, or stop */
    ch_prefetch_slot slots[CH_PREFETCH_SLOTS];
    size_t head;                /* next slot to take (calling thread) */
    size_t filled;              /* slots ready to take */
    int held;                   /* the slot at head-1 is with the plugin */
    int done;                   /* the reader thread stopped producing */
    int stop;                   /* asked to stop */
    /* The calling thread's view. */
    ch_dataset_pos taken;       /* the position after the last chunk taken */
    int failed;                 /* a read error was handed out */
    char err[256];
};

int ch_prefetch_wanted(void)
{
    const char *v = getenv("CONNECTOR_HOST_READER_THREAD");

    return v == NULL || strcmp(v, "0") != 0;
}

/* The end of the batch that line `next` belongs to, as ch_run_pass cuts them. */
static uint64_t ch_prefetch_batch_end(const ch_prefetch *pf, uint64_t next)
{
    uint64_t bfirst = pf->first + (next - pf->first) / pf->per * pf->per;

    return pf->last - bfirst + 1 > pf->per ? bfirst + pf->per - 1 : pf->last;
}

/* Waits for a free slot; NULL when asked to stop. Called with mu held. */
static ch_prefetch_slot *ch_prefetch_free_slot(ch_prefetch *pf)
{
    /* Taken slots being held by the plugin are not free. */
    while (!pf->stop && pf->filled + (size_t) pf->held >= CH_PREFETCH_SLOTS)
        pthread_cond_wait(&pf->cv, &pf->mu);
    if (pf->stop)
        return NULL;
    return &pf->slots[(pf->head + pf->filled) % CH_PREFETCH_SLOTS];
}

static void *ch_prefetch_main(void *arg)
{
    ch_prefetch *pf = arg;

    pthread_mutex_lock(&pf->mu);
    for (;;) {
        ch_prefetch_slot *s = ch_prefetch_free_slot(pf);
        uint64_t line = ch_dataset_line(pf->ds), end;
        size_t count;
        int last;

        if (s == NULL || line >= pf->last)
            break;
        end = ch_prefetch_batch_end(pf, line + 1);
        /* The slot is free: nobody else touches it while it is filled. */
        pthread_mutex_unlock(&pf->mu);
        s->err[0] = '\0';
        s->rc = ch_dataset_read_chunk(pf->ds, end, s->chunk, s->err, sizeof(s->err));
        (void) ch_dataset_chunk_records(s->chunk, &count);
        /* An error, or the file ended before the pass's last line: no
           record and short of the lines a chunk covers at most. */
        if (end - line > CH_CHUNK_RECORDS)
            end = line + CH_CHUNK_RECORDS;
        last = s->rc != 0 || (count == 0 && ch_dataset_chunk_end(s->chunk).line < end);
        pthread_mutex_lock(&pf->mu);
        pf->filled++;
        pthread_cond_broadcast(&pf->cv);
        if (last)
            break;
    }
    pf->done = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

static void ch_prefetch_free(ch_prefetch *pf)
{
    for (size_t i = 0; i < CH_PREFETCH_SLOTS; i++)
        ch_dataset_chunk_free(pf->slots[i].chunk);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    free(pf);
}

int ch_prefetch_start(ch_dataset *ds, uint64_t first, uint64_t last, uint64_t per,
                      ch_prefetch **out, char *err, size_t errlen)
{
    ch_prefetch *pf = calloc(1, sizeof(*pf));
    sigset_t all, old;
    int rc;

    *out = NULL;
    if (pf == NULL || pthread_mutex_init(&pf->mu, NULL) != 0) {
        free(pf);
        ch_errf(err, errlen, "out of memory starting the dataset reader");
        return -1;
    }
    pthread_cond_init(&pf->cv, NULL);
    for (size_t i = 0; i < CH_PREFETCH_SLOTS; i++) {
        if ((pf->slots[i].chunk = ch_dataset_chunk_new()) == NULL) {
            ch_prefetch_free(pf);
            ch_errf(err, errlen, "out of memory starting the dataset reader");
            return -1;
        }
    }
    pf->ds = ds;
    pf->first = first;
    pf->last = last;
    pf->per = per > 0 ? per : 1;
    pf->taken = ch_dataset_position(ds);
    /* Signals (SIGINT, SIGTERM: cancel) stay with the calling thread. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&pf->thread, NULL, ch_prefetch_main, pf);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        ch_prefetch_free(pf);
        ch_errf(err, errlen, "cannot start the dataset reader thread: %s", strerror(rc));
        return -1;
    }
    pf->started = 1;
    *out = pf;
    return 0;
}

/* Gives the slot the plugin held back to the reader. Called with mu held. */
static void ch_prefetch_release(ch_prefetch *pf)
{
    if (pf->held) {
        pf->held = 0;
        pthread_cond_broadcast(&pf->cv);
    }
}

/* Takes the next filled slot into *out: 1, or 0 when the reader ended
   with nothing left. Releases the slot held before. */
static int ch_prefetch_take(ch_prefetch *pf, ch_prefetch_slot **out)
{
    pthread_mutex_lock(&pf->mu);
    ch_prefetch_release(pf);
    while (pf->filled == 0 && !pf->done)
        pthread_cond_wait(&pf->cv, &pf->mu);
    if (pf->filled == 0) {
        pthread_mutex_unlock(&pf->mu);
        return 0;
    }
    *out = &pf->slots[pf->head];
    pf->head = (pf->head + 1) % CH_PREFETCH_SLOTS;
    pf->filled--;
    /* The slot is ours until the next take: the reader skips held slots. */
    pf->held = 1;
    pthread_mutex_unlock(&pf->mu);
    return 1;
}

int ch_prefetch_next(ch_prefetch *pf, uint64_t batch_last,
                     const aconn_record *const **records, size_t *count,
                     char *err, size_t errlen)
{
    ch_prefetch_slot *s = NULL;

    *records = NULL;
    *count = 0;
    if (pf->failed) {
        ch_errf(err, errlen, "%s", pf->err);
        return -1;
    }
    /* A chunk of only rejected or blank lines holds no record: go on to the
       next, so that 0 records still means the batch (or the file) ended. */
    while (*count == 0 && pf->taken.line < batch_last) {
        if (!ch_prefetch_take(pf, &s))
            return 0;          /* the file ended: the caller says so */
        pf->taken = ch_dataset_chunk_end(s->chunk);
        ch_dataset_chunk_replay(pf->ds, s->chunk);
        if (s->rc != 0) {
            pf->failed = 1;
            ch_errf(pf->err, sizeof(pf->err), "%s", s->err);
            ch_errf(err, errlen, "%s", s->err);
            return -1;
        }
        *records = ch_dataset_chunk_records(s->chunk, count);
    }
    return 0;
}

uint64_t ch_prefetch_line(const ch_prefetch *pf)
{
    return pf->taken.line;
}

int ch_prefetch_stop(ch_prefetch *pf, char *err, size_t errlen)
{
    int rc = 0;

    if (pf == NULL)
        return 0;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    if (pf->started)
        pthread_join(pf->thread, NULL);
    /* What was read ahead is forgotten: the dataset stands where the
       plugin's last chunk ended (the report, the fingerprint). */
    rc = ch_dataset_restore(pf->ds, &pf->taken, err, errlen);
    ch_prefetch_free(pf);
    return rc;
}
