#!/usr/bin/env python3
"""MPD protocol speed, side by side: Debian's `mpd` and `omnisonicd run`, same corpus, same run.

bench/mpd/run.sh prepares the corpus and the release build, then calls this. Stdlib only.

Rounds alternate the order (MPD then omnisonicd, then omnisonicd then MPD, ...) so that a change
in the machine's load hits both alike. In each round, each server starts on a new, empty
database, over a Unix socket, and is measured on:
  update         indexing the whole corpus from an empty database. MPD: `update` until
                 `updating_db` leaves `status`. omnisonicd: from the process's start until its
                 start-up scan is done (`updating_db` gone, the song count steady), so it
                 includes the daemon's start-up.
  queries        listallinfo; search any "love"; find artist (the first artist MPD lists);
                 list album group albumartist; add "" (queue everything, after a clear);
                 playlistinfo (the whole queue just made). Wall: the median of --reps timings
                 (client wall time, the whole answer read).
  CPU            the server process's user + system CPU (/proc/PID/stat, all threads) spent on
                 each command: read before the command and again once the process has settled
                 (no CPU for 50 ms, at most 1 s: work a command leaves behind, such as
                 omnisonicd's queue save, counts), summed over the --reps and divided by them
                 (the counters tick in 10 ms steps). For update, the CPU of the update (MPD) or
                 of the process from its start (omnisonicd). On a shared machine this is the
                 fairer figure: wall time stretches with other processes' load, CPU time much
                 less so.
  rss            the server's VmRSS after the queries (KiB).
Writes a JSON file and prints a Markdown table of medians over the rounds, with `uptime`'s
load before and after.
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import importlib.util

TIMEOUT = 3600

# MPD is started and timed exactly as bench/scan does it.
_spec = importlib.util.spec_from_file_location("bench_scan", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scan", "bench.py"))
scan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scan)


class Client:
    """A minimal client of MPD's text protocol over a Unix socket."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nothing answers on {path}")
                time.sleep(0.05)
        self.sock.settimeout(TIMEOUT)
        greeting = self.sock.recv(64)
        if not greeting.startswith(b"OK MPD "):
            raise RuntimeError(f"unexpected greeting {greeting!r}")

    def raw(self, line):
        """The whole answer to `line` as bytes (ending in OK); raises on ACK."""
        self.sock.sendall(line.encode() + b"\n")
        chunks = []
        tail = b""
        while True:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError(f"connection closed during {line!r}")
            chunks.append(chunk)
            tail = (tail + chunk)[-4096:]
            if tail == b"OK\n" or tail.endswith(b"\nOK\n"):
                return b"".join(chunks)
            last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
            if tail.endswith(b"\n") and last.startswith(b"ACK ["):
                raise RuntimeError(f"{line!r}: {last.decode()}")

    def pairs(self, line):
        out = {}
        for item in self.raw(line).decode().splitlines():
            if ": " in item:
                key, value = item.split(": ", 1)
                out.setdefault(key, value)
        return out

    def close(self):
        self.sock.close()


def settled_cpu(pid, quiet=0.05, limit=1.0):
    """The process's CPU seconds once it has used none for `quiet` seconds (at most `limit`)."""
    deadline = time.monotonic() + limit
    last = scan.cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = scan.cpu_seconds(pid)
        if now == last:
            break
        last = now
    return last


def load():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


