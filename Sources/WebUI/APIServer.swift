import Foundation
import Hummingbird
import Indexer
import LocalStore
import Logging
import NIOCore
import OmniModel
import Prometheus
import ServiceLifecycle

/// The HTTP server: JSON API, Server-Sent Events, `/metrics` and the static `web/` folder.
///
/// A `Service` (swift-service-lifecycle): the daemon adds it to its `ServiceGroup`, which runs
/// `run()` and stops it on graceful shutdown. Listening starts in `run()`, never in `init`.
///
/// ```swift
/// let server = try APIServer(configuration: APIServerConfiguration(
///     host: "127.0.0.1", port: 4533, library: library, artwork: cache, musicRoots: roots,
///     webDirectory: "/usr/share/omnisonicd/web", openAPIPath: "/usr/share/omnisonicd/openapi.json",
///     events: hub, actions: daemonActions))
/// let group = ServiceGroup(services: [scanService, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// // elsewhere: let port = await server.address.waitForPort()
/// ```
///
/// Thread safety: a value; handlers run on Swift concurrency tasks and only call short GRDB
/// reads and writes (milliseconds) themselves; anything long goes through `DaemonActions`.
public struct APIServer: Service {
    public let configuration: APIServerConfiguration
    /// The bound address, known once `run()` listens.
    public let address: ListenAddress.Bound
    let openAPIDocument: ByteBuffer?

    /// Validates the configuration.
    ///
    /// - Throws: `APIError` (`config.token_required`) when `host` is not a loopback address and no
    ///   access token is set; (`config.openapi_unreadable`) when `openAPIPath` cannot be read.
    public init(configuration: APIServerConfiguration) throws(APIError) {
        if !APIServerConfiguration.isLoopback(configuration.host), (configuration.accessToken ?? "").isEmpty {
            throw APIError(.badRequest, "config.token_required",
                           "listening on \(configuration.host) (not loopback) requires an access token")
        }
        self.configuration = configuration
        self.address = ListenAddress.Bound()
        if let path = configuration.openAPIPath {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw APIError(.internalServerError, "config.openapi_unreadable", "cannot read the OpenAPI document at \(path)")
            }
            openAPIDocument = ByteBuffer(bytes: data)
        } else {
            openAPIDocument = nil
        }
    }

    /// Listens and serves until the task is cancelled or graceful shutdown is triggered.
    ///
    /// - Throws: when the address cannot be bound.
    public func run() async throws {
        let address = self.address
        let limits = configuration.connections
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [PeerAddressHandler()],
                                                idleTimeout: .nanoseconds(limits.idleTimeoutNanoseconds))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                                 availableConnectionsDelegate: .maximum(limits.maxConnections, logger: configuration.logger)),
            onServerRunning: { channel in
                address.set(port: channel.localAddress?.port ?? 0)
            },
            logger: configuration.logger)
        let events = configuration.events
        let scanMetrics = ScanMetrics(registry: configuration.metrics)
        let updates = await events.subscribe()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Scan events feed /metrics for as long as the server runs, and every change of
                // analyses or tracks (scans, edits, removals) marks the similarity index stale.
                let similar = configuration.similar
                group.addTask {
                    for await event in updates {
                        scanMetrics.record(event)
                        similar.noticed(event)
                    }
                }
                try await app.run()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Open SSE responses would otherwise keep the server waiting for them.
            Task { await events.finishAll() }
        }
    }

    /// The router with every route and middleware (also used by tests that need no socket).
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware(registry: configuration.metrics))
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: SecurityMiddleware(configuration: configuration, address: address))
        let handlers = Handlers(configuration: configuration, openAPIDocument: openAPIDocument)
        // Mounts first: the static files' catch-all route must not shadow them.
        for mount in configuration.mounts { mount.register(on: router, media: MediaResponder(handlers: handlers)) }
        handlers.register(on: router)
        return router
    }
}
