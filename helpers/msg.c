/*
 * msg.c - one place for diagnostics and checked allocation.
 *
 * Every helper reports "prog: fatal: TEXT" / "prog: warning: TEXT" on
 * stderr, as Postfix does, and a fatal error exits with status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfm.h"

const char *pfm_progname = "pfm";

/* msg_init - remember the program's base name for messages */
void msg_init(const char *argv0)
{
    const char *slash;

    if (argv0 == NULL || *argv0 == '\0')
        return;
    slash = strrchr(argv0, '/');
    pfm_progname = slash ? slash + 1 : argv0;
}

/* vmsg - print one message with the given severity */
static void vmsg(const char *level, const char *fmt, va_list ap)
{
    /* One fprintf per part is fine: stderr is unbuffered, and the
     * whole line is flushed before we return. */
    fprintf(stderr, "%s: %s: ", pfm_progname, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* msg_fatal - report and exit 1 */
void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    va_start(ap, fmt);
    vmsg("fatal", fmt, ap);
    va_end(ap);
    exit(1);
}

/* msg_warn - report and carry on */
void msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg("warning", fmt, ap);
    va_end(ap);
}

/* msg_printable - show non-printable bytes as '?', as Postfix does in
 * its messages; edits s in place and returns it */
char *msg_printable(char *s)
{
    char *p;

    for (p = s; *p; p++)
        if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
            *p = '?';
    return s;
}

/* xmalloc - malloc that never returns NULL */
void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        msg_fatal("out of memory");
    return p;
}

/* xrealloc - realloc that never returns NULL */
void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        msg_fatal("out of memory");
    return p;
}

/* xstrdup - strdup that never returns NULL */
char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* xstrndup - copy at most n bytes, NUL-terminated */
char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* xvformat - printf into a fresh string */
char *xvformat(const char *fmt, va_list ap)
{
    va_list aq;
    int n;
    char *s;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
        msg_fatal("vsnprintf: %s", strerror(errno));
    s = xmalloc((size_t) n + 1);
    vsnprintf(s, (size_t) n + 1, fmt, ap);
    return s;
}

/* buf_init - start an empty buffer */
void buf_init(struct buf *b)
{
    b->cap = 64;
    b->s = xmalloc(b->cap);
    b->len = 0;
    b->s[0] = '\0';
}

/* buf_addn - append n bytes (which may include NUL) */
void buf_addn(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap *= 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* buf_adds - append a C string */
void buf_adds(struct buf *b, const char *s)
{
    buf_addn(b, s, strlen(s));
}

/* buf_addc - append one byte */
void buf_addc(struct buf *b, int c)
{
    char ch = (char) c;

    buf_addn(b, &ch, 1);
}

/* buf_reset - empty the buffer, keep the memory */
void buf_reset(struct buf *b)
{
    b->len = 0;
    b->s[0] = '\0';
}

/* buf_free - release the memory */
void buf_free(struct buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
