#!/usr/bin/env bash
# libFuzzer runs of the readers of untrusted bytes (SECURITY.md):
#   bench/fuzz/run.sh [SECONDS] [TARGET...]
# SECONDS per target (default 60); TARGETs default to all; SKIP_BUILD=1 skips the build. Each target starts from its seeds in
# bench/fuzz/corpus/<target>/ (committed, small) and grows its corpus in bench/out/fuzz/<target>/
# (kept between runs, not committed). A crash leaves its input in bench/out/fuzz/crashes/ and
# makes the script exit 1; the summary line per target gives executions, coverage and crashes.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
seconds=${1:-60}
shift || true
all=(FuzzID3v2 FuzzAPEv2 FuzzVorbisComment FuzzFLACMetadata FuzzProbeMP4 FuzzProbeRIFF FuzzProbeOgg FuzzWavPackBlock FuzzMP4Items FuzzM3U FuzzSearchQuery FuzzSyncOperation)
[ $# -gt 0 ] && targets=("$@") || targets=("${all[@]}")
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
# A nested package: the root build and scripts/test never compile it. SKIP_BUILD=1 reuses the last build.
[ "${SKIP_BUILD:-0}" = 1 ] || swift build --package-path bench/fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing || exit 2
bin=.build-fuzz/debug
out=bench/out/fuzz
mkdir -p "$out/crashes"
export TMPDIR=${TMPDIR:-/tmp}
failed=0
for target in "${targets[@]}"; do
  mkdir -p "$out/$target"
  log="$out/$target.log"
  # -rss_limit_mb and -timeout make a memory blow-up or a hang a finding, like a crash.
  "$bin/$target" "$out/$target" "bench/fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -artifact_prefix="$out/crashes/$target-" -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' | awk '{print $2}')
  crashes=$(ls "$out/crashes" 2>/dev/null | grep -c "^$target-" || true)
  printf '%-20s status %d  executions %s  coverage %s  findings %s\n' "$target" "$status" "${execs:-?}" "${cov:-?}" "$crashes"
  [ "$status" -eq 0 ] || failed=1
  rm -f "$TMPDIR"/omnisonic-fuzz-*
done
exit $failed
