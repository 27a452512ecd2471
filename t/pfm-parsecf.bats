#!/usr/bin/env bats
# t/pfm-parsecf.bats - pfm-parsecf against the real postconf, and its
# instance table (-T).  Uses the real postconf (no daemons, no root).
#
# Knobs: PFM_FUZZ_SEED (default 1, printed on failure),
# PFM_FUZZ_N (default 2000) for the differential test; PFM_VALGRIND=1
# (set by t/run) compares one case in three where a test has many.

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

# vg_sample - under valgrind (PFM_VALGRIND=1), true for the 1st, 4th,
# 7th... call in a test: each valgrind run costs about half a second,
# and the plain and ASan runs compare every case
vg_sample() {
    [ -z "${PFM_VALGRIND:-}" ] && return 0
    VG_N=$((${VG_N:-0} + 1))
    [ $((VG_N % 3)) = 1 ]
}

# same DIR ARGS... - pfm-parsecf prints what postconf prints (one call
# in three under valgrind: vg_sample)
same() {
    vg_sample || return 0
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

@test "after a macro error, the rest of the value is walked like postconf" {
    pfm_require "$POSTCONF"
    local e='${{1} == {2} junk}' v
    # A later truncated or empty reference is still reported, $name is
    # passed over, and the next complete ${...} ends the walk silently.
    for v in "$e \$"$'\t' "$e \${" "$e \$cc \$"$'\t' "$e \${} \$"$'\t' \
        "\${cc?{$e}:{x \$"$'\t'"}}" "\${cc?{$e}:{x \${cc}}} \$"$'\t' \
        "\${cc?{$e} junk4} \$"$'\t' "\${cc?$e \$"$'\t'"} \$"$'\t' \
        "\${cc:{$e}\${cc}}" "\${{$e} == {\$dd}}" "\${{$e} == {$e} junk3}" \
        "\${cc?{\$"$'\t'"}} \${"; do
        mkconf "$T/w" "aa = $v\n"
        same "$T/w" -n
        mkconf "$T/w" "relayhost = $v\n"
        same "$T/w" -xh relayhost
    done
}

@test "database tables make their settings known, like postconf" {
    pfm_require "$POSTCONF"
    local v set
    set='aa_server_host = 1\nbb_hosts = 2\ncc_dbpath = 3\ndd_ttl = 4\nee_bogus = 5\nfo.o_tls_CAfile = 6\n'
    for v in 'ldap:aa' 'proxy:ldap:aa, mysql:bb' 'proxy:proxy:sqlite:cc' \
        'memcache:dd {ldap:aa}' 'a:{pgsql:bb}' 'ldap:ee' 'mysql:fo.o' \
        'ldap:./aa' 'LDAP:aa' 'x{ldap:aa}' 'proxy:{ldap:aa}'; do
        mkconf "$T/t" "alias_maps = $v\n$set"
        same "$T/t" -n
        same "$T/t" aa_server_host bb_hosts cc_dbpath dd_ttl ee_bogus
    done
    # Only built-in parameters that main.cf sets are searched, after
    # expansion.
    mkconf "$T/u" "myorigin = \$xx\nxx = ldap:aa\nyy = ldap:bb\n$set"
    same "$T/u" -n
    mkconf "$T/v" "virtual_maps = ldap:aa\nsmtpd_restriction_classes = zz\nzz = ldap:bb\n$set"
    same "$T/v" -n
}

@test "inline tables with bad braces get postconf's warnings" {
    pfm_require "$POSTCONF"
    local v
    for v in '{x}y' '{x y' '{x y} z' '{{x}y}' 'a:{x}y' 'proxy:a:{x}y' \
        'proxy:{x}y' 'a:b:{x}y' '{{{' 'a}b {x}}' '{x}y,{x}z' '{}' \
        '${cc:{{x}y}}'; do
        mkconf "$T/b" "myorigin = $v\n"
        same "$T/b" -n
    done
}

@test "TYPE:/path settings files are read like postconf reads them" {
    pfm_require "$POSTCONF"
    local c
    mkdir -p "$T/db"
    for c in 'server_host = 1\nbogus = $x\n' 'a = 1\na = 2\n' ' x = 1\n' \
        '= x\n' 'onlyname\n' 'hosts = 1\r\nquery = ${\n' ''; do
        printf "$c" > "$T/db/l.cf"
        mkconf "$T/f" "alias_maps = ldap:$T/db/l.cf mysql:$T/db/l.cf\nmyorigin = ldap:$T/db/l.cf\n"
        same "$T/f" -n
    done
    mkconf "$T/g" "alias_maps = ldap:/nonexistent/x.cf, pgsql:$T/db\n"
    same "$T/g" -n
    # An unreadable file is passed over without a word.
    pfm_require_root
    pfm_require setpriv
    chmod 000 "$T/db/l.cf"
    mkconf "$T/f" "alias_maps = ldap:$T/db/l.cf\n"
    chmod 755 "$T"
    local r1=0 r2=0 as="setpriv --reuid=nobody --regid=nogroup --clear-groups"
    $as "$POSTCONF" -c "$T/f" -n > "$T/o1" 2>&1 || r1=$?
    $as "$PARSECF" -c "$T/f" -n > "$T/o2" 2>&1 || r2=$?
    sed -i 's/^[^ ]*postconf: /PROG: /' "$T/o1"
    sed -i 's/^pfm-parsecf: /PROG: /' "$T/o2"
    diff "$T/o1" "$T/o2"
    [ "$r1" = 0 ] && [ "$r2" = 0 ]
    grep -q "^alias_maps = ldap:$T/db/l.cf" "$T/o2"
}

@test "names that built-in defaults refer to are known, like postconf" {
    pfm_require "$POSTCONF"
    mkconf "$T/l" ''
    same "$T/l" -d virtual_maps
    same "$T/l" -xh fallback_relay virtual_maps smtpd_per_record_deadline
    same "$T/l" -n virtual_maps
    mkconf "$T/l" 'virtual_maps = $fallback_relay\nsmtpd_client_connection_limit_exceptions = x\ntlsproxy_client_policy = y\nhome = 1\nrbl_code = 2\n'
    same "$T/l" -n
    same "$T/l" -xn
    same "$T/l" -x virtual_maps home
}

@test "deliberate differences (pfm-parsecf(8) COMPATIBILITY)" {
    pfm_require "$POSTCONF"
    # The build host's master.cf services are not built in: with an
    # empty master.cf their parameters are unknown (t/build.bats).
    mkconf "$T/m" ''
    run "$PARSECF" -c "$T/m" -h relay_destination_concurrency_limit
    [ "$status" -eq 0 ]
    [ "$output" = 'pfm-parsecf: warning: relay_destination_concurrency_limit: unknown parameter' ]
    # process_id is the helper's own.
    run "$PARSECF" -c "$T/m" -h process_id
    [ "$status" -eq 0 ]
    [[ "$output" =~ ^[0-9]+$ ]]
    # The two texts of a macro error in the parameters postconf reads
    # first and in the rest; which one wins when both are broken
    # depends on postconf's random walk order, so only each alone.
    mkconf "$T/e" 'myhostname = ${x\n'
    same "$T/e" -n
    run "$PARSECF" -c "$T/e" -n
    [ "${lines[${#lines[@]}-1]}" = 'pfm-parsecf: fatal: dictionary mail_dict: macro processing error' ]
    mkconf "$T/e" 'relayhost = ${x\n'
    same "$T/e" -n
    run "$PARSECF" -c "$T/e" -n
    [ "${lines[${#lines[@]}-1]}" = 'pfm-parsecf: fatal: macro processing error' ]
    # Where postconf crashes on a recursion, pfm-parsecf reports it.
    mkconf "$T/r" 'compatibility_level = $relay_domains$$10\n'
    local r=0
    "$POSTCONF" -c "$T/r" -n > /dev/null 2>&1 || r=$?
    [ "$r" -ge 128 ]
    run "$PARSECF" -c "$T/r" -n
    [ "$status" -eq 1 ]
    [[ "${lines[0]}" == 'pfm-parsecf: warning: unreasonable macro call nesting: '* ]]
    [ "${lines[${#lines[@]}-1]}" = 'pfm-parsecf: fatal: macro processing error' ]
    # Relational forms nested 1000 deep: postconf has no limit there,
    # pfm-parsecf stops at 1000 nested texts.
    mkconf "$T/n" "relayhost = $(deep r 999)\n"
    run -0 "$POSTCONF" -c "$T/n" -xh relayhost
    [ "$output" = "" ]
    run -0 "$PARSECF" -c "$T/n" -xh relayhost
    [ "$output" = "" ]
    mkconf "$T/n" "relayhost = $(deep r 1000)\n"
    run -0 "$POSTCONF" -c "$T/n" -xh relayhost
    [ "$output" = "" ]
    run -1 "$PARSECF" -c "$T/n" -xh relayhost
    [[ "${lines[0]}" == 'pfm-parsecf: warning: unreasonable macro call nesting: '* ]]
    [ "${lines[${#lines[@]}-1]}" = 'pfm-parsecf: fatal: macro processing error' ]
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

@test "-d with -n is postconf's fatal error, after the other options" {
    pfm_require "$POSTCONF"
    mkconf "$T/d" 'relayhost = x
'
    same "$T/d" -d -n
    same "$T/d" -n -d -x myhostname
    same "$T/d" -dn
    run -1 "$PARSECF" -d -n -Z
    [[ "$output" == "pfm-parsecf: fatal: usage: "* ]]
}

@test "a main.cf that is a directory: postconf's message (read, not open)" {
    pfm_require "$POSTCONF"
    mkdir -p "$T/dd/main.cf"
    : >"$T/dd/master.cf"
    same "$T/dd" -n
    run -1 "$PARSECF" -c "$T/dd" -n
    [ "$output" = "pfm-parsecf: fatal: read $T/dd/main.cf: Is a directory" ]
}

@test "smtpd_restriction_classes names that are neither set nor built in: postconf's warnings" {
    pfm_require "$POSTCONF"
    local v
    for v in 'foo' 'a$b' 'foo, foo bar' 'a.b x:y {x}' '$foo\nfoo = bar' 'relayhost myhostname' \
        'x\nx_y = 1' 'defined\ndefined = 1'; do
        mkconf "$T/d" "myhostname = h.example\nsmtpd_restriction_classes = $v\n"
        same "$T/d" -n
        same "$T/d" -xh myhostname
    done
}

@test "differential: random main.cf files read like postconf reads them" {
    pfm_require "$POSTCONF" awk
    local seed=${PFM_FUZZ_SEED:-1}
    local n=${PFM_FUZZ_N:-2000} i args d fails=0 crashed reordered
    mkdir "$T/c"
    (cd "$T/c" && seq 1 "$n" | xargs mkdir)
    for ((i = 1; i <= n; i++)); do
        : > "$T/c/$i/master.cf"
    done
    awk -v seed="$seed" -v n="$n" -v dir="$T/c" \
        -f "$PFM_TOP/t/gen-maincf.awk" > "$T/cases"
    find "$T/c" -name '*.cf' -exec touch -d '2 hours ago' {} +
    # postconf sleeps a second before each fatal exit: run it, then
    # pfm-parsecf, in parallel; compare everything in one awk
    # (t/cmp-cases.awk says what counts as equal).
    while IFS=$'\t' read -r i args; do
        printf '%s\n' "$args" > "$T/c/$i/args"
        printf '%s\n' "$T/c/$i"
    done < "$T/cases" > "$T/dirs"
    xargs -P 64 -I{} sh -c 'r=0; "$1" -c "$2" $(cat "$2/args") \
        > "$2/o1" 2> "$2/e1" || r=$?; echo "$r" > "$2/r1"' \
        sh "$POSTCONF" {} < "$T/dirs"
    xargs -P 4 -I{} sh -c 'r=0; "$1" -c "$2" $(cat "$2/args") \
        > "$2/o2" 2> "$2/e2" || r=$?; echo "$r" > "$2/r2"' \
        sh "$PARSECF" {} < "$T/dirs"
    awk -v dir="$T/c" -f "$PFM_TOP/t/cmp-cases.awk" "$T/cases" > "$T/cmp"
    crashed=$(awk '$1 == "crashed" { print $2 }' "$T/cmp")
    reordered=$(awk '$1 == "reordered" { print $2 }' "$T/cmp")
    for i in $(awk '$1 == "bad" { print $2 }' "$T/cmp"); do
        fails=$((fails + 1))
        [ "$fails" -le 3 ] || continue
        d=$T/c/$i
        echo "PFM_FUZZ_SEED=$seed case $i: args: $(cat "$d/args")" \
            "(exit $(cat "$d/r1") vs $(cat "$d/r2"))"
        echo "--- main.cf (cat -A):"
        cat -A "$d/main.cf"
        echo "--- stdout diff:"; diff "$d/o1" "$d/o2" || :
        echo "--- stderr diff (sorted):"
        diff <(sed 's/^[^ ]*postconf: //' "$d/e1" | sort) \
            <(sed 's/^pfm-parsecf: //' "$d/e2" | sort) || :
    done
    echo "seed $seed: $n cases, $fails differ, $crashed postconf crashes, $reordered stopped by another error"
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
    [ "${lines[0]}" = 'postmulti: warning: empty macro name: "x$"' ]
    [ "${lines[1]}" = "postmulti: fatal: dictionary mail_dict: macro processing error" ]
    [ "${#lines[@]}" -eq 2 ]
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

# --- bounded time and memory (issue 14, defect 7) ---

# deep FORM N - a relayhost value nested N deep (printed on stdout)
deep() {
    awk -v f="$1" -v n="$2" 'BEGIN {
        if (f == "q") { o = "${a?"; m = "x"; c = "}" }
        else if (f == "c") { o = "${a:"; m = "x"; c = "}" }
        else if (f == "b") { o = "${a?{"; m = "x"; c = "}}" }
        else if (f == "r") { o = "${{"; m = "x"; c = "} == {y}}" }
        else if (f == "t") { o = "${{x} == {x} ? {"; m = "x"; c = "}}" }
        else if (f == "p") { o = "$("; m = "a"; c = ")" }
        else if (f == "l") { o = "$a"; m = ""; c = "" }
        for (i = 0; i < n; i++) printf "%s", o
        printf "%s", m
        for (i = 0; i < n; i++) printf "%s", c
        print ""
    }'
}

# same_all - every "DIR ARGS..." line of $T/runs (one in three under
# valgrind): same as postconf.
# postconf sleeps a second before a fatal exit: run them all at once.
same_all() {
    mkdir -p "$T/out"
    # under valgrind, one line in three (see vg_sample)
    awk -v s="${PFM_VALGRIND:+3}" '!s || NR % s == 1 { print NR, $0 }' \
        "$T/runs" > "$T/runs.n"
    xargs -P 64 -L 1 sh -c 'o=$1/$2; d=$3; shift 3; r=0
        "$0" -c "$d" "$@" > "$o.o1" 2> "$o.e1" || r=$?; echo "$r" > "$o.r1"' \
        "$POSTCONF" "$T/out" < "$T/runs.n"
    local n d args r2 o fails=0
    while read -r n d args; do
        o=$T/out/$n r2=0
        # shellcheck disable=SC2086 # args is a list of words
        "$PARSECF" -c "$d" $args > "$o.o2" 2> "$o.e2" || r2=$?
        if [ "$(cat "$o.r1")" != "$r2" ] || ! cmp -s "$o.o1" "$o.o2" ||
            ! cmp -s <(sed 's/^[^ ]*postconf: /PROG: /' "$o.e1" | sort) \
                <(sed 's/^pfm-parsecf: /PROG: /' "$o.e2" | sort); then
            fails=$((fails + 1))
            echo "differs: $d $args (rc $(cat "$o.r1") vs $r2)"
            diff "$o.e1" "$o.e2" | cut -c1-200 | head -5
        fi
    done < "$T/runs.n"
    [ "$fails" -eq 0 ]
}

@test "macro nesting errors match postconf at modest depths, for every form" {
    pfm_require "$POSTCONF"
    local f n v i=0 n101 depths='2 99 100 101 102 150'
    # Under valgrind each run costs half a second: the limit only.
    [ -z "${PFM_VALGRIND:-}" ] || depths='100 101'
    : > "$T/runs"
    for f in q c b r t p; do
        for n in $depths; do
            mkconf "$T/$f$n" "a = 1\nrelayhost = $(deep "$f" "$n")\n"
            printf '%s -xh relayhost\n%s -n\n' "$T/$f$n" "$T/$f$n" >> "$T/runs"
        done
    done
    # After the limit, later pieces of the same expansion warn again
    # only while the level stays raised, as in postconf.
    n101=$(deep q 101)
    for v in 'relayhost = $aa t1\naa = x $relayhost $relayhost t2\n' \
        'relayhost = $aa t1 $aa\naa = $relayhost t2 ${relayhost}\n' \
        'relayhost = $aa t1\naa = x ${relayhost} t2\n' \
        "a = 1\nrelayhost = \${a?{$n101}} tail \$a z\n" \
        "a = 1\nrelayhost = \${{$n101} == {x}?{t}:{f}} tail \${a} \$a\n" \
        "a = 1\nrelayhost = $(deep c 102) \$a\n"; do
        i=$((i + 1))
        mkconf "$T/k$i" "$v"
        printf '%s -xh relayhost\n' "$T/k$i" >> "$T/runs"
    done
    same_all
}

@test "nesting 100,000 deep costs linear memory and a bounded stack, in every form" {
    local f v lim=
    # The limits would stop a quadratic or deeply recursive walker;
    # sanitizers and valgrind need more address space than that.
    [ -n "${ASAN_OPTIONS:-}${PFM_VALGRIND:-}" ] || lim='ulimit -v 200000; ulimit -s 1024;'
    for f in q c b r t p l; do
        mkconf "$T/$f" "a = 1\nrelayhost = $(deep "$f" 100000)\n"
    done
    # A chain of 20,000 parameters, and one whose expansion doubles
    # at each of 60 steps.
    awk 'BEGIN { print "relayhost = $p0"; for (i = 0; i < 20000; i++) printf "p%d = $p%d\n", i, i + 1 }' > "$T/h.cf"
    mkconf "$T/h" "$(cat "$T/h.cf")\n"
    awk 'BEGIN { print "relayhost = $p0"; for (i = 0; i < 60; i++) printf "p%d = $p%d$p%d\n", i, i + 1, i + 1; print "p60 = x" }' > "$T/x.cf"
    mkconf "$T/x" "$(cat "$T/x.cf")\n"
    local forms='q c b r t p l h x'
    [ -z "${PFM_VALGRIND:-}" ] || forms='q r h x'
    for f in $forms; do
        run -0 sh -c "$lim \"\$1\" -c \"\$2\" -xh relayhost >/dev/null 2>\"\$2/err\"; echo \$?" sh "$PARSECF" "$T/$f"
        case $f in
        c | l) [ "$output" = 0 ] ;;
        *) [ "$output" = 1 ]
           [ "$(tail -n 1 "$T/$f/err")" = "pfm-parsecf: fatal: macro processing error" ] ;;
        esac
    done
    grep -q '^pfm-parsecf: warning: unreasonable macro call nesting: ' "$T/q/err"
    grep -q '^pfm-parsecf: warning: unreasonable macro call nesting: ' "$T/r/err"
    [ "$(head -n 1 "$T/x/err")" = "pfm-parsecf: warning: $T/x/main.cf: macro expansion too large" ]
    # In batch mode such secondaries are bad, the healthy one is listed.
    mkconf "$T/ok" ''
    mkconf "$T/p" "multi_instance_directories = $T/q $T/r $T/h $T/x $T/ok\n"
    run -0 sh -c "$lim \"\$1\" -c \"\$2\" -N postmulti -T" sh "$PARSECF" "$T/p"
    local tab=$'\t' e=$'\t=\t=\t=\t=\t=\t=\t=\t='
    [ "${lines[1]}" = "I${tab}=bad${tab}=$T/q${e}${tab}=macro processing error" ]
    [ "${lines[2]}" = "I${tab}=bad${tab}=$T/r${e}${tab}=macro processing error" ]
    [ "${lines[3]}" = "I${tab}=bad${tab}=$T/h${e}${tab}=macro processing error" ]
    [ "${lines[4]}" = "I${tab}=bad${tab}=$T/x${e}${tab}=macro processing error" ]
    [[ "${lines[5]}" == "I${tab}=ok${tab}=$T/ok${tab}"* ]]
    [ "${#lines[@]}" -eq 6 ]
    # A primary with such a value fails as postmulti does.
    run -1 sh -c "$lim \"\$1\" -c \"\$2\" -N postmulti -T" sh "$PARSECF" "$T/q"
    [ "${lines[${#lines[@]}-1]}" = "postmulti: fatal: dictionary mail_dict: macro processing error" ]
}

