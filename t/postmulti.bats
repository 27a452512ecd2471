#!/usr/bin/env bats
# postmulti: iterator mode against real postmulti 3.7 (differential,
# in a mount namespace), the pfm extensions (-c, broken secondaries,
# -j, messages without a tty), the -p rules with a logging postfix,
# and real daemons (tests named "daemon: ...").

bats_require_minimum_version 1.5.0
load helper
load sandbox

PM() { PFM_SYSLOG=no "$PFM_SBIN/postmulti" "$@"; }

setup_file() {
    [ "$(id -u)" = 0 ] || return 0
    [ -x "$PFM_LIBEXEC/pfm-parsecf" ] || return 0
    # One namespace for the differential tests: /etc/postfix plus three
    # secondaries (one disabled, two in group g1, one nameless).
    export DIFF_NS=$BATS_FILE_TMPDIR/ns
    sb_ns_start "$DIFF_NS" || return 1
    export SB_NSPID SB_NS
    sb_ns sh -c '
        printf "%s\n" "multi_instance_directories = /etc/postfix-a, /etc/postfix-b /etc/postfix-c" \
            "multi_instance_enable = yes" >/etc/postfix/main.cf
        for i in a b c; do mkdir -p /etc/postfix-$i; : >/etc/postfix-$i/master.cf; done
        printf "%s\n" "multi_instance_name = postfix-a" "multi_instance_group = g1" \
            "multi_instance_enable = yes" "queue_directory = /var/spool/postfix-a" \
            "data_directory = /var/lib/postfix-a" >/etc/postfix-a/main.cf
        printf "%s\n" "multi_instance_name = postfix-b" "multi_instance_group = g1" \
            "multi_instance_enable = no" "queue_directory = /var/spool/postfix-b" \
            "data_directory = /var/lib/postfix-b" >/etc/postfix-b/main.cf
        printf "%s\n" "multi_instance_enable = YES" "queue_directory = /var/spool/postfix-c" \
            "data_directory = /var/lib/postfix-c" >/etc/postfix-c/main.cf
        touch -d "2 hours ago" /etc/postfix/main.cf /etc/postfix-?/main.cf'
}

teardown_file() {
    [ -n "${SB_NSPID:-}" ] && sb_ns_stop
    return 0
}

setup() {
    pfm_require_stage
}

# shell_vars_out - drop the variables a shell adds on its own to the
# environment it passes on (PATH, PWD, SHLVL, _)
shell_vars_out() {
    grep -v -e '^PATH=' -e '^PWD=' -e '^SHLVL=' -e '^_='
}

# same - ARGS...: real postmulti and pfm agree on stdout, exit status
# and message (real one's seen through a tty); prints the difference
same() {
    local q a real_out real_err real_rc pfm_out pfm_err pfm_rc
    real_rc=0 pfm_rc=0
    # One run of the real one (its fatal path sleeps a second): stdout
    # to a file, messages through the tty, status from script -e.
    q="$POSTMULTI_REAL"
    for a in "$@"; do q="$q '$a'"; done
    # The oracle's answer depends only on the arguments (the fixture is
    # fixed) and, for -x, on PATH, which -x shows: t/run shares it
    # between the runs of the shell matrix (the busybox stage, whose
    # PATH differs, too, where no -x is asked for).
    local key kp='' cache=${PFM_ORACLE_CACHE:-}
    for a in "$@"; do
        case $a in -*x*) kp=$PATH ;; esac
    done
    key=$(printf '%s\0' "$kp" "$@" | cksum | tr ' ' _)
    if [ -n "$cache" ] && [ -f "$cache/$key.rc" ]; then
        real_rc=$(cat "$cache/$key.rc")
        real_err=$(cat "$cache/$key.err")
        real_out=$(cat "$cache/$key.out")
    else
        real_err=$(set -o pipefail; sb_ns script -qec "$q >'$BATS_TEST_TMPDIR/real.out'" /dev/null </dev/null | tr -d '\r') || real_rc=$?
        real_out=$(cat "$BATS_TEST_TMPDIR/real.out")
        # Runs of the matrix go in parallel: each file appears whole
        # (rename), and .rc, which says the entry is there, comes last.
        if [ -n "$cache" ] && mkdir -p "$cache"; then
            printf '%s' "$real_out" >"$cache/$key.out.$$" &&
                mv "$cache/$key.out.$$" "$cache/$key.out"
            printf '%s' "$real_err" >"$cache/$key.err.$$" &&
                mv "$cache/$key.err.$$" "$cache/$key.err"
            printf '%s' "$real_rc" >"$cache/$key.rc.$$" &&
                mv "$cache/$key.rc.$$" "$cache/$key.rc"
        fi
    fi
    pfm_out=$(sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" "$@" 2>/dev/null </dev/null) || pfm_rc=$?
    pfm_err=$(sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" "$@" 2>&1 >/dev/null </dev/null) || :
    if [ "$real_out" != "$pfm_out" ] || [ "$real_rc" != "$pfm_rc" ] ||
        [ "$real_err" != "$pfm_err" ]; then
        printf 'postmulti %s\n--- real rc=%s\n%s\n%s\n--- pfm rc=%s\n%s\n%s\n' \
            "$*" "$real_rc" "$real_out" "$real_err" "$pfm_rc" "$pfm_out" "$pfm_err"
        return 1
    fi
}

need_ns() {
    pfm_require_root
    pfm_require unshare nsenter script
    [ -n "${SB_NSPID:-}" ] || pfm_skip "no namespace"
}

@test "-l lists like real postmulti for every selection form and -R" {
    need_ns
    same -l
    same -l -a
    same -l -a -a
    same -l -R
    same -l -R -R
    same -l -g g1
    same -l -R -g g1
    same -l -g nosuch
    same -l -g -
    same -l -i postfix-a
    same -l -i a
    same -l -i /etc/postfix-c
    same -l -i /etc/postfix-c/
    same -l -i c
    same -l -i -
    same -l -i nosuch
    same -l -v
    same -l --
}

@test "-l output has real postmulti's columns" {
    need_ns
    run sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -l
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "-               -               y         /etc/postfix" ]
    [ "${lines[1]}" = "postfix-a       g1              y         /etc/postfix-a" ]
    [ "${lines[2]}" = "postfix-b       g1              n         /etc/postfix-b" ]
    [ "${lines[3]}" = "-               -               y         /etc/postfix-c" ]
    [ "${#lines[@]}" -eq 4 ]
}

@test "-x exports the same environment as real postmulti" {
    need_ns
    local show='echo "$MAIL_CONFIG|$config_directory|$queue_directory|$data_directory|$multi_instance_name|$multi_instance_group|$multi_instance_enable|$command_directory|$daemon_directory|$MAIL_LOGTAG|${MAIL_VERBOSE-unset}|$PATH|${FOO-unset}"'
    same -x sh -c "$show"
    same -x -R sh -c "$show"
    same -v -x -i a sh -c "$show"
    same -x -g g1 sh -c "$show"
    same -x -i - env -i /bin/sh -c "$show"
    # an empty environment: PATH gets Postfix's default behind command_directory
    # (the shell supplies its own default PATH and PWD, and bash, mksh and
    # busybox sh their SHLVL or _: see COMPATIBILITY)
    run sb_ns env -i "$PFM_SBIN/postmulti" -i - -x /usr/bin/env
    [[ "$output" == *"PATH=/usr/sbin:"* ]]
    local pfm
    pfm=$(printf '%s\n' "$output" | shell_vars_out | sort)
    run sb_ns env -i "$POSTMULTI_REAL" -i - -x /usr/bin/env
    [[ "$output" == *"PATH=/usr/sbin:/bin:/usr/bin:/sbin:/usr/sbin"* ]]
    [ "$pfm" = "$(printf '%s\n' "$output" | shell_vars_out | sort)" ]
}

