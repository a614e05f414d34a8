import GRDB
import OmniModel

extension Library {
    /// Above this many matches, relevance is not computed with bm25 (about 1 µs per matching row)
    /// but with an index walk: exact title first, then by title. See `docs/decisions/0005-search.md`.
    static let bm25RankLimit = 2_000

    /// Searches the library.
    ///
    /// - Parameter query: the text typed by the user (any text: it never causes an error),
    ///   the page and the order. See `SearchQueryParser` for the query language.
    /// - Returns: the page of tracks, the total number of matches and, when nothing matched, a
    ///   corrected query that finds something.
    /// - Throws: `StoreError` (`store.database`) when SQLite fails; never for the query's text.
    ///
    /// Synchronous and blocking (one read transaction); safe from any thread.
    public func search(_ query: SearchQuery) throws(StoreError) -> SearchResults {
        let parsed = SearchQueryParser.parse(query.text)
        let limit = min(max(query.limit, 0), 1_000)
        let offset = max(query.offset, 0)
        do {
            return try writer.read { db in
                let (total, ids) = try Self.page(db, parsed, limit: limit, offset: offset,
                                                 sort: query.sort, descending: query.descending)
                let tracks = try Self.fetchTracks(db, ids: ids)
                var suggestion: String?
                if total == 0, !parsed.terms.isEmpty {
                    suggestion = try SearchSuggester.suggest(db, for: parsed) { db, candidate in
                        try Self.count(db, candidate) > 0
                    }
                }
                return SearchResults(tracks: tracks, total: total, suggestion: suggestion)
            }
        } catch {
            throw StoreError(error, while: "searching")
        }
    }

