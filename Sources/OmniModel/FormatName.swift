/// What people call an audio file's format: "FLAC", "MP3", "AAC in M4A", "Opus in Ogg" — not
/// FFmpeg's codec and demuxer names ("aac in mov,mp4,m4a,3gp,3g2,mj2").
///
/// A codec in its own container is named alone (FLAC, MP3, WavPack, Monkey's Audio); PCM in
/// WAV or AIFF is the container's name; anything else is "<codec> in <container>", the
/// container named after the file's extension when FFmpeg's demuxer covers several (MP4/M4A,
/// Matroska/WebM). Unknown names are shown upper-cased rather than hidden. Pure; any thread.
public enum FormatName {
    /// - Parameters: `codec` and `container` as FFmpeg names them (`AudioProperties`), `path`
    ///   the file's name or path (for its extension).
    public static func display(codec: String, container: String, path: String) -> String {
        let ext = path.split(separator: ".").count > 1 ? String(path.split(separator: ".").last!).lowercased() : ""
        let codecName = Self.codec(codec)
        let containerName = Self.container(container, ext: ext)
        if codec.hasPrefix("pcm_"), ["WAV", "AIFF", "W64", "CAF"].contains(containerName) { return containerName }
        if codecName == containerName || containerName.isEmpty { return codecName }
        return "\(codecName) in \(containerName)"
    }

    static func codec(_ name: String) -> String {
        switch name.lowercased() {
        case "aac", "aac_latm": return "AAC"
        case "alac": return "ALAC"
        case "flac": return "FLAC"
        case "mp3", "mp3float", "mp3adu": return "MP3"
        case "mp2": return "MP2"
        case "opus": return "Opus"
        case "vorbis": return "Vorbis"
        case "wavpack": return "WavPack"
        case "ape": return "Monkey's Audio"
        case "wmav1", "wmav2", "wmapro", "wmalossless": return "WMA"
        case "ac3": return "AC-3"
        case "eac3": return "E-AC-3"
        case "dts": return "DTS"
        case "tta": return "TTA"
        case "speex": return "Speex"
        case let pcm where pcm.hasPrefix("pcm_"): return "PCM"
        case let dsd where dsd.hasPrefix("dsd_"): return "DSD"
        default: return name.uppercased()
        }
    }

    static func container(_ name: String, ext: String) -> String {
        let demuxers = Set(name.lowercased().split(separator: ",").map(String.init))
        if demuxers.contains("mp4") || demuxers.contains("mov") {
            return ["m4a", "m4b", "m4p", "mov", "3gp"].contains(ext) ? ext.uppercased() : "MP4"
        }
        if demuxers.contains("matroska") || demuxers.contains("webm") { return ext == "webm" ? "WebM" : "Matroska" }
        if demuxers.contains("ogg") { return "Ogg" }
        if demuxers.contains("flac") { return "FLAC" }
        if demuxers.contains("mp3") { return "MP3" }
        if demuxers.contains("wav") { return "WAV" }
        if demuxers.contains("aiff") { return "AIFF" }
        if demuxers.contains("w64") { return "W64" }
        if demuxers.contains("caf") { return "CAF" }
        if demuxers.contains("wv") { return "WavPack" }
        if demuxers.contains("ape") { return "Monkey's Audio" }
        if demuxers.contains("asf") { return "ASF" }
        if demuxers.contains("tta") { return "TTA" }
        return name.isEmpty ? "" : name.uppercased()
    }
}

extension TrackDocument {
    /// The format as people say it (`FormatName`), for display: "AAC in M4A", "FLAC", "Opus in Ogg".
    public var formatName: String { FormatName.display(codec: codec, container: container, path: path) }
}
