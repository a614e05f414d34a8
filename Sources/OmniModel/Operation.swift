import Foundation

/// One user change, as it is logged, replicated and merged: `(hlc, device, kind, target, payload)`.
///
/// Every user mutation (metadata override, favorite, rating, play, playlist and saved-search
/// change) becomes one or more operations. The same deterministic merge function applies local
/// and remote operations, so applying any set of operations in any order, with duplicates, gives
/// the same state (see `docs/decisions/0007-operations-and-overrides.md`).
///
/// `id` is the timestamp, which includes the device: unique across devices. A plain value.
///
/// Named `UserOperation` rather than `Operation`: Foundation exports `Operation` (NSOperation),
/// and every file that imports both would need to qualify the name.
public struct UserOperation: Sendable, Equatable, Hashable {
    /// When and where it happened (the device is `hlc.device`).
    public var hlc: HLCTimestamp
    /// What it is about: a track uid (`track.*`), a playlist id (`playlist.*`), a saved-search id
    /// (`search.*`), an album's key (`album.*`, `title␟a:album artist`) or an artist's folded name (`artist.*`).
    public var target: String
    /// What it does; its case determines `kind`.
    public var payload: Payload

    public init(hlc: HLCTimestamp, target: String, payload: Payload) {
        self.hlc = hlc
        self.target = target
        self.payload = payload
    }

    /// The unique id of the operation (the timestamp with its device).
    public var id: HLCTimestamp { hlc }
    /// The device that made it.
    public var device: String { hlc.device }
    /// The kind, derived from the payload.
    public var kind: Kind { payload.kind }

    /// The kinds of operation, with their stable wire names.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case trackOverride = "track.override"
        case favoriteAdd = "track.favorite.add"
        case favoriteRemove = "track.favorite.remove"
        case rating = "track.rating"
        case played = "track.played"
        case playlistCreate = "playlist.create"
        case playlistRename = "playlist.rename"
        case playlistDelete = "playlist.delete"
        case playlistItemAdd = "playlist.item.add"
        case playlistItemMove = "playlist.item.move"
        case playlistItemRemove = "playlist.item.remove"
        case searchSave = "search.save"
        case searchDelete = "search.delete"
        case sticker = "track.sticker"
        case scheduleSave = "schedule.save"
        case scheduleDelete = "schedule.delete"
        case scheduleRun = "schedule.run"
        case listen = "play.listen"
        case albumFavorite = "album.favorite"
        case artistFavorite = "artist.favorite"
    }

    /// The data of each kind.
    public enum Payload: Sendable, Equatable, Hashable {
        /// Sets a field of the track (`value` nil: back to the file's value). LWW per (uid, field).
        case trackOverride(field: TrackField, value: TrackFieldValue?)
        /// Marks the track favorite with a new unique item id (observed-remove set).
        case favoriteAdd(itemId: String)
        /// Removes the favorite items this device had seen.
        case favoriteRemove(itemIds: [String])
        /// Rates the track 0...5 (nil: no rating). LWW per uid.
        case rating(Int?)
        /// This device's running play count of the track and the last play (ms since 1970).
        /// Merged by max per device; the play count is the sum over devices.
        case played(count: Int, lastPlayedMs: Int64)
        /// Creates a playlist (the target is its new id) with a name.
        case playlistCreate(name: String)
        /// Renames a playlist. LWW.
        case playlistRename(name: String)
        /// Deletes a playlist (a tombstone: see decision 0007 for later edits).
        case playlistDelete
        /// Adds a track to a playlist as a new item at a fractional position key.
        case playlistItemAdd(itemId: String, uid: TrackUID, position: String)
        /// Moves an item to another position key. LWW per item.
        case playlistItemMove(itemId: String, position: String)
        /// Removes an item (a tombstone: a concurrent move does not bring it back).
        case playlistItemRemove(itemId: String)
        /// Creates or replaces a saved search. LWW per id.
        case searchSave(SavedSearchDefinition)
        /// Deletes a saved search. LWW with `searchSave`.
        case searchDelete
        /// Sets a named sticker of the track (an MPD client's own data: `sticker set`; `value`
        /// nil deletes it). LWW per (uid, name). `rating`, `favorite` and `playcount` are not
        /// stickers of this kind: they are the track's own user data.
        case sticker(name: String, value: String?)
        /// Creates or replaces a schedule (pause, resume and edits too). LWW per id (decision 0028).
        case scheduleSave(ScheduleDefinition)
        /// Deletes a schedule. LWW with `scheduleSave`.
        case scheduleDelete
        /// A run of a schedule, recorded by the device that fired it. One per (schedule, planned
        /// instant, device); a later record of the same run wins.
        case scheduleRun(ScheduleRunRecord)
        /// A completed play in the play history (target: the listen's own new id). Grow-only.
        case listen(PlayListen)
        /// Stars (true) or unstars an album, named by its key (the library's `albumKey`, the same
        /// on every device with the same tags). LWW per album: a flag, not a set (decision 0026).
        case albumFavorite(Bool)
        /// Stars (true) or unstars an artist, named by the folded name (the library's `nameKey`).
        /// LWW per artist.
        case artistFavorite(Bool)

        public var kind: Kind {
            switch self {
            case .trackOverride: .trackOverride
            case .favoriteAdd: .favoriteAdd
            case .favoriteRemove: .favoriteRemove
            case .rating: .rating
            case .played: .played
            case .playlistCreate: .playlistCreate
            case .playlistRename: .playlistRename
            case .playlistDelete: .playlistDelete
            case .playlistItemAdd: .playlistItemAdd
            case .playlistItemMove: .playlistItemMove
            case .playlistItemRemove: .playlistItemRemove
            case .searchSave: .searchSave
            case .searchDelete: .searchDelete
            case .sticker: .sticker
            case .scheduleSave: .scheduleSave
            case .scheduleDelete: .scheduleDelete
            case .scheduleRun: .scheduleRun
            case .listen: .listen
            case .albumFavorite: .albumFavorite
            case .artistFavorite: .artistFavorite
            }
        }
    }
}

