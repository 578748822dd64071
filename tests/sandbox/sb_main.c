/* sb_main.c: the tiktok-sandbox command line. Parses options, loads the
 * world, starts the server, prints the ready line and waits for SIGTERM
 * or SIGINT (with sigwait, so no handler and no global flag). */
#include <config.h>

#include "sb.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: tiktok-sandbox [OPTION]...\n"
    "A local TikTok Marketing API v1.3 server for tests and demos.\n"
    "\n"
    "  --listen HOST:PORT        address to listen on (default 127.0.0.1:0; port 0\n"
    "                            picks a free port, printed in the ready line)\n"
    "  --tls-cert FILE           PEM server certificate; serve HTTPS (needs --tls-key)\n"
    "  --tls-key FILE            PEM private key for --tls-cert\n"
    "  --world FILE              load the world (apps, users, Business Centers,\n"
    "                            advertisers, tokens, audiences) from a JSON file;\n"
    "                            default: built in\n"
    "  --print-world             print the world JSON (with the app secret) and exit\n"
    "  --faults SPEC             inject faults: comma-separated name=value from\n"
    "                            seed=N, rate_limit=P, server_error=P, drop=P, slow=P,\n"
    "                            slow_ms=N, lost_response=P, endpoints=substr|substr\n"
    "  --seed N                  seed for fault injection when SPEC has no seed= (default 1)\n"
    "  --processing-delay-ms N   audiences stay processing this long after a create\n"
    "                            or update, in sandbox-clock time (default 0)\n"
    "  --busy-while-processing   updates with files to an audience still processing\n"
    "                            answer 40002 \"being updated or under processing\"\n"
    "  --qps N                   per-app, per-endpoint limit; excess gets code 40100\n"
    "  --data-dir DIR            where uploaded files are stored (default: a fresh\n"
    "                            temporary directory, removed at exit)\n"
    "  --threads N               server threads (default 4)\n"
    "  --help                    show this help and exit\n"
    "  --version                 print the version and exit\n"
    "\n"
    "When ready it prints one line on stdout:\n"
    "  {\"event\":\"ready\",\"base_url\":\"https://127.0.0.1:PORT\",\"pid\":N}\n"
    "TikTok's API is under BASE/open_api/v1.3/, the consent page is BASE/portal/auth,\n"
    "the control API is under BASE/sandbox/ (see tests/sandbox/README.md).\n"
    "SIGTERM or SIGINT stops it cleanly.\n";

typedef struct {
    const char *listen;
    const char *tls_cert, *tls_key;
    const char *world;
    bool print_world;
    bool busy;
    const char *faults;
    uint64_t seed;
    long delay_ms;
    double qps;
    const char *data_dir;
    long threads;
} sb_opts;

