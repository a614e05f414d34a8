#!/usr/bin/env python3
"""Field-by-field agreement between omnisonicd and TagLib (bench/taglib/run.sh).

Reads two JSON-lines files (omnisonicd probe --json, taglib_dump) keyed by path, compares the
fields both readers report, normalised the way each documents them, and prints the agreement
and every disagreement. A field only one reader has is counted apart ("only ours/only TagLib"),
not as a disagreement: the goal is agreement where both read."""
import json
import re
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                out[obj["path"]] = obj
    return out


def first_int(text):
    m = re.match(r"\s*(\d+)", text or "")
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def year(text):
    m = re.search(r"(\d{4})", text or "")
    return int(m.group(1)) if m else None


def clean(text):
    return " ".join(text.split()) if text else None


def ours_fields(o):
    f = {}
    if not o.get("titleFromFileName") and o.get("title"):
        f["title"] = clean(o["title"])
    for key, name in (("artist", "artist"), ("album", "album"), ("albumArtist", "albumartist"), ("comment", "comment")):
        if o.get(key):
            f[name] = clean(o[key])
    for key, name in (("trackNumber", "track"), ("discNumber", "disc"), ("year", "year")):
        if o.get(key):
            f[name] = o[key]
    if o.get("genres"):
        f["genre"] = "; ".join(o["genres"])
    for key in ("durationMs", "sampleRate", "channels"):
        if o.get(key):
            f[key] = o[key]
    if o.get("bitrate"):
        f["bitrateKbps"] = round(o["bitrate"] / 1000)
    return f


def taglib_fields(t):
    f = {}
    join = lambda key: clean("; ".join(v for v in t.get(key, []) if v.strip())) or None
    for key in ("title", "artist", "album", "albumartist", "comment"):
        if join(key):
            f[key] = join(key)
    if t.get("track") and first_int(t["track"][0]):
        f["track"] = first_int(t["track"][0])
    if t.get("disc") and first_int(t["disc"][0]):
        f["disc"] = first_int(t["disc"][0])
    if t.get("date") and year(t["date"][0]):
        f["year"] = year(t["date"][0])
    if t.get("genre"):
        f["genre"] = "; ".join(t["genre"])
    for key in ("durationMs", "sampleRate", "channels", "bitrateKbps"):
        if t.get(key):
            f[key] = t[key]
    return f


def agree(key, a, b):
    if key == "durationMs":
        return abs(a - b) <= max(50, 0.01 * b)  # 1% or 50 ms: the two round and trim differently
    if key == "bitrateKbps":
        return abs(a - b) <= max(2, 0.05 * b)
    if key == "genre":
        split = lambda s: [p.strip() for p in re.split(r"[;/]|\x00", s) if p.strip()]
        return split(a) == split(b) or a == b
    if key in ("artist", "albumartist"):
        norm = lambda s: [p.strip() for p in re.split(r";|\x00", s) if p.strip()]
        return norm(a) == norm(b)
    return a == b


def main():
    ours, theirs = load(sys.argv[1]), load(sys.argv[2])
    both = agreed = 0
    only_ours = only_theirs = 0
    disagreements = []
    per_field = {}
    unread = {"ours": [], "taglib": []}
    for path in sorted(set(ours) | set(theirs)):
        o, t = ours.get(path, {}), theirs.get(path, {})
        if "error" in o or not o:
            unread["ours"].append(f"{path} ({(o.get('error') or {}).get('code', 'no output') if o else 'no output'})")
        if "error" in t or not t:
            unread["taglib"].append(path)
        of = ours_fields(o) if o and "error" not in o else {}
        tf = taglib_fields(t) if t and "error" not in t else {}
        for key in sorted(set(of) | set(tf)):
            if key in of and key in tf:
                both += 1
                counts = per_field.setdefault(key, [0, 0])
                counts[0] += 1
                if agree(key, of[key], tf[key]):
                    agreed += 1
                    counts[1] += 1
                else:
                    disagreements.append(f"{path}\t{key}\tours={of[key]!r}\ttaglib={tf[key]!r}")
            elif key in of:
                only_ours += 1
            else:
                only_theirs += 1
    pct = 100.0 * agreed / both if both else 0.0
    print(f"files: {len(set(ours) | set(theirs))}; unreadable by omnisonicd: {len(unread['ours'])}, by TagLib: {len(unread['taglib'])}")
    print(f"fields both read: {both}; agreeing: {agreed} ({pct:.2f}%); only omnisonicd: {only_ours}; only TagLib: {only_theirs}")
    tag_keys = {"title", "artist", "album", "albumartist", "track", "disc", "year", "genre", "comment"}
    tag_both = sum(v[0] for k, v in per_field.items() if k in tag_keys)
    tag_agreed = sum(v[1] for k, v in per_field.items() if k in tag_keys)
    if tag_both:
        print(f"tag fields (title ... comment) both read: {tag_both}; agreeing: {tag_agreed} ({100.0 * tag_agreed / tag_both:.2f}%)")
    print("\n# per field: both read, agreeing")
    for key in sorted(per_field):
        print(f"{key}\t{per_field[key][0]}\t{per_field[key][1]}")
    print("\n# disagreements (path, field, ours, TagLib)")
    for line in disagreements:
        print(line)
    print("\n# unreadable by omnisonicd")
    for line in unread["ours"]:
        print(line)
    print("\n# unreadable by TagLib")
    for line in unread["taglib"]:
        print(line)


if __name__ == "__main__":
    main()
