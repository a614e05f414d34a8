import Foundation
import Hummingbird
import Indexer
import LocalStore
import OmniModel

/// Schedules (`/api/schedules`), the play history (`/api/history`, its CSV and ListenBrainz
/// exports and the ListenBrainz import) and the statistics (`/api/stats`). Schedules are saved
/// by the daemon's scheduler (it fills in the device, the zone and `since` from its clock);
/// everything goes through the one write path. Decision record: docs/decisions/0028.
extension Handlers {
    func registerSchedules(on router: Router<BasicRequestContext>) {
        router.get("/api/schedules") { _, _ in try await self.listSchedules() }
        router.post("/api/schedules") { request, _ in
            let definition = try await self.scheduleBody(request)
            let id = try await self.configuration.actions.saveSchedule(id: nil, definition)
            return try await self.scheduleResponse(id, status: .created)
        }
        router.get("/api/schedules/{id}") { _, context in try await self.scheduleResponse(try Self.parameter(context, "id")) }
        router.put("/api/schedules/{id}") { request, context in
            let id = try Self.parameter(context, "id")
            guard let stored = try self.library.schedule(id: id) else { throw APIError.notFound("schedule") }
            var definition = try await self.scheduleBody(request)
            // An edit made on another device keeps the firing device and zone unless it names them.
            if definition.device.isEmpty { definition.device = stored.definition.device }
            if definition.timeZone.isEmpty { definition.timeZone = stored.definition.timeZone }
            _ = try await self.configuration.actions.saveSchedule(id: id, definition)
            return try await self.scheduleResponse(id)
        }
        router.post("/api/schedules/{id}/pause") { _, context in try await self.setPaused(context, true) }
        router.post("/api/schedules/{id}/resume") { _, context in try await self.setPaused(context, false) }
        router.delete("/api/schedules/{id}") { _, context in
            try await self.configuration.actions.deleteSchedule(id: try Self.parameter(context, "id"))
            return Response(status: .noContent)
        }

        router.get("/api/history") { request, _ in
            let query = QueryParameters(request)
            let limit = try query.int("limit", default: 50, range: 0...1000)
            let offset = try query.int("offset", default: 0, range: 0...Int(Int32.max))
            struct Body: Encodable { var listens: [ListenEntry]; var total: Int }
            return try JSONBody.response(Body(listens: try self.library.listens(limit: limit, offset: offset), total: try self.library.listenCount()))
        }
        router.get("/api/history.csv") { _, _ in
            let csv = PlayHistoryFormats.csv(try self.library.listens(limit: 100_000))
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                                                   .contentDisposition: "attachment; filename=\"omnisonic-history.csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
        router.get("/api/history.json") { _, _ in
            let json = try PlayHistoryFormats.listenBrainz(try self.library.listens(limit: 100_000))
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
                                                   .contentDisposition: "attachment; filename=\"omnisonic-listens.json\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        router.post("/api/history/import") { request, _ in
            try JSONBody.requireContentType(request, ["application/json", "application/x-ndjson", "application/jsonl"], name: "a ListenBrainz export (JSON or JSON Lines)")
            let buffer = try await JSONBody.collect(request, limit: PlayHistoryFormats.maxImportBytes)
            let listens = try PlayHistoryFormats.parseListenBrainz(Data(buffer.readableBytesView))
            // Up to 50,000 operations in one transaction: on a thread of its own, not the pool's.
            let library = self.library
            let imported = try await DedicatedThread.run(named: "omnisonic-import-listens") {
                Result { () throws(StoreError) -> Int in
                    let before = try library.listenCount()
                    try library.record(.importListens(listens))
                    return try library.listenCount() - before
                }
            }.get()
            if imported > 0 { await self.configuration.events.publish(.tracksChanged(uids: [])) }
            struct Body: Encodable { var read: Int; var imported: Int; var skipped: Int }
            return try JSONBody.response(Body(read: listens.count, imported: imported, skipped: listens.count - imported))
        }

        router.get("/api/stats") { request, _ in try await self.statistics(request) }
    }

    // MARK: - Schedules

    /// A schedule definition from a JSON body (the daemon fills in what is left out).
    func scheduleBody(_ request: Request) async throws -> ScheduleDefinition {
        try JSONBody.requireContentType(request, ["application/json"], name: "JSON")
        let data = Data(try await JSONBody.collect(request, limit: configuration.maxBodyBytes).readableBytesView)
        let definition = try JSONBody.decode(ScheduleDefinition.self, from: data,
                                             nonNull: ["time", "repeat", "action", "name", "days", "timeZone", "fadeInMinutes",
                                                       "stopAfterMinutes", "graceMinutes", "paused", "device"])
        // Left out, the zone and the device are filled in; given, they must say something.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for key in ["timeZone", "device"] where (object[key] as? String)?.isEmpty == true {
                throw APIError(.badRequest, "bad_schedule", "\(key) must not be empty (leave it out for this device's)")
            }
        }
        if let problem = definition.problem(), !(definition.device.isEmpty && problem.contains("device")) {
            throw APIError(.badRequest, "bad_schedule", problem)
        }
        return definition
    }

    func listSchedules() async throws -> Response {
        struct Body: Encodable {
            var schedules: [ScheduleSummary]
            /// This device's id, and every device id the library has heard of (this one first).
            var device: String
            var devices: [String]
            var runs: [ScheduleRunEntry]
        }
        let schedules = try await configuration.actions.schedules()
        return try JSONBody.response(Body(schedules: schedules, device: try library.deviceID(), devices: try library.knownDevices(),
                                          runs: try library.scheduleRuns(limit: 50)))
    }

    func scheduleResponse(_ id: String, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let summary = try await configuration.actions.schedules().first(where: { $0.id == id }) else { throw APIError.notFound("schedule") }
        struct Body: Encodable {
            var schedule: ScheduleSummary
            var runs: [ScheduleRunEntry]
        }
        return try JSONBody.response(Body(schedule: summary, runs: try library.scheduleRuns(scheduleId: id, limit: 100)), status: status)
    }

    func setPaused(_ context: BasicRequestContext, _ paused: Bool) async throws -> Response {
        let id = try Self.parameter(context, "id")
        guard var definition = try library.schedule(id: id)?.definition else { throw APIError.notFound("schedule") }
        definition.paused = paused
        _ = try await configuration.actions.saveSchedule(id: id, definition)
        return try await scheduleResponse(id)
    }

    // MARK: - Statistics

    func statistics(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let period = try query.choice("period", default: StatsPeriod.month)
        var zone = TimeZone.current
        if let name = query.string("tz") {
            // The name becomes a path under /usr/share/zoneinfo: only the characters zone names use.
            let allowed = name.utf8.allSatisfy { b in
                (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || "/_+-".utf8.contains(b)
            }
            guard !name.isEmpty, name.utf8.count <= 64, allowed, let named = TimeZone(identifier: name) else { throw APIError.badRequest("tz is an IANA time zone such as Europe/Berlin") }
            zone = named
        }
        let s = try library.statistics(period: period.rawValue, now: Date(), zone: zone)
        let scan = await configuration.actions.scanStatus()
        let duplicates = await configuration.actions.duplicateGroups()
        return try JSONBody.response(StatsResponse(s, folders: scan.watching, duplicates: duplicates, zone: zone.identifier))
    }

    enum StatsPeriod: String { case week, month, year, all }

    /// `GET /api/stats`: three sections, as the Statistics page shows them.
    struct StatsResponse: Encodable {
        struct LibrarySection: Encodable {
            var tracks, albums, artists, genres: Int
            var durationMs, sizeBytes: Int64
            var formats, bitrates: [StatisticsReport.Count]
            var withoutArtwork, withoutTags: Int
        }
        struct Duplicates: Encodable {
            /// False until the analysis finds duplicates (`DaemonActions.duplicateGroups`).
            var available: Bool
            var groups: [DuplicateGroup]
        }
        struct HealthSection: Encodable {
            var unreadableCount: Int
            var unreadable: [StatisticsReport.Unreadable]
            var filesWithWarnings: Int
            /// Every music folder with how it is followed; `problem` says why one is not watched.
            var folders: [WatchedFolder]
            var scans: [ScanLogEntry]
            var duplicates: Duplicates
        }
        struct ListeningSection: Encodable {
            var period: String
            var timeZone: String
            var fromMs: Int64?
            var toMs: Int64
            var plays: Int
            var listeningMs: Int64
            var perDay: [StatisticsReport.Day]
            var topArtists, topAlbums, topTracks, topGenres: [StatisticsReport.Top]
            var neverPlayedCount: Int
            var neverPlayed: [StatisticsReport.TrackBrief]
        }
        var library: LibrarySection
        var health: HealthSection
        var listening: ListeningSection

        init(_ s: StatisticsReport, folders: [WatchedFolder], duplicates: [DuplicateGroup]?, zone: String) {
            library = LibrarySection(tracks: s.tracks, albums: s.albums, artists: s.artists, genres: s.genres, durationMs: s.durationMs,
                              sizeBytes: s.sizeBytes, formats: s.formats, bitrates: s.bitrates, withoutArtwork: s.withoutArtwork,
                              withoutTags: s.withoutTags)
            health = HealthSection(unreadableCount: s.unreadableCount, unreadable: s.unreadable, filesWithWarnings: s.filesWithWarnings,
                            folders: folders, scans: s.scans, duplicates: Duplicates(available: duplicates != nil, groups: duplicates ?? []))
            listening = ListeningSection(period: s.period, timeZone: zone, fromMs: s.fromMs, toMs: s.toMs, plays: s.plays, listeningMs: s.listeningMs,
                                  perDay: s.perDay, topArtists: s.topArtists, topAlbums: s.topAlbums, topTracks: s.topTracks,
                                  topGenres: s.topGenres, neverPlayedCount: s.neverPlayedCount, neverPlayed: s.neverPlayed)
        }
    }
}

