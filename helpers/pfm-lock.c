/*
 * pfm-lock - the only writer of main.cf, and a lock runner.
 *
 * Usage:
 *   pfm-lock [-c config_dir] -e 'name = value' ...
 *   pfm-lock [-c config_dir] -# name ...
 *   pfm-lock [-c config_dir] -X name ...
 *   pfm-lock [-N progname] -l lockfile [-w seconds] command [arg ...]
 *   pfm-lock -H lockfile
 *
 * The edit modes write the same bytes as "postconf -c DIR -e/-#/-X"
 * (Postfix 3.12 behaviour), but keep main.cf's mode and owner, refuse
 * a symlinked main.cf, validate parameter names, and fsync the
 * directory after the rename.  They lock with postconf's own protocol
 * on DIR/main.cf.tmp, so pfm-lock and a concurrent "postconf -e" never
 * lose each other's update; a main.cf.tmp that is not an empty 0600
 * regular file of ours with one link is removed, never written
 * through.  All edits in one call are one rename.
 *
 * The command mode takes an exclusive flock on lockfile (a regular
 * file, created mode 0600 if missing, never truncated; -w bounds the
 * whole wait) and execs the command with the lock descriptor open: the
 * lock lives exactly as long as the command.  -N puts the caller's name
 * on its messages.  -H tells that command whether it holds the lock.
 *
 * Without -c the directory is $MAIL_CONFIG, else the compiled-in
 * PFM_CONFIG_DIRECTORY.  Errors: "pfm-lock: fatal: TEXT", exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "pfm.h"

#ifndef PFM_CONFIG_DIRECTORY
#define PFM_CONFIG_DIRECTORY "/etc/postfix"
#endif

#define USAGE "usage: pfm-lock [-c config_dir] -e name=value ... | " \
    "-# name ... | -X name ... ; pfm-lock [-N progname] -l lockfile " \
    "[-w seconds] command [arg ...] ; pfm-lock -H lockfile"

/* Edit modes, named after postconf's options. */
#define MODE_EDIT    'e'
#define MODE_COMMENT '#'
#define MODE_REMOVE  'X'

/* One requested change. */
struct edit {
    char *name;
    char *value;                /* -e only */
    int found;                  /* matching settings seen in main.cf */
};

/* State that the exit handler needs to undo a failed edit. */
static char *tmp_path;          /* DIR/main.cf.tmp */
static char *tmp_show;          /* the same, printable, for messages */
static int tmp_fd = -1;         /* locked, ours until renamed */
static struct stat tmp_st;      /* what tmp_fd is: device and inode */
static int tmp_renamed;

/* same_file - do two stat results name one file? */
static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* cleanup_tmp - at exit, remove the locked temporary file if not installed */
static void cleanup_tmp(void)
{
    struct stat st;

    /* We still hold the lock, so nobody else uses this file now; the
     * name is removed only while it is still the file we locked. */
    if (tmp_fd >= 0 && !tmp_renamed && lstat(tmp_path, &st) == 0
        && same_file(&st, &tmp_st))
        (void) unlink(tmp_path);
}

/* san - a copy with every byte that is not printable ASCII shown as
 * '?', as Postfix does with its diagnostics (no raw control bytes or
 * terminal escapes reach stderr) */
static char *san(const char *s)
{
    return msg_printable(xstrdup(s));
}

/* file_kind - what a file that is not a regular file is, for messages */
static const char *file_kind(mode_t mode)
{
    if (S_ISLNK(mode))
        return "symbolic link";
    if (S_ISDIR(mode))
        return "directory";
    if (S_ISFIFO(mode))
        return "FIFO";
    if (S_ISSOCK(mode))
        return "socket";
    if (S_ISCHR(mode))
        return "character device";
    if (S_ISBLK(mode))
        return "block device";
    return "special file";
}

/* skip_space - first non-blank byte of s */
static const char *skip_space(const char *s)
{
    while (*s && cf_isspace((unsigned char) *s))
        s++;
    return s;
}

