import OmniModel
/// What a client asks the library to search for.
///
/// `text` is what the user typed, in the search language parsed by `SearchQueryParser`
/// (free words, `"phrases"`, `field:value` filters); see `docs/decisions/0005-search.md`.
/// An empty `text` (or one with filters only) lists the whole library, like OpenSubsonic's
/// `search3` with an empty query.
public struct SearchQuery: Sendable, Equatable {
    /// What the user typed. Any text is accepted: it never causes an error.
    public var text: String
    /// The page size (clamped to 0...10,000).
    public var limit: Int
    /// How many results to skip (negative is treated as 0).
    public var offset: Int
    /// The order of the results. `.relevance` with no free text falls back to `.artist`.
    public var sort: SearchSort
    /// Reverses `sort` (ignored for `.relevance`).
    public var descending: Bool

    /// A query for `text`; the first page of 50 by relevance unless told otherwise.
    public init(text: String, limit: Int = 50, offset: Int = 0, sort: SearchSort = .relevance, descending: Bool = false) {
        self.text = text
        self.limit = limit
        self.offset = offset
        self.sort = sort
        self.descending = descending
    }
}

/// The orders search results can be listed in: defined in OmniModel, beside the saved search
/// that names one, so that the sync server checks saved searches without the library.
public typealias SearchSort = OmniModel.SearchSort

/// One page of search results.
public struct SearchResults: Sendable {
    /// The tracks of the requested page, in order.
    public var tracks: [TrackRecord]
    /// How many tracks match in all (not only this page).
    public var total: Int
    /// When nothing matched: a corrected query that does find something ("did you mean").
    public var suggestion: String?

    /// Results as given.
    public init(tracks: [TrackRecord], total: Int, suggestion: String? = nil) {
        self.tracks = tracks
        self.total = total
        self.suggestion = suggestion
    }
}
