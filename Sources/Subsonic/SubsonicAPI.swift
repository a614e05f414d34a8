import Foundation
import Hummingbird
import Indexer
import LocalStore
import Logging
import NIOCore
import OmniModel
import WebUI

/// What the door needs from the daemon, passed in by `omnisonicd run` (no globals).
public struct SubsonicEnvironment: Sendable {
    /// The library (reads, and every user change through `Library.record`).
    public var library: Library
    /// Scans and the player: the same actions the web API uses.
    public var actions: any DaemonActions
    /// The one Subsonic user's name (`[subsonic] user`).
    public var user: String
    /// Where the password and API keys are (`<data>/subsonic`).
    public var credentials: CredentialFile
    /// The daemon's version, sent as `serverVersion`.
    public var serverVersion: String
    /// The music folders (read on each request: they change on SIGHUP).
    public var musicRoots: @Sendable () -> [RawPath]
    /// Announces a change made here (web UI, MPD clients, sync). Any thread; never blocks.
    public var publish: @Sendable (LibraryEvent) -> Void
    /// When the daemon started (the `created`/`changed` dates of playlists, which keep none).
    public var startedAt: Date
    public var logger: Logger
    /// The similarity index (decision 0035): getSimilarSongs(2) and the `sonicSimilarity`
    /// extension answer from it; nil answers them empty and does not list the extension.
    public var similar: SimilarTracks?

    public init(library: Library, actions: any DaemonActions, user: String, credentials: CredentialFile, serverVersion: String,
                musicRoots: @escaping @Sendable () -> [RawPath], publish: @escaping @Sendable (LibraryEvent) -> Void,
                startedAt: Date = Date(), logger: Logger) {
        self.library = library
        self.actions = actions
        self.user = user
        self.credentials = credentials
        self.serverVersion = serverVersion
        self.musicRoots = musicRoots
        self.publish = publish
        self.startedAt = startedAt
        self.logger = logger
    }
}

/// The OpenSubsonic API under `/rest/` (both `/rest/name` and `/rest/name.view`; GET and form
/// POST answer the same). A mount of WebUI's server (`HTTPMount`): the `Host` check and the
/// connection limits of decision 0016 apply, the web API's token does not — Subsonic
/// credentials are checked here (`Authenticator`). Every error is HTTP 200 with
/// `status="failed"` and a Subsonic code.
///
/// Thread safety: a value; handlers run on Swift concurrency tasks and only make short
/// library reads and writes (as the web API's handlers do).
public struct SubsonicAPI: HTTPMount {
    public let pathPrefix = "/rest/"
    let environment: SubsonicEnvironment
    let authenticator: Authenticator
    let state: DoorState
    /// The largest form body read (a playlist of 10,000 song ids is ~300 KB).
    static let maxFormBytes = 1 << 20

    public init(environment: SubsonicEnvironment) {
        self.environment = environment
        authenticator = Authenticator(user: environment.user, store: CredentialStore(file: environment.credentials))
        state = DoorState(folder: environment.credentials.folder)
    }

    public func register(on router: Router<BasicRequestContext>, media: MediaResponder) {
        let endpoints = Self.endpoints()
        router.get("/rest/{method}") { request, context in await self.respond(request, context, media, endpoints) }
        router.post("/rest/{method}") { request, context in await self.respond(request, context, media, endpoints) }
        registerSettings(on: router)
    }

    /// One call's parameters and everything an endpoint needs.
    struct Call: Sendable {
        let parameters: Parameters
        let environment: SubsonicEnvironment
        let state: DoorState
        let shapes: Shapes
        let request: Request
        let context: BasicRequestContext
        let media: MediaResponder
        let user: String
        var library: Library { environment.library }
    }

    /// What an endpoint answers: a payload inside the envelope (nil for an empty `ok`), or a
    /// whole HTTP response (media).
    enum Reply: Sendable {
        case node(Node?)
        /// A payload that is a bare list (`getOpenSubsonicExtensions`: `"openSubsonicExtensions": [...]`).
        case list(String, [Node])
        case http(Response)
    }

    typealias Endpoint = @Sendable (Call) async throws -> Reply

