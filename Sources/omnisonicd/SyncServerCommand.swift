import ArgumentParser
import Daemon
import Foundation
import Logging
import OmniModel
import ServiceLifecycle
import Sync

/// `omnisonicd sync-server`: the sync server and its device administration (decision 0013).
///
/// `sync-server --data DIR --listen ADDR` serves; `add-device`, `list-devices`,
/// `revoke-device` and `compact` edit the same database (`DIR/sync.sqlite`, or the PostgreSQL
/// database of `--postgres`), also while it serves.
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "Run the sync server, or manage its devices.",
        discussion: """
            The server keeps one append-only operation stream per user in DIR/sync.sqlite (or, \
            with --postgres, in a PostgreSQL database that several servers may share) and \
            serves it over HTTP (POST /v1/push, GET /v1/pull, /healthz, and /metrics for the \
            holder of --metrics-token). Each device \
            authenticates with a token from `add-device`; the server stores only its SHA-256. \
            It serves HTTPS with --tls-cert and --tls-key, or plain HTTP on loopback (the \
            default, 127.0.0.1:7700); plain HTTP on another address needs --insecure-http (for a \
            TLS reverse proxy in front: Sources/Sync/README.md). Connections that send no whole \
            request within --idle-timeout seconds are closed, and at most --max-connections are \
            served at once.
            """,
        subcommands: [SyncServe.self, SyncAddDevice.self, SyncListDevices.self, SyncRevokeDevice.self, SyncCompact.self, SyncAdminToken.self],
        defaultSubcommand: SyncServe.self)
}

/// Options every sync-server command shares: where the server keeps its data.
struct SyncDataOptions: ParsableArguments {
    @Option(help: "The sync server's folder for the SQLite backend (created if missing; holds sync.sqlite).",
            completion: .directory)
    var data: String?

    @Option(help: ArgumentHelp(
        "Use PostgreSQL instead of SQLite (several servers may share it): postgres://user[:password]@host[:port]/database[?sslmode=disable|require], or postgres://user@/database?host=/run/postgresql for a socket.",
        discussion: "Also read from OMNISONIC_SYNC_POSTGRES; without a password in the URL, PGPASSWORD is used."))
    var postgres: String?

