/*
 * pfm-parsecf - read main.cf files exactly as postconf(1) does.
 *
 * Query mode (postconf-compatible output, exit status and messages):
 *
 *     pfm-parsecf [-c config_dir] [-d] [-h] [-n] [-x] [name ...]
 *
 * Batch mode (the instance table, for postmulti; one process for the
 * primary and every directory in its multi_instance_directories):
 *
 *     pfm-parsecf [-c config_dir] [-N progname] -T [name ...]
 *
 * prints "G\t=name\t=value" for each name (primary, expanded), then
 * one "I\t=status\t=dir\t=..." record per instance; see pfm-parsecf(8).
 *
 * Built-in defaults come from defaults.h, made by proto/mkdefaults.awk
 * from `postconf -d` at build time.  Macro expansion follows Postfix
 * 3.7: $name ${name} $(name) $$, ${name?text} ${name:text}, the braced
 * {a}:{b} forms and the relational ${{a} op {b} ? {t} : {f}} forms,
 * in time and memory linear in the size of main.cf.  In batch mode the
 * primary is checked as postmulti checks it on start-up (pm_check).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "pfm.h"
#include "dbms.h"
#include "hostdefaults.h"
#include "defaults.h"

#define MAIN_CF "main.cf"
#define MASTER_CF "master.cf"
#define NEST_LIMIT 100          /* Postfix's macro nesting limit */
#define REC_LIMIT 1000          /* nested texts of any kind: the C stack */
/* Expansion work allowed per instance: units per main.cf byte, plus a base. */
#define BUDGET_BASE 16000000ul
#define BUDGET_PER_BYTE 64ul
#define WORD_SEP " \t\r\n"      /* separators when values are printed */
#define LIST_SEP ", \t\r\n"     /* separators of list values */

/* Sorted view of the built-in table, built once. */
static const struct pfm_default **defs;

/* One main.cf setting: the last one for its name wins. */
struct setting {
    char *name;
    char *value;
    size_t lineno;
    int user;                   /* referenced: a user-defined parameter */
    int builtin;                /* a built-in parameter name */
    struct setting *hnext;      /* hash chain */
};

/* The bracket table of one value (see matches). */
struct mcache {
    const char *v;
    int *m;
};

/* Everything known about one instance's configuration. */
struct conf {
    const char *dir;            /* as typed: messages use it */
    char *path;                 /* dir + "/main.cf" */
    struct setting **order;     /* settings, first-seen order */
    size_t nset, capset;
    struct setting **hash;
    size_t hsize;
    int quiet;                  /* batch mode: no warnings */
    char *error;                /* first fatal text (quiet mode) */
    int level;                  /* Postfix's nesting count */
    int bad;                    /* this expansion has failed */
    int rdepth;                 /* nested texts of any kind */
    int over;                   /* the work budget ran out */
    size_t budget;              /* expansion work left */
    const char *base;           /* the value being walked, and */
    const int *match;           /* its bracket table */
    struct mcache *mcache;      /* bracket tables by value */
    size_t mcsize, mcn;
    char **dbfiles;             /* "type:/path" files already read */
    size_t ndbfiles;
};

/* Expansion status bits. */
#define EX_ERR 1                /* a syntax or nesting error */
#define EX_NEST 2               /* out of work budget */
#define EX_BAD (EX_ERR | EX_NEST)

/* cmp_def - order built-in parameters by name */
static int cmp_def(const void *a, const void *b)
{
    const struct pfm_default *const *x = a, *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

static char pid_text[32];
static struct pfm_default pid_def = { "process_id", pid_text, PFM_DEF_READONLY };

/* defaults_init - sort the built-in table for binary search */
static void defaults_init(void)
{
    size_t i;

    defs = xmalloc(PFM_NDEFAULTS * sizeof(*defs));
    for (i = 0; i < PFM_NDEFAULTS; i++)
        if (strcmp(pfm_defaults[i].name, "process_id") == 0)
            defs[i] = &pid_def;
        else
            defs[i] = pfm_defaults + i;
    /* Like postconf, report our own process ID. */
    snprintf(pid_text, sizeof(pid_text), "%ld", (long) getpid());
    qsort(defs, PFM_NDEFAULTS, sizeof(*defs), cmp_def);
}

/* find_def - the built-in parameter called name, or NULL */
static const struct pfm_default *find_def(const char *name)
{
    size_t lo = 0, hi = PFM_NDEFAULTS;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, defs[mid]->name);

        if (c == 0)
            return defs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return hd_find(name);
}

/* cwarn - a warning as postconf prints it, unless in quiet mode */
static void cwarn(struct conf *c, const char *fmt, ...) PFM_PRINTF(2, 3);
static void cwarn(struct conf *c, const char *fmt, ...)
{
    va_list ap;
    char *s;

    if (c && c->quiet)
        return;
    va_start(ap, fmt);
    s = xvformat(fmt, ap);
    va_end(ap);
    msg_printable(s);
    msg_warn("%s", s);
    free(s);
}

/* Where the last fatal text lives; volatile so the store is kept. */
static char *volatile fatal_text;

/* cfatal - postconf's fatal error; in quiet mode remember it */
static int cfatal(struct conf *c, const char *fmt, ...) PFM_PRINTF(2, 3);
static int cfatal(struct conf *c, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvformat(fmt, ap);
    va_end(ap);
    msg_printable(s);
    if (c && c->quiet) {
        if (c->error == NULL)
            c->error = s;
        else
            free(s);
        return -1;
    }
    /* Keep the text reachable: leak checkers see _exit() with it. */
    fatal_text = s;
    /* Like postconf, exit without flushing what stdout still holds. */
    fprintf(stderr, "%s: fatal: %s\n", pfm_progname, fatal_text);
    _exit(1);
}

/* hash_name - string hash for the settings table */
static size_t hash_name(const char *s, size_t size)
{
    size_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char) *s++) * 16777619u;
    return h % size;
}

/* conf_get - the main.cf setting called name, or NULL */
static struct setting *conf_get(const struct conf *c, const char *name)
{
    struct setting *s;

    if (c->hsize == 0)
        return NULL;
    for (s = c->hash[hash_name(name, c->hsize)]; s; s = s->hnext)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* conf_set - add or replace a setting */
static void conf_set(struct conf *c, const char *name, const char *value,
                     size_t lineno)
{
    struct setting *s = conf_get(c, name);
    size_t h;

    if (s) {
        free(s->value);
        s->value = xstrdup(value);
        s->lineno = lineno;
        return;
    }
    s = xmalloc(sizeof(*s));
    s->name = xstrdup(name);
    s->value = xstrdup(value);
    s->lineno = lineno;
    s->user = 0;
    s->builtin = find_def(name) != NULL;
    h = hash_name(name, c->hsize);
    s->hnext = c->hash[h];
    c->hash[h] = s;
    if (c->nset == c->capset)
        c->order = xrealloc(c->order,
                            (c->capset = c->capset * 2 + 16) *
                            sizeof(*c->order));
    c->order[c->nset++] = s;
}

/* conf_free - release one instance's settings */
static void conf_free(struct conf *c)
{
    size_t i;

    for (i = 0; i < c->nset; i++) {
        free(c->order[i]->name);
        free(c->order[i]->value);
        free(c->order[i]);
    }
    for (i = 0; i < c->ndbfiles; i++)
        free(c->dbfiles[i]);
    free(c->dbfiles);
    for (i = 0; i < c->mcsize; i++)
        free(c->mcache[i].m);
    free(c->mcache);
    free(c->order);
    free(c->hash);
    free(c->path);
    free(c->error);
    memset(c, 0, sizeof(*c));
}

/*
 * is_legacy - a name that built-in defaults refer to (virtual_maps...):
 * postconf knows it, empty, though it is not listed among the defaults.
 */
static int is_legacy(const char *name)
{
    const char *const *p;

    for (p = pfm_legacy; *p; p++)
        if (strcmp(*p, name) == 0)
            return 1;
    return 0;
}

/*
 * Run-time defaults (hostdefaults.c): this reader's side.  host_eval
 * runs outside any expansion: hd_early() and hd_prepare() compute
 * every value before the first one is used.
 */
static int expand(struct conf *c, const char *value, struct buf *out);
static const char *lookup(const struct conf *c, const char *name);

/* host_eval - a parameter's expanded value, for hostdefaults.c */
static char *host_eval(void *ctx, const char *name, int setonly, int *bad)
{
    struct conf *c = ctx;
    const struct setting *s = conf_get(c, name);
    const char *v = s ? s->value : setonly ? NULL : lookup(c, name);
    struct buf x;

    if (v == NULL)
        return NULL;
    buf_init(&x);
    if (expand(c, v, &x) & EX_BAD)
        *bad = 1;
    return x.s;
}

/* host_isset - main.cf sets name */
static int host_isset(void *ctx, const char *name)
{
    return conf_get(ctx, name) != NULL;
}

/* host_warn, host_fatal - postconf's messages, for hostdefaults.c */
static void host_warn(void *ctx, const char *text)
{
    cwarn(ctx, "%s", text);
}

static void host_fatal(void *ctx, const char *text)
{
    cfatal(ctx, "%s", text);
}

/* host_io - the callbacks for one instance */
static struct hd_io host_io(const struct conf *c)
{
    struct hd_io io;

