#!/usr/bin/env bats
# pfm-lock-stress.bats - concurrency, crashes and a full disk.
#
# Uses the real postconf as a concurrent writer and as the parser that
# must accept every main.cf left behind.  The crash test SIGKILLs
# pfm-lock at random moments (real timing, no test knobs in the
# program); PFM_CRASH_TRIALS (default 1000, 50 with PFM_VALGRIND=1)
# and PFM_CRASH_SEED set its size and seed.  The ENOSPC test mounts a
# tiny tmpfs and needs root.

bats_require_minimum_version 1.5.0
load helper

setup() {
    [ -x "$PFM_LIBEXEC/pfm-lock" ] ||
        pfm_skip "no staged pfm-lock at $PFM_LIBEXEC (run make check)"
    pfm_require "$POSTCONF" awk cmp
    LOCK=$PFM_LIBEXEC/pfm-lock
    D=$BATS_TEST_TMPDIR/cf
    mkdir -p "$D"
    : >"$D/master.cf"
    printf 'myhostname = host.example\n' >"$D/main.cf"
}

teardown() {
    if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
        umount "$MNT"
    fi
}

@test "50 concurrent writers, 25 pfm-lock and 25 real postconf -e, lose nothing" {
    local round i pid bad=0 n
    local -a pids
    for round in 1 2 3; do
        pids=()
        for ((i = 1; i <= 25; i++)); do
            "$LOCK" -c "$D" -e "pfm_${round}_$i = v$i" &
            pids+=($!)
            "$POSTCONF" -c "$D" -e "pc_${round}_$i = w$i" &
            pids+=($!)
        done
        for pid in "${pids[@]}"; do
            wait "$pid" || bad=$((bad + 1))
        done
        [ "$bad" = 0 ]
        for ((i = 1; i <= 25; i++)); do
            n=$(grep -cx "pfm_${round}_$i = v$i" "$D/main.cf") || true
            [ "$n" = 1 ] || { echo "pfm_${round}_$i: $n"; false; }
            n=$(grep -cx "pc_${round}_$i = w$i" "$D/main.cf") || true
            [ "$n" = 1 ] || { echo "pc_${round}_$i: $n"; false; }
        done
    done
    # 1 original line + 3 rounds of 50, and nothing else.
    [ "$(wc -l <"$D/main.cf")" = 151 ]
    grep -qx 'myhostname = host.example' "$D/main.cf"
    [ ! -e "$D/main.cf.tmp" ]
    echo "# 3 rounds x 50 concurrent writers: 150/150 settings present" >&3
}

@test "20 read-modify-write appends to one list under pfm-lock -l lose nothing" {
    local i pid bad=0 v
    local -a pids
    for ((i = 1; i <= 20; i++)); do
        # Read the current value with the real postconf, then write it
        # back extended; the -l lock makes the pair atomic.  Backdating
        # keeps postconf from waiting for the fresh file to settle.
        "$LOCK" -l "$D/list.lock" sh -c '
            touch -d "2 hours ago" "$1/main.cf" || exit 1
            v=$("$2" -c "$1" -h multi_instance_directories) || exit 1
            exec "$3" -c "$1" -e "multi_instance_directories = $v /srv/pf-$4"
        ' sh "$D" "$POSTCONF" "$LOCK" "$i" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || bad=$((bad + 1))
    done
    [ "$bad" = 0 ]
    pfm_backdate "$D/main.cf"
    v=$("$POSTCONF" -c "$D" -h multi_instance_directories)
    for ((i = 1; i <= 20; i++)); do
        case " $v " in
        *" /srv/pf-$i "*) ;;
        *) echo "lost /srv/pf-$i in: $v"; false ;;
        esac
    done
    [ "$(printf '%s\n' $v | wc -l)" = 20 ]
    # The lock file is kept, empty, mode 0600.
    [ -f "$D/list.lock" ]
    [ ! -s "$D/list.lock" ]
    [ "$(stat -c %a "$D/list.lock")" = 600 ]
    echo "# 20 concurrent list appends under -l: 20/20 present" >&3
}

