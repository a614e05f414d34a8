import Foundation
import Glibc
import GRDB
import Testing
import TestSupport

/// Any omnisonicd subcommand started as a real process, its stdout read line by line and its
/// stderr collected as they come.
class RunningCommand: @unchecked Sendable {
    let process = Process()
    private let lines = Locked<[String]>([])
    private let errors = Locked<String>("")

    /// - Parameter wrapper: a command that runs omnisonicd, such as `["/usr/bin/prlimit", "--nofile=1024"]`.
    init(_ arguments: [String], environment: [String: String] = [:], wrapper: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: wrapper.first ?? Binary.path)
        process.arguments = wrapper.isEmpty ? arguments : Array(wrapper.dropFirst()) + [Binary.path] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let lines = self.lines, errors = self.errors
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
                errors.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var stderr: String { errors.withLock { $0 } }

    /// Waits for `listening on http://HOST:PORT` (or https) and returns the port.
    func waitForPort(timeout: Double = 30) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = lines.withLock({ $0.first { $0.hasPrefix("listening on http://") || $0.hasPrefix("listening on https://") } }),
               let port = Int(line.split(separator: ":").last ?? "") {
                return port
            }
            if !process.isRunning { break }
            usleep(10_000)
        }
        throw Shell.Failure(command: "omnisonicd " + (process.arguments?.joined(separator: " ") ?? ""),
                            status: process.isRunning ? -1 : process.terminationStatus, stderr: stderr)
    }

    /// Sends `signal` and waits for the exit (SIGKILL after `timeout`); returns the status (-1
    /// when it had to be killed) and the seconds it took.
    @discardableResult
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

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Where the sync servers of an end-to-end test keep their data.
enum SyncBackend: String, CaseIterable, Sendable {
    /// `--data DIR`: one server process.
    case sqlite
    /// `--postgres URL` on a throwaway PostgreSQL: two server processes over one database, each
    /// device talking to its own.
    case postgres
}

@Suite("Sync end to end: sync servers and daemons as real processes", .serialized)
struct SyncEndToEndTests {
    /// The storage options of every `sync-server` command of one test.
    struct Store {
        let arguments: [String]
        let postgresURL: String?

        init(_ backend: SyncBackend, _ dir: TemporaryDirectory) throws {
            switch backend {
            case .sqlite:
                arguments = ["--data", dir.appending("server")]
                postgresURL = nil
            case .postgres:
                let url = try PostgresServer.shared().database()
                arguments = ["--postgres", url]
                postgresURL = url
            }
        }

        /// Starts a server on `port` (0: a free one).
        func serve(port: Int = 0) throws -> RunningCommand {
            try RunningCommand(["sync-server", "serve"] + arguments + ["--listen", "127.0.0.1:\(port)"])
        }

        /// A new device of `user`: the token printed as the last line.
        func token(user: String) throws -> String {
            let output = try Binary.run(["sync-server", "add-device"] + arguments + ["--user", user])
            return String(output.stdout.split(separator: "\n").last ?? "")
        }

        /// Operations stored, distinct operation ids, and the largest sequence number.
        func storedCounts() throws -> [Int] {
            let sql = "SELECT count(*), count(DISTINCT %@), coalesce(max(seq), 0) FROM %@"
            if let postgresURL {
                let line = try PostgresServer.shared().psql(postgresURL, String(format: sql, "op_id", "sync_op"))
                return line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
            }
            return try DatabaseQueue(path: arguments[1] + "/sync.sqlite").read { db in
                let row = try Row.fetchOne(db, sql: String(format: sql, "opId", "op"))!
                return [row[0], row[1], row[2]]
            }
        }
    }


    struct Setup {
        let dir: TemporaryDirectory
        var serverPort: Int
        let tokens: [String: String]
        let uids: [String]
    }

