# shellcheck shell=sh disable=SC2034,SC2154
# libpfm.sh - shell functions shared by postmulti and postfix-wrapper.
#
# Sourced, never run: `. "$pfm_libexec/libpfm.sh"`.  The caller sets
# pfm_prog (message prefix) and pfm_libexec (directory of pfm-parsecf)
# first.  The instance table comes from ONE pfm-parsecf call per run
# (pfm_fetch); no per-instance process is started except the command
# the user asked for.  Nothing read from main.cf, the environment or
# the command line is ever evaluated.
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

# pfm_msg - LEVEL TEXT: one diagnostic on stderr, and to syslog when
# postlog(1) is there (PFM_SYSLOG=no turns that off)
pfm_msg() {
    printf '%s: %s: %s\n' "$pfm_prog" "$1" "$2" >&2
    [ "${PFM_SYSLOG:-yes}" = no ] && return 0
    if [ -n "${pfm_command_directory:-}" ] &&
        [ -x "$pfm_command_directory/postlog" ]; then
        pfm_postlog=$pfm_command_directory/postlog
    else
        pfm_postlog=$(command -v postlog 2>/dev/null) || return 0
    fi
    "$pfm_postlog" -t "$pfm_prog" -p "$1" -- "$2" \
        </dev/null >/dev/null 2>&1
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

# pfm_fetch - [CONFIG_DIR]: run pfm-parsecf once, keep its output in
# pfm_out; the primary's fatal errors are printed by the helper itself
pfm_fetch() {
    if [ -n "$1" ]; then
        set -- -c "$1"
    else
        set --
    fi
    pfm_out=$("$pfm_libexec/pfm-parsecf" "$@" -N "$pfm_prog" -T \
        command_directory daemon_directory meta_directory \
        shlib_directory syslog_name postmulti_start_commands \
        postmulti_stop_commands postmulti_control_commands) || exit 1
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

# pfm_parse - turn pfm_out into pfm_table, one line per usable
# instance: ENABLED TAB =NAME TAB =GROUP TAB =DIR TAB =QUEUE TAB =DATA
# TAB PRIMARY (the = keeps empty fields from collapsing in IFS
# splitting).  The G records and the primary are read here with
# builtins; that is all there is in single-instance mode.  With
# secondaries, ONE awk (pfm_awk_table) reads pfm_out and writes the
# whole table: strings grown one instance at a time would cost O(n^2)
# copying in sh.
pfm_parse() {
    pfm_nsec=0 pfm_primary_seen=0
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_out; do
        IFS=$pfm_tab
        # shellcheck disable=SC2086 # splitting on TAB is the point
        set -- $pfm_rec
        IFS=$pfm_nl
        case $1 in
        G)
            case ${2#=} in
            command_directory) pfm_command_directory=${3#=} ;;
            daemon_directory) pfm_daemon_directory=${3#=} ;;
            meta_directory) pfm_meta_directory=${3#=} ;;
            shlib_directory) pfm_shlib_directory=${3#=} ;;
            syslog_name) pfm_syslog_name=${3#=} ;;
            postmulti_start_commands) pfm_start_cmds=${3#=} ;;
            postmulti_stop_commands) pfm_stop_cmds=${3#=} ;;
            postmulti_control_commands) pfm_control_cmds=${3#=} ;;
            esac
            ;;
        I)
            # The secondaries follow the primary: the first one is
            # enough to know they are there.
            if [ "$pfm_primary_seen" = 1 ]; then
                pfm_nsec=1
                break
            fi
            pfm_primary_seen=1
            pfm_primary_dir=${4#=}
            pfm_bool "${9#=}"
            [ -n "$pfm_b" ] || pfm_fatal \
                "bad boolean configuration: multi_instance_enable = ${9#=}"
            # Single-instance mode: the primary counts as enabled.
            pfm_table="1$pfm_tab$7$pfm_tab$8$pfm_tab$4$pfm_tab$5$pfm_tab$6${pfm_tab}1"
            ;;
        esac
    done
    IFS=$pfm_ifs
    [ "$pfm_nsec" = 0 ] || pfm_table=$(pfm_awk_table) ||
        pfm_fatal "cannot build the instance table: awk failed"
}

# pfm_awk_table - the table from pfm_out, on stdout.  Before it,
# "W TAB text" for each skipped secondary and "F TAB text" for the
# first conflict (then no table): two instances may not share a name
# or a directory, as in Postfix.  Claims are made in Postfix's order:
# the shared directories (not meta_directory: it usually overlaps with
# another one), then each instance's name, config, queue and data
# directories.  Fed by a here-document: no argument size limit.
pfm_awk_table() {
    awk '
    BEGIN { FS = "\t"; ni = 0; nw = 0; nt = 0; conflict = "" }
    # take - KEY DIR WHAT: DIR claims KEY as its WHAT
    function take(key, dir, what,    who) {
        if (conflict != "")
            return
        who = dir ", " what
        if (!(key in owner))
            owner[key] = who
        else if (owner[key] != who)
            conflict = sprintf("instance %s, %s=%s conflicts with instance %s=%s", \
                dir, what, key, owner[key], key)
    }
    # claim - DIR NAME QUEUE DATA: what one instance owns
    function claim(dir, name, queue, data) {
        if (name != "")
            take(name, dir, "multi_instance_name")
        take(dir, dir, "config_directory")
        take(queue, dir, "queue_directory")
        take(data, dir, "data_directory")
    }
    # warn - TEXT: one warning, empty ones dropped
    function warn(text) {
        if (text != "")
            w[++nw] = text
    }
    {
        for (i = 1; i <= NF; i++)
            f[i] = substr($i, 2)
    }
    $1 == "G" { g[f[2]] = f[3]; next }
    $1 != "I" { next }
    {
        en = (f[9] ~ /^[Yy][Ee][Ss]$/) ? 1 : ((f[9] ~ /^[Nn][Oo]$/) ? 0 : "")
    }
    ++ni == 1 {
        split("command_directory daemon_directory shlib_directory", sh, " ")
        for (i = 1; i <= 3; i++)
            if (substr(g[sh[i]], 1, 1) == "/")
                take(g[sh[i]], f[4], sh[i])
        claim(f[4], f[7], f[5], f[6])
        t[++nt] = en "\t" $7 "\t" $8 "\t" $4 "\t" $5 "\t" $6 "\t1"
        next
    }
    f[2] != "ok" {
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
        t[++nt] = en "\t" $7 "\t" $8 "\t" $3 "\t" $5 "\t" $6 "\t0"
    }
    END {
        for (i = 1; i <= nw; i++)
            print "W\t" w[i]
        if (conflict != "") {
            print "F\t" conflict
            exit
        }
        for (i = 1; i <= nt; i++)
            print t[i]
    }' <<EOF
$pfm_out
EOF
}

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
# W and F lines pfm_awk_table put before the table.
pfm_table_check() {
    pfm_status=0
    case $pfm_table in
    W* | F*) ;;
    *) return 0 ;;
    esac
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_table; do
        case $pfm_rec in
        W*)
            pfm_status=1
            pfm_warn "${pfm_rec#W?}"
            ;;
        F*) pfm_fatal "${pfm_rec#F?}" ;;
        *) break ;;
        esac
    done
    IFS=$pfm_ifs
}

