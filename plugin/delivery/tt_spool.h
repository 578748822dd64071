/*
 * tt_spool.h - write one delivery run's identifiers into upload files.
 *
 * One stream per (TikTok type x op): a stream is a sequence of files
 *   <dir>/<prefix>-<type slug>-<add|remove>-NNNN.txt
 * each holding one lower-case hex digest per line ("\n"-terminated, no
 * header) and at most max_bytes bytes (TikTok takes at most 50 MiB per file
 * and only .csv/.txt names). A stream opens its first file on its first
 * identifier and rolls to the next number before a line would cross
 * max_bytes.
 *
 * Each open file has a 1 MiB buffer written with write(2) when full; the
 * file's MD5 (TikTok's file_signature) is updated over each buffer before it
 * is written, so no file is read twice. Memory is bounded by the buffers
 * (at most TT_ID_TYPE_COUNT x 2 of them), whatever the data size.
 *
 * Errors (open, ENOSPC, EIO) are reported with the file's path in
 * err (caller-owned, may be NULL) as ACONN_RETRY (code "spool_io": disk
 * space may come back) and leave the spool failed: later calls repeat the
 * error and only tt_spool_abort() is useful. Out of memory is
 * ACONN_ERR_FATAL. A file left by an earlier attempt with the same name is
 * truncated and rewritten; files of an earlier attempt with higher numbers
 * are not touched, so a caller restarting a run (ACONN_BATCH_RUN_BEGIN)
 * removes the previous attempt's files first (tt_spool_files_remove()) or
 * uses a new prefix.
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

/** Stream direction, matching aconn_record.op. */
typedef enum tt_spool_op {
    TT_SPOOL_ADD = 0,
    TT_SPOOL_REMOVE = 1,
    TT_SPOOL_OP_COUNT
} tt_spool_op;

/** One finished file. */
typedef struct tt_spool_file {
    char *path;               /* absolute or as given by dir; owned by the list */
    tt_id_type type;
    tt_spool_op op;
    uint32_t part;            /* 1, 2, ... within its (type, op) stream */
    uint64_t bytes;
    uint64_t lines;
    char md5_hex[33];         /* lower-case hex, NUL-terminated */
} tt_spool_file;

/** The files of a finished spool, in stream then number order. */
typedef struct tt_spool_files {
    tt_spool_file *items;
    size_t count;
} tt_spool_files;

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

/** Appends one 64-digit lower-case hex digest (no NUL needed). */
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

/** "add" or "remove". Static. */
const char *tt_spool_op_name(tt_spool_op op);

#endif
