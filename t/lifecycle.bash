# t/lifecycle.bash - -c sandboxes for the postmulti -e tests (load
# after helper): lc_tree makes a primary $P under $T and runs
# "postmulti -e init"; PM runs pfm's postmulti -c $P through lc_ns, a
# private mount namespace in which postconf and postfix backdate the
# sandbox's main.cf files first (they wait for a main.cf changed in the
# last second to settle) and, when REAL_HELPER names Postfix's
# postmulti-script, pfm's helper is replaced by it.

# lc_tree - a primary at $P ($T/etc/postfix, queue $T/spool/postfix,
# data $T/lib/postfix), after "postmulti -e init"
lc_tree() {
    T=$BATS_TEST_TMPDIR/sb
    P=$T/etc/postfix
    mkdir -p "$P" "$T/spool/postfix" "$T/lib/postfix"
    local up=$T
    while [ -n "$up" ]; do
        chmod o+x "$up" 2>/dev/null || :
        up=${up%/*}
    done
    printf '%s\n' "queue_directory = $T/spool/postfix" \
        "data_directory = $T/lib/postfix" 'compatibility_level = 3.6' \
        'master_service_disable = inet' >"$P/main.cf"
    cp /etc/postfix/master.cf "$P/master.cf"
    pfm_backdate "$P/main.cf"
    LCW=$BATS_TEST_TMPDIR/bin
    mkdir -p "$LCW"
    local c
    for c in postconf postfix; do
        cp "/usr/sbin/$c" "$LCW/$c.real"
        printf '#!/bin/sh\ntouch -d "2 hours ago" %s/etc/*/main.cf 2>/dev/null\nexec %s "$@"\n' \
            "$T" "$LCW/$c.real" >"$LCW/$c"
        chmod 755 "$LCW/$c"
    done
    export LCW T P
    run -0 PM -e init
}

# lc_ns - CMD...: CMD in a private mount namespace where postconf and
# postfix do not wait for a fresh main.cf, and where pfm's helper is
# Postfix's when REAL_HELPER is set
lc_ns() {
    unshare -m --propagation private bash -c '
        if [ -n "${REAL_HELPER:-}" ]; then
            mount --bind "$REAL_HELPER" "$PFM_LIBEXEC/postmulti-script" || exit 1
        fi
        for c in postconf postfix; do
            mount --bind "$LCW/$c" "/usr/sbin/$c" || exit 1
        done
        exec "$@"' lc "$@"
}

PM() { lc_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$P" "$@"; }

# snap - a listing of everything under $T (what must not change)
snap() {
    find "$T" -path "$P/postmulti.lock" -prune -o -printf '%p %y %u %g %m %s\n' | sort
    cat "$P/main.cf"
}
