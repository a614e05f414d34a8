#!/usr/bin/env python3
"""Time from `POST /api/player/play` to the first frames the device receives, through a real
`omnisonicd run`: the output is ALSA's `file` plugin writing into a FIFO this script reads, so
"first frames" is the moment the first bytes come out of the device. One line per track of
MUSIC_FOLDER (the daemon scans it first).

    bench/player/http_latency.py OMNISONICD MUSIC_FOLDER [RUNS]
"""
import json, os, statistics, subprocess, sys, tempfile, threading, time, urllib.request

binary, music = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
work = tempfile.mkdtemp(prefix="omnisonic-latency-")
fifo = os.path.join(work, "out.fifo")
os.mkfifo(fifo)
conf = os.path.join(work, "asound.conf")
with open(conf, "w") as f:
    f.write('pcm.bench { type file slave.pcm { type null } file "%s" format "raw" }\n' % fifo)
env = dict(os.environ, ALSA_CONFIG_PATH=conf, XDG_DATA_HOME=os.path.join(work, "xdg"))
daemon = subprocess.Popen([binary, "run", "--music", music, "--data", os.path.join(work, "data"),
                           "--listen", "127.0.0.1:0", "--output", "bench", "--log-level", "error"],
                          stdout=subprocess.PIPE, text=True, env=env)
url = None
for line in daemon.stdout:
    if line.startswith("listening on "):
        url = line.split("listening on ", 1)[1].strip()
        break


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as reply:
        return json.loads(reply.read() or b"{}")


def measure(track):
    call("POST", "/api/player/queue", {"uids": [track["uid"]], "replace": True})
    latencies = []
    for _ in range(runs):
        first = {}

        def read():
            with open(fifo, "rb") as pipe:  # blocks until the device opens its file
                if pipe.read(1):
                    first["t"] = time.monotonic()
                while pipe.read(65536):
                    pass

        reader = threading.Thread(target=read)
        reader.start()
        start = time.monotonic()
        call("POST", "/api/player/play", {"index": 0})
        while "t" not in first:
            time.sleep(0.0005)
        latencies.append((first["t"] - start) * 1000)
        call("POST", "/api/player/stop")  # closes the device: the reader sees the end
        reader.join()
    print("%s (%s): POST /api/player/play -> first frames out of the device: median %.1f ms, max %.1f ms over %d runs"
          % (os.path.basename(track["path"]), track["codec"], statistics.median(latencies), max(latencies), runs))


try:
    while call("GET", "/api/scan")["running"] or not call("GET", "/api/search?q=&limit=1")["tracks"]:
        time.sleep(0.2)
    for track in call("GET", "/api/search?q=&limit=10")["tracks"]:
        measure(track)
finally:
    daemon.terminate()
    daemon.wait()
