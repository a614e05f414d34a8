/// The stable identity of a recording.
///
/// A `TrackUID` is derived from the audio stream itself (not from the path or the tags), so the
/// same file has the same uid on every device, under any name, and after its tags are edited.
/// Operations (edits, playlist entries, ratings) refer to tracks by uid. The derivation rule is
/// written down in `docs/decisions/0002-track-identity.md`; `MediaIO.AudioIdentity` computes it.
///
/// The raw value is 26 lowercase base32 characters (128 bits), prefixed by nothing, so it is safe in
/// URLs, file names and JSON keys.
public struct TrackUID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an existing uid string. No validation: uids read back from the database or the op log
    /// are taken as they are.
    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: TrackUID, rhs: TrackUID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
