#!/usr/bin/env bash
# Search latency: builds SearchBench in release and runs it on a synthetic library.
#
#   bench/search/run.sh [TRACKS] [QUERIES_PER_CLASS]     (default 100000 300)
#
# SearchBench writes a library of TRACKS synthetic tracks (realistic titles, artists, albums,
# unicode names) into a temporary SQLite file with the real schema, indexes it, then times each
# query class of Library.search in-process and prints p50/p95/p99 per class and for the mix.
# See docs/decisions/0005-search.md for the classes and docs/PERFORMANCE.md for figures.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
bash scripts/setup-deps
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
swift build -c release --product SearchBench
exec .build/release/SearchBench "${1:-100000}" "${2:-300}"
