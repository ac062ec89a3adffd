#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/browser/) when it is missing.
# Non-interactive; needs root (or passwordless sudo) on a Debian/Ubuntu machine with apt-get.
# Prints the path of the browser on success; exits non-zero with a reason otherwise.
set -euo pipefail
source "$(dirname "$0")/debian-install.sh"

CHROMIUM=${OSTEOBOARD_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  debian_install install-chromium chromium fonts-dejavu-core
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "install-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "$CHROMIUM"
