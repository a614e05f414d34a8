import Foundation
import LocalStore
import OmniModel
import Testing
import TestSupport
@testable import Player

/// The saved queue rewrites only the rows from the first position that changed (decision 0020,
/// "Speed"): after every kind of edit, what the library holds is the queue the player has.
@Suite("Player queue saves")
struct QueueSaveTests {
    @Test("Given a sequence of queue edits, when each has been saved, then the saved queue is the player's queue, entry for entry")
    func savedQueueFollowsEveryEdit() async throws {
        let (fixture, _) = try PlaybackTests.flacHalves()
        let player = fixture.makePlayer()
        let a = try fixture.uid("a.flac"), b = try fixture.uid("b.flac")
        var checked = 0
        func check(_ step: String) throws {
            player.flushStore()
            let saved = try fixture.library.savedPlayerQueue().entries
            #expect(saved == player.status().queue, "after \(step)")
            checked += 1
        }
        try player.enqueue([a, b, a])
        try check("the first enqueue")
        try player.enqueue([b, b])
        try check("appending")
        try player.enqueue([a], at: 1)
        try check("inserting in the middle")
        try player.move(from: 4, to: 0)
        try check("moving")
        try player.remove(at: 5)
        try check("removing the last")
        try player.remove(at: 2)
        try check("removing in the middle")
        try player.swapEntries(0, 3)
        try check("swapping")
        player.setRepeat(.all)
        try check("a mode change only")
        player.clear()
        try check("clearing")
        try player.enqueue([b, a], fromLibrary: true)
        try check("enqueueing after a clear")
        try player.enqueue([a, b, a], replace: true)
        try check("replacing")
        #expect(checked == 11)
        #expect(try fixture.library.savedPlayerQueue().entries.map(\.uid) == [a, b, a])
        await player.shutdown()
    }
}
