#!/usr/bin/env bash
# Sourced by benchmarks: starts a throwaway PostgreSQL (Debian's postgresql; scripts/setup-deps)
# with its default durability (fsync and synchronous_commit on), in a temporary folder, on a free
# loopback port; exports BENCH_POSTGRES_URL (database "bench") and stops it on exit.
# Runs the server as the postgres user when called as root (PostgreSQL refuses root).
bench_postgres_start() {
  local bin port dir as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: scripts/setup-deps" >&2; return 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dir=$(mktemp -d /tmp/omnisonic-bench-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; as=(runuser -u postgres --); fi
  (cd / && "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-instructions >/dev/null)
  (cd / && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null)
  BENCH_POSTGRES_STOP="cd / && ${as[*]} $bin/pg_ctl -D $dir/data -m fast stop >/dev/null; rm -rf $dir"
  trap 'eval "$BENCH_POSTGRES_STOP"' EXIT
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE DATABASE bench"
  export BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/bench"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on port $port (fsync on)" >&2
}
