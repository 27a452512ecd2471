#!/usr/bin/env bats
# postfix-instance-generator: the links it makes in its output
# directory for -c sandboxes (named, nameless, disabled, comma-listed
# and broken secondaries), where its messages go (the kernel log, seen
# through a file bind-mounted on /dev/kmsg in a private mount
# namespace, or stderr), busybox sh and awk, the units under
# systemd-analyze verify, install/uninstall, and real daemons started
# by the units' Exec lines (tests named "daemon: ...").

bats_require_minimum_version 1.5.0
load helper
load sandbox

GEN=$PFM_STAGE/lib/systemd/system-generators/postfix-instance-generator
UNITS=$PFM_STAGE/lib/systemd/system

setup() {
    pfm_require_stage
    [ -x "$GEN" ] || pfm_skip "no generator in $PFM_STAGE (make stage)"
    pfm_require_root
    pfm_require unshare systemd-escape
    T=$BATS_TEST_TMPDIR/sb
    O=$BATS_TEST_TMPDIR/out
    K=$BATS_TEST_TMPDIR/kmsg
}

# gen - ARGS...: run the generator in a private mount namespace whose
# /dev/kmsg is the file $K (read-only when KMSG=ro: not writable);
# stderr is what bats sees
gen() {
    : >"$K"
    unshare -m --propagation private sh -c '
        k=$1 ro=$2
        shift 2
        mount --bind "$k" /dev/kmsg || exit 99
        if [ "$ro" = ro ]; then mount -o remount,bind,ro /dev/kmsg || exit 99; fi
        exec "$@" 2>&1 >/dev/null' sh "$K" "${KMSG:-rw}" "$GEN" "$@"
}

# links - DIR: "NAME -> TARGET" for each link the generator made
links() {
    local f
    for f in "$1"/postfix.service.wants/*; do
        [ -L "$f" ] || { printf 'not a link: %s\n' "$f"; continue; }
        printf '%s -> %s\n' "${f##*/}" "$(readlink "$f")"
    done | sort
}

# named - NAME: the expected link line of a postfix@ unit
named() {
    printf '%s -> %s\n' "postfix@$1.service" "$UNITS/postfix@.service"
}

# bydir - DIR: the expected link line of a postfix-dir@ unit
bydir() {
    printf '%s -> %s\n' "postfix-dir@$(systemd-escape --path "$1").service" \
        "$UNITS/postfix-dir@.service"
}

# expect - LINE...: the sorted set of link lines
expect() {
    printf '%s\n' "$@" | sort
}

# kmsg_lines - the records written to the fake /dev/kmsg, with the
# generator's PID replaced by PID
kmsg_lines() {
    sed 's/^\(<[0-9]*>postfix-instance-generator\)\[[0-9]*\]/\1[PID]/' "$K"
}

# tree - the usual sandbox: a named, a nameless, a disabled named and
# a disabled nameless secondary
tree() {
    sb_tree "$T" "a:postfix-a:g1:yes" "b:postfix-b:g1:no" "c:::yes" "d:::no"
}

# set_list - VALUE: the primary's multi_instance_directories
set_list() {
    sed -i '/^multi_instance_directories/d' "$T/p/cf/main.cf"
    printf 'multi_instance_directories = %s\n' "$1" >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
}

@test "links the primary and each enabled secondary: by name, or by escaped directory; none for disabled ones" {
    tree
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ ! -s "$K" ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "$(named postfix-a)" "$(bydir "$T/c/cf")")" ]
    # The escaped directory is what systemd's %f turns back into it.
    [ "$(systemd-escape --unescape --path "$(systemd-escape --path "$T/c/cf")")" = "$T/c/cf" ]
}

@test "systemd's three output directories: only the first is written" {
    tree
    run -0 gen -c "$T/p/cf" "$O" "$O.early" "$O.late"
    [ "$output" = "" ]
    [ "$(links "$O" | wc -l)" -eq 3 ]
    [ ! -e "$O.early" ] && [ ! -e "$O.late" ]
}

