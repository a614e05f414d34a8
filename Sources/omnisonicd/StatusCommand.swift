import ArgumentParser
import Daemon
import Foundation

/// Where `status` and `doctor` find the daemon's settings: the same config file, environment
/// and defaults as `run`, and the two flags that matter to them.
struct ServiceOptions: ParsableArguments {
    @Option(help: "The config file (default: $OMNISONIC_CONFIG, else $XDG_CONFIG_HOME/omnisonic/config.toml).",
            completion: .file(extensions: ["toml"]))
    var config: String?

    @Option(help: "The library folder of the daemon (default: from the config, else $XDG_DATA_HOME/omnisonic).",
            completion: .directory)
    var data: String?

    func sources() -> ConfigurationSources {
        let environment = ConfigurationEnvironment.current
        var layer = ConfigurationLayer(name: "command line")
        if let data { layer.set(.data, [data], origin: ConfigurationKey.data.flag, baseDirectory: environment.workingDirectory) }
        return ConfigurationSources(commandLine: layer, configFlag: config, environment: environment)
    }
}

/// `omnisonicd status`: asks the running daemon how it is.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the running daemon is doing: library size, scan and watching, player, sync, uptime.",
        discussion: """
            Finds the daemon through the lock file in its library folder and asks GET /api/status \
            (with the configured token). Exits 3 when no daemon runs on that folder.
            """)

    @OptionGroup var options: ServiceOptions

    @Flag(help: "Print the daemon's JSON answer as it is.")
    var json = false

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try options.sources().resolve()
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        guard let holder = InstanceLock.holder(data: configuration.data), holder.running else {
            FileHandle.standardError.write(Data("""
                omnisonicd: no daemon is running on \(configuration.data) \
                (start it: systemctl --user start omnisonicd, or omnisonicd run)\n
                """.utf8))
            throw ExitCode(3)
        }
        guard let listen = holder.listen, let address = ListenAddress(parsing: listen) else {
            FileHandle.standardError.write(Data("omnisonicd: the daemon (pid \(holder.pid.map(String.init) ?? "?")) is starting; not serving yet\n".utf8))
            throw ExitCode(1)
        }
        var headers: [String: String] = [:]
        if let token = configuration.token { headers["Authorization"] = "Bearer \(token)" }
        let response: LocalHTTP.Response
        do {
            response = try LocalHTTP.get(host: LocalHTTP.connectHost(forListening: address.host), port: address.port,
                                         path: "/api/status", headers: headers)
        } catch {
            FileHandle.standardError.write(Data("omnisonicd: the daemon (pid \(holder.pid.map(String.init) ?? "?")) does not answer on \(listen): \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard response.status == 200 else {
            let hint = response.status == 401 ? " (the token differs from the daemon's: set OMNISONIC_TOKEN or token in the config)" : ""
            FileHandle.standardError.write(Data("omnisonicd: the daemon answered HTTP \(response.status)\(hint)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            FileHandle.standardOutput.write(response.body)
            FileHandle.standardOutput.write(Data("\n".utf8))
            return
        }
        guard let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any] else {
            FileHandle.standardError.write(Data("omnisonicd: the daemon's answer is not JSON\n".utf8))
            throw ExitCode(1)
        }
        print(Self.describe(object, listen: listen), terminator: "")
        if !holder.mpd.isEmpty { print("mpd: \(holder.mpd.joined(separator: ", "))") }
    }

    /// The human-readable form of a `/api/status` answer.
    static func describe(_ status: [String: Any], listen: String) -> String {
        var text = "omnisonicd"
        if let version = status["version"] as? String { text += " \(version)" }
        text += " is running"
        if let pid = status["pid"] as? Int { text += " (pid \(pid))" }
        text += " on http://\(listen)"
        if let uptime = status["uptimeSeconds"] as? Double { text += ", up \(duration(uptime))" }
        text += "\n"
        if let library = status["library"] as? [String: Any] {
            let count = { (key: String) in SystemdService.grouped(library[key] as? Int ?? 0) }
            text += "library: \(count("tracks")) tracks, \(count("albums")) albums, \(count("artists")) artists\n"
        }
        if let scan = status["scan"] as? [String: Any] {
            let phase = scan["phase"] as? String ?? "idle"
            let done = scan["done"] as? Int ?? 0, total = scan["total"] as? Int ?? 0
            switch phase {
            case "probing": text += "scan: indexed \(SystemdService.grouped(done)) of \(SystemdService.grouped(total)) files\n"
            case "walking": text += "scan: walking the music folders\n"
            case "finishing": text += "scan: finishing\n"
            default:
                text += "scan: idle"
                if let finished = scan["lastFinishedAt"] as? Double {
                    text += ", last scan ended \(duration(Date().timeIntervalSince1970 - finished)) ago"
                }
                text += "\n"
            }
        }
        if let scan = status["scan"] as? [String: Any], let folders = scan["watching"] as? [[String: Any]], !folders.isEmpty {
            for folder in folders {
                text += "watching: \(folder["path"] as? String ?? "?"): \(folder["mode"] as? String ?? "?")"
                if let count = folder["watchedFolders"] as? Int, count > 0 { text += ", \(SystemdService.grouped(count)) folders" }
                if let problem = folder["problem"] as? String { text += " (\(problem))" }
                text += "\n"
            }
        }
        if let player = status["player"] as? [String: Any] {
            text += "player: \(player["state"] as? String ?? "?")"
            if let title = player["title"] as? String {
                text += " \"\(title)\""
                if let artist = player["artist"] as? String { text += " by \(artist)" }
                if let position = player["positionMs"] as? Int { text += " at \(duration(Double(position) / 1000))" }
            }
            text += ", \(player["queueLength"] as? Int ?? 0) in the queue, volume \(player["volume"] as? Int ?? 0)%"
            text += ", output \(player["device"] as? String ?? "?")"
            if let error = player["error"] as? String { text += " (error: \(error))" }
            text += "\n"
        }
        if let sync = status["sync"] as? [String: Any] {
            if sync["enabled"] as? Bool == true {
                text += "sync: " + (sync["connected"] as? Bool == true ? "connected" : "not connected")
                if let last = sync["lastSync"] as? Double { text += ", last sync \(duration(Date().timeIntervalSince1970 - last)) ago" }
                text += ", \(sync["pending"] as? Int ?? 0) operations pending"
                if let error = sync["error"] as? String { text += " (error: \(error))" }
                text += "\n"
            } else {
                text += "sync: off (no sync server configured)\n"
            }
        }
        if let analysis = status["analysis"] as? [String: Any] {
            if analysis["enabled"] as? Bool == true {
                let done = analysis["done"] as? Int ?? 0, queued = analysis["queued"] as? Int ?? 0, failed = analysis["failed"] as? Int ?? 0
                text += "analysis: \(SystemdService.grouped(done)) tracks analysed, \(SystemdService.grouped(queued)) queued"
                if failed > 0 { text += ", \(SystemdService.grouped(failed)) unreadable" }
                if analysis["running"] as? Bool == true, let rate = analysis["rate"] as? Double { text += String(format: " (%.1f tracks/s)", rate) }
                text += "\n"
            } else {
                text += "analysis: off\n"
            }
        }
        // Parts added later by other subsystems, shown as they come.
        for key in status.keys.sorted() where !["version", "pid", "startedAt", "uptimeSeconds", "library", "scan", "player", "sync", "analysis"].contains(key) {
            if let value = status[key], let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
                text += "\(key): \(String(decoding: data, as: UTF8.self))\n"
            }
        }
        return text
    }

    /// `3725` → `1h 2m`, `42` → `42s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 86400)d \(s % 86400 / 3600)h"
    }
}
