/*
 * hostdefaults.c - the defaults postconf(1) computes at run time.
 *
 * A binary built on one host and run on another must answer as the
 * postconf of the host it runs on, so these are never compiled in:
 *
 *   myhostname   the host name; completed with "." and main.cf's
 *                mydomain (else "localdomain") when it has no dot.
 *   mydomain     myhostname (expanded) after its first dot, else
 *                "localdomain".
 *   mynetworks   the networks of the active interfaces (getifaddrs),
 *                by mynetworks_style, inet_protocols, inet_interfaces.
 *   NAME_...     the service parameters of DIR/master.cf: every
 *                service whose command is a delivery agent makes
 *                NAME_delivery_slot_cost and 15 more known; pipe and
 *                spawn make NAME_time_limit known.
 *   -o settings  master.cf's "-o name=value" (pfm-parsecf scans their
 *                values; inside its service, each one is defined).
 *
 * pfm-parsecf calls hd_load() for each instance it reads, hd_early()
 * where postconf computes these on start, and hd_value() for a value.
 * The state is that of the instance loaded last.
 */
/* getifaddrs() and IFF_UP are not POSIX: glibc and musl show them here. */
#define _DEFAULT_SOURCE 1

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pfm.h"
#include "hostdefaults.h"

#define DEF_MYDOMAIN "localdomain"
#define LIST_SEP ", \t\r\n"

/* Service parameters: suffix and default, for delivery agents. */
static const char *const agent_params[][2] = {
    {"delivery_slot_cost", "$default_delivery_slot_cost"},
    {"delivery_slot_discount", "$default_delivery_slot_discount"},
    {"delivery_slot_loan", "$default_delivery_slot_loan"},
    {"destination_concurrency_failed_cohort_limit",
     "$default_destination_concurrency_failed_cohort_limit"},
    {"destination_concurrency_limit", "$default_destination_concurrency_limit"},
    {"destination_concurrency_negative_feedback",
     "$default_destination_concurrency_negative_feedback"},
    {"destination_concurrency_positive_feedback",
     "$default_destination_concurrency_positive_feedback"},
    {"destination_rate_delay", "$default_destination_rate_delay"},
    {"destination_recipient_limit", "$default_destination_recipient_limit"},
    {"extra_recipient_limit", "$default_extra_recipient_limit"},
    {"initial_destination_concurrency", "$initial_destination_concurrency"},
    {"minimum_delivery_slots", "$default_minimum_delivery_slots"},
    {"recipient_limit", "$default_recipient_limit"},
    {"recipient_refill_delay", "$default_recipient_refill_delay"},
    {"recipient_refill_limit", "$default_recipient_refill_limit"},
    {"transport_rate_delay", "$default_transport_rate_delay"},
};
#define NAGENT (sizeof(agent_params) / sizeof(agent_params[0]))

/* The commands that postconf takes for delivery agents. */
static const char *const agents[] = {
    "smtp", "lmtp", "local", "virtual", "pipe", "error",
};

/* The loaded instance: its service parameters, sorted by name. */
static struct pfm_default *svc;
static size_t nsvc, capsvc;

/* Its master.cf "-o name=value" settings, in file order. */
static char **opt_name, **opt_value;
static size_t *opt_entry;              /* which master.cf entry */
static int *opt_used;                  /* referred to in its service */
static struct pfm_default *opt_def;    /* each as a service-local default */
static size_t nopt, capopt, nentry;
static size_t scope = (size_t) -1;     /* the service hd_find looks in */
static char *master_path;

/* Computed values of the loaded instance; busy while computing. */
enum { HD_MYHOSTNAME, HD_MYDOMAIN, HD_MYNETWORKS, HD_N };
static const char *const hd_names[HD_N] = {
    "myhostname", "mydomain", "mynetworks",
};
static char *hd_cache[HD_N];
static int hd_busy[HD_N];
/* The value being computed, and why one failed: replayed on use. */
static int hd_cur;
static char *hd_warning[HD_N], *hd_fatal[HD_N];

/* cmp_svc - order service parameters by name */
static int cmp_svc(const void *a, const void *b)
{
    return strcmp(((const struct pfm_default *) a)->name,
                  ((const struct pfm_default *) b)->name);
}

