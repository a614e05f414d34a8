import Foundation
import OmniModel

/// What a user asks to change. `Library.record(_:at:)` turns it into operations (reading the
/// current state: the favorite items seen, the neighbours of a playlist position, this device's
/// play count) and applies them through the same merge function as remote operations.
public enum UserMutation: Sendable, Equatable {
    /// Edits fields of a track (`nil`: reset to the file's value). One operation per field.
    case setOverrides(TrackUID, [TrackField: TrackFieldValue?])
    /// Marks a track favorite (true) or not (false). Nothing is recorded when it already is.
    case favorite(TrackUID, Bool)
    /// Rates a track 0...5, or removes the rating (nil).
    case rate(TrackUID, Int?)
    /// A completed play: this device's count for the track goes up by one, `lastPlayed` is now.
    case played(TrackUID)
    /// Creates a playlist; the operation's `target` is its new id.
    case createPlaylist(name: String)
    /// Renames a playlist.
    case renamePlaylist(id: String, name: String)
    /// Deletes a playlist.
    case deletePlaylist(id: String)
    /// Adds tracks (the same track may appear several times) before the item now at `index`,
    /// or at the end when `index` is nil or past the end. One operation per track, whose
    /// payload holds the new item id.
    case addToPlaylist(id: String, uids: [TrackUID], index: Int?)
    /// Moves an item so that it ends up at `index` (clamped to the list).
    case movePlaylistItem(id: String, itemId: String, index: Int)
    /// Removes an item.
    case removePlaylistItem(id: String, itemId: String)
    /// Creates (id nil: the operation's `target` is the new id) or replaces a saved search.
    case saveSearch(id: String?, SavedSearchDefinition)
    /// Deletes a saved search.
    case deleteSearch(id: String)
    /// Sets (or, with `nil`, deletes) a named sticker of a track: data an MPD client keeps on a
    /// song (`sticker set`). Names and values are checked by `UserDataValidation.sticker`.
    case setSticker(TrackUID, name: String, value: String?)
    /// A completed play through `client` (a `PlayClient` value such as "mpd"): this device's
    /// count goes up by one, as with `played`, and the play history gains a listen (decision 0028).
    /// `played(uid)` is this with the client "api".
    case completedPlay(TrackUID, client: String)
    /// Creates (id nil: the operation's `target` is the new id) or replaces a schedule; pausing,
    /// resuming and editing are saves of the changed definition.
    case saveSchedule(id: String?, ScheduleDefinition)
    /// Deletes a schedule (its runs stay in the history of other devices until they see it).
    case deleteSchedule(id: String)
    /// Records what happened to one occurrence of a schedule (the firing device does this).
    case recordScheduleRun(id: String, ScheduleRunRecord)
    /// Adds listens to the play history (a ListenBrainz import): each one not already there
    /// (same time and title) becomes a `play.listen`; play counts are not changed. A listen
    /// without a uid is matched to a track with the same title and artist when there is one.
    case importListens([PlayListen])

    /// Edits (or, with `nil`, resets) one field of a track.
    public static func setOverride(_ uid: TrackUID, _ field: TrackField, _ value: TrackFieldValue?) -> UserMutation {
        .setOverrides(uid, [field: value])
    }
}

/// Checks of user-supplied values shared by local mutations and remote operations.
enum UserDataValidation {
    /// True when `text` has at most `max` Unicode scalars (JSON Schema's "characters", what the
    /// API document's `maxLength` counts) and therefore at most `4 * max` bytes of UTF-8.
    ///
    /// Never `String.count`: that counts grapheme clusters, and one letter followed by two
    /// million combining marks is one grapheme of 4 MB (issue 18). The byte count is checked
    /// first: it is O(1) for native strings, so an oversized text is refused without walking it.
    static func fits(_ text: some StringProtocol, max: Int) -> Bool {
        text.utf8.count <= 4 * max && text.unicodeScalars.count <= max
    }

    /// The largest play count one device may claim for one track (decision 0017): a play a
    /// minute for almost two years. Larger counts in operations are invalid; larger stored ones
    /// (from before the bound) read as this, so sums over devices never overflow.
    static let maxPlayCount = 1_000_000

    /// A playlist name: at most 200 code points as given, no C0 control character or DEL, at
    /// least one character that is not white space (Unicode's White_Space, U+0085 and U+2028
    /// included); stored trimmed. The same rule as the API document's schema, so a client that
    /// validates against it and the server always agree.
    static func playlistName(_ name: String) throws(StoreError) -> String {
        let scalars = name.unicodeScalars
        guard fits(name, max: 200), !scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
              scalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw StoreError(.invalid, message: "a playlist name is 1 to 200 characters without control characters")
        }
        return name.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The reserved sticker names: MPD clients see the track's rating, favorite mark and play
    /// count under them, so they are never stored as stickers.
    static let reservedStickerNames: Set<String> = ["rating", "favorite", "playcount"]

    /// The most stickers one track may hold, checked when the user sets one (not on remote
    /// operations: a limit that depends on state would let replicas diverge).
    static let maxStickersPerTrack = 100

    /// A sticker: a name of 1 to 64 bytes without control characters or `=` (MPD answers
    /// `sticker: NAME=VALUE`, so `=` would make the line ambiguous), not a reserved name; a
    /// value of at most 4,096 bytes without control characters (MPD's protocol is
    /// line-based). Bytes, not characters: the bound is what is stored and sent.
    static func sticker(name: String, value: String?) throws(StoreError) {
        func plain(_ text: String) -> Bool { !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }
        guard (1...64).contains(name.utf8.count), plain(name), !name.contains("=") else {
            throw StoreError(.invalid, message: "a sticker name is 1 to 64 bytes without control characters or \"=\"")
        }
        guard !reservedStickerNames.contains(name) else {
            throw StoreError(.invalid, message: "\"\(name)\" is the track's own \(name), not a sticker")
        }
        if let value, value.utf8.count > 4096 || !plain(value) {
            throw StoreError(.invalid, message: "a sticker value is at most 4,096 bytes without control characters")
        }
    }

    /// A saved search: a name like a playlist's, a query of at most 1,000 characters, a known
    /// sort, a limit of 1 to 10,000, at most 32 filters of at most 200 characters.
    static func savedSearch(_ d: SavedSearchDefinition) throws(StoreError) -> SavedSearchDefinition {
        var out = d
        do {
            out.name = try playlistName(d.name)
        } catch {
            throw StoreError(.invalid, message: "a saved search's name is 1 to 200 characters without control characters")
        }
        guard fits(d.query, max: 1000) else { throw StoreError(.invalid, message: "a saved search's query is at most 1,000 characters") }
        guard SearchSort(rawValue: d.sort) != nil else {
            throw StoreError(.invalid, message: "unknown sort \"\(d.sort)\" (one of \(SearchSort.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let limit = d.limit, !(1...10_000).contains(limit) {
            throw StoreError(.invalid, message: "a saved search's limit is between 1 and 10,000")
        }
        if let filters = d.filters {
            guard filters.count <= 32, filters.allSatisfy({ fits($0.key, max: 200) && fits($0.value, max: 200) }) else {
                throw StoreError(.invalid, message: "a saved search has at most 32 filters of at most 200 characters")
            }
        }
        return out
    }
}
