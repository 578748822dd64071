/* sb_faults.c: deterministic fault injection and the optional QPS limit.
 * A fault is a pure function of (seed, request number, path), so the
 * same request sequence meets the same faults run after run. */
#include "sb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t sb_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int parse_prob(const char *v, double *out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d >= 0.0 && d <= 1.0)) {
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_u64(const char *v, uint64_t *out)
{
    char *end;
    unsigned long long n;

    if (*v == '-' || *v == '\0') {
        return -1;
    }
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0') {
        return -1;
    }
    *out = n;
    return 0;
}

/* One name=value of the spec into f. 0 ok, -1 with err filled. */
static int sb_fault_set(sb_faults *f, const char *name, const char *val,
                        char *err, size_t errlen)
{
    uint64_t n;
    double *dst;

    if (strcmp(name, "seed") == 0) {
        if (parse_u64(val, &f->seed) != 0) {
            snprintf(err, errlen, "fault spec: seed must be an unsigned integer");
            return -1;
        }
        return 0;
    }
    if (strcmp(name, "slow_ms") == 0) {
        if (parse_u64(val, &n) != 0 || n > 60000) {
            snprintf(err, errlen, "fault spec: slow_ms must be 0..60000");
            return -1;
        }
        f->slow_ms = (long)n;
        return 0;
    }
    if (strcmp(name, "endpoints") == 0) {
        if (strlen(val) >= sizeof f->endpoints) {
            snprintf(err, errlen, "fault spec: endpoints is too long");
            return -1;
        }
        snprintf(f->endpoints, sizeof f->endpoints, "%s", val);
        return 0;
    }
    dst = strcmp(name, "rate_limit") == 0 ? &f->rate_limit
        : strcmp(name, "server_error") == 0 ? &f->server_error
        : strcmp(name, "drop") == 0 ? &f->drop
        : strcmp(name, "slow") == 0 ? &f->slow
        : strcmp(name, "lost_response") == 0 ? &f->lost_response
        : NULL;
    if (dst == NULL) {
        snprintf(err, errlen, "fault spec: unknown fault '%s' (known: seed, "
                 "rate_limit, server_error, drop, slow, slow_ms, "
                 "lost_response, endpoints)", name);
        return -1;
    }
    if (parse_prob(val, dst) != 0) {
        snprintf(err, errlen, "fault spec: %s must be a probability in [0,1]", name);
        return -1;
    }
    return 0;
}

/* One comma-separated item, cut in place; blank items are skipped so a
 * spec may end in a comma or be written over several lines. */
static int sb_fault_item(sb_faults *f, char *tok, char *err, size_t errlen)
{
    char *eq, *name = tok, *val;

    while (*name == ' ' || *name == '\n' || *name == '\t') {
        name++;
    }
    if (*name == '\0') {
        return 0;
    }
    eq = strchr(name, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "fault spec: '%s' is not name=value", name);
        return -1;
    }
    *eq = '\0';
    val = eq + 1;
    val[strcspn(val, " \t\r\n")] = '\0';
    return sb_fault_set(f, name, val, err, errlen);
}

int sb_faults_parse(const char *spec, uint64_t base_seed, sb_faults *out,
                    char *err, size_t errlen)
{
    sb_faults f;
    char *copy = NULL, *save = NULL, *tok;
    int rc = -1;

    memset(&f, 0, sizeof f);
    f.seed = base_seed;
    f.slow_ms = 2000;
    copy = strdup(spec != NULL ? spec : "");
    if (copy == NULL) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (sb_fault_item(&f, tok, err, errlen) != 0) {
            goto cleanup;
        }
    }
    if (f.rate_limit + f.server_error + f.drop + f.slow + f.lost_response > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault spec: the probabilities add up to more than 1");
        goto cleanup;
    }
    snprintf(f.spec, sizeof f.spec,
             "seed=%llu,rate_limit=%g,server_error=%g,drop=%g,slow=%g,"
             "slow_ms=%ld,lost_response=%g%s%s",
             (unsigned long long)f.seed, f.rate_limit, f.server_error, f.drop,
             f.slow, f.slow_ms, f.lost_response,
             f.endpoints[0] != '\0' ? ",endpoints=" : "", f.endpoints);
    *out = f;
    rc = 0;
