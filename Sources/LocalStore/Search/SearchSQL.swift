import GRDB

/// Turns a `ParsedSearch` into SQL: the FTS5 MATCH expression, the WHERE clause on `track`,
/// and the ORDER BY of each sort.
///
/// Every user string reaches FTS5 as a quoted string (`"..."`, inner quotes doubled), so no
/// user input is ever read as FTS5 syntax (`NEAR`, `OR`, `*`, `^`, `:`, parentheses): FTS5 only
/// tokenizes it. Every value reaches SQL as a bound argument.
enum SearchSQL {
    /// bm25 weights, in `trackFts` column order: title, artist, album, albumArtist, genreText,
    /// composer, fileName. Title above artist above album above the rest.
    static let weights: [Double] = [10, 5, 3, 2, 1, 1, 0.5]

    /// `bm25(trackFts, …)` with `weights`.
    static var bm25: String { "bm25(trackFts, \(weights.map { String($0) }.joined(separator: ", ")))" }

    /// The FTS5 expression of the search's terms, or nil when there are none.
    static func match(_ search: ParsedSearch) -> String? {
        guard !search.terms.isEmpty else { return nil }
        return search.terms.map(ftsTerm).joined(separator: " ")
    }

    /// The expression that matches when every free-text term is found in the title (field terms
    /// keep their own column), or nil when there is no free text.
    static func titleMatch(_ search: ParsedSearch) -> String? {
        guard search.terms.contains(where: { $0.field == nil }) else { return nil }
        return search.terms.map { term in
            term.field == nil ? "{title} : " + ftsTerm(term) : ftsTerm(term)
        }.joined(separator: " ")
    }

    /// One term as an FTS5 string, optionally restricted to a column and a prefix.
    static func ftsTerm(_ term: SearchTerm) -> String {
        var out = ""
        if let field = term.field { out += "{\(field.column)} : " }
        out += quote(SearchFolding.query(term.text))
        if term.prefix { out += "*" }
        return out
    }

    /// An FTS5 string literal: `"` + text with `"` doubled + `"`.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The conditions on `track` (aliased `track`) for the SQL filters, ANDed, or nil.
    static func filters(_ search: ParsedSearch) -> (sql: String, arguments: StatementArguments)? {
        var clauses: [String] = []
        var arguments = StatementArguments()
        if let low = search.yearMin {
            clauses.append("track.year >= ?")
            arguments += [low]
        }
        if let high = search.yearMax {
            clauses.append("track.year <= ?")
            arguments += [high]
        }
        if !search.codecs.isEmpty {
            clauses.append("track.codec IN (\(Array(repeating: "?", count: search.codecs.count).joined(separator: ", ")))")
            arguments += StatementArguments(search.codecs)
        }
        if search.compilationOnly {
            clauses.append("track.compilation = 1")
        }
        if let low = search.bpmMin {
            clauses.append("\(AnalysisSearch.bpm) >= ?")
            arguments += [low]
        }
        if let high = search.bpmMax {
            clauses.append("\(AnalysisSearch.bpm) <= ?")
            arguments += [high]
        }
        if !search.keyRanks.isEmpty {
            clauses.append("\(AnalysisSearch.keyRank) IN (\(Array(repeating: "?", count: search.keyRanks.count).joined(separator: ", ")))")
            arguments += StatementArguments(search.keyRanks)
        }
        for ranks in search.compatibleRanks {
            clauses.append("\(AnalysisSearch.keyRank) IN (\(Array(repeating: "?", count: ranks.count).joined(separator: ", ")))")
            arguments += StatementArguments(ranks)
        }
        if let low = search.energyMin {
            clauses.append("\(AnalysisSearch.energy) >= ?")
            arguments += [low]
        }
        if let high = search.energyMax {
            clauses.append("\(AnalysisSearch.energy) <= ?")
            arguments += [high]
        }
        if search.favoritesOnly {
            // The same set as `Library.favorites` (a tombstoned favorite leaves favoriteItem).
            clauses.append("track.uid IN (SELECT uid FROM favoriteItem)")
        }
        return clauses.isEmpty ? nil : (clauses.joined(separator: " AND "), arguments)
    }

    /// The artist a track is listed under: its album artist, else its artist (a compilation's
    /// tracks stay together under "Various Artists"); nil when both are blank, and such untagged
    /// tracks come last. The same expression as in the index `track_sort_artist_v6` (`SearchSchema`).
    static let sortArtist = "coalesce(nullif(track.albumArtist, ''), nullif(track.artist, ''))"
    /// The album, nil when blank (tracks without an album come after those with one).
    static let sortAlbum = "nullif(track.album, '')"

    /// ORDER BY terms of `sort` (never `.relevance`), each followed by `track.id` so pages are
    /// stable; all in one direction so that the sort's index can be walked either way.
    /// `index` is the index that yields this order (see `SearchSchema`); nil for the orders of
    /// analysed values (BPM, key), which no index of `track` holds: SQLite sorts those.
    static func order(_ sort: SearchSort, descending: Bool) -> (sql: String, index: String?) {
        let dir = descending ? " DESC" : ""
        let (keys, index): ([String], String?) = switch sort {
        case .relevance, .artist:
            (["(\(sortArtist) IS NULL)", "\(sortArtist) COLLATE NOCASE", "(\(sortAlbum) IS NULL)", "track.album COLLATE NOCASE",
              "track.discNumber", "track.trackNumber", "track.titleKey"],
             "track_sort_artist_v6")
        case .title: (["track.titleKey"], "track_titleKey")
        case .album: (["(\(sortAlbum) IS NULL)", "track.album COLLATE NOCASE", "track.discNumber", "track.trackNumber"], "track_sort_album_v6")
        case .year: (["track.year"], "track_year")
        case .added: (["track.addedAt"], "track_addedAt")
        case .duration: (["track.durationMs"], "track_sort_duration")
        // Tracks without a value last either way (no index to walk, so no reason to flip them).
        case .bpm: (["(\(AnalysisSearch.bpm) IS \(descending ? "NOT " : "")NULL)", AnalysisSearch.bpm], nil)
        case .key: (["(\(AnalysisSearch.keyRank) IS \(descending ? "NOT " : "")NULL)", AnalysisSearch.keyRank], nil)
        }
        return ((keys + ["track.id"]).map { $0 + dir }.joined(separator: ", "), index)
    }
}
