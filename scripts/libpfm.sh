# shellcheck shell=sh disable=SC2034,SC2154
# libpfm.sh - shell functions shared by postmulti and postfix-wrapper.
#
# Sourced, never run: `. "$pfm_libexec/libpfm.sh"`.  The caller sets
# pfm_prog (message prefix) and pfm_libexec (directory of pfm-parsecf)
# first.  The instance table comes from ONE pfm-parsecf call per run
# (pfm_fetch) and ONE awk that turns it into printable ASCII (see
# pfm_awk_table); no per-instance process is started except the command
# the user asked for (and one printf for an instance whose values have
# bytes that are not printable ASCII).  Nothing read from main.cf, the
# environment or the command line is ever evaluated (pfm_decode's eval
# only names variables of fixed lists).
#
# Globals set here start with pfm_; the per-instance variables that
# -x exports (MAIL_CONFIG, config_directory, ...) are the only others.

pfm_tab='	'
pfm_nl='
'
# Globbing is never wanted: instance data is split on TAB and LF.
set -f
unset CDPATH
# Some shells (yash) start with no PATH at all when the environment is
# empty: use Postfix's default, so awk is found and -x passes it on.
[ -n "${PATH:-}" ] || PATH=/bin:/usr/bin:/sbin:/usr/sbin

# Printable ASCII, for the bracket expressions below: a byte outside
# it is shown as "?" in messages, as Postfix does.
pfm_print=' !"#$%&'\''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'

# pfm_printable - TEXT: TEXT with each byte that is not printable ASCII
# replaced by "?", in pfm_pt, except that valid UTF-8 is kept once the
# primary's smtputf8_enable is yes (pfm_utf8=1), as Postfix does.  No
# process unless TEXT needs it; then one awk, which counts bytes where
# a shell in a UTF-8 locale would count characters (without awk, the
# shell's own loop does, and shows any byte >= 0x80 as "?").
pfm_printable() {
    pfm_pt=$1
    case $pfm_pt in
    *[!"$pfm_print"]*) ;;
    *) return 0 ;;
    esac
    if command -v awk >/dev/null 2>&1; then
        pfm_pt=$(printf '%s' "$1" | LC_ALL=C awk -v utf8="${pfm_utf8:-0}" \
            "$pfm_awk_lib"'{ printf "%s%s", sep, shown($0); sep = "?" }')
    else
        pfm_pt='' pfm_s=$1
        while [ -n "$pfm_s" ]; do
            pfm_c=${pfm_s%"${pfm_s#?}"}
            pfm_s=${pfm_s#?}
            case $pfm_c in
            [!"$pfm_print"]) pfm_c='?' ;;
            esac
            pfm_pt=$pfm_pt$pfm_c
        done
    fi
}

# pfm_log - LEVEL: the lines on stdin to syslog through postlog(1),
# in ONE process, through the primary's configuration once it is
# known (postlog -c: the default one may be missing, and then every
# postlog would spend a second in its own fatal error).  PFM_SYSLOG=no
# turns it off; before the primary is known, there is no syslog.
pfm_log() {
    if [ "${PFM_SYSLOG:-yes}" = no ] || [ -z "${pfm_logdir:-}" ]; then
        cat >/dev/null 2>&1
        return 0
    fi
    if [ -n "${pfm_command_directory:-}" ] &&
        [ -x "$pfm_command_directory/postlog" ]; then
        pfm_postlog=$pfm_command_directory/postlog
    else
        pfm_postlog=$(command -v postlog 2>/dev/null) || {
            cat >/dev/null 2>&1
            return 0
        }
    fi
    "$pfm_postlog" -c "$pfm_logdir" -t "$pfm_prog" -p "$1" >/dev/null 2>&1
    return 0
}

# pfm_msg - LEVEL TEXT: one diagnostic on stderr, non-printable bytes
# shown as "?", and to syslog (pfm_log).  A fatal postlog sleeps a
# second before it exits, as every Postfix fatal error does: it is not
# waited for.
pfm_msg() {
    pfm_printable "$2"
    printf '%s: %s: %s\n' "$pfm_prog" "$1" "$pfm_pt" >&2
    if [ "$1" = fatal ]; then
        # not holding stdout or stderr (nor pfm_run's fd 3): a
        # caller's $(...) would wait
        { printf '%s\n' "$pfm_pt" | pfm_log "$1"; } >/dev/null 2>&1 3>&- &
    else
        printf '%s\n' "$pfm_pt" | pfm_log "$1"
    fi
    return 0
}

