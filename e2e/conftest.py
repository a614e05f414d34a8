"""Shared fixtures: a real `omnisonicd run` on a generated library.

`start_daemon(tracks, seed)` builds a make-corpus library in a temporary folder, starts the
binary (OMNISONICD_BIN, else .build/debug or .build/release) on 127.0.0.1 with a port chosen by
the system, and returns a `Daemon` (url, music, data, stop()). Skips (with the reason) when the
binary is not built, has no `run` command or serves no HTTP, or make-corpus/ffmpeg is missing.
`capture=True` gives the daemon an ALSA device named `capture` (the `file` plugin: what the
player sends lands in `daemon.capture`; pass `--output capture`), `env` more environment for
the daemon alone.

`daemon_url` is the session daemon of the API tests (e2e/api); `web_daemon` the browser
tests' (e2e/web), a separate one since they change the library.
"""

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OMNI_SHARED_DIR", REPO.parent / "shared"))


def binary():
    configured = os.environ.get("OMNISONICD_BIN")
    candidates = [Path(configured)] if configured else [REPO / ".build/debug/omnisonicd", REPO / ".build/release/omnisonicd"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def make_corpus(folder, tracks, seed):
    """Writes `tracks` real audio files (make-corpus) into `folder`."""
    tool = SHARED / "tools" / "make-corpus"
    if not tool.is_file() or shutil.which("ffmpeg") is None:
        pytest.skip("make-corpus or ffmpeg is missing (set OMNI_SHARED_DIR)")
    subprocess.run([sys.executable, tool, folder, "--tracks", str(tracks), "--seed", str(seed)], check=True, capture_output=True)


def _reader(stream, lines):
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


class Daemon:
    def __init__(self, url, work, music, data, process):
        self.url, self.work, self.music, self.data, self.process = url, work, music, data, process
        # "mpd listening on ADDR" lines seen before "listening on" (e2e/mpd waits for the rest).
        self.mpd = []
        self.lines = None

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def start_daemon(tracks, seed, prefix="omnisonic-test-", extra_args=(), env=None, capture=False):
    """Starts `omnisonicd run` on a new make-corpus library; the caller must `stop()` it."""
    exe = binary()
    if exe is None:
        pytest.skip("omnisonicd is not built (swift build), or set OMNISONICD_BIN")
    if subprocess.run([exe, "run", "--help"], capture_output=True).returncode != 0:
        pytest.skip("this omnisonicd has no `run` command yet")
    work = Path(tempfile.mkdtemp(prefix=prefix))
    music, data = work / "Music", work / "data"
    make_corpus(music, tracks, seed)
    environment = {**os.environ, **(env or {})}
    if capture:
        # No sound card here: ALSA's `file` plugin over a null device stands in for one.
        alsa = work / "asound.conf"
        alsa.write_text(f'pcm.capture {{\n type file\n slave.pcm {{ type null }}\n file "{work / "out.raw"}"\n format "raw"\n}}\n')
        environment["ALSA_CONFIG_PATH"] = str(alsa)
    process = subprocess.Popen(
        [exe, "run", "--music", music, "--data", data, "--listen", "127.0.0.1:0", "--log-level", "warning", *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    lines = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    errors = []
    threading.Thread(target=lambda: errors.extend(process.stderr), daemon=True).start()
    url = None
    mpd = []
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        if line.startswith("listening on "):
            url = line.split("listening on ", 1)[1].strip()
        elif line.startswith("mpd listening on "):
            mpd.append(line.split("mpd listening on ", 1)[1].strip())
    daemon = Daemon(url, work, music, data, process)
    daemon.mpd, daemon.lines = mpd, lines
    daemon.capture = work / "out.raw" if capture else None
    if url is None:
        daemon.stop()
        log = "".join(errors)
        if "no HTTP server" in log:
            pytest.skip("this omnisonicd build does not serve HTTP yet (WebUI not wired into `run`)")
        pytest.fail(f"omnisonicd run did not print 'listening on' within 60 s; stderr:\n{log[-3000:]}")
    return daemon


@pytest.fixture(scope="session")
def daemon_url():
    daemon = start_daemon(tracks=12, seed=3, prefix="omnisonic-schemathesis-")
    try:
        yield daemon.url
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def web_daemon():
    """The browser tests' daemon (e2e/web): a 30-track library they may change."""
    daemon = start_daemon(tracks=30, seed=11, prefix="omnisonic-web-")
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def audio_file(tmp_path):
    """One real audio file (mp3) that no test library has: make-corpus with another seed."""
    make_corpus(tmp_path / "src", 3, 977)
    return next(p for p in sorted((tmp_path / "src").rglob("*.mp3")) if "Broken" not in p.parts)


@pytest.fixture
def corpus_maker():
    """`make_corpus(folder, tracks, seed)` for tests that need files of their own."""
    return make_corpus


@pytest.fixture
def omnisonicd_binary():
    """The built omnisonicd (`binary()`); skips the test when there is none."""
    exe = binary()
    if exe is None:
        pytest.skip("omnisonicd is not built (swift build), or set OMNISONICD_BIN")
    return exe
