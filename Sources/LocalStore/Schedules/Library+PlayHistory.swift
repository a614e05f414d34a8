import Foundation
import GRDB
import OmniModel

// # The play history and the statistics over it and the library
//
// `playHistory` is materialized from `play.listen` operations (every device's plays arrive by
// sync), so the listening statistics cover all the user's devices. The library and health
// figures are this device's. Decision record: docs/decisions/0028-schedules-and-statistics.md.
//
// Thread safety: like the rest of `Library`, synchronous, may block; any thread.

/// One completed play, as the history lists and exports it.
public struct ListenEntry: Sendable, Equatable, Codable {
    public var id: String
    public var uid: TrackUID?
    public var playedMs: Int64
    /// The device that recorded it.
    public var device: String
    public var client: String
    public var durationMs: Int64
    public var title: String
    public var artist: String?
    public var album: String?
    public var genre: String?
}

/// What `Library.statistics` computes.
public struct StatisticsReport: Sendable, Equatable, Codable {
    public struct Count: Sendable, Equatable, Codable {
        public var name: String
        public var tracks: Int
        public var bytes: Int64
    }

    public struct Unreadable: Sendable, Equatable, Codable {
        public var path: String
        public var code: String?
        public var reason: String
    }

    public struct Top: Sendable, Equatable, Codable {
        public var name: String
        /// The artist, for albums and tracks.
        public var artist: String?
        public var uid: TrackUID?
        public var plays: Int
        public var listeningMs: Int64
    }

    public struct Day: Sendable, Equatable, Codable {
        /// "YYYY-MM-DD" in the requested zone.
        public var date: String
        public var plays: Int
        public var listeningMs: Int64
    }

    public struct TrackBrief: Sendable, Equatable, Codable {
        public var uid: TrackUID
        public var title: String
        public var artist: String?
        /// Seconds since 1970.
        public var addedAt: Double
    }

    // Library.
    public var tracks = 0
    public var albums = 0
    public var artists = 0
    public var genres = 0
    public var durationMs: Int64 = 0
    public var sizeBytes: Int64 = 0
    public var formats: [Count] = []
    public var bitrates: [Count] = []
    public var withoutArtwork = 0
    /// Tracks whose file has no title tag and no artist tag.
    public var withoutTags = 0
    // Health.
    public var unreadableCount = 0
    /// The first 100 files that could not be read, by path.
    public var unreadable: [Unreadable] = []
    public var filesWithWarnings = 0
    public var scans: [ScanLogEntry] = []
    // Listening, over the period.
    public var period = "month"
    public var fromMs: Int64?
    public var toMs: Int64 = 0
    public var plays = 0
    public var listeningMs: Int64 = 0
    public var perDay: [Day] = []
    public var topArtists: [Top] = []
    public var topAlbums: [Top] = []
    public var topTracks: [Top] = []
    public var topGenres: [Top] = []
    /// Tracks added in the period that no device ever played.
    public var neverPlayedCount = 0
    /// The newest of them (at most 20).
    public var neverPlayed: [TrackBrief] = []
}

