"""Cross-protocol, cross-device (issue 13): what a Subsonic client changes on daemon A — a star on
a song, an album and an artist, a rating, a scrobble, a playlist — shows in `/api/...` on A and,
through a real `omnisonicd sync-server`, on daemon B of the same user. Two real daemons on the
same make-corpus library (same seed: the same recordings, so the same track uids), py-sonic as
the client. The sync server and its device tokens are e2e/web/test_sync_admin.py's `Server`.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

_here = Path(__file__).resolve().parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_root = _load("omni_tests_root_sync", _here.parent / "conftest.py")
Server = _load("omni_sync_admin_for_subsonic", _here.parent / "web" / "test_sync_admin.py").Server

USER, PASSWORD = "tester", "sync pass 1"


def get(daemon, path):
    with urllib.request.urlopen(daemon.url + path, timeout=20) as response:
        return json.loads(response.read())


def eventually(condition, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, KeyError, StopIteration):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {message}")


@pytest.fixture(scope="module")
def two_daemons():
    """A sync server on SQLite, and daemons A and B of user alice on copies of one corpus."""
    exe = _root.binary()
    if exe is None:
        pytest.skip("omnisonicd is not built (swift build), or set OMNISONICD_BIN")
    work = tempfile.mkdtemp(prefix="omnisonic-subsonic-sync-")
    server = Server(exe, ["--data", str(Path(work) / "sync")])
    daemons = []
    saved = os.environ.get("OMNISONIC_SUBSONIC_USER")
    os.environ["OMNISONIC_SUBSONIC_USER"] = USER
    try:
        for name in ("a", "b"):
            token = server.command("add-device", "--user", "alice")
            daemons.append(_root.start_daemon(tracks=6, seed=11, prefix=f"omnisonic-subsonic-sync-{name}-",
                                              extra_args=("--mpd-listen", "off", "--sync-url", server.url, "--sync-token", token)))
        a, b = daemons
        out = subprocess.run([exe, "subsonic", "set-password", "--data", a.data, "--user", USER], input=PASSWORD + "\n",
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        for d in daemons:
            eventually(lambda: get(d, "/api/sync").get("connected") and len(get(d, "/api/search?q=&limit=50")["tracks"]) == 6,
                       timeout=90, message="each daemon's scan and sync connection")
        yield a, b
    finally:
        if saved is None:
            os.environ.pop("OMNISONIC_SUBSONIC_USER", None)
        else:
            os.environ["OMNISONIC_SUBSONIC_USER"] = saved
        for d in daemons:
            d.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_a_subsonic_clients_changes_show_in_the_api_here_and_on_the_other_device(two_daemons):
    libsonic = pytest.importorskip("libsonic")
    a, b = two_daemons
    conn = libsonic.Connection("http://127.0.0.1", USER, PASSWORD, port=int(a.url.rsplit(":", 1)[1]), appName="py-sonic")
    songs = conn.search3("", songCount=50)["searchResult3"]["song"]
    song = songs[0]
    uid = song["id"][3:]
    album = conn.getAlbum(song["albumId"])["album"]
    artist = conn.getArtist(song["artistId"])["artist"]
    assert b_has(b, uid), "B lacks the track: the two corpora differ"

    plays_b = get(b, f"/api/tracks/{uid}")["playCount"]
    assert conn.star(sids=[song["id"]], albumIds=[album["id"]], artistIds=[artist["id"]])
    assert conn.setRating(song["id"], 4)
    assert conn.scrobble(song["id"], submission=True, listenTime=int(time.time()) - 60)
    conn.createPlaylist(name="Made in a phone app", songIds=[s["id"] for s in songs[:3]])
    playlist_uids = [s["id"][3:] for s in songs[:3]]

    def seen(d):
        track = get(d, f"/api/tracks/{uid}")
        albums = get(d, "/api/albums?limit=1000")["items"]
        artists = get(d, "/api/artists?limit=1000")["items"]
        playlists = [p for p in get(d, "/api/playlists")["playlists"] if p["name"] == "Made in a phone app"]
        listens = [l for l in get(d, "/api/history")["listens"] if l["uid"] == uid and l["client"] == "subsonic"]
        return {
            "favorite": track["favorite"], "rating": track.get("rating"),
            "album": next(x["favorite"] for x in albums if x["title"] == album["name"]),
            "artist": next(x["favorite"] for x in artists if x["name"] == artist["name"]),
            "playlist": [i["uid"] for i in get(d, f"/api/playlists/{playlists[0]['id']}")["items"]] if playlists else None,
            "listens": len(listens), "plays": track["playCount"],
        }

    expected = {"favorite": True, "rating": 4, "album": True, "artist": True, "playlist": playlist_uids, "listens": 1}
    here = seen(a)
    assert {k: here[k] for k in expected} == expected
    there = eventually(lambda: (lambda s: s if {k: s[k] for k in expected} == expected else None)(seen(b)),
                       message="A's Subsonic changes on B")
    assert there["plays"] == plays_b + 1
    # And back: B unstars the album in its web API; A's Subsonic client sees it.
    b_album = next(x for x in get(b, "/api/albums?limit=1000")["items"] if x["title"] == album["name"])
    request = urllib.request.Request(b.url + f"/api/albums/{b_album['id']}/favorite", method="DELETE")
    urllib.request.urlopen(request, timeout=20).close()
    eventually(lambda: conn.getStarred2()["starred2"].get("album", []) == [], message="B's unstar in A's getStarred2")
    assert [x["id"] for x in conn.getStarred2()["starred2"]["artist"]] == [artist["id"]]


def b_has(b, uid):
    try:
        return get(b, f"/api/tracks/{uid}")["uid"] == uid
    except OSError:
        return False