static int parse_long(const char *name, const char *v, long min, long max, long *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        fprintf(stderr, "tiktok-sandbox: %s must be an integer in [%ld, %ld], got '%s'\n",
                name, min, max, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* Splits argv[*i] into its option name and, for the options that take one,
 * its value ("--x=v" or "--x v"; the latter consumes argv[*i + 1]). */
static int sb_opt_split(int argc, char **argv, int *i, char *name, size_t namelen,
                        const char **v)
{
    static const char *const with_value[] = {
        "--listen", "--tls-cert", "--tls-key", "--world", "--faults", "--seed",
        "--processing-delay-ms", "--qps", "--data-dir", "--threads",
    };
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    bool takes = false;

    *v = NULL;
    if (strncmp(a, "--", 2) != 0 || strlen(a) >= namelen) {
        fprintf(stderr, "tiktok-sandbox: unexpected argument '%s' (try --help)\n", a);
        return -1;
    }
    snprintf(name, namelen, "%.*s", eq != NULL ? (int)(eq - a) : (int)strlen(a), a);
    for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) {
        takes |= strcmp(name, with_value[k]) == 0;
    }
    if (takes) {
        if (eq != NULL) {
            *v = eq + 1;
        } else if (*i + 1 < argc) {
            *v = argv[++*i];
        } else {
            fprintf(stderr, "tiktok-sandbox: %s needs a value (try --help)\n", name);
            return -1;
        }
    } else if (eq != NULL) {
        fprintf(stderr, "tiktok-sandbox: %s takes no value\n", name);
        return -1;
    }
    return 0;
}

/* One option into o: a flat table of names, kept as one chain so every
 * option is seen in one place. 0 ok, 1 help/version printed, -1 usage
 * error. */
static int sb_opt_apply(sb_opts *o, const char *name, const char *v)
{
    long n;

    if (strcmp(name, "--help") == 0) {
        fputs(usage, stdout);
        return 1;
    } else if (strcmp(name, "--version") == 0) {
        printf("tiktok-sandbox %s (TikTok Marketing API v1.3)\n", PACKAGE_VERSION);
        return 1;
    } else if (strcmp(name, "--print-world") == 0) {
        o->print_world = true;
    } else if (strcmp(name, "--busy-while-processing") == 0) {
        o->busy = true;
    } else if (strcmp(name, "--listen") == 0) {
        o->listen = v;
    } else if (strcmp(name, "--tls-cert") == 0) {
        o->tls_cert = v;
    } else if (strcmp(name, "--tls-key") == 0) {
        o->tls_key = v;
    } else if (strcmp(name, "--world") == 0) {
        o->world = v;
    } else if (strcmp(name, "--faults") == 0) {
        o->faults = v;
    } else if (strcmp(name, "--data-dir") == 0) {
        o->data_dir = v;
    } else if (strcmp(name, "--seed") == 0) {
        if (parse_long(name, v, 0, LONG_MAX, &n) != 0) {
            return -1;
        }
        o->seed = (uint64_t)n;
    } else if (strcmp(name, "--processing-delay-ms") == 0) {
        if (parse_long(name, v, 0, 30L * 24 * 3600 * 1000, &o->delay_ms) != 0) {
            return -1;
        }
    } else if (strcmp(name, "--qps") == 0) {
        if (parse_long(name, v, 1, 1000000, &n) != 0) {
            return -1;
        }
        o->qps = (double)n;
    } else if (strcmp(name, "--threads") == 0) {
        if (parse_long(name, v, 1, 64, &o->threads) != 0) {
            return -1;
        }
    } else {
        fprintf(stderr, "tiktok-sandbox: unknown option '%s' (try --help)\n", name);
        return -1;
    }
    return 0;
}

/* 0 ok, 1 help printed, -1 usage error. */
static int parse_args(int argc, char **argv, sb_opts *o)
{
    o->listen = "127.0.0.1:0";
    o->seed = 1;
    o->threads = 4;
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *v;
        int r;

        if (sb_opt_split(argc, argv, &i, name, sizeof name, &v) != 0) {
            return -1;
        }
        r = sb_opt_apply(o, name, v);
        if (r != 0) {
            return r;
        }
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        fprintf(stderr, "tiktok-sandbox: --tls-cert and --tls-key go together\n");
        return -1;
    }
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 16L * 1024 * 1024
        || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL) {
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

static int split_listen(const char *listen, char *host, size_t hlen, unsigned *port)
{
    const char *colon = strrchr(listen, ':');
    long p;

    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= hlen) {
        fprintf(stderr, "tiktok-sandbox: --listen must be HOST:PORT, e.g. 127.0.0.1:0\n");
        return -1;
    }
    snprintf(host, hlen, "%.*s", (int)(colon - listen), listen);
    if (parse_long("--listen port", colon + 1, 0, 65535, &p) != 0) {
        return -1;
    }
    *port = (unsigned)p;
    return 0;
}

static void remove_data_dir(const char *dir)
{
    /* Registered files are unlinked by sb_state_free; only the directory
     * itself (and anything a crashed upload left) remains. */
    if (rmdir(dir) != 0 && errno != ENOENT) {
        fprintf(stderr, "tiktok-sandbox: could not remove %s: %s\n", dir, strerror(errno));
    }
}

/* Where parsing stands: the byte offset and its line and column (1-based). */
typedef struct sb_where {
    size_t byte, line, column;
} sb_where;

static void sb_where_advance(sb_where *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        w->byte++;
        if (s[i] == '\n') {
            w->line++;
            w->column = 1;
        } else {
            w->column++;
        }
    }
}

/* The --world file parsed as json_object_from_file() would, but streamed
   through a json_tokener of our own so a syntax error can say where it is
   (line, column, byte) and why, in words a person can act on:
   json_util_get_last_err() names json-c's internal functions instead. A
   saved state can be large: read in chunks, never whole. NULL with the
   message printed. */
