import Foundation
import Synchronization

/// What a server does when the process runs out of file descriptors (issue 18: "the daemon
/// degrades (503) instead of dying when descriptors run out").
///
/// Running out must not happen for long: on Linux, libdispatch (under Swift concurrency's
/// global executor, GRDB and Foundation) checks its worker threads every second by opening
/// `/proc/<pid>/task/<tid>/stat`, and when that `open` fails it crashes the process
/// (`_dispatch_workq_monitor_pools`, "registered worker exited prematurely"). Reproduced: the
/// daemon under `prlimit --nofile=1024` with 770 unread streams and 227 MPD clients died with
/// SIGILL there. So every consumer whose count a client decides takes its descriptors from a
/// `DescriptorBudget` sized to leave `runtimeReserve` free, and is refused (503, or a closed
/// connection) when it is spent.
///
/// Connections are capped below the limit (`ConnectionLimits.cap`), but the remaining headroom
/// can still be used up: many streams each holding a file, uploads, artwork, SQLite's reader
/// connections. Then `open(2)`, `socket(2)` and friends fail with `EMFILE`, and every library
/// reports it in its own words (SQLite "unable to open database file", NIO's `IOError`,
/// FFmpeg's `AVERROR(EMFILE)`). Rather than recognising each, a server that is about to answer
/// 500 asks `exhausted()` whether the process is out of descriptors right now and answers 503
/// with `Retry-After` instead: a client retries a 503 and the operator sees one warning.
public enum Descriptors {
    /// True when this process cannot open one more descriptor at this moment (`EMFILE`, or the
    /// system-wide `ENFILE`). Duplicates standard input and closes the copy at once: no file is
    /// opened. Any thread.
    public static func exhausted() -> Bool {
        let probe = fcntl(0, F_DUPFD_CLOEXEC, 0)
        if probe >= 0 {
            close(probe)
            return false
        }
        return errno == EMFILE || errno == ENFILE
    }

    /// Seconds a client should wait before retrying a request refused for want of descriptors.
    public static let retryAfterSeconds = 5
}

/// A count of descriptors that clients may make this process hold beyond its HTTP connections
/// (files being streamed or served, MPD clients), shared by every server of the process.
///
/// `take(_:)` hands out a `Grant` that gives its descriptors back when released (its last
/// reference goes), or nil when the budget is spent: the caller refuses the work instead of
/// opening anything. Thread-safe.
public final class DescriptorBudget: Sendable {
    /// Descriptors never handed out: SQLite's connections and journals, the watcher, the event
    /// loops, libdispatch's checks of its threads (see `Descriptors`), FFmpeg while probing, logs.
    public static let runtimeReserve = 96

    /// The most descriptors handed out at once.
    public let capacity: Int
    private let used = Mutex(0)

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The budget of a process allowed `descriptorLimit` descriptors that serves at most
    /// `connections` HTTP connections: what is left after them and `runtimeReserve` (at least 16).
    public static func forProcess(descriptorLimit: Int, connections: Int) -> DescriptorBudget {
        DescriptorBudget(capacity: max(16, descriptorLimit - connections - runtimeReserve))
    }

    /// Descriptors handed out now.
    public var inUse: Int { used.withLock { $0 } }

    /// `count` descriptors, or nil when fewer are left.
    public func take(_ count: Int = 1) -> Grant? {
        let granted = used.withLock { used -> Bool in
            guard used + count <= capacity else { return false }
            used += count
            return true
        }
        return granted ? Grant(budget: self, count: count) : nil
    }

    fileprivate func give(_ count: Int) { used.withLock { $0 -= count } }

    /// Descriptors taken from a budget, given back when this is released.
    public final class Grant: Sendable {
        private let budget: DescriptorBudget
        private let count: Int
        fileprivate init(budget: DescriptorBudget, count: Int) {
            self.budget = budget
            self.count = count
        }
        deinit { budget.give(count) }
    }
}
