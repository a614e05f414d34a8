import Glibc
import OmniModel

/// Watches one music root, recursively, with Linux inotify, and reports `WatchChange`s in paths
/// relative to the root.
///
/// Policy (see `docs/decisions/0009-watching.md`):
/// - Every folder under the root is watched, except hidden ones (a leading `.`), like
///   `DirectoryWalker`. Events about hidden names are dropped, so a rename from a hidden name
///   (`.song.mp3.part` → `song.mp3`) is a file moved in.
/// - Links to folders are followed: `inotify_add_watch` watches the target. A folder reached a
///   second time (a loop, a second link, a bind mount) already has a watch descriptor and is not
///   entered again.
/// - A new folder (`IN_CREATE` or `IN_MOVED_TO` of a folder) is watched at once, with everything
///   already inside it, and reported; the caller must scan it, since files may have landed before
///   the watch existed.
/// - A folder renamed inside the root keeps its watches; only the table's names change. A folder
///   renamed out of the root is detached at `IN_MOVED_FROM` and its watches are removed once its
///   `IN_MOVED_TO` has not come within `detachedFolderLifetime`.
/// - A watch that cannot be added (`ENOSPC` when `fs.inotify.max_user_watches` is reached,
///   `EACCES`, ...) is reported as `.watchFailed`: the caller must rescan that folder and fall
///   back to periodic rescans.
///
/// Threads: not thread-safe; confine an instance to ONE dedicated thread (never the cooperative
/// pool), because `nextChanges(timeout:)` blocks in `poll(2)`. The only member usable from other
/// threads is `stopSignal`, which wakes a blocked `nextChanges` so the thread can end.
///
/// Resources: the inotify descriptor is opened in `init` and closed in `deinit`, nowhere else.
public final class InotifyWatcher {
    /// The music root (absolute), as given.
    public let root: RawPath
    /// `root` with its links resolved: a link to a folder is followed only into it (decision 0009).
    private let realRoot: RawPath
    /// Wakes `nextChanges` from any thread; after it fires, `isStopped` is true.
    public let stopSignal: StopSignal
    /// How long a folder renamed away keeps its watches while waiting for its `IN_MOVED_TO`.
    public var detachedFolderLifetime: Duration = .seconds(1)
    /// True once `stopSignal` fired or the root is gone: the owner should stop calling.
    public private(set) var isStopped = false

    private let descriptor: Int32
    private var rootWatch: Int32 = -1
    private var nodes: [Int32: Node] = [:]
    private var detached: [UInt32: (watch: Int32, since: ContinuousClock.Instant)] = [:]
    private var startupChanges: [WatchChange] = []
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var watchLimitReached = false
    private let maximumWatches: Int

    /// What the watcher knows about one watched folder.
    private struct Node {
        /// The containing folder's watch; nil for the root and for a detached folder.
        var parent: Int32?
        /// The folder's name in its parent (empty for the root).
        var name: RawPath
        var children: [RawPath: Int32] = [:]
    }

    static let folderMask: InotifyEvent.Mask = [
        .created, .closeWrite, .movedFrom, .movedTo, .deleted, .deleteSelf, .moveSelf, .onlyDirectory,
        // Events for files still open after being unlinked are of no use to a library.
        .excludeUnlinked,
    ]

