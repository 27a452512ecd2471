#!/usr/bin/env bats
# pfm-lock.bats - pfm-lock's edit and lock modes, one behaviour each.
#
# The byte-for-byte comparison with postconf over random inputs is in
# pfm-lock-diff.bats; concurrency, crashes and ENOSPC are in
# pfm-lock-stress.bats.  Here: the 3.12 behaviours (3.7.11 differs),
# pfm's extensions, file metadata, errors, and the command mode.

bats_require_minimum_version 1.5.0
load helper

setup() {
    [ -x "$PFM_LIBEXEC/pfm-lock" ] ||
        pfm_skip "no staged pfm-lock at $PFM_LIBEXEC (run make check)"
    LOCK=$PFM_LIBEXEC/pfm-lock
    D=$BATS_TEST_TMPDIR/cf
    mkdir -p "$D"
    cd "$BATS_TEST_TMPDIR" || return 1
}

# teardown - no lock holder outlives its test, even a failed one
teardown() {
    [ -z "${stopped:-}" ] || kill -KILL $stopped 2>/dev/null
    [ -z "${holder:-}" ] || kill "$holder" 2>/dev/null
    [ ! -f "${D:-}/child" ] || kill "$(cat "$D/child")" 2>/dev/null
    return 0
}

# mkcf TEXT - write main.cf with printf TEXT, and a copy to compare with
mkcf() {
    printf "$1" >"$D/main.cf"
    cp "$D/main.cf" "$BATS_TEST_TMPDIR/before"
}

# unchanged - main.cf is as mkcf wrote it and no temporary file is left
unchanged() {
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/before"
    [ ! -e "$D/main.cf.tmp" ]
}

