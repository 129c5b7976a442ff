#!/usr/bin/env bash
# Installs what is missing, builds the test configuration (ASan + UBSan) and
# runs the whole test suite: the concurrency tests again under
# ThreadSanitizer, every fuzz target for a short bounded run, all
# GoogleTest suites with CTest, then a short soak of the server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# cppcheck over every unit; clang-tidy over every unit that reads a file
# changed since its last full pass, the commit in .ci/tidy-clean (a full
# pass takes about 16 minutes here, and CI runs one after a change to the
# build configuration; docs/TESTING.md, "Static analysis").
if [[ ${STATIC_ANALYSIS:-1} != 0 ]]; then
  TIDY_SINCE=$(cat .ci/tidy-clean) scripts/static-analysis.sh tidy cppcheck
fi
scripts/tsan.sh
scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan -j"$(nproc)"
# A short soak of the server with the ASan binary: memory and descriptors
# must not grow, nothing may fail (docs/TESTING.md, "Soak").
scripts/soak.sh build/asan/actledger "${SOAK_SECONDS:-60}"
