/*
 * gen_dataset.c - writes a deterministic JSON Lines dataset of Rosetta Stone
 * records for the demo, the tests and the benchmarks.
 *
 *   tt-gen-dataset --records N [--seed S] [--invalid-pct P] [--remove-pct P]
 *                  [--bad-lines-pct P] [--clear-emails-pct P] [--out FILE]
 *
 * Identifier values are pseudo-random 256-bit numbers written as 64 hex
 * digits: to TikTok (and to the connector) they are indistinguishable from
 * SHA-256 digests, and drawing them from splitmix64 instead of hashing keeps
 * a 10-million-record benchmark dataset quick to make.
 *
 * The same (records, seed, options) always give the same bytes, so tests can
 * recompute the expected audience members from the file itself.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen_opts {
    uint64_t records;
    uint64_t seed;
    double invalid_pct;
    double remove_pct;
    double bad_lines_pct;
    double clear_emails_pct;
    const char *out;
} gen_opts;

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform draw in [0, 100). */
static double percent(uint64_t *rng)
{
    return (double) (splitmix64(rng) >> 11) * (100.0 / 9007199254740992.0);
}

/* The identity of "user u": the same u always yields the same digests, which
   is how removal records name members that earlier records added. */
static void digest_hex(uint64_t seed, uint64_t user, unsigned kind, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t st = seed ^ (user * 0x100000001b3ULL) ^ ((uint64_t) kind << 56);
    for (int w = 0; w < 4; w++) {
        uint64_t v = splitmix64(&st);
        for (int i = 0; i < 16; i++)
            out[w * 16 + i] = hex[(v >> (60 - 4 * i)) & 0xf];
    }
    out[64] = '\0';
}

enum { K_EMAIL, K_PHONE, K_IDFA, K_GAID, K_COUNT };

/* Direct and generic spellings of each identifier, as the seed's table allows. */
static void write_attr(FILE *f, int *first, unsigned kind, int generic, const char *value)
{
    static const char *direct[K_COUNT] = {
        "sha256_hashed_email", "sha256_hashed_phone_number", "apple_idfa",
        "android_advertising_id"
    };
    static const char *generic_name[K_COUNT] = {
        "hashed_email", NULL, "mobile_id_unique_identifier",
        "mobile_id_unique_identifier"
    };
    static const char *type[K_COUNT] = {
        "sha256_hashed_email", "sha256_hashed_phone_number", "apple_idfa",
        "android_advertising_id"
    };
    const char *name = generic && generic_name[kind] ? generic_name[kind] : direct[kind];

    fprintf(f, "%s\"%s\":{\"type\":\"%s\",\"value\":\"%s\"}", *first ? "" : ",", name,
            type[kind], value);
    *first = 0;
}

/* Damage a valid digest in one of the ways the connector must reject. */
static void make_invalid(uint64_t *rng, char value[65])
{
    switch (splitmix64(rng) % 4) {
    case 0: value[63] = '\0'; break;              /* wrong length */
    case 1: value[10] = 'g'; break;               /* not hex */
    case 2: value[0] = '\0'; break;               /* empty */
    default: memcpy(value + 60, "zz!!", 4); break;
    }
}

static int generate(const gen_opts *o, FILE *f)
{
    uint64_t rng = o->seed * 0x2545f4914f6cdd1dULL + 1;
    char value[65];

    for (uint64_t i = 1; i <= o->records; i++) {
        int first = 1;
        int remove = percent(&rng) < o->remove_pct && i > 10;
        /* A removal names an earlier user so it takes a real member out. */
        uint64_t user = remove ? 1 + splitmix64(&rng) % (i - 1) : i;

        if (percent(&rng) < o->bad_lines_pct) {
            fputs((splitmix64(&rng) & 1) ? "{\"sha256_hashed_email\":{\"value\":\"abc\"\n"
                                         : "[1,2,3]\n", f);
            continue;
        }
        fputc('{', f);
        /* Which identifiers user `user` has is a property of the user, so a
           removal carries the same identifier set as the original add. */
        uint64_t urng = o->seed ^ (user * 0x9e3779b97f4a7c15ULL);
        uint64_t traits = splitmix64(&urng);
        int has_email = (traits % 100) < 70;
        int has_phone = ((traits >> 8) % 100) < 40;
        int has_maid = ((traits >> 16) % 100) < 50;
        int maid_is_idfa = (traits >> 24) & 1;
        if (!has_email && !has_phone && !has_maid)
            has_email = 1;

        if (has_email) {
            if (!remove && percent(&rng) < o->clear_emails_pct) {
                fprintf(f, "%s\"email\":{\"type\":\"email\",\"value\":\"User.%" PRIu64
                        "+promo@Example.com\"}", first ? "" : ",", user);
                first = 0;
            } else {
                digest_hex(o->seed, user, K_EMAIL, value);
                write_attr(f, &first, K_EMAIL, (traits >> 32) & 1, value);
            }
        }
        if (has_phone) {
            digest_hex(o->seed, user, K_PHONE, value);
            if (!remove && percent(&rng) < o->invalid_pct)
                make_invalid(&rng, value);
            write_attr(f, &first, K_PHONE, 0, value);
        }
        if (has_maid) {
            unsigned k = maid_is_idfa ? K_IDFA : K_GAID;
            digest_hex(o->seed, user, k, value);
            write_attr(f, &first, k, (traits >> 33) & 1, value);
        }
        if (remove)
            fputs(",\"_op\":\"remove\"", f);
        fputs("}\n", f);
    }
    return ferror(f) ? -1 : 0;
}

static void usage(FILE *f)
{
    fputs("usage: tt-gen-dataset --records N [--seed S] [--invalid-pct P] [--remove-pct P]\n"
          "                      [--bad-lines-pct P] [--clear-emails-pct P] [--out FILE]\n"
          "Writes N JSON Lines records of Rosetta Stone attributes (default: stdout).\n",
          f);
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && *out >= 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"records", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"invalid-pct", required_argument, NULL, 'i'},
        {"remove-pct", required_argument, NULL, 'r'},
        {"bad-lines-pct", required_argument, NULL, 'b'},
        {"clear-emails-pct", required_argument, NULL, 'c'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    gen_opts o = {.records = 0, .seed = 1};
    double d;
    int c, rc = 1;
    FILE *f = stdout;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        double *dst = NULL;
        switch (c) {
        case 'n': if (parse_num(optarg, &d) != 0) goto bad; o.records = (uint64_t) d; continue;
        case 's': if (parse_num(optarg, &d) != 0) goto bad; o.seed = (uint64_t) d; continue;
        case 'i': dst = &o.invalid_pct; break;
        case 'r': dst = &o.remove_pct; break;
        case 'b': dst = &o.bad_lines_pct; break;
        case 'c': dst = &o.clear_emails_pct; break;
        case 'o': o.out = optarg; continue;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (parse_num(optarg, dst) != 0 || *dst > 100)
            goto bad;
    }
    if (o.records == 0) {
        usage(stderr);
        return 2;
    }
    if (o.out != NULL && (f = fopen(o.out, "w")) == NULL) {
        fprintf(stderr, "tt-gen-dataset: cannot write %s: %s\n", o.out, strerror(errno));
        return 1;
    }
    rc = generate(&o, f) == 0 ? 0 : 1;
    if (f != stdout && fclose(f) != 0)
        rc = 1;
    if (rc != 0)
        fprintf(stderr, "tt-gen-dataset: write failed: %s\n", strerror(errno));
    return rc;
bad:
    fprintf(stderr, "tt-gen-dataset: bad value for an option: %s (want a number; percentages 0-100)\n",
            optarg);
    return 2;
}
