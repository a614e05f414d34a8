import GRDB

/// "Did you mean": replaces the words of a fruitless query that the index does not know by the
/// closest words it does know.
///
/// Candidates come from `trackFtsVocab`, pre-filtered in SQL by range scans of the index's term
/// list to the words that start with the token's first two characters, or with its first and
/// third (an inserted or swapped second character), and in Swift to a length within the allowed
/// distance. The distance is Damerau–Levenshtein
/// (optimal string alignment): at most 1 for words of up to 4 characters, at most 2 otherwise.
/// Ties go to the word found in more tracks. A wrong first character, or a wrong or missing
/// second one, is not corrected: that is the price of reading only a sliver of the vocabulary.
enum SearchSuggester {
    /// Returns the corrected query text, or nil when no word could be corrected or the corrected
    /// query still finds nothing (`finds` runs it).
    static func suggest(_ db: Database, for parsed: ParsedSearch,
                        finds: (Database, ParsedSearch) throws -> Bool) throws -> String? {
        var corrected = parsed
        var changed = false
        var parts: [String] = []
        for (index, term) in parsed.terms.enumerated() {
            let tokens = SearchTokenizer.tokens(SearchFolding.query(term.text))
            var newTokens: [String] = []
            var termChanged = false
            for (tokenIndex, token) in tokens.enumerated() {
                let isPrefix = term.prefix && tokenIndex == tokens.count - 1
                if try known(db, token, prefix: isPrefix) {
                    newTokens.append(token)
                } else if let replacement = try closest(db, to: token) {
                    newTokens.append(replacement)
                    termChanged = true
                } else {
                    newTokens.append(token)
                }
            }
            if termChanged {
                changed = true
                let text = newTokens.joined(separator: " ")
                corrected.terms[index].text = text
                // A corrected word is a whole word: no longer a prefix.
                corrected.terms[index].prefix = SearchTokenizer.containsCJK(text)
                let quoted = term.isPhrase || term.field != nil && newTokens.count > 1 ? "\"\(text)\"" : text
                parts.append(term.field.map { "\($0.rawValue):\(quoted)" } ?? quoted)
            } else {
                parts.append(term.source)
            }
        }
        guard changed, try finds(db, corrected) else { return nil }
        // Keep the filters the user typed (year:, codec:, is:) after the words.
        var filters: [String] = []
        if parsed.yearMin != nil || parsed.yearMax != nil {
            switch (parsed.yearMin, parsed.yearMax) {
            case let (low?, high?) where low == high: filters.append("year:\(low)")
            case let (low?, high?) where low > Int(Int32.min) && high < Int(Int32.max): filters.append("year:\(low)..\(high)")
            case let (low?, _) where low > Int(Int32.min): filters.append("year:>=\(low)")
            case let (_, high?): filters.append("year:<=\(high)")
            default: break
            }
        }
        filters += parsed.codecs.map { "codec:\($0)" }
        if parsed.compilationOnly { filters.append("is:compilation") }
        if parsed.favoritesOnly { filters.append("is:favorite") }
        return (parts + filters).joined(separator: " ")
    }

    /// True when the index has `token` (or, for a prefix, a word starting with it).
    static func known(_ db: Database, _ token: String, prefix: Bool) throws -> Bool {
        guard let first = try String.fetchOne(db.cachedStatement(sql: "SELECT term FROM trackFtsVocab WHERE term >= ? LIMIT 1"),
                                              arguments: [token]) else { return false }
        return prefix ? first.hasPrefix(token) : first == token
    }

    /// The closest vocabulary word to `token`, or nil.
    ///
    /// Reads two small slices of the vocabulary: the words that start like the token (its first
    /// two characters) and, for an extra or swapped second character, the words that start with
    /// its first and third characters. Words of one or two characters look at the slice of
    /// their first character. Reading the whole first-character slice instead costs several
    /// milliseconds on a large library (fts5vocab counts the documents of every word it passes).
    static func closest(_ db: Database, to token: String) throws -> String? {
        let scalars = Array(token.unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        guard scalars.count > 2 else { return try closest(db, to: scalars, startingWith: [scalars[0]])?.term }
        var best = try closest(db, to: scalars, startingWith: [scalars[0], scalars[1]])
        if scalars[2] != scalars[1], let other = try closest(db, to: scalars, startingWith: [scalars[0], scalars[2]]) {
            if best == nil || (other.distance, -other.docs, other.term) < (best!.distance, -best!.docs, best!.term) {
                best = other
            }
        }
        return best?.term
    }

    /// The closest word among those starting with `prefix`, with its distance and document count.
    private static func closest(_ db: Database, to scalars: [Unicode.Scalar],
                                startingWith prefix: [Unicode.Scalar]) throws -> (term: String, distance: Int, docs: Int)? {
        let low = String.UnicodeScalarView(prefix)
        var high = String.UnicodeScalarView(prefix.dropLast())
        guard let next = Unicode.Scalar(prefix[prefix.count - 1].value + 1) else { return nil }
        high.append(next)
        let maxDistance = scalars.count <= 4 ? 1 : 2
        var best: (term: String, distance: Int, docs: Int)?
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: "SELECT term, doc FROM trackFtsVocab WHERE term >= ? AND term < ?"),
                                         arguments: [String(low), String(high)])
        while let row = try cursor.next() {
            let term: String = row[0]
            let candidate = Array(term.unicodeScalars)
            guard abs(candidate.count - scalars.count) <= maxDistance else { continue }
            guard let distance = damerauLevenshtein(scalars, candidate, max: maxDistance), distance > 0 else { continue }
            let docs: Int = row[1]
            if let current = best, (current.distance, -current.docs, current.term) <= (distance, -docs, term) { continue }
            best = (term, distance, docs)
        }
        return best
    }

    /// The optimal-string-alignment distance between `a` and `b`, or nil when it exceeds `max`.
    static func damerauLevenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], max: Int) -> Int? {
        if abs(a.count - b.count) > max { return nil }
        if a.isEmpty || b.isEmpty { return Swift.max(a.count, b.count) }
        let width = b.count + 1
        var previous2 = [Int](repeating: 0, count: width)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = Swift.min(value, previous2[j - 2] + 1)
                }
                current[j] = value
                rowMin = Swift.min(rowMin, value)
            }
            if rowMin > max { return nil }
            (previous2, previous, current) = (previous, current, previous2)
        }
        let distance = previous[b.count]
        return distance <= max ? distance : nil
    }
}
