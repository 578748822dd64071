/*
 * tt_targets.h - which audiences a run delivers to, and in what layout.
 *
 * Layout of new audiences (state key conn/<cid>/layout, decided once):
 *   multiple_types  one audience per (connection, Ad Account), named
 *                   audience_name, calculate_type MULTIPLE_TYPES, holding
 *                   every identifier type (TikTok's Customer File API,
 *                   TikTok's custom audience create page). The default.
 *   per_type        one audience per identifier type, "<name> (email)" etc.:
 *                   connections made before 0.2 (their audiences are in the
 *                   state store) and the setting audience_per_identifier_type.
 * Existing audiences take what their own calculate_type accepts (read from
 * TikTok once and cached: it never changes): MULTIPLE_TYPES everything, a
 * single-type audience its type, FIRST_SHA256/MAID_SHA256 both MAIDs.
 */
#ifndef TT_TARGETS_H
#define TT_TARGETS_H

#include "delivery/tt_apply_ctx.h"

/* The connection's layout (1 = per_type), decided and stored on first use. */
aconn_status tt_targets_layout(const aconn_host *host, const tt_conn *c, int *per_type,
                               aconn_error *err);

/* The spool kinds the run needs (TT_KIND_BIT()s), from the layout and the
   cached calculate_types; all kinds when one is not known yet. */
aconn_status tt_targets_kinds(const aconn_host *host, const tt_conn *c, unsigned *kinds,
                              aconn_error *err);

/* Fills x->targets: new audiences, then existing ones (one audience/get per
   Ad Account, skipped when all its audiences are dead), each with its
   standing (tt_health.h). */
aconn_status tt_targets_plan(tt_apply_ctx *x, aconn_error *err);

/* The calculate_type of an existing audience cached by an earlier run, or
   "" when it is not known yet. */
aconn_status tt_targets_cached_calc(const aconn_host *host, const char *adv, const char *aud,
                                    char *out, size_t n, aconn_error *err);

/* Identifier types of a calculate_type (0: none the connector delivers). */
unsigned tt_targets_types_for_calc(const char *calc);

#endif
