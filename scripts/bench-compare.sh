#!/usr/bin/env bash
# actledger beside a PostgreSQL audit table, SQLite and the raw floor, in one
# command (docs/BENCHMARKS.md, "Against PostgreSQL and SQLite"):
#
#   scripts/bench-compare.sh                 # ~20,000 records, 3 runs
#   scripts/bench-compare.sh --long          # 100,000 records, 5 runs
#   scripts/bench-compare.sh --records 50000 --clients 8 --runs 5
#
# Installs PostgreSQL 15 from Debian's packages when it is missing, builds
# compare_bench and actledger (release type) in $BUILD_DIR (default
# build/release), creates a throwaway cluster in a temporary directory on a
# free local port (fsync=on, synchronous_commit=on), runs the harness with
# its working files beside the cluster (same file system), and stops and
# removes the cluster at the end, also when something fails. Arguments are
# passed to compare_bench. As root, the server runs as the `postgres` user
# (PostgreSQL refuses to run as root).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
pgbin=/usr/lib/postgresql/15/bin

if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
missing=()
[[ -x $pgbin/initdb ]] || missing+=(postgresql-15)
dpkg-query -W -f='${Status}' libpq-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libpq-dev)
if ((${#missing[@]})); then
  echo "bench-compare: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target compare_bench actledger

tmp=$(mktemp -d /tmp/bench-compare.XXXXXX)
chmod 755 "$tmp"
pgdata=$tmp/pgdata
mkdir "$pgdata"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  chown postgres: "$pgdata"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  local rc=$?
  if [[ -f $pgdata/postmaster.pid ]]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 \
  --no-instructions >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; exit 4; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
  -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdata -c fsync=on -c synchronous_commit=on -c full_page_writes=on" \
  start >/dev/null || { cat "$pgdata/server.log" >&2; exit 4; }
echo "bench-compare: PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $pgdata (fsync=on, synchronous_commit=on)" >&2

"$build/bench/compare_bench" --pg "host=127.0.0.1 port=$port user=postgres" \
  --actledger "$build/actledger" --dir "$tmp/work" "$@"
