/*
 * test_file.c - the attacks of issue #21 on the host's files, each shown
 * to fail: the secrets file swapped between check and open, a FIFO, a
 * symbolic link, another user's file in its place; a 0777 or foreign home
 * or spool; state.db and its -wal/-shm modes; and no descriptor leaked
 * (nor temporary file left, nor old content lost) when fsync() or
 * rename() fail, forced by the interposed functions below.
 */
#define _GNU_SOURCE 1 /* syscall() */
#include <config.h>

#include <CUnit/Basic.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ch_file.h"
#include "ch_home.h"
#include "ch_secrets.h"
#include "ch_state.h"
#include "test_util.h"
#include "ts_cunit.h"

static char *test_dir;

/* ---- interposed fsync() and rename() ---------------------------------- */

/* Set by one test only; no threads run while they are. */
static int fail_fsync, fail_rename;

/* The real work goes to the system calls directly, not to libc's
   functions these definitions replace. */
int fsync(int fd)
{
    if (fail_fsync) {
        errno = EIO;
        return -1;
    }
    return (int) syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to)
{
    if (fail_rename) {
        errno = ENOSPC;
        return -1;
    }
    return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

/* ---- helpers ----------------------------------------------------------- */

static int suite_init(void)
{
    test_dir = test_tmpdir("file");
    return test_dir != NULL ? 0 : -1;
}

static int suite_clean(void)
{
    test_rm_rf(test_dir);
    free(test_dir);
    return 0;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Entries of dir whose name contains part. */
static int count_names(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static void write_mode(const char *path, const char *text, mode_t mode)
{
    CU_ASSERT_FATAL(test_write_file(path, text) == 0);
    CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

/* A fresh directory test_dir/name in d[4200] (not on the heap: forked
   children _exit() without freeing). */
static void subdir(const char *name, char *d)
{
    snprintf(d, 4200, "%s/%s", test_dir, name);
    CU_ASSERT_FATAL(mkdir(d, 0700) == 0);
}

#define SECRET_OK "{\"p/t\": \"good-token\"}"
#define SECRET_EVIL "{\"p/t\": \"ATTACKER-token\"}"

/* ---- the secrets file -------------------------------------------------- */

/* A child swaps the secrets file between ours (0600) and the attacker's
   (0644, refused by the check) as fast as it can while we read: every
   read returns our token or refuses, never the attacker's. */
static void test_swap_race(void)
{
    char d[4200];
    char path[4300], good[4300], evil[4300], tmp[4300], err[1024], buf[64];
    int i, attacker = 0, good_reads = 0;
    size_t len;
    pid_t kid;

    subdir("swap", d);
    snprintf(path, sizeof(path), "%s/secrets.json", d);
    snprintf(good, sizeof(good), "%s/good", d);
    snprintf(evil, sizeof(evil), "%s/evil", d);
    snprintf(tmp, sizeof(tmp), "%s/tmp", d);
    write_mode(good, SECRET_OK, 0600);
    /* The attacker's own file (root can make one of another user), else
       ours but readable by others: both refused by the check. */
    write_mode(evil, SECRET_EVIL, 0644);
    if (geteuid() == 0 && chown(evil, 65534, 65534) == 0)
        CU_ASSERT_FATAL(chmod(evil, 0600) == 0);
    CU_ASSERT_FATAL(link(good, path) == 0);
    fflush(NULL);
    kid = fork();
    CU_ASSERT_FATAL(kid >= 0);
    if (kid == 0) {
        for (i = 0;; i++) {
            if (link(i % 2 ? good : evil, tmp) == 0)
                (void) rename(tmp, path);
            else
                unlink(tmp);
        }
    }
    for (i = 0; i < 20000; i++) {
        buf[0] = '\0';
        if (ch_secrets_get(path, "p/t", buf, sizeof(buf), &len, err, sizeof(err))
            == ACONN_OK) {
            attacker += strcmp(buf, "good-token") != 0;
            good_reads++;
        } else {
            CU_ASSERT(strstr(err, "chmod 600") != NULL || strstr(err, "chown") != NULL);
        }
    }
    kill(kid, SIGKILL);
    waitpid(kid, NULL, 0);
    CU_ASSERT_EQUAL(attacker, 0);
    CU_ASSERT(good_reads > 0);   /* the race was run, not just refused */
}

/* A FIFO as the secrets file (or its lock file) is refused at once. */
static void test_fifo(void)
{
    char d[4200];
    char path[4300], lock[4300], err[1024] = "", buf[64];
    size_t len;
    pid_t kid;
    int st = 0;

    subdir("fifo", d);
    snprintf(path, sizeof(path), "%s/secrets.json", d);
    snprintf(lock, sizeof(lock), "%s/secrets.json.lock", d);
    CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
    fflush(NULL);
    /* In a child with an alarm: the old code hung here for good. */
    kid = fork();
    CU_ASSERT_FATAL(kid >= 0);
    if (kid == 0) {
        alarm(20);
        if (ch_secrets_check(path, err, sizeof(err)) != -1
            || strstr(err, "a FIFO") == NULL || strstr(err, path) == NULL)
            _exit(2);
        if (ch_secrets_get(path, "p/t", buf, sizeof(buf), &len, err, sizeof(err))
            != ACONN_ERR_FATAL || strstr(err, "rm ") == NULL)
            _exit(3);
        if (ch_secrets_put(path, "p/t", "v", 1, err, sizeof(err)) != ACONN_ERR_FATAL)
            _exit(4);
        unlink(path);
        unlink(lock);   /* the put above made a good one */
        if (mkfifo(lock, 0600) != 0
            || ch_secrets_put(path, "p/t", "v", 1, err, sizeof(err)) != ACONN_ERR_FATAL
            || strstr(err, "lock file") == NULL)
            _exit(5);
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(kid, &st, 0), kid);
    CU_ASSERT(WIFEXITED(st));
    CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

/* A symbolic link, even to a good 0600 file of ours, is not followed. */
static void test_symlink(void)
{
    char d[4200];
    char path[4300], target[4300], err[1024] = "", buf[64];
    size_t len;

    subdir("link", d);
    snprintf(path, sizeof(path), "%s/secrets.json", d);
    snprintf(target, sizeof(target), "%s/elsewhere.json", d);
    write_mode(target, SECRET_EVIL, 0600);
    CU_ASSERT_FATAL(symlink(target, path) == 0);
    CU_ASSERT_EQUAL(ch_secrets_check(path, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/t", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_FATAL);
    CU_ASSERT_EQUAL(ch_secrets_put(path, "p/t", "v", 1, err, sizeof(err)), ACONN_ERR_FATAL);
    /* The target was not written through the link. */
    {
        char *text = test_read_file(target, NULL);
        CU_ASSERT(text != NULL && strstr(text, "ATTACKER-token") != NULL);
        free(text);
    }
}

/* Another user's file, even 0600, is refused with the chown fix. Only
   root can make one; other users run the mode checks only. */
static void test_foreign_owner(void)
{
    char d[4200];
    char path[4300], err[1024] = "", expect[4400], buf[64];
    size_t len;

    subdir("owner", d);
    snprintf(path, sizeof(path), "%s/secrets.json", d);
    write_mode(path, SECRET_EVIL, 0600);
    if (geteuid() != 0 || chown(path, 65534, 65534) != 0) {
        fprintf(stderr, "test_file: not root, foreign owner not tested\n");
            return;
    }
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/t", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_ERR_FATAL);
    snprintf(expect, sizeof(expect), "chown %u %s", (unsigned) geteuid(), path);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
}

/* ---- writes ------------------------------------------------------------ */

/* fsync() and rename() failing 100 times each: no descriptor leaked, no
   temporary file left, the old value intact, and the failure reported. */
static void test_write_failures(void)
{
    char d[4200];
    char path[4300], err[1024] = "", buf[64];
    size_t len;
    int before, i, failed = 0;

    subdir("fail", d);
    snprintf(path, sizeof(path), "%s/secrets.json", d);
    CU_ASSERT_FATAL(ch_secrets_put(path, "p/t", "kept", 4, err, sizeof(err)) == ACONN_OK);
    before = count_fds();
    CU_ASSERT_FATAL(before > 0);
    for (i = 0; i < 200; i++) {
        fail_fsync = i % 2 == 0;
        fail_rename = i % 2 == 1;
        failed += ch_secrets_put(path, "p/t", "lost", 4, err, sizeof(err)) == ACONN_ERR_FATAL;
        fail_fsync = fail_rename = 0;
    }
    CU_ASSERT_EQUAL(failed, 200);
    CU_ASSERT_EQUAL(count_fds(), before);
    CU_ASSERT_EQUAL(count_names(d, ".tmp."), 0);
    CU_ASSERT_EQUAL(ch_secrets_get(path, "p/t", buf, sizeof(buf), &len, err, sizeof(err)),
                    ACONN_OK);
    CU_ASSERT_STRING_EQUAL(buf, "kept");
    /* And the writer itself, directly. */
    fail_fsync = 1;
    CU_ASSERT_EQUAL(ch_file_replace(path, "x", 1, err, sizeof(err)), -1);
    fail_fsync = 0;
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot flush"));
    CU_ASSERT_EQUAL(count_fds(), before);
}

/* A file the writer replaces is 0600 whatever the umask and the old mode. */
static void test_write_mode(void)
{
    char d[4200];
    char path[4300], err[1024] = "";
    struct stat st;
    mode_t old = umask(0);

    subdir("mode", d);
    snprintf(path, sizeof(path), "%s/f", d);
    write_mode(path, "old", 0666);
    CU_ASSERT_EQUAL(ch_file_replace(path, "new", 3, err, sizeof(err)), 0);
    umask(old);
    CU_ASSERT_FATAL(stat(path, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
}

/* ---- home, spool, state.db --------------------------------------------- */

static void test_home(void)
{
    char d[4200];
    char home[4300], err[1024] = "", expect[4400];
    ch_home h;
    struct stat st;
    mode_t old;

    subdir("home", d);
    /* New: 0700 even with umask 0, spool/ too. */
    snprintf(home, sizeof(home), "%s/new/deeper", d);
    old = umask(0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), 0);
    umask(old);
    CU_ASSERT_FATAL(stat(home, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
    CU_ASSERT_FATAL(stat(h.spool, &st) == 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
    ch_home_close(&h);
    /* 0777 (and 0770): refused with the fix. */
    CU_ASSERT_FATAL(chmod(home, 0777) == 0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), -1);
    snprintf(expect, sizeof(expect), "chmod 700 %s", home);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
    CU_ASSERT_FATAL(chmod(home, 0770) == 0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), -1);
    /* 0755 is fine: only its owner can write it. */
    CU_ASSERT_FATAL(chmod(home, 0755) == 0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), 0);
    ch_home_close(&h);
    /* A world-writable spool/ (or one connection's spool) is refused too. */
    snprintf(expect, sizeof(expect), "%s/spool", home);
    CU_ASSERT_FATAL(chmod(expect, 0777) == 0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "spool directory"));
    CU_ASSERT_FATAL(chmod(expect, 0700) == 0);
    CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), 0);
    {
        char *sp = ch_home_spool_dir(&h, "c_1", err, sizeof(err));
        CU_ASSERT_PTR_NOT_NULL(sp);
        if (sp != NULL) {
            CU_ASSERT_FATAL(chmod(sp, 0757) == 0);
            free(sp);
        }
        sp = ch_home_spool_dir(&h, "c_1", err, sizeof(err));
        CU_ASSERT_PTR_NULL(sp);
        free(sp);
    }
    ch_home_close(&h);
    /* Someone else's home (root can make one). */
    if (geteuid() == 0 && chown(home, 65534, 65534) == 0) {
        CU_ASSERT_EQUAL(ch_home_open(&h, home, err, sizeof(err)), -1);
        snprintf(expect, sizeof(expect), "chown %u %s", (unsigned) geteuid(), home);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, expect));
    }
}

/* The CLI refuses a 0777 home before touching anything in it. */
static void test_cli_home(void)
{
    char d[4200];
    const char *argv[] = { test_env("TT_HOST"), "runs", "--home", d, NULL };
    char state[4300];
    test_result r;

    subdir("clihome", d);
    CU_ASSERT_FATAL(argv[0] != NULL);
    CU_ASSERT_FATAL(chmod(d, 0777) == 0);
    test_run(argv, NULL, NULL, 60, &r);
    CU_ASSERT_NOT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "chmod 700"));
    test_result_free(&r);
    snprintf(state, sizeof(state), "%s/state.db", d);
    CU_ASSERT_NOT_EQUAL(access(state, F_OK), 0);
    CU_ASSERT_FATAL(chmod(d, 0700) == 0);
    test_run(argv, NULL, NULL, 60, &r);
    CU_ASSERT_EQUAL(r.status, 0);
    test_result_free(&r);
}

/* A home that cannot be made (here: under a regular file, which even root
   cannot write into) is a message naming it and --home, never exit 70. */
static void test_cli_home_unwritable(void)
{
    char d[4200], file[4300], home[4400];
    const char *argv[] = { test_env("TT_HOST"), "connections", "--home", home, NULL };
    test_result r;

    subdir("clihome-nodir", d);
    snprintf(file, sizeof(file), "%s/a-file", d);
    snprintf(home, sizeof(home), "%s/home", file);
    CU_ASSERT_FATAL(argv[0] != NULL);
    CU_ASSERT_FATAL(test_write_file(file, "not a directory\n") == 0);
    test_run(argv, NULL, NULL, 60, &r);
    CU_ASSERT_EQUAL(r.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, home));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--home DIR"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "Not a directory"));
    test_result_free(&r);
}

