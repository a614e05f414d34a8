import Foundation
import OmniModel
import Testing
import TestSupport
@testable import Player

/// The state the player reports stays true to what the user did (issue 19): a command landing
/// while the output thread writes wins over the position of the frames being written.
@Suite("Player state after stop, next, seek and device changes")
struct PlayerStateTests {
    @Test("Given a track playing, when stopped while a period is being written, then the position is 0 and stays 0")
    func stopResetsPosition() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let box = PlayerBox()
        let player = fixture.makePlayer(onWrite: { frames, _ in
            if box.count(frames) == 3 { box.player?.stop() }
        })
        box.set(player)
        try player.enqueue([try fixture.uid("a.flac"), try fixture.uid("b.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped }
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(player.status().positionMs == 0)
        #expect(player.status().currentIndex == 0)
        await player.shutdown()
    }

    @Test("Given the last track playing, when next is pressed, then the player stops with no current track at position 0")
    func nextAtEndResetsPosition() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let box = PlayerBox()
        let player = fixture.makePlayer(onWrite: { frames, _ in
            if box.count(frames) == 3 { box.player?.next() }
        })
        box.set(player)
        try player.enqueue([try fixture.uid("a.flac")])
        try player.play()
        try await fixture.wait(player) { $0.state == .stopped }
        try await Task.sleep(nanoseconds: 100_000_000)
        let status = player.status()
        #expect(status.currentIndex == nil)
        #expect(status.positionMs == 0)
        await player.shutdown()
    }

    @Test("Given a stopped player with a track, when seeking far past its end, then the reported position is within the track")
    func seekWhileStoppedIsReportedWithinTheTrack() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let player = fixture.makePlayer()
        let uid = try fixture.uid("a.flac")
        try player.enqueue([uid])
        player.seek(toMs: 1_000_000_000_000)
        let length = try #require(try fixture.library.track(uid: uid)?.durationMs)
        #expect(player.status().state == .stopped)
        #expect(player.status().positionMs <= length)
        #expect(player.status().positionMs >= 0)
        await player.shutdown()
    }

    @Test("Given a device error, when switching back to a working device, then the error is cleared at once")
    func switchingBackClearsTheError() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let (configuration, _, _) = OutputSwitchTests.twoDevices(fixture)
        // A device ALSA lists (so setOutput takes it) whose card does not exist: opening it fails.
        let player = fixture.makePlayer(alsaConfiguration: configuration + "\npcm.nosuchdevice { type hw card 99 }\n")
        try player.enqueue([try fixture.uid("a.flac")])
        try player.setOutput("nosuchdevice")
        try player.play()
        try await fixture.wait(player) { $0.error != nil }
        try player.setOutput("capture")
        #expect(player.status().error == nil)
        #expect(player.status().state == .paused)
        await player.shutdown()
    }
}
