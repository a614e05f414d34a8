import Daemon
import Logging
import ServiceLifecycle

/// The one place where the HTTP server (the WebUI module) is wired to the daemon.
///
/// - Parameter onListening: called once the server is bound, with `host:port` (the real port
///   when 0 was asked for).
/// - Returns: the server as a `Service`, or nil when this build has none.
func makeHTTPService(context: DaemonContext, logger: Logger,
                     onListening: @escaping @Sendable (String) -> Void) throws -> (any Service)? {
    // Until the WebUI module is merged there is no server: the daemon only scans.
    logger.warning("this build has no HTTP server yet; only scanning")
    return nil
}
