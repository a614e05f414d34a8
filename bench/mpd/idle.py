"""Idle MPD clients: the RSS and CPU 100 idle connections cost, and how soon an idling client
hears a change made on another connection.

    python3 bench/mpd/idle.py PID PORT    (a running `omnisonicd run --mpd-listen 127.0.0.1:PORT`)
"""
import socket, time, statistics, sys
pid = int(sys.argv[1]); port = int(sys.argv[2])
def rss(): return int([l for l in open(f'/proc/{pid}/status') if l.startswith('VmRSS')][0].split()[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.recv(100); return s
time.sleep(1)
before = rss(); threads_before = len(__import__('os').listdir(f'/proc/{pid}/task'))
clients = []
for i in range(100):
    s = conn(); s.sendall(b"idle\n"); clients.append(s)
time.sleep(2)
after = rss()
cpu0 = sum(int(x) for x in open(f'/proc/{pid}/stat').read().split()[13:15])
time.sleep(5)
cpu1 = sum(int(x) for x in open(f'/proc/{pid}/stat').read().split()[13:15])
print(f"100 idle clients: RSS {before} KiB -> {after} KiB (+{after-before} KiB); CPU ticks over 5 s idle: {cpu1-cpu0}")
for s in clients: s.sendall(b"noidle\n"); s.recv(100); s.close()
a, b = conn(), conn()
lat = []
for i in range(30):
    a.sendall(b"idle mixer\n"); time.sleep(0.05)
    t = time.perf_counter(); b.sendall(f"setvol {50 + i}\n".encode())
    data = b""
    while not data.endswith(b"OK\n"): data += a.recv(100)
    lat.append((time.perf_counter() - t) * 1000); b.recv(100)
print(f"idle wake-up after setvol on another connection: median {statistics.median(lat):.2f} ms, max {max(lat):.2f} ms over {len(lat)}")
