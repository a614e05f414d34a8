import OmniModel

/// What libavformat must not read of a file as it is, and the file it reads instead.
///
/// libavformat parses some metadata without limits (decision 0021): a FLAC metadata block whose
/// length is wrong or huge, an Ogg comment of a million entries, an MP4 tag list of a quarter of a
/// million items held it for minutes. Every reader that hands a file to libavformat — the probe,
/// the decoder the player, the transcoder and the analysis use, the lyrics reader — asks this
/// first, so a file the library accepted cannot stall playback either.
enum LibavRepair {
    /// FLAC metadata shown repaired: `fLaC`, a valid STREAMINFO, then the frames.
    case flac(FLACLayout)
    /// The Ogg chain's links whose comment is over `TagLimits`, their entry counts zeroed.
    case ogg([OggLayout])
    /// An MP4 whose over-long tag lists are hidden as `free` atoms.
    case mp4(MP4Layout)

    /// The repair `file` needs and the input libavformat reads instead, or nil when the file can
    /// be given as it is (nearly every file).
    /// - Parameters:
    ///   - start: where the format's own header starts (after a leading ID3v2 tag).
    ///   - flac: the file's FLAC layout when the caller has read it already (`FLACLayout.read`).
    static func needed(_ file: FileReader, start: Int, flac: FLACLayout?) -> (repair: LibavRepair, input: PatchedInput)? {
        if let flac, flac.needsRepair {
            return flac.repairedInput(file).map { (.flac(flac), $0) }
        }
        if let chain = OggLayout.chain(file, start: start), chain.contains(where: \.needsRepair) {
            return (.ogg(chain), OggLayout.repairedInput(file, chain.filter(\.needsRepair)))
        }
        if start == 0, let mp4 = MP4Layout.read(file), mp4.needsRepair {
            return (.mp4(mp4), mp4.repairedInput(file))
        }
        return nil
    }
}

extension FormatContext {
    /// Opens `path` for a reader other than the probe (decoder, lyrics) with the probe's guards:
    /// a leading ID3v2 tag over `TagLimits` is skipped and metadata libavformat would read without
    /// limits is hidden (`LibavRepair`). A sound file is opened by libavformat itself, as before.
    /// - Throws: `MediaError`, as `init(path:useExtensionHint:skipInitialBytes:input:)`.
    static func guarded(path: RawPath, useExtensionHint: Bool = true) throws(MediaError) -> FormatContext {
        let file = try FileReader(opening: path)
        let id3v2 = ID3v2Parser.read(file, includePictures: false)
        let skip = id3v2.map { $0.isOverLimits ? $0.totalSize : 0 } ?? 0
        let start = id3v2?.totalSize ?? 0
        let repair = LibavRepair.needed(file, start: start, flac: FLACLayout.read(file, start: start))
        return try FormatContext(path: path, useExtensionHint: useExtensionHint, skipInitialBytes: skip, input: repair?.input)
    }
}
