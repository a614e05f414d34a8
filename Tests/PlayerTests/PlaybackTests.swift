import Foundation
import LocalStore
import MediaIO
import Synchronization
import OmniModel
import Testing
import TestSupport
@testable import Player

/// Playback through ALSA's `file` plugin: what the device would have played, byte for byte.
@Suite("Playback through the ALSA file plugin")
struct PlaybackTests {
    /// Two FLAC halves of one signal, and the whole as raw s16le.
    static func flacHalves() throws -> (PlayerFixture, whole: [UInt8]) {
        let fixture = try PlayerFixture("gapless-flac", files: [
            ("a.flac", signalSource + ["-af", "atrim=end_sample=\(splitSample)", "-c:a", "flac", "-sample_fmt", "s16"]),
            ("b.flac", signalSource + ["-af", "atrim=start_sample=\(splitSample),asetpts=PTS-STARTPTS", "-c:a", "flac", "-sample_fmt", "s16"]),
        ])
        let whole = fixture.dir.appending("whole.raw")
        try Shell.ffmpeg(signalSource + ["-f", "s16le", "-c:a", "pcm_s16le", whole])
        return (fixture, [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole))))
    }

    @Test("Given two FLAC halves of a continuous signal, when played one after the other, then the capture equals the whole, byte for byte")
    func flacHalvesAreBitExact() async throws {
        let (fixture, whole) = try Self.flacHalves()
        let player = fixture.makePlayer()
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        let capture = try fixture.capture()
        #expect(capture.count == whole.count)
        #expect(capture == whole)
        #expect(player.status().output.device == "capture")
    }

    @Test("Given two MP3 halves with LAME headers, when played one after the other, then the total length is within 1 ms of the whole")
    func mp3HalvesKeepTheirLength() async throws {
        let fixture = try PlayerFixture("gapless-mp3", files: [
            ("a.mp3", signalSource + ["-af", "atrim=end_sample=\(splitSample)", "-c:a", "libmp3lame", "-b:a", "192k"]),
            ("b.mp3", signalSource + ["-af", "atrim=start_sample=\(splitSample),asetpts=PTS-STARTPTS", "-c:a", "libmp3lame", "-b:a", "192k"]),
        ])
        // The headers are MediaIO's to read: the player relies on the same parser.
        let info = try #require(GaplessInfo.mp3(path: RawPath(fixture.music + "/a.mp3")))
        #expect(info.validSamples == Int64(splitSample))
        let player = fixture.makePlayer()
        try player.enqueue([try fixture.uid("a.mp3"), try fixture.uid("b.mp3")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        let capture = try fixture.capture()
        // The MP3 decoder writes 32-bit float stereo: 8 bytes a frame.
        let frames = capture.count / 8
        let wholeFrames = 3 * 44_100
        #expect(abs(frames - wholeFrames) <= 44, "captured \(frames) frames, the whole has \(wholeFrames)")
    }

    @Test("Given two AAC (MP4 edit lists) or Opus (pre-skip) halves, when played one after the other, then the total length is within 1 ms of the whole",
          arguments: [("m4a", ["-c:a", "aac", "-b:a", "160k"], 44_100), ("opus", ["-c:a", "libopus", "-b:a", "128k"], 48_000)])
    func otherCodecHalvesKeepTheirLength(_ ext: String, _ codec: [String], _ rate: Int) async throws {
        let source = ["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(220+200*t)*t)|0.4*sin(2*PI*330*t+1):s=\(rate):d=3"]
        let split = rate * 70_001 / 44_100
        let fixture = try PlayerFixture("gapless-\(ext)", files: [
            ("a.\(ext)", source + ["-af", "atrim=end_sample=\(split)"] + codec),
            ("b.\(ext)", source + ["-af", "atrim=start_sample=\(split),asetpts=PTS-STARTPTS"] + codec),
        ])
        let player = fixture.makePlayer()
        try player.enqueue([try fixture.uid("a.\(ext)"), try fixture.uid("b.\(ext)")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        // Both decoders write 32-bit float stereo.
        let frames = try fixture.capture().count / 8
        #expect(abs(frames - 3 * rate) <= rate / 1000, "captured \(frames) frames, the whole has \(3 * rate)")
    }

    @Test("Given a track playing, when seeking to 1 s, then the samples after the seek are the file's from sample 44100")
    func seekLandsOnTheSample() async throws {
        let (fixture, _) = try Self.flacHalves()
        let a = fixture.dir.appending("a.raw")
        try Shell.ffmpeg(["-i", fixture.music + "/a.flac", "-f", "s16le", "-c:a", "pcm_s16le", a])
        let source = [UInt8](try Data(contentsOf: URL(fileURLWithPath: a)))
        let box = PlayerBox()
        let player = fixture.makePlayer(onWrite: { frames, _ in
            // After the first write, jump: the next write must start at the target sample.
            if box.count(frames) == 1 { box.player?.seek(toMs: 1000) }
        })
        box.set(player)
        try player.enqueue([try fixture.uid("a.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        let capture = try fixture.capture()
        let target = 44_100 * 4
        let firstWrite = capture.count - (source.count - target)
        #expect(firstWrite > 0 && firstWrite % 4 == 0)
        #expect(Array(capture[firstWrite...]) == Array(source[target...]))
        #expect(Array(capture[..<firstWrite]) == Array(source[..<firstWrite]))
    }

    @Test("Given a track playing, when paused, then nothing is written until play resumes, and the capture is still the whole")
    func pauseWritesNothing() async throws {
        let (fixture, whole) = try Self.flacHalves()
        let box = PlayerBox()
        let paused = PausedWrites()
        let player = fixture.makePlayer(onWrite: { frames, _ in
            paused.wrote(frames)
            if box.count(frames) == 1 {
                box.player?.pause()
                paused.start()
            }
        })
        box.set(player)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .paused }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(player.status().state == .paused)
        #expect(paused.stop() == 0)
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        #expect(try fixture.capture() == whole)
    }

    @Test("Given volume 50 %, when playing, then every sample is half the decoded one")
    func volumeScalesSamples() async throws {
        let (fixture, whole) = try Self.flacHalves()
        let player = fixture.makePlayer(volume: 50)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        let capture = try fixture.capture()
        try #require(capture.count == whole.count)
        func samples(_ bytes: [UInt8]) -> [Int16] {
            stride(from: 0, to: bytes.count, by: 2).map { Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8) }
        }
        let played = samples(capture), original = samples(whole)
        let worst = zip(played, original).map { abs(Int($0) - Int($1) / 2) }.max() ?? 0
        #expect(worst <= 1)
        #expect(original.contains { abs(Int($0)) > 10_000 })
    }

    @Test("Given a device that does not exist, when playing, then the error is in the state, the player keeps working, and playing again retries")
    func missingDeviceIsReported() async throws {
        let (fixture, _) = try Self.flacHalves()
        let events = EventRecorder()
        let configuration = PlayerConfiguration(output: "nosuchdevice",
                                                alsaConfiguration: PlayerFixture.alsaConfiguration(capturingTo: fixture.capturePath))
        let player = Player(library: fixture.library, configuration: configuration, logger: .init(label: "test"), publish: events.append)
        player.start()
        try player.enqueue([try fixture.uid("a.flac")])
        try player.play()
        try await fixture.wait(player) { $0.error != nil }
        let status = player.status()
        #expect(status.state == .paused)
        #expect(status.error?.contains("nosuchdevice") == true, "\(status.error ?? "")")
        #expect(events.all.contains { if case .player(_, _, _, _, let error?) = $0 { error.contains("nosuchdevice") } else { false } })
        // Still answering: the queue can change, and play tries the device again.
        try player.enqueue([try fixture.uid("b.flac")])
        let before = events.all.count
        try player.play()
        // The state `play` published (reading `status()` here would race the output thread, which
        // may fail the retry again at once; it publishes too): playing, the error cleared.
        #expect(events.all.dropFirst(before).contains {
            if case .player(.playing, _, _, _, nil) = $0 { true } else { false }
        })
        try await fixture.wait(player) { $0.error != nil }
        #expect(player.status().queue.count == 2)
        await player.shutdown()
    }

    @Test("Given a device that fails while playing, when it is back and play is pressed, then playback resumes with the chunk that failed")
    func failingDeviceResumes() async throws {
        let (fixture, whole) = try Self.flacHalves()
        // The file plugin opens its file on the first write: a missing folder fails there.
        let missing = fixture.dir.appending("not-yet/out.raw")
        let player = fixture.makePlayer(capture: missing)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.error != nil }
        #expect(player.status().state == .paused)
        #expect(player.status().error?.contains("stopped working") == true, "\(player.status().error ?? "")")
        try FileManager.default.createDirectory(atPath: fixture.dir.appending("not-yet"), withIntermediateDirectories: true)
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        #expect(player.status().error == nil)
        await player.shutdown()
        // What the failed device swallowed is gone; from the failed chunk on, nothing is lost or doubled.
        let captured = try fixture.capture(missing)
        #expect(captured.count > 0 && captured.count % 4 == 0)
        #expect(whole.count >= captured.count && Array(whole[(whole.count - captured.count)...]) == captured)
    }

    @Test("Given a queue paused mid-track, when the library is reopened, then the queue is back, paused at the position, and play resumes there")
    func queueSurvivesRestart() async throws {
        let (fixture, whole) = try Self.flacHalves()
        let box = PlayerBox()
        let player = fixture.makePlayer(onWrite: { frames, _ in
            if box.count(frames) == 1 { box.player?.pause() }
        })
        box.set(player)
        let uids = [try fixture.uid("a.flac"), try fixture.uid("b.flac")]
        try player.enqueue(uids)
        player.setRepeat(.all)
        player.setRepeat(.off)
        player.setVolume(100)
        try player.play()
        try await fixture.wait(player) { $0.state == .paused }
        player.seek(toMs: 1000)
        await player.shutdown()

        // A new process: the same database file, opened again.
        let reopened = try Library(path: fixture.databasePath)
        let restored = Player(library: reopened, configuration: PlayerConfiguration(
            output: "capture", alsaConfiguration: PlayerFixture.alsaConfiguration(capturingTo: fixture.dir.appending("capture/second.raw"))),
            logger: .init(label: "test"), publish: { _ in })
        let status = restored.status()
        #expect(status.queue.map(\.uid) == uids)
        #expect(status.currentIndex == 0)
        #expect(status.state == .paused)
        #expect(status.positionMs == 1000)
        restored.start()
        try restored.play()
        try await fixture.wait(restored) { $0.state == .stopped && $0.currentIndex == nil }
        await restored.shutdown()
        let second = try fixture.capture(fixture.dir.appending("capture/second.raw"))
        #expect(second == Array(whole[(44_100 * 4)...]))
    }

    @Test("Given a track that plays to its end, then its play count goes up through the one write path")
    func completedPlayIsRecorded() async throws {
        let (fixture, _) = try Self.flacHalves()
        let events = EventRecorder()
        let player = fixture.makePlayer(events: events)
        let uid = try fixture.uid("a.flac")
        let before = try fixture.library.userState(uid: uid).playCount
        try player.enqueue([uid])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        player.flushStore()
        #expect(try fixture.library.userState(uid: uid).playCount == before + 1)
        #expect(try fixture.library.operations(after: 0).contains { $0.operation.target == uid.rawValue })
        #expect(events.all.contains(.tracksChanged(uids: [uid])))
    }

    @Test("Given a queued track whose file became a FIFO, when played, then it is skipped at once and the next track plays whole (the player's own opener blocked in open(2) on a FIFO)")
    func fifoIsSkipped() async throws {
        let (fixture, whole) = try Self.flacHalves()
        let first = try fixture.uid("a.flac"), second = try fixture.uid("b.flac")
        try FileManager.default.removeItem(atPath: fixture.music + "/a.flac")
        #expect(mkfifo(fixture.music + "/a.flac", 0o644) == 0)
        let player = fixture.makePlayer()
        try player.enqueue([first, second])
        try player.play()
        try await fixture.wait(player, timeout: 20) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        #expect(try fixture.capture() == Array(whole[(splitSample * 4)...]))
    }
}

/// Frames written while paused.
final class PausedWrites: Sendable {
    private let state = Mutex<(counting: Bool, frames: Int)>((false, 0))
    func start() { state.withLock { $0.counting = true } }
    func wrote(_ frames: Int) { state.withLock { if $0.counting { $0.frames += frames } } }
    func stop() -> Int { state.withLock { $0.counting = false; return $0.frames } }
}

@Suite("ReplayGain and conversion")
struct ReplayGainAndConversionTests {
    @Test("Given a track tagged -6.02 dB, when ReplayGain is track, then the samples are halved; when off, untouched")
    func replayGainTrack() async throws {
        let fixture = try PlayerFixture("replaygain", files: [
            ("rg.flac", signalSource + ["-c:a", "flac", "-sample_fmt", "s16", "-metadata", "REPLAYGAIN_TRACK_GAIN=-6.0206 dB",
                                        "-metadata", "REPLAYGAIN_TRACK_PEAK=0.5"]),
        ])
        let whole = fixture.dir.appending("whole.raw")
        try Shell.ffmpeg(signalSource + ["-f", "s16le", "-c:a", "pcm_s16le", whole])
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: whole)))
        let uid = try fixture.uid("rg.flac")
        #expect(try fixture.library.track(uid: uid)?.replayGain?.trackGain != nil)
        for mode in [ReplayGainMode.track, .off] {
            let capture = fixture.dir.appending("capture/\(mode).raw")
            let player = fixture.makePlayer(capture: capture, replayGain: mode)
            // The second player finds the first one's queue in the library: replace it.
            try player.enqueue([uid], replace: true)
            try player.play()
            try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
            await player.shutdown()
            let played = try fixture.capture(capture)
            try #require(played.count == original.count, "\(mode) \(player.status().output) \(player.status().queue.count)")
            if mode == .off {
                #expect(played == original)
            } else {
                let worst = stride(from: 0, to: played.count, by: 2).map { i -> Int in
                    let p = Int(Int16(bitPattern: UInt16(played[i]) | UInt16(played[i + 1]) << 8))
                    let o = Int(Int16(bitPattern: UInt16(original[i]) | UInt16(original[i + 1]) << 8))
                    return abs(p - o / 2)
                }.max() ?? 0
                #expect(worst <= 1)
            }
        }
    }

    @Test("Given 1 s of 44.1 kHz 16-bit stereo, when converted for a 48 kHz float mono device, then about 48000 frames come out")
    func converterResamples() throws {
        let converter = try PCMConverter(from: PCMFormat(sampleRate: 44_100, channels: 2, sample: .s16),
                                      to: PCMFormat(sampleRate: 48_000, channels: 1, sample: .float32))
        let input = (0..<44_100).flatMap { i -> [Int16] in
            let v = Int16(10_000 * sin(Double(i) * 2 * .pi * 440 / 44_100))
            return [v, v]
        }
        var out: [UInt8] = []
        input.withUnsafeBytes { _ = converter.convert(interleaved: $0, appendingTo: &out) }
        converter.flush(appendingTo: &out)
        let frames = out.count / 4
        #expect(abs(frames - 48_000) <= 64)
        let peak = out.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }.map(abs).max() ?? 0
        #expect(peak > 0.25 && peak < 0.5)
    }
}
