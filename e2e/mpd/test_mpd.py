"""The MPD front door driven by real MPD clients: python-mpd2 (the library behind many clients)
and Debian's `mpc`, against the real `omnisonicd run` on a make-corpus library, over TCP and the
Unix socket; playback through ALSA's `file` plugin; what MPD writes, seen through the JSON API.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

mpd = pytest.importorskip("mpd")

_spec = importlib.util.spec_from_file_location("omni_tests_root", Path(__file__).resolve().parents[1] / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    """`omnisonicd run` with MPD on a free port and a socket, playing into an ALSA file plugin."""
    socket_path = tmp_path_factory.mktemp("mpd-socket") / "mpd.sock"
    d = _root.start_daemon(tracks=24, seed=5, prefix="omnisonic-mpd-", capture=True,
                           extra_args=("--mpd-listen", "127.0.0.1:0", "--mpd-listen", str(socket_path), "--output", "capture"))
    deadline = time.monotonic() + 30
    while len(d.mpd) < 2 and time.monotonic() < deadline:
        try:
            line = d.lines.get(timeout=1)
        except Exception:
            continue
        if line and line.startswith("mpd listening on "):
            d.mpd.append(line.split("mpd listening on ", 1)[1].strip())
    assert len(d.mpd) == 2, f"the daemon announced {d.mpd}"
    d.mpd_port = int(next(a for a in d.mpd if not a.startswith("/")).rsplit(":", 1)[1])
    d.mpd_socket = str(socket_path)
    # Wait for the start scan: the library has every track.
    client = connect(d)
    deadline = time.monotonic() + 90
    while (int(client.stats()["songs"]) < 24 or "updating_db" in client.status()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert int(client.stats()["songs"]) >= 24
    client.disconnect()
    try:
        yield d
    finally:
        d.stop()


def connect(d, socket=False):
    client = mpd.MPDClient()
    client.timeout = 20
    if socket:
        client.connect(d.mpd_socket)
    else:
        client.connect("127.0.0.1", d.mpd_port)
    return client


def api(d, path, method="GET", body=None):
    request = urllib.request.Request(d.url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read() or b"null")


def test_status_and_library_over_tcp_and_socket(daemon):
    for socket in (False, True):
        c = connect(daemon, socket=socket)
        assert c.mpd_version == "0.23.5"
        status = c.status()
        assert status["state"] in ("stop", "pause", "play")
        assert "playlist" in status and "volume" in status
        top = c.lsinfo()
        assert any("directory" in entry for entry in top)
        files = [e["file"] for e in c.listall() if "file" in e]
        assert len(files) >= 24
        assert set(files) == {s["file"] for s in c.listallinfo() if "file" in s}
        c.disconnect()


def test_queue_edits_and_plchanges(daemon):
    c = connect(daemon)
    c.clear()
    files = [e["file"] for e in c.listall() if "file" in e]
    c.add(files[0])
    c.add(files[1])
    song_id = c.addid(files[2], 0)
    assert [s["file"] for s in c.playlistinfo()] == [files[2], files[0], files[1]]
    version = int(c.status()["playlist"])
    assert c.plchanges(version) == []
    c.swap(0, 2)
    changed = c.plchanges(version)
    assert sorted(int(s["pos"]) for s in changed) == [0, 2]
    assert [s["file"] for s in c.playlistinfo()] == [files[1], files[0], files[2]]
    c.moveid(song_id, 0)
    assert c.playlistinfo()[0]["id"] == song_id
    c.deleteid(song_id)
    assert len(c.playlistinfo()) == 2
    c.delete((0, 2))
    assert c.playlistinfo() == []
    c.disconnect()


def idle_after(waiter, subsystems, action):
    """What `waiter`'s idle answers when `action` runs on another connection."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("changed", waiter.idle(*subsystems)))
    thread.start()
    time.sleep(0.3)
    action()
    thread.join(10)
    return result.get("changed")