@test "multi_instance_directories is split at commas and blanks, empty elements dropped, as Postfix does" {
    tree
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" postfix-e "" yes
    set_list "$T/a/cf,$T/b/cf ,, $T/c/cf,$T/d/cf
	$T/e/cf,"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "$(named postfix-a)" "$(bydir "$T/c/cf")" "$(named postfix-e)")" ]
    # pfm's postmulti reads the same list the same way.
    run -0 env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -l
    [ "${#lines[@]}" -eq 6 ]
}

@test "broken secondaries go to the kernel log; the other links are still made; exit 0" {
    tree
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" postfix-e "" maybe
    sb_main "$T/f/cf" "$T/f/q" "$T/f/d" postfix-f "" yes
    printf 'oops\n' >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    set_list "$T/a/cf $T/nosuch/cf $T/c/cf $T/e/cf $T/f/cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 kmsg_lines
    [ "${lines[0]}" = "<28>postfix-instance-generator[PID]: warning: $T/a/cf/main.cf, line 8: missing '=' after attribute name: \"oops\"" ]
    [ "${lines[1]}" = "<28>postfix-instance-generator[PID]: warning: Failed to obtain all required $T/a/cf/main.cf parameters" ]
    [ "${lines[2]}" = "<28>postfix-instance-generator[PID]: warning: open $T/nosuch/cf/main.cf: No such file or directory" ]
    [ "${lines[3]}" = "<28>postfix-instance-generator[PID]: warning: Failed to obtain all required $T/nosuch/cf/main.cf parameters" ]
    [ "${lines[4]}" = "<28>postfix-instance-generator[PID]: warning: Unexpected $T/e/cf/main.cf entry: multi_instance_enable = maybe" ]
    [ "${#lines[@]}" -eq 5 ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "$(bydir "$T/c/cf")" "$(named postfix-f)")" ]
}

@test "without a writable /dev/kmsg, messages go to stderr" {
    tree
    rm "$T/c/cf/main.cf"
    KMSG=ro run -0 gen -c "$T/p/cf" "$O"
    [ "${lines[0]}" = "postfix-instance-generator: warning: open $T/c/cf/main.cf: No such file or directory" ]
    [ "${lines[1]}" = "postfix-instance-generator: warning: Failed to obtain all required $T/c/cf/main.cf parameters" ]
    [ "${#lines[@]}" -eq 2 ]
    [ ! -s "$K" ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "$(named postfix-a)")" ]
}

@test "a broken primary: its link only, postmulti's fatal text in the kernel log, exit 0" {
    tree
    # A malformed main.cf
    printf 'oops\n' >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 kmsg_lines
    [ "$output" = "<27>postfix-instance-generator[PID]: fatal: $T/p/cf/main.cf, line 7: missing '=' after attribute name: \"oops\"" ]
    run -0 links "$O"
    [ "$output" = "$(named -)" ]
    # A bad boolean
    sed -i '/^oops/d; s/^multi_instance_enable = yes/multi_instance_enable = true/' "$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    rm -r "$O"
    run -0 gen -c "$T/p/cf" "$O"
    run -0 kmsg_lines
    [ "$output" = "<27>postfix-instance-generator[PID]: fatal: bad boolean configuration: multi_instance_enable = true" ]
    [ "$(links "$O")" = "$(named -)" ]
    # No main.cf at all
    rm "$T/p/cf/main.cf" && rm -r "$O"
    run -0 gen -c "$T/p/cf" "$O"
    run -0 kmsg_lines
    [ "$output" = "<27>postfix-instance-generator[PID]: fatal: open $T/p/cf/main.cf: No such file or directory" ]
    [ "$(links "$O")" = "$(named -)" ]
}

@test "two instances sharing a directory: the warnings, then the conflict; only the primary's link" {
    tree
    rm "$T/b/cf/main.cf"
    printf 'queue_directory = %s\n' "$T/a/q" >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 kmsg_lines
    [ "${lines[0]}" = "<28>postfix-instance-generator[PID]: warning: open $T/b/cf/main.cf: No such file or directory" ]
    [ "${lines[1]}" = "<28>postfix-instance-generator[PID]: warning: Failed to obtain all required $T/b/cf/main.cf parameters" ]
    [ "${lines[2]}" = "<27>postfix-instance-generator[PID]: fatal: instance $T/c/cf, queue_directory=$T/a/q conflicts with instance $T/a/cf, queue_directory=$T/a/q" ]
    [ "${#lines[@]}" -eq 3 ]
    [ "$(links "$O")" = "$(named -)" ]
}

