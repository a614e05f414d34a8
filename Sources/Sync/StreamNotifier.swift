import Synchronization

/// Wakes long-polling pulls when their user's stream grows: after a push this process served,
/// and (PostgreSQL) when another process announces one (`SyncStorage.run(wake:)`).
///
/// Each user has a generation number, raised by `notify`. A pull reads the generation *before*
/// reading the database; if it found nothing, it waits until the generation moves past what it
/// read, so a push landing between its read and its wait is never missed. Safe from any task.
public final class StreamNotifier: Sendable {
    private struct Waiter {
        var user: Int64
        var seen: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var generations: [Int64: UInt64] = [:]
        /// Added to every user's generation: raised by `notifyAll`.
        var epoch: UInt64 = 0
        var waiters: [Int: Waiter] = [:]
        var nextID = 0
        /// Waiters cancelled before they registered.
        var cancelled: Set<Int> = []
        /// Set on shutdown: waits return at once.
        var closed = false

        func generation(of user: Int64) -> UInt64 { (generations[user] ?? 0) &+ epoch }
    }

    private let state = Mutex(State())

    public init() {}

    /// The current generation of `user`'s stream.
    public func generation(of user: Int64) -> UInt64 {
        state.withLock { $0.generation(of: user) }
    }

    /// True after `close()` (shutting down).
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Pulls waiting right now (for `/metrics`).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Marks `user`'s stream as grown and wakes its waiting pulls.
    public func notify(_ user: Int64) {
        let woken: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.generations[user, default: 0] += 1
            let ids = state.waiters.filter { $0.value.user == user }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0)?.continuation }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Marks every stream as possibly grown and wakes every waiting pull (each re-reads once):
    /// for when announcements from other processes may have been missed.
    public func notifyAll() {
        let woken = state.withLock { state in
            state.epoch += 1
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Wakes every waiting pull and makes later waits return at once (graceful shutdown: a
    /// long poll must not hold the server open).
    public func close() {
        let woken = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when `user`'s generation exceeds `seen`, after `seconds`, or on cancellation,
    /// whichever comes first.
    public func wait(for user: Int64, seen: UInt64, seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForChange(user: user, seen: seen) }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForChange(user: Int64, seen: UInt64) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.closed || state.cancelled.remove(id) != nil || state.generation(of: user) > seen { return true }
                    state.waiters[id] = Waiter(user: user, seen: seen, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
                state.cancelled.insert(id)
                return nil
            }
            continuation?.resume()
        }
        // A cancellation that came after the resume left its id behind.
        _ = state.withLock { $0.cancelled.remove(id) }
    }
}
