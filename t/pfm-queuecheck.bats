#!/usr/bin/env bats
# pfm-queuecheck.bats - counting the messages of a Postfix queue.
#
# Real queues: trees made by the real `postfix check`, mail put in with
# the real sendmail/postdrop, moved by a running instance (tests named
# "daemon: ...") into deferred and hold; counts compared with find and
# postqueue.  Hand-made trees for what Postfix does not make itself:
# corrupt files, odd entries, symbolic links, unreadable directories.

bats_require_minimum_version 1.5.0
load helper
load sandbox

setup() {
    [ -x "$PFM_LIBEXEC/pfm-queuecheck" ] ||
        pfm_skip "no staged pfm-queuecheck at $PFM_LIBEXEC (run make check)"
    QC=$PFM_LIBEXEC/pfm-queuecheck
    T=$BATS_TEST_TMPDIR
    Q=$T/q
    cd "$T" || return 1
}

# teardown - stop every master a test started, even after a failure
teardown() {
    # shellcheck disable=SC2086
    [ -z "${SB_QUEUES:-}" ] || sb_stop_all $SB_QUEUES
    [ -z "${SB_QUEUES2:-}" ] || sb_stop_all $SB_QUEUES2
    return 0
}

# mkq DIR - a queue directory with the subdirectories Postfix makes
mkq() {
    local s
    mkdir -p "$1"
    for s in active bounce corrupt defer deferred flush hold incoming \
        maildrop pid private public saved trace; do
        mkdir -p "$1/$s"
    done
}

# put DIR/NAME... - empty queue files
put() {
    local f
    for f in "$@"; do
        mkdir -p "${f%/*}"
        : >"$f"
    done
}

# as_nobody CMD... - run a command as an unprivileged user
as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# fcount DIR - regular files under DIR, as find counts them
fcount() {
    find "$1" -type f | wc -l | tr -d ' '
}

# pq_count CF - the number of requests that postqueue -p lists
pq_count() {
    local out
    out=$(postqueue -c "$1" -p 2>/dev/null)
    case $out in
    *'Mail queue is empty'*) echo 0 ;;
    *) printf '%s\n' "$out" | sed -n 's/.* in \([0-9]*\) Request.*/\1/p' ;;
    esac
}

# send CF N - N messages through the real sendmail (postdrop)
send() {
    local i
    for i in $(seq "$2"); do
        printf 'Subject: test %s\n\nbody %s\n' "$i" "$i" |
            sendmail -C "$1" -f sender@example.invalid "rcpt$i@example.invalid" \
            2>/dev/null || return 1
    done
}

# wait_files DIR N - until DIR holds N regular files (5 s at most)
wait_files() {
    local i
    for i in $(seq 100); do
        [ "$(fcount "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    echo "wait_files: $1 holds $(fcount "$1") files, not $2" >&2
    return 1
}

@test "an empty queue made by postfix check: nothing printed, exit 0" {
    sb_tree "$T/sb"
    sb_prepare
    run -0 --separate-stderr "$QC" -q "$T/sb/p/q"
    [ "$output" = "" ] && [ "$stderr" = "" ]
    run -0 --separate-stderr "$QC" -c "$T/sb/p/cf"
    [ "$output" = "" ] && [ "$stderr" = "" ]
}

@test "mail put into a stopped instance with sendmail counts in maildrop, as find and postqueue show" {
    sb_tree "$T/sb"
    sb_prepare
    cf=$T/sb/p/cf
    send "$cf" 3
    [ "$(fcount "$T/sb/p/q/maildrop")" = 3 ]
    [ "$(pq_count "$cf")" = 3 ]
    run -2 --separate-stderr "$QC" -c "$cf"
    [ "$output" = "maildrop 3" ] && [ "$stderr" = "" ]
    run -2 "$QC" -q "$T/sb/p/q"
    [ "$output" = "maildrop 3" ]
    MAIL_CONFIG=$cf run -2 "$QC"
    [ "$output" = "maildrop 3" ]
    # Counting opened no message: every queue file is as it was.
    [ "$(fcount "$T/sb/p/q/maildrop")" = 3 ]
}

@test "each message queue is counted, in fixed order, at hash depth 0, 1 and 2" {
    mkq "$Q"
    put "$Q/saved/5A1B2C3D4E" "$Q/corrupt/ABCDEF12" "$Q/corrupt/9/ABCDEF13" \
        "$Q/hold/1/2/12345AB" "$Q/hold/1/3/13345AB" "$Q/hold/F/F/FF345AB" \
        "$Q/deferred/A/A0001BC" "$Q/deferred/B/B0002BC" \
        "$Q/deferred/B/B0003BC" "$Q/deferred/C0004BC" \
        "$Q/active/4nHd1Q2fZ3zYz7k" "$Q/incoming/0/1/2/3/01234F" \
        "$Q/maildrop/527431.2463" "$Q/maildrop/80E27A72D1B"
    run -2 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "$(printf '%s\n' 'maildrop 2' 'incoming 1' 'active 1' \
        'deferred 4' 'hold 3' 'corrupt 2' 'saved 1')" ]
    [ "$stderr" = "" ]
    [ "$(fcount "$Q")" = 14 ]
}