@test "names a unit cannot carry as they are, or without the postfix- prefix, go by directory" {
    tree
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" mx1 "" yes
    sb_main "$T/f/cf" "$T/f/q" "$T/f/d" "postfix-f+g" "" yes
    sb_main "$T/g/cf" "$T/g/q" "$T/g/d" "postfix-g:h_i.j" "" yes
    set_list "$T/a/cf $T/e/cf $T/f/cf $T/g/cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ ! -s "$K" ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "$(named postfix-a)" "$(bydir "$T/e/cf")" \
        "$(bydir "$T/f/cf")" "$(named "postfix-g:h_i.j")")" ]
    # postmulti -i selects each of them by what the unit gives it.
    run -0 env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -l -i "$T/f/cf"
    [ "${#lines[@]}" -eq 1 ]
    run -0 env PFM_SYSLOG=no "$PFM_SBIN/postmulti" -c "$T/p/cf" -l -i "postfix-g:h_i.j"
    [ "${#lines[@]}" -eq 1 ]
}

@test "directories are escaped as systemd-escape --path does" {
    local d list='' exp=() n hi
    # Everything a directory in multi_instance_directories can hold
    # (no blank, comma or $), a leading dot, and bytes above 127 (not
    # under yash, which drops them from command output in the C
    # locale: a BUGS entry of the man page).
    hi=$(printf '\351t\351')
    case $(head -n 1 "$GEN") in *yash*) hi=a ;; esac
    for n in a-b .hid a.b 'a\b' a@b x:y_z.w '~!%&()*+;<=>?[]^`{|}' "$hi"; do
        d=$T/x/$n
        sb_main "$d" "$d/q" "$d/d" "" "" yes
        list="$list $d"
        exp+=("$(bydir "$d")")
    done
    sb_main "$T/.dot/cf" "$T/.dot/q" "$T/.dot/d" "" "" yes
    exp+=("$(bydir "$T/.dot/cf")")
    sb_main "$T/p/cf" "$T/p/q" "$T/p/d" "" "" yes \
        "multi_instance_directories = $list $T/.dot/cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ ! -s "$K" ]
    run -0 links "$O"
    [ "$output" = "$(expect "$(named -)" "${exp[@]}")" ]
}

@test "a directory that %f cannot give back as listed is reported, not linked" {
    tree
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" "" "" yes
    set_list "$T//a/cf $T/c/cf/ $T/./e/cf"
    sed -i '/^multi_instance_name/d' "$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 kmsg_lines
    local why="config directory must be an absolute path without //, /./, /../ or a trailing /"
    [ "${lines[0]}" = "<28>postfix-instance-generator[PID]: warning: no unit for instance $T//a/cf: its $why" ]
    [ "${lines[1]}" = "<28>postfix-instance-generator[PID]: warning: no unit for instance $T/c/cf/: its $why" ]
    [ "${lines[2]}" = "<28>postfix-instance-generator[PID]: warning: no unit for instance $T/./e/cf: its $why" ]
    [ "${#lines[@]}" -eq 3 ]
    [ "$(links "$O")" = "$(named -)" ]
}

@test "usage errors exit 1 and make nothing; an output directory it cannot make is reported, exit 0" {
    local u="postfix-instance-generator: fatal: usage: postfix-instance-generator [-c config_dir] normal-dir [early-dir late-dir]"
    run -1 gen
    [ "$output" = "$u" ]
    run -1 gen "$O" "$O"
    [ "$output" = "$u" ]
    run -1 gen -x "$O"
    [ "$output" = "$u" ]
    run -1 gen -c
    [ "$output" = "$u" ]
    [ ! -e "$O" ]
    tree
    : >"$O"
    run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    run -0 kmsg_lines
    [ "$output" = "<27>postfix-instance-generator[PID]: fatal: cannot create directory $O/postfix.service.wants" ]
}

