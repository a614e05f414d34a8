import Foundation

/// A schedule the user set: what to do (play a playlist, a saved search or an album, or stop
/// playback), when (a local wall-clock time, once or recurring, in a named time zone), and on
/// which device it fires. User data: it travels as `schedule.save` operations (LWW of the whole
/// definition, decision 0028) and syncs to every device of the user, but only `device` fires it.
///
/// A plain value; the rules that turn it into instants are `ScheduleRule`.
public struct ScheduleDefinition: Sendable, Equatable, Hashable, Codable {
    /// What the schedule does when it fires.
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// Replaces the player's queue with the source's tracks and plays.
        case play
        /// Stops playback ("stop playback at", a sleep timer).
        case stop
    }

    /// How the schedule repeats.
    public enum Repeat: String, Sendable, Codable, CaseIterable {
        /// Once, on `date`.
        case once
        /// Every day.
        case daily
        /// On the ISO weekdays in `days` (1 = Monday ... 7 = Sunday).
        case weekdays
        /// Once a week, on the one weekday in `days`.
        case weekly
    }

    /// What a `play` schedule plays.
    public enum SourceKind: String, Sendable, Codable, CaseIterable {
        case playlist, savedSearch, album
    }

    /// A name for people ("Wake up"); may be empty.
    public var name: String
    public var action: Action
    /// For `play`: the kind and id of what to play (nil for `stop`).
    public var sourceKind: SourceKind?
    public var sourceId: String?
    /// Local wall-clock time "HH:MM" (24-hour) in `timeZone`.
    public var time: String
    public var repeats: Repeat
    /// For `once`: the local date "YYYY-MM-DD".
    public var date: String?
    /// For `weekdays` and `weekly`: ISO weekdays, 1 = Monday ... 7 = Sunday.
    public var days: [Int]
    /// An IANA time zone name ("Europe/Berlin"): times stay on the wall clock across DST.
    public var timeZone: String
    /// For `play`: raise the volume from 0 to the player's volume over this many minutes (0: none).
    public var fadeInMinutes: Int
    /// For `play`: stop playback this many minutes after it started (0: never; a sleep timer).
    public var stopAfterMinutes: Int
    /// A run found late (the daemon was not running, the machine slept) still fires when it is at
    /// most this many minutes late; older ones are recorded as missed.
    public var graceMinutes: Int
    /// True while paused: it neither fires nor counts as missed.
    public var paused: Bool
    /// The device id that fires it (`Library.deviceID()` of the device where it was made, or one
    /// the user picked). Other devices only show it.
    public var device: String
    /// Occurrences at or before this instant (ms since 1970) are neither fired nor counted as
    /// missed: the daemon sets it, from its scheduler's clock, whenever the schedule is created,
    /// edited or resumed.
    public var since: Int64?

    public init(name: String = "", action: Action = .play, sourceKind: SourceKind? = nil, sourceId: String? = nil,
                time: String, repeats: Repeat = .once, date: String? = nil, days: [Int] = [], timeZone: String,
                fadeInMinutes: Int = 0, stopAfterMinutes: Int = 0, graceMinutes: Int = 15, paused: Bool = false, device: String, since: Int64? = nil) {
        self.name = name
        self.action = action
        self.sourceKind = sourceKind
        self.sourceId = sourceId
        self.time = time
        self.repeats = repeats
        self.date = date
        self.days = days
        self.timeZone = timeZone
        self.fadeInMinutes = fadeInMinutes
        self.stopAfterMinutes = stopAfterMinutes
        self.graceMinutes = graceMinutes
        self.paused = paused
        self.device = device
        self.since = since
    }

    private enum CodingKeys: String, CodingKey {
        case name, action, sourceKind, sourceId, time, repeats = "repeat", date, days, timeZone
        case fadeInMinutes, stopAfterMinutes, graceMinutes, paused, device, since
    }

    /// Decodes the wire form; optional keys take their defaults (clients may leave them out; an
    /// empty `timeZone` or `device` is filled in by the daemon before it is saved).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        action = try c.decodeIfPresent(Action.self, forKey: .action) ?? .play
        sourceKind = try c.decodeIfPresent(SourceKind.self, forKey: .sourceKind)
        sourceId = try c.decodeIfPresent(String.self, forKey: .sourceId)
        time = try c.decode(String.self, forKey: .time)
        repeats = try c.decodeIfPresent(Repeat.self, forKey: .repeats) ?? .once
        date = try c.decodeIfPresent(String.self, forKey: .date)
        days = try c.decodeIfPresent([Int].self, forKey: .days) ?? []
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? ""
        fadeInMinutes = try c.decodeIfPresent(Int.self, forKey: .fadeInMinutes) ?? 0
        stopAfterMinutes = try c.decodeIfPresent(Int.self, forKey: .stopAfterMinutes) ?? 0
        graceMinutes = try c.decodeIfPresent(Int.self, forKey: .graceMinutes) ?? 15
        paused = try c.decodeIfPresent(Bool.self, forKey: .paused) ?? false
        device = try c.decodeIfPresent(String.self, forKey: .device) ?? ""
        since = try c.decodeIfPresent(Int64.self, forKey: .since)
    }

    /// What to play, as a queue source (nil for `stop`).
    public var source: QueueSource? {
        guard action == .play, let sourceKind, let sourceId else { return nil }
        switch sourceKind {
        case .playlist: return .playlist(sourceId)
        case .savedSearch: return .savedSearch(sourceId)
        case .album: return Int64(sourceId).map { .album($0) }
        }
    }

    /// The structural checks every replica makes (remote operations included): sizes, ranges and
    /// syntax. Whether the time zone is known to this machine's tzdata is checked only for local
    /// changes (replicas with other tzdata must still agree on validity).
    ///
    /// - Returns: nil when valid, else a message for people.
    public func problem() -> String? {
        if name.unicodeScalars.count > 200 || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "a schedule's name is at most 200 characters without control characters"
        }
        switch action {
        case .play:
            guard let sourceKind, let sourceId, !sourceId.isEmpty, sourceId.utf8.count <= 64 else {
                return "a play schedule names a playlist, a saved search or an album"
            }
            if sourceKind == .album, Int64(sourceId) == nil { return "an album id is a whole number" }
        case .stop:
            if sourceKind != nil || sourceId != nil { return "a stop schedule plays nothing" }
        }
        guard ScheduleRule.minutes(of: time) != nil else { return "a time is HH:MM, 00:00 to 23:59" }
        switch repeats {
        case .once:
            guard let date, ScheduleRule.day(of: date) != nil else { return "a one-time schedule has a date YYYY-MM-DD" }
        case .daily:
            break
        case .weekdays:
            if days.isEmpty || days.count > 7 || Set(days).count != days.count || !days.allSatisfy({ (1...7).contains($0) }) {
                return "weekdays are 1 (Monday) to 7 (Sunday), at least one, each once"
            }
        case .weekly:
            if days.count != 1 || !(1...7).contains(days[0]) { return "a weekly schedule has one weekday, 1 (Monday) to 7 (Sunday)" }
        }
        if repeats != .once, date != nil { return "only a one-time schedule has a date" }
        if repeats == .once || repeats == .daily, !days.isEmpty { return "only weekday and weekly schedules have days" }
        let zone = Array(timeZone.utf8)
        if zone.isEmpty || zone.count > 64 || !zone.allSatisfy({ b in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || "/_+-".utf8.contains(b)
        }) {
            return "a time zone is an IANA name such as Europe/Berlin"
        }
        if !(0...120).contains(fadeInMinutes) { return "a fade-in lasts 0 to 120 minutes" }
        if !(0...1440).contains(stopAfterMinutes) { return "stop after 0 to 1,440 minutes" }
        if action == .stop, fadeInMinutes != 0 || stopAfterMinutes != 0 { return "a stop schedule has no fade-in and no stop time" }
        if !(0...1440).contains(graceMinutes) { return "the grace period is 0 to 1,440 minutes" }
        if let since, since < 0 || since > HLCTimestamp.maxWallMs { return "a schedule's start is after 1970" }
        if device.isEmpty || device.utf8.count > 64 { return "a schedule names the device (1 to 64 bytes) that fires it" }
        return nil
    }
}

