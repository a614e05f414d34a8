#!/usr/bin/env bash
# The player's cost per format: bench/player/run.sh
# Makes a 5-minute MP3 (LAME 192k, float output) and FLAC (16-bit stereo 44.1 kHz) of a
# two-tone signal with ffmpeg, then runs PlayerBench (release build) on them.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
bash scripts/setup-deps
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
out=bench/out/player
mkdir -p "$out"
source=(-f lavfi -i "aevalsrc=0.5*sin(2*PI*(220+20*sin(t))*t)|0.4*sin(2*PI*330*t):s=44100:d=300")
[ -f "$out/tone.mp3" ] || ffmpeg -v error -y "${source[@]}" -c:a libmp3lame -b:a 192k "$out/tone.mp3"
[ -f "$out/tone.flac" ] || ffmpeg -v error -y "${source[@]}" -c:a flac -sample_fmt s16 "$out/tone.flac"
swift build -c release --product PlayerBench
exec .build/release/PlayerBench "$out/tone.mp3" "$out/tone.flac"
