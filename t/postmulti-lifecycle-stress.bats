#!/usr/bin/env bats
# postmulti -e end to end with pfm's own helper: concurrent runs and
# SIGKILL at random moments (issue 10).  In -c sandboxes, as root.
#
# Knobs: PFM_KILL_TRIALS (kill trials per action, default 6),
# PFM_CONC (concurrent creates, default 20).  The shell matrix of
# t/run leaves this file out: it times processes.

bats_require_minimum_version 1.5.0
load helper
load lifecycle

setup() {
    pfm_require_stage
    pfm_require_root
    pfm_require unshare setsid
    [ -x "$PFM_LIBEXEC/postmulti-script" ] && [ -s "$PFM_LIBEXEC/postmulti-script" ] ||
        pfm_skip "no pfm postmulti-script in the stage"
    REAL_HELPER=
    export REAL_HELPER
}

# names - the instance names that PM -l lists, sorted
names() {
    PM -l | awk 'NR > 1 { print $1 }' | sort
}

@test "concurrent creates with distinct names: all listed, no orphan directory, every main.cf parses with postconf" {
    lc_tree
    local k n=${PFM_CONC:-20}
    for k in $(seq "$n"); do
        PM -e create -I "postfix-c$k" >"$BATS_TEST_TMPDIR/c$k.out" 2>&1 &
    done
    wait
    for k in $(seq "$n"); do
        [ ! -s "$BATS_TEST_TMPDIR/c$k.out" ] || { cat "$BATS_TEST_TMPDIR/c$k.out"; false; }
    done
    run -0 names
    [ "$output" = "$(for k in $(seq "$n"); do echo "postfix-c$k"; done | sort)" ]
    [ "$(ls -d "$T"/etc/postfix-c* | wc -l)" = "$n" ]
    for k in $(seq "$n"); do
        run -0 "$POSTCONF" -c "$T/etc/postfix-c$k" -h multi_instance_name
        [ "$output" = "postfix-c$k" ]
        [ -d "$T/spool/postfix-c$k/maildrop" ]
    done
    run -0 "$POSTCONF" -c "$P" -n
}

@test "concurrent create+destroy pairs and enable/disable flips: the end state is each one's last operation" {
    lc_tree
    local k
    for k in 1 2 3 4 5 6 7 8 9 10; do
        run -0 PM -e create -I "postfix-f$k"
    done
    for k in 1 2 3 4 5 6 7 8 9 10; do
        { PM -e create -I "postfix-p$k" && PM -e destroy -i "p$k"; } \
            >"$BATS_TEST_TMPDIR/p$k.out" 2>&1 &
        { PM -e enable -i "f$k" && PM -e disable -i "f$k" &&
            if [ $((k % 2)) = 0 ]; then PM -e enable -i "f$k"; fi; } \
            >"$BATS_TEST_TMPDIR/f$k.out" 2>&1 &
    done
    wait
    for k in 1 2 3 4 5 6 7 8 9 10; do
        [ ! -s "$BATS_TEST_TMPDIR/p$k.out" ] || { cat "$BATS_TEST_TMPDIR/p$k.out"; false; }
        [ ! -s "$BATS_TEST_TMPDIR/f$k.out" ] || { cat "$BATS_TEST_TMPDIR/f$k.out"; false; }
        [ ! -e "$T/etc/postfix-p$k" ]
        [ ! -e "$T/spool/postfix-p$k" ]
    done
    run -0 PM -l
    [ "${#lines[@]}" -eq 11 ] || { printf '%s\n' "$output"; false; }
    for k in 1 2 3 4 5 6 7 8 9 10; do
        if [ $((k % 2)) = 0 ]; then e=y; else e=n; fi
        [ "$(printf '%s\n' "${lines[$k]}" | awk '{ print $1, $3, $4 }')" = "postfix-f$k $e $T/etc/postfix-f$k" ] ||
            { printf '%s\n' "$output"; false; }
    done
}

@test "-e runs concurrent with real postconf -e edits of the primary: nothing lost" {
    lc_tree
    local k p
    # 20 built-in parameters (unknown names would make postconf warn),
    # with values that pass postmulti's start-up checks of the primary
    local params=(bounce_queue_lifetime maximal_queue_lifetime delay_warning_time
        minimal_backoff_time maximal_backoff_time queue_run_delay
        default_process_limit smtp_helo_timeout smtp_data_done_timeout
        smtpd_timeout smtpd_recipient_limit header_size_limit
        message_size_limit mailbox_size_limit line_length_limit
        hash_queue_depth duplicate_filter_limit bounce_size_limit
        qmgr_message_active_limit fork_attempts)
    for k in $(seq 20); do
        p=${params[$((k - 1))]}
        PM -e create -I "postfix-e$k" >"$BATS_TEST_TMPDIR/e$k.out" 2>&1 &
        "$POSTCONF" -c "$P" -e "$p = $((10000 + k))" &
    done
    wait
    for k in $(seq 20); do
        [ ! -s "$BATS_TEST_TMPDIR/e$k.out" ] || { cat "$BATS_TEST_TMPDIR/e$k.out"; false; }
    done
    [ "$(names | wc -l)" = 20 ]
    for k in $(seq 20); do
        grep -qx "${params[$((k - 1))]} = $((10000 + k))" "$P/main.cf"
    done
}

