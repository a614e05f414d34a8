import Foundation
import Testing
import TestSupport

@Suite("omnisonicd analyze")
struct AnalyzeCommandTests {
    @Test("analyze --json prints the issue's keys per file: tempo, key in standard and Camelot, loudness as ffmpeg measures it, a fingerprint; an error object for a broken file")
    func analyzeJSON() throws {
        // Given a 20 s synthetic piece at 128.5 BPM in C major, as FLAC, and a file that is not audio
        let dir = try TemporaryDirectory("cli-analyze")
        let wav = dir.appending("piece.wav"), flac = dir.appending("piece.flac"), broken = dir.appending("broken.mp3")
        let music = SyntheticMusic(bpm: 128.5, tonic: 0, minor: false, seconds: 20, seed: 2)
        try FloatWAV.write(music.render(), sampleRate: 44100, channels: 2, to: wav)
        try Shell.ffmpeg(["-i", wav, "-c:a", "flac", "-sample_fmt", "s16", flac])
        try Data("not audio at all".utf8).write(to: URL(fileURLWithPath: broken))

        // When both are analysed
        let output = try Binary.run(["analyze", "--json", flac, broken])

        // Then the FLAC's line has every key, with the piece's answers
        #expect(output.status == 1, "\(output.stderr)")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let object = try Binary.object(lines[0])
        #expect(Set(object.keys) == ["file", "bpm", "bpmConfidence", "beatOffsetMs", "key", "camelot", "keyConfidence", "tuningCents",
                                     "loudnessLufs", "loudnessRangeLu", "truePeakDbtp", "replayGainDb", "fingerprint", "energy", "danceability"])
        #expect(object["file"] as? String == flac)
        let bpm = try #require(object["bpm"] as? Double)
        #expect(abs(bpm - 128.5) < 0.1285, "\(bpm)")
        #expect(object["key"] as? String == "C major")
        #expect(object["camelot"] as? String == "8B")
        #expect((object["fingerprint"] as? String)?.isEmpty == false)
        // And the loudness is the stereo measurement ffmpeg's ebur128 makes (one decimal printed)
        let ffmpeg = try Shell.capture(Shell.which("ffmpeg") ?? "/usr/bin/ffmpeg",
                                       ["-hide_banner", "-nostats", "-i", flac, "-af", "ebur128", "-f", "null", "-"]).stderr
        let summary = try #require(ffmpeg.range(of: "Summary:"))
        let afterI = try #require(ffmpeg[summary.upperBound...].range(of: "I:"))
        let ffI = try #require(Double(ffmpeg[afterI.upperBound...].drop { $0 == " " }.prefix { "-0123456789.".contains($0) }))
        let lufs = try #require(object["loudnessLufs"] as? Double)
        #expect(abs(lufs - ffI) <= 0.15, "ours \(lufs), ffmpeg \(ffI)")
        #expect(abs(try #require(object["replayGainDb"] as? Double) - (-18 - lufs)) < 0.02)
        // And the broken file is an error object, not a crash
        let failure = try Binary.object(lines[1])
        #expect(failure["path"] as? String == broken)
        #expect((failure["error"] as? [String: Any])?["code"] as? String != nil)
    }
}
