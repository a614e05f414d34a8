"""scripts/run as a new user's first command: a home with no music folder ends with a daemon serving.

The script runs for real in a fresh HOME (no ~/Music, no library, no config). Two things are
stood in for, both tested elsewhere: `dpkg-query` answers that every package is present
(e2e/scripts/test_setup_deps.py covers installing), and `swift` skips the release build and
shows the folder of the already built binary (scripts/test builds it). Everything after that is
the real script exec'ing the real daemon on a port the system picks.

    python3 -m pytest e2e/scripts -q
"""

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DPKG_QUERY = r"""#!/bin/sh
for arg in "$@"; do case "$arg" in -*) ;; *) printf 'installed:%s ' "$arg" ;; esac; done
"""

SWIFT = r"""#!/bin/sh
case "$*" in
  *--show-bin-path*) printf '%s\n' "$FAKE_BIN_PATH" ;;
  *) printf 'swift %s\n' "$*" >> "$FAKE_LOG" ;;
esac
"""


def fresh_home(tmp_path, exe):
    """A HOME with nothing in it, a PATH with the two stand-ins first, and the script's env."""
    home = tmp_path / "home"
    home.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("dpkg-query", DPKG_QUERY), ("swift", SWIFT)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("XDG_", "OMNISONIC_", "OMNI_")) and key not in ("PATH", "HOME")}
    env.update(HOME=str(home), PATH=f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", FAKE_LOG=str(tmp_path / "swift.log"),
               FAKE_BIN_PATH=str(exe.parent), OMNI_LISTEN="127.0.0.1:0", OMNISONIC_LOG_LEVEL="warning")
    return home, env


def test_a_home_without_a_music_folder_gets_one_and_a_running_daemon(tmp_path, omnisonicd_binary):
    exe = omnisonicd_binary
    # Given a new user's home: no ~/Music, no ~/.config/user-dirs.dirs, no library.
    home, env = fresh_home(tmp_path, exe)
    music = home / "Music"
    # When they run the README's first command.
    process = subprocess.Popen(["bash", str(REPO / "scripts" / "run")], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout] + [lines.put(None)],
                     daemon=True).start()
    output, url = [], None
    try:
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            output.append(line)
            if line.startswith("listening on "):
                url = line.split("listening on ", 1)[1].strip()
        text = "".join(output)
        # Then the folder is created, and the script says so.
        assert url is not None, f"no 'listening on' line within 60 s:\n{text}"
        assert music.is_dir()
        assert f"run: created the music folder {music} (it did not exist)" in text
        assert "setup-deps: all" in text and "Debian packages present" in text
        assert "swift build -c release --product omnisonicd --static-swift-stdlib" in (tmp_path / "swift.log").read_text()
        # And the daemon serves, on a library kept in the XDG data folder of that home.
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        assert (home / ".local/share/omnisonic").is_dir()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_music_folder_named_on_the_command_line_that_does_not_exist_stops_with_a_message(tmp_path):
    # The stand-ins are there, but the script must stop before needing them.
    home, env = fresh_home(tmp_path, Path(shutil.which("true") or "/bin/true"))
    missing = tmp_path / "Musci"
    result = subprocess.run(["bash", str(REPO / "scripts" / "run"), str(missing)], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"run: music folder not found: {missing}" in result.stderr
    assert not missing.exists()
    assert not (tmp_path / "swift.log").exists()
