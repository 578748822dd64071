/*
 * mock_host.c - the in-memory test host.
 */
#include <config.h>

#include "mock_host.h"

#include <stdlib.h>

static char *mock_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int mock_append(char **buf, size_t *len, const char *data, size_t n)
{
    char *p = realloc(*buf, *len + n + 1);

    if (p == NULL)
        return -1;
    memcpy(p + *len, data, n);
    *len += n;
    p[*len] = '\0';
    *buf = p;
    return 0;
}

static mock_entry *mock_find(mock_entry *tab, size_t n, const char *key)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(tab[i].key, key) == 0)
            return &tab[i];
    return NULL;
}

static mock_entry *mock_find_or_add(mock_entry *tab, size_t *n, const char *key)
{
    mock_entry *e = mock_find(tab, *n, key);

    if (e != NULL || *n >= MOCK_MAX_ENTRIES)
        return e;
    e = &tab[*n];
    memset(e, 0, sizeof(*e));
    e->key = mock_strndup(key, strlen(key));
    if (e->key == NULL)
        return NULL;
    (*n)++;
    return e;
}

static void mock_log(void *ctx, int32_t level, const char *msg)
{
    mock_host *m = ctx;
    static const char *names[] = {"ERROR ", "WARN ", "INFO ", "DEBUG "};
    const char *lv = (level >= 0 && level <= 3) ? names[level] : "? ";

    pthread_mutex_lock(&m->lock);
    if (mock_append(&m->log, &m->log_len, lv, strlen(lv)) == 0
        && mock_append(&m->log, &m->log_len, msg, strlen(msg)) == 0)
        (void) mock_append(&m->log, &m->log_len, "\n", 1);
    pthread_mutex_unlock(&m->lock);
}

static const char *mock_option(void *ctx, const char *name)
{
    mock_host *m = ctx;
    size_t i;

    for (i = 0; i < m->noptions; i++)
        if (strcmp(m->option_names[i], name) == 0)
            return m->option_values[i];
    return NULL;
}

static int64_t mock_now(void *ctx)
{
    mock_host *m = ctx;
    int64_t t;

    pthread_mutex_lock(&m->lock);
    t = m->now_ms;
    pthread_mutex_unlock(&m->lock);
    return t;
}

static int32_t mock_cancelled(void *ctx)
{
    mock_host *m = ctx;
    int32_t c;

    pthread_mutex_lock(&m->lock);
    if (m->cancel_after_polls > 0 && --m->cancel_after_polls == 0)
        m->cancelled = 1;
    c = m->cancelled;
    pthread_mutex_unlock(&m->lock);
    return c;
}

static aconn_status mock_get(mock_host *m, mock_entry *tab, size_t n, const char *key,
                             char *buf, size_t buflen, size_t *len, uint64_t *version)
{
    mock_entry *e;
    aconn_status st;

    pthread_mutex_lock(&m->lock);
    e = mock_find(tab, n, key);
    if (version != NULL)
        *version = 0;
    if (e == NULL || e->value == NULL) {
        st = ACONN_ERR_NOT_FOUND;
    } else if (buflen <= e->len) {
        *len = e->len;
        st = ACONN_ERR_TOO_SMALL;
    } else {
        memcpy(buf, e->value, e->len);
        buf[e->len] = '\0';
        *len = e->len;
        if (version != NULL)
            *version = e->version;
        st = ACONN_OK;
    }
    pthread_mutex_unlock(&m->lock);
    return st;
}

static aconn_status mock_secret_get(void *ctx, const char *name, char *buf, size_t buflen,
                                    size_t *len)
{
    mock_host *m = ctx;
    return mock_get(m, m->secrets, m->nsecrets, name, buf, buflen, len, NULL);
}

static aconn_status mock_secret_put(void *ctx, const char *name, const char *value,
                                    size_t len)
{
    mock_host *m = ctx;
    mock_entry *e;
    aconn_status st = ACONN_ERR_FATAL;

    pthread_mutex_lock(&m->lock);
    e = mock_find_or_add(m->secrets, &m->nsecrets, name);
    if (e != NULL) {
        free(e->value);
        e->value = value != NULL ? mock_strndup(value, len) : NULL;
        e->len = value != NULL ? len : 0;
        e->version++;
        st = (value == NULL || e->value != NULL) ? ACONN_OK : ACONN_ERR_FATAL;
    }
    pthread_mutex_unlock(&m->lock);
    return st;
}

static aconn_status mock_state_get(void *ctx, const char *key, char *buf, size_t buflen,
                                   size_t *len, uint64_t *version)
{
    mock_host *m = ctx;
    return mock_get(m, m->state, m->nstate, key, buf, buflen, len, version);
}