extension Library {
    /// The play history, newest first, `limit` at a time (at most 100,000).
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func listens(fromMs: Int64? = nil, toMs: Int64? = nil, limit: Int = 100, offset: Int = 0) throws(StoreError) -> [ListenEntry] {
        try read("reading the play history") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, uid, playedMs, device, client, durationMs, title, artist, album, genre FROM playHistory
                WHERE playedMs >= ? AND playedMs <= ? ORDER BY playedMs DESC, id LIMIT ? OFFSET ?
                """, arguments: [fromMs ?? 0, toMs ?? HLCTimestamp.maxWallMs, min(max(0, limit), 100_000), max(0, offset)]).map { row in
                ListenEntry(id: row[0], uid: (row[1] as String?).map(TrackUID.init(rawValue:)), playedMs: row[2], device: row[3],
                            client: row[4], durationMs: row[5], title: row[6], artist: row[7], album: row[8], genre: row[9])
            }
        }
    }

    /// How many listens the history holds.
    ///
    /// - Throws: `StoreError` when SQLite fails.
    public func listenCount() throws(StoreError) -> Int {
        try read("counting the play history") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM playHistory") ?? 0 }
    }

    /// The library's, its health's and the listening statistics.
    ///
    /// - Parameters:
    ///   - period: "week", "month", "year" or "all" (the listening figures cover it, ending at `now`).
    ///   - zone: the time zone whose days the per-day chart counts.
    /// - Throws: `StoreError` when SQLite fails. Milliseconds on a large library (every figure is
    ///   one indexed or full-table aggregate).
    public func statistics(period: String, now: Date, zone: TimeZone) throws(StoreError) -> StatisticsReport {
        try read("computing statistics") { db in
            var s = StatisticsReport()
            let counts = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM track),
                       (SELECT count(DISTINCT albumId) FROM track WHERE albumId IS NOT NULL),
                       (SELECT count(DISTINCT artistId) FROM trackArtist WHERE role IN ('artist', 'albumartist')),
                       (SELECT count(DISTINCT genreId) FROM trackGenre),
                       (SELECT coalesce(sum(durationMs), 0) FROM track),
                       (SELECT coalesce(sum(size), 0) FROM file WHERE trackId IS NOT NULL),
                       (SELECT count(*) FROM track WHERE artworkId IS NULL AND folderArtworkId IS NULL),
                       (SELECT count(*) FROM track WHERE titleFromFileName = 1 AND artist IS NULL),
                       (SELECT count(*) FROM file WHERE trackId IS NULL AND probeError IS NOT NULL),
                       (SELECT count(*) FROM file WHERE trackId IS NOT NULL AND probeError IS NOT NULL)
                """)!
            s.tracks = counts[0]
            s.albums = counts[1]
            s.artists = counts[2]
            s.genres = counts[3]
            s.durationMs = counts[4]
            s.sizeBytes = counts[5]
            s.withoutArtwork = counts[6]
            s.withoutTags = counts[7]
            s.unreadableCount = counts[8]
            s.filesWithWarnings = counts[9]

