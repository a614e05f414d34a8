import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// A value shared between threads behind a lock.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// `omnisonicd run` started as a real process (see `RunningCommand`).
final class RunningDaemon: RunningCommand, @unchecked Sendable {
    /// `arguments` are those of `run` (the subcommand is added).
    override init(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws {
        try super.init(["run"] + arguments, environment: environment, wrapper: wrapper)
    }
}

/// A minimal HTTP/1.1 client over a real socket (`Connection: close`), enough for JSON GETs.
enum HTTP {
    struct Response {
        var status: Int
        var body: String
        func json() throws -> [String: Any] { try Binary.object(body) }
    }

    static func request(_ method: String = "GET", port: Int, path: String, headers: [String: String] = [:],
                        body: [UInt8] = []) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(text.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, 0) }
            if n <= 0 { throw POSIXError(.EPIPE) }
            sent += n
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[..<n]
        }
        let response = String(decoding: received, as: UTF8.self)
        guard let statusLine = response.split(separator: "\r\n").first,
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? ""),
              let split = response.range(of: "\r\n\r\n") else {
            throw Shell.Failure(command: "\(method) \(path)", status: 0, stderr: response)
        }
        var body = String(response[split.upperBound...])
        if response[..<split.lowerBound].lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Response(status: status, body: body)
    }

    static func dechunk(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }
}

@Suite("omnisonicd run, end to end", .serialized)
struct RunCommandTests {
    @Test("run serves at once, answers /healthz while the scan runs, lists the corpus when done, and exits 0 on SIGTERM within 5 s")
    func endToEnd() throws {
        let corpus = try Corpus.shared(tracks: 300)
        let dir = try TemporaryDirectory("run")
        let daemon = try RunningDaemon(["--music", corpus.root, "--data", dir.appending("data"), "--listen", "127.0.0.1:0"],
                                       environment: ["XDG_DATA_HOME": dir.appending("xdg")])
        let port = try daemon.waitForPort()

        let started = Date()
        let health = try HTTP.request(port: port, path: "/healthz")
        #expect(health.status == 200)
        #expect(try health.json()["status"] as? String == "ok")
        #expect(Date().timeIntervalSince(started) < 2)
        let scan = try HTTP.request(port: port, path: "/api/scan").json()
        #expect(scan["phase"] != nil)

        var total = -1
        _ = try eventuallyBlocking {
            let page = try HTTP.request(port: port, path: "/api/search?q=&limit=1000")
            #expect(page.status == 200)
            total = try page.json()["total"] as? Int ?? -1
            return total == corpus.visibleTracks.count
        }
        #expect(total == corpus.visibleTracks.count, "\(daemon.stderr.suffix(2000))")
        let search = try HTTP.request(port: port, path: "/api/search?q=\(corpus.visibleTracks[0].tags.title?.split(separator: " ").first ?? "a")")
        #expect(search.status == 200)

        let (status, seconds) = daemon.stop()
        #expect(status == 0, "\(daemon.stderr.suffix(2000))")
        #expect(seconds < 5)
    }

    @Test("run follows the music folder live: a copied file is searchable without a rescan, /api/scan shows the folder watched, /metrics counts the batch")
    func liveWatching() throws {
        let corpus = try Corpus.shared(tracks: 120)
        let dir = try TemporaryDirectory("run-watch")
        let music = dir.appending("Music")
        try FileManager.default.createDirectory(atPath: music + "/Album", withIntermediateDirectories: true)
        let daemon = try RunningDaemon(["--music", music, "--data", dir.appending("data"), "--listen", "127.0.0.1:0"],
                                       environment: ["XDG_DATA_HOME": dir.appending("xdg")])
        let port = try daemon.waitForPort()
        func scan() throws -> [String: Any] { try HTTP.request(port: port, path: "/api/scan").json() }
        _ = try eventuallyBlocking { try scan()["lastFinishedAt"] != nil }
        let watching = try #require(try scan()["watching"] as? [[String: Any]])
        #expect(watching.first?["mode"] as? String == "watching")
        #expect(watching.first?["watchedFolders"] as? Int == 2)

        let source = try #require(corpus.visibleTracks.first { $0.format == "flac" && $0.tags.title != nil })
        try FileManager.default.copyItem(atPath: corpus.root + "/" + source.path, toPath: music + "/Album/new.flac")
        let found = try eventuallyBlocking {
            try HTTP.request(port: port, path: "/api/search?q=&limit=5").json()["total"] as? Int == 1
        }
        #expect(found, "\(daemon.stderr.suffix(2000))")
        // The counter follows the write by a moment.
        #expect(try eventuallyBlocking { try scan()["changesApplied"] as? Int ?? 0 >= 1 })
        let metrics = try HTTP.request(port: port, path: "/metrics").body
        #expect(metrics.contains("omnisonic_watch_batches_total"))
        #expect(metrics.contains("omnisonic_watch_files_total{outcome=\"added\"} 1"), "\(metrics)")
        #expect(daemon.stop().status == 0)
    }

