import Foundation
import Testing
@testable import Daemon

@Suite("Configuration: where MPD clients connect")
struct MPDConfigurationTests {
    func resolve(flags: [String] = [], password: String? = nil, env: [String: String] = [:], file: [String]? = nil) throws(ConfigurationError) -> Configuration {
        let e = ConfigurationEnvironment(variables: ["HOME": "/home/ada"].merging(env) { $1 }, workingDirectory: "/work/here")
        var layer = ConfigurationLayer(name: "command line")
        if !flags.isEmpty { layer.set(.mpdListen, flags, origin: "--mpd-listen", baseDirectory: "/work/here") }
        if let password { layer.set(.mpdPassword, [password], origin: "--mpd-password") }
        var fileLayer = ConfigurationLayer(name: "config.toml")
        if let file { fileLayer.set(.mpdListen, file, origin: "config.toml key \"mpd-listen\"", baseDirectory: "/etc/omni") }
        return try Configuration.resolve([layer, .environment(e.variables, workingDirectory: e.workingDirectory), fileLayer], environment: e)
    }

    @Test("with nothing set, MPD listens on 127.0.0.1:6600 and, when XDG_RUNTIME_DIR is set, on a socket there; both are defaults")
    func defaults() throws {
        #expect(try resolve().mpdListen == [.defaultTCP])
        let withRuntime = try resolve(env: ["XDG_RUNTIME_DIR": "/run/user/1000"])
        #expect(withRuntime.mpdListen == [.defaultTCP, .unix("/run/user/1000/omnisonic/mpd.sock")])
        #expect(withRuntime.mpdListenIsDefault)
    }

    @Test("--mpd-listen is repeatable, a path is a socket, off disables; the environment is comma-separated; flags win over it")
    func forms() throws {
        let both = try resolve(flags: ["127.0.0.1:0", "/tmp/x/mpd.sock"])
        #expect(both.mpdListen == [.tcp(ListenAddress(host: "127.0.0.1", port: 0)), .unix("/tmp/x/mpd.sock")])
        #expect(!both.mpdListenIsDefault)
        #expect(try resolve(flags: ["off"]).mpdListen.isEmpty)
        let env = ["OMNISONIC_MPD_LISTEN": "[::1]:6601, /run/mpd.sock"]
        #expect(try resolve(env: env).mpdListen == [.tcp(ListenAddress(host: "::1", port: 6601)), .unix("/run/mpd.sock")])
        #expect(try resolve(flags: ["off"], env: env).mpdListen.isEmpty)
        #expect(try resolve(file: ["./mpd.sock"]).mpdListen == [.unix("/etc/omni/mpd.sock")])
    }

    @Test("an MPD address other computers can reach needs a password; bad addresses name their origin")
    func safety() throws {
        #expect(throws: ConfigurationError.self) { _ = try resolve(flags: ["0.0.0.0:6600"]) }
        #expect(try resolve(flags: ["0.0.0.0:6600"], password: "secret").mpdPassword == "secret")
        do {
            _ = try resolve(flags: ["nohost"])
            Issue.record("accepted a bad address")
        } catch {
            #expect(error.description.hasPrefix("--mpd-listen"))
        }
        #expect(throws: ConfigurationError.self) { _ = try resolve(flags: ["off", "127.0.0.1:6600"]) }
    }
}
