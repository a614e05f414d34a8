import OmniModel

/// What `InotifyWatcher` saw, in paths relative to its root, before coalescing.
///
/// The halves of a rename are reported as they come (`movedFrom`/`movedTo` with the kernel's
/// cookie) because pairing them needs a time window, which is `ChangeCoalescer`'s job. The
/// watcher has already updated its own folder table for folder renames.
public enum WatchChange: Sendable, Hashable {
    /// `IN_CREATE`. For a file this only says the name now exists (it may be half written); it is
    /// never a reason to index. For a folder the watcher has already watched it (and everything
    /// in it); the caller must scan it, because files can land before the watch exists.
    case created(RawPath, isDirectory: Bool)
    /// `IN_CLOSE_WRITE`: a file opened for writing was closed; it is complete.
    case closedAfterWrite(RawPath)
    /// `IN_MOVED_FROM`: the name left this folder by `rename`.
    case movedFrom(RawPath, cookie: UInt32, isDirectory: Bool)
    /// `IN_MOVED_TO`: a name arrived by `rename`; a file is complete. A folder is watched
    /// already; when it did not come from inside the root it must be scanned.
    case movedTo(RawPath, cookie: UInt32, isDirectory: Bool)
    /// `IN_DELETE`: the name was unlinked (or the folder removed).
    case deleted(RawPath, isDirectory: Bool)
    /// `IN_Q_OVERFLOW`: events were lost; reconcile the root.
    case overflow
    /// The root itself was deleted, moved away or unmounted (`IN_DELETE_SELF`, `IN_MOVE_SELF`,
    /// `IN_UNMOUNT` on the root). Absolute path. Mark it offline; never delete its tracks.
    case rootGone(RawPath)
    /// A folder could not be watched; reconcile it by rescans.
    case watchFailed(WatcherError)
}

/// A change to act on, after `ChangeCoalescer` merged a burst. Paths are relative to the root.
///
/// Only `fileClosedAfterWrite` and `fileMovedIn` say a file is complete and should be probed.
public enum FileChange: Sendable, Hashable {
    /// A file was written and closed (new, or rewritten in place): probe it.
    case fileClosedAfterWrite(RawPath)
    /// A complete file arrived from outside the root (or from a hidden name): add it.
    case fileMovedIn(RawPath)
    /// A file was deleted: remove it.
    case fileDeleted(RawPath)
    /// A file was renamed to outside the root (its `IN_MOVED_TO` never came): remove it.
    case fileMovedOut(RawPath)
    /// A file or folder was renamed inside the root: update paths (everything under a folder),
    /// keep identities, do not re-probe.
    case moved(from: RawPath, to: RawPath, isDirectory: Bool)
    /// A folder appeared (created or moved in from outside). It is watched; scan it.
    case folderCreated(RawPath)
    /// A folder was deleted or moved out of the root: remove everything under it.
    case folderDeleted(RawPath)
    /// Events were lost: reconcile the whole root with a stat-only rescan.
    case overflow
    /// The root (absolute path) is gone: mark it offline, keep its tracks.
    case rootGone(RawPath)
    /// A folder cannot be watched: reconcile it now and by periodic rescans.
    case watchFailed(WatcherError)
}
