#!/usr/bin/env python3
"""Whole-library analysis: throughput, and what it costs the scan and the API while it runs.

bench/analysis/library.sh prepares the corpus and the binary, then calls this. Stdlib only.

Two daemons on the same corpus, each with a new, empty library folder, one after the other:
  off  `omnisonicd run --no-analysis`: the initial scan's wall time, then the API's latency at rest
  on   `omnisonicd run` (analysis on, its default workers: cores − 1, SCHED_IDLE): the initial
       scan's wall time while analysis competes with it, the API's latency while the library is
       being analysed, then the analysis pass to its end (or --limit seconds): tracks per second
       (tracks analysed / seconds from the scan's end to the queue's end) and the daemon's CPU.
Latency: --requests sequential requests on one keep-alive connection, each of
  the library page GET /api/search?q=&limit=100&offset=5000&sort=artist,
  GET /api/search?q=love&limit=50 and GET /api/tracks/{uid} (bench/api's endpoints);
  p50 and p99 in milliseconds.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse


def cpu_seconds(pid):
    """User + system CPU seconds of a live process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Daemon:
    def __init__(self, binary, corpus, analysis):
        self.work = tempfile.mkdtemp(prefix="omni-analysis-bench-")
        args = [binary, "run", "--music", corpus, "--data", os.path.join(self.work, "data"),
                "--listen", "127.0.0.1:0", "--mpd-listen", "off", "--log-level", "warning"]
        if not analysis:
            args.append("--no-analysis")
        self.out = open(os.path.join(self.work, "out"), "w+")
        self.err = open(os.path.join(self.work, "err"), "w+")
        self.started = time.monotonic()
        self.process = subprocess.Popen(args, stdout=self.out, stderr=self.err)
        self.url = None
        for _ in range(600):
            self.out.seek(0)
            match = re.search(r"^listening on http://([^\s]+)$", self.out.read(), re.M)
            if match:
                self.url = match.group(1)
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        if not self.url:
            self.err.seek(0)
            sys.exit(f"library.py: the daemon did not serve:\n{self.err.read()}")
        host, port = self.url.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def get(self, path):
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return json.loads(body) if body else None

    def wait_scan(self, timeout=3600):
        """Seconds from the daemon's start until its initial scan is idle with every track."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            scan = self.get("/api/scan")
            if not scan["running"] and scan.get("lastFinishedAt"):
                return time.monotonic() - self.started, scan["total"]
            time.sleep(0.05)
        raise RuntimeError("the scan did not finish")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        subprocess.run(["rm", "-rf", self.work])


def latency(daemon, requests):
    """p50/p99 milliseconds of each endpoint, `requests` sequential requests each."""
    uid = daemon.get("/api/search?q=&limit=1&offset=777")["tracks"][0]["uid"]
    paths = {
        "library page (100, by artist)": "/api/search?q=&limit=100&offset=5000&sort=artist",
        "search love (50)": "/api/search?" + urllib.parse.urlencode({"q": "love", "limit": 50}),
        "one track": f"/api/tracks/{uid}",
    }
    result = {}
    for name, path in paths.items():
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            daemon.get(path)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        result[name] = {"p50": round(statistics.median(times), 2),
                        "p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2)}
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--limit", type=float, default=3600, help="seconds the analysis pass may take")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results = {"load_before": round(load, 2), "cores": os.cpu_count()}

    off = Daemon(args.bin, args.corpus, analysis=False)
    try:
        seconds, tracks = off.wait_scan()
        results["off"] = {"scan_seconds": round(seconds, 2), "tracks": tracks, "scan_cpu": round(cpu_seconds(off.process.pid), 2),
                          "latency_at_rest": latency(off, args.requests)}
    finally:
        off.stop()
    print(json.dumps({"off": results["off"]}, indent=1), flush=True)

    on = Daemon(args.bin, args.corpus, analysis=True)
    try:
        seconds, tracks = on.wait_scan()
        scan_cpu = cpu_seconds(on.process.pid)
        scanned = time.monotonic()
        before = on.get("/api/analysis")
        # Latency is measured once the workers are analysing (the first results are stored), not
        # in the moment between the scan's end and the pass's start.
        started = time.monotonic()
        while on.get("/api/analysis")["done"] < 20 and time.monotonic() - started < 60:
            time.sleep(0.1)
        during = latency(on, args.requests)
        mid = on.get("/api/analysis")
        deadline = scanned + args.limit
        status = mid
        while time.monotonic() < deadline:
            status = on.get("/api/analysis")
            if status["queued"] == 0 and not status["running"]:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - scanned
        analysed = status["done"] + status["failed"]
        cpu = cpu_seconds(on.process.pid) - scan_cpu
        results["on"] = {
            "scan_seconds": round(seconds, 2), "tracks": tracks, "scan_cpu": round(scan_cpu, 2),
            "analysed_when_scan_ended": before["done"] + before["failed"],
            "latency_while_analysing": during, "still_queued_after_latency": mid["queued"],
            "analysed": analysed, "failed": status["failed"], "finished": status["queued"] == 0,
            "seconds_after_scan": round(elapsed, 1), "tracks_per_second": round(analysed / elapsed, 2),
            "cpu_seconds_after_scan": round(cpu, 1), "cpu_ms_per_track": round(cpu * 1000 / max(analysed, 1), 1),
            "workers": status["workers"],
        }
    finally:
        on.stop()
    results["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps({"on": results["on"], "load_after": results["load_after"]}, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
