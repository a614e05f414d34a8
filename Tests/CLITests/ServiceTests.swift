import Foundation
import Glibc
import Testing
import TestSupport

/// The service behaviour of the real binary: config file, sd_notify, single instance, SIGHUP,
/// install-service, status and doctor.
@Suite("omnisonicd as a service", .serialized)
struct ServiceTests {
    /// A home of its own: XDG folders inside `dir`, so no config file of the machine applies.
    static func isolated(_ dir: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String: String] {
        ["XDG_CONFIG_HOME": dir.appending("config"), "XDG_DATA_HOME": dir.appending("xdg-data"),
         "XDG_CACHE_HOME": dir.appending("xdg-cache"), "OMNISONIC_CONFIG": "", "NOTIFY_SOCKET": "",
         "OMNISONIC_LISTEN": "", "OMNISONIC_LOG_LEVEL": "", "OMNISONIC_TOKEN": ""].merging(extra) { $1 }
    }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func waitForIdleScan(port: Int, headers: [String: String] = [:]) throws {
        _ = try eventuallyBlocking {
            let scan = try HTTP.request(port: port, path: "/api/scan", headers: headers).json()
            return scan["running"] as? Bool == false && scan["lastFinishedAt"] != nil
        }
    }

    static func total(port: Int) throws -> Int {
        try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["total"] as? Int ?? -1
    }

    @Test("the config file is read from XDG_CONFIG_HOME; the environment beats it and flags beat both (seen in which bad value is named)")
    func precedence() throws {
        let dir = try TemporaryDirectory("svc")
        let file = dir.appending("config/omnisonic/config.toml")
        try Self.write("music = \"music\"\ndata = \"lib\"\nlisten = \"127.0.0.1:99999\"\n", to: file)
        try FileManager.default.createDirectory(atPath: dir.appending("config/omnisonic/music"), withIntermediateDirectories: true)

        let fromFile = try Binary.run(["run"], environment: Self.isolated(dir))
        #expect(fromFile.status == 2)
        #expect(fromFile.stderr.contains("\(file) key \"listen\" must be HOST:PORT"), "\(fromFile.stderr)")

        let fromEnv = try Binary.run(["run"], environment: Self.isolated(dir, ["OMNISONIC_LISTEN": "127.0.0.1:88888"]))
        #expect(fromEnv.status == 2)
        #expect(fromEnv.stderr.contains("OMNISONIC_LISTEN must be HOST:PORT"), "\(fromEnv.stderr)")

        let fromFlag = try Binary.run(["run", "--listen", "127.0.0.1:77777"], environment: Self.isolated(dir, ["OMNISONIC_LISTEN": "127.0.0.1:88888"]))
        #expect(fromFlag.status == 2)
        #expect(fromFlag.stderr.contains("--listen must be HOST:PORT"), "\(fromFlag.stderr)")

        // With a good address from the environment, the file's folders (relative to it) are used.
        let daemon = try RunningDaemon([], environment: Self.isolated(dir, ["OMNISONIC_LISTEN": "127.0.0.1:0"]))
        _ = try daemon.waitForPort()
        #expect(FileManager.default.fileExists(atPath: dir.appending("config/omnisonic/lib/library.sqlite")))
        #expect(FileManager.default.fileExists(atPath: dir.appending("config/omnisonic/lib/omnisonicd.lock")))
        #expect(daemon.stop().status == 0)
    }

    @Test("unknown keys and bad values in the file stop run with exit 2, naming the key and the file")
    func badFile() throws {
        let dir = try TemporaryDirectory("svc")
        let file = dir.appending("omni.toml")
        try Self.write("music = \"/tmp\"\nlog-levle = \"debug\"\n", to: file)
        let unknown = try Binary.run(["run", "--config", file, "--data", dir.appending("data")], environment: Self.isolated(dir))
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("\(file) key \"log-levle\" is not a setting"), "\(unknown.stderr)")

