import Foundation
import Glibc
import OmniModel

/// Moves files to the FreeDesktop.org trash, so a deleted track can be restored from any file
/// manager (https://specifications.freedesktop.org/trash-spec/latest/).
///
/// - A file on the same device as the home trash (`$XDG_DATA_HOME/Trash`) goes there, with
///   `info/<name>.trashinfo` holding its absolute `Path` (URL-escaped) and `DeletionDate`.
/// - A file on another device goes to the trash of its mount point: `$topdir/.Trash/$uid` when
///   an administrator made `$topdir/.Trash` (a real folder with the sticky bit), else
///   `$topdir/.Trash-$uid`; `Path` is then relative to `$topdir`, as the spec says. When neither
///   can be used, it fails rather than copy the file across devices.
/// - The `.trashinfo` file is created first with `O_EXCL`: that reserves the name atomically,
///   so two deletions of files with the same name never overwrite each other (`name`, `name.2`,
///   `name.3.ext`...). The file is then renamed into `files/` (never copied).
///
/// Blocking (system calls); safe from several threads at once.
public struct Trash: Sendable {
    /// The home trash folder.
    public let home: String
    private let uid: uid_t

    /// - Parameter home: the home trash (see `homeTrash(environment:)`).
    public init(home: String, uid: uid_t = getuid()) {
        self.home = home
        self.uid = uid
    }

