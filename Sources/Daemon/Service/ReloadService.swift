import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// SIGHUP reloads the configuration (`systemctl --user reload omnisonicd`), as a `Service` of
/// the daemon's group.
///
/// On each SIGHUP the sources are resolved again (the config file is re-read; flags and
/// environment are those the process started with, so they still win). A configuration that
/// does not resolve is logged and the old one stays. A good one is handed to `apply` with the
/// previous one; what `apply` cannot change while running (the address, the library folder)
/// is logged as needing a restart by `restartNeeded(from:to:)`.
///
/// Thread safety: `reload()` may be called from any task; reloads are serialised.
public final class ReloadService: Service, Sendable {
    private let sources: ConfigurationSources
    private let logger: Logger
    private let apply: @Sendable (_ new: Configuration) -> Void
    private let current: Mutex<Configuration>

    /// - Parameters:
    ///   - initial: the configuration the daemon started with.
    ///   - apply: applies a new configuration (music folders, log level); called on the
    ///     reloading task, must not block.
    public init(sources: ConfigurationSources, initial: Configuration, logger: Logger,
                apply: @escaping @Sendable (_ new: Configuration) -> Void) {
        self.sources = sources
        self.logger = logger
        self.apply = apply
        self.current = Mutex(initial)
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Re-resolves the configuration and applies it; a configuration that does not resolve is
    /// logged and the old one stays.
    public func reload() {
        let resolved: Result<Configuration, ConfigurationError> = Result { () throws(ConfigurationError) in try sources.resolve() }
        switch resolved {
        case .failure(let error):
            logger.error("configuration not reloaded; keeping the old one",
                         metadata: ["code": "\(error.code)", "detail": "\(error.description)"])
        case .success(let new):
            let old = current.withLock { current in
                let old = current
                current = new
                return old
            }
            apply(new)
            let restart = Self.restartNeeded(from: old, to: new)
            if !restart.isEmpty {
                logger.warning("some changed settings take effect at the next restart",
                               metadata: ["keys": "\(restart.map(\.rawValue).joined(separator: ","))"])
            }
            logger.info("configuration reloaded", metadata: ["file": "\(sources.configFile)", "music": "\(new.music.count)"])
        }
    }

    /// Settings that changed but are only read at start (everything but `music` and `log-level`).
    public static func restartNeeded(from old: Configuration, to new: Configuration) -> [ConfigurationKey] {
        var keys: [ConfigurationKey] = []
        if old.data != new.data { keys.append(.data) }
        if old.cache != new.cache { keys.append(.cache) }
        if old.listen != new.listen { keys.append(.listen) }
        if old.token != new.token { keys.append(.token) }
        if old.web != new.web { keys.append(.web) }
        if old.maxUploadBytes != new.maxUploadBytes { keys.append(.maxUploadSize) }
        if old.syncURL != new.syncURL { keys.append(.syncURL) }
        if old.syncToken != new.syncToken { keys.append(.syncToken) }
        if old.output != new.output { keys.append(.output) }
        if old.replayGain != new.replayGain { keys.append(.replayGain) }
        if old.connections.idleTimeout != new.connections.idleTimeout { keys.append(.idleTimeout) }
        if old.connections.maxConnections != new.connections.maxConnections { keys.append(.maxConnections) }
        if old.maxEventStreams != new.maxEventStreams { keys.append(.maxEventStreams) }
        if old.maxUploadTotalBytes != new.maxUploadTotalBytes { keys.append(.maxUploadTotal) }
        return keys
    }
}
