import Analysis
import Foundation
import Glibc
import Logging
import Synchronization
import Testing
import TestSupport
@testable import Daemon
import LocalStore
import OmniModel
import Player

/// A music folder of generated pieces (FLAC, through the ffmpeg command line).
final class AnalysisFixture: @unchecked Sendable {
    let dir: TemporaryDirectory
    let music: String

    /// `seconds` per piece; the first is longest so a worker thread lives long enough to be seen.
    /// `gain` scales the samples (clipped to full scale): a louder file than the generator makes.
    init(pieces: [SyntheticMusic], gain: Float = 1) throws {
        dir = try TemporaryDirectory("analysis")
        music = dir.appending("Music")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        for (index, piece) in pieces.enumerated() {
            let wav = dir.appending("piece\(index).wav")
            let samples = gain == 1 ? piece.render() : piece.render().map { max(-1, min(1, $0 * gain)) }
            try FloatWAV.write(samples, sampleRate: Int(piece.sampleRate), channels: 2, to: wav)
            try Shell.ffmpeg(["-i", wav, "-metadata", "title=Piece \(index)", "-metadata", "artist=Generator",
                              "-c:a", "flac", "-sample_fmt", "s16", music + "/piece\(index).flac"])
            try FileManager.default.removeItem(atPath: wav)
        }
    }

    func configuration(analysis: Bool = true) -> Configuration {
        var c = Configuration(music: [music], data: dir.appending("data"), cache: dir.appending("data/cache"))
        c.analysis = analysis
        return c
    }

    func open(analysis: Bool = true, events: EventLog) throws -> DaemonContext {
        try DaemonContext.open(configuration(analysis: analysis), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
                               environment: ["XDG_DATA_HOME": dir.appending("xdg")], watch: false) { events.append($0) }
    }
}

/// Waits until `condition` holds (polling; generous for a loaded machine, where idle-priority
/// workers get the CPU last).
func waitUntil(timeout: Double = 120, _ what: String = "", _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        if Date() > deadline {
            Issue.record("timed out waiting: \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Runs the daemon's scan service until its first scan has finished, then stops it (the
/// analysis tests' libraries are scanned once, at normal priority, before what they check).
func scanOnce(_ context: DaemonContext, _ events: EventLog) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await context.scans.run() }
        try await waitUntil("the scan") { events.finished == 1 }
        group.cancelAll()
    }
}

/// The scheduling policy (`/proc/self/task/TID/stat`, field 41) of every thread named `name`.
func schedulingPolicies(ofThreadsNamed name: String) -> [Int] {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
    var policies: [Int] = []
    for task in tasks {
        guard let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
              comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
              let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        // Fields after the name start at field 3 (state); the policy is field 41.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 38, let policy = Int(fields[38]) { policies.append(policy) }
    }
    return policies
}

/// Sets a file's mtime (and atime) to exact nanoseconds.
func setModificationTime(_ path: String, _ time: timespec) {
    var times = [time, time]
    _ = utimensat(AT_FDCWD, path, &times, 0)
}

@Suite("Background analysis")
struct AnalysisServiceTests {
    @Test("""
        a scanned library is analysed by idle-priority workers; the queue survives a restart, a rename \
        and an unchanged unreadable file are not analysed again, a changed one is, and a new analyzer version re-runs all
        """)
    func queueLifecycle() async throws {
        let f = try AnalysisFixture(pieces: [
            SyntheticMusic(bpm: 120, tonic: 9, minor: true, seconds: 20, seed: 11),
            SyntheticMusic(bpm: 128, tonic: 0, minor: false, seconds: 8, seed: 12),
            SyntheticMusic(bpm: 100, tonic: 7, minor: false, seconds: 8, seed: 13),
        ])
        let broken = f.music + "/piece2.flac"
        let original = try Data(contentsOf: URL(fileURLWithPath: broken))

        // Scan with analysis off; then the third file's bytes become noise of the same size and
        // mtime. The daemons below run no scan until the file is repaired, so the library still
        // holds the track, and decoding it fails.
        let events = EventLog()
        do {
            let context = try f.open(analysis: false, events: events)
            #expect(context.analysis == nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await context.scans.run() }
                try await waitUntil("the first scan") { events.finished == 1 }
                group.cancelAll()
            }
            #expect(try context.library.trackCount() == 3)
        }
        var info = stat()
        #expect(stat(broken, &info) == 0)
        try Data(repeating: 0x55, count: original.count).write(to: URL(fileURLWithPath: broken))
        setModificationTime(broken, info.st_mtim)

