#!/usr/bin/env bats
# pfm-lock-diff.bats - pfm-lock against the real postconf, byte for byte.
#
# Seeded random (main.cf, edit) cases from t/gen-edits.awk: after each
# edit, pfm-lock's main.cf must equal real postconf's, and stderr
# (program name mapped) and exit status must agree.  The generator
# avoids the documented 3.7.11/3.12 differences; t/pfm-lock.bats pins
# those.  PFM_DIFF_SEED=N overrides the base seed; a failure prints
# the seed, the case number, the input file and the arguments.
# PFM_FUZZ_N sets the total number of cases (default 1200).
# Then both programs over each unsafe main.cf.tmp state (hard links,
# non-empty, wrong mode or owner, symbolic links, FIFO, socket, device,
# directory): the same main.cf where postconf behaves, pfm-lock's safe
# result pinned where it does not (pfm-lock(8), COMPATIBILITY).

load helper

setup() {
    [ -x "$PFM_LIBEXEC/pfm-lock" ] ||
        pfm_skip "no staged pfm-lock at $PFM_LIBEXEC (run make check)"
    pfm_require "$POSTCONF" awk cmp od
}

# read_args I - load case I's mode and arguments into $mode and args[]
read_args() {
    local line
    args=()
    mode=
    while IFS= read -r line; do
        if [ -z "$mode" ]; then
            mode=$line
            continue
        fi
        args+=("${line//@NL@/$'\n'}")
    done <"$w/args/$1"
}

# diff_cases SEED N - generate N cases from SEED, run both, compare
diff_cases() {
    local seed=$1 n=$2 w=$BATS_TEST_TMPDIR/c$1 i mode prc erc rc
    local exp got fail=0 nerr=0
    local -a args
    mkdir -p "$w/args" $(seq -f "$w/A/%g" "$n") $(seq -f "$w/B/%g" "$n")
    awk -v seed="$seed" -v n="$n" -v out="$w" \
        -f "$PFM_TOP/t/gen-edits.awk" || return 1
    cp -R "$w/A" "$w/O"
    find "$w" -name main.cf -exec touch -d '2 hours ago' {} +
    # postconf sleeps a second before a fatal exit: run the oracle in
    # parallel, each case in its own directory.
    cd "$w/A" || return 1
    for ((i = 1; i <= n; i++)); do
        read_args "$i"
        {
            rc=0
            "$POSTCONF" -c "$i" "$mode" "${args[@]}" >"$i.out" 2>&1 ||
                rc=$?
            echo "$rc" >"$i.rc"
        } &
        ((i % 64)) || wait
    done
    wait
    cd "$w/B" || return 1
    for ((i = 1; i <= n; i++)); do
        read_args "$i"
        erc=0
        "$PFM_LIBEXEC/pfm-lock" -c "$i" "$mode" "${args[@]}" >"$w/pe" 2>&1 ||
            erc=$?
        prc=$(<"$w/A/$i.rc")
        exp=$(<"$w/A/$i.out")
        exp=${exp//"$POSTCONF: "/postconf: }
        got=$(<"$w/pe")
        got=${got//pfm-lock: /postconf: }
        [ "$prc" = 0 ] || nerr=$((nerr + 1))
        if [ "$prc" != "$erc" ] || [ "$exp" != "$got" ] ||
            ! cmp -s "$w/A/$i/main.cf" "$w/B/$i/main.cf"; then
            fail=$((fail + 1))
            {
                printf 'FAIL seed=%s case=%s: pfm-lock -c DIR %s' \
                    "$seed" "$i" "$mode"
                printf ' %q' "${args[@]}"
                printf '\npostconf rc=%s: %s\npfm-lock rc=%s: %s\n' \
                    "$prc" "$exp" "$erc" "$got"
                echo "input:"; od -c "$w/O/$i/main.cf"
                echo "postconf wrote:"; od -c "$w/A/$i/main.cf"
                echo "pfm-lock wrote:"; od -c "$w/B/$i/main.cf"
            } >&3
        fi
    done
    echo "# seed $seed: $n cases, $nerr invalid edits, $fail failures" >&3
    [ "$fail" = 0 ]
}

base=${PFM_DIFF_SEED:-20240501}
# PFM_FUZZ_N: total number of cases over the four tests (default 1200;
# make check lowers it for the valgrind run).
per=$(( (${PFM_FUZZ_N:-1200} + 3) / 4 ))

@test "pfm-lock writes postconf's bytes: random cases, seed base+0" {
    diff_cases "$base" "$per"
}

@test "pfm-lock writes postconf's bytes: random cases, seed base+1" {
    diff_cases "$((base + 1))" "$per"
}

@test "pfm-lock writes postconf's bytes: random cases, seed base+2" {
    diff_cases "$((base + 2))" "$per"
}

@test "pfm-lock writes postconf's bytes: random cases, seed base+3" {
    diff_cases "$((base + 3))" "$per"
}

# unsafe_tree ROOT STATE - DIR ROOT/cf with main.cf, ROOT/other (its
# mode in ROOT/other.mode), ROOT/target (some states), and main.cf.tmp
# in the unsafe STATE
unsafe_tree() {
    local r=$1 d=$1/cf
    mkdir -p "$d"
    printf 'a = 1\n# keep\nb = 2\n' >"$d/main.cf"
    printf 'other\n' >"$r/other"
    chmod 640 "$r/other"
    case $2 in
    hardlink-main.cf-0600) chmod 600 "$d/main.cf"; ln "$d/main.cf" "$d/main.cf.tmp" ;;
    hardlink-main.cf) ln "$d/main.cf" "$d/main.cf.tmp" ;;
    hardlink-other-0600) chmod 600 "$r/other"; ln "$r/other" "$d/main.cf.tmp" ;;
    hardlink-other) ln "$r/other" "$d/main.cf.tmp" ;;
    nonempty) printf 'x = 1\n' >"$d/main.cf.tmp"; chmod 600 "$d/main.cf.tmp" ;;
    mode-0644) : >"$d/main.cf.tmp"; chmod 644 "$d/main.cf.tmp" ;;
    symlink) ln -s ../other "$d/main.cf.tmp" ;;
    symlink-empty-0600) : >"$r/target"; chmod 600 "$r/target"; ln -s ../target "$d/main.cf.tmp" ;;
    symlink-dangling) ln -s ../target "$d/main.cf.tmp" ;;
    fifo) mkfifo -m 600 "$d/main.cf.tmp" ;;
    directory) mkdir -m 700 "$d/main.cf.tmp" ;;
    socket)
        perl -MSocket -e 'my $s; socket($s, PF_UNIX, SOCK_STREAM, 0) &&
            bind($s, pack_sockaddr_un($ARGV[0])) or die "$!\n"' \
            "$d/main.cf.tmp" && chmod 600 "$d/main.cf.tmp"
        ;;
    chardev) mknod -m 600 "$d/main.cf.tmp" c 1 3 ;;
    owner-nobody) : >"$d/main.cf.tmp"; chmod 600 "$d/main.cf.tmp"; chown nobody "$d/main.cf.tmp" ;;
    esac
    stat -c %a "$r/other" >"$r/other.mode"
    pfm_backdate "$d/main.cf"
}