/// The play history's file formats: CSV and ListenBrainz's JSON (export), ListenBrainz's
/// exports and submission bodies (import). Pure; any thread.
enum PlayHistoryFormats {
    /// The largest import body: a ListenBrainz export of years of listening (about 300 bytes a listen).
    static let maxImportBytes = 64 << 20

    static let csvHeader = "played_at,played_at_ms,uid,title,artist,album,genre,duration_ms,device,client"

    /// RFC 4180 CSV, one listen a line, oldest first, with a header. A text cell that a
    /// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets a
    /// leading `'` (OWASP's advice for CSV injection).
    static func csv(_ listens: [ListenEntry]) -> String {
        var out = csvHeader + "\r\n"
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        func cell(_ text: String?) -> String {
            guard var text, !text.isEmpty else { return "" }
            if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }
        for listen in listens.reversed() {
            let at = formatter.string(from: Date(timeIntervalSince1970: Double(listen.playedMs) / 1000))
            out += [at, String(listen.playedMs), listen.uid?.rawValue ?? "", cell(listen.title), cell(listen.artist), cell(listen.album),
                    cell(listen.genre), String(listen.durationMs), listen.device, listen.client].joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// A JSON array of listens in ListenBrainz's shape (what its export and `/1/user/…/listens`
    /// hold), oldest first; omnisonic's own fields go in `additional_info`.
    static func listenBrainz(_ listens: [ListenEntry]) throws -> [UInt8] {
        let array: [[String: Any]] = listens.reversed().map { listen in
            var info: [String: Any] = ["media_player": "omnisonic", "submission_client": "omnisonicd",
                                       "omnisonic_client": listen.client, "omnisonic_device": listen.device]
            if listen.durationMs > 0 { info["duration_ms"] = listen.durationMs }
            if let uid = listen.uid { info["omnisonic_uid"] = uid.rawValue }
            if let genre = listen.genre { info["tags"] = [genre] }
            var metadata: [String: Any] = ["artist_name": listen.artist ?? "", "track_name": listen.title, "additional_info": info]
            if let album = listen.album { metadata["release_name"] = album }
            return ["listened_at": listen.playedMs / 1000, "track_metadata": metadata]
        }
        return Array(try JSONSerialization.data(withJSONObject: array, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// Listens from a ListenBrainz export: a JSON array of listens, a submission body
    /// (`{"payload": [...]}`), an API answer (`{"payload": {"listens": [...]}}`), or JSON Lines
    /// (one listen a line, the files of the newer zip export). Listens without a time or a
    /// track name are skipped; the client is "listenbrainz" unless the listen came from omnisonic.
    ///
    /// - Throws: `APIError` 400 when the body is none of these.
    static func parseListenBrainz(_ data: Data) throws -> [PlayListen] {
        var objects: [Any] = []
        var recognized = true
        if let whole = try? JSONSerialization.jsonObject(with: data) {
            if let array = whole as? [Any] {
                objects = array
            } else if let object = whole as? [String: Any], let payload = object["payload"] as? [Any] {
                objects = payload
            } else if let object = whole as? [String: Any], let payload = object["payload"] as? [String: Any],
                      let listens = payload["listens"] as? [Any] {
                objects = listens
            } else if let object = whole as? [String: Any], object["track_metadata"] != nil {
                objects = [object]
            } else {
                recognized = false
            }
        } else {
            for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) else {
                    throw APIError(.badRequest, "not_listenbrainz", "this is not a ListenBrainz export (JSON, or JSON Lines)")
                }
                objects.append(object)
            }
            // JSON Lines of listens: an empty body, or lines that are not objects, are not an export.
            recognized = !objects.isEmpty && objects.allSatisfy { $0 is [String: Any] }
        }
        guard recognized else {
            throw APIError(.badRequest, "not_listenbrainz", "no listens found: expected a ListenBrainz export (a list of listens with listened_at and track_metadata)")
        }
        guard objects.count <= 50_000 else { throw APIError(.badRequest, "too_many_listens", "at most 50,000 listens at once: import the export in parts") }
        var out: [PlayListen] = []
        for case let object as [String: Any] in objects {
            guard let metadata = object["track_metadata"] as? [String: Any],
                  let title = (metadata["track_name"] as? String).map(clean), !title.isEmpty else { continue }
            let seconds: Double
            if let number = object["listened_at"] as? NSNumber {
                seconds = number.doubleValue
            } else if let text = object["listened_at"] as? String, let date = ISO8601DateFormatter().date(from: text) {
                seconds = date.timeIntervalSince1970
            } else {
                continue
            }
            let info = metadata["additional_info"] as? [String: Any] ?? [:]
            var duration = (info["duration_ms"] as? NSNumber)?.int64Value ?? 0
            if duration == 0, let secondsLong = (info["duration"] as? NSNumber)?.doubleValue { duration = Int64(secondsLong * 1000) }
            let client = (info["omnisonic_client"] as? String).flatMap { PlayClient.isValid($0) ? $0 : nil } ?? PlayClient.listenBrainz
            let uid = (info["omnisonic_uid"] as? String).flatMap { $0.isEmpty || $0.utf8.count > 64 ? nil : TrackUID(rawValue: $0) }
            let artist = (metadata["artist_name"] as? String).map(clean).flatMap { $0.isEmpty ? nil : $0 }
            let album = (metadata["release_name"] as? String).map(clean).flatMap { $0.isEmpty ? nil : $0 }
            let genre = ((info["tags"] as? [Any])?.first as? String).map(clean).flatMap { $0.isEmpty ? nil : $0 }
            let listen = PlayListen(uid: uid, playedMs: Int64(max(0, seconds) * 1000), durationMs: min(max(0, duration), 7 * 86_400_000),
                                    client: client, title: title, artist: artist, album: album, genre: genre)
            if listen.problem() == nil { out.append(listen) }
        }
        return out
    }

    /// Control characters out, at most 500 characters (the history's limits).
    private static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(500)))
            .trimmingCharacters(in: .whitespaces)
    }
}