@test "in the initrd it does nothing" {
    tree
    SYSTEMD_IN_INITRD=1 run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ ! -e "$O" ]
}

@test "MAIL_CONFIG does not steer it: without -c it reads the default directory" {
    tree
    # The stage's pfm-parsecf has the build host's default compiled in.
    MAIL_CONFIG=$T/p/cf run -0 gen "$O"
    run -0 links "$O"
    [[ "$output" != *postfix-a* ]]
}

@test "one pfm-parsecf call for 300 instances; one link per enabled one" {
    # A copy of the stage whose pfm-parsecf logs each call.
    local s=$BATS_TEST_TMPDIR/stage k
    mkdir -p "$s"
    cp -R "$PFM_STAGE/libexec" "$PFM_STAGE/lib" "$s/"
    mv "$s/libexec/pfm/pfm-parsecf" "$s/libexec/pfm/pfm-parsecf.real"
    printf '#!/bin/sh\necho call >>%s/calls\nexec %s "$@"\n' "$s" \
        "$s/libexec/pfm/pfm-parsecf.real" >"$s/libexec/pfm/pfm-parsecf"
    chmod 755 "$s/libexec/pfm/pfm-parsecf"
    sed -i "s|$PFM_STAGE/libexec|$s/libexec|" "$s/lib/systemd/system-generators/postfix-instance-generator"
    GEN=$s/lib/systemd/system-generators/postfix-instance-generator
    mkdir -p "$T/p" "$T/i"
    (cd "$T/i" && seq 300 | xargs mkdir)
    # even K: enabled, named postfix-K; odd K: disabled, nameless
    awk -v t="$T" 'BEGIN {
        f = t "/p/main.cf"
        printf "multi_instance_enable = yes\nmulti_instance_directories =" >f
        for (k = 1; k <= 300; k++)
            printf " %s/i/%d", t, k >f
        printf "\n" >f
        for (k = 1; k <= 300; k++) {
            f = t "/i/" k "/main.cf"
            if (k % 2 == 0)
                printf "multi_instance_name = postfix-%d\nmulti_instance_enable = yes\n", k >f
            else
                printf "multi_instance_enable = no\n" >f
            printf "queue_directory = %s/q/%d\ndata_directory = %s/d/%d\n", t, k, t, k >f
            close(f)
        }
    }'
    local exp=("$(named -)")
    for k in $(seq 2 2 300); do exp+=("$(named "postfix-$k")"); done
    find "$T" -name main.cf -exec touch -d '2 hours ago' {} +
    run -0 gen -c "$T/p" "$O"
    [ "$output" = "" ]
    [ "$(cat "$s/calls")" = call ]
    run -0 links "$O"
    [ "${#lines[@]}" -eq 151 ]
    [ "$output" = "$(expect "${exp[@]}")" ]
}

@test "busybox sh and busybox awk make the same links and messages" {
    pfm_require busybox
    tree
    rm "$T/b/cf/main.cf"
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" "" "" yes
    sb_main "$T/x/a-b.c" "$T/x/q" "$T/x/d" "" "" yes
    set_list "$T/a/cf,$T/b/cf $T/c/cf,$T/d/cf $T/e/cf $T/x/a-b.c"
    run -0 gen -c "$T/p/cf" "$O"
    local want_links want_k
    want_links=$(links "$O")
    want_k=$(kmsg_lines)
    [ -n "$want_k" ]
    [ "$(links "$O" | wc -l)" -eq 5 ]
    local bb=$BATS_TEST_TMPDIR/bb
    mkdir -p "$bb"
    ln -s "$(command -v busybox)" "$bb/awk"
    ln -s "$(command -v busybox)" "$bb/sed"
    rm -r "$O"
    PATH=$bb:$PATH run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ "$(links "$O")" = "$want_links" ]
    [ "$(kmsg_lines)" = "$want_k" ]
    # The script itself under busybox sh
    rm -r "$O"
    local real=$GEN
    GEN=$BATS_TEST_TMPDIR/gen-bb
    { printf '#!%s sh\n' "$(command -v busybox)"; tail -n +2 "$real"; } >"$GEN"
    chmod 755 "$GEN"
    PATH=$bb:$PATH run -0 gen -c "$T/p/cf" "$O"
    [ "$output" = "" ]
    [ "$(links "$O")" = "$want_links" ]
    [ "$(kmsg_lines)" = "$want_k" ]
}