    /// Starts watching `root` and every visible folder under it. Blocking (one `opendir` and one
    /// `inotify_add_watch` per folder): call it on the thread that will call `nextChanges`.
    ///
    /// Folders that could not be watched are not an error here: they are reported by the first
    /// `nextChanges` as `.watchFailed`.
    /// - Parameter maximumWatches: a budget of watches for this root (default: no budget but the
    ///   kernel's `max_user_watches`); past it, folders are reported as if the kernel had returned
    ///   `ENOSPC`, so one huge root cannot take every watch of the user.
    /// - Throws: `WatcherError` `.rootMissing` when `root` is not a folder, `.cannotStart` when no
    ///   inotify instance can be made, `.watchLimitReached`/`.watchFailed` when the root itself
    ///   cannot be watched. In every case the caller falls back to periodic rescans.
    /// - Parameter stopSignal: a signal shared with other watchers or waits (one `stop()` ends
    ///   them all); by default the watcher makes its own.
    public init(root: RawPath, maximumWatches: Int = .max, stopSignal shared: StopSignal? = nil) throws(WatcherError) {
        self.root = root
        self.realRoot = root.resolvingLinks ?? root
        self.maximumWatches = maximumWatches
        var st = stat()
        guard root.withCString({ stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw WatcherError(.rootMissing, path: root, detail: "stat: \(String(cString: strerror(errno)))")
        }
        let fd = inotify_init1(Int32(O_NONBLOCK | O_CLOEXEC))
        guard fd >= 0 else {
            throw WatcherError(.cannotStart, path: root, detail: "inotify_init1: \(String(cString: strerror(errno)))")
        }
        let signal: StopSignal
        if let shared {
            signal = shared
        } else {
            do { signal = try StopSignal() } catch {
                close(fd)
                throw error
            }
        }
        descriptor = fd
        stopSignal = signal
        let failures = watchTree(parent: nil, name: RawPath(bytes: []), relative: RawPath(bytes: []))
        guard rootWatch >= 0 else {
            // deinit closes the descriptor.
            if case .watchFailed(let error) = failures.first { throw error }
            throw WatcherError(.watchFailed, path: root, detail: "inotify_add_watch")
        }
        startupChanges = failures
    }

    deinit {
        close(descriptor)
    }

    /// Number of folders watched now (the root included).
    public var watchedFolderCount: Int { nodes.count }

    /// Waits up to `timeout` (forever when nil) for events, then returns every change available,
    /// in kernel order. Returns `[]` on timeout, on `EINTR` and once stopped.
    ///
    /// Blocking: run it on the watcher's dedicated thread.
    /// - Throws: `WatcherError.readFailed` when `poll` or `read` fail (the descriptor is unusable:
    ///   drop the watcher, reconcile, and start again or fall back to periodic rescans).
    public func nextChanges(timeout: Duration?) throws(WatcherError) -> [WatchChange] {
        var out = startupChanges
        startupChanges = []
        if isStopped { return out }
        var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stopSignal.descriptor, events: Int16(POLLIN), revents: 0)]
        let milliseconds: Int32 = out.isEmpty ? timeout.map(Self.milliseconds) ?? -1 : 0
        let ready = poll(&fds, 2, milliseconds)
        if ready < 0 {
            if errno == EINTR { return out }
            throw WatcherError(.readFailed, path: root, detail: "poll: \(String(cString: strerror(errno)))")
        }
        if fds[1].revents != 0 {
            isStopped = true
            return out
        }
        if fds[0].revents != 0 {
            try readAvailable(into: &out)
        }
        expireDetachedFolders(now: .now)
        return out
    }

    // MARK: - Reading

    /// Reads until the queue is empty, but at most 16 buffers (about 30,000 events), so a flood
    /// cannot keep one call from returning; the next `poll` then returns at once.
    private func readAvailable(into out: inout [WatchChange]) throws(WatcherError) {
        for _ in 0..<16 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                if errno == EINTR { continue }
                throw WatcherError(.readFailed, path: root, detail: "read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return }
            // The kernel returns whole records only, so nothing is carried over between reads.
            let parsed = buffer.withUnsafeBytes { InotifyEventParser.parse(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            for event in parsed.events { handle(event, into: &out) }
        }
    }

    /// Applies one event to the folder table and reports what it means. Internal so tests can
    /// feed records a test cannot make the kernel send (`IN_UNMOUNT` needs a real unmount).
    func handle(_ event: InotifyEvent, into out: inout [WatchChange]) {
        if event.isQueueOverflow {
            out.append(.overflow)
            rebuildWatches(into: &out)
            return
        }
        let wd = event.watchDescriptor
        guard nodes[wd] != nil else { return }  // removed already (IN_IGNORED after rm_watch)
        if wd == rootWatch, event.isIgnored || event.isDeleteSelf || event.isMoveSelf || event.isUnmount {
            reportRootGone(into: &out)
            return
        }
        if event.isIgnored {
            forget(wd)
            return
        }
        if event.isUnmount {
            // A disk mounted inside the root went away: never a deletion of its tracks.
            if let path = relativePath(of: wd) {
                out.append(.watchFailed(WatcherError(.unmounted, path: root.appending(path), detail: "IN_UNMOUNT")))
            }
            return
        }
        // The parent reports deletes and moves of a folder, with the name.
        if event.isDeleteSelf || event.isMoveSelf { return }
        guard !event.name.isEmpty, event.name.bytes.first != UInt8(ascii: "."), let folder = relativePath(of: wd) else { return }
        let path = folder.appending(event.name)

        if event.isCreated {
            if event.isDirectory {
                let failures = watchTree(parent: wd, name: event.name, relative: path)
                out.append(.created(path, isDirectory: true))
                out.append(contentsOf: failures)
            } else {
                out.append(.created(path, isDirectory: false))
            }
        } else if event.isCloseWrite {
            if !event.isDirectory { out.append(.closedAfterWrite(path)) }
        } else if event.isMovedFrom {
            if event.isDirectory, let child = nodes[wd]?.children.removeValue(forKey: event.name) {
                nodes[child]?.parent = nil
                detached[event.cookie] = (child, .now)
            }
            out.append(.movedFrom(path, cookie: event.cookie, isDirectory: event.isDirectory))
        } else if event.isMovedTo {
            var failures: [WatchChange] = []
            if event.isDirectory {
                if let moved = detached.removeValue(forKey: event.cookie), nodes[moved.watch] != nil {
                    nodes[moved.watch]?.parent = wd
                    nodes[moved.watch]?.name = event.name
                    nodes[wd]?.children[event.name] = moved.watch
                } else {
                    failures = watchTree(parent: wd, name: event.name, relative: path)
                }
            }
            out.append(.movedTo(path, cookie: event.cookie, isDirectory: event.isDirectory))
            out.append(contentsOf: failures)
        } else if event.isDeleted {
            out.append(.deleted(path, isDirectory: event.isDirectory))
        }
    }

    /// After an overflow the table cannot be trusted (folder creations, renames and `IN_IGNORED`s
    /// were lost): every watch is removed and the tree is watched again from the root. Events
    /// still queued for the old descriptors are then ignored (the kernel allocates descriptors
    /// cyclically, so new ones do not reuse them); the rescan the overflow asks for covers them.
    private func rebuildWatches(into out: inout [WatchChange]) {
        for wd in nodes.keys { inotify_rm_watch(descriptor, wd) }
        nodes = [:]
        detached = [:]
        rootWatch = -1
        watchLimitReached = false
        let failures = watchTree(parent: nil, name: RawPath(bytes: []), relative: RawPath(bytes: []))
        out.append(contentsOf: failures)
        if rootWatch < 0 { reportRootGone(into: &out) }
    }

    private func reportRootGone(into out: inout [WatchChange]) {
        guard !isStopped else { return }
        isStopped = true
        out.append(.rootGone(root))
    }

    // MARK: - The folder table

    /// The path of a watched folder relative to the root, or nil when it is detached (renamed
    /// away) or inside a detached folder.
    private func relativePath(of wd: Int32) -> RawPath? {
        var names: [RawPath] = []
        var current = wd
        while current != rootWatch {
            guard let node = nodes[current], let parent = node.parent else { return nil }
            names.append(node.name)
            current = parent
        }
        return names.reversed().reduce(RawPath(bytes: [])) { $0.appending($1) }
    }

    /// Drops a folder the kernel stopped watching (`IN_IGNORED`: deleted, unmounted, removed).
    private func forget(_ wd: Int32) {
        guard let node = nodes.removeValue(forKey: wd) else { return }
        if let parent = node.parent, nodes[parent]?.children[node.name] == wd {
            nodes[parent]?.children[node.name] = nil
        }
        detached = detached.filter { $0.value.watch != wd }
    }

    /// Removes the watches of folders renamed out of the root whose `IN_MOVED_TO` never came.
    private func expireDetachedFolders(now: ContinuousClock.Instant) {
        for (cookie, entry) in detached where now - entry.since >= detachedFolderLifetime {
            detached[cookie] = nil
            var stack = [entry.watch]
            while let wd = stack.popLast() {
                guard let node = nodes.removeValue(forKey: wd) else { continue }
                stack.append(contentsOf: node.children.values)
                inotify_rm_watch(descriptor, wd)
            }
        }
    }

    /// Watches the folder `relative` (named `name` in `parent`) and every visible folder under it.
    /// Returns the failures as `.watchFailed` changes. After `ENOSPC` no further watch is tried.
    private func watchTree(parent: Int32?, name: RawPath, relative: RawPath) -> [WatchChange] {
        var failures: [WatchChange] = []
        typealias Folder = (parent: Int32?, name: RawPath, relative: RawPath)
        var pending: [Folder] = [(parent, name, relative)]
        // As in `DirectoryWalker`: folders behind links come after every real folder, so a folder
        // reachable both ways is watched (and reported) under its real path, as the library has it.
        var linked: [Folder] = []
        while true {
            guard let folder = pending.popLast() else {
                if linked.isEmpty { break }
                pending = linked.reversed()
                linked = []
                continue
            }
            if watchLimitReached {
                failures.append(.watchFailed(WatcherError(.watchLimitReached, path: root.appending(folder.relative),
                                                        detail: "inotify_add_watch: ENOSPC")))
                return failures
            }
            let absolute = root.appending(folder.relative)
            if nodes.count >= maximumWatches {
                watchLimitReached = true
                failures.append(.watchFailed(WatcherError(.watchLimitReached, path: absolute,
                                                        detail: "budget of \(maximumWatches) watches reached")))
                return failures
            }
            let wd = absolute.withCString { inotify_add_watch(descriptor, $0, Self.folderMask.rawValue) }
            if wd < 0 {
                let code = errno
                switch code {
                case ENOENT, ENOTDIR:
                    continue  // vanished or replaced meanwhile: its parent's events say so
                case ENOSPC:
                    watchLimitReached = true
                    failures.append(.watchFailed(WatcherError(.watchLimitReached, path: absolute, detail: "inotify_add_watch: ENOSPC")))
                    return failures
                default:
                    failures.append(.watchFailed(WatcherError(.watchFailed, path: absolute,
                                                            detail: "inotify_add_watch: \(String(cString: strerror(code)))")))
                    continue
                }
            }
            // The same folder reached again (link loop, second link, bind mount) has a watch
            // already: the kernel returns its descriptor. Do not enter it twice.
            if nodes[wd] != nil { continue }
            nodes[wd] = Node(parent: folder.parent, name: folder.name)
            if let parent = folder.parent {
                nodes[parent]?.children[folder.name] = wd
            } else {
                rootWatch = wd
            }
            for child in subfolders(of: absolute).sorted(by: { $0.name > $1.name }) {
                let entry: Folder = (wd, child.name, folder.relative.appending(child.name))
                if child.isLink { linked.append(entry) } else { pending.append(entry) }
            }
        }
        return failures
    }

    /// Names of the visible folders (and links to folders) directly inside `absolute`.
    private func subfolders(of absolute: RawPath) -> [(name: RawPath, isLink: Bool)] {
        guard let dir = absolute.withCString({ opendir($0) }) else { return [] }
        defer { closedir(dir) }
        var names: [(name: RawPath, isLink: Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                return Array(bytes[..<(bytes.firstIndex(of: 0) ?? bytes.count)])
            }
            if name.first == UInt8(ascii: ".") { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR):
                names.append((RawPath(bytes: name), false))
            case Int32(DT_LNK), Int32(DT_UNKNOWN):
                var st = stat()
                let path = absolute.appending(RawPath(bytes: name))
                guard path.withCString({ stat($0, &st) }) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
                var own = stat()
                let isLink = path.withCString { lstat($0, &own) } == 0 && (own.st_mode & S_IFMT) == S_IFLNK
                // The walker reports such a link (`linkOutsideRoot`); the watcher just stays out.
                if isLink && !path.resolves(within: realRoot) { continue }
                names.append((RawPath(bytes: name), isLink))
            default:
                continue
            }
        }
        return names
    }

    fileprivate static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = CheckedArithmetic.clampedSum(CheckedArithmetic.clampedProduct(seconds, 1000), attoseconds / 1_000_000_000_000_000)
        return Int32(clamping: max(0, total))
    }
}

