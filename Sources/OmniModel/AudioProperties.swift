/// What the audio stream is: codec and format, independent of tags.
public struct AudioProperties: Sendable, Equatable, Codable {
    /// A short codec name ("mp3", "flac", "vorbis", "opus", "aac", "alac", "pcm_s16le", ...).
    public var codec: String
    /// The container format as libavformat names it ("mp3", "flac", "ogg", "mov,mp4,m4a,...").
    public var container: String
    /// Playable duration in milliseconds (encoder delay and padding excluded where known).
    public var durationMs: Int?
    public var sampleRate: Int?
    public var channels: Int?
    /// Bits per sample of the decoded stream where it is meaningful (lossless codecs).
    public var bitsPerSample: Int?
    /// Average bit rate in bits per second.
    public var bitrate: Int?

    public init(codec: String, container: String, durationMs: Int? = nil, sampleRate: Int? = nil,
                channels: Int? = nil, bitsPerSample: Int? = nil, bitrate: Int? = nil) {
        self.codec = codec
        self.container = container
        self.durationMs = durationMs
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitsPerSample = bitsPerSample
        self.bitrate = bitrate
    }
}

/// An embedded picture (front cover preferred) as raw image bytes.
public struct ArtworkImage: Sendable, Equatable {
    /// "image/jpeg", "image/png", "image/webp", ... (sniffed from the bytes when the tag lies).
    public var mimeType: String
    public var data: [UInt8]
    public init(mimeType: String, data: [UInt8]) {
        self.mimeType = mimeType
        self.data = data
    }
}

/// Everything the tag reader learns from one file in one pass.
public struct ProbeResult: Sendable, Equatable {
    /// The recording's identity, derived from the audio packets (see `TrackUID`).
    public var uid: TrackUID
    public var tags: TrackTags
    public var audio: AudioProperties
    /// The embedded front cover, if any (the largest picture when none is marked front);
    /// nil when the caller did not ask for picture bytes.
    public var artwork: ArtworkImage?
    /// True when the file embeds a picture, whether or not its bytes were asked for.
    public var hasArtwork: Bool
    /// What the reader skipped, cut or repaired in a file it could still read (a damaged frame,
    /// a tag over its limits, a header that lied about the duration); empty for a sound file.
    public var warnings: [ProbeWarning] = []

    public init(uid: TrackUID, tags: TrackTags, audio: AudioProperties, artwork: ArtworkImage?, hasArtwork: Bool? = nil) {
        self.uid = uid
        self.tags = tags
        self.audio = audio
        self.artwork = artwork
        self.hasArtwork = hasArtwork ?? (artwork != nil)
    }
}

/// Something the tag reader left out or repaired in a file it could otherwise read.
///
/// A warning never fails the file: the fields that could be read are kept, and the warning says
/// what was not (shown by `omnisonicd probe`, logged and kept with the file by a scan).
public struct ProbeWarning: Sendable, Equatable, Codable {
    /// Stable codes.
    public enum Code: String, Sendable, Codable {
        /// A tag was bigger than its limits (values, bytes, pictures): what fits was kept.
        case tagTruncated = "media.tag_truncated"
        /// Part of a tag or metadata block was malformed and was skipped.
        case tagDamaged = "media.tag_damaged"
        /// The header's duration disagreed with the stream; the stream's was used.
        case durationFromStream = "media.duration_from_stream"
    }

    public var code: Code
    /// What was skipped, in plain words.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
