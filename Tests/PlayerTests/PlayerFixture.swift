import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import Synchronization
import TestSupport
@testable import Player

/// A library scanned from audio files made with ffmpeg, and an ALSA `file` plugin over `null`
/// that captures exactly the frames the player writes (format `raw`), faster than real time.
final class PlayerFixture: Sendable {
    let dir: TemporaryDirectory
    let music: String
    let databasePath: String
    let capturePath: String
    let library: Library

    /// - Parameter files: name → ffmpeg arguments producing it (the output path is appended).
    init(_ label: String = "player", files: [(name: String, arguments: [String])]) throws {
        dir = try TemporaryDirectory(label)
        music = dir.appending("Music")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        for file in files {
            try Shell.ffmpeg(file.arguments + [music + "/" + file.name])
        }
        databasePath = dir.appending("library.sqlite")
        capturePath = dir.appending("capture/out.raw")
        try FileManager.default.createDirectory(atPath: dir.appending("capture"), withIntermediateDirectories: true)
        library = try Library(path: databasePath)
        let indexer = Indexer(library: library, artwork: ArtworkCache(directory: dir.appending("artwork")),
                              logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        _ = try indexer.scan(roots: [RawPath(music)])
    }

    /// An ALSA configuration defining the device `device`: a `file` plugin writing raw frames
    /// to `path` over a `null` slave.
    static func alsaConfiguration(capturingTo path: String, device: String = "capture") -> String {
        """
        pcm.\(device) {
            type file
            slave.pcm { type null }
            file "\(path)"
            format "raw"
        }
        """
    }

    /// The uid of the track whose file is `name`.
    func uid(_ name: String) throws -> TrackUID {
        let results = try library.search(SearchQuery(text: "", limit: 1000))
        guard let track = results.tracks.first(where: { $0.fileName == name }) else {
            throw Shell.Failure(command: "lookup \(name)", status: 1, stderr: "not in the library")
        }
        return track.uid
    }

    /// A started player on the device `capture`, defined by `alsaConfiguration` (by default a
    /// capture to `capture`, else to `capturePath`).
    func makePlayer(volume: Int? = nil, capture: String? = nil, alsaConfiguration: String? = nil, replayGain: ReplayGainMode = .off,
                    events: EventRecorder = EventRecorder(), onWrite: (@Sendable (Int, QueueEntryID) -> Void)? = nil) -> Player {
        let configuration = PlayerConfiguration(
            output: "capture", alsaConfiguration: alsaConfiguration ?? Self.alsaConfiguration(capturingTo: capture ?? capturePath),
            replayGain: replayGain, onWrite: onWrite)
        let player = Player(library: library, configuration: configuration,
                            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, publish: events.append)
        if let volume { player.setVolume(volume) }
        player.start()
        return player
    }

    /// Waits until the player's state satisfies `condition` (polling; the output thread is
    /// not paced by the null device, so this is quick). Throws after `timeout` seconds.
    func wait(_ player: Player, timeout: Double = 30, _ condition: (PlayerStatus) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(player.status()) {
            if Date() > deadline {
                throw Shell.Failure(command: "wait", status: 1, stderr: "player state never matched: \(player.status())")
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    func capture(_ path: String? = nil) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path ?? capturePath)))
    }
}

/// Events the player published (any thread).
final class EventRecorder: Sendable {
    private let events = Mutex<[LibraryEvent]>([])
    @Sendable func append(_ event: LibraryEvent) { events.withLock { $0.append(event) } }
    var all: [LibraryEvent] { events.withLock { $0 } }
}

/// Lets a write callback reach the player it was created before.
final class PlayerBox: Sendable {
    private let value = Mutex<Player?>(nil)
    private let counters = Mutex<(writes: Int, frames: Int)>((0, 0))
    func set(_ player: Player) { value.withLock { $0 = player } }
    var player: Player? { value.withLock { $0 } }
    /// Counts a write; returns the number of writes so far.
    func count(_ frames: Int) -> Int { counters.withLock { $0.writes += 1; $0.frames += frames; return $0.writes } }
    var frames: Int { counters.withLock { $0.frames } }
}

/// The continuous test signal: two tones (one sweeping), 44.1 kHz stereo.
let signalSource = ["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(220+200*t)*t)|0.4*sin(2*PI*330*t+1):s=44100:d=3"]
/// Where the first half ends, in samples: not a multiple of any codec's frame size.
let splitSample = 70_001
