#!/usr/bin/env bash
# Time and peak memory of probing hostile files (issue 18), one process per file:
#   bench/hostile/run.sh
# Makes the files in bench/out/hostile/ (bench/hostile/make.py), builds ProbeBench in release, and
# runs `ProbeBench --files FILE` under /usr/bin/time and `timeout 60` for each; ffprobe (the same
# libavformat, without our limits) is run the same way for comparison.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
# SCRATCH=.build-other builds elsewhere (the default .build may be busy with another build).
scratch=${SCRATCH:-.build}
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
out=bench/out/hostile
python3 bench/hostile/make.py "$out"
swift build -c release --product ProbeBench --scratch-path "$scratch" >/dev/null || exit 2
for file in "$out"/huge-*; do
  /usr/bin/time -f "  omnisonicd: %e s, peak RSS %M KB" timeout 60 "$scratch"/release/ProbeBench --files "$file"
  /usr/bin/time -f "  ffprobe:    %e s, peak RSS %M KB (exit status 124 = killed at 60 s)" \
    timeout 60 ffprobe -loglevel quiet -show_entries format=duration "$file" >/dev/null
done
