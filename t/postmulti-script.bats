#!/usr/bin/env bats
# t/postmulti-script.bats - pfm's life-cycle helper.
#
# Most tests run the staged helper directly, with Postfix's environment
# contract, on a tree under the test's temp dir (the primary is R/p).
# The "daemon: contract" test runs the REAL postmulti in a mount
# namespace twice, with Postfix's postmulti-script and with pfm's bound
# over it, and compares everything.

load helper
load sandbox

setup_file() {
    # One queue laid out by the real set-permissions (slow: post-install
    # waits for a fresh main.cf), copied by inst() for each test.
    local t=$BATS_FILE_TMPDIR/tpl
    mkdir -p "$t/cf" "$t/q"
    printf 'queue_directory = %s\ndata_directory = %s\ncompatibility_level = 3.6\n' \
        "$t/q" "$t/d" >"$t/cf/main.cf"
    cp /etc/postfix/master.cf "$t/cf/master.cf"
    touch -d '2 hours ago' "$t/cf/main.cf"
    /usr/sbin/postfix -c "$t/cf" set-permissions >/dev/null 2>&1 || :
}

setup() {
    pfm_require_stage
    pfm_require_root
    R=$BATS_TEST_TMPDIR/r
    mkdir -p "$R/p"
    chmod o+x "$BATS_TEST_TMPDIR"
    P=$R/p
    H=$PFM_LIBEXEC/postmulti-script
    printf '%s\n' 'compatibility_level = 3.6' 'mail_owner = postfix' \
        'setgid_group = postdrop' 'master_service_disable = inet' \
        'multi_instance_wrapper = ${command_directory}/postmulti -p --' \
        'multi_instance_enable = yes' >"$P/main.cf"
    cp /etc/postfix/master.cf "$P/master.cf"
}

teardown() {
    [ -z "${Q:-}" ] || sb_stop_all "$Q"
    ct_stop real
    ct_stop pfm
}

# ps - ACTION [VAR=value...]: run the helper as postmulti would, with
# the target's directories in D, Q, A (data) and LIST
ps() {
    local action=$1
    shift
    run env -i PATH="$PATH" LANG=C MAIL_LOGTAG=postfix PFM_SYSLOG=no \
        MAIL_CONFIG="$P" command_directory=/usr/sbin \
        daemon_directory=/usr/lib/postfix/sbin meta_directory=/etc/postfix \
        shlib_directory=/usr/lib/postfix config_directory="${D-}" \
        queue_directory="${Q-}" data_directory="${A-}" \
        ${LIST+"multi_instance_directories=$LIST"} "$@" "$H" -e "$action"
}

# target - ID: D, Q, A for instance R/ID
target() {
    D=$R/$1/cf Q=$R/$1/q A=$R/$1/d
}

# tree - DIR...: paths, types, owners, modes
tree() {
    find "$@" -printf '%p %y %u %g %m\n' 2>/dev/null | sort
}

# inst - ID: a disabled instance R/ID as create makes it (queue from
# the template), listed in the primary
inst() {
    local t=$BATS_FILE_TMPDIR/tpl
    target "$1"
    mkdir -p "$D"
    cp -a "$t/q" "$Q" && cp -a "$t/d" "$A" || return 1
    printf 'queue_directory = %s\ndata_directory = %s\nmulti_instance_enable = no\n' \
        "$Q" "$A" >"$D/main.cf"
    cp /etc/postfix/master.cf "$D/master.cf"
    local l
    l=$(sed -n 's/^multi_instance_directories = //p' "$P/main.cf")
    sed -i '/^multi_instance_directories = /d' "$P/main.cf"
    printf 'multi_instance_directories = %s\n' "${l:+$l }$D" >>"$P/main.cf"
    pfm_backdate "$D/main.cf" "$P/main.cf"
}

# made - ID [LIST]: create instance ID with the helper, listed as LIST
made() {
    target "$1"
    LIST=${2:-$D} ps create
    [ "$status" = 0 ] || { echo "$output"; return 1; }
}

F="postfix/postmulti-script: fatal:"
W="postfix/postmulti-script: warning:"

@test "a missing contract variable: the shell's message, exit 2" {
    local v
    target a
    for v in MAIL_CONFIG command_directory daemon_directory meta_directory \
        shlib_directory; do
        run -2 env -i PATH="$PATH" MAIL_CONFIG="$P" command_directory=/usr/sbin \
            daemon_directory=/usr/lib/postfix/sbin meta_directory=/etc/postfix \
            shlib_directory=/usr/lib/postfix "$v=" "$H" -e init
        [[ $output == *"$v: do not invoke this command directly" ]]
        [ "${#lines[@]}" = 1 ]
    done
    # create, import, destroy, deport need the new list (pfm).
    for v in create import destroy deport; do
        unset LIST
        ps "$v"
        [ "$status" = 2 ]
        [[ $output == *"multi_instance_directories: do not invoke this command directly" ]]
    done
    [ ! -e "$D" ]
}