# as_nobody CMD... - run a command as an unprivileged user
as_nobody() {
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

@test "-e replaces a setting in place and appends a new one" {
    mkcf 'a = 1\n  cont\n# keep\nb = 2\n'
    run -0 "$LOCK" -c "$D" -e 'a = x y' c=3
    [ "$output" = "" ]
    [ "$(cat "$D/main.cf")" = "$(printf 'a = x y\n# keep\nb = 2\nc = 3')" ]
    [ ! -e "$D/main.cf.tmp" ]
}

@test "-# comments out each line of a setting and -X removes it" {
    mkcf 'a = 1\n  cont\n# keep\nb = 2\n'
    run -0 "$LOCK" -c "$D" -# a
    [ "$(cat "$D/main.cf")" = "$(printf '#a = 1\n#  cont\n# keep\nb = 2')" ]
    mkcf 'a = 1\n  cont\n# keep\nb = 2\n'
    run -0 "$LOCK" -c "$D" -X a
    [ "$(cat "$D/main.cf")" = "$(printf '# keep\nb = 2')" ]
}

@test "3.12: a newline ends an unterminated last line before an append" {
    mkcf 'relayhost = x'
    run -0 "$LOCK" -c "$D" -e mydomain=y
    [ "$(od -An -c "$D/main.cf" | tr -d ' \n')" = 'relayhost=x\nmydomain=y\n' ]
}

@test "3.12: an unterminated last line stays so when nothing is appended" {
    mkcf 'a = 1\nb = 2'
    run -0 "$LOCK" -c "$D" -X a
    [ "$(od -An -c "$D/main.cf" | tr -d ' \n')" = 'b=2' ]
}

@test "3.12: several new settings are appended sorted by name" {
    mkcf 'm = 1\n'
    run -0 "$LOCK" -c "$D" -e zz=1 aa=2 m=3 Bb=4 a_b=5
    [ "$(cat "$D/main.cf")" = "$(printf 'm = 3\nBb = 4\na_b = 5\naa = 2\nzz = 1')" ]
}

@test "3.12: a name given twice to -X or -# is acted on once" {
    mkcf 'a = 1\nb = 2\n'
    run -0 "$LOCK" -c "$D" -X a a b a
    [ "$output" = "" ]
    [ ! -s "$D/main.cf" ]
    mkcf 'a = 1\nb = 2\n'
    run -0 "$LOCK" -c "$D" -# a a
    [ "$(cat "$D/main.cf")" = "$(printf '#a = 1\nb = 2')" ]
}

@test "3.12: a trailing blank after a -X or -# name is not part of the name" {
    mkcf 'a = 1\nb = 2\n'
    run -0 "$LOCK" -c "$D" -X 'a ' "$(printf 'b\t')"
    [ ! -s "$D/main.cf" ]
}

@test "-e with the same name twice warns and the last request wins" {
    mkcf 'a = 1\n'
    run -0 "$LOCK" -c "$D" -e a=2 'a = 3 '
    [ "$output" = "pfm-lock: warning: ignoring earlier request: 'a = 2'" ]
    [ "$(cat "$D/main.cf")" = 'a = 3' ]
}

@test "every duplicate setting is replaced, with postconf's warning once" {
    mkcf 'a = 1\nb = 2\na = 3\na = 4\n'
    run -0 "$LOCK" -c "$D" -e a=x
    [ "$output" = "pfm-lock: warning: $D/main.cf: multiple entries for \"a\"" ]
    [ "$(cat "$D/main.cf")" = "$(printf 'a = x\nb = 2\na = x\na = x')" ]
}

@test "an empty value is written as 'name = ' with the trailing space" {
    mkcf 'a = 1\n'
    run -0 "$LOCK" -c "$D" -e 'a='
    [ "$(od -An -c "$D/main.cf" | tr -d '\n')" = '   a       =      \n' ]
}

@test "argument errors use postconf's texts and change nothing" {
    mkcf 'a = 1\n'
    run -1 "$LOCK" -c "$D" -e relayhost
    [ "$output" = "pfm-lock: fatal: missing '=' after attribute name: \"relayhost\"" ]
    unchanged
    run -1 "$LOCK" -c "$D" -e =x
    [ "$output" = 'pfm-lock: fatal: missing attribute name: "=x"' ]
    run -1 "$LOCK" -c "$D" -e "$(printf 'a=1\nb=2')"
    [ "$output" = 'pfm-lock: fatal: -e, -X, or -# accepts no multi-line input' ]
    run -1 "$LOCK" -c "$D" -e '# a=1'
    [ "$output" = 'pfm-lock: fatal: -e, -X, or -# accepts no comment input' ]
    run -1 "$LOCK" -c "$D" -X a ' '
    [ "$output" = 'pfm-lock: fatal: -X or -# requires non-blank parameter names' ]
    run -1 "$LOCK" -c "$D" -X a b=1
    [ "$output" = 'pfm-lock: fatal: -X or -# requires parameter names without value' ]
    run -1 "$LOCK" -c "$D" -# b=1
    [ "$output" = 'pfm-lock: fatal: specify one of -e -#' ]
    run -1 "$LOCK" -c "$D" -e -X a
    [ "$output" = 'pfm-lock: fatal: specify one of -e -X' ]
    run -1 "$LOCK" -c "$D" -e
    [ "$output" = 'pfm-lock: fatal: -e requires name=value argument' ]
    run -1 "$LOCK" -c "$D" -X
    [ "$output" = 'pfm-lock: fatal: missing service argument' ]
    unchanged
}

@test "EXTENSION: a name that is not a parameter name is refused" {
    mkcf 'a = 1\n'
    run -1 "$LOCK" -c "$D" -e 'a@b = 1'
    [ "$output" = 'pfm-lock: fatal: invalid parameter name: "a@b"' ]
    run -1 "$LOCK" -c "$D" -e -- '-x = 1'
    [ "$output" = 'pfm-lock: fatal: invalid parameter name: "-x"' ]
    run -1 "$LOCK" -c "$D" -X 'a/b'
    [ "$output" = 'pfm-lock: fatal: invalid parameter name: "a/b"' ]
    run -1 "$LOCK" -c "$D" -X 'b c'
    [ "$output" = 'pfm-lock: fatal: invalid parameter name: "b c"' ]
    run -1 "$LOCK" -c "$D" -e "$(printf 'a\001=1')"
    [ "$output" = 'pfm-lock: fatal: invalid parameter name: "a?"' ]
    unchanged
    # Service-specific names with '-' and '.' are ordinary names.
    run -0 "$LOCK" -c "$D" -e 'relay-2_destination_rate_delay = 1s' \
        'smtp_x.y = 1'
    grep -qx 'relay-2_destination_rate_delay = 1s' "$D/main.cf"
}

@test "a missing main.cf fails with postconf's text and leaves no file" {
    run -1 "$LOCK" -c "$D" -e a=1
    [ "$output" = "pfm-lock: fatal: open $D/main.cf for reading: No such file or directory" ]
    [ ! -e "$D/main.cf" ]
    [ ! -e "$D/main.cf.tmp" ]
    run -1 "$LOCK" -c "$D/nodir" -e a=1
    [ "$output" = "pfm-lock: fatal: open $D/nodir/main.cf.tmp: No such file or directory" ]
}

@test "an unreadable main.cf or a read-only directory changes nothing" {
    pfm_require_root
    pfm_require setpriv
    # bats's own temporary directories are private: use a public one.
    PUB=$(mktemp -d /tmp/pfm-lock-test.XXXXXX)
    chmod 755 "$PUB"
    D=$PUB/cf
    mkdir "$D"
    mkcf 'a = 1\n'
    chmod 600 "$D/main.cf"
    chown nobody "$D"
    run -1 as_nobody "$LOCK" -c "$D" -e a=2
    [ "$output" = "pfm-lock: fatal: open $D/main.cf for reading: Permission denied" ]
    unchanged
    chown root "$D"
    chmod 644 "$D/main.cf"
    run -1 as_nobody "$LOCK" -c "$D" -e a=2
    [ "$output" = "pfm-lock: fatal: open $D/main.cf.tmp: Permission denied" ]
    unchanged
    rm -f -- "$D/main.cf"
    rmdir -- "$D" "$PUB"
}

@test "EXTENSION: main.cf keeps its mode, owner and group (postconf resets them)" {
    pfm_require_root
    mkcf 'a = 1\n'
    chown nobody:nogroup "$D/main.cf"
    chmod 640 "$D/main.cf"
    run -0 "$LOCK" -c "$D" -e a=2
    [ "$(stat -c '%a %U %G' "$D/main.cf")" = '640 nobody nogroup' ]
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
    pfm_backdate "$D/main.cf"
    "$POSTCONF" -c "$D" -e a=3
    [ "$(stat -c '%a %U' "$D/main.cf")" = '644 root' ]
}

@test "EXTENSION: a symlinked main.cf is refused, link and target unchanged" {
    mkdir "$BATS_TEST_TMPDIR/real"
    printf 'a = 1\n' >"$BATS_TEST_TMPDIR/real/main.cf"
    ln -s ../real/main.cf "$D/main.cf"
    run -1 "$LOCK" -c "$D" -e a=2
    [ "$output" = "pfm-lock: fatal: $D/main.cf: is a symbolic link; pfm-lock edits only a regular file (edit the link target instead)" ]
    [ -L "$D/main.cf" ]
    [ "$(cat "$BATS_TEST_TMPDIR/real/main.cf")" = 'a = 1' ]
    [ ! -e "$D/main.cf.tmp" ]
    # Editing the target's own directory works.
    run -0 "$LOCK" -c "$BATS_TEST_TMPDIR/real" -e a=2
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
}

# mkodd KIND PATH - make a file that is not a regular file
mkodd() {
    case $1 in
    fifo) mkfifo -m 600 "$2" ;;
    dir) mkdir -m 700 "$2" ;;
    chardev) mknod -m 600 "$2" c 1 3 ;;
    socket)
        perl -MSocket -e 'my $s; socket($s, PF_UNIX, SOCK_STREAM, 0) &&
            bind($s, pack_sockaddr_un($ARGV[0])) or die "$!\n"' "$2" &&
            chmod 600 "$2"
        ;;
    symlink) ln -s "$BATS_TEST_TMPDIR/target" "$2" ;;
    esac
}