    /// The track with this uid, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; safe from any thread.
    public func track(uid: TrackUID) throws(StoreError) -> TrackRecord? {
        do {
            return try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT \(TrackRecord.selection()) FROM track WHERE uid = ?",
                                 arguments: [uid.rawValue]).map(TrackRecord.init(row:))
            }
        } catch {
            throw StoreError(error, while: "reading a track")
        }
    }

    /// The number of tracks in the library.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; safe from any thread.
    public func trackCount() throws(StoreError) -> Int {
        do {
            return try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM track") ?? 0 }
        } catch {
            throw StoreError(error, while: "counting tracks")
        }
    }

    // MARK: - Implementation

    /// The WHERE clause (on `track`, without the FTS match) and its arguments.
    private static func whereClause(_ parsed: ParsedSearch) -> (sql: String, arguments: StatementArguments) {
        if let filters = SearchSQL.filters(parsed) { return (" AND " + filters.sql, filters.arguments) }
        return ("", StatementArguments())
    }

    /// How many tracks match.
    static func count(_ db: Database, _ parsed: ParsedSearch) throws -> Int {
        let (filterSQL, filterArgs) = whereClause(parsed)
        if let match = SearchSQL.match(parsed) {
            if filterSQL.isEmpty {
                // Counting FTS5 rowids never touches the track table: ~25 ns per match.
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM trackFts WHERE trackFts MATCH ?",
                                        arguments: [match]) ?? 0
            }
            return try Int.fetchOne(db, sql: """
                SELECT count(*) FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                WHERE trackFts MATCH ?\(filterSQL)
                """, arguments: [match] + filterArgs) ?? 0
        }
        return try Int.fetchOne(db, sql: "SELECT count(*) FROM track WHERE 1\(filterSQL)", arguments: filterArgs) ?? 0
    }

    /// The total and the ids of one page, in order.
    static func page(_ db: Database, _ parsed: ParsedSearch, limit: Int, offset: Int,
                     sort: SearchSort, descending: Bool) throws -> (total: Int, ids: [Int64]) {
        let total = try count(db, parsed)
        guard total > offset, limit > 0 else { return (total, []) }
        let (filterSQL, filterArgs) = whereClause(parsed)
        guard let match = SearchSQL.match(parsed) else {
            // No text: list the library (or the filtered part) in the requested order.
            let order = SearchSQL.order(sort, descending: descending)
            let ids = try Int64.fetchAll(db, sql: """
                SELECT track.id FROM track WHERE 1\(filterSQL) ORDER BY \(order.sql) LIMIT ? OFFSET ?
                """, arguments: filterArgs + [limit, offset])
            return (total, ids)
        }
        let small = total <= bm25RankLimit
        if sort == .relevance {
            let exact = parsed.exactTitleKey ?? ""
            if small {
                let ids = try Int64.fetchAll(db, sql: """
                    SELECT track.id FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                    WHERE trackFts MATCH ?\(filterSQL)
                    ORDER BY (track.titleKey = ?) DESC, \(SearchSQL.bm25), track.id
                    LIMIT ? OFFSET ?
                    """, arguments: [match] + filterArgs + [exact, limit, offset])
                return (total, ids)
            }
            return (total, try broadRelevancePage(db, match: match, exact: exact, filterSQL: filterSQL,
                                                  filterArgs: filterArgs, limit: limit, offset: offset))
        }
        let order = SearchSQL.order(sort, descending: descending)
        if small {
            // Few matches: let FTS5 drive and sort them.
            let ids = try Int64.fetchAll(db, sql: """
                SELECT track.id FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                WHERE trackFts MATCH ?\(filterSQL) ORDER BY \(order.sql) LIMIT ? OFFSET ?
                """, arguments: [match] + filterArgs + [limit, offset])
            return (total, ids)
        }
        // Many matches: walk the sort's index and keep the rows in the match set, which stops
        // after a page instead of sorting thousands of rows.
        let ids = try Int64.fetchAll(db, sql: """
            SELECT track.id FROM track INDEXED BY \(order.index)
            WHERE track.id IN (SELECT rowid FROM trackFts WHERE trackFts MATCH ?)\(filterSQL)
            ORDER BY \(order.sql) LIMIT ? OFFSET ?
            """, arguments: [match] + filterArgs + [limit, offset])
        return (total, ids)
    }

    /// Relevance for a broad query (more than `bm25RankLimit` matches, typically the first one or
    /// two letters typed): tracks whose title is exactly the query first, then by title, walking
    /// the `titleKey` index.
    private static func broadRelevancePage(_ db: Database, match: String, exact: String, filterSQL: String,
                                           filterArgs: StatementArguments, limit: Int, offset: Int) throws -> [Int64] {
        var exactIds: [Int64] = []
        if !exact.isEmpty {
            let candidates = try Int64.fetchAll(db, sql: "SELECT id FROM track WHERE titleKey = ? ORDER BY id", arguments: [exact])
            if !candidates.isEmpty {
                let list = candidates.map(String.init).joined(separator: ", ")
                exactIds = try Int64.fetchAll(db, sql: """
                    SELECT track.id FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                    WHERE trackFts MATCH ? AND trackFts.rowid IN (\(list))\(filterSQL) ORDER BY track.id
                    """, arguments: [match] + filterArgs)
            }
        }
        var ids = Array(exactIds.dropFirst(offset).prefix(limit))
        let remaining = limit - ids.count
        guard remaining > 0 else { return ids }
        let restOffset = max(0, offset - exactIds.count)
        let exclude = exactIds.isEmpty ? "" : " AND track.id NOT IN (\(exactIds.map(String.init).joined(separator: ", ")))"
        ids += try Int64.fetchAll(db, sql: """
            SELECT track.id FROM track INDEXED BY track_titleKey
            WHERE track.id IN (SELECT rowid FROM trackFts WHERE trackFts MATCH ?)\(filterSQL)\(exclude)
            ORDER BY track.titleKey, track.id LIMIT ? OFFSET ?
            """, arguments: [match] + filterArgs + [remaining, restOffset])
        return ids
    }

    /// The records of `ids`, in the order of `ids`.
    static func fetchTracks(_ db: Database, ids: [Int64]) throws -> [TrackRecord] {
        guard !ids.isEmpty else { return [] }
        let list = ids.map(String.init).joined(separator: ", ")
        let records = try Row.fetchAll(db, sql: "SELECT \(TrackRecord.selection()) FROM track WHERE track.id IN (\(list))")
            .map(TrackRecord.init(row:))
        let byId = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byId[$0] }
    }
}