/* add_svc - make one service parameter known */
static void add_svc(const char *service, const char *suffix,
                    const char *value)
{
    char *name = xmalloc(strlen(service) + strlen(suffix) + 2);

    sprintf(name, "%s_%s", service, suffix);
    if (nsvc == capsvc)
        svc = xrealloc(svc, (capsvc = capsvc * 2 + 32) * sizeof(*svc));
    svc[nsvc].name = name;
    svc[nsvc].value = value;
    svc[nsvc].flags = 0;
    nsvc++;
}

/* hd_reset - forget the instance loaded before */
static void hd_reset(void)
{
    size_t i;

    for (i = 0; i < nsvc; i++)
        free((char *) svc[i].name);
    nsvc = 0;
    for (i = 0; i < nopt; i++) {
        free(opt_name[i]);
        free(opt_value[i]);
    }
    nopt = nentry = 0;
    scope = (size_t) -1;
    free(master_path);
    master_path = NULL;
    for (i = 0; i < HD_N; i++) {
        free(hd_cache[i]);
        free(hd_warning[i]);
        free(hd_fatal[i]);
        hd_cache[i] = hd_warning[i] = hd_fatal[i] = NULL;
        hd_busy[i] = 0;
    }
}

/* bad_field - postconf's text for a malformed master.cf field */
static char *bad_field(const char *what, const char *field, const char *line)
{
    char *s = xmalloc(strlen(what) + strlen(field) + strlen(line) + 32);

    sprintf(s, "invalid %s field \"%s\" in \"%s\"", what, field, line);
    return s;
}

/* yes_no - a master.cf y/n/- field */
static int yes_no(const char *f)
{
    return strcmp(f, "y") == 0 || strcmp(f, "n") == 0 || strcmp(f, "-") == 0;
}

/* number - digits, optionally followed by one allowed suffix byte */
static int number(const char *f, int qmark)
{
    if (strcmp(f, "-") == 0)
        return 1;
    if (*f < '0' || *f > '9')
        return 0;
    f += strspn(f, "0123456789");
    return *f == '\0' || (qmark && f[0] == '?' && f[1] == '\0');
}

/* add_opt - remember one "-o name=value" */
static void add_opt(const char *name, size_t nlen, const char *value,
                    size_t vlen)
{
    if (nopt == capopt) {
        capopt = capopt * 2 + 16;
        opt_name = xrealloc(opt_name, capopt * sizeof(*opt_name));
        opt_value = xrealloc(opt_value, capopt * sizeof(*opt_value));
        opt_entry = xrealloc(opt_entry, capopt * sizeof(*opt_entry));
        opt_used = xrealloc(opt_used, capopt * sizeof(*opt_used));
        opt_def = xrealloc(opt_def, capopt * sizeof(*opt_def));
    }
    opt_name[nopt] = xstrndup(name, nlen);
    opt_value[nopt] = xstrndup(value, vlen);
    opt_entry[nopt] = nentry;
    opt_used[nopt] = 0;
    opt_def[nopt].name = opt_name[nopt];
    opt_def[nopt].value = opt_value[nopt];
    opt_def[nopt].flags = 0;
    nopt++;
}

/* trimmed - a string's bounds without surrounding white space */
static void trimmed(const char **s, const char **e)
{
    while (*s < *e && strchr(" \t\r\n", **s))
        (*s)++;
    while (*e > *s && strchr(" \t\r\n", (*e)[-1]))
        (*e)--;
}

/*
 * options - the arguments after the command: "-o name=value" and
 * "-o { name = value }".  Other forms postconf takes oddly or not at
 * all ("-oname=value", "-o" without "=") are passed over.
 */
static void options(const char *p)
{
    int want = 0, level;

    for (;;) {
        const char *t, *e, *eq;

        p += strspn(p, " \t\r\n");
        if (*p == '\0')
            return;
        /* Blanks inside braces do not split: "${a b}", "{ n = v }". */
        t = p;
        for (level = 0; *p && (level > 0 || !strchr(" \t\r\n", *p)); p++)
            if (*p == '{')
                level++;
            else if (*p == '}' && level > 0)
                level--;
        e = p;
        if (*t == '{' && e - t >= 2 && e[-1] == '}') {
            t++;
            e--;
        }
        if (!want) {
            want = e - t == 2 && strncmp(t, "-o", 2) == 0;
            continue;
        }
        want = 0;
        trimmed(&t, &e);
        for (eq = t; eq < e && *eq != '='; eq++)
            /* void */ ;
        if (eq < e) {
            const char *ne = eq, *v = eq + 1, *ve = e;

            trimmed(&t, &ne);
            trimmed(&v, &ve);
            if (ne > t)
                add_opt(t, (size_t) (ne - t), v, (size_t) (ve - v));
        }
    }
}

