import Foundation
import Synchronization

/// What the door keeps that the library does not: who is playing what now (in memory, as
/// Subsonic servers do), and the play queue and bookmarks clients save
/// (`<data>/subsonic/state.json`, written whole and renamed into place).
///
/// The play queue and bookmarks are this device's: they are not operations of the one write
/// path, so they do not sync (decision 0026). Any thread.
final class DoorState: Sendable {
    let path: String
    private let nowPlaying = Mutex<[String: NowPlaying]>([:])
    private let saved: Mutex<Saved>

    /// A client's "now playing" scrobble.
    struct NowPlaying: Sendable {
        var songID: String
        var client: String
        var since: Date
    }

    struct Saved: Codable, Sendable {
        var playQueue: PlayQueue?
        var bookmarks: [String: Bookmark] = [:]
    }

    struct PlayQueue: Codable, Sendable {
        var ids: [String]
        var current: String?
        var positionMs: Int
        var changed: Double
        var changedBy: String
    }

    struct Bookmark: Codable, Sendable {
        var positionMs: Int
        var comment: String?
        var created: Double
        var changed: Double
    }

    init(folder: String) {
        path = folder + "/state.json"
        let loaded = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Saved.self, from: $0) }
        saved = Mutex(loaded ?? Saved())
    }

    func setNowPlaying(songID: String, client: String, at date: Date) {
        nowPlaying.withLock { $0[client] = NowPlaying(songID: songID, client: client, since: date) }
    }

    /// Clients' now-playing entries of the last hour, newest first.
    func nowPlayingEntries(now: Date = Date()) -> [NowPlaying] {
        nowPlaying.withLock { table in
            table = table.filter { now.timeIntervalSince($0.value.since) < 3600 }
            return table.values.sorted { $0.since > $1.since }
        }
    }

    var playQueue: PlayQueue? { saved.withLock { $0.playQueue } }
    var bookmarks: [String: Bookmark] { saved.withLock { $0.bookmarks } }

    func update(_ change: (inout Saved) -> Void) throws(SubsonicError) {
        let snapshot = saved.withLock { value -> Saved in
            change(&value)
            return value
        }
        do {
            let data = try JSONEncoder().encode(snapshot)
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try CredentialFile(data: (folder as NSString).deletingLastPathComponent).writePrivate([UInt8](data), to: path)
        } catch {
            throw SubsonicError(.generic, "cannot save: \(error)")
        }
    }
}
