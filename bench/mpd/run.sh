#!/usr/bin/env bash
# MPD protocol speed: Debian's `mpd` and `omnisonicd run`, side by side on one corpus.
#
#   bench/mpd/run.sh [--tracks 10000] [--formats mp3,flac,ogg,m4a] [--seed 1] [--runs 3] [--reps 5] [--bin PATH]
#
# 1. installs MPD if missing (scripts/setup-deps --bench);
# 2. generates the corpus with make-corpus into bench/out/corpus/ once (shared with bench/scan);
# 3. builds omnisonicd in release (or takes --bin PATH);
# 4. runs bench/mpd/compare.py: rounds alternate which server goes first; each round indexes the
#    corpus from an empty database on each and times listallinfo, search, find, list ... group,
#    add "" and playlistinfo of the whole queue; prints a Markdown table (medians) with the
#    machine's load, and writes bench/out/mpd-<date>.json (and mpd-latest.json).
# Figures belong in docs/PERFORMANCE.md with the load printed beside them.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

tracks=10000
formats=mp3,flac,ogg,m4a
seed=1
runs=3
reps=5
bin=
command_line="bench/mpd/run.sh $*"

usage() {
  echo "usage: bench/mpd/run.sh [--tracks N] [--formats LIST] [--seed S] [--runs N] [--reps N] [--bin PATH]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --tracks) tracks=${2:?}; shift ;;
    --formats) formats=${2:?}; shift ;;
    --seed) seed=${2:?}; shift ;;
    --runs) runs=${2:?}; shift ;;
    --reps) reps=${2:?}; shift ;;
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
# The same corpus folder as bench/scan/run.sh: generated once, reused by both.
corpus="$out/corpus/t$tracks-${formats//,/_}-s$seed"
if [ -f "$corpus/.corpus-manifest.json" ]; then
  echo "corpus: reusing $corpus"
else
  echo "corpus: generating $tracks tracks ($formats) into $corpus (10,000 take about 3 minutes)"
  rm -rf "$corpus.partial"
  mkdir -p "$corpus.partial"
  python3 "$make_corpus" "$corpus.partial" --tracks "$tracks" --formats "$formats" --seed "$seed" --jobs "$(nproc)"
  rm -rf "$corpus"
  mv "$corpus.partial" "$corpus"
fi

if [ -z "$bin" ]; then
  # Built as scripts/run builds it for users (static Swift runtime), into the same .build.
  echo "build: swift build -c release --product omnisonicd --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections"
  swift build -c release --product omnisonicd --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections
  bin="$(swift build -c release --static-swift-stdlib --show-bin-path)/omnisonicd"
fi

python3 bench/mpd/compare.py --corpus "$corpus" --omnisonicd "$bin" --runs "$runs" --reps "$reps" \
  --out "$out" --command "$command_line"
