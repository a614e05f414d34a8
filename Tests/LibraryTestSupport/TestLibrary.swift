import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import TestSupport

/// A private copy of a make-corpus corpus, a library over it in a temporary folder, its artwork
/// cache and an indexer: "copy a corpus, open a library, scan it", written once for the suites.
///
/// The copy is the test's own (it may move, change or delete files); the folder goes when the
/// fixture does. Suites subclass it to add their own helpers.
open class TestLibrary: @unchecked Sendable {
    /// The temporary folder holding everything below.
    public let dir: TemporaryDirectory
    /// The music folder: `dir/Music`, a copy of `corpus`.
    public let music: String
    /// The corpus that was copied.
    public let corpus: Corpus
    /// The library database, `dir/library.sqlite`.
    public let library: Library
    /// The artwork cache, `dir/artwork`.
    public let artwork: ArtworkCache
    /// An indexer over `library` and `artwork`.
    public let indexer: Indexer

    /// Copies the corpus of `tracks` (in `formats`, from `seed`: see `Corpus.shared`) and opens
    /// an empty library beside it; scans it at once when `scan`.
    ///
    /// - Parameters:
    ///   - label: names the temporary folder (`omnisonic-test-<label>-…`).
    ///   - logger: the indexer's logger (default: the indexer's own).
    public init(_ label: String, tracks: Int, formats: [String] = Corpus.defaultFormats, seed: Int = 1, scan: Bool = false,
                logger: Logger? = nil) throws {
        corpus = try Corpus.shared(tracks: tracks, formats: formats, seed: seed)
        dir = try TemporaryDirectory(label)
        music = dir.appending("Music")
        try corpus.copy(to: music)
        let library = try Library(path: dir.appending("library.sqlite"))
        let artwork = ArtworkCache(directory: dir.appending("artwork"))
        self.library = library
        self.artwork = artwork
        indexer = logger.map { Indexer(library: library, artwork: artwork, logger: $0) }
            ?? Indexer(library: library, artwork: artwork)
        if scan { try self.scan() }
    }

    /// Scans `roots` (default: the music folder) and returns the summary.
    @discardableResult
    public func scan(_ roots: [String]? = nil) throws -> ScanSummary {
        try indexer.scan(roots: (roots ?? [music]).map { RawPath($0) })
    }

    /// `music/relative`.
    public func path(_ relative: String) -> String { (music as NSString).appendingPathComponent(relative) }
}
