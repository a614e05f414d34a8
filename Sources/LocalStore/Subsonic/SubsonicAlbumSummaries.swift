import Foundation
import GRDB
import Synchronization

/// Every album's `SubsonicAlbumRow`, read once per state of the library, so that a page of
/// `getAlbumList2` (any `type`) looks its 50 rows up instead of running the nine per-album
/// subqueries of `Library.subsonicAlbumColumns` for each (0.7 ms of SQLite per page of 50 on
/// the 10,000-track corpus; decision 0026, "Speed"). With them, the album keys and credited
/// artists' names that search2/search3 filter (`Kept`; decision 0026, "Speed, third round").
///
/// Invalidation is by commit, not by event: a `DatabaseRegionObservation` on the tables the
/// columns read bumps a generation after every commit that wrote one of them. Events would miss
/// album stars (they publish nothing when no track changed) and merged operations from other
/// devices; the observation sees every write of this process's library made through GRDB. The
/// scan's track rows are not (its writer steps them directly, `DirectStatement`): `Library.apply`
/// calls `invalidate()` after each batch. Writes by another process are not seen (as with
/// `Library.operationLogChanges()`).
///
/// A stale summary is not rebuilt by the first request that finds it stale, only by the second
/// that finds the same generation: while a scan commits between most requests, each page is read
/// directly (as before) instead of every request rebuilding every album.
///
/// Thread safety: any thread; `plan`, `current`, `store` and `invalidate` take a lock for a
/// moment and never wait on the database.
final class SubsonicAlbumSummaries: Sendable {
    /// The tables `Library.subsonicAlbumColumns` reads, and `opLog`. SQLite tells nothing of
    /// changes to `WITHOUT ROWID` tables (GRDB's "Dealing with Undetected Changes"), and
    /// `trackPlay`, `albumFavorite` and `trackGenre` are such tables: the first two are written
    /// only by `OperationApplier`, always after an `opLog` insert in the same transaction (local
    /// changes and operations merged from other devices alike); a track's genres change with its
    /// `track` row (its `genres` column), and so do its artist credits (`trackArtist`, written
    /// with the track by `TrackWriter`), which the kept artist keys read with `artist`.
    static let tables = ["album", "track", "genre", "artist", "opLog"]

    private struct State {
        /// Bumped after every commit that wrote one of `tables`.
        var generation = 0
        /// The generation the last stale request saw (the next one at it rebuilds).
        var seenStale = -1
        /// The summary and the generation read before it was built; nil before the first.
        var built: (generation: Int, kept: Kept)?
        /// The observation failed: never serve a summary.
        var broken = false
    }

    private let state = Mutex(State())
    /// Holds the observation for as long as the summaries live (cancelled on deinit).
    private let observation = Mutex<AnyDatabaseCancellable?>(nil)

    /// Starts observing `writer` (waits for a running write transaction, as any start does).
    init(writer: any DatabaseWriter) {
        let region = Self.tables.map { Table($0) as any DatabaseRegionConvertible }
        let cancellable = DatabaseRegionObservation(tracking: region)
            .start(in: writer,
                   onError: { [weak self] _ in self?.state.withLock { $0.broken = true } },
                   onChange: { [weak self] _ in self?.invalidate() })
        observation.withLock { $0 = cancellable }
    }

    /// What a request should do: use the rows, build them (and the generation to store them
    /// under; read it before the build's read transaction starts), or read its page directly.
    enum Plan {
        case use(Kept)
        case build(generation: Int)
        case direct
    }

    func plan() -> Plan {
        state.withLock { s in
            if s.broken { return .direct }
            if let built = s.built, built.generation == s.generation { return .use(built.kept) }
            if s.seenStale == s.generation { return .build(generation: s.generation) }
            s.seenStale = s.generation
            return .direct
        }
    }

    /// Keeps `kept`, read at `generation`, unless a newer build is kept already.
    func store(_ kept: Kept, generation: Int) {
        state.withLock { s in
            if (s.built?.generation ?? -1) < generation { s.built = (generation, kept) }
        }
    }

    /// The kept rows, when they are current (nil otherwise; never builds them).
    func current() -> Kept? {
        state.withLock { s in
            guard !s.broken, let built = s.built, built.generation == s.generation else { return nil }
            return built.kept
        }
    }

    /// Whether the next request would use the kept rows (tests).
    var isCurrent: Bool { current() != nil }

    /// The library changed: the next requests read it again.
    func invalidate() { state.withLock { $0.generation += 1 } }
}

extension SubsonicAlbumSummaries {
    /// What is kept per library state: every album's row, and the keys search2/search3 filter
    /// by `LIKE` (decision 0026, "Speed, third round"). On the 10,000-track corpus the two
    /// `LIKE` scans (706 album keys, 414 artist names, each pattern matched by SQLite's
    /// `patternCompare`, `strcspn`) were about a third of search3's CPU; the same filter over the
    /// kept keys is a few microseconds, and the answers are the same rows in the same order.
    struct Kept: Sendable {
        /// Every album's row by id.
        var rows: [Int64: SubsonicAlbumRow]
        /// Every album's id and key, by key then id (search3's album order).
        var albumKeys: KeyIndex
        /// Every artist credited as artist or album artist on a track, by folded name then id
        /// (search3's artist order, and the artists its `EXISTS` keeps).
        var artistKeys: KeyIndex

