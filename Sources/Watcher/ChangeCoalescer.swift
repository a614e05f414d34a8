import OmniModel

/// Merges the `WatchChange`s of a burst into one batch of `FileChange`s.
///
/// A pure state machine (no I/O, no clock of its own, no sleeping): the caller passes `now`, and
/// acts on the returned `Action`: wait until an instant and call `tick(now:)`, or index a batch.
///
/// Timing (`Configuration`): a batch is emitted once no change arrived for `quietPeriod`, but never
/// later than `maxLatency` after the first change of the burst, so a long burst (an album being
/// copied, a tagger rewriting 500 files) is indexed in batches every `maxLatency` while it goes on.
///
/// Merging, within one batch:
/// - several close-writes (or a move-in and close-writes) of one file give one change;
/// - a file created (`IN_CREATE`) and deleted or moved out before the batch is emitted gives none;
///   a folder created and deleted gives none, and nothing from inside it either;
/// - the halves of a rename are paired by cookie into `.moved`; renames chain (`a→b`, `b→c` give
///   `a→c`); a half-written file renamed into place (`x.part` closed, then renamed to `x.mp3`) is a
///   new file at its final name;
/// - an `IN_MOVED_FROM` whose `IN_MOVED_TO` did not arrive before the batch is emitted was a move
///   out of the root: `.fileMovedOut` / `.folderDeleted`;
/// - changes under a folder renamed inside the root are re-addressed to the new path and placed
///   after the folder's `.moved`, so applying a batch in order is always correct;
/// - a folder to scan inside a folder already to be scanned is dropped (scans are recursive);
///   a folder deleted or moved out covers every pending change inside it;
/// - `.overflow` drops everything pending before it (the rescan it asks for covers them).
///
/// Value type; use it from one task or thread at a time.
public struct ChangeCoalescer<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    /// Timing of batches.
    public struct Configuration: Sendable, Equatable {
        /// Emit once nothing arrived for this long (default 50 ms).
        public var quietPeriod: Duration
        /// Never hold the first change of a batch longer than this (default 100 ms).
        public var maxLatency: Duration

        public init(quietPeriod: Duration = .milliseconds(50), maxLatency: Duration = .milliseconds(100)) {
            self.quietPeriod = quietPeriod
            self.maxLatency = maxLatency
        }
    }

    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Nothing is pending: wait for the watcher.
        case idle
        /// Call `tick(now:)` at this instant (or `receive` earlier if changes arrive).
        case wait(until: Instant)
        /// Apply this batch, in order. Nothing is pending afterwards.
        case emit([FileChange])
    }

    private enum Entry: Sendable {
        case change(FileChange)
        /// An `IN_MOVED_FROM` waiting for its `IN_MOVED_TO`.
        case movedFrom(RawPath, cookie: UInt32, isDirectory: Bool)
    }

    public let configuration: Configuration
    private var entries: [Entry?] = []
    /// Entry positions by every path they mention, so merging is not quadratic in a burst of
    /// thousands of files. Positions may be stale (the entry was replaced or dropped): lookups
    /// re-check the entry.
    private var byPath: [RawPath: [Int]] = [:]
    /// Pending `IN_MOVED_FROM` positions by cookie.
    private var byCookie: [UInt32: Int] = [:]
    /// Files whose `IN_CREATE` was seen in this batch (they did not exist before it).
    private var newFiles: Set<RawPath> = []
    private var firstChangeAt: Instant?
    private var lastChangeAt: Instant?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// When the pending batch is due, or nil when nothing is pending.
    public var deadline: Instant? {
        guard let firstChangeAt, let lastChangeAt else { return nil }
        return min(lastChangeAt.advanced(by: configuration.quietPeriod), firstChangeAt.advanced(by: configuration.maxLatency))
    }

    /// Takes changes that arrived at `now`.
    /// - Returns: `.wait(until:)` normally; `.emit` when the batch is already due.
    public mutating func receive(_ changes: [WatchChange], now: Instant) -> Action {
        guard !changes.isEmpty else { return tick(now: now) }
        if firstChangeAt == nil { firstChangeAt = now }
        lastChangeAt = now
        for change in changes { apply(change) }
        return tick(now: now)
    }

    /// Emits the batch if it is due at `now`; otherwise says how long to wait.
    public mutating func tick(now: Instant) -> Action {
        guard let deadline else { return .idle }
        guard now >= deadline else { return .wait(until: deadline) }
        let batch = flush()
        return batch.isEmpty ? .idle : .emit(batch)
    }

    /// Emits everything pending now, whatever the time (at shutdown). Unpaired `IN_MOVED_FROM`s
    /// become moves out.
    public mutating func flush() -> [FileChange] {
        for index in entries.indices {
            guard case .movedFrom(let path, _, let isDirectory) = entries[index] else { continue }
            entries[index] = nil
            if isDirectory {
                removeFolder(path, at: index)
            } else {
                removeFile(path, at: index, movedOut: true)
            }
        }
        let batch = entries.compactMap { entry -> FileChange? in
            if case .change(let change) = entry { return change }
            return nil
        }
        entries = []
        byPath = [:]
        byCookie = [:]
        newFiles = []
        firstChangeAt = nil
        lastChangeAt = nil
        return batch
    }

    // MARK: - Merging

    private mutating func apply(_ change: WatchChange) {
        settleMovesAway(before: change)
        switch change {
        case .created(let path, isDirectory: false):
            // A path deleted earlier in this batch existed before it: never cancel its deletion.
            if firstIndex(mentioning: path, where: { $0 == .fileDeleted(path) || $0 == .fileMovedOut(path) }) == nil {
                newFiles.insert(path)
            }
        case .created(let path, isDirectory: true):
            folderAppeared(path)
        case .closedAfterWrite(let path):
            fileIsComplete(path, change: .fileClosedAfterWrite(path))
        case .movedTo(let path, let cookie, let isDirectory):
            if let from = byCookie.removeValue(forKey: cookie),
               case .movedFrom(let source, cookie, isDirectory) = entries[from] {
                if isDirectory { pairFolder(source, path, at: from) } else { pairFile(source, path, at: from) }
            } else if isDirectory {
                folderAppeared(path)
            } else {
                fileIsComplete(path, change: .fileMovedIn(path))
            }
        case .movedFrom(let path, let cookie, let isDirectory):
            byCookie[cookie] = entries.endIndex
            append(.movedFrom(path, cookie: cookie, isDirectory: isDirectory))
        case .deleted(let path, isDirectory: false):
            removeFile(path, at: entries.endIndex, movedOut: false)
        case .deleted(let path, isDirectory: true):
            removeFolder(path, at: entries.endIndex)
        case .overflow:
            entries = []
            byPath = [:]
            byCookie = [:]
            append(.change(.overflow))
            newFiles = []
        case .rootGone(let root):
            append(.change(.rootGone(root)))
        case .watchFailed(let error):
            append(.change(.watchFailed(error)))
        }
    }

    /// A new event about a path whose `IN_MOVED_FROM` is still unpaired means that rename left the
    /// root (the kernel queues both halves back to back): settle it now, before the path is reused,
    /// so a new file at the same path is not cancelled with the old one.
    private mutating func settleMovesAway(before change: WatchChange) {
        let path: RawPath
        var cookie: UInt32?
        switch change {
        case .created(let p, _), .closedAfterWrite(let p), .deleted(let p, _): path = p
        case .movedTo(let p, let c, _): path = p; cookie = c
        case .movedFrom, .overflow, .rootGone, .watchFailed: return
        }
        for index in byPath[path] ?? [] {
            guard case .movedFrom(path, let pending, let isDirectory) = entries[index], pending != cookie else { continue }
            entries[index] = nil
            if isDirectory { removeFolder(path, at: index) } else { removeFile(path, at: index, movedOut: true) }
        }
    }

    /// A folder to scan; not when a folder around it is to be scanned already (the scan is recursive).
    private mutating func folderAppeared(_ path: RawPath) {
        var covered = false
        var outer = path.deletingLastComponent
        while !outer.isEmpty, !covered {
            covered = firstIndex(mentioning: outer, where: { $0 == .folderCreated(outer) }) != nil
            outer = outer.deletingLastComponent
        }
        if !covered { appendOnce(.folderCreated(path)) }
    }

    /// A complete file is at `path`: one change per file and batch.
    private mutating func fileIsComplete(_ path: RawPath, change: FileChange) {
        if firstIndex(mentioning: path, where: { $0 == .fileClosedAfterWrite(path) || $0 == .fileMovedIn(path) }) != nil { return }
        removeAll(mentioning: path) { $0 == .fileDeleted(path) || $0 == .fileMovedOut(path) }
        append(.change(change))
    }

    /// The file at `path` is gone (deleted, or renamed away and never seen again). The entry at
    /// `index` (a pending `IN_MOVED_FROM`, or the end) is where the removal goes.
    private mutating func removeFile(_ path: RawPath, at index: Int, movedOut: Bool) {
        removeAll(mentioning: path) { $0 == .fileClosedAfterWrite(path) || $0 == .fileMovedIn(path) }
        if newFiles.remove(path) != nil { return }  // created in this batch: nothing to tell
        let removal: FileChange
        if let renamed = firstIndex(mentioning: path, where: { if case .moved(_, path, false) = $0 { true } else { false } }),
           case .change(.moved(let original, _, _)) = entries[renamed] {
            // Renamed, then gone: the original path is what the library knows.
            entries[renamed] = nil
            removal = movedOut ? .fileMovedOut(original) : .fileDeleted(original)
        } else {
            removal = movedOut ? .fileMovedOut(path) : .fileDeleted(path)
        }
        if let removed = Self.subject(of: removal), firstIndex(mentioning: removed, where: { $0 == removal }) != nil { return }
        insert(.change(removal), at: index)
    }

    /// The folder at `path` is gone; so is everything pending inside it.
    private mutating func removeFolder(_ path: RawPath, at index: Int) {
        let wasNew = firstIndex(mentioning: path, where: { $0 == .folderCreated(path) }) != nil
        for i in entries.indices {
            guard case .change(let change) = entries[i], change != .folderDeleted(path) else { continue }
            if case .moved(let from, let to, let isDirectory) = change {
                guard Self.isInside(to, path) || to == path else { continue }
                // Moved into the doomed folder: the source is what disappears.
                entries[i] = nil
                if !(Self.isInside(from, path) || from == path) {
                    store(.change(isDirectory ? .folderDeleted(from) : .fileDeleted(from)), at: i)
                }
            } else if let subject = Self.subject(of: change), Self.isInside(subject, path) || subject == path {
                entries[i] = nil
            }
        }
        newFiles = newFiles.filter { !Self.isInside($0, path) }
        if wasNew || firstIndex(mentioning: path, where: { $0 == .folderDeleted(path) }) != nil { return }
        insert(.change(.folderDeleted(path)), at: index)
    }

    /// A file renamed inside the root, from `source` to `destination`; its `IN_MOVED_FROM` is at `index`.
    private mutating func pairFile(_ source: RawPath, _ destination: RawPath, at index: Int) {
        entries[index] = nil
        let wasNew = newFiles.remove(source) != nil
        let hadContent = firstIndex(mentioning: source, where: { $0 == .fileClosedAfterWrite(source) || $0 == .fileMovedIn(source) }) != nil
        removeAll(mentioning: source) { $0 == .fileClosedAfterWrite(source) || $0 == .fileMovedIn(source) }
        if let chained = firstIndex(mentioning: source, where: { if case .moved(_, source, false) = $0 { true } else { false } }),
           case .change(.moved(let original, _, _)) = entries[chained] {
            entries[chained] = nil
            if original != destination { store(.change(.moved(from: original, to: destination, isDirectory: false)), at: chained) }
            if hadContent { append(.change(.fileClosedAfterWrite(destination))) }
            return
        }
        if wasNew {
            // Written under a temporary name, then renamed into place: a new file.
            if hadContent { append(.change(.fileClosedAfterWrite(destination))) } else { newFiles.insert(destination) }
            return
        }
        insert(.change(.moved(from: source, to: destination, isDirectory: false)), at: index)
        if hadContent { append(.change(.fileClosedAfterWrite(destination))) }
    }

    /// A folder renamed inside the root; its `IN_MOVED_FROM` is at `index`. Pending changes under
    /// the old path are re-addressed and placed after the move.
    private mutating func pairFolder(_ source: RawPath, _ destination: RawPath, at index: Int) {
        entries[index] = nil
        var later: [Entry] = []
        var created = false
        for i in entries.indices.prefix(index) {
            guard case .change(let change) = entries[i] else { continue }
            if change == .folderCreated(source) {
                entries[i] = nil
                created = true
                continue
            }
            guard let subject = Self.subject(of: change), Self.isInside(subject, source) else { continue }
            entries[i] = nil
            later.append(.change(Self.readdressed(change, from: source, to: destination)))
        }
        newFiles = Set(newFiles.map { Self.isInside($0, source) ? Self.readdress($0, from: source, to: destination) : $0 })
        if created {
            // A folder made in this batch and renamed: scan it under its final name.
            insert(.change(.folderCreated(destination)), at: index)
        } else if let chained = firstIndex(mentioning: source, where: { if case .moved(_, source, true) = $0 { true } else { false } }),
                  case .change(.moved(let original, _, _)) = entries[chained] {
            entries[chained] = nil
            if original != destination { insert(.change(.moved(from: original, to: destination, isDirectory: true)), at: index) }
        } else {
            insert(.change(.moved(from: source, to: destination, isDirectory: true)), at: index)
        }
        for entry in later { append(entry) }
    }

    // MARK: - Helpers

    /// The first pending change that mentions `path` and satisfies `predicate`.
    private func firstIndex(mentioning path: RawPath, where predicate: (FileChange) -> Bool) -> Int? {
        (byPath[path] ?? []).filter { if case .change(let change) = entries[$0] { predicate(change) } else { false } }.min()
    }

    private mutating func removeAll(mentioning path: RawPath, where predicate: (FileChange) -> Bool) {
        for i in byPath[path] ?? [] {
            if case .change(let change) = entries[i], predicate(change) { entries[i] = nil }
        }
    }

    private mutating func appendOnce(_ change: FileChange) {
        guard let subject = Self.subject(of: change) else { return append(.change(change)) }
        if firstIndex(mentioning: subject, where: { $0 == change }) == nil { append(.change(change)) }
    }

    private mutating func append(_ entry: Entry) { store(entry, at: entries.endIndex) }

    /// Writes `entry` at `index` (or appends at the end) and indexes the paths it mentions.
    private mutating func store(_ entry: Entry, at index: Int) {
        if index == entries.endIndex { entries.append(entry) } else { entries[index] = entry }
        let paths: [RawPath]
        switch entry {
        case .movedFrom(let path, _, _): paths = [path]
        case .change(.moved(let from, let to, _)): paths = [from, to]
        case .change(let change): paths = Self.subject(of: change).map { [$0] } ?? []
        }
        for path in paths { byPath[path, default: []].append(index) }
    }

    /// Puts `entry` at `index` when that slot is free (a consumed `IN_MOVED_FROM`), else at the end.
    private mutating func insert(_ entry: Entry, at index: Int) {
        if index < entries.endIndex, entries[index] == nil {
            store(entry, at: index)
        } else {
            append(entry)
        }
    }

    /// The path a change leaves behind (its destination for a move).
    private static func subject(of change: FileChange) -> RawPath? {
        switch change {
        case .fileClosedAfterWrite(let p), .fileMovedIn(let p), .fileDeleted(let p), .fileMovedOut(let p), .folderCreated(let p),
             .folderDeleted(let p):
            p
        case .moved(_, let to, _):
            to
        case .overflow, .rootGone, .watchFailed:
            nil
        }
    }

    private static func readdressed(_ change: FileChange, from source: RawPath, to destination: RawPath) -> FileChange {
        func r(_ p: RawPath) -> RawPath { isInside(p, source) ? readdress(p, from: source, to: destination) : p }
        switch change {
        case .fileClosedAfterWrite(let p): return .fileClosedAfterWrite(r(p))
        case .fileMovedIn(let p): return .fileMovedIn(r(p))
        case .fileDeleted(let p): return .fileDeleted(r(p))
        case .fileMovedOut(let p): return .fileMovedOut(r(p))
        case .folderCreated(let p): return .folderCreated(r(p))
        case .folderDeleted(let p): return .folderDeleted(r(p))
        case .moved(let from, let to, let isDirectory): return .moved(from: r(from), to: r(to), isDirectory: isDirectory)
        case .overflow, .rootGone, .watchFailed: return change
        }
    }

    /// True when `path` is strictly inside `folder`.
    static func isInside(_ path: RawPath, _ folder: RawPath) -> Bool {
        if folder.isEmpty { return !path.isEmpty }
        return path.bytes.count > folder.bytes.count && path.bytes.starts(with: folder.bytes)
            && path.bytes[folder.bytes.count] == UInt8(ascii: "/")
    }

    static func readdress(_ path: RawPath, from source: RawPath, to destination: RawPath) -> RawPath {
        RawPath(bytes: destination.bytes + path.bytes[source.bytes.count...])
    }
}
