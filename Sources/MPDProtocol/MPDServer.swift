import Foundation
import Glibc
import Logging
import OmniModel
import ServiceLifecycle
import Synchronization

/// Where the MPD server listens.
public enum MPDEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// An IP address (or `localhost`) and port; 0 picks a free port.
    case tcp(host: String, port: Int, loopback: Bool)
    /// A Unix socket path.
    case unix(String)

    public var description: String {
        switch self {
        case let .tcp(host, port, _): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): path
        }
    }
}

/// Why the MPD server cannot listen.
public struct MPDServerError: Error, Sendable, CustomStringConvertible {
    public var endpoint: MPDEndpoint
    public var message: String
    /// True when the address is taken by another process (a default address may then be skipped).
    public var inUse: Bool
    public var description: String { "cannot listen for MPD clients on \(endpoint): \(message)" }
}

/// The MPD front door's listener: plain sockets, a thread per listening socket and per client.
///
/// A client's thread reads lines, runs each through its `Session` (blocking library reads and
/// player calls are fine there: it is not the cooperative pool) and writes the answer. While
/// idling it `poll`s the socket and its wake-up pipe from the `IdleHub`, so a change wakes it at once
/// and an idle client costs a sleeping thread and no CPU. A line longer than `maxLineBytes`
/// drops that client alone.
public final class MPDServer: Sendable {
    let door: MPDFrontDoor
    let logger: Logger
    /// The longest request line accepted (MPD's is 4 KiB by default; long `command_list`
    /// lines of paths and filter expressions fit in 64 KiB).
    public static let maxLineBytes = 64 * 1024
    private let state = Mutex<(listeners: [Int32], clients: [Int32: IdleHub.Subscriber], stopping: Bool)>(([], [:], false))
    private let socketPaths = Mutex<[String]>([])

    /// The process's budget of client-held descriptors (shared with the HTTP server; issue 18):
    /// each client takes `descriptorsPerClient`; spent, new clients are closed at once.
    let descriptors: DescriptorBudget?
    /// A client's socket and its idle wake-up pipe's two ends.
    static let descriptorsPerClient = 3

    public init(door: MPDFrontDoor, logger: Logger, descriptors: DescriptorBudget? = nil) {
        self.door = door
        self.logger = logger
        self.descriptors = descriptors
    }

    /// Binds every endpoint (a stale socket file is replaced; a live one is in use) and starts
    /// accepting. Returns the bound addresses (the real port when 0 was asked for).
    ///
    /// - Throws: `MPDServerError` naming the first endpoint that fails (the ones bound before it stay).
    public func listen(_ endpoint: MPDEndpoint) throws(MPDServerError) -> String {
        let (fd, bound) = try Self.bind(endpoint)
        let local: Bool
        if case .tcp(_, _, let loopback) = endpoint { local = loopback } else { local = true }
        let isUnix: Bool
        if case .unix(let path) = endpoint { isUnix = true; socketPaths.withLock { $0.append(path) } } else { isUnix = false }
        state.withLock { $0.listeners.append(fd) }
        let thread = Thread { [self] in acceptLoop(fd, local: local, isUnix: isUnix) }
        thread.name = "omnisonic-mpd-accept"
        thread.stackSize = 256 * 1024
        thread.start()
        return bound
    }

    /// Stops accepting, disconnects every client and removes the socket files. Any thread.
    public func stop() {
        let (listeners, clients) = state.withLock { s -> ([Int32], [Int32: IdleHub.Subscriber]) in
            s.stopping = true
            return (s.listeners, s.clients)
        }
        for fd in listeners { shutdown(fd, Int32(SHUT_RDWR)) }
        for (fd, subscriber) in clients {
            shutdown(fd, Int32(SHUT_RDWR))
            subscriber.signal()
        }
        for path in socketPaths.withLock({ $0 }) { unlink(path) }
    }

