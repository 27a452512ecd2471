/*
 * cfread.c - read main.cf the way Postfix does.
 *
 * The file is kept whole in memory, split into physical lines, and the
 * physical lines are grouped into logical lines: a line that starts
 * with whitespace continues the previous logical line; empty,
 * whitespace-only and comment lines are skipped anywhere, even inside
 * a continued setting.  Callers that rewrite the file (pfm-lock) use
 * the physical line offsets; callers that evaluate it (pfm-parsecf)
 * use the parsed name and value.  Nothing is reported here: each
 * entry carries Postfix's error text, and the caller decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pfm.h"

/* cf_isspace - Postfix's notion of white space, locale-independent */
int cf_isspace(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'
        || c == '\f';
}

/* classify - tell blank, comment, continuation and start lines apart */
static enum cf_kind classify(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && cf_isspace((unsigned char) s[i]))
        i++;
    if (i == len)
        return CF_BLANK;
    if (s[i] == '#')
        return CF_COMMENT;
    return i > 0 ? CF_CONT : CF_START;
}

/* parse_entry - split "name = value" and record Postfix's error text */
static void parse_entry(struct cf_entry *e)
{
    const char *t = e->text;
    const char *p, *v, *end;

    /* The name ends at the first blank or '='. */
    for (p = t; *p && *p != '=' && !cf_isspace((unsigned char) *p); p++)
        /* void */ ;
    if (p == t) {
        e->error = "missing attribute name";
        return;
    }
    for (v = p; *v && cf_isspace((unsigned char) *v); v++)
        /* void */ ;
    if (*v != '=') {
        e->error = "missing '=' after attribute name";
        return;
    }
    e->name = xstrndup(t, (size_t) (p - t));
    for (v++; *v && cf_isspace((unsigned char) *v); v++)
        /* void */ ;
    end = v + strlen(v);
    while (end > v && cf_isspace((unsigned char) end[-1]))
        end--;
    e->value = xstrndup(v, (size_t) (end - v));
}

/* cf_parse_buf - split a buffer into physical and logical lines */
void cf_parse_buf(struct cf_file *cf, const char *path, const char *data,
                  size_t size)
{
    size_t off, cap_l = 64, cap_e = 32;
    struct cf_entry *cur = NULL;
    struct buf text;

    memset(cf, 0, sizeof(*cf));
    cf->path = xstrdup(path);
    cf->data = xmalloc(size + 1);
    memcpy(cf->data, data, size);
    cf->data[size] = '\0';
    cf->size = size;
    cf->lines = xmalloc(cap_l * sizeof(*cf->lines));
    cf->entries = xmalloc(cap_e * sizeof(*cf->entries));
    buf_init(&text);

    for (off = 0; off < size;) {
        const char *nl = memchr(cf->data + off, '\n', size - off);
        size_t len = nl ? (size_t) (nl - (cf->data + off)) : size - off;
        struct cf_line *l;

        if (cf->nlines == cap_l)
            cf->lines = xrealloc(cf->lines, (cap_l *= 2) * sizeof(*l));
        l = cf->lines + cf->nlines;
        l->off = off;
        l->len = len;
        l->has_nl = nl != NULL;
        l->kind = classify(cf->data + off, len);
        l->entry = -1;
        off += len + (nl != NULL);

        if (l->kind == CF_CONT && cur == NULL)
            l->kind = CF_ORPHAN;
        if (l->kind == CF_START) {
            if (cur)
                cur->text = xstrdup(text.s), parse_entry(cur);
            if (cf->nentries == cap_e)
                cf->entries = xrealloc(cf->entries,
                                       (cap_e *= 2) * sizeof(*cur));
            cur = cf->entries + cf->nentries++;
            memset(cur, 0, sizeof(*cur));
            cur->first = cur->last = cf->nlines;
            cur->lineno = cf->nlines + 1;
            buf_reset(&text);
        }
        if (l->kind == CF_START || l->kind == CF_CONT) {
            /* Kept whole: the logical line ends at its first NUL byte
             * (xstrdup below), as Postfix's C strings do. */
            buf_addn(&text, cf->data + l->off, l->len);
            cur->last = cf->nlines;
            l->entry = (long) (cur - cf->entries);
        }
        cf->nlines++;
    }
    if (cur)
        cur->text = xstrdup(text.s), parse_entry(cur);
    buf_free(&text);
}

/* cf_read - read a whole file; -1 with errno set on failure */
int cf_read(struct cf_file *cf, const char *path)
{
    struct stat st;
    struct buf b;
    char chunk[8192];
    ssize_t n;
    int fd, saved;

    /* O_NONBLOCK: a FIFO must not hang the reader; only a regular
     * file (or a directory, whose read fails) is read. */
    cf->failed = "open";
    if ((fd = open(path, O_RDONLY | O_NONBLOCK)) < 0)
        return -1;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    buf_init(&b);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            saved = errno;
            close(fd);
            buf_free(&b);
            cf->failed = "read";        /* postconf's word: a directory */
            errno = saved;
            return -1;
        }
        buf_addn(&b, chunk, (size_t) n);
    }
    close(fd);
    cf_parse_buf(cf, path, b.s, b.len);
    buf_free(&b);
    return 0;
}

/* cf_free - release everything cf_read allocated */
void cf_free(struct cf_file *cf)
{
    size_t i;

    for (i = 0; i < cf->nentries; i++) {
        free(cf->entries[i].text);
        free(cf->entries[i].name);
        free(cf->entries[i].value);
    }
    free(cf->entries);
    free(cf->lines);
    free(cf->data);
    free(cf->path);
    memset(cf, 0, sizeof(*cf));
}
