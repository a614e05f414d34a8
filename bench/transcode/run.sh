#!/usr/bin/env bash
# Transcoding speed and artwork sizes: bench/transcode/run.sh
# Makes a 5-minute stereo FLAC (two tones and noise, 44.1 kHz 16-bit) and a 1500x1500 JPEG with
# ffmpeg, then runs TranscodeBench (release build) pinned to one core (taskset -c 0).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
bash scripts/setup-deps
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
out=bench/out/transcode
mkdir -p "$out"
[ -f "$out/music.flac" ] || ffmpeg -v error -y \
  -f lavfi -i "aevalsrc=0.4*sin(2*PI*(220+100*sin(t))*t)|0.4*sin(2*PI*330*t):s=44100:d=300" \
  -f lavfi -i "anoisesrc=a=0.1:d=300:r=44100" \
  -filter_complex "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0" \
  -c:a flac -sample_fmt s16 "$out/music.flac"
[ -f "$out/cover.jpg" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=s=1500x1500:d=1" -frames:v 1 -q:v 3 "$out/cover.jpg"
swift build -c release --product TranscodeBench
uptime
exec taskset -c 0 .build/release/TranscodeBench "$out/music.flac" "$out/cover.jpg"
