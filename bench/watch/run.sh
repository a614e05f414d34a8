#!/usr/bin/env bash
# Live-watching benchmark: close -> searchable latency, bulk copy-in rate, idle CPU.
#
#   bench/watch/run.sh [--copies 50] [--bulk 5000]
#
# Uses the scan benchmark's 10,000-track corpus (bench/out/corpus/t10000-mp3_flac_ogg_m4a-s1;
# run bench/scan/run.sh once to generate it), builds omnisonicd in release, and runs
# bench/watch/bench.py, which writes bench/out/watch-<date>.json (and watch-latest.json).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
command_line="bench/watch/run.sh $*"
copies=50
bulk=5000
while [ $# -gt 0 ]; do
  case "$1" in
    --copies) copies=${2:?}; shift ;;
    --bulk) bulk=${2:?}; shift ;;
    *) echo "usage: bench/watch/run.sh [--copies N] [--bulk N]" >&2; exit 2 ;;
  esac
  shift
done

corpus="$repo/bench/out/corpus/t10000-mp3_flac_ogg_m4a-s1"
if [ ! -f "$corpus/.corpus-manifest.json" ]; then
  echo "run.sh: $corpus is missing; run bench/scan/run.sh --skip-mpd once to generate it" >&2
  exit 1
fi
bash scripts/setup-deps
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
swift build -c release --product omnisonicd
bin="$(swift build -c release --show-bin-path)/omnisonicd"
python3 bench/watch/bench.py --omnisonicd "$bin" --corpus "$corpus" --copies "$copies" --bulk "$bulk" \
  --out "$repo/bench/out" --command "$command_line"
