/// File extensions the indexer treats as audio, and the names of folder artwork files.
public enum AudioFileTypes {
    /// Lowercase extensions (without the dot) of files worth probing.
    public static let audioExtensions: Set<String> = [
        "mp3", "mp2", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "alac",
        "wav", "wave", "aif", "aiff", "aifc", "wv", "ape", "mpc", "wma", "dsf", "dff", "tta", "mka", "webm", "spx",
    ]

    /// Lowercase base names (without extension) of pictures used as album art when a folder's
    /// files embed none, in order of preference.
    public static let folderArtworkNames: [String] = ["cover", "folder", "front", "album", "albumart", "albumartsmall"]

    /// Lowercase extensions of pictures considered as folder artwork.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "gif"]

    /// True when `path`'s extension is an audio extension (case-insensitive).
    public static func isAudio(_ path: RawPath) -> Bool { audioExtensions.contains(path.lowercasedExtension) }

    /// The preference rank of `name` as folder artwork (lower is better), or nil when it is not one.
    public static func folderArtworkRank(_ name: RawPath) -> Int? {
        let ext = name.lowercasedExtension
        guard imageExtensions.contains(ext) else { return nil }
        let full = name.displayString.lowercased()
        let base = String(full.dropLast(ext.count + 1))
        return folderArtworkNames.firstIndex(of: base)
    }
}
