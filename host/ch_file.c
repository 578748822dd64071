/*
 * ch_file.c - open-then-fstat checks of the host's trusted files and
 * directories, and atomic file replacement.
 *
 * Why open first: checking a path with stat() and then opening it by name
 * leaves a window in which anyone who can write the directory swaps in a
 * file of their own (or a FIFO, which makes the reader hang). The checks
 * here are made on the descriptor that is then used, so what was checked
 * is what is read.
 */
#define _GNU_SOURCE 1 /* mkostemp(): the temporary file is O_CLOEXEC too */
#include <config.h>

#include "ch_file.h"
#include "ch_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ch_file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

/* The checks of a trusted file, on what was actually opened. */
static int ch_file_check_fd(int fd, const char *path, const char *what,
                            char *err, size_t errlen)
{
    struct stat st;
    uid_t me = geteuid();

    if (fstat(fd, &st) != 0) {
        ch_errf(err, errlen, "cannot stat %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        ch_errf(err, errlen, "%s %s is %s, not a regular file; refusing to use it. "
                "Fix: remove it (rm %s) and let the host create it again", what, path,
                ch_file_kind(st.st_mode), path);
        return -1;
    }
    if (st.st_uid != me) {
        ch_errf(err, errlen, "%s %s belongs to another user (uid %u, you are uid %u); "
                "refusing to use it. Fix: chown %u %s", what, path,
                (unsigned) st.st_uid, (unsigned) me, (unsigned) me, path);
        return -1;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ch_errf(err, errlen, "%s %s is accessible by group or others (mode %03o); "
                "refusing to use it. Fix: chmod 600 %s", what, path,
                (unsigned) (st.st_mode & 0777), path);
        return -1;
    }
    return 0;
}

static void ch_file_open_error(const char *path, const char *what, char *err,
                               size_t errlen)
{
    /* O_NOFOLLOW reports a final symbolic link as ELOOP. */
    if (errno == ELOOP)
        ch_errf(err, errlen, "%s %s is a symbolic link; refusing to follow it. "
                "Fix: replace the link with the file itself (or rm %s)", what,
                path, path);
    else if (errno == ENXIO)   /* O_WRONLY|O_NONBLOCK on a FIFO without reader */
        ch_errf(err, errlen, "%s %s is a FIFO, not a regular file; refusing to use "
                "it. Fix: rm %s", what, path, path);
    else
        ch_errf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
}

int ch_file_open_private(const char *path, int flags, const char *what, int *fd,
                         char *err, size_t errlen)
{
    int base = (flags & ~O_CREAT) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int tries;

    *fd = -1;
    for (tries = 0; tries < 8; tries++) {
        if ((flags & O_CREAT) != 0) {
            /* O_EXCL tells us we made it, so only our own file is chmod'ed. */
            *fd = open(path, base | O_CREAT | O_EXCL, CH_FILE_MODE);
            if (*fd >= 0) {
                if (fchmod(*fd, CH_FILE_MODE) != 0) {
                    ch_errf(err, errlen, "cannot set the mode of %s %s: %s", what,
                            path, strerror(errno));
                    goto fail;
                }
                break;
            }
            if (errno != EEXIST)
                break;
        }
        *fd = open(path, base);
        /* Removed between the two opens: create it again. */
        if (*fd >= 0 || errno != ENOENT || (flags & O_CREAT) == 0)
            break;
    }
    if (*fd < 0) {
        if (errno == ENOENT && (flags & O_CREAT) == 0)
            return 1;
        ch_file_open_error(path, what, err, errlen);
        return -1;
    }
    if (ch_file_check_fd(*fd, path, what, err, errlen) != 0)
        goto fail;
    return 0;
fail:
    close(*fd);
    *fd = -1;
    return -1;
}

int ch_file_check_private(const char *path, int create, const char *what,
                          char *err, size_t errlen)
{
    int fd = -1;
    int rc = ch_file_open_private(path, create ? O_RDWR | O_CREAT : O_RDONLY, what,
                                  &fd, err, errlen);

    if (fd >= 0)
        close(fd);
    return rc < 0 ? -1 : 0;
}