    io.eval = host_eval;
    io.isset = host_isset;
    io.warn = host_warn;
    io.fatal = host_fatal;
    io.ctx = (void *) c;
    return io;
}

/* host_value - a run-time default's value */
static const char *host_value(const struct conf *c, const struct pfm_default *d)
{
    struct hd_io io = host_io(c);

    return hd_value(d, &io);
}

/* lookup - a parameter's raw value: main.cf, else built-in, else NULL */
static const char *lookup(const struct conf *c, const char *name)
{
    const struct setting *s = conf_get(c, name);
    const struct pfm_default *d;

    if (s)
        return s->value;
    if ((d = find_def(name)) != NULL)
        return d->flags & PFM_DEF_HOST ? host_value(c, d) : d->value;
    return is_legacy(name) ? "" : NULL;
}

/*
 * The macro language.  One walker serves two purposes: SCAN finds the
 * names a value refers to (postconf registers user-defined parameters
 * and reports undefined ones this way); EXPAND computes the value.
 *
 * Cost is linear in the size of main.cf whatever the input: a text is
 * walked as a range of the value it belongs to, never copied on the way
 * down; closing brackets come from a table made once per value
 * (matches); nesting stops at Postfix's limit, and at REC_LIMIT nested
 * texts of any kind, which bounds the C stack where Postfix has no
 * limit (the sides of a relational form start afresh); and the work
 * of all expansions of one instance is bounded by its main.cf size
 * (charge), which stops exponential chains ("a = $b$b", "b = $c$c"...).
 */
enum ex_mode { SCAN, EXPAND };

static int ex_text(struct conf *c, const char *s, const char *end,
                   enum ex_mode m, struct buf *out);

/* at - the byte at p, or NUL at the end of the text */
static int at(const char *p, const char *end)
{
    return p < end ? (unsigned char) *p : '\0';
}

/* is_name - a byte that may appear in a parameter name */
static int is_name(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
        || (ch >= '0' && ch <= '9') || ch == '_';
}

/* ex_space - white space inside an expression: VT and FF are not */
static int ex_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* skip_sp - skip white space inside an expression */
static const char *skip_sp(const char *p, const char *end)
{
    while (p < end && ex_space((unsigned char) *p))
        p++;
    return p;
}

/* mk_match - for each '{' and '(' of v, the offset of its closing bracket */
static int *mk_match(const char *v, size_t len)
{
    int *m, *stack;
    size_t i, nb = 0, np = 0;

    if (len > INT_MAX)
        msg_fatal("parameter value too long: %lu bytes", (unsigned long) len);
    m = xmalloc(len * sizeof(*m));
    /* Two stacks in one array: braces grow up, parentheses down. */
    stack = xmalloc(len * sizeof(*stack));
    for (i = 0; i < len; i++) {
        m[i] = -1;
        if (v[i] == '{')
            stack[nb++] = (int) i;
        else if (v[i] == '(')
            stack[len - ++np] = (int) i;
        else if (v[i] == '}' && nb > 0)
            m[stack[--nb]] = (int) i;
        else if (v[i] == ')' && np > 0)
            m[stack[len - np--]] = (int) i;
    }
    free(stack);
    return m;
}

/* matches - the bracket table of value v, made once per conf */
static const int *matches(struct conf *c, const char *v, size_t len)
{
    size_t h, i;

    if (2 * (c->mcn + 1) > c->mcsize) {
        struct mcache *old = c->mcache;
        size_t oldsize = c->mcsize;

        c->mcsize = c->mcsize ? 2 * c->mcsize : 64;
        c->mcache = xmalloc(c->mcsize * sizeof(*c->mcache));
        memset(c->mcache, 0, c->mcsize * sizeof(*c->mcache));
        for (i = 0; i < oldsize; i++) {
            if (old[i].v == NULL)
                continue;
            for (h = ((uintptr_t) old[i].v >> 3) % c->mcsize;
                 c->mcache[h].v; h = (h + 1) % c->mcsize)
                /* void */ ;
            c->mcache[h] = old[i];
        }
        free(old);
    }
    for (h = ((uintptr_t) v >> 3) % c->mcsize; c->mcache[h].v;
         h = (h + 1) % c->mcsize)
        if (c->mcache[h].v == v)
            return c->mcache[h].m;
    c->mcache[h].v = v;
    c->mcache[h].m = mk_match(v, len);
    c->mcn++;
    return c->mcache[h].m;
}

/* close_of - the bracket that closes the one at p, if before end */
static const char *close_of(const struct conf *c, const char *p,
                            const char *end)
{
    int j = c->match[p - c->base];

    return j >= 0 && c->base + j < end ? c->base + j : NULL;
}

/* charge - spend n units of the instance's work budget; 1 when it ran out */
static int charge(struct conf *c, size_t n)
{
    if (c->over)
        return 1;
    if (n < c->budget) {
        c->budget -= n;
        return 0;
    }
    c->over = 1;
    cwarn(c, "%s: macro expansion too large", c->path);
    return 1;
}

/* ex_error - report a syntax error in an expression */
static int ex_error(struct conf *c, const char *what, const char *before,
                    size_t blen, const char *after, const char *end)
{
    /* postconf shows at most 20 bytes of what follows. */
    cwarn(c, "%s at: \"...%.*s>>>%.*s\"", what, (int) blen, before,
          (int) (end - after < 20 ? end - after : 20), after);
    return EX_ERR;
}

/* ex_value - walk a whole value, with its own bracket table */
static int ex_value(struct conf *c, const char *v, enum ex_mode m,
                    struct buf *out)
{
    const char *obase = c->base;
    const int *omatch = c->match;
    size_t len = strlen(v);
    int st;

    if (charge(c, len)) {
        c->bad = 1;
        return EX_NEST;
    }
    c->base = v;
    c->match = matches(c, v, len);
    st = ex_text(c, v, v + len, m, out);
    c->base = obase;
    c->match = omatch;
    return st;
}

/* ex_name - handle one reference to a parameter name */
static int ex_name(struct conf *c, const char *name, enum ex_mode m,
                   struct buf *val, int *defined)
{
    struct setting *s;
    const char *v;