def test_idle_wakes_on_another_connection(daemon):
    waiter, actor = connect(daemon), connect(daemon, socket=True)
    assert idle_after(waiter, ("mixer", "options"), lambda: actor.setvol(37)) == ["mixer"]
    first = [e["file"] for e in actor.listall() if "file" in e][0]
    assert idle_after(waiter, ("stored_playlist",), lambda: actor.playlistadd("idle probe", first)) == ["stored_playlist"]
    assert idle_after(waiter, ("playlist",), lambda: actor.add(first)) == ["playlist"]
    # A change made through the JSON API wakes MPD clients too.
    assert idle_after(waiter, ("options",), lambda: api(daemon, "/api/player/mode", "POST", {"consume": True})) == ["options"]
    api(daemon, "/api/player/mode", "POST", {"consume": False})
    actor.rm("idle probe")
    waiter.disconnect()
    actor.disconnect()


def test_command_lists_and_errors(daemon):
    c = connect(daemon)
    c.command_list_ok_begin()
    c.ping()
    c.setvol(55)
    c.status()
    results = c.command_list_end()
    assert results[1] is None and results[2]["volume"] == "55"
    with pytest.raises(mpd.CommandError) as error:
        c.playid(99999)
    assert "[50@0]" in str(error.value)
    with pytest.raises(mpd.CommandError) as error:
        c.find("(artist ~~ 'x')")
    assert "[2@0]" in str(error.value)
    c.disconnect()


def test_albumart_and_readpicture_reassemble(daemon):
    c = connect(daemon)
    c.binarylimit(128)
    songs = [s for s in c.listallinfo() if "file" in s]
    art = None
    for song in songs:
        try:
            art = c.albumart(song["file"])
            break
        except mpd.CommandError:
            continue
    assert art is not None, "no folder picture in the corpus"
    # python-mpd2 reassembles the chunks (it reads `size` and asks for each offset).
    assert len(art["binary"]) > 128
    assert art["binary"][:2] in (b"\xff\xd8", b"\x89P")
    embedded = [c.readpicture(s["file"]) for s in songs]
    pictures = [p for p in embedded if p]
    # The manifest says which tracks embed a cover; a song without one answers an empty OK.
    manifest = json.loads((Path(daemon.music) / ".corpus-manifest.json").read_text())
    covered = sum(1 for t in manifest["tracks"] if t.get("cover") and t["format"] in ("mp3", "flac", "m4a", "ogg", "opus"))
    assert len(pictures) >= covered
    assert all(p["binary"][:2] in (b"\xff\xd8", b"\x89P") and p["type"].startswith("image/") for p in pictures)
    c.disconnect()


def test_saved_playlist_and_rating_sticker_show_in_the_api(daemon):
    c = connect(daemon)
    files = [e["file"] for e in c.listall() if "file" in e]
    c.clear()
    c.add(files[3])
    c.add(files[4])
    c.save("Saved over MPD")
    playlists = api(daemon, "/api/playlists")
    listed = playlists["playlists"] if isinstance(playlists, dict) else playlists
    entry = next(p for p in listed if p["name"] == "Saved over MPD")
    assert entry["trackCount"] == 2
    c.sticker_set("song", files[3], "rating", "6")
    assert c.sticker_get("song", files[3], "rating") == "6"
    uid = next(t for t in api(daemon, "/api/search?q=&limit=100")["tracks"] if t["path"].endswith(files[3].rsplit("/", 1)[-1]))["uid"]
    assert api(daemon, f"/api/tracks/{uid}")["rating"] == 3
    # The web UI's queue is the MPD queue.
    assert [e["uid"] for e in api(daemon, "/api/player")["queue"]][0] == uid
    c.rm("Saved over MPD")
    c.disconnect()


