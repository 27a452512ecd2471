/*
 * hostdefaults.h - built-in parameter defaults that postconf computes
 * at run time: myhostname, mydomain and mynetworks from this host, and
 * the service parameters that an instance's own master.cf makes known.
 * Nothing about the build host is compiled in.  See hostdefaults.c.
 */
#ifndef HOSTDEFAULTS_H
#define HOSTDEFAULTS_H

#include <stddef.h>

#define PFM_DEF_RAW 1           /* -x prints it unexpanded */
#define PFM_DEF_READONLY 2      /* main.cf may not set it */
#define PFM_DEF_HOST 4          /* computed at run time: hd_value() */

/* One built-in parameter and its default value. */
struct pfm_default {
    const char *name;
    const char *value;
    int flags;
};

/*
 * What the computation needs from the caller's configuration reader.
 * eval: the value of name expanded, as the reader sees it (main.cf,
 * else the default); with setonly, NULL unless main.cf sets it.  *bad
 * is set on a macro error (the reader has printed its warnings).
 * isset: main.cf sets name.
 * warn and fatal print postconf's messages (fatal may return in quiet
 * mode; the computation then gives up).
 */
struct hd_io {
    char *(*eval)(void *ctx, const char *name, int setonly, int *bad);
    int (*isset)(void *ctx, const char *name);
    void (*warn)(void *ctx, const char *text);
    void (*fatal)(void *ctx, const char *text);
    void *ctx;
};

int hd_load(const char *dir, char **error);
const struct pfm_default *hd_find(const char *name);
size_t hd_options(void);
const char *hd_option(size_t i, const char **value);
void hd_scope(size_t i);
int hd_option_used(size_t i);
const char *hd_master(void);
size_t hd_count(void);
const char *hd_name(size_t i);
const char *hd_value(const struct pfm_default *d, const struct hd_io *io);
void hd_prepare(const struct hd_io *io);
int hd_early(const struct hd_io *io);

#endif
