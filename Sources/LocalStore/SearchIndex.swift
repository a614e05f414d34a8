import GRDB
import OmniModel

/// Keeps the FTS5 index `trackFts` in step with `track`, a batch at a time. The index holds the
/// folded text of `track` (`SearchFolding`, through the view `trackSearchText`), not the raw columns.
///
/// Why not triggers: FTS5 flushes its pending in-memory index to disk at every statement
/// savepoint, and a row trigger makes every `INSERT INTO track` a statement with a savepoint.
/// With triggers each indexed track cost a segment write (about 60 µs, most of a scan's database
/// time); written once per batch, indexing 10,000 tracks costs about as much as 300 did.
///
/// The rule every writer of `track` follows, inside its transaction:
/// 1. `remove(ids)` for the existing tracks it is about to change (external content: the index
///    entries are removed using the values still in the rows);
/// 2. change the rows;
/// 3. `add(ids)` for every track it inserted or changed (ids whose row is gone are skipped).
/// Deleting tracks is `remove` then `DELETE`.
enum SearchIndex {
    /// The indexed `track` columns, in `trackFts` column order.
    static let columns = "title, artist, album, albumArtist, genreText, composer, fileName"

    /// The values of `columns`, in that order, as `track` stores them for these effective tags
    /// and file name (before folding): what the scan folds on its probe threads
    /// (`ScanBatch.Probed.foldSearchText`) instead of the view.
    static func values(_ tags: TrackTags, fileName: String) -> [String?] {
        [tags.title, tags.artist, tags.album, tags.albumArtist, genreText(tags.genres), tags.composer, fileName]
    }

    /// `track.genreText`: the genres joined by "; ", NULL when there are none.
    static func genreText(_ genres: [String]) -> String? {
        genres.isEmpty ? nil : genres.joined(separator: "; ")
    }

    /// The index's content table since `v7-search-folding`: the view of `track` whose columns are
    /// folded by `omni_search_fold` (`SearchFolding.document`). FTS5 reads it for 'rebuild' and
    /// 'integrity-check'; a search (MATCH, bm25) never reads it.
    static let contentView = "trackSearchText"

    /// `omni_search_fold(text)`: `SearchFolding.document`, NULL for NULL. Registered on every
    /// connection of a library (`Library.init`), since the view of the index's content calls it.
    static let foldFunction = DatabaseFunction("omni_search_fold", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return SearchFolding.document(text)
    }

    /// The view the folding migration creates (and `SearchSchema` recreates the index over).
    static var createContentView: String {
        let folded = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .map { "omni_search_fold(\($0)) AS \($0)" }.joined(separator: ", ")
        return "CREATE VIEW \(contentView) AS SELECT id, \(folded) FROM track"
    }

    /// Removes the index entries of these tracks. Must run before their indexed columns change.
    static func remove(_ ids: some Collection<Int64>, in db: Database) throws {
        guard !ids.isEmpty else { return }
        try db.cachedStatement(sql: """
            INSERT INTO trackFts(trackFts, rowid, \(columns))
            SELECT 'delete', id, \(columns) FROM \(contentView) WHERE id IN (SELECT value FROM json_each(?))
            """).execute(arguments: [jsonArray(ids)])
    }

    /// Indexes these tracks as their rows are now.
    static func add(_ ids: some Collection<Int64>, in db: Database) throws {
        guard !ids.isEmpty else { return }
        try db.cachedStatement(sql: """
            INSERT INTO trackFts(rowid, \(columns))
            SELECT id, \(columns) FROM \(contentView) WHERE id IN (SELECT value FROM json_each(?))
            """).execute(arguments: [jsonArray(ids)])
    }

    /// Indexes these tracks as their rows are now, taking the folded text of those in `folded`
    /// as given (folded on the scan's probe threads, `ScanBatch.Probed.foldSearchText`) instead
    /// of folding it again through the view: one statement for them, rows in id order (FTS5
    /// flushes its pending index when a rowid goes backwards), then `add` for the others.
    static func add(_ ids: some Collection<Int64>, folded: [Int64: [String?]], in db: Database) throws {
        guard !folded.isEmpty else { return try add(ids, in: db) }
        var given: [Int64] = []
        var others: [Int64] = []
        for id in ids {
            if folded[id] != nil { given.append(id) } else { others.append(id) }
        }
        given.sort()
        if !given.isEmpty {
            // [[id, title, artist, …], …]: JSON text, read back by json_each with ->> (the same
            // strings; JSON null is SQL NULL).
            var json = "["
            for (index, id) in given.enumerated() {
                json += index == 0 ? "[" : ",["
                json += String(id)
                for value in folded[id]! {
                    json += ","
                    if let value { JSONText.appendQuoted(value, to: &json) } else { json += "null" }
                }
                json += "]"
            }
            json += "]"
            let values = (1...columnCount).map { "value->>\($0)" }.joined(separator: ", ")
            try db.cachedStatement(sql: """
                INSERT INTO trackFts(rowid, \(columns)) SELECT value->>0, \(values) FROM json_each(?)
                """).execute(arguments: [json])
        }
        try add(others, in: db)
    }

    /// The number of indexed columns.
    static let columnCount = columns.split(separator: ",").count

    /// Rebuilds the whole index from `track` (after a bulk import that bypassed `add`, or repair).
    static func rebuild(in db: Database) throws {
        try db.execute(sql: "INSERT INTO trackFts(trackFts) VALUES('rebuild')")
    }

    private static func jsonArray(_ ids: some Collection<Int64>) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }
}

extension Library {
    /// Rebuilds the full-text index from the track rows.
    ///
    /// The scan keeps the index in step by itself; this is for bulk loads that write `track`
    /// directly (benchmarks, test fixtures) and for repairing a damaged index.
    public func rebuildSearchIndex() throws(StoreError) {
        try write("rebuilding the search index") { db in try SearchIndex.rebuild(in: db) }
    }
}
