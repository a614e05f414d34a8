#!/usr/bin/env bash
# omnisonicd's tag reader against TagLib's, field by field, on TagLib's own test files:
#   bench/taglib/run.sh CACHE
# CACHE is a folder outside the repository holding TagLib's tests/data, e.g.:
#   git --git-dir=<taglib mirror> archive HEAD tests/data | tar -x -C CACHE
# (files no one here made, many deliberately broken). Every probe runs under `timeout 10`:
# a hang or a crash is reported, never waited for. Output in bench/out/taglib/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${1:?usage: bench/taglib/run.sh CACHE (a folder holding TagLib tests/data)}
data=$cache
[ -d "$cache/tests/data" ] && data=$cache/tests/data
cd "$repo"
# SCRATCH=.build-other builds elsewhere (the default .build may be busy with another build).
scratch=${SCRATCH:-.build}
bash scripts/setup-deps --bench
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
out=bench/out/taglib
mkdir -p "$out"
# PROBE=probebench reads with ProbeBench --json (the same TagReader, a much smaller build).
if [ "${PROBE:-omnisonicd}" = probebench ]; then
  swift build -c release --product ProbeBench --scratch-path "$scratch"
  probe=("$scratch"/release/ProbeBench --json)
else
  swift build -c release --product omnisonicd --scratch-path "$scratch"
  probe=("$scratch"/release/omnisonicd probe --json)
fi
g++ -O2 -o "$out/taglib_dump" bench/taglib/taglib_dump.cpp $(pkg-config --cflags --libs taglib)
: >"$out/ours.jsonl"; : >"$out/taglib.jsonl"; : >"$out/crashes.txt"
files=0
while IFS= read -r -d '' file; do
  files=$((files + 1))
  status=0
  timeout 10 "${probe[@]}" "$file" >>"$out/ours.jsonl" 2>/dev/null || status=$?
  # 1 = the file could not be read (reported in the JSON line); anything else is a crash or a hang.
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then echo "omnisonicd status $status: $file" >>"$out/crashes.txt"; fi
  status=0
  timeout 10 "$out/taglib_dump" "$file" >>"$out/taglib.jsonl" 2>/dev/null || status=$?
  if [ "$status" -ne 0 ]; then echo "taglib status $status: $file" >>"$out/crashes.txt"; fi
done < <(find "$data" -type f -print0 | sort -z)
echo "$files files; crashes or hangs:"
cat "$out/crashes.txt"
python3 bench/taglib/compare.py "$out/ours.jsonl" "$out/taglib.jsonl" | tee "$out/report.txt"
