import Foundation
import GRDB
import OmniModel

/// A playlist in a list of playlists.
public struct PlaylistSummary: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Items in the playlist (a track listed twice counts twice; items whose track is not in
    /// this library count too).
    public var trackCount: Int
    /// The summed duration of the items whose track is in the library.
    public var durationMs: Int
}

/// A playlist with its items in order.
public struct Playlist: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var items: [PlaylistItem]
}

/// One entry of a playlist. The same track may be several items.
public struct PlaylistItem: Sendable, Equatable, Codable {
    /// The item's own id (for moving and removing it).
    public var itemId: String
    public var uid: TrackUID
    /// The track, or nil when this library does not have it (yet, or any more: the item stays).
    public var track: TrackRecord?
}

/// A saved search (smart playlist).
public struct SavedSearch: Sendable, Equatable, Codable {
    public var id: String
    public var definition: SavedSearchDefinition
}

extension Library {
    /// The playlists, by name (case-insensitive), then id.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func playlists() throws(StoreError) -> [PlaylistSummary] {
        try read("listing playlists") { db in
            let visibleItem = "i.playlistId = playlist.id AND i.addStamp IS NOT NULL AND (playlist.deleteStamp IS NULL OR i.addStamp > playlist.deleteStamp)"
            return try Row.fetchAll(db, sql: """
                SELECT playlist.id, coalesce(playlist.name, ''),
                       (SELECT count(*) FROM playlistItem i WHERE \(visibleItem)),
                       (SELECT coalesce(sum(track.durationMs), 0) FROM playlistItem i JOIN track ON track.uid = i.uid WHERE \(visibleItem))
                FROM playlist WHERE \(MutationPlanner.visiblePlaylist)
                ORDER BY coalesce(playlist.name, '') COLLATE NOCASE, playlist.id
                """).map { PlaylistSummary(id: $0[0], name: $0[1], trackCount: $0[2], durationMs: $0[3]) }
        }
    }

    /// A playlist with its items in order (position key, then item id), or nil when there is no
    /// such playlist (or it was deleted).
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func playlist(id: String) throws(StoreError) -> Playlist? {
        try read("reading a playlist") { db in
            guard try MutationPlanner.playlistVisible(db, id) else { return nil }
            let name = try String.fetchOne(db, sql: "SELECT coalesce(name, '') FROM playlist WHERE id = ?", arguments: [id]) ?? ""
            let items = try MutationPlanner.items(db, playlist: id)
            let tracks = try Self.fetchTracks(db, uids: Set(items.map(\.uid)))
            return Playlist(id: id, name: name, items: items.map {
                PlaylistItem(itemId: $0.itemId, uid: TrackUID(rawValue: $0.uid), track: tracks[$0.uid])
            })
        }
    }

    /// The saved searches, by name (case-insensitive), then id.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func savedSearches() throws(StoreError) -> [SavedSearch] {
        try read("listing saved searches") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, name, query, filters, sort, descending, limitCount FROM savedSearch
                WHERE deleted = 0 ORDER BY name COLLATE NOCASE, id
                """).map(Self.savedSearch(row:))
        }
    }

    /// One saved search, or nil.
    ///
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func savedSearch(id: String) throws(StoreError) -> SavedSearch? {
        try read("reading a saved search") { db in
            try Row.fetchOne(db, sql: """
                SELECT id, name, query, filters, sort, descending, limitCount FROM savedSearch WHERE id = ? AND deleted = 0
                """, arguments: [id]).map(Self.savedSearch(row:))
        }
    }

    /// Runs a saved search now: its query text, with its filters appended as `key:value`
    /// terms, in its order; `limit`/`offset` page within the search's own limit.
    ///
    /// - Returns: nil when there is no such saved search.
    /// - Throws: `StoreError` when SQLite fails. Synchronous; any thread.
    public func evaluate(savedSearch id: String, limit: Int = 50, offset: Int = 0,
                         sort: SearchSort? = nil, descending: Bool? = nil) throws(StoreError) -> SearchResults? {
        guard let saved = try savedSearch(id: id) else { return nil }
        let d = saved.definition
        var text = d.query
        for (key, value) in (d.filters ?? [:]).sorted(by: { $0.key < $1.key }) {
            let quoted = value.contains(" ") ? "\"\(value.replacingOccurrences(of: "\"", with: ""))\"" : value
            text += " \(key):\(quoted)"
        }
        let cap = d.limit ?? Int.max
        let offset = max(0, offset)
        let pageLimit = max(0, min(limit, cap - offset))
        var results = try search(SearchQuery(text: text, limit: pageLimit, offset: offset,
                                             sort: sort ?? SearchSort(rawValue: d.sort) ?? .relevance,
                                             descending: descending ?? (sort == nil ? d.descending : false)))
        results.total = min(results.total, cap)
        return results
    }

    private static func savedSearch(row: Row) -> SavedSearch {
        let filters: String? = row[3]
        return SavedSearch(id: row[0], definition: SavedSearchDefinition(
            name: row[1] ?? "", query: row[2] ?? "",
            filters: filters.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) },
            sort: row[4] ?? "relevance", descending: row[5], limit: row[6]))
    }

    /// The records of these uids, by uid.
    static func fetchTracks(_ db: Database, uids: Set<String>) throws -> [String: TrackRecord] {
        guard !uids.isEmpty else { return [:] }
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(TrackRecord.selection()) FROM track WHERE track.uid IN (SELECT value FROM json_each(?))
            """), arguments: [JSONText.array(Array(uids))])
        return Dictionary(rows.map { let r = TrackRecord(row: $0); return (r.uid.rawValue, r) }, uniquingKeysWith: { a, _ in a })
    }
}

/// Playlist position keys live in OmniModel (the sync server checks them too); this name
/// keeps the library's code and tests as they were.
typealias PositionKey = OmniModel.PositionKey