static aconn_status mock_state_cas(void *ctx, const char *key, uint64_t expected,
                                   const char *value, size_t len, uint64_t *new_version)
{
    mock_host *m = ctx;
    mock_entry *e;
    uint64_t current;
    aconn_status st = ACONN_ERR_FATAL;

    pthread_mutex_lock(&m->lock);
    if (m->fail_state_cas > 0) {
        m->fail_state_cas--;
        goto cleanup;
    }
    e = mock_find_or_add(m->state, &m->nstate, key);
    if (e == NULL)
        goto cleanup;
    current = e->value != NULL ? e->version : 0;
    if (current != expected) {
        st = ACONN_ERR_CONFLICT;
        goto cleanup;
    }
    free(e->value);
    e->value = NULL;
    e->len = 0;
    if (value != NULL) {
        e->value = mock_strndup(value, len);
        if (e->value == NULL)
            goto cleanup;
        e->len = len;
        e->version++;
        *new_version = e->version;
    } else {
        *new_version = 0;
    }
    st = ACONN_OK;
cleanup:
    pthread_mutex_unlock(&m->lock);
    return st;
}

static aconn_status mock_write(void *ctx, const char *data, size_t len)
{
    mock_host *m = ctx;
    aconn_status st;

    pthread_mutex_lock(&m->lock);
    st = mock_append(&m->output, &m->output_len, data, len) == 0 ? ACONN_OK : ACONN_ERR_FATAL;
    pthread_mutex_unlock(&m->lock);
    return st;
}

static aconn_status mock_pace(void *ctx, const char *key, uint32_t n, uint32_t flags,
                              int64_t *wait_ms)
{
    mock_host *m = ctx;

    if (key == NULL || wait_ms == NULL)
        return ACONN_ERR_INVALID;
    pthread_mutex_lock(&m->lock);
    snprintf(m->pace_key, sizeof(m->pace_key), "%s", key);
    if (flags & ACONN_PACE_REFUSED)
        m->pace_refusals++;
    else
        m->pace_grants += (int) n;
    *wait_ms = m->pace_wait_ms;
    pthread_mutex_unlock(&m->lock);
    return ACONN_OK;
}

void mock_host_enable_pace(mock_host *m, int64_t wait_ms)
{
    m->pace_wait_ms = wait_ms;
    m->host.pace = mock_pace;
}

mock_host *mock_host_new(void)
{
    mock_host *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    m->now_ms = 1700000000000LL;
    m->host.struct_size = sizeof(aconn_host);
    m->host.abi_major = ACONN_ABI_MAJOR;
    m->host.abi_minor = ACONN_ABI_MINOR;
    m->host.ctx = m;
    m->host.log = mock_log;
    m->host.option = mock_option;
    m->host.now_ms = mock_now;
    m->host.cancelled = mock_cancelled;
    m->host.secret_get = mock_secret_get;
    m->host.secret_put = mock_secret_put;
    m->host.state_get = mock_state_get;
    m->host.state_cas = mock_state_cas;
    m->out.struct_size = sizeof(aconn_output);
    m->out.ctx = m;
    m->out.write = mock_write;
    return m;
}

static void mock_entries_free(mock_entry *tab, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(tab[i].key);
        free(tab[i].value);
    }
}

void mock_host_free(mock_host *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->noptions; i++) {
        free(m->option_names[i]);
        free(m->option_values[i]);
    }
    mock_entries_free(m->secrets, m->nsecrets);
    mock_entries_free(m->state, m->nstate);
    free(m->log);
    free(m->output);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void mock_host_set_option(mock_host *m, const char *name, const char *value)
{
    size_t i;

    for (i = 0; i < m->noptions; i++) {
        if (strcmp(m->option_names[i], name) == 0) {
            free(m->option_values[i]);
            m->option_values[i] = value != NULL ? mock_strndup(value, strlen(value)) : NULL;
            return;
        }
    }
    if (m->noptions >= MOCK_MAX_OPTIONS)
        return;
    m->option_names[m->noptions] = mock_strndup(name, strlen(name));
    m->option_values[m->noptions] = value != NULL ? mock_strndup(value, strlen(value)) : NULL;
    m->noptions++;
}

void mock_host_set_secret(mock_host *m, const char *name, const char *value)
{
    (void) mock_secret_put(m, name, value, value != NULL ? strlen(value) : 0);
}

const char *mock_host_secret(mock_host *m, const char *name)
{
    mock_entry *e = mock_find(m->secrets, m->nsecrets, name);
    return e != NULL ? e->value : NULL;
}

const char *mock_host_state(mock_host *m, const char *key)
{
    mock_entry *e = mock_find(m->state, m->nstate, key);
    return e != NULL ? e->value : NULL;
}

void mock_host_clear_output(mock_host *m)
{
    free(m->output);
    m->output = NULL;
    m->output_len = 0;
}

int mock_host_leaks(const mock_host *m, const aconn_error *err, const char *needle)
{
    if (needle == NULL || needle[0] == '\0')
        return 0;
    if (m != NULL && m->log != NULL && strstr(m->log, needle) != NULL)
        return 1;
    if (m != NULL && m->output != NULL && strstr(m->output, needle) != NULL)
        return 1;
    if (err != NULL
        && (strstr(err->message, needle) != NULL || strstr(err->code, needle) != NULL
            || strstr(err->field, needle) != NULL || strstr(err->profile, needle) != NULL
            || strstr(err->request_id, needle) != NULL
            || strstr(err->remote_code, needle) != NULL))
        return 1;
    return 0;
}

void mock_error_init(aconn_error *err)
{
    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
}
