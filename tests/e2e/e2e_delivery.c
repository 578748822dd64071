/*
 * e2e_delivery.c - the delivery programs' shared steps and checks (see
 * e2e_delivery.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "e2e_delivery.h"

const char *dl_plugin(void)
{
    return getenv("TT_PLUGIN");
}

int dl_deliver(e2e *e, const char *conn, e2e_out *o)
{
    int rc = e2e_deliver(e, conn, o);
    if (rc == 0 && o->exit_code != 0 && getenv("E2E_VERBOSE"))
        fprintf(stderr, "deliver exit %d: %s\n%s\n", o->exit_code, o->out, o->err);
    return rc;
}

void dl_assert_named(e2e *e, const char *adv, const char *name, const e2e_set *want)
{
    char id[32];
    e2e_set got;
    int n = e2e_audiences_named(e, adv, name, id);

    if (want->n == 0) {
        CU_ASSERT(n <= 1);
        return;
    }
    CU_ASSERT_EQUAL(n, 1);    /* exactly one audience per target */
    if (n < 1)
        return;
    CU_ASSERT_FATAL(e2e_members(e, id, &got) == 0);
    if (!e2e_set_equal(&got, want))
        fprintf(stderr, "audience %s in %s: %zu members, expected %zu\n", name, adv, got.n,
                want->n);
    CU_ASSERT(e2e_set_equal(&got, want));
    e2e_set_free(&got);
}

void dl_assert_new_audience(e2e *e, const char *adv, const char *name,
                            const e2e_set want[E2E_NTYPES])
{
    e2e_set all = {0}, none = {0};

    for (int t = 0; t < E2E_NTYPES; t++)
        CU_ASSERT(e2e_set_apply(&all, &want[t], &none) == 0);
    dl_assert_named(e, adv, name, &all);
    e2e_set_free(&all);
}

void dl_wants_from(const char *dataset, unsigned long from, e2e_set want[E2E_NTYPES])
{
    e2e_set adds[E2E_NTYPES], removes[E2E_NTYPES];

    memset(want, 0, sizeof(e2e_set) * E2E_NTYPES);
    CU_ASSERT_FATAL(e2e_changes(dataset, from, 0, adds, removes) == 0);
    for (int t = 0; t < E2E_NTYPES; t++) {
        CU_ASSERT(e2e_set_apply(&want[t], &adds[t], &removes[t]) == 0);
        e2e_set_free(&adds[t]);
        e2e_set_free(&removes[t]);
    }
}
