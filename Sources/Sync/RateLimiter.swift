import Foundation
import Synchronization

/// A token bucket per device: `burst` requests at once, refilled at `perSecond`.
///
/// A device that exceeds it gets 429 with `Retry-After`; the client backs off. Safe from any task.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    public let perSecond: Double
    public let burst: Double
    private let buckets = Mutex<[Int64: Bucket]>([:])
    private let clock: @Sendable () -> Double

    public init(perSecond: Double, burst: Double, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.perSecond = perSecond
        self.burst = burst
        self.clock = clock
    }

    /// Takes one token for `device`. Returns nil when allowed, else the seconds to wait.
    public func take(_ device: Int64) -> Double? {
        let now = clock()
        return buckets.withLock { buckets in
            var bucket = buckets[device] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * perSecond)
            bucket.updated = now
            defer { buckets[device] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return (1 - bucket.tokens) / perSecond
        }
    }
}