    func respond(_ request: Request, _ context: BasicRequestContext, _ media: MediaResponder,
                 _ endpoints: [String: Endpoint]) async -> Response {
        var parameters = Parameters()
        if let query = request.uri.query { parameters.add(urlEncoded: Substring(query)) }
        var format = Format.xml
        do {
            if request.method == .post,
               let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/x-www-form-urlencoded") {
                let body = try await request.body.collect(upTo: Self.maxFormBytes)
                parameters.add(urlEncoded: Substring(String(buffer: body)))
            }
            format = Self.format(parameters)
            var name = context.parameters.get("method") ?? ""
            if name.hasSuffix(".view") { name.removeLast(5) }
            guard let endpoint = endpoints[name] else { throw SubsonicError(.notFound, "unknown API method \(name)") }
            let user: String
            if name == "getOpenSubsonicExtensions" {
                user = environment.user
            } else {
                user = try authenticator.authenticate(parameters, peer: PeerAddress.of(request))
            }
            let legacy = (parameters.string("c") ?? "").lowercased().hasPrefix("dsub")
            let call = Call(parameters: parameters, environment: environment, state: state, shapes: Shapes(legacy: legacy),
                            request: request, context: context, media: media, user: user)
            switch try await endpoint(call) {
            case .http(let response): return Self.withCORS(response)
            case .node(let node):
                return render(Renderer.envelope(status: "ok", serverVersion: environment.serverVersion, payload: node.map { [.one($0)] } ?? []), format)
            case .list(let name, let nodes):
                return render(Renderer.envelope(status: "ok", serverVersion: environment.serverVersion, payload: [.many(name, nodes)]), format)
            }
        } catch {
            let failure = Self.subsonicError(error, logger: environment.logger)
            let node = Node("error", [("code", .int(failure.code.rawValue)), ("message", .string(failure.message))])
            return render(Renderer.envelope(status: "failed", serverVersion: environment.serverVersion, payload: [.one(node)]), format)
        }
    }

    /// `f`: `xml` (the default), `json`, or `jsonp` with `callback` (a JavaScript name only:
    /// anything else would let a page inject script into the answer).
    static func format(_ parameters: Parameters) -> Format {
        switch parameters.string("f")?.lowercased() {
        case "json": return .json
        case "jsonp":
            let callback = parameters.string("callback") ?? "callback"
            let valid = !callback.isEmpty && callback.utf8.count <= 128 && callback.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || $0 == 0x24 || $0 == 0x2E
            }
            return .jsonp(callback: valid ? callback : "callback")
        default: return .xml
        }
    }

    func render(_ root: Node, _ format: Format) -> Response {
        let (bytes, type) = Renderer.render(root, format: format)
        return Self.withCORS(Response(status: .ok, headers: [.contentType: type, .contentLength: String(bytes.count)],
                                      body: .init(byteBuffer: ByteBuffer(bytes: bytes))))
    }

    /// Browser clients (Feishin, Airsonic-refix) call from their own origin; credentials are
    /// in every request, never in cookies, so any origin may read the answers.
    static func withCORS(_ response: Response) -> Response {
        var response = response
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }

    /// The Subsonic error for anything an endpoint throws: the door's one table from the shared
    /// error kind (decision 0025) to Subsonic's codes. Missing parameters (10) and credentials
    /// (40–44) are the door's own `SubsonicError`s, never derived from a kind.
    static func subsonicError(_ error: any Error, logger: Logger) -> SubsonicError {
        if let e = error as? SubsonicError { return e }
        guard let e = error as? any OmniError else {
            logger.error("subsonic request failed", metadata: ["error": "\(error)"])
            return SubsonicError(.generic, "the server failed")
        }
        switch e.kind {
        case .notFound: return SubsonicError(.notFound, e.description)
        case .denied: return SubsonicError(.notAuthorized, e.description)
        case .invalid, .conflict: return SubsonicError(.generic, e.description)
        case .unavailable, .busy, .full, .internal:
            logger.error("subsonic request failed", metadata: ["error": "\(e.expandedDescription)", "code": "\(e.code)"])
            return SubsonicError(.generic, e.description)
        }
    }

    /// Every endpoint, by name.
    static func endpoints() -> [String: Endpoint] {
        var table: [String: Endpoint] = [:]
        registerSystem(&table)
        registerBrowsing(&table)
        registerSearch(&table)
        registerMedia(&table)
        registerLyrics(&table)
        registerUserData(&table)
        registerPlayback(&table)
        registerEmpty(&table)
        return table
    }
}