class MPD:
    """Debian's MPD, started as bench/scan starts it (`MPDProcess`: a throwaway config, a null
    output, its database first made empty from an empty folder, since MPD updates by itself
    when it has none)."""

    name = "mpd"

    def __init__(self, corpus, work):
        self.corpus = corpus
        self.folder = tempfile.mkdtemp(prefix="mpd-", dir=work)

    def start(self):
        empty = os.path.join(self.folder, "empty")
        os.makedirs(empty, exist_ok=True)
        boot = scan.MPDProcess(empty, self.folder, "bootstrap")
        try:
            boot.client.wait_for_update_to_end()
        finally:
            boot.stop()
        self.mpd = scan.MPDProcess(self.corpus, self.folder, "bench")
        self.process = self.mpd.proc
        self.client = Client(self.mpd.socket, time.monotonic() + 60)

    def index(self):
        """Wall and CPU seconds to build the database from empty (`update` until `updating_db` is gone)."""
        timed = scan.timed_mpd_update(self.mpd)
        # MPD drops a client silent for 60 s (`connection_timeout`), which a slow update outlasts.
        self.client.close()
        self.client = Client(self.mpd.socket, time.monotonic() + 60)
        return timed

    def stop(self):
        self.client.close()
        self.mpd.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Omnisonicd:
    name = "omnisonicd"

    def __init__(self, corpus, work, binary):
        self.corpus, self.binary = corpus, binary
        self.folder = tempfile.mkdtemp(prefix="omni-", dir=work)
        self.sock = os.path.join(self.folder, "mpd.sock")

    def start(self):
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.folder, "config"), XDG_CACHE_HOME=os.path.join(self.folder, "cache"),
                   OMNISONIC_CONFIG="")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [self.binary, "run", "--music", self.corpus, "--data", os.path.join(self.folder, "data"), "--listen", "127.0.0.1:0",
             "--mpd-listen", self.sock, "--log-level", "error", "--no-analysis"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.client = Client(self.sock, time.monotonic() + 60)

    def index(self):
        """Wall and CPU seconds from the process's start until its start-up scan is done."""
        steady = 0
        last = -1
        while steady < 2:
            # `stats` only once the scan looks done: it reads the whole library.
            scanning = "updating_db" in self.client.pairs("status")
            songs = -2 if scanning else int(self.client.pairs("stats").get("songs", "0"))
            if not scanning and songs > 0 and songs == last:
                steady += 1
            else:
                steady = 0
                done = time.perf_counter()
            last = songs
            time.sleep(0.05)
        return done - self.started, scan.cpu_seconds(self.process.pid)

    def stop(self):
        self.client.close()
        self.process.terminate()
        self.process.wait(60)
        shutil.rmtree(self.folder, ignore_errors=True)


def measure(server, reps, chosen):
    wall, cpu = server.index()
    out = {"update": {"wall": wall, "cpu": cpu}}
    c = server.client
    pid = server.process.pid
    if not chosen:
        # The first artist listed (the same on both servers: e2e/mpd's differential test).
        chosen.append(next(line[8:] for line in c.raw("list artist").decode().splitlines() if line.startswith("Artist: ") and line[8:]))
    artist = chosen[0]
    out["songs"] = int(c.pairs("stats")["songs"])
    queries = [("listallinfo", "listallinfo", None), ('search any "love"', 'search any "love"', None),
               ("find artist", f'find artist "{artist}"', None), ("list album group albumartist", "list album group albumartist", None),
               ('add "" (queue everything)', 'add ""', "clear"), ("playlistinfo (whole queue)", "playlistinfo", None)]
    for label, line, before in queries:
        times = []
        cpu = 0.0
        for _ in range(reps):
            if before:
                c.raw(before)
            cpu_before = settled_cpu(pid)
            started = time.perf_counter()
            c.raw(line)
            times.append(time.perf_counter() - started)
            cpu += settled_cpu(pid) - cpu_before
        out[label] = {"wall": statistics.median(times), "cpu": cpu / reps}
    out["queue"] = int(c.pairs("status")["playlistlength"])
    out["rss_kib"] = scan.vm_rss_kib(pid)
    c.raw("clear")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--omnisonicd", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", required=True)
    parser.add_argument("--command", default="")
    args = parser.parse_args()
    corpus = os.path.abspath(args.corpus)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-mpd-")
    before = load()
    artist = []
    rounds = []
    try:
        for r in range(args.runs):
            servers = [MPD(corpus, work), Omnisonicd(corpus, work, args.omnisonicd)]
            if r % 2:
                servers.reverse()
            result = {}
            for server in servers:
                server.start()
                try:
                    result[server.name] = measure(server, args.reps, artist)
                finally:
                    server.stop()
                print(f"round {r + 1} {server.name}: " + ", ".join(f"{k} {v['wall']:.3f}/{v['cpu']:.3f}" if isinstance(v, dict) else f"{k} {v}"
                                                                 for k, v in result[server.name].items()) + " (wall/CPU s)", flush=True)
            rounds.append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = load()
    keys = [k for k in rounds[0]["mpd"] if k not in ("songs", "queue", "rss_kib")]
    version = scan.mpd_version()
    lines = [f"| measure | MPD {version} wall | omnisonicd wall | ratio | MPD {version} CPU | omnisonicd CPU | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]

    def ratio(o, m):
        return f"{o / m:.2f}" if m > 0 else "–"

    for key in keys:
        unit = "s" if key == "update" else "ms"
        scale = 1 if key == "update" else 1000
        digits = 2 if key == "update" else 1
        cells = []
        for kind in ("wall", "cpu"):
            m = statistics.median(r["mpd"][key][kind] for r in rounds)
            o = statistics.median(r["omnisonicd"][key][kind] for r in rounds)
            cells.append(f"{m * scale:.{digits}f} {unit} | {o * scale:.{digits}f} {unit} | {ratio(o, m)}")
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    for key in ("songs", "queue", "rss_kib"):
        lines.append(f"| {key} | {statistics.median(r['mpd'][key] for r in rounds):.0f} | {statistics.median(r['omnisonicd'][key] for r in rounds):.0f} | | | | |")
    table = "\n".join(lines)
    print(f"\nload before: {before}\nload after:  {after}\n{args.runs} rounds, medians; query wall times are medians of {args.reps}, "
          f"CPU times means of {args.reps}\n\n{table}")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    report = {"command": args.command, "corpus": corpus, "runs": args.runs, "reps": args.reps, "load_before": before,
              "load_after": after, "rounds": rounds, "table": table}
    for name in (f"mpd-{stamp}.json", "mpd-latest.json"):
        with open(os.path.join(args.out, name), "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
