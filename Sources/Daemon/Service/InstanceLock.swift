import Foundation
import Glibc
import Synchronization

/// One daemon per library folder: an exclusive `flock(2)` on `<data>/omnisonicd.lock`, held for
/// the life of the process (the kernel releases it when the process dies, however it dies, so
/// a stale file never blocks a start).
///
/// The file says who holds it, as `key=value` lines: `pid=1234` and, once the API serves,
/// `listen=127.0.0.1:6690`. `omnisonicd status` reads it to find the running daemon, and a
/// second `run` names the first in its refusal.
///
/// Thread safety: `update(listen:)` may be called from any thread (writes are serialised).
public final class InstanceLock: Sendable {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32
    /// What the file says (besides the pid); writes are serialised by the lock.
    private let writeLock = Mutex<(listen: String?, mpd: [String])>((nil, []))

    /// The lock file of a library folder.
    public static func path(data: String) -> String { data + "/omnisonicd.lock" }

    /// Creates the data folder if needed (mode 0700) and takes the lock without waiting.
    ///
    /// - Throws: `DaemonError.alreadyRunning` naming the holder's pid and address when another
    ///   process holds it; `DaemonError.cannotStart` when the folder or file cannot be made.
    public init(data: String) throws(DaemonError) {
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DaemonError(.cannotStart, message: "cannot create the folder \(data)", detail: "\(error)")
        }
        let path = Self.path(data: data)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError(.cannotStart, message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            guard code == EWOULDBLOCK else {
                throw DaemonError(.cannotStart, message: "cannot lock \(path): \(String(cString: strerror(code)))")
            }
            let holder = Self.read(path: path)
            var who = "another omnisonicd"
            if let pid = holder.pid { who += " (pid \(pid)" + (holder.listen.map { ", listening on http://\($0))" } ?? ")") }
            throw DaemonError(.alreadyRunning, message: """
                \(who) already uses the library folder \(data); stop it first \
                (systemctl --user stop omnisonicd) or give this one another --data
                """)
        }
        self.path = path
        self.descriptor = fd
        write()
    }

    deinit {
        // Closing releases the lock; the file stays (removing it would race a starting daemon).
        close(descriptor)
    }

    /// Records the address the API serves on (the real port when 0 was asked for).
    public func update(listen: String) { write { $0.listen = listen } }

    /// Records the addresses MPD clients connect to (`mpd=` lines).
    public func update(mpd: [String]) { write { $0.mpd = mpd } }

    private func write(_ change: (inout (listen: String?, mpd: [String])) -> Void = { _ in }) {
        writeLock.withLock { recorded in
            change(&recorded)
            var text = "pid=\(getpid())\n"
            if let listen = recorded.listen { text += "listen=\(listen)\n" }
            for address in recorded.mpd { text += "mpd=\(address)\n" }
            let bytes = Array(text.utf8)
            _ = ftruncate(descriptor, 0)
            _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
    }

    /// What a lock file says about its holder.
    public struct Holder: Sendable, Equatable {
        public var pid: Int32?
        public var listen: String?
        /// The addresses MPD clients connect to.
        public var mpd: [String] = []
        /// True when a process holds the lock now (false: the file is left from a daemon that stopped).
        public var running: Bool
    }

    /// Reads the lock file of `data` and tests whether it is held, without taking it.
    ///
    /// - Returns: nil when there is no lock file (no daemon ever ran on this folder).
    public static func holder(data: String) -> Holder? {
        let path = Self.path(data: data)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // A shared lock succeeds only when nobody holds the exclusive one; released by close.
        let running = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
        var holder = read(path: path)
        holder.running = running
        return holder
    }

    private static func read(path: String) -> Holder {
        var holder = Holder(pid: nil, listen: nil, running: true)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return holder }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "pid": holder.pid = Int32(parts[1])
            case "listen": holder.listen = parts[1]
            case "mpd": holder.mpd.append(parts[1])
            default: break
            }
        }
        return holder
    }
}