/* service - check one master.cf entry; register its parameters */
static char *service(const char *text, const char *path, size_t lineno)
{
    char *copy = xstrdup(text), *f[8], *p = copy;
    int n;
    size_t i;
    char *err = NULL;

    for (n = 0; n < 8; n++) {
        p += strspn(p, " \t\r\n");
        if (*p == '\0')
            break;
        f[n] = p;
        p += strcspn(p, " \t\r\n");
        if (*p)
            *p++ = '\0';
    }
    if (n < 8) {
        err = xmalloc(strlen(path) + 64);
        sprintf(err, "file %s: line %zu: bad field count", path, lineno);
    } else if (strcmp(f[1], "inet") && strcmp(f[1], "unix")
               && strcmp(f[1], "unix-dgram") && strcmp(f[1], "fifo")
               && strcmp(f[1], "pass")) {
        err = bad_field("type", f[1], text);
    } else if (!yes_no(f[2])) {
        err = bad_field("private", f[2], text);
    } else if (!yes_no(f[3])) {
        err = bad_field("unprivileged", f[3], text);
    } else if (!yes_no(f[4])) {
        err = bad_field("chroot", f[4], text);
    } else if (!number(f[5], 1)) {
        err = bad_field("wakeup", f[5], text);
    } else if (!number(f[6], 0)) {
        err = bad_field("process_limit", f[6], text);
    } else {
        for (i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
            if (strcmp(f[7], agents[i]) == 0)
                break;
        if (i < sizeof(agents) / sizeof(agents[0]))
            for (i = 0; i < NAGENT; i++)
                add_svc(f[0], agent_params[i][0], agent_params[i][1]);
        if (strcmp(f[7], "pipe") == 0 || strcmp(f[7], "spawn") == 0)
            add_svc(f[0], "time_limit", "$command_time_limit");
        options(text + (p - copy));
        nentry++;
    }
    free(copy);
    return err;
}

/*
 * hd_load - make DIR/master.cf's service parameters known and forget
 * the values computed for another instance.  A missing master.cf is
 * not an error here (the caller warns).  Returns 0, or -1 with a
 * fatal text in *error (to free).
 */
int hd_load(const char *dir, char **error)
{
    struct cf_file cf;
    char *path;
    size_t i, k;

    *error = NULL;
    hd_reset();
    path = xmalloc(strlen(dir) + sizeof("/master.cf"));
    sprintf(path, "%s/master.cf", dir);
    if (cf_read(&cf, path) < 0) {
        free(path);
        return 0;
    }
    for (i = 0; i < cf.nentries && *error == NULL; i++)
        *error = service(cf.entries[i].text, path, cf.entries[i].lineno);
    cf_free(&cf);
    master_path = path;
    if (*error) {
        msg_printable(*error);
        return -1;
    }
    /* Sorted, one entry per name. */
    if (nsvc > 1)
        qsort(svc, nsvc, sizeof(*svc), cmp_svc);
    for (i = k = 0; i < nsvc; i++) {
        if (k > 0 && strcmp(svc[k - 1].name, svc[i].name) == 0) {
            free((char *) svc[i].name);
            continue;
        }
        svc[k++] = svc[i];
    }
    nsvc = k;
    return 0;
}

/* hd_find - a service parameter of the loaded master.cf, or NULL */
const struct pfm_default *hd_find(const char *name)
{
    struct pfm_default key;
    size_t i;

    /* Inside one service, its own -o settings are defined (the last wins). */
    if (scope != (size_t) -1)
        for (i = nopt; i-- > 0;)
            if (opt_entry[i] == scope && strcmp(opt_name[i], name) == 0) {
                opt_used[i] = 1;
                return opt_def + i;
            }

    if (nsvc == 0)
        return NULL;
    key.name = name;
    return bsearch(&key, svc, nsvc, sizeof(*svc), cmp_svc);
}

/* hd_options - master.cf's "-o" settings: count, and each one */
size_t hd_options(void)
{
    return nopt;
}

const char *hd_option(size_t i, const char **value)
{
    *value = opt_value[i];
    return opt_name[i];
}

/*
 * hd_scope - look up names as inside the service of option i (its
 * -o settings are defined there), or, for (size_t) -1, outside.
 */
void hd_scope(size_t i)
{
    scope = i == (size_t) -1 ? i : opt_entry[i];
}

/* hd_option_used - option i was referred to inside its service */
int hd_option_used(size_t i)
{
    return opt_used[i];
}

/* hd_master - the path of the loaded master.cf, for messages */
const char *hd_master(void)
{
    return master_path ? master_path : "master.cf";
}

/* hd_count, hd_name - the service parameters, in name order */
size_t hd_count(void)
{
    return nsvc;
}

const char *hd_name(size_t i)
{
    return svc[i].name;
}

/* fail - remember a fatal text (and one warning before it) */
static void fail(const char *warning, const char *fatal)
{
    if (hd_fatal[hd_cur])
        return;
    hd_warning[hd_cur] = warning ? xstrdup(warning) : NULL;
    hd_fatal[hd_cur] = xstrdup(fatal);
}

/* failf - fail() with a formatted fatal text, made printable */
static void failf(const char *fmt, ...) PFM_PRINTF(1, 2);
static void failf(const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xvformat(fmt, ap);
    va_end(ap);
    fail(NULL, msg_printable(msg));
    free(msg);
}

/* replay - report a failed computation as postconf does */
static void replay(int i, const struct hd_io *io)
{
    if (hd_warning[i])
        io->warn(io->ctx, hd_warning[i]);
    io->fatal(io->ctx, hd_fatal[i]);
}

/*
 * valid_host - the host name check postconf applies to its own name.
 * Returns NULL, or the warning text (to free).
 */
static char *valid_host(const char *name)
{
    const char *p, *why = NULL;
    size_t label = 0, len = strlen(name);
    int numeric = 1, ch = 0;
    char *s;

    if (len == 0)
        why = "empty hostname";
    else if (len > 255)
        why = "bad length";
    for (p = name; why == NULL && *p; p++) {
        ch = (unsigned char) *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_') {
            numeric = 0;
            label++;
        } else if (ch >= '0' && ch <= '9') {
            label++;
        } else if (ch == '.') {
            if (p == name || p[-1] == '.' || p[1] == '\0')
                why = "misplaced delimiter";
            label = 0;
        } else if (ch == '-') {
            numeric = 0;
            if (label == 0 || p[1] == '.' || p[1] == '\0')
                why = "misplaced hyphen";
            label++;
        } else {
            why = "invalid character";
        }
        if (why == NULL && label > 63)
            why = "hostname label too long";
    }
    if (why == NULL && numeric)
        why = "numeric hostname";
    if (why == NULL)
        return NULL;
    s = xmalloc(len + 64);
    if (strcmp(why, "invalid character") == 0)
        sprintf(s, "valid_hostname: invalid character %d(decimal): %s", ch, name);
    else
        sprintf(s, "valid_hostname: %s: %s", why, name);
    return msg_printable(s);
}