    /// `$XDG_DATA_HOME/Trash`, else `~/.local/share/Trash`.
    public static func homeTrash(environment: [String: String]) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/Trash" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/Trash"
    }

    /// Where a file went.
    public struct Item: Sendable, Equatable {
        /// The trash folder used (holding `files/` and `info/`).
        public var trash: String
        /// The file's path inside `files/`.
        public var file: RawPath
        /// Its `.trashinfo`.
        public var info: RawPath
    }

    /// Moves `path` (absolute) to the trash.
    ///
    /// - Throws: `IndexError.trash` when the file does not exist, no trash on its device can be
    ///   used, or the move fails; the file is then where it was.
    public func trash(_ path: RawPath, now: Date = Date()) throws(IndexError) -> Item {
        var st = stat()
        guard path.bytes.first == UInt8(ascii: "/"), path.withCString({ lstat($0, &st) }) == 0 else {
            throw IndexError(.trash, message: "cannot move \(path) to the trash: it does not exist", errno: errno)
        }
        let (trash, infoPath) = try trashFolder(for: path, device: st.st_dev)
        if trash == home {
            // $XDG_DATA_HOME itself may not exist yet on a new account.
            try? FileManager.default.createDirectory(atPath: (home as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
        }
        for folder in [trash, trash + "/files", trash + "/info"] {
            if mkdir(folder, 0o700) != 0 && errno != EEXIST {
                throw IndexError(.trash, message: "cannot create the trash folder \(folder)", errno: errno)
            }
        }

        let name = path.lastComponent
        let date = Self.deletionDate(now)
        for attempt in 1...10_000 {
            let candidate = Self.numbered(name, attempt)
            let infoBytes = RawPath(trash + "/info/").appending(candidate).bytes + Array(".trashinfo".utf8)
            let fd = RawPath(bytes: infoBytes).withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            if fd < 0 {
                if errno == EEXIST { continue }
                throw IndexError(.trash, message: "cannot write to the trash \(trash)", errno: errno)
            }
            let text = "[Trash Info]\nPath=\(Self.escape(infoPath))\nDeletionDate=\(date)\n"
            let ok = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) == $0.count }
            close(fd)
            let destination = RawPath(trash + "/files").appending(candidate)
            var existing = stat()
            // A file in files/ without its info (left by another program) also takes the name.
            if !ok || destination.withCString({ lstat($0, &existing) }) == 0 {
                _ = RawPath(bytes: infoBytes).withCString { unlink($0) }
                if !ok { throw IndexError(.trash, message: "cannot write to the trash \(trash)", errno: errno) }
                continue
            }
            let moved = path.withCString { from in destination.withCString { to in rename(from, to) } }
            guard moved == 0 else {
                let code = errno
                _ = RawPath(bytes: infoBytes).withCString { unlink($0) }
                throw IndexError(.trash, message: "cannot move \(path) to the trash \(trash)", errno: code)
            }
            return Item(trash: trash, file: destination, info: RawPath(bytes: infoBytes))
        }
        throw IndexError(.trash, message: "too many files named \(name) in the trash \(trash)")
    }

    /// The trash for a file on `device`, and the `Path` to record for it.
    private func trashFolder(for path: RawPath, device: dev_t) throws(IndexError) -> (String, RawPath) {
        // The home trash may not exist yet: its device is that of the nearest existing parent.
        if Self.device(ofNearest: home) == device { return (home, path) }
        let top = Self.mountPoint(of: path, device: device)
        let topPath = top.displayString
        let relative = RawPath(bytes: Array(path.bytes.dropFirst(top.bytes.count == 1 ? 1 : top.bytes.count + 1)))
        // 1. An administrator-made $topdir/.Trash: a real folder with the sticky bit.
        var st = stat()
        let shared = topPath == "/" ? "/.Trash" : topPath + "/.Trash"
        if lstat(shared, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, (st.st_mode & S_ISVTX) != 0 {
            let mine = "\(shared)/\(uid)"
            if mkdir(mine, 0o700) == 0 || errno == EEXIST, lstat(mine, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == uid {
                return (mine, relative)
            }
        }
        // 2. $topdir/.Trash-$uid, created if needed; it must be ours and a real folder.
        let own = (topPath == "/" ? "" : topPath) + "/.Trash-\(uid)"
        if mkdir(own, 0o700) != 0 && errno != EEXIST {
            throw IndexError(.trash, message: "cannot move \(path) to the trash: no trash can be made on its disk (\(own))", errno: errno)
        }
        guard lstat(own, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == uid else {
            throw IndexError(.trash, message: "cannot move \(path) to the trash: \(own) is not a folder of yours")
        }
        return (own, relative)
    }

    /// The device of `path`, or of its nearest existing parent.
    static func device(ofNearest path: String) -> dev_t? {
        var current = path
        while true {
            var st = stat()
            if stat(current, &st) == 0 { return st.st_dev }
            guard let slash = current.lastIndex(of: "/"), current != "/" else { return nil }
            current = slash == current.startIndex ? "/" : String(current[..<slash])
        }
    }

    /// The highest folder above `path` still on `device` (its mount point).
    static func mountPoint(of path: RawPath, device: dev_t) -> RawPath {
        var top = path
        while top.bytes.count > 1 {
            var parent = top.deletingLastComponent
            if parent.isEmpty { parent = RawPath("/") }
            var st = stat()
            guard parent.withCString({ stat($0, &st) }) == 0, st.st_dev == device else { break }
            top = parent
        }
        return top
    }

    /// `name` for the first attempt, then `base.N.ext` (`song.2.mp3`).
    static func numbered(_ name: RawPath, _ attempt: Int) -> RawPath {
        guard attempt > 1 else { return name }
        let bytes = name.bytes
        if let dot = bytes.lastIndex(of: UInt8(ascii: ".")), dot != bytes.startIndex {
            return RawPath(bytes: Array(bytes[..<dot]) + Array(".\(attempt)".utf8) + Array(bytes[dot...]))
        }
        return RawPath(bytes: bytes + Array(".\(attempt)".utf8))
    }

    /// Local time without zone, as the spec asks: `2026-11-21T10:32:08`.
    static func deletionDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// Percent-encodes every byte but unreserved characters and `/` (RFC 2396, as the spec asks).
    static func escape(_ path: RawPath) -> String {
        var out = ""
        for byte in path.bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
