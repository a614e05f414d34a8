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
    /// Stars (true) or unstars an album, named by its key (`albumKey`). Nothing is recorded
    /// when it already is; an album the library lacks is `notFound`.
    case favoriteAlbum(key: String, Bool)
    /// Stars (true) or unstars an artist, named by the folded name (`nameKey`). Nothing is
    /// recorded when it already is; an artist the library lacks is `notFound`.
    case favoriteArtist(key: String, Bool)
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
