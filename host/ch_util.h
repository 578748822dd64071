/*
 * ch_util.h - small helpers shared by the reference host: formatted
 * strings, whole-file reads, directories, ids and the wall clock.
 */
#ifndef CH_UTIL_H
#define CH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes of connector-host (docs/ARCHITECTURE.md, "Host interface"). */
enum {
    CH_EXIT_OK = 0,
    CH_EXIT_FAILED = 1,      /* invalid input or permanent failure */
    CH_EXIT_USAGE = 2,
    CH_EXIT_REAUTHORIZE = 3,
    CH_EXIT_PLUGIN = 4,      /* plugin could not be loaded or ABI refused */
    CH_EXIT_PARTIAL = 5,     /* delivered to every target that can be served;
                                some are behind or dead (see the report) */
    CH_EXIT_INTERNAL = 70,
    CH_EXIT_RETRY = 75       /* deferred, throttled or transient */
};

/* The exit code for a plugin status, by band. */
int ch_exit_for_status(int32_t status);

/* printf into a new heap string; NULL on allocation failure. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
char *ch_strdup_printf(const char *fmt, ...);

/* snprintf that never fails loudly: output truncated to fit. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ch_errf(char *err, size_t errlen, const char *fmt, ...);

/*
 * Reads a whole file of at most `max` bytes into a NUL-terminated heap
 * buffer (caller frees). Returns 0, or -1 with a message in err.
 */
int ch_read_file(const char *path, size_t max, char **out, size_t *len,
                 char *err, size_t errlen);

/* mkdir -p with `mode` for the directories it creates. 0 or -1 (errno). */
int ch_mkdir_p(const char *path, mode_t mode);

/* Writes prefix + 2*nbytes random hex digits into out. 0 or -1. */
int ch_random_id(const char *prefix, size_t nbytes, char *out, size_t outlen);

/* Wall clock in milliseconds since the Unix epoch. */
int64_t ch_wall_ms(void);

/* Parses a decimal integer that must fill the whole string. 0 or -1. */
int ch_parse_i64(const char *s, int64_t *out);

/* An ISO 8601 duration ("P540D", "P1Y2M", "PT36H", "P2W") in milliseconds,
   counting a year as 365 days and a month as 30 (a policy period, not a
   calendar date). Returns 0, or -1 when s is not such a duration. */
int ch_iso8601_duration_ms(const char *s, int64_t *out);

/* path made absolute against the working directory, symlinks NOT
   resolved (a dataset keeps the path the user gave). 0, or -1. */
int ch_absolute_path(const char *path, char *out, size_t outlen);

/* Prints a plugin's message to f with the host commands it names made
   runnable as printed: a plugin cannot know how it was loaded, so
   "connector-host authorize --profile X" gets "--plugin PLUGIN " (the spec
   the command was given) when it lacks one. plugin NULL prints as is. */
void ch_print_message(FILE *f, const char *msg, const char *plugin);

/* The same text as a string (malloc'd; NULL when out of memory), for
   what is not a stream: the browser page of authorize --listen. */
char *ch_message_runnable(const char *msg, const char *plugin);

#endif /* CH_UTIL_H */