    /// The same six audio files in two music folders, under different paths and names.
    func musicFolders(_ dir: TemporaryDirectory) throws -> (String, String) {
        let corpus = try Corpus.shared(tracks: 300)
        let tracks = corpus.visibleTracks.filter { $0.kind == "album" }.prefix(6)
        let a = dir.appending("music-a"), b = dir.appending("music-b")
        try FileManager.default.createDirectory(atPath: a, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: b + "/other/place", withIntermediateDirectories: true)
        for (index, track) in tracks.enumerated() {
            let source = corpus.root + "/" + track.path
            let name = (track.path as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: source, toPath: a + "/\(index)-" + name)
            try FileManager.default.copyItem(atPath: source, toPath: b + "/other/place/renamed \(index)." + (name as NSString).pathExtension)
        }
        return (a, b)
    }

    func daemon(_ dir: TemporaryDirectory, _ name: String, music: String, server: Int, token: String) throws -> (RunningCommand, Int) {
        let process = try RunningCommand(["run", "--music", music, "--data", dir.appending("data-\(name)"), "--listen", "127.0.0.1:0",
                                          "--sync-url", "http://127.0.0.1:\(server)"],
                                         environment: ["OMNISONIC_SYNC_TOKEN": token, "XDG_DATA_HOME": dir.appending("xdg")])
        return (process, try process.waitForPort())
    }

    func json(_ method: String = "GET", _ port: Int, _ path: String, _ body: String? = nil) throws -> [String: Any] {
        let response = try HTTP.request(method, port: port, path: path,
                                        headers: body == nil ? [:] : ["Content-Type": "application/json"], body: Array((body ?? "").utf8))
        guard (200..<300).contains(response.status) else {
            throw Shell.Failure(command: "\(method) \(path)", status: Int32(response.status), stderr: response.body)
        }
        return response.body.isEmpty ? [:] : try response.json()
    }

    func get(_ port: Int, _ path: String) throws -> [String: Any] { try json("GET", port, path) }

    func uids(_ port: Int) throws -> [String] {
        let tracks = try get(port, "/api/search?q=&limit=100")["tracks"] as? [[String: Any]] ?? []
        return tracks.compactMap { $0["uid"] as? String }.sorted()
    }

    func playlist(_ port: Int, _ id: String) -> (name: String, uids: [String], items: [String])? {
        guard let object = try? get(port, "/api/playlists/\(id)"), let name = object["name"] as? String else { return nil }
        let items = object["items"] as? [[String: Any]] ?? []
        return (name, items.compactMap { $0["uid"] as? String }, items.compactMap { $0["itemId"] as? String })
    }