    /// The URL from the flag or the environment.
    var postgresURL: String? { postgres ?? ProcessInfo.processInfo.environment["OMNISONIC_SYNC_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 } }

    func validate() throws {
        if data != nil && postgres != nil { throw ValidationError("give --data DIR or --postgres URL, not both") }
        if data == nil && postgresURL == nil {
            throw ValidationError("give --data DIR (SQLite) or --postgres URL (or OMNISONIC_SYNC_POSTGRES)")
        }
    }

    /// The storage the options name. PostgreSQL's needs its `run(wake:)` going (the server
    /// runs it; other commands go through `SyncStorage.using`).
    func storage(logger: Logger = Logger(label: "omnisonic.sync.postgres") { StderrLogHandler(label: $0, level: .warning) }) -> any SyncStorage {
        if data == nil, let url = postgresURL {
            do {
                return try PostgresSyncStorage(url: url, logger: logger)
            } catch {
                Self.fail(error.expandedDescription)
            }
        }
        return sqlite()
    }

    private func sqlite() -> SQLiteSyncStorage {
        let folder = ((data ?? ".") as NSString).standardizingPath
        do {
            try PrivateFiles.makeFolder(folder) // 0700 whatever the umask (decision 0017)
        } catch {
            Self.fail("cannot create the folder \(folder): \(error)")
        }
        do {
            return try SQLiteSyncStorage(path: folder + "/sync.sqlite")
        } catch {
            Self.fail(error.expandedDescription)
        }
    }

    /// Runs `body` on the storage with its background work going; a storage failure ends the
    /// command with its message and status 1.
    func withStorage<T: Sendable>(_ body: (any SyncStorage) async throws -> T) async throws -> T {
        do {
            return try await storage().using { try await body($0) }
        } catch let error as SyncError {
            Self.fail(error.expandedDescription)
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("omnisonicd sync-server: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

struct SyncServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the sync API (the default).")

    @OptionGroup var options: SyncDataOptions

    @Option(help: "HOST:PORT to serve on (default: 127.0.0.1:7700; port 0 picks a free port).")
    var listen: String = "127.0.0.1:7700"

    @Option(name: .customLong("max-body-size"), help: "The largest push accepted, in bytes (default: 4194304).")
    var maxBodySize: Int = 4 << 20

    @Option(name: .customLong("rate"), help: "Requests per second allowed per device (default: 50; bursts of 4x).")
    var rate: Double = 50

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default: info).")
    var logLevel: String = "info"

    @Option(name: .customLong("compact-every"), help: "Minutes between compactions of every stream (default: 60; 0: never).")
    var compactEvery: Double = 60

    @Option(name: .customLong("keep-tail"), help: "Operations at the end of each stream that compaction leaves untouched (default: 10000).")
    var keepTail: Int64 = 10_000

    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate chain (leaf first; with --tls-key).",
            completion: .file())
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "The PEM private key of --tls-cert.", completion: .file())
    var tlsKey: String?

    @Flag(name: .customLong("insecure-http"),
          help: "Allow plain HTTP on an address other computers can reach (only behind a TLS reverse proxy on a network you trust).")
    var insecureHTTP = false

    @Option(name: .customLong("idle-timeout"),
            help: "Seconds a connection may take to send a whole request head, or stay idle, before it is closed (default: 30).")
    var idleTimeout: Double = 30

    @Option(name: .customLong("max-connections"),
            help: "Connections served at once; more wait (default: 4096, at most the descriptor limit minus 256).")
    var maxConnections: Int = 4096

    // Trust limits (decision 0017).
    @Option(name: .customLong("max-clock-skew"), help: "Refuse operations stamped more than this many seconds ahead of the server's clock (default: 300).")
    var maxClockSkew: Double = 300

    @Option(name: .customLong("quota-ops"), help: "The most operations one user's stream may hold after compaction (default: 2000000; 507 above).")
    var quotaOps: Int64 = 2_000_000

    @Option(name: .customLong("quota-bytes"), help: "The most bytes of operations one user's stream may hold (default: 1073741824; 507 above).")
    var quotaBytes: Int64 = 1 << 30

    @Option(name: .customLong("device-quota-ops"), help: "The most operations one device's pushes may keep in its user's stream (default: 1000000; 507 above).")
    var deviceQuotaOps: Int64 = 1_000_000

    @Option(name: .customLong("device-quota-bytes"), help: "The most bytes one device's pushes may keep in its user's stream (default: 536870912; 507 above).")
    var deviceQuotaBytes: Int64 = 512 << 20

    @Option(name: .customLong("max-pull-bytes"), help: "The most bytes of operations one pull answer holds (default: 4194304).")
    var maxPullBytes: Int = 4 << 20

    @Option(name: .customLong("metrics-token"), help: ArgumentHelp(
        "The bearer token /metrics needs (without one, /metrics answers 403).",
        discussion: "Also read from OMNISONIC_SYNC_METRICS_TOKEN, which other users cannot see in the process list."))
    var metricsToken: String?

    func run() async throws {
        guard let address = ListenAddress(parsing: listen) else {
            SyncDataOptions.fail("--listen must be HOST:PORT with an IP address or localhost, not \"\(listen)\"")
        }
        guard maxBodySize >= 1024, rate > 0 else { SyncDataOptions.fail("--max-body-size must be ≥ 1024 and --rate > 0") }
        // Device tokens and every user's data cross this connection: in clear text only on loopback.
        if tlsCertificate == nil && !Loopback.isLoopback(address.host) && !insecureHTTP {
            FileHandle.standardError.write(Data("""
                omnisonicd sync-server: --listen \(listen) is reachable from other computers; serve HTTPS there \
                (--tls-cert and --tls-key), or pass --insecure-http when a TLS reverse proxy in front does it\n
                """.utf8))
            throw ExitCode(2)
        }
        guard idleTimeout > 0, idleTimeout <= 86_400, maxConnections > 0 else {
            SyncDataOptions.fail("--idle-timeout must be from 0 to 86400 seconds and --max-connections > 0")
        }
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        let logger = Logger(label: "omnisonic.sync-server") { StderrLogHandler(label: $0, level: level) }
        var configuration = SyncServerConfiguration(host: address.host, port: address.port, storage: options.storage(logger: logger), logger: logger)
        switch (tlsCertificate, tlsKey) {
        case (nil, nil): break
        case let (certificate?, key?):
            do {
                configuration.tls = try SyncServerConfiguration.tls(certificate: certificate, key: key)
            } catch {
                SyncDataOptions.fail(error.expandedDescription)
            }
        default: SyncDataOptions.fail("--tls-cert and --tls-key go together")
        }
        let descriptors = ConnectionLimits.raiseDescriptorLimit()
        configuration.connections = ConnectionLimits(
            idleTimeout: .milliseconds(Int64(idleTimeout * 1000)),
            maxConnections: ConnectionLimits.cap(maxConnections, descriptorLimit: descriptors))
        guard compactEvery >= 0, compactEvery.isFinite, keepTail >= 0 else { SyncDataOptions.fail("--compact-every and --keep-tail must be ≥ 0") }
        configuration.compactionInterval = compactEvery > 0 ? .milliseconds(Int64(compactEvery * 60_000)) : nil
        configuration.keepTail = keepTail
        let scheme = configuration.tls == nil ? "http" : "https"
        configuration.maxBodyBytes = maxBodySize
        guard maxClockSkew >= 1, maxClockSkew <= 86_400, quotaOps > 0, quotaBytes >= 1 << 20, maxPullBytes >= 64 << 10 else {
            SyncDataOptions.fail("--max-clock-skew must be 1 to 86400 seconds, --quota-ops > 0, --quota-bytes ≥ 1 MiB and --max-pull-bytes ≥ 64 KiB")
        }
        configuration.maxFutureSkewMs = Int64(maxClockSkew * 1000)
        guard deviceQuotaOps > 0, deviceQuotaBytes >= 1 << 20 else { SyncDataOptions.fail("--device-quota-ops must be > 0 and --device-quota-bytes ≥ 1 MiB") }
        configuration.quota = StreamQuota(operations: quotaOps, bytes: quotaBytes, deviceOperations: deviceQuotaOps, deviceBytes: deviceQuotaBytes)
        configuration.maxPullBytes = maxPullBytes
        configuration.metricsToken = (metricsToken ?? ProcessInfo.processInfo.environment["OMNISONIC_SYNC_METRICS_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        configuration.requestsPerSecond = rate
        configuration.requestBurst = rate * 4
        // The administration page (decision 0022): served only once an admin token exists.
        configuration.adminAssets = Resources.locate().syncAdmin
        let server = SyncServer(configuration: configuration)
        let announcer = Task {
            let port = await server.port()
            FileHandle.standardOutput.write(Data("listening on \(scheme)://\(ListenAddress(host: address.host, port: port))\n".utf8))
        }
        defer { announcer.cancel() }
        var group = ServiceGroupConfiguration(services: [.init(service: server, serviceName: "sync-server")],
                                              gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(4)
        group.maximumCancellationDuration = .seconds(1)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            logger.error("stopped after an error", metadata: ["detail": "\(error)"])
            throw ExitCode(1)
        }
    }
}

struct SyncAddDevice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-device",
        abstract: "Create the user if needed and a device token for it (printed as the last line; shown only once).")

    @OptionGroup var options: SyncDataOptions

    @Option(help: "The user the device belongs to (its data is shared with the user's other devices only).")
    var user: String

    @Option(help: "A label for the device (default: device).")
    var name: String = "device"

    func run() async throws {
        guard !user.isEmpty, user.utf8.count <= 100, !user.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            SyncDataOptions.fail("--user must be 1 to 100 bytes without control characters")
        }
        let token = DeviceToken.generate()
        let id = try await options.withStorage { storage in
            try await storage.addDevice(user: user, name: name, tokenHash: DeviceToken.hash(token), now: Int64(Date().timeIntervalSince1970))
        }
        try? await options.withStorage { storage in
            try await storage.audit(AuditEntry(at: Int64(Date().timeIntervalSince1970), actor: "command line", action: "device.add",
                                               detail: "device \(id) \"\(name)\" of user \"\(user)\""))
        }
        print("device \(id) of user \(user) added; its token (keep it secret, it is not stored):")
        print(token)
    }
}

struct SyncListDevices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-devices", abstract: "List users' devices.")