        try Self.write("music = \"/tmp\"\nmax-upload-size = \"lots\"\n", to: file)
        let bad = try Binary.run(["run", "--data", dir.appending("data")], environment: Self.isolated(dir, ["OMNISONIC_CONFIG": file]))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(file) key \"max-upload-size\" must be a positive size"), "\(bad.stderr)")

        let missing = try Binary.run(["run", "--config", dir.appending("nope.toml")], environment: Self.isolated(dir))
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the config file \(dir.appending("nope.toml"))"), "\(missing.stderr)")
    }

    @Test("a second run on the same library folder exits non-zero at once, naming the first one's pid and address")
    func singleInstance() throws {
        let dir = try TemporaryDirectory("svc")
        try FileManager.default.createDirectory(atPath: dir.appending("music"), withIntermediateDirectories: true)
        let arguments = ["--music", dir.appending("music"), "--data", dir.appending("data"), "--listen", "127.0.0.1:0"]
        let first = try RunningDaemon(arguments, environment: Self.isolated(dir))
        let port = try first.waitForPort()
        // The address is in the lock file once the API serves; allow the write after the line.
        usleep(100_000)
        let second = try Binary.run(["run"] + arguments, environment: Self.isolated(dir))
        #expect(second.status == 1)
        #expect(second.stderr.contains("pid \(first.process.processIdentifier)"), "\(second.stderr)")
        #expect(second.stderr.contains("http://127.0.0.1:\(port)"), "\(second.stderr)")
        #expect(second.stderr.contains(dir.appending("data")))
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(first.stop().status == 0)

        // Once the first is gone, the folder is free again (the lock file stays; the lock does not).
        let third = try RunningDaemon(arguments, environment: Self.isolated(dir))
        _ = try third.waitForPort()
        #expect(third.stop().status == 0)
    }

    @Test("sd_notify: READY=1 once the API answers, STATUS lines during the scan, WATCHDOG=1 at half WATCHDOG_USEC, STOPPING=1 on SIGTERM (exit 0 within 5 s); the scan logs a few lines, not one per file")
    func notifyProtocol() throws {
        let corpus = try Corpus.shared(tracks: 120)
        let dir = try TemporaryDirectory("svc")
        let socket = try NotifySocket(path: dir.appending("notify.sock"))
        let daemon = try RunningDaemon(["--music", corpus.root, "--data", dir.appending("data"), "--listen", "127.0.0.1:0"],
                                       environment: Self.isolated(dir, ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "200000"]))
        #expect(socket.wait { $0 == "READY=1" } != nil, "\(daemon.stderr.suffix(2000))")
        let port = try daemon.waitForPort()
        // READY=1 means the API answers now.
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(socket.wait { $0.hasPrefix("STATUS=Idle; last scan: ") } != nil, "\(socket.messages)")
        let messages = socket.messages
        #expect(messages.contains { $0.hasPrefix("STATUS=Indexed ") && $0.hasSuffix(" files") }, "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(messages)")
        #expect(messages.filter { $0 == "READY=1" }.count == 1)
        // No log spam: a few lines for a 120-file scan, one per unreadable file, none from FFmpeg at info.
        let lines = daemon.stderr.split(separator: "\n")
        #expect(lines.count < 20, "\(daemon.stderr)")
        #expect(!daemon.stderr.contains("ffmpeg.level"), "\(daemon.stderr)")
        #expect(lines.filter { $0.contains("msg=\"scan finished\"") }.count == 1, "\(daemon.stderr)")

        let (status, seconds) = daemon.stop()
        #expect(status == 0, "\(daemon.stderr.suffix(2000))")
        #expect(seconds < 5)
        #expect(socket.messages.contains("STOPPING=1"))
    }

    @Test("sd_notify reaches an abstract socket (@name); a WATCHDOG_PID of another process turns the watchdog off")
    func abstractNotifySocket() throws {
        let dir = try TemporaryDirectory("svc")
        try FileManager.default.createDirectory(atPath: dir.appending("music"), withIntermediateDirectories: true)
        let socket = try NotifySocket(path: nil)
        let daemon = try RunningDaemon(["--music", dir.appending("music"), "--data", dir.appending("data"), "--listen", "127.0.0.1:0"],
                                       environment: Self.isolated(dir, ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "100000",
                                                                        "WATCHDOG_PID": "1"]))
        #expect(socket.wait { $0 == "READY=1" } != nil, "\(daemon.stderr.suffix(2000))")
        usleep(400_000)
        #expect(!socket.messages.contains("WATCHDOG=1"))
        #expect(daemon.stop().status == 0)
        #expect(socket.messages.contains("STOPPING=1"))
    }

    @Test("SIGHUP adds a music folder from the edited file (its tracks become searchable) and changes the log level; a bad file on reload is logged and the old configuration kept")
    func reload() throws {
        let corpus = try Corpus.shared(tracks: 120)
        let dir = try TemporaryDirectory("svc")
        let empty = dir.appending("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let file = dir.appending("config/omnisonic/config.toml")
        try Self.write("music = [\"\(empty)\"]\ndata = \"\(dir.appending("data"))\"\nlisten = \"127.0.0.1:0\"\nlog-level = \"warning\"\n", to: file)
        let daemon = try RunningDaemon([], environment: Self.isolated(dir))
        let port = try daemon.waitForPort()
        try Self.waitForIdleScan(port: port)
        #expect(try Self.total(port: port) == 0)
        #expect(!daemon.stderr.contains("level=info"), "\(daemon.stderr)")

        try Self.write("music = [\"\(empty)\", \"\(corpus.root)\"]\ndata = \"\(dir.appending("data"))\"\nlisten = \"127.0.0.1:0\"\n", to: file)
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = try eventuallyBlocking { try Self.total(port: port) == corpus.visibleTracks.count }
        #expect(try Self.total(port: port) == corpus.visibleTracks.count, "\(daemon.stderr.suffix(2000))")
        // Info lines appear once the reloaded level (info) applies.
        #expect(daemon.stderr.contains("level=info msg=\"configuration reloaded\""))
        #expect(daemon.stderr.contains("level=info msg=\"music folders changed\" roots=2"))
        // A track of the added folder streams too (the web layer sees the new folders).
        let uid = try #require((try HTTP.request(port: port, path: "/api/search?q=&limit=1").json()["tracks"] as? [[String: Any]])?.first?["uid"] as? String)
        #expect(try HTTP.request("HEAD", port: port, path: "/api/tracks/\(uid)/stream").status == 200)

        try Self.write("music = 3\n", to: file)
        kill(daemon.process.processIdentifier, SIGHUP)
        _ = eventuallyBlocking { daemon.stderr.contains("configuration not reloaded") }
        #expect(daemon.stderr.contains("configuration not reloaded; keeping the old one"), "\(daemon.stderr.suffix(2000))")
        #expect(daemon.stderr.contains("key \\\"music\\\" must be a string or an array of strings"), "\(daemon.stderr.suffix(2000))")
        #expect(try HTTP.request(port: port, path: "/healthz").status == 200)
        #expect(try Self.total(port: port) == corpus.visibleTracks.count)
        #expect(daemon.stop().status == 0)
    }

    @Test("status prints the running daemon's library and scan (and --json its answer); with no daemon it exits 3")
    func status() throws {
        let corpus = try Corpus.shared(tracks: 120)
        let dir = try TemporaryDirectory("svc")
        let data = dir.appending("data")
        let none = try Binary.run(["status", "--data", data], environment: Self.isolated(dir))
        #expect(none.status == 3)
        #expect(none.stderr.contains("no daemon is running on \(data)"))

        let token = "status-test-token-0123456789"
        let daemon = try RunningDaemon(["--music", corpus.root, "--data", data, "--listen", "127.0.0.1:0"],
                                       environment: Self.isolated(dir, ["OMNISONIC_TOKEN": token]))
        let port = try daemon.waitForPort()
        try Self.waitForIdleScan(port: port, headers: ["Authorization": "Bearer \(token)"])
        let json = try Binary.run(["status", "--data", data, "--json"], environment: Self.isolated(dir, ["OMNISONIC_TOKEN": token]))
        #expect(json.status == 0, "\(json.stderr)")
        let object = try Binary.object(json.stdout)
        let library = try #require(object["library"] as? [String: Any])
        #expect(library["tracks"] as? Int == corpus.visibleTracks.count)
        #expect((library["albums"] as? Int ?? 0) > 0)
        #expect((library["artists"] as? Int ?? 0) > 0)
        #expect(object["pid"] as? Int == Int(daemon.process.processIdentifier))
        #expect((object["scan"] as? [String: Any])?["phase"] as? String == "idle")
        #expect(object["version"] as? String == "0.1.0")

        let text = try Binary.run(["status", "--data", data], environment: Self.isolated(dir, ["OMNISONIC_TOKEN": token]))
        #expect(text.status == 0)
        #expect(text.stdout.contains("is running (pid \(daemon.process.processIdentifier)) on http://127.0.0.1:\(port)"), "\(text.stdout)")
        #expect(text.stdout.contains("library: \(corpus.visibleTracks.count) tracks"), "\(text.stdout)")
        #expect(text.stdout.contains("scan: idle"))
        #expect(text.stdout.contains("watching: "), "\(text.stdout)")
        #expect(text.stdout.contains("player: stopped, 0 in the queue, volume 100%"), "\(text.stdout)")
        #expect(text.stdout.contains("sync: off (no sync server configured)"), "\(text.stdout)")
        #expect((object["sync"] as? [String: Any])?["enabled"] as? Bool == false)
        #expect((object["player"] as? [String: Any])?["state"] as? String == "stopped")

        let wrongToken = try Binary.run(["status", "--data", data], environment: Self.isolated(dir, ["OMNISONIC_TOKEN": "another-token-0123456789"]))
        #expect(wrongToken.status == 1)
        #expect(wrongToken.stderr.contains("HTTP 401"))

        // doctor sees the daemon through the same lock file, and a server answering /healthz is reachable.
        let doctor = try Binary.run(["doctor", "--data", data, "--sync-url", "http://127.0.0.1:\(port)"],
                                    environment: Self.isolated(dir, ["OMNISONIC_MUSIC": corpus.root]))
        #expect(doctor.stdout.contains("ok    daemon: running (pid \(daemon.process.processIdentifier), http://127.0.0.1:\(port))"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("ok    sync: http://127.0.0.1:\(port) answers"), "\(doctor.stdout)")
        // Without a music folder in its own settings, doctor checks the running daemon's (started with --music).
        let asked = try Binary.run(["doctor", "--data", data], environment: Self.isolated(dir, ["OMNISONIC_TOKEN": token]))
        #expect(asked.stdout.contains("ok    music: \(corpus.root): "), "\(asked.stdout)")
        #expect(!asked.stdout.contains("FAIL  music"), "\(asked.stdout)")
        // --music names the folders to check.
        let named = try Binary.run(["doctor", "--data", data, "--music", dir.appending("nowhere")], environment: Self.isolated(dir))
        #expect(named.stdout.contains("FAIL  music: \(dir.appending("nowhere")) does not exist"), "\(named.stdout)")

        let metrics = try HTTP.request(port: port, path: "/metrics", headers: ["Authorization": "Bearer \(token)"])
        #expect(metrics.body.contains("omnisonic_uptime_seconds"))
        #expect(metrics.body.contains("omnisonic_build_info{version=\"0.1.0\"} 1"))
        #expect(daemon.stop().status == 0)
    }

    @Test("doctor reports each check with a fix and exits 1 when one fails (missing folder, low inotify limit, bad config, unreachable sync server)")
    func doctor() throws {
        let dir = try TemporaryDirectory("svc")
        let music = dir.appending("music")
        try FileManager.default.createDirectory(atPath: music + "/a/b", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: music + "/c", withIntermediateDirectories: true)
        let proc = dir.appending("proc")
        try Self.write("8192\n", to: proc + "/sys/fs/inotify/max_user_watches")
        try Self.write("128\n", to: proc + "/sys/fs/inotify/max_user_instances")
        try Self.write("--- no soundcards ---\n", to: proc + "/asound/cards")
        try Self.write("1000\n", to: proc + "/sys/user/max_user_namespaces")
        let file = dir.appending("config/omnisonic/config.toml")
        try Self.write("music = \"\(music)\"\ndata = \"\(dir.appending("data"))\"\n", to: file)

        let good = try Binary.run(["doctor", "--proc", proc], environment: Self.isolated(dir))
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("ok    config: \(file) is valid"), "\(good.stdout)")
        #expect(good.stdout.contains("ok    music: \(music): 4 folders, all readable"), "\(good.stdout)")
        #expect(good.stdout.contains("ok    inotify: max_user_watches 8192 for 4 folders"), "\(good.stdout)")
        #expect(good.stdout.contains("warn  sound: no sound card"), "\(good.stdout)")
        #expect(good.stdout.contains("ok    disk: data folder"), "\(good.stdout)")

        try Self.write("3\n", to: proc + "/sys/fs/inotify/max_user_watches")
        try Self.write("music = [\"\(music)\", \"\(dir.appending("gone"))\"]\n", to: file)
        let bad = try Binary.run(["doctor", "--proc", proc, "--sync-url", "http://127.0.0.1:1"], environment: Self.isolated(dir))
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("FAIL  music: \(dir.appending("gone")) does not exist"), "\(bad.stdout)")
        #expect(bad.stdout.contains("FAIL  inotify: max_user_watches is 3 but the music folders hold 4 folders"), "\(bad.stdout)")
        #expect(bad.stdout.contains("fix: echo fs.inotify.max_user_watches="), "\(bad.stdout)")
        #expect(bad.stdout.contains("FAIL  sync: http://127.0.0.1:1 is unreachable"), "\(bad.stdout)")

        try Self.write("music = \"\(music)\"\nlisten = \"nowhere\"\n", to: file)
        let config = try Binary.run(["doctor", "--proc", proc], environment: Self.isolated(dir))
        #expect(config.status == 1)
        #expect(config.stdout.contains("FAIL  config: \(file) key \"listen\" must be HOST:PORT"), "\(config.stdout)")
    }

    @Test("install-service writes the user unit with this binary in ExecStart; the checked-in unit is the same text for /usr/local/bin")
    func installService() throws {
        let dir = try TemporaryDirectory("svc")
        let printed = try Binary.run(["install-service", "--print"], environment: Self.isolated(dir))
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("\nExecStart=\(Binary.path) run\n"), "\(printed.stdout)")
        #expect(printed.stdout.contains("\nType=notify\n"))
        #expect(printed.stdout.contains("\nWatchdogSec="))
        #expect(printed.stdout.contains("\nProtectSystem=strict\n"))
        #expect(printed.stdout.contains("\nProtectHome=read-only\n"))
        #expect(printed.stdout.contains("\nMemoryDenyWriteExecute=yes\n"))
        #expect(printed.stdout.contains("\nLimitNOFILE=65536\n"))

        let written = try Binary.run(["install-service"], environment: Self.isolated(dir))
        #expect(written.status == 0, "\(written.stderr)")
        let unitPath = dir.appending("config/systemd/user/omnisonicd.service")
        #expect(try String(contentsOfFile: unitPath, encoding: .utf8) == printed.stdout)
        #expect(written.stdout.contains("systemctl --user enable --now omnisonicd"))

        let plain = try Binary.run(["install-service", "--print", "--no-sandbox"], environment: Self.isolated(dir))
        #expect(!plain.stdout.contains("ProtectSystem"))
        #expect(!plain.stdout.contains("# sandbox"))
        #expect(plain.stdout.contains("NoNewPrivileges=yes"))
        #expect(!plain.stdout.contains("ProtectHome"))
        #expect(plain.stdout.contains("SystemCallFilter=@system-service"))

        let checkedIn = try String(contentsOfFile: Self.repository + "/systemd/omnisonicd.service", encoding: .utf8)
        let generated = try Binary.run(["install-service", "--print", "--executable", "/usr/local/bin/omnisonicd"], environment: Self.isolated(dir))
        #expect(checkedIn == generated.stdout, "systemd/omnisonicd.service differs from `omnisonicd install-service --print --executable /usr/local/bin/omnisonicd`")
    }

    @Test("systemd-analyze verify accepts the generated user unit and both checked-in units (ExecStart pointed at the built binary)")
    func verifyUnits() throws {
        let dir = try TemporaryDirectory("svc")
        let units = dir.appending("units")
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        let generated = try Binary.run(["install-service", "--print"], environment: Self.isolated(dir))
        try Self.write(generated.stdout, to: units + "/omnisonicd.service")
        let sync = try String(contentsOfFile: Self.repository + "/systemd/omnisonic-sync.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/omnisonicd", with: Binary.path)
        try Self.write(sync, to: units + "/omnisonic-sync.service")
        let checkedIn = try String(contentsOfFile: Self.repository + "/systemd/omnisonicd.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/omnisonicd", with: Binary.path)
        try Self.write(checkedIn, to: units + "/checked-in/omnisonicd.service")

        // A user manager's verify needs a runtime folder of its own.
        let runtime = dir.appending("runtime")
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (unit, manager) in [(units + "/omnisonicd.service", ["--user"]), (units + "/checked-in/omnisonicd.service", ["--user"]),
                                (units + "/omnisonic-sync.service", ["--system"])] {
            let result = try Shell.capture("/usr/bin/systemd-analyze", manager + ["verify", "--man=no", unit],
                                           environment: ["SYSTEMD_LOG_LEVEL": "notice", "XDG_RUNTIME_DIR": runtime])
            #expect(result.status == 0, "\(unit): \(result.stderr)")
            #expect(!result.stderr.contains(".service:"), "\(unit): \(result.stderr)")
        }
    }

    @Test("systemd-analyze security --offline rates the user unit 4.0 or better (it was 7.9) and the sync server's unit too")
    func securityScore() throws {
        let dir = try TemporaryDirectory("svc")
        let runtime = dir.appending("runtime")
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let generated = try Binary.run(["install-service", "--print"], environment: Self.isolated(dir))
        try Self.write(generated.stdout, to: dir.appending("units/omnisonicd.service"))
        let sync = Self.repository + "/systemd/omnisonic-sync.service"
        for (unit, manager) in [(dir.appending("units/omnisonicd.service"), ["--user"]), (sync, ["--system"])] {
            let result = try Shell.capture("/usr/bin/systemd-analyze", manager + ["security", "--offline=yes", unit],
                                           environment: ["SYSTEMD_LOG_LEVEL": "notice", "XDG_RUNTIME_DIR": runtime])
            // "→ Overall exposure level for omnisonicd.service: 2.1 OK 🙂"
            let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(result.stdout)\(result.stderr)")
            let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
            #expect(score <= 4.0, "\(unit): \(line)")
        }
    }

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
