import Foundation
import Glibc
import Testing
import TestSupport

/// Both servers under a descriptor limit of 1,024 (`prlimit --nofile=1024`), as an attacker on
/// the network (the sync server) or any local program (the daemon) would find them: more
/// half-sent requests than descriptors, and more event streams than the cap. Each flood is held
/// for a few seconds at most.
@Suite("Exhaustion: slowloris and floods against the real binary", .serialized)
struct ExhaustionTests {
    static let limit = ["/usr/bin/prlimit", "--nofile=1024:1024"]

    /// Opens `count` connections that each send half a request head and then nothing; returns
    /// their descriptors (the caller closes them). Non-blocking connects: a full accept queue
    /// does not stall the flood.
    static func halfOpen(port: Int, count: Int) -> [Int32] {
        var descriptors: [Int32] = []
        let head = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8)
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { break }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            descriptors.append(fd)
        }
        usleep(200_000)
        for fd in descriptors { _ = head.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } }
        return descriptors
    }

    /// This test process needs more than 1,100 descriptors of its own.
    static func raiseOwnLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < min(limit.rlim_max, 8192) {
            limit.rlim_cur = min(limit.rlim_max, 8192)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    @Test("the daemon under 1,024 descriptors: 1,100 half-sent requests and an event-stream flood past the cap leave it alive and serving a new client")
    func daemonSlowloris() throws {
        Self.raiseOwnLimit()
        let dir = try TemporaryDirectory("exhaust")
        try FileManager.default.createDirectory(atPath: dir.appending("music"), withIntermediateDirectories: true)
        let daemon = try RunningDaemon(["--music", dir.appending("music"), "--data", dir.appending("data"), "--listen", "127.0.0.1:0",
                                        "--idle-timeout", "1", "--max-event-streams", "8"],
                                       environment: ServiceTests.isolated(dir), wrapper: Self.limit)
        let port = try daemon.waitForPort()

        // Event streams: the cap's worth stay open, the rest get 503 at once.
        var streams: [Int32] = []
        var refused = 0
        for _ in 0..<40 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let request = Array("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            let text = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
            if text.hasPrefix("HTTP/1.1 503") { refused += 1 }
            streams.append(fd)
        }
        #expect(refused == 32, "expected 32 of 40 streams refused past the cap of 8")
        defer { for fd in streams { close(fd) } }

        let flood = Self.halfOpen(port: port, count: 1100)
        defer { for fd in flood { close(fd) } }
        #expect(flood.count == 1100)
        // A well-behaved client gets in once the idle timeout has closed the half-sent ones.
        let served = eventually(20) { (try? HTTP.request(port: port, path: "/healthz"))?.status == 200 }
        #expect(served, "\(daemon.stderr.suffix(2000))")
        #expect(daemon.process.isRunning, "\(daemon.stderr.suffix(3000))")
        #expect(try HTTP.request(port: port, path: "/api/search?q=&limit=1").status == 200)
        #expect(daemon.stop().status == 0, "\(daemon.stderr.suffix(3000))")
    }

    @Test("the sync server under 1,024 descriptors: 1,100 half-sent requests do not make it unreachable for a new client")
    func syncServerSlowloris() throws {
        Self.raiseOwnLimit()
        let dir = try TemporaryDirectory("exhaust-sync")
        let server = try RunningCommand(["sync-server", "serve", "--data", dir.appending("sync"), "--listen", "127.0.0.1:0",
                                         "--idle-timeout", "1"], wrapper: Self.limit)
        let port = try server.waitForPort()
        let flood = Self.halfOpen(port: port, count: 1100)
        defer { for fd in flood { close(fd) } }
        let served = eventually(20) { (try? HTTP.request(port: port, path: "/healthz"))?.status == 200 }
        #expect(served, "\(server.stderr.suffix(2000))")
        #expect(server.process.isRunning, "\(server.stderr.suffix(3000))")
        #expect(server.stop().status == 0)
    }

    @Test("the sync server refuses plain HTTP on an address other computers reach unless --insecure-http says so")
    func syncServerNeedsTLSOffLoopback() throws {
        let dir = try TemporaryDirectory("sync-tls")
        let refused = try Binary.run(["sync-server", "serve", "--data", dir.appending("sync"), "--listen", "0.0.0.0:0"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--tls-cert and --tls-key"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--insecure-http"))
        let allowed = try RunningCommand(["sync-server", "serve", "--data", dir.appending("sync"), "--listen", "0.0.0.0:0", "--insecure-http"])
        _ = try allowed.waitForPort()
        #expect(allowed.stop().status == 0)
        // Loopback needs neither (the default address is 127.0.0.1:7700).
        let loopback = try RunningCommand(["sync-server", "serve", "--data", dir.appending("sync"), "--listen", "[::ffff:127.0.0.1]:0"])
        _ = try loopback.waitForPort()
        #expect(loopback.stop().status == 0)
    }
}
