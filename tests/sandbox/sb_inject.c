/*
 * sb_inject.c - make the sandbox answer anything TikTok might answer.
 *
 * POST /sandbox/inject {"endpoint": "<path fragment>", "code": N,
 *   "message": "...", "count": K, "apply": false}
 * answers the next K TikTok requests whose path contains the fragment with
 * exactly that envelope (HTTP 200). With "apply": true the request is
 * carried out first and the error answered anyway: a lost answer, the way
 * TikTok's 50002 SYS_TIMEOUT can leave a create done. "count": 0 removes
 * the fragment's injections. GET /sandbox/inject lists what is pending.
 * Tests use it for every row of the plugin's code table without teaching
 * the sandbox each condition.
 */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_INJECT_MAX 32
#define SB_INJECT_MAX_COUNT 1000000L

typedef struct {
    char endpoint[128];
    int code;
    char message[512];
    long count;               /* answers left */
    bool apply;
} sb_inject_row;

struct sb_inject {
    sb_inject_row rows[SB_INJECT_MAX];
    size_t n;
};

void sb_inject_free(sb_inject *in)
{
    free(in);
}

void sb_inject_clear(sb_inject *in)
{
    if (in != NULL) {
        in->n = 0;
    }
}

/* Under ctx->lock. */
static sb_inject *inject_of(sb_ctx *ctx)
{
    if (ctx->inject == NULL) {
        ctx->inject = calloc(1, sizeof *ctx->inject);
    }
    return ctx->inject;
}

bool sb_inject_take(sb_ctx *ctx, sb_req *req)
{
    sb_inject *in;
    bool answered = false;

    pthread_mutex_lock(&ctx->lock);
    in = ctx->inject;
    for (size_t i = 0; in != NULL && i < in->n; i++) {
        sb_inject_row *r = &in->rows[i];

        if (strstr(req->path, r->endpoint) == NULL) {
            continue;
        }
        if (r->apply) {
            req->inject_code = r->code;
            snprintf(req->inject_message, sizeof req->inject_message, "%s", r->message);
        } else {
            sb_fail(req, r->code, "%s", r->message);
            answered = true;
        }
        if (--r->count <= 0) {
            memmove(r, r + 1, (in->n - i - 1) * sizeof *r);
            in->n--;
        }
        break;
    }
    pthread_mutex_unlock(&ctx->lock);
    return answered;
}

void sb_inject_finish(sb_req *req)
{
    if (req->inject_code != 0) {
        sb_fail(req, req->inject_code, "%s", req->inject_message);
    }
}

static void reply(sb_req *req, unsigned status, json_object *o)
{
    const char *s = o != NULL ? json_object_to_json_string_ext(o, SB_JSON_FLAGS) : NULL;

    sb_raw(req, s != NULL ? status : 500, "application/json",
           s != NULL ? s : "{\"error\":\"out of memory\"}");
    json_object_put(o);
}

static void reply_error(sb_req *req, const char *msg)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "error", json_object_new_string(msg));
    reply(req, 400, o);
}

/* Parses and stores one injection; returns an error text or NULL. */
static const char *inject_add(sb_ctx *ctx, json_object *spec)
{
    json_object *v;
    const char *ep, *msg = "Injected by /sandbox/inject.";
    long count = 1;
    int code;
    bool apply = false;
    sb_inject *in;
    const char *bad = NULL;

    if (!json_object_is_type(spec, json_type_object)) {
        return "the body must be a JSON object";
    }
    if (!json_object_object_get_ex(spec, "endpoint", &v) || !json_object_is_type(v, json_type_string)
        || json_object_get_string_len(v) == 0 || json_object_get_string_len(v) >= 128) {
        return "\"endpoint\" must be a path fragment of 1 to 127 characters";
    }
    ep = json_object_get_string(v);
    if (!json_object_object_get_ex(spec, "code", &v) || !json_object_is_type(v, json_type_int)) {
        return "\"code\" must be an integer (TikTok's envelope code)";
    }
    code = (int)json_object_get_int64(v);
    if (json_object_object_get_ex(spec, "message", &v)) {
        if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) >= 512) {
            return "\"message\" must be a string of at most 511 characters";
        }
        msg = json_object_get_string(v);
    }
    if (json_object_object_get_ex(spec, "count", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0
            || json_object_get_int64(v) > SB_INJECT_MAX_COUNT) {
            return "\"count\" must be an integer from 0 to 1000000";
        }
        count = (long)json_object_get_int64(v);
    }
    if (json_object_object_get_ex(spec, "apply", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            return "\"apply\" must be true or false";
        }
        apply = json_object_get_boolean(v);
    }
    if (code == 0 && !apply) {
        return "\"code\" 0 answers nothing; use a TikTok error code";
    }
    pthread_mutex_lock(&ctx->lock);
    in = inject_of(ctx);
    if (in == NULL) {
        bad = "out of memory";
    } else if (count == 0) {
        size_t k = 0;
        for (size_t i = 0; i < in->n; i++) {
            if (strcmp(in->rows[i].endpoint, ep) != 0) {
                in->rows[k++] = in->rows[i];
            }
        }
        in->n = k;
    } else if (in->n >= SB_INJECT_MAX) {
        bad = "too many pending injections (32); remove some with \"count\": 0";
    } else {
        sb_inject_row *r = &in->rows[in->n++];
        snprintf(r->endpoint, sizeof r->endpoint, "%s", ep);
        snprintf(r->message, sizeof r->message, "%s", msg);
        r->code = code;
        r->count = count;
        r->apply = apply;
    }
    pthread_mutex_unlock(&ctx->lock);
    return bad;
}

void sb_h_ctl_inject(sb_ctx *ctx, sb_req *req)
{
    json_object *out, *list;

    if (strcmp(req->method, "POST") == 0) {
        json_object *spec = req->body != NULL ? json_tokener_parse(req->body) : NULL;
        const char *bad = req->body_too_large ? "the body is too long" : inject_add(ctx, spec);

        json_object_put(spec);
        if (bad != NULL) {
            reply_error(req, bad);
            return;
        }
    }
    out = json_object_new_object();
    list = json_object_new_array();
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; ctx->inject != NULL && i < ctx->inject->n; i++) {
        const sb_inject_row *r = &ctx->inject->rows[i];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "endpoint", json_object_new_string(r->endpoint));
        json_object_object_add(o, "code", json_object_new_int(r->code));
        json_object_object_add(o, "message", json_object_new_string(r->message));
        json_object_object_add(o, "count", json_object_new_int64(r->count));
        json_object_object_add(o, "apply", json_object_new_boolean(r->apply));
        json_object_array_add(list, o);
    }
    pthread_mutex_unlock(&ctx->lock);
    json_object_object_add(out, "injections", list);
    reply(req, 200, out);
}