# --- the primary as postmulti reads it (issue 14, defects 3 and 6) ---

@test "-T: the primary's directory is the one read, not its config_directory" {
    local tab=$'\t' d
    for d in /tmp/elsewhere /etc/postfix/ '$queue_directory'; do
        mkconf "$T/p" "config_directory = $d\ndata_directory = \$config_directory/d\n"
        run -0 --separate-stderr "$PARSECF" -c "$T/p" -T
        [ "$stderr" = "" ]
        # The directory, then config_directory: both the one read;
        # other values still see main.cf's config_directory.
        [[ "${lines[0]}" == "I${tab}=ok${tab}=$T/p${tab}=$T/p${tab}="*"${tab}=${d/\$queue_directory//var/spool/postfix}/d${tab}"* ]]
    done
    # Through MAIL_CONFIG too.
    MAIL_CONFIG=$T/p run -0 --separate-stderr "$PARSECF" -T
    [[ "${lines[0]}" == "I${tab}=ok${tab}=$T/p${tab}=$T/p${tab}"* ]]
}

@test "staged postmulti -x and -l use the directory read, not config_directory" {
    [ -x "$PFM_SBIN/postmulti" ] || pfm_skip "no staged postmulti"
    mkconf "$T/p" 'config_directory = /tmp/elsewhere/\n'
    PFM_SYSLOG=no run -0 --separate-stderr "$PFM_SBIN/postmulti" -c "$T/p" \
        -x sh -c 'printf "%s\n" "$MAIL_CONFIG" "$config_directory"'
    [ "${lines[0]}" = "$T/p" ]
    [ "${lines[1]}" = "$T/p" ]
    [ "${#lines[@]}" -eq 2 ]
    PFM_SYSLOG=no run -0 --separate-stderr "$PFM_SBIN/postmulti" -c "$T/p" -l
    [ "$output" = "-               -               y         $T/p" ]
}

