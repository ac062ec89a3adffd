#!/usr/bin/env bash
# Install the in-memory FHIR server of the tests (scripts/fhir-server: Medplum's FHIR router)
# with `npm ci` from its package-lock.json. Idempotent and offline-safe: when node_modules
# already matches the lock file, nothing is fetched.
set -euo pipefail
dir="$(cd "$(dirname "$0")/fhir-server" && pwd)"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "The test FHIR server needs Node.js >= 20.19 with npm (node or npm not found on PATH)." >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "The test FHIR server needs Node.js >= 20.19 (found $(node --version))." >&2
  exit 1
fi

# npm ci writes node_modules/.package-lock.json; the stamp records which lock file it matched.
stamp="$dir/node_modules/.osteoboard-installed"
if [ -f "$stamp" ] && cmp -s "$stamp" "$dir/package-lock.json" \
  && [ -f "$dir/node_modules/@medplum/fhir-router/package.json" ]; then
  exit 0
fi
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
