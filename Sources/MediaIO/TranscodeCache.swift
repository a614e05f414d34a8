import Foundation
import Glibc
import OmniModel

/// Finished transcodes on disk, so a second request of the same variant is a file read.
///
/// An entry is named by a SHA-256 of the file's identity (device, inode, size, modification
/// time: a changed file is a new entry) and the variant (format, bit rate). Only whole streams
/// from offset 0 are stored: a stream is written to a temporary name beside the entries and
/// renamed when its last byte is written, so a partial entry (a client that left, a crash) is
/// never served; an abandoned temporary is removed by the next `trim`.
///
/// Bounded: after each insertion, the least recently used entries (modification time, which
/// `lookup` sets to now) are removed until the folder holds at most `maximumBytes`.
///
/// `Sendable`; any thread. Blocking (file system calls).
public struct TranscodeCache: Sendable {
    /// The folder (created with mode 0700 on first use).
    public let directory: String
    /// The most bytes the entries may take together.
    public let maximumBytes: Int64

    /// - Parameters:
    ///   - directory: e.g. `<cache>/transcode` (the daemon's cache folder).
    ///   - maximumBytes: the bound (default 1 GiB, about 100 hours of 192 kbit/s MP3... at
    ///     least several albums at any bit rate).
    public init(directory: String, maximumBytes: Int64 = 1 << 30) {
        self.directory = directory
        self.maximumBytes = maximumBytes
    }

    /// The entry name for `request` of the file at `path`, or nil when the file cannot be
    /// stat'ed or the request starts after 0 (offsets are not cached).
    public func key(path: RawPath, request: TranscodeRequest) -> String? {
        guard request.timeOffset == 0 else { return nil }
        var info = stat()
        guard path.withCString({ stat($0, &info) }) == 0 else { return nil }
        let identity = "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)|\(request.format.rawValue)|\(request.bitRate)"
        return SHA256.hexDigest(Array(identity.utf8)) + "." + request.format.fileExtension
    }

    /// The path of a finished entry, marked as just used; nil when there is none.
    public func lookup(_ key: String) -> String? {
        let path = "\(directory)/\(key)"
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        utimensat(AT_FDCWD, path, nil, 0)
        return path
    }

    /// A new temporary file for `key`; `commit` or `discard` it.
    func begin(_ key: String) -> Writer? {
        mkdir(directory, 0o700)
        let temporary = "\(directory)/.\(key).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        return Writer(fd: fd, temporary: temporary, final: "\(directory)/\(key)")
    }

    /// Removes the least recently used entries until the rest fit in `maximumBytes`, and
    /// temporaries older than an hour (their writer is gone).
    public func trim() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(path: String, size: Int64, used: Int)] = []
        let now = time(nil)
        for name in names {
            let path = "\(directory)/\(name)"
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if name.hasPrefix(".") {
                if name.hasSuffix(".partial"), now - info.st_mtim.tv_sec > 3600 { unlink(path) }
                continue
            }
            entries.append((path, Int64(info.st_size), info.st_mtim.tv_sec))
        }
        var total = entries.reduce(Int64(0)) { $0 + $1.size }
        for entry in entries.sorted(by: { $0.used < $1.used }) where total > maximumBytes {
            if unlink(entry.path) == 0 { total -= entry.size }
        }
    }

    /// The total size of the finished entries (for tests and the bench).
    public func totalBytes() -> Int64 {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.filter { !$0.hasPrefix(".") }.reduce(Int64(0)) { total, name in
            var info = stat()
            return stat("\(directory)/\(name)", &info) == 0 ? total + Int64(info.st_size) : total
        }
    }

    /// One entry being written. Not `Sendable`: the transcoding thread's.
    final class Writer {
        private var fd: Int32
        let temporary: String
        let final: String
        private var failed = false

        init(fd: Int32, temporary: String, final: String) {
            self.fd = fd
            self.temporary = temporary
            self.final = final
        }

        /// Appends `bytes`; a failed write (full disk) abandons the entry, not the stream.
        func write(_ bytes: [UInt8]) {
            guard !failed else { return }
            var offset = 0
            bytes.withUnsafeBytes { buffer in
                while offset < buffer.count {
                    let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failed = true
                        return
                    }
                    offset += n
                }
            }
        }

        /// Publishes the entry under its final name (atomically); false when a write failed.
        func commit() -> Bool {
            close(fd)
            fd = -1
            guard !failed, rename(temporary, final) == 0 else {
                unlink(temporary)
                return false
            }
            return true
        }

        /// Removes the temporary (the stream did not end).
        func discard() {
            if fd >= 0 { close(fd); fd = -1 }
            unlink(temporary)
        }

        deinit { if fd >= 0 { discard() } }
    }
}