    @OptionGroup var options: SyncDataOptions

    func run() async throws {
        let devices = try await options.withStorage { try await $0.listDevices() }
        print("id\tuser\tname\tcreated\tstatus\tacknowledged\tlast acknowledged")
        let format = ISO8601DateFormatter()
        for device in devices {
            let created = format.string(from: Date(timeIntervalSince1970: Double(device.createdAt)))
            let seenAt = device.seenAt.map { format.string(from: Date(timeIntervalSince1970: Double($0))) } ?? "never"
            print("\(device.id)\t\(device.user)\t\(device.name)\t\(created)\t\(device.revoked ? "revoked" : "active")\t\(device.seen)\t\(seenAt)")
        }
    }
}

struct SyncRevokeDevice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke-device", abstract: "Revoke a device's token (at once).")

    @OptionGroup var options: SyncDataOptions

    @Argument(help: "The device id (from list-devices).")
    var id: Int64

    func run() async throws {
        let id = self.id
        guard try await options.withStorage({ storage in
            guard try await storage.revokeDevice(id: id) else { return false }
            try await storage.audit(AuditEntry(at: Int64(Date().timeIntervalSince1970), actor: "command line", action: "device.revoke",
                                               detail: "device \(id)"))
            return true
        }) else { SyncDataOptions.fail("no device \(id)") }
        print("device \(id) revoked")
    }
}