@test "systemd-analyze verify accepts the units and the instances the generator links" {
    pfm_require systemd-analyze
    tree
    run -0 gen -c "$T/p/cf" "$O"
    local u=$BATS_TEST_TMPDIR/units f
    mkdir -p "$u"
    cp "$UNITS"/*.service "$u/"
    cd "$u"
    # The instances by the names of the links (templates are loaded
    # through the directory of the files named)
    local names=()
    for f in "$O"/postfix.service.wants/*; do names+=("${f##*/}"); done
    [ "${#names[@]}" -eq 3 ]
    run -0 systemd-analyze verify --man=no postfix.service "${names[@]}"
    [ "$output" = "" ]
    # Every Exec line names the staged postmulti with -i and one
    # postfix command.
    run -0 grep -h '^Exec' "$UNITS/postfix@.service" "$UNITS/postfix-dir@.service"
    [ "$output" = "ExecStart=$PFM_SBIN/postmulti -i %i -p start
ExecStop=$PFM_SBIN/postmulti -i %i -p stop
ExecReload=$PFM_SBIN/postmulti -i %i -p reload
ExecStart=$PFM_SBIN/postmulti -i %f -p start
ExecStop=$PFM_SBIN/postmulti -i %f -p stop
ExecReload=$PFM_SBIN/postmulti -i %f -p reload" ]
}

@test "systemd's own %i and %f give back what postmulti -i needs, for every linked instance" {
    pfm_require systemd-analyze
    tree
    sb_main "$T/x/a-b.c/cf" "$T/x/q" "$T/x/d" "" "" yes
    # (not a name with ":": systemd-analyze 252 verify fails on such a
    # unit name with "Couldn't process aliases", whatever the unit)
    sb_main "$T/e/cf" "$T/e/q" "$T/e/d" "postfix-e.1" "" yes
    set_list "$T/a/cf $T/b/cf $T/c/cf $T/x/a-b.c/cf $T/e/cf"
    run -0 gen -c "$T/p/cf" "$O"
    # Copies of the templates whose ExecStart is a probe named by the
    # specifier: systemd-analyze verify fails unless it exists.
    local u=$BATS_TEST_TMPDIR/units P=$BATS_TEST_TMPDIR/probe f names=()
    mkdir -p "$u" "$P"
    sed "s|^ExecStart=.*|ExecStart=$P/%i|" "$UNITS/postfix@.service" >"$u/postfix@.service"
    sed 's|^ExecStart=.*|ExecStart=%f/probe|' "$UNITS/postfix-dir@.service" >"$u/postfix-dir@.service"
    for f in - postfix-a postfix-e.1; do printf '#!/bin/sh\n' >"$P/$f"; done
    for f in "$T/c/cf" "$T/x/a-b.c/cf"; do printf '#!/bin/sh\n' >"$f/probe"; done
    chmod 755 "$P"/* "$T/c/cf/probe" "$T/x/a-b.c/cf/probe"
    for f in "$O"/postfix.service.wants/*; do names+=("${f##*/}"); done
    [ "${#names[@]}" -eq 5 ]
    cd "$u"
    run -0 systemd-analyze verify --man=no "${names[@]}"
    [ "$output" = "" ]
    # and it does fail when a probe is missing
    rm "$T/x/a-b.c/cf/probe"
    run -1 systemd-analyze verify --man=no "${names[@]}"
    [[ "$output" == *"Command $T/x/a-b.c/cf/probe is not executable: No such file or directory"* ]]
}

