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
