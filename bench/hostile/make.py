#!/usr/bin/env python3
"""Builds the hostile files of bench/hostile/run.sh from two short tones made with ffmpeg:
a 16 MB ID3v2 tag of NUL-separated one-letter values (issue 18's reproduction), a FLAC whose
16 MB VORBIS_COMMENT block repeats one key 1.4 million times, and one with 1.3 million distinct
keys. Usage: make.py FOLDER"""
import os
import struct
import subprocess
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ffmpeg = ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=d=2:r=22050", "-ac", "1", "-bitexact"]
subprocess.run(ffmpeg + ["-b:a", "32k", "-id3v2_version", "0", f"{out}/base.mp3"], check=True)
subprocess.run(ffmpeg + [f"{out}/base.flac"], check=True)


def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def frame(frame_id, content):
    return frame_id + syncsafe(len(content)) + b"\0\0" + content


audio = open(f"{out}/base.mp3", "rb").read()
tag = frame(b"TIT2", b"\x03Good title") + frame(b"TPE1", b"\x03" + b"a\0" * ((16 * 1024 * 1024 - 200) // 2))
open(f"{out}/huge-id3.mp3", "wb").write(b"ID3\x04\x00\x00" + syncsafe(len(tag)) + tag + audio)

flac = open(f"{out}/base.flac", "rb").read()
position, blocks = 4, []
while True:
    header, length = flac[position], int.from_bytes(flac[position + 1:position + 4], "big")
    blocks.append((header & 0x7F, flac[position + 4:position + 4 + length]))
    position += 4 + length
    if header & 0x80:
        break
frames = flac[position:]


def with_comments(entries):
    vendor = b"hostile"
    comment = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(entries))
    comment += b"".join(struct.pack("<I", len(e)) + e for e in entries)
    kept = [b for b in blocks if b[0] != 4] + [(4, comment)]
    data = b"fLaC"
    for index, (kind, body) in enumerate(kept):
        data += bytes([kind | (0x80 if index == len(kept) - 1 else 0)]) + len(body).to_bytes(3, "big") + body
    return data + frames


limit = 16 * 1024 * 1024 - 100
open(f"{out}/huge-vorbis-same.flac", "wb").write(with_comments([b"TITLE=Good"] + [b"ARTIST=a"] * (limit // 12 - 10)))
open(f"{out}/huge-vorbis-distinct.flac", "wb").write(
    with_comments([b"TITLE=Good"] + [b"K%06d=a" % (i % 1000000) for i in range(limit // 13 - 10)]))
