/*
 * pfm-queuecheck - does a Postfix queue directory hold messages?
 *
 * Usage:
 *   pfm-queuecheck -q queue_dir
 *   pfm-queuecheck [-c config_dir]
 *
 * Counts the queue files in each message queue of a Postfix queue
 * directory (maildrop incoming active deferred hold corrupt saved, in
 * that order, at any hash depth) and prints "QUEUE COUNT" for each
 * queue that is not empty.  Exit status: 0 empty, 2 holds messages,
 * 1 cannot tell ("pfm-queuecheck: fatal: TEXT" on stderr, nothing on
 * stdout).
 *
 * With -c (default $MAIL_CONFIG, else the compiled-in
 * PFM_CONFIG_DIRECTORY) the queue directory is the instance's expanded
 * queue_directory, as postconf computes it: we run the pfm-parsecf
 * that sits beside this program ("pfm-parsecf -N pfm-queuecheck -c DIR
 * -xh queue_directory", through a pipe) rather than repeat its
 * expansion code; -N makes its diagnostics ours.  "Beside"
 * is the directory of argv[0] when argv[0] holds a '/' (so a staged
 * or relocated tree uses its own reader), else the compiled-in
 * PFM_LIBEXECDIR.
 *
 * Safety: every directory is opened with O_NOFOLLOW|O_DIRECTORY
 * relative to its parent's descriptor, every entry is examined with
 * lstat semantics, and only fixed queue names and single hex digit
 * hash directories are entered: a symbolic link is never followed, the
 * walk never leaves the queue directory, and no message file is ever
 * opened.  Anything unexpected (a symbolic link, a socket, a stray
 * directory, a file whose name is not a queue ID) makes the answer
 * "cannot tell", with the path in the message.
 */
/* For d_type and DT_* where the system has them (glibc, musl): one
 * readdir then tells the kind of most entries without a stat call
 * each.  Elsewhere, or when d_type is DT_UNKNOWN, we fstatat(). */
#define _DEFAULT_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pfm.h"

#ifndef PFM_CONFIG_DIRECTORY
#define PFM_CONFIG_DIRECTORY "/etc/postfix"
#endif
#ifndef PFM_LIBEXECDIR
#define PFM_LIBEXECDIR "/usr/local/libexec/pfm"
#endif
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

#define USAGE "usage: pfm-queuecheck -q queue_dir | [-c config_dir]"
#define PARSECF "pfm-parsecf"
#define MAX_DEPTH 16            /* hash levels we are willing to enter */
#define MAX_VALUE 65536         /* longest queue_directory we accept */
#define DIGITS "0123456789"
#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_" DIGITS

extern char **environ;

/* The queues that hold queue files (messages), in report order. */
static const char *const msg_queues[] = {
    "maildrop", "incoming", "active", "deferred", "hold", "corrupt",
    "saved",
};

#define NQUEUES (sizeof(msg_queues) / sizeof(msg_queues[0]))

/* Everything that Postfix makes in a queue directory (postfix-files,
 * plus 3.12's tlstrace): seeing one of them tells a queue directory
 * from some other directory. */
static const char *const known_subdirs[] = {
    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
    "incoming", "maildrop", "pid", "private", "public", "saved", "trace",
    "tlstrace",
};

#define NKNOWN (sizeof(known_subdirs) / sizeof(known_subdirs[0]))

/* The path of the directory or entry being looked at, for messages:
 * names are pushed on the way down and popped on the way back.  It
 * and the printable copies live in static storage, so that a fatal
 * error leaves nothing unreachable behind. */
static struct buf path;
static struct buf shown[2];

/* The directory streams being read, one per level: closed at exit,
 * also after a fatal error (a clean valgrind leak check). */
static DIR *open_dirs[MAX_DEPTH + 1];

/* close_dirs - at exit, close the directory streams still open */
static void close_dirs(void)
{
    size_t i;

    for (i = 0; i <= MAX_DEPTH; i++)
        if (open_dirs[i] != NULL) {
            (void) closedir(open_dirs[i]);
            open_dirs[i] = NULL;
        }
}

