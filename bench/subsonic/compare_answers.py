#!/usr/bin/env python3
"""Compares the Subsonic answers of two running daemons byte for byte (decision 0026, "Speed,
third round"): search3 and search2 for words with hits in artists, albums and songs, accents,
case, typos, a trailing `*`, SQL wildcards, the empty query and its pages, in JSON and XML, and
getAlbumList2 of six types. Both daemons must serve copies of one scanned data folder (the
`created` dates come from the scan) with the user `bench` / `bench-password`, as
bench/subsonic/run.sh sets it.

    python3 bench/subsonic/compare_answers.py http://127.0.0.1:PORT_A http://127.0.0.1:PORT_B

Prints each request whose answers differ and exits 1 when any does.
"""
import sys
import urllib.parse
import urllib.request

a, b = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
auth = "u=bench&p=bench-password&v=1.16.1&c=bench"
queries = ["love", "Love", "LOVE", "björk", "bjork", "bjork homogenic", "sigur", "rós", "ros", "abba", "the", "a", "e", "o",
           "lov*", "lo*", "*", '""', "", "homogenic", "homogenci", "luv", "bjrok", "zzzzq", "100%", "_", "ac/dc", "hate", "de",
           "the beatles", "love song", "al", "ma", "x"]
reqs = []
for ep in ["search3", "search2"]:
    for q in queries:
        for fmt in ["json", "xml"]:
            reqs.append(f"/rest/{ep}?query={urllib.parse.quote(q)}&f={fmt}")
    for extra in ["artistCount=5&albumCount=5&songCount=5", "artistCount=3&artistOffset=2&albumCount=4&albumOffset=3&songCount=7&songOffset=2",
                  "artistCount=0&albumCount=0&songCount=500&songOffset=500", "artistCount=500&albumCount=500&songCount=0",
                  "songCount=500&songOffset=9500", "artistCount=1&albumCount=1&songCount=1&artistOffset=100&albumOffset=100&songOffset=100"]:
        for q in ["", "love", "e", "a*"]:
            reqs.append(f"/rest/{ep}?query={urllib.parse.quote(q)}&{extra}&f=json")
for t in ["alphabeticalByName", "alphabeticalByArtist", "newest", "starred", "frequent", "recent"]:
    reqs.append(f"/rest/getAlbumList2?type={t}&size=50&offset=10&f=json")
diff = 0
for r in reqs:
    ra = urllib.request.urlopen(a + r + "&" + auth).read()
    rb = urllib.request.urlopen(b + r + "&" + auth).read()
    if ra != rb:
        diff += 1
        print("DIFF", r, len(ra), len(rb))
print(f"{len(reqs)} requests, {diff} differ")
sys.exit(1 if diff else 0)