    @Test("SIGTERM while the first scan runs still exits 0 within 5 s, and the next run completes the library")
    func stopDuringScan() throws {
        let corpus = try Corpus.shared(tracks: 300)
        let dir = try TemporaryDirectory("run")
        let arguments = ["--music", corpus.root, "--data", dir.appending("data"), "--listen", "127.0.0.1:0"]
        let first = try RunningDaemon(arguments)
        _ = try first.waitForPort()
        let (status, seconds) = first.stop()
        #expect(status == 0, "\(first.stderr.suffix(2000))")
        #expect(seconds < 5)

        let second = try RunningDaemon(arguments)
        let port = try second.waitForPort()
        var total = -1
        _ = try eventuallyBlocking {
            total = try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["total"] as? Int ?? -1
            let running = try HTTP.request(port: port, path: "/api/scan").json()["running"] as? Bool ?? true
            return total == corpus.visibleTracks.count && !running
        }
        #expect(total == corpus.visibleTracks.count)
        #expect(second.stop().status == 0)
    }

    @Test("DELETE moves a track's file to the XDG trash and POST /api/import adds an upload under a safe name")
    func deleteAndImport() throws {
        let corpus = try Corpus.shared(tracks: 120)
        let dir = try TemporaryDirectory("run")
        let music = dir.appending("Music")
        try corpus.copy(to: music)
        let daemon = try RunningDaemon(["--music", music, "--data", dir.appending("data"), "--listen", "127.0.0.1:0"],
                                       environment: ["XDG_DATA_HOME": dir.appending("xdg")])
        let port = try daemon.waitForPort()
        func total() throws -> Int { try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["total"] as? Int ?? -1 }
        _ = try eventuallyBlocking { try total() == corpus.visibleTracks.count }
        #expect(try total() == corpus.visibleTracks.count)

        // Delete one track.
        let first = try #require((try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["tracks"] as? [[String: Any]])?.first)
        let uid = try #require(first["uid"] as? String)
        let path = try #require(first["path"] as? String)
        let deleted = try HTTP.request("DELETE", port: port, path: "/api/tracks/\(uid)")
        #expect((200..<300).contains(deleted.status), "\(deleted.body)")
        #expect(!FileManager.default.fileExists(atPath: music + "/" + path))
        let trashed = try FileManager.default.contentsOfDirectory(atPath: dir.appending("xdg/Trash/files"))
        #expect(trashed == [(path as NSString).lastPathComponent])
        #expect(try total() == corpus.visibleTracks.count - 1)
        #expect(try HTTP.request(port: port, path: "/api/tracks/\(uid)").status == 404)

        // Import a real file whose name tries to escape the folder.
        let upload = dir.appending("upload.mp3")
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=523:duration=1:sample_rate=22050", "-ac", "1",
                          "-metadata", "title=Uploaded Tone", "-bitexact", upload])
        let boundary = "omnisonic-test-boundary"
        var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"../../escape.mp3\"\r\n".utf8)
        body += Array("Content-Type: audio/mpeg\r\n\r\n".utf8)
        body += Array(try Data(contentsOf: URL(fileURLWithPath: upload)))
        body += Array("\r\n--\(boundary)--\r\n".utf8)
        let imported = try HTTP.request("POST", port: port, path: "/api/import",
                                        headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"], body: body)
        #expect(imported.status == 201, "\(imported.body)")
        let tracks = try imported.json()["tracks"] as? [[String: Any]] ?? []
        #expect(tracks.first?["title"] as? String == "Uploaded Tone")
        #expect(tracks.first?["path"] as? String == "Imported/escape.mp3")
        #expect(FileManager.default.fileExists(atPath: music + "/Imported/escape.mp3"))
        #expect(!FileManager.default.fileExists(atPath: dir.appending("escape.mp3")))
        #expect(try total() == corpus.visibleTracks.count)
        #expect((try HTTP.request(port: port, path: "/api/search?q=uploaded%20tone").json()["total"] as? Int) == 1)

        // A rescan agrees with both changes.
        #expect(try HTTP.request("POST", port: port, path: "/api/scan").status == 202)
        usleep(300_000)
        _ = try eventuallyBlocking { (try HTTP.request(port: port, path: "/api/scan").json()["running"] as? Bool) != true }
        #expect(try total() == corpus.visibleTracks.count)
        #expect(daemon.stop().status == 0)
    }

    @Test("a bad setting stops run at once with exit 2 and a message naming it")
    func badConfiguration() throws {
        let dir = try TemporaryDirectory("run")
        let bad = try Binary.run(["run", "--music", dir.path, "--data", dir.appending("data"), "--listen", "127.0.0.1:99999"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--listen must be HOST:PORT"))

        let open = try Binary.run(["run", "--music", dir.path, "--data", dir.appending("data")],
                                  environment: ["OMNISONIC_LISTEN": "0.0.0.0:0", "OMNISONIC_TOKEN": ""])
        #expect(open.status == 2)
        #expect(open.stderr.contains("OMNISONIC_LISTEN is 0.0.0.0:0"))
        #expect(open.stderr.contains("token"))

        let level = try Binary.run(["run", "--music", dir.path, "--data", dir.appending("data")],
                                   environment: ["OMNISONIC_LOG_LEVEL": "chatty"])
        #expect(level.status == 2)
        #expect(level.stderr.contains("OMNISONIC_LOG_LEVEL must be one of"))
    }
}
