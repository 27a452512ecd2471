#!/usr/bin/env bats
# t/pfm-parsecf.bats - pfm-parsecf against the real postconf, and its
# instance table (-T).  Uses the real postconf (no daemons, no root).
#
# Knobs: PFM_FUZZ_SEED (default 1, printed on failure),
# PFM_FUZZ_N (default 2000) for the differential test.

load helper

setup() {
    pfm_require_stage
    PARSECF=$PFM_LIBEXEC/pfm-parsecf
    T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/parsecf.XXXXXX")
}

teardown() {
    [ -n "${T:-}" ] && rm -rf -- "$T"
}

# mkconf DIR TEXT - a config directory with main.cf (printf format)
mkconf() {
    mkdir -p "$1"
    printf "$2" > "$1/main.cf"
    : > "$1/master.cf"
    pfm_backdate "$1/main.cf" "$1/master.cf"
}

# same DIR ARGS... - pfm-parsecf prints what postconf prints
same() {
    local d=$1
    shift
    local r1=0 r2=0
    "$POSTCONF" -c "$d" "$@" > "$T/o1" 2> "$T/e1" || r1=$?
    "$PARSECF" -c "$d" "$@" > "$T/o2" 2> "$T/e2" || r2=$?
    sed 's/^[^ ]*postconf: /PROG: /' "$T/e1" | sort > "$T/s1"
    sed 's/^pfm-parsecf: /PROG: /' "$T/e2" | sort > "$T/s2"
    if [ "$r1" != "$r2" ] || ! cmp -s "$T/o1" "$T/o2" ||
        ! cmp -s "$T/s1" "$T/s2"; then
        echo "differs: $* (rc $r1 vs $r2)"
        diff "$T/o1" "$T/o2"
        diff "$T/s1" "$T/s2"
        return 1
    fi
}

@test "query mode matches postconf on the documented examples" {
    pfm_require "$POSTCONF"
    mkconf "$T/d" 'relayhost = $aa\naa = ${bb?{x}:{y}}\nbb = 1\ncc = $zz\n'
    same "$T/d" -n
    same "$T/d" -xn
    same "$T/d" -h relayhost aa bb cc nosuch
    same "$T/d" -xh relayhost aa config_directory syslog_name
    same "$T/d" -xh relay_domains mydestination myorigin
    mkconf "$T/e" 'multi_instance_name = postfix-x\n  # c\n\n  y\n'
    same "$T/e" -xh syslog_name multi_instance_name
    mkconf "$T/f" ' x = 1\naa = 1\naa = 2\naa = 2\nbb = $aa\nrelayhost = $bb\n'
    same "$T/f" -n
    same "$T/f" -x bb relayhost
}

@test "query mode reports syntax errors like postconf" {
    pfm_require "$POSTCONF"
    mkconf "$T/a" 'aa = 1\nonlyname\n'
    same "$T/a" -n
    run "$PARSECF" -c "$T/a" -n
    [ "$status" -eq 1 ]
    [ "$output" = "pfm-parsecf: fatal: $T/a/main.cf, line 2: missing '=' after attribute name: \"onlyname\"" ]
    mkconf "$T/b" '= x\n'
    same "$T/b" -n
    mkconf "$T/c" 'relayhost = x$\n'
    same "$T/c" -h mail_version
    mkconf "$T/m" 'relayhost = $aa\naa = x $relayhost\n'
    same "$T/m" -h relayhost
    same "$T/nosuch" -n
    run "$PARSECF" -c "$T/nosuch" -n
    [ "$status" -eq 1 ]
    [ "$output" = "pfm-parsecf: fatal: open $T/nosuch/main.cf: No such file or directory" ]
}

@test "query mode expands relational and conditional forms like postconf" {
    pfm_require "$POSTCONF"
    local e
    for e in '${aa?x}' '${ee:x}' '${aa?{x}:{y}}' '${ee?{x} : {y}}' \
        '${ aa }' '${aa?{x}junk}' '${{1} == {1}}' '${{10} < {9}?{t}:{f}}' \
        '${{3.6} <level {3.10}?{t}:{f}}' '${{x} <level {1}?{t}:{f}}' \
        '${{1} =! {1}?{t}:{f}}' '${{1} == 1?{t}:{f}}' '$(aa(x))' '${a a}'; do
        mkconf "$T/r" "aa = 1\nee =\nrelayhost = $e\n"
        same "$T/r" -xh relayhost
    done
}