static json_object *sb_read_world(const char *path)
{
    FILE *f = fopen(path, "rb");
    json_tokener *tok = NULL;
    json_object *obj = NULL;
    enum json_tokener_error jerr = json_tokener_continue;
    sb_where at = {0, 1, 1};
    char buf[65536];

    if (f == NULL || (tok = json_tokener_new()) == NULL) {
        fprintf(stderr, "tiktok-sandbox: --world %s: cannot read it: %s\n", path,
                f == NULL ? strerror(errno) : "out of memory");
        goto cleanup;
    }
    while (jerr == json_tokener_continue) {
        size_t n = fread(buf, 1, sizeof buf, f);

        if (n == 0 && ferror(f)) {
            fprintf(stderr, "tiktok-sandbox: --world %s: cannot read it: %s\n", path,
                    strerror(errno));
            goto cleanup;
        }
        /* At the end the tokener is given the NUL it takes for the end of
           the input: what is still open is an "unexpected end of data". */
        obj = n > 0 ? json_tokener_parse_ex(tok, buf, (int) n) : json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        if (n == 0 && jerr == json_tokener_continue)
            jerr = json_tokener_error_parse_eof;
        sb_where_advance(&at, buf, jerr == json_tokener_continue ? n
                                   : n > 0 ? json_tokener_get_parse_end(tok) : 0);
    }
    if (jerr != json_tokener_success)
        fprintf(stderr, "tiktok-sandbox: --world %s: not valid JSON at line %zu, column %zu "
                "(byte %zu): %s; fix the JSON, or start from tiktok-sandbox --print-world\n",
                path, at.line, at.column, at.byte, json_tokener_error_desc(jerr));
    else if (obj == NULL)
        fprintf(stderr, "tiktok-sandbox: --world %s: the JSON is null, not a world; start "
                "from tiktok-sandbox --print-world\n", path);
cleanup:
    if (jerr != json_tokener_success) {
        json_object_put(obj);
        obj = NULL;
    }
    if (tok != NULL)
        json_tokener_free(tok);
    if (f != NULL)
        fclose(f);
    return obj;
}

/* --world or the built-in one, validated, with the copy reset restores. */
static int sb_load_world(sb_ctx *ctx, const sb_opts *o)
{
    char err[512];

    if (o->world != NULL) {
        ctx->world = sb_read_world(o->world);
        if (ctx->world == NULL)
            return -1;
    } else {
        ctx->world = sb_world_default();
    }
    if (ctx->world == NULL || sb_world_validate(ctx->world, err, sizeof err) != 0) {
        fprintf(stderr, "tiktok-sandbox: %s\n", ctx->world == NULL ? "out of memory" : err);
        return -1;
    }
    if (json_object_deep_copy(ctx->world, &ctx->world_loaded, NULL) != 0) {
        fprintf(stderr, "tiktok-sandbox: out of memory\n");
        return -1;
    }
    return 0;
}

/* On failure *cert and *key may hold one of the two: the caller frees both. */
static int sb_read_tls(const sb_opts *o, char **cert, char **key)
{
    if (o->tls_cert == NULL) {
        return 0;
    }
    *cert = read_file(o->tls_cert);
    *key = read_file(o->tls_key);
    if (*cert == NULL || *key == NULL) {
        fprintf(stderr, "tiktok-sandbox: cannot read --tls-cert/--tls-key (%s, %s)\n",
                o->tls_cert, o->tls_key);
        return -1;
    }
    return 0;
}

/* --data-dir as given (kept at exit), or a fresh one removed at exit. */
static int sb_make_data_dir(sb_ctx *ctx, const sb_opts *o)
{
    char tmpl[] = "/tmp/tiktok-sandbox-XXXXXX";

    if (o->data_dir != NULL) {
        if (mkdir(o->data_dir, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "tiktok-sandbox: --data-dir %s: %s\n", o->data_dir,
                    strerror(errno));
            return -1;
        }
        ctx->data_dir = strdup(o->data_dir);
    } else {
        if (mkdtemp(tmpl) == NULL) {
            fprintf(stderr, "tiktok-sandbox: cannot create a data directory: %s\n",
                    strerror(errno));
            return -1;
        }
        ctx->data_dir = strdup(tmpl);
        /* Owned only once the name is kept: cleanup rmdir()s what it owns. */
        ctx->data_dir_owned = ctx->data_dir != NULL;
        if (ctx->data_dir == NULL)
            rmdir(tmpl);
    }
    if (ctx->data_dir == NULL) {
        fprintf(stderr, "tiktok-sandbox: out of memory\n");
        return -1;
    }
    return 0;
}

/* The options as they are now and as /sandbox/reset restores them, then
 * the live state. *lock_ok tells the caller the lock needs destroying. */