def test_playback_writes_to_the_device_and_stops_at_the_end(daemon):
    c = connect(daemon)
    c.clear()
    longest = max((s for s in c.listallinfo() if "file" in s), key=lambda s: float(s.get("duration", 0)))
    c.add(longest["file"])
    c.setvol(100)
    c.play(0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and c.status()["state"] != "stop":
        time.sleep(0.05)
    assert c.status()["state"] == "stop"
    assert daemon.capture.stat().st_size > 0
    c.disconnect()


mpc_missing = shutil.which("mpc") is None


@pytest.mark.skipif(mpc_missing, reason="mpc is not installed (scripts/setup-deps)")
def test_mpc_end_to_end(daemon):
    env = dict(os.environ, MPD_HOST="127.0.0.1", MPD_PORT=str(daemon.mpd_port))

    def mpc(*args):
        result = subprocess.run(["mpc", *args], env=env, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout

    mpc("clear")
    albums = mpc("list", "album", "group", "albumartist")
    assert albums.strip()
    first = [line for line in albums.splitlines() if line.strip()][0]
    files = mpc("listall").split()
    assert files
    mpc("add", mpc("listall").splitlines()[0])
    assert "volume:" in mpc("status")
    found = mpc("search", "(title != '')")
    assert found.strip()
    mpc("play")
    assert mpc("current").strip() or mpc("status")
    mpc("stop")
    # The socket, through MPD_HOST.
    env["MPD_HOST"] = daemon.mpd_socket
    assert "volume:" in mpc("status")
    assert first is not None


@pytest.fixture(scope="module")
def real_mpd(daemon, tmp_path_factory):
    """Debian's `mpd` on the same music folder: private config, its own port, a null output."""
    exe = shutil.which("mpd")
    if exe is None:
        pytest.skip("mpd is not installed (scripts/setup-deps --bench)")
    import socket as sockets
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("real-mpd")
    (folder / "playlists").mkdir()
    config = folder / "mpd.conf"
    config.write_text(f'''music_directory "{daemon.music}"
db_file "{folder}/db"
state_file "{folder}/state"
log_file "{folder}/log"
pid_file "{folder}/pid"
bind_to_address "127.0.0.1"
port "{port}"
auto_update "no"
sticker_file "{folder}/sticker.sql"
playlist_directory "{folder}/playlists"
audio_output {{
  type "null"
  name "null"
}}
''')
    subprocess.run([exe, str(config)], check=True, capture_output=True, timeout=30)
    client = mpd.MPDClient()
    client.timeout = 60
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.connect("127.0.0.1", port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        client.update()
        while "updating_db" in client.status():
            time.sleep(0.1)
        client.real_port = port
        yield client
    finally:
        subprocess.run([exe, "--kill", str(config)], capture_output=True, timeout=30)


def _masked(entries):
    """What both servers must agree on: files, folders and the tags that mean the same thing
    (Genre is split by omnisonicd, Format and times differ in rounding: decision 0020)."""
    keep = ("file", "directory", "title", "artist", "album", "albumartist", "date")
    out = []
    for e in entries:
        # Broken/ holds the corpus' damaged files: MPD lists those it can half-read, omnisonicd
        # lists none that fail to probe.
        if "playlist" in e or e.get("file", e.get("directory", "")).startswith("Broken"):
            continue
        out.append({k: e[k] for k in keep if k in e})
    return out


def test_library_answers_match_real_mpd(daemon, real_mpd):
    ours = connect(daemon)
    # The corpus' broken files are songs to neither.
    assert _masked(ours.lsinfo("")) == _masked(real_mpd.lsinfo(""))
    assert _masked(ours.listallinfo()) == _masked(real_mpd.listallinfo())
    for tag in ("album", "artist", "albumartist", "date"):
        assert ours.list(tag) == real_mpd.list(tag), tag
    assert ours.list("album", "group", "albumartist") == real_mpd.list("album", "group", "albumartist")
    album = next(a["album"] for a in real_mpd.list("album") if a["album"])
    assert _masked(ours.find("album", album)) == _masked(real_mpd.find("album", album))
    quoted = album.replace("\\", "\\\\").replace("'", "\\'")
    expression = f"(album == '{quoted}')"
    assert _masked(ours.find(expression)) == _masked(real_mpd.find(expression))
    assert _masked(ours.search("(albumartist contains 'the')")) == _masked(real_mpd.search("(albumartist contains 'the')"))
    assert ours.count("album", album)["songs"] == real_mpd.count("album", album)["songs"]
    assert _masked(ours.search("any", "the")) == _masked(real_mpd.search("any", "the"))
    ours.disconnect()


# --- Every other command, against the daemon and (where behaviour is observable) Debian's MPD ---

import socket as _sockets


class Raw:
    """One protocol connection speaking raw lines: what a server answers, byte for byte."""

    def __init__(self, target):
        family = _sockets.AF_UNIX if isinstance(target, str) else _sockets.AF_INET
        self.sock = _sockets.socket(family, _sockets.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(target)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline().decode().strip()

    def __call__(self, line):
        """The answer's lines without the final OK, or the ACK line (code and command only:
        MPD's wording is not part of what clients match)."""
        self.sock.sendall(line.encode() + b"\n")
        out = []
        while True:
            answer = self.file.readline().decode().rstrip("\n")
            if answer == "OK":
                return out
            if answer.startswith("ACK "):
                return answer.split("}", 1)[0] + "}"
            if answer == "":
                raise ConnectionError(f"closed during {line!r}")
            out.append(answer)

    def fields(self, line, *keys):
        """The `key: value` lines of the answer to `line` whose key is in `keys`, as a dict."""
        answer = self(line)
        assert isinstance(answer, list), f"{line}: {answer}"
        pairs = [a.split(": ", 1) for a in answer]
        return {k: v for k, v in pairs if k in keys}

    def close(self):
        self.sock.close()


def pair(daemon, real_mpd):
    """A raw connection to each server: ours, then Debian's MPD."""
    return Raw(("127.0.0.1", daemon.mpd_port)), Raw(("127.0.0.1", real_mpd.real_port))


def corpus_files(conn):
    return sorted(line[6:] for line in conn("listall") if line.startswith("file: ") and not line[6:].startswith("Broken"))


def test_options_match_real_mpd(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    keys = ("repeat", "random", "single", "consume")
    steps = ["repeat 1", "random 1", "consume 1", "random 0", "repeat 0", "consume 0",
             # single with repeat on is one-track repeat, as MPD.
             "repeat 1", "single 1", "single 0", "repeat 0"]
    for step in steps:
        assert ours(step) == theirs(step) == [], step
        assert ours.fields("status", *keys) == theirs.fields("status", *keys), step
    # Bad values: the same ACK from both.
    for step in ["random 2", "repeat x", "single 2", "consume 2", "crossfade -1", "crossfade x", "replay_gain_mode loud",
                 "mixrampdb x"]:
        assert ours(step) == theirs(step), step
    # Accepted by both; crossfade and mixramp do nothing here and report 0 (decision 0020).
    for step in ["crossfade 0", "mixrampdb 0", "mixrampdelay 0"]:
        assert ours(step) == theirs(step) == [], step
    assert "xfade" not in ours.fields("status", "xfade") and "xfade" not in theirs.fields("status", "xfade")
    assert ours("crossfade 3") == [] and "xfade" not in ours.fields("status", "xfade")
    # ReplayGain is the daemon's setting (off here, as MPD's default): reported as it is.
    assert ours("replay_gain_status") == theirs("replay_gain_status") == ["replay_gain_mode: off"]
    assert ours("replay_gain_mode album") == [] and ours("replay_gain_status") == ["replay_gain_mode: off"]
    # Remaining differences, each in decision 0020: single without repeat, oneshot.
    assert theirs("single 1") == [] and theirs.fields("status", "single") == {"single": "1"}
    assert ours("single 1") == [] and ours.fields("status", "single") == {"single": "0"}
    assert ours("single oneshot") == theirs("single oneshot") == []
    assert ours("consume oneshot") == theirs("consume oneshot") == "ACK [2@0] {consume}"
    for conn in (ours, theirs):
        conn("single 0")
        conn("consume 0")
        conn("crossfade 0")
        conn.close()


def elapsed(conn):
    status = conn.fields("status", "state", "song", "elapsed")
    return status.get("state"), status.get("song"), round(float(status.get("elapsed", "0")), 1)


def test_pause_and_seek_family_match_real_mpd(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    songs = [s for s in connect(daemon).listallinfo() if "file" in s and not s["file"].startswith("Broken")]
    # The two longest (about 2.5 s): seeks land inside them.
    a, b = sorted(songs, key=lambda s: -float(s.get("duration", 0)))[:2]
    ids = {}
    for name, conn in (("ours", ours), ("theirs", theirs)):
        conn("clear")
        conn(f'add "{a["file"]}"')
        ids[name] = conn(f'addid "{b["file"]}"')[0].split(": ")[1]
        conn("setvol 100")  # MPD with a null output has no mixer and refuses it
    # Paused, every position is exact: compare state, song and elapsed after each step. The test
    # daemon plays into ALSA's `file` plugin, which takes samples faster than real time, so a
    # step that starts playback ends paused in the same command list.
    script = ["command_list_begin\nplay 0\npause 1\ncommand_list_end", "seek 0 1.0", "seekcur +0.5", "seekcur -1",
              "seekcur 0.25", "seekid {id} 0.5", "pause 1", "command_list_begin\npause 0\npause 1\ncommand_list_end",
              "command_list_begin\npause\npause 1\ncommand_list_end", "seek 0 0.75", "stop", "pause 0", "pause",
              "command_list_begin\nseek 1 0.5\npause 1\ncommand_list_end", "stop"]
    for step in script:
        answers = []
        for name, conn in (("ours", ours), ("theirs", theirs)):
            answers.append(conn(step.format(id=ids[name])))
            # The player acts asynchronously in both servers.
            time.sleep(0.15)
        assert answers[0] == answers[1], step
        state_ours, state_theirs = elapsed(ours), elapsed(theirs)
        assert state_ours[:2] == state_theirs[:2], (step, state_ours, state_theirs)
        # Elapsed is compared after the seeks made while paused (no playing in between).
        if state_ours[0] == "pause" and step.startswith("seek"):
            assert abs(state_ours[2] - state_theirs[2]) <= 0.2, (step, state_ours, state_theirs)
    # Errors: a position or id that does not exist, a bad time, seekcur with nothing playing.
    for step in ["seek 99 1", "seekid 99999 1", "seek 0 x", "seekcur +x", "seekcur 1", "pause 2"]:
        assert ours(step) == theirs(step), step
    ours.close()
    theirs.close()


def test_outputs_are_the_players_devices(daemon):
    c = Raw(("127.0.0.1", daemon.mpd_port))
    lines = c("outputs")
    outputs = []
    for line in lines:
        key, value = line.split(": ", 1)
        if key == "outputid":
            outputs.append({})
        outputs[-1][key] = value
    assert {o["outputname"] for o in outputs} >= {"default", "capture"}
    assert [o["outputname"] for o in outputs if o["outputenabled"] == "1"] == ["capture"]
    capture = next(o["outputid"] for o in outputs if o["outputname"] == "capture")
    other = next(o["outputid"] for o in outputs if o["outputname"] == "default")
    waiter = connect(daemon)
    # Enabling another output moves playback there (one at a time) and wakes `idle output`.
    assert idle_after(waiter, ("output",), lambda: c(f"enableoutput {other}")) == ["output"]
    assert api(daemon, "/api/player")["output"]["device"] == "default"
    assert c(f"disableoutput {other}") == "ACK [52@0] {disableoutput}"
    assert c(f"toggleoutput {capture}") == []
    assert api(daemon, "/api/player")["output"]["device"] == "capture"
    assert c(f"disableoutput {other}") == [] and c(f"enableoutput {capture}") == []
    assert c("enableoutput 99") == "ACK [50@0] {enableoutput}"
    assert c("disableoutput x") == "ACK [2@0] {disableoutput}"
    waiter.disconnect()
    c.close()


def test_stored_playlists_match_real_mpd(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    files = corpus_files(ours)[:5]
    assert corpus_files(theirs)[:5] == files

    def queue(conn):
        return [line[6:] for line in conn("playlistinfo") if line.startswith("file: ")]

    for conn in (ours, theirs):
        conn("clear")
        for f in files:
            conn(f'add "{f}"')
        assert conn('save "Diff list"') == []
        conn("clear")
    for step in ['load "Diff list" 1:3', 'load "Diff list" 4:', 'load "Diff list" 0:1 1', 'load "Diff list" 3']:
        assert ours(step) == theirs(step) == [], step
        assert queue(ours) == queue(theirs), step
    for step in ['rename "Diff list" "Diff renamed"', 'playlistdelete "Diff renamed" 0', 'playlistmove "Diff renamed" 0 2',
                 'playlistdelete "Diff renamed" 1']:
        assert ours(step) == theirs(step) == [], step
        assert ours('listplaylist "Diff renamed"') == theirs('listplaylist "Diff renamed"'), step
    assert [line for line in ours("listplaylists") if line.startswith("playlist: Diff")] == ["playlist: Diff renamed"]
    # Errors: a name taken, a playlist or position that does not exist, a bad range.
    ours('save "Diff other"')
    theirs('save "Diff other"')
    for step in ['rename "Diff renamed" "Diff other"', 'rename "Nope" "X"', 'playlistdelete "Diff renamed" 9',
                 'playlistmove "Diff renamed" 9 0', 'load "Nope"', 'load "Diff renamed" x', 'load "Diff renamed" 0 99',
                 'load "Diff renamed" 5:9']:
        assert ours(step) == theirs(step), step
    # The renamed playlist is omnisonicd's playlist: the API sees it.
    listed = api(daemon, "/api/playlists")
    names = {p["name"] for p in (listed["playlists"] if isinstance(listed, dict) else listed)}
    assert "Diff renamed" in names and "Diff list" not in names
    for conn in (ours, theirs):
        conn('rm "Diff renamed"')
        conn('rm "Diff other"')
        conn("clear")
        conn.close()


def test_stickers_match_real_mpd_and_are_kept(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    # Songs without user data yet (a song played to its end has a playcount sticker here).
    files = [f for f in corpus_files(ours) if ours(f'sticker list song "{f}"') == []][:3]
    for conn in (ours, theirs):
        for i, f in enumerate(files):
            assert conn(f'sticker set song "{f}" mood "calm {i}"') == []
            assert conn(f'sticker set song "{f}" plays "{[5, 12, 40][i]}"') == []
    for step in [f'sticker get song "{files[0]}" mood', f'sticker list song "{files[1]}"',
                 f'sticker get song "{files[0]}" nothing', f'sticker get song "nowhere.flac" mood',
                 f'sticker delete song "{files[2]}" mood', f'sticker delete song "{files[2]}" mood',
                 f'sticker list song "{files[2]}"', 'sticker bogus song "x"']:
        assert ours(step) == theirs(step), step
    # find: the answers' order is each database's own, so compare sorted pairs. MPD 0.23
    # compares values as text ("12" < "5").
    for step in ['sticker find song "" mood', 'sticker find song "" plays = 12', 'sticker find song "" plays < 5',
                 'sticker find song "" plays > 12', f'sticker find song "{files[0].split("/")[0]}" plays',
                 'sticker find song "Not there" plays']:
        a, b = ours(step), theirs(step)
        assert isinstance(a, list) and sorted(a) == sorted(b), step
    assert len(ours('sticker find song "" plays < 5')) == 4
    # Kept as user data: the op log holds them, so they sync; and they survive a restart of the
    # session (a new connection reads them from the library).
    again = Raw(daemon.mpd_socket)
    assert again(f'sticker get song "{files[0]}" mood') == ["sticker: mood=calm 0"]
    # rating is the track's rating; limits refuse what would not sync.
    assert again(f'sticker set song "{files[0]}" rating 8') == []
    assert sorted(again(f'sticker list song "{files[0]}"')) == ["sticker: mood=calm 0", "sticker: plays=5", "sticker: rating=8"]
    assert again(f'sticker set song "{files[0]}" {"n" * 65} 1') == "ACK [2@0] {sticker}"
    assert again(f'sticker set song "{files[0]}" playcount 3') == "ACK [2@0] {sticker}"
    # Delete without a name removes every sticker (rating included), as MPD's does.
    assert again(f'sticker delete song "{files[0]}"') == theirs(f'sticker delete song "{files[0]}"') == []
    assert again(f'sticker list song "{files[0]}"') == theirs(f'sticker list song "{files[0]}"') == []
    for conn in (ours, theirs):
        for f in files:
            conn(f'sticker delete song "{f}"')
        conn.close()
    again.close()


def test_channels_and_messages_match_real_mpd(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    ours2, theirs2 = pair(daemon, real_mpd)
    for step, other in [("subscribe news", False), ("subscribe news", True), ("subscribe news", False),
                        ("subscribe bad/name", False), ("channels", False), ("sendmessage news hello", True),
                        ("sendmessage news again", False), ("sendmessage nobody hi", False), ("readmessages", False),
                        ("readmessages", True), ("readmessages", False), ("unsubscribe news", False),
                        ("unsubscribe news", False), ("channels", True), ("unsubscribe news", True), ("channels", False)]:
        a = (ours2 if other else ours)(step)
        b = (theirs2 if other else theirs)(step)
        assert a == b, step
    # A message wakes `idle message`, a subscription `idle subscription`.
    waiter = connect(daemon)
    sender = connect(daemon, socket=True)
    waiter.subscribe("wake")
    assert idle_after(waiter, ("message",), lambda: sender.sendmessage("wake", "now")) == ["message"]
    assert waiter.readmessages() == [{"channel": "wake", "message": "now"}]
    assert idle_after(waiter, ("subscription",), lambda: sender.subscribe("other")) == ["subscription"]
    for conn in (ours, theirs, ours2, theirs2):
        conn.close()
    waiter.disconnect()
    sender.disconnect()


def test_partitions_match_real_mpd_where_supported(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    for step in ["listpartitions", "partition default", "partition nope"]:
        assert ours(step) == theirs(step), step
    # One partition: creating one is refused as by a server without the command.
    assert ours("newpartition extra") == "ACK [5@0] {}"
    assert ours("delpartition default") == "ACK [5@0] {}"
    assert "partition: default" in ours("status")
    ours.close()
    theirs.close()


def test_update_and_rescan_report_the_job_and_wake_update_then_database(daemon, real_mpd):
    ours, theirs = pair(daemon, real_mpd)
    # Paths as MPD judges them: unsafe ones are malformed, any safe one is accepted.
    for step in ["update /etc", "update a/../b", "update a//b", "rescan ./x"]:
        assert ours(step) == theirs(step), step
    for step in ["update", "rescan", "update Not/There/Yet"]:
        a, b = ours(step), theirs(step)
        assert [line.split(":")[0] for line in a] == [line.split(":")[0] for line in b] == ["updating_db"], step
    waiter, actor = connect(daemon), connect(daemon, socket=True)
    while "updating_db" in actor.status():
        time.sleep(0.1)
    # A new file: `update` answers a job id, status shows `updating_db` while the scan runs, and
    # idle reports `update` (the scan started and ended) and `database` (it changed something).
    source = Path(daemon.music) / corpus_files(ours)[0]
    added = Path(daemon.music) / "Added by update" / ("copy" + source.suffix)
    added.parent.mkdir()
    seen = set()
    job = {}
    thread = threading.Thread(target=lambda: seen.update(waiter.idle("update")))
    thread.start()
    time.sleep(0.2)
    shutil.copy(source, added)
    job["id"] = actor.update("Added by update")
    assert int(job["id"]) >= 1
    thread.join(20)
    assert seen == {"update"}

    def listed():
        return any(d.get("directory") == "Added by update" for d in actor.lsinfo())

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and ("database" not in seen or not listed()):
        seen.update(waiter.idle("update", "database"))
    assert "database" in seen and listed()
    assert actor.lsinfo("Added by update")[0]["file"] == f"Added by update/{added.name}"
    # Removing it again: the library follows (watcher or rescan), and idle says database.
    changed = idle_after(waiter, ("database",), lambda: (shutil.rmtree(added.parent), actor.rescan()))
    assert changed == ["database"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and listed():
        time.sleep(0.1)
    assert not listed()
    waiter.disconnect()
    actor.disconnect()
    ours.close()
    theirs.close()


ncmpcpp_missing = shutil.which("ncmpcpp") is None


@pytest.mark.skipif(ncmpcpp_missing, reason="ncmpcpp is not installed (scripts/setup-deps)")
def test_ncmpcpp_current_song(daemon, tmp_path):
    c = connect(daemon)
    c.clear()
    song = next(s for s in c.listallinfo() if "file" in s and "title" in s and "artist" in s)
    c.add(song["file"])
    c.play(0)
    c.pause(1)
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run(["ncmpcpp", "--host", "127.0.0.1", "--port", str(daemon.mpd_port), "--current-song={%a - %t}"],
                            env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{song['artist']} - {song['title']}"
    c.stop()
    c.clear()
    c.disconnect()


@pytest.mark.skipif(mpc_missing, reason="mpc is not installed (scripts/setup-deps)")
def test_mpc_drives_the_other_commands(daemon):
    env = dict(os.environ, MPD_HOST=daemon.mpd_socket)

    def mpc(*args, ok=True):
        result = subprocess.run(["mpc", *args], env=env, capture_output=True, text=True, timeout=30)
        assert (result.returncode == 0) == ok, (args, result.stdout, result.stderr)
        return result.stdout

    mpc("clear")
    files = [f for f in mpc("listall").splitlines() if not f.startswith("Broken")]
    for f in files[:3]:
        mpc("add", f)
    mpc("play")
    mpc("pause")
    assert "[paused]" in mpc("status")
    mpc("seek", "1")
    assert "0:01/" in mpc("status")
    status = mpc("random", "on") + mpc("repeat", "on") + mpc("single", "on") + mpc("consume", "on")
    assert "random: on" in status.splitlines()[-1] and "single: on" in status.splitlines()[-1]
    mpc("random", "off"), mpc("repeat", "off"), mpc("single", "off"), mpc("consume", "off")
    assert "(capture) is enabled" in mpc("outputs")
    mpc("save", "mpc list")
    mpc("clear")
    mpc("load", "mpc list")
    assert mpc("playlist").count("\n") == 3
    mpc("rm", "mpc list")
    mpc("sticker", files[0], "set", "mood", "bright")
    assert "mood=bright" in mpc("sticker", files[0], "list")
    mpc("sticker", files[0], "delete", "mood")
    assert mpc("channels") == ""
    mpc("sendmessage", "nobody", "hi", ok=False)
    mpc("stop")
    mpc("clear")
