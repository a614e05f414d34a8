#!/usr/bin/env bash
# Scan benchmark: MPD's database update and `omnisonicd scan`, side by side on one corpus.
#
#   bench/scan/run.sh [--tracks 10000] [--formats mp3,flac,ogg,m4a] [--seed 1] [--runs 3]
#                     [--skip-mpd] [--bin PATH]
#
# 1. installs MPD and GNU time if missing (scripts/setup-deps --bench);
# 2. generates the corpus with make-corpus into bench/out/corpus/ once, and reuses it after;
# 3. builds omnisonicd in release (or takes --bin PATH, an omnisonicd built elsewhere);
# 4. runs bench/scan/bench.py: warms the page cache, then measures both tools in alternation
#    (MPD, omnisonicd, MPD, omnisonicd, ... one pair per run, so a change in the machine's load
#    hits both), prints a table with CPU time per file and idle memory, and writes
#    bench/out/scan-<date>.json (and scan-latest.json).
# The omnisonicd half is skipped, with a message, when the binary has no `scan` command.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

tracks=10000
formats=mp3,flac,ogg,m4a
seed=1
runs=3
bin=
extra=()
command_line="bench/scan/run.sh $*"

usage() {
  echo "usage: bench/scan/run.sh [--tracks N] [--formats LIST] [--seed S] [--runs N] [--skip-mpd] [--bin PATH]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --tracks) tracks=${2:?}; shift ;;
    --formats) formats=${2:?}; shift ;;
    --seed) seed=${2:?}; shift ;;
    --runs) runs=${2:?}; shift ;;
    --skip-mpd) extra+=(--skip-mpd) ;;
    --bin) bin=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
  shift
done

shared=${OMNI_SHARED_DIR:-$repo/../shared}
make_corpus="$shared/tools/make-corpus"
if [ ! -f "$make_corpus" ]; then
  echo "run.sh: $make_corpus not found; set OMNI_SHARED_DIR to the shared/ folder" >&2
  exit 1
fi

bash scripts/setup-deps --bench
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi

out="$repo/bench/out"
corpus="$out/corpus/t$tracks-${formats//,/_}-s$seed"
if [ -f "$corpus/.corpus-manifest.json" ]; then
  echo "corpus: reusing $corpus"
else
  # Generated beside its final name and renamed when complete, so an interrupted run leaves
  # nothing that looks finished.
  echo "corpus: generating $tracks tracks ($formats) into $corpus (10,000 take about 3 minutes)"
  rm -rf "$corpus.partial"
  mkdir -p "$corpus.partial"
  python3 "$make_corpus" "$corpus.partial" --tracks "$tracks" --formats "$formats" \
    --seed "$seed" --jobs "$(nproc)"
  rm -rf "$corpus"
  mv "$corpus.partial" "$corpus"
fi

if [ -z "$bin" ]; then
  # Built as scripts/run builds it for users (static Swift runtime), into the same .build.
  echo "build: swift build -c release --product omnisonicd --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections"
  swift build -c release --product omnisonicd --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections
  bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/omnisonicd"
fi

python3 bench/scan/bench.py --corpus "$corpus" --omnisonicd "$bin" --runs "$runs" \
  --out "$out" --command "$command_line" "${extra[@]}"
