import Foundation
import Logging
import OmniModel
import Synchronization
import Testing
import TestSupport
@testable import Player

/// Choosing the output device at run time, with two ALSA `file` devices capturing to two files.
@Suite("Output device switching")
struct OutputSwitchTests {
    /// A configuration defining `capture` (to `a`) and `captureB` (to `b`).
    static func twoDevices(_ fixture: PlayerFixture) -> (configuration: String, a: String, b: String) {
        let a = fixture.dir.appending("capture/a.raw"), b = fixture.dir.appending("capture/b.raw")
        let text = PlayerFixture.alsaConfiguration(capturingTo: a) + "\n" + PlayerFixture.alsaConfiguration(capturingTo: b, device: "captureB")
        return (text, a, b)
    }

    static func bytes(_ path: String) -> [UInt8] {
        (try? Data(contentsOf: URL(fileURLWithPath: path))).map { [UInt8]($0) } ?? []
    }

    @Test("Given a track playing on A, when switching to B mid-play, then A holds the frames before the switch, B the rest, and A + B is the whole signal")
    func switchWhilePlaying() async throws {
        let (fixture, whole) = try PlaybackTests.flacHalves()
        let (configuration, a, b) = Self.twoDevices(fixture)
        let box = PlayerBox()
        let beforeSwitch = Mutex<Int?>(nil)
        let player = fixture.makePlayer(alsaConfiguration: configuration) { frames, _ in
            if box.count(frames) == 3 {
                beforeSwitch.withLock { $0 = box.frames }
                try? box.player?.setOutput("captureB")
            }
        }
        box.set(player)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        let first = Self.bytes(a), second = Self.bytes(b)
        let framesOnA = try #require(beforeSwitch.withLock { $0 })
        #expect(first.count == framesOnA * 4, "A got \(first.count / 4) frames, \(framesOnA) were written before the switch")
        #expect(!second.isEmpty)
        #expect(first + second == whole)
        #expect(player.status().output.device == "captureB")
        #expect(player.status().error == nil)
    }

    @Test("Given a stopped player, when switching to B, then the state names B at once and the next play goes to B only")
    func switchWhileStopped() async throws {
        let (fixture, whole) = try PlaybackTests.flacHalves()
        let (configuration, a, b) = Self.twoDevices(fixture)
        let player = fixture.makePlayer(alsaConfiguration: configuration)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.setOutput("captureB")
        #expect(player.status().output.device == "captureB")
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        #expect(Self.bytes(a).isEmpty)
        #expect(Self.bytes(b) == whole)
    }

    @Test("Given a configured device that cannot be opened, when chosen and played, then the error is in the state; switching back and playing plays everything")
    func badDeviceThenBack() async throws {
        let (fixture, whole) = try PlaybackTests.flacHalves()
        let (configuration, a, _) = Self.twoDevices(fixture)
        // Defined, so allowed, but no card 99: alsa-lib fails to open it.
        let player = fixture.makePlayer(alsaConfiguration: configuration + "\npcm.nosuchdevice { type hw card 99 }\n")
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.setOutput("nosuchdevice")
        try player.play()
        try await fixture.wait(player) { $0.error != nil }
        #expect(player.status().state == .paused)
        #expect(player.status().error?.contains("nosuchdevice") == true, "\(player.status().error ?? "")")
        #expect(player.status().output.device == "nosuchdevice")
        try player.setOutput("capture")
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        #expect(player.status().error == nil)
        #expect(Self.bytes(a) == whole)
    }

    @Test("Given names that are empty, too long or hold control characters, when chosen, then they are refused and the device stays",
          arguments: ["", String(repeating: "x", count: 201), "a\nb", "tab\there", "del\u{7F}", "nul\u{0}"])
    func badNamesAreRefused(_ name: String) async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let (configuration, _, _) = Self.twoDevices(fixture)
        let player = fixture.makePlayer(alsaConfiguration: configuration)
        #expect(throws: PlayerError.self) { try player.setOutput(name) }
        #expect(player.status().output.device == "capture")
        // 200 characters pass the shape check; then the name must be a known device.
        let long = String(repeating: "y", count: 200)
        let refused = #expect(throws: PlayerError.self) { try player.setOutput(long) }
        #expect(refused?.reason == .deviceRefused)
        await player.shutdown()
    }

    @Test("Given names that make alsa-lib run a command, write a file or read configuration text, when chosen, then they are refused before ALSA sees them and playing creates no file",
          arguments: ["file:'|id > %@/ran'", "file:'%@/victim',raw", "file:%@/victim", "capture:{type file slave.pcm null file \"%@/text\"}",
                      "{type file slave.pcm null file \"%@/text\"}", "hw:99,0", "plug:'file:%@/victim'", "captureB,", "capture "])
    func hostileNamesAreRefused(_ template: String) async throws {
        let (fixture, whole) = try PlaybackTests.flacHalves()
        let (configuration, a, _) = Self.twoDevices(fixture)
        let player = fixture.makePlayer(alsaConfiguration: configuration)
        let name = template.replacingOccurrences(of: "%@", with: fixture.dir.path)
        #expect(!player.isAllowedOutput(name))
        let refused = #expect(throws: PlayerError.self) { try player.setOutput(name) }
        #expect(refused?.reason == .deviceRefused)
        #expect(player.status().output.device == "capture")
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped && $0.currentIndex == nil }
        await player.shutdown()
        #expect(Self.bytes(a) == whole)
        for file in ["ran", "victim", "text"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.dir.appending(file)), "\(file) was created by \(name)")
        }
    }

    @Test("Given a private ALSA configuration, when listing outputs, then its devices are there with default and the current one")
    func listsPrivateDevices() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let (configuration, _, _) = Self.twoDevices(fixture)
        let player = fixture.makePlayer(alsaConfiguration: configuration)
        try player.setOutput("captureB")
        let list = await player.outputs()
        await player.shutdown()
        let names = list.outputs.map(\.name)
        #expect(names.first == "default")
        for name in ["capture", "captureB"] { #expect(names.contains(name), "\(names)") }
        #expect(Set(names).count == names.count)
        #expect(list.current == "captureB")
    }

    @Test("Given the system's configuration, when listing outputs, then the list answers (whatever the machine has) and holds default")
    func listsSystemDevices() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let player = Player(library: fixture.library, configuration: PlayerConfiguration(output: "default"),
                            logger: .init(label: "test") { _ in SwiftLogNoOpLogHandler() }, publish: { _ in })
        let list = await player.outputs()
        #expect(list.outputs.first?.name == "default")
        #expect(list.current == "default")
        #expect(list.outputs.allSatisfy { OutputDescription.isValidDevice($0.name) })
        #expect(AlsaDevice.list(configuration: "this is { not alsa").isEmpty)
    }
}
