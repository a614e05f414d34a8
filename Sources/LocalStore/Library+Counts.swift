import GRDB

/// How big the library is (`GET /api/status`, `omnisonicd status`).
public struct LibraryCounts: Sendable, Equatable, Codable {
    public var tracks: Int
    /// Albums with at least one track.
    public var albums: Int
    /// Artists credited as artist or album artist on at least one track (composers aside).
    public var artists: Int

    public init(tracks: Int, albums: Int, artists: Int) {
        self.tracks = tracks
        self.albums = albums
        self.artists = artists
    }
}

extension Library {
    /// Counts tracks, albums and artists in one read.
    ///
    /// - Throws: `StoreError` when SQLite fails. Blocking (milliseconds: three index scans);
    ///   safe from any thread.
    public func counts() throws(StoreError) -> LibraryCounts {
        try read("counting the library") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM track),
                       (SELECT count(DISTINCT albumId) FROM track WHERE albumId IS NOT NULL),
                       (SELECT count(DISTINCT artistId) FROM trackArtist WHERE role IN ('artist', 'albumartist'))
                """)
            return LibraryCounts(tracks: row?[0] ?? 0, albums: row?[1] ?? 0, artists: row?[2] ?? 0)
        }
    }
}