@test "-x exit status and exec errors are those of real postmulti" {
    need_ns
    same -x -i - sh -c 'exit 3'
    same -x sh -c 'kill $$'
    same -x -i - true
    same -x nosuchcmd
    same -x /tmp
    same -x -i nosuch true
}

@test "every option error gives real postmulti's message and status" {
    need_ns
    same
    same -l -p
    same -l -x
    same -p -x
    same -l -e init
    same -p
    same -x
    same -p -R
    same -l foo
    same -l a=b
    same -p -R status
    same -p -R -R -i nosuch status
    same -p -i nosuch status
    same -l -a -g x
    same -l -g x -a
    same -l -i x -g y
    same -l -i x -i y
    same -l -z
    same -l -g
    same -l -i
    same -e bogus
    same -e bogus -p
    same -e init -p
    same -e init -e create
    same -e init -R
    same -e init -I x
    same -e init a=b
    same -l -I x
    same -l -G x
    same -e create -I x -I y
    same -e create -G x -G y
}

@test "life-cycle options are checked like real postmulti" {
    need_ns
    same -e create -I x
    same -e create -I postfix-x/
    same -e create -I 'postfix-x y'
    same -e create -G 'x y'
    same -e create -I x -G 'x y'
    same -e create foo
    same -e create foo=bar
    same -e create config_directory=rel
    same -e create config_directory=/
    same -e create config_directory=//
    same -e create
    same -e import queue_directory=/x
    same -e import a=b
    same -e assign
    same -e assign -i x
    same -e enable
    same -e enable -I foo
    same -e enable x=y
    same -e disable -i nosuch
    same -e destroy
    same -e destroy -i -
    same -e destroy -i postfix-a
    same -e deport -i - x=y
}

@test "a non-default MAIL_CONFIG is fatal as in Postfix, the default is fine" {
    need_ns
    run -1 sb_ns env PFM_SYSLOG=no MAIL_CONFIG=/etc/postfix-a "$PFM_SBIN/postmulti" -l
    [ "$output" = "postmulti: fatal: Non-default configuration directory: MAIL_CONFIG=/etc/postfix-a" ]
    run -1 sb_ns env PFM_SYSLOG=no MAIL_CONFIG=/etc/postfix/ "$PFM_SBIN/postmulti" -l -z
    [ "$output" = "postmulti: fatal: Non-default configuration directory: MAIL_CONFIG=/etc/postfix/" ]
    run -0 sb_ns env MAIL_CONFIG=/etc/postfix "$PFM_SBIN/postmulti" -l -i -
    [ "$output" = "-               -               y         /etc/postfix" ]
}

# ---- extensions, with a sandbox primary under a temp dir (-c)

tree() {
    pfm_require_root
    T=$BATS_TEST_TMPDIR/sb
    sb_tree "$T" "a:postfix-a:g1:yes" "b:postfix-b:g1:no" "c:::yes"
}

@test "EXTENSION -c selects another primary instance" {
    tree
    run -0 PM -c "$T/p/cf" -l
    [ "${lines[0]}" = "-               -               y         $T/p/cf" ]
    [ "${lines[1]}" = "postfix-a       g1              y         $T/a/cf" ]
    [ "${lines[2]}" = "postfix-b       g1              n         $T/b/cf" ]
    [ "${lines[3]}" = "-               -               y         $T/c/cf" ]
    [ "${#lines[@]}" -eq 4 ]
    run -0 PM -c "$T/p/cf" -l -i "$T/c/cf"
    [ "$output" = "-               -               y         $T/c/cf" ]
}

@test "EXTENSION -c ignores MAIL_CONFIG" {
    tree
    MAIL_CONFIG=/nonexistent run -0 PM -c "$T/p/cf" -l -i b
    [ "$output" = "postfix-b       g1              n         $T/b/cf" ]
}

@test "EXTENSION a broken secondary is reported, the others still served, exit 1" {
    tree
    printf 'oops\n' >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    rm "$T/b/cf/main.cf"
    run -1 PM -c "$T/p/cf" -l
    [ "${lines[0]}" = "postmulti: warning: $T/a/cf/main.cf, line 8: missing '=' after attribute name: \"oops\"" ]
    [ "${lines[1]}" = "postmulti: warning: Failed to obtain all required $T/a/cf/main.cf parameters" ]
    [ "${lines[2]}" = "postmulti: warning: open $T/b/cf/main.cf: No such file or directory" ]
    [ "${lines[3]}" = "postmulti: warning: Failed to obtain all required $T/b/cf/main.cf parameters" ]
    [ "${lines[4]}" = "-               -               y         $T/p/cf" ]
    [ "${lines[5]}" = "-               -               y         $T/c/cf" ]
    [ "${#lines[@]}" -eq 6 ]
    run -1 PM -c "$T/p/cf" -x sh -c 'echo "$MAIL_CONFIG"'
    [ "${lines[4]}" = "$T/p/cf" ]
    [ "${lines[5]}" = "$T/c/cf" ]
}

@test "EXTENSION a bad multi_instance_enable in a secondary skips it with a warning" {
    tree
    printf 'multi_instance_enable = true\n' >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -1 PM -c "$T/p/cf" -l -i a
    [ "${lines[0]}" = "postmulti: warning: Unexpected $T/c/cf/main.cf entry: multi_instance_enable = true" ]
    [ "${lines[1]}" = "postfix-a       g1              y         $T/a/cf" ]
}

@test "a bad primary multi_instance_enable is fatal, as in Postfix" {
    tree
    printf 'multi_instance_enable = true\n' >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    run -1 PM -c "$T/p/cf" -l
    [ "$output" = "postmulti: fatal: bad boolean configuration: multi_instance_enable = true" ]
}

@test "two instances sharing a queue directory is fatal, as in Postfix" {
    tree
    printf 'queue_directory = %s\n' "$T/a/q" >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -1 PM -c "$T/p/cf" -l
    [ "$output" = "postmulti: fatal: instance $T/c/cf, queue_directory=$T/a/q conflicts with instance $T/a/cf, queue_directory=$T/a/q" ]
}

@test "EXTENSION messages reach stderr without a terminal" {
    tree
    run -1 PM -c "$T/p/cf" -x -i nosuch true
    [ "$output" = "postmulti: fatal: No matching instances" ]
    run -0 bash -c 'PFM_SYSLOG=no "$1" -c "$2" 2>&1 >/dev/null | cat' _ "$PFM_SBIN/postmulti" "$T/p/cf"
    [ "$output" = "postmulti: fatal: Specify exactly one of '-e', '-l', '-p', '-x'" ]
}

# obj - NAME GROUP ENABLED CONFIG QUEUE DATA: one expected JSON line,
# arguments already escaped
obj() {
    printf '{"name": "%s","group": "%s","enabled": "%s","config_directory": "%s","queue_directory": "%s","data_directory": "%s"}' \
        "$@"
}