// MARK: - Payload JSON

extension UserOperation.Payload {
    /// The JSON wire form of the payload alone (kind travels beside it). Keys sorted: the same
    /// payload always gives the same bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(PayloadWire(self))
    }

    /// Decodes a payload of `kind` from its JSON form.
    ///
    /// - Throws: `DecodingError` when the JSON does not have the kind's shape.
    public init(kind: UserOperation.Kind, json: Data) throws {
        let wire = try JSONDecoder().decode(PayloadWire.self, from: json)
        self = try wire.payload(kind)
    }
}

/// One struct with every payload key optional: the JSON object of any kind.
private struct PayloadWire: Codable {
    var field: TrackField?
    var value: TrackFieldValue?
    var itemId: String?
    var itemIds: [String]?
    var count: Int?
    var lastPlayed: Int64?
    var name: String?
    var uid: TrackUID?
    var position: String?
    // search.save, flat: name (above), query, filters, sort, descending, limit.
    var query: String?
    var filters: [String: String]?
    var sort: String?
    var descending: Bool?
    var limit: Int?
    // schedule.save, schedule.run and play.listen: one nested object each.
    var schedule: ScheduleDefinition?
    var run: ScheduleRunRecord?
    var listen: PlayListen?
    // album.favorite and artist.favorite.
    var favorite: Bool?

    init(_ payload: UserOperation.Payload) {
        switch payload {
        case .trackOverride(let field, let value): self.field = field; self.value = value
        case .favoriteAdd(let itemId): self.itemId = itemId
        case .favoriteRemove(let itemIds): self.itemIds = itemIds
        case .rating(let rating): value = rating.map { .integer($0) }
        case .played(let count, let lastPlayed): self.count = count; self.lastPlayed = lastPlayed
        case .playlistCreate(let name), .playlistRename(let name): self.name = name
        case .playlistDelete, .searchDelete, .scheduleDelete: break
        case .scheduleSave(let definition): schedule = definition
        case .scheduleRun(let record): run = record
        case .listen(let listen): self.listen = listen
        case .albumFavorite(let on), .artistFavorite(let on): favorite = on
        case .playlistItemAdd(let itemId, let uid, let position): self.itemId = itemId; self.uid = uid; self.position = position
        case .playlistItemMove(let itemId, let position): self.itemId = itemId; self.position = position
        case .playlistItemRemove(let itemId): self.itemId = itemId
        case .searchSave(let d):
            name = d.name; query = d.query; filters = d.filters; sort = d.sort; descending = d.descending; limit = d.limit
        case .sticker(let name, let text): self.name = name; value = text.map { .text($0) }
        }
    }

