#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries (initdb, pg_ctl) for the store's tests,
# non-interactively. The tests start and stop their own throwaway cluster on loopback
# (tests/support/postgres.py); this does not set up or start a service.
set -euo pipefail
source "$(dirname "$0")/debian-install.sh"

installed() {
  for bin in /usr/lib/postgresql/*/bin; do
    [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && return 0
  done
  return 1
}

if installed; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-postgres: PostgreSQL is missing; run as root: apt-get install -y postgresql" >&2
  exit 1
fi
# The package's post-install step creates and starts a default cluster; keep it from starting.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  created_policy=1
fi
trap '[ "$created_policy" -eq 1 ] && rm -f "$policy"' EXIT
debian_install install-postgres postgresql
if ! installed; then
  echo "install-postgres: apt-get finished but initdb and pg_ctl are still missing" >&2
  exit 1
fi
