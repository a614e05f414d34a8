import Synchronization

/// The port a server is bound to, known once it listens (port 0 picks a free port): the API
/// server's and the sync server's.
///
/// Set once by the server; read from any thread or task.
public final class ListeningAddress: Sendable {
    private struct State {
        var port: Int?
        var waiters: [CheckedContinuation<Int, Never>] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// The bound port, or nil before the server listens.
    public var port: Int? { state.withLock { $0.port } }

    /// Waits until the server listens and returns its port.
    public func waitForPort() async -> Int {
        await withCheckedContinuation { continuation in
            let ready: Int? = state.withLock { state in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Records the bound port and wakes every `waitForPort()`.
    public func set(port: Int) {
        let waiters = state.withLock { state in
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }
}