    func payload(_ kind: UserOperation.Kind) throws -> UserOperation.Payload {
        func need<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else {
                throw DecodingError.keyNotFound(AnyKey(key), .init(codingPath: [], debugDescription: "\(kind.rawValue) needs \(key)"))
            }
            return value
        }
        switch kind {
        case .trackOverride: return .trackOverride(field: try need(field, "field"), value: value)
        case .favoriteAdd: return .favoriteAdd(itemId: try need(itemId, "itemId"))
        case .favoriteRemove: return .favoriteRemove(itemIds: try need(itemIds, "itemIds"))
        case .rating:
            switch value {
            case nil: return .rating(nil)
            case .integer(let rating)?: return .rating(rating)
            default: throw DecodingError.typeMismatch(Int.self, .init(codingPath: [], debugDescription: "a rating is a whole number"))
            }
        case .played: return .played(count: try need(count, "count"), lastPlayedMs: try need(lastPlayed, "lastPlayed"))
        case .playlistCreate: return .playlistCreate(name: try need(name, "name"))
        case .playlistRename: return .playlistRename(name: try need(name, "name"))
        case .playlistDelete: return .playlistDelete
        case .playlistItemAdd:
            return .playlistItemAdd(itemId: try need(itemId, "itemId"), uid: try need(uid, "uid"), position: try need(position, "position"))
        case .playlistItemMove: return .playlistItemMove(itemId: try need(itemId, "itemId"), position: try need(position, "position"))
        case .playlistItemRemove: return .playlistItemRemove(itemId: try need(itemId, "itemId"))
        case .searchSave:
            return .searchSave(SavedSearchDefinition(name: try need(name, "name"), query: try need(query, "query"), filters: filters,
                                                     sort: sort ?? "relevance", descending: descending ?? false, limit: limit))
        case .searchDelete: return .searchDelete
        case .sticker:
            switch value {
            case nil: return .sticker(name: try need(name, "name"), value: nil)
            case .text(let text)?: return .sticker(name: try need(name, "name"), value: text)
            default: throw DecodingError.typeMismatch(String.self, .init(codingPath: [], debugDescription: "a sticker's value is text"))
            }
        case .scheduleSave: return .scheduleSave(try need(schedule, "schedule"))
        case .scheduleDelete: return .scheduleDelete
        case .scheduleRun: return .scheduleRun(try need(run, "run"))
        case .listen: return .listen(try need(listen, "listen"))
        case .albumFavorite: return .albumFavorite(try need(favorite, "favorite"))
        case .artistFavorite: return .artistFavorite(try need(favorite, "favorite"))
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension UserOperation: Codable {
    private enum CodingKeys: String, CodingKey { case hlc, kind, target, payload }

    /// `{"hlc": "<encoded timestamp>", "kind": "track.rating", "target": "...", "payload": {...}}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hlc = try container.decode(HLCTimestamp.self, forKey: .hlc)
        target = try container.decode(String.self, forKey: .target)
        let kind = try container.decode(Kind.self, forKey: .kind)
        payload = try container.decode(PayloadWire.self, forKey: .payload).payload(kind)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hlc, forKey: .hlc)
        try container.encode(kind, forKey: .kind)
        try container.encode(target, forKey: .target)
        try container.encode(PayloadWire(payload), forKey: .payload)
    }
}

// MARK: - Track fields

/// The track fields a user may edit (overrides; the file is never rewritten).
public enum TrackField: String, Sendable, Codable, CaseIterable, Hashable {
    case title, artist, album, albumArtist, year, genres, trackNumber, discNumber, bpm, key
}