    if (m == SCAN) {
        *defined = 1;
        if (find_def(name) || is_legacy(name))
            return 0;
        if ((s = conf_get(c, name)) != NULL) {
            s->user = 1;
            return 0;
        }
        cwarn(c, "%s: undefined parameter: %s", c->path, name);
        return 0;
    }
    v = lookup(c, name);
    *defined = v != NULL;
    if (v == NULL)
        return 0;
    return ex_value(c, v, EXPAND, val);
}

/* level_parse - a compatibility level "a[.b[.c]]"; -1 if malformed */
static int level_parse(const char *s, long lv[3])
{
    int i;
    char *end;

    lv[0] = lv[1] = lv[2] = 0;
    /* Leading white space is allowed, as strtol() allows it. */
    while (cf_isspace((unsigned char) *s))
        s++;
    for (i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        errno = 0;
        lv[i] = strtol(s, &end, 10);
        if (errno == ERANGE)
            return -1;
        s = end;
        if (*s == '\0')
            return 0;
        if (*s != '.' || i == 2)
            return -1;
        s++;
    }
    return -1;
}

/* all_digits - a non-empty string of decimal digits */
static int all_digits(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* compare - evaluate "l op r"; -1 on a malformed level */
static int compare(struct conf *c, const char *l, const char *op, size_t oplen,
                   int level, const char *r)
{
    int d;

    if (level) {
        long a[3], b[3];
        int i;

        if (level_parse(l, a) < 0 || level_parse(r, b) < 0) {
            cwarn(c, "malformed compatibility level syntax: \"%s\"",
                  level_parse(l, a) < 0 ? l : r);
            return -1;
        }
        for (d = 0, i = 0; i < 3 && d == 0; i++)
            d = a[i] < b[i] ? -1 : a[i] > b[i];
    } else if (all_digits(l) && all_digits(r)) {
        unsigned long a = strtoul(l, NULL, 10), b = strtoul(r, NULL, 10);

        d = a < b ? -1 : a > b;
    } else {
        d = strcmp(l, r);
    }
    if (oplen == 2 && op[0] == '=')
        return d == 0;
    if (oplen == 2 && op[0] == '!')
        return d != 0;
    if (oplen == 2 && op[0] == '<')
        return d <= 0;
    if (oplen == 2 && op[0] == '>')
        return d >= 0;
    if (op[0] == '<')
        return d < 0;
    return d > 0;
}

/*
 * ex_branches - after "?" or ":": the braced {a}:{b} or plain text.
 * truth says which branch applies; p points just after the operator.
 * Writes the chosen text's expansion to out.
 */
static int ex_branches(struct conf *c, const char *p, const char *end,
                       int qmark, int truth, enum ex_mode m, struct buf *out)
{
    const char *a, *ae, *b, *be, *q;
    int st = 0;

    if (at(skip_sp(p, end), end) != '{') {
        /* Plain text: everything up to the end, blanks and all. */
        if (m == SCAN || truth)
            st |= ex_text(c, p, end, m, out);
        return st;
    }
    /* Like postconf, use each braced text before looking past it. */
    p = skip_sp(p, end);
    a = p + 1;
    if ((ae = close_of(c, p, end)) == NULL)
        return ex_error(c, "unexpected input", p, 0, p, end);
    /* An error inside a branch does not stop the check of what follows. */
    if (m == SCAN || truth)
        st |= ex_text(c, a, ae, m, out);
    q = skip_sp(ae + 1, end);
    if (qmark && at(q, end) == ':') {
        q = skip_sp(q + 1, end);
        if (at(q, end) == '{') {
            b = q + 1;
            if ((be = close_of(c, q, end)) == NULL)
                return ex_error(c, "unexpected input", q, 0, q, end);
            if (m == SCAN || !truth)
                st |= ex_text(c, b, be, m, out);
            q = skip_sp(be + 1, end);
            if (q < end)
                return st | ex_error(c, "unexpected input", b,
                                     (size_t) (be + 1 - b), q, end);
        } else {
            /* "{a}:text": the text after ':' is used as is. */
            b = q;
            be = end;
            while (be > b && ex_space((unsigned char) be[-1]))
                be--;
            if (m == SCAN || !truth)
                st |= ex_text(c, b, be, m, out);
        }
    } else if (q < end) {
        return st | ex_error(c, qmark ? "\":\" expected" : "unexpected input",
                             a, (size_t) (ae + 1 - a), q, end);
    }
    return st;
}

/* ex_side - one side of a relational form: a fresh expansion in Postfix */
static int ex_side(struct conf *c, const char *s, const char *end,
                   enum ex_mode m, struct buf *out)
{
    int level = c->level, st;

    /* Its own nesting count, and an error in it does not mute the rest. */
    c->level = 0;
    c->bad = 0;
    st = ex_text(c, s, end, m, out);
    c->level = level;
    c->bad = 0;
    return st;
}

/* ex_relational - ${{a} op {b} ? {t} : {f}} */
static int ex_relational(struct conf *c, const char *t, const char *end,
                         enum ex_mode m, struct buf *out)
{
    const char *l, *le, *op, *r, *re, *p;
    size_t oplen;
    int level = 0, st = 0, truth = 0;
    struct buf lv, rv;

    l = t + 1;
    if ((le = close_of(c, t, end)) == NULL)
        return ex_error(c, "unexpected input", t, 0, t, end);
    op = skip_sp(le + 1, end);
    /* The operator is a run of these characters, then maybe "level". */
    for (oplen = 0; op + oplen < end && op[oplen] != '\0'
         && strchr("<>=!", op[oplen]); oplen++)
        /* void */ ;
    if (!((oplen == 2 && strchr("=!<>", op[0]) && op[1] == '=')
          || (oplen == 1 && (op[0] == '<' || op[0] == '>'))))
        return ex_error(c, "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or "
                        "\">=\"\" or \">\" expected", l, (size_t) (le + 1 - l),
                        op, end);
    p = op + oplen;
    if (end - p >= 5 && memcmp(p, "level", 5) == 0)
        level = 1, p += 5;
    if (at(skip_sp(p, end), end) != '{') {
        /* postconf rebuilds the text before the error: "{left} op". */
        struct buf bt;
        int st2;

        buf_init(&bt);
        buf_addn(&bt, t, (size_t) (le + 1 - t));
        buf_addc(&bt, ' ');
        buf_addn(&bt, op, oplen);
        st2 = ex_error(c, "\"{expression}\" expected", bt.s, bt.len, p, end);
        buf_free(&bt);
        return st2;
    }
    p = skip_sp(p, end);
    r = p + 1;
    if ((re = close_of(c, p, end)) == NULL)
        return ex_error(c, "unexpected input", p, 0, p, end);
    /* Like postconf, evaluate both sides before looking further. */
    buf_init(&lv);
    buf_init(&rv);
    st |= ex_side(c, l, le, m, &lv);
    st |= ex_side(c, r, re, m, &rv);
    if (m == EXPAND && !(st & EX_BAD)) {
        truth = compare(c, lv.s, op, oplen, level, rv.s);
        if (truth < 0)
            st |= EX_ERR;
    }
    buf_free(&lv);
    buf_free(&rv);
    if (st & EX_BAD) {
        c->bad = 1;
        return st;
    }
    p = skip_sp(re + 1, end);
    if (p < end && *p != '?' && *p != ':')
        /* postconf shows only the closing brace here. */
        return ex_error(c, "\"?\" or \":\" expected", re, 1, p, end);
    if (p == end) {
        if (m == EXPAND && truth)
            buf_adds(out, "true");
        return st;
    }
    if (*p == ':')
        truth = !truth;
    return st | ex_branches(c, p + 1, end, *p == '?', truth, m, out);
}

/* ex_expr - the text inside ${...} or $(...) */
static int ex_expr(struct conf *c, const char *t, const char *end,
                   enum ex_mode m, struct buf *out)
{
    const char *p, *n, *ne;
    char *name;
    int st, defined = 0;
    struct buf val;

    p = skip_sp(t, end);
    if (at(p, end) == '{')
        return ex_relational(c, p, end, m, out);
    for (n = ne = p; ne < end && is_name((unsigned char) *ne); ne++)
        /* void */ ;
    p = skip_sp(ne, end);
    if (p < end && *p != '?' && *p != ':')
        return ex_error(c, "attribute name syntax error", t,
                        (size_t) (ne - t), ne, end);
    name = xstrndup(n, (size_t) (ne - n));
    buf_init(&val);
    if (p == end || m == SCAN) {
        st = ex_name(c, name, m, p < end ? &val : out, &defined);
    } else {
        /* The test looks at the raw value: no expansion, no loop. */
        const char *raw = lookup(c, name);

        st = 0;
        buf_adds(&val, raw ? raw : "");
    }
    free(name);
    if (p < end && !(st & EX_BAD))
        st |= ex_branches(c, p + 1, end, *p == '?',
                          (*p == '?') == (val.len > 0), m, out);
    buf_free(&val);
    return st;
}

/*
 * enter - Postfix's check before it uses a piece of text (a literal
 * run or a reference): each piece is one level deeper than the piece
 * whose text holds it.  Past the limit, or once the expansion has
 * failed, the piece is not used and the level stays raised, so after
 * a nesting error each later piece of that expansion warns again, as
 * in postconf.  Returns 1 when the piece is not used; otherwise the
 * caller lowers c->level when done with it.
 */
static int enter(struct conf *c, const char *piece, size_t len)
{
    if (c->level++ > NEST_LIMIT || c->rdepth > REC_LIMIT) {
        cwarn(c, "unreasonable macro call nesting: \"%.*s\"", (int) len,
              piece);
        c->bad = 1;
    }
    return c->bad;
}

/* ex_literal - use one literal run */
static void ex_literal(struct conf *c, const struct buf *lit, enum ex_mode m,
                       struct buf *out)
{
    if (charge(c, lit->len)) {
        c->bad = 1;
        return;
    }
    if (enter(c, lit->s, lit->len))
        return;
    if (m == EXPAND)
        buf_addn(out, lit->s, lit->len);
    c->level--;
}

/*
 * ex_text - walk the text [s, end): copy text, act on each $ reference.
 * Like postconf, the walk goes on after an error: a later literal run
 * or $name is passed over (with a warning while the level is raised),
 * a truncated or empty reference is reported, the next complete
 * ${...} ends the walk without a word, and the last literal run is
 * dropped.
 */
static int ex_text(struct conf *c, const char *s, const char *end,
                   enum ex_mode m, struct buf *out)
{
    const char *p, *q, *r;
    int st = 0, defined;
    struct buf lit;

    if (charge(c, 1)) {
        c->bad = 1;
        return EX_NEST;
    }
    c->rdepth++;
    buf_init(&lit);
    for (p = s; p < end;) {
        if (*p != '$' || at(p + 1, end) == '$') {
            /* A literal run; "$$" stands for one '$'. */
            for (r = p; r < end && *r != '$'; r++)
                /* void */ ;
            buf_addn(&lit, p, (size_t) (r - p));
            p = r;
            if (p < end && at(p + 1, end) == '$') {
                buf_addc(&lit, '$');
                p += 2;
            }
            continue;
        }
        /* A reference: first the text before it. */
        if (lit.len) {
            ex_literal(c, &lit, m, out);
            buf_reset(&lit);
        }
        if (c->over)
            break;
        if (p[1] == '{' || p[1] == '(') {
            if ((q = close_of(c, p + 1, end)) == NULL) {
                cwarn(c, "truncated macro reference: \"%.*s\"",
                      (int) (end - s), s);
                c->bad = 1;
                break;
            }
            if (c->bad)
                break;
            if (q == p + 2) {
                cwarn(c, "empty macro name: \"%.*s\"", (int) (end - s), s);
                c->bad = 1;
                break;
            }
            if (!enter(c, p + 2, (size_t) (q - p - 2))) {
                st |= ex_expr(c, p + 2, q, m, out);
                c->level--;
            }
            p = q + 1;
        } else {
            char *name;

            for (q = p + 1; q < end && is_name((unsigned char) *q); q++)
                /* void */ ;
            if (q == p + 1) {
                cwarn(c, "empty macro name: \"%.*s\"", (int) (end - s), s);
                c->bad = 1;
                break;
            }
            if (charge(c, (size_t) (q - p))) {
                c->bad = 1;
            } else if (!enter(c, p + 1, (size_t) (q - p - 1))) {
                name = xstrndup(p + 1, (size_t) (q - p - 1));
                st |= ex_name(c, name, m, out, &defined);
                free(name);
                c->level--;
            }
            p = q;
        }
        if (st & EX_BAD)
            c->bad = 1;
    }
    if (lit.len && !c->bad)
        ex_literal(c, &lit, m, out);
    c->rdepth--;
    buf_free(&lit);
    return st | (c->bad ? EX_ERR : 0);
}

/* walk - one whole expansion or scan of a value, from a clean state */
static int walk(struct conf *c, const char *value, enum ex_mode m,
                struct buf *out)
{
    c->level = 0;
    c->rdepth = 0;
    c->bad = 0;
    return ex_value(c, value, m, out);
}

/* expand - a parameter's value as `postconf -x` computes it */
static int expand(struct conf *c, const char *value, struct buf *out)
{
    return walk(c, value, EXPAND, out);
}


/* normalize - words separated by single spaces, as postconf prints */
static void normalize(const char *v, struct buf *out)
{
    size_t n;
    int first = 1;

    for (;;) {
        v += strspn(v, WORD_SEP);
        if (*v == '\0')
            break;
        n = strcspn(v, WORD_SEP);
        if (!first)
            buf_addc(out, ' ');
        buf_addn(out, v, n);
        first = 0;
        v += n;
    }
}

/* check_level - compatibility_level must expand to a valid level */
static int check_level(struct conf *c)
{
    const char *v = lookup(c, "compatibility_level");
    struct buf x;
    long lv[3];
    int bad;

    if (v == NULL)
        return 0;
    buf_init(&x);
    /* Like postconf, judge whatever the expansion produced. */
    expand(c, v, &x);
    bad = level_parse(x.s, lv) < 0;
    if (bad)
        cwarn(c, "malformed compatibility level syntax: \"%s\"", x.s);
    buf_free(&x);
    return bad ? cfatal(c, "macro processing error") : 0;
}

/* Parameters postconf evaluates for itself, through its "mail_dict". */
static const char *const early_params[] = {
    "inet_interfaces", "inet_protocols",
    "mynetworks_style", "smtpd_restriction_classes",
};

/* check_early - evaluate them as postconf does; errors are fatal */
static int check_early(struct conf *c)
{
    size_t i;
    int st;

    for (i = 0; i < sizeof(early_params) / sizeof(early_params[0]); i++) {
        const struct setting *s = conf_get(c, early_params[i]);
        struct buf x;

        if (s == NULL)
            continue;
        buf_init(&x);
        st = expand(c, s->value, &x);
        buf_free(&x);
        if (st & EX_BAD)
            return cfatal(c, "dictionary mail_dict: macro processing error");
    }
    return 0;
}

/* register_legacy - names that built-in defaults refer to are known */
static void register_legacy(struct conf *c)
{
    const char *const *p;
    struct setting *s;

    for (p = pfm_legacy; *p; p++)
        if ((s = conf_get(c, *p)) != NULL)
            s->user = 1;
}

/* register_classes - smtpd_restriction_classes names user parameters;
 * a name that is neither set nor built in gets postconf's warning */
static void register_classes(struct conf *c)
{
    const struct setting *s = conf_get(c, "smtpd_restriction_classes");
    struct buf x;
    const char *p;

    if (s == NULL)
        return;
    buf_init(&x);
    expand(c, s->value, &x);
    for (p = x.s; *p;) {
        size_t n;
        struct setting *u;
        char *name;

        p += strspn(p, LIST_SEP);
        if ((n = strcspn(p, LIST_SEP)) == 0)
            break;
        name = xstrndup(p, n);
        if ((u = conf_get(c, name)) != NULL)
            u->user = 1;
        else if (!find_def(name) && !is_legacy(name))
            cwarn(c, "%s: undefined parameter: %s", c->path, name);
        free(name);
        p += n;
    }
    buf_free(&x);
}

/*
 * conf_read - read the settings file c->path into c, with postconf's
 * messages for its syntax.  When dir is given, config_directory is
 * entered first, as postconf does, so main.cf may override it.
 * Returns 0, or -1 after a fatal error (quiet mode only).
 */
static int conf_read(struct conf *c, const char *dir)
{
    struct cf_file cf;
    size_t i;

    if (cf_read(&cf, c->path) < 0)
        return cfatal(c, "%s %s: %s", cf.failed, c->path, strerror(errno));
    c->budget = BUDGET_BASE + BUDGET_PER_BYTE * cf.size;
    c->hsize = 64;
    while (c->hsize < cf.nentries * 2)
        c->hsize *= 2;
    c->hash = xmalloc(c->hsize * sizeof(*c->hash));
    memset(c->hash, 0, c->hsize * sizeof(*c->hash));
    if (dir)
        conf_set(c, "config_directory", dir, 0);
    for (i = 0; i < cf.nlines; i++) {
        const struct cf_line *l = cf.lines + i;
        const struct cf_entry *e;
        struct setting *old;

        if (l->kind == CF_ORPHAN) {
            /* The orphan and its own continuation lines are one
             * logical line, reported once; it ends at a NUL byte. */
            struct buf o;
            size_t n;
            char *t;

            buf_init(&o);
            buf_addn(&o, cf.data + l->off, l->len);
            while (i + 1 < cf.nlines && (cf.lines[i + 1].kind == CF_ORPHAN
                                         || cf.lines[i + 1].kind == CF_BLANK
                                         || cf.lines[i + 1].kind == CF_COMMENT)) {
                i++;
                if (cf.lines[i].kind == CF_ORPHAN)
                    buf_addn(&o, cf.data + cf.lines[i].off, cf.lines[i].len);
            }
            t = xstrdup(o.s);
            buf_free(&o);
            n = strlen(t);
            cwarn(c, "%s: logical line must not start with whitespace: "
                  "\"%.30s%s\"", c->path, t, n > 30 ? "..." : "");
            free(t);
            continue;
        }
        if (l->kind != CF_START)
            continue;
        e = cf.entries + l->entry;
        if (e->error) {
            cfatal(c, "%s, line %zu: %s: \"%s\"", c->path, e->lineno,
                   e->error, e->text);
            cf_free(&cf);
            return -1;
        }
        old = conf_get(c, e->name);
        if (old && strcmp(old->value, e->value) != 0)
            cwarn(c, "%s, line %zu: overriding earlier entry: %s=%s",
                  c->path, e->lineno, e->name, old->value);
        conf_set(c, e->name, e->value, e->lineno);
    }
    cf_free(&cf);
    return 0;
}

/*
 * Database client settings.  postconf looks at the expanded value of
 * each built-in parameter that main.cf sets, for tables such as
 * "ldap:name" (the settings "name_SUFFIX" become known) and
 * "ldap:/path" (it reads that file and flags names the client does not
 * know).  Inline "{...}" tables are searched too, and a brace that is
 * not closed, or text after the closing brace, gets a warning.
 */
static int dbms_scan(struct conf *c, char *text);

/* dbms_token - the next word: separators inside braces do not count */
static char *dbms_token(char **bufp)
{
    char *p = *bufp, *start;
    int level = 0;

    p += strspn(p, LIST_SEP);
    if (*p == '\0')
        return NULL;
    for (start = p; *p; p++) {
        if (*p == '{')
            level++;
        else if (*p == '}' && level > 0)
            level--;
        else if (level == 0 && strchr(LIST_SEP, *p))
            break;
    }
    if (*p)
        *p++ = '\0';
    *bufp = p;
    return start;
}

/* dbms_brace - "{...}": check the braces, then search what is inside */
static int dbms_brace(struct conf *c, char *t)
{
    char *p;
    int level = 0;

    for (p = t; *p; p++) {
        if (*p == '{')
            level++;
        else if (*p == '}' && --level == 0)
            break;
    }
    if (*p == '\0') {
        cwarn(c, "%s: missing '}' in \"%s\"", MAIN_CF, t);
    } else {
        if (p[1] != '\0')
            cwarn(c, "%s: syntax error after '}' in \"%s\"", MAIN_CF, t);
        *p = '\0';
    }
    return dbms_scan(c, t + 1);
}

/* dbms_file - a client's settings file, read once per run */
static int dbms_file(struct conf *c, const struct dbms_type *t,
                     const char *path)
{
    struct conf f;
    struct stat st;
    char *key;
    size_t i, k;
    int ret = 0;

    key = xmalloc(strlen(t->type) + strlen(path) + 2);
    sprintf(key, "%s:%s", t->type, path);
    for (i = 0; i < c->ndbfiles; i++)
        if (strcmp(c->dbfiles[i], key) == 0) {
            free(key);
            return 0;
        }
    c->dbfiles = xrealloc(c->dbfiles, (c->ndbfiles + 1) * sizeof(char *));
    c->dbfiles[c->ndbfiles++] = key;
    /* An unreadable file is passed over without a word, as postconf does. */
    if (stat(path, &st) < 0) {
        if (errno != EACCES)
            cwarn(c, "open \"%s\" configuration \"%s\": %s", t->type, path,
                  strerror(errno));
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        cwarn(c, "open \"%s\" configuration \"%s\": not a regular file",
              t->type, path);
        return 0;
    }
    if (access(path, R_OK) < 0)
        return 0;
    memset(&f, 0, sizeof(f));
    f.quiet = c->quiet;
    f.path = xstrdup(path);
    if (conf_read(&f, NULL) < 0) {
        if (c->error == NULL)
            c->error = f.error, f.error = NULL;
        ret = -1;
    } else {
        for (i = 0; i < f.nset; i++) {
            for (k = 0; t->suffixes[k]; k++)
                if (strcmp(f.order[i]->name, t->suffixes[k]) == 0)
                    break;
            if (t->suffixes[k] == NULL)
                cwarn(c, "%s: unused parameter: %s=%s", key,
                      f.order[i]->name, f.order[i]->value);
        }
    }
    conf_free(&f);
    return ret;
}

/* dbms_scan - search a list of tables; text is changed in place */
static int dbms_scan(struct conf *c, char *text)
{
    char *tok, *type, *name;
    const struct dbms_type *t;
    struct setting *s;
    struct buf key;
    size_t i, k;

    while ((tok = dbms_token(&text)) != NULL) {
        if (*tok == '{') {
            if (dbms_brace(c, tok) < 0)
                return -1;
            continue;
        }
        type = tok;
        if ((name = strchr(type, ':')) == NULL)
            continue;
        *name++ = '\0';
        /* "proxy:" wraps another table. */
        while (name && strcmp(type, "proxy") == 0) {
            type = name;
            if ((name = strchr(type, ':')) != NULL)
                *name++ = '\0';
        }
        if (name == NULL)
            continue;
        if (*name == '{') {
            if (dbms_brace(c, name) < 0)
                return -1;
            continue;
        }
        for (t = NULL, i = 0; i < sizeof(dbms_types) / sizeof(dbms_types[0]); i++)
            if (strcmp(type, dbms_types[i].type) == 0)
                t = dbms_types + i;
        if (t == NULL || *name == '.')
            continue;
        if (*name == '/') {
            if (dbms_file(c, t, name) < 0)
                return -1;
            continue;
        }
        buf_init(&key);
        for (k = 0; t->suffixes[k]; k++) {
            buf_reset(&key);
            buf_adds(&key, name);
            buf_addc(&key, '_');
            buf_adds(&key, t->suffixes[k]);
            if ((s = conf_get(c, key.s)) != NULL)
                s->user = 1;
        }
        buf_free(&key);
    }
    return 0;
}

/*
 * scan_master - master.cf "-o name=value" settings (hostdefaults.c
 * reads them): the names their values refer to are known, undefined
 * ones get postconf's warning, and a broken built-in one is fatal.
 */
static int scan_master(struct conf *c)
{
    char *path = c->path;
    size_t i;
    int st = 0;

    c->path = (char *) hd_master();
    for (i = 0; i < hd_options() && !(st & EX_BAD); i++) {
        const char *v, *name = hd_option(i, &v);
        const struct pfm_default *d = find_def(name);
        struct buf junk;

        hd_scope(i);
        walk(c, v, SCAN, NULL);
        if (d && !(d->flags & (PFM_DEF_RAW | PFM_DEF_READONLY))) {
            buf_init(&junk);
            st = expand(c, v, &junk);
            buf_free(&junk);
        }
        hd_scope((size_t) -1);
    }
    c->path = path;
    return st & EX_BAD ? cfatal(c, "macro processing error") : 0;
}

/*
 * conf_load - read DIR/main.cf and check it as postconf does on start:
 * syntax, duplicates, then (when full) every value's macro references.
 * Returns 0, or -1 after a fatal error (quiet mode only: the text is
 * in c->error).
 */
static int conf_load(struct conf *c, const char *dir, int quiet, int full)
{
    size_t i;
    struct hd_io io;
    char *err;

    memset(c, 0, sizeof(*c));
    c->dir = dir;
    c->quiet = quiet;
    c->path = xmalloc(strlen(dir) + sizeof("/" MAIN_CF));
    strcpy(c->path, dir);
    strcat(c->path, "/" MAIN_CF);
    /* master.cf first: its services make parameters known. */
    if (hd_load(dir, &err) < 0) {
        cfatal(c, "%s", err);
        free(err);
        return -1;
    }
    if (conf_read(c, dir) < 0)
        return -1;
    /* postmulti reads its primary itself, without postconf's checks. */
    if (!full)
        return 0;
    for (i = 0; i < c->nset; i++) {
        struct setting *s = c->order[i];
        const struct pfm_default *d = find_def(s->name);

        if (d && (d->flags & PFM_DEF_READONLY))
            cwarn(c, "%s: read-only parameter assignment: %s=%s",
                  c->path, s->name, s->value);
    }
    /*
     * postconf evaluates a few parameters for its own use before it
     * looks at the rest: the compatibility level, then the parameters
     * that its built-in defaults depend on (through "mail_dict").
     */
    io = host_io(c);
    if (check_level(c) < 0 || check_early(c) < 0 || hd_early(&io) < 0)
        return -1;
    register_legacy(c);
    register_classes(c);
    if (scan_master(c) < 0)
        return -1;
    /* Scan every value; a broken built-in parameter is fatal. */
    for (i = 0; i < c->nset; i++) {
        struct setting *s = c->order[i];
        const struct pfm_default *d = find_def(s->name);
        struct buf junk;
        int st;

        /* Values expanded only at run time are not looked at. */
        if (d && (d->flags & (PFM_DEF_RAW | PFM_DEF_READONLY)))
            continue;

        walk(c, s->value, SCAN, NULL);
        if (!s->builtin || s->lineno == 0)
            continue;
        buf_init(&junk);
        st = expand(c, s->value, &junk);
        if (st & EX_BAD) {
            buf_free(&junk);
            return cfatal(c, "macro processing error");
        }
        st = dbms_scan(c, junk.s);
        buf_free(&junk);
        if (st < 0)
            return -1;
    }
    return 0;
}

/* known - a name postconf would print: built-in or user-defined */
static int known(const struct conf *c, const char *name)
{
    const struct setting *s;

    if (find_def(name) || is_legacy(name))
        return 1;
    return (s = conf_get(c, name)) != NULL && s->user;
}

/* print_param - one "name = value" or value line, as postconf does */
static void print_param(struct conf *c, const char *name, const char *value,
                        int xflag, int hflag)
{
    const struct pfm_default *d = find_def(name);
    struct buf x, n;

    buf_init(&x);
    buf_init(&n);
    if (xflag && !(d && (d->flags & PFM_DEF_RAW))) {
        if (expand(c, value, &x) & EX_BAD)
            cfatal(c, "macro processing error");
        value = x.s;
    }
    normalize(value, &n);
    if (hflag)
        printf("%s\n", n.s);
    else if (n.len)
        printf("%s = %s\n", name, n.s);
    else
        printf("%s =\n", name);
    buf_free(&x);
    buf_free(&n);
}

/* cmp_str - order C strings */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* flag_unused - postconf's closing "unused parameter" warnings */
static void flag_unused(struct conf *c)
{
    size_t i;

    for (i = 0; i < c->nset; i++) {
        const struct setting *s = c->order[i];

        if (!known(c, s->name))
            cwarn(c, "%s: unused parameter: %s=%s", c->path, s->name,
                  s->value);
    }
    for (i = 0; i < hd_options(); i++) {
        const char *v, *name = hd_option(i, &v);

        if (!known(c, name) && !hd_option_used(i))
            cwarn(c, "%s: unused parameter: %s=%s", hd_master(), name, v);
    }
}

/* query - postconf-compatible output for the given flags and names */
static void query(const char *dir, int dflag, int hflag, int nflag,
                  int xflag, char **names, int nnames)
{
    struct conf c;
    const char **list;
    size_t i, n = 0;
    char *master;

    if (dflag) {
        struct hd_io io;

        /* -d never reads main.cf; master.cf, yes. */
        memset(&c, 0, sizeof(c));
        c.dir = dir;
        c.budget = BUDGET_BASE;
        c.path = xmalloc(strlen(dir) + sizeof("/" MAIN_CF));
        strcpy(c.path, dir);
        strcat(c.path, "/" MAIN_CF);
        if (hd_load(dir, &master) < 0)
            cfatal(&c, "%s", master);
        io = host_io(&c);
        hd_prepare(&io);
    } else {
        conf_load(&c, dir, 0, 1);
    }
    master = xmalloc(strlen(dir) + sizeof("/" MASTER_CF));
    strcpy(master, dir);
    strcat(master, "/" MASTER_CF);
    if (access(master, R_OK) < 0)
        cwarn(&c, "open %s: %s", master, strerror(errno));
    free(master);

    if (nnames > 0) {
        for (i = 0; i < (size_t) nnames; i++) {
            const struct pfm_default *d = find_def(names[i]);
            const struct setting *s = conf_get(&c, names[i]);

            if (!known(&c, names[i])) {
                cwarn(&c, "%s: unknown parameter", names[i]);
                continue;
            }
            if (dflag) {
                print_param(&c, names[i], d ? lookup(&c, names[i]) : "", xflag, hflag);
                continue;
            }
            if (nflag && s == NULL)
                continue;
            print_param(&c, names[i], lookup(&c, names[i]), xflag, hflag);
        }
    } else if (nflag && !dflag) {
        list = xmalloc((c.nset + 1) * sizeof(*list));
        for (i = 0; i < c.nset; i++)
            if (known(&c, c.order[i]->name))
                list[n++] = c.order[i]->name;
        qsort(list, n, sizeof(*list), cmp_str);
        for (i = 0; i < n; i++)
            /* A service parameter may also be built in (local_...). */
            if (i == 0 || strcmp(list[i], list[i - 1]) != 0)
                print_param(&c, list[i], lookup(&c, list[i]), xflag, hflag);
        free(list);
    } else {
        /* Every built-in parameter, plus the user-defined ones. */
        list = xmalloc((PFM_NDEFAULTS + hd_count() + c.nset + 1) * sizeof(*list));
        for (i = 0; i < PFM_NDEFAULTS; i++)
            list[n++] = defs[i]->name;
        for (i = 0; i < hd_count(); i++)
            list[n++] = hd_name(i);
        if (!dflag)
            for (i = 0; i < c.nset; i++)
                if (c.order[i]->user && !c.order[i]->builtin)
                    list[n++] = c.order[i]->name;
        qsort(list, n, sizeof(*list), cmp_str);
        for (i = 0; i < n; i++)
            /* A service parameter may also be built in (local_...). */
            if (i == 0 || strcmp(list[i], list[i - 1]) != 0)
                print_param(&c, list[i], lookup(&c, list[i]), xflag, hflag);
        free(list);
    }
    if (!dflag)
        flag_unused(&c);
    conf_free(&c);
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error: %s", strerror(errno));
}

/*
 * postmulti's start-up checks of the primary main.cf (batch mode).
 * Before anything else, real postmulti sets up Postfix's global
 * parameters: it expands the parameters of pm_expanded (a macro error
 * in one of them is fatal; other parameters are not looked at), and
 * checks the syntax and range of those below, and a few relations.
 * The lists and the texts were found by running postmulti 3.7.11 on
 * every parameter; pfm-parsecf(8), COMPATIBILITY, says what differs.
 */
static const char *const pm_expanded[] = {
    "address_verify_negative_cache", "address_verify_service_name",
    "alias_database", "alternate_config_directories",
    "application_event_drain_time", "backwards_bounce_logfile_compatibility",
    "berkeley_db_create_buffer_size", "berkeley_db_read_buffer_size",
    "bounce_service_name", "cleanup_service_name", "command_directory",
    "compatibility_level", "daemon_directory",
    "daemon_table_open_error_is_fatal", "daemon_timeout", "data_directory",
    "debug_peer_level", "debug_peer_list", "default_database_type",
    "default_delivery_status_filter", "default_privs",
    "default_process_limit", "default_verp_delimiters", "defer_service_name",
    "delay_logging_resolution_limit", "deliver_lock_attempts",
    "deliver_lock_delay", "disable_dns_lookups",
    "disable_mime_input_processing", "disable_mime_output_conversion",
    "dns_ncache_ttl_fix_enable", "dnssec_probe", "dont_remove",
    "double_bounce_sender", "enable_idna2003_compatibility",
    "enable_long_queue_ids", "enable_original_recipient",
    "error_service_name", "export_environment", "fast_flush_domains",
    "fault_injection_code", "flush_service_name", "fork_attempts",
    "fork_delay", "hash_queue_depth", "hash_queue_names",
    "header_address_token_limit", "header_size_limit", "helpful_warnings",
    "import_environment", "in_flow_delay", "inet_interfaces",
    "inet_protocols", "info_log_address_format",
    "internal_mail_filter_classes", "ipc_idle", "ipc_timeout", "ipc_ttl",
    "known_tcp_ports", "line_length_limit", "lmdb_map_size", "mail_name",
    "mail_owner", "mail_release_date", "mail_version", "maillog_file",
    "maillog_file_compressor", "maillog_file_prefixes",
    "maillog_file_rotate_suffix", "max_idle", "max_use",
    "message_drop_headers", "message_size_limit", "meta_directory",
    "mime_boundary_length_limit", "mime_nesting_limit",
    "multi_instance_directories", "multi_instance_enable",
    "multi_instance_group", "multi_instance_name", "multi_instance_wrapper",
    "mydestination", "mydomain", "myhostname", "mynetworks",
    "mynetworks_style", "myorigin", "owner_request_special",
    "parent_domain_matches_subdomains", "pickup_service_name",
    "postlog_service_name", "postmulti_control_commands",
    "postmulti_start_commands", "postmulti_stop_commands",
    "process_id_directory", "proxy_interfaces", "proxymap_service_name",
    "proxywrite_service_name", "queue_directory", "queue_service_name",
    "recipient_delimiter", "relay_domains", "relayhost",
    "respectful_logging", "rewrite_service_name", "send_cyrus_sasl_authzid",
    "setgid_group", "shlib_directory", "showq_service_name",
    "smtputf8_autodetect_classes", "smtputf8_enable", "soft_bounce",
    "stale_lock_time", "strict_7bit_headers", "strict_8bitmime",
    "strict_8bitmime_body", "strict_mime_encoding_domain", "strict_smtputf8",
    "syslog_facility", "syslog_name", "tcp_windowsize", "trace_service_name",
    "trigger_timeout", "verp_delimiter_filter",
};

enum pm_kind { PM_BOOL, PM_INT, PM_LONG, PM_TIME, PM_STR };

/* One checked parameter: min and max apply when has_min / has_max. */
struct pm_param {
    const char *name;
    enum pm_kind kind;
    int has_min;
    long min;
    int has_max;
    long max;
};

static const struct pm_param pm_params[] = {
    {"address_verify_negative_cache", PM_BOOL, 0, 0, 0, 0},
    {"backwards_bounce_logfile_compatibility", PM_BOOL, 0, 0, 0, 0},
    {"daemon_table_open_error_is_fatal", PM_BOOL, 0, 0, 0, 0},
    {"disable_dns_lookups", PM_BOOL, 0, 0, 0, 0},
    {"disable_mime_input_processing", PM_BOOL, 0, 0, 0, 0},
    {"disable_mime_output_conversion", PM_BOOL, 0, 0, 0, 0},
    {"dns_ncache_ttl_fix_enable", PM_BOOL, 0, 0, 0, 0},
    {"enable_idna2003_compatibility", PM_BOOL, 0, 0, 0, 0},
    {"enable_long_queue_ids", PM_BOOL, 0, 0, 0, 0},
    {"enable_original_recipient", PM_BOOL, 0, 0, 0, 0},
    {"helpful_warnings", PM_BOOL, 0, 0, 0, 0},
    {"multi_instance_enable", PM_BOOL, 0, 0, 0, 0},
    {"owner_request_special", PM_BOOL, 0, 0, 0, 0},
    {"respectful_logging", PM_BOOL, 0, 0, 0, 0},
    {"send_cyrus_sasl_authzid", PM_BOOL, 0, 0, 0, 0},
    {"smtputf8_enable", PM_BOOL, 0, 0, 0, 0},
    {"soft_bounce", PM_BOOL, 0, 0, 0, 0},
    {"strict_7bit_headers", PM_BOOL, 0, 0, 0, 0},
    {"strict_8bitmime", PM_BOOL, 0, 0, 0, 0},
    {"strict_8bitmime_body", PM_BOOL, 0, 0, 0, 0},
    {"strict_mime_encoding_domain", PM_BOOL, 0, 0, 0, 0},
    {"strict_smtputf8", PM_BOOL, 0, 0, 0, 0},
    {"berkeley_db_create_buffer_size", PM_INT, 1, 1, 0, 0},
    {"berkeley_db_read_buffer_size", PM_INT, 1, 1, 0, 0},
    {"debug_peer_level", PM_INT, 1, 1, 0, 0},
    {"default_process_limit", PM_INT, 1, 1, 0, 0},
    {"delay_logging_resolution_limit", PM_INT, 0, 0, 0, 0},
    {"deliver_lock_attempts", PM_INT, 1, 1, 0, 0},
    {"dont_remove", PM_INT, 0, 0, 0, 0},
    {"fault_injection_code", PM_INT, 0, 0, 0, 0},
    {"fork_attempts", PM_INT, 1, 1, 0, 0},
    {"hash_queue_depth", PM_INT, 1, 1, 0, 0},
    {"header_address_token_limit", PM_INT, 1, 1, 0, 0},
    {"header_size_limit", PM_INT, 1, 1, 0, 0},
    {"line_length_limit", PM_INT, 1, 512, 0, 0},
    {"max_use", PM_INT, 1, 1, 0, 0},
    {"mime_boundary_length_limit", PM_INT, 1, 1, 0, 0},
    {"mime_nesting_limit", PM_INT, 1, 1, 0, 0},
    {"tcp_windowsize", PM_INT, 0, 0, 0, 0},
    {"lmdb_map_size", PM_LONG, 1, 1, 0, 0},
    {"message_size_limit", PM_LONG, 0, 0, 0, 0},
    {"application_event_drain_time", PM_TIME, 1, 1, 0, 0},
    {"daemon_timeout", PM_TIME, 1, 1, 0, 0},
    {"deliver_lock_delay", PM_TIME, 1, 1, 0, 0},
    {"fork_delay", PM_TIME, 1, 1, 0, 0},
    {"in_flow_delay", PM_TIME, 1, 0, 1, 10},
    {"ipc_idle", PM_TIME, 1, 1, 0, 0},
    {"ipc_timeout", PM_TIME, 1, 1, 0, 0},
    {"ipc_ttl", PM_TIME, 1, 1, 0, 0},
    {"max_idle", PM_TIME, 1, 1, 0, 0},
    {"stale_lock_time", PM_TIME, 1, 1, 0, 0},
    {"trigger_timeout", PM_TIME, 1, 1, 0, 0},
    {"address_verify_service_name", PM_STR, 1, 1, 0, 0},
    {"bounce_service_name", PM_STR, 1, 1, 0, 0},
    {"cleanup_service_name", PM_STR, 1, 1, 0, 0},
    {"command_directory", PM_STR, 1, 1, 0, 0},
    {"daemon_directory", PM_STR, 1, 1, 0, 0},
    {"data_directory", PM_STR, 1, 1, 0, 0},
    {"default_database_type", PM_STR, 1, 1, 0, 0},
    {"default_privs", PM_STR, 1, 1, 0, 0},
    {"default_verp_delimiters", PM_STR, 1, 2, 1, 2},
    {"defer_service_name", PM_STR, 1, 1, 0, 0},
    {"double_bounce_sender", PM_STR, 1, 1, 0, 0},
    {"error_service_name", PM_STR, 1, 1, 0, 0},
    {"flush_service_name", PM_STR, 1, 1, 0, 0},
    {"hash_queue_names", PM_STR, 1, 1, 0, 0},
    {"info_log_address_format", PM_STR, 1, 1, 0, 0},
    {"mail_name", PM_STR, 1, 1, 0, 0},
    {"mail_owner", PM_STR, 1, 1, 0, 0},
    {"mail_release_date", PM_STR, 1, 1, 0, 0},
    {"mail_version", PM_STR, 1, 1, 0, 0},
    {"maillog_file_compressor", PM_STR, 1, 1, 0, 0},
    {"maillog_file_prefixes", PM_STR, 1, 1, 0, 0},
    {"maillog_file_rotate_suffix", PM_STR, 1, 1, 0, 0},
    {"meta_directory", PM_STR, 1, 1, 0, 0},
    {"mydomain", PM_STR, 1, 1, 0, 0},
    {"myhostname", PM_STR, 1, 1, 0, 0},
    {"mynetworks_style", PM_STR, 1, 1, 0, 0},
    {"myorigin", PM_STR, 1, 1, 0, 0},
    {"pickup_service_name", PM_STR, 1, 1, 0, 0},
    {"postlog_service_name", PM_STR, 1, 1, 0, 0},
    {"process_id_directory", PM_STR, 1, 1, 0, 0},
    {"proxymap_service_name", PM_STR, 1, 1, 0, 0},
    {"proxywrite_service_name", PM_STR, 1, 1, 0, 0},
    {"queue_directory", PM_STR, 1, 1, 0, 0},
    {"queue_service_name", PM_STR, 1, 1, 0, 0},
    {"rewrite_service_name", PM_STR, 1, 1, 0, 0},
    {"setgid_group", PM_STR, 1, 1, 0, 0},
    {"shlib_directory", PM_STR, 1, 1, 0, 0},
    {"showq_service_name", PM_STR, 1, 1, 0, 0},
    {"smtputf8_autodetect_classes", PM_STR, 1, 1, 0, 0},
    {"syslog_facility", PM_STR, 1, 1, 0, 0},
    {"syslog_name", PM_STR, 1, 1, 0, 0},
    {"trace_service_name", PM_STR, 1, 1, 0, 0},
    {"verp_delimiter_filter", PM_STR, 1, 1, 0, 0},
};

static const char *const pm_facilities[] = {
    "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail",
    "news", "syslog", "user", "uucp", "local0", "local1", "local2",
    "local3", "local4", "local5", "local6", "local7", NULL,
};

/*
 * The last few values pm_value returned.  They stay reachable from
 * here until pm_check ends, also through a fatal error's _exit(),
 * where leak checkers look.
 */
#define PM_KEEP 4
static char *pm_kept[PM_KEEP];
static size_t pm_next;

/* pm_value - a parameter's expanded value, valid for PM_KEEP more calls */
static const char *pm_value(struct conf *c, const char *name)
{
    const char *v = lookup(c, name);
    struct buf x;

    buf_init(&x);
    if (v)
        expand(c, v, &x);
    free(pm_kept[pm_next]);
    pm_kept[pm_next] = x.s;
    pm_next = (pm_next + 1) % PM_KEEP;
    return x.s;
}

/* pm_number - parse a decimal number as Postfix does; -1 if malformed */
static int pm_number(const char *v, enum pm_kind kind, long *out)
{
    char *end;
    long n = 0;

    if (*v == '\0')
        return -1;
    errno = 0;
    n = strtol(v, &end, 10);
    if (*end != '\0' || errno == ERANGE || end == v)
        return -1;
    if (kind == PM_INT && (n > INT_MAX || n < INT_MIN))
        return -1;
    *out = n;
    return 0;
}

/* pm_time - parse a time with an optional unit (s m h d w); -1 if bad */
static int pm_time(const char *v, long *out)
{
    long n = 0, mult;
    const char *p = v;

    if (*v == '\0')
        return -1;
    if (*p == '+')
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (*p - '0');
        if (n > INT_MAX)
            return -1;
    }
    switch (*p) {
    case '\0':
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 86400;
        break;
    case 'w':
        mult = 604800;
        break;
    default:
        return -1;
    }
    if (n > INT_MAX / mult)
        return -1;
    *out = n * mult;
    return 0;
}

/* pm_hostname - Postfix's hostname syntax, with its warnings; 1 if valid */
static int pm_hostname(struct conf *c, const char *h)
{
    const char *p;
    int alpha = 0;
    size_t label = 0;

    if (*h == '\0') {
        cwarn(c, "valid_hostname: empty hostname");
        return 0;
    }
    for (p = h; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_') {
            alpha = 1;
            label++;
        } else if (*p >= '0' && *p <= '9') {
            label++;
        } else if (*p == '-') {
            alpha = 1;
            if (label == 0 || p[1] == '.' || p[1] == '\0') {
                cwarn(c, "valid_hostname: misplaced hyphen: %s", h);
                return 0;
            }
            label++;
        } else if (*p == '.') {
            if (label == 0 || p[1] == '\0') {
                cwarn(c, "valid_hostname: misplaced delimiter: %s", h);
                return 0;
            }
            label = 0;
        } else {
            cwarn(c, "valid_hostname: invalid character %d(decimal): %s",
                  (unsigned char) *p, h);
            return 0;
        }
        if (label > 63) {
            cwarn(c, "valid_hostname: hostname label too long: %s", h);
            return 0;
        }
    }
    if (!alpha) {
        cwarn(c, "valid_hostname: numeric hostname: %s", h);
        return 0;
    }
    return 1;
}

