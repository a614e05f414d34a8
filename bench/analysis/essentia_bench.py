#!/usr/bin/env python3
"""essentia on the synthetic set, for bench/analysis/run.sh only.

essentia is AGPL-3.0: it runs here, in a throwaway virtualenv the script creates, and is never
linked into omnisonicd nor listed in e2e/requirements.txt (docs/decisions/0027-analysis.md).

For each WAV: RhythmExtractor2013(method="multifeature") + KeyExtractor() (its default profile,
bgate) + LoudnessEBUR128 on the stereo signal, timed with this process's CPU clock (one thread).
Writes DIR/essentia.json.
"""
import json
import os
import sys
import time

import essentia
import essentia.standard as es

essentia.log.warningActive = False
essentia.log.infoActive = False

folder = sys.argv[1]
rows = []
for name in sorted(f for f in os.listdir(folder) if f.endswith(".wav")):
    path = os.path.join(folder, name)
    stereo, rate, channels, _, _, _ = es.AudioLoader(filename=path)()
    mono = es.MonoMixer()(stereo, channels)
    if rate != 44100:  # RhythmExtractor2013 requires 44.1 kHz
        mono = es.Resample(inputSampleRate=rate, outputSampleRate=44100)(mono)
    start = time.process_time()
    bpm, _, _, _, _ = es.RhythmExtractor2013(method="multifeature")(mono)
    key, scale, strength = es.KeyExtractor()(mono)
    _, _, integrated, _ = es.LoudnessEBUR128(sampleRate=rate)(stereo)
    cpu = time.process_time() - start
    spelled = key.replace("#", "♯").replace("b", "♭")  # compare.py reads either spelling
    rows.append({"file": name, "bpm": float(bpm), "key": f"{spelled} {scale}", "lufs": float(integrated),
                 "cpuSeconds": cpu, "audioSeconds": len(mono) / 44100})
    print(f"{name}  {bpm:.2f} BPM  {spelled} {scale}  {cpu:.2f} s CPU", flush=True)
with open(os.path.join(folder, "essentia.json"), "w") as out:
    json.dump(rows, out, indent=1)
