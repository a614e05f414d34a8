/// What the player is doing, as every client sees it (`GET /api/player`, `LibraryEvent.player`).
///
/// A plain value produced by the `Player` module and rendered by the web layer (which adds the
/// tracks' metadata from the library). Positions are in milliseconds.
public struct PlayerStatus: Sendable, Equatable, Codable {
    /// `playing`, `paused` or `stopped`.
    public var state: PlaybackState
    /// The queue, in order.
    public var queue: [QueueEntry]
    /// The index in `queue` of the current track, if any.
    public var currentIndex: Int?
    /// Where the current track is, in milliseconds.
    public var positionMs: Int
    /// The current track's length in milliseconds (nil when unknown or no track).
    public var durationMs: Int?
    /// Software volume, 0...100 (100 leaves samples untouched).
    public var volume: Int
    public var repeatMode: RepeatMode
    public var shuffle: Bool
    public var consume: Bool
    /// The device and the format it was opened with (nil while it is closed).
    public var output: OutputDescription
    /// The last playback error ("the device ... is busy"), cleared by the next successful start.
    public var error: String?
    /// Device underruns recovered since the daemon started.
    public var underruns: Int

    public init(state: PlaybackState = .stopped, queue: [QueueEntry] = [], currentIndex: Int? = nil, positionMs: Int = 0,
                durationMs: Int? = nil, volume: Int = 100, repeatMode: RepeatMode = .off, shuffle: Bool = false,
                consume: Bool = false, output: OutputDescription = OutputDescription(device: "default"), error: String? = nil,
                underruns: Int = 0) {
        self.state = state
        self.queue = queue
        self.currentIndex = currentIndex
        self.positionMs = positionMs
        self.durationMs = durationMs
        self.volume = volume
        self.repeatMode = repeatMode
        self.shuffle = shuffle
        self.consume = consume
        self.output = output
        self.error = error
        self.underruns = underruns
    }

    /// The current entry, if any.
    public var current: QueueEntry? {
        guard let currentIndex, queue.indices.contains(currentIndex) else { return nil }
        return queue[currentIndex]
    }
}

/// Whether the player is playing.
public enum PlaybackState: String, Sendable, Codable, CaseIterable {
    case playing, paused, stopped
}

/// What happens at the end of the queue or of a track.
public enum RepeatMode: String, Sendable, Codable, CaseIterable {
    /// Stop after the last track.
    case off
    /// Start the queue again after the last track.
    case all
    /// Play the current track again and again.
    case one
}

/// One queue position: a stable entry id (the same track may be queued twice) and the track.
public struct QueueEntry: Sendable, Equatable, Codable, Hashable {
    /// Unique within the queue, kept across restarts.
    public var id: Int64
    public var uid: TrackUID

    public init(id: Int64, uid: TrackUID) {
        self.id = id
        self.uid = uid
    }
}

/// The output device and, while it is open, the format negotiated with it.
public struct OutputDescription: Sendable, Equatable, Codable {
    /// The ALSA device name ("default", "hw:0", ...).
    public var device: String
    public var sampleRate: Int?
    public var channels: Int?
    /// The ALSA sample format name ("S16_LE", "S32_LE", "FLOAT_LE").
    public var format: String?

    public init(device: String, sampleRate: Int? = nil, channels: Int? = nil, format: String? = nil) {
        self.device = device
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
    }
}

/// What to fill the queue with.
public enum QueueSource: Sendable, Equatable {
    case tracks([TrackUID])
    case playlist(String)
    case album(Int64)
    case savedSearch(String)
    /// A search's results, as `GET /api/search?q=` ranks them.
    case search(String)
}

/// One thing a client asks of the player (the API's `POST /api/player/...` routes).
public enum PlayerCommand: Sendable, Equatable {
    /// Adds the source's tracks before `index` (at the end when nil), or replaces the queue;
    /// `play` then starts the first added track.
    case enqueue(QueueSource, replace: Bool, index: Int?, play: Bool)
    /// Plays the entry at `index`, or resumes.
    case play(index: Int?)
    case pause
    case stop
    case next
    case previous
    case seek(positionMs: Int)
    case volume(percent: Int)
    case remove(index: Int)
    case move(from: Int, to: Int)
    case clear
    case modes(repeatMode: RepeatMode?, shuffle: Bool?, consume: Bool?)
    /// Plays through another ALSA device from now on (`OutputDescription.isValidDevice`).
    case output(device: String)
}

extension OutputDescription {
    /// A device name a client may choose: 1 to 200 characters (Unicode scalars), no control
    /// characters (C0, DEL, C1). ALSA decides whether it exists.
    public static func isValidDevice(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return (1...200).contains(scalars.count) && !scalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}

/// One ALSA playback device a client may choose (`GET /api/player/outputs`).
public struct OutputChoice: Sendable, Equatable, Codable {
    /// The PCM name to pass to `PlayerCommand.output` ("default", "hw:CARD=PCH,DEV=0", ...).
    public var name: String
    /// ALSA's description (one line), or a short note.
    public var description: String

    public init(name: String, description: String) {
        self.name = name
        self.description = description
    }
}

/// The devices ALSA knows and the one the player uses (`GET /api/player/outputs`).
public struct OutputList: Sendable, Equatable, Codable {
    public var outputs: [OutputChoice]
    /// The device the player plays through (or will, at the next play).
    public var current: String

    public init(outputs: [OutputChoice], current: String) {
        self.outputs = outputs
        self.current = current
    }
}

/// A play planned for later: at `at`, the queue is replaced with a playlist or a saved search's
/// tracks and playback starts (an alarm, a shop's opening playlist). Fires once.
public struct PlayerSchedule: Sendable, Equatable, Codable {
    public var id: String
    /// Seconds since 1970.
    public var at: Double
    /// Exactly one of these is set.
    public var playlist: String?
    public var savedSearch: String?

    public init(id: String, at: Double, playlist: String? = nil, savedSearch: String? = nil) {
        self.id = id
        self.at = at
        self.playlist = playlist
        self.savedSearch = savedSearch
    }

    /// What to play.
    public var source: QueueSource? {
        if let playlist { return .playlist(playlist) }
        if let savedSearch { return .savedSearch(savedSearch) }
        return nil
    }
}
