import Foundation
import Testing
import TestSupport
@testable import Daemon

@Suite("config.toml: the file layer")
struct ConfigurationFileTests {
    func environment(_ variables: [String: String] = [:], home: String = "/home/ada") -> ConfigurationEnvironment {
        ConfigurationEnvironment(variables: ["HOME": home].merging(variables) { $1 }, workingDirectory: "/work/here")
    }

    func failure(_ text: String) -> ConfigurationError? {
        do {
            let layer = try ConfigurationFile.parse(text, path: "/etc/omni/config.toml")
            _ = try Configuration.resolve([layer], environment: environment())
            return nil
        } catch {
            return error
        }
    }

    @Test("every documented key is read; relative paths are taken against the file's folder, ~ against home")
    func keys() throws {
        let layer = try ConfigurationFile.parse("""
            music = ["Music", "~/More", "/abs/music"]
            data = "lib"
            cache = "../cache"
            listen = "127.0.0.1:7000"
            token = "0123456789abcdef0123"
            max-upload-size = 1048576
            log-level = "debug"

            output = "plughw:1"
            replaygain = "album"

            [sync]
            url = "http://10.0.0.2:6691/"
            token = "device-token-0123456789"
            """, path: "/etc/omni/config.toml")
        let config = try Configuration.resolve([layer], environment: environment())
        #expect(config.music == ["/etc/omni/Music", "/home/ada/More", "/abs/music"])
        #expect(config.data == "/etc/omni/lib")
        #expect(config.cache == "/etc/cache")
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 7000))
        #expect(config.token == "0123456789abcdef0123")
        #expect(config.maxUploadBytes == 1 << 20)
        #expect(config.logLevel == .debug)
        #expect(config.output == "plughw:1")
        #expect(config.replayGain == .album)
        #expect(config.syncURL == "http://10.0.0.2:6691")
        #expect(config.syncToken == "device-token-0123456789")
        #expect(layer.settings[.listen]?.origin == "/etc/omni/config.toml key \"listen\"")
    }

    @Test("a single music folder may be a string; sizes may be strings with a unit")
    func shorthand() throws {
        let layer = try ConfigurationFile.parse("music = \"/m\"\nmax-upload-size = \"2G\"\n", path: "/c/config.toml")
        let config = try Configuration.resolve([layer], environment: environment())
        #expect(config.music == ["/m"])
        #expect(config.maxUploadBytes == 2 << 30)
    }

    @Test("unknown keys, wrong TOML types and bad values are errors naming the key and the file")
    func errors() throws {
        let typo = try #require(failure("lisen = \"127.0.0.1:1\""))
        #expect(typo.reason == .unknownKey)
        #expect(typo.description.contains("/etc/omni/config.toml key \"lisen\""))
        #expect(typo.description.contains("\"listen\""))

        let nested = try #require(failure("[player]\nvolume = 3"))
        #expect(nested.reason == .unknownKey)
        #expect(nested.description.contains("key \"player\""))

        let badMode = try #require(failure("replaygain = \"loud\""))
        #expect(badMode.key == .replayGain)
        #expect(badMode.description.contains("key \"replaygain\""))

        let type = try #require(failure("listen = 6690"))
        #expect(type.reason == .invalidValue)
        #expect(type.key == .listen)
        #expect(type.description.contains("key \"listen\" must be a string, not a TOML integer"))

        let list = try #require(failure("music = [\"/a\", 3]"))
        #expect(list.key == .music)

        let value = try #require(failure("log-level = \"chatty\""))
        #expect(value.key == .logLevel)
        #expect(value.description.contains("/etc/omni/config.toml key \"log-level\" must be one of"))

        let empty = try #require(failure("music = []"))
        #expect(empty.key == .music)

        let syntax = try #require(failure("listen = \"127.0.0.1:1"))
        #expect(syntax.reason == .badFile)
        #expect(syntax.description.contains("/etc/omni/config.toml is not valid TOML"))
        #expect(syntax.description.contains("line 1"))
    }

    @Test("flags beat the environment, which beats the file, which beats the defaults")
    func precedence() throws {
        let dir = try TemporaryDirectory("config-file")
        let file = dir.appending("config.toml")
        try "listen = \"127.0.0.1:7001\"\nlog-level = \"debug\"\nmax-upload-size = \"5M\"\ncache = \"c\"\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        var flags = ConfigurationLayer(name: "command line")
        flags.set(.listen, ["127.0.0.1:7003"], origin: "--listen")
        let env = environment(["OMNISONIC_LISTEN": "127.0.0.1:7002", "OMNISONIC_LOG_LEVEL": "error"])
        let sources = ConfigurationSources(commandLine: flags, configFlag: file, environment: env)
        let config = try sources.resolve()
        #expect(config.listen.port == 7003)
        #expect(config.logLevel == .error)
        #expect(config.maxUploadBytes == 5 << 20)
        #expect(config.cache == dir.appending("c"))
        #expect(config.data == "/home/ada/.local/share/omnisonic")
    }

    @Test("the default file is optional, a named one is not; OMNISONIC_CONFIG names one; the XDG default is found")
    func location() throws {
        let dir = try TemporaryDirectory("config-file")
        let none = ConfigurationSources(commandLine: ConfigurationLayer(name: "flags"), configFlag: nil,
                                        environment: environment(["XDG_CONFIG_HOME": dir.path]))
        #expect(none.configFile == dir.appending("omnisonic/config.toml"))
        #expect(try none.resolve().listen.port == 6690)

        let named = ConfigurationSources(commandLine: ConfigurationLayer(name: "flags"), configFlag: nil,
                                         environment: environment(["OMNISONIC_CONFIG": dir.appending("missing.toml")]))
        #expect(throws: ConfigurationError.self) { try named.resolve() }

        try FileManager.default.createDirectory(atPath: dir.appending("omnisonic"), withIntermediateDirectories: true)
        try "listen = \"127.0.0.1:7010\"".write(toFile: dir.appending("omnisonic/config.toml"), atomically: true, encoding: .utf8)
        #expect(try none.resolve().listen.port == 7010)
    }

    @Test("the example file in systemd/ parses and resolves")
    func example() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("systemd/config.example.toml").path
        let layer = try ConfigurationFile.load(path: path)
        #expect(layer.settings[.music]?.values == ["~/Music", "/mnt/nas/music"])
        _ = try Configuration.resolve([layer], environment: environment())
    }
}
