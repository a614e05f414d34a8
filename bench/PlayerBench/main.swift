// The player's cost: CPU per second of audio decoded and written, time from `play` to the first
// frames written, and resident memory while playing. bench/player/run.sh builds and runs it.
//
//   PlayerBench FILE [FILE...]
//
// Each file is scanned into a temporary library and played through ALSA's `file` plugin over
// `null` writing to /dev/null. The null device is not paced, so the player runs flat out: the
// CPU time it uses divided by the audio seconds it wrote is the share of one core it needs when
// a real device paces it (plus the wake-ups of pacing, which this cannot see).
import Foundation
import Glibc
import Indexer
import LocalStore
import Logging
import OmniModel
import Player
import Synchronization

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
    return 0
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

final class Probe: Sendable {
    struct State { var firstWrite: Double?; var frames = 0; var peakRSS = 0; var writes = 0 }
    let state = Mutex(State())
}

let files = Array(CommandLine.arguments.dropFirst())
guard !files.isEmpty else {
    FileHandle.standardError.write(Data("usage: PlayerBench FILE [FILE...]\n".utf8))
    exit(2)
}
let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
print("| file | codec | audio s | CPU s | CPU % of one core at real time | play → first frames written (ms, median of 5) | RSS before → while playing (MiB) |")
print("|---|---|---|---|---|---|---|")
for file in files {
    let dir = NSTemporaryDirectory() + "playerbench-\(getpid())-\(UUID().uuidString)"
    let music = dir + "/Music"
    try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
    let name = (file as NSString).lastPathComponent
    try FileManager.default.copyItem(atPath: file, toPath: music + "/" + name)
    let library = try Library(path: dir + "/library.sqlite")
    _ = try Indexer(library: library, artwork: ArtworkCache(directory: dir + "/artwork"), logger: logger).scan(roots: [RawPath(music)])
    guard let track = try library.search(SearchQuery(text: "", limit: 1)).tracks.first else { continue }
    let alsa = "pcm.bench { type file slave.pcm { type null } file \"/dev/null\" format \"raw\" }"

    var latencies: [Double] = []
    var cpu = 0.0, audio = 0.0, rssBefore = 0, rssPeak = 0
    for run in 0..<5 {
        let probe = Probe()
        let player = Player(library: library, configuration: PlayerConfiguration(
            output: "bench", alsaConfiguration: alsa, onWrite: { frames, _ in
                let t = now()
                probe.state.withLock { s in
                    if s.firstWrite == nil { s.firstWrite = t }
                    s.frames += frames
                    s.writes += 1
                    if s.writes % 64 == 0 { s.peakRSS = max(s.peakRSS, residentKiB()) }
                }
            }), logger: logger, publish: { _ in })
        player.start()
        try player.enqueue([track.uid], replace: true)
        rssBefore = residentKiB()
        let cpuStart = cpuSeconds()
        let start = now()
        try player.play(index: 0)
        while !(player.status().state == .stopped && player.status().currentIndex == nil) { usleep(1000) }
        let cpuUsed = cpuSeconds() - cpuStart
        await player.shutdown()
        let s = probe.state.withLock { $0 }
        latencies.append(((s.firstWrite ?? start) - start) * 1000)
        if run == 0 {
            cpu = cpuUsed
            audio = Double(s.frames) / Double(track.sampleRate ?? 44_100)
            rssPeak = s.peakRSS
        }
    }
    latencies.sort()
    print(String(format: "| %@ | %@ | %.1f | %.3f | %.2f %% | %.1f | %.1f → %.1f |", name, track.codec, audio, cpu,
                 100 * cpu / max(audio, 0.001), latencies[2], Double(rssBefore) / 1024, Double(max(rssPeak, rssBefore)) / 1024))
    try? FileManager.default.removeItem(atPath: dir)
}
