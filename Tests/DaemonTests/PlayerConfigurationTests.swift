import Foundation
import Player
import Testing
@testable import Daemon

@Suite("Configuration: the player's settings")
struct PlayerConfigurationTests {
    func resolve(flags pairs: [(ConfigurationKey, String)] = [], env: [String: String] = [:]) throws(ConfigurationError) -> Configuration {
        let e = ConfigurationEnvironment(variables: ["HOME": "/home/ada"].merging(env) { $1 }, workingDirectory: "/work/here")
        var layer = ConfigurationLayer(name: "command line")
        for (key, value) in pairs { layer.set(key, [value], origin: key.flag, baseDirectory: "/work/here") }
        return try Configuration.resolve([layer, .environment(e.variables, workingDirectory: e.workingDirectory)], environment: e)
    }

    @Test("with nothing set, the output is ALSA's default device and ReplayGain is off")
    func defaults() throws {
        let config = try resolve()
        #expect(config.output == "default")
        #expect(config.replayGain == .off)
    }

    @Test("--output and --replaygain win over OMNISONIC_OUTPUT and OMNISONIC_REPLAYGAIN, which win over defaults")
    func precedence() throws {
        let env = ["OMNISONIC_OUTPUT": "hw:1,0", "OMNISONIC_REPLAYGAIN": "album"]
        #expect(try resolve(env: env).output == "hw:1,0")
        #expect(try resolve(env: env).replayGain == .album)
        let both = try resolve(flags: [(.output, "plughw:0"), (.replayGain, "Track")], env: env)
        #expect(both.output == "plughw:0")
        #expect(both.replayGain == .track)
    }

    @Test("a bad ReplayGain mode or an empty device name is an error naming where it came from")
    func badValues() {
        func failure(_ pairs: [(ConfigurationKey, String)], env: [String: String] = [:]) -> ConfigurationError? {
            do { _ = try resolve(flags: pairs, env: env); return nil } catch { return error }
        }
        #expect(failure([(.replayGain, "loud")])?.description.hasPrefix("--replaygain") == true)
        #expect(failure([], env: ["OMNISONIC_REPLAYGAIN": "loud"])?.description.hasPrefix("OMNISONIC_REPLAYGAIN") == true)
        #expect(failure([(.output, "a\u{1}b")])?.key == .output)
    }
}

@Suite("Configuration file: the player's keys")
struct PlayerConfigurationFileTests {
    @Test("output and replaygain in config.toml feed the settings, below flags and the environment")
    func fileKeys() throws {
        let file = try ConfigurationFile.parse("output = \"hw:2\"\nreplaygain = \"album\"\n", path: "/home/ada/.config/omnisonic/config.toml")
        let e = ConfigurationEnvironment(variables: ["HOME": "/home/ada"], workingDirectory: "/work/here")
        let config = try Configuration.resolve([ConfigurationLayer(name: "command line"), file], environment: e)
        #expect(config.output == "hw:2")
        #expect(config.replayGain == .album)
        let bad = try ConfigurationFile.parse("replaygain = \"loud\"\n", path: "/c.toml")
        #expect(throws: ConfigurationError.self) { try Configuration.resolve([bad], environment: e) }
    }
}
