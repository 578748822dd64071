/*
 * ch_store.c - the result rows the state drivers copy their answers into
 * (ch_store.h).
 */
#include <config.h>

#include "ch_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ch_rows_init(ch_rows *r, int ncols)
{
    memset(r, 0, sizeof(*r));
    r->ncols = ncols;
    if (ncols == 0)
        return 0;
    r->names = calloc((size_t) ncols, sizeof(*r->names));
    return r->names != NULL ? 0 : -1;
}

int ch_rows_set_name(ch_rows *r, int col, const char *name)
{
    r->names[col] = strdup(name != NULL ? name : "");
    return r->names[col] != NULL ? 0 : -1;
}

ch_cell *ch_rows_add_row(ch_rows *r)
{
    size_t n = (size_t) r->ncols;
    ch_cell *cells;

    /* Grows by doubling: rows are counted in powers of two. */
    if (n == 0)
        return NULL;
    if ((r->nrows & (r->nrows - 1)) == 0) {
        size_t cap = r->nrows == 0 ? 1 : r->nrows * 2;
        cells = realloc(r->cells, cap * n * sizeof(*cells));
        if (cells == NULL)
            return NULL;
        r->cells = cells;
    }
    cells = r->cells + r->nrows * n;
    memset(cells, 0, n * sizeof(*cells));
    for (size_t i = 0; i < n; i++)
        cells[i].type = 'n';
    r->nrows++;
    return cells;
}

int ch_cell_set_text(ch_cell *c, const char *s, size_t len)
{
    c->s = malloc(len + 1);
    if (c->s == NULL)
        return -1;
    if (len > 0)
        memcpy(c->s, s, len);
    c->s[len] = '\0';
    c->len = len;
    c->type = 't';
    return 0;
}

void ch_rows_free(ch_rows *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; r->cells != NULL && i < r->nrows * (size_t) r->ncols; i++)
        free(r->cells[i].s);
    for (i = 0; r->names != NULL && i < (size_t) r->ncols; i++)
        free(r->names[i]);
    free(r->cells);
    free(r->names);
    memset(r, 0, sizeof(*r));
}

const ch_cell *ch_rows_cell(const ch_rows *r, size_t row, int col)
{
    if (row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return &r->cells[row * (size_t) r->ncols + (size_t) col];
}

int64_t ch_rows_int(const ch_rows *r, size_t row, int col)
{
    const ch_cell *c = ch_rows_cell(r, row, col);

    if (c == NULL || c->type == 'n')
        return 0;
    if (c->type == 'i')
        return c->i;
    return strtoll(c->s, NULL, 10);
}

int ch_rows_is_null(const ch_rows *r, size_t row, int col)
{
    const ch_cell *c = ch_rows_cell(r, row, col);
    return c == NULL || c->type == 'n';
}

char *ch_rows_strdup(const ch_rows *r, size_t row, int col)
{
    const ch_cell *c = ch_rows_cell(r, row, col);
    char buf[32];

    if (c == NULL || c->type == 'n')
        return NULL;
    if (c->type == 'i') {
        /* An integer read as text (SQLite's dynamic typing). */
        snprintf(buf, sizeof(buf), "%lld", (long long) c->i);
        return strdup(buf);
    }
    return strdup(c->s);
}
