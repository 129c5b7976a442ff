#!/usr/bin/env bash
# Soak: runs tools/soak/actledger_soak.py against an already built
# `actledger` for a fixed time — mixed ingest, gate, query, proof,
# checkpoint and verify load on a real `actledger serve` — and fails when
# the server's resident memory or open file descriptors grow, or when
# anything goes wrong (an unexpected HTTP status, a failed verify, a server
# that does not exit cleanly, a sanitizer report from any process).
# It builds nothing.
#
#   scripts/soak.sh [BINARY] [SECONDS]     # defaults: build/asan/actledger 60
#
# SOAK_MAX_RSS_GROWTH_MIB (default 64) bounds the growth of the median
# resident memory from the second quarter of the run to the last;
# SOAK_BATCH (default 200) is the records per ingest request. docs/TESTING.md
# has the long local command.
set -euo pipefail
# A BINARY given relative to where the script was started from.
bin=${1:-}
if [[ -n $bin && $bin != /* ]]; then
  bin=$PWD/$bin
fi
cd "$(dirname "$0")/.."
bin=${bin:-build/asan/actledger}
seconds=${2:-60}
max_growth=${SOAK_MAX_RSS_GROWTH_MIB:-64}
batch=${SOAK_BATCH:-200}

if [[ ! -x $bin ]]; then
  echo "soak: no executable actledger at '$bin' (build it first, e.g." \
    "cmake --build --preset asan)" >&2
  exit 2
fi
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 8)); then
  echo "soak: SECONDS must be a whole number of at least 8 (memory growth" \
    "is judged on quarters of the run), not '$seconds'" >&2
  exit 2
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/actledger-soak-run-XXXXXX")
trap 'rm -rf "$out"' EXIT

# Sanitizer reports of the server and of every CLI process the soak runs
# go to files here instead of a discarded stderr. A small quarantine keeps
# ASan's own memory from looking like growth: the default 256 MiB fills
# over minutes of this load. Settings the caller exported come last and win.
export ASAN_OPTIONS="log_path=$out/sanitizer:quarantine_size_mb=16:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$out/sanitizer:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

echo "soak: $bin for ${seconds}s (RSS growth limit ${max_growth} MiB)" >&2
rc=0
python3 tools/soak/actledger_soak.py --bin "$bin" --seconds "$seconds" \
  --batch "$batch" --max-rss-growth-mib "$max_growth" \
  >"$out/summary.json" 2>"$out/stderr.txt" || rc=$?

failed=0
if ((rc != 0)); then
  failed=1
fi
if [[ -s $out/summary.json ]]; then
  # One line of counts, then each failure on its own line.
  python3 - "$out/summary.json" <<'EOF' || failed=1
import json, sys
s = json.load(open(sys.argv[1]))
print("soak: {seconds}s: {records} records, {proposals} proposals, "
      "{approvals} approvals, {queries} queries, {proofs} proofs, "
      "{checkpoints} checkpoint reads, {verifies} verifies; server RSS "
      "{rss_mib_second_quarter} -> {rss_mib_last_quarter} MiB, open fds "
      "{fds_warm} -> {fds_last}".format(**s), file=sys.stderr)
for e in s["errors"]:
    print(f"soak FAILED: {e}", file=sys.stderr)
sys.exit(1 if s["errors"] else 0)
EOF
else
  echo "soak FAILED: the soak tool printed no summary (exit $rc)" >&2
  failed=1
fi
if [[ -s $out/stderr.txt ]]; then
  echo "soak: the tool's stderr:" >&2
  cat "$out/stderr.txt" >&2
fi
shopt -s nullglob
reports=("$out"/sanitizer*)
if ((${#reports[@]} > 0)); then
  failed=1
  for r in "${reports[@]}"; do
    echo "soak FAILED: sanitizer report ${r##*/}:" >&2
    cat "$r" >&2
  done
fi
if ((failed)); then
  exit 1
fi
echo "soak: passed" >&2