# pfm_fatal - report TEXT and exit 1
pfm_fatal() {
    pfm_msg fatal "$1"
    exit 1
}

# pfm_warn - report TEXT and go on
pfm_warn() {
    pfm_msg warning "$1"
}

# pfm_need - TOOL...: each must be in PATH, or one clear fatal error
# (instead of the shell's "not found" in the middle of a pipeline)
pfm_need() {
    for pfm_v do
        command -v "$pfm_v" >/dev/null 2>&1 ||
            pfm_fatal "cannot find $pfm_v in PATH: $pfm_v is required"
    done
}

# pfm_fetch - [CONFIG_DIR]: run pfm-parsecf once and turn its output
# into pfm_table with ONE awk (pfm_awk_table); the primary's fatal
# errors are printed by the helper itself.  The helper's exit status
# follows its output as an "X" record: a pipeline has no other portable
# way to give it.
pfm_fetch() {
    if [ -n "${1-}" ]; then
        set -- -c "$1"
    else
        set --
    fi
    pfm_need awk
    pfm_table=$(
        {
            "$pfm_libexec/pfm-parsecf" "$@" -N "$pfm_prog" -T \
                command_directory daemon_directory meta_directory \
                shlib_directory syslog_name postmulti_start_commands \
                postmulti_stop_commands postmulti_control_commands \
                smtputf8_enable
            printf 'X\t%s\n' "$?"
        } | pfm_awk_table
    ) || pfm_fatal "cannot build the instance table: awk failed"
    pfm_parse
}

# pfm_bool - VALUE: 1 for yes, 0 for no (any case), empty otherwise
pfm_bool() {
    case $1 in
    [Yy][Ee][Ss]) pfm_b=1 ;;
    [Nn][Oo]) pfm_b=0 ;;
    *) pfm_b= ;;
    esac
}

# pfm_decode - NAME: decode variable NAME in place (see pfm_awk_table:
# a byte that is not printable ASCII, and the backslash, travel as
# \0ooo, which printf %b turns back).  No process for plain values.
# False when this shell cannot hold the bytes: yash keeps only what is
# valid text in its locale (in the C locale, no byte >= 0x80 at all),
# and cuts the rest off; the "x" after the value shows the cut.
pfm_decode() {
    eval "pfm_dv=\$$1"
    case $pfm_dv in
    *\\*) ;;
    *) return 0 ;;
    esac
    pfm_dv=$(printf '%bx' "$pfm_dv")
    case $pfm_dv in
    *x) eval "$1=\${pfm_dv%x}" ;;
    *) return 1 ;;
    esac
}

