import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import Prometheus

/// Everything `APIServer` needs, passed in by the daemon (no global state).
public struct APIServerConfiguration: Sendable {
    /// The address to listen on: `127.0.0.1` by default. A non-loopback address requires `accessToken`.
    public var host: String
    /// The port; 0 lets the system choose (read it back with `APIServer.address`).
    public var port: Int
    /// The library database.
    public var library: Library
    /// Where artwork images are (`ArtworkCache.path(forHash:)`).
    public var artwork: ArtworkCache
    /// The music roots (absolute paths): streamed files must lie inside one of them. Called on
    /// each request, because the daemon's music folders change when its configuration is
    /// reloaded (SIGHUP). Any thread; must not block.
    public var musicRoots: @Sendable () -> [RawPath]
    /// The browser app's folder (`web/`), served at `/`; nil serves no static files.
    public var webDirectory: String?
    /// The OpenAPI document served at `GET /api/openapi.json` (`docs/api/openapi.json` in the
    /// repository; installed beside `web/`). Read once, at `APIServer.init`.
    public var openAPIPath: String?
    /// When set, every request but `GET /healthz` must carry `Authorization: Bearer <token>`
    /// or `?token=<token>`.
    public var accessToken: String?
    /// Extra names accepted in the `Host` header besides the bound address, `localhost`,
    /// `127.0.0.1` and `[::1]` (a LAN name when listening beyond loopback).
    public var allowedHosts: [String]
    /// The largest JSON (or M3U) request body, in bytes.
    public var maxBodyBytes: Int
    /// The largest single uploaded file, in bytes (`POST /api/import`).
    public var maxUploadBytes: Int
    /// The largest whole upload request (`POST /api/import`, all its files together), in bytes.
    public var maxUploadTotalBytes: Int = 4 << 30
    /// Free space an upload must leave on the music folder's disk (507 when it would not).
    public var minimumFreeBytes: Int64 = 256 << 20
    /// The most `GET /api/events` streams open at once (503 with `Retry-After` past it): each
    /// holds a connection, a task and a buffer of events.
    public var maxEventStreams: Int = 64
    /// Descriptors a stream or an artwork answer may hold while it is written (one each), shared
    /// with the process's other servers; spent, such requests answer 503 with `Retry-After`
    /// instead of opening anything (issue 18; `DescriptorBudget`). Nil: no budget.
    public var descriptors: DescriptorBudget?
    /// The idle/header timeout and the connection cap (`ConnectionLimits`).
    public var connections = ConnectionLimits()
    /// Live events for `GET /api/events`.
    public var events: EventHub
    /// Long or daemon-owned work: scans, trash, import.
    public var actions: any DaemonActions
    /// The Prometheus registry served at `/metrics` (the daemon may register its own metrics).
    public var metrics: PrometheusCollectorRegistry
    /// The interval between SSE keep-alive comments.
    public var heartbeat: Duration
    public var logger: Logger
    /// Other front doors served under their own path prefix (`HTTPMount`: the OpenSubsonic API).
    public var mounts: [any HTTPMount] = []
    /// The similarity index the similar, path, genre and radio routes read (decision 0035);
    /// the daemon passes its shared one, else the server makes its own over `library`.
    public var similar: SimilarTracks

    /// A configuration whose music roots are read anew on each request (`musicRoots`).
    public init(host: String = "127.0.0.1", port: Int = 0, library: Library, artwork: ArtworkCache,
                musicRoots: @escaping @Sendable () -> [RawPath], webDirectory: String? = nil, openAPIPath: String? = nil,
                accessToken: String? = nil, allowedHosts: [String] = [], maxBodyBytes: Int = 1 << 20,
                maxUploadBytes: Int = 2 << 30, events: EventHub, actions: any DaemonActions,
                metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                heartbeat: Duration = .seconds(15), logger: Logger = Logger(label: "omnisonic.webui")) {
        self.host = host
        self.port = port
        self.library = library
        self.artwork = artwork
        self.musicRoots = musicRoots
        self.webDirectory = webDirectory
        self.openAPIPath = openAPIPath
        self.accessToken = accessToken
        self.allowedHosts = allowedHosts
        self.maxBodyBytes = maxBodyBytes
        self.maxUploadBytes = maxUploadBytes
        self.events = events
        self.actions = actions
        self.metrics = metrics
        self.heartbeat = heartbeat
        self.logger = logger
        similar = SimilarTracks(library: library)
    }

    /// A configuration with fixed music roots.
    public init(host: String = "127.0.0.1", port: Int = 0, library: Library, artwork: ArtworkCache,
                musicRoots: [RawPath], webDirectory: String? = nil, openAPIPath: String? = nil,
                accessToken: String? = nil, allowedHosts: [String] = [], maxBodyBytes: Int = 1 << 20,
                maxUploadBytes: Int = 2 << 30, events: EventHub, actions: any DaemonActions,
                metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                heartbeat: Duration = .seconds(15), logger: Logger = Logger(label: "omnisonic.webui")) {
        self.init(host: host, port: port, library: library, artwork: artwork, musicRoots: { musicRoots },
                  webDirectory: webDirectory, openAPIPath: openAPIPath, accessToken: accessToken,
                  allowedHosts: allowedHosts, maxBodyBytes: maxBodyBytes, maxUploadBytes: maxUploadBytes,
                  events: events, actions: actions, metrics: metrics, heartbeat: heartbeat, logger: logger)
    }

    /// True for `127.0.0.0/8`, `::1`, `::ffff:127.x.y.z` and `localhost` (`Loopback.isLoopback`,
    /// the same rule as the daemon's configuration).
    public static func isLoopback(_ host: String) -> Bool { Loopback.isLoopback(host) }
}