/* host_name - myhostname's default; NULL after a fatal error */
static char *host_name(const struct hd_io *io)
{
    char name[256 + 1], *w, *domain, *s;
    int bad = 0;

    if (gethostname(name, sizeof(name) - 1) < 0) {
        fail(NULL, "gethostname: failed");
        return NULL;
    }
    name[sizeof(name) - 1] = '\0';
    if ((w = valid_host(name)) != NULL) {
        fail(w, "unable to use my own hostname");
        free(w);
        return NULL;
    }
    if (strchr(name, '.'))
        return xstrdup(name);
    domain = io->eval(io->ctx, "mydomain", 1, &bad);
    if (bad) {
        free(domain);
        fail(NULL, "dictionary mail_dict: macro processing error");
        return NULL;
    }
    s = xmalloc(strlen(name) + (domain ? strlen(domain) : sizeof(DEF_MYDOMAIN)) + 2);
    sprintf(s, "%s.%s", name, domain ? domain : DEF_MYDOMAIN);
    free(domain);
    return s;
}

/* domain_name - mydomain's default; NULL after a fatal error */
static char *domain_name(const struct hd_io *io)
{
    char *host, *dot, *s;
    int bad = 0;

    host = io->eval(io->ctx, "myhostname", 0, &bad);
    if (bad) {
        free(host);
        fail(NULL, "dictionary mail_dict: macro processing error");
        return NULL;
    }
    if (host == NULL || (dot = strchr(host, '.')) == NULL)
        s = xstrdup(DEF_MYDOMAIN);
    else
        s = xstrdup(dot + 1);
    free(host);
    return s;
}

