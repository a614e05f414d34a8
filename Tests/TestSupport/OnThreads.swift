import Foundation

/// Runs `body(lane)` for every lane in `0..<count`, each on a `Thread` of its own, and returns
/// when all have finished. The calling thread only waits.
///
/// Instead of `DispatchQueue.concurrentPerform`: on Linux its lanes run on libdispatch's global
/// worker threads, and those are the threads Swift concurrency runs every task on (a profile of
/// the in-process suite shows both under `_dispatch_worker_thread`). The similar-library
/// fixture's analysis held one of the two workers for about 19 s of CPU there; tests waiting on
/// a timer or a socket meanwhile are resumed late (the likely reason a CI run saw a scheduler due
/// in 1.5 s not fire within 10 s). Threads of their own share the cores, not the pool.
/// Decision 0041.
public func onThreads(_ count: Int, name: String, _ body: @escaping @Sendable (_ lane: Int) -> Void) {
    let finished = DispatchSemaphore(value: 0)
    for lane in 0..<count {
        let thread = Thread {
            body(lane)
            finished.signal()
        }
        thread.name = "\(name) \(lane)"
        thread.start()
    }
    for _ in 0..<count { finished.wait() }
}
