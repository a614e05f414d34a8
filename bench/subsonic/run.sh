#!/usr/bin/env bash
# The OpenSubsonic door on a 10,000-track library (issue 13): a client's full sync by search3
# pages of 500, and getAlbumList2 / search3 latency with wrk at 8 connections.
#
#   bench/subsonic/run.sh                              # 10,000 tracks, release build, 10 s per endpoint
#   CONFIGURATION=debug TRACKS=2000 DURATION=5s bench/subsonic/run.sh
#   SWIFT_SCRATCH=.build-bench bench/subsonic/run.sh
#   CORPUS=bench/out/corpus/t10000-mp3_flac_ogg_m4a-s1 NO_BUILD=1 bench/subsonic/run.sh   # real files
#
# 1. builds SearchBench and lets it generate its synthetic library of $TRACKS tracks (as
#    bench/webui does: real SQLite rows, albums, artists and genres, no audio files — the
#    figures here are the door's reads and rendering; streaming is bench/api's);
# 2. puts it in a fresh data folder, sets a Subsonic password with `omnisonicd subsonic
#    set-password`, starts `omnisonicd run` on an empty music folder (the synthetic root is not
#    configured, so the start-up scan keeps its tracks);
# 3. times the full sync (bench/subsonic/fullsync.py: search3 with an empty query, songOffset
#    stepping by 500, until a short page; every song exactly once);
# 4. runs `wrk -t2 -c8 -d$DURATION --latency` on getAlbumList2, search3 and getCoverArt of a
#    cached size (JSON, password auth); the cover art comes from 24 make-corpus tracks put in the
#    music folder, which the start-up scan adds (so the library holds $TRACKS + 24 songs);
# 5. writes bench/out/subsonic-<UTC date>.json and bench/out/subsonic-latest.json.
# Beside each wall-clock figure, the daemon's own CPU time (utime + stime from /proc, all
# threads) for the same work: on a shared machine the wall time counts waiting for the CPU,
# the CPU time does not.
# Targets: full sync < 1 s; getAlbumList2 and search3 p99 < 10 ms at 8 connections;
# getCoverArt of a cached size < 2 ms.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
command -v wrk >/dev/null 2>&1 || bash scripts/setup-deps --bench
command -v wrk >/dev/null 2>&1 || { echo "run.sh: wrk is missing (apt-get install wrk)" >&2; exit 2; }

tracks=${TRACKS:-10000}
duration=${DURATION:-10s}
configuration=${CONFIGURATION:-release}
out=bench/out
shared=${OMNI_SHARED_DIR:-$repo/../shared}
mkdir -p "$out"

scratch=(${SWIFT_SCRATCH:+--scratch-path "$SWIFT_SCRATCH"})
# NO_BUILD=1: measure the binaries already built (to compare two builds without rebuilding).
if [ -z "${NO_BUILD:-}" ]; then
  echo "build: swift build -c $configuration --product SearchBench / omnisonicd ${scratch[*]}"
  swift build -c "$configuration" --product SearchBench "${scratch[@]}" 2>&1 | tail -n 1
  swift build -c "$configuration" --product omnisonicd "${scratch[@]}" 2>&1 | tail -n 1
fi
binpath=$(swift build -c "$configuration" "${scratch[@]}" --show-bin-path)
bin=${BIN:-$binpath/omnisonicd}   # BIN: another omnisonicd to measure (a before build)

source bench/lib/daemon.sh
bench_daemon_workdir
work=$BENCH_WORK

mkdir -p "$work/data" "$work/Music"
if [ -n "${CORPUS:-}" ]; then
  # A make-corpus folder (bench/mpd/run.sh makes bench/out/corpus/t10000-mp3_flac_ogg_m4a-s1):
  # real files, scanned at start, so albums, artists and covers exist (SearchBench's synthetic
  # rows have no album or artist rows: getAlbumList2 answered an empty page on them).
  echo "library: the make-corpus folder $CORPUS, scanned at start"
  music=$CORPUS
else
  echo "library: $tracks synthetic tracks"
  kept=$(SEARCHBENCH_KEEP=1 "$binpath/SearchBench" "$tracks" 1 | sed -n 's/^Kept //p')
  [ -f "$kept" ] || { echo "run.sh: SearchBench kept no library" >&2; exit 1; }
  mv "$kept" "$work/data/library.sqlite"
  rm -rf "$(dirname "$kept")"
  python3 "$shared/tools/make-corpus" "$work/Music" --tracks 24 --seed 5 > "$work/corpus.log" 2>&1
  music=$work/Music
