import GRDB
import Synchronization

/// Every album's `SubsonicAlbumRow`, read once per state of the library, so that a page of
/// `getAlbumList2` (any `type`) looks its 50 rows up instead of running the nine per-album
/// subqueries of `Library.subsonicAlbumColumns` for each (0.7 ms of SQLite per page of 50 on
/// the 10,000-track corpus; decision 0026, "Speed").
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
/// Thread safety: any thread; `rows(for:)` never blocks, `store` and `invalidate` take a lock
/// for a moment.
final class SubsonicAlbumSummaries: Sendable {
    /// The tables `Library.subsonicAlbumColumns` reads, and `opLog`. SQLite tells nothing of
    /// changes to `WITHOUT ROWID` tables (GRDB's "Dealing with Undetected Changes"), and
    /// `trackPlay`, `albumFavorite` and `trackGenre` are such tables: the first two are written
    /// only by `OperationApplier`, always after an `opLog` insert in the same transaction (local
    /// changes and operations merged from other devices alike); a track's genres change with its
    /// `track` row (its `genres` column).
    static let tables = ["album", "track", "genre", "opLog"]

    private struct State {
        /// Bumped after every commit that wrote one of `tables`.
        var generation = 0
        /// The generation the last stale request saw (the next one at it rebuilds).
        var seenStale = -1
        /// The summary and the generation read before it was built; nil before the first.
        var built: (generation: Int, rows: [Int64: SubsonicAlbumRow])?
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
        case use([Int64: SubsonicAlbumRow])
        case build(generation: Int)
        case direct
    }

    func plan() -> Plan {
        state.withLock { s in
            if s.broken { return .direct }
            if let built = s.built, built.generation == s.generation { return .use(built.rows) }
            if s.seenStale == s.generation { return .build(generation: s.generation) }
            s.seenStale = s.generation
            return .direct
        }
    }

    /// Keeps `rows`, read at `generation`, unless a newer build is kept already.
    func store(_ rows: [Int64: SubsonicAlbumRow], generation: Int) {
        state.withLock { s in
            if (s.built?.generation ?? -1) < generation { s.built = (generation, rows) }
        }
    }

    /// Whether the next request would use the kept rows (tests).
    var isCurrent: Bool { state.withLock { s in !s.broken && s.built.map { $0.generation == s.generation } == true } }

    /// The library changed: the next requests read it again.
    func invalidate() { state.withLock { $0.generation += 1 } }
}
