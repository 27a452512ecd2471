#!/bin/sh
#
# tools/demo.sh - pfm's main job, shown in a throwaway sandbox with the
# real Postfix: a whole life cycle with "postmulti -e" (init, create,
# enable, start, list, status, stop, disable, destroy).  Run as root
# from the top of a built tree (after ./configure && make).  Nothing
# outside a fresh temporary directory is touched: the primary instance
# lives there too (pfm's -c extension), no port is bound
# (master_service_disable = inet), and every daemon started is stopped
# before the directory is removed.

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

printf 'pfm demo: sandbox in %s (shown as \044T below)\n' "$T"
# The primary instance: everything under $T, no port bound, a log file.
mkdir -p "$P" "$T/spool/postfix" "$T/lib/postfix" || fatal "mkdir"
cp /etc/postfix/master.cf "$P/master.cf" || fatal "no /etc/postfix/master.cf"
: >"$P/main.cf"
logset="maillog_file = $T/maillog"
# All settings in one locked, atomic edit, as postconf -e would write.
"$lock" -c "$P" -e "compatibility_level = 3.6" \
    "queue_directory = $T/spool/postfix" "data_directory = $T/lib/postfix" \
    "master_service_disable = inet" "$logset" "maillog_file_prefixes = $T" ||
    fatal "pfm-lock failed for $P"
postfix -c "$P" set-permissions >"$T/out" 2>&1 ||
    { cat "$T/out"; fatal "postfix set-permissions failed for $P"; }
started=$P
: >"$T/maillog"

printf '\nPrepare the primary for instances, then create two (their\n'
printf 'directories are derived from the primary'"'"'s: \044T/etc/postfix -> \044T/etc/postfix-mx):\n'
step "$postmulti" -c "$P" -e init
step "$postmulti" -c "$P" -e create -I postfix-mx -G mta
step "$postmulti" -c "$P" -e create -I postfix-test
step "$parsecf" -c "$P" -n
step "$parsecf" -c "$T/etc/postfix-mx" -n queue_directory data_directory \
    multi_instance_name multi_instance_group multi_instance_enable
for d in "$T/etc/postfix-mx" "$T/etc/postfix-test"; do
    # their log goes to the same file
    "$lock" -c "$d" -e "$logset" "maillog_file_prefixes = $T" ||
        fatal "pfm-lock failed for $d"
done
started="$P $T/etc/postfix-mx $T/etc/postfix-test"

printf '\nEnable postfix-mx; postfix-test stays disabled.  Errors are Postfix'"'"'s:\n'
step "$postmulti" -c "$P" -e enable -i mx
fails "$postmulti" -c "$P" -e destroy -i mx
fails "$postmulti" -c "$P" -e create -I postfix-new queue_directory="$T/spool/postfix-mx"

printf '\nList the instances: name, group, enabled, config directory:\n'
step "$postmulti" -c "$P" -l
step "$postmulti" -c "$P" -l -g mta
step "$postmulti" -c "$P" -l -j

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
step "$postmulti" -c "$P" -g mta -p status
log
printf '\n"status" runs everywhere; the disabled instance is not running:\n'
fails "$postmulti" -c "$P" -p status
log

printf '\nStop everything: reverse order (postfix-mx before the primary), the\n'
printf 'disabled instance skipped:\n'
step "$postmulti" -c "$P" -p stop
log

printf '\nDisable and destroy both instances; the primary stays:\n'
step "$postmulti" -c "$P" -e disable -i mx
step "$postmulti" -c "$P" -e destroy -i mx
step "$postmulti" -c "$P" -e destroy -i postfix-test
step "$postmulti" -c "$P" -l
step ls "$T/etc" "$T/spool" "$T/lib"
started=

printf '\ndemo: done; removing %s\n' "$T"
