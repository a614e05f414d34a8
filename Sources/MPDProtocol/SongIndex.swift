import LocalStore
import OmniModel
import Synchronization

/// The library as MPD sees it: every file as a song, by path, and the folder tree above them.
///
/// An immutable snapshot built from one read of the library (`Library.trackFiles()`); the
/// `SongCatalog` rebuilds it after the library changes. Songs are sorted by URI bytes, as MPD's
/// database lists them, so the songs under a folder are one contiguous run.
public final class SongIndex: Sendable {
    /// One folder: its sub-folders (full URIs) and songs (indices into `songs`), both sorted.
    public struct Directory: Sendable {
        public var directories: [String] = []
        public var songs: [Int] = []
        /// The newest modification time of a song under it.
        public var modified: Int64 = 0
    }

    public let songs: [Song]
    let byURI: [String: Int]
    /// The song of each track: its primary file (the one `TrackRecord.path` names).
    let byUID: [TrackUID: Int]
    public let directories: [String: Directory]
    /// Each song's lines with every tag (what `Song.write` makes for a client that left
    /// `tagtypes` alone), made the first time the song is written: listings, searches and the
    /// queue then copy bytes instead of formatting dates, numbers and tags again for every answer.
    private let blocks: Mutex<[[UInt8]?]>
    /// The case- and accent-folded values of each filter subject, per song (`search`), made the
    /// first time a search names that subject: folding (Foundation's, for non-ASCII text) is then
    /// paid once per library state, not once per song and search.
    private let folded = Mutex<[Filter.Subject: [[String]]]>([:])
    /// The unfolded values of each filter subject, per song (`find`, `list`, `count … group`),
    /// made the first time one of them names that subject.
    private let plain = Mutex<[Filter.Subject: [[String]]]>([:])
    /// Each tag's values as integers (`list`), made the first time `list` names the tag.
    private let interned = Mutex<[Tag: Interned]>([:])

    /// One tag's values as small integers: `values` holds the distinct values sorted by bytes
    /// ("" among them, for songs without the tag), `ids[i]` the positions in it of song i's
    /// `matchValues` (`[""]`'s when it has none). Ordering ids orders the values, so `list …
    /// group` sorts and compares rows of integers, not arrays of strings.
    struct Interned: Sendable {
        let values: [String]
        let ids: [[Int32]]
    }

