#!/usr/bin/env bash
# Sourced by benchmarks: a throwaway `omnisonicd run` serving a temporary data folder.
#
#   bench_daemon_workdir
#       BENCH_WORK=$(mktemp -d); on exit the daemon (if started) gets SIGTERM and is waited for,
#       then the folder is removed. Call it before putting anything (data/, Music/) in it.
#   bench_daemon_start BIN ARGS...
#       starts `BIN run ARGS... --listen 127.0.0.1:0 --log-level warning` (output in
#       $BENCH_WORK/daemon.out and daemon.err), reads its address from "listening on URL" (up to
#       60 s; fails at once when the daemon exits), then waits up to 60 s for its start-up scan to
#       be idle. Sets BENCH_DAEMON_URL; returns 1 (with the daemon's stderr) when it did not serve.
BENCH_DAEMON_PID=

bench_daemon_workdir() {
  BENCH_WORK=$(mktemp -d)
  trap bench_daemon_cleanup EXIT
}

bench_daemon_cleanup() {
  if [ -n "$BENCH_DAEMON_PID" ] && kill -0 "$BENCH_DAEMON_PID" 2>/dev/null; then
    kill -TERM "$BENCH_DAEMON_PID"; wait "$BENCH_DAEMON_PID" 2>/dev/null || true
  fi
  rm -rf "$BENCH_WORK"
}

bench_daemon_start() {
  local bin=$1; shift
  "$bin" run "$@" --listen 127.0.0.1:0 --log-level warning > "$BENCH_WORK/daemon.out" 2> "$BENCH_WORK/daemon.err" &
  BENCH_DAEMON_PID=$!
  BENCH_DAEMON_URL=
  local _
  for _ in $(seq 1 600); do
    BENCH_DAEMON_URL=$(sed -n 's/^listening on //p' "$BENCH_WORK/daemon.out" 2>/dev/null | head -n 1 || true)
    [ -n "$BENCH_DAEMON_URL" ] && break
    kill -0 "$BENCH_DAEMON_PID" 2>/dev/null || { cat "$BENCH_WORK/daemon.err" >&2; echo "omnisonicd run exited" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$BENCH_DAEMON_URL" ] || { cat "$BENCH_WORK/daemon.err" >&2; echo "omnisonicd run did not serve within 60 s" >&2; return 1; }
  # The start-up scan finds nothing new (the library is complete or the folder empty).
  for _ in $(seq 1 600); do
    curl -fsS "$BENCH_DAEMON_URL/api/scan" | grep -q '"running":false' && break
    sleep 0.1
  done
}