@test "log, socket and pid directories hold no messages and are not counted" {
    mkq "$Q"
    put "$Q/bounce/ABCDEF" "$Q/defer/A/ABCDEF" "$Q/trace/ABCDEF" \
        "$Q/flush/example.com" "$Q/pid/master.pid" "$Q/pid/unix.cleanup" \
        "$Q/private/odd name" "$Q/public/pickup"
    mkdir -p "$Q/tlstrace" "$Q/etc" "$Q/usr/lib"
    mkfifo "$Q/public/qmgr"
    ln -s /etc "$Q/private/link"
    run -0 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ] && [ "$stderr" = "" ]
}

@test "a missing queue directory, or missing queues, count as empty" {
    run -0 --separate-stderr "$QC" -q "$T/nosuch"
    [ "$output" = "" ] && [ "$stderr" = "" ]
    run -0 "$QC" -q "$T/nosuch/deeper"
    [ "$output" = "" ]
    # A destroy interrupted half-way: some subdirectories left.
    mkdir -p "$Q/pid" "$Q/deferred/A"
    run -0 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ] && [ "$stderr" = "" ]
    rmdir "$Q/deferred/A" "$Q/deferred" "$Q/pid"
    run -0 "$QC" -q "$Q"
    [ "$output" = "" ]
    [ -d "$Q" ]
}

@test "a non-empty directory without Postfix's subdirectories is not a queue" {
    mkdir -p "$Q/etc" "$Q/lib"
    run -1 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: $Q is not a Postfix queue directory (none of the subdirectories that Postfix makes)" ]
    run -1 "$QC" -q /
    [ "$output" = "pfm-queuecheck: fatal: / is not a Postfix queue directory (none of the subdirectories that Postfix makes)" ]
}

@test "a queue directory that is a symbolic link or not a directory: cannot tell" {
    mkq "$T/real"
    put "$T/real/deferred/A/ABCDEF"
    ln -s real "$Q"
    run -1 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: $Q is a symbolic link" ]
    # A trailing slash must not make open() follow it.
    run -1 "$QC" -q "$Q//"
    [ "$output" = "pfm-queuecheck: fatal: $Q is a symbolic link" ]
    ln -s nowhere "$T/dangling"
    run -1 "$QC" -q "$T/dangling"
    [ "$output" = "pfm-queuecheck: fatal: $T/dangling is a symbolic link" ]
    : >"$T/file"
    run -1 "$QC" -q "$T/file"
    [ "$output" = "pfm-queuecheck: fatal: $T/file is not a directory" ]
    run -1 "$QC" -q "$T/file/q"
    [ "$output" = "pfm-queuecheck: fatal: open $T/file/q: Not a directory" ]
}

@test "a symbolic link inside the queue is never followed: cannot tell, named" {
    mkq "$T/other"
    put "$T/other/deferred/A/ABCDEF" "$T/other/A0001"
    mkq "$Q"
    rmdir "$Q/deferred"
    ln -s ../other/deferred "$Q/deferred"
    run -1 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: $Q/deferred is a symbolic link" ]
    rm "$Q/deferred"
    mkdir -p "$Q/deferred"
    ln -s ../../other/deferred/A "$Q/deferred/A"
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/deferred/A is a symbolic link" ]
    rm "$Q/deferred/A"
    ln -s ../../other/A0001 "$Q/hold/A0001"
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/hold/A0001 is a symbolic link" ]
    rm "$Q/hold/A0001"
    rmdir "$Q/maildrop"
    : >"$Q/maildrop"
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/maildrop is not a directory" ]
}

