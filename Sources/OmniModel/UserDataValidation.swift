import Foundation

/// A user's value that every replica refuses: a wrong type, out of range, too long.
///
/// Raised by the checks shared by the library (local changes, operations from other devices) and
/// the sync server (operations at ingest), which must agree to the letter (decision 0025). The
/// library reports it as `StoreError` `.invalid` with the same message and detail.
public struct InvalidValue: ReasonedError, Equatable {
    public enum Reason: String, ErrorReason {
        /// The value breaks the rule the message names.
        case invalid = "value.invalid"

        public var kind: ErrorKind { .invalid }
    }

    public var reason: Reason { .invalid }
    /// The rule broken, naming the field (`"rating is between 0 and 5"`).
    public var message: String
    /// The value or operation concerned, for the log.
    public var detail: String

    public init(_ message: String, detail: String = "") {
        self.message = message
        self.detail = detail
    }
}

/// Checks of user-supplied values shared by local mutations, remote operations and the sync
/// server. Pure; any thread.
public enum UserDataValidation {
    /// True when `text` has at most `max` Unicode scalars (JSON Schema's "characters", what the
    /// API document's `maxLength` counts) and therefore at most `4 * max` bytes of UTF-8.
    ///
    /// Never `String.count`: that counts grapheme clusters, and one letter followed by two
    /// million combining marks is one grapheme of 4 MB (issue 18). The byte count is checked
    /// first: it is O(1) for native strings, so an oversized text is refused without walking it.
    public static func fits(_ text: some StringProtocol, max: Int) -> Bool {
        text.utf8.count <= 4 * max && text.unicodeScalars.count <= max
    }

    /// The largest play count one device may claim for one track (decision 0017): a play a
    /// minute for almost two years. Larger counts in operations are invalid; larger stored ones
    /// (from before the bound) read as this, so sums over devices never overflow.
    public static let maxPlayCount = 1_000_000

    /// The longest text override (title, artist, album, album artist).
    public static let maxTextLength = 500

    /// A playlist name: at most 200 code points as given, no C0 control character or DEL, at
    /// least one character that is not white space (Unicode's White_Space, U+0085 and U+2028
    /// included); stored trimmed. The same rule as the API document's schema, so a client that
    /// validates against it and the server always agree.
    public static func playlistName(_ name: String) throws(InvalidValue) -> String {
        let scalars = name.unicodeScalars
        guard fits(name, max: 200), !scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
              scalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw InvalidValue("a playlist name is 1 to 200 characters without control characters")
        }
        return name.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The reserved sticker names: MPD clients see the track's rating, favorite mark and play
    /// count under them, so they are never stored as stickers.
    public static let reservedStickerNames: Set<String> = ["rating", "favorite", "playcount"]

    /// The most stickers one track may hold, checked when the user sets one (not on remote
    /// operations: a limit that depends on state would let replicas diverge).
    public static let maxStickersPerTrack = 100

    /// A sticker: a name of 1 to 64 bytes without control characters or `=` (MPD answers
    /// `sticker: NAME=VALUE`, so `=` would make the line ambiguous), not a reserved name; a
    /// value of at most 4,096 bytes without control characters (MPD's protocol is
    /// line-based). Bytes, not characters: the bound is what is stored and sent.
    public static func sticker(name: String, value: String?) throws(InvalidValue) {
        func plain(_ text: String) -> Bool { !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }
        guard (1...64).contains(name.utf8.count), plain(name), !name.contains("=") else {
            throw InvalidValue("a sticker name is 1 to 64 bytes without control characters or \"=\"")
        }
        guard !reservedStickerNames.contains(name) else {
            throw InvalidValue("\"\(name)\" is the track's own \(name), not a sticker")
        }
        if let value, value.utf8.count > 4096 || !plain(value) {
            throw InvalidValue("a sticker value is at most 4,096 bytes without control characters")
        }
    }