# pfm_parse - the header of pfm_table: the H record with the G values
# and the primary's directory (decoded), then the B record of a
# primary error; stops at the first table line.  Exit 1 when the
# helper failed (it has printed why).
pfm_parse() {
    case $pfm_table in
    X*) exit 1 ;;
    H*) ;;
    *) pfm_fatal "cannot build the instance table: awk failed" ;;
    esac
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_table; do
        IFS=$pfm_tab
        # shellcheck disable=SC2086 # splitting on TAB is the point
        set -- $pfm_rec
        IFS=$pfm_nl
        case $1 in
        H)
            pfm_command_directory=${2#=} pfm_daemon_directory=${3#=}
            pfm_meta_directory=${4#=} pfm_shlib_directory=${5#=}
            pfm_syslog_name=${6#=} pfm_start_cmds=${7#=}
            pfm_stop_cmds=${8#=} pfm_control_cmds=${9#=}
            pfm_utf8=0
            case ${10#=} in
            [Yy][Ee][Ss]) pfm_utf8=1 ;;
            esac
            shift 10
            pfm_primary_dir=${1#=} pfm_nsec=$2
            ;;
        B)
            IFS=$pfm_ifs
            pfm_fatal "${pfm_rec#B?}"
            ;;
        *) break ;;
        esac
    done
    IFS=$pfm_ifs
    for pfm_v in pfm_command_directory pfm_daemon_directory \
        pfm_meta_directory pfm_shlib_directory pfm_syslog_name \
        pfm_start_cmds pfm_stop_cmds pfm_control_cmds pfm_primary_dir; do
        pfm_decode "$pfm_v" || pfm_fatal "this shell cannot handle the bytes of the primary's ${pfm_v#pfm_} value in this locale"
    done
    pfm_logdir=$pfm_primary_dir
}

# pfm_awk_table - the helper's output, then "X TAB status", on stdin;
# on stdout, all printable ASCII (so that no shell of the matrix, in
# any locale, changes a byte of it):
#   X TAB status            only this, when the helper failed
#   H TAB =G-values... TAB =primary-dir TAB nsec
#                           the G values in pfm_fetch's order
#   B TAB text              a fatal error in the primary's values
#   W TAB text              a secondary that is skipped, with why
#   F TAB text              the first conflict (then no table)
#   EN TAB =name TAB =group TAB =dir TAB =queue TAB =data TAB PRIMARY
#                           one line per usable instance, in order
# Each value travels with every byte that is not printable ASCII, and
# the backslash, as \0ooo (octal), which printf %b decodes (pfm_decode)
# and which is the same for the same bytes, so that encoded values
# compare as the bytes do; messages show such bytes as "?".  Values
# with control characters are refused (as pfm-parsecf does): they
# would reach terminals.  Two instances may not share a name or a
# directory, as in Postfix; claims are made in Postfix's order: the
# shared directories (not meta_directory: it usually overlaps with
# another one), then each instance's name, config, queue and data
# directories.  In single-instance mode the primary counts as enabled.
# LC_ALL=C: bytes, not characters, in every awk.  No sprintf of values:
# mawk limits its result to 8 KB.
pfm_awk_table() {
    LC_ALL=C awk "$pfm_awk_lib$pfm_awk_claims"'
    BEGIN { FS = "\t"; ni = 0; nw = 0; nt = 0; ng = 0; conflict = ""; bad = "" }
    # warn - TEXT: one warning, empty ones dropped
    function warn(text) {
        if (text != "")
            w[++nw] = shown(text)
    }
    # line - EN NAME GROUP DIR QUEUE DATA PRIMARY: one table line
    function line(en, name, group, dir, queue, data, primary) {
        return en "\t=" enc(name) "\t=" enc(group) "\t=" enc(dir) \
            "\t=" enc(queue) "\t=" enc(data) "\t" primary
    }
    {
        # A short record must not keep fields of the one before.
        n = split($0, a, "\t")
        for (i = 2; i <= 12; i++)
            f[i] = (i <= n) ? substr(a[i], 2) : ""
    }
    $1 == "X" { status = f[2] + 0; next }
    $1 == "G" {
        g[++ng] = f[3]
        gv[f[2]] = f[3]
        utf8 = (gv["smtputf8_enable"] ~ /^[Yy][Ee][Ss]$/)
        next
    }
    $1 != "I" { next }
    {
        en = (f[9] ~ /^[Yy][Ee][Ss]$/) ? 1 : ((f[9] ~ /^[Nn][Oo]$/) ? 0 : "")
        unsafe = (f[3] ~ /[\001-\037\177]/)
    }
    ++ni == 1 {
        pdir = f[3]
        if (unsafe)
            bad = pdir "/main.cf: unsafe character in config_directory value"
        else if (en == "")
            bad = "bad boolean configuration: multi_instance_enable = " f[9]
        split("command_directory daemon_directory shlib_directory", sh, " ")
        for (i = 1; i <= 3; i++)
            if (substr(gv[sh[i]], 1, 1) == "/")
                take(gv[sh[i]], f[3], sh[i])
        claim(f[3], f[7], f[5], f[6])
        pen = en
        t[++nt] = line(en, f[7], f[8], f[3], f[5], f[6], 1)
        next
    }
    f[2] != "ok" || unsafe {
        if (unsafe)
            warn(f[3] "/main.cf: unsafe character in config_directory value")
        else
            warn(f[12])
        warn("Failed to obtain all required " f[3] "/main.cf parameters")
        next
    }
    en == "" {
        warn("Unexpected " f[3] "/main.cf entry: multi_instance_enable = " f[9])
        next
    }
    {
        claim(f[3], f[7], f[5], f[6])
        t[++nt] = line(en, f[7], f[8], f[3], f[5], f[6], 0)
    }
    END {
        if (status != 0 || ni == 0) {
            print "X\t" (status ? status : 1)
            exit
        }
        h = "H"
        for (i = 1; i <= ng; i++)
            h = h "\t=" enc(g[i])
        print h "\t=" enc(pdir) "\t" (ni - 1)
        if (bad != "") {
            print "B\t" shown(bad)
            exit
        }
        for (i = 1; i <= nw; i++)
            print "W\t" w[i]
        if (conflict != "") {
            print "F\t" shown(conflict)
            exit
        }
        # Single-instance mode: the primary counts as enabled.
        if (ni == 1)
            sub(/^[01]/, "1", t[1])
        for (i = 1; i <= nt; i++)
            print t[i]
    }'
}

# pfm_awk_claims - awk functions for the claims of instances: the first
# conflict is kept in the awk variable "conflict", with Postfix's text
# (pfm_awk_table, and postmulti -e on the table it wrote)
pfm_awk_claims='
    # take - KEY DIR WHAT: DIR claims KEY as its WHAT
    function take(key, dir, what,    who) {
        if (conflict != "")
            return
        who = dir ", " what
        if (!(key in owner))
            owner[key] = who
        else if (owner[key] != who)
            conflict = "instance " dir ", " what "=" key \
                " conflicts with instance " owner[key] "=" key
    }
    # claim - DIR NAME QUEUE DATA: what one instance owns
    function claim(dir, name, queue, data) {
        if (name != "")
            take(name, dir, "multi_instance_name")
        take(dir, dir, "config_directory")
        take(queue, dir, "queue_directory")
        take(data, dir, "data_directory")
    }
'

# pfm_awk_lib - awk functions for the \0ooo encoding (see pfm_awk_table)
pfm_awk_lib='
    BEGIN {
        for (i = 1; i < 256; i++) {
            c = sprintf("%c", i)
            if (i < 32 || i > 126 || i == 92) {
                oct[c] = sprintf("%03o", i)
                chr[oct[c]] = c
            }
        }
        RBS = rep(1, "")
        # UTF-8: lead bytes and how many continuation bytes follow
        for (i = 128; i < 192; i++)
            cont[sprintf("%c", i)] = 1
        for (i = 194; i < 245; i++)
            lead[sprintf("%c", i)] = (i < 224) ? 1 : (i < 240) ? 2 : 3
    }
    # rep - N TAIL: the gsub replacement text that gives N backslashes
    # and TAIL: awks differ (gawk, busybox awk) in how they read
    # backslashes there
    function rep(n, tail,    r, w, k, x) {
        for (k = 1; k <= n; k++)
            w = w "\\"
        w = w tail
        r = ""
        for (k = 1; k <= 4 * n; k++) {
            r = r "\\"
            x = "x"
            gsub(/x/, r tail, x)
            if (x == w)
                return r tail
        }
        return w
    }
    # enc - S with bytes outside printable ASCII, and \, as \0ooo: one
    # gsub per distinct byte, so linear in the length of S
    function enc(s,    c) {
        if (s !~ /[^ -~]/ && index(s, "\\") == 0)
            return s
        gsub(/\\/, RBS "0134", s)
        while (match(s, /[^ -~]/)) {
            c = substr(s, RSTART, 1)
            gsub(c, RBS "0" oct[c], s)
        }
        return s
    }
    # dec - the bytes of an encoded S
    function dec(s,    code) {
        if (index(s, "\\") == 0)
            return s
        for (code in chr)
            if (code != "134" && index(s, "\\0" code))
                gsub("\\\\0" code, chr[code], s)
        gsub(/\\0134/, RBS, s)
        return s
    }
    # shown - S as Postfix messages show it: "?" for each byte that is
    # not printable ASCII, except valid UTF-8 sequences when utf8 is 1
    # (S is not encoded)
    function shown(s,    out, c, k, i) {
        gsub(/[\001-\037\177]/, "?", s)
        if (!utf8) {
            gsub(/[^ -~]/, "?", s)
            return s
        }
        out = ""
        while (match(s, /[^ -~]/)) {
            out = out substr(s, 1, RSTART - 1)
            s = substr(s, RSTART)
            c = substr(s, 1, 1)
            k = (c in lead) ? lead[c] : 0
            for (i = 2; i <= k + 1; i++)
                if (!(substr(s, i, 1) in cont))
                    k = 0
            if (k == 0)
                k = 1
            else
                k = k + 1
            out = out (k == 1 ? "?" : substr(s, 1, k))
            s = substr(s, k + 1)
        }
        return out s
    }
'

# pfm_check_shared - the shared directories must exist (as Postfix)
# pfm_check_shared - the shared directories must exist (as Postfix)
pfm_check_shared() {
    for pfm_v in command_directory daemon_directory meta_directory \
        shlib_directory; do
        case $pfm_v in
        command_directory) pfm_p=$pfm_command_directory ;;
        daemon_directory) pfm_p=$pfm_daemon_directory ;;
        meta_directory) pfm_p=$pfm_meta_directory ;;
        *) pfm_p=$pfm_shlib_directory ;;
        esac
        case $pfm_p in
        /*) ;;
        *) continue ;;
        esac
        if [ ! -e "$pfm_p" ]; then
            pfm_fatal "$pfm_v = '$pfm_p': directory not found: No such file or directory"
        elif [ ! -d "$pfm_p" ]; then
            pfm_fatal "$pfm_v = '$pfm_p' is not a directory"
        fi
    done
}

# pfm_table_check - report skipped secondaries (pfm_status=1) and stop
# on two instances sharing a name or directory, as Postfix does: the
# W and F lines pfm_awk_table put before the table.  The warnings go
# to syslog through one postlog.
pfm_table_check() {
    pfm_status=0
    pfm_wl=''
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_table; do
        case $pfm_rec in
        H*) ;;
        W*)
            pfm_status=1
            printf '%s: warning: %s\n' "$pfm_prog" "${pfm_rec#W?}" >&2
            pfm_wl=$pfm_wl${pfm_rec#W?}$pfm_nl
            ;;
        F*)
            IFS=$pfm_ifs
            [ -z "$pfm_wl" ] || printf '%s' "$pfm_wl" | pfm_log warning
            pfm_fatal "${pfm_rec#F?}"
            ;;
        *) break ;;
        esac
    done
    IFS=$pfm_ifs
    [ -z "$pfm_wl" ] || printf '%s' "$pfm_wl" | pfm_log warning
}

# pfm_reverse - pfm_table in reverse order (one awk: prepending in sh
# would copy the table once per instance); the lines before the table
# stay first
pfm_reverse() {
    [ "$pfm_nsec" = 0 ] && return 0
    pfm_table=$(pfm_awk_reverse) ||
        pfm_fatal "cannot build the instance table: awk failed"
}

# pfm_awk_reverse - pfm_table, table lines last first, on stdout
pfm_awk_reverse() {
    LC_ALL=C awk '/^[01]/ { t[++n] = $0; next }
        { print }
        END { for (i = n; i > 0; i--) print t[i] }' <<EOF
$pfm_table
EOF
}

# pfm_split - REC: set pfm_en pfm_name pfm_group pfm_dir pfm_queue
# pfm_data pfm_primary from one table line, decoded, with builtins only
# (one field splitting: "${x#*TAB}" costs O(length^2) in some shells)
# unless a value has bytes outside printable ASCII (one printf each).
# Returns 1 for the lines before the table; 2 when this shell cannot
# hold the bytes of a value (yash, see pfm_decode): pfm_undec then lists
# those values (" name group dir queue data"), which stay encoded, and
# pfm_edir is the directory as encoded, printable.
pfm_split() {
    case $1 in
    [01]*) ;;
    *) return 1 ;;
    esac
    pfm_sifs=$IFS
    IFS=$pfm_tab
    # shellcheck disable=SC2086 # splitting on TAB is the point
    set -- $1
    IFS=$pfm_sifs
    pfm_en=$1 pfm_name=${2#=} pfm_group=${3#=} pfm_dir=${4#=}
    pfm_queue=${5#=} pfm_data=${6#=} pfm_primary=$7 pfm_undec=''
    case $2$3$4$5$6 in
    *\\*) ;;
    *) return 0 ;;
    esac
    pfm_edir=$pfm_dir
    for pfm_v in pfm_name pfm_group pfm_dir pfm_queue pfm_data; do
        pfm_decode "$pfm_v" || pfm_undec="$pfm_undec ${pfm_v#pfm_}"
    done
    [ -z "$pfm_undec" ] || return 2
}

# pfm_match - does the current instance match pfm_sel/pfm_selname?
# all; group: same group; name: the name, the name without its
# "postfix-" prefix, the directory (a /path), or "-" for the primary.
pfm_match() {
    case $pfm_sel in
    all) return 0 ;;
    group) [ -n "$pfm_group" ] && [ "$pfm_selname" = "$pfm_group" ] ;;
    name)
        case $pfm_selname in
        /*) pfm_iname=$pfm_dir ;;
        postfix-*) pfm_iname=$pfm_name ;;
        *) pfm_iname=${pfm_name#postfix-} ;;
        esac
        [ -n "$pfm_name" ] || pfm_iname=$pfm_dir
        [ "$pfm_selname" = "$pfm_iname" ] ||
            { [ "$pfm_primary" = 1 ] && [ "$pfm_selname" = - ]; }
        ;;
    *) return 1 ;;
    esac
}

# pfm_resolve - CMD: decide once, as execvp would, whether CMD can run
# (PATH is the same for every instance); pfm_exec_err is the errno
# text.  An empty CMD is not found; a script whose "#!" interpreter is
# missing is not found either (the kernel says ENOENT), or not
# executable.
pfm_resolve() {
    pfm_exec_err=''
    case $1 in
    '')
        pfm_p=''
        ;;
    */*)
        pfm_p=$1
        ;;
    *)
        pfm_p=''
        pfm_ifs=$IFS
        IFS=:
        for pfm_v in ${PATH:-/bin:/usr/bin}; do
            [ -n "$pfm_v" ] || pfm_v=.
            if [ -f "$pfm_v/$1" ] && [ -x "$pfm_v/$1" ]; then
                pfm_p=$pfm_v/$1
                break
            fi
            [ -e "$pfm_v/$1" ] && [ -z "$pfm_p" ] && pfm_p=$pfm_v/$1
        done
        IFS=$pfm_ifs
        ;;
    esac
    if [ -z "$pfm_p" ] || [ ! -e "$pfm_p" ]; then
        pfm_exec_err='No such file or directory'
    elif [ -d "$pfm_p" ] || [ ! -x "$pfm_p" ]; then
        pfm_exec_err='Permission denied'
    elif [ -f "$pfm_p" ] && [ -r "$pfm_p" ]; then
        # The first line, for a "#!": read stops at a NUL or a
        # newline; what it cannot read does not start with "#!".
        pfm_l=''
        IFS= read -r pfm_l <"$pfm_p" 2>/dev/null
        case $pfm_l in
        '#!'*)
            pfm_l=${pfm_l#??}
            while :; do
                case $pfm_l in
                ' '* | "$pfm_tab"*) pfm_l=${pfm_l#?} ;;
                *) break ;;
                esac
            done
            pfm_l=${pfm_l%%[ "$pfm_tab"]*}
            case $pfm_l in
            '') ;;
            *)
                if [ ! -e "$pfm_l" ]; then
                    pfm_exec_err='No such file or directory'
                elif [ -d "$pfm_l" ] || [ ! -x "$pfm_l" ]; then
                    pfm_exec_err='Permission denied'
                fi
                ;;
            esac
            ;;
        esac
    fi
}

