import Foundation
import Synchronization

/// A host and port to listen on (`127.0.0.1:6690`, `[::1]:6690`, `localhost:6690`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IP literal (without brackets) or `localhost`.
    public var host: String
    /// 0 asks the kernel for a free port (tests).
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; IPv6 hosts are bracketed (`[::1]:6690`).
    ///
    /// - Returns: nil when the text is not of that shape, the port is not 0–65535, or the host is
    ///   neither an IP address nor `localhost` (a name could resolve to anything).
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard Self.isIPv6(String(host)) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard host == "localhost" || Self.isIPv4(String(host)) else { return nil }
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = Int(portText), (0...65_535).contains(port) else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// True for `127.0.0.0/8`, `::1`, `::ffff:127.x.y.z` and `localhost`: only this computer can
    /// connect (`Loopback.isLoopback`, the rule the servers apply too).
    public var isLoopback: Bool { Loopback.isLoopback(host) }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for an IPv4 literal (`inet_pton`).
    public static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    /// True for an IPv6 literal without brackets (`inet_pton`).
    public static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }

    /// The port a server listening at a `ListenAddress` is bound to, known once it listens
    /// (port 0 picks a free port): the API server's and the sync server's.
    ///
    /// Set once by the server; read from any thread or task.
    public final class Bound: Sendable {
        private struct State {
            var port: Int?
            var waiters: [CheckedContinuation<Int, Never>] = []
        }
        private let state = Mutex(State())

        public init() {}

        /// The bound port, or nil before the server listens.
        public var port: Int? { state.withLock { $0.port } }

        /// Waits until the server listens and returns its port.
        public func waitForPort() async -> Int {
            await withCheckedContinuation { continuation in
                let ready: Int? = state.withLock { state in
                    if let port = state.port { return port }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }

        /// Records the bound port and wakes every `waitForPort()`.
        public func set(port: Int) {
            let waiters = state.withLock { state in
                state.port = port
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: port) }
        }
    }
}

/// The former name of `ListenAddress.Bound`, kept for code written against it.
public typealias ListeningAddress = ListenAddress.Bound