/* Networks: one address and its prefix length. */
struct net {
    int family;
    unsigned char addr[16];
    int bits;
};

/* prefix_len - the number of leading one bits of a netmask */
static int prefix_len(const unsigned char *m, size_t n)
{
    size_t i;
    int bits = 0, b;

    for (i = 0; i < n; i++)
        for (b = 7; b >= 0; b--) {
            if (!(m[i] >> b & 1))
                return bits;
            bits++;
        }
    return bits;
}

/* get_net - the address and mask length of an interface address */
static int get_net(const struct ifaddrs *ifa, struct net *n)
{
    const struct sockaddr *sa = ifa->ifa_addr, *mask = ifa->ifa_netmask;

    if (sa == NULL || !(ifa->ifa_flags & IFF_UP))
        return 0;
    n->family = sa->sa_family;
    if (n->family == AF_INET) {
        memcpy(n->addr, &((const struct sockaddr_in *) (const void *) sa)->sin_addr, 4);
        n->bits = mask ? prefix_len((const unsigned char *)
                                    &((const struct sockaddr_in *) (const void *) mask)->sin_addr, 4) : 32;
        return 1;
    }
    if (n->family == AF_INET6) {
        memcpy(n->addr, &((const struct sockaddr_in6 *) (const void *) sa)->sin6_addr, 16);
        n->bits = mask ? prefix_len((const unsigned char *)
                                    &((const struct sockaddr_in6 *) (const void *) mask)->sin6_addr, 16) : 128;
        return 1;
    }
    return 0;
}

/* Address families and mask style, as parsed from main.cf values. */
struct netcf {
    int v4, v6;
    enum { STYLE_HOST, STYLE_SUBNET, STYLE_CLASS } style;
};

/* net_text - "a.b.c.d/n" or "[v6]/n" of the network under the style */
static char *net_text(const struct netcf *nc, struct net n)
{
    char text[INET6_ADDRSTRLEN + 8], out[INET6_ADDRSTRLEN + 16];
    size_t len = n.family == AF_INET ? 4 : 16, i;

    if (nc->style == STYLE_HOST)
        n.bits = (int) len * 8;
    else if (nc->style == STYLE_CLASS && n.family == AF_INET) {
        if (n.addr[0] < 128)
            n.bits = 8;
        else if (n.addr[0] < 192)
            n.bits = 16;
        else if (n.addr[0] < 224)
            n.bits = 24;
        else if (n.addr[0] < 240)
            n.bits = 4;
        else {
            inet_ntop(AF_INET, n.addr, text, sizeof(text));
            failf("mynetworks_core: unknown address class: %s", text);
            return NULL;
        }
    }
    for (i = 0; i < len; i++) {
        int keep = n.bits - (int) i * 8;

        if (keep <= 0)
            n.addr[i] = 0;
        else if (keep < 8)
            n.addr[i] &= (unsigned char) (0xff << (8 - keep));
    }
    inet_ntop(n.family, n.addr, text, sizeof(text));
    if (n.family == AF_INET)
        sprintf(out, "%s/%d", text, n.bits);
    else
        sprintf(out, "[%s]/%d", text, n.bits);
    return xstrdup(out);
}