/* pm_in - is word one of list? */
static int pm_in(const char *word, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncmp(*list, word, n) == 0)
            return 1;
    return 0;
}

/* pm_words - each word of name's value must be in list; count them */
static size_t pm_words(struct conf *c, const char *v,
                       const char *const *list, const char *what)
{
    const char *p = v;
    size_t n, count = 0;

    for (;;) {
        p += strspn(p, LIST_SEP);
        if ((n = strcspn(p, LIST_SEP)) == 0)
            break;
        if (!pm_in(p, n, list))
            cfatal(c, "unknown %s value \"%.*s\" in \"%s\"", what, (int) n, p, v);
        count++;
        p += n;
    }
    return count;
}

/* pm_user - a user that must exist and must not be root */
static struct passwd *pm_user(struct conf *c, const char *name, const char *v)
{
    struct passwd *pw;

    if ((pw = getpwnam(v)) == NULL)
        cfatal(c, "file %s: parameter %s: unknown user name value: %s",
               c->path, name, v);
    if (pw->pw_uid == 0)
        cfatal(c, "file %s: parameter %s: user %s has privileged user ID",
               c->path, name, v);
    return pw;
}

/* pm_check - postmulti's start-up checks; a failure is fatal */
static void pm_check(struct conf *c)
{
    static const char *const protocols[] = { "all", "ipv4", "ipv6", NULL };
    static const char *const styles[] = { "host", "subnet", "class", NULL };
    size_t i;
    long n = 0;
    const char *v, *v2;
    const char *cv;
    struct passwd *pw;
    uid_t owner_uid;
    gid_t owner_gid;
    const char *owner;
    struct group *gr;

    c->quiet = 0;
    /* The compatibility level first: many defaults depend on it. */
    if ((cv = lookup(c, "compatibility_level")) != NULL) {
        struct buf x;

        buf_init(&x);
        if (expand(c, cv, &x) & EX_BAD)
            cfatal(c, "dictionary mail_dict: macro processing error");
        if (level_parse(x.s, (long[3]) {0, 0, 0}) < 0)
            cfatal(c, "malformed compatibility level syntax: \"%s\"", x.s);
        buf_free(&x);
    }
    for (i = 0; i < sizeof(pm_expanded) / sizeof(pm_expanded[0]); i++) {
        const char *raw = lookup(c, pm_expanded[i]);
        struct buf x;
        int st;

        if (raw == NULL)
            continue;
        buf_init(&x);
        st = expand(c, raw, &x);
        buf_free(&x);
        if (st & EX_BAD)
            cfatal(c, "dictionary mail_dict: macro processing error");
    }
    for (i = 0; i < sizeof(pm_params) / sizeof(pm_params[0]); i++) {
        const struct pm_param *p = pm_params + i;

        v = pm_value(c, p->name);
        switch (p->kind) {
        case PM_BOOL:
            if (strcasecmp(v, "yes") != 0 && strcasecmp(v, "no") != 0)
                cfatal(c, "bad boolean configuration: %s = %s", p->name, v);
            break;
        case PM_INT:
        case PM_LONG:
            if (pm_number(v, p->kind, &n) < 0)
                cfatal(c, "bad numerical configuration: %s = %s", p->name, v);
            if (p->has_min && n < p->min)
                cfatal(c, "invalid %s parameter value %ld < %ld", p->name, n,
                       p->min);
            if (p->has_max && n > p->max)
                cfatal(c, "invalid %s parameter value %ld > %ld", p->name, n,
                       p->max);
            break;
        case PM_TIME:
            if (*v == '-' || pm_time(v, &n) < 0)
                cfatal(c, "parameter %s: bad time value or unit: %s", p->name,
                       v);
            if (p->has_min && n < p->min)
                cfatal(c, "invalid %s: %ld (min %ld)", p->name, n, p->min);
            if (p->has_max && n > p->max)
                cfatal(c, "invalid %s: %ld (max %ld)", p->name, n, p->max);
            break;
        case PM_STR:
            n = (long) strlen(v);
            if (p->has_min && n < p->min)
                cfatal(c, "bad string length %ld < %ld: %s = %s", n, p->min,
                       p->name, v);
            if (p->has_max && n > p->max)
                cfatal(c, "bad string length %ld > %ld: %s = %s", n, p->max,
                       p->name, v);
            break;
        }
    }
    /* The users and the group. */
    owner = pm_value(c, "mail_owner");
    pw = pm_user(c, "mail_owner", owner);
    owner_uid = pw->pw_uid;
    owner_gid = pw->pw_gid;
    v = pm_value(c, "default_privs");
    pw = pm_user(c, "default_privs", v);
    if (pw->pw_uid == owner_uid)
        cfatal(c, "file %s: parameters default_privs and mail_owner specify "
               "the same user %s", c->path, v);
    v = pm_value(c, "setgid_group");
    if ((gr = getgrnam(v)) == NULL)
        cfatal(c, "file %s: parameter setgid_group: unknown group name: %s",
               c->path, v);
    if (gr->gr_gid == 0)
        cfatal(c, "file %s: parameter setgid_group: group %s has privileged "
               "group ID", c->path, v);
    if (gr->gr_gid == owner_gid)
        cfatal(c, "file %s: parameters mail_owner and setgid_group: user %s "
               "and group %s have the same group ID: %ld", c->path, owner, v,
               (long) gr->gr_gid);
    /* Host and domain names. */
    v = pm_value(c, "myhostname");
    if (!pm_hostname(c, v))
        cfatal(c, "file %s: parameter myhostname: bad parameter value: %s",
               c->path, v);
    v = pm_value(c, "mydomain");
    if (!pm_hostname(c, v))
        cfatal(c, "file %s: parameter mydomain: bad parameter value: %s",
               c->path, v);
    /* Logging. */
    v = pm_value(c, "syslog_facility");
    if (!pm_in(v, strlen(v), pm_facilities))
        cfatal(c, "file %s: parameter syslog_facility: unrecognized value: %s",
               c->path, v);
    v = pm_value(c, "maillog_file");
    if (*v) {
        const char *p;
        size_t k;
        int ok = 0;

        v2 = pm_value(c, "maillog_file_prefixes");
        for (p = v2; !ok;) {
            p += strspn(p, LIST_SEP);
            if ((k = strcspn(p, LIST_SEP)) == 0)
                break;
            ok = strncmp(v, p, k) == 0;
            p += k;
        }
        if (!ok)
            cfatal(c, "maillog_file value '%s' does not match any prefix in "
                   "maillog_file_prefixes", v);
    }
    /* Network settings. */
    v = pm_value(c, "inet_protocols");
    pm_words(c, v, protocols, "inet_protocols");
    v = pm_value(c, "mynetworks_style");
    if (pm_words(c, v, styles, "mynetworks mask style") != 1)
        cfatal(c, "bad mynetworks_style value: %s; specify exactly one value",
               v);
    /* VERP. */
    v = pm_value(c, "default_verp_delimiters");
    v2 = pm_value(c, "verp_delimiter_filter");
    for (i = 0; i < 2 && v[i]; i++)
        if (strchr(v2, v[i]) == NULL)
            cfatal(c, "file %s: parameters default_verp_delimiters and "
                   "verp_delimiter_filter: bad %s VERP delimiter character",
                   c->path, i ? "second" : "first");
    for (i = 0; i < PM_KEEP; i++) {
        free(pm_kept[i]);
        pm_kept[i] = NULL;
    }
    c->quiet = 1;
}