@test "-d prints the built-in defaults without reading main.cf" {
    pfm_require "$POSTCONF"
    mkconf "$T/d" 'aa = ${bb\n'
    same "$T/d" -d mail_version config_directory syslog_name \
        multi_instance_enable postmulti_stop_commands import_environment
    same "$T/d" -xd syslog_name myorigin
}

@test "unsupported postconf options are usage errors" {
    run "$PARSECF" -e 'relayhost = x'
    [ "$status" -eq 1 ]
    [[ "$output" == "pfm-parsecf: fatal: usage: "* ]]
    run "$PARSECF" -T -n
    [ "$status" -eq 1 ]
    [[ "$output" == "pfm-parsecf: fatal: usage: "* ]]
}

# fuzz_case DIR ARGS... - compare one generated case; 0 same, 1 not.
# postconf's results are already in DIR/o1, DIR/e1 and DIR/r1.
fuzz_case() {
    local d=$1 r1 r2
    shift
    r1=$(cat "$d/r1")
    cp "$d/o1" "$T/o1"
    cp "$d/e1" "$T/e1"
    # postconf itself crashes on some deep recursions: nothing to match.
    [ "$r1" -ge 128 ] && { crashed=$((crashed + 1)); return 0; }
    r2=0
    "$PARSECF" -c "$d" "$@" > "$T/o2" 2> "$T/e2" || r2=$?
    sed 's/^[^ ]*postconf: //' "$T/e1" > "$T/f1"
    sed 's/^pfm-parsecf: //' "$T/e2" > "$T/f2"
    # postconf visits main.cf in hash order, randomised per run: the
    # order of its warnings varies, and so does which warnings come
    # before a macro error stops it.  Compare warnings as a multiset,
    # and after a macro error only the fatal line.
    if [ "$(tail -n 1 "$T/f1")" = "fatal: macro processing error" ]; then
        tail -n 1 "$T/f1" > "$T/s1"
        tail -n 1 "$T/f2" > "$T/s2"
    else
        sort "$T/f1" > "$T/s1"
        sort "$T/f2" > "$T/s2"
    fi
    [ "$r1" = "$r2" ] && cmp -s "$T/o1" "$T/o2" || return 1
    cmp -s "$T/s1" "$T/s2" && return 0
    # The one known difference (pfm-parsecf(8), COMPATIBILITY): in a
    # run that succeeds, postconf may warn once more about a broken
    # branch nested deep inside a conditional.  Only such extra lines
    # of postconf's are let through, and they are counted.
    [ "$r1" = 0 ] || return 1
    [ -z "$(comm -13 "$T/s1" "$T/s2")" ] || return 1
    comm -23 "$T/s1" "$T/s2" |
        grep -qv -e ': empty macro name: ' -e ': ":" expected at: ' \
            -e ': truncated macro reference: ' && return 1
    known=$((known + 1))
    return 0
}

@test "differential: random main.cf files read like postconf reads them" {
    pfm_require "$POSTCONF" awk
    local seed=${PFM_FUZZ_SEED:-1}
    local n=${PFM_FUZZ_N:-2000} i args fails=0
    crashed=0 known=0
    mkdir "$T/c"
    for ((i = 1; i <= n; i++)); do
        mkdir "$T/c/$i"
        : > "$T/c/$i/master.cf"
    done
    awk -v seed="$seed" -v n="$n" -v dir="$T/c" \
        -f "$PFM_TOP/t/gen-maincf.awk" > "$T/cases"
    find "$T/c" -name '*.cf' -exec touch -d '2 hours ago' {} +
    # postconf sleeps a second before each fatal exit: run it in
    # parallel first, then pfm-parsecf (fast) one case at a time.
    while IFS=$'\t' read -r i args; do
        printf '%s\n' "$args" > "$T/c/$i/args"
        printf '%s\n' "$T/c/$i"
    done < "$T/cases" |
        xargs -P 64 -I{} sh -c 'r=0; "$1" -c "$2" $(cat "$2/args") \
            > "$2/o1" 2> "$2/e1" || r=$?; echo "$r" > "$2/r1"' \
            sh "$POSTCONF" {}
    while IFS=$'\t' read -r i args; do
        # shellcheck disable=SC2086 # args is a list of words
        if ! fuzz_case "$T/c/$i" $args; then
            fails=$((fails + 1))
            if [ "$fails" -le 3 ]; then
                echo "PFM_FUZZ_SEED=$seed case $i: args: $args"
                echo "--- main.cf (cat -A):"
                cat -A "$T/c/$i/main.cf"
                echo "--- stdout diff:"; diff "$T/o1" "$T/o2" || :
                echo "--- stderr diff:"; diff "$T/s1" "$T/s2" || :
            fi
        fi
    done < "$T/cases"
    echo "seed $seed: $n cases, $fails differ, $known with postconf's extra nested-branch warning, $crashed postconf crashes"
    [ "$fails" -eq 0 ]
}