# pfm_run - CMD ARGS...: run one command as postmulti does, in ONE
# child, a subshell that execs it; returns its exit status (128+N
# after signal N, 1 when it cannot be run), which postfix-wrapper
# passes on.  Only inside a loop redirected "3>&2 2>/dev/null" (see
# pfm_postfix_each): the command gets the original stderr (fd 3), and
# the shell's own report of a command killed by a signal ("Terminated")
# goes to /dev/null, as postmulti prints none; pfm's own messages there
# go to fd 3.  Not a simple command "$@" 2>&3 3>&-: a bare name would
# run a shell function or builtin, and dash, mksh and busybox sh keep
# its redirections in the parent until it has been reported, so the
# report would reach the original stderr.
pfm_run() {
    if [ -n "$pfm_exec_err" ]; then
        pfm_msg fatal "execvp $1: $pfm_exec_err" 2>&3
        return 1
    fi
    (
        exec 2>&3 3>&-
        exec "$@"
    )
    pfm_r=$?
    # yash gives 384+N after signal N
    [ "$pfm_r" -le 255 ] || pfm_r=$((pfm_r - 256))
    return "$pfm_r"
}

# pfm_traps - from now on, SIGINT, SIGTERM and SIGHUP only set pfm_sig:
# the command running finishes (it got the signal too when it came
# from the terminal), pfm_stopped then exits 128+N before the next
# instance.  Without the trap, bash goes on to the next instance when
# the command handled SIGINT itself and exited.
pfm_traps() {
    pfm_sig=''
    trap 'pfm_sig=2' INT
    trap 'pfm_sig=15' TERM
    trap 'pfm_sig=1' HUP
}

