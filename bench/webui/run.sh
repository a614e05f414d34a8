#!/usr/bin/env bash
# Web UI performance on a synthetic 100,000-track library, in headless Chromium.
#
#   bench/webui/run.sh                 # 100,000 tracks
#   TRACKS=20000 SWIFT_SCRATCH=.build-bench bench/webui/run.sh
#
# 1. builds SearchBench (bench/SearchBench) and lets it generate its synthetic library
#    (SEARCHBENCH_KEEP=1 keeps the SQLite file; 1 query per class, the search figures are not used);
# 2. copies it into a fresh data folder as library.sqlite and starts `omnisonicd run` on it with an
#    empty music folder (the synthetic root, /music, is not a configured root and does not exist,
#    so the start-up scan keeps its tracks);
# 3. runs bench/webui/measure.py (first rows, search, scrolling) and writes
#    bench/out/webui-<UTC date>.json and bench/out/webui-latest.json.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
tracks=${TRACKS:-100000}
configuration=${CONFIGURATION:-release}
scratch=(${SWIFT_SCRATCH:+--scratch-path "$SWIFT_SCRATCH"})
mkdir -p bench/out

echo "build: swift build -c $configuration --product SearchBench / omnisonicd ${scratch[*]}"
swift build -c "$configuration" --product SearchBench "${scratch[@]}" 2>&1 | tail -n 1
swift build -c "$configuration" --product omnisonicd "${scratch[@]}" 2>&1 | tail -n 1
bin=$(swift build -c "$configuration" "${scratch[@]}" --show-bin-path)

source bench/lib/daemon.sh
bench_daemon_workdir
work=$BENCH_WORK

echo "library: $tracks synthetic tracks"
kept=$(SEARCHBENCH_KEEP=1 "$bin/SearchBench" "$tracks" 1 | sed -n 's/^Kept //p')
[ -f "$kept" ] || { echo "run.sh: SearchBench kept no library" >&2; exit 1; }
mkdir -p "$work/data" "$work/Music"
mv "$kept" "$work/data/library.sqlite"
rm -rf "$(dirname "$kept")"

bench_daemon_start "$bin/omnisonicd" --music "$work/Music" --data "$work/data" || { echo "run.sh: the daemon did not start" >&2; exit 1; }
url=$BENCH_DAEMON_URL
echo "daemon: $url ($(curl -fsS "$url/api/search?limit=0" | sed -n 's/.*"total":\([0-9]*\).*/\1/p') tracks)"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
python3 bench/webui/measure.py "$url" --json "bench/out/webui-$stamp.json"
cp "bench/out/webui-$stamp.json" bench/out/webui-latest.json
