import Foundation
import Glibc

/// The sd_notify protocol without libsystemd: one datagram per message to the Unix socket
/// named by `$NOTIFY_SOCKET` (a path, or an abstract name written with a leading `@`).
///
/// Messages are newline-separated `KEY=VALUE` assignments (`READY=1`, `STATUS=...`,
/// `WATCHDOG=1`, `STOPPING=1`); see sd_notify(3). Sending never blocks (`MSG_DONTWAIT`) and
/// never fails loudly: a manager that stopped listening must not stop the daemon.
///
/// Thread safety: immutable after init; `send` may be called from any thread (`sendto` on one
/// datagram socket is atomic per message).
public final class SystemdNotifier: Sendable {
    /// The socket as given (`/run/user/1000/systemd/notify` or `@name`).
    public let socketPath: String
    private let descriptor: Int32
    private let address: [UInt8]

    /// The watchdog interval systemd asked for (`$WATCHDOG_USEC`), when it applies to this
    /// process (`$WATCHDOG_PID` unset or ours).
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`, then removes them from the
    /// environment so that child processes (ffmpeg, tests' helpers) do not talk to systemd for us.
    ///
    /// - Returns: nil when `NOTIFY_SOCKET` is unset or unusable (not started by systemd).
    public static func fromEnvironment() -> SystemdNotifier? {
        let environment = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { unsetenv(name) }
        guard let path = environment["NOTIFY_SOCKET"] else { return nil }
        return SystemdNotifier(socketPath: path,
                               watchdogInterval: watchdogInterval(usec: environment["WATCHDOG_USEC"],
                                                                  pid: environment["WATCHDOG_PID"], ourPID: getpid()))
    }

    /// Half the interval of `WATCHDOG_USEC` (as sd_watchdog_enabled(3) recommends), or nil when
    /// unset, not a positive number, or meant for another process.
    public static func watchdogInterval(usec: String?, pid: String?, ourPID: pid_t) -> Duration? {
        guard let usec, let micro = UInt64(usec), micro > 0 else { return nil }
        if let pid, !pid.isEmpty, pid_t(pid) != ourPID { return nil }
        return .microseconds(Int64(clamping: micro / 2))
    }

    /// Opens a datagram socket for `socketPath`.
    ///
    /// - Returns: nil when the path is empty or too long for `sockaddr_un`, or no socket can be made.
    public init?(socketPath: String, watchdogInterval: Duration? = nil) {
        var bytes = Array(socketPath.utf8)
        guard bytes.count > 1 || (bytes.count == 1 && bytes[0] != UInt8(ascii: "@")) else { return nil }
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        // A path needs its terminating NUL; an abstract name is exactly its bytes.
        guard bytes.count + (abstract ? 0 : 1) <= capacity else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.socketPath = socketPath
        self.descriptor = fd
        self.address = bytes + (abstract ? [] : [0])
        self.watchdogInterval = watchdogInterval
    }

    deinit { close(descriptor) }

    /// Sends one message (`"READY=1"`, `"STATUS=Indexing\nREADY=1"`).
    ///
    /// - Returns: false when the datagram could not be sent (no listener, queue full).
    @discardableResult
    public func send(_ message: String) -> Bool {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let length = withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: address)
            return MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + address.count
        }
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL),
                           socketAddress, socklen_t(length))
                }
            }
        }
        return sent == payload.count
    }

    /// `READY=1`: start-up is complete (the API answers).
    @discardableResult public func ready() -> Bool { send("READY=1") }
    /// `STOPPING=1`: shutdown has begun.
    @discardableResult public func stopping() -> Bool { send("STOPPING=1") }
    /// `WATCHDOG=1`: still alive.
    @discardableResult public func watchdog() -> Bool { send("WATCHDOG=1") }
    /// `STATUS=<text>` (one line: newlines become spaces), shown by `systemctl status`.
    @discardableResult public func status(_ text: String) -> Bool {
        send("STATUS=" + text.replacingOccurrences(of: "\n", with: " "))
    }
}
