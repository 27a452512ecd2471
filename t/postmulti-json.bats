#!/usr/bin/env bats
# postmulti -l -j with the queue_directory and data_directory keys
# (issue 12, an extension to Postfix 3.11's JSON lines): the keys and
# their order, JSON escaping of names and paths, and instances whose
# values hold control characters.
#
# NOT ENABLED YET: scripts/postmulti prints the four keys of Postfix
# 3.11 only, so these tests fail until pm_list adds the two keys (see
# the lead's integration note); t/run does not pick this file up
# (script_tests takes t/NAME.bats for scripts/NAME only).  Once
# enabled, the two -j assertions of t/postmulti.bats that spell the
# four-key lines must change with it.

bats_require_minimum_version 1.5.0
load helper
load sandbox

PM() { PFM_SYSLOG=no "$PFM_SBIN/postmulti" "$@"; }

setup() {
    pfm_require_stage
    pfm_require_root
    T=$BATS_TEST_TMPDIR/sb
}

# obj - NAME GROUP ENABLED CONFIG QUEUE DATA: one expected JSON line,
# arguments already escaped
obj() {
    printf '{"name": "%s","group": "%s","enabled": "%s","config_directory": "%s","queue_directory": "%s","data_directory": "%s"}' \
        "$@"
}

tree() {
    sb_tree "$T" "a:postfix-a:g1:yes" "b:postfix-b:g1:no" "c:::yes"
}

@test "-l -j: every object ends with queue_directory and data_directory, after Postfix's four keys" {
    tree
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[0]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$T/p/d")" ]
    [ "${lines[1]}" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
    [ "${lines[2]}" = "$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
    [ "${lines[3]}" = "$(obj - - y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
    [ "${#lines[@]}" -eq 4 ]
}

@test "-l -j: the directories are the expanded values, defaults where main.cf sets none" {
    tree
    # $name references are expanded, as postmulti -x exports them
    sed -i '/^queue_directory/d; /^data_directory/d' "$T/a/cf/main.cf"
    printf 'top = %s\nqueue_directory = $top/a/q\n' "$T" >>"$T/a/cf/main.cf"
    printf 'data_directory = ${top}/a/d\n' >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    # the primary without data_directory: the built-in default
    sed -i '/^data_directory/d' "$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    local def
    def=$("$PFM_LIBEXEC/pfm-parsecf" -dh data_directory)
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[0]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$def")" ]
    [ "${lines[1]}" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
}

@test "-l -j escapes quote and backslash in the name, the group and all three directories" {
    tree
    local d='q"u\o'
    sb_main "$T/$d/cf" "$T/$d/q" "$T/$d/d" 'postfix-"x\' 'g\"' yes
    sed -i '/^multi_instance_directories/d' "$T/p/cf/main.cf"
    printf 'multi_instance_directories = %s\n' "$T/a/cf $T/$d/cf" >>"$T/p/cf/main.cf"
    pfm_backdate "$T/p/cf/main.cf"
    local e='q\"u\\o'
    run -0 PM -c "$T/p/cf" -l -j
    [ "${lines[2]}" = "$(obj 'postfix-\"x\\' 'g\\\"' y "$T/$e/cf" "$T/$e/q" "$T/$e/d")" ]
    [ "${#lines[@]}" -eq 3 ]
    # -i takes the unescaped name
    run -0 PM -c "$T/p/cf" -l -j -i 'postfix-"x\'
    [ "$output" = "$(obj 'postfix-\"x\\' 'g\\\"' y "$T/$e/cf" "$T/$e/q" "$T/$e/d")" ]
}

@test "-l -j never prints a control character: an instance whose values hold one is skipped with a warning, exit 1" {
    tree
    local c
    for c in '\001' '\037' '\177'; do
        sed -i '/^queue_directory/d' "$T/c/cf/main.cf"
        printf "queue_directory = %s/c/q${c}z\\n" "$T" >>"$T/c/cf/main.cf"
        pfm_backdate "$T/c/cf/main.cf"
        run -1 --separate-stderr PM -c "$T/p/cf" -l -j
        [ "$stderr" = "postmulti: warning: $T/c/cf/main.cf: unsafe character in queue_directory value
postmulti: warning: Failed to obtain all required $T/c/cf/main.cf parameters" ]
        [ "${lines[2]}" = "$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
        [ "${#lines[@]}" -eq 3 ]
        ! printf '%s' "$output" | LC_ALL=C grep -q '[[:cntrl:]]'
    done
    # the same for a name
    sed -i '/^queue_directory/d' "$T/c/cf/main.cf"
    printf 'queue_directory = %s/c/q\n' "$T" >>"$T/c/cf/main.cf"
    printf 'multi_instance_name = postfix-\033c\n' >>"$T/c/cf/main.cf"
    pfm_backdate "$T/c/cf/main.cf"
    run -1 --separate-stderr PM -c "$T/p/cf" -l -j
    [ "$stderr" = "postmulti: warning: $T/c/cf/main.cf: unsafe character in multi_instance_name value
postmulti: warning: Failed to obtain all required $T/c/cf/main.cf parameters" ]
    [ "${#lines[@]}" -eq 3 ]
}

@test "-l -j: bytes above 127 pass as they are (JSON strings are UTF-8)" {
    case $(head -n 1 "$PFM_SBIN/postmulti") in
    *yash*) skip "yash drops bytes above 127 from command output in the C locale" ;;
    esac
    tree
    local n
    n=$(printf 'postfix-\303\251')
    sed -i '/^multi_instance_name/d' "$T/a/cf/main.cf"
    printf 'multi_instance_name = %s\n' "$n" >>"$T/a/cf/main.cf"
    pfm_backdate "$T/a/cf/main.cf"
    run -0 PM -c "$T/p/cf" -l -j -i "$n"
    [ "$output" = "$(obj "$n" g1 y "$T/a/cf" "$T/a/q" "$T/a/d")" ]
}

@test "-l -j with -R, -g and -i keeps the new keys" {
    tree
    run -0 PM -c "$T/p/cf" -l -j -R
    [ "${lines[0]}" = "$(obj - - y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
    [ "${lines[3]}" = "$(obj - - y "$T/p/cf" "$T/p/q" "$T/p/d")" ]
    run -0 PM -c "$T/p/cf" -l -j -g g1
    [ "$output" = "$(obj postfix-a g1 y "$T/a/cf" "$T/a/q" "$T/a/d")
$(obj postfix-b g1 n "$T/b/cf" "$T/b/q" "$T/b/d")" ]
    run -0 PM -c "$T/p/cf" -l -j -i "$T/c/cf"
    [ "$output" = "$(obj - - y "$T/c/cf" "$T/c/q" "$T/c/d")" ]
}
