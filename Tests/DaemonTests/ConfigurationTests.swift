import Foundation
import Logging
import Testing
import TestSupport
@testable import Daemon

@Suite("Configuration: precedence and validation")
struct ConfigurationTests {
    /// An environment with a home of its own and nothing else set.
    func environment(_ variables: [String: String] = [:], home: String = "/home/ada") -> ConfigurationEnvironment {
        ConfigurationEnvironment(variables: ["HOME": home].merging(variables) { $1 }, workingDirectory: "/work/here")
    }

    func flags(_ pairs: [(ConfigurationKey, [String])]) -> ConfigurationLayer {
        var layer = ConfigurationLayer(name: "command line")
        for (key, values) in pairs { layer.set(key, values, origin: key.flag, baseDirectory: "/work/here") }
        return layer
    }

    func resolve(flags pairs: [(ConfigurationKey, [String])] = [], env: [String: String] = [:],
                 file: ConfigurationLayer? = nil) throws(ConfigurationError) -> Configuration {
        let e = environment(env)
        var layers = [flags(pairs), .environment(e.variables, workingDirectory: e.workingDirectory)]
        if let file { layers.append(file) }
        return try Configuration.resolve(layers, environment: e)
    }

    @Test("with nothing set, defaults follow XDG and listen on loopback port 6690")
    func defaults() throws {
        let config = try resolve()
        #expect(config.music == ["/home/ada/Music"])
        #expect(config.data == "/home/ada/.local/share/omnisonic")
        #expect(config.cache == "/home/ada/.cache/omnisonic")
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 6690))
        #expect(config.token == nil)
        #expect(config.maxUploadBytes == 1 << 30)
        #expect(config.logLevel == .info)
        #expect(config.database == "/home/ada/.local/share/omnisonic/library.sqlite")
    }

    @Test("XDG variables move the defaults; relative XDG values are ignored as the spec says")
    func xdgVariables() throws {
        let config = try resolve(env: ["XDG_DATA_HOME": "/srv/data", "XDG_CACHE_HOME": "relative/cache", "XDG_MUSIC_DIR": "/srv/music"])
        #expect(config.data == "/srv/data/omnisonic")
        #expect(config.cache == "/home/ada/.cache/omnisonic")
        #expect(config.music == ["/srv/music"])
    }

    @Test("the music folder comes from user-dirs.dirs when XDG_MUSIC_DIR is not in the environment")
    func userDirs() throws {
        let home = try TemporaryDirectory("config-home")
        try FileManager.default.createDirectory(atPath: home.appending(".config"), withIntermediateDirectories: true)
        try """
            # written by xdg-user-dirs-update
            XDG_DESKTOP_DIR="$HOME/Desktop"
            XDG_MUSIC_DIR="$HOME/Musik"
            """.write(toFile: home.appending(".config/user-dirs.dirs"), atomically: true, encoding: .utf8)
        let e = environment(home: home.path)
        let config = try Configuration.resolve([], environment: e)
        #expect(config.music == [home.path + "/Musik"])
    }

    @Test("flags win over the environment, which wins over a config file layer, which wins over defaults")
    func precedence() throws {
        var file = ConfigurationLayer(name: "config.toml")
        file.set(.listen, ["127.0.0.1:7000"], origin: "config.toml key \"listen\"")
        file.set(.logLevel, ["debug"], origin: "config.toml key \"log-level\"")
        file.set(.maxUploadSize, ["10M"], origin: "config.toml key \"max-upload-size\"")
        file.set(.music, ["/from/file"], origin: "config.toml key \"music\"")

        let config = try resolve(
            flags: [(.listen, ["127.0.0.1:9000"])],
            env: ["OMNISONIC_LISTEN": "127.0.0.1:8000", "OMNISONIC_LOG_LEVEL": "warning", "OMNISONIC_MUSIC": "/a:/b::/c"],
            file: file)
        #expect(config.listen.port == 9000)              // flag over environment and file
        #expect(config.logLevel == .warning)             // environment over file
        #expect(config.maxUploadBytes == 10 << 20)      // file over default
        #expect(config.music == ["/a", "/b", "/c"])      // colon list, empty entries dropped
    }

    @Test("relative paths are taken against the working directory; --data makes the cache self-contained")
    func relativePaths() throws {
        let config = try resolve(flags: [(.music, ["Music", "./x/../Other/"]), (.data, ["lib"])])
        #expect(config.music == ["/work/here/Music", "/work/here/Other"])
        #expect(config.data == "/work/here/lib")
        #expect(config.cache == "/work/here/lib/cache")
        #expect(config.artwork == "/work/here/lib/cache/artwork")
    }

    @Test("the same music folder named twice is kept once")
    func duplicateMusic() throws {
        #expect(try resolve(flags: [(.music, ["/m", "/m/", "/n"])]).music == ["/m", "/n"])
    }

    @Test("listen addresses parse IPv4, bracketed IPv6 and localhost, and reject everything else",
          arguments: [
              ("127.0.0.1:6690", "127.0.0.1", 6690, true), ("[::1]:80", "::1", 80, true), ("localhost:0", "localhost", 0, true),
              ("192.168.1.5:6690", "192.168.1.5", 6690, false), ("[::]:6690", "::", 6690, false), ("127.9.9.9:1", "127.9.9.9", 1, true),
              // IPv4-mapped loopback: the HTTP server applies the same rule (it once refused it after this allowed it).
              ("[::ffff:127.0.0.1]:6690", "::ffff:127.0.0.1", 6690, true), ("[::ffff:10.0.0.1]:6690", "::ffff:10.0.0.1", 6690, false),
          ])
    func listenParsing(text: String, host: String, port: Int, loopback: Bool) throws {
        let address = try #require(ListenAddress(parsing: text))
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.isLoopback == loopback)
        #expect(ListenAddress(parsing: address.description) == address)
    }

    @Test("bad listen values name the key and where the value came from",
          arguments: ["6690", "127.0.0.1", "127.0.0.1:70000", "127.0.0.1:-1", "example.com:80", "::1:80", "[::1]80", "127.0.0.1: 80", ""])
    func badListen(value: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try resolve(env: ["OMNISONIC_LISTEN": value.isEmpty ? "x" : value])
        }
        #expect(error?.key == .listen)
        #expect(error?.code == "config.invalid_value")
        #expect(error?.description.hasPrefix("OMNISONIC_LISTEN") == true)
    }

    @Test("listening on a non-loopback address without a token is refused; with one it is allowed")
    func tokenRequired() throws {
        let error = #expect(throws: ConfigurationError.self) { try resolve(flags: [(.listen, ["0.0.0.0:6690"])]) }
        #expect(error?.key == .token)
        #expect(error?.reason == .unsafe)
        #expect(error?.description.contains("--listen is 0.0.0.0:6690") == true)
        let config = try resolve(flags: [(.listen, ["0.0.0.0:6690"])], env: ["OMNISONIC_TOKEN": "0123456789abcdef0123"])
        #expect(config.token == "0123456789abcdef0123")
    }

    @Test("a short or spaced token is refused")
    func badToken() {
        for token in ["short", "has a space in it, long enough"] {
            #expect(throws: ConfigurationError.self) { try resolve(flags: [(.token, [token])]) }
        }
    }

    @Test("sizes parse with K/M/G suffixes; bad sizes, log levels and repeated single flags are errors naming the key")
    func otherValues() throws {
        #expect(Configuration.byteCount("1048576") == 1_048_576)
        #expect(Configuration.byteCount("500K") == 500 << 10)
        #expect(Configuration.byteCount("2G") == 2 << 30)
        #expect(Configuration.byteCount("2GiB") == 2 << 30)
        #expect(Configuration.byteCount("1.5G") == nil)
        #expect(Configuration.byteCount("99999999999T") == nil)
        #expect(try resolve(flags: [(.logLevel, ["DEBUG"])]).logLevel == .debug)

        func failure(_ pairs: [(ConfigurationKey, [String])]) -> ConfigurationError? {
            do { _ = try resolve(flags: pairs); return nil } catch { return error }
        }
        #expect(failure([(.maxUploadSize, ["lots"])])?.key == .maxUploadSize)
        #expect(failure([(.maxUploadSize, ["0"])])?.key == .maxUploadSize)
        #expect(failure([(.logLevel, ["loud"])])?.description.hasPrefix("--log-level") == true)
        #expect(failure([(.data, ["/a", "/b"])])?.description == "--data is given 2 times; give it once")
        #expect(failure([(.web, ["/nonexistent/web"])])?.key == .web)
        #expect(failure([(.music, [])])?.reason == .missing)
    }

    @Test("the HTTP server's limits have safe defaults, are read from every layer, and bad values name the key")
    func limits() throws {
        let defaults = try resolve()
        #expect(defaults.connections.idleTimeout == .seconds(30))
        #expect(defaults.connections.maxConnections == 512)
        #expect(defaults.maxEventStreams == 64)
        #expect(defaults.maxUploadTotalBytes == 4 << 30)
        let set = try resolve(flags: [(.idleTimeout, ["5"]), (.maxConnections, ["100"])],
                              env: ["OMNISONIC_MAX_EVENT_STREAMS": "3", "OMNISONIC_MAX_UPLOAD_TOTAL": "2G"])
        #expect(set.connections.idleTimeout == .seconds(5))
        #expect(set.connections.maxConnections == 100)
        #expect(set.maxEventStreams == 3)
        #expect(set.maxUploadTotalBytes == 2 << 30)
        for (key, value) in [(ConfigurationKey.idleTimeout, "0"), (.idleTimeout, "soon"), (.maxConnections, "-1"),
                             (.maxEventStreams, "lots"), (.maxUploadTotal, "0")] {
            let error = #expect(throws: ConfigurationError.self) { try resolve(flags: [(key, [value])]) }
            #expect(error?.key == key)
            #expect(error?.description.hasPrefix(key.flag) == true, "\(error?.description ?? "")")
        }
    }

    @Test("a reload names every changed setting it cannot apply, the sync client's, the output and ReplayGain included, and not the music folders or the log level")
    func reloadNamesWhatWaitsForARestart() throws {
        let old = try resolve()
        var new = old
        new.syncURL = "http://192.168.1.10:6691"
        new.syncToken = "0123456789abcdef0123"
        new.output = "hw:1"
        new.replayGain = old.replayGain == .album ? .track : .album
        new.music = ["/elsewhere"]
        new.logLevel = old.logLevel == .debug ? .info : .debug
        #expect(ReloadService.restartNeeded(from: old, to: new) == [.syncURL, .syncToken, .output, .replayGain])
    }
}
