import OmniModel

/// The play queue as a pure value: entries, the current one, and the modes that decide what
/// comes next. No I/O; the `Player` owns one behind its lock and persists it.
///
/// Shuffle does not reorder the queue (what the user sees stays as they built it): it keeps a
/// play order of entry ids, drawn when shuffle is turned on, with new entries placed at random
/// among those not yet played.
public struct PlayQueue: Sendable, Equatable {
    public private(set) var entries: [QueueEntry] = []
    /// Index of the current entry, if any.
    public private(set) var current: Int?
    public var repeatMode: RepeatMode = .off
    public private(set) var shuffle = false
    /// Remove each track from the queue once it has played to the end.
    public var consume = false
    /// The play order while shuffling (entry ids).
    public private(set) var order: [Int64] = []
    private var nextID: Int64 = 1

    public init() {}

    /// Restores a queue (ids are kept; the next new id follows the largest).
    public init(entries: [QueueEntry], currentEntryId: Int64?, repeatMode: RepeatMode, shuffle: Bool, consume: Bool, order: [Int64]) {
        self.entries = entries
        self.current = currentEntryId.flatMap { id in entries.firstIndex { $0.id == id } }
        self.repeatMode = repeatMode
        self.shuffle = shuffle
        self.consume = consume
        if shuffle {
            // The saved order without entries that are gone, then entries it lacks, in queue order.
            let ids = Set(entries.map(\.id))
            var kept = order.filter { ids.contains($0) }
            let keptIds = Set(kept)
            kept.append(contentsOf: entries.map(\.id).filter { !keptIds.contains($0) })
            self.order = kept
        }
        nextID = (entries.map(\.id).max() ?? 0) + 1
    }

    /// The current entry.
    public var currentEntry: QueueEntry? { current.map { entries[$0] } }

    /// Adds tracks before `index` (at the end when nil or past the end). Returns the new entries.
    @discardableResult
    public mutating func insert(_ uids: [TrackUID], at index: Int? = nil) -> [QueueEntry] {
        let at = min(max(0, index ?? entries.count), entries.count)
        let added = uids.map { uid -> QueueEntry in
            defer { nextID += 1 }
            return QueueEntry(id: nextID, uid: uid)
        }
        entries.insert(contentsOf: added, at: at)
        if let c = current, at <= c { current = c + added.count }
        if shuffle {
            // Among the entries still to come, at random places.
            let played = current.flatMap { c in order.firstIndex(of: entries[c].id) } ?? -1
            for entry in added {
                order.insert(entry.id, at: Int.random(in: (played + 1)...order.count))
            }
        }
        return added
    }

    /// Replaces everything with `uids`; nothing is current.
    public mutating func replace(with uids: [TrackUID]) {
        clear()
        insert(uids)
    }

    /// Removes the entry at `index`. When it was current, the entry after it becomes current
    /// (nil at the end); returns true in that case.
    @discardableResult
    public mutating func remove(at index: Int) -> Bool {
        guard entries.indices.contains(index) else { return false }
        let removed = entries.remove(at: index)
        order.removeAll { $0 == removed.id }
        guard let c = current else { return false }
        if index < c { current = c - 1; return false }
        if index > c { return false }
        current = entries.indices.contains(index) ? index : nil
        return true
    }

    /// Moves the entry at `from` so that it ends up at `to` (clamped).
    public mutating func move(from: Int, to: Int) {
        guard entries.indices.contains(from) else { return }
        let currentID = currentEntry?.id
        let entry = entries.remove(at: from)
        entries.insert(entry, at: min(max(0, to), entries.count))
        current = currentID.flatMap { id in entries.firstIndex { $0.id == id } }
    }

    /// Reorders the entries at `range` (clamped to the queue; nil: all) at random, keeping the
    /// current entry current.
    public mutating func shuffleEntries(in range: Range<Int>? = nil) {
        let r = range.map { $0.clamped(to: entries.indices) } ?? entries.indices
        guard r.count > 1 else { return }
        let currentID = currentEntry?.id
        entries[r].shuffle()
        current = currentID.flatMap { id in entries.firstIndex { $0.id == id } }
    }

    /// Exchanges the entries at `a` and `b` (both must exist); the current entry stays current.
    public mutating func swapEntries(_ a: Int, _ b: Int) {
        guard entries.indices.contains(a), entries.indices.contains(b), a != b else { return }
        let currentID = currentEntry?.id
        entries.swapAt(a, b)
        current = currentID.flatMap { id in entries.firstIndex { $0.id == id } }
    }

    /// Empties the queue.
    public mutating func clear() {
        entries = []
        order = []
        current = nil
    }

    /// Makes `index` current (nil: nothing).
    public mutating func setCurrent(_ index: Int?) {
        guard let index else { current = nil; return }
        current = entries.indices.contains(index) ? index : nil
    }

    /// Turns shuffle on (a new play order that starts with the current entry) or off.
    public mutating func setShuffle(_ on: Bool) {
        shuffle = on
        guard on else { order = []; return }
        var ids = entries.map(\.id).shuffled()
        if let c = currentEntry, let i = ids.firstIndex(of: c.id) {
            ids.remove(at: i)
            ids.insert(c.id, at: 0)
        }
        order = ids
    }

    /// The index that follows the current one.
    ///
    /// - Parameter automatic: true when the current track played to its end (repeat one
    ///   replays it); false for the user's "next".
    public func nextIndex(automatic: Bool) -> Int? {
        guard !entries.isEmpty else { return nil }
        guard let c = current else { return shuffle ? index(of: order.first) : 0 }
        if automatic && repeatMode == .one { return c }
        if shuffle {
            let at = order.firstIndex(of: entries[c].id) ?? -1
            if at + 1 < order.count { return index(of: order[at + 1]) }
            return repeatMode == .off ? nil : index(of: order.first)
        }
        if c + 1 < entries.count { return c + 1 }
        return repeatMode == .off ? nil : 0
    }

    /// The index before the current one (the first stays first).
    public func previousIndex() -> Int? {
        guard let c = current else { return entries.isEmpty ? nil : 0 }
        if shuffle {
            let at = order.firstIndex(of: entries[c].id) ?? 0
            return at > 0 ? index(of: order[at - 1]) : (repeatMode == .all ? index(of: order.last) : c)
        }
        if c > 0 { return c - 1 }
        return repeatMode == .all ? entries.count - 1 : 0
    }

    /// After the current track played to its end: consume it if asked, then move on.
    /// Returns the new current index (nil: the end of the queue).
    public mutating func advanceAfterCompletion() -> Int? {
        guard let c = current else { return nil }
        var next = nextIndex(automatic: true)
        if consume {
            let nextID = next.map { entries[$0].id }
            let replay = next == c
            remove(at: c)
            next = replay ? nil : nextID.flatMap { id in entries.firstIndex { $0.id == id } }
        }
        current = next
        return next
    }

    private func index(of id: Int64?) -> Int? {
        guard let id else { return nil }
        return entries.firstIndex { $0.id == id }
    }
}
