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
    /// A blocking TCP connection to 127.0.0.1:`port` whose reads give up after 5 s (the floods'
    /// connections; a failed connect leaves a descriptor the server never sees, which they allow).
    static func connectLoopback(port: Int) -> Int32 {
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
        return fd
    }

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
            let fd = Self.connectLoopback(port: port)
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
        let served = eventuallyBlocking { (try? HTTP.request(port: port, path: "/healthz"))?.status == 200 }
        #expect(served, "\(daemon.stderr.suffix(2000))")
        #expect(daemon.process.isRunning, "\(daemon.stderr.suffix(3000))")
        #expect(try HTTP.request(port: port, path: "/api/search?q=&limit=1").status == 200)
        #expect(daemon.stop().status == 0, "\(daemon.stderr.suffix(3000))")
    }

    /// A connected socket that sent `request` and reads nothing after the first bytes of the
    /// answer (its receive buffer kept small, so a large answer stays in flight); returns the
    /// descriptor and those first bytes ("" when the server closed it).
    static func hold(_ request: String, port: Int? = nil, unixPath: String? = nil) -> (Int32, String) {
        let fd: Int32
        if let unixPath {
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in unixPath.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
            }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        } else {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var small: Int32 = 4096
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port ?? 0).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if !request.isEmpty { _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        return (fd, n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : "")
    }

    @Test("the daemon under 1,024 descriptors: unread streams and MPD clients spend its descriptor budget; streams and artwork past it answer 503, MPD clients are closed, searches (SQLite) still answer, it does not die, and everything is served again once they go")
    func daemonDescriptorBudget() throws {
        Self.raiseOwnLimit()
        let dir = try TemporaryDirectory("exhaust-files")
        let music = dir.appending("music/Album")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        // 21 MB: far more than socket buffers hold, so an unread stream keeps its file open.
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=120:sample_rate=44100", "-ac", "2", music + "/big.wav"])
        try Shell.ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", music + "/cover.jpg"])
        let socketPath = dir.appending("mpd.sock")
        let daemon = try RunningDaemon(["--music", dir.appending("music"), "--data", dir.appending("data"), "--listen", "127.0.0.1:0",
                                        "--mpd-listen", socketPath, "--max-connections", "768"],
                                       environment: ServiceTests.isolated(dir), wrapper: Self.limit)
        let port = try daemon.waitForPort()
        var uid = ""
        #expect(eventuallyBlocking {
            let tracks = (try? HTTP.request(port: port, path: "/api/search?q=&limit=5").json())?["tracks"] as? [[String: Any]] ?? []
            uid = tracks.first?["uid"] as? String ?? ""
            return tracks.first?["hasArtwork"] as? Bool == true
        })
        let stream = "GET /api/tracks/\(uid)/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"

        // 1,024 descriptors: 768 connections, a budget of 160 for what clients hold, 96 for the rest.
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        var streaming = 0, refused = 0
        for _ in 0..<200 {
            let (fd, head) = Self.hold(stream, port: port)
            held.append(fd)
            if head.hasPrefix("HTTP/1.1 200") { streaming += 1 }
            if head.hasPrefix("HTTP/1.1 503") && head.lowercased().contains("retry-after: 5") { refused += 1 }
        }
        // A budget of 160: about that many stream (169 once: a few answers ended early and gave
        // their descriptor back), the rest are refused with 503 before opening anything.
        #expect(streaming + refused == 200 && refused >= 20 && streaming >= 150, "\(streaming) streaming, \(refused) refused")
        var mpdGreeted = 0
        for _ in 0..<50 {
            let (fd, greeting) = Self.hold("", unixPath: socketPath)
            held.append(fd)
            if greeting.hasPrefix("OK MPD") { mpdGreeted += 1 }
        }
        #expect(mpdGreeted == 0, "MPD clients past the budget are closed")
        #expect(try HTTP.request(port: port, path: "/api/tracks/\(uid)/artwork").status == 503)
        #expect(try HTTP.request(port: port, path: "/api/search?q=sine&limit=5").status == 200)
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        // libdispatch checks its threads every second: past that, still alive.
        usleep(2_500_000)
        #expect(daemon.process.isRunning, "\(daemon.stderr.suffix(3000))")

        for fd in held { close(fd) }
        held = []
        #expect(eventuallyBlocking { (try? HTTP.request(port: port, path: "/api/tracks/\(uid)/artwork"))?.status == 200 })
        let (mpd, greeting) = Self.hold("", unixPath: socketPath)
        close(mpd)
        #expect(greeting.hasPrefix("OK MPD"))
        #expect(try HTTP.request(port: port, path: "/api/tracks/\(uid)/stream", headers: ["Range": "bytes=0-99"]).status == 206)
        #expect(daemon.stop().status == 0, "\(daemon.stderr.suffix(3000))")
    }

    @Test("the daemon under 1,024 descriptors: transcoded streams and uploads take from the descriptor budget too, so once unread streams have spent it both answer 503 instead of opening files, and both work again once the streams go")
    func transcodesAndUploadsTakeFromTheBudget() throws {
        Self.raiseOwnLimit()
        let dir = try TemporaryDirectory("exhaust-transcode")
        let music = dir.appending("music/Album")
        try FileManager.default.createDirectory(atPath: music, withIntermediateDirectories: true)
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=120:sample_rate=44100", "-ac", "2", music + "/big.wav"])
        let upload = dir.appending("upload.mp3")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=523:duration=1:sample_rate=22050", "-ac", "1", "-bitexact", upload])
        let daemon = try RunningDaemon(["--music", dir.appending("music"), "--data", dir.appending("data"), "--listen", "127.0.0.1:0",
                                        "--max-connections", "768"],
                                       environment: ServiceTests.isolated(dir), wrapper: Self.limit)
        let port = try daemon.waitForPort()
        var uid = ""
        #expect(eventuallyBlocking {
            let tracks = (try? HTTP.request(port: port, path: "/api/search?q=&limit=5").json())?["tracks"] as? [[String: Any]] ?? []
            uid = tracks.first?["uid"] as? String ?? ""
            return !uid.isEmpty
        })
        let boundary = "omnisonic-budget-boundary"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"tone.mp3\"\r\n".utf8)
        body += Array("Content-Type: audio/mpeg\r\n\r\n".utf8) + Array(try Data(contentsOf: URL(fileURLWithPath: upload)))
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        func importTone() throws -> HTTP.Response {
            try HTTP.request("POST", port: port, path: "/api/import", headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], body: body)
        }
        // The last two seconds, so that a transcode that is served ends soon.
        let transcoded = "/api/tracks/\(uid)/stream?format=mp3&timeOffset=118"

        // Unread raw streams until the budget (160 here) is spent: the next one is refused. An
        // unread stream sometimes ends early and gives its descriptor back, so the budget is
        // spent again right before each request (a few tries).
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        func spend() -> Bool {
            for _ in 0..<220 {
                let (fd, head) = Self.hold("GET /api/tracks/\(uid)/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n", port: port)
                held.append(fd)
                if head.hasPrefix("HTTP/1.1 503") { return true }
            }
            return false
        }
        var refusedTranscode: HTTP.Response?, refusedUpload: HTTP.Response?
        for _ in 0..<5 where refusedTranscode?.status != 503 {
            #expect(spend(), "the raw streams never spent the budget")
            refusedTranscode = try HTTP.request(port: port, path: transcoded)
        }
        for _ in 0..<5 where refusedUpload?.status != 503 {
            #expect(spend(), "the raw streams never spent the budget")
            refusedUpload = try importTone()
        }
        #expect(refusedTranscode?.status == 503 && refusedTranscode?.body.contains("descriptors_exhausted") == true,
                "\(refusedTranscode.map { "\($0.status) \($0.body.prefix(300))" } ?? "")")
        #expect(refusedUpload?.status == 503 && refusedUpload?.body.contains("descriptors_exhausted") == true,
                "\(refusedUpload.map { "\($0.status) \($0.body.prefix(300))" } ?? "")")
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(daemon.process.isRunning, "\(daemon.stderr.suffix(3000))")

        for fd in held { close(fd) }
        held = []
        #expect(eventuallyBlocking { (try? HTTP.request(port: port, path: transcoded))?.status == 200 })
        #expect([200, 201].contains(try importTone().status))  // 200: already imported by an earlier try
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
        let served = eventuallyBlocking { (try? HTTP.request(port: port, path: "/healthz"))?.status == 200 }
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

    @Test("the sync server out of descriptors: a request that needs one more file (SQLite's reader) answers 503 with Retry-After and says why, the server stays alive, and answers 200 once descriptors are free again")
    func syncServerOutOfDescriptors() throws {
        Self.raiseOwnLimit()
        let dir = try TemporaryDirectory("exhaust-sync-fd")
        let data = ["--data", dir.appending("sync")]
        let token = String(try Binary.run(["sync-server", "add-device"] + data + ["--user", "alice"]).stdout.split(separator: "\n").last ?? "")
        let server = try RunningCommand(["sync-server", "serve"] + data + ["--listen", "127.0.0.1:0", "--idle-timeout", "30"])
        let port = try server.waitForPort()
        // Its limit lowered, while running, to what it holds now plus 8: a few idle connections
        // take the rest (its connection cap was sized for the limit it started with, so that is
        // the only way to get there), and the first pull needs SQLite to open a reader.
        let pid = server.process.processIdentifier
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        _ = try Shell.run("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=\(open + 8):\(open + 8)"])
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<16 {
            let fd = Self.connectLoopback(port: port)
            held.append(fd)
        }
        usleep(500_000)
        let pull = Array("GET /v1/pull?after=0 HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
        _ = pull.withUnsafeBytes { send(held[0], $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = buffer.withUnsafeMutableBytes { recv(held[0], $0.baseAddress!, $0.count, 0) }
        let answer = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : ""
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer) \(server.stderr.suffix(2000))")
        #expect(answer.lowercased().contains("retry-after: 5"), "\(answer)")
        #expect(answer.contains("run out of file descriptors"), "\(answer)")
        // libdispatch checks its threads every second: past that, still alive.
        usleep(2_500_000)
        #expect(server.process.isRunning, "\(server.stderr.suffix(3000))")

        for fd in held { close(fd) }
        held = []
        #expect(eventuallyBlocking {
            (try? HTTP.request(port: port, path: "/v1/pull?after=0", headers: ["Authorization": "Bearer \(token)"]))?.status == 200
        }, "\(server.stderr.suffix(2000))")
        #expect(server.stop().status == 0, "\(server.stderr.suffix(3000))")
    }
}