# unsafe_run STATE... - the same edit by postconf (in parallel, 2 s
# at most: it hangs on a FIFO) in $w/A/STATE and by pfm-lock in
# $w/B/STATE; status and output in STATE.rc, STATE.out
unsafe_run() {
    local s
    for s in "$@"; do
        unsafe_tree "$w/A/$s" "$s"
        unsafe_tree "$w/B/$s" "$s"
        (
            rc=0
            timeout 2 "$POSTCONF" -c "$w/A/$s/cf" -e 'a = new' \
                >"$w/A/$s.out" 2>&1 || rc=$?
            echo "$rc" >"$w/A/$s.rc"
        ) &
    done
    for s in "$@"; do
        rc=0
        timeout 10 "$LOCK" -c "$w/B/$s/cf" -e 'a = new' >"$w/B/$s.out" 2>&1 ||
            rc=$?
        echo "$rc" >"$w/B/$s.rc"
    done
    wait
    for s in "$@"; do
        sed -i "s|$w/A/|DIR/|; s|^$POSTCONF: |postconf: |" "$w/A/$s.out"
        sed -i "s|$w/B/|DIR/|; s|^pfm-lock: |postconf: |" "$w/B/$s.out"
    done
}

# other_unchanged ROOT - ROOT/other has its bytes, mode and one link
other_unchanged() {
    [ "$(cat "$1/other")" = other ] &&
        [ "$(stat -c '%a %h' "$1/other")" = "$(cat "$1/other.mode") 1" ]
}