# --- batch mode (-T): the instance table ---

@test "-T with only a primary prints its G and I records" {
    mkconf "$T/p" 'multi_instance_enable = yes\nmulti_instance_wrapper = ${command_directory}/postmulti -p --\n'
    run "$PARSECF" -c "$T/p" -T multi_instance_wrapper syslog_name
    [ "$status" -eq 0 ]
    local tab=$'\t'
    [ "${lines[0]}" = "G${tab}=multi_instance_wrapper${tab}=/usr/sbin/postmulti -p --" ]
    [ "${lines[1]}" = "G${tab}=syslog_name${tab}=postfix" ]
    [ "${lines[2]}" = "I${tab}=ok${tab}=$T/p${tab}=$T/p${tab}=/var/spool/postfix${tab}=/var/lib/postfix${tab}=${tab}=${tab}=yes${tab}=/usr/sbin${tab}=/usr/lib/postfix/sbin${tab}=" ]
    [ "${#lines[@]}" -eq 3 ]
}

@test "-T lists secondaries in order, splitting on commas and blanks, duplicates kept" {
    mkconf "$T/p" "multi_instance_directories = $T/s1, ,$T/s2\t$T/s3,,$T/s1\n"
    mkconf "$T/s1" 'multi_instance_name = postfix-s1\nqueue_directory = /q/$multi_instance_name\nmulti_instance_enable = $e\ne = YES\n'
    mkconf "$T/s2" 'multi_instance_group = g\n'
    mkconf "$T/s3" ''
    run "$PARSECF" -c "$T/p" -T
    [ "$status" -eq 0 ]
    local tab=$'\t'
    [ "${#lines[@]}" -eq 5 ]
    [ "${lines[1]}" = "I${tab}=ok${tab}=$T/s1${tab}=$T/s1${tab}=/q/postfix-s1${tab}=/var/lib/postfix${tab}=postfix-s1${tab}=${tab}=YES${tab}=/usr/sbin${tab}=/usr/lib/postfix/sbin${tab}=" ]
    [[ "${lines[2]}" == "I${tab}=ok${tab}=$T/s2${tab}="*"${tab}=g${tab}=no${tab}="* ]]
    [[ "${lines[3]}" == "I${tab}=ok${tab}=$T/s3${tab}="* ]]
    [ "${lines[4]}" = "${lines[1]}" ]
}

@test "-T values equal postconf -xh for every instance" {
    pfm_require "$POSTCONF"
    mkconf "$T/p" "multi_instance_directories = $T/s1 $T/s2\nqueue_directory = /qq\n"
    mkconf "$T/s1" 'config_directory = /elsewhere\ndata_directory = ${queue_directory}-d\nmulti_instance_group = a  b\n'
    mkconf "$T/s2" 'multi_instance_name = ${{1} < {2} ? {p-1} : {p-2}}\n'
    run "$PARSECF" -c "$T/p" -T
    [ "$status" -eq 0 ]
    local i=0 d want got
    for d in "$T/p" "$T/s1" "$T/s2"; do
        want=$(printf '=%s\t' "$("$POSTCONF" -c "$d" -xh config_directory queue_directory data_directory multi_instance_name multi_instance_group multi_instance_enable command_directory daemon_directory | tr '\n' '\t' | sed 's/\t/\t=/g; s/\t=$//')")
        got=$(printf '%s\n' "${lines[$i]}" | cut -f4-11)
        [ "$got" = "${want%?}" ]
        i=$((i + 1))
    done
}

