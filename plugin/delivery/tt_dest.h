/*
 * tt_dest.h - one audience a run delivers to, and what happened to it.
 */
#ifndef TT_DEST_H
#define TT_DEST_H

#include <stdint.h>

#include <aconn/aconn.h>

#include "identifiers/tt_ident.h"

typedef struct tt_dest {
    char advertiser_id[32];
    char audience_id[32];      /* "" for a new audience not created yet */
    char calc[24];             /* the audience's calculate_type */
    char name[160];            /* new audiences: the name it is created with */
    unsigned types;            /* bit (1u << tt_id_type) per type it takes */
    tt_id_type new_type;       /* new audiences: their one type */
    int is_new;

    /* Outcome. */
    aconn_status status;       /* ACONN_OK unless it failed or was deferred */
    aconn_error err;           /* why, when status != ACONN_OK */
    const char *outcome;       /* static: "applied", "already_applied",
                                  "deferred", "failed", or NULL = nothing to do */
    char ops[96];              /* operations made, e.g. "CREATE,REMOVE" */
    int64_t cover_num;         /* TikTok's matched size; -1 unknown */
    int is_valid;              /* TikTok's is_valid; -1 unknown */
} tt_dest;

#endif