/// One run of a schedule, as the firing device recorded it (`schedule.run` operations).
public struct ScheduleRunRecord: Sendable, Equatable, Hashable, Codable {
    /// What happened.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// It fired and started (or, for `stop`, stopped playback).
        case played
        /// It fired but could not start; `reason` says why.
        case failed
        /// It came due while the daemon was not running (or asleep) and was later than its grace period.
        case missed
    }

    /// The planned instant of the occurrence, ms since 1970 (with the schedule id and the
    /// device, the run's identity: a run is recorded once).
    public var plannedMs: Int64
    /// When it was handled, ms since 1970.
    public var handledMs: Int64
    public var outcome: Outcome
    /// For `failed`: why, in plain words.
    public var reason: String?

    public init(plannedMs: Int64, handledMs: Int64, outcome: Outcome, reason: String? = nil) {
        self.plannedMs = plannedMs
        self.handledMs = handledMs
        self.outcome = outcome
        self.reason = reason
    }
}

/// One completed play in the play history (`play.listen` operations): when, which track (with
/// the names it had then, so the history outlives the file and imports need no track), how
/// long, and through which client. The device is the operation's.
public struct PlayListen: Sendable, Equatable, Hashable, Codable {
    /// The track, when the library has (or had) it; nil for an imported listen nothing matched.
    public var uid: TrackUID?
    /// When the play completed, ms since 1970.
    public var playedMs: Int64
    /// The track's length in ms (0 when unknown).
    public var durationMs: Int64
    /// Who played it: a `PlayClient` value ("web", "player", "mpd", "subsonic", "import", ...).
    public var client: String
    public var title: String
    public var artist: String?
    public var album: String?
    /// The first genre, for statistics.
    public var genre: String?