@test "odd entries in a message queue: cannot tell, named and made printable" {
    mkq "$Q"
    put "$Q/deferred/A/A00001"
    mkfifo "$Q/deferred/A/A00002"
    run -1 --separate-stderr "$QC" -q "$Q"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: $Q/deferred/A/A00002 is not a queue file (not a regular file)" ]
    rm "$Q/deferred/A/A00002"
    mknod "$Q/active/A00003" c 1 3
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/active/A00003 is not a queue file (not a regular file)" ]
    rm "$Q/active/A00003"
    put "$Q/hold/README~"
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/hold/README~ is not a queue file (unexpected name)" ]
    rm "$Q/hold/README~"
    for f in .A0001 A0001.1 123. .123 1.2.3 A-B; do
        put "$Q/hold/$f"
        run -1 "$QC" -q "$Q"
        [ "$output" = "pfm-queuecheck: fatal: $Q/hold/$f is not a queue file (unexpected name)" ]
        rm "$Q/hold/$f"
    done
    put "$Q/incoming/"$'bad\001\033[31mname\xff'
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $Q/incoming/bad??[31mname? is not a queue file (unexpected name)" ]
    rm "$Q/incoming/"bad*
    for d in a AB G; do
        mkdir "$Q/deferred/$d"
        run -1 "$QC" -q "$Q"
        [ "$output" = "pfm-queuecheck: fatal: $Q/deferred/$d is not a hash directory (unexpected name)" ]
        rmdir "$Q/deferred/$d"
    done
    # Back to a sane queue: the answer is given again.
    run -2 "$QC" -q "$Q"
    [ "$output" = "deferred 1" ]
}

@test "hash directories are entered 16 deep, not 17" {
    mkq "$Q"
    d=$Q/deferred/0/1/2/3/4/5/6/7/8/9/A/B/C/D/E/F
    put "$d/ABCDEF"
    run -2 "$QC" -q "$Q"
    [ "$output" = "deferred 1" ]
    put "$d/0/ABCDEF"
    run -1 "$QC" -q "$Q"
    [ "$output" = "pfm-queuecheck: fatal: $d/0 is nested too deep for a hash directory" ]
}

@test "an unreadable queue or hash directory: cannot tell (as nobody)" {
    pfm_require setpriv
    pfm_require_root
    sb_tree "$T/sb"
    sb_prepare
    q=$T/sb/p/q
    # postfix check made deferred 0700 postfix: nobody cannot read it.
    run -1 --separate-stderr as_nobody "$QC" -q "$q"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: open $q/maildrop: Permission denied" ]
    for s in maildrop incoming active; do chmod 755 "$q/$s"; done
    run -1 as_nobody "$QC" -q "$q"
    [ "$output" = "pfm-queuecheck: fatal: open $q/deferred: Permission denied" ]
    chmod 755 "$q/deferred" "$q/hold" "$q/corrupt" "$q/saved"
    mkdir -m 700 "$q/deferred/B"
    run -1 as_nobody "$QC" -q "$q"
    [ "$output" = "pfm-queuecheck: fatal: open $q/deferred/B: Permission denied" ]
    chmod 711 "$q/deferred/B"
    run -1 as_nobody "$QC" -q "$q"
    [ "$output" = "pfm-queuecheck: fatal: open $q/deferred/B: Permission denied" ]
    chmod 755 "$q/deferred/B"
    run -0 as_nobody "$QC" -q "$q"
    chmod 700 "$q"
    run -1 as_nobody "$QC" -q "$q"
    [ "$output" = "pfm-queuecheck: fatal: open $q: Permission denied" ]
}

@test "-c reads queue_directory through pfm-parsecf, with macros expanded" {
    mkq "$T/base/queue"
    put "$T/base/queue/hold/ABC123"
    mkdir -p "$T/cf"
    : >"$T/cf/master.cf"
    printf 'base = %s\nqueue_directory = ${base}/queue\n' "$T/base" >"$T/cf/main.cf"
    pfm_backdate "$T/cf/main.cf"
    [ "$("$POSTCONF" -c "$T/cf" -xh queue_directory)" = "$T/base/queue" ]
    run -2 --separate-stderr "$QC" -c "$T/cf"
    [ "$output" = "hold 1" ] && [ "$stderr" = "" ]
    MAIL_CONFIG=$T/cf run -2 "$QC"
    [ "$output" = "hold 1" ]
    # Started with stdout closed, the pipe from pfm-parsecf still works.
    run -2 --separate-stderr sh -c '"$1" -c "$2" >&-' sh "$QC" "$T/cf"
    [ "$output" = "" ] && [ "$stderr" = "" ]
}

@test "-c: a main.cf that cannot be read, or a bad queue_directory, is cannot tell" {
    run -1 --separate-stderr "$QC" -c "$T/nosuch"
    [ "$output" = "" ]
    [ "$stderr" = "pfm-queuecheck: fatal: open $T/nosuch/main.cf: No such file or directory" ]
    mkdir -p "$T/cf"
    : >"$T/cf/master.cf"
    printf 'queue_directory = relative/q\n' >"$T/cf/main.cf"
    run -1 "$QC" -c "$T/cf"
    [ "$output" = "pfm-queuecheck: fatal: $T/cf/main.cf: queue_directory is not an absolute path: relative/q" ]
    printf 'queue_directory =\n' >"$T/cf/main.cf"
    run -1 "$QC" -c "$T/cf"
    [ "$output" = "pfm-queuecheck: fatal: $T/cf/main.cf: queue_directory is empty" ]
    printf 'queue_directory = ${nosuch\n' >"$T/cf/main.cf"
    run -1 --separate-stderr "$QC" -c "$T/cf"
    [ "$output" = "" ]
    [ "${stderr_lines[${#stderr_lines[@]} - 1]}" = "pfm-queuecheck: fatal: macro processing error" ]
    # An instance whose queue directory is gone: nothing queued.
    printf 'queue_directory = %s/gone\n' "$T" >"$T/cf/main.cf"
    run -0 "$QC" -c "$T/cf"
    [ "$output" = "" ]
}

@test "pfm-parsecf is the one beside pfm-queuecheck, else the compiled-in one" {
    bin=$QC
    # Under valgrind (t/run) the staged helper is a wrapper script.
    [ ! -x "$PFM_STAGE/real/pfm-queuecheck" ] ||
        bin=$PFM_STAGE/real/pfm-queuecheck
    mkdir -p "$T/bin" "$T/q/deferred"
    cp "$bin" "$T/bin/pfm-queuecheck"
    run -1 "$T/bin/pfm-queuecheck" -c "$T/cf"
    [ "$output" = "pfm-queuecheck: fatal: execute $T/bin/pfm-parsecf: No such file or directory" ]
    # A stand-in reader proves which one runs and how it is called.
    printf '#!/bin/sh\nprintf "%%s\\n" "$*" >%s/args\nprintf "%%s\\n" %s/q\n' \
        "$T" "$T" >"$T/bin/pfm-parsecf"
    chmod 755 "$T/bin/pfm-parsecf"
    : >"$T/q/deferred/ABCDEF"
    run -2 "$T/bin/pfm-queuecheck" -c "$T/cf"
    [ "$output" = "deferred 1" ]
    [ "$(cat "$T/args")" = "-N pfm-queuecheck -c $T/cf -xh queue_directory" ]
    # A relative argv[0] works too.
    run -2 sh -c 'cd "$1" && ./pfm-queuecheck -c ../cf' sh "$T/bin"
    [ "$output" = "deferred 1" ]
    printf '#!/bin/sh\nprintf "/a\\n/b\\n"\n' >"$T/bin/pfm-parsecf"
    run -1 "$T/bin/pfm-queuecheck" -c "$T/cf"
    [ "$output" = "pfm-queuecheck: fatal: $T/cf/main.cf: queue_directory is not one line" ]
    printf '#!/bin/sh\nkill -9 $$\n' >"$T/bin/pfm-parsecf"
    run -1 "$T/bin/pfm-queuecheck" -c "$T/cf"
    [ "$output" = "pfm-queuecheck: fatal: $T/bin/pfm-parsecf failed to read $T/cf/main.cf (signal 9)" ]
    # Run by a bare name (PATH), it uses the compiled-in directory.
    # (Where pfm is installed, that one reads the missing main.cf.)
    run -1 env PATH="$T/bin:$PATH" pfm-queuecheck -c "$T/nosuch"
    [[ "$output" == "pfm-queuecheck: fatal: execute /"*"/pfm-parsecf: No such file or directory" ]] ||
        [ "$output" = "pfm-queuecheck: fatal: open $T/nosuch/main.cf: No such file or directory" ]
    [[ "$output" != *"$T/bin/pfm-parsecf"* ]]
}

@test "usage errors exit 1 with the usage message and print nothing" {
    u='pfm-queuecheck: fatal: usage: pfm-queuecheck -q queue_dir | [-c config_dir]'
    mkq "$Q"
    put "$Q/hold/ABCDEF"
    for args in "-q $Q -c $T" "-c $T -q $Q" "-q $Q extra" "-x" "-q" "-c"; do
        # shellcheck disable=SC2086
        run -1 --separate-stderr "$QC" $args
        [ "$output" = "" ]
        [ "$stderr" = "$u" ] || { echo "args: $args: $stderr"; false; }
    done
    run -1 --separate-stderr "$QC" -q ''
    [ "$stderr" = "$u" ]
}

@test "daemon: mail moved by running instances into deferred and hold counts as postqueue and find show (hash depth 1 and 2)" {
    pfm_require_root
    # Depth 1 (Postfix's default, deferred and defer hashed) and
    # depth 2 with hold hashed too, and long queue IDs (hashed by the
    # hex form of their microseconds).  defer_transports keeps the
    # mail queued without any network.
    SB_EXTRA='defer_transports = smtp' sb_tree "$T/d1"
    cf1=$SB_DIRS q1=$SB_QUEUES
    SB_QUEUES2=$q1
    SB_EXTRA='defer_transports = smtp' sb_tree "$T/d2"
    cf2=$SB_DIRS q2=$SB_QUEUES
    printf '%s\n' 'hash_queue_depth = 2' 'enable_long_queue_ids = yes' \
        'hash_queue_names = deferred, defer, hold, incoming, active' >>"$cf2/main.cf"
    pfm_backdate "$cf2/main.cf"
    SB_DIRS="$cf1 $cf2" SB_QUEUES="$q1 $q2"
    sb_prepare
    send "$cf1" 3
    send "$cf2" 4
    run -2 "$QC" -c "$cf1"
    [ "$output" = "maildrop 3" ]
    run -2 "$QC" -c "$cf2"
    [ "$output" = "maildrop 4" ]

    "$POSTFIX_REAL" -c "$cf1" start 2>/dev/null
    "$POSTFIX_REAL" -c "$cf2" start 2>/dev/null
    wait_files "$q1/deferred" 3
    wait_files "$q2/deferred" 4
    # Every message went through incoming and active to deferred.
    [ "$(fcount "$q1/maildrop")$(fcount "$q2/maildrop")" = 00 ]
    find "$q1/deferred" -mindepth 2 -type f | grep -q .
    find "$q2/deferred" -mindepth 3 -type f -name '*z*' | grep -q .
    run -2 "$QC" -c "$cf1"
    [ "$output" = "deferred 3" ]
    run -2 "$QC" -c "$cf2"
    [ "$output" = "deferred 4" ]

    # postsuper -h moves two of them to hold.
    find "$q2/deferred" -type f | head -n 2 | sed 's|.*/||' >"$T/ids"
    postsuper -c "$cf2" -h - <"$T/ids" 2>/dev/null
    wait_files "$q2/hold" 2
    find "$q2/hold" -mindepth 3 -type f | grep -q .
    postsuper -c "$cf1" -h ALL 2>/dev/null
    wait_files "$q1/hold" 3
    "$POSTFIX_REAL" -c "$cf1" stop 2>/dev/null
    "$POSTFIX_REAL" -c "$cf2" stop 2>/dev/null
    sb_stop_all "$q1" "$q2"

    # Stopped: one more in maildrop, one corrupt file by hand.
    send "$cf2" 1
    : >"$q2/corrupt/A1B2C3D4E5"
    run -2 --separate-stderr "$QC" -c "$cf1"
    [ "$output" = "hold 3" ] && [ "$stderr" = "" ]
    [ "$(pq_count "$cf1")" = 3 ] && [ "$(fcount "$q1/hold")" = 3 ]
    run -2 --separate-stderr "$QC" -c "$cf2"
    [ "$output" = "$(printf '%s\n' 'maildrop 1' 'deferred 2' 'hold 2' 'corrupt 1')" ]
    [ "$stderr" = "" ]
    # postqueue lists maildrop, deferred and hold, not corrupt.
    [ "$(pq_count "$cf2")" = 5 ]
    [ "$(fcount "$q2/maildrop")$(fcount "$q2/deferred")$(fcount "$q2/hold")$(fcount "$q2/corrupt")" = 1221 ]
}