static void usage(void) PFM_NORETURN;
static void fatal_path(const char *) PFM_NORETURN;
static void fatal_errno(const char *, int) PFM_NORETURN;
static void fatal_kind(int, const char *, int) PFM_NORETURN;

/* usage - report how to call us and exit 1 */
static void usage(void)
{
    msg_fatal("%s", USAGE);
}

/* show - a printable copy of s for a message; slot 0 or 1, so that
 * one message can show two strings */
static const char *show(int slot, const char *s)
{
    buf_reset(&shown[slot]);
    buf_adds(&shown[slot], s);
    return msg_printable(shown[slot].s);
}

/* path_push - append "/name" to the current path; returns the length
 * to give path_pop */
static size_t path_push(const char *name)
{
    size_t len = path.len;

    buf_addc(&path, '/');
    buf_adds(&path, name);
    return len;
}

/* path_pop - back to the path before path_push */
static void path_pop(size_t len)
{
    path.len = len;
    path.s[len] = '\0';
}

/* fatal_path - "PATH TEXT" for the current path */
static void fatal_path(const char *text)
{
    msg_fatal("%s %s", show(0, path.s), text);
}

/* fatal_errno - "OP PATH: strerror" for the current path */
static void fatal_errno(const char *op, int err)
{
    msg_fatal("%s %s: %s", op, show(0, path.s), strerror(err));
}

/* fatal_kind - explain why NAME under DIRFD (the current path), which
 * we wanted as a directory, is not one; after an open failed with err */
static void fatal_kind(int dirfd, const char *name, int err)
{
    struct stat st;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
            fatal_path("is a symbolic link");
        if (!S_ISDIR(st.st_mode))
            fatal_path("is not a directory");
    }
    fatal_errno("open", err);
}

/* open_dir - open NAME under DIRFD (the current path) as a directory,
 * never through a symbolic link; -1 when it does not exist, fatal on
 * anything else */
static int open_dir(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
                    | O_CLOEXEC);

    if (fd >= 0)
        return fd;
    if (errno == ENOENT)
        return -1;
    /* O_NOFOLLOW on a symbolic link: ELOOP (POSIX), EMLINK (BSD);
     * O_DIRECTORY on a non-directory: ENOTDIR. */
    fatal_kind(dirfd, name, errno);
}

/* queue_name_ok - a name Postfix gives a queue file: a queue ID, short
 * or long (letters, digits, '_'), or the temporary name of a file that
 * is being written (digits '.' digits); either way a message */
static int queue_name_ok(const char *s)
{
    size_t n;

    if ((n = strspn(s, ID_CHARS)) > 0 && s[n] == '\0')
        return 1;
    if ((n = strspn(s, DIGITS)) == 0 || s[n] != '.')
        return 0;
    s += n + 1;
    return (n = strspn(s, DIGITS)) > 0 && s[n] == '\0';
}

/* hash_name_ok - a hash subdirectory: one upper-case hex digit */
static int hash_name_ok(const char *s)
{
    return s[0] != '\0' && s[1] == '\0'
        && ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'A' && s[0] <= 'F'));
}

/* entry_mode - the file type that readdir reported, or 0 to ask stat */
static mode_t entry_mode(const struct dirent *de)
{
#if defined(DT_REG) && defined(DT_DIR) && defined(DT_LNK)
    switch (de->d_type) {
    case DT_REG:
        return S_IFREG;
    case DT_DIR:
        return S_IFDIR;
    case DT_LNK:
        return S_IFLNK;
    }
#else
    (void) de;
#endif
    return 0;
}

/* count_dir - count the queue files in the open directory FD (the
 * current path) and its hash subdirectories; closes FD */
