import ArgumentParser
import Daemon
import Foundation
import Glibc

/// `omnisonicd doctor`: checks what the daemon depends on and says how to fix each problem.
///
/// Each check reports `ok`, `warn` (works, but something is missing or tight) or `FAIL` (the
/// daemon will not work as configured); the exit status is 1 when any check fails.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the configuration, music folders, inotify limits, sound cards, disk space and the sync server.")

    @OptionGroup var options: ServiceOptions

    @Option(name: .customLong("sync-url"), help: "A sync server to test (http://HOST:PORT; default: the configured one); its /healthz must answer.")
    var syncURL: String?

    @Option(name: .customLong("music"), help: "A music folder to check (repeatable; default: the running daemon's folders, else the configured ones).",
            completion: .directory)
    var music: [String] = []

    @Option(name: .customLong("proc"), help: ArgumentHelp("The proc filesystem to read (tests).", visibility: .hidden))
    var proc = "/proc"

    func run() throws {
        var report = DoctorReport()
        let sources = options.sources()
        var configuration: Configuration?
        do {
            configuration = try sources.resolve()
            let file = FileManager.default.fileExists(atPath: sources.configFile) ? "\(sources.configFile) is valid" : "no config file (\(sources.configFile)); defaults and environment apply"
            report.ok("config", file)
        } catch {
            report.fail("config", error.description, fix: "correct the setting named above (keys: systemd/config.example.toml)")
        }
        if let configuration {
            // The folders that matter are the running daemon's (started with --music, say), not
            // only the configured ones: ask it, as `status` does.
            let roots: [String]
            if !music.isEmpty {
                roots = music
            } else if let running = Self.runningDaemonMusic(configuration) {
                roots = running
                report.ok("music", "checking the running daemon's folders: \(running.joined(separator: ", "))")
            } else {
                roots = configuration.music
            }
            let folders = checkMusic(roots, report: &report)
            checkInotify(folders: folders, report: &report)
            checkDisk(configuration.data, name: "data", report: &report)
            checkDisk(configuration.cache, name: "cache", report: &report)
            checkMPD(configuration, report: &report)
            if let holder = InstanceLock.holder(data: configuration.data), holder.running {
                report.ok("daemon", "running (pid \(holder.pid.map(String.init) ?? "?")\(holder.listen.map { ", http://\($0)" } ?? ""))")
            } else {
                report.ok("daemon", "not running on \(configuration.data)")
            }
        }
        checkSound(report: &report)
        checkUserNamespaces(report: &report)
        // The configured sync server (`[sync] url`, OMNISONIC_SYNC_URL), or the one named here.
        if let url = syncURL ?? configuration?.syncURL { checkSyncServer(url, report: &report) }

        print(report.text, terminator: "")
        if report.failed { throw ExitCode(1) }
    }

    /// The music folders of the daemon running on `configuration.data` (`GET /api/status`, with
    /// the configured token), or nil when none runs or it does not say.
    static func runningDaemonMusic(_ configuration: Configuration) -> [String]? {
        guard let holder = InstanceLock.holder(data: configuration.data), holder.running,
              let listen = holder.listen, let address = ListenAddress(parsing: listen) else { return nil }
        var headers: [String: String] = [:]
        if let token = configuration.token { headers["Authorization"] = "Bearer \(token)" }
        guard let response = try? LocalHTTP.get(host: LocalHTTP.connectHost(forListening: address.host), port: address.port,
                                                path: "/api/status", headers: headers),
              response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let music = object["music"] as? [String], !music.isEmpty else { return nil }
        return music
    }

    /// Music folders exist and can be listed and read; returns the number of folders under them.
    func checkMusic(_ roots: [String], report: inout DoctorReport) -> Int {
        var total = 0
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
                report.fail("music", "\(root) does not exist (or is not a folder)",
                            fix: "create it, mount it, or correct `music` in the config")
                continue
            }
            guard access(root, R_OK | X_OK) == 0 else {
                report.fail("music", "\(root) cannot be listed by this user", fix: "chmod u+rx '\(root)' (or fix its owner)")
                continue
            }
            var folders = 1
            var unreadable: [String] = []
            var stack = [root]
            while let folder = stack.popLast() {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
                for name in names where !name.hasPrefix(".") {
                    let path = folder + "/" + name
                    var info = stat()
                    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
                    folders += 1
                    if access(path, R_OK | X_OK) == 0 { stack.append(path) } else { unreadable.append(path) }
                }
            }
            total += folders
            if unreadable.isEmpty {
                report.ok("music", "\(root): \(folders) folders, all readable")
            } else {
                report.fail("music", "\(root): \(unreadable.count) folders cannot be read, like \(unreadable[0])",
                            fix: "chmod -R u+rX '\(root)'")
            }
        }
        return total
    }

    /// One inotify watch per folder; one instance per daemon (plus other programs').
    func checkInotify(folders: Int, report: inout DoctorReport) {
        let fix = "echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-omnisonic.conf && sudo sysctl --system"
        if let watches = readInt(proc + "/sys/fs/inotify/max_user_watches") {
            if watches < folders {
                report.fail("inotify", "max_user_watches is \(watches) but the music folders hold \(folders) folders: changes would be missed",
                            fix: fix)
            } else if watches < folders * 2 {
                report.warn("inotify", "max_user_watches is \(watches) for \(folders) folders; other programs share it", fix: fix)
            } else {
                report.ok("inotify", "max_user_watches \(watches) for \(folders) folders")
            }
        } else {
            report.warn("inotify", "cannot read \(proc)/sys/fs/inotify/max_user_watches", fix: "is this Linux with inotify?")
        }
        if let instances = readInt(proc + "/sys/fs/inotify/max_user_instances"), instances < 16 {
            report.warn("inotify", "max_user_instances is \(instances); desktop programs use many",
                        fix: "echo fs.inotify.max_user_instances=512 | sudo tee -a /etc/sysctl.d/90-omnisonic.conf && sudo sysctl --system")
        }
    }

    /// Free space where the library and cache are written.
    func checkDisk(_ folder: String, name: String, report: inout DoctorReport) {
        var path = folder
        while !FileManager.default.fileExists(atPath: path) && path != "/" { path = (path as NSString).deletingLastPathComponent }
        var info = statvfs()
        guard statvfs(path, &info) == 0 else {
            report.warn("disk", "cannot measure free space at \(folder)", fix: "check that \(path) is mounted")
            return
        }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        let mib = free >> 20
        if mib < 100 {
            report.fail("disk", "\(name) folder \(folder): only \(mib) MiB free", fix: "free space on the filesystem of \(path)")
        } else if mib < 1024 {
            report.warn("disk", "\(name) folder \(folder): \(mib) MiB free; large libraries need more", fix: "free space on the filesystem of \(path)")
        } else {
            report.ok("disk", "\(name) folder \(folder): \(mib >> 10) GiB free")
        }
    }

    /// ALSA sound cards (playback); none is a warning: the library and web UI work without.
    func checkSound(report: inout DoctorReport) {
        guard let cards = try? String(contentsOfFile: proc + "/asound/cards", encoding: .utf8) else {
            report.warn("sound", "no ALSA (\(proc)/asound/cards is missing): no sound card",
                        fix: "playback needs a sound card and its driver (snd-* modules); the library and web UI work without")
            return
        }
        // Lines like " 0 [PCH            ]: HDA-Intel - HDA Intel PCH".
        let names = cards.split(separator: "\n").filter { $0.contains("]:") }.map {
            $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        if names.isEmpty {
            report.warn("sound", "no sound card", fix: "playback needs a sound card; check `lsmod | grep snd` and the kernel log")
        } else if access("/dev/snd", R_OK | X_OK) != 0 {
            report.warn("sound", "\(names.count) sound cards but /dev/snd cannot be opened by this user",
                        fix: "sudo usermod -aG audio $USER, then log in again")
        } else {
            report.ok("sound", names.joined(separator: "; "))
        }
    }

    /// The unit's sandbox (PrivateTmp, ProtectSystem) needs unprivileged user namespaces in a user manager.
    func checkUserNamespaces(report: inout DoctorReport) {
        let fix = "omnisonicd install-service --no-sandbox (writes the unit without PrivateTmp/ProtectSystem)"
        if readInt(proc + "/sys/user/max_user_namespaces") == 0 || readInt(proc + "/sys/kernel/unprivileged_userns_clone") == 0 {
            report.warn("sandbox", "unprivileged user namespaces are off: the user unit's sandbox cannot start", fix: fix)
        } else {
            report.ok("sandbox", "unprivileged user namespaces available for the user unit's sandbox")
        }
    }

    /// The sync server answers `GET /healthz` within 3 s (over HTTPS too: the server serves it
    /// natively, decision 0014).
    func checkSyncServer(_ url: String, report: inout DoctorReport) {
        guard let base = URL(string: url), ["http", "https"].contains(base.scheme ?? ""), base.host != nil else {
            report.fail("sync", "\(url) is not an http(s)://HOST:PORT address", fix: "set the sync server's address like http://192.168.1.10:6691")
            return
        }
        do {
            let response = try LocalHTTP.get(base.appendingPathComponent("healthz"), timeout: 3)
            if response.status == 200 {
                report.ok("sync", "\(url) answers")
            } else {
                report.fail("sync", "\(url)/healthz answered HTTP \(response.status)", fix: "is \(url) an omnisonicd sync server?")
            }
        } catch {
            report.fail("sync", "\(url) is unreachable: \(error)",
                        fix: "start the server (systemctl status omnisonic-sync on it), check the address and the firewall")
        }
    }

    func readInt(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

/// The findings of `doctor`, in order.
struct DoctorReport {
    private(set) var text = ""
    private(set) var failed = false

    mutating func ok(_ check: String, _ message: String) { add("ok  ", check, message, fix: nil) }
    mutating func warn(_ check: String, _ message: String, fix: String) { add("warn", check, message, fix: fix) }
    mutating func fail(_ check: String, _ message: String, fix: String) {
        failed = true
        add("FAIL", check, message, fix: fix)
    }

    private mutating func add(_ level: String, _ check: String, _ message: String, fix: String?) {
        text += "\(level)  \(check): \(message)\n"
        if let fix { text += "      fix: \(fix)\n" }
    }
}
