import OmniModel

/// A picture beside audio files that may serve as album art (`cover.jpg`, `folder.jpg`, ...).
public struct FolderArtworkEntry: Sendable, Hashable {
    /// The folder, relative to the music root ("" for the root itself).
    public var folder: RawPath
    /// The picture's path relative to the music root.
    public var relativePath: RawPath
    public var size: Int64
    public var mtimeNs: Int64
    /// Lower is better (see `AudioFileTypes.folderArtworkNames`).
    public var rank: Int

    public init(folder: RawPath, relativePath: RawPath, size: Int64, mtimeNs: Int64, rank: Int) {
        self.folder = folder
        self.relativePath = relativePath
        self.size = size
        self.mtimeNs = mtimeNs
        self.rank = rank
    }
}

/// Everything one walk of one music root found.
public struct WalkResult: Sendable {
    /// Audio files, sorted by path bytes.
    public var files: [FileEntry] = []
    /// The best folder picture of each folder that has one.
    public var folderArtwork: [FolderArtworkEntry] = []
    /// Problems met on the way (unreadable folders, broken links, loops); never fatal.
    public var errors: [WatcherError] = []
    /// Folders that exist but could not be read (relative to the root; empty path = the root):
    /// what the library knew under them must be kept, not taken for deleted.
    public var unreadableFolders: [RawPath] = []
    /// Number of folders read.
    public var folders: Int = 0

    public init() {}
}