# pfm_reverse - pfm_table in reverse order (one awk: prepending in sh
# would copy the table once per instance)
pfm_reverse() {
    [ "$pfm_nsec" = 0 ] && return 0
    pfm_table=$(pfm_awk_reverse) ||
        pfm_fatal "cannot build the instance table: awk failed"
}

# pfm_awk_reverse - pfm_table, last line first, on stdout
pfm_awk_reverse() {
    awk '{ t[NR] = $0 } END { for (i = NR; i > 0; i--) print t[i] }' <<EOF
$pfm_table
EOF
}

# pfm_split - REC: set pfm_en pfm_name pfm_group pfm_dir pfm_queue
# pfm_data pfm_primary from one table line, with builtins only (one
# field splitting: "${x#*TAB}" costs O(length^2) in some shells); false
# for the W and F lines before the table
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
    pfm_queue=${5#=} pfm_data=${6#=} pfm_primary=$7
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
# (PATH is the same for every instance); pfm_exec_err is the errno text
pfm_resolve() {
    pfm_exec_err=''
    case $1 in
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
    fi
}

# pfm_run - CMD ARGS...: run one command in a child, as postmulti
# does; returns its exit status (128+N after signal N, 1 when it
# cannot be run), which postfix-wrapper passes on
pfm_run() {
    if [ -n "$pfm_exec_err" ]; then
        pfm_msg fatal "execvp $1: $pfm_exec_err"
        return 1
    fi
    # The extra level keeps the shell's "Terminated"-style report of a
    # command killed by a signal off stderr, as postmulti does; the
    # command itself still gets the original stderr (fd 3).
    (
        exec 3>&2 2>/dev/null
        (
            exec 2>&3 3>&-
            exec "$@"
        )
        exit $?
    )
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
    pfm_ifs=$IFS
    IFS=$pfm_nl
    for pfm_rec in $pfm_table; do
        IFS=$pfm_ifs
        pfm_split "$pfm_rec" || continue
        [ "$pfm_flag" = skip ] && [ "$pfm_en" = 0 ] && continue
        pfm_match || continue
        pfm_matched=1
        MAIL_CONFIG=$pfm_dir
        export MAIL_CONFIG
        if [ "$pfm_flag" = check ] && [ "$pfm_en" = 0 ]; then
            pfm_run "$pfm_postfix" -- check "$@" || pfm_rc=$?
        else
            pfm_run "$pfm_postfix" -- "$pfm_first" "$@" || pfm_rc=$?
        fi
    done
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
