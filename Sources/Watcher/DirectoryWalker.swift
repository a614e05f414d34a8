import Glibc
import OmniModel

/// Walks a music root with plain POSIX calls and reports every audio file with its `stat` facts.
///
/// Policy (see `docs/decisions/0006-walking.md`):
/// - Names starting with `.` (hidden files and folders) are skipped.
/// - Only files whose extension is in `AudioFileTypes.audioExtensions` are reported; pictures
///   named like folder artwork are reported separately.
/// - Symbolic links are followed when they lead to a place inside the root (links resolved);
///   a link leading out of it is reported as `linkOutsideRoot` and not followed (decision 0009,
///   "One symlink rule": what is walked is what the API may serve). Each folder is walked at most
///   once: a folder reached again (through a link to an ancestor, a loop, or a second link) is
///   reported as `symlinkLoop` and not re-entered. Folders behind links are walked after all
///   real folders, so the path under which a linked folder's files are recorded does not depend
///   on `readdir` order.
/// - An unreadable folder (`lost+found`, permission denied), a broken link or a file that
///   vanishes between `readdir` and `stat` becomes a `WatcherError` and the walk goes on.
/// - Names are bytes: nothing is decoded, so non-UTF-8 names are kept exactly.
///
/// Blocking (many system calls): run it on a dedicated thread. It holds no state between calls
/// and is safe to use from several threads at once.
public struct DirectoryWalker: Sendable {
    public init() {}

    /// Walks `root` (an absolute path).
    ///
    /// - Throws: `WatcherError.rootMissing` when `root` does not exist or is not a folder; the
    ///   caller must then keep the root's tracks (an unmounted disk is not a deletion).
    public func walk(root: RawPath) throws(WatcherError) -> WalkResult {
        try walk(root: root, folder: RawPath(bytes: []), recursive: true)
    }

    /// Walks one folder of `root` (`folder` relative to it; empty for the root itself), with its
    /// subfolders when `recursive`, or only the files directly in it. Paths in the result stay
    /// relative to `root`. Used by the watcher's partial rescans.
    ///
    /// A `folder` that does not exist (deleted, renamed away) gives an empty result: everything
    /// that was under it is gone. A `folder` that exists but cannot be read is reported in
    /// `errors` as `unreadableFolder` (and the caller keeps what it knew under it).
    /// - Throws: `WatcherError.rootMissing` when `root` itself does not exist or is not a folder.
    public func walk(root: RawPath, folder: RawPath, recursive: Bool) throws(WatcherError) -> WalkResult {
        var rootStat = stat()
        let rc = root.withCString { stat($0, &rootStat) }
        guard rc == 0, (rootStat.st_mode & S_IFMT) == S_IFDIR else {
            throw WatcherError(.rootMissing, path: root, detail: rc == 0 ? "not a folder" : String(cString: strerror(errno)))
        }
        // An empty folder where a disk should be mounted looks like "every file deleted".
        // The caller decides; we only report what is there.
        var result = WalkResult()
        var startStat = rootStat
        if !folder.bytes.isEmpty {
            if root.appending(folder).withCString({ stat($0, &startStat) }) != 0 {
                if errno != ENOENT && errno != ENOTDIR {
                    result.errors.append(WatcherError(.unreadableFolder, path: root.appending(folder),
                                                   detail: String(cString: strerror(errno))))
                    result.unreadableFolders.append(folder)
                }
                return result
            }
            guard (startStat.st_mode & S_IFMT) == S_IFDIR else { return result }
        }
        let realRoot = root.resolvingLinks ?? root
        var visited = Set<DirectoryIdentity>([DirectoryIdentity(startStat)])
        var pending: [RawPath] = [folder]
        var linkedFolders: [RawPath] = []

        while true {
            guard let relativeFolder = pending.popLast() else {
                if linkedFolders.isEmpty { break }
                // Real folders are done; now the folders reached through links, in name order.
                // They are checked against `visited` only now, so a real folder always wins.
                for linked in linkedFolders.sorted(by: >) {
                    var st = stat()
                    guard root.appending(linked).withCString({ stat($0, &st) }) == 0 else { continue }
                    if visited.insert(DirectoryIdentity(st)).inserted {
                        pending.append(linked)
                    } else {
                        result.errors.append(WatcherError(.symlinkLoop, path: root.appending(linked), detail: "leads to a folder already walked"))
                    }
                }
                linkedFolders = []
                continue
            }
            walkFolder(root: root, realRoot: realRoot, relativeFolder: relativeFolder, visited: &visited,
                       pending: &pending, linkedFolders: &linkedFolders, result: &result)
            if !recursive {
                pending = []
                linkedFolders = []
            }
        }
        result.files.sort { $0.relativePath < $1.relativePath }
        result.folderArtwork.sort { $0.folder < $1.folder }
        return result
    }

