import Analysis
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
    /// The key as a Camelot code ("8A"), when `key` reads as a key in any notation.
    var camelot: String?
    /// Where `bpm` and `key` come from: "tag" (the file, or the user's edit) or "analysis".
    var bpmSource: String?
    var keySource: String?

    /// `bpm` and `key` are what the library table shows (decision 0036): the tag's value, else
    /// the analysed one (BPM rounded to 0.1, the key in standard notation), plus `camelot`.
    init(record: TrackRecord) {
        document = TrackDocument(record: record)
        albumId = record.albumId
        favorite = record.favorite
        rating = record.rating
        playCount = record.playCount
        lastPlayed = record.lastPlayed
        available = record.available
        if document.bpm != nil {
            bpmSource = "tag"
        } else if let bpm = record.analysedBpm, bpm.isFinite {
            document.bpm = (bpm * 10).rounded() / 10
            bpmSource = "analysis"
        }
        if let tag = document.key, !tag.isEmpty {
            keySource = "tag"
            camelot = MusicalKey(parsing: tag)?.camelot
        } else if let code = record.analysedCamelot, let key = MusicalKey(parsing: code) {
            document.key = key.standardName
            camelot = key.camelot
            keySource = "analysis"
        }
    }

    private enum ExtraKeys: String, CodingKey { case format, albumId, favorite, rating, playCount, lastPlayed, available, camelot, bpmSource, keySource }

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
        // Always present: null when the track has no key / BPM from either source.
        try container.encode(camelot, forKey: .camelot)
        try container.encode(bpmSource, forKey: .bpmSource)
        try container.encode(keySource, forKey: .keySource)
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
