// # Search
//
// `Library.search(_:)` in four steps, one file each:
//
// 1. `SearchQueryParser.swift` — text → `ParsedSearch` (terms, field terms, year/codec/compilation
//    filters). Pure, total, tested alone. `SearchTokenizer` mimics FTS5 `unicode61` on the query side.
// 2. `SearchSQL.swift` — `ParsedSearch` → FTS5 MATCH expression (every term a quoted FTS5 string),
//    WHERE clause, ORDER BY and the index of each sort.
// 3. `Library+Search.swift` — the plan: count, then one page of ids (bm25 for ≤ 250 matches,
//    streamed tiers above; sort indexes for sorted listings), then `TrackRecord`s.
// 4. `SearchSuggester.swift` — "did you mean" from `trackFtsVocab`, only when nothing matched.
//
// `SearchSchema.swift` adds the indexes search needs (migration `v2-search-indexes`).
// Why it is this way, and the measured latencies: `docs/decisions/0005-search.md`.
//
// Thread safety: everything here is a value or a pure function; `Library.search` runs in one
// GRDB read (any thread, blocking).

import GRDB
import OmniModel

extension Library {
    /// Above this many matches, relevance is not computed with bm25 (1–10 µs per matching row, plus
    /// a pass over each phrase's whole doclist for its IDF, large for a short prefix)
    /// but in tiers that FTS5 streams without sorting: exact title, then tracks whose title has
    /// every word, then the rest, newest first within a tier. See `docs/decisions/0005-search.md`.
    static let bm25RankLimit = 250

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
        let limit = min(max(query.limit, 0), 10_000)
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
            return try writer.read { db in try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM track")) ?? 0 }
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

    /// FTS5 matches joined with the narrow index that holds the SQL filters' columns.
    private static let filteredFrom = "trackFts CROSS JOIN track INDEXED BY track_filter ON track.id = trackFts.rowid"

    /// How many tracks match.
    static func count(_ db: Database, _ parsed: ParsedSearch) throws -> Int {
        let (filterSQL, filterArgs) = whereClause(parsed)
        if let match = SearchSQL.match(parsed) {
            if filterSQL.isEmpty {
                // Counting FTS5 rowids never touches the track table: ~25 ns per match.
                return try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM trackFts WHERE trackFts MATCH ?"),
                                        arguments: [match]) ?? 0
            }
            return try Int.fetchOne(db.cachedStatement(sql: """
                SELECT count(*) FROM \(filteredFrom) WHERE trackFts MATCH ?\(filterSQL)
                """), arguments: [match] + filterArgs) ?? 0
        }
        // Without a WHERE clause SQLite counts b-tree cells page by page (OP_Count), several times
        // faster than stepping through 100,000 rows.
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM track" + (filterSQL.isEmpty ? "" : " WHERE 1\(filterSQL)")),
                                arguments: filterArgs) ?? 0
    }

    /// The total and the ids of one page, in order.
    static func page(_ db: Database, _ parsed: ParsedSearch, limit: Int, offset: Int,
                     sort: SearchSort, descending: Bool) throws -> (total: Int, ids: [Int64]) {
        let total = try count(db, parsed)
        guard total > offset, limit > 0 else { return (total, []) }
        // Filters only (`album:homogenic`, `artist:"sigur ros"`, `genre:x`): there is nothing to
        // rank, so the library order applies (artist, album, disc, track), and an album plays in order.
        var sort = sort
        if sort == .relevance, !parsed.terms.contains(where: { $0.field == nil }) { sort = .artist }
        let (filterSQL, filterArgs) = whereClause(parsed)
        guard let match = SearchSQL.match(parsed) else {
            // No text: list the library (or the filtered part) in the requested order. When the
            // filter keeps a good part of the library, walking the sort's index finds a page
            // quickly; a selective filter is better served by its own index and a small sort.
            let order = SearchSQL.order(sort, descending: descending)
            let size = try Int.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM track")) ?? 0
            let dense = filterSQL.isEmpty || total * 20 >= size
            let indexed = dense ? order.index.map { " INDEXED BY \($0)" } ?? "" : ""
            let ids = try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT track.id FROM track\(indexed) WHERE 1\(filterSQL)
                ORDER BY \(order.sql) LIMIT ? OFFSET ?
                """), arguments: filterArgs + [limit, offset])
            return (total, ids)
        }
        let small = total <= bm25RankLimit
        // The FROM clause for queries driven by FTS5: joined with track only when filters need it.
        let from = filterSQL.isEmpty ? "trackFts" : filteredFrom
        if sort == .relevance {
            let exact = parsed.exactTitleKey ?? ""
            if small {
                // Few matches: bm25, with exact titles first (reading `track` for ≤ 250 rows).
                let ids = try Int64.fetchAll(db.cachedStatement(sql: """
                    SELECT trackFts.rowid FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                    WHERE trackFts MATCH ?\(filterSQL)
                    ORDER BY (track.titleKey = ?) DESC, \(SearchSQL.bm25), trackFts.rowid LIMIT ? OFFSET ?
                    """), arguments: [match] + filterArgs + [exact, limit, offset])
                return (total, ids)
            }
            // Many matches: tiers that cost the page, not the matches.
            let exactIds = try exactTitleIds(db, parsed, filterSQL: filterSQL, filterArgs: filterArgs)
            // Statements are cached, so ids travel as a JSON argument rather than in the SQL text.
            let exclude = exactIds.isEmpty ? "" : " AND trackFts.rowid NOT IN (SELECT value FROM json_each(?))"
            let excludeArgs: StatementArguments = exactIds.isEmpty ? [] : ["[" + exactIds.map(String.init).joined(separator: ",") + "]"]
            var tiers: [Tier] = [Tier(count: { exactIds.count }, fetch: { limit, offset in
                Array(exactIds.dropFirst(offset).prefix(limit))
            })]
            func streamed(_ expression: String) -> Tier {
                // FTS5 yields rowids in descending order without sorting: the cost is the page, not the matches.
                Tier(count: {
                    try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM \(from) WHERE trackFts MATCH ?\(filterSQL)\(exclude)"),
                                     arguments: [expression] + filterArgs + excludeArgs) ?? 0
                }, fetch: { limit, offset in
                    try Int64.fetchAll(db.cachedStatement(sql: """
                        SELECT trackFts.rowid FROM \(from) WHERE trackFts MATCH ?\(filterSQL)\(exclude)
                        ORDER BY trackFts.rowid DESC LIMIT ? OFFSET ?
                        """), arguments: [expression] + filterArgs + excludeArgs + [limit, offset])
                })
            }
            if let titleMatch = SearchSQL.titleMatch(parsed) {
                tiers.append(streamed(titleMatch))
                tiers.append(streamed("(\(match)) NOT (\(titleMatch))"))
            } else {
                tiers.append(streamed(match))
            }
            return (total, try pageTiers(tiers, limit: limit, offset: offset))
        }
        let order = SearchSQL.order(sort, descending: descending)
        // Walking the sort's index reads about (offset + limit) × size / total entries before a
        // page of matches turns up; sorting the matches costs about total rows. So FTS5 drives
        // and SQLite sorts when the matches are few (a listing of `artist:"x"`: hundreds of rows
        // scattered over the library), and the index is walked when they are many.
        let size = try Int.fetchOne(db.cachedStatement(sql: "SELECT max(id) FROM track")) ?? 0
        if small || total * total <= (offset + limit) * size / 4 || order.index == nil {
            // Few matches: let FTS5 drive and sort them.
            let ids = try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT track.id FROM trackFts CROSS JOIN track ON track.id = trackFts.rowid
                WHERE trackFts MATCH ?\(filterSQL) ORDER BY \(order.sql) LIMIT ? OFFSET ?
                """), arguments: [match] + filterArgs + [limit, offset])
            return (total, ids)
        }
        // Many matches: walk the sort's index and keep the rows in the match set, which stops
        // after a page instead of sorting thousands of rows.
        let ids = try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT track.id FROM track INDEXED BY \(order.index ?? "")
            WHERE track.id IN (SELECT rowid FROM trackFts WHERE trackFts MATCH ?)\(filterSQL)
            ORDER BY \(order.sql) LIMIT ? OFFSET ?
            """), arguments: [match] + filterArgs + [limit, offset])
        return (total, ids)
    }

    /// A run of results that ranks as a block: its size, and a page within it.
    struct Tier {
        var count: () throws -> Int
        var fetch: (_ limit: Int, _ offset: Int) throws -> [Int64]
    }

    /// One page through consecutive tiers. A tier is counted only when the page starts after it.
    static func pageTiers(_ tiers: [Tier], limit: Int, offset: Int) throws -> [Int64] {
        var ids: [Int64] = []
        var skip = offset
        for (index, tier) in tiers.enumerated() where ids.count < limit {
            if skip > 0, index < tiers.count - 1 {
                let size = try tier.count()
                if skip >= size {
                    skip -= size
                    continue
                }
            }
            let got = try tier.fetch(limit - ids.count, skip)
            ids += got
            skip = 0
        }
        return ids
    }

    /// The matching tracks whose folded title is exactly the folded free text (ranked first).
    ///
    /// Such a title holds every free-text word (`TextKey.fold` agrees with the tokenizer's
    /// folding), so only field terms and SQL filters are checked. Asking FTS5 about each
    /// candidate with `rowid IN (…)` would evaluate the whole expression once per candidate.
    private static func exactTitleIds(_ db: Database, _ parsed: ParsedSearch, filterSQL: String,
                                      filterArgs: StatementArguments) throws -> [Int64] {
        guard let exact = parsed.exactTitleKey else { return [] }
        var sql = "SELECT track.id FROM track WHERE track.titleKey = ?\(filterSQL)"
        var arguments: StatementArguments = [exact]
        arguments += filterArgs
        let fieldTerms = parsed.terms.filter { $0.field != nil }
        if !fieldTerms.isEmpty {
            sql += " AND track.id IN (SELECT rowid FROM trackFts WHERE trackFts MATCH ?)"
            arguments += [fieldTerms.map(SearchSQL.ftsTerm).joined(separator: " ")]
        }
        return try Int64.fetchAll(db.cachedStatement(sql: sql + " ORDER BY track.id"), arguments: arguments)
    }

    /// The records of `ids`, in the order of `ids`.
    static func fetchTracks(_ db: Database, ids: [Int64]) throws -> [TrackRecord] {
        guard !ids.isEmpty else { return [] }
        // One cached statement for any page: the ids travel as a JSON array.
        let statement = try db.cachedStatement(sql: """
            SELECT \(TrackRecord.selection()) FROM track WHERE track.id IN (SELECT value FROM json_each(?))
            """)
        let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
        let records = try Row.fetchAll(statement, arguments: [list]).map(TrackRecord.init(row:))
        let byId = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byId[$0] }
    }
}