@test "an unsafe leftover main.cf.tmp is removed, never written through, and the edit succeeds" {
    pfm_require_root
    pfm_require timeout mknod perl
    local state o=$BATS_TEST_TMPDIR/other t=$BATS_TEST_TMPDIR/target
    for state in hardlink-main.cf hardlink-other-0600 hardlink-other-0640 \
        nonempty-0600 empty-0644 nonempty-0644 owner-nobody fifo socket \
        chardev symlink-dangling symlink-empty-0600 symlink-other; do
        rm -f -- "$D/main.cf.tmp" "$o" "$t"
        # main.cf 0600 (kept by pfm-lock): a hard link to it has the
        # mode of a fresh temporary file.
        mkcf 'a = 1\nb = 2\n'
        chmod 600 "$D/main.cf"
        printf 'other\n' >"$o"
        chmod 600 "$o"
        case $state in
        hardlink-main.cf) ln "$D/main.cf" "$D/main.cf.tmp" ;;
        hardlink-other-0600) ln "$o" "$D/main.cf.tmp" ;;
        hardlink-other-0640) chmod 640 "$o"; ln "$o" "$D/main.cf.tmp" ;;
        nonempty-0600) printf 'x = 1\n' >"$D/main.cf.tmp"; chmod 600 "$D/main.cf.tmp" ;;
        empty-0644) : >"$D/main.cf.tmp"; chmod 644 "$D/main.cf.tmp" ;;
        nonempty-0644) printf 'x = 1\n' >"$D/main.cf.tmp"; chmod 644 "$D/main.cf.tmp" ;;
        owner-nobody) : >"$D/main.cf.tmp"; chmod 600 "$D/main.cf.tmp"; chown nobody "$D/main.cf.tmp" ;;
        symlink-dangling) mkodd symlink "$D/main.cf.tmp" ;;
        symlink-empty-0600) : >"$t"; chmod 600 "$t"; mkodd symlink "$D/main.cf.tmp" ;;
        symlink-other) cp -p "$o" "$t"; mkodd symlink "$D/main.cf.tmp" ;;
        *) mkodd "$state" "$D/main.cf.tmp" ;;
        esac
        cp -p "$o" "$BATS_TEST_TMPDIR/other.before"
        [ ! -e "$t" ] || cp -p "$t" "$BATS_TEST_TMPDIR/target.before"
        run timeout 10 "$LOCK" -c "$D" -e 'a = new'
        [ "$status" = 0 ] || { echo "$state: exit $status: $output"; false; }
        [ "$output" = "" ] || { echo "$state: $output"; false; }
        [ "$(cat "$D/main.cf")" = "$(printf 'a = new\nb = 2')" ] ||
            { echo "$state: main.cf:"; cat "$D/main.cf"; false; }
        [ "$(stat -c '%a %h %F %U' "$D/main.cf")" = '600 1 regular file root' ] ||
            { echo "$state: $(stat -c '%a %h %F %U' "$D/main.cf")"; false; }
        [ ! -e "$D/main.cf.tmp" ] && [ ! -L "$D/main.cf.tmp" ] ||
            { echo "$state: main.cf.tmp left"; false; }
        # The other file: same bytes, mode, and no second name.
        cmp "$o" "$BATS_TEST_TMPDIR/other.before"
        [ "$(stat -c '%a %h' "$o")" = "$(stat -c '%a' "$BATS_TEST_TMPDIR/other.before") 1" ] ||
            { echo "$state: other: $(stat -c '%a %h' "$o")"; false; }
        case $state in
        symlink-dangling) [ ! -e "$t" ] ;;
        symlink-*)
            cmp "$t" "$BATS_TEST_TMPDIR/target.before"
            [ "$(stat -c %a "$t")" = "$(stat -c %a "$BATS_TEST_TMPDIR/target.before")" ]
            ;;
        esac
    done
}

