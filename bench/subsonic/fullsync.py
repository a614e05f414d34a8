#!/usr/bin/env python3
"""A Subsonic client's full sync, timed: search3 with an empty query, `songOffset` stepping by
500 until a page is short, as Symfonium and DSub do. Prints one JSON object: seconds, songs,
pages, and whether every song came exactly once (`--expect N` also checks the count).

    python3 bench/subsonic/fullsync.py http://127.0.0.1:6690 --user U --password P [--expect N]
"""

import argparse
import json
import sys
import time
import urllib.parse
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--expect", type=int)
    args = parser.parse_args()
    auth = {"u": args.user, "p": args.password, "v": "1.16.1", "c": "fullsync", "f": "json"}
    seen = []
    pages = 0
    start = time.perf_counter()
    while True:
        params = {**auth, "query": "", "artistCount": 0, "albumCount": 0, "songCount": args.page, "songOffset": len(seen)}
        with urllib.request.urlopen(f"{args.url}/rest/search3?{urllib.parse.urlencode(params)}", timeout=60) as r:
            songs = json.load(r)["subsonic-response"]["searchResult3"]["song"]
        pages += 1
        seen += [s["id"] for s in songs]
        if len(songs) < args.page:
            break
    seconds = time.perf_counter() - start
    once = len(seen) == len(set(seen)) and (args.expect is None or len(seen) == args.expect)
    print(json.dumps({"seconds": round(seconds, 3), "songs": len(seen), "pages": pages, "everySongOnce": once}))
    return 0 if once else 1


if __name__ == "__main__":
    sys.exit(main())