/* valid_name - pfm's rule for parameter names (an extension) */
static int valid_name(const char *s)
{
    const char *p;

    /* ASCII letters, digits and '_' as in $name expansion, plus '-'
     * and '.' that master.cf service names (service-specific
     * parameters) may contain; it must not look like an option. */
    if (*s == '\0' || *s == '-' || *s == '.')
        return 0;
    for (p = s; *p; p++) {
        unsigned char c = (unsigned char) *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-'
              || c == '.'))
            return 0;
    }
    return 1;
}

/* check_arg_common - postconf's checks shared by -e, -X and -# */
static void check_arg_common(const char *arg)
{
    if (strchr(arg, '\n'))
        msg_fatal("-e, -X, or -# accepts no multi-line input");
    if (*skip_space(arg) == '#')
        msg_fatal("-e, -X, or -# accepts no comment input");
}

/* parse_edits - turn arguments into edits, with postconf's texts */
static struct edit *parse_edits(int mode, char **argv, int argc,
                                size_t *nedits)
{
    struct edit *ed = xmalloc((size_t) argc * sizeof(*ed));
    size_t n = 0, i;
    int k;

    for (k = 0; k < argc; k++) {
        const char *arg = argv[k], *p, *name_end, *v, *end;
        char *name;

        check_arg_common(arg);
        p = skip_space(arg);
        if (mode == MODE_EDIT) {
            for (name_end = p; *name_end && *name_end != '='
                 && !cf_isspace((unsigned char) *name_end); name_end++)
                /* void */ ;
            v = skip_space(name_end);
            if (name_end == p)
                msg_fatal("missing attribute name: \"%s\"", san(p));
            if (*v != '=')
                msg_fatal("missing '=' after attribute name: \"%s\"",
                          san(p));
            name = xstrndup(p, (size_t) (name_end - p));
            v = skip_space(v + 1);
            end = v + strlen(v);
            while (end > v && cf_isspace((unsigned char) end[-1]))
                end--;
        } else {
            if (*p == '\0')
                msg_fatal("-X or -# requires non-blank parameter names");
            if (strchr(p, '='))
                msg_fatal("-X or -# requires parameter names without value");
            /* 3.12: a trailing blank is not part of the name. */
            end = p + strlen(p);
            while (end > p && cf_isspace((unsigned char) end[-1]))
                end--;
            name = xstrndup(p, (size_t) (end - p));
            v = end = NULL;
        }
        if (!valid_name(name))
            msg_fatal("invalid parameter name: \"%s\"", san(name));
        for (i = 0; i < n && strcmp(ed[i].name, name) != 0; i++)
            /* void */ ;
        if (i < n) {
            /* -e: the last request wins; -X/-#: act once (3.12). */
            if (mode == MODE_EDIT) {
                char *sv = san(ed[i].value);

                msg_warn("ignoring earlier request: '%s = %s'",
                         ed[i].name, sv);
                free(sv);
                free(ed[i].value);
                ed[i].value = xstrndup(v, (size_t) (end - v));
            }
            free(name);
            continue;
        }
        ed[n].name = name;
        ed[n].value = mode == MODE_EDIT ?
            xstrndup(v, (size_t) (end - v)) : NULL;
        ed[n].found = 0;
        n++;
    }
    *nedits = n;
    return ed;
}

/* find_edit - the edit whose name is the line's leading token */
static struct edit *find_edit(struct edit *ed, size_t n, const char *s,
                              size_t len)
{
    size_t tok, i;

    /* postconf ends the token at space, tab, CR, '=' (not at VT or
     * FF, which the reader calls white space) and at a NUL byte. */
    for (tok = 0; tok < len && s[tok] != ' ' && s[tok] != '\t'
         && s[tok] != '\r' && s[tok] != '=' && s[tok] != '\0'; tok++)
        /* void */ ;
    if (tok == 0)
        return NULL;
    for (i = 0; i < n; i++)
        if (strlen(ed[i].name) == tok && memcmp(ed[i].name, s, tok) == 0)
            return ed + i;
    return NULL;
}

