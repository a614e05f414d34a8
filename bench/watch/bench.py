#!/usr/bin/env python3
"""Live-watching benchmark for `omnisonicd run` (see bench/README.md, "Watch").

Measures, against a running daemon whose music folder holds a generated library:
  1. latency: from a file's close(2) to the file being findable through /api/search, over
     --copies single-file copies of distinct recordings (made with ffmpeg, each with a unique
     title word), one at a time;
  2. bulk copy-in: about --bulk files (whole artist folders of the corpus, kept out of the music
     folder at start) copied in with `cp -r`; time from the copy's start until every track is
     searchable, as files per second, next to the initial scan's rate measured on the same
     corpus by `omnisonicd scan`;
  3. idle cost: the daemon's CPU time (utime + stime from /proc) over --idle seconds with nothing
     changing.
Writes a JSON result to --out and prints a summary.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class API:
    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def get(self, path):
        for attempt in range(2):
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                body = response.read()
                return response.status, json.loads(body) if body else None
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                if attempt:
                    raise

    def search_total(self, text):
        status, body = self.get("/api/search?limit=1&q=" + urllib.parse.quote(text))
        assert status == 200, body
        return body["total"]

    def scan_status(self):
        status, body = self.get("/api/scan")
        assert status == 200, body
        return body


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--omnisonicd", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--copies", type=int, default=50)
    ap.add_argument("--bulk", type=int, default=5000)
    ap.add_argument("--idle", type=float, default=10)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="omnisonic-watch-bench-")
    daemon = None
    try:
        music = os.path.join(work, "Music")
        staging = os.path.join(work, "staging")
        os.makedirs(staging)

        # Artist folders for the bulk copy-in: the largest first, until --bulk files.
        folders = []
        for name in os.listdir(args.corpus):
            path = os.path.join(args.corpus, name)
            if os.path.isdir(path) and not name.startswith("."):
                count = sum(len(files) for _, _, files in os.walk(path))
                folders.append((count, name))
        folders.sort(reverse=True)
        bulk, bulk_files = [], 0
        for count, name in folders:
            if bulk_files >= args.bulk:
                break
            bulk.append(name)
            bulk_files += count

        # Half of the bulk folders arrive by rename (a folder moved in: no copy to wait for, so
        # the indexer's own rate shows), the other half by `cp -r` (indexing keeps pace with a copy).
        move_set = bulk[0::2]
        copy_set = bulk[1::2]
        count_of = dict((name, count) for count, name in folders)
        move_files = sum(count_of[n] for n in move_set)
        copy_files = sum(count_of[n] for n in copy_set)

        # The music folder: the corpus without the bulk folders, hard-linked (fast, no extra disk).
        os.makedirs(music)
        for name in os.listdir(args.corpus):
            if name in bulk or name.startswith("."):
                continue
            src = os.path.join(args.corpus, name)
            subprocess.run(["cp", "-al", src, music], check=True)

        # The initial scan's rate on the whole corpus, for comparison.
        scan_data = os.path.join(work, "scan-data")
        out = subprocess.run([args.omnisonicd, "scan", "--music", args.corpus, "--data", scan_data, "--json"],
                             check=True, capture_output=True, text=True)
        full = json.loads(out.stdout)
        initial_rate = full["files"] / full["seconds"]
        out = subprocess.run([args.omnisonicd, "search", "--data", scan_data, "--json", "--limit", "1", ""],
                             check=True, capture_output=True, text=True)
        corpus_tracks = json.loads(out.stdout)["total"]  # copies of one recording are one track

        def tracks_of(names):
            """Tracks a library of these corpus folders (plus loose files) holds."""
            root = tempfile.mkdtemp(dir=work)
            for name in os.listdir(args.corpus):
                if name.startswith(".") or (name in bulk and name not in names):
                    continue
                subprocess.run(["cp", "-al", os.path.join(args.corpus, name), root], check=True)
            data = tempfile.mkdtemp(dir=work)
            subprocess.run([args.omnisonicd, "scan", "--music", root, "--data", data], check=True, capture_output=True)
            out = subprocess.run([args.omnisonicd, "search", "--data", data, "--json", "--limit", "1", ""],
                                 check=True, capture_output=True, text=True)
            shutil.rmtree(root)
            shutil.rmtree(data)
            return json.loads(out.stdout)["total"]
        after_move_tracks = tracks_of(move_set)

        # The moved-in folders wait, hard-linked, on the same file system.
        incoming = os.path.join(work, "incoming")
        os.makedirs(incoming)
        for name in move_set:
            subprocess.run(["cp", "-al", os.path.join(args.corpus, name), incoming], check=True)

        # Distinct recordings for the latency copies (a unique title word each).
        probes = []
        for i in range(args.copies):
            word = f"latencyprobe{i:03d}x"
            path = os.path.join(staging, f"{word}.flac")
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                            f"sine=frequency={200 + 7 * i}:duration=2", "-metadata", f"title=Probe {word}",
                            "-metadata", "artist=Latency Bench", path], check=True)
            with open(path, "rb") as f:
                probes.append((word, f.read()))

        port = free_port()
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "xdg"))
        daemon = subprocess.Popen([args.omnisonicd, "run", "--music", music, "--data", os.path.join(work, "data"),
                                   "--cache", os.path.join(work, "cache"), "--listen", f"127.0.0.1:{port}",
                                   "--log-level", "info"],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "w"), env=env)
        api = None
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                api = API(port)
                if api.scan_status().get("lastFinishedAt"):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        status = api.scan_status()
        assert status.get("lastFinishedAt"), status
        while api.scan_status()["running"]:
            time.sleep(0.1)
        start_total = api.search_total("")
        print(f"library at start: {start_total} tracks", file=sys.stderr)

        # 1. Latency.
        latencies = []
        os.makedirs(os.path.join(music, "Latency"))
        for word, data in probes:
            target = os.path.join(music, "Latency", word + ".flac")
            with open(target, "wb") as f:
                f.write(data)
            closed = time.perf_counter()
            while api.search_total(word) == 0:
                if time.perf_counter() - closed > 10:
                    raise SystemExit(f"{word} not found after 10 s")
                time.sleep(0.002)
            latencies.append((time.perf_counter() - closed) * 1000)
            time.sleep(0.3)

        # 2a. Bulk move-in: folders renamed into the music folder at once.
        def wait_for(expected, began, what):
            while api.search_total("") < expected:
                if time.perf_counter() - began > 300:
                    raise SystemExit(f"{what}: {api.search_total('')} of {expected} tracks after 300 s")
                time.sleep(0.05)
            return time.perf_counter() - began

        began = time.perf_counter()
        for name in move_set:
            os.rename(os.path.join(incoming, name), os.path.join(music, name))
        moved_in = wait_for(after_move_tracks + len(probes), began, "bulk move-in")

        # 2b. Bulk copy-in with cp -r.
        began = time.perf_counter()
        subprocess.run(["cp", "-r"] + [os.path.join(args.corpus, name) for name in copy_set] + [music], check=True)
        copied = time.perf_counter() - began
        indexed = wait_for(corpus_tracks + len(probes), began, "bulk copy-in")

        # 3. Idle.
        time.sleep(1)
        before = cpu_ticks(daemon.pid)
        time.sleep(args.idle)
        idle_ticks = cpu_ticks(daemon.pid) - before
        hz = os.sysconf("SC_CLK_TCK")
        rss_kib = int([l for l in open(f"/proc/{daemon.pid}/status") if l.startswith("VmRSS")][0].split()[1])

        result = {
            "command": args.command,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "corpus": args.corpus,
            "latency_ms": {
                "copies": len(latencies),
                "p50": round(percentile(latencies, 50), 1),
                "p95": round(percentile(latencies, 95), 1),
                "p99": round(percentile(latencies, 99), 1),
                "max": round(max(latencies), 1),
                "mean": round(statistics.mean(latencies), 1),
            },
            "move_in": {
                "files": move_files,
                "folders": len(move_set),
                "indexed_seconds": round(moved_in, 2),
                "files_per_second": round(move_files / moved_in),
            },
            "copy_in": {
                "files": copy_files,
                "folders": len(copy_set),
                "copy_seconds": round(copied, 2),
                "indexed_seconds": round(indexed, 2),
                "lag_after_copy_seconds": round(indexed - copied, 2),
                "files_per_second": round(copy_files / indexed),
            },
            "initial_scan": dict(full, files_per_second=round(initial_rate)),
            "idle": {"seconds": args.idle, "cpu_seconds": idle_ticks / hz, "rss_mib": round(rss_kib / 1024, 1)},
        }
        os.makedirs(args.out, exist_ok=True)
        name = "watch-" + time.strftime("%Y%m%d-%H%M%S") + ".json"
        for n in (name, "watch-latest.json"):
            with open(os.path.join(args.out, n), "w") as f:
                json.dump(result, f, indent=2)
        l = result["latency_ms"]
        print(f"close -> searchable over {l['copies']} copies: p50 {l['p50']} ms, p95 {l['p95']} ms, "
              f"p99 {l['p99']} ms, max {l['max']} ms")
        print(f"initial scan (omnisonicd scan, whole corpus): {initial_rate:.0f} files/s")
        print(f"bulk move-in: {move_files} files in {len(move_set)} folders renamed in, all searchable after "
              f"{moved_in:.2f} s = {move_files / moved_in:.0f} files/s")
        print(f"bulk copy-in: {copy_files} files in {len(copy_set)} folders, cp -r took {copied:.2f} s, all searchable after "
              f"{indexed:.2f} s ({indexed - copied:.2f} s after the copy ended) = {copy_files / indexed:.0f} files/s")
        print(f"idle: {idle_ticks / hz:.2f} s CPU over {args.idle:.0f} s, RSS {rss_kib / 1024:.1f} MiB")
    finally:
        if os.environ.get("OMNI_BENCH_LOG"):
            shutil.copy(os.path.join(work, "daemon.log"), os.environ["OMNI_BENCH_LOG"])
        if daemon:
            daemon.terminate()
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
