#!/usr/bin/env bash
# Tempo, key and loudness: omnisonicd's Analysis beside essentia, on the same synthetic set.
#
#   bench/analysis/run.sh [--seconds 180] [--bin PATH]
#
# --bin uses an AnalysisBench already built (the Analysis module is always compiled optimised,
# so a debug build's figures hold too) instead of building it in release.
#
# 1. Builds AnalysisBench (release) and writes the synthetic set (14 pieces of 3 minutes: 12 with
#    drums at known tempi and keys, 2 drumless) as float WAVs into bench/out/analysis/.
# 2. Analyses each with omnisonicd's Analysis, pinned to one core (taskset -c 0): once without
#    the fingerprint (tempo + key + loudness + vector, what essentia computes) and once with it.
# 3. Creates a throwaway virtualenv (bench/out/analysis/venv), installs PyPI `essentia` there, and
#    runs RhythmExtractor2013 (multifeature) + KeyExtractor + LoudnessEBUR128 on the same files,
#    pinned to the same core. essentia is AGPL-3.0: it is only ever used here, never linked and
#    never in e2e/requirements.txt (docs/decisions/0027-analysis.md).
# 4. Prints Accuracy1/Accuracy2, the MIREX key score and CPU seconds per 3-minute track
#    (bench/analysis/compare.py), and writes bench/out/analysis/summary.json.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
seconds=180
bin=
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --bin) bin=$2; shift ;;
    *) echo "usage: bench/analysis/run.sh [--seconds S] [--bin PATH]" >&2; exit 2 ;;
  esac
  shift
done
bash scripts/setup-deps
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
out=bench/out/analysis/s$seconds
mkdir -p "$out"
if [ -z "$bin" ]; then
  swift build -c release --product AnalysisBench
  bin=$(swift build -c release --show-bin-path)/AnalysisBench
fi
[ -f "$out/truth.json" ] || "$bin" generate "$out" --seconds "$seconds"
echo "load before: $(uptime)"
taskset -c 0 "$bin" analyze "$out" --core
taskset -c 0 "$bin" analyze "$out"
venv=bench/out/analysis/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet essentia numpy
fi
taskset -c 0 "$venv/bin/python" bench/analysis/essentia_bench.py "$out"
echo "load after: $(uptime)"
python3 bench/analysis/compare.py "$out"