/// Wakes a thread blocked in `InotifyWatcher.nextChanges` (or in `wait(timeout:)`) so it can
/// end. Safe from any thread. Once stopped it stays stopped: the byte written is never read, so
/// every watcher sharing the signal sees it.
///
/// Owns a pipe (Swift's Glibc module exports neither `eventfd` nor `pipe2`), closed in `deinit`.
public final class StopSignal: Sendable {
    /// The read end, polled by the watcher.
    let descriptor: Int32
    private let writeEnd: Int32

    /// - Throws: `WatcherError.cannotStart` when no pipe can be made (out of descriptors).
    public init() throws(WatcherError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw WatcherError(.cannotStart, path: RawPath(bytes: []), detail: "pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    /// Makes the watcher's current or next `nextChanges` return, and every later one return `[]`.
    public func stop() {
        var one: UInt8 = 1
        _ = write(writeEnd, &one, 1)
    }

    /// True once `stop()` was called.
    public var isStopped: Bool { wait(timeout: .zero) }

    /// Sleeps until `stop()` is called or `timeout` passes (a blocking `poll`: call it from a
    /// dedicated thread). Returns true when stopped.
    @discardableResult
    public func wait(timeout: Duration) -> Bool {
        var fds = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = InotifyWatcher.milliseconds(timeout)
        while true {
            let ready = poll(&fds, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            return ready > 0
        }
    }
}

extension InotifyWatcher {
    /// The watch descriptor of a watched folder (relative path), for tests that feed kernel records.
    func watchDescriptor(of relative: RawPath) -> Int32? {
        var current = rootWatch
        for component in relative.bytes.split(separator: UInt8(ascii: "/")) {
            guard let child = nodes[current]?.children[RawPath(bytes: Array(component))] else { return nil }
            current = child
        }
        return current
    }
}