            var formats: [String: (Int, Int64)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT t.codec, t.container, t.fileName, count(DISTINCT t.id), coalesce(sum(f.size), 0)
                FROM track t LEFT JOIN file f ON f.trackId = t.id GROUP BY t.codec, t.container, lower(substr(t.fileName, -4))
                """) {
                let name = FormatName.display(codec: row[0], container: row[1], path: row[2])
                let old = formats[name] ?? (0, 0)
                formats[name] = (old.0 + (row[3] as Int), old.1 + (row[4] as Int64))
            }
            s.formats = formats.map { StatisticsReport.Count(name: $0.key, tracks: $0.value.0, bytes: $0.value.1) }
                .sorted { ($0.tracks, $1.name) > ($1.tracks, $0.name) }
            s.bitrates = try Row.fetchAll(db, sql: """
                SELECT CASE WHEN bitrate IS NULL OR bitrate <= 0 THEN 'unknown'
                            WHEN bitrate < 128000 THEN 'under 128 kbit/s'
                            WHEN bitrate < 192000 THEN '128–191 kbit/s'
                            WHEN bitrate < 256000 THEN '192–255 kbit/s'
                            WHEN bitrate < 320000 THEN '256–319 kbit/s'
                            WHEN bitrate < 500000 THEN '320–499 kbit/s'
                            ELSE '500 kbit/s and more' END AS bucket,
                       min(coalesce(bitrate, -1)), count(*)
                FROM track GROUP BY bucket ORDER BY 2
                """).map { StatisticsReport.Count(name: $0[0], tracks: $0[2], bytes: 0) }

            s.unreadable = try Row.fetchAll(db, sql: """
                SELECT r.path, f.relPath, f.probeErrorCode, f.probeError FROM file f JOIN root r ON r.id = f.rootId
                WHERE f.trackId IS NULL AND f.probeError IS NOT NULL ORDER BY r.path, f.relPath LIMIT 100
                """).map { row in
                let root = RawPath(bytes: [UInt8](row[0] as Data)).displayString
                let relative = RawPath(bytes: [UInt8](row[1] as Data)).displayString
                return StatisticsReport.Unreadable(path: root + "/" + relative, code: row[2], reason: row[3])
            }
            s.scans = try Row.fetchAll(db, sql: """
                SELECT startedAt, finishedAt, files, added, updated, removed, failed, error FROM scanLog ORDER BY id DESC LIMIT 10
                """).map {
                ScanLogEntry(startedAt: $0[0], finishedAt: $0[1], files: $0[2], added: $0[3], updated: $0[4], removed: $0[5], failed: $0[6], error: $0[7])
            }

            // Listening.
            let nowMs = Int64(now.timeIntervalSince1970 * 1000)
            let days: Int64? = switch period { case "week": 7; case "year": 365; case "all": nil; default: 30 }
            s.period = ["week", "month", "year", "all"].contains(period) ? period : "month"
            s.toMs = nowMs
            s.fromMs = days.map { nowMs - $0 * 86_400_000 }
            let from = s.fromMs ?? 0
            let totals = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(durationMs), 0) FROM playHistory WHERE playedMs BETWEEN ? AND ?",
                                          arguments: [from, nowMs])!
            s.plays = totals[0]
            s.listeningMs = totals[1]
            func top(_ column: String, artist: String?) throws -> [StatisticsReport.Top] {
                let extra = artist.map { ", \($0)" } ?? ", NULL"
                let group = artist.map { "\(column), \($0)" } ?? column
                let uid = column == "title" ? "max(uid)" : "NULL"
                return try Row.fetchAll(db, sql: """
                    SELECT \(column)\(extra), \(uid), count(*), coalesce(sum(durationMs), 0) FROM playHistory
                    WHERE playedMs BETWEEN ? AND ? AND \(column) IS NOT NULL AND \(column) <> ''
                    GROUP BY \(group) ORDER BY 4 DESC, 1 LIMIT 10
                    """, arguments: [from, nowMs]).map {
                    StatisticsReport.Top(name: $0[0], artist: $0[1], uid: ($0[2] as String?).map(TrackUID.init(rawValue:)), plays: $0[3], listeningMs: $0[4])
                }
            }
            s.topArtists = try top("artist", artist: nil)
            s.topAlbums = try top("album", artist: "artist")
            s.topTracks = try top("title", artist: "artist")
            s.topGenres = try top("genre", artist: nil)

            // Per day: the period's days (the last 365 for "all"), zero days included.
            let chartDays = days ?? 365
            let lastDay = ScheduleRule.localDay(of: now, in: zone)
            let firstDay = lastDay - chartDays + 1
            var perDay: [Int64: (Int, Int64)] = [:]
            let chartFrom = Int64(ScheduleRule.instant(day: firstDay, minutes: 0, in: zone).timeIntervalSince1970 * 1000)
            for row in try Row.fetchAll(db, sql: "SELECT playedMs, durationMs FROM playHistory WHERE playedMs BETWEEN ? AND ?",
                                        arguments: [chartFrom, nowMs]) {
                let day = ScheduleRule.localDay(of: Date(timeIntervalSince1970: Double(row[0] as Int64) / 1000), in: zone)
                let old = perDay[day] ?? (0, 0)
                perDay[day] = (old.0 + 1, old.1 + (row[1] as Int64))
            }
            s.perDay = (firstDay...lastDay).map { day in
                StatisticsReport.Day(date: ScheduleRule.dateString(day: day), plays: perDay[day]?.0 ?? 0, listeningMs: perDay[day]?.1 ?? 0)
            }

            let neverPlayed = """
                FROM track t WHERE t.addedAt >= ? AND NOT EXISTS (SELECT 1 FROM trackPlay p WHERE p.uid = t.uid)
                AND NOT EXISTS (SELECT 1 FROM playHistory h WHERE h.uid = t.uid)
                """
            let addedFrom = Double(from) / 1000
            s.neverPlayedCount = try Int.fetchOne(db, sql: "SELECT count(*) \(neverPlayed)", arguments: [addedFrom]) ?? 0
            s.neverPlayed = try Row.fetchAll(db, sql: "SELECT t.uid, t.title, t.artist, t.addedAt \(neverPlayed) ORDER BY t.addedAt DESC, t.id LIMIT 20",
                                             arguments: [addedFrom]).map {
                StatisticsReport.TrackBrief(uid: TrackUID(rawValue: $0[0]), title: $0[1], artist: $0[2], addedAt: $0[3])
            }
            return s
        }
    }
}
