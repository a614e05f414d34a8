import OmniModel

/// Every problem the Watcher module reports, walking or watching a music folder (one error type
/// per module, STYLE).
///
/// - Walk problems (`walk.*`) are reported in `WalkResult.errors` and counted, never fatal: the
///   walk goes on with the rest of the tree.
/// - Watch problems (`watch.*`) all mean the same thing to the caller: the folder concerned is not
///   (or no longer) watched, so it must be reconciled with a stat-only rescan, and rescanned
///   periodically where watching is impossible. C return codes are converted here, once.
/// - `rootMissing` is shared: the music root is missing or not a folder (an unmounted disk); its
///   tracks must be kept.
public struct WatcherError: ReasonedError, Hashable {
    public enum Reason: String, ErrorReason {
        /// The music root itself is missing or not a folder (unmounted disk).
        case rootMissing = "watch.root_missing"

        /// A folder could not be opened (permission denied, `lost+found`, vanished).
        case unreadableFolder = "walk.unreadable_folder"
        /// A symbolic link points nowhere.
        case brokenSymlink = "walk.broken_symlink"
        /// A symbolic link leads back into a folder already being walked.
        case symlinkLoop = "walk.symlink_loop"
        /// A symbolic link leads out of the music folder: not followed (decision 0009).
        case linkOutsideRoot = "walk.link_outside_root"
        /// A file vanished or could not be examined between listing and `stat`.
        case statFailed = "walk.stat_failed"

        /// `inotify_init1` failed (`EMFILE`: `fs.inotify.max_user_instances` reached).
        case cannotStart = "watch.cannot_start"
        /// `inotify_add_watch` returned `ENOSPC`: `fs.inotify.max_user_watches` is reached. No
        /// further folder of this root will be watched.
        case watchLimitReached = "watch.limit_reached"
        /// `inotify_add_watch` failed for another reason (permission denied, a file system
        /// without inotify support).
        case watchFailed = "watch.failed"
        /// A file system mounted inside the root was unmounted: its folder is no longer watched,
        /// and its files are not deleted (like an offline root).
        case unmounted = "watch.unmounted"
        /// `read` or `poll` on the inotify descriptor failed.
        case readFailed = "watch.read_failed"

        public var kind: ErrorKind {
            switch self {
            case .rootMissing, .unreadableFolder, .statFailed, .cannotStart, .watchFailed, .unmounted: .unavailable
            case .brokenSymlink: .notFound
            case .symlinkLoop, .linkOutsideRoot: .invalid
            case .watchLimitReached: .full
            case .readFailed: .internal
            }
        }
    }

    public var reason: Reason
    /// The path concerned (absolute).
    public var path: RawPath
    /// The failing call and errno's text, for the log.
    public var detail: String

    public init(_ reason: Reason, path: RawPath, detail: String = "") {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    /// A message fit for the user, naming the path.
    public var message: String {
        switch reason {
        case .rootMissing: "music folder \(path) is missing"
        case .unreadableFolder: "cannot read folder \(path)"
        case .brokenSymlink: "broken symbolic link \(path)"
        case .symlinkLoop: "symbolic link loop at \(path)"
        case .linkOutsideRoot: "symbolic link \(path) leads out of the music folder (not followed)"
        case .statFailed: "cannot examine \(path)"
        case .cannotStart: "cannot watch folders for changes (too many watchers running)"
        case .watchLimitReached: "too many folders to watch under \(path); raise fs.inotify.max_user_watches (changes are found by periodic rescans meanwhile)"
        case .watchFailed: "cannot watch \(path) for changes (changes are found by periodic rescans)"
        case .unmounted: "\(path) was unmounted (its tracks are kept; changes are found by rescans)"
        case .readFailed: "lost track of changes under \(path)"
        }
    }
}
