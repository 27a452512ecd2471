#!/bin/sh
#
# tools/demo.sh - pfm's main job, shown in a throwaway sandbox with the
# real Postfix.  Run as root from the top of a built tree (after
# ./configure && make).  Nothing outside a fresh temporary directory is
# touched: the primary instance lives there too (pfm's -c extension),
# no port is bound (master_service_disable = inet), and every daemon
# started is stopped before the directory is removed.

unset CDPATH
LC_ALL=C
export LC_ALL

fatal() {
    printf 'demo: fatal: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fatal "run as root: the demo starts real Postfix daemons"
[ -f Makefile ] || fatal "run ./configure && make first"
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] ||
    fatal "Postfix is not installed (sh tools/install-deps.sh)"
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

T=$(mktemp -d /tmp/pfm-demo.XXXXXX) || fatal "mktemp failed"
# The postfix user must reach the queue and data directories below.
chmod 755 "$T" || fatal "chmod $T"
P=$T/etc/postfix
started=

# cleanup - stop every instance we may have started, remove the sandbox
cleanup() {
    for d in $started; do
        postfix -c "$d" stop >/dev/null 2>&1
    done
    case "$T" in
    /tmp/pfm-demo.??????) rm -rf -- "$T" ;;
    esac
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

make -s stage STAGE="$T/pfm" >/dev/null || fatal "make stage failed"
postmulti=$T/pfm/sbin/postmulti
lock=$T/pfm/libexec/pfm/pfm-lock
parsecf=$T/pfm/libexec/pfm/pfm-parsecf

# show - print a command, then its output; $T stands for the sandbox
show() {
    want=$1
    shift
    printf '\n$ %s\n' "$*" | sed "s|$T|\$T|g"
    "$@" >"$T/out" 2>&1
    rc=$?
    sed "s|$T|\$T|g" "$T/out"
    [ "$rc" -eq 0 ] && [ "$want" = ok ] && return 0
    [ "$rc" -ne 0 ] && [ "$want" = fails ] && return 0
    fatal "unexpected exit status $rc"
}

# step - a command that must succeed; fails - one that must fail
step() { show ok "$@"; }
fails() { show fails "$@"; }

# instance - make one instance: DIR NAME GROUP ENABLE
instance() {
    q=$T/spool/${1##*/} l=$T/lib/${1##*/}
    mkdir -p "$1" "$q" "$l" || fatal "mkdir for $1"
    cp /etc/postfix/master.cf "$1/master.cf" || fatal "no /etc/postfix/master.cf"
    : >"$1/main.cf"
    # All settings in one locked, atomic edit, as postconf -e would write.
    "$lock" -c "$1" -e "compatibility_level = 3.6" \
        "queue_directory = $q" "data_directory = $l" \
        "master_service_disable = inet" "maillog_file = $T/maillog" \
        "maillog_file_prefixes = $T" "multi_instance_name = $2" \
        "multi_instance_group = $3" "multi_instance_enable = $4" ||
        fatal "pfm-lock failed for $1"
    postfix -c "$1" set-permissions >"$T/out" 2>&1 ||
        { cat "$T/out"; fatal "postfix set-permissions failed for $1"; }
}

printf 'pfm demo: sandbox in %s (shown as \044T below)\n' "$T"
instance "$P" "" "" yes
instance "$T/etc/postfix-mx1" postfix-mx1 mx yes
instance "$T/etc/postfix-mx2" postfix-mx2 mx yes
instance "$T/etc/postfix-test" postfix-test "" no

printf '\nThe primary lists its secondaries (pfm-lock edits main.cf):\n'
step "$lock" -c "$P" -e "multi_instance_directories = $T/etc/postfix-mx1 $T/etc/postfix-mx2 $T/etc/postfix-test" \
    "multi_instance_wrapper = $T/pfm/libexec/pfm/postfix-wrapper"
step "$parsecf" -c "$P" -n
step "$parsecf" -c "$T/etc/postfix-mx1" -x -h syslog_name queue_directory

printf '\nList the instances: name, group, enabled, config directory:\n'
step "$postmulti" -c "$P" -l
step "$postmulti" -c "$P" -l -g mx -R
step "$postmulti" -c "$P" -l -j

started="$P $T/etc/postfix-mx1 $T/etc/postfix-mx2 $T/etc/postfix-test"
: >"$T/maillog"

# log - what the instances logged since the last call (their logtags
# show which instance did what, in which order)
seen=0
log() {
    sed -n "$((seen + 1)),\$p" "$T/maillog" |
        sed -e 's/^[A-Z][a-z]* *[0-9]* [0-9:]* [^ ]* //' \
            -e 's/\[[0-9]*\]//' -e "s|$T|\$T|g" -e 's/^/    /'
    seen=$(wc -l <"$T/maillog")
}

printf '\nStart them: enabled instances start, the disabled one gets "check":\n'
step "$postmulti" -c "$P" -p start
log
# The command is for the instance shell, not this one.
# shellcheck disable=SC2016
step "$postmulti" -c "$P" -x sh -c 'printf "%-12s %-6s master pid %s\n" "${multi_instance_name:--}" "$multi_instance_enable" "$(cat "$queue_directory/pid/master.pid" 2>/dev/null | tr -d " ")"'
step "$postmulti" -c "$P" -g mx -p status
log
printf '\n"status" runs everywhere; the disabled instance is not running:\n'
fails "$postmulti" -c "$P" -i postfix-test -p status
log

printf '\nReload the "mx" group only, then stop everything (reverse order,\n'
printf 'the disabled instance skipped):\n'
step "$postmulti" -c "$P" -g mx -p reload
log
step "$postmulti" -c "$P" -p stop
log
fails "$postmulti" -c "$P" -p status
log

printf '\nErrors are Postfix'"'"'s own:\n'
fails "$postmulti" -c "$P" -l -p
fails "$postmulti" -c "$P" -p

printf '\ndemo: done; removing %s\n' "$T"