@test "-T marks a missing secondary bad and prints the others" {
    mkconf "$T/p" "multi_instance_directories = $T/gone $T/s1\n"
    mkconf "$T/s1" ''
    run "$PARSECF" -c "$T/p" -N postmulti -T
    [ "$status" -eq 0 ]
    local tab=$'\t'
    [ "${lines[1]}" = "I${tab}=bad${tab}=$T/gone${tab}=${tab}=${tab}=${tab}=${tab}=${tab}=${tab}=${tab}=${tab}=open $T/gone/main.cf: No such file or directory" ]
    [[ "${lines[2]}" == "I${tab}=ok${tab}=$T/s1${tab}"* ]]
}

@test "-T marks a corrupt secondary bad with postconf's text" {
    mkconf "$T/p" "multi_instance_directories = $T/s1 $T/s2 $T/s3\n"
    mkconf "$T/s1" 'aa = 1\nrelay host = 1\n'
    mkconf "$T/s2" 'relayhost = ${aa\n'
    mkconf "$T/s3" ''
    run "$PARSECF" -c "$T/p" -T
    [ "$status" -eq 0 ]
    local tab=$'\t' e=$'\t=\t=\t=\t=\t=\t=\t=\t='
    [ "${lines[1]}" = "I${tab}=bad${tab}=$T/s1${e}${tab}=$T/s1/main.cf, line 2: missing '=' after attribute name: \"relay host = 1\"" ]
    [ "${lines[2]}" = "I${tab}=bad${tab}=$T/s2${e}${tab}=macro processing error" ]
    [[ "${lines[3]}" == "I${tab}=ok${tab}=$T/s3${tab}"* ]]
    # The corrupt files are untouched.
    [ "$(cat "$T/s1/main.cf")" = "$(printf 'aa = 1\nrelay host = 1')" ]
}

@test "-T refuses control characters in values and reasons" {
    mkconf "$T/p" "multi_instance_directories = $T/s1 $T/s2\n"
    mkconf "$T/s1" 'data_directory = a\vb\n'
    mkconf "$T/s2" 'x\fy = 1\nbad\vline\n'
    run "$PARSECF" -c "$T/p" -T
    [ "$status" -eq 0 ]
    local tab=$'\t' e=$'\t=\t=\t=\t=\t=\t=\t=\t='
    [ "${lines[1]}" = "I${tab}=bad${tab}=$T/s1${e}${tab}=$T/s1/main.cf: unsafe character in data_directory value" ]
    [ "${lines[2]}" = "I${tab}=bad${tab}=$T/s2${e}${tab}=$T/s2/main.cf, line 1: missing '=' after attribute name: \"x?y = 1\"" ]
    # No control character anywhere but the TAB separators.
    ! printf '%s\n' "$output" | tr -d '\t' | grep -q '[[:cntrl:]]'
}

@test "-T: primary problems are fatal under the -N name" {
    run "$PARSECF" -c "$T/none" -N postmulti -T
    [ "$status" -eq 1 ]
    [ "$output" = "postmulti: fatal: open $T/none/main.cf: No such file or directory" ]
    mkconf "$T/p" 'aa = 1\nbroken\n'
    run "$PARSECF" -c "$T/p" -N postmulti -T
    [ "$status" -eq 1 ]
    [ "$output" = "postmulti: fatal: $T/p/main.cf, line 2: missing '=' after attribute name: \"broken\"" ]
    mkconf "$T/q" 'relayhost = x$\n'
    run "$PARSECF" -c "$T/q" -N postmulti -T
    [ "$status" -eq 1 ]
    [ "$output" = "postmulti: fatal: macro processing error" ]
    mkconf "$T/u" 'multi_instance_wrapper = a\vb\n'
    run "$PARSECF" -c "$T/u" -T multi_instance_wrapper
    [ "$status" -eq 1 ]
    [ "$output" = "pfm-parsecf: fatal: $T/u/main.cf: unsafe character in multi_instance_wrapper value" ]
}

@test "-T reads 1000 instances in one call quickly" {
    local i list=
    for ((i = 0; i < 1000; i++)); do
        mkdir -p "$T/s$i"
        printf 'multi_instance_name = postfix-%d\nqueue_directory = /q/%d\n' "$i" "$i" > "$T/s$i/main.cf"
        list="$list $T/s$i"
    done
    mkconf "$T/p" "multi_instance_directories =$list\n"
    run "$PARSECF" -c "$T/p" -T
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq 1001 ]
    [[ "${lines[1000]}" == *"=postfix-999"* ]]
}