@test "SIGKILL at random moments leaves main.cf exactly old or exactly new" {
    # Under valgrind (PFM_VALGRIND=1) each run costs ~1 s: fewer trials.
    local trials=${PFM_CRASH_TRIALS:-1000} seed=${PFM_CRASH_SEED:-4242}
    [ "${PFM_VALGRIND:-}" != 1 ] || trials=${PFM_CRASH_TRIALS:-50}
    local i pid d nold=0 nnew=0 ntmp=0 bad=0 max v f t fifo=$BATS_TEST_TMPDIR/f
    # A 2 MB file makes an edit take long enough (read, write, fsync,
    # rename) for kills to land before, during and after the rename.
    awk 'BEGIN { print "myhostname = host.example"
        for (i = 0; i < 40000; i++)
        printf "p%05d = value %d, some padding to make the file big\n", i, i }' \
        >"$BATS_TEST_TMPDIR/old"
    cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
    cp "$D/main.cf" "$BATS_TEST_TMPDIR/new"
    if cmp -s "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new"; then false; fi
    # Both possible outcomes parse with the real postconf, so a file
    # equal to one of them byte for byte does too.
    for f in old new; do
        cp "$BATS_TEST_TMPDIR/$f" "$D/main.cf"
        pfm_backdate "$D/main.cf"
        v=$("$POSTCONF" -c "$D" -h myhostname 2>/dev/null)
        case $f in
        old) [ "$v" = host.example ] ;;
        new) [ "$v" = changed.example ] ;;
        esac
    done
    # Time one edit to spread the kill delays over 0..1.5x its length.
    cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    local t0 t1
    t0=$(date +%s%N)
    "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
    t1=$(date +%s%N)
    max=$(((t1 - t0) * 3 / 2 / 1000))          # microseconds
    [ "$max" -ge 2000 ] || max=2000
    mkfifo "$fifo"
    exec 9<>"$fifo"
    RANDOM=$seed
    for ((i = 1; i <= trials; i++)); do
        cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
        rm -f "$D/main.cf.tmp"
        d=$((RANDOM * 32768 + RANDOM))
        # One kill in ten within the first millisecond: before the lock.
        if ((d % 10 == 0)); then d=$((d % 1000)); else d=$((d % max)); fi
        "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added' &
        pid=$!
        # read -t on a silent fifo: a sub-millisecond sleep, no fork.
        printf -v t '%d.%06d' $((d / 1000000)) $((d % 1000000))
        read -r -t "$t" -u 9 || true
        kill -KILL "$pid" 2>/dev/null || true
        { wait "$pid"; } 2>/dev/null || true
        if cmp -s "$D/main.cf" "$BATS_TEST_TMPDIR/old"; then
            nold=$((nold + 1))
            [ -e "$D/main.cf.tmp" ] && ntmp=$((ntmp + 1))
        elif cmp -s "$D/main.cf" "$BATS_TEST_TMPDIR/new"; then
            nnew=$((nnew + 1))
        else
            bad=$((bad + 1))
            echo "trial $i (seed $seed, delay ${d}us): main.cf is neither" >&3
        fi
    done
    exec 9>&-
    echo "# $trials kills (seed $seed, delays 0..${max}us): $nold old ($((nold - ntmp)) before the lock file existed, $ntmp after), $nnew new, $bad torn" >&3
    [ "$bad" = 0 ]
    [ "$nold" -gt 0 ]
    [ "$nnew" -gt 0 ]
    # A leftover temporary file is only postconf's lock file: the next
    # edit, by pfm-lock or by postconf, reuses or replaces it.
    cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    "$POSTCONF" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/new"
    [ ! -e "$D/main.cf.tmp" ]
    pfm_backdate "$D/main.cf"
    grep -qx "zz_new = added" "$D/main.cf"
    v=$("$POSTCONF" -c "$D" -h myhostname 2>/dev/null)
    [ "$v" = changed.example ]
}

@test "a full disk (ENOSPC) fails with a message and leaves main.cf and no temporary file" {
    pfm_require_root
    pfm_require mount umount mountpoint dd
    MNT=$BATS_TEST_TMPDIR/mnt
    mkdir -p "$MNT"
    mount -t tmpfs -o size=64k,mode=755 pfm-lock-enospc "$MNT" ||
        pfm_skip "cannot mount a tmpfs"
    awk 'BEGIN { for (i = 0; i < 600; i++) printf "p%04d = %d\n", i, i }' \
        >"$MNT/main.cf"
    chmod 640 "$MNT/main.cf"
    cp "$MNT/main.cf" "$BATS_TEST_TMPDIR/before"
    # Fill the rest of the file system.
    dd if=/dev/zero of="$MNT/fill" bs=4096 2>/dev/null || true
    run -1 "$LOCK" -c "$MNT" -e 'p0001 = changed'
    [ "$output" = "pfm-lock: fatal: write $MNT/main.cf.tmp: No space left on device" ]
    cmp "$MNT/main.cf" "$BATS_TEST_TMPDIR/before"
    [ "$(stat -c %a "$MNT/main.cf")" = 640 ]
    [ ! -e "$MNT/main.cf.tmp" ]
    # With space again, the same edit completes.
    rm -f "$MNT/fill"
    run -0 "$LOCK" -c "$MNT" -e 'p0001 = changed'
    grep -qx 'p0001 = changed' "$MNT/main.cf"
    [ "$(stat -c %a "$MNT/main.cf")" = 640 ]
    umount "$MNT"
}