@test "a directory at main.cf.tmp fails with postconf's text and changes nothing" {
    mkcf 'a = 1\n'
    mkdir -m 700 "$D/main.cf.tmp"
    touch "$D/main.cf.tmp/keep"
    run -1 timeout 10 "$LOCK" -c "$D" -e a=2
    [ "$output" = "pfm-lock: fatal: open $D/main.cf.tmp: Is a directory" ]
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/before"
    [ -f "$D/main.cf.tmp/keep" ]
    [ "$(stat -c %a "$D/main.cf.tmp")" = 700 ]
}

@test "a main.cf.tmp replaced while locked fails the edit and is not installed" {
    pfm_require strace timeout
    mkcf 'a = 1\n'
    # strace stops pfm-lock just after it fsyncs its file; meanwhile a
    # writer that breaks the protocol puts another file at the name.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -o "$BATS_TEST_TMPDIR/tr" -qq -e trace=fsync \
        -e inject=fsync:signal=STOP:when=1 \
        "$LOCK" -c "$D" -e a=2 2>"$BATS_TEST_TMPDIR/err" &
    holder=$!
    local i=0
    until grep -q 'stopped by SIGSTOP' "$BATS_TEST_TMPDIR/tr" 2>/dev/null; do
        [ "$i" -lt 300 ] || false
        sleep 0.05
        i=$((i + 1))
    done
    # The traced pfm-lock, strace's only child.
    stopped=$(cat "/proc/$holder/task/$holder/children")
    mv "$D/main.cf.tmp" "$BATS_TEST_TMPDIR/aside"
    printf 'intruder\n' >"$D/main.cf.tmp"
    kill -CONT $stopped
    local rc=0
    wait "$holder" || rc=$?
    holder= stopped=
    [ "$rc" = 1 ]
    [ "$(cat "$BATS_TEST_TMPDIR/err")" = "pfm-lock: fatal: $D/main.cf.tmp was removed or replaced while locked; $D/main.cf is unchanged" ]
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/before"
    # The other writer's file is not removed either.
    [ "$(cat "$D/main.cf.tmp")" = intruder ]
}

