/*
 * tt_spool.h - write one delivery run's identifiers into upload files.
 *
 * One stream per (kind x op), where a kind is either one TikTok identifier
 * type (a single-type file: one lower-case hex digest per line, no header,
 * "\n"-terminated, for single-type audiences) or TT_KIND_MULTI (a
 * MULTIPLE_TYPES file, as TikTok's Help Center describes it: CSV with the
 * header row "Email_SHA256,Phone_SHA256,MAID_SHA256", one row per record,
 * an empty cell where the record has no identifier of that kind; IDFA and
 * GAID both go under MAID_SHA256; a record with more identifiers of one
 * kind than the one column holds continues on further rows). A stream is a
 * sequence of files
 *   <dir>/<prefix>-<kind slug>-<add|remove>-NNNN.<txt|csv>
 * of at most max_bytes bytes each (TikTok takes at most 50 MiB per file and
 * only .csv/.txt names). Only the kinds the run's targets need are written
 * (tt_spool_set_kinds()).
 *
 * Opt-outs: with filtering on, tt_spool_finish() rewrites the add files
 * without any identifier the run also removes (tt_optout.h), so a new
 * audience is created from its final membership in one operation; the
 * file list says whether that happened (files->adds_exclude_removes).
 *
 * Each open file has a 1 MiB buffer written with write(2) when full; the
 * file's MD5 (TikTok's file_signature) is updated over each buffer before
 * it is written. Memory is bounded by the buffers and the opt-out set.
 *
 * Errors (open, ENOSPC, EIO) are reported with the file's path in
 * err (caller-owned, may be NULL) as ACONN_RETRY (code "spool_io": disk
 * space may come back) and leave the spool failed: later calls repeat the
 * error and only tt_spool_abort() is useful. Out of memory is
 * ACONN_ERR_FATAL. A file left by an earlier attempt with the same name is
 * truncated and rewritten; files of an earlier attempt with higher numbers
 * are not touched, so a caller restarting a run (ACONN_BATCH_RUN_BEGIN)
 * removes the previous attempt's files first or uses a new prefix.
 *
 * Threading: a spool belongs to one thread at a time.
 */
#ifndef TT_SPOOL_H
#define TT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <aconn/aconn.h>

#include "identifiers/tt_ident.h"

/** TikTok's per-file limit (50 MiB) and the size of each write buffer. */
#define TT_SPOOL_MAX_FILE_BYTES 52428800ull
#define TT_SPOOL_BUFFER_BYTES (1u << 20)

/** What a file holds: one identifier type (values of tt_id_type), or all. */
enum {
    TT_KIND_MULTI = TT_ID_TYPE_COUNT,
    TT_KIND_COUNT
};
#define TT_KIND_BIT(k) (1u << (k))
#define TT_KINDS_SINGLE (TT_KIND_BIT(TT_KIND_MULTI) - 1u)
#define TT_SPOOL_MULTI_HEADER "Email_SHA256,Phone_SHA256,MAID_SHA256\n"

/** Stream direction, matching aconn_record.op. */
typedef enum tt_spool_op {
    TT_SPOOL_ADD = 0,
    TT_SPOOL_REMOVE = 1,
    TT_SPOOL_OP_COUNT
} tt_spool_op;

/** One finished file. */
typedef struct tt_spool_file {
    char *path;               /* absolute or as given by dir; owned by the list */
    int kind;                 /* TT_KIND_MULTI or a tt_id_type */
    tt_id_type type;          /* single-type files: == kind */
    tt_spool_op op;
    uint32_t part;            /* 1, 2, ... within its (type, op) stream */
    uint64_t bytes;
    uint64_t lines;           /* identifier lines or CSV rows, header excluded */
    char md5_hex[33];         /* lower-case hex, NUL-terminated */
} tt_spool_file;

/** The files of a finished spool, in stream then number order. */
typedef struct tt_spool_files {
    tt_spool_file *items;
    size_t count;
    /* Identifiers handed to the spool, per type and op (before filtering). */
    uint64_t ids[TT_ID_TYPE_COUNT][TT_SPOOL_OP_COUNT];
    /* Non-zero when every add file excludes the run's removals. */
    int adds_exclude_removes;
} tt_spool_files;

/** One identifier of a record. */
typedef struct tt_spool_id {
    tt_id_type type;
    char hex[TT_HEX_LEN];
} tt_spool_id;

typedef struct tt_spool tt_spool;

/**
 * Opens a spool writing into the existing directory dir. prefix names the
 * run (letters, digits, '-', '_' and '.' only, 1-64 bytes). max_bytes is the
 * per-file limit, at least 65 (one line) and at most
 * TT_SPOOL_MAX_FILE_BYTES; 0 means TT_SPOOL_MAX_FILE_BYTES.
 * Returns ACONN_OK, ACONN_ERR_INVALID or ACONN_ERR_FATAL.
 */
aconn_status tt_spool_open(const char *dir, const char *prefix,
                           uint64_t max_bytes, tt_spool **out,
                           aconn_error *err);

/**
 * Chooses what the spool writes, before the first identifier: kinds is a
 * set of TT_KIND_BIT()s (default TT_KINDS_SINGLE); filter_optouts non-zero
 * makes tt_spool_finish() drop removed identifiers from the add files.
 * Returns ACONN_OK or ACONN_ERR_INVALID (after the first add, or no kind).
 */
aconn_status tt_spool_set_kinds(tt_spool *sp, unsigned kinds, int filter_optouts,
                                aconn_error *err);

/**
 * Calls fn(ctx, f) on the spool's thread each time a file reaches the
 * per-file limit and is closed while the spool goes on writing (not for the
 * files tt_spool_finish() closes), so it can be uploaded while the next one
 * is written (tt_early.h). f, its path included, is valid during the call
 * only. The file stays on disk until the spool is finished or aborted; an
 * add file may still be rewritten by the opt-out filter in
 * tt_spool_finish(), which changes its MD5. fn NULL turns it off.
 */
void tt_spool_on_full(tt_spool *sp, void (*fn)(void *ctx, const tt_spool_file *f),
                      void *ctx);

/** Appends the identifiers of one record (ids[0..n), any types, op). */
aconn_status tt_spool_add_record(tt_spool *sp, tt_spool_op op, const tt_spool_id *ids,
                                 size_t n, aconn_error *err);

/** Appends one 64-digit lower-case hex digest (no NUL needed): a record of
    one identifier. */
aconn_status tt_spool_add(tt_spool *sp, tt_id_type type, tt_spool_op op,
                          const char hex[TT_HEX_LEN], aconn_error *err);

/**
 * Flushes and closes every file (not fsynced: they are scratch), and hands
 * the file list to the caller (free with tt_spool_files_free()). The spool
 * is freed in every case; on failure its files are removed.
 */
aconn_status tt_spool_finish(tt_spool *sp, tt_spool_files *files,
                             aconn_error *err);

/** Closes and removes every file written so far and frees the spool.
    Accepts NULL. */
void tt_spool_abort(tt_spool *sp);

/** Frees a file list (not the files on disk); accepts NULL or empty. */
void tt_spool_files_free(tt_spool_files *files);

/** Removes the files of a list from disk (e.g. after upload). */
void tt_spool_files_remove(const tt_spool_files *files);

/** "multiple_types" or the type's slug ("email", ...). Static. */
const char *tt_spool_kind_slug(int kind);

/** "add" or "remove". Static. */
const char *tt_spool_op_name(tt_spool_op op);

#endif