static void assert_mode(const char *path, mode_t mode)
{
    struct stat st;

    CU_ASSERT_FATAL(stat(path, &st) == 0);
    if ((st.st_mode & 0777) != mode)
        fprintf(stderr, "%s: mode %03o, expected %03o\n", path,
                (unsigned) (st.st_mode & 0777), (unsigned) mode);
    CU_ASSERT_EQUAL(st.st_mode & 0777, mode);
}

static void test_state_modes(void)
{
    char d[4200];
    char db[4300], wal[4400], shm[4400], other[4300], err[1024] = "";
    ch_state *st = NULL;
    mode_t old;

    subdir("state", d);
    snprintf(db, sizeof(db), "%s/state.db", d);
    snprintf(wal, sizeof(wal), "%s-wal", db);
    snprintf(shm, sizeof(shm), "%s-shm", db);
    /* Created with umask 0: still 0600, and so are the WAL and shm files,
       checked while open (the WAL exists only then). */
    old = umask(0);
    CU_ASSERT_FATAL(ch_state_open(db, &st, err, sizeof(err)) == 0);
    umask(old);
    assert_mode(db, 0600);
    assert_mode(wal, 0600);
    assert_mode(shm, 0600);
    ch_state_close(st);
    st = NULL;
    /* An existing group-readable state.db is refused, naming the fix. */
    CU_ASSERT_FATAL(chmod(db, 0644) == 0);
    CU_ASSERT_EQUAL(ch_state_open(db, &st, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, db));
    CU_ASSERT_FATAL(chmod(db, 0600) == 0);
    /* So is a state.db that is a symbolic link, or a planted -wal. */
    snprintf(other, sizeof(other), "%s/real.db", d);
    CU_ASSERT_FATAL(rename(db, other) == 0);
    CU_ASSERT_FATAL(symlink(other, db) == 0);
    CU_ASSERT_EQUAL(ch_state_open(db, &st, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));
    CU_ASSERT_FATAL(unlink(db) == 0 && rename(other, db) == 0);
    write_mode(wal, "", 0644);
    CU_ASSERT_EQUAL(ch_state_open(db, &st, err, sizeof(err)), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, wal));
    CU_ASSERT_FATAL(unlink(wal) == 0);
    CU_ASSERT_EQUAL(ch_state_open(db, &st, err, sizeof(err)), 0);
    ch_state_close(st);
}

int main(void)
{
    static const ts_test tests[] = {
        {"secrets file swapped while read", test_swap_race},
        {"FIFO as secrets file", test_fifo},
        {"symbolic link as secrets file", test_symlink},
        {"secrets file of another user", test_foreign_owner},
        {"fsync/rename failures", test_write_failures},
        {"replaced files 0600", test_write_mode},
        {"home and spool modes", test_home},
        {"CLI refuses a 0777 home", test_cli_home},
        {"CLI: a home that cannot be made", test_cli_home_unwritable},
        {"state.db, -wal, -shm modes", test_state_modes},
    };
    static const ts_suite suites[] = {
        {"file", suite_init, suite_clean, tests, sizeof tests / sizeof tests[0]},
    };

    return ts_cunit_run(suites, sizeof suites / sizeof suites[0]);
}
