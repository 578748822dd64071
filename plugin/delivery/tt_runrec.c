/* tt_runrec.c - one run's progress in the state store (see tt_runrec.h). */
#include <config.h>

#include <string.h>

#include "common/tt_kv.h"
#include "delivery/tt_dkeys.h"
#include "delivery/tt_runrec.h"

/* Whose record: a worker's copy writes its owner's (tt_apply_ctx.owner). */
static tt_apply_ctx *rec(tt_apply_ctx *x)
{
    return x->owner != NULL ? x->owner : x;
}

aconn_status tt_runrec_load(tt_apply_ctx *x, aconn_error *err)
{
    aconn_status st;

    if (tt_dkey_run(x->run_key, sizeof(x->run_key), x->c->connection_id, x->c->run_id) != 0)
        return aconn_error_set(err, ACONN_ERR_INVALID, "bad_run_id", NULL,
                               "connection or run id too long");
    st = tt_kv_get(x->host, x->run_key, &x->run, &x->run_version, err);
    if (st == ACONN_ERR_NOT_FOUND ||
        (st == ACONN_OK && !json_object_is_type(x->run, json_type_object))) {
        json_object_put(x->run);
        x->run = json_object_new_object();
        x->run_version = st == ACONN_OK ? x->run_version : 0;
        if (x->run == NULL)
            return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
        st = ACONN_OK;
    }
    if (st == ACONN_OK && !json_object_object_get_ex(x->run, "uploads", NULL))
        json_object_object_add(x->run, "uploads", json_object_new_object());
    if (st == ACONN_OK && !json_object_object_get_ex(x->run, "done", NULL))
        json_object_object_add(x->run, "done", json_object_new_object());
    return st;
}

aconn_status tt_runrec_save(tt_apply_ctx *x, aconn_error *err)
{
    tt_apply_ctx *r = rec(x);
    aconn_status st = tt_kv_cas(x->host, r->run_key, r->run_version, r->run,
                                &r->run_version, err);

    if (st == ACONN_ERR_CONFLICT)
        return aconn_error_set(err, ACONN_RETRY, "concurrent_run", NULL,
                               "another worker is delivering connection %s at the same time; "
                               "this attempt stops so the two cannot collide",
                               x->c->connection_id);
    return st;
}

static json_object *section(tt_apply_ctx *x, const char *name)
{
    json_object *s = NULL;
    json_object_object_get_ex(rec(x)->run, name, &s);
    return s;
}

const char *tt_runrec_upload(tt_apply_ctx *x, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(section(x, "uploads"), key, &v))
        return NULL;
    return json_object_get_string(v);
}

int tt_runrec_is_done(tt_apply_ctx *x, const char *key)
{
    return json_object_object_get_ex(section(x, "done"), key, NULL);
}

aconn_status tt_runrec_mark(tt_apply_ctx *x, const char *name, const char *key,
                            const char *value, aconn_error *err)
{
    json_object_object_add(section(x, name), key,
                           value != NULL ? json_object_new_string(value)
                                         : json_object_new_boolean(1));
    return tt_runrec_save(x, err);
}

int tt_runrec_put(tt_apply_ctx *x, const char *name, const char *key, const char *value)
{
    json_object *v = value != NULL ? json_object_new_string(value)
                                   : json_object_new_boolean(1);

    if (v == NULL)
        return -1;
    return json_object_object_add(section(x, name), key, v) == 0 ? 0 : -1;
}

aconn_status tt_runrec_forget_uploads(tt_apply_ctx *x, const char *adv, aconn_error *err)
{
    json_object *up = section(x, "uploads"), *keep = json_object_new_object();
    size_t n = strlen(adv);

    if (keep == NULL)
        return aconn_error_set(err, ACONN_ERR_FATAL, "out_of_memory", NULL, "out of memory");
    /* Keys are "adv|calc|md5" (tt_upload.c): a new object without adv's,
       as json-c cannot delete while it iterates. */
    json_object_object_foreach(up, key, val) {
        if (strncmp(key, adv, n) == 0 && key[n] == '|')
            continue;
        json_object_object_add(keep, key, json_object_get(val));
    }
    json_object_object_add(rec(x)->run, "uploads", keep);
    return tt_runrec_save(x, err);
}

void tt_runrec_drop(tt_apply_ctx *x)
{
    if (rec(x)->run_key[0] != '\0')
        (void) tt_kv_put(x->host, rec(x)->run_key, NULL, NULL);
}