/* by_name - qsort order for appended settings */
static int by_name(const void *a, const void *b)
{
    return strcmp((*(const struct edit *const *) a)->name,
                  (*(const struct edit *const *) b)->name);
}

/* add_setting - append "name = value\n" */
static void add_setting(struct buf *out, const struct edit *e)
{
    buf_adds(out, e->name);
    buf_adds(out, " = ");
    buf_adds(out, e->value);
    buf_addc(out, '\n');
}

/* rewrite - apply the edits to the old content, as postconf does */
static void rewrite(struct buf *out, const struct cf_file *cf, int mode,
                    struct edit *ed, size_t n)
{
    enum { KEEP, DROP, HASH } state = KEEP;
    struct edit **missing;
    size_t i, nmissing = 0;

    for (i = 0; i < cf->nlines; i++) {
        const struct cf_line *l = cf->lines + i;
        const char *s = cf->data + l->off;
        struct edit *e;

        if (l->kind == CF_START) {
            state = KEEP;
            if ((e = find_edit(ed, n, s, l->len)) != NULL) {
                if (++e->found == 2) {
                    char *sp = san(cf->path);

                    msg_warn("%s: multiple entries for \"%s\"", sp, e->name);
                    free(sp);
                }
                if (mode == MODE_EDIT) {
                    add_setting(out, e);
                    state = DROP;
                    continue;
                }
                state = mode == MODE_REMOVE ? DROP : HASH;
            }
        } else if (l->kind != CF_CONT) {
            /* Blank and comment lines never end or join a setting. */
            buf_addn(out, s, l->len + (size_t) l->has_nl);
            continue;
        }
        if (state == DROP)
            continue;
        if (state == HASH)
            buf_addc(out, '#');
        buf_addn(out, s, l->len + (size_t) l->has_nl);
    }
    if (mode != MODE_EDIT)
        return;
    missing = xmalloc((n ? n : 1) * sizeof(*missing));
    for (i = 0; i < n; i++)
        if (ed[i].found == 0)
            missing[nmissing++] = ed + i;
    if (nmissing > 0) {
        /* 3.12: end an unterminated last line first; sort by name. */
        if (out->len > 0 && out->s[out->len - 1] != '\n')
            buf_addc(out, '\n');
        qsort(missing, nmissing, sizeof(*missing), by_name);
        for (i = 0; i < nmissing; i++)
            add_setting(out, missing[i]);
    }
    free(missing);
}

/* remove_odd - remove the temporary name when it is not a regular
 * file (symbolic link, FIFO, socket, device) */
static void remove_odd(const char *dir, const char *dir_show,
                       const struct stat *seen)
{
    struct stat now;
    int dfd;

    /* Such a file is never opened: opening a FIFO blocks, a device may
     * act on it, and a symbolic link leads elsewhere.  So it cannot be
     * locked like a regular temporary file; a lock on the directory
     * orders pfm-lock processes instead, and the name is removed only
     * if it is still what was seen (else another writer got there). */
    if ((dfd = open(dir, O_RDONLY | O_NOCTTY)) < 0)
        msg_fatal("open %s: %s", dir_show, strerror(errno));
    while (flock(dfd, LOCK_EX) < 0)
        if (errno != EINTR)
            msg_fatal("lock %s: %s", dir_show, strerror(errno));
    if (lstat(tmp_path, &now) == 0 && same_file(&now, seen)
        && !S_ISREG(now.st_mode) && !S_ISDIR(now.st_mode)
        && unlink(tmp_path) < 0 && errno != ENOENT)
        msg_fatal("remove %s: %s", tmp_show, strerror(errno));
    (void) close(dfd);
}

