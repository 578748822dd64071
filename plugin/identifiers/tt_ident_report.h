/*
 * tt_ident_report.h - identifier tallies for run reports.
 *
 * Kept apart from tt_ident.c so the per-record path needs no JSON library.
 * Reentrant.
 */
#ifndef TT_IDENT_REPORT_H
#define TT_IDENT_REPORT_H

#include <json-c/json.h>

#include "identifiers/tt_ident.h"

/** Adds every counter of src to dst (e.g. to merge per-thread tallies). */
void tt_ident_counts_merge(tt_ident_counts *dst, const tt_ident_counts *src);

/**
 * The tallies as JSON:
 *   {"accepted": {"EMAIL_SHA256": n, "PHONE_SHA256": n, "IDFA_SHA256": n,
 *                 "GAID_SHA256": n},
 *    "rejected": {"empty": n, "wrong_length": n, ..., "bad_email": n}}
 * Every type and every reason is present, zero or not, so reports keep one
 * shape. New reference, or NULL when out of memory.
 */
json_object *tt_ident_counts_json(const tt_ident_counts *c);

#endif
