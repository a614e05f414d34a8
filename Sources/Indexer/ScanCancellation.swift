import Synchronization

/// A request to stop scans, shared between the thread that scans and whoever may stop it.
///
/// Once cancelled it stays cancelled: every scan given this token stops (a scan that starts
/// after the request stops at once, so a shutdown racing a scan's start is not lost). Give each
/// independent caller its own token; the daemon's scan service holds one for its lifetime.
public final class ScanCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    /// Asks the scans using this token to stop after their current batch. Any thread.
    public func cancel() { flag.store(true, ordering: .relaxed) }

    /// True once `cancel()` was called.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
