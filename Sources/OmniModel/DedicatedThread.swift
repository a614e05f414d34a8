import Foundation

/// Runs blocking work (SQLite, a directory walk, libavformat, ALSA) on a thread of its own, so
/// the cooperative pool, which has as many threads as the machine has cores, never waits on it.
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns its result to the awaiting task.
    ///
    /// - Parameters:
    ///   - name: the thread's name (shown by `top -H`, `gdb`, crash reports).
    ///   - stackSize: the thread's stack in bytes; nil keeps the platform's default.
    ///   - prepare: run on the new thread before it takes `name` (a priority change, say), so
    ///     that nothing watching threads by name sees it unprepared; nil names it at start.
    ///   - body: the work; it runs once, on the new thread, and may block.
    /// - Returns: what `body` returned. Any task; the caller suspends, no thread of the pool waits.
    public static func run<T: Sendable>(named name: String, stackSize: Int? = nil, prepare: (@Sendable () -> Void)? = nil,
                                        _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                if let prepare {
                    prepare()
                    Thread.current.name = name
                }
                continuation.resume(returning: body())
            }
            if prepare == nil { thread.name = name }
            if let stackSize { thread.stackSize = stackSize }
            thread.start()
        }
    }
}
