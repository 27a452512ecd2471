# t/sandbox.bash - Postfix sandboxes for the tests (load after helper).
#
# Two kinds:
#  - a tree under a temp dir, used with postmulti's -c extension:
#    sb_tree ROOT SPEC... makes ROOT/p (the primary) and one instance
#    per SPEC "id:name:group:enable" (name/group may be empty), each
#    with cf/ (main.cf, master.cf), q/ (queue) and d/ (data).
#  - a private mount namespace with overlays on /etc, /var/spool and
#    /var/lib, for what must go through the default config directory:
#    sb_ns_start, then sb_ns CMD... runs CMD inside; sb_ns_stop.
# sb_stop_all stops every master whose pid file is under the given
# queue directories (teardown, also after a failure).

# sb_main - DIR QUEUE DATA NAME GROUP ENABLE [EXTRA...]: write DIR/main.cf
sb_main() {
    local dir=$1 q=$2 d=$3 name=$4 group=$5 en=$6
    shift 6
    mkdir -p "$dir" "$q" "$d"
    chown postfix "$d"
    {
        printf 'queue_directory = %s\n' "$q"
        printf 'data_directory = %s\n' "$d"
        printf 'master_service_disable = inet\n'
        printf 'compatibility_level = 3.6\n'
        printf 'multi_instance_enable = %s\n' "$en"
        [ -z "$name" ] || printf 'multi_instance_name = %s\n' "$name"
        [ -z "$group" ] || printf 'multi_instance_group = %s\n' "$group"
        local l
        for l in "$@"; do printf '%s\n' "$l"; done
    } >"$dir/main.cf"
    cp /etc/postfix/master.cf "$dir/master.cf"
    pfm_backdate "$dir/main.cf"
}

# sb_tree - ROOT SPEC...: a -c sandbox; SB_DIRS lists the cf dirs,
# SB_QUEUES the queue dirs (primary first)
sb_tree() {
    local root=$1 spec id name group en dirs=
    shift
    # The postfix user must reach the queue: bats temp dirs are 0700.
    mkdir -p "$root"
    local up=$root
    while [ -n "$up" ]; do
        chmod o+x "$up" 2>/dev/null || :
        up=${up%/*}
    done
    SB_DIRS=$root/p/cf SB_QUEUES=$root/p/q
    for spec in "$@"; do
        IFS=: read -r id name group en <<<"$spec"
        sb_main "$root/$id/cf" "$root/$id/q" "$root/$id/d" "$name" \
            "$group" "$en" ${SB_EXTRA:+"$SB_EXTRA"}
        dirs="$dirs $root/$id/cf"
        SB_DIRS="$SB_DIRS $root/$id/cf"
        SB_QUEUES="$SB_QUEUES $root/$id/q"
    done
    sb_main "$root/p/cf" "$root/p/q" "$root/p/d" "" "" yes \
        "multi_instance_directories =$dirs" ${SB_EXTRA:+"$SB_EXTRA"}
}

# sb_prepare - create the queue trees of SB_DIRS (postfix check does)
sb_prepare() {
    local d
    for d in $SB_DIRS; do
        "$POSTFIX_REAL" -c "$d" check >/dev/null 2>&1 || return 1
    done
}

# sb_shim - DIR LOG: a command_directory whose postfix logs
# "MAIL_CONFIG ARGS" to LOG, then runs the real one
sb_shim() {
    local dir=$1 log=$2 f
    mkdir -p "$dir"
    for f in /usr/sbin/post*; do ln -sf "$f" "$dir/${f##*/}"; done
    rm -f "$dir/postfix"
    printf '#!/bin/sh\nprintf "%%s %%s\\n" "$MAIL_CONFIG" "$*" >>%s\nexec %s "$@"\n' \
        "$log" "$POSTFIX_REAL" >"$dir/postfix"
    chmod 755 "$dir/postfix"
}

# sb_master_pid - QUEUE_DIR: the running master's PID, or fail
sb_master_pid() {
    local pid
    [ -f "$1/pid/master.pid" ] || return 1
    read -r pid <"$1/pid/master.pid" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# sb_stop_all - QUEUE_DIR...: stop every master found, wait for it
sb_stop_all() {
    local q pid i
    for q in "$@"; do
        pid=$(sb_master_pid "$q") || continue
        kill -TERM "$pid" 2>/dev/null
        for i in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.3
        done
        kill -KILL "$pid" 2>/dev/null || :
    done
}

# sb_ns_start - a mount namespace with /etc, /var/spool, /var/lib
# overlaid; SB_NS is its work dir, SB_NSPID the process holding it
sb_ns_start() {
    SB_NS=${1:-$BATS_TEST_TMPDIR/ns}
    local m
    for m in etc spool lib; do mkdir -p "$SB_NS/$m/u" "$SB_NS/$m/w"; done
    rm -f "$SB_NS/ready"
    unshare -m --propagation private sh -c '
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc/u,workdir=$1/etc/w" /etc &&
        mount -t overlay overlay -o "lowerdir=/var/spool,upperdir=$1/spool/u,workdir=$1/spool/w" /var/spool &&
        mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$1/lib/u,workdir=$1/lib/w" /var/lib &&
        : >"$1/ready" && exec sleep 100000' sh "$SB_NS" 3>&- &
    SB_NSPID=$!
    local i
    for i in $(seq 50); do
        [ -f "$SB_NS/ready" ] && return 0
        sleep 0.1
    done
    return 1
}

# sb_ns - CMD...: run CMD inside the namespace
sb_ns() {
    nsenter -t "$SB_NSPID" -m -- "$@"
}

# sb_ns_stop - stop the masters of the namespace (their pid files are
# visible in the overlay upper dirs), then the namespace holder
sb_ns_stop() {
    [ -n "${SB_NSPID:-}" ] || return 0
    local q
    for q in "$SB_NS"/spool/u/postfix*; do
        [ -d "$q" ] && sb_stop_all "$q"
    done
    kill "$SB_NSPID" 2>/dev/null || :
    wait "$SB_NSPID" 2>/dev/null || :
    SB_NSPID=
}
