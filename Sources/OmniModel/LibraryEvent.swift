/// Something that changed in the daemon, for live clients (`GET /api/events`, Server-Sent Events).
///
/// Producers (the scan service, the one write path for user changes, later the player and the
/// sync client) publish these values; the web layer fans them out. Encoded as JSON with a
/// `type` discriminator so a browser can `switch` on it.
public enum LibraryEvent: Sendable, Equatable, Codable {
    /// Scan progress: phase ("walking", "probing", "finishing", "idle"), files done and to do,
    /// files per second.
    case scan(phase: String, done: Int, total: Int, rate: Double)
    /// A scan finished: what it changed.
    case scanFinished(added: Int, updated: Int, moved: Int, removed: Int, failed: Int, seconds: Double)
    /// Tracks whose data (tags, overrides, user state) changed, by uid.
    case tracksChanged(uids: [TrackUID])
    /// Tracks that left the library.
    case tracksRemoved(uids: [TrackUID])
    /// A playlist was created, renamed, reordered or had items added or removed.
    case playlistChanged(id: String)
    /// A playlist was deleted.
    case playlistDeleted(id: String)
    /// A saved search was created, changed or deleted.
    case savedSearchesChanged
    /// A schedule was created, changed, deleted or ran (here or on another device).
    case schedulesChanged
    /// The sync client's state changed (connected, last sync, pending operations, error).
    case sync(SyncState)
    /// The player's state changed (play, pause, stop, a new track, a queue edit, an error):
    /// clients read `GET /api/player` for the whole picture.
    case player(state: PlaybackState, index: Int?, uid: TrackUID?, positionMs: Int, error: String?)
    /// Background analysis progress (at most once a second, and when a pass ends): tracks with
    /// a current analysis, waiting, failed; tracks per second (decision 0031).
    case analysis(done: Int, queued: Int, failed: Int, rate: Double)
    /// The server player's radio started, stopped or added tracks (decision 0035).
    case radio(RadioState)
    /// An album or an artist was starred or unstarred (here, by another front door, or on
    /// another device): `kind` is `album` or `artist`, `key` its library key (the one the
    /// `albumFavorite`/`artistFavorite` operation names).
    case favoritesChanged(kind: String, key: String)

    /// The SSE `event:` name of this event.
    public var name: String {
        switch self {
        case .scan: "scan"
        case .scanFinished: "scanFinished"
        case .tracksChanged: "tracksChanged"
        case .tracksRemoved: "tracksRemoved"
        case .playlistChanged: "playlistChanged"
        case .playlistDeleted: "playlistDeleted"
        case .savedSearchesChanged: "savedSearchesChanged"
        case .schedulesChanged: "schedulesChanged"
        case .sync: "sync"
        case .player: "player"
        case .analysis: "analysis"
        case .radio: "radio"
        case .favoritesChanged: "favoritesChanged"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case type, phase, done, total, rate, added, updated, moved, removed, failed, seconds, uids, id
        case error, state, index, uid, positionMs, queued, kind, key
    }

    /// Decodes the flat form written by `encode(to:)`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "scan":
            self = .scan(phase: try c.decode(String.self, forKey: .phase), done: try c.decode(Int.self, forKey: .done),
                         total: try c.decode(Int.self, forKey: .total), rate: try c.decode(Double.self, forKey: .rate))
        case "scanFinished":
            self = .scanFinished(added: try c.decode(Int.self, forKey: .added), updated: try c.decode(Int.self, forKey: .updated),
                                 moved: try c.decode(Int.self, forKey: .moved), removed: try c.decode(Int.self, forKey: .removed),
                                 failed: try c.decode(Int.self, forKey: .failed), seconds: try c.decode(Double.self, forKey: .seconds))
        case "tracksChanged": self = .tracksChanged(uids: try c.decode([TrackUID].self, forKey: .uids))
        case "tracksRemoved": self = .tracksRemoved(uids: try c.decode([TrackUID].self, forKey: .uids))
        case "playlistChanged": self = .playlistChanged(id: try c.decode(String.self, forKey: .id))
        case "playlistDeleted": self = .playlistDeleted(id: try c.decode(String.self, forKey: .id))
        case "savedSearchesChanged": self = .savedSearchesChanged
        case "schedulesChanged": self = .schedulesChanged
        case "sync": self = .sync(try SyncState(from: decoder))
        case "radio": self = .radio(try RadioState(from: decoder))
        case "favoritesChanged":
            self = .favoritesChanged(kind: try c.decode(String.self, forKey: .kind), key: try c.decode(String.self, forKey: .key))
        case "analysis":
            self = .analysis(done: try c.decode(Int.self, forKey: .done), queued: try c.decode(Int.self, forKey: .queued),
                             failed: try c.decode(Int.self, forKey: .failed), rate: try c.decode(Double.self, forKey: .rate))
        case "player":
            self = .player(state: try c.decode(PlaybackState.self, forKey: .state), index: try c.decodeIfPresent(Int.self, forKey: .index),
                           uid: try c.decodeIfPresent(TrackUID.self, forKey: .uid), positionMs: try c.decode(Int.self, forKey: .positionMs),
                           error: try c.decodeIfPresent(String.self, forKey: .error))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type \(other)")
        }
    }

    /// Encodes as one flat object with a `type` field: `{"type":"tracksChanged","uids":[...]}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .type)
        switch self {
        case let .scan(phase, done, total, rate):
            try c.encode(phase, forKey: .phase)
            try c.encode(done, forKey: .done)
            try c.encode(total, forKey: .total)
            try c.encode(rate, forKey: .rate)
        case let .scanFinished(added, updated, moved, removed, failed, seconds):
            try c.encode(added, forKey: .added)
            try c.encode(updated, forKey: .updated)
            try c.encode(moved, forKey: .moved)
            try c.encode(removed, forKey: .removed)
            try c.encode(failed, forKey: .failed)
            try c.encode(seconds, forKey: .seconds)
        case let .tracksChanged(uids), let .tracksRemoved(uids):
            try c.encode(uids, forKey: .uids)
        case let .playlistChanged(id), let .playlistDeleted(id):
            try c.encode(id, forKey: .id)
        case .savedSearchesChanged, .schedulesChanged:
            break
        case let .sync(state):
            // Flat, like the other events: {"type":"sync","enabled":true,"connected":...}.
            try state.encode(to: encoder)
        case let .radio(state):
            // Flat too: {"type":"radio","active":true,"seed":...,"window":50,"added":6}.
            try state.encode(to: encoder)
        case let .analysis(done, queued, failed, rate):
            try c.encode(done, forKey: .done)
            try c.encode(queued, forKey: .queued)
            try c.encode(failed, forKey: .failed)
            try c.encode(rate, forKey: .rate)
        case let .favoritesChanged(kind, key):
            try c.encode(kind, forKey: .kind)
            try c.encode(key, forKey: .key)
        case let .player(state, index, uid, positionMs, error):
            try c.encode(state, forKey: .state)
            try c.encode(index, forKey: .index)
            try c.encode(uid, forKey: .uid)
            try c.encode(positionMs, forKey: .positionMs)
            try c.encode(error, forKey: .error)
        }
    }
}
