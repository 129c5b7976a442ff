#!/usr/bin/env bash
# Builds the ledger and server tests with ThreadSanitizer (the `tsan`
# preset) and runs the ledger suites that exercise concurrency (group commit
# under concurrent appenders, readers beside the writer, crash and torn-tail
# recovery, verify beside a writer, the basic open/append/get paths) and the
# whole HTTP server suite, whose spawned `actledger serve` is the TSan build.
# Any data race or lock-order inversion fails the run (halt_on_error).
#
#   scripts/tsan.sh [extra gtest flags...]
#
# TSAN_SERVER_FILTER narrows the server tests (a gtest filter, default all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)
((jobs > 2)) && jobs=2

cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs" --target ledger_test server_test

filter='LedgerGroupCommit.*:LedgerSegments.*:LedgerVerifyConcurrent.*'
filter+=':LedgerCrash.*:LedgerTornTail.*'
filter+=':LedgerInit.*:LedgerOpen.*:LedgerAppend.*:LedgerGet.*:LedgerProofs.*'

tsan_options="halt_on_error=1 second_deadlock_stack=1 history_size=4"
if [[ -f tests/tsan.supp ]]; then
  tsan_options+=" suppressions=$PWD/tests/tsan.supp"
fi

TSAN_OPTIONS="$tsan_options${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
  build/tsan/tests/ledger_test --gtest_filter="$filter" "$@"

# The HTTP server: each test drives the real `actledger serve` (the TSan
# build), whose worker threads serve every request, so a race makes the
# server abort (halt_on_error) and the test that drove it fails; the test
# program's own threads are checked as well.
server_filter=${TSAN_SERVER_FILTER:-*}
TSAN_OPTIONS="$tsan_options${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
  build/tsan/tests/server_test --gtest_filter="$server_filter" "$@"
