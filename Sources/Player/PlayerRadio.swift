import Foundation
import LocalStore
import Logging
import OmniModel
import Synchronization

/// The server player's radio (issue 14, decision 0035): from a seed track, keeps the queue
/// topped up with similar tracks (`SimilarTracks`) for as long as the user lets it.
///
/// - Start (`start(seed:replace:)`): with `replace` the queue becomes the seed and the first
///   similar tracks and plays from the seed; without, they are appended and nothing is
///   interrupted.
/// - Top-up: it watches the player's events; when fewer than `lowWater` tracks remain after the
///   current one, `topUp` more are appended, nearest to the seed and the last few added
///   (`SimilarityIndex.radio`), never one of the last `window` it added.
/// - Stop: `stop()`, or the user replaces or clears the queue (seen as a queue holding none of
///   the entries it held at the radio's last look). The queue is kept either way.
/// - A restart forgets the radio (it lives in memory): the queue the player persisted stays, and
///   is no longer topped up. The state after a restart is inactive.
///
/// Concurrency: the work happens on one serial queue of its own (`work`), never on the player's
/// threads (which only post `noticed(_:)`) and never on the cooperative pool. `start` and `stop`
/// block (library reads, the index's first build); call them from a dedicated thread.
public final class PlayerRadio: Sendable {
    /// When fewer than this many tracks remain after the current one, the radio adds more.
    public static let lowWater = 3
    /// How many tracks one top-up (and a start) adds.
    public static let topUp = 5

    private let similar: SimilarTracks
    private let window: Int
    private let logger: Logger
    private let publish: @Sendable (LibraryEvent) -> Void
    private let work = DispatchQueue(label: "omnisonic-radio")
    private let state: Mutex<State>

    private struct State {
        var player: Player?
        var active = false
        var seed: TrackUID?
        var added = 0
        /// What the radio added, oldest first (at most `window` + a few kept).
        var history: [TrackUID] = []
        /// The queue's entry ids at the radio's last look.
        var known: Set<Int64> = []
    }

    /// - Parameters:
    ///   - window: how many of the last added tracks are never added again.
    ///   - publish: receives `LibraryEvent.radio` on every change of the state.
    public init(similar: SimilarTracks, window: Int = RadioState.defaultWindow, logger: Logger,
                publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.similar = similar
        self.window = max(1, window)
        self.logger = logger
        self.publish = publish
        state = Mutex(State())
    }

    /// Connects the player whose queue the radio fills (the player's `publish` must pass its
    /// events to `noticed(_:)`; the player is made after the radio, hence this step).
    public func attach(_ player: Player) { state.withLock { $0.player = player } }

    /// The state clients see. Any thread; never blocks.
    public func status() -> RadioState {
        state.withLock { RadioState(active: $0.active, seed: $0.seed, window: window, added: $0.added) }
    }

    /// Hears the player's events (any thread; returns at once): a change may call for a top-up
    /// or mean the user replaced the queue.
    public func noticed(_ event: LibraryEvent) {
        guard case .player = event, state.withLock({ $0.active }) else { return }
        work.async { self.check() }
    }

    /// Starts the radio from `seed` (replacing a running one).
    ///
    /// - Returns: the radio's state afterwards.
    /// - Throws: `PlayerError.trackMissing` when the seed is not in the library,
    ///   `.badRequest` when it has no feature vector, `.store` when the library fails, and
    ///   what the player's `play` throws.
    @discardableResult
    public func start(seed: TrackUID, replace: Bool = true) throws(PlayerError) -> RadioState {
        let result: Result<RadioState, PlayerError> = work.sync {
            Result { () throws(PlayerError) in try self.startOnQueue(seed: seed, replace: replace) }
        }
        return try result.get()
    }

    private func startOnQueue(seed: TrackUID, replace: Bool) throws(PlayerError) -> RadioState {
        guard let player = state.withLock({ $0.player }) else { throw PlayerError(.badRequest, message: "no player") }
        let snapshot: SimilarTracks.Snapshot
        do { snapshot = try similar.snapshot() } catch { throw PlayerError(error) }
        guard let first = snapshot.radio(seed: seed, history: [seed], window: window, count: Self.topUp) else {
            throw PlayerError(.badRequest, message: "the track \(seed) is not analysed yet")
        }
        let uids = [seed] + first
        // The player's events for this change are handled after this block (`work` is serial),
        // when `known` already holds the new entries: they do not read as the user's replace.
        try player.enqueue(uids, replace: replace)
        if replace { try player.play(index: 0) }
        let now = state.withLock { s -> RadioState in
            s.active = true
            s.seed = seed
            s.added = uids.count
            s.history = uids
            s.known = Set(player.status().queue.map(\.id))
            return RadioState(active: true, seed: seed, window: window, added: s.added)
        }
        logger.info("radio started", metadata: ["seed": "\(seed)", "added": "\(uids.count)"])
        publish(.radio(now))
        return now
    }

    /// Stops the radio; the queue is kept. Returns the state afterwards.
    @discardableResult
    public func stop() -> RadioState {
        work.sync { stopOnQueue(reason: "asked") }
    }

    private func stopOnQueue(reason: String) -> RadioState {
        let (was, now) = state.withLock { s -> (Bool, RadioState) in
            defer { s.active = false; s.history = []; s.known = [] }
            return (s.active, RadioState(active: false, seed: s.seed, window: window, added: s.added))
        }
        if was {
            logger.info("radio stopped", metadata: ["reason": "\(reason)"])
            publish(.radio(now))
        }
        return now
    }

    /// On `work`: stops when the user replaced or cleared the queue, tops it up when it runs low.
    private func check() {
        guard let player = state.withLock({ $0.active ? $0.player : nil }) else { return }
        let status = player.status()
        let ids = Set(status.queue.map(\.id))
        let replaced = state.withLock { s -> Bool in
            if ids.isEmpty || ids.isDisjoint(with: s.known) { return true }
            s.known = ids
            return false
        }
        if replaced {
            _ = stopOnQueue(reason: status.queue.isEmpty ? "the queue was cleared" : "the queue was replaced")
            return
        }
        // Stopped at the end (no current track): the user's stop, or the queue ran out; either
        // way nothing plays that would need a next track.
        guard let current = status.currentIndex, status.queue.count - 1 - current < Self.lowWater else { return }
        let (seed, history) = state.withLock { ($0.seed, $0.history) }
        guard let seed else { return }
        let next: [TrackUID]
        do {
            guard let found = try similar.snapshot().radio(seed: seed, history: history, window: window, count: Self.topUp),
                  !found.isEmpty else { return }
            next = found
        } catch {
            logger.warning("the radio cannot read the similarity index", metadata: ["detail": "\(error.expandedDescription)"])
            return
        }
        var entries: [QueueEntry] = [], added = next
        do { entries = try player.enqueue(next) } catch {
            // A track removed since the index was built (it is at most one rebuild behind):
            // the others are added one by one.
            added = []
            for uid in next {
                guard let entry = try? player.enqueue([uid]) else { continue }
                entries += entry
                added.append(uid)
            }
            if added.isEmpty {
                logger.warning("the radio cannot add tracks", metadata: ["detail": "\(error.description)"])
                return
            }
        }
        let now = state.withLock { s -> RadioState in
            s.added += added.count
            s.history = Array((s.history + added).suffix(window + Self.topUp))
            s.known.formUnion(entries.map(\.id))
            return RadioState(active: s.active, seed: s.seed, window: window, added: s.added)
        }
        publish(.radio(now))
    }
}
