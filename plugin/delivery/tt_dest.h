/*
 * tt_dest.h - one audience a run delivers to (a target), and what happened
 * to it.
 */
#ifndef TT_DEST_H
#define TT_DEST_H

#include <stdint.h>

#include <aconn/aconn.h>

#include "identifiers/tt_ident.h"

/* A target's standing across runs (tt_health.h). */
typedef enum tt_health_state {
    TT_HEALTH_OK = 0,     /* receives every run */
    TT_HEALTH_BEHIND,     /* failed for good since since_seq; retried, then caught up */
    TT_HEALTH_CATCH_UP,   /* reachable again: waits for its catch-up run */
    TT_HEALTH_DEAD        /* its audience is gone: never called again */
} tt_health_state;

typedef struct tt_dest {
    char advertiser_id[32];
    char audience_id[32];      /* "" for a new audience not created yet */
    char calc[24];             /* the audience's calculate_type */
    char name[160];            /* new audiences: the name it is created with */
    char slot[40];             /* state key part: "multiple_types", a type
                                  slug (per-type layout) or "a<audience_id>" */
    unsigned types;            /* bit (1u << tt_id_type) per type it takes */
    unsigned kinds;            /* TT_KIND_BIT() per spool file kind it takes */
    int is_new;
    int skip;                  /* left out of this run (health, catch-up) */
    int reuploaded;            /* its files were uploaded again this attempt
                                  after TikTok lost them (40905/40910): once */

    /* Standing, loaded before the run and saved after it. */
    tt_health_state health;
    tt_health_state health_was; /* as loaded: a healthy target costs no write */
    int64_t since_ms;
    uint64_t since_seq;
    char reason[96];
    char fix[512];
    /* A target never created for want of access: when access was last
       tried, and the profile record's version then (tt_health_probe_due). */
    int64_t probed_ms;
    uint64_t access_ver;

    /* Outcome. */
    aconn_status status;       /* ACONN_OK unless it failed or was deferred */
    aconn_error err;           /* why, when status != ACONN_OK */
    const char *outcome;       /* static: "applied", "already_applied",
                                  "deferred", "failed", "behind", "dead",
                                  "caught_up", or NULL = nothing to do */
    char ops[96];              /* operations made, e.g. "CREATE,REMOVE" */
    int64_t cover_num;         /* TikTok's matched size; -1 unknown */
    int sized;                 /* cover_num was read for its account (tt_par) */
    int is_valid;              /* TikTok's is_valid; -1 unknown */
} tt_dest;

#endif
