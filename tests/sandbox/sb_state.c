/* sb_state.c: the live state built from the world (audiences, files,
 * tokens, auth codes, the operation log). Apart from sb_world.c because
 * the world says what exists and who reaches it, while this is what the
 * TikTok calls create and change: a reset throws it away and rebuilds it
 * from the world. */
#include "sb.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- live state ------------------------------------------------------------ */

int64_t sb_now_ms(const sb_ctx *ctx)
{
    return sb_real_ms() + ctx->st.clock_offset_ms;
}

char *sb_random_hex(size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    char *s;

    if (nbytes > sizeof raw || RAND_bytes(raw, (int)nbytes) != 1) {
        return NULL;
    }
    s = malloc(nbytes * 2 + 1);
    if (s == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < nbytes; i++) {
        s[2 * i] = hex[raw[i] >> 4];
        s[2 * i + 1] = hex[raw[i] & 15];
    }
    s[nbytes * 2] = '\0';
    return s;
}

static void free_audience(sb_audience *a)
{
    if (a == NULL) {
        return;
    }
    free(a->audience_id);
    free(a->advertiser_id);
    free(a->name);
    free(a->sub_type);
    sb_members_free(a->members);
    for (size_t i = 0; i < a->n_shared; i++) {
        free(a->shared_with[i]);
    }
    free(a->shared_with);
    free(a);
}

void sb_state_free(sb_ctx *ctx)
{
    sb_state *st = &ctx->st;

    for (size_t i = 0; i < st->n_aud; i++) {
        free_audience(st->aud[i]);
    }
    free(st->aud);
    for (size_t i = 0; i < st->n_files; i++) {
        if (st->files[i]->disk_path != NULL) {
            unlink(st->files[i]->disk_path);
        }
        free(st->files[i]->path_id);
        free(st->files[i]->advertiser_id);
        free(st->files[i]->disk_path);
        free(st->files[i]);
    }
    free(st->files);
    for (size_t i = 0; i < st->n_tokens; i++) {
        free(st->tokens[i].token);
        free(st->tokens[i].app_id);
        free(st->tokens[i].user_id);
    }
    free(st->tokens);
    for (size_t i = 0; i < st->n_codes; i++) {
        free(st->codes[i].code);
        free(st->codes[i].app_id);
        free(st->codes[i].user_id);
    }
    free(st->codes);
    for (size_t i = 0; i < st->n_ops; i++) {
        free(st->ops[i].op);
        free(st->ops[i].action);
        free(st->ops[i].audience_id);
        free(st->ops[i].advertiser_id);
    }
    free(st->ops);
    memset(st, 0, sizeof *st);
}