/* add_word - append a word to a list unless it is there already */
static void add_word(struct buf *b, const char *w)
{
    const char *p = b->s;
    size_t n = strlen(w);

    while ((p = strstr(p, w)) != NULL) {
        if ((p == b->s || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return;
        p += n;
    }
    if (b->len)
        buf_addc(b, ' ');
    buf_adds(b, w);
}

/* parse_netcf - mynetworks_style and inet_protocols; -1 after fatal */
static int parse_netcf(const struct hd_io *io, struct netcf *nc)
{
    char *v, *p, *tok;
    int bad = 0, ret = 0, seen;

    v = io->eval(io->ctx, "mynetworks_style", 0, &bad);
    if (bad || v == NULL) {
        free(v);
        fail(NULL, "macro processing error");
        return -1;
    }
    /* A list, like a mask: every word known, exactly one style. */
    seen = 0;
    p = xstrdup(v);
    for (tok = strtok(p, LIST_SEP); tok && ret == 0; tok = strtok(NULL, LIST_SEP)) {
        if (strcmp(tok, "host") == 0)
            seen |= 1 << STYLE_HOST;
        else if (strcmp(tok, "subnet") == 0)
            seen |= 1 << STYLE_SUBNET;
        else if (strcmp(tok, "class") == 0)
            seen |= 1 << STYLE_CLASS;
        else {
            failf("unknown mynetworks mask style value \"%s\" in \"%s\"", tok, v);
            ret = -1;
        }
    }
    free(p);
    if (ret == 0 && seen != 1 << STYLE_HOST && seen != 1 << STYLE_SUBNET
        && seen != 1 << STYLE_CLASS) {
        failf("bad mynetworks_style value: %s; specify exactly one value", v);
        ret = -1;
    }
    if (ret < 0) {
        free(v);
        return -1;
    }
    nc->style = seen == 1 << STYLE_HOST ? STYLE_HOST
        : seen == 1 << STYLE_SUBNET ? STYLE_SUBNET : STYLE_CLASS;
    free(v);
    v = io->eval(io->ctx, "inet_protocols", 0, &bad);
    if (bad) {
        free(v);
        fail(NULL, "macro processing error");
        return -1;
    }
    nc->v4 = nc->v6 = 0;
    p = v ? xstrdup(v) : xstrdup("");
    for (tok = strtok(p, LIST_SEP); tok && ret == 0; tok = strtok(NULL, LIST_SEP)) {
        if (strcmp(tok, "ipv4") == 0)
            nc->v4 = 1;
        else if (strcmp(tok, "ipv6") == 0)
            nc->v6 = 1;
        else if (strcmp(tok, "all") == 0)
            nc->v4 = nc->v6 = 1;
        else {
            failf("unknown inet_protocols value \"%s\" in \"%s\"", tok, v);
            ret = -1;
        }
    }
    free(p);
    free(v);
    return ret;
}

/* wanted - an address family inet_protocols enables */
static int wanted(const struct netcf *nc, int family)
{
    return (family == AF_INET && nc->v4) || (family == AF_INET6 && nc->v6);
}

/* loopback - 127/8 or ::1 */
static int loopback(const struct net *n)
{
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 1};

    if (n->family == AF_INET)
        return n->addr[0] == 127;
    return memcmp(n->addr, one, 16) == 0;
}

/* iface_addr - one inet_interfaces address: add its network */
static int iface_addr(const struct netcf *nc,
                      struct ifaddrs *all, int family, const void *addr,
                      struct buf *out)
{
    struct ifaddrs *ifa;
    struct net n;
    char text[INET6_ADDRSTRLEN], *w;
    size_t len = family == AF_INET ? 4 : 16;

    for (ifa = all; ifa; ifa = ifa->ifa_next)
        if (get_net(ifa, &n) && n.family == family
            && memcmp(n.addr, addr, len) == 0) {
            if ((w = net_text(nc, n)) == NULL)
                return -1;
            add_word(out, w);
            free(w);
            return 0;
        }
    inet_ntop(family, addr, text, sizeof(text));
    failf("parameter inet_interfaces: no local interface found for %s", text);
    return -1;
}

/* by_interfaces - the networks of the listed inet_interfaces */
static int by_interfaces(const struct netcf *nc,
                         struct ifaddrs *all, char *list, struct buf *out)
{
    char *tok, *host;
    struct addrinfo hints, *res, *ai;
    size_t n;

    for (tok = strtok(list, LIST_SEP); tok; tok = strtok(NULL, LIST_SEP)) {
        host = tok;
        n = strlen(host);
        if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
            host[n - 1] = '\0';
            host++;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = nc->v4 && !nc->v6 ? AF_INET
            : nc->v6 && !nc->v4 ? AF_INET6 : AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(host, NULL, &hints, &res) != 0) {
            failf("config variable inet_interfaces: host not found: %s", host);
            return -1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            const void *a;

            if (ai->ai_family == AF_INET)
                a = &((const struct sockaddr_in *) (const void *) ai->ai_addr)->sin_addr;
            else if (ai->ai_family == AF_INET6)
                a = &((const struct sockaddr_in6 *) (const void *) ai->ai_addr)->sin6_addr;
            else
                continue;
            if (!wanted(nc, ai->ai_family))
                continue;
            if (iface_addr(nc, all, ai->ai_family, a, out) < 0) {
                freeaddrinfo(res);
                return -1;
            }
        }
        freeaddrinfo(res);
    }
    return 0;
}