@test "a bad command line: Postfix's usage message, exit 1, nothing written" {
    local u="$H: Error: Usage: $H -e create|destroy|import|deport|enable|disable|assign|init"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    local a
    for a in "" "-e bogus" "-e init extra" "-x" "-e" "-e init -e nope" \
        "-einit -" "-- -e init"; do
        # shellcheck disable=SC2086 # the words of one command line
        run -1 env MAIL_CONFIG="$P" command_directory=/usr/sbin \
            daemon_directory=/usr/lib/postfix/sbin meta_directory=/etc/postfix \
            shlib_directory=/usr/lib/postfix "$H" $a
        [ "$output" = "$u" ]
    done
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    # -eACTION and the last -e win, as with getopts
    run -0 env MAIL_CONFIG="$P" command_directory=/usr/sbin \
        daemon_directory=/usr/lib/postfix/sbin meta_directory=/etc/postfix \
        shlib_directory=/usr/lib/postfix "$H" -e nope -einit
    [ -z "$output" ]
}

@test "init sets the wrapper and enables the primary; a second init changes nothing" {
    printf 'compatibility_level = 3.6\nmulti_instance_enable = no\n' >"$P/main.cf"
    D='' ps init
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(cat "$P/main.cf")" = 'compatibility_level = 3.6
multi_instance_enable = yes
multi_instance_wrapper = ${command_directory}/postmulti -p --' ]
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/once"
    D='' ps init
    [ "$status" = 0 ] && [ -z "$output" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/once"
}

@test "every action but init needs init first and a target: Postfix's messages" {
    target a
    LIST=$D
    printf 'compatibility_level = 3.6\n' >"$P/main.cf"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    local a
    for a in create import destroy deport enable disable assign; do
        ps "$a"
        [ "$status" = 1 ]
        [ "$output" = "$F multi_instance_wrapper is empty, run 'postmulti -e init' first." ]
    done
    printf '%s\n' 'multi_instance_wrapper = ${command_directory}/postmulti -p --' \
        'multi_instance_enable = YES' >>"$P/main.cf"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    ps create
    [ "$status" = 1 ]
    [ "$output" = "$F multi_instance_enable!=yes, run 'postmulti -e init' first." ]
    sed -i 's/= YES/= yes/' "$P/main.cf"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    D='' ps create
    [ "$status" = 1 ]
    [ "$output" = "$F Invalid empty target instance config_directory" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    [ ! -e "$R/a" ]
}

@test "create builds main.cf as postconf would (appended lines sorted), then lists it" {
    target a
    A=$R/deep/er/d
    LIST=$D ps create multi_instance_name=postfix-a multi_instance_group=g1
    [ "$status" = 0 ]
    [ -z "$output" ] || [[ $output == *"backwards-compatible"* ]]
    # The oracle: real postconf's edits of the prototype, then the
    # appended lines sorted (3.12's order; 3.7 appends in hash order).
    local e=$BATS_TEST_TMPDIR/e n m
    mkdir "$e"
    cp /etc/postfix/main.cf.proto "$e/main.cf"
    "$POSTCONF" -c "$e" -# command_directory daemon_directory meta_directory \
        sendmail_path mailq_path newaliases_path html_directory \
        manpage_directory sample_directory readme_directory shlib_directory
    "$POSTCONF" -c "$e" -e "queue_directory = $Q" "data_directory = $A" \
        "authorized_submit_users =" "master_service_disable = inet" \
        "mail_owner = postfix" "setgid_group = postdrop"
    m=$(wc -l <"$e/main.cf")
    "$POSTCONF" -c "$e" -e "multi_instance_name = postfix-a" \
        "multi_instance_group = g1"
    n=$(wc -l </etc/postfix/main.cf.proto)
    { head -n "$n" "$e/main.cf"; sed -n "$((n + 1)),${m}p" "$e/main.cf" | sort
      tail -n +"$((m + 1))" "$e/main.cf" | sort; } >"$e/want"
    diff "$e/want" "$D/main.cf"
    cmp /etc/postfix/master.cf.proto "$D/master.cf"
    # The primary: listed with one edit, nothing else changed.
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = $D" ]
    [ "$(wc -l <"$P/main.cf")" = 7 ]
    run tree "$D" "$R/deep"
    [ "$output" = "$D d root root 755
$D/main.cf f root root 644
$D/master.cf f root root 644
$R/deep d root root 755
$R/deep/er d root root 755
$A d postfix root 700" ]
    # set-permissions laid out the queue.
    [ "$(stat -c '%U %G %a' "$Q/maildrop")" = "postfix postdrop 730" ]
    [ "$(stat -c '%U %a' "$Q" "$Q/pid")" = "root 755
root 755" ]
}

@test "assign renames; '-' clears name and group, keeping the lines" {
    inst a
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    ps assign multi_instance_name=postfix-a multi_instance_group=g1
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(grep '^multi_instance_[gn]' "$D/main.cf")" = "multi_instance_group = g1
multi_instance_name = postfix-a" ]
    ps assign multi_instance_name=postfix-b
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(grep '^multi_instance_[gn]' "$D/main.cf")" = "multi_instance_group = g1
multi_instance_name = postfix-b" ]
    ps assign multi_instance_name=- multi_instance_group=-
    [ "$status" = 0 ]
    [ "$(grep '^multi_instance_[gn]' "$D/main.cf")" = "multi_instance_group = 
multi_instance_name = " ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
}

@test "create on a directory with main.cf and master.cf acts as import" {
    target a
    mkdir -p "$D" "$R/own/q"
    printf 'queue_directory = %s\ndata_directory = %s\nmulti_instance_enable = yes\n' \
        "$R/own/q" "$R/own/d" >"$D/main.cf"
    cp /etc/postfix/master.cf "$D/master.cf"
    LIST=$D ps create multi_instance_name=postfix-a
    [ "$status" = 0 ]
    # The file's own queue and enable are kept; derived dirs not made.
    [ "$(cat "$D/main.cf")" = "queue_directory = $R/own/q
data_directory = $R/own/d
multi_instance_enable = yes
multi_instance_name = postfix-a" ]
    [ ! -e "$Q" ] && [ ! -e "$A" ]
    [ -d "$R/own/q/maildrop" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = $D" ]
}

@test "create over half an instance (main.cf, a .tmp left by a killed run) starts over" {
    target a
    mkdir -p "$D/.tmp"
    printf 'junk = 1\n' >"$D/main.cf"
    printf 'old\n' >"$D/.tmp/main.cf"
    LIST=$D ps create
    [ "$status" = 0 ]
    grep -q "^queue_directory = $Q\$" "$D/main.cf"
    ! grep -q junk "$D/main.cf"
    [ ! -e "$D/.tmp" ] && [ -f "$D/master.cf" ]
    target b
    mkdir -p "$D" "$R/elsewhere"
    ln -s "$R/elsewhere" "$D/.tmp"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    LIST=$D ps create
    [ "$status" = 1 ]
    [ "$output" = "$F $D/.tmp is a symbolic link: not following it" ]
    [ -z "$(ls -A "$R/elsewhere")" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
}

@test "create: a missing prototype, Postfix's message, nothing listed" {
    target a
    mkdir -p "$R/meta"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    LIST=$D ps create meta_directory="$R/meta"
    [ "$status" = 1 ]
    [ "$output" = "$F Missing main.cf prototype: $R/meta/main.cf.proto" ]
    cp /etc/postfix/main.cf.proto "$R/meta/"
    LIST=$D ps create meta_directory="$R/meta"
    [ "$status" = 1 ]
    [ "$output" = "$F Missing master.cf prototype: $R/meta/master.cf.proto" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    [ ! -e "$D" ]
}

@test "import: Postfix's messages for a missing file; pfm refuses a missing queue" {
    target a
    mkdir -p "$D"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    LIST=$D ps import
    [ "$status" = 1 ]
    [ "$output" = "$F '$D' lacks a main.cf file" ]
    printf 'queue_directory = %s\ndata_directory = %s\n' "$Q" "$A" >"$D/main.cf"
    LIST=$D ps import
    [ "$status" = 1 ]
    [ "$output" = "$F '$D' lacks a master.cf file" ]
    cp /etc/postfix/master.cf "$D/master.cf"
    cp "$D/main.cf" "$BATS_TEST_TMPDIR/inst"
    LIST=$D ps import multi_instance_name=postfix-a
    [ "$status" = 1 ]
    [ "$output" = "$F '$D': queue_directory '$Q' is not a directory" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    cmp "$D/main.cf" "$BATS_TEST_TMPDIR/inst"
    # Listed, and out of alternate_config_directories, in one edit.
    mkdir -p "$Q"
    printf 'alternate_config_directories = /x, %s,/y\n' "$D" >>"$P/main.cf"
    LIST="/z $D" ps import multi_instance_name=postfix-a
    [ "$status" = 0 ]
    [ -d "$Q/maildrop" ] && [ -d "$A" ]
    [ "$(tail -n 2 "$P/main.cf")" = "alternate_config_directories = /x /y
multi_instance_directories = /z $D" ]
    [ "$(tail -n 1 "$D/main.cf")" = "multi_instance_name = postfix-a" ]
}

@test "deport lists the instance as an alternate, once; without main.cf it just unlists" {
    inst a
    LIST='' ps deport
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(grep -e '^alternate' -e '^multi_instance_dir' "$P/main.cf")" = "multi_instance_directories = 
alternate_config_directories = $D" ]
    LIST='' ps deport
    [ "$status" = 0 ]
    [ "$(grep -c "$D" "$P/main.cf")" = 1 ]
    # main.cf gone (Postfix's "already deleted" case): out of both lists
    mv "$D/main.cf" "$D/main.cf.away"
    LIST='' ps deport
    [ "$status" = 0 ]
    [ "$(grep '^alternate' "$P/main.cf")" = "alternate_config_directories = " ]
}

@test "deport of a broken instance (empty queue_directory given) moves it to the alternates" {
    inst a
    printf 'broken line\n' >>"$D/main.cf"
    LIST='' ps deport queue_directory= data_directory=
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(grep -e '^alternate' -e '^multi_instance_dir' "$P/main.cf")" = "multi_instance_directories = 
alternate_config_directories = $D" ]
}

@test "enable and disable edit multi_instance_enable only" {
    inst a
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    ps enable
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(tail -n 1 "$D/main.cf")" = "multi_instance_enable = yes" ]
    ps disable
    [ "$status" = 0 ]
    [ "$(grep -c multi_instance_enable "$D/main.cf")" = 1 ]
    [ "$(tail -n 1 "$D/main.cf")" = "multi_instance_enable = no" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
}

@test "destroy refuses the primary, an enabled instance, an unreadable one: nothing changes" {
    inst a
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    tree "$R" >"$BATS_TEST_TMPDIR/tree"
    D=$P LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F Cannot remove the primary instance" ]
    ps enable
    LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F Cannot remove enabled instances" ]
    ps disable
    LIST='' ps destroy queue_directory=
    [ "$status" = 1 ]
    [ "$output" = "$F cannot read $D/main.cf: deport it or repair it first" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    diff "$BATS_TEST_TMPDIR/tree" <(tree "$R")
}

@test "destroy refuses an instance whose queue holds mail, naming queues and counts" {
    inst a
    mkdir -p "$Q/deferred/4"
    : >"$Q/deferred/4/4ABCDEF0123"
    : >"$Q/hold/4BCDEF01234"
    : >"$Q/hold/5BCDEF01234"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    tree "$R" >"$BATS_TEST_TMPDIR/tree"
    LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F Instance '$D' has queued mail: deferred 1, hold 2" ]
    diff "$BATS_TEST_TMPDIR/tree" <(tree "$R")
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    rm "$Q/deferred/4/4ABCDEF0123" "$Q"/hold/*
    # One message in each queue, one at a time.
    local qn
    for qn in maildrop incoming active deferred hold corrupt saved; do
        : >"$Q/$qn/6CDEF012345"
        tree "$R" >"$BATS_TEST_TMPDIR/tree"
        LIST='' ps destroy
        [ "$status" = 1 ]
        [ "$output" = "$F Instance '$D' has queued mail: $qn 1" ]
        diff "$BATS_TEST_TMPDIR/tree" <(tree "$R")
        rm "$Q/$qn/6CDEF012345"
    done
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    # Cannot tell (an unexpected file): refused too.
    mkdir "$Q/active/x"
    LIST='' ps destroy
    [ "$status" = 1 ]
    [ "${lines[0]%%:*}" = pfm-queuecheck ]
    [ "${lines[1]}" = "$F Instance '$D': cannot tell whether its queue is empty" ]
    [ "${#lines[@]}" = 2 ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
}

@test "deport warns when the queue holds mail, and deports" {
    inst a
    : >"$Q/maildrop/123.456"
    LIST='' ps deport
    [ "$status" = 0 ]
    [ "$output" = "$W Instance '$D' has queued mail: maildrop 1" ]
    [ "$(tail -n 1 "$P/main.cf")" = "alternate_config_directories = $D" ]
}

@test "destroy never follows a symbolic link: refused before any change" {
    inst a
    mkdir -p "$R/victim/sub"
    : >"$Q/pid/master.pid"
    : >"$A/master.lock"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    local l
    for l in "$Q/deferred" "$Q/pid/master.pid" "$A/master.lock" "$D/master.cf"; do
        mv "$l" "$l.real"
        ln -s "$R/victim" "$l"
        tree "$R" >"$BATS_TEST_TMPDIR/tree"
        LIST='' ps destroy
        [ "$status" = 1 ]
        [ "$output" = "$F $l is a symbolic link: not following it" ]
        diff "$BATS_TEST_TMPDIR/tree" <(tree "$R")
        rm "$l"
        mv "$l.real" "$l"
    done
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    [ -d "$R/victim/sub" ]
}

@test "destroy removes a stopped master's leftovers, hash and tlstrace directories" {
    pfm_require python3
    inst a
    : >"$Q/pid/master.pid"
    : >"$A/master.lock"
    mkfifo "$Q/public/pickup"
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$Q/private/smtp"
    [ -S "$Q/private/smtp" ]
    mkdir -p "$Q/deferred/A" "$Q/defer/0/1" "$Q/tlstrace"
    LIST='' ps destroy
    [ "$status" = 0 ] && [ -z "$output" ]
    [ ! -e "$D" ] && [ ! -e "$Q" ] && [ ! -e "$A" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = " ]
}

@test "destroy names what is left, keeps the instance listed; a second run completes" {
    inst a
    printf 'x\n' >"$Q/flush/example.com"
    printf 'x\n' >"$D/transport"
    mkdir "$Q/etc"
    LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$W $Q/etc: please verify contents and remove by hand
$W $Q/flush: please verify contents and remove by hand
$F Instance '$D' is still listed: remove what is left by hand, then destroy it again" ] || \
    [ "$output" = "$W $Q/etc: please verify contents and remove by hand
$W $Q/flush: please verify contents and remove by hand
$W $D/transport: please verify contents and remove by hand
$F Instance '$D' is still listed: remove what is left by hand, then destroy it again" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = $D" ]
    [ -f "$D/main.cf" ]
    rm "$Q/flush/example.com" "$D/transport"
    rmdir "$Q/etc"
    LIST='' ps destroy
    [ "$status" = 0 ] && [ -z "$output" ]
    [ ! -e "$D" ] && [ ! -e "$Q" ]
}

@test "destroy killed half-way (master.cf, queue gone) is completed by a second run" {
    inst a
    rm "$D/master.cf"
    rmdir "$Q"/{active,bounce,pid}
    rmdir "$A"
    LIST='' ps destroy
    [ "$status" = 0 ] && [ -z "$output" ]
    [ ! -e "$D" ] && [ ! -e "$Q" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = " ]
}

@test "destroy of an instance without main.cf removes master.cf and the directory" {
    inst a
    local q=$Q
    rm "$D/main.cf"
    LIST='' ps destroy queue_directory= data_directory=
    [ "$status" = 0 ] && [ -z "$output" ]
    [ ! -e "$D" ]
    [ -d "$q/maildrop" ]   # its queue is unknown: untouched
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = " ]
}

@test "destroy of a listed directory that is gone unlists it" {
    inst a
    rm -r "$D"
    LIST='' ps destroy queue_directory= data_directory=
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = " ]
    [ -d "$Q/maildrop" ]
}

@test "destroy of an instance without main.cf keeps a directory holding more" {
    inst a
    rm "$D/main.cf"
    : >"$D/transport"
    LIST='' ps destroy queue_directory= data_directory=
    [ "$status" = 1 ]
    [ "$output" = "$W $D/transport: please verify contents and remove by hand
$F Instance '$D' is still listed: remove what is left by hand, then destroy it again" ]
    [ -f "$D/master.cf" ]
    [ "$(tail -n 1 "$P/main.cf")" = "multi_instance_directories = $D" ]
}

@test "names and groups with quotes, backquotes, ; and * are stored literally, never run" {
    # (Paths are quoted too, but Postfix's own post-install evaluates
    # them: the front end must refuse odd paths.)
    inst a
    cd "$R"
    local n="postfix-\`touch canary\`;touch canary;'x\"*|&" g='* $(touch canary)'
    ps assign multi_instance_name="$n" multi_instance_group="$g"
    [ "$status" = 0 ] && [ -z "$output" ]
    [ "$(grep '^multi_instance_[gn]' "$D/main.cf")" = "multi_instance_group = $g
multi_instance_name = $n" ]
    [ ! -e "$R/canary" ] && [ ! -e "$D/canary" ]
}

@test "daemon: destroy and deport refuse a running instance; nothing changes" {
    inst a
    local up=$R
    while [ -n "$up" ]; do chmod o+x "$up"; up=${up%/*}; done
    "$POSTFIX_REAL" -c "$D" start >/dev/null 2>&1
    sb_master_pid "$Q" >/dev/null
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    tree "$R" >"$BATS_TEST_TMPDIR/tree"
    LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F Instance '$D' is not stopped" ]
    LIST='' ps deport
    [ "$status" = 1 ]
    [ "$output" = "$F Instance '$D' is not stopped" ]
    diff "$BATS_TEST_TMPDIR/tree" <(tree "$R")
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    # Stopped, it goes, with what the master left.
    "$POSTFIX_REAL" -c "$D" stop >/dev/null 2>&1
    local i
    for i in $(seq 50); do
        "$POSTFIX_REAL" -c "$D" status >/dev/null 2>&1 || break
        sleep 0.1
    done
    [ -f "$Q/pid/master.pid" ] && [ -S "$Q/public/cleanup" ] && [ -f "$A/master.lock" ]
    LIST='' ps destroy
    [ "$status" = 0 ] && [ -z "$output" ]
    [ ! -e "$D" ] && [ ! -e "$Q" ] && [ ! -e "$A" ]
}

# killable - a copy of the helper whose every changing command (cp mv
# rm rmdir mkdir, pfm-lock, postfix) goes through a wrapper that counts
# it in $KCNT and, at count $KAT, SIGKILLs the helper before running.
# Sets KH (the helper) and KCMD (its command_directory).
killable() {
    local k=$BATS_TEST_TMPDIR/kill c w
    mkdir -p "$k/bin" "$k/cmd" "$k/lx"
    cp -a "$PFM_LIBEXEC/." "$k/lx/"
    sed "s|^pfm_libexec=.*|pfm_libexec='$k/lx'|" "$PFM_LIBEXEC/postmulti-script" \
        >"$k/lx/postmulti-script"
    mv "$k/lx/pfm-lock" "$k/lx/pfm-lock.real"
    for c in /usr/sbin/post*; do ln -s "$c" "$k/cmd/${c##*/}"; done
    rm "$k/cmd/postfix"
    for c in cp mv rm rmdir mkdir "$k/lx/pfm-lock" "$k/cmd/postfix"; do
        case $c in
        */pfm-lock) w=$c real=$c.real ;;
        */postfix) w=$c real=/usr/sbin/postfix ;;
        *) w=$k/bin/$c real=$(command -v "$c") ;;
        esac
        printf '%s\n' '#!/bin/sh' \
            'n=$(($(cat "$KCNT") + 1)); echo "$n" >"$KCNT"' \
            'if [ "$n" = "${KAT:-0}" ]; then kill -9 "$(cat "$KPID")"; exit 137; fi' \
            "exec $real \"\$@\"" >"$w"
        chmod 755 "$w"
    done
    KH=$k/lx/postmulti-script KCMD=$k/cmd KBIN=$k/bin
    chmod 755 "$KH"
}

# kps - ACTION [VAR=value...]: run the killable helper (as ps does)
kps() {
    local action=$1
    shift
    echo 0 >"$KCNT"
    run env -i PATH="$KBIN:$PATH" LANG=C MAIL_LOGTAG=postfix PFM_SYSLOG=no \
        KCNT="$KCNT" KAT="${KAT:-0}" KPID="$BATS_TEST_TMPDIR/kpid" \
        MAIL_CONFIG="$P" command_directory="$KCMD" \
        daemon_directory=/usr/lib/postfix/sbin meta_directory=/etc/postfix \
        shlib_directory=/usr/lib/postfix config_directory="$D" \
        queue_directory="$Q" data_directory="$A" \
        multi_instance_directories="$LIST" "$@" \
        sh -c 'echo $$ >"$KPID"; exec "$0" -e "$1"' "$KH" "$action"
}

# fresh - K: a new primary under $BATS_TEST_TMPDIR/kK
fresh() {
    local p0=$P
    R=$BATS_TEST_TMPDIR/k$1
    P=$R/p
    mkdir -p "$P"
    cp "$p0/main.cf" "$p0/master.cf" "$P/"
}

@test "destroy killed before any one of its changes is completed by a second run" {
    killable
    KCNT=$BATS_TEST_TMPDIR/count
    local k=1 n
    while :; do
        fresh "$k"
        inst a
        : >"$Q/pid/master.pid"
        : >"$A/master.lock"
        mkfifo "$Q/public/qmgr"
        mkdir -p "$Q/deferred/A"
        LIST='' KAT=$k kps destroy
        n=$(cat "$KCNT")
        [ "$n" -ge "$k" ] || break      # ran to the end: every point done
        [ "$status" = 137 ] || { echo "K=$k: $status $output"; false; }
        LIST='' kps destroy
        [ "$status" = 0 ] || { echo "K=$k rerun: $output"; false; }
        [ -z "$output" ]
        [ ! -e "$D" ] && [ ! -e "$Q" ] && [ ! -e "$A" ]
        [ "$(grep '^multi_instance_directories' "$P/main.cf")" = "multi_instance_directories = " ]
        k=$((k + 1))
    done
    [ "$status" = 0 ] && [ ! -e "$D" ]
    echo "# $((k - 1)) kill points" >&3
    [ "$k" -gt 6 ]
}

@test "create killed before any one of its changes is completed by a second run" {
    # Each second run lays out a queue (about 2 s): by default every
    # 7th kill point (1, 8, 15 of 15); PFM_KILL_EVERY=1 tries them all.
    killable
    KCNT=$BATS_TEST_TMPDIR/count
    local k=1 n every=${PFM_KILL_EVERY:-7} tried=0
    while :; do
        fresh "$k"
        target a
        LIST=$D KAT=$k kps create
        n=$(cat "$KCNT")
        [ "$n" -ge "$k" ] || break
        [ "$status" = 137 ] || { echo "K=$k: $status $output"; false; }
        pfm_backdate "$P/main.cf" "$D/main.cf" 2>/dev/null || :
        LIST=$D kps create
        [ "$status" = 0 ] || { echo "K=$k rerun: $output"; false; }
        [ "$(grep '^multi_instance_directories' "$P/main.cf")" = "multi_instance_directories = $D" ]
        grep -q "^queue_directory = $Q\$" "$D/main.cf"
        cmp /etc/postfix/master.cf.proto "$D/master.cf"
        [ -d "$Q/maildrop" ] && [ -d "$A" ] && [ ! -e "$D/.tmp" ]
        tried=$((tried + 1))
        k=$((k + every))
    done
    [ "$status" = 0 ]
    echo "# $tried of $n kill points" >&3
    [ "$n" -ge 14 ]
}

# The contract test.  ct_scenario runs inside a mount namespace: the
# real postmulti drives whatever postmulti-script is at Postfix's path.
# Each step prints "### N CMD", the messages ("E: ", stderr on a tty
# as script(1) gives it), stdout ("O: "), the status, and a snapshot:
# the trees (path, type, owner, group, mode) and every main.cf with
# its lines sorted (postconf 3.7 appends in hash order).
ct_scenario() {
    local out=$1 step=0
    cd / || return 1
    printf '%s\n' 'compatibility_level = 3.6' 'mail_owner = postfix' \
        'setgid_group = postdrop' 'master_service_disable = inet' \
        >/etc/postfix/main.cf
    touch -d '2 hours ago' /etc/postfix/main.cf
    snap() {
        find /etc/postfix* /etc/pfx* /var/spool/postfix* /var/spool/pfx* \
            /var/lib/postfix* /var/lib/pfx* -printf '%p %y %u %g %m\n' \
            2>/dev/null | sort
        local f
        for f in /etc/postfix*/main.cf /etc/pfx*/main.cf; do
            [ -f "$f" ] || continue
            echo "== $f"
            sort "$f"
        done
    }
    pm() {
        step=$((step + 1))
        echo "### $step postmulti $*"
        # postconf waits for a main.cf changed in the last second
        touch -d '2 hours ago' /etc/postfix*/main.cf /etc/pfx*/main.cf \
            2>/dev/null
        script -qec "/usr/sbin/postmulti $* >$out/stdout" /dev/null |
            tr -d '\r' | sed 's/^/E: /'
        echo "rc=${PIPESTATUS[0]}"
        sed 's/^/O: /' "$out/stdout"
        snap
    }
    # pair - DIR QUEUE [NAME]: a complete instance made by hand
    pair() {
        mkdir -p "$1"
        printf 'queue_directory = %s\ndata_directory = /var/lib/%s\n' \
            "$2" "${1##*/}" >"$1/main.cf"
        [ -z "${3:-}" ] || printf 'multi_instance_name = %s\n' "$3" >>"$1/main.cf"
        cp /etc/postfix/master.cf.proto "$1/master.cf"
        touch -d '2 hours ago' "$1/main.cf"
    }
    pm -e create -I postfix-a
    pm -e init
    pm -e init
    pm -e create -I postfix-a
    pm -e create -I postfix-b -G grp -a
    # (pfm makes the new parent /var/lib/pfx-c 0755, Postfix 0700)
    pm -e create -g grp config_directory=/etc/pfx-c \
        queue_directory=/var/spool/pfx-c data_directory=/var/lib/pfx-c/d
    pm -e create -I postfix-d -i postfix-a
    pair /etc/postfix-e /var/spool/postfix-e
    mkdir /var/spool/postfix-e
    pm -e create -I postfix-e
    pair /etc/pfx-f /var/spool/pfx-f postfix-f
    mkdir /var/spool/pfx-f
    pm -e import config_directory=/etc/pfx-f
    pair /etc/pfx-g /var/spool/pfx-g
    mkdir /var/spool/pfx-g
    pm -e import config_directory=/etc/pfx-g
    pm -e assign -i postfix-a -I postfix-aa
    pm -e assign -i postfix-aa -G g2
    pm -e assign -i postfix-aa -I - -G -
    pm -e enable -i postfix-b
    pm -e disable -i postfix-b
    pm -e deport -i postfix-d
    pm -e import config_directory=/etc/postfix-d
    pm -e destroy -i postfix-b
    # A master that runs: deport and destroy refuse it.
    /usr/sbin/postfix -c /etc/postfix-d start >/dev/null 2>&1
    pm -e deport -i postfix-d
    pm -e destroy -i postfix-d
    /usr/sbin/postfix -c /etc/postfix-d stop >/dev/null 2>&1
    local i
    for i in $(seq 50); do
        /usr/sbin/postfix -c /etc/postfix-d status >/dev/null 2>&1 || break
        sleep 0.1
    done
    echo "### postconf"
    touch -d '2 hours ago' /etc/postfix*/main.cf /etc/pfx*/main.cf
    for i in /etc/postfix /etc/postfix-* /etc/pfx-*; do
        echo "== $i"
        /usr/sbin/postconf -c "$i" -n 2>&1
    done
    # pfm's deliberate differences, last.
    pm -e destroy -i postfix-d
    pair /etc/pfx-i /var/spool/pfx-i
    pm -e import config_directory=/etc/pfx-i
}

# ct_run - real|pfm: the scenario in a fresh namespace, one file per
# step in $BATS_TEST_TMPDIR/MODE/
ct_run() {
    local out=$BATS_TEST_TMPDIR/$1
    mkdir -p "$out"
    sb_ns_start "$BATS_TEST_TMPDIR/ns-$1" || return 1
    # (ct_run may run in the background: teardown reads this file)
    printf '%s %s\n' "$SB_NS" "$SB_NSPID" >"$BATS_TEST_TMPDIR/ns-$1.pid"
    if [ "$1" = pfm ]; then
        sb_ns mount --bind "$PFM_LIBEXEC/postmulti-script" \
            /usr/lib/postfix/sbin/postmulti-script || return 1
    fi
    sb_ns bash -c "$(declare -f ct_scenario); ct_scenario $out" \
        >"$out/all" 2>&1
    awk -v d="$out" '/^### / { f = d "/step." (++n) } { print >f }' "$out/all"
}

# ct_stop - MODE: stop that namespace and its daemons
ct_stop() {
    [ -f "$BATS_TEST_TMPDIR/ns-$1.pid" ] || return 0
    read -r SB_NS SB_NSPID <"$BATS_TEST_TMPDIR/ns-$1.pid"
    sb_ns_stop
}

@test "daemon: contract: real postmulti with pfm's helper gives Postfix's results" {
    pfm_require script unshare nsenter
    ct_run real &
    local rp=$!
    ct_run pfm
    wait "$rp"
    local r=$BATS_TEST_TMPDIR/real p=$BATS_TEST_TMPDIR/pfm n
    n=$(ls "$r" | grep -c '^step\.')
    [ "$n" = "$(ls "$p" | grep -c '^step\.')" ]
    # Every step up to "### postconf" is the same, byte for byte, but
    # for the mode of the data directory's new parent.
    grep -qx '/var/lib/pfx-c d root root 700' "$r/step.6"
    grep -qx '/var/lib/pfx-c d root root 755' "$p/step.6"
    local i=1
    while :; do
        diff -u "$r/step.$i" <(sed 's|^\(/var/lib/pfx-c d root root\) 755$|\1 700|' "$p/step.$i")
        grep -q '^### postconf' "$r/step.$i" && break
        i=$((i + 1))
    done
    [ "$i" = 21 ]
    # Steps 19, 20: the helpers refuse a running instance alike.
    grep -qx "E: postfix/postmulti-script: fatal: Instance '/etc/postfix-d' is not stopped" "$p/step.19"
    grep -qx "E: postfix/postmulti-script: fatal: Instance '/etc/postfix-d' is not stopped" "$p/step.20"

    # Step 21, destroy of an instance that ran once: Postfix leaves
    # its queue and data directories with warnings, pfm removes all.
    local w="E: postfix/postmulti-script: warning:"
    [ "$(grep '^E: ' "$r/step.22")" = "E: rmdir: failed to remove 'pid': Directory not empty
$w /var/spool/postfix-d/pid: please verify contents and remove by hand
E: rmdir: failed to remove 'private': Directory not empty
$w /var/spool/postfix-d/private: please verify contents and remove by hand
E: rmdir: failed to remove 'public': Directory not empty
$w /var/spool/postfix-d/public: please verify contents and remove by hand
E: rmdir: failed to remove '/var/lib/postfix-d': Directory not empty
$w /var/lib/postfix-d: please verify contents and remove by hand
E: rmdir: failed to remove '/var/spool/postfix-d': Directory not empty
$w /var/spool/postfix-d: please verify contents and remove by hand" ]
    grep -qx rc=0 "$r/step.22"
    grep -qx /var/spool/postfix-d/pid/master.pid "$r/step.22" ||
        grep -q '^/var/spool/postfix-d/pid/master.pid ' "$r/step.22"
    grep -q '^/var/lib/postfix-d/master.lock ' "$r/step.22"
    ! grep -q '^E: ' "$p/step.22"
    grep -qx rc=0 "$p/step.22"
    ! grep -q -e '^/etc/postfix-d' -e '^/var/spool/postfix-d' \
        -e '^/var/lib/postfix-d' "$p/step.22"
    diff -u <(grep -v -e '^E: ' -e '^/var/spool/postfix-d' -e '^/var/lib/postfix-d' "$r/step.22") \
        <(sed 's|^\(/var/lib/pfx-c d root root\) 755$|\1 700|' "$p/step.22")

    # Step 22, import of an instance without its queue directory:
    # Postfix lists it, then set-permissions fails; pfm refuses first.
    grep -qx 'E: postfix: fatal: chdir(/var/spool/pfx-i): No such file or directory' "$r/step.23"
    grep -qx rc=1 "$r/step.23"
    [ "$(grep '^E: ' "$p/step.23")" = "E: postfix/postmulti-script: fatal: '/etc/pfx-i': queue_directory '/var/spool/pfx-i' is not a directory" ]
    grep -qx rc=1 "$p/step.23"
    grep -q '^multi_instance_directories = .* /etc/pfx-i$' "$r/step.23"
    diff -u <(grep -v -e '^E: ' -e '^/var/spool/postfix-d' -e '^/var/lib/postfix-d' \
        "$r/step.23" | sed 's|^\(multi_instance_directories = .*\) /etc/pfx-i$|\1|') \
        <(grep -v -e '^E: ' "$p/step.23" | sed 's|^\(/var/lib/pfx-c d root root\) 755$|\1 700|')
    [ "$n" = 23 ]
}

@test "destroy refuses a queue or data path that is not plain (// /./ trailing /) or is the primary's, before any change" {
    inst a
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    tree "$R" >"$BATS_TEST_TMPDIR/tree"
    local real=$Q v
    # A symbolic link behind a trailing slash is not seen by -h.
    mv "$Q" "$Q.real" && ln -s "$Q.real" "$Q"
    for v in "$Q/" "${Q%/*}//${Q##*/}" "${Q%/*}/./${Q##*/}"; do
        Q=$v LIST='' ps destroy
        [ "$status" = 1 ]
        [ "$output" = "$F refusing to remove files under '$v': not a plain absolute path" ]
    done
    rm "$real" && mv "$real.real" "$real"
    Q=$real
    # The primary's queue directory, reached through another name.
    mkdir -p "$R/pq"
    printf 'queue_directory = %s\n' "$R/pq" >>"$P/main.cf"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    ln -s "$R/pq" "$R/pq-alias"
    Q=$R/pq-alias/. LIST='' ps destroy
    [ "$status" = 1 ]
    rmdir "$R/pq-alias" 2>/dev/null || rm "$R/pq-alias"
    ln -s "$R" "$R/up"
    Q=$R/up/pq LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F Instance '$D': $R/up/pq is also the primary instance's directory $R/pq" ]
    rm "$R/up"
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    [ -d "$R/pq" ] && [ -d "$Q/deferred" ]
}

@test "destroy refuses a directory reached through a symbolic link in a parent: another instance's files stay" {
    inst a
    inst b
    local qa=$R/a/q da=$R/a/d ca=$R/a/cf
    touch "$da/master.lock"
    tree "$R" >"$BATS_TEST_TMPDIR/tree"
    cp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    ln -s "$R/a" "$R/al"
    # b's queue, data or config directory spelled through "al" -> a
    target b
    Q=$R/al/q LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F $R/al/q is reached through a symbolic link: not following it" ]
    target b
    A=$R/al/d LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F $R/al/d is reached through a symbolic link: not following it" ]
    # a directory holding b's main.cf, reached through a link to it
    ln -s "$R/b" "$R/bl"
    target b
    D=$R/bl/cf LIST='' ps destroy
    [ "$status" = 1 ]
    [ "$output" = "$F $R/bl/cf is reached through a symbolic link: not following it" ]
    rm "$R/al" "$R/bl"
    [ "$(tree "$R")" = "$(cat "$BATS_TEST_TMPDIR/tree")" ]
    cmp "$P/main.cf" "$BATS_TEST_TMPDIR/before"
    [ -f "$da/master.lock" ] && [ -d "$qa/deferred" ] && [ -f "$ca/main.cf" ]
    # spelled directly, b goes
    target b
    LIST=$R/a/cf ps destroy
    [ "$status" = 0 ] && [ ! -e "$R/b/cf" ] && [ ! -e "$R/b/q" ]
}

@test "create and import refuse a main.cf or master.cf that is not a regular file" {
    local f
    for f in main.cf master.cf; do
        target "x$f"
        mkdir -p "$D/$f"
        LIST=$D ps create
        [ "$status" = 1 ]
        [ "$output" = "$F '$D/$f' is not a regular file" ]
        [ -z "$(ls -A "$D/$f")" ]
        LIST=$D ps import
        [ "$status" = 1 ]
        [ "$output" = "$F '$D/$f' is not a regular file" ]
    done
    ! grep -q '^multi_instance_directories' "$P/main.cf"
}