@test "a hard link to main.cf keeps the old content, as with postconf" {
    mkcf 'a = 1\n'
    ln "$D/main.cf" "$BATS_TEST_TMPDIR/hard"
    run -0 "$LOCK" -c "$D" -e a=2
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
    [ "$(cat "$BATS_TEST_TMPDIR/hard")" = 'a = 1' ]
}

@test "EXTENSION: NUL bytes are copied, not cut off as by postconf 3.7" {
    mkcf 'a = 1\0x\nb = 2\n'
    run -0 "$LOCK" -c "$D" -e b=3
    [ "$(od -An -c "$D/main.cf" | tr -d ' \n')" = 'a=1\0x\nb=3\n' ]
}

@test "a leftover temporary file from a killed writer is reused or replaced" {
    mkcf 'a = 1\n'
    printf 'stale\n' >"$D/main.cf.tmp"
    chmod 600 "$D/main.cf.tmp"
    run -0 "$LOCK" -c "$D" -e a=2
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
    printf 'finished\n' >"$D/main.cf.tmp"
    chmod 644 "$D/main.cf.tmp"
    run -0 "$LOCK" -c "$D" -e a=3
    [ "$(cat "$D/main.cf")" = 'a = 3' ]
    [ "$(stat -c %a "$D/main.cf")" = 644 ]
    [ ! -e "$D/main.cf.tmp" ]
}

@test "without -c, MAIL_CONFIG names the directory; -c wins over it" {
    mkcf 'a = 1\n'
    mkdir "$BATS_TEST_TMPDIR/other"
    printf 'a = 1\n' >"$BATS_TEST_TMPDIR/other/main.cf"
    MAIL_CONFIG=$D run -0 "$LOCK" -e a=2
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
    MAIL_CONFIG=$D run -0 "$LOCK" -c "$BATS_TEST_TMPDIR/other" -e a=3
    [ "$(cat "$D/main.cf")" = 'a = 2' ]
    [ "$(cat "$BATS_TEST_TMPDIR/other/main.cf")" = 'a = 3' ]
}

# hold_lock - FILE: a background pfm-lock holds FILE's lock until
# release_lock; returns once the lock is really held (the holder may be
# slow to start, e.g. under valgrind)
hold_lock() {
    rm -f "$BATS_TEST_TMPDIR/held"
    "$LOCK" -l "$1" sh -c ': >"$1"; exec sleep 60' sh "$BATS_TEST_TMPDIR/held" &
    holder=$!
    local i=0
    while [ ! -e "$BATS_TEST_TMPDIR/held" ] && [ "$i" -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -e "$BATS_TEST_TMPDIR/held" ]
}