fi
echo "bench-password" | "$bin" subsonic set-password --data "$work/data" --user bench >/dev/null

# The daemon's CPU time so far, in ms (utime + stime of every thread, from /proc).
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$BENCH_DAEMON_PID/stat"; }

OMNISONIC_SUBSONIC_USER=bench bench_daemon_start "$bin" --music "$music" --data "$work/data" --mpd-listen off --no-analysis || exit 1
url=$BENCH_DAEMON_URL
auth="u=bench&p=bench-password&v=1.16.1&c=bench&f=json"
scan_status() { curl -fsS "$url/rest/getScanStatus?$auth" | python3 -c 'import json,sys; s=json.load(sys.stdin)["subsonic-response"]["scanStatus"]; print(s["scanning"], s["count"])'; }
# The start-up scan: wait until it is over and the count holds still.
last= same=0
while [ "$same" -lt 3 ]; do
  status=$(scan_status)
  case "$status" in False*) [ "$status" = "$last" ] && [ "${status#* }" != 0 ] && same=$((same + 1)) || same=0 ;; *) same=0 ;; esac
  last=$status
  sleep 1
done
total=${status#* }
echo "serving $url with $total tracks; load: $(uptime | sed 's/.*load average: //')"

before=$(cpu_ms)
sync=$(python3 bench/subsonic/fullsync.py "$url" --user bench --password bench-password --expect "$total")
sync_cpu=$(( $(cpu_ms) - before ))
echo "full sync: $sync; daemon CPU ${sync_cpu} ms"

# An album of the make-corpus tracks (the newest) that has art, for getCoverArt.
cover=$(curl -fsS "$url/rest/getAlbumList2?type=newest&size=500&$auth" \
  | python3 -c 'import json,sys; print(next(a["coverArt"] for a in json.load(sys.stdin)["subsonic-response"]["albumList2"]["album"] if "coverArt" in a))')

declare -a names=("getAlbumList2 alphabeticalByName size=50 offset=100" "search3 query=love (20/20/20)" "getCoverArt size=300 (cached)")
declare -a paths=("/rest/getAlbumList2?type=alphabeticalByName&size=50&offset=100&$auth" "/rest/search3?query=love&$auth"
                  "/rest/getCoverArt?id=$cover&size=300&$auth")
results=()
printf '\n%-52s %10s %10s %12s %14s\n' endpoint p50 p99 requests/s "CPU ms/request"
for i in "${!paths[@]}"; do
  curl -fsS -o /dev/null "$url${paths[$i]}"   # warm (and makes the cover's size)
  before=$(cpu_ms)
  wrk -t2 -c8 -d"$duration" --latency "$url${paths[$i]}" > "$work/wrk.txt"
  spent=$(( $(cpu_ms) - before ))
  p50=$(awk '/Latency Distribution/{f=1} f && $1=="50%"{print $2; exit}' "$work/wrk.txt")
  p99=$(awk '/Latency Distribution/{f=1} f && $1=="99%"{print $2; exit}' "$work/wrk.txt")
  rps=$(awk '/Requests\/sec/{print $2}' "$work/wrk.txt")
  count=$(awk '/requests in/{print $1}' "$work/wrk.txt")
  per=$(awk -v s="$spent" -v n="$count" 'BEGIN{printf "%.3f", (n > 0 ? s / n : 0)}')
  printf '%-52s %10s %10s %12s %14s\n' "${names[$i]}" "$p50" "$p99" "$rps" "$per"
  results+=("{\"endpoint\":\"${names[$i]}\",\"p50\":\"$p50\",\"p99\":\"$p99\",\"requestsPerSecond\":$rps,\"daemonCpuMsPerRequest\":$per}")
done
load=$(uptime | sed 's/.*load average: //')
echo "load after: $load"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
printf '{"tracks":%s,"configuration":"%s","fullSync":%s,"fullSyncDaemonCpuMs":%s,"load":"%s","endpoints":[%s]}\n' "$total" "$configuration" "$sync" "$sync_cpu" "$load" \
  "$(IFS=,; echo "${results[*]}")" > "$out/subsonic-$stamp.json"
cp "$out/subsonic-$stamp.json" "$out/subsonic-latest.json"
echo "wrote $out/subsonic-$stamp.json"