/* lock_tmp - take postconf's lock: an flock on an empty DIR/main.cf.tmp */
static int lock_tmp(const char *dir, const char *dir_show)
{
    struct stat fst, pst;
    int fd, fl;

    for (;;) {
        /* A leftover that is not a regular file is removed (postconf
         * removes it once it has opened and locked it; we never open
         * it); a directory is postconf's error. */
        if (lstat(tmp_path, &pst) == 0 && !S_ISREG(pst.st_mode)) {
            if (S_ISDIR(pst.st_mode))
                msg_fatal("open %s: %s", tmp_show, strerror(EISDIR));
            remove_odd(dir, dir_show, &pst);
            continue;
        }
        /* O_NONBLOCK: should a FIFO appear here after all, the open
         * must not wait for a reader. */
        if ((fd = open(tmp_path, O_WRONLY | O_CREAT | O_NOFOLLOW
                       | O_NONBLOCK | O_NOCTTY, 0600)) < 0) {
            int err = errno;

            if (lstat(tmp_path, &pst) == 0 && !S_ISREG(pst.st_mode))
                continue;
            msg_fatal("open %s: %s", tmp_show, strerror(err));
        }
        if (fstat(fd, &fst) < 0)
            msg_fatal("fstat %s: %s", tmp_show, strerror(errno));
        if (!S_ISREG(fst.st_mode)) {
            (void) close(fd);
            continue;
        }
        if ((fl = fcntl(fd, F_GETFL)) < 0
            || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
            msg_fatal("fcntl %s: %s", tmp_show, strerror(errno));
        while (flock(fd, LOCK_EX) < 0)
            if (errno != EINTR)
                msg_fatal("lock %s: %s", tmp_show, strerror(errno));
        if (fstat(fd, &fst) < 0)
            msg_fatal("fstat %s: %s", tmp_show, strerror(errno));
        /* The previous holder may have renamed or removed the file we
         * waited on: only the file now at the path is the lock. */
        if (lstat(tmp_path, &pst) < 0) {
            if (errno != ENOENT)
                msg_fatal("lstat %s: %s", tmp_show, strerror(errno));
            (void) close(fd);
            continue;
        }
        if (!same_file(&pst, &fst)) {
            (void) close(fd);
            continue;
        }
        /* We hold the lock on the file at the name: use it only if it
         * is what a writer creates, empty, with no other name (another
         * file, or main.cf itself after a crash during the rename),
         * mode 0600 and ours (nobody else may hold it open for
         * writing).  Else a writer died and left it: remove the name
         * and start over, as postconf does. */
        if (fst.st_size != 0 || fst.st_nlink != 1
            || (fst.st_mode & 07777) != 0600 || fst.st_uid != geteuid()) {
            if (unlink(tmp_path) < 0 && errno != ENOENT)
                msg_fatal("remove %s: %s", tmp_show, strerror(errno));
            (void) close(fd);
            continue;
        }
        tmp_fd = fd;
        tmp_st = fst;
        return fd;
    }
}

/* read_fd - the whole content of an open file */
static void read_fd(int fd, const char *path, struct buf *b)
{
    char chunk[65536];
    ssize_t got;

    while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("read %s: %s", path, strerror(errno));
        }
        buf_addn(b, chunk, (size_t) got);
    }
}

/* write_all - write everything or die */
static void write_all(int fd, const char *path, const char *s, size_t len)
{
    ssize_t done;

    while (len > 0) {
        if ((done = write(fd, s, len)) < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("write %s: %s", path, strerror(errno));
        }
        s += done;
        len -= (size_t) done;
    }
}

/* sync_dir - make the rename durable */
static void sync_dir(const char *dir, const char *dir_show)
{
    int fd;

    if ((fd = open(dir, O_RDONLY | O_NOCTTY)) < 0)
        msg_fatal("open %s: %s (main.cf was replaced)", dir_show,
                  strerror(errno));
    /* Some file systems cannot sync a directory; that is no error. */
    if (fsync(fd) < 0 && errno != EINVAL && errno != EBADF)
        msg_fatal("fsync %s: %s (main.cf was replaced)", dir_show,
                  strerror(errno));
    close(fd);
}