# release_lock - end the holder started by hold_lock
release_lock() {
    kill "$holder"
    wait "$holder" || true
}

@test "edits wait for postconf's lock on main.cf.tmp, and postconf for ours" {
    pfm_require "$POSTCONF" timeout
    mkcf 'a = 1\n'
    pfm_backdate "$D/main.cf"
    # Hold the lock that postconf and pfm-lock take.
    hold_lock "$D/main.cf.tmp"
    run -124 timeout 1 "$LOCK" -c "$D" -e a=2
    run -124 timeout 1 "$POSTCONF" -c "$D" -e a=3
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/before"
    release_lock
    run -0 "$LOCK" -c "$D" -e a=4
    [ "$(cat "$D/main.cf")" = 'a = 4' ]
}

@test "the edit fsyncs the new file, renames it, then fsyncs the directory" {
    pfm_require strace
    mkcf 'a = 1\n'
    # LeakSanitizer (sanitizer builds) cannot run under ptrace.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        run -0 strace -o "$BATS_TEST_TMPDIR/tr" \
        -e trace=fsync,rename,renameat,renameat2,flock "$LOCK" -c "$D" -e a=2
    run -0 grep -Eo '^(flock|fsync|rename[a-z0-9]*)' "$BATS_TEST_TMPDIR/tr"
    [ "$(echo $output)" = "flock fsync rename fsync" ]
}

@test "-l runs the command under the lock and exits with its status" {
    run -3 "$LOCK" -l "$D/lk" sh -c 'echo out; exit 3'
    [ "$output" = out ]
    [ "$(stat -c '%a %s' "$D/lk")" = '600 0' ]
    # The lock file is never truncated.
    printf 'keep\n' >"$D/lk"
    run -0 "$LOCK" -l "$D/lk" true
    [ "$(cat "$D/lk")" = keep ]
}

@test "-l: a command killed by a signal is reported as the shell does" {
    run -143 "$LOCK" -l "$D/lk" sh -c 'kill -TERM $$'
}

@test "-l: a missing command exits 127 with a message" {
    run -127 "$LOCK" -l "$D/lk" /nonexistent/cmd
    [ "$output" = 'pfm-lock: fatal: execute /nonexistent/cmd: No such file or directory' ]
}

@test "-l -w: a held lock times out with a message naming file and seconds" {
    hold_lock "$D/lk"
    run -1 "$LOCK" -l "$D/lk" -w 1 true
    [ "$output" = "pfm-lock: fatal: timed out after 1 seconds waiting for lock $D/lk" ]
    run -1 "$LOCK" -l "$D/lk" -w 0 true
    [ "$output" = "pfm-lock: fatal: timed out after 0 seconds waiting for lock $D/lk" ]
    # -N: the caller's name, as its users know it
    run -1 "$LOCK" -N postmulti -l "$D/lk" -w 0 true
    [ "$output" = "postmulti: fatal: timed out after 0 seconds waiting for lock $D/lk" ]
    release_lock
    # The lock died with its holder: no stale lock to clean up.
    run -0 "$LOCK" -l "$D/lk" -w 0 echo free
    [ "$output" = free ]
}

@test "-l -w: an expiry that comes before flock() blocks still ends the wait" {
    pfm_require strace timeout
    # Under valgrind, valgrind's own fcntl() calls would be held too:
    # the same binary, run without it (t/run puts it in real/).
    local lock=$LOCK
    [ -z "${PFM_VALGRIND:-}" ] || lock=$PFM_STAGE/real/pfm-lock
    hold_lock "$D/lk"
    # strace holds pfm-lock 1.5 s in each fcntl() it makes just before
    # flock(): the 1 s expiry is handled there, before flock() starts.
    # LeakSanitizer (sanitizer builds) cannot run under ptrace.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        run -1 timeout 20 strace -qq -o /dev/null -e trace=fcntl \
        -e inject=fcntl:delay_exit=1500000 "$lock" -l "$D/lk" -w 1 true
    [ "$output" = "pfm-lock: fatal: timed out after 1 seconds waiting for lock $D/lk" ]
    release_lock
}

