import OmniModel

/// Why watching a music root (or part of it) does not work.
///
/// Every `WatchError` means the same thing to the caller: the folder concerned is not (or no
/// longer) watched, so it must be reconciled with a stat-only rescan, and watched periodically by
/// rescans where watching is impossible. C return codes are converted here, once.
public struct WatchError: OmniError, Hashable {
    public enum Reason: String, Sendable {
        /// `inotify_init1` failed (`EMFILE`: `fs.inotify.max_user_instances` reached).
        case cannotStart = "watch.cannot_start"
        /// `inotify_add_watch` returned `ENOSPC`: `fs.inotify.max_user_watches` is reached. No
        /// further folder of this root will be watched.
        case watchLimitReached = "watch.limit_reached"
        /// `inotify_add_watch` failed for another reason (permission denied, a file system
        /// without inotify support).
        case watchFailed = "watch.failed"
        /// The music root is missing or not a folder.
        case rootMissing = "watch.root_missing"
        /// A file system mounted inside the root was unmounted: its folder is no longer watched,
        /// and its files are not deleted (like an offline root).
        case unmounted = "watch.unmounted"
        /// `read` or `poll` on the inotify descriptor failed.
        case readFailed = "watch.read_failed"
    }

    public var reason: Reason
    /// The folder concerned (absolute).
    public var path: RawPath
    /// The failing call and errno's text, for the log.
    public var detail: String

    public init(_ reason: Reason, path: RawPath, detail: String = "") {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    public var code: String { reason.rawValue }

    public var description: String {
        switch reason {
        case .cannotStart: "cannot watch folders for changes (too many watchers running)"
        case .watchLimitReached: "too many folders to watch under \(path); raise fs.inotify.max_user_watches (changes are found by periodic rescans meanwhile)"
        case .watchFailed: "cannot watch \(path) for changes (changes are found by periodic rescans)"
        case .rootMissing: "music folder \(path) is missing"
        case .unmounted: "\(path) was unmounted (its tracks are kept; changes are found by rescans)"
        case .readFailed: "lost track of changes under \(path)"
        }
    }

    public var expandedDescription: String { detail.isEmpty ? description : "\(description): \(detail)" }
}