    private func walkFolder(root: RawPath, realRoot: RawPath, relativeFolder: RawPath, visited: inout Set<DirectoryIdentity>,
                            pending: inout [RawPath], linkedFolders: inout [RawPath], result: inout WalkResult) {
        let absolute = root.appending(relativeFolder)
        guard let dir = absolute.withCString({ opendir($0) }) else {
            result.errors.append(WatcherError(.unreadableFolder, path: absolute, detail: String(cString: strerror(errno))))
            result.unreadableFolders.append(relativeFolder)
            return
        }
        defer { closedir(dir) }
        result.folders += 1
        let fd = dirfd(dir)
        var subfolders: [RawPath] = []
        var bestArtwork: FolderArtworkEntry?

        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                let length = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[..<length])
            }
            // Skips ".", ".." and every hidden name.
            if name.first == UInt8(ascii: ".") { continue }
            let relative = relativeFolder.appending(RawPath(bytes: name))
            var kind: mode_t
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): kind = S_IFDIR
            case Int32(DT_REG): kind = S_IFREG
            case Int32(DT_LNK): kind = S_IFLNK
            case Int32(DT_UNKNOWN):
                // Some file systems do not fill d_type: ask lstat.
                var st = stat()
                guard statAt(fd, name, follow: false, &st) else { continue }
                kind = st.st_mode & S_IFMT
            default: continue  // sockets, pipes, devices
            }
            var viaLink = false
            if kind == S_IFLNK {
                var st = stat()
                guard statAt(fd, name, follow: true, &st) else {
                    result.errors.append(WatcherError(.brokenSymlink, path: root.appending(relative), detail: String(cString: strerror(errno))))
                    continue
                }
                kind = st.st_mode & S_IFMT
                viaLink = true
                guard root.appending(relative).resolves(within: realRoot) else {
                    result.errors.append(WatcherError(.linkOutsideRoot, path: root.appending(relative), detail: """
                        leads to \(root.appending(relative).resolvingLinks?.displayString ?? "?"), outside the music folder \
                        \(realRoot); add that folder to `music` to index it
                        """))
                    continue
                }
            }
            if kind == S_IFDIR {
                if viaLink { linkedFolders.append(relative) } else { subfolders.append(relative) }
                continue
            }
            guard kind == S_IFREG else { continue }
            let named = RawPath(bytes: name)
            let isAudio = AudioFileTypes.isAudio(named)
            let artRank = isAudio ? nil : AudioFileTypes.folderArtworkRank(named)
            guard isAudio || artRank != nil else { continue }
            var st = stat()
            guard statAt(fd, name, follow: true, &st) else {
                // Vanished between readdir and stat: it is simply not there any more.
                result.errors.append(WatcherError(.statFailed, path: root.appending(relative), detail: String(cString: strerror(errno))))
                continue
            }
            record(relative, st, isAudio: isAudio, artRank: artRank, folder: relativeFolder, best: &bestArtwork, result: &result)
        }
        if let bestArtwork { result.folderArtwork.append(bestArtwork) }

        // Depth-first, in name order (the stack pops the smallest name first).
        for folder in subfolders.sorted(by: >) {
            var st = stat()
            if root.appending(folder).withCString({ stat($0, &st) }) == 0 {
                // A bind mount can bring a folder back: identity, not name, decides.
                guard visited.insert(DirectoryIdentity(st)).inserted else {
                    result.errors.append(WatcherError(.symlinkLoop, path: root.appending(folder), detail: "folder already walked"))
                    continue
                }
            }
            pending.append(folder)
        }
    }

    private func record(_ relative: RawPath, _ st: stat, isAudio: Bool, artRank: Int?, folder: RawPath,
                        best: inout FolderArtworkEntry?, result: inout WalkResult) {
        guard (st.st_mode & S_IFMT) == S_IFREG else { return }
        // Clamped, not trapping: a file dated after 2262 (`touch -d 2286-01-01`) is still a file.
        let mtime = CheckedArithmetic.nanoseconds(seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec)
        if isAudio {
            let ctime = CheckedArithmetic.nanoseconds(seconds: st.st_ctim.tv_sec, nanoseconds: st.st_ctim.tv_nsec)
            result.files.append(FileEntry(relativePath: relative, size: Int64(st.st_size), mtimeNs: mtime, ctimeNs: ctime,
                                          inode: UInt64(st.st_ino), device: UInt64(st.st_dev)))
        } else if let artRank, best == nil || artRank < best!.rank {
            best = FolderArtworkEntry(folder: folder, relativePath: relative, size: Int64(st.st_size), mtimeNs: mtime, rank: artRank)
        }
    }

    private func statAt(_ fd: Int32, _ name: [UInt8], follow: Bool, _ st: inout stat) -> Bool {
        var terminated = name
        terminated.append(0)
        return terminated.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                fstatat(fd, $0.baseAddress!, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0
            }
        }
    }
}

/// A folder's identity on disk, to walk each folder once however many links lead to it.
struct DirectoryIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