@test "pfm-lock and real postconf -e give the same main.cf over an unsafe main.cf.tmp" {
    pfm_require_root
    pfm_require timeout mknod perl stat
    local w=$BATS_TEST_TMPDIR s bad=0 states
    LOCK=$PFM_LIBEXEC/pfm-lock
    states='hardlink-main.cf-0600 hardlink-main.cf hardlink-other-0600
        hardlink-other nonempty mode-0644 symlink chardev directory'
    # shellcheck disable=SC2086
    unsafe_run $states
    for s in $states; do
        if [ "$(cat "$w/A/$s.rc")" != "$(cat "$w/B/$s.rc")" ] ||
            ! cmp -s "$w/A/$s.out" "$w/B/$s.out" ||
            ! cmp -s "$w/A/$s/cf/main.cf" "$w/B/$s/cf/main.cf" ||
            ! other_unchanged "$w/A/$s" || ! other_unchanged "$w/B/$s" ||
            [ ! -f "$w/B/$s/cf/main.cf" ] || [ -L "$w/B/$s/cf/main.cf" ]; then
            bad=$((bad + 1))
            {
                echo "$s: postconf $(cat "$w/A/$s.rc"): $(cat "$w/A/$s.out")"
                echo "$s: pfm-lock $(cat "$w/B/$s.rc"): $(cat "$w/B/$s.out")"
                ls -l "$w/A/$s" "$w/A/$s/cf" "$w/B/$s" "$w/B/$s/cf"
            } >&3
        fi
    done
    [ "$bad" = 0 ]
    # The edit happened, except over a directory: postconf's error.
    [ "$(cat "$w/B/hardlink-main.cf-0600/cf/main.cf")" = "$(printf 'a = new\n# keep\nb = 2')" ]
    [ "$(cat "$w/B/directory.out")" = "postconf: fatal: open DIR/directory/cf/main.cf.tmp: Is a directory" ]
    [ "$(cat "$w/B/directory/cf/main.cf")" = "$(printf 'a = 1\n# keep\nb = 2')" ]
    [ -d "$w/B/directory/cf/main.cf.tmp" ]
    # pfm-lock keeps main.cf's mode (EXTENSION); postconf makes it 0644.
    [ "$(stat -c %a "$w/B/hardlink-main.cf-0600/cf/main.cf")" = 600 ]
    [ "$(stat -c %a "$w/A/hardlink-main.cf-0600/cf/main.cf")" = 644 ]
}

@test "COMPATIBILITY: where postconf -e fails, hangs or writes elsewhere over main.cf.tmp, pfm-lock edits main.cf" {
    pfm_require_root
    pfm_require timeout mknod perl stat
    local w=$BATS_TEST_TMPDIR s want
    LOCK=$PFM_LIBEXEC/pfm-lock
    want=$(printf 'a = new\n# keep\nb = 2')
    unsafe_run fifo socket symlink-empty-0600 symlink-dangling owner-nobody
    # pfm-lock: the edit, main.cf a regular file with its mode and
    # owner, no main.cf.tmp, nothing written outside the directory.
    for s in fifo socket symlink-empty-0600 symlink-dangling owner-nobody; do
        [ "$(cat "$w/B/$s.rc")" = 0 ] || { echo "$s: $(cat "$w/B/$s.out")"; false; }
        [ ! -s "$w/B/$s.out" ]
        [ "$(cat "$w/B/$s/cf/main.cf")" = "$want" ]
        [ "$(stat -c '%F %a %U' "$w/B/$s/cf/main.cf")" = 'regular file 644 root' ]
        [ ! -e "$w/B/$s/cf/main.cf.tmp" ] && [ ! -L "$w/B/$s/cf/main.cf.tmp" ]
        other_unchanged "$w/B/$s"
    done
    [ "$(stat -c '%s %a' "$w/B/symlink-empty-0600/target")" = '0 600' ]
    [ ! -e "$w/B/symlink-dangling/target" ]
    # postconf 3.7.11: blocks opening the FIFO (killed by timeout)...
    [ "$(cat "$w/A/fifo.rc")" = 124 ]
    [ "$(cat "$w/A/fifo/cf/main.cf")" = "$(printf 'a = 1\n# keep\nb = 2')" ]
    # ... cannot open the socket...
    [ "$(cat "$w/A/socket.rc")" = 1 ]
    [ "$(cat "$w/A/socket.out")" = "postconf: fatal: open DIR/socket/cf/main.cf.tmp: No such device or address" ]
    # ... writes through a symbolic link to an empty 0600 file or to
    # nothing, and renames the link over main.cf...
    for s in symlink-empty-0600 symlink-dangling; do
        [ "$(cat "$w/A/$s.rc")" = 0 ]
        [ -L "$w/A/$s/cf/main.cf" ]
        [ "$(cat "$w/A/$s/target")" = "$want" ]
    done
    # ... and installs a 0600 file owned by another user as main.cf.
    [ "$(cat "$w/A/owner-nobody.rc")" = 0 ]
    [ "$(stat -c '%U' "$w/A/owner-nobody/cf/main.cf")" = nobody ]
}
