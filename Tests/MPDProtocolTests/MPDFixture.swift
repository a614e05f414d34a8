import Foundation
import Glibc
import Indexer
import LocalStore
import Logging
import MPDProtocol
import OmniModel
import Player
import Synchronization
import TestSupport

/// A real MPD front door on a scanned make-corpus library, listening on a free TCP port and a
/// Unix socket, with a player writing to ALSA's `file` plugin.
final class MPDFixture: Sendable {
    let dir: TemporaryDirectory
    let library: Library
    let player: Player
    let door: MPDFrontDoor
    let server: MPDServer
    let port: Int
    let socketPath: String
    let capturePath: String

    init(tracks: Int = 12, password: String? = nil) throws {
        let corpus = try Corpus.shared(tracks: tracks)
        dir = try TemporaryDirectory("mpd")
        library = try Library(path: dir.appending("library.sqlite"))
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let artwork = ArtworkCache(directory: dir.appending("artwork"))
        _ = try Indexer(library: library, artwork: artwork, logger: logger).scan(roots: [RawPath(corpus.root)])
        capturePath = dir.appending("out.raw")
        let alsa = """
            pcm.capture {
                type file
                slave.pcm { type null }
                file "\(capturePath)"
                format "raw"
            }
            """
        let events = EventForwarder()
        player = Player(library: library, configuration: PlayerConfiguration(output: "capture", alsaConfiguration: alsa),
                        logger: logger, publish: events.publish)
        player.start()
        let root = corpus.root
        door = MPDFrontDoor(environment: MPDEnvironment(
            library: library, player: player, artwork: artwork, musicRoots: { [RawPath(root)] },
            requestScan: {}, scanState: { (false, nil) }, password: password, logger: logger, publish: events.publish))
        events.set(door)
        server = MPDServer(door: door, logger: logger)
        let address = try server.listen(.tcp(host: "127.0.0.1", port: 0, loopback: password == nil))
        port = Int(address.split(separator: ":").last!)!
        socketPath = dir.appending("mpd.sock")
        _ = try server.listen(.unix(socketPath))
    }

    func stop() async {
        server.stop()
        await player.shutdown()
    }

    func client() throws -> MPDClient { try MPDClient(port: port) }
}

/// Sends the player's events to the front door (as the daemon's event pipe does).
final class EventForwarder: Sendable {
    private let door = Synchronization.Mutex<MPDFrontDoor?>(nil)
    func set(_ d: MPDFrontDoor) { door.withLock { $0 = d } }
    @Sendable func publish(_ event: LibraryEvent) { door.withLock { $0 }?.handle(event) }
}

/// A minimal blocking MPD client over a real socket.
final class MPDClient {
    let fd: Int32
    var buffer: [UInt8] = []
    private(set) var greeting = ""

    init(port: Int? = nil, socketPath: String? = nil) throws {
        if let socketPath {
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in socketPath.utf8.enumerated() { raw[i] = b } }
            let r = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            guard r == 0 else { throw Shell.Failure(command: "connect \(socketPath)", status: errno, stderr: "") }
        } else {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port!).bigEndian)
            inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
            let r = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard r == 0 else { throw Shell.Failure(command: "connect \(port!)", status: errno, stderr: "") }
        }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        greeting = try line() ?? ""
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next line, or nil when the server closed the connection.
    func line() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let text = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return text
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return nil }
            guard n > 0 else { throw Shell.Failure(command: "recv", status: errno, stderr: "timed out or failed") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// `count` raw bytes (a binary chunk).
    func bytes(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Shell.Failure(command: "recv", status: errno, stderr: "closed") }
            buffer.append(contentsOf: chunk[0..<n])
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer[0..<count])
    }

    /// Sends a command and returns the lines up to and including `OK` or the `ACK` line.
    @discardableResult
    func run(_ command: String) throws -> [String] {
        send(command + "\n")
        return try reply()
    }

    func reply() throws -> [String] {
        var lines: [String] = []
        while let l = try line() {
            lines.append(l)
            if l == "OK" || l.hasPrefix("ACK ") { return lines }
        }
        return lines
    }

    /// The `key: value` pairs of a reply (without the final OK).
    func pairs(_ command: String) throws -> [(String, String)] {
        try run(command).dropLast().compactMap { l in
            guard let r = l.range(of: ": ") else { return nil }
            return (String(l[..<r.lowerBound]), String(l[r.upperBound...]))
        }
    }

    func value(_ command: String, _ key: String) throws -> String? {
        try pairs(command).first { $0.0 == key }?.1
    }
}