# pm_cases - one main.cf per line ('|' separates lines): start-up checks
pm_cases() {
    cat <<'EOF2'
default_process_limit = abc
default_process_limit = 0
default_process_limit = 0x10
default_process_limit = 2147483648
default_process_limit = +5
line_length_limit = 1
lmdb_map_size = 2147483648
lmdb_map_size = 9223372036854775808
message_size_limit = 10k
daemon_timeout = 5q
daemon_timeout = 0
daemon_timeout = d
daemon_timeout = -1
daemon_timeout = 5 s
daemon_timeout = 5sx
daemon_timeout = 3000w
in_flow_delay = 1w
soft_bounce = true
soft_bounce = YES
multi_instance_enable = maybe
setgid_group =
setgid_group = nosuchgroup
setgid_group = root
setgid_group = postfix
mail_owner = nosuchuser
mail_owner = root
mail_owner = nobody
default_privs = root
mail_owner = nobody|default_privs = daemon
default_verp_delimiters = +
default_verp_delimiters = +=x
default_verp_delimiters = x=
verp_delimiter_filter = +
myhostname = bad..host
myhostname = -a.b
myhostname = a.b.
myhostname = 1.2.3.4
myhostname = a_b.c
mydomain = 0
maillog_file = /tmp/x
maillog_file = /varx
maillog_file = /tmp/x|maillog_file_prefixes = /var , /tmp
syslog_facility = LOCAL0
syslog_facility = local7
inet_protocols = IPv4
inet_protocols = all ipv4
mynetworks_style = HOST
mynetworks_style = host subnet
compatibility_level = 3.x
compatibility_level = ${x
mail_name = ${x
relayhost = ${x
smtpd_banner = ${x
queue_directory =
mail_version =
default_process_limit = $nosuch
EOF2
}

@test "-T checks the primary as real postmulti does at start-up" {
    pfm_require_root
    pfm_require unshare script "$POSTMULTI_REAL"
    local i=0 line
    mkdir "$T/c"
    while IFS= read -r line; do
        i=$((i + 1))
        mkdir "$T/c/$i"
        printf '%s\n' "$line" | tr '|' '\n' > "$T/c/$i/main.cf"
        : > "$T/c/$i/master.cf"
        printf '%s\n' "$T/c/$i"
    done < <(pm_cases | awk -v s="${PFM_VALGRIND:+3}" '!s || NR % s == 1') > "$T/dirs"
    pfm_backdate "$T"/c/*/*.cf
    # (Under valgrind, every third case.)
    # Real postmulti reads only /etc/postfix: bind each case there in
    # a private mount namespace; it sleeps a second before a fatal
    # exit, so all cases run at once.
    xargs -P 64 -I{} unshare -m --propagation private sh -c '
        mount --bind "$1" /etc/postfix || exit 1
        script -qec "$2 -l" /dev/null > "$1/real" 2>&1
        echo $? > "$1/rc1"' sh {} "$POSTMULTI_REAL" < "$T/dirs"
    xargs -P 4 -I{} sh -c 'r=0; "$1" -c "$2" -N postmulti -T > /dev/null \
        2> "$2/pfm" || r=$?; echo "$r" > "$2/rc2"' sh "$PARSECF" {} < "$T/dirs"
    local d fails=0 a b r2
    while IFS= read -r d; do
        r2=$(cat "$d/rc2")
        a=$(tr -d '\r' < "$d/real" | grep -a '^postmulti: ' | sed "s|/etc/postfix/main.cf|MAIN|")
        # Under valgrind, the C library's own "possibly lost" blocks
        # (NSS modules) are reported at exit; errors still exit 99.
        b=$(grep -v '^==[0-9]*==' "$d/pfm" | sed "s|$d/main.cf|MAIN|")
        if [ "$a" != "$b" ] || [ "$(cat "$d/rc1")" != "$r2" ]; then
            fails=$((fails + 1))
            echo "case $(tr '\n' '|' < "$d/main.cf"): rc $(cat "$d/rc1") vs $r2"
            echo "  real: $a"
            echo "  pfm:  $b"
        fi
    done < "$T/dirs"
    [ "$fails" -eq 0 ]
    # The issue's cases, pinned.
    mkconf "$T/q" 'daemon_timeout = 5q\n'
    run -1 "$PARSECF" -c "$T/q" -N postmulti -T
    [ "$output" = "postmulti: fatal: parameter daemon_timeout: bad time value or unit: 5q" ]
    mkconf "$T/q" 'setgid_group =\n'
    run -1 "$PARSECF" -c "$T/q" -N postmulti -T
    [ "$output" = "postmulti: fatal: bad string length 0 < 1: setgid_group = " ]
    mkconf "$T/q" 'smtpd_banner = ${x\n'
    run -0 "$PARSECF" -c "$T/q" -N postmulti -T
    # Run-time host defaults (hostdefaults.c) make these two checks
    # postmulti's too: inet_interfaces is looked up, and mydomain is
    # derived from myhostname.
    mkconf "$T/q" 'inet_interfaces = no.such.host.invalid\n'
    run -1 "$PARSECF" -c "$T/q" -N postmulti -T
    [ "$output" = "postmulti: fatal: config variable inet_interfaces: host not found: no.such.host.invalid" ]
    mkconf "$T/q" 'myhostname = a.1\n'
    run -1 "$PARSECF" -c "$T/q" -N postmulti -T
    [ "${lines[1]}" = "postmulti: fatal: file $T/q/main.cf: parameter mydomain: bad parameter value: 1" ]
}

@test "-T start-up checks that differ from postmulti (pfm-parsecf(8) COMPATIBILITY)" {
    # postmulti warns about the primary's syntax; batch mode does not.
    mkconf "$T/q" 'soft_bounce = no\nsoft_bounce = yes\n'
    run -0 --separate-stderr "$PARSECF" -c "$T/q" -N postmulti -T
    [ "$stderr" = "" ]
    # Secondaries are still read as postconf reads them.
    mkconf "$T/s" 'smtpd_banner = ${x\n'
    mkconf "$T/p" "multi_instance_directories = $T/s\n"
    run -0 "$PARSECF" -c "$T/p" -N postmulti -T
    [[ "${lines[1]}" == *"=macro processing error" ]]
}

@test "a FIFO at main.cf or master.cf is refused at once, not read (COMPATIBILITY)" {
    mkdir -p "$T/f"
    mkfifo "$T/f/main.cf"
    : >"$T/f/master.cf"
    run -1 timeout 10 "$PARSECF" -c "$T/f" -n
    [ "$output" = "pfm-parsecf: fatal: open $T/f/main.cf: Invalid argument" ]
    rm "$T/f/main.cf"
    printf 'x = 1\n' >"$T/f/main.cf"
    rm "$T/f/master.cf"
    mkfifo "$T/f/master.cf"
    run timeout 10 "$PARSECF" -c "$T/f" -n
    [ "$status" -ne 124 ]
}
