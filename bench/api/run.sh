#!/usr/bin/env bash
# HTTP API latency: wrk against `omnisonicd run` on a 10,000-track library.
#
#   bench/api/run.sh                         # 10,000 tracks (bench/scan's corpus), 10 s per endpoint
#   TRACKS=2000 DURATION=5s bench/api/run.sh
#   CORPUS=/path/to/corpus SWIFT_SCRATCH=.build-bench bench/api/run.sh
#
# 1. reuses (or generates, like bench/scan) the corpus under bench/out/corpus/;
# 2. builds omnisonicd in release and indexes the corpus with `omnisonicd scan` into a temporary
#    data folder, so the daemon starts with a complete library and no scan competes with wrk;
# 3. starts `omnisonicd run --listen 127.0.0.1:0` and reads its port from "listening on ...";
# 4. runs `wrk -t2 -c8 -d$DURATION --latency` on each endpoint and prints p50/p99 and requests/s;
# 5. writes bench/out/api-<UTC date>.json and bench/out/api-latest.json.
# Targets (issue 3): search p99 <= 10 ms at 8 connections; a 100-track library page <= 5 ms.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
command -v wrk >/dev/null 2>&1 || bash scripts/setup-deps --bench
command -v wrk >/dev/null 2>&1 || { echo "run.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }

tracks=${TRACKS:-10000}
formats=${FORMATS:-mp3,flac,ogg,m4a}
seed=${SEED:-1}
duration=${DURATION:-10s}
shared=${OMNI_SHARED_DIR:-$repo/../shared}
out=bench/out
mkdir -p "$out/corpus"

corpus=${CORPUS:-$out/corpus/t$tracks-${formats//,/_}-s$seed}
if [ -f "$corpus/.corpus-manifest.json" ]; then
  echo "corpus: reusing $corpus"
else
  echo "corpus: generating $tracks tracks ($formats) into $corpus (10,000 take about 3 minutes)"
  rm -rf "$corpus.partial" && mkdir -p "$corpus.partial"
  python3 "$shared/tools/make-corpus" "$corpus.partial" --tracks "$tracks" --formats "$formats" --seed "$seed" \
    > "$out/corpus-gen.log" 2>&1
  rm -rf "$corpus" && mv "$corpus.partial" "$corpus"
fi
corpus=$(cd "$corpus" && pwd)

# SWIFT_SCRATCH: a build folder of your own (--scratch-path), when several worktrees build at once.
scratch=(${SWIFT_SCRATCH:+--scratch-path "$SWIFT_SCRATCH"})
echo "build: swift build -c release --product omnisonicd ${scratch[*]}"
swift build -c release --product omnisonicd "${scratch[@]}" 2>&1 | tail -n 1
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)/omnisonicd
if ! "$bin" run --help >/dev/null 2>&1; then
  echo "run.sh: this omnisonicd has no \`run\` command yet; nothing to measure" >&2
  exit 2
fi

source bench/lib/daemon.sh
bench_daemon_workdir
work=$BENCH_WORK

echo "index: omnisonicd scan (not timed here; see bench/scan)"
"$bin" scan --music "$corpus" --data "$work/data" >/dev/null

bench_daemon_start "$bin" --music "$corpus" --data "$work/data" || exit 1
url=$BENCH_DAEMON_URL
total=$(curl -fsS "$url/api/search?limit=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "serving $url with $total tracks"

declare -a names=("search q=love limit=50" "library page (100 tracks, offset 5000)" "albums page (100)" "track by uid")
uid=$(curl -fsS "$url/api/search?q=&limit=1&offset=777" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tracks"][0]["uid"])')
declare -a paths=("/api/search?q=love&limit=50" "/api/search?q=&limit=100&offset=5000&sort=artist" "/api/albums?limit=100" "/api/tracks/$uid")

results=()
printf '\n%-42s %10s %10s %12s\n' endpoint p50 p99 requests/s
for i in "${!paths[@]}"; do
  curl -fsS -o /dev/null "$url${paths[$i]}"   # warm
  wrk -t2 -c8 -d"$duration" --latency "$url${paths[$i]}" > "$work/wrk.txt"
  p50=$(awk '/Latency Distribution/{f=1} f && $1=="50%"{print $2; exit}' "$work/wrk.txt")
  p99=$(awk '/Latency Distribution/{f=1} f && $1=="99%"{print $2; exit}' "$work/wrk.txt")
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx/{print $5}' "$work/wrk.txt")
  printf '%-42s %10s %10s %12s%s\n' "${names[$i]}" "$p50" "$p99" "$rps" "${errors:+  (non-2xx: $errors)}"
  results+=("{\"endpoint\":\"${names[$i]}\",\"path\":\"${paths[$i]}\",\"p50\":\"$p50\",\"p99\":\"$p99\",\"requestsPerSecond\":$rps}")
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="{\"date\":\"$stamp\",\"tracks\":$total,\"wrk\":\"-t2 -c8 -d$duration --latency\",\"commit\":\"$(git rev-parse --short HEAD)\",\"cpus\":$(nproc),\"results\":[$(IFS=,; echo "${results[*]}")]}"
echo "$json" > "$out/api-$stamp.json"
cp "$out/api-$stamp.json" "$out/api-latest.json"
echo "wrote $out/api-$stamp.json"