    public init(uid: TrackUID?, playedMs: Int64, durationMs: Int64, client: String, title: String,
                artist: String? = nil, album: String? = nil, genre: String? = nil) {
        self.uid = uid
        self.playedMs = playedMs
        self.durationMs = durationMs
        self.client = client
        self.title = title
        self.artist = artist
        self.album = album
        self.genre = genre
    }

    /// The checks every replica makes; nil when valid.
    public func problem() -> String? {
        if let uid, uid.rawValue.isEmpty || uid.rawValue.utf8.count > 64 { return "a track uid is 1 to 64 bytes" }
        if playedMs < 0 || playedMs > HLCTimestamp.maxWallMs { return "a play time is after 1970" }
        if durationMs < 0 || durationMs > 7 * 86_400_000 { return "a play lasts at most a week" }
        if !PlayClient.isValid(client) { return "a client is 1 to 32 lowercase letters, digits or dashes" }
        for (text, required) in [(title, true), (artist ?? "", false), (album ?? "", false), (genre ?? "", false)] {
            if (required && text.isEmpty) || text.unicodeScalars.count > 500 || text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                return "a listen has a title, and names of at most 500 characters without control characters"
            }
        }
        return nil
    }
}

/// The client a play came through, for the play history. Open-ended (a newer device may send a
/// value this one does not know); these are the ones omnisonicd itself uses.
public enum PlayClient {
    /// The web UI's own player (in the browser).
    public static let web = "web"
    /// The daemon's player on this computer's speakers (whatever remote drove it).
    public static let player = "player"
    /// An MPD client playing through the MPD front door's stream (not the server player).
    public static let mpd = "mpd"
    /// An OpenSubsonic client (`scrobble` with `submission=true`).
    public static let subsonic = "subsonic"
    /// The JSON API without a `client` (curl, scripts).
    public static let api = "api"
    /// Imported from a ListenBrainz export.
    public static let listenBrainz = "listenbrainz"

    /// 1 to 32 characters of `a-z`, `0-9` and `-`, starting with a letter.
    public static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...32).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

/// A schedule as the API lists it: the definition's fields, flat, with its id, its next time
/// and whether this device fires it (`GET /api/schedules`).
public struct ScheduleSummary: Sendable, Equatable, Encodable {
    public var id: String
    public var definition: ScheduleDefinition
    /// The next time it fires (nil: paused, a one-time schedule that is over, or a zone this
    /// machine does not know).
    public var next: Date?
    /// True when this device fires it.
    public var firesHere: Bool

    public init(id: String, definition: ScheduleDefinition, next: Date?, firesHere: Bool) {
        self.id = id
        self.definition = definition
        self.next = next
        self.firesHere = firesHere
    }

    private enum CodingKeys: String, CodingKey { case id, next, firesHere }

    /// `{"id": …, "name": …, "time": "07:00", …, "next": <ms since 1970 or null>, "firesHere": true}`.
    public func encode(to encoder: any Encoder) throws {
        try definition.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(next.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }, forKey: .next)
        try c.encode(firesHere, forKey: .firesHere)
    }
}