/* state.db (created 0600 when missing), then its -wal and -shm if they
   exist: each a regular file of ours that only we can access. */
int ch_file_check_database(const char *path, char *err, size_t errlen)
{
    static const char *const suffix[] = { "-wal", "-shm" };
    size_t i;
    int rc = ch_file_check_private(path, 1, "state database", err, errlen);

    for (i = 0; rc == 0 && i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        char *p = ch_strdup_printf("%s%s", path, suffix[i]);
        if (p == NULL) {
            ch_errf(err, errlen, "out of memory");
            return -1;
        }
        rc = ch_file_check_private(p, 0, "state database file", err, errlen);
        free(p);
    }
    return rc;
}

int ch_file_check_dir(const char *path, const char *what, char *err, size_t errlen)
{
    struct stat st;
    uid_t me = geteuid();
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = -1;

    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            ch_errf(err, errlen, "%s %s is not a directory (or is a symbolic link); "
                    "refusing to use it. Fix: pass a directory of your own", what, path);
        else
            ch_errf(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        ch_errf(err, errlen, "cannot stat %s %s: %s", what, path, strerror(errno));
        goto cleanup;
    }
    if (st.st_uid != me) {
        ch_errf(err, errlen, "%s %s belongs to another user (uid %u, you are uid %u), "
                "who could replace the files in it; refusing to use it. Fix: chown %u %s "
                "(or pass --home with a directory of your own)", what, path,
                (unsigned) st.st_uid, (unsigned) me, (unsigned) me, path);
        goto cleanup;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        ch_errf(err, errlen, "%s %s is writable by group or others (mode %03o), who "
                "could replace the files in it; refusing to use it. Fix: chmod 700 %s",
                what, path, (unsigned) (st.st_mode & 0777), path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    close(fd);
    return rc;
}

int ch_file_make_dir(const char *path, const char *what, char *err, size_t errlen)
{
    if (ch_mkdir_p(path, CH_DIR_MODE) != 0) {
        ch_errf(err, errlen, "cannot create %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    return ch_file_check_dir(path, what, err, errlen);
}

static int ch_file_write_all(int fd, const char *text, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t) n;
    }
    return 0;
}

/* fsync of the directory holding path, so a rename in it is durable. */
static int ch_file_sync_dir(char *dir)
{
    char *slash = strrchr(dir, '/');
    const char *d = dir;
    int dfd, rc, saved;

    if (slash == NULL)
        d = ".";
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    rc = fsync(dfd);
    saved = errno;
    /* Some file systems cannot sync a directory; the rename stands. */
    if (rc != 0 && saved == EINVAL)
        rc = 0;
    close(dfd);
    errno = saved;
    return rc;
}

int ch_file_replace(const char *path, const char *text, size_t len,
                    char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    char *tmp = ch_strdup_printf("%s.tmp.XXXXXX", path);
    char *dir = strdup(path);

    if (tmp == NULL || dir == NULL) {
        ch_errf(err, errlen, "out of memory");
        goto cleanup;
    }
    /* mkstemp: a new name (O_EXCL), mode 0600; fchmod pins it whatever
       the libc. */
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        ch_errf(err, errlen, "cannot create a temporary file beside %s: %s", path,
                strerror(errno));
        free(tmp);
        tmp = NULL;
        goto cleanup;
    }
    if (fchmod(fd, CH_FILE_MODE) != 0 || ch_file_write_all(fd, text, len) != 0) {
        ch_errf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (fsync(fd) != 0) {
        ch_errf(err, errlen, "cannot flush %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    rc = close(fd);
    fd = -1;   /* closed, even when close() failed */
    if (rc != 0) {
        rc = -1;
        ch_errf(err, errlen, "cannot flush %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    rc = -1;
    if (rename(tmp, path) != 0) {
        ch_errf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
        goto cleanup;
    }
    free(tmp);
    tmp = NULL;   /* renamed: nothing to remove */
    if (ch_file_sync_dir(dir) != 0) {
        ch_errf(err, errlen, "cannot flush the directory of %s: %s", path,
                strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    free(dir);
    return rc;
}