@test "-H: held only through a descriptor the caller has; another holder does not count" {
    # the command run by -l holds it
    run -0 "$LOCK" -l "$D/lk" "$LOCK" -H "$D/lk"
    run -0 "$LOCK" -l "$D/lk" sh -c '"$1" -H "$2" && "$1" -H "$2"' sh "$LOCK" "$D/lk"
    # a process without the descriptor does not, held elsewhere or not
    run -1 "$LOCK" -H "$D/lk"
    [ "$output" = "" ]
    hold_lock "$D/lk"
    run -1 "$LOCK" -H "$D/lk"
    [ "$output" = "" ]
    # a descriptor on the file while another holds the lock: not held
    run -1 sh -c 'exec 7<"$2"; "$1" -H "$2"' sh "$LOCK" "$D/lk"
    release_lock
    # a descriptor on the free file takes the lock, and keeps it while
    # it stays open
    run -0 sh -c 'exec 7<"$2"; "$1" -H "$2" || exit 3
        "$1" -l "$2" -w 0 true 2>/dev/null && exit 4; exit 0' sh "$LOCK" "$D/lk"
    # another file, a missing one, a symlink: not held
    : >"$D/other"
    run -1 sh -c 'exec 7<"$3"; "$1" -H "$2"' sh "$LOCK" "$D/lk" "$D/other"
    run -1 "$LOCK" -H "$D/nosuch"
    ln -s lk "$D/link"
    run -1 "$LOCK" -l "$D/lk" "$LOCK" -H "$D/link"
    # -H takes nothing else
    run -1 "$LOCK" -H "$D/lk" true
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
    run -1 "$LOCK" -H "$D/lk" -l "$D/lk" true
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
}

@test "-l refuses a lock file that is not a regular file, and never blocks on it" {
    pfm_require_root
    pfm_require timeout mknod perl
    local kind what p t0
    printf 'x\n' >"$BATS_TEST_TMPDIR/target"
    for kind in fifo dir chardev socket symlink; do
        p=$D/lk-$kind
        mkodd "$kind" "$p"
        case $kind in
        fifo) what=FIFO ;;
        dir) what=directory ;;
        chardev) what='character device' ;;
        socket) what=socket ;;
        symlink) what='symbolic link' ;;
        esac
        # With -w 1, and without -w (a FIFO used to block the open
        # forever, before the timer started).
        for w in '-w 1' '-w 0' ''; do
            t0=$SECONDS
            # shellcheck disable=SC2086
            run timeout 10 "$LOCK" -l "$p" $w echo ran
            [ "$status" = 1 ] || { echo "$kind $w: exit $status: $output"; false; }
            [ "$output" = "pfm-lock: fatal: $p: is a $what; a lock file must be a regular file" ] ||
                { echo "$kind $w: $output"; false; }
            [ $((SECONDS - t0)) -lt 5 ]
        done
        [ "$(stat -c %F "$p")" != 'regular file' ]
    done
    [ "$(cat "$BATS_TEST_TMPDIR/target")" = x ]
}

