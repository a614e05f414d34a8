/// The orders search results can be listed in.
public enum SearchSort: String, Sendable, Equatable, CaseIterable, Codable {
    /// Best match first (bm25, exact title first); see `docs/decisions/0005-search.md` for very broad queries.
    case relevance
    /// By folded title.
    case title
    /// By artist, then album, disc, track number and title (the default listing).
    case artist
    /// By album, then disc and track number.
    case album
    /// By release year.
    case year
    /// By the time the track was added to the library.
    case added
    /// By duration.
    case duration
    /// By BPM: the tag's, else the analysed one (decision 0031); tracks without either last.
    case bpm
    /// By key around the Camelot wheel (1A, 1B, 2A, …): the tag's when it reads as a key, else
    /// the analysed one; tracks without either last.
    case key
}
