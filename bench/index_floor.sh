#!/usr/bin/env bash
# SQLite's own floor for an index catch-up: how long SQLite alone takes to
# write the rows of an index that is already built, with no leaf read or
# parsed and no value bound from C++. Copies the `records` and `actions`
# rows of DATA_DIR/index.db (INSERT ... SELECT) into a fresh file with the
# index's schema (same page size, WAL, synchronous=OFF, as a bulk catch-up
# runs), then creates each secondary index the way a bulk catch-up does
# at its end, timing every step with the sqlite3 shell.
#
# Usage (results: docs/BENCHMARKS.md):
#
#   bench/index_floor.sh DATA_DIR      # a data directory whose index is caught up
set -euo pipefail

if [[ $# -ne 1 || ! -f "$1/index.db" ]]; then
  echo "usage: bench/index_floor.sh DATA_DIR (with a caught-up index.db)" >&2
  exit 2
fi
src="$(cd "$1" && pwd)/index.db"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/floor.db"

# The tables as the index creates them, keys included; the secondary
# indexes separately, to be created after the rows.
tables="$(sqlite3 "$src" "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' AND name IN ('records', 'actions')")"
indexes="$(sqlite3 "$src" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('records', 'actions') AND sql IS NOT NULL")"
rows="$(sqlite3 "$src" "SELECT count(*) FROM records")"

# Read the source once so that the timed copy reads the page cache.
cat "$src" > /dev/null

times="$(sqlite3 "$db" <<SQL
PRAGMA page_size=16384;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
PRAGMA cache_size=-262144;
PRAGMA temp_store=MEMORY;
PRAGMA threads=1;
$tables
ATTACH '$src' AS src;
.timer on
BEGIN; INSERT INTO records SELECT * FROM src.records; INSERT INTO actions SELECT * FROM src.actions; COMMIT;
$indexes
SQL
)"
echo "$times" | grep '^Run Time' | awk -v rows="$rows" '
  { for (i = 1; i <= NF; i++) if ($i == "real") t = $(i + 1); n++; sum += t;
    if (n == 1) copy = t; else idx += t }
  END {
    printf "rows %d: copy into the bare tables %.2f s, %d secondary indexes %.2f s, total %.2f s\n", rows, copy, n - 1, idx, sum
    printf "SQLite floor: %.0f records/s on one core (before any leaf is read or parsed)\n", rows / sum
  }'
