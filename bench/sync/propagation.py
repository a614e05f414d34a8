#!/usr/bin/env python3
"""Propagation latency of sync on loopback (docs/PERFORMANCE.md).

Starts `omnisonicd sync-server` and two daemons of one user (real processes), then N times:
(with --postgres URL: two sync servers over that database, each daemon on its own, so every
change crosses from one server process to the other through LISTEN/NOTIFY)
renames a playlist through daemon A's API and polls daemon B's API (every 2 ms) until it shows
the new name. Prints p50/p95/max of (B shows it) - (A's call started).

    python3 bench/sync/propagation.py [--bin PATH] [--rounds 50] [--postgres URL]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time, urllib.request

def request(method, port, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else {}

def wait_port(process):
    for line in process.stdout:
        if line.startswith("listening on http://"):
            return int(line.strip().rsplit(":", 1)[1])
    raise SystemExit(f"{process.args} did not start")

def main():
    parser = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--bin", default=os.path.join(here, "../../.build/release/omnisonicd"))
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--postgres", help="a PostgreSQL URL: two servers over it instead of one on SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = ["--postgres", args.postgres] if args.postgres else ["--data", os.path.join(tmp, "server")]
        def token():
            out = subprocess.run([args.bin, "sync-server", "add-device", *store, "--user", "bench"],
                                 check=True, capture_output=True, text=True).stdout
            return out.strip().splitlines()[-1]
        tokens = [token(), token()]
        processes = []
        try:
            server_ports = []
            for _ in range(2 if args.postgres else 1):
                server = subprocess.Popen([args.bin, "sync-server", "serve", *store, "--listen", "127.0.0.1:0"],
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                processes.append(server)
                server_ports.append(wait_port(server))
            ports = []
            for name, tok, server_port in zip("ab", tokens, server_ports * 2):
                music = os.path.join(tmp, "music-" + name)
                os.makedirs(music)
                env = dict(os.environ, OMNISONIC_SYNC_TOKEN=tok, XDG_DATA_HOME=os.path.join(tmp, "xdg"))
                daemon = subprocess.Popen([args.bin, "run", "--music", music, "--data", os.path.join(tmp, "data-" + name),
                                           "--listen", "127.0.0.1:0", "--sync-url", f"http://127.0.0.1:{server_port}",
                                           "--log-level", "error"],
                                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
                processes.append(daemon)
                ports.append(wait_port(daemon))
            a, b = ports
            playlist = request("POST", a, "/api/playlists", {"name": "start"})["id"]
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if request("GET", b, f"/api/playlists/{playlist}").get("name") == "start":
                        break
                except Exception:
                    pass
                time.sleep(0.01)
            else:
                raise SystemExit("the playlist never reached daemon B")
            samples = []
            for i in range(args.rounds):
                name = f"round {i}"
                started = time.perf_counter()
                request("PATCH", a, f"/api/playlists/{playlist}", {"name": name})
                while request("GET", b, f"/api/playlists/{playlist}").get("name") != name:
                    time.sleep(0.002)
                    if time.perf_counter() - started > 30:
                        raise SystemExit(f"round {i} never arrived")
                samples.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)
            samples.sort()
            p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
            print(f"propagation A API -> B API over {len(samples)} renames: p50 {statistics.median(samples):.0f} ms, "
                  f"p95 {p95:.0f} ms, max {samples[-1]:.0f} ms")
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)

if __name__ == "__main__":
    main()
