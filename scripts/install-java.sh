#!/usr/bin/env bash
# Install Debian's Java runtime (OpenJDK 17) for the Spark test (tests/cohort/test_spark.py)
# when it is missing. Non-interactive; needs root (or passwordless sudo) on a Debian/Ubuntu
# machine with apt-get. Prints the path of java on success; exits non-zero with a reason.
set -euo pipefail

JAVA=${OSTEOBOARD_JAVA:-/usr/bin/java}

if [ -x "$JAVA" ]; then
  echo "$JAVA"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-java: $JAVA is missing and apt-get is not available; install Java 17 by hand" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "install-java: $JAVA is missing; run 'apt-get install openjdk-17-jre-headless' as root (this script needs root or passwordless sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >&2
"${SUDO[@]}" apt-get install -y -q --no-install-recommends openjdk-17-jre-headless >&2

if [ ! -x "$JAVA" ]; then
  echo "install-java: apt-get finished but $JAVA is still missing" >&2
  exit 1
fi
echo "$JAVA"