static int sb_ctx_setup(sb_ctx *ctx, const sb_opts *o, bool *lock_ok)
{
    char err[512];

    if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
        fprintf(stderr, "tiktok-sandbox: out of memory\n");
        return -1;
    }
    *lock_ok = true;
    ctx->base_seed = o->seed;
    if (RAND_bytes((unsigned char *)&ctx->rid_salt, sizeof ctx->rid_salt) != 1) {
        ctx->rid_salt = (uint64_t)getpid();
    }
    ctx->processing_delay_ms = o->delay_ms;
    ctx->initial_delay_ms = o->delay_ms;
    ctx->busy_while_processing = o->busy;
    ctx->initial_busy = o->busy;
    ctx->by_endpoint = json_object_new_object();
    ctx->by_advertiser = json_object_new_object();
    if (sb_faults_parse(o->faults, o->seed, &ctx->faults, err, sizeof err) != 0) {
        fprintf(stderr, "tiktok-sandbox: --faults: %s\n", err);
        return -1;
    }
    ctx->initial_faults = ctx->faults;
    if (o->qps > 0 && (ctx->qps = sb_qps_new(o->qps)) == NULL) {
        fprintf(stderr, "tiktok-sandbox: out of memory\n");
        return -1;
    }
    if (ctx->by_endpoint == NULL || sb_state_reset(ctx, err, sizeof err) != 0) {
        fprintf(stderr, "tiktok-sandbox: %s\n",
                ctx->by_endpoint == NULL ? "out of memory" : err);
        return -1;
    }
    return 0;
}

/* Starts the server, prints the ready line and waits for a stop signal;
 * the server is stopped again before it returns. */
static int sb_serve(sb_ctx *ctx, const sb_server_opts *so)
{
    sb_server *srv;
    char err[512];
    unsigned bound = 0;
    sigset_t sigs;
    int sig;

    /* Block the stop signals before MHD starts its threads so they inherit
     * the mask and sigwait below is the only receiver. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv = sb_server_start(ctx, so, &bound, err, sizeof err);
    if (srv == NULL) {
        fprintf(stderr, "tiktok-sandbox: %s\n", err);
        return -1;
    }
    printf("{\"event\":\"ready\",\"base_url\":\"%s://%s:%u\",\"pid\":%ld}\n",
           so->tls_cert_pem != NULL ? "https" : "http", so->host, bound, (long)getpid());
    fflush(stdout);
    do {
        if (sigwait(&sigs, &sig) != 0) {
            break;
        }
    } while (sig != SIGTERM && sig != SIGINT);
    sb_server_stop(srv);
    return 0;
}

static void sb_ctx_free(sb_ctx *ctx, bool lock_ok)
{
    if (lock_ok) {
        sb_state_free(ctx);
        pthread_mutex_destroy(&ctx->lock);
    }
    if (ctx->data_dir_owned) {
        remove_data_dir(ctx->data_dir);
    }
    sb_qps_free(ctx->qps);
    sb_inject_free(ctx->inject);
    json_object_put(ctx->by_endpoint);
    json_object_put(ctx->by_advertiser);
    json_object_put(ctx->world);
    json_object_put(ctx->world_loaded);
    free(ctx->data_dir);
}

int main(int argc, char **argv)
{
    sb_opts o;
    sb_ctx ctx;
    sb_server_opts so;
    char host[64];
    char *cert = NULL, *key = NULL;
    unsigned port = 0;
    int rc = 1, pr;
    bool lock_ok = false;

    memset(&o, 0, sizeof o);
    memset(&ctx, 0, sizeof ctx);
    pr = parse_args(argc, argv, &o);
    if (pr != 0) {
        return pr > 0 ? 0 : 2;
    }
    if (split_listen(o.listen, host, sizeof host, &port) != 0) {
        return 2;
    }
    if (sb_load_world(&ctx, &o) != 0) {
        goto cleanup;
    }
    if (o.print_world) {
        puts(json_object_to_json_string_ext(ctx.world, JSON_C_TO_STRING_PRETTY
                                                        | JSON_C_TO_STRING_NOSLASHESCAPE));
        rc = 0;
        goto cleanup;
    }
    if (sb_read_tls(&o, &cert, &key) != 0 || sb_make_data_dir(&ctx, &o) != 0
        || sb_ctx_setup(&ctx, &o, &lock_ok) != 0) {
        goto cleanup;
    }
    so.host = host;
    so.port = port;
    so.tls_cert_pem = cert;
    so.tls_key_pem = key;
    so.threads = (unsigned)o.threads;
    if (sb_serve(&ctx, &so) != 0) {
        goto cleanup;
    }
    rc = 0;
cleanup:
    sb_ctx_free(&ctx, lock_ok);
    free(cert);
    if (key != NULL) {
        OPENSSL_cleanse(key, strlen(key));   /* the private key */
        free(key);
    }
    return rc;
}