@test "make install puts the generator, units and man page under DESTDIR; uninstall removes them" {
    # A copy of the built tree: nothing is rebuilt but the systemd files,
    # which take the directories given to make.
    local src=$BATS_TEST_TMPDIR/src d=$BATS_TEST_TMPDIR/dest f
    mkdir -p "$src"
    (cd "$PFM_TOP" && tar cf - --exclude=./t/stage --exclude=./.git .) | (cd "$src" && tar xf -)
    [ -f "$src/Makefile" ] || pfm_skip "tree not configured"
    cd "$src"
    rm -rf build/systemd
    run -0 make -s install DESTDIR="$d" prefix=/usr sbindir=/usr/sbin \
        libexecdir=/usr/lib mandir=/usr/share/man SYSTEMD=yes \
        systemdsystemunitdir=/lib/systemd/system \
        systemdsystemgeneratordir=/lib/systemd/system-generators
    for f in lib/systemd/system-generators/postfix-instance-generator \
        lib/systemd/system/postfix.service lib/systemd/system/postfix@.service \
        lib/systemd/system/postfix-dir@.service \
        usr/share/man/man8/postfix-instance-generator.8; do
        [ -f "$d/$f" ] || { echo "missing: $f"; false; }
    done
    [ -x "$d/lib/systemd/system-generators/postfix-instance-generator" ]
    grep -q "^gen_unitdir='/lib/systemd/system'$" "$d/lib/systemd/system-generators/postfix-instance-generator"
    grep -q "^pfm_libexec='/usr/lib/pfm'$" "$d/lib/systemd/system-generators/postfix-instance-generator"
    grep -q '^ExecStart=/usr/sbin/postmulti -i %i -p start$' "$d/lib/systemd/system/postfix@.service"
    run -1 grep -rlI '@[A-Z_]*@' "$d"
    run -0 make -s uninstall DESTDIR="$d" prefix=/usr sbindir=/usr/sbin \
        libexecdir=/usr/lib mandir=/usr/share/man \
        systemdsystemunitdir=/lib/systemd/system \
        systemdsystemgeneratordir=/lib/systemd/system-generators
    run -0 find "$d" -type f
    [ -z "$output" ]
    # SYSTEMD=no (configure --without-systemd): none of them
    rm -rf "$d"
    run -0 make -s install DESTDIR="$d" SYSTEMD=no
    run -0 find "$d" -path '*systemd*' -o -name 'postfix-instance-generator*'
    [ -z "$output" ]
}

