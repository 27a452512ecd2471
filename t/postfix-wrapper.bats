#!/usr/bin/env bats
# postfix-wrapper: driven by the REAL postfix(1) through the default
# config directory, in a private mount namespace (t/sandbox.bash):
# /etc/postfix names the staged wrapper as multi_instance_wrapper and
# has three secondaries, postfix-a (group g1), postfix-b (disabled) and
# postfix-c (group g1).  Every instance's command_directory is a shim
# dir whose postfix logs "MAIL_CONFIG ARGS" and then runs the real one,
# so the order of the per-instance runs is recorded, while all the
# behaviour comes from real Postfix.  The stock wrapper is the oracle
# for exit status.  Tests that start daemons are named "daemon: ...".

bats_require_minimum_version 1.5.0
load helper
load sandbox

STOCK_WRAPPER=/usr/lib/postfix/sbin/postfix-wrapper

setup() {
    pfm_require_stage
}

teardown() {
    # Stops every master of the namespace, also after a failure.
    [ -n "${SB_NSPID:-}" ] && sb_ns_stop
    return 0
}

# wr_ns - [WRAPPER]: the namespace with the four instances (queues
# made by "postfix check"); T is the work dir, T/log the shim's log
wr_ns() {
    pfm_require_root
    pfm_require unshare nsenter script
    T=$BATS_TEST_TMPDIR
    local up=$T
    # The postfix user must reach the shim: bats temp dirs are 0700.
    while [ -n "$up" ]; do
        chmod o+x "$up" 2>/dev/null || :
        up=${up%/*}
    done
    sb_shim "$T/bin" "$T/log"
    sb_ns_start "$T/ns" || return 1
    sb_ns sh -c '
        W=$1 B=$2
        common() {
            printf "%s\n" "master_service_disable = inet" \
                "compatibility_level = 3.6" "command_directory = $B"
        }
        { printf "%s\n" "multi_instance_wrapper = $W" \
            "multi_instance_directories = /etc/postfix-a, /etc/postfix-b /etc/postfix-c" \
            "multi_instance_enable = yes"; common; } >/etc/postfix/main.cf
        inst() {
            mkdir -p /etc/postfix-$1 /var/spool/postfix-$1 /var/lib/postfix-$1
            chown postfix /var/lib/postfix-$1
            cp /etc/postfix/master.cf /etc/postfix-$1/
            { printf "%s\n" "multi_instance_name = postfix-$1" \
                "multi_instance_enable = $2" \
                "queue_directory = /var/spool/postfix-$1" \
                "data_directory = /var/lib/postfix-$1"
              [ -z "$3" ] || printf "multi_instance_group = %s\n" "$3"
              common; } >/etc/postfix-$1/main.cf
        }
        inst a yes g1 && inst b no "" && inst c yes g1 &&
        touch -d "2 hours ago" /etc/postfix/main.cf /etc/postfix-?/main.cf &&
        for d in /etc/postfix /etc/postfix-a /etc/postfix-b /etc/postfix-c; do
            postfix -c "$d" check >/dev/null 2>&1 || exit 1
        done' sh "${1:-$PFM_LIBEXEC/postfix-wrapper}" "$T/bin"
    rm -f "$T/log"
}

# wr_set - NAME=VALUE FILE...: edit main.cf files in the namespace
wr_set() {
    local nv=$1 f
    shift
    for f in "$@"; do
        sb_ns "$POSTCONF" -c "${f%/main.cf}" -e "$nv"
        sb_ns touch -d '2 hours ago' "$f"
    done
}

# wr_pid - INSTANCE (p, a, b, c): its running master's PID, or fail
wr_pid() {
    local q=$SB_NS/spool/u/postfix
    [ "$1" = p ] || q=$q-$1
    sb_master_pid "$q"
}

# wr_gone - PID...: wait until the processes have exited, or fail
wr_gone() {
    local p
    for p in "$@"; do
        for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        ! kill -0 "$p" 2>/dev/null || return 1
    done
}

# wr_postfix - ARGS...: the real postfix(1) in the namespace, messages
# through a tty (postfix-script only prints them there), CR stripped
wr_postfix() {
    local q=$POSTFIX_REAL a
    for a in "$@"; do q="$q '$a'"; done
    sb_ns env PFM_SYSLOG=no script -qec "$q" /dev/null </dev/null | tr -d '\r'
    return "${PIPESTATUS[0]}"
}

# wr_log - the shim's log since the last call ("DIR ARGS" lines)
wr_log() {
    cat "$T/log" 2>/dev/null
    rm -f "$T/log"
}

# --- direct invocation: the postfix(1) environment is required -------

@test "run without postfix(1)'s environment: fatal, exit 1" {
    local v
    for v in config_directory command_directory daemon_directory; do
        run -1 env -i config_directory=/etc/postfix command_directory=/usr/sbin \
            daemon_directory=/usr/lib/postfix/sbin "$v=" PFM_SYSLOG=no \
            "$PFM_LIBEXEC/postfix-wrapper" status
        [ "$output" = "postfix-wrapper: fatal: do not invoke this command directly" ]
    done
    # The stock wrapper also refuses, with the shell's message and exit 2.
    run -2 env -i "$STOCK_WRAPPER" status
    [[ $output == *"command_directory: do not invoke this command directly" ]]
}

@test "command_directory and daemon_directory must be absolute, existing, and as in main.cf" {
    pfm_require_root
    T=$BATS_TEST_TMPDIR
    sb_shim "$T/bin" "$T/log"
    SB_EXTRA="command_directory = $T/bin"
    sb_tree "$T/sb" "a:postfix-a::yes"
    W() {
        env -i PFM_SYSLOG=no config_directory="$T/sb/p/cf" "$@" \
            "$PFM_LIBEXEC/postfix-wrapper" status
    }
    local dd=daemon_directory=/usr/lib/postfix/sbin
    run -1 W command_directory=bin "$dd"
    [ "$output" = "postfix-wrapper: fatal: bin: not an absolute path" ]
    run -1 W command_directory="$T/none" "$dd"
    [ "$output" = "postfix-wrapper: fatal: $T/none: not a directory" ]
    run -1 W command_directory="$T/bin" daemon_directory=/usr/lib/postfix/sbin/
    [ "$output" = "postfix-wrapper: fatal: daemon_directory=/usr/lib/postfix/sbin/ differs from main.cf: /usr/lib/postfix/sbin" ]
    run -1 W command_directory=/usr/sbin "$dd"
    [ "$output" = "postfix-wrapper: fatal: command_directory=/usr/sbin differs from main.cf: $T/bin" ]
    [ ! -e "$T/log" ]
    # A shared directory missing from the disk is fatal as in Postfix.
    "$POSTCONF" -c "$T/sb/p/cf" -e "shlib_directory = $T/nolib"
    pfm_backdate "$T/sb/p/cf/main.cf"
    run -1 W command_directory="$T/bin" "$dd"
    [ "$output" = "postfix-wrapper: fatal: shlib_directory = '$T/nolib': directory not found: No such file or directory" ]
    [ ! -e "$T/log" ]
    # Sane: every instance gets "status", via MAIL_CONFIG.
    "$POSTCONF" -c "$T/sb/p/cf" -X shlib_directory
    pfm_backdate "$T/sb/p/cf/main.cf"
    run -1 W command_directory="$T/bin" "$dd"
    run cat "$T/log"
    [ "$output" = "$T/sb/p/cf -- status
$T/sb/a/cf -- status" ]
}

@test "without a command: usage, exit 1" {
    run -1 env -i PFM_SYSLOG=no config_directory=/etc/postfix command_directory=/usr/sbin \
        daemon_directory=/usr/lib/postfix/sbin "$PFM_LIBEXEC/postfix-wrapper"
    [ "$output" = "postfix-wrapper: fatal: usage: postfix-wrapper command [args...]" ]
}

# pw_tree - a -c sandbox ($T/sb: p, a, disabled b, c) whose
# command_directory $T/bin has a postfix that logs "PPID MAIL_CONFIG
# ARGS" to $T/log; in postfix-a it also writes "own message" on stderr
# and then kills itself with signal $PW_SIG (none when empty)
pw_tree() {
    pfm_require_root
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/bin"
    printf '#!/bin/sh\nprintf "%%s %%s %%s\\n" "$PPID" "$MAIL_CONFIG" "$*" >>"%s/log"\ncase $MAIL_CONFIG in */a/cf) [ -z "%s" ] || { echo "own message" >&2; kill -%s $$; } ;; esac\nexit 0\n' \
        "$T" "${PW_SIG:-}" "${PW_SIG:-0}" >"$T/bin/postfix"
    chmod 755 "$T/bin/postfix"
    SB_EXTRA="command_directory = $T/bin"
    sb_tree "$T/sb" "a:postfix-a::yes" "b:postfix-b::no" "c:postfix-c::yes"
    rm -f "$T/log"
}