@test "-j prints one JSON object per instance: Postfix 3.11's keys, then EXTENSION queue_directory and data_directory" {
    tree
    printf 'multi_instance_group = a"b\\c\n' >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[0]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$T/p/d")" ]
    [ "${lines[1]}" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
    [ "${lines[2]}" = "$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
    [ "${lines[3]}" = "$(obj - 'a\"b\\c' y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
    [ "${#lines[@]}" -eq 4 ]
    run -1 PM -c "$T/p/cf" -x -j true
    [ "$output" = "postmulti: fatal: JSON output available only with '-l'" ]
}

@test "-l -j: the directories are the expanded values, defaults where main.cf sets none" {
    tree
    # $name references are expanded, as postmulti -x exports them
    sed -i '/^queue_directory/d; /^data_directory/d' "$T/a/cf/main.cf"
    printf 'top = %s\nqueue_directory = $top/a/q\n' "$T" >>"$T/a/cf/main.cf"
    printf 'data_directory = ${top}/a/d\n' >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    # the primary without data_directory: the built-in default
    sed -i '/^data_directory/d' "$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    local def
    def=$("$PFM_LIBEXEC/pfm-parsecf" -dh data_directory)
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[0]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$def")" ]
    [ "${lines[1]}" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
}

@test "-l -j escapes quote and backslash in the name, the group and all three directories" {
    tree
    local d='q"u\o'
    sb_main "$T/$d/cf" "$T/$d/q" "$T/$d/d" 'postfix-"x\' 'g\"' yes
    sed -i '/^multi_instance_directories/d' "$T/p/cf/main.cf"
    printf 'multi_instance_directories = %s\n' "$T/a/cf $T/$d/cf" >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    local e='q\"u\\o'
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[2]}" = "$(obj 'postfix-\"x\\' 'g\\\"' y "$T/$e/cf" "$T/$e/q" "$T/$e/d")" ]
    [ "${#lines[@]}" -eq 3 ]
    # -i takes the unescaped name
    run -0 PM -c "$T/p/cf" -l -j -i 'postfix-"x\'
    [ "$output" = "$(obj 'postfix-\"x\\' 'g\\\"' y "$T/$e/cf" "$T/$e/q" "$T/$e/d")" ]
}

@test "-l -j never prints a control character: an instance whose values hold one is skipped with a warning, exit 1" {
    tree
    local c
    for c in '\001' '\037' '\177'; do
        sed -i '/^queue_directory/d' "$T/c/cf/main.cf"
        printf "queue_directory = %s/c/q${c}z\\n" "$T" >>"$T/c/cf/main.cf"
        pfm_backdate "$T/c/cf/main.cf"
        run -1 --separate-stderr PM -c "$T/p/cf" -l -j
        [ "$stderr" = "postmulti: warning: $T/c/cf/main.cf: unsafe character in queue_directory value
postmulti: warning: Failed to obtain all required $T/c/cf/main.cf parameters" ]
        [ "${lines[2]}" = "$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
        [ "${#lines[@]}" -eq 3 ]
        ! printf '%s' "$output" | LC_ALL=C grep -q '[[:cntrl:]]'
    done
    # the same for a name
    sed -i '/^queue_directory/d' "$T/c/cf/main.cf"
    printf 'queue_directory = %s/c/q\n' "$T" >>"$T/c/cf/main.cf"
    printf 'multi_instance_name = postfix-\033c\n' >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -1 --separate-stderr PM -c "$T/p/cf" -l -j
    [ "$stderr" = "postmulti: warning: $T/c/cf/main.cf: unsafe character in multi_instance_name value
postmulti: warning: Failed to obtain all required $T/c/cf/main.cf parameters" ]
    [ "${#lines[@]}" -eq 3 ]
}

@test "-l -j: bytes above 127 pass as they are (JSON strings are UTF-8)" {
    # Selected by its path: yash cannot hold such bytes in an argument
    # (see the -x test), but the listing never passes through the shell.
    tree
    local n
    n=$(printf 'postfix-\303\251')
    sed -i '/^multi_instance_name/d' "$T/a/cf/main.cf"
    printf 'multi_instance_name = %s\n' "$n" >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    run -0 PM -c "$T/p/cf" -l -j -i "$T/a/cf"
    [ "$output" = "$(obj "$n" g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
}

@test "-l -j with -R, -g and -i keeps the new keys" {
    tree
    run -0 PM -c "$T/p/cf" -l -j -R
    [ "${lines[0]}" = "$(obj - - y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
    [ "${lines[3]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$T/p/d")" ]
    run -0 PM -c "$T/p/cf" -l -j -g g1
    [ "$output" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")
$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
    run -0 PM -c "$T/p/cf" -l -j -i "$T/c/cf"
    [ "$output" = "$(obj - - y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
}

# many - N: primary $T/p and N secondaries $T/i/K (postfix-K, group
# gK%3, even K enabled), backdated; $T/expect holds the -l listing
many() {
    T=$BATS_TEST_TMPDIR/many
    mkdir -p "$T/p" "$T/i"
    (cd "$T/i" && seq "$1" | xargs mkdir)
    awk -v n="$1" -v t="$T" 'BEGIN {
        f = t "/p/main.cf"
        printf "multi_instance_enable = yes\nmulti_instance_directories =" >f
        for (k = 1; k <= n; k++)
            printf " %s/i/%d", t, k >f
        printf "\n" >f
        printf "%-15s %-15s %-10s%s\n", "-", "-", "y", t "/p" >(t "/expect")
        for (k = 1; k <= n; k++) {
            f = t "/i/" k "/main.cf"
            printf "multi_instance_name = postfix-%d\n", k >f
            printf "multi_instance_group = g%d\n", k % 3 >f
            printf "multi_instance_enable = %s\n", k % 2 ? "no" : "yes" >f
            printf "queue_directory = %s/q/%d\ndata_directory = %s/d/%d\n", \
                t, k, t, k >f
            close(f)
            printf "%-15s %-15s %-10s%s\n", "postfix-" k, "g" k % 3, \
                k % 2 ? "n" : "y", t "/i/" k >(t "/expect")
        }
    }'
    find "$T" -name main.cf -exec touch -d '2 hours ago' {} +
}

@test "EXTENSION -l lists 300 instances whole, in order and reversed" {
    many 300
    run -0 PM -c "$T/p" -l
    [ "$output" = "$(cat "$T/expect")" ]
    [ "${#lines[@]}" -eq 301 ]
    run -0 PM -c "$T/p" -l -R
    [ "${#lines[@]}" -eq 301 ]
    [ "${lines[0]}" = "postfix-300     g0              y         $T/i/300" ]
    [ "${lines[299]}" = "postfix-1       g1              n         $T/i/1" ]
    [ "${lines[300]}" = "-               -               y         $T/p" ]
    run -0 PM -c "$T/p" -l -j
    [ "${#lines[@]}" -eq 301 ]
    [ "${lines[300]}" = "$(obj postfix-300 g0 y "$T/i/300" "$T/q/300" "$T/d/300")" ]
    run -0 PM -c "$T/p" -l -g g2
    [ "${#lines[@]}" -eq 100 ]
    [ "${lines[0]}" = "postfix-2       g2              y         $T/i/2" ]
    [ "${lines[99]}" = "postfix-299     g2              n         $T/i/299" ]
    run -0 PM -c "$T/p" -l -i 150
    [ "$output" = "postfix-150     g0              y         $T/i/150" ]
}

@test "without awk: one clear fatal, nothing listed, nothing run (also with one instance)" {
    many 2
    # printf stays reachable: it is not a builtin in mksh and posh
    mkdir "$T/noawk"
    ln -s "$(type -P printf)" "$T/noawk/printf"
    PATH=$T/noawk run -1 PM -c "$T/p" -l
    [ "$output" = "postmulti: fatal: cannot find awk in PATH: awk is required" ]
    PATH=$T/noawk run -1 PM -c "$T/p" -x "$(type -P touch)" "$T/ran"
    [ "$output" = "postmulti: fatal: cannot find awk in PATH: awk is required" ]
    [ ! -e "$T/ran" ]
    printf 'multi_instance_directories =\n' >>"$T/p/main.cf"
    pfm_backdate "$T/p/main.cf"
    PATH=$T/noawk run -1 PM -c "$T/p" -l
    [ "$output" = "postmulti: fatal: cannot find awk in PATH: awk is required" ]
}

@test "EXTENSION 300 instances: skipped secondaries are reported first, then a late conflict is fatal" {
    many 300
    rm "$T/i/150/main.cf"
    printf 'multi_instance_enable = maybe\n' >>"$T/i/200/main.cf"
    printf 'queue_directory = %s/q/2\n' "$T" >>"$T/i/300/main.cf"
    pfm_backdate "$T/i/200/main.cf" "$T/i/300/main.cf"
    run -1 PM -c "$T/p" -l
    [ "${lines[0]}" = "postmulti: warning: open $T/i/150/main.cf: No such file or directory" ]
    [ "${lines[1]}" = "postmulti: warning: Failed to obtain all required $T/i/150/main.cf parameters" ]
    [ "${lines[2]}" = "postmulti: warning: Unexpected $T/i/200/main.cf entry: multi_instance_enable = maybe" ]
    [ "${lines[3]}" = "postmulti: fatal: instance $T/i/300, queue_directory=$T/q/2 conflicts with instance $T/i/2, queue_directory=$T/q/2" ]
    [ "${#lines[@]}" -eq 4 ]
    # Without the conflict: the two skipped, the other 298 listed.
    printf 'queue_directory = %s/q/300\n' "$T" >>"$T/i/300/main.cf"
    pfm_backdate "$T/i/300/main.cf"
    run -1 PM -c "$T/p" -l
    [ "${#lines[@]}" -eq 302 ]
    [ "${lines[3]}" = "-               -               y         $T/p" ]
    [ "${lines[301]}" = "postfix-300     g0              y         $T/i/300" ]
    [ "$(printf '%s\n' "${lines[@]}" | grep -c -e /i/150 -e /i/200)" -eq 3 ]
}

@test "single-instance mode: the primary counts as enabled" {
    pfm_require_root
    T=$BATS_TEST_TMPDIR/sb
    sb_main "$T/p/cf" "$T/p/q" "$T/p/d" "" "" no
    run -0 PM -c "$T/p/cf" -l
    [ "$output" = "-               -               y         $T/p/cf" ]
}

# -p rules, with a command_directory whose postfix only logs
fakepf() {
    tree
    F=$BATS_TEST_TMPDIR/fake
    mkdir -p "$F"
    printf '#!/bin/sh\nprintf "%%s %%s\\n" "$MAIL_CONFIG" "$*" >>%s/log\ncase "$*" in *fail*) exit 4;; esac\n' "$F" >"$F/postfix"
    chmod 755 "$F/postfix"
    local d
    for d in p a b c; do
        printf 'command_directory = %s\n' "$F" >>"$T/$d/cf/main.cf"
        pfm_backdate "$T/$d/cf/main.cf"
    done
}

@test "-p start runs check on disabled instances, in order" {
    fakepf
    run -0 PM -c "$T/p/cf" -p start -x
    run cat "$F/log"
    [ "$output" = "$T/p/cf -- start -x
$T/a/cf -- start -x
$T/b/cf -- check -x
$T/c/cf -- start -x" ]
}

@test "-p stop-like commands go in reverse order and skip disabled instances" {
    fakepf
    local c
    for c in stop abort drain quick-stop; do
        rm -f "$F/log"
        run -0 PM -c "$T/p/cf" -p "$c"
        run cat "$F/log"
        [ "$output" = "$T/c/cf -- $c
$T/a/cf -- $c
$T/p/cf -- $c" ]
    done
}

@test "-p reload and flush skip disabled instances; status runs everywhere" {
    fakepf
    run -0 PM -c "$T/p/cf" -p reload
    run -0 PM -c "$T/p/cf" -p flush
    run -0 PM -c "$T/p/cf" -p status
    run cat "$F/log"
    [ "$output" = "$T/p/cf -- reload
$T/a/cf -- reload
$T/c/cf -- reload
$T/p/cf -- flush
$T/a/cf -- flush
$T/c/cf -- flush
$T/p/cf -- status
$T/a/cf -- status
$T/b/cf -- status
$T/c/cf -- status" ]
}

@test "-p with -g/-i selects, a failure gives exit 1, no match is fatal" {
    fakepf
    run -0 PM -c "$T/p/cf" -g g1 -p start
    run -0 PM -c "$T/p/cf" -i - -p status
    run -1 PM -c "$T/p/cf" -i "$T/c/cf" -p fail
    run -1 PM -c "$T/p/cf" -i b -p stop
    [ "$output" = "postmulti: fatal: No matching instances" ]
    run cat "$F/log"
    [ "$output" = "$T/a/cf -- start
$T/b/cf -- check
$T/p/cf -- status
$T/c/cf -- fail" ]
}

@test "-v exports MAIL_VERBOSE (empty, as Postfix does)" {
    fakepf
    run -0 PM -c "$T/p/cf" -v -i - -x sh -c 'echo "[${MAIL_VERBOSE-unset}]"'
    [ "$output" = "[]" ]
    run -0 PM -c "$T/p/cf" -i - -x sh -c 'echo "[${MAIL_VERBOSE-unset}]"'
    [ "$output" = "[unset]" ]
}

# ---- real daemons

daemon_teardown() {
    sb_stop_all ${SB_QUEUES:-}
}

teardown() {
    [ -n "${SB_QUEUES:-}" ] && daemon_teardown
    return 0
}

# bats test_tags=daemon
@test "daemon: -p start/stop drives real Postfix instances" {
    pfm_require_root
    T=$BATS_TEST_TMPDIR/sb
    sb_shim "$T/bin" "$T/log"
    SB_EXTRA="command_directory = $T/bin"
    sb_tree "$T" "a:postfix-a:g1:yes" "b:postfix-b:g1:no" "c:postfix-c::yes"
    sb_prepare
    run PM -c "$T/p/cf" -p start
    [ "$status" -eq 0 ] || { printf '%s\n' "$output"; false; }
    sb_master_pid "$T/p/q"
    sb_master_pid "$T/a/q"
    sb_master_pid "$T/c/q"
    run sb_master_pid "$T/b/q"
    [ "$status" -eq 1 ]
    run -0 "$POSTFIX_REAL" -c "$T/a/cf" status
    run -1 "$POSTFIX_REAL" -c "$T/b/cf" status
    run cat "$T/log"
    [ "$output" = "$T/p/cf -- start
$T/a/cf -- start
$T/b/cf -- check
$T/c/cf -- start" ]
    # reload/flush skip the disabled one; status covers all
    rm "$T/log"
    run -0 PM -c "$T/p/cf" -p reload
    run -0 PM -c "$T/p/cf" -p flush
    run cat "$T/log"
    [ "$output" = "$T/p/cf -- reload
$T/a/cf -- reload
$T/c/cf -- reload
$T/p/cf -- flush
$T/a/cf -- flush
$T/c/cf -- flush" ]
    # -i stops one instance only
    local apid
    apid=$(sb_master_pid "$T/a/q")
    run -0 PM -c "$T/p/cf" -i a -p stop
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$apid" 2>/dev/null || break; sleep 0.3; done
    run -1 "$POSTFIX_REAL" -c "$T/a/cf" status
    sb_master_pid "$T/c/q"
    # -g starts the group: a starts, b is only checked
    rm "$T/log"
    run -0 PM -c "$T/p/cf" -g g1 -p start
    sb_master_pid "$T/a/q"
    run cat "$T/log"
    [ "$output" = "$T/a/cf -- start
$T/b/cf -- check" ]
    # stop: reverse order, the disabled one skipped
    rm "$T/log"
    local pids
    pids="$(sb_master_pid "$T/p/q") $(sb_master_pid "$T/a/q") $(sb_master_pid "$T/c/q")"
    run -0 PM -c "$T/p/cf" -p stop
    run cat "$T/log"
    [ "$output" = "$T/c/cf -- stop
$T/a/cf -- stop
$T/p/cf -- stop" ]
    local p
    for p in $pids; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.3; done
        run kill -0 "$p"
        [ "$status" -ne 0 ]
    done
}

# ---- issue 14: hostile input, faults and limits

# pm_is_yash - the staged scripts run under yash (which holds only text
# that is valid in its locale: see COMPATIBILITY)
pm_is_yash() {
    case $(head -n 1 "$PFM_SBIN/postmulti") in
    *yash*) return 0 ;;
    esac
    return 1
}

# hb_tree - the sandbox tree, with bytes >= 0x80 in names and groups:
# a's group is UTF-8, b's is not valid UTF-8, c's name is UTF-8
hb_tree() {
    tree
    printf 'multi_instance_group = gr\303\251\n' >>"$T/a/cf/main.cf"
    printf 'multi_instance_group = \351t\351\n' >>"$T/b/cf/main.cf"
    printf 'multi_instance_name = postfix-c\342\202\254\n' >>"$T/c/cf/main.cf"
    pfm_backdate "$T"/?/cf/main.cf
}

@test "bytes >= 0x80 in names and groups pass unchanged through -l (padded by bytes) and -j, in LANG=C and UTF-8" {
    hb_tree
    local expect json loc
    expect=$(LC_ALL=C; printf '%-15s %-15s %-10s%s\n' - - y "$T/p/cf" \
        postfix-a $'gr\303\251' y "$T/a/cf" postfix-b $'\351t\351' n "$T/b/cf" \
        $'postfix-c\342\202\254' - y "$T/c/cf")
    json=$(printf '{"name": "%s","group": "%s","enabled": "%s","config_directory": "%s","queue_directory": "%s","data_directory": "%s"}\n' \
        - - y "$T/p/cf" "$T/p/q" "$T/p/d" postfix-a $'gr\303\251' y "$T/a/cf" "$T/a/q" "$T/a/d" \
        postfix-b $'\351t\351' n "$T/b/cf" "$T/b/q" "$T/b/d" \
        $'postfix-c\342\202\254' - y "$T/c/cf" "$T/c/q" "$T/c/d")
    for loc in C C.UTF-8; do
        LANG=$loc LC_ALL=$loc run -0 PM -c "$T/p/cf" -l
        [ "$output" = "$expect" ]
        LANG=$loc LC_ALL=$loc run -0 PM -c "$T/p/cf" -l -j
        [ "$output" = "$json" ]
        LANG=$loc LC_ALL=$loc run -0 PM -c "$T/p/cf" -l -R
        [ "$output" = "$(printf '%s\n' "$expect" | tac)" ]
        LANG=$loc LC_ALL=$loc run -0 PM -c "$T/p/cf" -l -i "$T/c/cf"
        [ "$output" = "${expect##*$'\n'}" ]
    done
    # The selectors match by bytes too (yash cannot hold them in C).
    if ! pm_is_yash; then
        run -0 PM -c "$T/p/cf" -l -g $'\351t\351'
        [ "$output" = "$(printf '%s\n' "$expect" | sed -n 3p)" ]
        run -0 PM -c "$T/p/cf" -l -i $'c\342\202\254'
        [ "$output" = "${expect##*$'\n'}" ]
    fi
}

@test "bytes >= 0x80 reach -x commands unchanged, or the instance is skipped with a warning where the shell cannot hold them" {
    hb_tree
    local show='printf "%s|%s|%s\n" "$multi_instance_name" "$multi_instance_group" "$MAIL_CONFIG" | od -An -c | tr -s " "'
    local all i loc
    all=("||$T/p/cf" "postfix-a|"$'gr\303\251'"|$T/a/cf" \
        "postfix-b|"$'\351t\351'"|$T/b/cf" $'postfix-c\342\202\254'"||$T/c/cf")
    for loc in C C.UTF-8; do
        LANG=$loc LC_ALL=$loc run PM -c "$T/p/cf" -x sh -c "$show"
        local want='' st=0
        for i in 0 1 2 3; do
            if pm_is_yash && { [ "$loc" = C ] && [ "$i" != 0 ] ||
                [ "$i" = 2 ]; }; then
                st=1
                want="${want}postmulti: warning: skipped instance ${all[i]##*|}: this shell cannot pass its values in this locale"$'\n'
            else
                want="$want$(printf '%s\n' "${all[i]}" | od -An -c | tr -s ' ')"$'\n'
            fi
        done
        [ "$status" -eq "$st" ]
        [ "$output" = "${want%$'\n'}" ]
    done
}

@test "a short table record does not keep the fields of the record before" {
    tree
    # A helper whose third instance record lost its last fields.
    local L=$BATS_TEST_TMPDIR/libexec
    mkdir -p "$L"
    cp "$PFM_LIBEXEC"/* "$L/"
    printf '#!/bin/sh\n"%s" "$@" | awk -F "\\t" -v OFS="\\t" '\''$1 == "I" && ++n == 3 { NF = 5 } { print }'\''\n' \
        "$PFM_LIBEXEC/pfm-parsecf" >"$L/pfm-parsecf"
    sed "s|^pfm_libexec=.*|pfm_libexec='$L'|" "$PFM_SBIN/postmulti" >"$L/postmulti"
    chmod 755 "$L/postmulti" "$L/pfm-parsecf"
    PFM_SYSLOG=no run -1 "$L/postmulti" -c "$T/p/cf" -l
    [ "$output" = "postmulti: warning: Unexpected $T/b/cf/main.cf entry: multi_instance_enable = 
-               -               y         $T/p/cf
postfix-a       g1              y         $T/a/cf
-               -               y         $T/c/cf" ]
}

@test "-j quotes a 100 KB value of double quotes in linear time" {
    tree
    local q
    q=$(head -c 100000 /dev/zero | tr '\0' '"')
    printf 'multi_instance_group = %s\n' "$q" >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    # cubic quoting took minutes; linear takes well under a second
    run -0 timeout 30 env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -l -j -i "$T/c/cf"
    [ "$output" = "$(obj - "${q//\"/\\\"}" y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
}

@test "messages go to syslog through the primary in use (postlog -c), the warnings of a run in one postlog" {
    tree
    local B=$BATS_TEST_TMPDIR/bin
    mkdir -p "$B"
    printf '#!/bin/sh\n{ printf "ARGS %%s\\n" "$*"; cat; } >>"%s/postlog.log"\n' "$B" >"$B/postlog"
    chmod 755 "$B/postlog"
    printf 'command_directory = %s\n' "$B" >>"$T/p/cf/main.cf"
    printf 'oops\n' >>"$T/a/cf/main.cf"
    rm "$T/b/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf" "$T/a/cf/main.cf"
    run -1 "$PFM_SBIN/postmulti" -c "$T/p/cf" -l -i nosuch
    [ "${#lines[@]}" -eq 4 ]
    run cat "$B/postlog.log"
    [ "$output" = "ARGS -c $T/p/cf -t postmulti -p warning
$T/a/cf/main.cf, line 8: missing '=' after attribute name: \"oops\"
Failed to obtain all required $T/a/cf/main.cf parameters
open $T/b/cf/main.cf: No such file or directory
Failed to obtain all required $T/b/cf/main.cf parameters" ]
    # A fatal error: one postlog, not waited for (it sleeps a second).
    rm "$B/postlog.log"
    printf 'multi_instance_directories = %s/c/cf\n' "$T" >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    run -1 "$PFM_SBIN/postmulti" -c "$T/p/cf" -x -i nosuch true
    local i
    # postlog writes its arguments first: wait for the whole record
    for i in $(seq 50); do
        grep -qx 'No matching instances' "$B/postlog.log" 2>/dev/null && break
        sleep 0.1
    done
    run cat "$B/postlog.log"
    [ "$output" = "ARGS -c $T/p/cf -t postmulti -p fatal
No matching instances" ]
}

# sig_run - SIGNAL TARGET [-p]: run -x over the tree with a command
# that logs, handles SIGINT itself (exit 130) and waits (with -p: -p
# status, whose postfix the caller made so); send SIGNAL to the
# process group (TARGET=group, as a terminal does) or to postmulti
# only, once the first instance runs; sets status and $T/runs
sig_run() {
    rm -f "$T/runs"
    local cmd=(-x sh -c 'echo "$MAIL_CONFIG" >>"$0"; trap "exit 130" INT; sleep 2 >/dev/null & wait' "$T/runs")
    [ "${3:-}" = -p ] && cmd=(-p status)
    setsid env --default-signal=INT,TERM,HUP PFM_SYSLOG=no "$PFM_SBIN/postmulti" \
        -c "$T/p/cf" "${cmd[@]}" </dev/null >/dev/null 2>&1 &
    local pid=$! i
    for i in $(seq 100); do [ -s "$T/runs" ] && break; sleep 0.05; done
    sleep 0.2
    if [ "$2" = group ]; then kill "-$1" -- "-$pid"; else kill "-$1" "$pid"; fi
    status=0
    wait "$pid" || status=$?
}

@test "SIGINT, SIGTERM and SIGHUP start no further instance, exit 128+signal" {
    tree
    sig_run INT group
    [ "$status" -eq 130 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
    sig_run INT self
    [ "$status" -eq 130 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
    sig_run TERM self
    [ "$status" -eq 143 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
    sig_run HUP self
    [ "$status" -eq 129 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
}

@test "-p: SIGINT, SIGTERM and SIGHUP start no further instance, exit 128+signal" {
    tree
    # The same command as postfix(1), for -p.
    local B=$BATS_TEST_TMPDIR/sbin d
    mkdir -p "$B"
    printf '#!/bin/sh\necho "$MAIL_CONFIG" >>"%s"\ntrap "exit 130" INT\nsleep 2 >/dev/null & wait\n' \
        "$T/runs" >"$B/postfix"
    chmod 755 "$B/postfix"
    for d in p a b c; do
        printf 'command_directory = %s\n' "$B" >>"$T/$d/cf/main.cf"
    done
    pfm_backdate "$T"/?/cf/main.cf
    sig_run INT group -p
    [ "$status" -eq 130 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
    sig_run TERM self -p
    [ "$status" -eq 143 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
    sig_run HUP self -p
    [ "$status" -eq 129 ]
    [ "$(cat "$T/runs")" = "$T/p/cf" ]
}

# pp_tree - the tree, with a command_directory whose postfix logs
# "PPID MAIL_CONFIG ARGS" to $B/log; in instance a it also writes
# "own message" on stderr and then kills itself with signal $PP_SIG
# (none when empty)
pp_tree() {
    tree
    B=$BATS_TEST_TMPDIR/pbin
    mkdir -p "$B"
    printf '#!/bin/sh\nprintf "%%s %%s %%s\\n" "$PPID" "$MAIL_CONFIG" "$*" >>"%s/log"\ncase $MAIL_CONFIG in */a/cf) [ -z "%s" ] || { echo "own message" >&2; kill -%s $$; } ;; esac\nexit 0\n' \
        "$B" "${PP_SIG:-}" "${PP_SIG:-0}" >"$B/postfix"
    chmod 755 "$B/postfix"
    local d
    for d in p a b c; do
        printf 'command_directory = %s\n' "$B" >>"$T/$d/cf/main.cf"
    done
    pfm_backdate "$T"/?/cf/main.cf
}

# nprocs - CMD...: how many processes CMD starts, itself included
# (strace -f: each process either execs or exits)
nprocs() {
    local log=$BATS_TEST_TMPDIR/strace.log
    strace -f -qq -e trace=execve,exit_group -o "$log" "$@" \
        >/dev/null 2>&1 </dev/null
    awk '{ print $1 }' "$log" | sort -u | wc -l
}

@test "-p and -x run each command as a child of postmulti itself, with nothing in between" {
    pp_tree
    local pid
    PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -p start >/dev/null 2>&1 &
    pid=$!
    wait "$pid"
    run cat "$B/log"
    [ "$output" = "$pid $T/p/cf -- start
$pid $T/a/cf -- start
$pid $T/b/cf -- check
$pid $T/c/cf -- start" ]
    rm "$B/log"
    PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -x "$B/postfix" x >/dev/null 2>&1 &
    pid=$!
    wait "$pid"
    run cat "$B/log"
    [ "$output" = "$pid $T/p/cf x
$pid $T/a/cf x
$pid $T/b/cf x
$pid $T/c/cf x" ]
}

@test "-p and -x start exactly one process per instance (counted with strace)" {
    pfm_require strace
    pp_tree
    rm -f "$B/postfix"
    ln -s "$(type -P true)" "$B/postfix"
    local PM1="env PFM_SYSLOG=no $PFM_SBIN/postmulti" one all c
    # four instances against one: three more processes, one each
    for c in status start stop reload; do
        one=$(nprocs $PM1 -c "$T/p/cf" -i - -p "$c")
        all=$(nprocs $PM1 -c "$T/p/cf" -p "$c")
        # stop and reload skip the disabled instance
        case $c in
        status | start) [ $((all - one)) -eq 3 ] ;;
        *) [ $((all - one)) -eq 2 ] ;;
        esac
    done
    one=$(nprocs $PM1 -c "$T/p/cf" -i - -x "$B/postfix")
    all=$(nprocs $PM1 -c "$T/p/cf" -x "$B/postfix")
    [ $((all - one)) -eq 3 ]
}

@test "a command killed by a signal: its own stderr kept, no report of the shell's, the other instances run, exit 1" {
    local sig
    for sig in TERM KILL; do
        PP_SIG=$sig pp_tree
        run -1 --separate-stderr PM -c "$T/p/cf" -p status
        [ "$stderr" = "own message" ]
        [ "$output" = "" ]
        [ "$(cut -d ' ' -f 2 "$B/log" | tr '\n' ' ')" = "$T/p/cf $T/a/cf $T/b/cf $T/c/cf " ]
        rm "$B/log"
        run -1 --separate-stderr PM -c "$T/p/cf" -x "$B/postfix"
        [ "$stderr" = "own message" ]
        [ "$(cut -d ' ' -f 2 "$B/log" | tr '\n' ' ')" = "$T/p/cf $T/a/cf $T/b/cf $T/c/cf " ]
        rm "$B/log"
    done
}

@test "a write error on -l or -j exits 1 with Postfix's message" {
    tree
    run -1 PM -c "$T/p/cf" -l '>/dev/full'
    run -1 bash -c 'PFM_SYSLOG=no "$1" -c "$2" -l >/dev/full' _ "$PFM_SBIN/postmulti" "$T/p/cf"
    [ "$output" = "postmulti: fatal: error writing output: No space left on device" ]
    run -1 bash -c 'PFM_SYSLOG=no "$1" -c "$2" -l -j >/dev/full' _ "$PFM_SBIN/postmulti" "$T/p/cf"
    [ "$output" = "postmulti: fatal: error writing output: No space left on device" ]
    # A listing larger than a pipe buffer: awk dies of SIGPIPE after
    # cat gave up, and only cat's reason is told.
    printf 'multi_instance_group = %s\n' "$(head -c 200000 /dev/zero | tr '\0' g)" >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -1 bash -c 'PFM_SYSLOG=no "$1" -c "$2" -l >/dev/full' _ "$PFM_SBIN/postmulti" "$T/p/cf"
    [ "$output" = "postmulti: fatal: error writing output: No space left on device" ]
}

@test "-c takes only an absolute path, as postfix -c" {
    tree
    local d
    for d in '' rel/cf . "${T#/}/p/cf"; do
        run -1 PM -c "$d" -l
        [ "$output" = "postmulti: fatal: -c requires absolute pathname" ]
    done
    run -1 PM -l -c ''
    [ "$output" = "postmulti: fatal: -c requires absolute pathname" ]
    run -1 "$POSTFIX_REAL" -c rel status
}

@test "text from outside reaches messages with a ? for each non-printable byte, as in Postfix" {
    tree
    local esc=$'\e[31m' bad=$'a\tb\rc\177d\001e'
    run -1 PM -c "$T/p/cf" -e "$esc"
    [ "$output" = "postmulti: fatal: Invalid '-e' edit action '?[31m'. Specify 'create', 'destroy', 'import', 'deport', 'enable', 'disable', 'assign' or 'init'" ]
    run -1 PM -c "$T/p/cf" -i - -x "$bad"
    [ "$output" = "postmulti: fatal: execvp a?b?c?d?e: No such file or directory" ]
    run -1 PM -c "$T/p/cf" -l "-$esc"
    [ "${lines[0]}" = "postmulti: invalid option -- '?'" ]
    # a character of two bytes, in a UTF-8 locale (smtputf8_enable is
    # yes): one "?", in every shell
    LC_ALL=C.UTF-8 run -1 PM -c "$T/p/cf" -l -$'\303\251'
    [ "${lines[0]}" = "postmulti: invalid option -- '?'" ]
    if ! pm_is_yash; then
        # (yash in LANG=C empties an argument that is not text in it)
        LC_ALL=C run -1 PM -c "$T/p/cf" -l -$'\303\251'
        [ "${lines[0]}" = "postmulti: invalid option -- '?'" ]
    fi
    run -1 PM -c "$T/p/cf" -l -i "$esc" -x true
    [ "$output" = "postmulti: fatal: Specify exactly one of '-e', '-l', '-p', '-x'" ]
    # a listed directory with control characters: shown with ?, skipped
    printf 'multi_instance_directories = %s/a/cf %s/x\033]0;t\007/cf\n' "$T" "$T" >>"$T/p/cf/main.cf"
    mkdir -p "$T/x"$'\e]0;t\a'/cf
    cp "$T/c/cf/main.cf" "$T/x"$'\e]0;t\a'/cf/
    pfm_backdate "$T/p/cf/main.cf"
    run -1 PM -c "$T/p/cf" -l
    [ "$output" = "postmulti: warning: $T/x?]0;t?/cf/main.cf: unsafe character in config_directory value
postmulti: warning: Failed to obtain all required $T/x?]0;t?/cf/main.cf parameters
-               -               y         $T/p/cf
postfix-a       g1              y         $T/a/cf" ]
    [[ "$output" != *$'\e'* ]]
}

@test "execvp failures read as in Postfix: empty command, missing or unusable #! interpreter" {
    tree
    run -1 PM -c "$T/p/cf" -i - -x ''
    [ "$output" = "postmulti: fatal: execvp : No such file or directory" ]
    printf '#!/nonexistent/interp\necho ran\n' >"$T/s1"
    printf '#!  %s -x\necho ran\n' "$T/s1.txt" >"$T/s2"
    : >"$T/s1.txt"
    chmod 755 "$T/s1" "$T/s2"
    run -1 PM -c "$T/p/cf" -i - -x "$T/s1"
    [ "$output" = "postmulti: fatal: execvp $T/s1: No such file or directory" ]
    run -1 PM -c "$T/p/cf" -i - -x "$T/s2"
    [ "$output" = "postmulti: fatal: execvp $T/s2: Permission denied" ]
    # no "#!": run by the shell, as execvp does
    printf 'echo ran\n' >"$T/s3"
    chmod 755 "$T/s3"
    run -0 PM -c "$T/p/cf" -i - -x "$T/s3"
    [ "$output" = ran ]
}

@test "a MAIL_CONFIG with control characters is shown with ?" {
    need_ns
    run -1 sb_ns env PFM_SYSLOG=no MAIL_CONFIG=$'/etc/postfix\e[31m' "$PFM_SBIN/postmulti" -l
    [ "$output" = "postmulti: fatal: Non-default configuration directory: MAIL_CONFIG=/etc/postfix?[31m" ]
}

@test "messages show non-printable bytes as real postmulti does (valid UTF-8 kept only with smtputf8_enable)" {
    need_ns
    same -l -Z $'\033'
    same -e $'\033[31m'
    # COMPATIBILITY: getopt prints a bad option byte raw; pfm shows "?"
    run -1 sb_ns "$POSTMULTI_REAL" -l -$'\033'
    [ "${lines[0]}" = "postmulti: invalid option -- '"$'\033'"'" ]
    run -1 sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -l -$'\033'
    [ "${lines[0]}" = "postmulti: invalid option -- '?'" ]
    if pm_is_yash; then
        # COMPATIBILITY: yash replaces an argument that is not valid text
        # in its locale by an empty one, with its own warning.
        run -1 sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -e $'gr\351'
        [ "${lines[${#lines[@]}-1]}" = "postmulti: fatal: Invalid '-e' edit action ''. Specify 'create', 'destroy', 'import', 'deport', 'enable', 'disable', 'assign' or 'init'" ]
        return 0
    fi
    same -e $'gr\303\251\351\033x'
    same -x $'\033[31m\351'
    tree
    # With compatibility_level 3.6 (the tree's), smtputf8_enable is yes.
    run -1 PM -c "$T/p/cf" -e $'gr\303\251\351\033x'
    [ "$output" = "postmulti: fatal: Invalid '-e' edit action 'gr"$'\303\251'"??x'. Specify 'create', 'destroy', 'import', 'deport', 'enable', 'disable', 'assign' or 'init'" ]
}

@test "COMPATIBILITY: an empty MAIL_CONFIG, and a secondary without master.cf" {
    need_ns
    run -1 sb_ns script -qec "env MAIL_CONFIG= $POSTMULTI_REAL -l" /dev/null
    [ "${output%$'\r'}" = "postmulti: fatal: open /main.cf: No such file or directory" ]
    run -1 sb_ns env PFM_SYSLOG=no MAIL_CONFIG= "$PFM_SBIN/postmulti" -l
    [ "$output" = "postmulti: fatal: Non-default configuration directory: MAIL_CONFIG=" ]
    sb_ns mv /etc/postfix-c/master.cf /etc/postfix-c/master.cf.away
    run -0 sb_ns "$POSTMULTI_REAL" -l -i /etc/postfix-c
    [ "${lines[0]}" = "/usr/sbin/postconf: warning: open /etc/postfix-c/master.cf: No such file or directory" ]
    run -0 sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -l -i /etc/postfix-c
    sb_ns mv /etc/postfix-c/master.cf.away /etc/postfix-c/master.cf
    [ "$output" = "-               -               y         /etc/postfix-c" ]
}

@test "real postmulti gives the same execvp failures" {
    need_ns
    same -x ''
    same -i - -x ''
    sb_ns sh -c 'printf "#!/nonexistent/interp\n" >/tmp/pfm-s1; chmod 755 /tmp/pfm-s1'
    same -i - -x /tmp/pfm-s1
}

# fz_gen - N ROOT SEED: N secondaries under ROOT/i/K..., whose
# directory names, instance names and groups hold random bytes (NUL,
# control characters, CR, bytes >= 0x80, very long values), made by one
# awk program run twice with the same seed (awk cannot mkdir: the first
# pass lists the directories, the second writes the files); ROOT/p
# lists them all, ROOT/clean those that Postfix accepts (no control
# character, multi_instance_enable yes or no, in any case)
fz_gen() {
    local awk
    awk=$(PATH=/usr/bin:/bin command -v awk)
    mkdir -p "$2/p" "$2/clean"
    local prog='
    # rnd - up to MAX random bytes: CLS 0 printable ASCII, 1 also
    # bytes >= 0x80, 2 also control bytes; no $ (macros), no newline
    function rnd(max, cls,    len, s, i, b) {
        len = int(rand() * max) + 1
        s = ""
        for (i = 0; i < len; i++) {
            b = 33 + int(rand() * 94)
            if (cls >= 1 && rand() < 0.3)
                b = 128 + int(rand() * 128)
            if (cls >= 2 && rand() < 0.1)
                b = 1 + int(rand() * 31)
            if (b == 36 || b == 10)
                b = 95
            s = s sprintf("%c", b)
        }
        return s
    }
    BEGIN {
        srand(seed)
        split("yes no YES No maybe", ens, " ")
        list = ""; clean = ""
        for (k = 1; k <= n; k++) {
            cls = int(rand() * 3)
            name = "postfix-" k rnd(rand() < 0.1 ? 3000 : 20, cls)
            group = rnd(rand() < 0.1 ? 3000 : 20, cls)
            if (rand() < 0.1)
                group = group sprintf("%c", 0) "cut"
            if (rand() < 0.1)
                group = group sprintf("%c", 13) "cr"
            en = ens[1 + int(rand() * (rand() < 0.1 ? 5 : 4))]
            d = "i/" k
            if (rand() < 0.3) {
                d = d rnd(8, cls)
                gsub(/[\/, \t\r]/, "_", d)
            }
            f = t "/" d
            if (pass == 1) {
                print f
                continue
            }
            printf "multi_instance_name = %s\nmulti_instance_group = %s\n", name, group > (f "/main.cf")
            printf "multi_instance_enable = %s\n", en > (f "/main.cf")
            printf "queue_directory = %s/q/%d\ndata_directory = %s/d/%d\n", t, k, t, k > (f "/main.cf")
            close(f "/main.cf")
            list = list " " f
            if (name group d !~ /[\001-\037\177]/ && en != "maybe")
                clean = clean " " f
        }
        if (pass == 2) {
            printf "multi_instance_enable = yes\nmulti_instance_directories =%s\n", list > (t "/p/main.cf")
            printf "multi_instance_enable = yes\nmulti_instance_directories =%s\n", clean > (t "/clean/main.cf")
        }
    }'
    "$awk" -v n="$1" -v t="$2" -v seed="$3" -v pass=1 "$prog" </dev/null |
        xargs -d '\n' mkdir -p --
    "$awk" -v n="$1" -v t="$2" -v seed="$3" -v pass=2 "$prog" </dev/null
    find "$2" -name main.cf -exec touch -d '2 hours ago' {} +
}

# fz_ctl - FILE...: no control byte but newline in the files
fz_ctl() {
    ! LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C grep -aq '[[:cntrl:]]'
}

@test "fuzz: random bytes in names, groups and directories: -l/-j equal dash's in C and UTF-8, equal real postmulti's where Postfix accepts them" {
    need_ns
    local n=${PFM_FUZZ_PM_N:-40} seed=${PFM_FUZZ_SEED:-$RANDOM}
    T=$BATS_TEST_TMPDIR/fz
    fz_gen "$n" "$T" "$seed"
    echo "seed $seed" >&2
    local o=$BATS_TEST_TMPDIR/out loc opt st
    mkdir -p "$o"
    for opt in -l -lj -lR; do
        st=0
        PFM_SYSLOG=no timeout 60 dash "$PFM_SBIN/postmulti" -c "$T/p" $opt >"$o/ref.out" 2>"$o/ref.err" || st=$?
        # no crash, no hang; broken ones are reported (exit 1)
        [ "$st" -le 1 ]
        fz_ctl "$o/ref.out"
        fz_ctl "$o/ref.err"
        for loc in C C.UTF-8; do
            st2=0
            LANG=$loc LC_ALL=$loc PFM_SYSLOG=no timeout 60 "$PFM_SBIN/postmulti" -c "$T/p" $opt \
                >"$o/out" 2>"$o/err" || st2=$?
            [ "$st2" = "$st" ]
            cmp "$o/ref.out" "$o/out"
            cmp "$o/ref.err" "$o/err"
        done
    done
    # Real postmulti, on the instances it accepts, through /etc/postfix.
    sb_ns cp "$T/clean/main.cf" /etc/postfix/main.cf
    sb_ns touch -d '2 hours ago' /etc/postfix/main.cf
    local real_rc=0 pfm_rc=0
    sb_ns "$POSTMULTI_REAL" -l >"$o/real.out" 2>/dev/null || real_rc=$?
    sb_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -l >"$o/pfm.out" 2>"$o/pfm.err" || pfm_rc=$?
    [ "$real_rc" = "$pfm_rc" ]
    cmp "$o/real.out" "$o/pfm.out"
    [ "$(wc -l <"$o/pfm.out")" -gt 1 ]
    # put the shared fixture back
    sb_ns sh -c 'printf "%s\n" "multi_instance_directories = /etc/postfix-a, /etc/postfix-b /etc/postfix-c" \
        "multi_instance_enable = yes" >/etc/postfix/main.cf; touch -d "2 hours ago" /etc/postfix/main.cf'
}
