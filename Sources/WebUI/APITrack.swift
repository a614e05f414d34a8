import Foundation
import LocalStore
import OmniModel

/// A track as the API sends it: `TrackDocument`'s keys plus the user's state.
struct APITrack: Encodable, Sendable {
    var document: TrackDocument
    var albumId: Int64?
    var favorite: Bool
    var rating: Int?
    var playCount: Int
    var lastPlayed: Date?
    var available: Bool

    init(record: TrackRecord) {
        document = TrackDocument(record: record)
        albumId = record.albumId
        favorite = record.favorite
        rating = record.rating
        playCount = record.playCount
        lastPlayed = record.lastPlayed
        available = record.available
    }

    private enum ExtraKeys: String, CodingKey { case format, albumId, favorite, rating, playCount, lastPlayed, available }

    func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
        var container = encoder.container(keyedBy: ExtraKeys.self)
        // For display: what people call the format ("AAC in M4A"); codec and container stay FFmpeg's.
        try container.encode(document.formatName, forKey: .format)
        try container.encodeIfPresent(albumId, forKey: .albumId)
        try container.encode(favorite, forKey: .favorite)
        // Always present: null when unrated / never played.
        try container.encode(rating, forKey: .rating)
        try container.encode(playCount, forKey: .playCount)
        try container.encode(lastPlayed.map(APITrack.timestamp), forKey: .lastPlayed)
        try container.encode(available, forKey: .available)
    }
}

/// `GET /api/search`'s body.
struct SearchResponse: Encodable, Sendable {
    var tracks: [APITrack]
    var total: Int
    var suggestion: String?

    private enum CodingKeys: String, CodingKey { case tracks, total, suggestion }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tracks, forKey: .tracks)
        try container.encode(total, forKey: .total)
        // Always present: `null` when there is nothing to suggest.
        try container.encode(suggestion, forKey: .suggestion)
    }
}

/// A page of a browse listing: `{"items":[...],"total":N}`.
struct PageResponse<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var total: Int
}