/* unsafe - a byte the instance table must not carry */
static int unsafe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* field - one "=value" field, after a TAB */
static void field(struct buf *rec, const char *v)
{
    buf_adds(rec, "\t=");
    buf_adds(rec, v);
}

/* Parameters of each instance record, in record order. */
static const char *const inst_params[] = {
    "config_directory", "queue_directory", "data_directory",
    "multi_instance_name", "multi_instance_group",
    "multi_instance_enable", "command_directory", "daemon_directory",
};
#define NINST (sizeof(inst_params) / sizeof(inst_params[0]))

/*
 * value_xh - a value as `postconf -xh name` prints it, into out.
 * Returns -1 after a fatal error (recorded in c).
 */
static int value_xh(struct conf *c, const char *name, struct buf *out)
{
    const struct pfm_default *d = find_def(name);
    const char *v = lookup(c, name);
    struct buf x;
    int st = 0;

    buf_reset(out);
    if (v == NULL || !known(c, name))
        return 0;
    buf_init(&x);
    if (d && (d->flags & PFM_DEF_RAW))
        buf_adds(&x, v);
    else if (expand(c, v, &x) & EX_BAD)
        st = cfatal(c, "macro processing error");
    if (st == 0)
        normalize(x.s, out);
    buf_free(&x);
    return st;
}