        /// Reads all of it in the caller's read transaction.
        static func read(_ db: Database) throws -> Kept {
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(Library.subsonicAlbumColumns) FROM album")).map(Library.subsonicAlbum)
            let albumKeys = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, albumKey FROM album ORDER BY albumKey, id"))
                .map { (id: $0[0] as Int64, key: $0[1] as String) }
            let artistKeys = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT artist.id, artist.nameKey FROM artist
                WHERE EXISTS (SELECT 1 FROM trackArtist ta JOIN track ON track.id = ta.trackId
                              WHERE ta.artistId = artist.id AND ta.role IN ('artist', 'albumartist'))
                ORDER BY artist.nameKey, artist.id
                """)).map { (id: $0[0] as Int64, key: $0[1] as String) }
            return Kept(rows: Dictionary(rows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }),
                        albumKeys: KeyIndex(albumKeys), artistKeys: KeyIndex(artistKeys))
        }
    }

    /// Row ids and their keys, in order, the keys ASCII-lowercased and laid end to end (each
    /// followed by a NUL, which no key holds) so that a word is looked for in all of them in
    /// one pass (`memchr`) instead of once per key.
    struct KeyIndex: Sendable {
        let ids: [Int64]
        /// Where each key starts in `bytes`; `starts[ids.count]` is the end.
        let starts: [Int]
        let bytes: [UInt8]

        init(_ entries: [(id: Int64, key: String)]) {
            var bytes: [UInt8] = []
            var starts: [Int] = []
            starts.reserveCapacity(entries.count + 1)
            for entry in entries {
                starts.append(bytes.count)
                bytes += LikeWords.lowered(entry.key.utf8)
                bytes.append(0)
            }
            starts.append(bytes.count)
            ids = entries.map(\.id)
            self.starts = starts
            self.bytes = bytes
        }
    }
}

/// The words of `Library.containsAll`, matched in memory exactly as SQLite's built-in `LIKE`
/// matches `'%word%' ESCAPE '\\'`: a substring, case-insensitive for ASCII letters only (other
/// characters compare as they are: SQLite's `LIKE` folds no other case without ICU). UTF-8 is
/// self-synchronising, so a byte substring is a character substring.
struct LikeWords: Sendable {
    /// Each word's bytes, ASCII-lowercased; empty for the empty text (everything matches).
    let words: [[UInt8]]

    init(_ text: String) {
        words = Library.searchWords(text).map { Self.lowered($0.utf8) }
    }

    static func lowered(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }

    /// The ids of the keys that hold every word, in the index's order, paged as
    /// `LIMIT limit OFFSET offset`.
    func page(_ index: SubsonicAlbumSummaries.KeyIndex, limit: Int, offset: Int) -> [Int64] {
        let limit = max(limit, 0)
        guard limit > 0 else { return [] }
        var skip = max(offset, 0)
        var ids: [Int64] = []
        func take(_ entry: Int) -> Bool {
            if skip > 0 { skip -= 1; return false }
            ids.append(index.ids[entry])
            return ids.count == limit
        }
        // A word with a NUL in it could match across two keys in the joined bytes; none can
        // match a key (keys hold no NUL), as in SQLite, where the pattern would stop there.
        guard !words.contains(where: { $0.contains(0) }) else { return [] }
        guard let first = words.first else {
            for entry in index.ids.indices where take(entry) { break }
            return ids
        }
        index.bytes.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var position = 0
            var entry = 0
            while position < bytes.count,
                  let at = first.withUnsafeBytes({ Self.find($0, in: base, from: position, to: bytes.count) }) {
                // The key that holds the match: the last start at or before it (keys are few
                // and matches move forward, so walking on is cheap).
                while index.starts[entry + 1] <= at { entry += 1 }
                let start = index.starts[entry], end = index.starts[entry + 1] - 1
                let rest = words.dropFirst().allSatisfy { word in
                    word.withUnsafeBytes { Self.find($0, in: base, from: start, to: end) != nil }
                }
                if rest, take(entry) { return }
                position = end + 1
                entry += 1
            }
        }
        return ids
    }

    /// Where `word` first occurs in `base[from..<to]`, or nil: `memchr` for its first byte,
    /// `memcmp` for the rest (Glibc's `memmem` is not visible to Swift without `_GNU_SOURCE`).
    static func find(_ word: UnsafeRawBufferPointer, in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        guard let needle = word.baseAddress, word.count > 0 else { return from <= to ? from : nil }
        let first = Int32(word[0])
        var position = from
        while position + word.count <= to {
            guard let hit = memchr(base + position, first, to - word.count + 1 - position) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            // The second byte first: most first-byte hits end there, without a call.
            if word.count == 1 || (base.load(fromByteOffset: at + 1, as: UInt8.self) == word[1]
                                   && memcmp(base + at, needle, word.count) == 0) { return at }
            position = at + 1
        }
        return nil
    }
}
