#!/usr/bin/env bash
# Install Debian's Java runtime (OpenJDK 17) for the Spark test (tests/cohort/test_spark.py)
# when it is missing. Non-interactive; needs root (or passwordless sudo) on a Debian/Ubuntu
# machine with apt-get. Prints the path of java on success; exits non-zero with a reason.
set -euo pipefail
source "$(dirname "$0")/debian-install.sh"

JAVA=${OSTEOBOARD_JAVA:-/usr/bin/java}

if [ ! -x "$JAVA" ]; then
  debian_install install-java openjdk-17-jre-headless
fi
if [ ! -x "$JAVA" ]; then
  echo "install-java: apt-get finished but $JAVA is still missing" >&2
  exit 1
fi
echo "$JAVA"
