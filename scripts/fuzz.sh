#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang, ASan + UBSan) and
# runs each for SECONDS_PER_TARGET seconds (default 20) on a scratch copy of
# its seed corpus in tests/fuzz/corpus/<target>/. Exits non-zero if any
# target crashes, leaks, times out or runs out of memory, printing the
# reproducer's path. See docs/TESTING.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Environment: FUZZ_TARGETS="json record" runs only those targets;
# FUZZ_OUT=DIR keeps the grown corpora, logs and crashes there (default: a
# fresh directory under build/fuzz/runs/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi

scripts/install-deps.sh
jobs=$(nproc)
((jobs > 2)) && jobs=2

if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for src in tests/fuzz/*_fuzz.cc; do
    name=$(basename "$src" .cc)
    targets+=("${name%_fuzz}")
  done
fi

# Only the fuzz programs: the CLI is not needed here.
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs" --target "${targets[@]/%/_fuzz}"

out=${FUZZ_OUT:-build/fuzz/runs/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
failed=()
for t in "${targets[@]}"; do
  bin=build/fuzz/${t}_fuzz
  if [[ ! -x $bin ]]; then
    echo "fuzz: no binary $bin" >&2
    failed+=("$t")
    continue
  fi
  corpus=$out/$t/corpus
  artifacts=$out/$t/crashes/
  mkdir -p "$corpus" "$artifacts"
  if [[ -d tests/fuzz/corpus/$t ]]; then
    cp -r "tests/fuzz/corpus/$t/." "$corpus/"
  fi
  # Regressions replay first: a fixed bug must stay fixed.
  seeds=("$corpus")
  if [[ -d tests/fuzz/regressions/$t ]]; then
    seeds+=("tests/fuzz/regressions/$t")
  fi
  echo "fuzz: $t for ${seconds}s"
  rc=0
  ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "${seeds[@]}" \
    >"$out/$t/log.txt" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$out/$t/log.txt" |
    sed "s/^/fuzz: $t /" || true
  if ((rc != 0)); then
    failed+=("$t")
    echo "fuzz: $t FAILED (exit $rc); log: $out/$t/log.txt" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant violated)' "$out/$t/log.txt" >&2 || true
    for f in "$artifacts"*; do
      [[ -e $f ]] && echo "fuzz: reproducer: $f (run: $bin $f)" >&2
    done
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failing targets: ${failed[*]} (outputs in $out)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s without a finding (outputs in $out)"
