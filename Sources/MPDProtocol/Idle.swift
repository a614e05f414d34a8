import Glibc
import OmniModel
import Synchronization

/// MPD's idle subsystems: what `idle` reports as `changed: NAME`.
public enum Subsystem: String, CaseIterable, Sendable, Hashable {
    case database, update
    case storedPlaylist = "stored_playlist"
    case playlist, player, mixer, output, options, partition, sticker, subscription, message
}

/// Fans changes out to connected clients: each connection has a set of subsystems changed
/// since its last `idle` answer, and a pipe the hub writes to wake the connection's thread.
public final class IdleHub: Sendable {
    /// One connection's pending changes and its wake-up descriptor.
    final class Subscriber: Sendable {
        let pending = Mutex<Set<Subsystem>>([])
        /// A pipe's read end: readable when something was posted (or the server stops).
        /// (Swift's Glibc module exports neither `eventfd` nor `pipe2`.)
        let wake: Int32
        private let writeEnd: Int32

        init() {
            var fds: [Int32] = [-1, -1]
            _ = pipe(&fds)
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            wake = fds[0]
            writeEnd = fds[1]
        }

        deinit {
            close(wake)
            close(writeEnd)
        }

        func signal() {
            var one: UInt8 = 1
            // A full pipe already wakes the reader.
            _ = write(writeEnd, &one, 1)
        }

        /// Empties the pipe.
        func drain() {
            var bytes = [UInt8](repeating: 0, count: 64)
            while read(wake, &bytes, 64) > 0 {}
        }

        /// Takes the pending subsystems among `wanted` (all when empty).
        func take(_ wanted: Set<Subsystem>) -> Set<Subsystem> {
            pending.withLock { p in
                let hit = wanted.isEmpty ? p : p.intersection(wanted)
                p.subtract(hit)
                return hit
            }
        }
    }

    private let subscribers = Mutex<[ObjectIdentifier: Subscriber]>([:])

    public init() {}

    func subscribe() -> Subscriber {
        let s = Subscriber()
        subscribers.withLock { $0[ObjectIdentifier(s)] = s }
        return s
    }

    func unsubscribe(_ s: Subscriber) {
        _ = subscribers.withLock { $0.removeValue(forKey: ObjectIdentifier(s)) }
    }

    /// Marks `changes` as pending for every client and wakes those that wait. Any thread.
    public func post(_ changes: Set<Subsystem>) {
        guard !changes.isEmpty else { return }
        for s in subscribers.withLock({ Array($0.values) }) {
            s.pending.withLock { $0.formUnion(changes) }
            s.signal()
        }
    }

    /// Wakes every connection (the server is stopping).
    func wakeAll() {
        for s in subscribers.withLock({ Array($0.values) }) { s.signal() }
    }

    /// The number of connected clients.
    public var count: Int { subscribers.withLock { $0.count } }
}

/// The queue's version numbers, as `status` (`playlist:`) and `plchanges` need them.
///
/// MPD gives the queue a version that grows with each change and remembers, for each position,
/// the version at which its song last changed; `plchanges V` lists the positions changed after
/// V. The player has no versions of its own, so this compares each queue it is shown with the
/// last one: a position whose entry id differs gets the new version. Exact for every state a
/// client can observe, since every observation goes through here.
public final class QueueVersions: Sendable {
    private let state = Mutex<(version: Int, ids: [Int64], versions: [Int])>((1, [], []))

    public init() {}

    /// Records `entries` as the current queue and returns the version and each position's version.
    ///
    /// - Returns: `changed` true when the queue differs from the last one seen.
    @discardableResult
    public func observe(_ entries: [QueueEntry]) -> (version: Int, positions: [Int], changed: Bool) {
        state.withLock { s in
            let ids = entries.map(\.id)
            guard ids != s.ids else { return (s.version, s.versions, false) }
            s.version += 1
            var versions = [Int](repeating: s.version, count: ids.count)
            for i in 0..<min(ids.count, s.ids.count) where ids[i] == s.ids[i] { versions[i] = s.versions[i] }
            s.ids = ids
            s.versions = versions
            return (s.version, versions, true)
        }
    }
}