struct SyncCompact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Drop the operations no device needs any more (snapshot + tail; safe while serving).",
        discussion: """
            Every stream is compacted up to its last KEEP-TAIL operations: operations beaten by a \
            newer one under the merge rules are deleted, and removals (tombstones) once every \
            active device of the user has acknowledged them (list-devices shows each device's \
            acknowledged cursor; revoke a device that will not come back). Devices keep their \
            cursors; a new device then bootstraps from far fewer operations. `serve` also does \
            this every --compact-every minutes.
            """)

    @OptionGroup var options: SyncDataOptions

    @Option(name: .customLong("keep-tail"), help: "Operations at the end of each stream left untouched (default: 10000).")
    var keepTail: Int64 = 10_000

    func run() async throws {
        let keepTail = self.keepTail
        let lines = try await options.withStorage { storage in
            try await SyncServer.compactAll(storage, keepTail: keepTail, logger: Logger(label: "omnisonic.sync.compact") { StderrLogHandler(label: $0, level: .warning) })
        }
        for line in lines { print(line.line) }
    }
}

struct SyncAdminToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-token",
        abstract: "Create an administrator token for the sync server's /admin page (printed as the last line; shown only once).",
        discussion: """
            The page (/admin/ on the sync server's own address) is served only while an \
            administrator token exists. Paste the token into the page; it is sent in the \
            Authorization header, never in a URL. The server stores only its SHA-256, and its \
            name appears in the audit log. --revoke-all deletes every administrator token and so \
            turns the page off (decision 0022).
            """)

    @OptionGroup var options: SyncDataOptions

    @Option(help: "Who holds the token, for the audit log (default: admin).")
    var name: String = "admin"

    @Flag(name: .customLong("revoke-all"), help: "Delete every administrator token instead (the page is then no longer served).")
    var revokeAll = false

    func run() async throws {
        guard SyncServer.validName(name) else { SyncDataOptions.fail("--name must be 1 to 100 bytes without control characters") }
        let now = Int64(Date().timeIntervalSince1970)
        let name = self.name
        if revokeAll {
            let removed = try await options.withStorage { storage in
                let removed = try await storage.removeAdminTokens()
                try await storage.audit(AuditEntry(at: now, actor: "command line", action: "admin-token.revoke-all", detail: "\(removed) tokens"))
                return removed
            }
            print("\(removed) administrator tokens deleted; /admin is no longer served")
            return
        }
        let token = DeviceToken.generate()
        let id = try await options.withStorage { storage in
            let id = try await storage.addAdminToken(name: name, tokenHash: DeviceToken.hash(token), now: now)
            try await storage.audit(AuditEntry(at: now, actor: "command line", action: "admin-token.add", detail: "token \(id) \"\(name)\""))
            return id
        }
        print("administrator token \(id) (\(name)) added; open /admin/ on the sync server and paste it (keep it secret, it is not stored):")
        print(token)
    }
}
