/*
 * ch_file.h - opening the files and directories the host trusts (the home,
 * spool/, secrets.json, state.db) so that another local user cannot hand
 * it their own: open first (never following a symbolic link, never
 * blocking on a FIFO), then check what was opened with fstat().
 *
 * A trusted file must be a regular file owned by the effective user with
 * no group or other permission bits; a trusted directory must be owned by
 * the effective user and writable by nobody else. Refusals name the path
 * and the command that fixes it.
 */
#ifndef CH_FILE_H
#define CH_FILE_H

#include <stddef.h>

/* Mode of every file the host creates in its home, and of its directories. */
#define CH_FILE_MODE 0600
#define CH_DIR_MODE 0700

/*
 * Opens path with `flags` (O_RDONLY, O_WRONLY or O_RDWR, optionally
 * O_CREAT) plus O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC. A file this call
 * creates gets CH_FILE_MODE whatever the umask. The descriptor is then
 * checked as above; `what` names the file in messages ("secrets file").
 * Returns 0 with *fd set; 1 when path does not exist and O_CREAT was not
 * given (*fd = -1); -1 with a message in err (*fd = -1, nothing leaked).
 */
int ch_file_open_private(const char *path, int flags, const char *what, int *fd,
                         char *err, size_t errlen);

/*
 * ch_file_open_private() then close: refuses an unsafe existing file.
 * 0 (fine, or missing when create is 0), or -1 with a message in err.
 */
int ch_file_check_private(const char *path, int create, const char *what,
                          char *err, size_t errlen);

/*
 * An SQLite database: path is checked (and created CH_FILE_MODE when
 * missing, so the -wal and -shm files SQLite creates get the same mode),
 * then path-wal and path-shm when they exist. 0, or -1 (err).
 */
int ch_file_check_database(const char *path, char *err, size_t errlen);

/*
 * Refuses a directory that is not one (or is a symbolic link), is owned by
 * someone other than the effective user, or that group or others may
 * write. 0, or -1 with a message in err.
 */
int ch_file_check_dir(const char *path, const char *what, char *err, size_t errlen);

/* mkdir -p (new directories CH_DIR_MODE) and ch_file_check_dir(). */
int ch_file_make_dir(const char *path, const char *what, char *err, size_t errlen);

/*
 * Replaces path with len bytes of text atomically and durably: a mkstemp()
 * file in the same directory, fchmod CH_FILE_MODE, write, fsync, rename
 * over path, fsync of the directory. On failure path is untouched, the
 * temporary file removed and no descriptor left open. 0 or -1 (err).
 */
int ch_file_replace(const char *path, const char *text, size_t len,
                    char *err, size_t errlen);

#endif /* CH_FILE_H */
