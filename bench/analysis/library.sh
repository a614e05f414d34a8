#!/usr/bin/env bash
# Whole-library analysis throughput, and its effect on the scan and on API latency (issue 14).
#
#   bench/analysis/library.sh [--tracks 10000] [--bin PATH] [--requests 300]
#
# 1. reuses (or generates, like bench/scan) the corpus under bench/out/corpus/ (mp3, flac, ogg,
#    m4a; about 2 s a track);
# 2. builds omnisonicd in release (unless --bin names one);
# 3. bench/analysis/library.py: a daemon with analysis off, then one with it on, each on a new
#    library folder: scan seconds, API p50/p99 at rest and while analysing, tracks analysed per
#    second on this machine's cores, CPU ms per track; writes bench/out/analysis/library.json.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
tracks=10000
bin=
requests=300
while [ $# -gt 0 ]; do
  case "$1" in
    --tracks) tracks=$2; shift ;;
    --bin) bin=$2; shift ;;
    --requests) requests=$2; shift ;;
    *) echo "usage: bench/analysis/library.sh [--tracks N] [--bin PATH] [--requests N]" >&2; exit 2 ;;
  esac
  shift
done
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
formats=mp3,flac,ogg,m4a
shared=${OMNI_SHARED_DIR:-$repo/../shared}
out=bench/out
mkdir -p "$out/corpus" "$out/analysis"
corpus=$out/corpus/t$tracks-${formats//,/_}-s1
if [ -f "$corpus/.corpus-manifest.json" ]; then
  echo "corpus: reusing $corpus"
else
  echo "corpus: generating $tracks tracks ($formats) into $corpus"
  rm -rf "$corpus.partial" && mkdir -p "$corpus.partial"
  python3 "$shared/tools/make-corpus" "$corpus.partial" --tracks "$tracks" --formats "$formats" --seed 1 > "$out/corpus-gen.log" 2>&1
  rm -rf "$corpus" && mv "$corpus.partial" "$corpus"
fi
if [ -z "$bin" ]; then
  bash scripts/setup-deps
  swift build -c release --product omnisonicd 2>&1 | tail -n 1
  bin=$(swift build -c release --show-bin-path)/omnisonicd
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/analysis/library.py --bin "$bin" --corpus "$(cd "$corpus" && pwd)" --requests "$requests" \
  --json "$out/analysis/library.json"
