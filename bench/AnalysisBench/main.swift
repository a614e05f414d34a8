// The analysis benchmark's Swift half (bench/analysis/run.sh):
//
//   AnalysisBench generate DIR [--seconds S]   writes the synthetic set as float WAVs + truth.json
//   AnalysisBench analyze DIR [--core]         analyses every WAV on this thread, writes
//                                              DIR/omnisonic.json (answers and CPU seconds each);
//                                              --core leaves the fingerprint out (tempo + key +
//                                              loudness + vector: what essentia is compared on)
//                                              and writes DIR/omnisonic-core.json
//   AnalysisBench similarity N                 builds a SimilarityIndex of N tracks (random 26-number
//                                              vectors, 32-character uids, artist and album names)
//                                              and prints its resident cost and build and query times
//                                              (decision 0035's memory figure)
//
// CPU time is this thread's (CLOCK_THREAD_CPUTIME_ID): one core's work, whatever the load.
import Analysis
import Foundation
import TestSupport

/// The benchmark's set: varied tempi (fast, slow, swung, half time), all 12 tonics in both
/// modes across the set, two detuned pieces, three timbre families, and two drumless pieces
/// (no tempo expected; their keys count).
func syntheticSet(seconds: Double) -> [(name: String, music: SyntheticMusic)] {
    let specs: [(Double, Int, Bool, Double, Bool, Double, Bool)] = [
        // bpm, tonic, minor, swing, halfTime, detune, drums
        (84, 0, false, 0.5, false, 0, true), (92.5, 9, true, 2.0 / 3, false, 0, true),
        (100, 7, false, 0.5, false, 0, true), (108, 4, true, 0.5, false, 20, true),
        (115.3, 2, false, 0.5, false, 0, true), (120, 11, true, 0.5, false, 0, true),
        (124, 5, false, 0.6, false, 0, true), (128, 2, true, 0.5, false, 0, true),
        (133.7, 10, false, 0.5, false, -25, true), (140, 7, true, 0.5, true, 0, true),
        (150, 3, false, 0.5, false, 0, true), (174, 6, true, 0.5, false, 0, true),
        (0, 1, false, 0.5, false, 0, false), (0, 8, true, 0.5, false, 0, false),
    ]
    return specs.enumerated().map { i, s in
        let music = SyntheticMusic(bpm: s.0 == 0 ? 100 : s.0, tonic: s.1, minor: s.2, seconds: seconds, drums: s.6,
                                   swing: s.3, halfTime: s.4, detuneCents: s.5, family: i % 3, seed: UInt64(100 + i))
        return (String(format: "set-%02d", i), music)
    }
}

func threadCPU() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: AnalysisBench generate|analyze DIR [--seconds S]\n".utf8))
    exit(2)
}
let dir = arguments[2]
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]

switch arguments[1] {
case "generate":
    let seconds = arguments.firstIndex(of: "--seconds").map { Double(arguments[$0 + 1])! } ?? 180
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var truth: [[String: String]] = []
    for (name, music) in syntheticSet(seconds: seconds) {
        try FloatWAV.write(music.render(), sampleRate: Int(music.sampleRate), channels: 2, to: "\(dir)/\(name).wav")
        truth.append(["file": "\(name).wav", "bpm": music.drums ? String(music.bpm) : "", "key": music.keyName])
        print("wrote \(name).wav  \(music.drums ? "\(music.bpm) BPM" : "no pulse")  \(music.keyName)")
    }
    try encoder.encode(truth).write(to: URL(fileURLWithPath: "\(dir)/truth.json"))
case "analyze":
    struct Row: Encodable { var file: String; var bpm: Double?; var key: String?; var lufs: Double?; var cpuSeconds: Double; var audioSeconds: Double }
    var rows: [Row] = []
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".wav") }.sorted()
    let core = arguments.contains("--core")
    let options = AnalysisOptions(fingerprintSeconds: core ? 0 : 120)
    for file in files {
        let wav = try FloatWAV.read("\(dir)/\(file)")
        let start = threadCPU()
        let analysis = TrackAnalyzer.analyze(wav.samples, sampleRate: Double(wav.sampleRate), channels: wav.channels, options: options)
        let cpu = threadCPU() - start
        rows.append(Row(file: file, bpm: analysis.tempo.bpm, key: analysis.key?.key.standardName,
                        lufs: analysis.loudness.integratedLUFS, cpuSeconds: cpu, audioSeconds: analysis.durationSeconds))
        print(String(format: "%@  %@ BPM  %@  %.2f s CPU", file, analysis.tempo.bpm.map { String($0) } ?? "-",
                     analysis.key?.key.standardName ?? "-", cpu))
    }
    try encoder.encode(rows).write(to: URL(fileURLWithPath: "\(dir)/\(core ? "omnisonic-core" : "omnisonic").json"))
case "similarity":
    let count = Int(dir) ?? 10_000
    var rng = SplitMix(seed: 35)
    // Resident bytes (/proc/self/statm): malloc.h's counters are not in Glibc's module, and at
    // megabytes the page granularity does not matter.
    func heap() -> Int {
        let fields = ((try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "").split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
    let before = heap()
    var entries: [SimilarityIndex<String>.Entry] = []
    for i in 0..<count {
        let uid = String(format: "%032x", i &* 0x9E37_79B9)
        let vector = (0..<FeatureVector.names.count).map { _ in Double(rng.next() % 10_000) / 1000 }
        entries.append(.init(id: uid, artist: "Artist number \(i / 10)", album: "Album title number \(i / 12)", vector: vector))
    }
    let rowsBytes = heap() - before
    var start = threadCPU()
    let index = SimilarityIndex(entries: entries)
    let buildSeconds = threadCPU() - start
    entries = []
    let indexBytes = heap() - before
    start = threadCPU()
    for q in 0..<200 { _ = index.similar(to: String(format: "%032x", (q * 37 % count) &* 0x9E37_79B9), limit: 20) }
    let querySeconds = (threadCPU() - start) / 200
    print(String(format: "%d tracks: resident +%.1f MB for the rows, +%.1f MB with the index (%.0f bytes a track); build %.3f s CPU; similar(limit 20) %.2f ms CPU",
                 count, Double(rowsBytes) / 1e6, Double(indexBytes) / 1e6, Double(indexBytes) / Double(count), buildSeconds, querySeconds * 1000))
default:
    FileHandle.standardError.write(Data("unknown command \(arguments[1])\n".utf8))
    exit(2)
}