    /// Connected clients now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    private func acceptLoop(_ fd: Int32, local: Bool, isUnix: Bool) {
        defer { close(fd) }
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(100_000) }
                    if state.withLock({ $0.stopping }) { return }
                    continue
                }
                return
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            // Out of budget: closed before its session opens a pipe (the process would otherwise
            // run out of descriptors, which libdispatch does not survive).
            let grant = descriptors?.take(Self.descriptorsPerClient)
            if descriptors != nil && grant == nil {
                close(client)
                logger.debug("MPD client refused: the process's descriptor budget is spent")
                continue
            }
            var one: Int32 = 1
            if !isUnix { setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size)) }
            let session = Session(door: door, local: local, isUnixSocket: isUnix)
            let accepted = state.withLock { s -> Bool in
                guard !s.stopping else { return false }
                s.clients[client] = session.subscriber
                return true
            }
            guard accepted else { close(client); return }
            let box = SessionBox(session)
            let thread = Thread { [self] in
                withExtendedLifetime(grant) { serve(client, box.take()) }
            }
            thread.name = "omnisonic-mpd-client"
            // Commands run here: filters over the whole library and SQLite reads need some stack.
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// One client's loop: read lines, answer, idle.
    private func serve(_ fd: Int32, _ session: Session) {
        converse(fd, session)
        forget(fd)
        close(fd)
    }

    private func forget(_ fd: Int32) {
        state.withLock { s in
            s.clients[fd] = nil
        }
    }

    private func converse(_ fd: Int32, _ session: Session) {
        guard send(fd, Array(Session.greeting.utf8)) else { return }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var next = Session.Next.proceed
        while true {
            // Answer every complete line already received, in order.
            while next == .proceed, let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                let (bytes, after) = session.process(line)
                if !bytes.isEmpty, !send(fd, bytes) { return }
                next = after
                if next == .close { return }
            }
            if buffer.count > Self.maxLineBytes {
                logger.notice("an MPD client sent a line longer than \(Self.maxLineBytes) bytes; disconnected")
                return
            }
            if next == .idle {
                // Wait for the socket (noidle, or the client leaving) or a change.
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: session.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
                let n = poll(&fds, 2, -1)
                if n < 0 { if errno == EINTR { continue }; return }
                if state.withLock({ $0.stopping }) { return }
                if fds[1].revents != 0, let reply = session.idleReply(force: false) {
                    if !send(fd, reply) { return }
                    next = .proceed
                    continue
                }
                if fds[0].revents == 0 { continue }
            }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            buffer.append(contentsOf: chunk[0..<count])
            if next == .idle {
                // Only noidle may come now (handled by the session; anything else closes).
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    let (bytes, after) = session.process(line)
                    if !bytes.isEmpty, !send(fd, bytes) { return }
                    next = after
                    if next != .idle { break }
                }
                if next == .close { return }
            }
        }
    }

    /// Writes all of `bytes`; false when the client is gone.
    private func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    private static func bind(_ endpoint: MPDEndpoint) throws(MPDServerError) -> (Int32, String) {
        func failure(_ what: String, inUse: Bool = false) -> MPDServerError {
            MPDServerError(endpoint: endpoint, message: "\(what): \(String(cString: strerror(errno)))", inUse: inUse)
        }
        switch endpoint {
        case let .tcp(host, port, _):
            let name = host == "localhost" ? "127.0.0.1" : host
            var v4 = sockaddr_in(), v6 = sockaddr_in6()
            let isV6 = name.contains(":")
            let fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw failure("socket") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let result: Int32
            if isV6 {
                v6.sin6_family = sa_family_t(AF_INET6)
                v6.sin6_port = in_port_t(UInt16(port).bigEndian)
                inet_pton(AF_INET6, name, &v6.sin6_addr)
                result = withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            } else {
                v4.sin_family = sa_family_t(AF_INET)
                v4.sin_port = in_port_t(UInt16(port).bigEndian)
                inet_pton(AF_INET, name, &v4.sin_addr)
                result = withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
            guard result == 0 else { let e = failure("bind", inUse: errno == EADDRINUSE); close(fd); throw e }
            guard Glibc.listen(fd, 64) == 0 else { let e = failure("listen"); close(fd); throw e }
            // The port the kernel chose.
            let boundPort = Self.localPort(fd)
            return (fd, MPDEndpoint.tcp(host: host, port: boundPort, loopback: true).description)
        case .unix(let path):
            let folder = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                throw MPDServerError(endpoint: endpoint, message: "the path is too long for a socket", inUse: false)
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
            // A socket file left by a daemon that died is replaced; one that answers is in use.
            if access(path, F_OK) == 0 {
                let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                let live = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) } } == 0
                close(probe)
                if live { throw MPDServerError(endpoint: endpoint, message: "another process listens there", inUse: true) }
                unlink(path)
            }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw failure("socket") }
            let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
            guard result == 0 else { let e = failure("bind", inUse: errno == EADDRINUSE); close(fd); throw e }
            chmod(path, 0o600)
            guard Glibc.listen(fd, 64) == 0 else { let e = failure("listen"); close(fd); throw e }
            return (fd, path)
        }
    }
}