# pfm_stopped - exit 128+N when signal N came
pfm_stopped() {
    [ -z "$pfm_sig" ] || exit $((128 + pfm_sig))
}

# pfm_skip_undecodable - the warning for an instance pfm_split could
# not decode; it counts as a skipped instance (pfm_status=1)
pfm_skip_undecodable() {
    pfm_status=1
    pfm_warn "skipped instance $pfm_edir: this shell cannot pass its values in this locale"
}

# pfm_in_list - WORD LIST: is WORD in the comma/blank separated LIST?
pfm_in_list() {
    pfm_ifs=$IFS
    IFS=", $pfm_tab$pfm_nl"
    for pfm_v in $2; do
        if [ "$pfm_v" = "$1" ]; then
            IFS=$pfm_ifs
            return 0
        fi
    done
    IFS=$pfm_ifs
    return 1
}

# pfm_postfix_each - POSTFIX-COMMAND...: postfix(1) for each selected
# instance, the postfix-wrapper(5) rules: start-like commands run
# "check" on disabled instances; stop-like ones go in reverse order and
# skip disabled instances; control commands skip disabled instances;
# the rest run everywhere.  Returns 0, or the last failing status.
# When the rules skip every instance: fatal "No matching instances" (as
# postmulti), or return 0 when pfm_nomatch_ok=1 (as the stock wrapper).
# One process per instance, the postfix command itself: the loop runs
# in this shell (a redirected loop is no subshell in any shell of the
# matrix, so pfm_rc, pfm_matched and pfm_sig survive it) with stderr
# on /dev/null and the original one on fd 3 (see pfm_run).
pfm_postfix_each() {
    pfm_flag=''
    if pfm_in_list "$1" "$pfm_start_cmds"; then
        pfm_flag=check
    elif pfm_in_list "$1" "$pfm_stop_cmds"; then
        pfm_flag=skip
        pfm_reverse
    elif pfm_in_list "$1" "$pfm_control_cmds"; then
        pfm_flag=skip
    fi
    pfm_postfix=$pfm_command_directory/postfix
    pfm_resolve "$pfm_postfix"
    pfm_export_logtag
    pfm_rc=0 pfm_matched=0 pfm_first=$1
    shift
    pfm_traps
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_table; do
        IFS=$pfm_ifs
        pfm_split "$pfm_rec"
        case $?:$pfm_undec in
        1:*) continue ;;
        2:*' dir'*)
            # postfix(1) needs only the directory
            pfm_skip_undecodable 2>&3
            continue
            ;;
        esac
        [ "$pfm_flag" = skip ] && [ "$pfm_en" = 0 ] && continue
        pfm_match || continue
        pfm_matched=1
        pfm_stopped
        MAIL_CONFIG=$pfm_dir
        export MAIL_CONFIG
        if [ "$pfm_flag" = check ] && [ "$pfm_en" = 0 ]; then
            pfm_run "$pfm_postfix" -- check "$@" || pfm_rc=$?
        else
            pfm_run "$pfm_postfix" -- "$pfm_first" "$@" || pfm_rc=$?
        fi
        pfm_stopped
    done 3>&2 2>/dev/null
    IFS=$pfm_ifs
    [ "$pfm_matched" = 1 ] || [ "${pfm_nomatch_ok:-}" = 1 ] ||
        pfm_fatal "No matching instances"
    return "$pfm_rc"
}

# pfm_export_logtag - children log under the primary's syslog_name
pfm_export_logtag() {
    MAIL_LOGTAG=$pfm_syslog_name
    export MAIL_LOGTAG
}
