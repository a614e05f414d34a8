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

/// `omnisonicd run` started as a real process, with its output read as it comes.
final class RunningDaemon: @unchecked Sendable {
    let process = Process()
    private let stdoutLines = Locked<[String]>([])
    private let stderrText = Locked<String>("")

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["run"] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let lines = stdoutLines, text = stderrText
        Thread.detachNewThread {
            var buffer = ""
            while true {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                buffer += String(decoding: data, as: UTF8.self)
                while let newline = buffer.firstIndex(of: "\n") {
                    let line = String(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    lines.withLock { $0.append(line) }
                }
            }
        }
        Thread.detachNewThread {
            while true {
                let data = err.fileHandleForReading.availableData
                if data.isEmpty { break }
                text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var stderr: String { stderrText.withLock { $0 } }

    /// Waits for `listening on http://HOST:PORT` and returns the port.
    func waitForPort(timeout: Double = 30) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdoutLines.withLock({ $0.first { $0.hasPrefix("listening on http://") } }),
               let port = Int(line.split(separator: ":").last ?? "") {
                return port
            }
            if !process.isRunning { break }
            usleep(10_000)
        }
        throw Shell.Failure(command: "omnisonicd run", status: process.isRunning ? -1 : process.terminationStatus, stderr: stderr)
    }

    /// Sends `signal` and waits for the exit; returns the status and the seconds it took.
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 10) -> (status: Int32, seconds: Double) {
        let start = Date()
        kill(process.processIdentifier, signal)
        while process.isRunning && Date().timeIntervalSince(start) < timeout { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (-1, Date().timeIntervalSince(start))
        }
        return (process.terminationStatus, Date().timeIntervalSince(start))
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A minimal HTTP/1.1 client over a real socket (`Connection: close`), enough for JSON GETs.
enum HTTP {
    struct Response {
        var status: Int
        var body: String
        func json() throws -> [String: Any] { try Binary.object(body) }
    }

    static func request(_ method: String = "GET", port: Int, path: String, headers: [String: String] = [:]) throws -> Response {
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
        text += "Content-Length: 0\r\n\r\n"
        _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress!, $0.count, 0) }
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
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let page = try HTTP.request(port: port, path: "/api/search?q=&limit=1000")
            #expect(page.status == 200)
            total = try page.json()["total"] as? Int ?? -1
            if total == corpus.visibleTracks.count { break }
            usleep(100_000)
        }
        #expect(total == corpus.visibleTracks.count, "\(daemon.stderr.suffix(2000))")
        let search = try HTTP.request(port: port, path: "/api/search?q=\(corpus.visibleTracks[0].tags.title?.split(separator: " ").first ?? "a")")
        #expect(search.status == 200)

        let (status, seconds) = daemon.stop()
        #expect(status == 0, "\(daemon.stderr.suffix(2000))")
        #expect(seconds < 5)
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
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            total = try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["total"] as? Int ?? -1
            let running = try HTTP.request(port: port, path: "/api/scan").json()["running"] as? Bool ?? true
            if total == corpus.visibleTracks.count && !running { break }
            usleep(100_000)
        }
        #expect(total == corpus.visibleTracks.count)
        #expect(second.stop().status == 0)
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
