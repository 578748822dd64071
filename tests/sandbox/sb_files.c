/* sb_files.c: the uploaded files a create or an update names, checked
 * (owner, expiry, calculate_type) and read into one member set with the
 * world lock released, then checked again under it (sb.h). */
#include "sb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* About how many members file_paths hold (lock held): a hashed value and its
 * separator take 65 bytes. Sizing the set once instead of doubling it
 * halved a create's time (bench-e2e); a guess too small only grows. */
static size_t files_members_hint(sb_ctx *ctx, json_object *paths)
{
    uint64_t bytes = 0;

    for (size_t i = 0; i < json_object_array_length(paths); i++) {
        sb_file *f = sb_st_file(ctx, json_object_get_string(json_object_array_get_idx(paths, i)));
        bytes += f != NULL ? f->bytes : 0;
    }
    return (size_t)(bytes / 65);
}

/* The first of file_paths that fails the owner, expiry or calculate_type
 * checks (answered when emit), or their count if none. Lock held. */
static size_t check_files(sb_ctx *ctx, sb_req *req, const char *adv_id, json_object *paths,
                          int calc, bool emit)
{
    int64_t now = sb_now_ms(ctx);
    size_t n = json_object_array_length(paths);

    for (size_t i = 0; i < n; i++) {
        const char *p = json_object_get_string(json_object_array_get_idx(paths, i));
        sb_file *f = sb_st_file(ctx, p);
        if (f != NULL && strcmp(f->advertiser_id, adv_id) == 0
            && now - f->create_ms < SB_FILE_TTL_MS && f->calculate_type == calc) {
            continue;
        }
        if (!emit) {
            return i;
        }
        if (f == NULL) {
            sb_fail(req, 40002, "file_paths: file_path %s does not exist; upload the file "
                    "with /dmp/custom_audience/file/upload/ first.", p);
        } else if (strcmp(f->advertiser_id, adv_id) != 0) {
            sb_fail(req, 40002, "file_paths: file_path %s does not belong to advertiser_id "
                    "%s; upload the file with that advertiser_id.", p, adv_id);
        } else if (now - f->create_ms >= SB_FILE_TTL_MS) {
            sb_fail(req, 40910, "file_paths: file_path %s has expired (files are kept 7 "
                    "days); upload it again.", p);
        } else {
            sb_fail(req, 40002, "calculate_type: %s does not match file_path %s, which was "
                    "uploaded as %s.", sb_idtype_name(calc), p,
                    sb_idtype_name(f->calculate_type));
        }
        return i;
    }
    return n;
}


/* Reads the first fs->n_ok files (their disk paths copied under the lock)
 * into a new fs->set. No lock needed. 0, or -1 out of memory. */
static int read_files(sb_file_set *fs, char **disk)
{
    sb_members_free(fs->set);
    fs->read_calc = fs->calc;
    fs->set = sb_members_new();
    if (fs->set == NULL || sb_members_reserve(fs->set, fs->hint) != 0) {
        return -1;
    }
    for (fs->n_read = 0; fs->n_read < fs->n_ok; fs->n_read++) {
        if (sb_file_load(disk[fs->n_read], fs->calc, fs->set, NULL, fs->why,
                         sizeof fs->why) != 0) {
            break;
        }
    }
    return 0;
}

/* Copies the disk paths of the first fs->n_ok files. Lock held. */
static char **copy_disk_paths(sb_ctx *ctx, json_object *paths, size_t n)
{
    char **disk = calloc(n + 1, sizeof *disk);

    for (size_t i = 0; disk != NULL && i < n; i++) {
        disk[i] = strdup(sb_st_file(ctx, json_object_get_string(
                                            json_object_array_get_idx(paths, i)))->disk_path);
        if (disk[i] == NULL) {
            n = i;   /* free what was copied */
            for (i = 0; i < n; i++) {
                free(disk[i]);
            }
            free(disk);
            return NULL;
        }
    }
    return disk;
}

static void free_disk_paths(char **disk)
{
    for (size_t i = 0; disk != NULL && disk[i] != NULL; i++) {
        free(disk[i]);
    }
    free(disk);
}

#define READ_TRIES 4

/* See sb.h. */
int sb_lock_with_files(sb_ctx *ctx, sb_req *req, const char *adv_id, json_object *paths,
                       sb_file_rules rules, void *arg, sb_file_set *fs)
{
    size_t n = json_object_array_length(paths), k;
    char **disk;

    for (int tries = 1;; tries++) {
        pthread_mutex_lock(&ctx->lock);
        fs->again = tries > 1;
        if (rules(ctx, req, arg, fs) != 0) {
            return -1;
        }
        k = check_files(ctx, req, adv_id, paths, fs->calc, false);
        if (fs->set != NULL && fs->resets == ctx->resets && fs->read_calc == fs->calc
            && k <= fs->n_ok) {
            break;   /* what was read answers this request */
        }
        fs->resets = ctx->resets;
        fs->n_ok = k;
        fs->hint = files_members_hint(ctx, paths);
        disk = copy_disk_paths(ctx, paths, k);
        if (tries < READ_TRIES) {
            pthread_mutex_unlock(&ctx->lock);
        }
        if (disk == NULL || read_files(fs, disk) != 0) {
            free_disk_paths(disk);
            if (tries < READ_TRIES) {
                pthread_mutex_lock(&ctx->lock);
            }
            sb_fail(req, 50000, "System error: out of memory.");
            return -1;
        }
        free_disk_paths(disk);
        if (tries == READ_TRIES) {
            break;
        }
    }
    /* The first failing file answers, as when each was checked then read. */
    if (fs->n_read < k) {
        sb_fail(req, 40915, "file_paths: file_path %s cannot be used: %s.",
                json_object_get_string(json_object_array_get_idx(paths, fs->n_read)), fs->why);
        return -1;
    }
    if (k < n) {
        check_files(ctx, req, adv_id, paths, fs->calc, true);
        return -1;
    }
    return 0;
}