        // Analysis on: two tracks done, one failed with its reason; the workers run at SCHED_IDLE.
        let uids: [TrackUID]
        do {
            let context = try f.open(events: events)
            let analysis = try #require(context.analysis)
            let seen = Mutex<[Int]>([])
            let watching = Mutex(true)
            let watcher = Thread {
                while watching.withLock({ $0 }) {
                    let policies = schedulingPolicies(ofThreadsNamed: AnalysisService.threadName)
                    if !policies.isEmpty { seen.withLock { $0 += policies } }
                    usleep(1000)
                }
            }
            watcher.start()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await analysis.run() }
                try await waitUntil("the first analysis") {
                    let s = analysis.status()
                    return s.passes >= 1 && s.done == 2 && s.failed == 1 && s.queued == 0 && !s.running
                }
                group.cancelAll()
            }
            watching.withLock { $0 = false }
            let policies = seen.withLock { $0 }
            #expect(!policies.isEmpty, "an analysis worker thread was seen")
            #expect(policies.allSatisfy { $0 == Int(AnalysisService.schedIdle) }, "policies seen: \(Set(policies))")
            #expect(analysis.status().analysedSinceStart == 3)
            #expect(events.all.contains { if case .analysis(done: 2, queued: 0, failed: 1, _) = $0 { true } else { false } })

            uids = try ["piece0", "piece1", "piece2"].map { name in
                try #require(try context.library.files(named: RawPath(name + ".flac")).first?.trackUID)
            }
            let first = try #require(try context.library.analysis(of: uids[0]))
            #expect(first.status == .done && first.analyzerVersion == TrackAnalyzer.version)
            #expect(abs((first.bpm ?? 0) - 120) < 0.5, "bpm \(String(describing: first.bpm))")
            #expect(first.camelot == "8A")
            #expect(first.loudnessLufs != nil && first.replayGainDb != nil && !first.gatingBlocks.isEmpty)
            #expect(first.fingerprint != nil && first.rawFingerprint.count > 100)
            #expect(first.features.count == FeatureVector.names.count)
            let failed = try #require(try context.library.analysis(of: uids[2]))
            #expect(failed.status == .failed && !(failed.reason ?? "").isEmpty)
        }

        // A restart: nothing is analysed again; then a rename and the repaired file reach the
        // library through a scan, and only the repaired file is analysed.
        do {
            let context = try f.open(events: events)
            let analysis = try #require(context.analysis)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await analysis.run() }
                try await waitUntil("the restart's pass") { analysis.status().passes >= 1 }
                var s = analysis.status()
                #expect(s.analysedSinceStart == 0)
                #expect(s.done == 2 && s.failed == 1 && s.queued == 0)

                try FileManager.default.moveItem(atPath: f.music + "/piece0.flac", toPath: f.music + "/renamed.flac")
                try original.write(to: URL(fileURLWithPath: broken))
                group.addTask { try await context.scans.run() }
                try await waitUntil("the scan and the repaired file's analysis") {
                    let s = analysis.status()
                    return events.finished == 2 && s.done == 3 && !s.running && s.passes >= 2
                }
                #expect(try context.library.files(named: RawPath("renamed.flac")).first?.trackUID == uids[0])
                s = analysis.status()
                #expect(s.failed == 0 && s.queued == 0 && s.analysedSinceStart == 1)
                #expect(try context.library.analysis(of: uids[2])?.status == .done)
                group.cancelAll()
            }

                // A new analyzer version queues every track again (done and failed alike).
            let next = TrackAnalyzer.version + 1
            #expect(try context.library.pendingAnalysis(version: next).map(\.uid).sorted { $0.rawValue < $1.rawValue }
                    == uids.sorted { $0.rawValue < $1.rawValue })
            #expect(try context.library.analysisCounts(version: next) == AnalysisCounts(done: 0, queued: 3, failed: 0))
            #expect(try context.library.pendingAnalysis(version: TrackAnalyzer.version).isEmpty)
        }
    }

    @Test("the same generated piece as FLAC, MP3 and Opus is one duplicate group; a different piece is in none")
    func duplicates() async throws {
        let f = try AnalysisFixture(pieces: [
            SyntheticMusic(bpm: 124, tonic: 4, minor: true, seconds: 14, seed: 21),
            // Another key and tempo (pieces of the generator in one key and tempo share their
            // chords and drums, and sound alike to Chromaprint too).
            SyntheticMusic(bpm: 100, tonic: 7, minor: false, seconds: 14, seed: 22),
        ])
        let source = f.music + "/piece0.flac"
        try Shell.ffmpeg(["-i", source, "-c:a", "libmp3lame", "-b:a", "128k", f.music + "/copy.mp3"])
        try Shell.ffmpeg(["-i", source, "-c:a", "libopus", "-b:a", "64k", f.music + "/copy.opus"])
        let events = EventLog()
        let context = try f.open(events: events)
        let analysis = try #require(context.analysis)
        #expect(try await analysis.duplicates() == nil, "nothing analysed: not available")
        try await scanOnce(context, events)
        // Analysed here, at normal priority (the queue's own test covers the idle workers,
        // which on a loaded machine take their time): the same function, the same rows.
        let work = try context.library.pendingAnalysis(version: TrackAnalyzer.version)
        #expect(work.count == 4)
        // On a thread of its own: CPU-heavy work on the cooperative pool starves the tests that
        // run beside this one (TestSupport's OffPool says how).
        let results = try await onOwnThread { try work.map { try FileAnalysis.analyze($0.path) } }
        for (item, result) in zip(work, results) {
            try context.library.recordAnalysis(StoredAnalysis(item, analysis: try #require(result), seconds: 0))
        }
        let uid = { (name: String) throws -> TrackUID in
            try #require(try context.library.files(named: RawPath(name)).first?.trackUID)
        }
        let same = Set(try ["piece0.flac", "copy.mp3", "copy.opus"].map(uid))
        #expect(same.count == 3)
        let groups = try #require(try await analysis.duplicates())
        #expect(groups.count == 1)
        #expect(Set(groups.first?.map(\.uid) ?? []) == same)
        #expect(groups.first?.allSatisfy { $0.similarity >= DuplicateFinder.threshold } == true)
        #expect(!groups.joined().contains { $0.uid == (try? uid("piece1.flac")) })
    }

    @Test("with ReplayGain on, the real player attenuates a file without gain tags by its analysed gain; off, it plays it untouched")
    func replayGainFallback() async throws {
        let f = try AnalysisFixture(pieces: [SyntheticMusic(bpm: 120, tonic: 2, minor: true, seconds: 8, seed: 31)], gain: 4)
        let events = EventLog()
        let context = try f.open(analysis: false, events: events)
        try await scanOnce(context, events)
        let library = context.library
        let item = try #require(try library.pendingAnalysis(version: TrackAnalyzer.version).first)
        #expect(try library.track(uid: item.uid)?.replayGain == nil, "the file has no gain tags")
        let result = try #require(try FileAnalysis.analyze(item.path))
        try library.recordAnalysis(StoredAnalysis(item, analysis: result, seconds: 0))
        let gainDB = try #require(result.loudness.replayGainDB)
        let peak = pow(10, try #require(result.loudness.truePeakDBTP) / 20)
        let expected = min(pow(10, gainDB / 20), 1 / peak)
        try #require(expected < 0.9, "the generated piece is loud enough to be turned down (gain \(gainDB) dB)")

        let reference = f.dir.appending("reference.raw")
        try Shell.ffmpeg(["-i", item.path.displayString, "-f", "s16le", "-c:a", "pcm_s16le", reference])
        let original = Self.samples(try Data(contentsOf: URL(fileURLWithPath: reference)))
        for mode in [ReplayGainMode.track, .off] {
            let capture = f.dir.appending("capture-\(mode).raw")
            let alsa = """
                pcm.capture {
                    type file
                    slave.pcm { type null }
                    file "\(capture)"
                    format "raw"
                }
                """
            let player = Player(library: library,
                                configuration: PlayerConfiguration(output: "capture", alsaConfiguration: alsa, replayGain: mode,
                                                                   analysedGain: AnalysedGain.lookup(library)),
                                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, publish: { _ in })
            player.start()
            try player.enqueue([item.uid], replace: true)
            try player.play()
            try await waitUntil(timeout: 60, "playback (\(mode))") { player.status().state == .stopped && player.status().currentIndex == nil }
            await player.shutdown()
            let played = Self.samples(try Data(contentsOf: URL(fileURLWithPath: capture)))
            try #require(played.count == original.count)
            if mode == .off {
                #expect(played == original)
            } else {
                // Least-squares factor between what was played and the file's samples.
                var cross = 0.0, energy = 0.0
                for i in 0..<played.count { cross += Double(played[i]) * Double(original[i]); energy += Double(original[i]) * Double(original[i]) }
                #expect(abs(cross / energy - expected) < 0.005, "factor \(cross / energy), expected \(expected)")
            }
        }
    }

    static func samples(_ data: Data) -> [Int16] {
        data.withUnsafeBytes { raw in (0..<(raw.count / 2)).map { Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self)) } }
    }

    @Test("analysis = false in the config file, OMNISONIC_ANALYSIS=0 and --no-analysis switch it off; anything else is refused")
    func configuration() throws {
        let env = ConfigurationEnvironment(variables: ["HOME": "/home/u"], workingDirectory: "/w")
        #expect(try Configuration.resolve([], environment: env).analysis)
        let file = try ConfigurationFile.parse("analysis = false\n", path: "/home/u/.config/omnisonic/config.toml")
        #expect(try !Configuration.resolve([file], environment: env).analysis)
        let environment = ConfigurationLayer.environment(["OMNISONIC_ANALYSIS": "0"], workingDirectory: "/w")
        #expect(try !Configuration.resolve([environment], environment: env).analysis)
        var flags = ConfigurationLayer(name: "command line")
        flags.set(.analysis, ["false"], origin: "--no-analysis")
        #expect(try !Configuration.resolve([flags, file], environment: env).analysis)
        let on = ConfigurationLayer.environment(["OMNISONIC_ANALYSIS": "1"], workingDirectory: "/w")
        #expect(try Configuration.resolve([on, file], environment: env).analysis)
        #expect(throws: ConfigurationError.self) {
            try Configuration.resolve([ConfigurationLayer.environment(["OMNISONIC_ANALYSIS": "maybe"], workingDirectory: "/w")], environment: env)
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationFile.parse("analysis = \"no\"\n", path: "/c.toml") }
    }
}
