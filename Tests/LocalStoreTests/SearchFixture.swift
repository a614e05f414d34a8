import Foundation
import GRDB
@testable import LocalStore

/// A track to insert with plain SQL for search tests (the write path is not used here, so these
/// tests only depend on the schema and its FTS triggers).
struct TrackFixture {
    var title: String
    var artist: String? = nil
    var album: String? = nil
    var albumArtist: String? = nil
    var genres: [String] = []
    var composer: String? = nil
    var disc: Int? = nil
    var track: Int? = nil
    var year: Int? = nil
    var codec = "flac"
    var compilation = false
    var durationMs: Int? = nil
    var addedAt: Double = 1_700_000_000
    var fileName: String? = nil
    var uid: String? = nil
}

extension Library {
    /// Inserts `fixtures` in one transaction and returns their ids, in order.
    @discardableResult
    func insertFixtures(_ fixtures: [TrackFixture]) throws -> [Int64] {
        try writer.write { db in
            var ids: [Int64] = []
            let start = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM track") ?? 0
            for (offset, f) in fixtures.enumerated() {
                let n = start + Int64(offset) + 1
                let artists = f.artist.map { [$0] } ?? []
                let albumArtists = (f.albumArtist ?? f.artist).map { [$0] } ?? []
                let composers = f.composer.map { [$0] } ?? []
                try db.execute(sql: """
                    INSERT INTO track (uid, title, titleKey, artist, artists, album, albumArtist, albumArtists,
                        discNumber, trackNumber, year, genres, genreText, composer, composers, compilation,
                        codec, container, durationMs, fileName, addedAt, updatedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        f.uid ?? String(format: "uid%023d", n), f.title, TextKey.fold(f.title), f.artist, json(artists),
                        f.album, f.albumArtist ?? f.artist, json(albumArtists), f.disc, f.track, f.year,
                        json(f.genres), f.genres.isEmpty ? nil : f.genres.joined(separator: "; "),
                        f.composer, json(composers), f.compilation, f.codec, f.codec, f.durationMs,
                        f.fileName ?? "\(f.title).\(f.codec)", f.addedAt, f.addedAt,
                    ])
                ids.append(db.lastInsertedRowID)
            }
            try db.execute(sql: "INSERT INTO trackFts(trackFts) VALUES('rebuild')")
            return ids
        }
    }

    /// The titles of a search's page, in order.
    func titles(_ text: String, limit: Int = 50, offset: Int = 0, sort: SearchSort = .relevance,
                descending: Bool = false) throws -> [String] {
        try search(SearchQuery(text: text, limit: limit, offset: offset, sort: sort, descending: descending)).tracks.map(\.title)
    }
}

private func json(_ list: [String]) -> String {
    String(decoding: try! JSONEncoder().encode(list), as: UTF8.self)
}