sb_audience *sb_st_new_audience(sb_ctx *ctx, const char *adv_id,
                                const char *name, int calc_type)
{
    sb_state *st = &ctx->st;
    sb_audience *a = NULL;
    char id[32];
    int64_t now = sb_now_ms(ctx);

    if (st->n_aud == st->cap_aud) {
        size_t ncap = st->cap_aud == 0 ? 64 : st->cap_aud * 2;
        sb_audience **n = realloc(st->aud, ncap * sizeof *n);
        if (n == NULL) {
            return NULL;
        }
        st->aud = n;
        st->cap_aud = ncap;
    }
    a = calloc(1, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    /* 19 digits like TikTok's; sequential so a reset replays the same ids. */
    snprintf(id, sizeof id, "%llu",
             7400000000000000000ULL + (unsigned long long)++st->next_audience);
    a->audience_id = strdup(id);
    a->advertiser_id = strdup(adv_id);
    a->name = strdup(name);
    a->sub_type = strdup("NORMAL");
    a->members = sb_members_new();
    if (a->audience_id == NULL || a->advertiser_id == NULL || a->name == NULL
        || a->sub_type == NULL || a->members == NULL) {
        free_audience(a);
        return NULL;
    }
    a->calculate_type = calc_type;
    a->create_ms = now;
    a->modify_ms = now;
    a->ready_ms = now + ctx->processing_delay_ms;
    st->aud[st->n_aud++] = a;
    return a;
}

void sb_st_delete_audience(sb_ctx *ctx, sb_audience *a)
{
    sb_state *st = &ctx->st;

    for (size_t i = 0; i < st->n_aud; i++) {
        if (st->aud[i] == a) {
            memmove(&st->aud[i], &st->aud[i + 1], (st->n_aud - i - 1) * sizeof *st->aud);
            st->n_aud--;
            free_audience(a);
            return;
        }
    }
}

sb_audience *sb_st_audience(sb_ctx *ctx, const char *id)
{
    for (size_t i = 0; i < ctx->st.n_aud; i++) {
        if (strcmp(ctx->st.aud[i]->audience_id, id) == 0) {
            return ctx->st.aud[i];
        }
    }
    return NULL;
}

size_t sb_st_count_owned(sb_ctx *ctx, const char *adv_id)
{
    size_t n = 0;

    for (size_t i = 0; i < ctx->st.n_aud; i++) {
        n += strcmp(ctx->st.aud[i]->advertiser_id, adv_id) == 0;
    }
    return n;
}

sb_file *sb_st_file(sb_ctx *ctx, const char *path_id)
{
    for (size_t i = 0; i < ctx->st.n_files; i++) {
        if (strcmp(ctx->st.files[i]->path_id, path_id) == 0) {
            return ctx->st.files[i];
        }
    }
    return NULL;
}

int sb_st_add_op(sb_ctx *ctx, const char *op, const char *action,
                 const char *aud_id, const char *adv_id, bool counts_daily)
{
    sb_state *st = &ctx->st;
    sb_op *o;

    if (st->n_ops == st->cap_ops) {
        size_t ncap = st->cap_ops == 0 ? 64 : st->cap_ops * 2;
        sb_op *n = realloc(st->ops, ncap * sizeof *n);
        if (n == NULL) {
            return -1;
        }
        st->ops = n;
        st->cap_ops = ncap;
    }
    o = &st->ops[st->n_ops];
    memset(o, 0, sizeof *o);
    o->op = strdup(op);
    o->action = strdup(action);
    o->audience_id = strdup(aud_id);
    o->advertiser_id = strdup(adv_id);
    if (o->op == NULL || o->action == NULL || o->audience_id == NULL
        || o->advertiser_id == NULL) {
        free(o->op);
        free(o->action);
        free(o->audience_id);
        free(o->advertiser_id);
        return -1;
    }
    o->time_ms = sb_now_ms(ctx);
    sb_utc_day(o->time_ms, o->utc_day, sizeof o->utc_day);
    o->counts_daily = counts_daily;
    st->n_ops++;
    return 0;
}

size_t sb_st_daily_updates(sb_ctx *ctx, const char *adv_id, int64_t now)
{
    char day[11];
    size_t n = 0;

    sb_utc_day(now, day, sizeof day);
    for (size_t i = 0; i < ctx->st.n_ops; i++) {
        const sb_op *o = &ctx->st.ops[i];
        n += o->counts_daily && strcmp(o->advertiser_id, adv_id) == 0
             && strcmp(o->utc_day, day) == 0;
    }
    return n;
}

int64_t sb_aud_expire_ms(const sb_audience *a)
{
    if (a->retention_in_days > 0) {
        return a->create_ms + (int64_t)a->retention_in_days * SB_DAY_MS;
    }
    return a->modify_ms + 365 * SB_DAY_MS;
}

size_t sb_aud_cover(const sb_ctx *ctx, const sb_audience *a)
{
    int64_t now = sb_now_ms(ctx);

    if (now >= sb_aud_expire_ms(a)) {
        return 0;
    }
    if (now < a->ready_ms) {
        return a->prev_cover;
    }
    return sb_members_count(a->members);
}

bool sb_aud_valid(const sb_ctx *ctx, const sb_audience *a)
{
    int64_t now = sb_now_ms(ctx);

    return now >= a->ready_ms && now < sb_aud_expire_ms(a)
           && sb_members_count(a->members) >= SB_MIN_AUDIENCE;
}

int sb_state_reset(sb_ctx *ctx, char *err, size_t errlen)
{
    json_object *advs;

    sb_state_free(ctx);
    ctx->resets++;
    if (!json_object_object_get_ex(ctx->world, "advertisers", &advs)) {
        return 0;
    }
    for (size_t i = 0; i < json_object_array_length(advs); i++) {
        json_object *a = json_object_array_get_idx(advs, i), *pf;
        int64_t n = 0;
        if (json_object_object_get_ex(a, "prefilled_audiences", &pf) && pf != NULL) {
            n = json_object_get_int64(pf);
        }
        for (int64_t k = 0; k < n; k++) {
            char name[64];
            sb_audience *aud;
            snprintf(name, sizeof name, "Prefilled audience %lld", (long long)k + 1);
            aud = sb_st_new_audience(ctx, sb_w_str(a, "advertiser_id"), name,
                                     SB_T_EMAIL_SHA256);
            if (aud == NULL) {
                snprintf(err, errlen, "out of memory creating prefilled audiences");
                return -1;
            }
            aud->ready_ms = aud->create_ms;
        }
    }
    return sb_seed_apply(ctx, err, errlen);
}
