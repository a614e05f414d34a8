#!/usr/bin/env python3
"""Scores omnisonic.json and essentia.json against truth.json (bench/analysis/run.sh).

Tempo: Accuracy1 = share within 4 % of the truth; Accuracy2 also accepts ×2, ×3, ½, ⅓
(the MIREX definitions), over the pieces that have a pulse; "no steady tempo" on the drumless
pieces is counted separately. Key: the MIREX score (1 exact, 0.5 a fifth either way with the same
mode, 0.3 relative major/minor, 0.2 parallel major/minor, else 0), over every piece.
Speed: CPU seconds per 3 minutes of audio (one thread each). "omnisonic-core" is tempo + key +
loudness + vector (what essentia computes here); "omnisonic" adds the Chromaprint fingerprint.
"""
import json
import sys

NAMES = {"C": 0, "C♯": 1, "D♭": 1, "D♯": 3, "G♭": 6, "A♯": 10, "D": 2, "E♭": 3, "E": 4, "F": 5, "F♯": 6, "G": 7, "G♯": 8, "A♭": 8, "A": 9, "B♭": 10, "B": 11}


def parse(key):
    if not key:
        return None
    tonic, mode = key.split(" ")
    return NAMES[tonic], mode


def mirex(found, truth):
    if found is None:
        return 0.0
    (ft, fm), (tt, tm) = found, truth
    if (ft, fm) == (tt, tm):
        return 1.0
    if fm == tm and (ft - tt) % 12 in (5, 7):
        return 0.5
    if fm != tm:
        relative = (tt + 3) % 12 if tm == "minor" else (tt + 9) % 12
        if ft == relative:
            return 0.3
        if ft == tt:
            return 0.2
    return 0.0


def score(folder, name):
    truth = {r["file"]: r for r in json.load(open(f"{folder}/truth.json"))}
    rows = {r["file"]: r for r in json.load(open(f"{folder}/{name}.json"))}
    acc1 = acc2 = pulsed = steady_none = drumless = 0
    key_total = 0.0
    cpu = audio = 0.0
    for file, t in truth.items():
        r = rows[file]
        cpu += r["cpuSeconds"]
        audio += r["audioSeconds"]
        key_total += mirex(parse(r.get("key")), parse(t["key"]))
        if t["bpm"]:
            pulsed += 1
            want, got = float(t["bpm"]), r.get("bpm") or 0
            if abs(got - want) <= 0.04 * want:
                acc1 += 1
            if any(abs(got - want * f) <= 0.04 * want * f for f in (1, 2, 3, 0.5, 1 / 3)):
                acc2 += 1
        else:
            drumless += 1
            if not r.get("bpm"):
                steady_none += 1
    return {"accuracy1": acc1 / pulsed, "accuracy2": acc2 / pulsed, "mirexKey": key_total / len(truth),
            "noPulseFound": f"{steady_none}/{drumless}", "cpuPer3Min": cpu / audio * 180, "tracks": len(truth)}


folder = sys.argv[1]
results = {name: score(folder, name) for name in ("omnisonic-core", "omnisonic", "essentia") if __import__("os").path.exists(f"{folder}/{name}.json")}
print(f"| | tempo Accuracy1 | tempo Accuracy2 | MIREX key score | no pulse → no tempo | CPU s per 3-min track |")
print(f"|---|---|---|---|---|---|")
for name, s in results.items():
    print(f"| {name} | {s['accuracy1']:.3f} | {s['accuracy2']:.3f} | {s['mirexKey']:.3f} | {s['noPulseFound']} | {s['cpuPer3Min']:.2f} |")
if "essentia" in results:
    print()
    for name in ("omnisonic-core", "omnisonic"):
        if name in results:
            print(f"speed: {name} is {results['essentia']['cpuPer3Min'] / results[name]['cpuPer3Min']:.1f}× faster per track")
json.dump(results, open(f"{folder}/summary.json", "w"), indent=1)