/* instance - print one I record; primary errors are fatal */
static void instance(struct conf *c, const char *dir, int primary)
{
    struct buf rec, v;
    const char *reason = NULL;
    char *msg = NULL;
    size_t i;

    buf_init(&rec);
    buf_init(&v);
    buf_adds(&rec, "I\t=ok");
    field(&rec, dir);
    for (i = 0; i < NINST && reason == NULL; i++) {
        if (primary && i == 0) {
            /* Like postmulti: the directory read, whatever main.cf says. */
            field(&rec, dir);
        } else if (value_xh(c, inst_params[i], &v) < 0) {
            reason = c->error;
        } else if (unsafe(v.s)) {
            size_t n = strlen(c->path) + strlen(inst_params[i]) + 64;

            msg = xmalloc(n);
            snprintf(msg, n, "%s: unsafe character in %s value", c->path,
                     inst_params[i]);
            msg_printable(msg);
            reason = msg;
        } else {
            field(&rec, v.s);
        }
    }
    if (reason) {
        if (primary)
            msg_fatal("%s", reason);
        buf_reset(&rec);
        buf_adds(&rec, "I\t=bad");
        field(&rec, dir);
        for (i = 0; i < NINST; i++)
            field(&rec, "");
        field(&rec, reason);
    } else {
        field(&rec, "");
    }
    printf("%s\n", rec.s);
    free(msg);
    buf_free(&rec);
    buf_free(&v);
}

