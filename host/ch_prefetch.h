/*
 * ch_prefetch.h - the dataset reader on its own thread (host/README.md,
 * "Reading ahead").
 *
 * While the plugin maps, hashes and spools one chunk on the calling thread,
 * a reader thread reads and parses the next ones into a ring of
 * CH_PREFETCH_SLOTS chunks (memory stays flat: the ring's chunks are
 * reused). The calling thread takes them in order with ch_prefetch_next,
 * which keeps the contract of ch_dataset_next_chunk: the records are valid
 * until the next call, rejects reach the dataset's reject callback on the
 * calling thread when their chunk is taken, and a read error surfaces at
 * the chunk where the reader met it. A chunk never crosses the end of a
 * batch, so the reader computes the batches as ch_run_pass does
 * (`per` lines each, from `first` to `last`).
 */
#ifndef CH_PREFETCH_H
#define CH_PREFETCH_H

#include "ch_dataset.h"

#define CH_PREFETCH_SLOTS 3

typedef struct ch_prefetch ch_prefetch;

/* Starts the reader thread on ds, which stands right before line `first`.
   ds belongs to the thread until ch_prefetch_stop. 0, or -1 with err. */
int ch_prefetch_start(ch_dataset *ds, uint64_t first, uint64_t last, uint64_t per,
                      ch_prefetch **out, char *err, size_t errlen);

/* The next chunk, up to batch_last: as ch_dataset_next_chunk. */
int ch_prefetch_next(ch_prefetch *pf, uint64_t batch_last,
                     const aconn_record *const **records, size_t *count,
                     char *err, size_t errlen);

/* The last line handed out (what ch_dataset_line would say without the
   reader thread). */
uint64_t ch_prefetch_line(const ch_prefetch *pf);

/* Stops and joins the reader thread, puts ds back at the position after
   the last chunk handed out (as if nothing had been read ahead) with its
   reject callback, and frees pf. NULL is ignored. 0, or -1 with err. */
int ch_prefetch_stop(ch_prefetch *pf, char *err, size_t errlen);

/* 0 when CONNECTOR_HOST_READER_THREAD=0 asks the host to read on the
   calling thread (a benchmark's comparison), else 1. */
int ch_prefetch_wanted(void);

#endif /* CH_PREFETCH_H */