@test "messages show each non-printable byte of a path or command as '?', as Postfix does" {
    # ESC [31m (a terminal colour), a UTF-8 e-acute and a 0xff byte.
    local bad show
    bad=$(printf 'x\033[31m\303\251\377y')
    show='x?[31m???y'
    run -1 "$LOCK" -c "$D/$bad" -e a=1
    [ "$output" = "pfm-lock: fatal: open $D/$show/main.cf.tmp: No such file or directory" ]
    mkdir "$D/$bad"
    run -1 "$LOCK" -c "$D/$bad" -e a=1
    [ "$output" = "pfm-lock: fatal: open $D/$show/main.cf for reading: No such file or directory" ]
    printf 'a = 1\na = 2\n' >"$D/$bad/main.cf"
    run -0 "$LOCK" -c "$D/$bad" -e a=3
    [ "$output" = "pfm-lock: warning: $D/$show/main.cf: multiple entries for \"a\"" ]
    mkdir "$D/$bad/main.cf.tmp"
    run -1 "$LOCK" -c "$D/$bad" -e a=1
    [ "$output" = "pfm-lock: fatal: open $D/$show/main.cf.tmp: Is a directory" ]
    run -1 "$LOCK" -l "$D/nodir/$bad" true
    [ "$output" = "pfm-lock: fatal: open $D/nodir/$show: No such file or directory" ]
    run -1 "$LOCK" -l "$D/$bad" true
    [ "$output" = "pfm-lock: fatal: $D/$show: is a directory; a lock file must be a regular file" ]
    run -127 "$LOCK" -l "$D/lk" "$bad"
    [ "$output" = "pfm-lock: fatal: execute $show: No such file or directory" ]
    hold_lock "$D/$bad.lk"
    run -1 "$LOCK" -l "$D/$bad.lk" -w 0 true
    [ "$output" = "pfm-lock: fatal: timed out after 0 seconds waiting for lock $D/$show.lk" ]
    release_lock
    run -1 "$LOCK" -l "$D/lk" -w "1$bad" true
    [ "$output" = "pfm-lock: fatal: bad -w value: \"1$show\" (expected seconds)" ]
    run -1 "$LOCK" "-$(printf '\033')"
    [ "${lines[0]}" = "pfm-lock: warning: invalid option -- '?'" ]
}

@test "-l: the command's children inherit the lock" {
    # The child outlives pfm-lock and holds the lock until it is killed
    # (a timed child would race a slow machine or valgrind).
    "$LOCK" -l "$D/lk" sh -c 'sleep 300 >/dev/null 2>&1 & echo $! > "$1"' \
        sh "$D/child"
    run -1 "$LOCK" -l "$D/lk" -w 0 true
    kill "$(cat "$D/child")"
    while kill -0 "$(cat "$D/child")" 2>/dev/null; do sleep 0.1; done
    run -0 "$LOCK" -l "$D/lk" -w 0 true
}

@test "bad command lines print the usage and exit 1" {
    run -1 "$LOCK"
    [ "${lines[0]}" = "pfm-lock: fatal: usage: pfm-lock [-c config_dir] -e name=value ... | -# name ... | -X name ... ; pfm-lock [-N progname] -l lockfile [-w seconds] command [arg ...] ; pfm-lock -H lockfile" ]
    run -1 "$LOCK" -l "$D/lk"
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
    run -1 "$LOCK" -l "$D/lk" -e a=1
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
    run -1 "$LOCK" -w 1 -e a=1
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
    run -1 "$LOCK" -N x -e a=1
    [[ $output == 'pfm-lock: fatal: usage: '* ]]
    run -1 "$LOCK" -l "$D/lk" -w x true
    [ "$output" = 'pfm-lock: fatal: bad -w value: "x" (expected seconds)' ]
    run -1 "$LOCK" -q
    [ "${lines[0]}" = "pfm-lock: warning: invalid option -- 'q'" ]
    [ ! -e "$D/main.cf" ]
}

@test "a FIFO at main.cf is refused at once, and a umask without owner bits still gives an edit" {
    local d=$BATS_TEST_TMPDIR/fifo
    mkdir -p "$d"
    mkfifo "$d/main.cf"
    run -1 timeout 10 "$LOCK" -c "$d" -e 'a = b'
    [ "$output" = "pfm-lock: fatal: $d/main.cf: not a regular file" ]
    [ -p "$d/main.cf" ] && [ ! -e "$d/main.cf.tmp" ]
    rm "$d/main.cf"
    printf 'x = 1\n' >"$d/main.cf"
    # the temporary file is 0600 whatever the umask (it used to loop)
    run -0 timeout 10 sh -c 'umask 0277; exec "$@"' sh "$LOCK" -c "$d" -e 'a = b'
    [ "$(cat "$d/main.cf")" = "x = 1
a = b" ]
    [ ! -e "$d/main.cf.tmp" ]
}
