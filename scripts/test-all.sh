#!/usr/bin/env bash
# Installs what the tests need and runs every test: type check, unit tests, end-to-end tests on the real
# application (real SQLite file, real local processes, headless Chromium; the SLURM+sshd, PostgreSQL and
# numpy/astropy suites start or install what they use themselves, as root on Debian). Ends with one line
# "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# System tools the job scripts and tests use; installed only where missing (Debian).
missing=()
for tool in bash curl awk pgrep; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-all: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl gawk procps >/dev/null
fi

# The browser tests (test/web-browser.e2e-spec.ts) drive Debian's headless Chromium through playwright-core,
# which downloads no browser of its own.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-all: installing chromium"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

bash scripts/setup.sh || exit 1

echo "test-all: type check"
npx tsc -p tsconfig.json --noEmit || { echo "tests: 0 passed, 1 failed"; exit 1; }

mkdir -p var
report=var/jest-report.json
npx jest --runInBand --json --outputFile="$report"
status=$?
node -e '
  const r = require(require("path").resolve(process.argv[1]));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) process.exit(1);
' "$report" || status=1
exit $status
