import Foundation
import Hummingbird
import LocalStore
import OmniModel

/// Edits, favorites, ratings, plays, browsing. Every change goes through `Library.record`, the
/// one write path (operation log + materialized tables in one transaction), then an event.
extension Handlers {
    func registerUserData(on router: Router<BasicRequestContext>) {
        router.patch("/api/tracks/{uid}") { request, context in try await self.editTrack(request, context) }
        router.post("/api/tracks/{uid}/favorite") { _, context in try await self.mutateTrack(context) { .favorite($0, true) } }
        router.delete("/api/tracks/{uid}/favorite") { _, context in try await self.mutateTrack(context) { .favorite($0, false) } }
        // `?client=web` (a `PlayClient` value) says which client played it, for the play history.
        router.post("/api/tracks/{uid}/played") { request, context in
            let client = QueryParameters(request).string("client") ?? PlayClient.api
            return try await self.mutateTrack(context) { .completedPlay($0, client: client) }
        }
        router.put("/api/tracks/{uid}/rating") { request, context in
            struct Body: Decodable {
                var rating: Int?
                // `rating` must be present (null clears it): `decode`, not `decodeIfPresent`.
                init(from decoder: any Decoder) throws {
                    rating = try decoder.container(keyedBy: CodingKeys.self).decode(Int?.self, forKey: .rating)
                }
                enum CodingKeys: String, CodingKey { case rating }
            }
            let body = try await JSONBody.decode(Body.self, from: request, limit: self.configuration.maxBodyBytes)
            return try await self.mutateTrack(context) { .rate($0, body.rating) }
        }

        router.get("/api/albums") { request, _ in
            let query = QueryParameters(request)
            let page = try self.library.albums(limit: try query.int("limit", default: 50, range: 0...1000),
                                               offset: try query.int("offset", default: 0, range: 0...Int(Int32.max)),
                                               sort: try query.choice("sort", default: AlbumSort.title),
                                               descending: try query.choice("order", default: SortOrder.asc) == .desc)
            return try JSONBody.response(page)
        }
        router.get("/api/albums/{id}") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), let detail = try self.library.album(id: id) else {
                throw APIError.notFound("album")
            }
            return try JSONBody.response(AlbumResponse(album: detail.album, tracks: detail.tracks.map(APITrack.init(record:))))
        }
        // Stars on albums and artists (`album.favorite`, `artist.favorite`: decision 0026), by
        // the row ids the listings give; the answer is the album or artist as GET gives it.
        router.post("/api/albums/{id}/favorite") { _, context in try await self.favoriteAlbum(context, true) }
        router.delete("/api/albums/{id}/favorite") { _, context in try await self.favoriteAlbum(context, false) }
        router.post("/api/artists/{id}/favorite") { _, context in try await self.favoriteArtist(context, true) }
        router.delete("/api/artists/{id}/favorite") { _, context in try await self.favoriteArtist(context, false) }
        router.get("/api/artists") { request, _ in
            let (limit, offset) = try Self.paging(request)
            return try JSONBody.response(try self.library.artists(limit: limit, offset: offset))
        }
        router.get("/api/artists/{id}") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self), let detail = try self.library.artist(id: id) else {
                throw APIError.notFound("artist")
            }
            return try JSONBody.response(detail)
        }
        router.get("/api/genres") { request, _ in
            let (limit, offset) = try Self.paging(request)
            return try JSONBody.response(try self.library.genres(limit: limit, offset: offset))
        }
        router.get("/api/genres/{id}/tracks") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.notFound("genre") }
            let (limit, offset) = try Self.paging(request)
            return try Self.trackPage(try self.library.tracks(genre: id, limit: limit, offset: offset))
        }
        router.get("/api/years") { request, _ in
            let (limit, offset) = try Self.paging(request)
            return try JSONBody.response(try self.library.years(limit: limit, offset: offset))
        }
        router.get("/api/years/{year}/tracks") { request, context in
            guard let year = context.parameters.get("year", as: Int.self) else { throw APIError.notFound("year") }
            let (limit, offset) = try Self.paging(request)
            return try Self.trackPage(try self.library.tracks(year: year, limit: limit, offset: offset))
        }
        router.get("/api/recent") { request, _ in
            let (limit, offset) = try Self.paging(request)
            return try Self.trackPage(try self.library.recentlyAdded(limit: limit, offset: offset))
        }
        router.get("/api/favorites") { request, _ in
            let (limit, offset) = try Self.paging(request)
            return try Self.trackPage(try self.library.favorites(limit: limit, offset: offset))
        }
    }

    struct AlbumResponse: Encodable, Sendable {
        var album: AlbumSummary
        var tracks: [APITrack]
    }

    func favoriteAlbum(_ context: BasicRequestContext, _ on: Bool) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let key = try library.albumKey(id: id) else {
            throw APIError.notFound("album")
        }
        // Pages showing this album elsewhere (other tabs, other clients) show the new star.
        try await record(.favoriteAlbum(key: key, on))
        guard let detail = try library.album(id: id) else { throw APIError.notFound("album") }
        return try JSONBody.response(AlbumResponse(album: detail.album, tracks: detail.tracks.map(APITrack.init(record:))))
    }

    func favoriteArtist(_ context: BasicRequestContext, _ on: Bool) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self), let key = try library.artistKey(id: id) else {
            throw APIError.notFound("artist")
        }
        try await record(.favoriteArtist(key: key, on))
        guard let detail = try library.artist(id: id) else { throw APIError.notFound("artist") }
        return try JSONBody.response(detail)
    }

    static func paging(_ request: Request) throws -> (limit: Int, offset: Int) {
        let query = QueryParameters(request)
        return (try query.int("limit", default: 50, range: 0...1000), try query.int("offset", default: 0, range: 0...Int(Int32.max)))
    }

    static func trackPage(_ page: Page<TrackRecord>) throws -> Response {
        JSONBody.response(bytes: PageResponse(items: page.items.map(APITrack.init(record:)), total: page.total).json())
    }

    /// Records `mutation` through the one write path and publishes the events of the operations
    /// it made (`UserOperation.events(for:)`, as Subsonic and sync do): none when nothing changed.
    @discardableResult
    func record(_ mutation: UserMutation) async throws -> [UserOperation] {
        let operations = try library.record(mutation)
        for event in UserOperation.events(for: operations) { await configuration.events.publish(event) }
        return operations
    }

    /// Records a mutation about one track, publishes `tracksChanged`, answers the updated track.
    ///
    /// One write transaction (`Library.record`, which checks that the track exists: an unknown
    /// uid is its `StoreError.notFound`, a 404) and one read for the answer.
    func mutateTrack(_ context: BasicRequestContext, _ mutation: (TrackUID) -> UserMutation) async throws -> Response {
        let uid = try uid(context)
        try await record(mutation(uid))
        guard let record = try library.track(uid: uid) else { throw APIError.notFound("track") }
        return try JSONBody.response(APITrack(record: record))
    }

    /// `PATCH /api/tracks/{uid}`: `{"title": "…", "year": 1999, "genres": ["a"], "artist": null}`;
    /// a value overrides the file's tag, `null` removes the override (the file's value returns).
    func editTrack(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await JSONBody.decode([String: TrackFieldValue?].self, from: request, limit: configuration.maxBodyBytes)
        var changes: [TrackField: TrackFieldValue?] = [:]
        for (key, value) in body {
            guard let field = TrackField(rawValue: key) else {
                throw APIError(.badRequest, "bad_field", "\(key) cannot be edited (editable: \(TrackField.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            changes[field] = value
        }
        return try await mutateTrack(context) { .setOverrides($0, changes) }
    }
}