# pw - ARGS...: the wrapper, with the environment postfix(1) gives it
pw() {
    env -i PFM_SYSLOG=no PATH="$PATH" config_directory="$T/sb/p/cf" \
        command_directory="$T/bin" daemon_directory=/usr/lib/postfix/sbin \
        "$PFM_LIBEXEC/postfix-wrapper" "$@"
}

@test "each postfix command is a child of the wrapper itself, with nothing in between" {
    pw_tree
    local pid
    env -i PFM_SYSLOG=no PATH="$PATH" config_directory="$T/sb/p/cf" \
        command_directory="$T/bin" daemon_directory=/usr/lib/postfix/sbin \
        "$PFM_LIBEXEC/postfix-wrapper" start >/dev/null 2>&1 &
    pid=$!
    wait "$pid"
    run cat "$T/log"
    [ "$output" = "$pid $T/sb/p/cf -- start
$pid $T/sb/a/cf -- start
$pid $T/sb/b/cf -- check
$pid $T/sb/c/cf -- start" ]
}

@test "one process per instance: the postfix command (counted with strace)" {
    pfm_require strace
    pw_tree
    rm -f "$T/bin/postfix"
    ln -s "$(type -P true)" "$T/bin/postfix"
    # nprocs - ARGS...: processes of one wrapper run (strace -f: each
    # process either execs or exits)
    nprocs() {
        strace -f -qq -e trace=execve,exit_group -o "$T/strace.log" \
            env -i PFM_SYSLOG=no PATH="$PATH" config_directory="$1" \
            command_directory="$T/bin" daemon_directory=/usr/lib/postfix/sbin \
            "$PFM_LIBEXEC/postfix-wrapper" "$2" >/dev/null 2>&1 </dev/null
        awk '{ print $1 }' "$T/strace.log" | sort -u | wc -l
    }
    # The primary and the disabled postfix-b against all four: two
    # more instances, two more processes, whether the disabled one is
    # skipped or not.
    sb_tree "$T/sb2" "b:postfix-b::no"
    local c two all
    for c in status start stop reload; do
        two=$(nprocs "$T/sb2/p/cf" "$c")
        all=$(nprocs "$T/sb/p/cf" "$c")
        [ $((all - two)) -eq 2 ]
    done
}

@test "a postfix command killed by a signal: its own stderr kept, no report of the shell's, the others run, exit 128+N" {
    local sig
    for sig in TERM:143 KILL:137; do
        PW_SIG=${sig%:*} pw_tree
        run --separate-stderr pw status
        [ "$status" -eq "${sig#*:}" ]
        [ "$stderr" = "own message" ]
        [ "$output" = "" ]
        [ "$(cut -d ' ' -f 2 "$T/log" | tr '\n' ' ')" = "$T/sb/p/cf $T/sb/a/cf $T/sb/b/cf $T/sb/c/cf " ]
    done
}

@test "SIGINT, SIGTERM and SIGHUP to the wrapper: no further instance, exit 128+signal" {
    pw_tree
    printf '#!/bin/sh\necho "$MAIL_CONFIG" >>"%s/runs"\ntrap "exit 130" INT\nsleep 2 >/dev/null & wait\n' \
        "$T" >"$T/bin/postfix"
    local s pid i
    for s in INT:group:130 INT:self:130 TERM:self:143 HUP:self:129; do
        rm -f "$T/runs"
        setsid env --default-signal=INT,TERM,HUP -i PFM_SYSLOG=no PATH="$PATH" \
            config_directory="$T/sb/p/cf" command_directory="$T/bin" \
            daemon_directory=/usr/lib/postfix/sbin \
            "$PFM_LIBEXEC/postfix-wrapper" status </dev/null >/dev/null 2>&1 &
        pid=$!
        for i in $(seq 100); do [ -s "$T/runs" ] && break; sleep 0.05; done
        sleep 0.2
        IFS=: read -r sig target code <<<"$s"
        if [ "$target" = group ]; then kill "-$sig" -- "-$pid"; else kill "-$sig" "$pid"; fi
        status=0
        wait "$pid" || status=$?
        [ "$status" -eq "$code" ]
        [ "$(cat "$T/runs")" = "$T/sb/p/cf" ]
    done
}

# --- through the real postfix(1), no daemon started ------------------

@test "postfix status with nothing running: every instance asked, exit 1 as the stock wrapper" {
    wr_ns
    run -1 wr_postfix status
    [ "$output" = "postfix/postfix-script: the Postfix mail system is not running
postfix-a/postfix-script: the Postfix mail system is not running
postfix-b/postfix-script: the Postfix mail system is not running
postfix-c/postfix-script: the Postfix mail system is not running" ]
    run wr_log
    [ "$output" = "/etc/postfix -- status
/etc/postfix-a -- status
/etc/postfix-b -- status
/etc/postfix-c -- status" ]
    wr_set "multi_instance_wrapper = $STOCK_WRAPPER" /etc/postfix/main.cf
    run -1 wr_postfix status
}

@test "postfix stop/reload/flush with every instance disabled: nothing run, exit 0 as the stock wrapper" {
    wr_ns
    wr_set "multi_instance_enable = no" /etc/postfix/main.cf \
        /etc/postfix-a/main.cf /etc/postfix-c/main.cf
    local c
    for c in stop reload flush abort drain quick-stop; do
        run -0 wr_postfix "$c"
        [ "$output" = "" ]
    done
    [ ! -e "$T/log" ]
    wr_set "multi_instance_wrapper = $STOCK_WRAPPER" /etc/postfix/main.cf
    for c in stop reload flush abort drain; do
        run -0 wr_postfix "$c"
    done
}

@test "postfix flush while the mail system is down: postqueue's exit 69 passed on as the stock wrapper does" {
    wr_ns
    run -69 wr_postfix flush
    local down="postqueue: warning: unable to look up public/qmgr: No such file or directory
postqueue: fatal: Cannot flush mail queue - mail system is down"
    [ "$output" = "$down
$down
$down" ]
    run wr_log
    [ "$output" = "/etc/postfix -- flush
/etc/postfix-a -- flush
/etc/postfix-c -- flush" ]
    wr_set "multi_instance_wrapper = $STOCK_WRAPPER" /etc/postfix/main.cf
    run -69 wr_postfix flush
}

@test "postfix quick-stop skips disabled instances (postmulti_stop_commands); the stock wrapper does not" {
    wr_ns
    run -0 wr_postfix quick-stop
    run wr_log
    [ "$output" = "/etc/postfix-c -- quick-stop
/etc/postfix-a -- quick-stop
/etc/postfix -- quick-stop" ]
    wr_set "multi_instance_wrapper = $STOCK_WRAPPER" /etc/postfix/main.cf
    run wr_postfix quick-stop
    run wr_log
    [ "$output" = "/etc/postfix -c /etc/postfix-c quick-stop
/etc/postfix -c /etc/postfix-b quick-stop
/etc/postfix -c /etc/postfix-a quick-stop
/etc/postfix -c /etc/postfix quick-stop" ]
}

@test "a broken secondary is reported and skipped, the others still run, exit 1" {
    wr_ns
    sb_ns sh -c 'printf "bad line\n" >>/etc/postfix-a/main.cf; touch -d "2 hours ago" /etc/postfix-a/main.cf'
    run -1 wr_postfix reload
    [[ ${lines[0]} == "postfix-wrapper: warning: "* ]]
    [ "${lines[1]}" = "postfix-wrapper: warning: Failed to obtain all required /etc/postfix-a/main.cf parameters" ]
    run wr_log
    [ "$output" = "/etc/postfix -- reload
/etc/postfix-c -- reload" ]
}

# --- real daemons ------------------------------------------------------

@test "daemon: postfix start/status/reload/flush/stop drive exactly the enabled instances" {
    wr_ns
    run -0 wr_postfix start
    [[ $output == *"postfix/postfix-script: starting the Postfix mail system"* ]]
    [[ $output == *"postfix-a/postfix-script: starting the Postfix mail system"* ]]
    [[ $output == *"postfix-c/postfix-script: starting the Postfix mail system"* ]]
    [[ $output != *"postfix-b/"* ]]
    run wr_log
    [ "$output" = "/etc/postfix -- start
/etc/postfix-a -- start
/etc/postfix-b -- check
/etc/postfix-c -- start" ]
    local pp pa pc
    pp=$(wr_pid p) && pa=$(wr_pid a) && pc=$(wr_pid c)
    run -1 wr_pid b
    # The check run made postfix-b's queue, but started nothing.
    sb_ns test -d /var/spool/postfix-b/maildrop
    run -0 sb_ns "$POSTFIX_REAL" -c /etc/postfix-a status
    run -0 sb_ns "$POSTFIX_REAL" -c /etc/postfix-c status
    run -1 sb_ns "$POSTFIX_REAL" -c /etc/postfix-b status
    # status: everywhere; exit 1 because postfix-b is not running.
    run -1 wr_postfix status
    [ "$output" = "postfix/postfix-script: the Postfix mail system is running: PID: $pp
postfix-a/postfix-script: the Postfix mail system is running: PID: $pa
postfix-b/postfix-script: the Postfix mail system is not running
postfix-c/postfix-script: the Postfix mail system is running: PID: $pc" ]
    wr_log >/dev/null
    # reload and flush skip the disabled instance.
    run -0 wr_postfix reload
    run -0 wr_postfix flush
    run wr_log
    [ "$output" = "/etc/postfix -- reload
/etc/postfix-a -- reload
/etc/postfix-c -- reload
/etc/postfix -- flush
/etc/postfix-a -- flush
/etc/postfix-c -- flush" ]
    [ "$(wr_pid a)" = "$pa" ]
    # stop: reverse order, the disabled one skipped, every master gone.
    run -0 wr_postfix stop
    # A loaded machine may make postfix-script wait for a master.
    output=$(printf '%s\n' "$output" |
        grep -v 'waiting for the Postfix mail system to terminate')
    [ "$output" = "postfix-c/postfix-script: stopping the Postfix mail system
postfix-a/postfix-script: stopping the Postfix mail system
postfix/postfix-script: stopping the Postfix mail system" ]
    run wr_log
    [ "$output" = "/etc/postfix-c -- stop
/etc/postfix-a -- stop
/etc/postfix -- stop" ]
    wr_gone "$pp" "$pa" "$pc"
    run -1 wr_postfix status
}

@test "daemon: the same postfix commands give the stock wrapper's exit status" {
    wr_ns
    # One sequence through both wrappers: its exit statuses must agree.
    seq_run() {
        local c
        for c in start status reload flush stop status flush stop; do
            wr_postfix "$c" >/dev/null 2>&1
            printf '%s=%s ' "$c" "$?"
        done
    }
    local pfm stock
    pfm=$(seq_run)
    wr_set "multi_instance_wrapper = $STOCK_WRAPPER" /etc/postfix/main.cf
    stock=$(seq_run)
    [ "$pfm" = "$stock" ] || { printf 'pfm:   %s\nstock: %s\n' "$pfm" "$stock"; false; }
    [ "$pfm" = "start=0 status=1 reload=0 flush=0 stop=0 status=1 flush=69 stop=1 " ]
    run -1 wr_pid p
}

@test "bytes >= 0x80 in names and groups: every instance driven, in order, in LANG=C and UTF-8" {
    wr_ns
    wr_set "multi_instance_group = gr"$'\303\251' /etc/postfix-a/main.cf
    wr_set "multi_instance_name = postfix-b"$'\351' /etc/postfix-b/main.cf
    local loc
    for loc in C C.UTF-8; do
        LANG=$loc LC_ALL=$loc run -1 wr_postfix status
        run wr_log
        [ "$output" = "/etc/postfix -- status
/etc/postfix-a -- status
/etc/postfix-b -- status
/etc/postfix-c -- status" ]
        LANG=$loc LC_ALL=$loc run -0 wr_postfix quick-stop
        run wr_log
        [ "$output" = "/etc/postfix-c -- quick-stop
/etc/postfix-a -- quick-stop
/etc/postfix -- quick-stop" ]
    done
}

@test "an instance directory with bytes >= 0x80 gets MAIL_CONFIG unchanged (yash: skipped with a warning)" {
    pfm_require_root
    T=$BATS_TEST_TMPDIR
    sb_shim "$T/bin" "$T/log"
    SB_EXTRA="command_directory = $T/bin"
    local id=$'e\351'
    sb_tree "$T/sb" "a:postfix-a::yes" "$id:postfix-e::yes"
    local loc
    for loc in C C.UTF-8; do
        rm -f "$T/log"
        run env -i PFM_SYSLOG=no LANG=$loc LC_ALL=$loc config_directory="$T/sb/p/cf" \
            command_directory="$T/bin" daemon_directory=/usr/lib/postfix/sbin \
            "$PFM_LIBEXEC/postfix-wrapper" set-permissions
        if head -n 1 "$PFM_LIBEXEC/postfix-wrapper" | grep -q yash; then
            [ "$status" -eq 1 ]
            [ "$output" = "postfix-wrapper: warning: skipped instance $T/sb/e\\0351/cf: this shell cannot pass its values in this locale" ]
            [ "$(cat "$T/log")" = "$T/sb/p/cf -- set-permissions
$T/sb/a/cf -- set-permissions" ]
        else
            [ "$status" -eq 0 ]
            [ "$(cat "$T/log")" = "$T/sb/p/cf -- set-permissions
$T/sb/a/cf -- set-permissions
$T/sb/$id/cf -- set-permissions" ]
        fi
    done
}