/* The host's interfaces, as read once per process (or NULL). */
static struct ifaddrs *ifaddrs_all;
static int ifaddrs_read;

/* networks - mynetworks' default; NULL after a fatal error */
static char *networks(const struct hd_io *io)
{
    struct netcf nc;
    struct ifaddrs *all = NULL, *ifa;
    struct net n;
    struct buf out;
    char *ifs, *w;
    int bad = 0, ret = 0, active = 0, lo_only;

    if (parse_netcf(io, &nc) < 0)
        return NULL;
    ifs = io->eval(io->ctx, "inet_interfaces", 0, &bad);
    if (bad) {
        free(ifs);
        fail(NULL, "macro processing error");
        return NULL;
    }
    /* Read once: -T computes this for every instance. */
    if (!ifaddrs_read) {
        if (getifaddrs(&ifaddrs_all) < 0)
            ifaddrs_all = NULL;
        ifaddrs_read = 1;
    }
    all = ifaddrs_all;
    for (ifa = all; ifa; ifa = ifa->ifa_next)
        if (get_net(ifa, &n) && wanted(&nc, n.family))
            active = 1;
    buf_init(&out);
    lo_only = ifs && strcmp(ifs, "loopback-only") == 0;
    if (!active && (nc.v4 || nc.v6)) {
        fail(NULL, "could not find any active network interfaces");
        ret = -1;
    } else if (ifs && strcmp(ifs, "all") != 0 && !lo_only) {
        ret = by_interfaces(&nc, all, ifs, &out);
    } else {
        for (ifa = all; ifa && ret == 0; ifa = ifa->ifa_next) {
            if (!get_net(ifa, &n) || !wanted(&nc, n.family))
                continue;
            if (lo_only && !loopback(&n))
                continue;
            if ((w = net_text(&nc, n)) == NULL) {
                ret = -1;
                break;
            }
            add_word(&out, w);
            free(w);
        }
    }
    free(ifs);
    if (ret < 0) {
        buf_free(&out);
        return NULL;
    }
    return out.s;
}

/* compute - one run-time value, once per instance; NULL on error */
static const char *compute(int i, const struct hd_io *io)
{
    int saved = hd_cur;

    if (hd_cache[i] || hd_busy[i] || hd_fatal[i])
        return hd_cache[i];
    hd_busy[i] = 1;
    hd_cur = i;
    if (i == HD_MYHOSTNAME)
        hd_cache[i] = host_name(io);
    else if (i == HD_MYDOMAIN)
        hd_cache[i] = domain_name(io);
    else
        hd_cache[i] = networks(io);
    hd_busy[i] = 0;
    hd_cur = saved;
    return hd_cache[i];
}

/* index_of - the run-time value called name, or -1 */
static int index_of(const char *name)
{
    int i;

    for (i = 0; i < HD_N; i++)
        if (strcmp(name, hd_names[i]) == 0)
            return i;
    return -1;
}

/*
 * hd_value - the value of a PFM_DEF_HOST parameter.  NULL while that
 * same value is being computed (postconf's macro is then undefined:
 * "mydomain = $myhostname" completes the host name with ""), or after
 * a fatal error, which is reported here (quiet mode: recorded).
 */
const char *hd_value(const struct pfm_default *d, const struct hd_io *io)
{
    int i = index_of(d->name);
    const char *v;

    if (i < 0)
        return d->value;
    if ((v = compute(i, io)) == NULL && hd_fatal[i] && !hd_busy[i])
        replay(i, io);
    return v;
}

/*
 * hd_prepare - compute every run-time value now, outside any macro
 * expansion; a failure is reported only when that value is used
 * (postconf -d computes them as it prints them).
 */
void hd_prepare(const struct hd_io *io)
{
    int i;

    for (i = 0; i < HD_N; i++)
        compute(i, io);
}

/*
 * hd_early - what postconf computes on start, before it reads the
 * rest of main.cf: the defaults of myhostname, mydomain and mynetworks
 * that main.cf does not set.  Returns 0, or -1 after a fatal error.
 */
int hd_early(const struct hd_io *io)
{
    int i;

    for (i = 0; i < HD_N; i++) {
        if (io->isset(io->ctx, hd_names[i]))
            continue;
        if (compute(i, io) == NULL) {
            replay(i, io);
            return -1;
        }
    }
    return 0;
}
