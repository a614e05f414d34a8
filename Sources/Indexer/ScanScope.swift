import OmniModel
import Watcher

/// The folders of one music root that a partial rescan compares with the library.
///
/// Built from a coalesced batch of watched changes (`init(changes:root:)`): a file's change puts
/// its folder in scope (only that folder's own files, so a new `cover.jpg` or a file replaced by
/// a rename is seen like in a full scan); a folder's creation, deletion or move puts the whole
/// folder in scope, both ends of a move included, so the usual device + inode comparison finds
/// the moved files and keeps their identity. Folders are normalised to be disjoint: a folder
/// inside another recursive one is dropped.
public struct ScanScope: Sendable, Equatable {
    /// A folder relative to the root ("" is the root), with or without what is below it.
    public struct Folder: Sendable, Hashable {
        public var path: RawPath
        public var recursive: Bool

        public init(_ path: RawPath, recursive: Bool) {
            self.path = path
            self.recursive = recursive
        }
    }

    /// Disjoint folders, sorted by path.
    public private(set) var folders: [Folder]

    /// The whole root (an overflow, a failed watch of the root, a return from offline).
    public static let wholeRoot = ScanScope(folders: [Folder(RawPath(bytes: []), recursive: true)])

    /// True when the scope is the whole root.
    public var isWholeRoot: Bool { folders == ScanScope.wholeRoot.folders }

    public init(folders: [Folder]) {
        self.folders = Self.normalise(folders)
    }

    /// The scope of a batch from `ChangeCoalescer` for the root at `root` (absolute, used to
    /// place `watchFailed` paths). `.rootGone` adds nothing: the caller marks the root offline.
    public init(changes: [FileChange], root: RawPath) {
        var folders: [Folder] = []
        for change in changes {
            switch change {
            case .fileClosedAfterWrite(let path), .fileMovedIn(let path), .fileDeleted(let path), .fileMovedOut(let path):
                folders.append(Folder(path.deletingLastComponent, recursive: false))
            case .moved(let from, let to, let isDirectory):
                if isDirectory {
                    folders.append(Folder(from, recursive: true))
                    folders.append(Folder(to, recursive: true))
                } else {
                    folders.append(Folder(from.deletingLastComponent, recursive: false))
                    folders.append(Folder(to.deletingLastComponent, recursive: false))
                }
            case .folderCreated(let path), .folderDeleted(let path):
                folders.append(Folder(path, recursive: true))
            case .overflow:
                folders.append(Folder(RawPath(bytes: []), recursive: true))
            case .watchFailed(let error):
                folders.append(Folder(error.path.relative(to: root) ?? RawPath(bytes: []), recursive: true))
            case .rootGone:
                break
            }
        }
        self.init(folders: folders)
    }

    /// Drops duplicates and folders covered by a recursive one; sorts by path.
    static func normalise(_ folders: [Folder]) -> [Folder] {
        let recursive = Set(folders.filter(\.recursive).map(\.path))
        // A recursive folder inside another recursive one is covered by it.
        let topRecursive = recursive.filter { path in !recursive.contains { $0 != path && path.isWithin($0) } }
        var out = Set(topRecursive.map { Folder($0, recursive: true) })
        for folder in folders where !folder.recursive {
            if topRecursive.contains(where: { folder.path.isWithin($0) }) { continue }
            out.insert(folder)
        }
        return out.sorted { $0.path < $1.path }
    }
}

/// What a partial rescan (`Indexer.refresh`) changed.
public struct RefreshOutcome: Sendable, Equatable {
    public var summary: ScanSummary
    /// Tracks added, re-read or moved (paths changed), for `tracksChanged` events.
    public var changed: [TrackUID]
    /// Tracks that left the library, for `tracksRemoved` events.
    public var removed: [TrackUID]

    public init(summary: ScanSummary, changed: [TrackUID], removed: [TrackUID]) {
        self.summary = summary
        self.changed = changed
        self.removed = removed
    }
}