    /// Builds the snapshot.
    ///
    /// - Parameters:
    ///   - files: every file with its track.
    ///   - roots: the library's roots (id → path).
    ///   - configured: the music folders in use, in order; files of other roots are left out.
    ///     With more than one, each is a top-level directory named after its last component.
    public init(files: [TrackFile], roots: [MusicRoot], configured: [RawPath]) {
        var prefix: [Int64: String] = [:]
        for root in roots where configured.contains(root.path) {
            prefix[root.id] = configured.count > 1 ? root.path.lastComponent.displayString + "/" : ""
        }
        var songs: [Song] = []
        songs.reserveCapacity(files.count)
        for file in files {
            guard let p = prefix[file.rootID] else { continue }
            songs.append(Song(uri: p + file.relativePath.displayString, modified: file.mtimeNs / 1_000_000_000, track: file.track))
        }
        songs.sort { $0.uri.utf8.lexicographicallyPrecedes($1.uri.utf8) }
        var byURI: [String: Int] = [:]
        var byUID: [TrackUID: Int] = [:]
        var directories: [String: Directory] = ["": Directory()]
        var known = Set<String>()
        for (i, song) in songs.enumerated() {
            byURI[song.uri] = i
            let primary = song.uri.hasSuffix(song.track.path) && (song.uri.utf8.count == song.track.path.utf8.count || song.uri.utf8.dropLast(song.track.path.utf8.count).last == UInt8(ascii: "/"))
            if byUID[song.track.uid] == nil || primary { byUID[song.track.uid] = i }
            // Register the song in its folder and every folder above it.
            var folder = Self.parent(song.uri)
            directories[folder, default: Directory()].songs.append(i)
            while true {
                let newest = max(directories[folder]?.modified ?? 0, song.modified)
                directories[folder, default: Directory()].modified = newest
                if folder.isEmpty { break }
                let up = Self.parent(folder)
                if known.insert(folder).inserted { directories[up, default: Directory()].directories.append(folder) }
                folder = up
            }
        }
        for key in directories.keys { directories[key]!.directories.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        self.songs = songs
        self.blocks = Mutex([[UInt8]?](repeating: nil, count: songs.count))
        self.byURI = byURI
        self.byUID = byUID
        self.directories = directories
    }

    /// The folder part of a URI ("" at the top).
    static func parent(_ uri: String) -> String {
        guard let slash = uri.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(uri[..<slash])
    }

    /// The song at `uri`.
    public func song(uri: String) -> Song? { byURI[uri].map { songs[$0] } }

    /// The position in `songs` of the song at `uri`.
    func position(uri: String) -> Int? { byURI[uri] }

    /// The position in `songs` of the song that stands for a track.
    func position(uid: TrackUID) -> Int? { byUID[uid] }

    /// Writes the song at position `i` (`Song.write`), from its cached lines when every tag is
    /// enabled.
    func write(_ i: Int, into response: inout Response, tags: Set<Tag>) {
        // `tags` is a subset of all tags: the same count means all of them.
        guard tags.count == Tag.allCases.count else { return songs[i].write(into: &response, tags: tags) }
        if let block = blocks.withLock({ $0[i] }) { return response.append(bytes: block) }
        var own = Response()
        songs[i].write(into: &own, tags: tags)
        blocks.withLock { $0[i] = own.bytes }
        response.append(own)
    }

    /// The folded values (`TextKey.fold`) of `subject` for every song, in `songs` order: the
    /// tag's `matchValues`, every tag's `values` for `any`, the URI for `file`.
    func foldedValues(_ subject: Filter.Subject) -> [[String]] {
        if let done = folded.withLock({ $0[subject] }) { return done }
        let values = songs.map { song in Filter.values(of: song, subject).map(TextKey.fold) }
        folded.withLock { $0[subject] = values }
        return values
    }

    /// `matchValues(tag)` of every song, in `songs` order.
    func matchValues(_ tag: Tag) -> [[String]] { values(.tag(tag)) }

    /// The values (`Filter.values`, unfolded) of `subject` for every song, in `songs` order: what
    /// `find` compares, made once per library state instead of copying every song (a `Song`
    /// holds its whole track record) on every query.
    func values(_ subject: Filter.Subject) -> [[String]] {
        if let done = plain.withLock({ $0[subject] }) { return done }
        let values = songs.map { Filter.values(of: $0, subject) }
        plain.withLock { $0[subject] = values }
        return values
    }

    /// `matchValues(tag)` of every song as `Interned` ids.
    func internedValues(_ tag: Tag) -> Interned {
        if let done = interned.withLock({ $0[tag] }) { return done }
        let perSong = matchValues(tag)
        // Distinct values (String equality, as a Set of rows compared them), first seen kept.
        var first: [String: Int] = ["": 0]
        var distinct: [String] = [""]
        for values in perSong {
            for v in values where first[v] == nil {
                first[v] = distinct.count
                distinct.append(v)
            }
        }
        let order = distinct.indices.sorted { distinct[$0].utf8.lexicographicallyPrecedes(distinct[$1].utf8) }
        var rank = [Int32](repeating: 0, count: distinct.count)
        for (r, d) in order.enumerated() { rank[d] = Int32(r) }
        let ids = perSong.map { values in values.isEmpty ? [rank[0]] : values.map { rank[first[$0]!] } }
        let done = Interned(values: order.map { distinct[$0] }, ids: ids)
        interned.withLock { $0[tag] = done }
        return done
    }

    /// The song that stands for a track (its primary file).
    public func song(uid: TrackUID) -> Song? { byUID[uid].map { songs[$0] } }

    /// The songs of a URI: the song itself, or every song under the folder (all for "").
    ///
    /// - Throws: `MPDError.noExist` when it is neither.
    public func songs(at uri: String) throws(MPDError) -> [Song] {
        try positions(at: uri).map { songs[$0] }
    }

    /// The positions in `songs` of `songs(at:)`'s songs (`add` takes their uids without copying
    /// each song).
    ///
    /// - Throws: `MPDError.noExist` when it is neither a song nor a folder.
    func positions(at uri: String) throws(MPDError) -> [Int] {
        let uri = Self.normalize(uri)
        if let i = byURI[uri] { return [i] }
        guard directories[uri] != nil else { throw MPDError.noExist("No such directory") }
        if uri.isEmpty { return Array(songs.indices) }
        let prefix = uri + "/"
        return songs.indices.filter { songs[$0].uri.hasPrefix(prefix) }
    }

    /// A client's URI without leading or trailing slashes (`/`, `""` and `.` are the top).
    static func normalize(_ uri: String) -> String {
        var u = Substring(uri)
        while u.hasPrefix("/") { u = u.dropFirst() }
        while u.hasSuffix("/") { u = u.dropLast() }
        return u == "." ? "" : String(u)
    }
}

/// Keeps a `SongIndex` of the current library, rebuilt on demand after a change.
///
/// `invalidate()` (any thread; called for every library event) only bumps a generation; the
/// next reader rebuilds, so a scan of thousands of files costs one rebuild, not thousands.
public final class SongCatalog: Sendable {
    private let library: Library
    private let musicRoots: @Sendable () -> [RawPath]
    private let state = Mutex<(generation: Int, built: Int, index: SongIndex?)>((1, 0, nil))

    public init(library: Library, musicRoots: @escaping @Sendable () -> [RawPath]) {
        self.library = library
        self.musicRoots = musicRoots
    }

    /// The library changed: the next `current()` reads it again.
    public func invalidate() { state.withLock { $0.generation += 1 } }

    /// The index of the library as it is now. Blocking (a library read when stale).
    ///
    /// - Throws: `MPDError.system` when the library cannot be read.
    public func current() throws(MPDError) -> SongIndex {
        let (generation, cached) = state.withLock { s -> (Int, SongIndex?) in (s.generation, s.built == s.generation ? s.index : nil) }
        if let cached { return cached }
        let index: SongIndex
        do {
            index = SongIndex(files: try library.trackFiles(), roots: try library.roots(), configured: musicRoots())
        } catch {
            throw MPDError.system(error.description)
        }
        state.withLock { s in
            if s.built < generation || s.index == nil { s.built = generation; s.index = index }
        }
        return index
    }
}
