#!/usr/bin/env python3
"""Says whether two scans of the same music wrote the same library.

usage: same-library.py DATA_A DATA_B

DATA_A and DATA_B are `--data` folders of `omnisonicd scan` runs (each holds library.sqlite and
cache/). Row ids, clocks and inodes differ between runs and are left out; every reference to
another row is compared through what it points at (a track's uid, an album's key, an artwork's
hash). Compared: tracks, files, albums, artists and the track↔artist and track↔genre links,
folder pictures, artwork rows and the artwork files in the cache, the answers of a set of FTS5
searches, and both libraries' integrity checks. Prints one line per part with its digest and
exits 1 when any part differs (with the first differing rows).

Used to check that a change to the scan's speed leaves what it writes alone (decision 0039).
"""
import hashlib
import os
import sqlite3
import sys

PARTS = {
    "track": """
        select t.uid, t.title, t.titleKey, t.titleFromFileName, t.artist, t.artists, t.album,
               t.albumArtist, t.albumArtists, a.albumKey, t.trackNumber, t.trackTotal,
               t.discNumber, t.discTotal, t.year, t.date, t.originalYear, t.genres, t.genreText,
               t.composer, t.composers, t.compilation, t.comment, t.label, t.bpm, t.musicalKey,
               t.replayGain, t.musicBrainz, t.codec, t.container, t.durationMs, t.sampleRate,
               t.channels, t.bitsPerSample, t.bitrate, aw.hash, fw.hash, t.fileName, t.fileTags
        from track t left join album a on a.id = t.albumId
             left join artwork aw on aw.id = t.artworkId
             left join artwork fw on fw.id = t.folderArtworkId
        order by t.uid""",
    "file": """
        select f.relPath, f.size, f.mtimeNs, t.uid, f.probeErrorCode, f.probeError
        from file f left join track t on t.id = f.trackId order by f.relPath""",
    "album": """
        select a.albumKey, a.title, a.albumArtist, a.year, a.compilation, aw.hash
        from album a left join artwork aw on aw.id = a.artworkId order by a.albumKey""",
    "artist": "select name, nameKey from artist order by nameKey, name",
    "trackArtist": """
        select t.uid, ta.role, ta.position, ar.nameKey from trackArtist ta
        join track t on t.id = ta.trackId join artist ar on ar.id = ta.artistId
        order by t.uid, ta.role, ta.position""",
    "trackGenre": """
        select t.uid, tg.position, g.name, g.nameKey from trackGenre tg
        join track t on t.id = tg.trackId join genre g on g.id = tg.genreId
        order by t.uid, tg.position""",
    "folderArtwork": """
        select fa.folder, fa.relPath, fa.size, fa.mtimeNs, aw.hash from folderArtwork fa
        left join artwork aw on aw.id = fa.artworkId order by fa.folder, fa.relPath""",
    "artwork": "select hash, mimeType, byteCount from artwork order by hash",
}

# Words of the make-corpus vocabulary, accents, prefixes and column filters.
SEARCHES = ["love", "the", "night*", "beyonce", "café", "björk", "live", "a*", "title:love",
            "album:remix*", "artist:anna", "mix OR dub", "\"in the\"", "zzzz"]


def digest_rows(rows):
    h = hashlib.md5()
    for row in rows:
        h.update(repr(row).encode())
        h.update(b"\n")
    return h.hexdigest()


def read(data):
    path = os.path.join(data, "library.sqlite")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    parts = {}
    for name, sql in PARTS.items():
        parts[name] = db.execute(sql).fetchall()
    for query in SEARCHES:
        try:
            rows = db.execute("select t.uid from trackFts f join track t on t.id = f.rowid "
                              "where trackFts match ? order by t.uid", (query,)).fetchall()
        except sqlite3.Error as error:
            rows = [("error", str(error))]
        parts[f"search {query}"] = rows
    parts["integrity_check"] = db.execute("pragma integrity_check").fetchall()
    db.close()
    files = []
    cache = os.path.join(data, "cache")
    for folder, _, names in os.walk(cache):
        for name in names:
            full = os.path.join(folder, name)
            with open(full, "rb") as handle:
                files.append((os.path.relpath(full, cache), hashlib.md5(handle.read()).hexdigest()))
    parts["cache files"] = sorted(files)
    return parts


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    a, b = read(sys.argv[1]), read(sys.argv[2])
    differ = False
    for name in a:
        da, db_ = digest_rows(a[name]), digest_rows(b[name])
        same = da == db_
        differ |= not same
        print(f"{'same' if same else 'DIFFERENT':9} {name:22} {len(a[name]):6} rows  {da}")
        if not same:
            only_a = [r for r in a[name] if r not in set(b[name])][:3]
            only_b = [r for r in b[name] if r not in set(a[name])][:3]
            print(f"          only in A: {only_a}\n          only in B: {only_b}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