/// The value of an edited field: text, a whole number, a number, or a list of text.
/// JSON: a string, a number or an array of strings.
public enum TrackFieldValue: Sendable, Equatable, Hashable, Codable {
    case text(String)
    case integer(Int)
    case number(Double)
    case list([String])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .text(s) }
        else { self = .list(try c.decode([String].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let s): try c.encode(s)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .list(let l): try c.encode(l)
        }
    }
}

/// A saved search ("smart playlist"): a named query evaluated live.
public struct SavedSearchDefinition: Sendable, Equatable, Hashable, Codable {
    /// The name shown to the user.
    public var name: String
    /// The query text, in the search language (free words, phrases, `field:value` filters).
    public var query: String
    /// Extra filters as key/value pairs, for clients that keep them apart from the text.
    public var filters: [String: String]?
    /// The order (a `SearchSort` raw value: relevance, title, artist, album, year, added, duration).
    public var sort: String
    /// Reverses the order.
    public var descending: Bool
    /// At most this many tracks (nil: all).
    public var limit: Int?

    public init(name: String, query: String, filters: [String: String]? = nil, sort: String = "relevance",
                descending: Bool = false, limit: Int? = nil) {
        self.name = name
        self.query = query
        self.filters = filters
        self.sort = sort
        self.descending = descending
        self.limit = limit
    }

    private enum CodingKeys: String, CodingKey { case name, query, filters, sort, descending, limit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        query = try c.decode(String.self, forKey: .query)
        filters = try c.decodeIfPresent([String: String].self, forKey: .filters)
        sort = try c.decodeIfPresent(String.self, forKey: .sort) ?? "relevance"
        descending = try c.decodeIfPresent(Bool.self, forKey: .descending) ?? false
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }
}

// MARK: - Conveniences

extension UserOperation {
    /// The item id an operation creates or names (favorite add, playlist item add/move/remove).
    public var itemId: String? {
        switch payload {
        case .favoriteAdd(let id), .playlistItemAdd(let id, _, _), .playlistItemMove(let id, _), .playlistItemRemove(let id): id
        default: nil
        }
    }
}

extension UserOperation.Payload {
    /// The position key of a playlist item add or move.
    public var position: String? {
        switch self {
        case .playlistItemAdd(_, _, let position), .playlistItemMove(_, let position): position
        default: nil
        }
    }
}

// MARK: - Events

extension UserOperation {
    /// The events to announce for operations applied together (a front door's one change, or a
    /// batch merged from other devices): one `tracksChanged` with every uid, once each and in
    /// order (none when no track changed), then every other event once, in order.
    public static func events(for ops: [UserOperation]) -> [LibraryEvent] {
        var uids: [TrackUID] = []
        var seenUIDs = Set<TrackUID>()
        var others: [LibraryEvent] = []
        for op in ops {
            let event = op.event
            if case .tracksChanged(let changed) = event {
                for uid in changed where seenUIDs.insert(uid).inserted { uids.append(uid) }
            } else if !others.contains(event) {
                others.append(event)
            }
        }
        return (uids.isEmpty ? [] : [.tracksChanged(uids: uids)]) + others
    }

    /// The live event a client should see once this operation is applied.
    public var event: LibraryEvent {
        switch payload {
        case .trackOverride, .favoriteAdd, .favoriteRemove, .rating, .played, .sticker:
            .tracksChanged(uids: [TrackUID(rawValue: target)])
        case .playlistDelete: .playlistDeleted(id: target)
        case .playlistCreate, .playlistRename, .playlistItemAdd, .playlistItemMove, .playlistItemRemove:
            .playlistChanged(id: target)
        case .searchSave, .searchDelete: .savedSearchesChanged
        case .scheduleSave, .scheduleDelete, .scheduleRun: .schedulesChanged
        case .listen(let listen): .tracksChanged(uids: listen.uid.map { [$0] } ?? [])
        // No track's data changed: pages showing the album or artist reload their star.
        case .albumFavorite: .favoritesChanged(kind: "album", key: target)
        case .artistFavorite: .favoritesChanged(kind: "artist", key: target)
        }
    }
}