@test "configure takes the systemd directories and --without-systemd" {
    local src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src"
    cp "$PFM_TOP/configure" "$PFM_TOP/Makefile.in" "$src/"
    mkdir "$src/proto" && cp "$PFM_TOP/proto/defaults.cf" "$src/proto/"
    cd "$src"
    run -0 ./configure --help
    [[ "$output" == *"  --with-systemdsystemunitdir=DIR
                          systemd units [PREFIX/lib/systemd/system]
  --with-systemdsystemgeneratordir=DIR
                          systemd generator [PREFIX/lib/systemd/system-generators]
  --without-systemd       install neither the generator nor the units"* ]]
    run -0 ./configure --without-postconf
    grep -qx 'systemdsystemunitdir = $(prefix)/lib/systemd/system' Makefile
    grep -qx 'systemdsystemgeneratordir = $(prefix)/lib/systemd/system-generators' Makefile
    grep -qx 'SYSTEMD = yes' Makefile
    [[ "$output" == *"systemd generator, units
                     /usr/local/lib/systemd/system-generators, /usr/local/lib/systemd/system"* ]]
    run -0 ./configure --without-postconf --with-systemdsystemunitdir=/lib/systemd/system \
        --with-systemdsystemgeneratordir=/lib/systemd/system-generators --without-systemd
    grep -qx 'systemdsystemunitdir = /lib/systemd/system' Makefile
    grep -qx 'systemdsystemgeneratordir = /lib/systemd/system-generators' Makefile
    grep -qx 'SYSTEMD = no' Makefile
    [[ "$output" == *"systemd generator, units
                     not installed"* ]]
    run -1 ./configure --with-systemdsystemunitdir='/a b'
    [ "$output" = "configure: error: installation paths and --with-shell may hold only letters, digits and _./+@:-" ]
}

teardown() {
    [ -n "${SB_QUEUES:-}" ] && sb_stop_all $SB_QUEUES
    [ -n "${SB_NSPID:-}" ] && sb_ns_stop
    return 0
}

# unit_exec - UNIT KEY: the words of UNIT's KEY= line in EXEC, with
# systemd's %i (the instance as written) and %f (the instance
# unescaped as a path) substituted
unit_exec() {
    local tmpl=${1%%@*}@.service inst=${1#*@} line f
    inst=${inst%.service}
    line=$(sed -n "s/^$2=//p" "$UNITS/$tmpl")
    f=$(systemd-escape --unescape --path "$inst")
    line=${line//%i/"$inst"}
    line=${line//%f/"$f"}
    read -ra EXEC <<<"$line"
}

# unit_run - UNIT KEY: run that Exec line in the namespace, with the
# environment systemd gives a service
unit_run() {
    unit_exec "$1" "$2"
    sb_ns env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        "${EXEC[@]}"
}

# running - the instances (p a b c) whose master runs
running() {
    local i r=''
    for i in p a b c; do
        sb_master_pid "$T/$i/q" >/dev/null && r="$r$i"
    done
    printf '%s\n' "$r"
}

# gone - PID: wait up to 3 s for PID to exit
gone() {
    local n
    for n in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.3
    done
    return 1
}

@test "daemon: each unit's Exec lines start, reload and stop exactly its instance (real Postfix)" {
    pfm_require nsenter
    sb_shim "$T/bin" "$T/log"
    SB_EXTRA="command_directory = $T/bin"
    sb_tree "$T" "a:postfix-a:g1:yes" "b:postfix-b:g1:no" "c:::yes"
    sb_prepare
    sb_ns_start "$BATS_TEST_TMPDIR/ns"
    # The sandbox's primary becomes /etc/postfix in the namespace: the
    # generator and the units' postmulti read the default directory.
    sb_ns cp "$T/p/cf/main.cf" /etc/postfix/main.cf
    sb_ns touch -d '2 hours ago' /etc/postfix/main.cf
    : >"$K"
    sb_ns mount --bind "$K" /dev/kmsg
    run -0 sb_ns "$GEN" "$O"
    [ "$output" = "" ] && [ ! -s "$K" ]
    local pu=postfix@-.service au=postfix@postfix-a.service
    local cu="postfix-dir@$(systemd-escape --path "$T/c/cf").service"
    [ "$(links "$O")" = "$(expect "$(named -)" "$(named postfix-a)" "$(bydir "$T/c/cf")")" ]

    # start: one instance each
    run -0 unit_run "$au" ExecStart
    [ "$(running)" = a ]
    run -0 unit_run "$cu" ExecStart
    [ "$(running)" = ac ]
    run -0 unit_run "$pu" ExecStart
    [ "$(running)" = pac ]
    [ "$(cat "$T/log")" = "$T/a/cf -- start
$T/c/cf -- start
/etc/postfix -- start" ]
    # A disabled instance's unit, started by hand, only checks it.
    run -0 unit_run postfix@postfix-b.service ExecStart
    [ "$(running)" = pac ]
    [ "$(tail -n 1 "$T/log")" = "$T/b/cf -- check" ]

    # reload: that instance only, its master stays
    local pp ap cp
    pp=$(sb_master_pid "$T/p/q") ap=$(sb_master_pid "$T/a/q") cp=$(sb_master_pid "$T/c/q")
    : >"$T/log"
    run -0 unit_run "$cu" ExecReload
    run -0 unit_run "$au" ExecReload
    run -0 unit_run "$pu" ExecReload
    [ "$(cat "$T/log")" = "$T/c/cf -- reload
$T/a/cf -- reload
/etc/postfix -- reload" ]
    [ "$(sb_master_pid "$T/p/q") $(sb_master_pid "$T/a/q") $(sb_master_pid "$T/c/q")" = "$pp $ap $cp" ]

    # stop: one instance each
    : >"$T/log"
    run -0 unit_run "$au" ExecStop
    gone "$ap"
    [ "$(running)" = pc ]
    run -0 unit_run "$pu" ExecStop
    gone "$pp"
    [ "$(running)" = c ]
    run -0 unit_run "$cu" ExecStop
    gone "$cp"
    [ "$(running)" = "" ]
    [ "$(cat "$T/log")" = "$T/a/cf -- stop
/etc/postfix -- stop
$T/c/cf -- stop" ]
}
