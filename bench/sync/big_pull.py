#!/usr/bin/env python3
"""A big pull: how much memory a sync server and a daemon take to deliver and merge a stream of
large (valid) operations (issue 18; docs/PERFORMANCE.md, "Sync: a big pull").

    python3 bench/sync/big_pull.py --bin .build/debug/omnisonicd [--ops 4700]

Fills one user's stream with saved searches of 32 filters of 200 four-byte characters (about
52 KB each, the largest operation a device makes besides a 10,000-item favorite removal), then
  1. one device pulls the whole stream as a client asking for 5,000 operations a page, and
  2. a daemon of the same user starts with an empty library and catches up,
and prints each process's peak RSS (VmHWM) and the time taken. The stream is pushed through the
API, so any server version accepts it. Nothing is left running; the folder is removed.
"""
import argparse, json, os, re, shutil, subprocess, tempfile, time, urllib.request


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1.0


def wait_port(proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"listening on https?://[^:]+:(\d+)", line or "")
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            raise SystemExit("process exited: " + proc.stderr.read())
    raise SystemExit("no 'listening on' line")


def request(url, token=None, body=None, timeout=600):
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/debug/omnisonicd")
    ap.add_argument("--ops", type=int, default=4700)
    args = ap.parse_args()
    omni = os.path.abspath(args.bin)
    tmp = tempfile.mkdtemp(prefix="big-pull-")
    procs = []
    try:
        data = os.path.join(tmp, "server")

        def token(name):
            out = subprocess.run([omni, "sync-server", "add-device", "--data", data, "--user", "bench", "--name", name],
                                 check=True, capture_output=True, text=True).stdout
            return out.strip().splitlines()[-1]

        pusher, puller, daemon_token = token("pusher"), token("puller"), token("daemon")
        server = subprocess.Popen([omni, "sync-server", "serve", "--data", data, "--listen", "127.0.0.1:0", "--rate", "10000"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(server)
        port = wait_port(server)
        base = f"http://127.0.0.1:{port}"

        # The stream: saved searches with 32 filters of 200 four-byte characters each.
        now = int(time.time() * 1000) - 3_600_000
        wide = "\U0001F3B5" * 198
        filters = {f"{k:02d}" + wide: "\U0001F3B6" * 200 for k in range(32)}
        sent = 0
        pushed_bytes = 0
        while sent < args.ops:
            batch = []
            for i in range(sent, min(sent + 60, args.ops)):
                hlc = f"{now + i:012x}-00000000-benchpusher00001"
                batch.append({"hlc": hlc, "kind": "search.save", "target": f"s{i:06d}",
                              "payload": {"name": f"s{i}", "query": "x", "filters": filters}})
            body = json.dumps({"ops": batch}, ensure_ascii=False, separators=(",", ":")).encode()
            pushed_bytes += len(body)
            answer = json.loads(request(base + "/v1/push", pusher, body))
            assert answer["accepted"] == len(batch), answer
            sent += len(batch)
        print(f"stream: {sent} operations, {pushed_bytes / 1e6:.1f} MB pushed; server peak RSS after pushes "
              f"{peak_rss_mib(server.pid):.0f} MiB")

        # 1. A client asking for 5,000 operations a page (what the daemon's client asked for before).
        started = time.time()
        cursor, pages, biggest, total = 0, 0, 0, 0
        while True:
            raw = request(f"{base}/v1/pull?after={cursor}&limit=5000", puller)
            pages += 1
            biggest = max(biggest, len(raw))
            total += len(raw)
            page = json.loads(raw)
            cursor = page["cursor"]
            del raw, page["ops"]
            if not page["more"]:
                break
        print(f"pull: {pages} page(s), largest {biggest / 1e6:.1f} MB, {total / 1e6:.1f} MB in {time.time() - started:.1f} s; "
              f"server peak RSS {peak_rss_mib(server.pid):.0f} MiB")

        # 2. A daemon with an empty library catching up.
        music = os.path.join(tmp, "music")
        os.makedirs(music)
        env = dict(os.environ, OMNISONIC_SYNC_TOKEN=daemon_token, XDG_DATA_HOME=os.path.join(tmp, "xdg"))
        daemon = subprocess.Popen([omni, "run", "--music", music, "--data", os.path.join(tmp, "data"), "--listen", "127.0.0.1:0",
                                   "--sync-url", base], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        procs.append(daemon)
        started = time.time()
        dport = wait_port(daemon)
        head = sent
        while True:
            state = json.loads(request(f"http://127.0.0.1:{dport}/api/sync"))
            if state.get("cursor", 0) >= head:
                break
            if daemon.poll() is not None:
                raise SystemExit("daemon exited: " + daemon.stderr.read()[-2000:])
            time.sleep(0.2)
        print(f"daemon: caught up with {head} operations in {time.time() - started:.1f} s; daemon peak RSS "
              f"{peak_rss_mib(daemon.pid):.0f} MiB; server peak RSS {peak_rss_mib(server.pid):.0f} MiB")
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
