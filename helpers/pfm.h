/*
 * pfm.h - declarations shared by the pfm C helpers.
 *
 * The helpers link one shared module: msg.c (diagnostics, memory,
 * buffers) and cfread.c (the main.cf reader, written once for
 * pfm-parsecf and pfm-lock).  Everything here is C99 plus POSIX.
 */
#ifndef PFM_H
#define PFM_H

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define PFM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define PFM_NORETURN __attribute__((noreturn))
#else
#define PFM_PRINTF(a, b)
#define PFM_NORETURN
#endif

/* msg.c: "prog: fatal: ..." and "prog: warning: ..." on stderr. */
extern const char *pfm_progname;
void msg_init(const char *argv0);
void msg_fatal(const char *fmt, ...) PFM_PRINTF(1, 2) PFM_NORETURN;
void msg_warn(const char *fmt, ...) PFM_PRINTF(1, 2);
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *msg_printable(char *s);
char *xvformat(const char *fmt, va_list ap) PFM_PRINTF(1, 0);

/* Growable byte buffer, always NUL-terminated. */
struct buf {
    char *s;
    size_t len;
    size_t cap;
};
void buf_init(struct buf *b);
void buf_addn(struct buf *b, const char *s, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, int c);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* cfread.c: main.cf as Postfix reads it. */
enum cf_kind {
    CF_BLANK,                   /* empty or whitespace only */
    CF_COMMENT,                 /* first non-blank byte is '#' */
    CF_START,                   /* starts a logical line */
    CF_CONT,                    /* starts with whitespace: continues one */
    CF_ORPHAN                   /* continuation with nothing to continue */
};

/* One physical line: bytes data[off, off+len), then '\n' if has_nl. */
struct cf_line {
    size_t off;
    size_t len;
    int has_nl;
    enum cf_kind kind;
    long entry;                 /* index into entries, -1 if none */
};

/* One logical line (a setting, or a malformed line). */
struct cf_entry {
    size_t first, last;         /* first and last physical line (index) */
    size_t lineno;              /* 1-based number of the first line */
    char *text;                 /* joined text, newlines dropped */
    char *name;                 /* NULL when error is set */
    char *value;                /* trimmed, not normalised */
    const char *error;          /* Postfix's text, or NULL */
};

struct cf_file {
    char *path;                 /* as given: DIR/main.cf */
    char *data;                 /* whole file, NUL-terminated copy */
    size_t size;
    struct cf_line *lines;
    size_t nlines;
    struct cf_entry *entries;
    size_t nentries;
    const char *failed;         /* after cf_read fails: "open" or "read" */
};

int cf_read(struct cf_file *cf, const char *path);
void cf_parse_buf(struct cf_file *cf, const char *path, const char *data,
                  size_t size);
void cf_free(struct cf_file *cf);
int cf_isspace(int c);

#endif
