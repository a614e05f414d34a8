import OmniModel

/// A music folder known to the library.
public struct MusicRoot: Sendable, Equatable {
    public var id: Int64
    /// The absolute path, as bytes.
    public var path: RawPath
    /// False while the folder is missing (unmounted disk); its tracks are kept.
    public var online: Bool
}

/// A file as the library last saw it: what a scan compares the disk against.
public struct StoredFile: Sendable, Equatable {
    public var id: Int64
    public var rootID: Int64
    public var relativePath: RawPath
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var inode: UInt64
    public var device: UInt64
    /// The track it holds; nil when the last probe failed.
    public var trackID: Int64?

    /// True when `entry` has the same content facts (size, mtime, ctime, inode): no need to probe.
    public func isUnchanged(comparedTo entry: FileEntry) -> Bool {
        size == entry.size && mtimeNs == entry.mtimeNs && ctimeNs == entry.ctimeNs && inode == entry.inode
    }
}

/// The stored state of a folder's `cover.jpg`-style picture.
/// What `Library.finishScan()` removed.
public struct ScanCleanup: Sendable, Equatable {
    /// Tracks no file holds any more (deleted, moved out): gone from the library and search.
    public var removedTracks: [TrackUID]
    /// Hashes of pictures nothing uses: their cache files may be deleted.
    public var unusedArtwork: [String]

    public init(removedTracks: [TrackUID] = [], unusedArtwork: [String] = []) {
        self.removedTracks = removedTracks
        self.unusedArtwork = unusedArtwork
    }
}

public struct StoredFolderArtwork: Sendable, Equatable {
    public var rootID: Int64
    public var folder: RawPath
    public var relativePath: RawPath
    public var size: Int64
    public var mtimeNs: Int64
    /// The stored picture; nil when it could not be read last time.
    public var artwork: StoredArtwork?
}

/// An image already written to the artwork cache, identified by the hex SHA-256 of its bytes.
public struct StoredArtwork: Sendable, Equatable, Hashable {
    public var hash: String
    public var mimeType: String
    public var byteCount: Int
    public init(hash: String, mimeType: String, byteCount: Int) {
        self.hash = hash
        self.mimeType = mimeType
        self.byteCount = byteCount
    }
}

/// One unit of work for `Library.apply(_:)`: everything in it is written in one transaction,
/// so a crash leaves either all of it or none of it.
public struct ScanBatch: Sendable {
    /// A file that was probed (new or changed).
    public struct Probed: Sendable {
        public var rootID: Int64
        public var entry: FileEntry
        public var outcome: Outcome
        /// The track's searchable text as the search index stores it (folded, in
        /// `SearchIndex.columns` order), made by `foldSearchText()` on the thread that probed
        /// the file; nil when not made (the writer then folds through the index's view).
        public internal(set) var foldedSearchText: [String?]?
        public init(rootID: Int64, entry: FileEntry, outcome: Outcome) {
            self.rootID = rootID
            self.entry = entry
            self.outcome = outcome
        }

        /// Folds the searchable text of the probed tags (`SearchFolding.document`), so that the
        /// scan's worker threads do it and not the database writer, the scan's critical path
        /// (the fold was 8 % of the writer's time). Used only when no override changes the
        /// tags; the result is what the index's view (`trackSearchText`) folds from the row.
        public mutating func foldSearchText() {
            guard case .track(let result, _, _) = outcome else { return }
            let values = SearchIndex.values(result.tags, fileName: entry.relativePath.lastComponent.displayString)
            // SQLite stores a text argument up to its first NUL (GRDB binds C strings): such a
            // value is left to the view, which folds what was stored.
            if values.contains(where: { $0?.utf8.contains(0) == true }) { return }
            foldedSearchText = values.map { $0.map(SearchFolding.document) }
        }
    }

    /// What probing one file gave.
    public enum Outcome: Sendable {
        /// Tags and stream read; `artwork` is the embedded picture already stored in the cache,
        /// `folderArtwork` the folder's picture (used when nothing is embedded).
        case track(ProbeResult, artwork: StoredArtwork?, folderArtwork: StoredArtwork?)
        /// The file could not be read; it stays in the library as an error so that it is not
        /// probed again until it changes.
        case failed(code: String, message: String)
    }

    /// A file found at a new path with the same inode, size and mtime: its identity and user
    /// data stay, only the path changes.
    public struct Moved: Sendable {
        public var fileID: Int64
        public var rootID: Int64
        public var entry: FileEntry
        public init(fileID: Int64, rootID: Int64, entry: FileEntry) {
            self.fileID = fileID
            self.rootID = rootID
            self.entry = entry
        }
    }

    /// A folder picture that appeared or changed (`artwork` nil: it vanished or became unreadable).
    public struct FolderPicture: Sendable {
        public var rootID: Int64
        public var folder: RawPath
        public var relativePath: RawPath
        public var size: Int64
        public var mtimeNs: Int64
        public var artwork: StoredArtwork?
        public init(rootID: Int64, folder: RawPath, relativePath: RawPath, size: Int64, mtimeNs: Int64, artwork: StoredArtwork?) {
            self.rootID = rootID
            self.folder = folder
            self.relativePath = relativePath
            self.size = size
            self.mtimeNs = mtimeNs
            self.artwork = artwork
        }
    }

    public var probed: [Probed] = []
    public var moved: [Moved] = []
    /// Ids of files gone from disk.
    public var removed: [Int64] = []
    public var folderPictures: [FolderPicture] = []
    /// Folders whose picture is gone: (root id, folder).
    public var removedFolderPictures: [(rootID: Int64, folder: RawPath)] = []

    public init() {}

    public var isEmpty: Bool {
        probed.isEmpty && moved.isEmpty && removed.isEmpty && folderPictures.isEmpty && removedFolderPictures.isEmpty
    }
}
