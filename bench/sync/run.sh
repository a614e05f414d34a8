#!/usr/bin/env bash
# Sync figures (docs/PERFORMANCE.md):
#   bench/sync/run.sh [OPS] [BOOTSTRAP_OPS]   ingest, bytes per operation, bootstrap (in-process server, loopback HTTP)
#   python3 bench/sync/propagation.py         p50/p95 from a change on daemon A's API to daemon B's API showing it
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
swift build -c release --product SyncBench
exec .build/release/SyncBench "${1:-200000}" "${2:-100000}"
