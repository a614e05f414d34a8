// Transcoding and artwork-size speed: bench/transcode/run.sh (figures in docs/PERFORMANCE.md).
//
//   TranscodeBench FILE IMAGE
//
// For each format (mp3 192k, opus 128k, aac 192k): the time from the request to the first byte
// (TranscodeStream.start, the header chunk) and to the first 16 KiB, median of 7; then the
// whole file transcoded on this thread, CPU seconds (getrusage, this thread) against the
// music's length: "x real time on one core". Then ArtworkCache.sized: the first call (decode,
// scale, encode, write) and the median and p99 of 2,000 calls for the cached size.
import Foundation
import Glibc
import Indexer
import LocalStore
import MediaIO
import OmniModel

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func threadCPU() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    print("usage: TranscodeBench AUDIO_FILE IMAGE_FILE")
    exit(2)
}
let path = RawPath(arguments[1])
FFmpegLogging.route(to: nil)

print("transcoding \(arguments[1])")
for format in TranscodeFormat.allCases {
    let request = TranscodeRequest(format: format)
    var firstByte: [Double] = []
    var first16k: [Double] = []
    for _ in 0..<7 {
        let start = now()
        let stream = try await TranscodeStream.start(path: path, request: request)
        var received = 0
        for try await chunk in stream {
            if received == 0 { firstByte.append((now() - start) * 1000) }
            received += chunk.count
            if received >= 16 << 10 { first16k.append((now() - start) * 1000); break }
        }
        stream.cancel()
    }
    // The whole file on this thread: CPU time of the decoder, resampler, encoder and muxer.
    let transcoder = try Transcoder(path: path, request: request)
    let cpu0 = threadCPU(), wall0 = now()
    var bytes: [UInt8] = []
    var total = 0
    while true {
        bytes.removeAll(keepingCapacity: true)
        let n = try transcoder.read(into: &bytes)
        if n == 0 { break }
        total += n
    }
    let cpu = threadCPU() - cpu0, wall = now() - wall0
    let seconds = transcoder.durationSeconds ?? 0
    print(String(format: "%@ %d kbit/s: first byte %.1f ms, first 16 KiB %.1f ms (median of 7); whole file %.0f s of music in %.2f s CPU (%.2f s wall): %.0fx real time on one core, %d bytes",
                 format.rawValue, request.bitRate, median(firstByte), median(first16k), seconds, cpu, wall, seconds / cpu, total))
}

// Artwork sizes.
let imageData = try [UInt8](Data(contentsOf: URL(fileURLWithPath: arguments[2])))
let folder = NSTemporaryDirectory() + "omnisonic-artbench-\(getpid())"
let cache = ArtworkCache(directory: folder)
let stored = try cache.store(ArtworkImage(mimeType: ImageSniffer.mimeType(of: imageData) ?? "image/jpeg", data: imageData))
let firstStart = now()
_ = try cache.sized(hash: stored.hash, mimeType: stored.mimeType, size: 300)
let firstMs = (now() - firstStart) * 1000
var cached: [Double] = []
for _ in 0..<2000 {
    let start = now()
    guard let file = try cache.sized(hash: stored.hash, mimeType: stored.mimeType, size: 300) else { fatalError("no sized artwork") }
    // What a response does next: read the file.
    _ = FileManager.default.contents(atPath: file.path)
    cached.append((now() - start) * 1000)
}
cached.sort()
print(String(format: "artwork %d bytes to 300 px: first %.1f ms (decode, scale, encode, write); cached: median %.3f ms, p99 %.3f ms (lookup + read, 2000 calls)",
             imageData.count, firstMs, cached[cached.count / 2], cached[cached.count * 99 / 100]))
try? FileManager.default.removeItem(atPath: folder)
