/*
 * ch_report.h - per-reason reject counters with the first few line
 * numbers of each reason, for the run report.
 */
#ifndef CH_REPORT_H
#define CH_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CH_REPORT_REASONS 32      /* distinct reasons kept; the rest: "other" */
#define CH_REPORT_FIRST_LINES 10  /* line numbers kept per reason */

typedef struct ch_reject_reason {
    char reason[48];
    uint64_t count;
    uint64_t lines[CH_REPORT_FIRST_LINES];
    size_t nlines;
} ch_reject_reason;

typedef struct ch_rejects {
    ch_reject_reason items[CH_REPORT_REASONS + 1];   /* + "other" */
    size_t n;
    uint64_t total;
} ch_rejects;

/* Counts one reject of `reason` at `line`. */
void ch_rejects_add(ch_rejects *r, const char *reason, uint64_t line);

/* {"total":N,"by_reason":{"R":{"count":N,"first_lines":[...]}}}; NULL on OOM. */
json_object *ch_rejects_json(const ch_rejects *r);

#endif /* CH_REPORT_H */
