import Foundation
import Glibc

/// A real Unix datagram socket bound by a test, standing in for systemd's notification socket
/// (`NOTIFY_SOCKET`): it collects what the daemon sends.
public final class NotifySocket: @unchecked Sendable {
    // @unchecked: `messages` is only touched under `lock`; `descriptor` is immutable.
    /// The value for `NOTIFY_SOCKET`: a path, or `@name` for an abstract socket.
    public let address: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []

    /// Binds a socket at `path`, or an abstract one (named `@omnisonic-test-…`) when `path` is nil.
    public init(path: String?) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        address = path ?? "@omnisonic-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        var bytes = Array(address.utf8)
        let abstract = path == nil
        if abstract { bytes[0] = 0 } else { bytes.append(0) }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Every message received so far (one datagram each), in order.
    public var messages: [String] {
        drain()
        return lock.withLock { received }
    }

    /// Waits up to `timeout` seconds for a message satisfying `predicate`; returns it.
    public func wait(timeout: Double = 30, for predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let found = messages.first(where: predicate) { return found }
        } while Date() < deadline
        return nil
    }

    /// Reads what is queued (each read waits at most 100 ms).
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            guard n > 0 else { return }
            let text = String(decoding: buffer[..<n], as: UTF8.self)
            lock.withLock { received.append(text) }
        }
    }
}
