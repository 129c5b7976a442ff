#!/usr/bin/env bash
# Static analysis of the project's own code: clang-tidy 14 with the checks
# in .clang-tidy, then cppcheck 2.10 with the suppressions in
# .cppcheck-suppressions. Exits non-zero on any finding of either tool.
# See docs/TESTING.md, "Static analysis".
#
#   scripts/static-analysis.sh [tidy|cppcheck]...    (default: both)
#
# Environment: STATIC_BUILD=DIR holds the compile database (default
# build/static); STATIC_FILES=REGEX limits both tools to matching source
# paths (e.g. 'src/ledger/'), for a quick run while fixing findings.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools=("$@")
((${#tools[@]})) || tools=(tidy cppcheck)
for t in "${tools[@]}"; do
  if [[ $t != tidy && $t != cppcheck ]]; then
    echo "usage: scripts/static-analysis.sh [tidy|cppcheck]..." >&2
    exit 2
  fi
done

scripts/install-deps.sh
build=${STATIC_BUILD:-build/static}
# Every directory of the project's code; new files and modules in them are
# covered without editing this script.
dirs="src|tools|bench|tests"
root_re=$(printf '%s' "$root" | sed 's/[][\.*^$+?(){}|]/\\&/g')
files_regex="^$root_re/($dirs)/"

# The compile database of a clang configuration (configured, never built):
# clang-tidy 14 is clang 14, so it reads clang's flags exactly; GCC's own
# flags would be unknown arguments to it. With ACTLEDGER_FUZZ the fuzz
# harnesses are in the database too, and tests and benchmarks are on.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DACTLEDGER_FUZZ=ON -DACTLEDGER_BUILD_TESTS=ON \
  -DACTLEDGER_BUILD_BENCH=ON >/dev/null
db=$build/compile_commands.json

# Only translation units under the project's directories (the database
# holds nothing else today; the filter keeps it that way). cppcheck reads
# the filtered copy.
mapfile -t units < <(python3 - "$db" "$files_regex" "${STATIC_FILES:-}" \
  "$build/project.json" <<'EOF'
import json, re, sys
ours, only = re.compile(sys.argv[2]), re.compile(sys.argv[3])
entries = [e for e in json.load(open(sys.argv[1]))
           if ours.search(e["file"]) and only.search(e["file"])]
json.dump(entries, open(sys.argv[4], "w"), indent=1)
for entry in entries:
    print(entry["file"])
EOF
)
if ((${#units[@]} == 0)); then
  echo "static-analysis: no source files match $files_regex" \
    "${STATIC_FILES:+and $STATIC_FILES }in $db" >&2
  exit 2
fi

status=0
for t in "${tools[@]}"; do
  start=$SECONDS
  case $t in
    tidy)
      echo "static-analysis: clang-tidy on ${#units[@]} files" >&2
      # Headers are checked through the files that include them, once each
      # in the report below; system and third-party headers never.
      log=$build/clang-tidy.log
      if ! run-clang-tidy-14 -p "$build" -j"$(nproc)" -quiet \
        -header-filter="^$root_re/(include/actledger|$dirs)/" \
        "${units[@]}" >"$log" 2>&1; then
        status=1
        # One line per distinct finding (a header's finding is reported by
        # every file that includes it), then the full log's path.
        sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
          grep -E '^/[^:]+:[0-9]+:[0-9]+: (warning|error):' | sort -u >&2 || true
        echo "static-analysis: clang-tidy found problems; full log: $log" >&2
      fi
      ;;
    cppcheck)
      echo "static-analysis: cppcheck on ${#units[@]} files" >&2
      mkdir -p "$build/cppcheck"
      if ! cppcheck --project="$build/project.json" \
        --cppcheck-build-dir="$build/cppcheck" -j"$(nproc)" \
        --std=c++20 --library=posix,gnu,googletest,openssl,sqlite3 \
        --enable=warning,performance,portability,style \
        --inline-suppr --suppressions-list=.cppcheck-suppressions \
        --error-exitcode=1 --quiet \
        --template='{file}:{line}:{column}: {severity}: {message} [{id}]'; then
        status=1
        echo "static-analysis: cppcheck found problems (above)" >&2
      fi
      ;;
  esac
  echo "static-analysis: $t took $((SECONDS - start)) s" >&2
done
exit $status