static unsigned long count_dir(int fd, int depth)
{
    DIR *dp;
    struct dirent *de;
    unsigned long n = 0;

    if ((dp = open_dirs[depth] = fdopendir(fd)) == NULL)
        fatal_errno("open", errno);
    for (;;) {
        const char *name;
        struct stat st;
        mode_t mode;
        size_t len;
        int subfd;

        errno = 0;
        if ((de = readdir(dp)) == NULL) {
            if (errno != 0)
                fatal_errno("read directory", errno);
            break;
        }
        name = de->d_name;
        if (name[0] == '.' && (name[1] == '\0'
                               || (name[1] == '.' && name[2] == '\0')))
            continue;
        if ((mode = entry_mode(de)) == 0) {
            if (fstatat(dirfd(dp), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                    continue;   /* moved on by a running Postfix */
                (void) path_push(name);
                fatal_errno("stat", errno);
            }
            mode = st.st_mode;
        }
        if (S_ISREG(mode) && queue_name_ok(name)) {
            n++;
            continue;
        }
        len = path_push(name);
        if (S_ISREG(mode))
            fatal_path("is not a queue file (unexpected name)");
        if (S_ISLNK(mode))
            fatal_path("is a symbolic link");
        if (!S_ISDIR(mode))
            fatal_path("is not a queue file (not a regular file)");
        if (!hash_name_ok(name))
            fatal_path("is not a hash directory (unexpected name)");
        if (depth >= MAX_DEPTH)
            fatal_path("is nested too deep for a hash directory");
        if ((subfd = open_dir(dirfd(dp), name)) >= 0)
            n += count_dir(subfd, depth + 1);
        path_pop(len);
    }
    closedir(dp);
    open_dirs[depth] = NULL;
    return n;
}

/* looks_like_queue - does the open directory FD hold at least one of
 * the subdirectories Postfix makes there, or nothing at all? */
static int looks_like_queue(int fd)
{
    DIR *dp;
    struct dirent *de;
    int dup_fd, seen = 0, known = 0;
    size_t i;

    /* fdopendir takes the descriptor: give it a copy. */
    if ((dup_fd = dup(fd)) < 0
        || (dp = open_dirs[0] = fdopendir(dup_fd)) == NULL)
        fatal_errno("open", errno);
    while (!known) {
        errno = 0;
        if ((de = readdir(dp)) == NULL) {
            if (errno != 0)
                fatal_errno("read directory", errno);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        seen = 1;
        for (i = 0; i < NKNOWN && !known; i++)
            known = strcmp(de->d_name, known_subdirs[i]) == 0;
    }
    closedir(dp);
    open_dirs[0] = NULL;
    return known || !seen;
}

/* check_queue_dir - count every message queue under QDIR into counts;
 * returns 0 when QDIR does not exist */
static int check_queue_dir(const char *qdir, unsigned long *counts)
{
    int fd, qfd;
    size_t i, len;

    /* A trailing '/' would make open() follow a symbolic link. */
    buf_adds(&path, qdir);
    while (path.len > 1 && path.s[path.len - 1] == '/')
        path.s[--path.len] = '\0';
    fd = open(path.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        fatal_kind(AT_FDCWD, path.s, errno);
    }
    if (!looks_like_queue(fd))
        fatal_path("is not a Postfix queue directory "
                   "(none of the subdirectories that Postfix makes)");
    /* "/" + "/deferred" would read "//deferred". */
    if (path.len == 1)
        path_pop(0);
    for (i = 0; i < NQUEUES; i++) {
        len = path_push(msg_queues[i]);
        if ((qfd = open_dir(fd, msg_queues[i])) >= 0)
            counts[i] = count_dir(qfd, 0);
        path_pop(len);
    }
    close(fd);
    return 1;
}

/* parsecf_path - the pfm-parsecf beside this program (caller frees) */
static char *parsecf_path(const char *argv0)
{
    const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
    struct buf b;

    buf_init(&b);
    if (slash == NULL)
        buf_adds(&b, PFM_LIBEXECDIR);
    else
        buf_addn(&b, argv0, (size_t) (slash - argv0));
    buf_adds(&b, "/" PARSECF);
    return b.s;
}

/* queue_directory - run "pfm-parsecf -c DIR -xh queue_directory" and
 * return its single line (caller frees) */
static char *queue_directory(const char *argv0, const char *config_dir)
{
    /* Static: reachable still when a fatal error exits. */
    static char *prog;
    static struct buf out;
    char *args[8];
    posix_spawn_file_actions_t fa;
    char chunk[4096];
    pid_t pid;
    int pfd[2], err, status;
    ssize_t got;

    prog = parsecf_path(argv0);
    /* -N: its messages then read "pfm-queuecheck: ...", one voice. */
    args[0] = prog;
    args[1] = (char *) "-N";
    args[2] = (char *) pfm_progname;
    args[3] = (char *) "-c";
    args[4] = (char *) config_dir;
    args[5] = (char *) "-xh";
    args[6] = (char *) "queue_directory";
    args[7] = NULL;
    if (pipe(pfd) < 0)
        msg_fatal("pipe: %s", strerror(errno));
    if ((err = posix_spawn_file_actions_init(&fa)) != 0
        || (err = posix_spawn_file_actions_adddup2(&fa, pfd[1], 1)) != 0
        || (err = posix_spawn_file_actions_addclose(&fa, pfd[0])) != 0
        || (err = posix_spawn_file_actions_addclose(&fa, pfd[1])) != 0)
        msg_fatal("posix_spawn_file_actions: %s", strerror(err));
    fflush(stdout);
    if ((err = posix_spawn(&pid, prog, &fa, NULL, args, environ)) != 0)
        msg_fatal("execute %s: %s", show(0, prog), strerror(err));
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    buf_init(&out);
    while ((got = read(pfd[0], chunk, sizeof(chunk))) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("read from %s: %s", show(0, prog), strerror(errno));
        }
        if (out.len < MAX_VALUE)
            buf_addn(&out, chunk, (size_t) got);
    }
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            msg_fatal("waitpid: %s", strerror(errno));
    /* Exit 1 is pfm-parsecf's own fatal error: it has said why. */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        exit(1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        msg_fatal("%s failed to read %s/main.cf (%s %d)", show(0, prog),
                  show(1, config_dir), WIFEXITED(status) ? "exit status"
                  : "signal", WIFEXITED(status) ? WEXITSTATUS(status)
                  : WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    if (out.len >= MAX_VALUE)
        msg_fatal("%s/main.cf: queue_directory is too long",
                  show(1, config_dir));
    if (out.len > 0 && out.s[out.len - 1] == '\n')
        out.s[--out.len] = '\0';
    if (strlen(out.s) != out.len || strchr(out.s, '\n'))
        msg_fatal("%s/main.cf: queue_directory is not one line",
                  show(1, config_dir));
    if (out.len == 0)
        msg_fatal("%s/main.cf: queue_directory is empty", show(1, config_dir));
    if (out.s[0] != '/')
        msg_fatal("%s/main.cf: queue_directory is not an absolute path: %s",
                  show(1, config_dir), show(0, out.s));
    free(prog);
    return out.s;
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL, *qarg = NULL;
    char *qdir;
    unsigned long counts[NQUEUES];
    int ch, fd, full = 0;
    size_t i;

    msg_init("pfm-queuecheck");
    /* A closed stdout would make our pipe descriptor 1, which the
     * child's dup2/close dance then loses: keep 0, 1, 2 taken. */
    for (fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
            msg_fatal("open /dev/null: %s", strerror(errno));
    buf_init(&path);
    buf_init(&shown[0]);
    buf_init(&shown[1]);
    if (atexit(close_dirs) != 0)
        msg_fatal("atexit: cannot register");
    opterr = 0;                 /* one usage message, ours */
    while ((ch = getopt(argc, argv, "c:q:")) != -1) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'q':
            qarg = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || (config_dir && qarg))
        usage();
    if (qarg) {
        if (*qarg == '\0')
            usage();
        qdir = xstrdup(qarg);
    } else {
        if (config_dir == NULL) {
            config_dir = getenv("MAIL_CONFIG");
            if (config_dir == NULL || *config_dir == '\0')
                config_dir = PFM_CONFIG_DIRECTORY;
        }
        qdir = queue_directory(argv[0], config_dir);
    }
    memset(counts, 0, sizeof(counts));
    /* A queue directory that does not exist holds nothing (a destroy
     * that was interrupted after removing it, or a queue never made). */
    (void) check_queue_dir(qdir, counts);
    for (i = 0; i < NQUEUES; i++)
        if (counts[i]) {
            printf("%s %lu\n", msg_queues[i], counts[i]);
            full = 1;
        }
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write standard output: %s", strerror(errno));
    free(qdir);
    buf_free(&path);
    buf_free(&shown[0]);
    buf_free(&shown[1]);
    return full ? 2 : 0;
}
