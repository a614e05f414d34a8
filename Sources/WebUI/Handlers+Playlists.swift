import Foundation
import Hummingbird
import Indexer
import LocalStore
import OmniModel

/// Playlists (ordered, a track may appear twice), M3U8 export and import, saved searches.
extension Handlers {
    func registerPlaylists(on router: Router<BasicRequestContext>) {
        router.get("/api/playlists") { _, _ in
            struct Body: Encodable { var playlists: [PlaylistSummary] }
            return try JSONBody.response(Body(playlists: try self.library.playlists()))
        }
        router.post("/api/playlists") { request, _ in
            struct Body: Decodable { var name: String }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes)
            let id = try await self.createPlaylist(name: body.name)
            return try self.playlistResponse(id, status: .created)
        }
        router.post("/api/playlists/import") { request, _ in try await self.importPlaylist(request) }
        router.get("/api/playlists/{id}") { _, context in
            let id = try Self.parameter(context, "id")
            if id.hasSuffix(".m3u8") { return try self.exportPlaylist(String(id.dropLast(5))) }
            return try self.playlistResponse(id)
        }
        router.patch("/api/playlists/{id}") { request, context in
            struct Body: Decodable { var name: String }
            let id = try Self.parameter(context, "id")
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes)
            try await self.recordPlaylist(id, .renamePlaylist(id: id, name: body.name))
            return try self.playlistResponse(id)
        }
        router.delete("/api/playlists/{id}") { _, context in
            let id = try Self.parameter(context, "id")
            guard try self.library.playlist(id: id) != nil else { throw APIError.notFound("playlist") }
            try self.library.record(.deletePlaylist(id: id))
            await self.configuration.events.publish(.playlistDeleted(id: id))
            return Response(status: .noContent)
        }
        router.post("/api/playlists/{id}/items") { request, context in
            struct Body: Decodable { var uids: [String]; var index: Int? }
            let id = try Self.parameter(context, "id")
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes)
            if let index = body.index, !(0...1_000_000).contains(index) { throw APIError.badRequest("index must be in 0...1000000") }
            try await self.recordPlaylist(id, .addToPlaylist(id: id, uids: body.uids.map(TrackUID.init(rawValue:)), index: body.index))
            return try self.playlistResponse(id)
        }
        router.delete("/api/playlists/{id}/items/{itemId}") { _, context in
            let id = try Self.parameter(context, "id")
            try await self.recordPlaylist(id, .removePlaylistItem(id: id, itemId: try Self.parameter(context, "itemId")))
            return try self.playlistResponse(id)
        }
        router.post("/api/playlists/{id}/items/{itemId}/move") { request, context in
            struct Body: Decodable { var index: Int }
            let id = try Self.parameter(context, "id")
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes)
            guard (0...1_000_000).contains(body.index) else { throw APIError.badRequest("index must be in 0...1000000") }
            try await self.recordPlaylist(id, .movePlaylistItem(id: id, itemId: try Self.parameter(context, "itemId"), index: body.index))
            return try self.playlistResponse(id)
        }

        router.get("/api/searches") { _, _ in
            struct Body: Encodable { var searches: [SavedSearchResponse] }
            return try JSONBody.response(Body(searches: try self.library.savedSearches().map(SavedSearchResponse.init)))
        }
        router.post("/api/searches") { request, _ in
            let definition = try await self.searchDefinition(request)
            let operations = try self.library.record(.saveSearch(id: nil, definition))
            guard let id = operations.first?.target else { throw APIError(.internalServerError, "internal", "no id for the new search") }
            await self.configuration.events.publish(.savedSearchesChanged)
            return try self.savedSearchResponse(id, status: .created)
        }
        router.get("/api/searches/{id}") { _, context in try self.savedSearchResponse(try Self.parameter(context, "id")) }
        router.put("/api/searches/{id}") { request, context in
            let id = try Self.parameter(context, "id")
            guard try self.library.savedSearch(id: id) != nil else { throw APIError.notFound("saved search") }
            try self.library.record(.saveSearch(id: id, try await self.searchDefinition(request)))
            await self.configuration.events.publish(.savedSearchesChanged)
            return try self.savedSearchResponse(id)
        }
        router.delete("/api/searches/{id}") { _, context in
            let id = try Self.parameter(context, "id")
            guard try self.library.savedSearch(id: id) != nil else { throw APIError.notFound("saved search") }
            try self.library.record(.deleteSearch(id: id))
            await self.configuration.events.publish(.savedSearchesChanged)
            return Response(status: .noContent)
        }
        router.get("/api/searches/{id}/tracks") { request, context in
            let query = QueryParameters(request)
            let limit = try query.int("limit", default: 50, range: 0...10_000)
            let offset = try query.int("offset", default: 0, range: 0...Int(Int32.max))
            // A sort given here (a column header clicked in the saved search) wins over the saved one.
            let sort: SearchSort? = query.string("sort") == nil ? nil : try query.choice("sort", default: .relevance)
            let order: SortOrder? = query.string("order") == nil ? nil : try query.choice("order", default: .asc)
            guard let results = try self.library.evaluate(savedSearch: try Self.parameter(context, "id"), limit: limit, offset: offset,
                                                          sort: sort, descending: order.map { $0 == .desc }) else {
                throw APIError.notFound("saved search")
            }
            return JSONBody.response(bytes: SearchResponse(tracks: results.tracks.map(APITrack.init(record:)),
                                                           total: results.total, suggestion: results.suggestion).json())
        }
    }

    static func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name), !value.isEmpty, value.utf8.count <= 200 else { throw APIError.notFound(name) }
        return value
    }

    // MARK: - Playlists

    struct PlaylistResponse: Encodable, Sendable {
        struct Item: Encodable, Sendable {
            var itemId: String
            var uid: String
            /// Null when this library does not have the track (the item is kept).
            var track: APITrack?
            private enum CodingKeys: String, CodingKey { case itemId, uid, track }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(itemId, forKey: .itemId)
                try c.encode(uid, forKey: .uid)
                try c.encode(track, forKey: .track)
            }
        }
        var id: String
        var name: String
        var items: [Item]
    }

    func playlistResponse(_ id: String, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let playlist = try library.playlist(id: id) else { throw APIError.notFound("playlist") }
        return try JSONBody.response(PlaylistResponse(
            id: playlist.id, name: playlist.name,
            items: playlist.items.map { .init(itemId: $0.itemId, uid: $0.uid.rawValue, track: $0.track.map(APITrack.init(record:))) }),
            status: status)
    }

    func createPlaylist(name: String) async throws -> String {
        let operations = try library.record(.createPlaylist(name: name))
        guard let id = operations.first?.target else { throw APIError(.internalServerError, "internal", "no id for the new playlist") }
        await configuration.events.publish(.playlistChanged(id: id))
        return id
    }

    func recordPlaylist(_ id: String, _ mutation: UserMutation) async throws {
        guard try library.playlist(id: id) != nil else { throw APIError.notFound("playlist") }
        try library.record(mutation)
        await configuration.events.publish(.playlistChanged(id: id))
    }

    /// `GET /api/playlists/{id}.m3u8`: extended M3U8 with absolute paths (`Indexer.M3U.write`, shared
    /// with the daemon); items whose track this library lacks are left out.
    func exportPlaylist(_ id: String) throws -> Response {
        guard let playlist = try library.playlist(id: id) else { throw APIError.notFound("playlist") }
        var items: [M3U.Item] = []
        for item in playlist.items {
            guard let track = item.track, let file = try library.mediaFile(uid: item.uid) else { continue }
            items.append(M3U.Item(path: file.absolutePath, durationMs: track.durationMs, artist: track.artist, title: track.title))
        }
        return Response(status: .ok,
                        headers: [.contentType: "audio/x-mpegurl; charset=utf-8",
                                  .contentDisposition: ContentDisposition.attachment(name: playlist.name, ext: "m3u8", fallback: "playlist")],
                        body: .init(byteBuffer: ByteBuffer(string: M3U.write(items))))
    }

    /// The media types an M3U body may be sent as.
    static let m3uTypes: Set<String> = ["audio/x-mpegurl", "audio/mpegurl", "application/x-mpegurl", "application/vnd.apple.mpegurl"]

    /// `POST /api/playlists/import?name=…` with an `.m3u`/`.m3u8` body: a new playlist of the
    /// entries the daemon's `M3UResolver` finds in the library (by path under a music root, else by
    /// file name and duration); the others are listed in `unresolved`.
    func importPlaylist(_ request: Request) async throws -> Response {
        let buffer = try await JSONBody.collect(request, limit: configuration.maxBodyBytes)
        // Not text/plain: that a page on another site may send without asking (see
        // requireContentType). The body is optional: none (and no type) is an empty playlist.
        if buffer.readableBytes > 0 || request.headers[.contentType] != nil {
            try JSONBody.requireContentType(request, Self.m3uTypes, name: "an M3U playlist")
        }
        let bytes = Array(buffer.readableBytesView)
        let entries = M3U.parse(bytes)
        guard bytes.isEmpty || M3U.isPlaylist(bytes, entries: entries) else {
            throw APIError(.badRequest, "not_a_playlist", "this is not an M3U playlist (send the text of an .m3u or .m3u8 file)")
        }
        var uids: [TrackUID] = []
        var unresolved: [String] = []
        for resolution in try M3UResolver(library: library).resolve(entries) {
            if let uid = resolution.uid { uids.append(uid) } else if !resolution.entry.isRemoteURL { unresolved.append(resolution.entry.location) }
        }
        // A bad ?name= is a 400 (the store checks it).
        let name = QueryParameters(request).string("name") ?? "Imported playlist"
        let id = try await createPlaylist(name: name)
        if !uids.isEmpty { try library.record(.addToPlaylist(id: id, uids: uids, index: nil)) }
        guard let playlist = try library.playlist(id: id) else { throw APIError.notFound("playlist") }
        struct Body: Encodable { var playlist: PlaylistResponse; var unresolved: [String] }
        return try JSONBody.response(Body(
            playlist: PlaylistResponse(id: playlist.id, name: playlist.name,
                                       items: playlist.items.map { .init(itemId: $0.itemId, uid: $0.uid.rawValue, track: $0.track.map(APITrack.init(record:))) }),
            unresolved: unresolved), status: .created)
    }

    // MARK: - Saved searches

    struct SavedSearchResponse: Encodable, Sendable {
        var id: String
        var name: String
        var query: String
        var filters: [String: String]
        var sort: String
        var descending: Bool
        var limit: Int?
        init(_ saved: SavedSearch) {
            id = saved.id
            name = saved.definition.name
            query = saved.definition.query
            filters = saved.definition.filters ?? [:]
            sort = saved.definition.sort
            descending = saved.definition.descending
            limit = saved.definition.limit
        }
        private enum CodingKeys: String, CodingKey { case id, name, query, filters, sort, descending, limit }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(query, forKey: .query)
            try c.encode(filters, forKey: .filters)
            try c.encode(sort, forKey: .sort)
            try c.encode(descending, forKey: .descending)
            try c.encode(limit, forKey: .limit)
        }
    }

    func savedSearchResponse(_ id: String, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let saved = try library.savedSearch(id: id) else { throw APIError.notFound("saved search") }
        return try JSONBody.response(SavedSearchResponse(saved), status: status)
    }

    /// `{"name","query","filters"?,"sort"?,"descending"?,"limit"?}`, checked here so a bad value is a 400.
    func searchDefinition(_ request: Request) async throws -> SavedSearchDefinition {
        struct Body: Decodable {
            var name: String
            var query: String
            var filters: [String: String]?
            var sort: String?
            var descending: Bool?
            var limit: Int?
        }
        let body = try await JSONBody.decode(Body.self, from: request, limit: configuration.maxBodyBytes)
        // The schema's rule (LocalStore applies the same): ≤ 200 code points, no control
        // character, not only white space.
        let scalars = body.name.unicodeScalars
        guard scalars.count <= 200, !scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
              scalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw APIError.badRequest("name must be 1 to 200 characters, without control characters")
        }
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        // In code points, as JSON Schema's maxLength counts them (not grapheme clusters:
        // "e\u{301}" is two, and schemathesis sends such strings).
        guard body.query.unicodeScalars.count <= 1000 else { throw APIError.badRequest("query is at most 1,000 characters") }
        if let sort = body.sort, SearchSort(rawValue: sort) == nil { throw APIError.badRequest("sort has an unknown value") }
        if let limit = body.limit, !(1...10_000).contains(limit) { throw APIError.badRequest("limit must be in 1...10000") }
        if let filters = body.filters, filters.count > 20 || filters.keys.contains(where: { $0.isEmpty || $0.unicodeScalars.count > 50 || $0.contains(":") || $0.contains(where: \.isWhitespace) }) {
            throw APIError.badRequest("filters must be at most 20 field names without spaces or colons")
        }
        return SavedSearchDefinition(name: name, query: body.query, filters: body.filters, sort: body.sort ?? "relevance",
                                     descending: body.descending ?? false, limit: body.limit)
    }
}