/* table - batch mode: G records, then the whole instance table */
static void table(const char *dir, char **names, int nnames)
{
    struct conf c, s;
    struct buf v, dirs;
    const char *p;
    int i;

    /* Read the primary as postmulti does (its syntax warnings are not
     * printed: see COMPATIBILITY), then check it. */
    if (conf_load(&c, dir, 1, 0) < 0)
        msg_fatal("%s", c.error);
    pm_check(&c);
    buf_init(&v);
    buf_init(&dirs);
    for (i = 0; i < nnames; i++) {
        if (value_xh(&c, names[i], &v) < 0)
            msg_fatal("%s", c.error);
        if (unsafe(v.s))
            msg_fatal("%s: unsafe character in %s value", c.path, names[i]);
        printf("G\t=%s\t=%s\n", names[i], v.s);
    }
    if (value_xh(&c, "multi_instance_directories", &dirs) < 0)
        msg_fatal("%s", c.error);
    instance(&c, dir, 1);
    /* The list splits on commas and blanks; empty elements vanish. */
    for (p = dirs.s; *p;) {
        size_t n;
        char *d;

        p += strspn(p, LIST_SEP);
        if ((n = strcspn(p, LIST_SEP)) == 0)
            break;
        d = xstrndup(p, n);
        p += n;
        if (conf_load(&s, d, 1, 1) < 0) {
            printf("I\t=bad\t=%s", d);
            for (i = 0; i < (int) NINST; i++)
                fputs("\t=", stdout);
            printf("\t=%s\n", s.error);
        } else {
            instance(&s, d, 0);
        }
        conf_free(&s);
        free(d);
    }
    conf_free(&c);
    buf_free(&v);
    buf_free(&dirs);
    if (fflush(stdout) != 0 || ferror(stdout))
        msg_fatal("write error: %s", strerror(errno));
}

