/*
 * ch_report.c - reject counters for the run report.
 */
#include <config.h>

#include "ch_report.h"

#include <aconn/aconn.h>

#include <string.h>

/* A reason is a stable code; anything else (a plugin's free text) is
   folded into "other" so reports stay machine-readable. */
static int ch_reason_ok(const char *s)
{
    size_t n;

    if (s == NULL || *s == '\0')
        return 0;
    for (n = 0; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= 47 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

void ch_rejects_add(ch_rejects *r, const char *reason, uint64_t line)
{
    ch_reject_reason *it = NULL;
    size_t i;

    if (!ch_reason_ok(reason))
        reason = "other";
    for (i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].reason, reason) == 0) {
            it = &r->items[i];
            break;
        }
    }
    if (it == NULL) {
        if (r->n >= CH_REPORT_REASONS && strcmp(reason, "other") != 0) {
            ch_rejects_add(r, "other", line);
            return;
        }
        it = &r->items[r->n++];
        memset(it, 0, sizeof(*it));
        ACONN_STRSET(it->reason, reason);
    }
    it->count++;
    /* Several identifiers of one record share its line: list it once. */
    if (it->nlines < CH_REPORT_FIRST_LINES
        && (it->nlines == 0 || it->lines[it->nlines - 1] != line))
        it->lines[it->nlines++] = line;
    r->total++;
}

json_object *ch_rejects_json(const ch_rejects *r)
{
    json_object *top = json_object_new_object();
    json_object *by = json_object_new_object();
    size_t i, k;

    if (top == NULL || by == NULL)
        goto fail;
    json_object_object_add(top, "total", json_object_new_uint64(r->total));
    json_object_object_add(top, "by_reason", by);
    for (i = 0; i < r->n; i++) {
        json_object *one = json_object_new_object();
        json_object *lines = json_object_new_array();
        if (one == NULL || lines == NULL) {
            json_object_put(one);
            json_object_put(lines);
            goto fail_top;
        }
        for (k = 0; k < r->items[i].nlines; k++)
            json_object_array_add(lines, json_object_new_uint64(r->items[i].lines[k]));
        json_object_object_add(one, "count", json_object_new_uint64(r->items[i].count));
        json_object_object_add(one, "first_lines", lines);
        json_object_object_add(by, r->items[i].reason, one);
    }
    return top;
fail:
    json_object_put(by);
fail_top:
    json_object_put(top);
    return NULL;
}
