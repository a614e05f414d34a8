import ArgumentParser
import Daemon
import Foundation
import Logging
import MediaIO
import MPDProtocol
import OmniModel
import ServiceLifecycle
import Sync
import WebUI

/// `omnisonicd run`: the long-running daemon.
///
/// Resolves the configuration (flags > environment > defaults), opens the library, then runs
/// the services in one `ServiceGroup`: the background scan service and the HTTP server. SIGTERM
/// and SIGINT shut it down gracefully (the running scan commits its current batch); exit 0.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: keep the library up to date and serve the web UI and JSON API.",
        discussion: """
            Every option can also be set in the environment (OMNISONIC_MUSIC as a colon-separated \
            list, OMNISONIC_DATA, OMNISONIC_CACHE, OMNISONIC_LISTEN, OMNISONIC_TOKEN, OMNISONIC_WEB, \
            OMNISONIC_MAX_UPLOAD_SIZE, OMNISONIC_LOG_LEVEL, OMNISONIC_SYNC_URL, OMNISONIC_SYNC_TOKEN, \
            OMNISONIC_OUTPUT, OMNISONIC_REPLAYGAIN, OMNISONIC_IDLE_TIMEOUT, OMNISONIC_MAX_CONNECTIONS, \
            OMNISONIC_MAX_EVENT_STREAMS, OMNISONIC_MAX_UPLOAD_TOTAL, \
            OMNISONIC_MPD_LISTEN, OMNISONIC_MPD_PASSWORD) and in the config file \
            (systemd/config.example.toml lists its keys); options win over the environment, which \
            wins over the file. SIGHUP re-reads the file (music folders and log level apply at once). \
            Defaults: music from XDG_MUSIC_DIR (~/.config/user-dirs.dirs) or ~/Music, data in \
            $XDG_DATA_HOME/omnisonic, listen on 127.0.0.1:6690. A token is required when listening \
            on an address other computers can reach. Prints "listening on http://HOST:PORT" once it serves, \
            and "mpd listening on ADDRESS" for each address MPD clients may use (default 127.0.0.1:6600 and \
            $XDG_RUNTIME_DIR/omnisonic/mpd.sock).
            """)

    @Option(name: .customLong("music"), help: "A music folder (repeat for several; imports go into the first).",
            completion: .directory)
    var music: [String] = []

    @Option(help: "The library folder (default: $XDG_DATA_HOME/omnisonic).", completion: .directory)
    var data: String?

    @Option(help: "The cache folder for artwork (default: <data>/cache, or $XDG_CACHE_HOME/omnisonic).",
            completion: .directory)
    var cache: String?

    @Option(help: "HOST:PORT to serve on (default: 127.0.0.1:6690; port 0 picks a free port).")
    var listen: String?

    @Option(help: "The access token clients must send (required off loopback; prefer OMNISONIC_TOKEN: flags show in ps).")
    var token: String?

    @Option(help: "The folder of the browser app to serve.", completion: .directory)
    var web: String?

    @Option(name: .customLong("max-upload-size"), help: "The largest file accepted by an import, like 500M or 2G (default: 1G).")
    var maxUploadSize: String?

    @Option(help: "The ALSA device the player writes to (default: default).")
    var output: String?

    @Option(name: .customLong("replaygain"), help: "ReplayGain the player applies: off, track or album (default: off).")
    var replayGain: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default: info).")
    var logLevel: String?

    @Option(help: "The config file (default: $OMNISONIC_CONFIG, else $XDG_CONFIG_HOME/omnisonic/config.toml if it exists).",
            completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(name: .customLong("sync-url"), help: "The sync server to keep user data in step with (http://HOST:PORT).")
    var syncURL: String?

    @Option(name: .customLong("sync-token"), help: "This device's sync token (prefer OMNISONIC_SYNC_TOKEN: flags show in ps).")
    var syncToken: String?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may take to send a request head, or stay idle (default: 30).")
    var idleTimeout: String?

    @Option(name: .customLong("max-connections"), help: "HTTP connections served at once; more wait (default: 512, at most the descriptor limit minus 256).")
    var maxConnections: String?

    @Option(name: .customLong("max-event-streams"), help: "Live event streams (/api/events) open at once; more get 503 (default: 64).")
    var maxEventStreams: String?

    @Option(name: .customLong("max-upload-total"), help: "The largest whole upload request, all files together, like 4G (default: 4G).")
    var maxUploadTotal: String?
    @Option(name: .customLong("mpd-listen"), help: "Where MPD clients connect: HOST:PORT, a socket path, or off (repeat for several; default: 127.0.0.1:6600 and $XDG_RUNTIME_DIR/omnisonic/mpd.sock).")
    var mpdListen: [String] = []

    @Option(name: .customLong("mpd-password"), help: "The password MPD clients give (required when an MPD address is not loopback; prefer OMNISONIC_MPD_PASSWORD).")
    var mpdPassword: String?

    /// The command line as the first configuration layer.
    func commandLineLayer(workingDirectory: String) -> ConfigurationLayer {
        var layer = ConfigurationLayer(name: "command line")
        func set(_ key: ConfigurationKey, _ value: String?) {
            if let value { layer.set(key, [value], origin: key.flag, baseDirectory: workingDirectory) }
        }
        if !music.isEmpty { layer.set(.music, music, origin: ConfigurationKey.music.flag, baseDirectory: workingDirectory) }
        set(.data, data)
        set(.cache, cache)
        set(.listen, listen)
        set(.token, token)
        set(.web, web)
        set(.maxUploadSize, maxUploadSize)
        set(.logLevel, logLevel)
        set(.syncURL, syncURL)
        set(.syncToken, syncToken)
        set(.output, output)
        set(.replayGain, replayGain)
        set(.idleTimeout, idleTimeout)
        set(.maxConnections, maxConnections)
        set(.maxEventStreams, maxEventStreams)
        set(.maxUploadTotal, maxUploadTotal)
        if !mpdListen.isEmpty { layer.set(.mpdListen, mpdListen, origin: ConfigurationKey.mpdListen.flag, baseDirectory: workingDirectory) }
        set(.mpdPassword, mpdPassword)
        return layer
    }

    func run() async throws {
        // Read (and removed from the environment) before anything can start a child process.
        let notifier = SystemdNotifier.fromEnvironment()
        // Until the reload service traps it, a SIGHUP must not kill the daemon (its default action).
        signal(SIGHUP, SIG_IGN)
        let startedAt = Date()
        // Soft descriptor limit up to the hard one (1,024 is the usual soft start): room for
        // connections, the library and the watchers; the HTTP server's cap stays below it.
        let descriptorLimit = ConnectionLimits.raiseDescriptorLimit()
        let (sources, configuration) = try resolveConfiguration()
        // What clients may make the process hold beyond its HTTP connections: streamed files,
        // artwork, MPD clients. Spent, they are refused rather than run the process out of
        // descriptors, which libdispatch does not survive (issue 18, `Descriptors`).
        let descriptors = DescriptorBudget.forProcess(
            descriptorLimit: descriptorLimit,
            connections: ConnectionLimits.cap(configuration.connections.maxConnections, descriptorLimit: descriptorLimit))
        let (level, logger) = makeLogging(configuration)
        let lock = try acquireInstanceLock(configuration)
        let systemd = SystemdService(notifier: notifier)

        // Events go from the producers' threads, in order, to the hub that SSE clients read.
        let events = EventHub()
        let pipe = EventPipe { event in await events.publish(event) }
        let context = try openLibrary(configuration, logger: logger, pipe: pipe, systemd: systemd)
        let sync = makeSyncService(configuration, context: context, pipe: pipe, logger: logger)
        let server = try makeServer(context: context, events: events, pipe: pipe, logger: logger, sync: sync,
                                    startedAt: startedAt, descriptorLimit: descriptorLimit, descriptors: descriptors,
                                    lock: lock, notifier: notifier)
        let reload = makeReloadService(sources: sources, configuration: configuration, context: context,
                                       level: level, logger: logger)
        let services = await serviceOrder(context: context, events: events, pipe: pipe, reload: reload, sync: sync,
                                          server: server, systemd: systemd, logger: logger, descriptors: descriptors,
                                          startedAt: startedAt, lock: lock)
        try await runServices(services, logger: logger, notifier: notifier)
        withExtendedLifetime(lock) {}
    }

    // MARK: - The steps of `run`, in the order it takes them

    /// The configuration from flags > environment > config file > defaults, and the sources it
    /// came from (the reload service reads them again on SIGHUP).
    ///
    /// - Throws: `ExitCode(2)` after printing why, when a value is invalid.
    private func resolveConfiguration() throws -> (ConfigurationSources, Configuration) {
        let environment = ConfigurationEnvironment.current
        let sources = ConfigurationSources(commandLine: commandLineLayer(workingDirectory: environment.workingDirectory),
                                           configFlag: config, environment: environment)
        do {
            // flags > environment > config file > defaults.
            return (sources, try sources.resolve())
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The daemon's logger writing to stderr at the configured level, and the level setting a
    /// reload changes; FFmpeg's own log is routed through it.
    private func makeLogging(_ configuration: Configuration) -> (LogLevelSetting, Logger) {
        let level = LogLevelSetting(configuration.logLevel)
        let logger = Logger(label: "omnisonic") { StderrLogHandler(label: $0, level: level) }
        // FFmpeg's complaints about a broken file (two or three lines without its name) only at
        // debug: the scan logs one warning per unreadable file, naming it and the reason.
        FFmpegLogging.route(to: Logger(label: "omnisonic.ffmpeg") { StderrLogHandler(label: $0, level: level, floor: .warning) })
        return (level, logger)
    }

    /// One daemon per library folder, for as long as this process lives.
    ///
    /// - Throws: `ExitCode(1)` after printing why, when another daemon holds the folder.
    private func acquireInstanceLock(_ configuration: Configuration) throws -> InstanceLock {
        do {
            return try InstanceLock(data: configuration.data)
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The library, player and scan lane, publishing their events to the pipe and to systemd.
    ///
    /// - Throws: `ExitCode(1)` after printing why, when the library cannot be opened.
    private func openLibrary(_ configuration: Configuration, logger: Logger, pipe: EventPipe,
                             systemd: SystemdService) throws -> DaemonContext {
        do {
            return try DaemonContext.open(configuration, logger: logger, publish: { event in
                pipe.publish(event)
                systemd.record(event)  // STATUS= lines during scans
            })
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            logger.debug("\(error.expandedDescription)")
            throw ExitCode(1)
        }
    }

    /// Sync (decision 0013): pushes when the operation log changes (decision 0025), pulls
    /// continuously. Nil unless both a sync URL and a token are configured.
    private func makeSyncService(_ configuration: Configuration, context: DaemonContext, pipe: EventPipe,
                                 logger: Logger) -> SyncService? {
        guard let url = configuration.syncURL.flatMap(URL.init(string:)), let token = configuration.syncToken else {
            return nil
        }
        return SyncService(library: context.library, client: SyncClient(baseURL: url, token: token), logger: logger,
                           publish: pipe.publish)
    }

    /// The HTTP server with the web UI, the JSON API and the Subsonic API mounted on it. Once it
    /// serves it prints its address, records it in the lock and tells systemd it is ready.
    ///
    /// - Throws: `ExitCode(2)` after printing why, when the server cannot be configured.
    private func makeServer(context: DaemonContext, events: EventHub, pipe: EventPipe, logger: Logger,
                            sync: SyncService?, startedAt: Date, descriptorLimit: Int, descriptors: DescriptorBudget,
                            lock: InstanceLock, notifier: SystemdNotifier?) throws -> any Service {
        do {
            return try makeHTTPService(context: context, events: events, logger: logger,
                                       daemonInfo: DaemonInfo(version: Omnisonicd.configuration.version,
                                                              startedAt: startedAt, pid: getpid()),
                                       sync: sync, descriptorLimit: descriptorLimit, descriptors: descriptors,
                                       mounts: { actions in
                                           [makeSubsonicAPI(context: context, actions: actions, publish: pipe.publish,
                                                            logger: logger, startedAt: startedAt)]
                                       }) { address in
                // Tests (and people) read this line to learn the port when --listen asks for port 0.
                // Written unbuffered: stdout is a pipe under tests and journald.
                FileHandle.standardOutput.write(Data("listening on http://\(address)\n".utf8))
                lock.update(listen: address)  // for `omnisonicd status` and a second `run`'s refusal
                notifier?.ready()
            }
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// SIGHUP re-reads the configuration: the log level, the watchers and the scan lane follow it.
    private func makeReloadService(sources: ConfigurationSources, configuration: Configuration, context: DaemonContext,
                                   level: LogLevelSetting, logger: Logger) -> ReloadService {
        ReloadService(sources: sources, initial: configuration, logger: logger) { new in
            level.set(new.logLevel)
            // The watchers follow the new list, and the scan lane walks the new folders at once.
            let roots = new.music.map(RawPath.init)
            context.watcher?.reload(roots: roots)
            context.scans.reload(roots: roots)
        }
    }

    /// The services in the order they start.
    ///
    /// Started in this order and stopped in reverse: systemd hears STOPPING=1 at once, the
    /// server stops taking requests, then the watchers stop, then the scan winds down (its
    /// last batch commits), then the last events are delivered.
    private func serviceOrder(context: DaemonContext, events: EventHub, pipe: EventPipe, reload: ReloadService,
                              sync: SyncService?, server: any Service, systemd: SystemdService, logger: Logger,
                              descriptors: DescriptorBudget, startedAt: Date,
                              lock: InstanceLock) async -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: pipe, serviceName: "events"),
            .init(service: context.scans, serviceName: "scan"),
            .init(service: reload, serviceName: "reload"),
            // Stopped before the scan and after the server: the device is released, the queue saved.
            .init(service: PlayerService(player: context.player, scheduler: context.scheduler), serviceName: "player"),
        ]
        // Sync stops after the server (no new operations), flushing what is pending.
        if let sync { services.append(.init(service: sync, serviceName: "sync")) }
        if let watcher = context.watcher {
            services.append(.init(service: watcher, serviceName: "watch"))
        }
        services.append(.init(service: server, serviceName: "http"))
        if let mpd = makeMPDService(context: context, events: await events.subscribe(), publish: pipe.publish, logger: logger, descriptors: descriptors,
                                    startedAt: startedAt, lock: lock) {
            services.append(.init(service: mpd, serviceName: "mpd"))
        }
        services.append(.init(service: systemd, serviceName: "systemd"))
        return services
    }

    /// Runs the services until SIGTERM or SIGINT, then stops them in reverse order.
    ///
    /// - Throws: `ExitCode(1)` when a service failed.
    private func runServices(_ services: [ServiceGroupConfiguration.ServiceConfiguration], logger: Logger,
                             notifier: SystemdNotifier?) async throws {
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
        // systemd waits 90 s by default; we promise to be gone within 5.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(4)
        groupConfiguration.maximumCancellationDuration = .seconds(1)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            notifier?.stopping()
            logger.error("stopped after an error", metadata: ["detail": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}