/* usage - the one usage message */
static void usage(void)
{
    msg_fatal("usage: %s [-c config_dir] [-d] [-h] [-n] [-x] [name ...]"
              " | [-c config_dir] [-N progname] -T [name ...]",
              pfm_progname);
}

int main(int argc, char **argv)
{
    int ch, dflag = 0, hflag = 0, nflag = 0, xflag = 0, tflag = 0;
    const char *dir = NULL;
    const struct pfm_default *d;

    msg_init(argv[0]);
    /* postconf writes through a 4096-byte buffer; a fatal error loses
     * what is still in it.  Do the same, so output matches. */
    setvbuf(stdout, NULL, _IOFBF, 4096);
    defaults_init();
    opterr = 0;                 /* one usage message, ours */
    while ((ch = getopt(argc, argv, "c:dhnxTN:")) != -1) {
        switch (ch) {
        case 'c':
            dir = optarg;
            break;
        case 'd':
            dflag = 1;
            break;
        case 'h':
            hflag = 1;
            break;
        case 'n':
            nflag = 1;
            break;
        case 'x':
            xflag = 1;
            break;
        case 'T':
            tflag = 1;
            break;
        case 'N':
            pfm_progname = optarg;
            break;
        default:
            usage();
        }
    }
    /* Like postconf: -c, else MAIL_CONFIG, else the built-in default. */
    if (dir == NULL && (dir = getenv("MAIL_CONFIG")) == NULL)
        dir = (d = find_def("config_directory")) ? d->value : "/etc/postfix";
    if (tflag) {
        if (dflag || hflag || nflag || xflag)
            usage();
        table(dir, argv + optind, argc - optind);
    } else {
        if (dflag && nflag)
            msg_fatal("specify one of -d -n");
        query(dir, dflag, hflag, nflag, xflag, argv + optind, argc - optind);
    }
    free(defs);
    return 0;
}
