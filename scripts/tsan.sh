#!/usr/bin/env bash
# Builds the ledger tests with ThreadSanitizer (the `tsan` preset) and runs
# the suites that exercise concurrency: group commit under concurrent
# appenders, readers beside the writer, crash and torn-tail recovery,
# concurrent verify, the basic open/append/get paths, and the HTTP server
# under concurrent clients. Any data race or
# lock-order inversion fails the run (halt_on_error).
#
#   scripts/tsan.sh [extra gtest flags...]
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

# The HTTP server under concurrent clients: the spawned `actledger serve`
# is the TSan build, and a race makes it abort (halt_on_error), which fails
# the test that drove it.
server_filter='ServerTest.LongPoll*:ServerTest.GracefulShutdown*'
server_filter+=':ServerTest.AppendQueueBound*:ServerTest.RoleRouteMatrix*'
TSAN_OPTIONS="$tsan_options${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
  build/tsan/tests/server_test --gtest_filter="$server_filter" "$@"
