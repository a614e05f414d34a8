import Foundation

/// Runs blocking work (SQLite, a directory walk, libavformat, ALSA) on a thread of its own, so
/// the cooperative pool, which has as many threads as the machine has cores, never waits on it.
public enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns its result to the awaiting task.
    ///
    /// - Parameters:
    ///   - name: the thread's name (shown by `top -H`, `gdb`, crash reports).
    ///   - stackSize: the thread's stack in bytes; nil keeps the platform's default.
    ///   - body: the work; it runs once, on the new thread, and may block.
    /// - Returns: what `body` returned. Any task; the caller suspends, no thread of the pool waits.
    public static func run<T: Sendable>(named name: String, stackSize: Int? = nil,
                                        _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            if let stackSize { thread.stackSize = stackSize }
            thread.start()
        }
    }
}
