#!/usr/bin/env python3
"""Builds the hostile files of bench/hostile/run.sh from short tones made with ffmpeg:
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


# Ogg (issue 18's remaining gap): a comment packet of a million entries, re-paged with valid CRCs.
def ogg_crc(data):
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def ogg_pages(data):
    position, pages = 0, []
    while position + 27 <= len(data) and data[position:position + 4] == b"OggS":
        count = data[position + 26]
        lacing = data[position + 27:position + 27 + count]
        body_start = position + 27 + count
        end = body_start + sum(lacing)
        pages.append((data[position:position + 27], list(lacing), data[body_start:end]))
        position = end
    return pages


def ogg_packets(pages, wanted):
    packets, current, used = [], b"", 0
    for index, (_, lacing, body) in enumerate(pages):
        offset = 0
        for value in lacing:
            current += body[offset:offset + value]
            offset += value
            if value < 255:
                packets.append(current)
                current = b""
        if len(packets) >= wanted:
            return packets[:wanted], index + 1
    raise ValueError("headers not found")


def ogg_page(header, flags, sequence, segments, body):
    page = bytearray(header)
    page[5] = flags
    page[6:14] = (0).to_bytes(8, "little")
    page[18:22] = sequence.to_bytes(4, "little")
    page[22:26] = b"\0\0\0\0"
    page[26] = len(segments)
    page += bytes(segments) + body
    page[22:26] = ogg_crc_fast(bytes(page)).to_bytes(4, "little")
    return bytes(page)


_table = []
for _n in range(256):
    _c = _n << 24
    for _ in range(8):
        _c = ((_c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if _c & 0x80000000 else (_c << 1) & 0xFFFFFFFF
    _table.append(_c)


def ogg_crc_fast(data):
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _table[((crc >> 24) ^ byte) & 0xFF]
    return crc


def paginate(header, packets, first_sequence):
    """Header packets (after the first one, which keeps its own page) on new pages."""
    pages, segments, body, sequence, continued = [], [], b"", first_sequence, False
    for packet in packets:
        lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
        offset = 0
        for value in lacing:
            segments.append(value)
            body += packet[offset:offset + value]
            offset += value
            if len(segments) == 255:
                pages.append(ogg_page(header, 1 if continued else 0, sequence, segments, body))
                sequence += 1
                continued = value == 255
                segments, body = [], b""
    if segments:
        pages.append(ogg_page(header, 1 if continued else 0, sequence, segments, body))
        sequence += 1
    return b"".join(pages), sequence


def vorbis_comment(entries, prefix=b"", framing=b""):
    vendor = b"hostile"
    body = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(entries))
    body += b"".join(struct.pack("<I", len(e)) + e for e in entries)
    return prefix + body + framing


def hostile_ogg(source, target, header_count, prefix, framing):
    data = open(source, "rb").read()
    pages = ogg_pages(data)
    packets, used = ogg_packets(pages, header_count)
    entries = [b"TITLE=Good"] + [b"ARTIST=a"] * (limit // 12 - 10)
    packets[1] = vorbis_comment(entries, prefix, framing)
    header = pages[0][0]
    first = ogg_page(header, 2, 0, pages[0][1], pages[0][2])
    rest, sequence = paginate(header, packets[1:], 1)
    # The audio pages keep their own sequence numbers; renumber them after the new header pages.
    audio = b""
    for page_header, lacing, body in pages[used:]:
        audio += ogg_page(page_header, page_header[5], sequence, lacing, body)[:6] + page_header[6:14] \
            + ogg_page(page_header, page_header[5], sequence, lacing, body)[14:]
        sequence += 1
    open(target, "wb").write(first + rest + fix_granules(audio))


def fix_granules(audio):
    # ogg_page() zeroed nothing past byte 14 of audio pages except the CRC; recompute CRCs with
    # the granule positions restored above.
    out, position = b"", 0
    while position < len(audio):
        count = audio[position + 26]
        end = position + 27 + count + sum(audio[position + 27:position + 27 + count])
        page = bytearray(audio[position:end])
        page[22:26] = b"\0\0\0\0"
        page[22:26] = ogg_crc_fast(bytes(page)).to_bytes(4, "little")
        out += bytes(page)
        position = end
    return out


subprocess.run(ffmpeg + ["-c:a", "libvorbis", f"{out}/base.ogg"], check=True)
subprocess.run(ffmpeg + ["-c:a", "libopus", "-b:a", "24k", f"{out}/base.opus"], check=True)
hostile_ogg(f"{out}/base.ogg", f"{out}/huge-comment.ogg", 3, b"\x03vorbis", b"\x01")
hostile_ogg(f"{out}/base.opus", f"{out}/huge-comment.opus", 2, b"OpusTags", b"")


# MP4: an ilst of a million freeform items with distinct names (libavformat's dictionary is linear).
def atom(kind, body):
    return struct.pack(">I", 8 + len(body)) + kind + body


def hostile_m4a(source, target, count):
    data = open(source, "rb").read()
    items = [atom(b"\xa9nam", atom(b"data", struct.pack(">II", 1, 0) + b"Good"))]
    for index in range(count):
        items.append(atom(b"----", atom(b"mean", b"\0\0\0\0com.apple.iTunes") + atom(b"name", b"\0\0\0\0K%07d" % index)
                          + atom(b"data", struct.pack(">II", 1, 0) + b"a")))
    hdlr = atom(b"hdlr", b"\0" * 8 + b"mdirappl" + b"\0" * 9)
    meta = atom(b"meta", b"\0\0\0\0" + hdlr + atom(b"ilst", b"".join(items)))
    # Put a new udta with this meta at the end of moov (moov must be the last top-level atom).
    position, atoms = 0, []
    while position + 8 <= len(data):
        size = struct.unpack(">I", data[position:position + 4])[0]
        atoms.append((data[position + 4:position + 8], data[position:position + size]))
        position += size
    out_bytes = b""
    for kind, whole in atoms:
        if kind == b"moov":
            children, inner = b"", 8
            while inner < len(whole):
                size = struct.unpack(">I", whole[inner:inner + 4])[0]
                if whole[inner + 4:inner + 8] != b"udta":
                    children += whole[inner:inner + size]
                inner += size
            whole = atom(b"moov", children + atom(b"udta", meta))
        out_bytes += whole
    open(target, "wb").write(out_bytes)


subprocess.run(ffmpeg + ["-c:a", "aac", "-b:a", "32k", f"{out}/base.m4a"], check=True)
hostile_m4a(f"{out}/base.m4a", f"{out}/huge-ilst.m4a", 250000)
