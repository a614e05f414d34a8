import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import Logging
import OmniModel
import ServiceLifecycle
import Synchronization

/// What the sync server needs: where to listen, its storage, its limits.
public struct SyncServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); the bound port is in `SyncServer.port`.
    public var port: Int
    public var storage: any SyncStorage
    /// The largest request body accepted (413 above it).
    public var maxBodyBytes: Int = 4 << 20
    /// The most operations one push may carry (413 above it).
    public var maxOpsPerPush: Int = 10_000
    /// The most operations one pull returns.
    public var maxPullLimit: Int = 5_000
    /// The longest a pull waits for new operations, in seconds.
    public var maxWaitSeconds: Double = 30
    /// Requests per second and burst allowed per device (429 above).
    public var requestsPerSecond: Double = 50
    public var requestBurst: Double = 200
    /// Operations stamped further than this ahead of the server's clock (ms) refuse their push:
    /// an HLC drags every replica's clock forward to the largest timestamp it sees (decisions
    /// 0007, 0017). `--max-clock-skew`, in seconds.
    public var maxFutureSkewMs: Int64 = 5 * 60 * 1000
    /// The largest operation (its canonical JSON) stored; larger ones are dropped as invalid.
    /// The largest a device makes is a favorite removal of 10,000 item ids (about 700 KB).
    public var maxOpBytes: Int = 1 << 20
    /// A pull answer holds at most this many bytes of operations (and at least one operation).
    public var maxPullBytes: Int = 4 << 20
    /// What one user's stream may hold (507 above it; decision 0017).
    public var quota = StreamQuota(operations: 2_000_000, bytes: 1 << 30, deviceOperations: 1_000_000, deviceBytes: 512 << 20)
    /// The bearer token `/metrics` needs; nil refuses every scrape (403). Decision 0017.
    public var metricsToken: String?
    /// How often a waiting pull checks that its device is still allowed (a revocation from
    /// another process, SQLite; PostgreSQL's revocations also wake the pull at once).
    public var revocationCheck: Duration = .seconds(1)
    /// Compact every stream this often (nil: never; `sync-server compact` does it on demand).
    public var compactionInterval: Duration? = nil
    /// Operations at the end of each stream that compaction leaves untouched.
    public var keepTail: Int64 = 10_000
    /// Serve HTTPS with this certificate chain and key (`SyncServerConfiguration.tls(certificate:key:)`);
    /// nil serves plain HTTP (loopback, or behind a TLS reverse proxy).
    public var tls: TLSConfiguration?
    /// The idle/header timeout and the connection cap (`ConnectionLimits`): a connection that
    /// sends no whole request head (or TLS handshake) within `idleTimeout` is closed; a long poll
    /// in progress is not cut.
    public var connections = ConnectionLimits(idleTimeout: .seconds(30), maxConnections: 4096)
    /// The administration page's folder (`sync-admin/`: `index.html`, `admin.css`, `main.js`,
    /// `api.js`, `views.js`); nil: no page. Served only while an administrator token exists
    /// (decision 0022).
    public var adminAssets: String?
    public var logger: Logger

    public init(host: String, port: Int, storage: any SyncStorage, logger: Logger = Logger(label: "omnisonic.sync-server")) {
        self.host = host
        self.port = port
        self.storage = storage
        self.logger = logger
    }

    /// A server TLS configuration from PEM files: the certificate chain (leaf first) and its
    /// private key. Errors name the file that cannot be used.
    public static func tls(certificate: String, key: String) throws(SyncError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw SyncError(.invalid, message: "cannot read the TLS certificate chain \(certificate) (PEM expected)", detail: "\(error)")
        }
        guard !chain.isEmpty else { throw SyncError(.invalid, message: "no certificate in \(certificate)") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw SyncError(.invalid, message: "cannot read the TLS private key \(key) (unencrypted PEM expected)", detail: "\(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}

/// The sync server: per-user append-only operation streams over HTTP (decision 0013).
///
/// `POST /v1/push`, `GET /v1/pull` (long poll), `GET /healthz`, `GET /metrics`. Every `/v1`
/// request needs `Authorization: Bearer <device token>`; the token decides the user, and a
/// request can only ever touch that user's stream (the user id never comes from the request).
///
/// A `Service`: listening starts in `run()`; graceful shutdown wakes long polls and stops.
public struct SyncServer: Service {
    public let configuration: SyncServerConfiguration
    let notifier = StreamNotifier()
    let limiter: RateLimiter
    let counters = SyncServerCounters()
    let visits = DeviceVisits()
    private let bound = ListenAddress.Bound()

    public init(configuration: SyncServerConfiguration) {
        self.configuration = configuration
        limiter = RateLimiter(perSecond: configuration.requestsPerSecond, burst: configuration.requestBurst)
    }

    /// Waits until the server listens and returns its port.
    public func port() async -> Int { await bound.waitForPort() }

    public func run() async throws {
        let bound = self.bound, notifier = self.notifier
        let limits = configuration.connections
        let http1: HTTPServerBuilder = .http1(configuration: .init(idleTimeout: .nanoseconds(limits.idleTimeoutNanoseconds)))
        let server: HTTPServerBuilder = try configuration.tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        let app = Application(
            router: makeRouter(),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil,
                                 availableConnectionsDelegate: .maximum(limits.maxConnections, logger: configuration.logger)),
            onServerRunning: { channel in bound.set(port: channel.localAddress?.port ?? 0) },
            logger: configuration.logger)
        // The storage's background work (PostgreSQL: the pool and the LISTEN for other
        // processes' pushes) runs detached from the graceful shutdown, so that requests still
        // in flight when it starts can finish; it stops once the HTTP server has.
        let storage = configuration.storage
        let background = Task.detached {
            await storage.run { user in
                if let user { notifier.notify(user) } else { notifier.notifyAll() }
            }
        }
        defer { background.cancel() }
        let compaction = configuration.compactionInterval.map { interval in
            Task { [configuration, counters] in await Self.compactPeriodically(configuration, every: interval, counters: counters) }
        }
        defer { compaction?.cancel() }
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            notifier.close()
        }
    }

    /// Compacts every stream longer than `keepTail` every `interval` (the first round one
    /// interval after the start) until cancelled. Failures are logged and retried at the next round.
    static func compactPeriodically(_ configuration: SyncServerConfiguration, every interval: Duration, counters: SyncServerCounters) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                let removed = try await compactAll(configuration.storage, keepTail: configuration.keepTail, logger: configuration.logger)
                    .reduce(0) { $0 + $1.removed }
                counters.compacted(removed)
            } catch let error as SyncError {
                counters.compactionFailed(error.message)
                configuration.logger.warning("compaction failed; next try in \(interval)", metadata: ["detail": "\(error.expandedDescription)"])
            } catch {
                return // cancelled
            }
        }
    }

    /// Compacts every stream of `storage` up to its last `keepTail` operations; returns, per
    /// stream compacted, a line saying what happened (`sync-server compact` prints them) and
    /// the number of operations removed.
    @discardableResult
    public static func compactAll(_ storage: any SyncStorage, keepTail: Int64, logger: Logger) async throws(SyncError)
        -> [(line: String, removed: Int)] {
        var lines: [(line: String, removed: Int)] = []
        for stream in try await storage.streams() where stream.head > keepTail {
            let started = ContinuousClock.now
            let result = try await storage.compact(userID: stream.userID, through: stream.head - keepTail)
            let line = "\(stream.user): kept \(result.kept), removed \(result.removed) of the first \(stream.head - keepTail) operations"
            if result.removed > 0 {
                logger.info("compacted", metadata: ["user": "\(stream.user)", "kept": "\(result.kept)", "removed": "\(result.removed)",
                                                    "seconds": "\(ContinuousClock.now - started)"])
            }
            lines.append((line: line, removed: result.removed))
        }
        return lines
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in Self.json(Array("{\"status\":\"ok\"}".utf8)) }
        router.get("/metrics") { request, _ in
            // Not for everyone who reaches the sync port (decision 0017): it tells who syncs how much.
            guard let expected = self.configuration.metricsToken else {
                return Self.json(Self.errorBody(SyncError(.forbidden, message: "/metrics is off: start the server with --metrics-token (or OMNISONIC_SYNC_METRICS_TOKEN)")),
                                 status: .forbidden)
            }
            guard let given = Self.bearer(request), DeviceToken.hash(given) == DeviceToken.hash(expected) else {
                var response = Self.json(Self.errorBody(SyncError(.unauthorized, message: "/metrics needs Authorization: Bearer <metrics token>")),
                                         status: .unauthorized)
                response.headers[.wwwAuthenticate] = "Bearer"
                return response
            }
            return try await self.metrics()
        }
        router.post("/v1/push") { request, _ in await self.respond { () throws(SyncError) in try await self.push(request) } }
        router.get("/v1/pull") { request, _ in await self.respond { () throws(SyncError) in try await self.pull(request) } }
        addAdminRoutes(to: router)
        return router
    }

    // MARK: - Handlers

    func respond(_ body: () async throws(SyncError) -> Response) async -> Response {
        counters.requested()
        do {
            return try await body()
        } catch {
            var error = error
            var exhausted = false
            // Out of descriptors (the database could not open a file or a connection): a 503 to
            // retry, not a 500 (issue 18; `Descriptors`).
            if error.reason == .storage || error.reason == .unavailable, Descriptors.exhausted() {
                exhausted = true
                error = SyncError(.unavailable, message: "the sync server has run out of file descriptors; try again shortly",
                                  detail: error.expandedDescription)
            }
            counters.rejected(error.reason)
            let status: HTTPResponse.Status = switch error.reason {
            case .unauthorized: .unauthorized
            case .tooLarge: .contentTooLarge
            case .rateLimited: .tooManyRequests
            case .invalid: .badRequest
            case .notFound: .notFound
            case .storage: .internalServerError
            case .unavailable: .serviceUnavailable
            case .quotaExceeded, .deviceQuotaExceeded: Self.insufficientStorage
            case .forbidden: .forbidden
            }
            if error.reason == .storage || error.reason == .unavailable { configuration.logger.error("\(error.expandedDescription)") }
            var response = Self.json(Self.errorBody(error), status: status)
            if error.reason == .rateLimited { response.headers[.retryAfter] = error.detail }
            if exhausted { response.headers[.retryAfter] = String(Descriptors.retryAfterSeconds) }
            if error.reason == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        }
    }

    /// The header a client declares its library device id in (`SyncClient.push(_:device:)`).
    static let deviceHeader = HTTPField.Name("Omnisonic-Device")!

    /// 507 Insufficient Storage: the user's stream reached its quota.
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")

    /// The bearer token of a request, if any (at most 256 bytes).
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        let token = header.dropFirst("Bearer ".count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.utf8.count > 256 ? nil : token
    }

    private func authenticate(_ request: Request) async throws(SyncError) -> (principal: SyncPrincipal, tokenHash: String) {
        guard let token = Self.bearer(request) else {
            throw SyncError(.unauthorized, message: "a device token is required (Authorization: Bearer <token>)")
        }
        let hash = DeviceToken.hash(token)
        guard let principal = try await configuration.storage.authenticate(tokenHash: hash) else {
            throw SyncError(.unauthorized, message: "unknown or revoked device token")
        }
        if let wait = limiter.take(principal.deviceID) {
            throw SyncError(.rateLimited, message: "too many requests from this device", detail: String(Int(wait.rounded(.up)) + 0))
        }
        // "Last seen" for the administration page, written at most once a minute per device.
        let now = Int64(Date().timeIntervalSince1970)
        if visits.due(principal.deviceID, now: now) {
            try? await configuration.storage.touch(deviceID: principal.deviceID, now: now)
        }
        return (principal, hash)
    }

    func push(_ request: Request) async throws(SyncError) -> Response {
        let principal = try await authenticate(request).principal
        // The library device id the client says it writes under (decision 0017).
        let library = request.headers[Self.deviceHeader]
        if let library, library.isEmpty || library.utf8.count > 64 {
            throw SyncError(.invalid, message: "Omnisonic-Device must be a device id of 1 to 64 bytes")
        }
        let limit = configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw SyncError(.tooLarge, message: "a push is at most \(limit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw SyncError(.tooLarge, message: "a push is at most \(limit) bytes")
        }
        let batch: PushRequest
        do {
            batch = try JSONDecoder().decode(PushRequest.self, from: Data(buffer.readableBytesView))
        } catch {
            throw SyncError(.invalid, message: "the body is not a batch of operations", detail: "\(error)")
        }
        guard batch.ops.count <= configuration.maxOpsPerPush else {
            throw SyncError(.tooLarge, message: "a push carries at most \(configuration.maxOpsPerPush) operations")
        }
        let horizon = Int64(Date().timeIntervalSince1970 * 1000) + configuration.maxFutureSkewMs
        var encoded: [IncomingOperation] = []
        encoded.reserveCapacity(batch.ops.count)
        var rejected = 0
        let encoder = Wire.canonicalEncoder()
        for op in batch.ops {
            // What every replica would skip is dropped here: no state changes, and compaction
            // never keeps an invalid operation in place of the valid one it beats.
            guard op.isValidForMerge else {
                rejected += 1
                continue
            }
            guard !op.target.isEmpty, op.target.utf8.count <= 200, !op.device.isEmpty, op.device.utf8.count <= 64 else {
                throw SyncError(.invalid, message: "an operation needs a target of 1 to 200 bytes and a device of 1 to 64 bytes")
            }
            guard op.hlc.wallMs <= horizon else {
                throw SyncError(.invalid, message: "operation \(op.id) is stamped more than \(configuration.maxFutureSkewMs / 1000) seconds ahead of the server's clock; fix the device's clock")
            }
            let body: [UInt8]
            do {
                body = try Wire.encode(op, with: encoder)
            } catch {
                throw SyncError(.invalid, message: "an operation cannot be encoded", detail: "\(error)")
            }
            // Valid but larger than any device makes (long texts are bounded in bytes by the
            // validation above): dropped like an invalid one.
            guard body.count <= configuration.maxOpBytes else {
                rejected += 1
                continue
            }
            encoded.append(IncomingOperation(id: op.id.encoded, device: op.device, body: body))
        }
        let result = try await configuration.storage.append(userID: principal.userID, deviceID: principal.deviceID, library: library,
                                                            ops: encoded, quota: configuration.quota)
        if result.accepted > 0 { notifier.notify(principal.userID) }
        counters.pushed(accepted: result.accepted, duplicates: result.duplicates, rejected: rejected, foreign: result.foreign)
        let body = PushResponse(accepted: result.accepted, duplicates: result.duplicates, head: result.head, rejected: rejected + result.foreign)
        return Self.json(Array((try? JSONEncoder().encode(body)) ?? Data()))
    }

    func pull(_ request: Request) async throws(SyncError) -> Response {
        let (principal, tokenHash) = try await authenticate(request)
        let query = request.uri.queryParameters
        func number(_ name: String, default value: Double, range: ClosedRange<Double>) throws(SyncError) -> Double {
            guard let text = query[name[...]] else { return value }
            guard let parsed = Double(String(text)), parsed.isFinite, range.contains(parsed) else {
                throw SyncError(.invalid, message: "\(name) must be a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return parsed
        }
        let after = Int64(try number("after", default: 0, range: 0...9e15))
        let limit = Int(try number("limit", default: 1000, range: 1...Double(configuration.maxPullLimit)))
        let wait = try number("wait", default: 0, range: 0...configuration.maxWaitSeconds)
        // bytes=B: the most the device accepts (the server's own bound applies too).
        let maxBytes = Int(try number("bytes", default: Double(configuration.maxPullBytes), range: 1024...9e15))
        let pageBytes = min(maxBytes, configuration.maxPullBytes)
        // ack=N: the device has applied everything through N and nothing it sent awaits an acknowledgement.
        if let text = query["ack"] {
            guard let ack = Int64(String(text)), ack >= 0, ack <= after else {
                throw SyncError(.invalid, message: "ack must be a cursor from 0 to after")
            }
            if ack > principal.seen {
                try await configuration.storage.acknowledge(deviceID: principal.deviceID, cursor: ack,
                                                            now: Int64(Date().timeIntervalSince1970))
            }
        }
        // The generation is read before the stream, so a push landing in between is not missed;
        // a wake that finds nothing new (another process's announcement of a push this one
        // already served, a lost connection's catch-up) just waits again.
        var seen = notifier.generation(of: principal.userID)
        var (ops, head) = try await configuration.storage.read(userID: principal.userID, after: after, limit: limit, maxBytes: pageBytes)
        let deadline = Date(timeIntervalSinceNow: wait)
        let check = Double(configuration.revocationCheck.components.seconds) + Double(configuration.revocationCheck.components.attoseconds) * 1e-18
        while ops.isEmpty, !notifier.isClosed, !Task.isCancelled {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0.001 else { break }
            await notifier.wait(for: principal.userID, seen: seen, seconds: min(remaining, check))
            // A device revoked while its pull waits gets nothing more (decision 0017): its
            // token is checked again at every wake, and at least every `revocationCheck`.
            guard try await configuration.storage.authenticate(tokenHash: tokenHash) != nil else {
                throw SyncError(.unauthorized, message: "unknown or revoked device token")
            }
            seen = notifier.generation(of: principal.userID)
            (ops, head) = try await configuration.storage.read(userID: principal.userID, after: after, limit: limit, maxBytes: pageBytes)
        }
        counters.pulled(ops.count)
        let cursor = ops.last?.seq ?? after
        return Wire.pullResponse(cursor: cursor, head: head, more: cursor < head, ops: ops)
    }

    func metrics() async throws -> Response {
        let totals = try? await configuration.storage.totals()
        var text = counters.exposition()
        func gauge(_ name: String, _ help: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
        }
        gauge("omnisonic_sync_waiting_pulls", "Long polls waiting for operations", notifier.waiting)
        if let totals {
            gauge("omnisonic_sync_users", "Users", totals.users)
            gauge("omnisonic_sync_devices", "Devices with a valid token", totals.devices)
            gauge("omnisonic_sync_operations_stored", "Operations appended to all streams (compacted ones included)", totals.operations)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - Helpers

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func errorBody(_ error: SyncError) -> [UInt8] {
        struct Body: Encodable {
            struct Inner: Encodable { var code: String; var message: String }
            var error: Inner
        }
        return Array((try? JSONEncoder().encode(Body(error: .init(code: error.code, message: error.message)))) ?? Data())
    }
}

/// The server's counters for `/metrics` (Prometheus text format) and the administration page.
final class SyncServerCounters: Sendable {
    private struct Values {
        var requests = 0
        var pushes = 0, accepted = 0, duplicates = 0, pulls = 0, served = 0, compactions = 0, compacted = 0
        var invalidOps = 0, foreignOps = 0
        var rejected: [String: Int] = [:]
        var lastCompactionAt: Int64?
        var lastCompactionRemoved: Int?
        var lastCompactionError: String?
    }
    private let values = Mutex(Values())
    private let startedAt = Int64(Date().timeIntervalSince1970)

    /// What the administration page shows (decision 0022): totals since the start; the page
    /// derives rates from two snapshots.
    struct Snapshot: Encodable {
        var startedAt: Int64
        var requests: Int
        var errors: Int
        var pushes: Int
        var pulls: Int
        var opsAccepted: Int
        var opsServed: Int
        var rejected: [String: Int]
        var lastCompactionAt: Int64?
        var lastCompactionRemoved: Int?
        var lastCompactionError: String?
    }

    func snapshot() -> Snapshot {
        let v = values.withLock { $0 }
        return Snapshot(startedAt: startedAt, requests: v.requests, errors: v.rejected.values.reduce(0, +), pushes: v.pushes, pulls: v.pulls,
                        opsAccepted: v.accepted, opsServed: v.served, rejected: v.rejected, lastCompactionAt: v.lastCompactionAt,
                        lastCompactionRemoved: v.lastCompactionRemoved, lastCompactionError: v.lastCompactionError)
    }

    func requested() { values.withLock { $0.requests += 1 } }

    func compactionFailed(_ message: String) { values.withLock { $0.lastCompactionError = message } }

    func pushed(accepted: Int, duplicates: Int, rejected: Int = 0, foreign: Int = 0) {
        values.withLock {
            $0.pushes += 1; $0.accepted += accepted; $0.duplicates += duplicates
            $0.invalidOps += rejected; $0.foreignOps += foreign
        }
    }

    func pulled(_ count: Int) { values.withLock { $0.pulls += 1; $0.served += count } }

    /// A round of compaction ended; `manual`: asked for on the administration page (not a round of the timer).
    func compacted(_ removed: Int, manual: Bool = false) {
        let now = Int64(Date().timeIntervalSince1970)
        values.withLock {
            if !manual {
                $0.compactions += 1
                $0.lastCompactionAt = now
                $0.lastCompactionRemoved = removed
                $0.lastCompactionError = nil
            }
            $0.compacted += removed
        }
    }

    func rejected(_ reason: SyncError.Reason) { values.withLock { $0.rejected[reason.rawValue, default: 0] += 1 } }

    func exposition() -> String {
        let v = values.withLock { $0 }
        var text = ""
        func counter(_ name: String, _ help: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        counter("omnisonic_sync_requests_total", "Requests to /v1 and /admin/api", v.requests)
        counter("omnisonic_sync_pushes_total", "Push requests served", v.pushes)
        counter("omnisonic_sync_ops_accepted_total", "Operations appended", v.accepted)
        counter("omnisonic_sync_ops_duplicate_total", "Operations pushed again (ignored)", v.duplicates)
        counter("omnisonic_sync_ops_invalid_total", "Operations dropped at ingest: invalid for every replica, or larger than any device makes", v.invalidOps)
        counter("omnisonic_sync_ops_foreign_total", "Operations refused because their device id belongs to another device of the user", v.foreignOps)
        counter("omnisonic_sync_pulls_total", "Pull requests served", v.pulls)
        counter("omnisonic_sync_ops_served_total", "Operations sent to devices", v.served)
        counter("omnisonic_sync_compactions_total", "Rounds of automatic compaction completed", v.compactions)
        counter("omnisonic_sync_ops_compacted_total", "Operations removed by automatic compaction (beaten, or tombstones every device acknowledged)", v.compacted)
        text += "# HELP omnisonic_sync_rejected_total Requests refused, by reason\n# TYPE omnisonic_sync_rejected_total counter\n"
        for (reason, count) in v.rejected.sorted(by: { $0.key < $1.key }) {
            text += "omnisonic_sync_rejected_total{reason=\"\(reason)\"} \(count)\n"
        }
        return text
    }
}

/// When each device was last recorded as seen, so that `touch` writes at most once a minute per device.
final class DeviceVisits: Sendable {
    private let last = Mutex<[Int64: Int64]>([:])

    /// True (and noted) when `device` was not recorded within the last minute.
    func due(_ device: Int64, now: Int64) -> Bool {
        last.withLock { last in
            if let seen = last[device], now - seen < 60 { return false }
            if last.count > 100_000 { last.removeAll() } // revoked devices do not pile up
            last[device] = now
            return true
        }
    }
}
