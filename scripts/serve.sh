#!/usr/bin/env bash
# Sets everything up and starts the server on the embedded default: SQLite under var/, local job manager,
# the plugins in plugins/. Settings come from the environment (see README.md, "Configuration").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The server's V8 flags (a heap cap keeps memory well under 250 MB under load; the benchmarks use the same).
exec node $(cat scripts/node-flags) dist/main.js
