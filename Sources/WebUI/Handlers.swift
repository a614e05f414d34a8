import Foundation
import Hummingbird
import Indexer
import LocalStore
import OmniModel
import Prometheus

/// The route table and the handlers' shared state. Each group of endpoints is in
/// `Handlers+<Group>.swift`.
struct Handlers: Sendable {
    let configuration: APIServerConfiguration
    let openAPIDocument: ByteBuffer?
    let fileIO = FileIO()
    let eventStreams = EventStreamSlots()

    var library: Library { configuration.library }

    func register(on router: Router<BasicRequestContext>) {
        registerRoutes(on: router)
        registerMethodNotAllowed(on: router)
    }

    /// Every endpoint (without the 405 answers).
    func registerRoutes(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in try JSONBody.response(["status": "ok"]) }
        router.get("/metrics") { _, _ in try await self.metrics() }
        router.get("/api/openapi.json") { _, _ in try self.openAPI() }

        router.get("/api/search") { request, _ in try await self.search(request) }
        router.get("/api/tracks/{uid}") { _, context in try self.track(context) }
        router.get("/api/tracks/{uid}/files") { _, context in try self.trackFiles(context) }
        router.delete("/api/tracks/{uid}") { _, context in try await self.deleteTrack(context) }
        router.get("/api/tracks/{uid}/stream") { request, context in try await self.stream(request, context) }
        router.head("/api/tracks/{uid}/stream") { request, context in try await self.stream(request, context, head: true) }
        router.get("/api/tracks/{uid}/artwork") { request, context in try await self.trackArtwork(request, context) }
        router.get("/api/tracks/{uid}/lyrics") { request, context in try await self.lyrics(request, context) }
        router.get("/api/albums/{id}/artwork") { request, context in try await self.albumArtwork(request, context) }

        router.get("/api/scan") { _, _ in try JSONBody.response(await self.configuration.actions.scanStatus()) }
        router.post("/api/scan") { _, _ in try JSONBody.response(await self.configuration.actions.startScan(), status: .accepted) }
        router.get("/api/events") { _, _ in try self.events() }
        router.post("/api/import") { request, context in try await self.importFiles(request, context) }

        registerStatus(on: router)
        registerUserData(on: router)
        registerPlaylists(on: router)
        registerSync(on: router)
        registerPlayer(on: router)
        registerAnalysis(on: router)
        registerSimilar(on: router)

        router.get("/") { request, context in try await self.staticFile(request, context) }
        router.get("/**") { request, context in try await self.staticFile(request, context) }
    }

    /// A 405 with `Allow` for the methods a known path does not take (the router alone answers 404).
    func registerMethodNotAllowed(on router: Router<BasicRequestContext>) {
        var byPath: [String: (path: RouterPath, methods: Set<HTTPRequest.Method>)] = [:]
        for route in router.routes { byPath[route.path.description, default: (route.path, [])].methods.insert(route.method) }
        // QUERY (the safe method with a body, draft-ietf-httpbis-safe-method-w-body) is routed nowhere either.
        let candidates: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace] + [HTTPRequest.Method("QUERY")].compactMap { $0 }
        for (_, entry) in byPath {
            let allow = entry.methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in candidates where !entry.methods.contains(method) {
                router.on(entry.path, method: method) { request, _ -> Response in
                    throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed here (allowed: \(allow))",
                                   headers: [.allow: allow])
                }
            }
        }
    }

    // MARK: - Small endpoints

    func openAPI() throws -> Response {
        guard let document = openAPIDocument else { throw APIError.notFound("the API document") }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: document))
    }

    /// The `uid` path parameter (26 base32 characters; anything else cannot name a track).
    func uid(_ context: BasicRequestContext) throws -> TrackUID {
        guard let text = context.parameters.get("uid"), !text.isEmpty, text.utf8.count <= 64,
              text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7a) })
        else { throw APIError.notFound("track") }
        return TrackUID(rawValue: text)
    }

    // MARK: - Tracks

    /// Pages up to this many tracks are searched on the cooperative pool (a millisecond or two);
    /// larger ones, up to 10,000 tracks of SQLite and JSON, on a thread of their own.
    static let poolSearchLimit = 200

    func search(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        let text = query.string("q") ?? ""
        let limit = try query.int("limit", default: 50, range: 0...10_000)
        let offset = try query.int("offset", default: 0, range: 0...Int(Int32.max))
        let sort = try query.choice("sort", default: text.isEmpty ? SearchSort.artist : SearchSort.relevance)
        let order = try query.choice("order", default: SortOrder.asc)
        let search = SearchQuery(text: text, limit: limit, offset: offset, sort: sort, descending: order == .desc)
        let library = self.library
        guard limit > Self.poolSearchLimit else { return try Self.searchResponse(library, search) }
        // A heavy read leaves the pool as the player's commands do (DESIGN: blocking work never
        // holds one of the pool's two threads, so other requests keep being answered).
        return try await DedicatedThread.run(named: "omnisonic-search") {
            Result { try Self.searchResponse(library, search) }
        }.get()
    }

    static func searchResponse(_ library: Library, _ search: SearchQuery) throws -> Response {
        let results = try library.search(search)
        return JSONBody.response(bytes: SearchResponse(tracks: results.tracks.map(APITrack.init(record:)),
                                                       total: results.total, suggestion: results.suggestion).json())
    }

    /// `GET /api/tracks/{uid}/files`: every file holding the track (copies of one recording
    /// share a track), primary first: deleting the track moves all of them to the trash, and
    /// the delete dialog lists them.
    func trackFiles(_ context: BasicRequestContext) throws -> Response {
        struct Files: Encodable { var files: [String] }
        let uid = try uid(context)
        guard try library.track(uid: uid) != nil else { throw APIError.notFound("track") }
        let files = try library.files(ofTrack: uid).map(\.absolutePath.displayString)
        return try JSONBody.response(Files(files: files))
    }

    func track(_ context: BasicRequestContext) throws -> Response {
        let uid = try uid(context)
        guard let record = try library.track(uid: uid) else { throw APIError.notFound("track") }
        return try JSONBody.response(APITrack(record: record))
    }

    func deleteTrack(_ context: BasicRequestContext) async throws -> Response {
        let uid = try uid(context)
        guard try library.track(uid: uid) != nil else { throw APIError.notFound("track") }
        guard try await configuration.actions.trash(uid: uid) else { throw APIError.notFound("track") }
        return Response(status: .noContent)
    }
}