    /// A saved search: a name like a playlist's, a query of at most 1,000 characters, a known
    /// sort, a limit of 1 to 10,000, at most 32 filters of at most 200 characters.
    public static func savedSearch(_ d: SavedSearchDefinition) throws(InvalidValue) -> SavedSearchDefinition {
        var out = d
        do {
            out.name = try playlistName(d.name)
        } catch {
            throw InvalidValue("a saved search's name is 1 to 200 characters without control characters")
        }
        guard fits(d.query, max: 1000) else { throw InvalidValue("a saved search's query is at most 1,000 characters") }
        guard SearchSort(rawValue: d.sort) != nil else {
            throw InvalidValue("unknown sort \"\(d.sort)\" (one of \(SearchSort.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let limit = d.limit, !(1...10_000).contains(limit) {
            throw InvalidValue("a saved search's limit is between 1 and 10,000")
        }
        if let filters = d.filters {
            guard filters.count <= 32, filters.allSatisfy({ fits($0.key, max: 200) && fits($0.value, max: 200) }) else {
                throw InvalidValue("a saved search has at most 32 filters of at most 200 characters")
            }
        }
        return out
    }

    /// Checks a value for a track field and returns it normalized (text trimmed, whole numbers
    /// given as `number` turned into `integer`). Genres are not de-duplicated here: that folds
    /// names, which is the library's business (`TrackOverrides.validate`).
    ///
    /// - Throws: `InvalidValue` with a message naming the field and the rule.
    public static func trackValue(_ field: TrackField, _ value: TrackFieldValue) throws(InvalidValue) -> TrackFieldValue {
        func fail(_ rule: String) -> InvalidValue {
            InvalidValue("\(field.rawValue) \(rule)", detail: "value: \(value)")
        }
        func text(allowEmpty: Bool, maxLength: Int = maxTextLength) throws(InvalidValue) -> TrackFieldValue {
            guard case .text(let raw) = value else { throw fail("must be text") }
            let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty, !allowEmpty { throw fail("must not be empty") }
            if !fits(trimmed, max: maxLength) { throw fail("must be at most \(maxLength) characters") }
            if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { throw fail("must not contain control characters") }
            return .text(trimmed)
        }
        func integer(_ range: ClosedRange<Int>) throws(InvalidValue) -> TrackFieldValue {
            let number: Int
            switch value {
            case .integer(let i): number = i
            case .number(let d) where d.isFinite && d.rounded() == d && abs(d) < 1e15: number = Int(d)
            default: throw fail("must be a whole number")
            }
            guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound)") }
            return .integer(number)
        }
        switch field {
        case .title: return try text(allowEmpty: false)
        case .artist, .album, .albumArtist: return try text(allowEmpty: true)
        case .key: return try text(allowEmpty: true, maxLength: 16)
        case .year: return try integer(0...9999)
        case .trackNumber, .discNumber: return try integer(0...9999)
        case .bpm:
            let bpm: Double
            switch value {
            case .integer(let i): bpm = Double(i)
            case .number(let d): bpm = d
            default: throw fail("must be a number")
            }
            guard bpm.isFinite, bpm > 0, bpm <= 1000 else { throw fail("must be between 0 and 1000") }
            return .number(bpm)
        case .genres:
            let list: [String]
            switch value {
            case .list(let l): list = l
            case .text(let t): list = t.isEmpty ? [] : [t]
            default: throw fail("must be a list of text")
            }
            guard list.count <= 32 else { throw fail("must have at most 32 entries") }
            var out: [String] = []
            for raw in list {
                let genre = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if genre.isEmpty { throw fail("must not have empty entries") }
                if !fits(genre, max: 100) { throw fail("entries must be at most 100 characters") }
                if genre.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { throw fail("must not contain control characters") }
                out.append(genre)
            }
            return .list(out)
        }
    }
}

extension UserOperation {
    /// Checks the operation's payload the way every replica does. An invalid remote operation is
    /// skipped (every replica skips it the same way, so they still converge).
    ///
    /// - Throws: `InvalidValue` naming the rule broken.
    public func validate() throws(InvalidValue) {
        let op = self
        func fail(_ message: String) -> InvalidValue { InvalidValue(message, detail: "operation \(op.hlc) \(op.kind.rawValue)") }
        // Album keys hold a title and an album artist (each up to 1,000 characters as tags go),
        // so their targets may be longer than ids and uids.
        let maxTarget = op.kind == .albumFavorite || op.kind == .artistFavorite ? 4096 : 200
        if op.target.isEmpty || op.target.utf8.count > maxTarget { throw fail("an operation needs a target of 1 to \(maxTarget) bytes") }
        if op.device.isEmpty || op.device.utf8.count > 64 { throw fail("an operation needs a device id of 1 to 64 bytes") }
        func checkID(_ id: String) throws(InvalidValue) {
            if id.isEmpty || id.utf8.count > 64 { throw fail("item ids are 1 to 64 bytes") }
        }
        switch op.payload {
        case .trackOverride(let field, let value):
            if let value { _ = try UserDataValidation.trackValue(field, value) }
        case .favoriteAdd(let itemId), .playlistItemRemove(let itemId):
            try checkID(itemId)
        case .favoriteRemove(let itemIds):
            if itemIds.count > 10_000 { throw fail("too many item ids") }
            for id in itemIds { try checkID(id) }
        case .rating(let value):
            if let value, !(0...5).contains(value) { throw fail("a rating is between 0 and 5") }
        case .played(let count, let lastPlayedMs):
            if count < 0 || lastPlayedMs < 0 { throw fail("play counts and times are positive") }
            // Bounded so that the sum over a user's devices can never overflow (decision 0017).
            if count > UserDataValidation.maxPlayCount { throw fail("a play count is at most \(UserDataValidation.maxPlayCount)") }
            if lastPlayedMs > HLCTimestamp.maxWallMs { throw fail("a play time is at most the year 10889") }
        case .playlistCreate(let name), .playlistRename(let name):
            _ = try UserDataValidation.playlistName(name)
        case .playlistDelete, .searchDelete:
            break
        case .playlistItemAdd(let itemId, _, let position), .playlistItemMove(let itemId, let position):
            try checkID(itemId)
            if !PositionKey.isValid(position) { throw fail("not a position key: \(position)") }
        case .searchSave(let definition):
            _ = try UserDataValidation.savedSearch(definition)
        case .sticker(let name, let value):
            try UserDataValidation.sticker(name: name, value: value)
        case .scheduleDelete:
            break
        case .scheduleSave(let definition):
            if let problem = definition.problem() { throw fail(problem) }
        case .scheduleRun(let run):
            if run.plannedMs < 0 || run.plannedMs > HLCTimestamp.maxWallMs || run.handledMs < 0 || run.handledMs > HLCTimestamp.maxWallMs {
                throw fail("a run's times are after 1970")
            }
            if let reason = run.reason, !UserDataValidation.fits(reason, max: 500) { throw fail("a run's reason is at most 500 characters") }
        case .listen(let listen):
            if let problem = listen.problem() { throw fail(problem) }
        case .albumFavorite, .artistFavorite:
            break
        }
    }

    /// True when every replica accepts this operation (`Library.apply(remote:)` skips the others
    /// the same way everywhere). The sync server drops invalid operations at ingest, which
    /// changes no replica's state and keeps compaction exact (decision 0013).
    public var isValidForMerge: Bool {
        do {
            try validate()
            return true
        } catch {
            return false
        }
    }
}
