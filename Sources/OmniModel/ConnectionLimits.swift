import Foundation

/// What an HTTP server (the daemon's and the sync server's) allows a connection, so that clients
/// that open connections and never finish a request (slowloris), or simply too many of them,
/// cannot take every file descriptor of the process.
///
/// Both servers pass these to Hummingbird: `idleTimeout` becomes the HTTP/1 channel's idle
/// timeout (its `HTTPConnectionStateHandler` closes a connection that has not sent a whole
/// request head within that time of opening or of its last response, and one whose request body
/// stalls that long; a response being written — an event stream, a long poll — is never cut), and
/// `maxConnections` its `MaximumAvailableConnections`: past the cap the server stops accepting,
/// new connections wait in the kernel's backlog (then are refused) until one closes.
public struct ConnectionLimits: Sendable, Equatable {
    /// How long a connection may stay without sending a complete request head or any part of
    /// its request body (and a kept-alive connection may stay idle).
    public var idleTimeout: Duration
    /// The most connections served at once.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(30), maxConnections: Int = 512) {
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// `idleTimeout` in nanoseconds (what NIO's `TimeAmount` takes).
    public var idleTimeoutNanoseconds: Int64 {
        let (seconds, attoseconds) = idleTimeout.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Descriptors kept out of the connection budget: the database and its WAL, the watchers,
    /// files being probed, streamed or uploaded, the sound card, the event loops' own.
    public static let reservedDescriptors = 256

    /// `requested`, lowered so that connections leave `reservedDescriptors` of `descriptorLimit`
    /// for everything else (and at least 16).
    public static func cap(_ requested: Int, descriptorLimit: Int) -> Int {
        max(16, min(requested, descriptorLimit - reservedDescriptors))
    }

    /// Raises this process's soft `RLIMIT_NOFILE` to its hard limit, at most `ceiling` (systemd and
    /// most shells start programs at 1,024 with a hard limit far above; some containers have a
    /// hard limit of a billion, more than anything here could use), and returns the soft limit
    /// now in force.
    ///
    /// Call once at start, before servers are built. Any thread.
    @discardableResult
    public static func raiseDescriptorLimit(ceiling: Int = 65_536) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        let target = min(limit.rlim_max, rlim_t(ceiling))
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)  // RLIM_INFINITY (all ones) clamps to Int.max
    }
}