# ---- SIGKILL at random moments

# timed - ACTION ARGS...: run PM once, print its duration in ms
timed() {
    local s e
    s=$(date +%s%N)
    PM "$@" >/dev/null 2>&1 || return 1
    e=$(date +%s%N)
    echo $(((e - s) / 1000000))
}

# killed - MS ARGS...: run PM ARGS in its own session, SIGKILL the whole
# session after MS milliseconds; prints "done" when it had finished
killed() {
    local ms=$1 pid
    shift
    setsid bash -c '"$@"' lc lc_ns env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$P" "$@" \
        >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL -- "-$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo killed
    else
        wait "$pid" 2>/dev/null
        echo done
    fi
}

# sane - after a kill: -l works, the primary parses with postconf
sane() {
    PM -l >/dev/null || { echo "postmulti -l failed"; return 1; }
    "$POSTCONF" -c "$P" -n >/dev/null || { echo "postconf -n failed"; return 1; }
}

@test "SIGKILL at random moments of create, deport, import, destroy: -l works, postconf parses, a re-run completes" {
    lc_tree
    # lc_ns is called by setsid: export what it needs
    export -f lc_ns
    local n=${PFM_KILL_TRIALS:-6} k a ms d rc out st
    # the duration of each action, unkilled
    declare -A dur
    dur[create]=$(timed -e create -I postfix-t0)
    dur[deport]=$(timed -e deport -i t0)
    dur[import]=$(timed -e import -I postfix-t0)
    dur[destroy]=$(timed -e destroy -i t0)
    declare -A bins killedn
    for k in $(seq "$n"); do
        for a in create deport import destroy; do
            d=${dur[$a]}
            ms=$((RANDOM * (d + 20) / 32768))
            case $a in
            create) set -- -e create -I "postfix-t$k" ;;
            deport) set -- -e deport -i "t$k" ;;
            import) set -- -e import -I "postfix-t$k" ;;
            destroy) set -- -e destroy -i "t$k" ;;
            esac
            st=$(killed "$ms" "$@")
            [ "$st" = killed ] && killedn[$a]=$((${killedn[$a]:-0} + 1))
            bins[$a.$((ms * 5 / (d + 20)))]=$((${bins[$a.$((ms * 5 / (d + 20)))]:-0} + 1))
            sane || { echo "trial $k: $a killed at $ms ms of $d"; false; }
            rc=0
            out=$(PM "$@" 2>&1) || rc=$?
            if [ "$rc" != 0 ]; then
                # destroy whose kill came after its end: gone already
                if [ "$a" = destroy ] && [ "$out" = "postmulti: fatal: No instance named t$k" ] &&
                    [ ! -e "$T/etc/postfix-t$k" ]; then
                    :
                else
                    echo "trial $k: $a killed at $ms ms of $d ms; re-run: rc=$rc $out"
                    false
                fi
            fi
            sane
            case $a in
            create | import)
                [ -d "$T/spool/postfix-t$k/maildrop" ]
                [ "$(PM -l -i "t$k" | awk '{ print $1 }')" = "postfix-t$k" ]
                ;;
            deport)
                [ "$("$POSTCONF" -c "$P" -h alternate_config_directories)" = "$T/etc/postfix-t$k" ]
                ;;
            destroy)
                [ ! -e "$T/etc/postfix-t$k" ] && [ ! -e "$T/spool/postfix-t$k" ] &&
                    [ ! -e "$T/lib/postfix-t$k" ]
                ;;
            esac
        done
    done
    [ "$(PM -l | wc -l)" = 1 ]
    # the spread: kill moments in fifths of the unkilled run (+20 ms)
    for a in create deport import destroy; do
        printf '# %-7s %4d ms, %d trials, %d killed mid-run; fifths: %d %d %d %d %d\n' "$a" \
            "${dur[$a]}" "$n" "${killedn[$a]:-0}" "${bins[$a.0]:-0}" "${bins[$a.1]:-0}" \
            "${bins[$a.2]:-0}" "${bins[$a.3]:-0}" "${bins[$a.4]:-0}" >&3
    done
}