    @Test("Given a sync server and two daemons of one user whose folders hold the same files under other names, when one edits a playlist, then the other shows it in order; offline edits on both converge when the server returns; another user's device receives nothing (PostgreSQL: each daemon on its own server process over one database)",
          arguments: SyncBackend.allCases)
    func playlistsFollowTheUser(backend: SyncBackend) throws {
        let dir = try TemporaryDirectory("sync-e2e")
        let store = try Store(backend, dir)
        let (musicA, musicB) = try musicFolders(dir)
        let tokenA = try store.token(user: "alice"), tokenB = try store.token(user: "alice")
        let tokenC = try store.token(user: "bob")
        #expect(tokenA.count == 64 && tokenA != tokenB)
        let listed = try Binary.run(["sync-server", "list-devices"] + store.arguments).stdout
        #expect(listed.contains("alice") && listed.contains("bob"))
        #expect(!listed.contains(tokenA))

        // SQLite: one server for every device; PostgreSQL: B talks to a second server process.
        var server = try store.serve()
        let serverPort = try server.waitForPort()
        var second = backend == .postgres ? try store.serve() : nil
        let secondPort = try second?.waitForPort() ?? serverPort
        let (daemonA, portA) = try daemon(dir, "a", music: musicA, server: serverPort, token: tokenA)
        let (daemonB, portB) = try daemon(dir, "b", music: musicB, server: secondPort, token: tokenB)
        let (daemonC, portC) = try daemon(dir, "c", music: musicA, server: secondPort, token: tokenC)
        #expect(try eventuallyBlocking { try uids(portA).count == 6 && uids(portB).count == 6 && uids(portC).count == 6 })
        let tracks = try uids(portA)
        #expect(try uids(portB) == tracks) // same audio, other paths: same identities

        // A playlist made on A appears on B, same tracks, same order.
        let created = try json("POST", portA, "/api/playlists", #"{"name":"Road trip"}"#)
        let id = try #require(created["id"] as? String)
        let order = [tracks[3], tracks[0], tracks[5], tracks[3]]
        _ = try json("POST", portA, "/api/playlists/\(id)/items", #"{"uids":\#(String(decoding: try JSONEncoder().encode(order), as: UTF8.self))}"#)
        #expect(eventuallyBlocking { playlist(portB, id)?.uids == order }, "\(daemonB.stderr.suffix(1500))")
        #expect(playlist(portB, id)?.name == "Road trip")
        #expect(try eventuallyBlocking { try get(portB, "/api/sync")["connected"] as? Bool == true })

        // Servers down: both edit. A renames, then B renames later; A adds, B removes an item.
        server.stop()
        second?.stop()
        _ = try json("PATCH", portA, "/api/playlists/\(id)", #"{"name":"A's name"}"#)
        usleep(30_000)
        _ = try json("PATCH", portB, "/api/playlists/\(id)", #"{"name":"B's name, later"}"#)
        _ = try json("POST", portA, "/api/playlists/\(id)/items", #"{"uids":["\#(tracks[1])"],"index":0}"#)
        let removed = try #require(playlist(portB, id)?.items[1])
        _ = try HTTP.request("DELETE", port: portB, path: "/api/playlists/\(id)/items/\(removed)")
        #expect(try eventuallyBlocking { try get(portA, "/api/sync")["connected"] as? Bool == false })
        #expect(try get(portA, "/api/sync")["pending"] as? Int ?? 0 > 0)

        // The servers return on the same ports: both converge.
        server = try store.serve(port: serverPort)
        _ = try server.waitForPort()
        if second != nil {
            second = try store.serve(port: secondPort)
            _ = try second?.waitForPort()
        }
        let expected = [tracks[1], tracks[3], tracks[5], tracks[3]]
        #expect(eventuallyBlocking {
            guard let a = playlist(portA, id), let b = playlist(portB, id) else { return false }
            return a.name == "B's name, later" && b.name == a.name && a.items == b.items && a.uids == expected
        }, "A: \(String(describing: playlist(portA, id))) B: \(String(describing: playlist(portB, id))) \(daemonA.stderr.suffix(800))")
        #expect(try eventuallyBlocking { try get(portA, "/api/sync")["pending"] as? Int == 0 })

        // Bob's device saw nothing of Alice's.
        #expect((try get(portC, "/api/playlists")["playlists"] as? [Any])?.isEmpty == true)
        #expect(playlist(portC, id) == nil)
        #expect(try eventuallyBlocking { try get(portC, "/api/sync")["connected"] as? Bool == true })

        for process in [daemonA, daemonB, daemonC, server] + (second.map { [$0] } ?? []) { process.stop() }
    }

    @Test("Given a server killed (SIGKILL) while a device pushes many changes, when it restarts, then its stream holds every operation exactly once and both devices agree",
          arguments: SyncBackend.allCases)
    func serverKilledMidPush(backend: SyncBackend) throws {
        let dir = try TemporaryDirectory("sync-kill")
        let store = try Store(backend, dir)
        let (musicA, musicB) = try musicFolders(dir)
        let tokenA = try store.token(user: "alice"), tokenB = try store.token(user: "alice")
        var server = try store.serve()
        let serverPort = try server.waitForPort()
        let (daemonA, portA) = try daemon(dir, "a", music: musicA, server: serverPort, token: tokenA)
        let (daemonB, portB) = try daemon(dir, "b", music: musicB, server: serverPort, token: tokenB)
        #expect(try eventuallyBlocking { try uids(portA).count == 6 && uids(portB).count == 6 })
        let tracks = try uids(portA)
        let id = try #require(try json("POST", portA, "/api/playlists", #"{"name":"Many"}"#)["id"] as? String)
        // Changes keep coming while the server is killed and restarted.
        for round in 0..<60 {
            let uid = tracks[round % tracks.count]
            _ = try json("POST", portA, "/api/playlists/\(id)/items", #"{"uids":["\#(uid)","\#(uid)"]}"#)
            _ = try HTTP.request("POST", port: round % 2 == 0 ? portA : portB, path: "/api/tracks/\(uid)/played")
            if round == 20 { server.stop(SIGKILL) }
            if round == 35 {
                server = try store.serve(port: serverPort)
                _ = try server.waitForPort()
            }
        }
        #expect(eventuallyBlocking {
            guard let a = playlist(portA, id), let b = playlist(portB, id) else { return false }
            return a.items.count == 120 && a.items == b.items
        }, "\(daemonA.stderr.suffix(800))")
        #expect(try eventuallyBlocking { try get(portA, "/api/sync")["pending"] as? Int == 0 && get(portB, "/api/sync")["pending"] as? Int == 0 })
        for process in [daemonA, daemonB, server] { process.stop() }

        // Every operation of both devices is on the server exactly once, numbered without gaps.
        let stored = try store.storedCounts()
        func logged(_ name: String) throws -> Int {
            try DatabaseQueue(path: dir.appending("data-\(name)/library.sqlite")).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM opLog")! }
        }
        let (countA, countB) = (try logged("a"), try logged("b"))
        #expect(countA == countB)
        #expect(stored == [countA, countA, countA])
    }

    @Test("Given --tls-cert and --tls-key, the sync server speaks HTTPS only: a client trusting the certificate pushes and pulls, plain HTTP gets no answer, and a bad key stops it at once naming the file")
    func nativeTLS() throws {
        let dir = try TemporaryDirectory("sync-tls")
        let cert = dir.appending("cert.pem"), key = dir.appending("key.pem")
        _ = try Shell.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                                               "-addext", "subjectAltName=IP:127.0.0.1"])
        let store = try Store(.sqlite, dir)
        let token = try store.token(user: "alice")
        let server = try RunningCommand(["sync-server", "serve"] + store.arguments + ["--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let port = try server.waitForPort()
        let base = "https://127.0.0.1:\(port)"
        func curl(_ arguments: [String]) throws -> Shell.Output {
            try Shell.capture("/usr/bin/curl", ["-sS", "--max-time", "10", "--cacert", cert] + arguments)
        }
        #expect(try curl([base + "/healthz"]).stdout.contains("\"ok\""))
        let op = #"{"ops":[{"hlc":"0199c82cc000-00000000-dev-tls","target":"p1","kind":"playlist.rename","payload":{"name":"over TLS"}}]}"#
        let push = try curl(["-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "--data", op, base + "/v1/push"])
        #expect(push.stdout.contains("\"accepted\":1"), "\(push.stdout) \(push.stderr)")
        let pull = try curl(["-H", "Authorization: Bearer \(token)", base + "/v1/pull?after=0"])
        #expect(pull.stdout.contains("over TLS"), "\(pull.stdout)")
        // Without the certificate trusted, and in plain HTTP, nothing gets through.
        #expect(try Shell.capture("/usr/bin/curl", ["-sS", "--max-time", "10", base + "/healthz"]).status != 0)
        let plain = try Shell.capture("/usr/bin/curl", ["-sS", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        #expect(plain.status != 0 || !plain.stdout.contains("ok"))

        // A key that is not a key: exit 1 at once, the file named.
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: dir.appending("bad.pem")))
        let bad = try Binary.run(["sync-server", "serve"] + store.arguments + ["--listen", "127.0.0.1:0", "--tls-cert", cert,
                                                                              "--tls-key", dir.appending("bad.pem")])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("bad.pem"))
        let half = try Binary.run(["sync-server", "serve"] + store.arguments + ["--listen", "127.0.0.1:0", "--tls-cert", cert])
        #expect(half.status != 0 && half.stderr.contains("--tls-key"))
    }
}