cleanup:
    free(copy);
    return rc;
}

static bool path_matches(const char *endpoints, const char *path)
{
    const char *p = endpoints;

    if (*p == '\0') {
        return true;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "|");
        if (n > 0) {
            char sub[512];
            snprintf(sub, sizeof sub, "%.*s", (int)n, p);
            if (strstr(path, sub) != NULL) {
                return true;
            }
        }
        p += n;
        if (*p == '|') {
            p++;
        }
    }
    return false;
}

enum sb_fault sb_faults_pick(const sb_faults *f, uint64_t n, const char *path)
{
    uint64_t h = sb_splitmix64(f->seed ^ sb_splitmix64(n));
    double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
    unsigned sub = (unsigned)(sb_splitmix64(h) % 6);
    double edge = 0.0;

    if (!path_matches(f->endpoints, path)) {
        return SB_F_NONE;
    }
    if (u < (edge += f->rate_limit)) {
        return sub % 2 == 0 ? SB_F_RATE_40100 : SB_F_RATE_40133;
    }
    if (u < (edge += f->server_error)) {
        return sub % 3 == 0 ? SB_F_SERVER_50000
             : sub % 3 == 1 ? SB_F_SERVER_50002 : SB_F_SERVER_HTTP503;
    }
    if (u < (edge += f->drop)) {
        return SB_F_DROP;
    }
    if (u < (edge += f->slow)) {
        return SB_F_SLOW;
    }
    if (u < (edge += f->lost_response)) {
        return SB_F_LOST_RESPONSE;
    }
    return SB_F_NONE;
}

/* ---- token buckets per (app, endpoint) -------------------------------- */

typedef struct {
    char key[256];
    double tokens;
    int64_t last_ms;
} bucket;

struct sb_qps {
    pthread_mutex_t lock;
    double rate;
    bucket *b;
    size_t n, cap;
};

sb_qps *sb_qps_new(double qps)
{
    sb_qps *q = calloc(1, sizeof *q);

    if (q == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        free(q);
        return NULL;
    }
    q->rate = qps;
    return q;
}

void sb_qps_free(sb_qps *q)
{
    if (q == NULL) {
        return;
    }
    pthread_mutex_destroy(&q->lock);
    free(q->b);
    free(q);
}

bool sb_qps_take(sb_qps *q, const char *app_id, const char *path)
{
    char key[256];
    bucket *b = NULL;
    int64_t now = sb_mono_ms();
    bool ok = true;

    snprintf(key, sizeof key, "%s %s", app_id, path);
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->b[i].key, key) == 0) {
            b = &q->b[i];
            break;
        }
    }
    if (b == NULL) {
        if (q->n == q->cap) {
            size_t ncap = q->cap == 0 ? 16 : q->cap * 2;
            bucket *nb = realloc(q->b, ncap * sizeof *nb);
            if (nb == NULL) {
                goto cleanup;  /* fail open: never block on our own OOM */
            }
            q->b = nb;
            q->cap = ncap;
        }
        b = &q->b[q->n++];
        snprintf(b->key, sizeof b->key, "%s", key);
        b->tokens = q->rate;
        b->last_ms = now;
    }
    b->tokens += (double)(now - b->last_ms) * q->rate / 1000.0;
    if (b->tokens > q->rate) {
        b->tokens = q->rate;   /* burst of one second's worth */
    }
    b->last_ms = now;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
    } else {
        ok = false;
    }
cleanup:
    pthread_mutex_unlock(&q->lock);
    return ok;
}
