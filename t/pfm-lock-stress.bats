#!/usr/bin/env bats
# pfm-lock-stress.bats - concurrency, crashes and a full disk.
#
# Uses the real postconf as a concurrent writer and as the parser that
# must accept every main.cf left behind.  The crash test SIGKILLs
# pfm-lock at random moments (real timing), and one trial in eight at
# an exact syscall through strace -e inject (no test knobs in the
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

# kill_at SPEC - run the edit under strace, which SIGKILLs it on entry
# to the syscall SPEC names (strace -e inject syntax): a kill that
# lands at an exact point, with no test knob in the program
kill_at() {
    # LeakSanitizer (sanitizer builds) cannot run under ptrace.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -o /dev/null -qq -e trace="${1%%:*}" \
        -e inject="$1:signal=KILL" \
        "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
}

@test "SIGKILL at random moments and in the rename window leaves main.cf old or new, and the next edit succeeds" {
    pfm_require strace
    # Under valgrind (PFM_VALGRIND=1) each run costs ~1 s: fewer trials.
    local trials=${PFM_CRASH_TRIALS:-1000} seed=${PFM_CRASH_SEED:-4242}
    [ "${PFM_VALGRIND:-}" != 1 ] || trials=${PFM_CRASH_TRIALS:-50}
    local i pid d rc max v f t fifo=$BATS_TEST_TMPDIR/f spec where
    local nold=0 nnew=0 bad=0 nfail=0 nover=0 nhard=0 nok=0 nrand=0
    local tnone=0 tleft=0 tempty=0 tpart=0 tfull=0 rfull=0
    local -A at_old at_new
    # Where the strace trials kill, in turn: on entry to the rename
    # (the tmp file complete: the window between fsync and rename), to
    # the fsync of the directory (just after the rename), to the fsync
    # of the tmp file, and to the first write (tmp locked, still empty).
    local -a specs=('/^rename(at2?)?$' 'fsync:when=2' 'fsync:when=1' 'write:when=1')
    # A 2 MB file makes an edit take long enough (read, write, fsync,
    # rename) for kills to land before, during and after the rename.
    # Mode 0600: a leftover tmp file then has main.cf's mode, which
    # alone does not tell it from a fresh one.
    awk 'BEGIN { print "myhostname = host.example"
        for (i = 0; i < 40000; i++)
        printf "p%05d = value %d, some padding to make the file big\n", i, i }' \
        >"$BATS_TEST_TMPDIR/old"
    chmod 600 "$BATS_TEST_TMPDIR/old"
    cp -p "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
    cp -p "$D/main.cf" "$BATS_TEST_TMPDIR/new"
    [ "$(stat -c %a "$D/main.cf")" = 600 ]
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
    # Time an edit (the fastest of three: the machine may be busy) to
    # spread the kill delays over 0..1.5x its length.
    local t0 t1 min=
    for f in 1 2 3; do
        cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
        t0=$(date +%s%N)
        "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
        t1=$(date +%s%N)
        [ -n "$min" ] && [ "$min" -le $((t1 - t0)) ] || min=$((t1 - t0))
    done
    max=$((min * 3 / 2 / 1000))                 # microseconds
    [ "$max" -ge 2000 ] || max=2000
    mkfifo "$fifo"
    exec 9<>"$fifo"
    RANDOM=$seed
    for ((i = 1; i <= trials; i++)); do
        # Whatever the last kill left stays: this edit must cope with
        # it.  fd 8 keeps the leftover's inode, to tell it afterwards
        # from a tmp file this edit made (test -ef, no fork).
        exec 8</dev/null
        if [ -e "$D/main.cf.tmp" ]; then
            nover=$((nover + 1))
            [ ! "$D/main.cf.tmp" -ef "$D/main.cf" ] || nhard=$((nhard + 1))
            exec 8<"$D/main.cf.tmp"
        fi
        # cp writes into main.cf in place (a hard-linked tmp too).
        cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
        if ((i % 8 == 0)); then
            # One trial in eight: a kill at an exact point.
            spec=${specs[(i / 8 - 1) % 4]}
            rc=0
            # (The shell's "Killed" notice goes to the file too.)
            { kill_at "$spec"; } 2>"$BATS_TEST_TMPDIR/kill_at.err" || rc=$?
            where=$spec
        else
            spec=
            nrand=$((nrand + 1))
            d=$((RANDOM * 32768 + RANDOM))
            # One in ten within the first millisecond: before the lock.
            if ((d % 10 == 0)); then d=$((d % 1000)); else d=$((d % max)); fi
            "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added' &
            pid=$!
            # read -t on a silent fifo: a sub-millisecond sleep, no fork.
            printf -v t '%d.%06d' $((d / 1000000)) $((d % 1000000))
            read -r -t "$t" -u 9 || true
            kill -KILL "$pid" 2>/dev/null || true
            rc=0
            { wait "$pid"; } 2>/dev/null || rc=$?
            where="delay ${d}us"
        fi
        # Killed (137) or done (0): an edit never fails on a leftover.
        case $rc in
        0) nok=$((nok + 1)) ;;
        137) ;;
        *)
            nfail=$((nfail + 1))
            echo "trial $i (seed $seed, $where): pfm-lock exited $rc" >&3
            [ -z "$spec" ] || cat "$BATS_TEST_TMPDIR/kill_at.err" >&3
            ;;
        esac
        if cmp -s "$D/main.cf" "$BATS_TEST_TMPDIR/old"; then
            if [ "$rc" = 0 ]; then
                nfail=$((nfail + 1))
                echo "trial $i ($where): exit 0, but main.cf is old" >&3
            fi
            nold=$((nold + 1))
            [ -z "$spec" ] || at_old[$spec]=$((${at_old[$spec]:-0} + 1))
            if [ ! -e "$D/main.cf.tmp" ]; then
                tnone=$((tnone + 1))
            elif [ "$D/main.cf.tmp" -ef /dev/fd/8 ]; then
                tleft=$((tleft + 1))
            elif [ ! -s "$D/main.cf.tmp" ]; then
                tempty=$((tempty + 1))
            elif cmp -s "$D/main.cf.tmp" "$BATS_TEST_TMPDIR/new"; then
                tfull=$((tfull + 1))
                [ -n "$spec" ] || rfull=$((rfull + 1))
            else
                tpart=$((tpart + 1))
            fi
        elif cmp -s "$D/main.cf" "$BATS_TEST_TMPDIR/new"; then
            nnew=$((nnew + 1))
            [ -z "$spec" ] || at_new[$spec]=$((${at_new[$spec]:-0} + 1))
        else
            bad=$((bad + 1))
            echo "trial $i (seed $seed, $where): main.cf is neither old nor new" >&3
        fi
        # What a crash of the system during the rename can leave: the
        # tmp file a second name of main.cf.  The leftovers of even
        # trials (the strace ones among them) become that.
        if [ -e "$D/main.cf.tmp" ] && ((i % 2 == 0)); then
            rm -f "$D/main.cf.tmp"
            ln "$D/main.cf" "$D/main.cf.tmp"
        fi
    done
    exec 8<&- 9>&-
    echo "# $trials kills (seed $seed): $nold left main.cf old, $nnew new, $bad torn or lost; $nfail failed edits" >&3
    echo "#   $nrand kills at random delays 0..${max}us, $((trials - nrand)) by strace on entry to a syscall" >&3
    echo "#   old main.cf with: no tmp $tnone, the earlier leftover untouched $tleft, an empty locked tmp $tempty, a partial tmp $tpart, a complete tmp $tfull ($rfull of these at random delays)" >&3
    for spec in "${specs[@]}"; do
        echo "#   strace kill on entry to $spec: ${at_old[$spec]:-0} old, ${at_new[$spec]:-0} new" >&3
    done
    echo "#   $nover edits started over a leftover main.cf.tmp ($nhard of them a hard link to main.cf); $nok ran to the end (exit 0, main.cf new)" >&3
    [ "$bad" = 0 ]
    [ "$nfail" = 0 ]
    [ "$nold" -gt 0 ]
    [ "$nnew" -gt 0 ]
    [ "$trials" -lt 9 ] || [ "$nhard" -gt 0 ]
    # Every strace kill at the rename left the old file and a complete
    # tmp file; every kill after it left the new one.
    [ "${at_new['/^rename(at2?)?$']:-0}" = 0 ]
    [ "${at_old['fsync:when=2']:-0}" = 0 ]
    [ "$trials" -lt 8 ] || [ "${at_old['/^rename(at2?)?$']:-0}" -gt 0 ]
    [ "$(stat -c %a "$D/main.cf")" = 600 ]
    # The next edit succeeds, by pfm-lock or by postconf, over a tmp
    # file that is a hard link to main.cf: main.cf is not truncated.
    cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    rm -f "$D/main.cf.tmp"
    ln "$D/main.cf" "$D/main.cf.tmp"
    "$LOCK" -c "$D" -e 'myhostname = changed.example' 'zz_new = added'
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/new"
    [ ! -e "$D/main.cf.tmp" ]
    cp "$BATS_TEST_TMPDIR/old" "$D/main.cf"
    ln "$D/main.cf" "$D/main.cf.tmp"
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
