import Foundation
import Glibc

/// A test corpus made by `../shared/tools/make-corpus`, and its manifest.
///
/// Generation takes seconds, so a corpus is generated once per (tracks, formats, seed) into a
/// cache folder shared by all tests of a run (guarded by a file lock, since Swift Testing runs
/// tests in parallel) and must be treated as read-only: a test that changes files copies the
/// corpus first with `copy(to:)`.
public struct Corpus: Sendable {
    /// The corpus folder (the music root).
    public let root: String
    /// The decoded manifest.
    public let manifest: Manifest

    /// The manifest's shape (the fields tests use; see make-corpus.md).
    public struct Manifest: Decodable, Sendable {
        public var tracks: [Track]
        public var extra_files: [Extra]
        public var title_from_filename_rule: String
        public var genre_separator: String
    }

    public struct Extra: Decodable, Sendable {
        public var path: String
        public var kind: String
        public var mime: String?
    }

    public struct Track: Decodable, Sendable {
        public var path: String
        public var format: String
        public var codec: String
        public var sample_rate: Int
        public var channels: Int
        public var duration: Double
        public var kind: String
        public var tag_style: String
        public var title_source: String
        public var expected_title: String
        public var tags: Tags
        public var cover: Cover?
        public var album_dir: String?
        public var hidden: Bool?
    }

    public struct Tags: Decodable, Sendable {
        public var title: String?
        public var artist: String?
        public var album: String?
        public var albumartist: String?
        public var track: Int?
        public var tracktotal: Int?
        public var disc: Int?
        public var disctotal: Int?
        public var date: String?
        public var year: Int?
        public var genre: [String]?
        public var compilation: Int?

        private enum CodingKeys: String, CodingKey {
            case title, artist, album, albumartist, track, tracktotal, disc, disctotal, date, year, genre, compilation
        }

        // make-corpus writes `compilation` as a JSON boolean (`true`); older manifests used 1.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            title = try c.decodeIfPresent(String.self, forKey: .title)
            artist = try c.decodeIfPresent(String.self, forKey: .artist)
            album = try c.decodeIfPresent(String.self, forKey: .album)
            albumartist = try c.decodeIfPresent(String.self, forKey: .albumartist)
            track = try c.decodeIfPresent(Int.self, forKey: .track)
            tracktotal = try c.decodeIfPresent(Int.self, forKey: .tracktotal)
            disc = try c.decodeIfPresent(Int.self, forKey: .disc)
            disctotal = try c.decodeIfPresent(Int.self, forKey: .disctotal)
            date = try c.decodeIfPresent(String.self, forKey: .date)
            year = try c.decodeIfPresent(Int.self, forKey: .year)
            genre = try c.decodeIfPresent([String].self, forKey: .genre)
            if let flag = try? c.decodeIfPresent(Bool.self, forKey: .compilation) {
                compilation = flag ? 1 : 0
            } else {
                compilation = try c.decodeIfPresent(Int.self, forKey: .compilation)
            }
        }
    }

    public struct Cover: Decodable, Sendable {
        public var mime: String
        public var width: Int
        public var height: Int
        public var embedding: String
        public var image: String
    }

    /// The repository's root folder (found from this file's path).
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// `../shared/tools/make-corpus`, or `$OMNI_SHARED_DIR/tools/make-corpus`.
    public static var makeCorpusPath: String {
        if let shared = ProcessInfo.processInfo.environment["OMNI_SHARED_DIR"] {
            return "\(shared)/tools/make-corpus"
        }
        return URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/tools/make-corpus").path
    }

    /// The formats a corpus has unless a test asks for others.
    public static let defaultFormats = ["mp3", "flac", "ogg", "opus", "m4a", "wav"]

    /// Returns the cached corpus for these parameters, generating it on first use.
    public static func shared(tracks: Int, formats: [String] = defaultFormats, seed: Int = 1) throws -> Corpus {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/omnisonic-corpus-cache"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        let key = "g1-t\(tracks)-s\(seed)-\(formats.joined(separator: "_"))"
        let root = "\(base)/\(key)"
        let lockFD = open("\(base)/\(key).lock", O_CREAT | O_RDWR, 0o644)
        guard lockFD >= 0 else { throw Shell.Failure(command: "open lock", status: errno, stderr: "") }
        defer { close(lockFD) }
        flock(lockFD, LOCK_EX)
        defer { flock(lockFD, LOCK_UN) }
        let manifestPath = "\(root)/.corpus-manifest.json"
        if !FileManager.default.fileExists(atPath: manifestPath) {
            try? FileManager.default.removeItem(atPath: root)
            try Shell.run("/usr/bin/env", ["python3", makeCorpusPath, root, "--tracks", String(tracks),
                                           "--seed", String(seed), "--formats", formats.joined(separator: ",")])
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        return Corpus(root: root, manifest: manifest)
    }

    /// Copies the whole corpus (manifest included) into `destination`, which must not exist.
    public func copy(to destination: String) throws {
        try Shell.run("/bin/cp", ["-a", root, destination])
    }

    /// The manifest's tracks an indexer should find (hidden files are skipped by policy).
    public var visibleTracks: [Track] { manifest.tracks.filter { $0.hidden != true } }
}
