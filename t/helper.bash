# t/helper.bash - common setup for every bats file.
#
# Load with `load helper`.  The suite runs against a staged install
# made by `make check` (or `make stage`): $PFM_STAGE/sbin/postmulti,
# $PFM_STAGE/libexec/pfm/{pfm-parsecf,pfm-lock,libpfm.sh,...}.
# In CI (CI=true) a missing tool or missing root is a failure, never a
# skip: a green run means everything ran.  A test that starts Postfix
# daemons has a name that starts with "daemon: " (the shell matrix of
# t/run leaves those out; bats 1.8 has no tags).

PFM_TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${PFM_STAGE:=$PFM_TOP/t/stage/default}"
PFM_SBIN=$PFM_STAGE/sbin
PFM_LIBEXEC=$PFM_STAGE/libexec/pfm
# The real Postfix, the oracle.
POSTCONF=${POSTCONF:-/usr/sbin/postconf}
POSTMULTI_REAL=${POSTMULTI_REAL:-/usr/sbin/postmulti}
POSTFIX_REAL=${POSTFIX_REAL:-/usr/sbin/postfix}
export PFM_TOP PFM_STAGE PFM_SBIN PFM_LIBEXEC POSTCONF POSTMULTI_REAL \
    POSTFIX_REAL
export LC_ALL=C
bats_require_minimum_version 1.5.0
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# t/run's busybox stage puts awk and sed -> busybox there.  Only then:
# PATH shows in -x output, and the oracle cache is keyed on it.
[ -d "$PFM_STAGE/bin-override" ] && PATH=$PFM_STAGE/bin-override:$PATH
export PATH

# pfm_skip - skip a test, except in CI where it must fail
pfm_skip() {
    if [ "${CI:-}" = true ]; then
        echo "CI: would skip: $*" >&2
        return 1
    fi
    skip "$*"
}

# pfm_require - the named commands must exist
pfm_require() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || pfm_skip "needs $c"
    done
}

# pfm_require_root - the test must run as root (daemons, namespaces)
pfm_require_root() {
    [ "$(id -u)" = 0 ] || pfm_skip "needs root"
}

# pfm_require_stage - the staged install must exist
pfm_require_stage() {
    [ -x "$PFM_LIBEXEC/pfm-parsecf" ] ||
        pfm_skip "no staged build at $PFM_STAGE (run make check)"
}

# pfm_backdate - age files so postconf does not wait for them to settle
pfm_backdate() {
    touch -d '2 hours ago' "$@"
}