extension MPDServer {
    /// The port a bound socket has (IPv4 and IPv6 keep it at the same offset).
    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return 0 }
        return withUnsafeBytes(of: &storage) { raw in Int(UInt16(raw[2]) << 8 | UInt16(raw[3])) }
    }
}

/// Hands a `Session` (not `Sendable`: one thread owns it) to the client thread that will own it.
private final class SessionBox: @unchecked Sendable {
    private var session: Session?
    init(_ session: Session) { self.session = session }
    func take() -> Session {
        defer { session = nil }
        return session!
    }
}

/// Runs an `MPDServer` in the daemon's `ServiceGroup`: listens on start, stops on shutdown.
public struct MPDService: Service {
    public let server: MPDServer
    public let endpoints: [MPDEndpoint]
    /// True for the default addresses: one in use is skipped with a warning.
    public let optional: Bool
    public let onListening: @Sendable ([String]) -> Void
    /// The daemon's events (a subscription to its event hub): idle wake-ups and the song
    /// index's invalidation.
    public let events: AsyncStream<LibraryEvent>

    public init(server: MPDServer, endpoints: [MPDEndpoint], optional: Bool, events: AsyncStream<LibraryEvent>,
                onListening: @escaping @Sendable ([String]) -> Void) {
        self.server = server
        self.endpoints = endpoints
        self.optional = optional
        self.events = events
        self.onListening = onListening
    }

    public func run() async throws {
        let bound = try bindAll()
        onListening(bound)
        let door = server.door, events = self.events
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await event in events { door.handle(event) } }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        server.stop()
    }

    /// Binds every endpoint; a default one that fails is skipped with a warning.
    func bindAll() throws -> [String] {
        var bound: [String] = []
        for endpoint in endpoints {
            let result = Result { () throws(MPDServerError) -> String in try server.listen(endpoint) }
            switch result {
            case .success(let address):
                bound.append(address)
            case .failure(let failure):
                guard optional else { throw failure }
                server.logger.warning("MPD clients cannot connect here", metadata: ["address": "\(endpoint)", "detail": "\(failure.message)"])
            }
        }
        return bound
    }
}

extension MPDServer {
    /// Whether `endpoint` could be listened on now (`omnisonicd doctor`).
    public enum Availability: Sendable, Equatable {
        /// Free: the daemon could bind it.
        case free
        /// Another process listens there (or the running daemon does: the caller knows which).
        case inUse
        /// Cannot be used, and why (no such address, a socket folder that cannot be written).
        case unusable(String)
    }

    /// Probes `endpoint` without side effects that last: a TCP address is bound and closed at
    /// once; for a socket, a file that answers is in use, and otherwise its folder (or the
    /// nearest existing parent, which the daemon would create it under) must be writable. A
    /// stale socket file is free: the daemon replaces it. Blocking; any thread.
    public static func availability(of endpoint: MPDEndpoint) -> Availability {
        switch endpoint {
        case .tcp:
            do {
                let (fd, _) = try bind(endpoint)
                close(fd)
                return .free
            } catch {
                return error.inUse ? .inUse : .unusable(error.message)
            }
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .unusable("the path is too long for a socket") }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            if access(path, F_OK) == 0 {
                let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
                let live = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) } } == 0
                close(probe)
                if live { return .inUse }
            }
            var folder = (path as NSString).deletingLastPathComponent
            while !FileManager.default.fileExists(atPath: folder), folder != "/" { folder = (folder as NSString).deletingLastPathComponent }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue,
                  access(folder, W_OK | X_OK) == 0 else {
                return .unusable("\(folder) cannot be written by this user")
            }
            return .free
        }
    }
}
