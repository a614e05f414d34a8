#!/usr/bin/env bash
# The idle daemon's cost (issue 16): wake-ups per minute and CPU seconds per hour of an
# `omnisonicd run` that has nothing to do, with sync on (a local `sync-server serve`).
#
#   bench/idle/run.sh [SECONDS] [BINARY]     (default 60, .build/debug/omnisonicd)
#   SYNC=off bench/idle/run.sh ...           (the same daemon without sync)
#
# Starts the daemon on two short files (--output null --mpd-listen off), waits 15 s, then over
# SECONDS each:
# - wake-ups: the sum over /proc/PID/task/*/status of voluntary + nonvoluntary context
#   switches, before and after (threads born and gone inside the window are missed: next line);
# - system calls of every thread, new ones included: `strace -f -c -p PID` (`set_robust_list`
#   counts threads started);
# - CPU: utime + stime of /proc/PID/stat, scaled to an hour (one tick is 10 ms: coarse);
# then SIGTERM, and the exit status. Prints the load beside the figures; docs/PERFORMANCE.md.
set -euo pipefail
seconds=${1:-60}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=${2:-$repo/.build/debug/omnisonicd}
[ -x "$binary" ] || { echo "no binary at $binary (swift build first)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/omnisonic-idle-XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/music"
for f in 440 660; do
  ffmpeg -loglevel error -f lavfi -i "sine=frequency=$f:duration=2" -ac 1 "$work/music/$f.mp3"
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sync=()
token=
if [ "${SYNC:-on}" != off ]; then
  sync_port=$(free_port)
  "$binary" sync-server serve --data "$work/server" --listen "127.0.0.1:$sync_port" >"$work/server.log" 2>&1 &
  pids+=($!)
  token=$("$binary" sync-server add-device --data "$work/server" --user idle | tail -1)
  sync=(--sync-url "http://127.0.0.1:$sync_port")
fi
OMNISONIC_SYNC_TOKEN=$token XDG_DATA_HOME=$work/xdg "$binary" run --music "$work/music" --data "$work/data" \
  --listen 127.0.0.1:0 --output null --mpd-listen off "${sync[@]}" \
  >"$work/daemon.out" 2>"$work/daemon.log" &
daemon=$!
pids+=($daemon)
sleep 15
grep -q "listening on" "$work/daemon.out" || { echo "the daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1; }

switches() { cat /proc/"$daemon"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
ticks() { awk '{print $14 + $15}' /proc/"$daemon"/stat; }
hz=$(getconf CLK_TCK)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
s0=$(switches); t0=$(ticks); threads0=$(ls /proc/"$daemon"/task | wc -l)
sleep "$seconds"
s1=$(switches); t1=$(ticks); threads1=$(ls /proc/"$daemon"/task | wc -l)
strace -f -c -p "$daemon" -o "$work/strace.txt" 2>/dev/null & strace_pid=$!
sleep "$seconds"
kill -INT "$strace_pid"; wait "$strace_pid" 2>/dev/null || true
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v s="$seconds" -v a="$s0" -v b="$s1" 'BEGIN {printf "wake-ups of live threads per minute: %d\n", (b - a) * 60 / s}'
awk -v s="$seconds" -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "CPU seconds per hour: %.1f (%d ticks in %d s)\n", (b - a) / hz * 3600 / s, b - a, s}'
echo "threads: $threads0 before, $threads1 after"
awk -v s="$seconds" '$NF == "total" {printf "system calls per minute (strace -f -c): %d\n", $(NF-2) * 60 / s}' "$work/strace.txt"
awk -v s="$seconds" '$NF == "set_robust_list" {printf "threads started per minute (set_robust_list): %d\n", $4 * 60 / s; found = 1}
                     END {if (!found) print "threads started per minute (set_robust_list): 0"}' "$work/strace.txt"
echo "most frequent system calls:"; sed -n '3,10p' "$work/strace.txt"
kill -TERM "$daemon"; status=0; wait "$daemon" || status=$?
echo "exit status on SIGTERM: $status"
