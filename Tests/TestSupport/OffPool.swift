import Foundation
import Synchronization

/// A value computed once, on a thread of its own, and awaited by as many tests as need it.
///
/// Why not a `static let`: Swift Testing runs tests on the cooperative pool, which is as wide as
/// the machine has cores (2 here). A `static let` that renders and analyses music holds one pool
/// thread for its whole computation while every other test that touches it blocks in its
/// initialiser; with both threads taken, the HTTP servers that other suites start in the same
/// process got no thread and their tests timed out. Here the work runs on a `Thread`, and the
/// waiting tests suspend instead of blocking.
public final class OffPool<Value: Sendable>: Sendable {
    private enum State: ~Copyable {
        case idle(@Sendable () -> Value)
        case running([CheckedContinuation<Value, Never>])
        case done(Value)
    }
    private enum Next { case start(@Sendable () -> Value), wait, ready(Value) }
    private let state: Mutex<State>
    private let name: String

    /// - Parameters:
    ///   - name: the thread's name (seen in a debugger or `top -H`).
    ///   - compute: the work; started by the first `value` asked, never before.
    public init(_ name: String, _ compute: @escaping @Sendable () -> Value) {
        self.name = name
        state = Mutex(.idle(compute))
    }

    /// The value, computed at the first ask; later asks wait for that computation or get its result.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let next: Next = state.withLock { state in
                    switch consume state {
                    case .idle(let compute):
                        state = .running([continuation])
                        return .start(compute)
                    case .running(var waiting):
                        waiting.append(continuation)
                        state = .running(waiting)
                        return .wait
                    case .done(let value):
                        state = .done(value)
                        return .ready(value)
                    }
                }
                switch next {
                case .wait: break
                case .ready(let value): continuation.resume(returning: value)
                case .start(let compute):
                    let thread = Thread { [self] in
                        let value = compute()
                        let waiting: [CheckedContinuation<Value, Never>] = state.withLock { state in
                            guard case .running(let waiting) = consume state else { fatalError("OffPool: not running") }
                            state = .done(value)
                            return waiting
                        }
                        for continuation in waiting { continuation.resume(returning: value) }
                    }
                    thread.name = name
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            }
        }
    }
}

/// Runs `body` on a thread of its own and waits for it without holding a cooperative thread
/// (for CPU-heavy work inside an async test; see `OffPool` for why).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Runs `body(lane)` for every lane in `0..<count`, each on a `Thread` of its own, and returns
/// when all have finished. The calling thread only waits, blocked: call it from a thread of its
/// own (`OffPool`) or a synchronous test, not from an async one (there, `onOwnThread`).
///
/// Instead of `DispatchQueue.concurrentPerform`: on Linux its lanes run on libdispatch's global
/// worker threads, and those are the threads Swift concurrency runs every task on (a profile of
/// the in-process suite shows both under `_dispatch_worker_thread`). The similar-library
/// fixture's analysis held one of the two workers for about 19 s of CPU there; tests waiting on
/// a timer or a socket meanwhile are resumed late (one candidate for a CI run's 1 s client
/// timeout that came back after 74.5 s). Threads of their own share the cores, not the pool.
/// Decision 0041.
public func onThreads(_ count: Int, name: String, _ body: @escaping @Sendable (_ lane: Int) -> Void) {
    let finished = DispatchSemaphore(value: 0)
    for lane in 0..<count {
        let thread = Thread {
            body(lane)
            finished.signal()
        }
        thread.name = "\(name) \(lane)"
        thread.stackSize = 8 << 20
        thread.start()
    }
    for _ in 0..<count { finished.wait() }
}
