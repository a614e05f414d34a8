#!/usr/bin/env bash
# Sync figures (docs/PERFORMANCE.md):
#   bench/sync/run.sh [OPS] [BOOTSTRAP_OPS]              ingest, bytes per operation, bootstrap (SQLite)
#   bench/sync/run.sh --postgres [OPS] [BOOTSTRAP_OPS]   the same on a throwaway PostgreSQL, with one
#                                                        and with two server instances over it
#   python3 bench/sync/propagation.py [--postgres]       p50/p95 from a change on daemon A's API to
#                                                        daemon B's API showing it
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
postgres=false
if [ "${1:-}" = "--postgres" ]; then postgres=true; shift; fi
swift build -c release --product SyncBench
if $postgres; then
  source bench/lib/postgres.sh
  bench_postgres_start
  .build/release/SyncBench "${1:-200000}" "${2:-100000}" --postgres "$BENCH_POSTGRES_URL" --servers 1
  psql "${BENCH_POSTGRES_URL%/bench}/postgres" -q -c "DROP DATABASE bench" -c "CREATE DATABASE bench"
  .build/release/SyncBench "${1:-200000}" "${2:-100000}" --postgres "$BENCH_POSTGRES_URL" --servers 2
  swift build -c release --product omnisonicd
  python3 bench/sync/propagation.py --postgres "$BENCH_POSTGRES_URL"
else
  .build/release/SyncBench "${1:-200000}" "${2:-100000}"
fi
