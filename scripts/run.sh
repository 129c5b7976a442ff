#!/usr/bin/env bash
# Installs what is missing, builds the optimized binary, and runs actledger's
# main job on its embedded default: a ledger in ./actledger-data filled with
# generated records, proved, checkpointed and verified.
# Extra arguments are passed to `actledger demo` (e.g. --count 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target actledger actledger-gen -j"$(nproc)"
exec build/release/actledger --data "${ACTLEDGER_DATA:-./actledger-data}" demo "$@"
