import Analysis
import ArgumentParser
import Daemon
import Foundation
import MediaIO
import OmniModel

/// `omnisonicd analyze [--json] FILE...`: tempo, key, loudness, fingerprint and descriptors of
/// audio files, computed here and now (the library's background analysis uses the same code).
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse audio files: tempo, key, EBU R128 loudness, fingerprint, descriptors.",
        discussion: """
            With --json, prints one JSON object per file (JSON lines) with the keys file, bpm, \
            bpmConfidence, beatOffsetMs, key, camelot, keyConfidence, tuningCents, loudnessLufs, \
            loudnessRangeLu, truePeakDbtp, replayGainDb, fingerprint, energy, danceability (null \
            where not applicable). Exits 1 when any file could not be decoded.
            """)

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    @Option(help: "The tempo octave range, LOW-HIGH in BPM (the answer is doubled or halved into it).")
    var tempoRange = "78-156"

    @Argument(help: "Audio files.", completion: .file())
    var files: [String]

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.makeMediaLogger("omnisonic.analyze")
        let bounds = tempoRange.split(separator: "-").compactMap { Double($0) }
        guard bounds.count == 2, bounds[0] > 0, bounds[1] >= bounds[0] else {
            throw ValidationError("--tempo-range must be LOW-HIGH, e.g. 78-156")
        }
        let options = AnalysisOptions(tempoRange: bounds[0]...bounds[1])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failures = 0
        for file in files {
            let analysis: TrackAnalysis
            do {
                analysis = try Self.analyze(RawArguments.bytes(of: file), options: options)
            } catch {
                failures += 1
                try ProbeFailure.report(file: file, error: error, json: json, encoder: encoder, logger: logger)
                continue
            }
            let line = AnalysisLine(file: file, analysis: analysis)
            if json {
                print(String(decoding: try encoder.encode(line), as: UTF8.self))
            } else {
                line.printText()
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Decodes `path` once (MediaIO) and feeds every block to one analyzer.
    /// The daemon's background analysis calls the same function (`FileAnalysis`).
    static func analyze(_ path: RawPath, options: AnalysisOptions) throws(MediaError) -> TrackAnalysis {
        // Never nil: nothing asks it to stop.
        try FileAnalysis.analyze(path, options: options)!
    }
}

/// One file's answer, with the JSON keys issue 14 names (null where not applicable).
struct AnalysisLine: Encodable {
    var file: String
    var analysis: TrackAnalysis

    private enum Keys: String, CodingKey {
        case file, bpm, bpmConfidence, beatOffsetMs, key, camelot, keyConfidence, tuningCents, loudnessLufs,
             loudnessRangeLu, truePeakDbtp, replayGainDb, fingerprint, energy, danceability
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        func rounded(_ x: Double?, _ places: Double = 100) -> Double? { x.map { ($0 * places).rounded() / places } }
        try c.encode(file, forKey: .file)
        try c.encode(analysis.tempo.bpm, forKey: .bpm)
        try c.encode(rounded(analysis.tempo.confidence, 1000), forKey: .bpmConfidence)
        try c.encode(analysis.tempo.firstBeatSeconds.map { ($0 * 1000).rounded() }, forKey: .beatOffsetMs)
        try c.encode(analysis.key?.key.standardName, forKey: .key)
        try c.encode(analysis.key?.key.camelot, forKey: .camelot)
        try c.encode(analysis.key?.confidence, forKey: .keyConfidence)
        try c.encode(analysis.key?.tuningCents, forKey: .tuningCents)
        try c.encode(rounded(analysis.loudness.integratedLUFS), forKey: .loudnessLufs)
        try c.encode(rounded(analysis.loudness.rangeLU), forKey: .loudnessRangeLu)
        try c.encode(rounded(analysis.loudness.truePeakDBTP), forKey: .truePeakDbtp)
        try c.encode(rounded(analysis.loudness.replayGainDB), forKey: .replayGainDb)
        try c.encode(analysis.fingerprint, forKey: .fingerprint)
        try c.encode(analysis.descriptors.energy, forKey: .energy)
        try c.encode(analysis.descriptors.danceability, forKey: .danceability)
    }

    func printText() {
        let a = analysis
        print(file)
        print("  tempo: \(a.tempo.bpm.map { String(format: "%.2f BPM (confidence %.2f, first beat %.0f ms, or %.2f)", $0, a.tempo.confidence, (a.tempo.firstBeatSeconds ?? 0) * 1000, a.tempo.alternativeBPM ?? 0) } ?? "no steady tempo")")
        if let key = a.key {
            print("  key: \(key.key.standardName) = \(key.key.camelot) = \(key.key.openKey) (confidence \(key.confidence), tuning \(key.tuningCents) cents)")
        } else {
            print("  key: none")
        }
        if let lufs = a.loudness.integratedLUFS {
            print(String(format: "  loudness: %.2f LUFS, range %.2f LU, true peak %.2f dBTP, ReplayGain %+.2f dB",
                         lufs, a.loudness.rangeLU ?? 0, a.loudness.truePeakDBTP ?? -.infinity, a.loudness.replayGainDB ?? 0))
        } else {
            print("  loudness: silence")
        }
        print("  energy \(a.descriptors.energy), danceability \(a.descriptors.danceability), electronic \(a.descriptors.electronic), brightness \(a.descriptors.brightness)")
    }
}
