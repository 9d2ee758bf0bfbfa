#!/usr/bin/env bash
# Installs what the server needs on a fresh machine: the npm dependencies (native modules build from
# source, ~2 min the first time) and the compiled server. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js ${need_node_major}+ is required (https://nodejs.org)" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt "$need_node_major" ]; then
  echo "setup: Node.js ${need_node_major}+ is required, found $(node -v)" >&2
  exit 1
fi

# Reinstall only when the lock file changed since the last install.
stamp=node_modules/.uws-host-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing npm dependencies (native modules build from source; about two minutes)"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# The CTA example plugins run numpy/astropy/matplotlib from Debian's packages.
bash scripts/install-science.sh || echo "setup: warning: the ctselect/ctbin examples need python3-astropy, python3-numpy, python3-matplotlib" >&2

echo "setup: compiling"
npm run --silent build
mkdir -p var
