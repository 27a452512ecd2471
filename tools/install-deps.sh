#!/bin/sh
#
# tools/install-deps.sh - install, on Debian, everything pfm's build,
# demo and tests need.  Run as root.  Idempotent.
#
# Postfix is installed non-interactively with "No configuration": the
# host's /etc/postfix gets no main.cf, and nothing is started.  Every
# test and the demo use their own sandboxes.

set -u
[ "$(id -u)" = 0 ] || { echo "install-deps: fatal: run as root" >&2; exit 1; }

pkgs="postfix bats shellcheck busybox mksh yash posh dash bash clang gcc
make musl-tools mandoc valgrind util-linux bsdutils procps file strace
time"

# Skip apt entirely when everything is there: fast re-runs.
need=
for p in $pkgs; do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
        need="$need $p"
done
[ -n "$need" ] || exit 0

echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections || exit 1
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null || exit 1
# Debian starts postfix after install where it can; pfm's tests want
# no system instance running.  Without a main.cf there is none.
exit 0
