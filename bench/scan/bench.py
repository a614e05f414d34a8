#!/usr/bin/env python3
"""Scan benchmark, side by side: MPD's database update and `omnisonicd scan`, same corpus, same run.

bench/scan/run.sh prepares the corpus and the release build, then calls this. Stdlib only.

Runs alternate, MPD then omnisonicd, round after round, so that a change in the machine's load
(it is shared) hits both tools alike. For each tool and each run, with a new, empty database:
  initial    index the whole corpus
  no-change  index it again, nothing having changed
  idle       the daemon at rest on the library just made: its resident memory (VmRSS)
Measured: wall seconds, files/s (the corpus's audio files / wall seconds), CPU seconds (user +
system) and CPU milliseconds per file, peak RSS, idle RSS.
  MPD: one `mpd --no-daemon` process per run, driven over its protocol on a unix socket
       (`update`, then `idle update` + `status` until `updating_db` is gone); peak RSS is the
       process's VmHWM, read from /proc after each phase (so it includes start-up).
       Idle RSS: MPD's VmRSS 2 s after the no-change update (the process that made the library).
  omnisonicd: one process per phase, `omnisonicd scan --json`, under `/usr/bin/time -v`
       ("Maximum resident set size"). Idle RSS: `omnisonicd run` on the same library and folder
       (it watches the folder and serves HTTP), VmRSS 2 s after its start-up scan is idle,
       with `--no-analysis`: MPD analyses nothing, and omnisonicd's background analysis of a new
       library keeps it busy decoding for many minutes, so it is not at rest (decision 0037).
The page cache is warmed first by reading every corpus file once.
Each run's temporary folder is kept until the benchmark ends: on an ext4 without a journal (this
machine's root file system), the inode allocator steps over every inode freed in the last minute
or more, one by one, so deleting one run's 560 files and folders just before the next run writes
its own made that run pay about 1 s of system CPU that no user's first scan pays (MPD, which
writes one file, did not pay it): decision 0040 in docs/decisions.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

MPD_TIMEOUT = 3600  # seconds: bound on any one MPD reply, so a stuck update cannot hang the bench


def warm_page_cache(corpus):
    """Reads every file under corpus once; returns (files, bytes)."""
    files = size = 0
    for top, _dirs, names in os.walk(corpus):
        for name in names:
            with open(os.path.join(top, name), "rb") as f:
                while chunk := f.read(1 << 20):
                    size += len(chunk)
            files += 1
    return files, size


# ---------------------------------------------------------------------------- MPD


class MPDError(Exception):
    pass


class MPDClient:
    """A minimal client of MPD's text protocol (one command at a time)."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise MPDError(f"MPD did not open {path} in time")
                time.sleep(0.05)
        self.sock.settimeout(MPD_TIMEOUT)
        self.file = self.sock.makefile("rwb")
        hello = self.file.readline().decode()
        if not hello.startswith("OK MPD "):
            raise MPDError(f"unexpected greeting: {hello!r}")

    def command(self, line):
        """Sends one command; returns its `key: value` lines as a dict (last value wins)."""
        self.file.write(line.encode() + b"\n")
        self.file.flush()
        reply = {}
        while True:
            raw = self.file.readline()
            if not raw:
                raise MPDError(f"MPD closed the connection during {line!r}")
            text = raw.decode("utf-8", "replace").rstrip("\n")
            if text == "OK":
                return reply
            if text.startswith("ACK "):
                raise MPDError(f"{line!r}: {text}")
            key, _, value = text.partition(": ")
            reply[key] = value

    def wait_for_update_to_end(self):
        """Returns once no database update is running or queued.

        MPD keeps each client's idle events from the moment they happen, so an update that
        ends before `idle` is sent still wakes it: no end can be missed.
        """
        while "updating_db" in self.command("status"):
            self.command("idle update")

    def close(self):
        self.file.close()
        self.sock.close()


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far, all its threads (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_percent(seconds=2.0):
    """How busy the whole machine is (all cores, %) over a short sample of /proc/stat."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return round(100 * (1 - (idle1 - idle0) / max(1, total1 - total0)), 1)


def load_1m():
    return os.getloadavg()[0]


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise MPDError("no VmHWM in /proc status")


def vm_rss_kib(pid):
    """The resident memory of a process now (VmRSS, KiB)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise MPDError("no VmRSS in /proc status")


IDLE_SETTLE = 2.0  # seconds a daemon rests after its last work before its idle RSS is read


def mpd_config(music, tmp):
    def q(path):
        return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "\n".join([
        f"music_directory {q(music)}",
        f"db_file {q(os.path.join(tmp, 'db'))}",
        f"bind_to_address {q(os.path.join(tmp, 'socket'))}",
        f"playlist_directory {q(os.path.join(tmp, 'playlists'))}",
        'auto_update "no"',
        'zeroconf_enabled "no"',
        'audio_output {',
        '  type "null"',
        '  name "null"',
        '}',
        "",
    ])


class MPDProcess:
    """`mpd --no-daemon --stderr` on a throwaway config; its log goes to tmp/mpd-*.log."""

    def __init__(self, music, tmp, label):
        self.tmp = tmp
        self.socket = os.path.join(tmp, "socket")
        os.makedirs(os.path.join(tmp, "playlists"), exist_ok=True)
        conf = os.path.join(tmp, f"mpd-{label}.conf")
        with open(conf, "w") as f:
            f.write(mpd_config(music, tmp))
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.log = open(os.path.join(tmp, f"mpd-{label}.log"), "wb")
        self.proc = subprocess.Popen(["mpd", "--no-daemon", "--stderr", conf],
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        try:
            self.client = MPDClient(self.socket, time.monotonic() + 30)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if getattr(self, "client", None):
            self.client.close()
            self.client = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def timed_mpd_update(mpd):
    """Returns (wall seconds, CPU seconds) of one update, start to end."""
    cpu = cpu_seconds(mpd.proc.pid)
    start = time.monotonic()
    mpd.client.command("update")
    mpd.client.wait_for_update_to_end()
    return time.monotonic() - start, cpu_seconds(mpd.proc.pid) - cpu


def mpd_version():
    """MPD's release (`mpd --version`); the protocol greeting gives only the protocol version."""
    p = subprocess.run(["mpd", "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    m = re.search(r"Music Player Daemon (\S+)", p.stdout)
    return m.group(1) if m else None


def bench_mpd_once(corpus, tracks, tmp):
    # MPD starts a full update by itself when its database file does not exist yet. To time an
    # update we start ourselves, the database is first made (empty) from an empty folder.
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    boot = MPDProcess(empty, tmp, "bootstrap")
    try:
        boot.client.wait_for_update_to_end()
    finally:
        boot.stop()
    if not os.path.exists(os.path.join(tmp, "db")):
        raise MPDError("the bootstrap did not write an empty database")

    mpd = MPDProcess(corpus, tmp, "bench")
    try:
        phases = {}
        for phase in ("initial", "no-change"):
            load = load_1m()
            seconds, cpu = timed_mpd_update(mpd)
            songs = int(mpd.client.command("stats").get("songs", 0))
            phases[phase] = {
                "seconds": round(seconds, 3),
                "files_per_second": round(tracks / seconds, 1),
                "cpu_seconds": round(cpu, 2),
                "load_1m_before": round(load, 2),
                "peak_rss_kib": vm_hwm_kib(mpd.proc.pid),
                "indexed": songs,
            }
        time.sleep(IDLE_SETTLE)
        phases["idle"] = {"rss_kib": vm_rss_kib(mpd.proc.pid)}
    finally:
        mpd.stop()
    return phases


# ---------------------------------------------------------------------------- omnisonicd


def omnisonicd_has_scan(binary):
    """True when the binary has a `scan` subcommand (its own --help names it)."""
    if not binary or not os.access(binary, os.X_OK):
        return False
    p = subprocess.run([binary, "scan", "--help"], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    return p.returncode == 0 and "omnisonicd scan" in (p.stdout + p.stderr)


def timed_omnisonicd_scan(binary, corpus, data):
    cmd = ["/usr/bin/time", "-v", binary, "scan", "--music", corpus, "--data", data, "--json"]
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - start
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    user = re.search(r"User time \(seconds\): ([\d.]+)", p.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", p.stderr)
    cpu = float(user.group(1)) + float(system.group(1)) if user and system else None
    summary = None
    for line in reversed(p.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                summary = json.loads(line)
                break
            except json.JSONDecodeError:
                pass
    if summary is None:
        # A scan that finished prints its summary even when it exits non-zero (failed files);
        # without one there is nothing to measure.
        tail = "\n".join(p.stderr.splitlines()[-20:])
        raise RuntimeError(f"omnisonicd scan exited {p.returncode} with no summary:\n{tail}")
    summary["exit_status"] = p.returncode
    # The system part on its own: where file-system costs (inode allocation, fsync) show.
    summary["system_seconds"] = float(system.group(1)) if system else None
    return seconds, cpu, int(rss.group(1)) if rss else None, summary


def library_size(binary, data):
    """Tracks in the library after a scan (what MPD's song count is compared with), or None."""
    p = subprocess.run([binary, "search", "--data", data, "--json", "--limit", "0", ""],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    try:
        return json.loads(p.stdout)["total"]
    except (ValueError, KeyError):
        return None


def omnisonicd_idle_rss(binary, corpus, data):
    """VmRSS (KiB) of `omnisonicd run` on the library in data, once its start-up scan is idle."""
    proc = subprocess.Popen([binary, "run", "--music", corpus, "--data", data, "--listen", "127.0.0.1:0",
                             "--log-level", "warning", "--no-analysis"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        url = None
        for line in proc.stdout:
            if line.startswith("listening on "):
                url = line.split("listening on ", 1)[1].strip()
                break
        if url is None:
            raise RuntimeError(f"omnisonicd run exited ({proc.wait()}) without serving")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with urllib.request.urlopen(url + "/api/scan", timeout=10) as response:
                if not json.loads(response.read()).get("running"):
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("omnisonicd run's start-up scan did not end within 120 s")
        time.sleep(IDLE_SETTLE)
        return vm_rss_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def bench_omnisonicd_once(binary, corpus, tracks, tmp):
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    phases = {}
    for phase in ("initial", "no-change"):
        load = load_1m()
        seconds, cpu, rss, summary = timed_omnisonicd_scan(binary, corpus, data)
        phases[phase] = {
            "seconds": round(seconds, 3),
            "files_per_second": round(tracks / seconds, 1),
            "cpu_seconds": round(cpu, 2) if cpu is not None else None,
            "load_1m_before": round(load, 2),
            "peak_rss_kib": rss,
            "indexed": library_size(binary, data),
            "summary": summary,
        }
    phases["idle"] = {"rss_kib": omnisonicd_idle_rss(binary, corpus, data)}
    return phases


# ---------------------------------------------------------------------------- report


def median_phases(runs, tracks):
    """Per phase, the median over the runs (which are kept in the result too).

    files/s is derived from the median seconds; counts and RSS take the lower median, a value
    that was really observed. best_seconds is the fastest run: on a machine shared with other
    work it is the nearest to what a quiet machine would show.
    """
    out = {}
    for phase in runs[0]:
        if phase == "idle":
            out[phase] = {"rss_kib": statistics.median_low(r[phase]["rss_kib"] for r in runs)}
            continue
        seconds = statistics.median(r[phase]["seconds"] for r in runs)
        out[phase] = {"seconds": round(seconds, 3), "files_per_second": round(tracks / seconds, 1),
                      "best_seconds": min(r[phase]["seconds"] for r in runs)}
        cpu = [r[phase]["cpu_seconds"] for r in runs if r[phase].get("cpu_seconds") is not None]
        if cpu:
            out[phase]["cpu_seconds"] = round(statistics.median(cpu), 2)
            out[phase]["cpu_ms_per_file"] = round(1000 * statistics.median(cpu) / tracks, 3)
        for key in ("peak_rss_kib", "indexed"):
            values = [r[phase][key] for r in runs if r[phase].get(key) is not None]
            if values:
                out[phase][key] = statistics.median_low(values)
    return out


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    os_name = ""
    try:
        with open("/etc/os-release") as f:
            os_name = next((line.split("=", 1)[1].strip().strip('"') for line in f
                            if line.startswith("PRETTY_NAME=")), "")
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "os": os_name, "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def git_commit(repo):
    try:
        rev = subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def print_table(result):
    c = result["corpus"]
    print()
    print(f"scan benchmark: {c['tracks']} tracks ({c['formats']}), {c['bytes'] / 2**20:.0f} MiB, "
          f"{result['machine']['cores']} cores, warm page cache, median of {result['runs']} run(s)")
    print(f"{'tool':<24} {'phase':<10} {'wall s':>8} {'best s':>7} {'files/s':>9} {'CPU s':>7} "
          f"{'CPU ms/file':>11} {'peak RSS MiB':>13} {'indexed':>8}")
    for tool in result["tools"]:
        name = tool["name"] + (f" {tool['version']}" if tool.get("version") else "")
        if tool.get("skipped"):
            print(f"{name:<24} skipped: {tool['skipped']}")
            continue
        for phase, m in tool["median"].items():
            if phase == "idle":
                print(f"{name:<24} {phase:<10} {'':>8} {'':>7} {'':>9} {'':>7} {'':>11} "
                      f"{m['rss_kib'] / 1024:>13.1f}   (VmRSS at rest)")
                continue
            rss = f"{m['peak_rss_kib'] / 1024:.1f}" if m.get("peak_rss_kib") else "?"
            cpu = f"{m['cpu_seconds']:.2f}" if m.get("cpu_seconds") is not None else "?"
            per_file = f"{m['cpu_ms_per_file']:.3f}" if m.get("cpu_ms_per_file") is not None else "?"
            print(f"{name:<24} {phase:<10} {m['seconds']:>8.2f} {m['best_seconds']:>7.2f} "
                  f"{m['files_per_second']:>9.0f} {cpu:>7} {per_file:>11} {rss:>13} {m.get('indexed', '?'):>8}")
    print("wall s: median; best s: fastest run; files/s: tracks / median wall s; CPU s: user + system")
    tools = {t["name"]: t["median"] for t in result["tools"] if not t.get("skipped")}
    if "MPD" in tools and "omnisonicd" in tools:
        mpd, omni = tools["MPD"], tools["omnisonicd"]
        print(f"omnisonicd / MPD: initial files/s {omni['initial']['files_per_second'] / mpd['initial']['files_per_second']:.2f}x, "
              f"CPU per file {omni['initial']['cpu_ms_per_file'] / mpd['initial']['cpu_ms_per_file']:.2f}x, "
              f"peak RSS {omni['initial']['peak_rss_kib'] / mpd['initial']['peak_rss_kib']:.2f}x, "
              f"idle RSS {omni['idle']['rss_kib'] / mpd['idle']['rss_kib']:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--omnisonicd", help="the release binary (skipped when it has no `scan`)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", required=True, help="folder for the JSON result")
    ap.add_argument("--command", default="", help="the command line, recorded in the result")
    ap.add_argument("--skip-mpd", action="store_true")
    args = ap.parse_args()

    corpus = os.path.abspath(args.corpus)
    with open(os.path.join(corpus, ".corpus-manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    tracks = len(manifest["tracks"])

    print(f"warming the page cache: reading {corpus}", flush=True)
    files, size = warm_page_cache(corpus)
    print(f"  {files} files, {size / 2**20:.0f} MiB", flush=True)

    # MPD's update thread runs at idle priority (SCHED_IDLE): any other work on the machine
    # stretches its wall time while its CPU time stays the same. Say so before measuring.
    busy = busy_percent()
    if busy > 10:
        print(f"warning: the machine is {busy}% busy before the benchmark; wall times (MPD's "
              "above all: its update thread runs at idle priority) will be inflated. "
              "Compare CPU seconds, or rerun on a quiet machine.", flush=True)

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    result = {
        "benchmark": "scan",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": args.command,
        "commit": git_commit(repo),
        "machine": machine(),
        "busy_percent_before": busy,
        "corpus": {"path": corpus, "tracks": tracks, "files": files, "bytes": size,
                   "formats": ",".join(manifest.get("formats", [])), "seed": manifest.get("seed"),
                   "generator_version": manifest.get("generator_version")},
        "runs": args.runs,
        "tools": [],
    }

    # Which tools run; a skipped one keeps the reason in the result.
    mpd_skipped = None
    if args.skip_mpd:
        mpd_skipped = "--skip-mpd"
    elif not shutil.which("mpd"):
        mpd_skipped = "mpd not installed (scripts/setup-deps --bench)"
    omni_skipped = None
    if not omnisonicd_has_scan(args.omnisonicd):
        omni_skipped = "this omnisonicd build has no 'scan' command yet"
        print(f"omnisonicd: skipped: {omni_skipped}", flush=True)

    # Alternating: MPD, omnisonicd, MPD, omnisonicd... A load change lands on both tools' runs.
    mpd_runs, omni_runs = [], []
    tools = [("MPD", "mpd", mpd_skipped, mpd_runs, lambda tmp: bench_mpd_once(corpus, tracks, tmp)),
             ("omnisonicd", "omni", omni_skipped, omni_runs,
              lambda tmp: bench_omnisonicd_once(args.omnisonicd, corpus, tracks, tmp))]
    with contextlib.ExitStack() as kept:  # every run's folder, deleted once all runs are done
        for i in range(args.runs):
            for name, prefix, skipped, runs, bench_once in tools:
                if skipped is not None:
                    continue
                print(f"{name}: run {i + 1}/{args.runs}", flush=True)
                phases = bench_once(kept.enter_context(tempfile.TemporaryDirectory(prefix=f"omni-bench-{prefix}-")))
                runs.append(phases)
                print(f"  initial {phases['initial']['seconds']:.2f} s ({phases['initial']['cpu_seconds']:.2f} CPU s), "
                      f"no-change {phases['no-change']['seconds']:.2f} s", flush=True)

    if mpd_skipped is not None:
        result["tools"].append({"name": "MPD", "skipped": mpd_skipped})
    else:
        result["tools"].append({"name": "MPD", "version": mpd_version(), "runs": mpd_runs,
                                "median": median_phases(mpd_runs, tracks)})
    if omni_skipped is not None:
        result["tools"].append({"name": "omnisonicd", "skipped": omni_skipped})
    else:
        result["tools"].append({"name": "omnisonicd", "version": result["commit"], "runs": omni_runs,
                                "median": median_phases(omni_runs, tracks)})

    print_table(result)
    os.makedirs(args.out, exist_ok=True)
    stamp = result["date"].replace("-", "").replace(":", "")
    path = os.path.join(args.out, f"scan-{stamp}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    shutil.copyfile(path, os.path.join(args.out, "scan-latest.json"))
    print(f"\nresult: {path}")


if __name__ == "__main__":
    try:
        main()
    except (MPDError, RuntimeError) as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
