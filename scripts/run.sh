#!/usr/bin/env bash
# Installs what is missing, builds the optimized binary and starts
# actledger's main job on its embedded default: the HTTP API
# (`actledger serve`, docs/API.md) over the ledger in ./actledger-data (or
# $ACTLEDGER_DATA), created if needed. Prints an administrator token (shown
# once) and the address it listens on, then serves until Ctrl-C.
# Extra arguments go to `actledger serve` (e.g. --listen 0.0.0.0:8470).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target actledger actledger-gen -j"$(nproc)"
bin=build/release/actledger
data=${ACTLEDGER_DATA:-./actledger-data}
if [[ ! -f $data/ledger.json ]]; then
  # init makes the OS user (local:<user>) the ledger's administrator.
  "$bin" --data "$data" init --origin "actledger.local/$(hostname)"
fi
# A token for the local administrator, made before the server takes the
# ledger's write lock; it creates the other principals' tokens over HTTP.
admin="local:$(id -un)"
token=$("$bin" --data "$data" token create --principal "$admin" |
  sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
echo "actledger: admin token for $admin (shown once): $token"
echo "actledger: try: curl -s -H \"Authorization: Bearer $token\" http://127.0.0.1:8470/v1/tokens"
echo "actledger: the quick start is in README.md, section \"Server\"; Ctrl-C stops the server"
exec "$bin" --data "$data" serve "$@"