/* edit_main_cf - the edit modes: lock, read, rewrite, install */
static int edit_main_cf(const char *dir, int mode, char **args, int nargs)
{
    struct edit *ed;
    size_t n, i;
    struct cf_file cf;
    struct buf path, old, out;
    struct stat st, tst, pst;
    char *cf_show, *dir_show;
    int fd, tfd;

    if (nargs == 0)
        msg_fatal(mode == MODE_EDIT ? "-e requires name=value argument"
                  : "missing service argument");
    /* postconf's own check: a first -X/-# operand with '=' looks like
     * an -e request. */
    if (mode != MODE_EDIT && strchr(args[0], '='))
        msg_fatal("specify one of -e -%c", mode);
    ed = parse_edits(mode, args, nargs, &n);

    buf_init(&path);
    buf_adds(&path, dir);
    buf_adds(&path, "/main.cf.tmp");
    tmp_path = xstrdup(path.s);
    tmp_show = san(tmp_path);
    dir_show = san(dir);
    if (atexit(cleanup_tmp) != 0)
        msg_fatal("atexit: cannot register cleanup");
    tfd = lock_tmp(dir, dir_show);
    path.s[path.len - 4] = '\0';        /* DIR/main.cf */
    cf_show = san(path.s);

    /* O_NONBLOCK: a FIFO at main.cf must not hang us while we hold
     * the lock every writer waits for; it is refused below. */
    if ((fd = open(path.s, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)) < 0) {
        if (errno == ELOOP)
            msg_fatal("%s: is a symbolic link; pfm-lock edits only a "
                      "regular file (edit the link target instead)",
                      cf_show);
        msg_fatal("open %s for reading: %s", cf_show, strerror(errno));
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s: %s", cf_show, strerror(errno));
    if (!S_ISREG(st.st_mode))
        msg_fatal("%s: not a regular file", cf_show);
    buf_init(&old);
    read_fd(fd, cf_show, &old);
    close(fd);
    cf_parse_buf(&cf, path.s, old.s, old.len);
    buf_free(&old);

    buf_init(&out);
    rewrite(&out, &cf, mode, ed, n);
    write_all(tfd, tmp_show, out.s, out.len);

    /* Keep main.cf's owner and mode (postconf resets them).  fchown
     * first: it may clear set-id bits that fchmod then restores. */
    if (fstat(tfd, &tst) < 0)
        msg_fatal("fstat %s: %s", tmp_show, strerror(errno));
    if ((tst.st_uid != st.st_uid || tst.st_gid != st.st_gid)
        && fchown(tfd, st.st_uid, st.st_gid) < 0)
        msg_fatal("cannot keep owner of %s: fchown %s: %s", cf_show,
                  tmp_show, strerror(errno));
    if (fchmod(tfd, st.st_mode & 07777) < 0)
        msg_fatal("cannot keep mode of %s: fchmod %s: %s", cf_show,
                  tmp_show, strerror(errno));
    if (fsync(tfd) < 0)
        msg_fatal("fsync %s: %s", tmp_show, strerror(errno));
    /* rename() goes by name: make sure the name is still the file we
     * locked and wrote, so that a writer that broke the protocol can
     * make this edit fail, but never install its file. */
    if (lstat(tmp_path, &pst) < 0 || !same_file(&pst, &tmp_st))
        msg_fatal("%s was removed or replaced while locked; %s is "
                  "unchanged", tmp_show, cf_show);
    if (rename(tmp_path, path.s) < 0)
        msg_fatal("rename %s to %s: %s", tmp_show, cf_show,
                  strerror(errno));
    tmp_renamed = 1;
    sync_dir(dir, dir_show);
    /* Closing the descriptor releases the lock for the next writer. */
    if (close(tfd) < 0)
        msg_fatal("close %s: %s", cf_show, strerror(errno));
    tmp_fd = -1;

    cf_free(&cf);
    buf_free(&out);
    for (i = 0; i < n; i++) {
        free(ed[i].name);
        free(ed[i].value);
    }
    free(ed);
    free(path.s);
    free(cf_show);
    free(dir_show);
    free(tmp_path);
    free(tmp_show);
    tmp_path = tmp_show = NULL;
    return 0;
}

/* on_alarm - interrupt a blocked flock when -w expires */
static void on_alarm(int sig)
{
    (void) sig;
}

/* parse_seconds - the -w operand: a decimal count of seconds */
static unsigned parse_seconds(const char *s)
{
    unsigned long v = 0;
    const char *p;

    for (p = s; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned long) (*p - '0');
        if (v > 100000000UL)
            break;
    }
    if (*s == '\0' || *p != '\0')
        msg_fatal("bad -w value: \"%s\" (expected seconds)", san(s));
    return (unsigned) v;
}

/* not_regular - refuse a lock file that is not a regular file */
static void not_regular(const char *show, mode_t mode)
{
    msg_fatal("%s: is a %s; a lock file must be a regular file", show,
              file_kind(mode));
}

/* run_locked - command mode: lock, then exec with the lock held */
static int run_locked(const char *lockfile, const char *wait, char **argv)
{
    struct stat st;
    unsigned secs = 0;
    char *show = san(lockfile);
    int fd, rc, fl;

    if (wait)
        secs = parse_seconds(wait);
    /* -w bounds the whole wait, from here: a file system can block in
     * open() as well as in flock(). */
    if (wait && secs > 0) {
        struct sigaction sa;
        struct itimerval it;

        /* No SA_RESTART: the alarm must break flock with EINTR. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_alarm;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGALRM, &sa, NULL) < 0)
            msg_fatal("sigaction: %s", strerror(errno));
        /* After the first expiry the timer repeats every 50 ms: an
         * expiry that lands just before flock() blocks would be lost,
         * and the wait would have no end. */
        memset(&it, 0, sizeof(it));
        it.it_value.tv_sec = (time_t) secs;
        it.it_interval.tv_usec = 50000;
        if (setitimer(ITIMER_REAL, &it, NULL) < 0)
            msg_fatal("setitimer: %s", strerror(errno));
    }
    /* Never opened unless it is a regular file (or missing): a FIFO
     * would block the open, a device may act on it.  O_NONBLOCK and the
     * fstat below cover a file swapped in meanwhile; O_NOFOLLOW: we
     * follow no symlink we did not make.  Never truncated. */
    if (lstat(lockfile, &st) == 0 && !S_ISREG(st.st_mode))
        not_regular(show, st.st_mode);
    if ((fd = open(lockfile, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK
                   | O_NOCTTY, 0600)) < 0) {
        int err = errno;

        if (lstat(lockfile, &st) == 0 && !S_ISREG(st.st_mode))
            not_regular(show, st.st_mode);
        if (wait && err == EINTR)
            msg_fatal("timed out after %u seconds waiting for lock %s",
                      secs, show);
        msg_fatal("open %s: %s", show, strerror(err));
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s: %s", show, strerror(errno));
    if (!S_ISREG(st.st_mode))
        not_regular(show, st.st_mode);
    /* The command inherits the descriptor: give it the usual flags. */
    if ((fl = fcntl(fd, F_GETFL)) < 0
        || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
        msg_fatal("fcntl %s: %s", show, strerror(errno));
    if (wait && secs == 0) {
        rc = flock(fd, LOCK_EX | LOCK_NB);
        if (rc < 0 && errno == EWOULDBLOCK)
            errno = EINTR;
    } else {
        rc = flock(fd, LOCK_EX);
    }
    if (wait && secs > 0) {
        int err = errno;
        struct itimerval off;

        memset(&off, 0, sizeof(off));
        (void) setitimer(ITIMER_REAL, &off, NULL);
        signal(SIGALRM, SIG_DFL);
        errno = err;
    }
    if (rc < 0) {
        if (wait && errno == EINTR)
            msg_fatal("timed out after %u seconds waiting for lock %s",
                      secs, show);
        msg_fatal("lock %s: %s", show, strerror(errno));
    }
    free(show);
    /* The command inherits the descriptor, and with it the lock. */
    execvp(argv[0], argv);
    rc = errno == ENOENT ? 127 : 126;
    show = san(argv[0]);
    fprintf(stderr, "%s: fatal: execute %s: %s\n", pfm_progname, show,
            strerror(errno));
    free(show);
    return rc;
}

/* lock_held - -H: does this process hold the exclusive lock on lockfile
 * through a descriptor it inherited, as a command run by -l does?  Each
 * descriptor open on that file is asked for the lock without waiting:
 * flock() succeeds on the open file that holds it and fails on any
 * other while it is held.  One that gets the lock now holds it too, as
 * long as the caller keeps it open.  0: held; 1 (quietly): not. */
static int lock_held(const char *lockfile)
{
    struct stat ls, fs;
    long max = sysconf(_SC_OPEN_MAX);
    int fd;

    if (lstat(lockfile, &ls) < 0 || !S_ISREG(ls.st_mode))
        return 1;
    /* Descriptors are handed out lowest first: a bound keeps a huge
     * RLIMIT_NOFILE from costing a long scan. */
    if (max < 0 || max > 65536)
        max = 65536;
    for (fd = 0; fd < max; fd++)
        if (fstat(fd, &fs) == 0 && S_ISREG(fs.st_mode)
            && fs.st_dev == ls.st_dev && fs.st_ino == ls.st_ino
            && flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
    return 1;
}

/* usage - complain about the command line */
static void usage(void)
{
    msg_fatal(USAGE);
}

/* main - parse options and run one mode */
int main(int argc, char **argv)
{
    const char *dir = NULL, *lockfile = NULL, *wait = NULL, *name = NULL;
    const char *heldfile = NULL;
    int mode = 0, i;

    msg_init("pfm-lock");
    /* Options end at the first operand or "--", as POSIX getopt does
     * without GNU argument permutation (postconf does not permute). */
    for (i = 1; argv[i] && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *p = argv[i] + 1;

        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        for (; *p; p++) {
            const char **slot = NULL;

            switch (*p) {
            case 'e':
            case 'X':
            case '#':
                if (mode && mode != *p)
                    msg_fatal("specify one of %s",
                              (mode == 'e' || *p == 'e') ?
                              ((mode == 'X' || *p == 'X') ? "-e -X"
                               : "-e -#") : "-X -#");
                mode = *p;
                continue;
            case 'c':
                slot = &dir;
                break;
            case 'l':
                slot = &lockfile;
                break;
            case 'w':
                slot = &wait;
                break;
            case 'N':
                slot = &name;
                break;
            case 'H':
                slot = &heldfile;
                break;
            default:
                msg_warn("invalid option -- '%c'",
                         (unsigned char) *p >= 0x20
                         && (unsigned char) *p <= 0x7e ? *p : '?');
                usage();
            }
            /* An option argument is the rest of this word or the next. */
            if (p[1])
                *slot = p + 1;
            else if (argv[i + 1])
                *slot = argv[++i];
            else {
                msg_warn("option requires an argument -- '%c'", *p);
                usage();
            }
            break;
        }
    }
    if (heldfile) {
        if (lockfile || mode || dir || wait || name || argv[i])
            usage();
        return lock_held(heldfile);
    }
    if (lockfile) {
        if (mode || dir || argv[i] == NULL)
            usage();
        /* The caller's name on the lock's messages: its users see them. */
        if (name)
            pfm_progname = name;
        return run_locked(lockfile, wait, argv + i);
    }
    if (wait || name || mode == 0)
        usage();
    if (dir == NULL) {
        dir = getenv("MAIL_CONFIG");
        if (dir == NULL || *dir == '\0')
            dir = PFM_CONFIG_DIRECTORY;
    }
    /* The temporary file must come out 0600 (the lock protocol removes
     * any other): the caller's umask must not take bits from it.  Only
     * here: a command run by -l keeps the caller's umask. */
    (void) umask(077);
    return edit_main_cf(dir, mode, argv + i, argc - i);
}
