import OmniModel
import Testing
@testable import Player

/// The queue's rules, as a pure value.
@Suite("Play queue")
struct PlayQueueTests {
    let uids = (1...5).map { TrackUID(rawValue: "t\($0)") }

    @Test("Given a queue, when inserting before the current entry, then the current entry stays the same track")
    func insertKeepsCurrent() {
        var queue = PlayQueue()
        queue.insert(uids)
        queue.setCurrent(2)
        let current = queue.currentEntry
        queue.insert([TrackUID(rawValue: "new")], at: 0)
        #expect(queue.currentEntry == current)
        #expect(queue.current == 3)
        #expect(queue.entries.count == 6)
        #expect(Set(queue.entries.map(\.id)).count == 6)
    }

    @Test("Given a queue, when moving and removing entries, then the order and the current entry follow")
    func moveAndRemove() {
        var queue = PlayQueue()
        queue.insert(uids)
        queue.setCurrent(1)
        queue.move(from: 1, to: 4)
        #expect(queue.entries.map(\.uid.rawValue) == ["t1", "t3", "t4", "t5", "t2"])
        #expect(queue.currentEntry?.uid.rawValue == "t2")
        #expect(queue.remove(at: 0) == false)
        #expect(queue.currentEntry?.uid.rawValue == "t2")
        #expect(queue.remove(at: 3) == true)
        #expect(queue.current == nil)
        queue.clear()
        #expect(queue.entries.isEmpty)
    }

    @Test("Given repeat off, all and one, when a track completes at the end, then the next index is nil, the first, the same")
    func repeatModes() {
        var queue = PlayQueue()
        queue.insert(uids)
        queue.setCurrent(4)
        #expect(queue.nextIndex(automatic: true) == nil)
        queue.repeatMode = .all
        #expect(queue.nextIndex(automatic: true) == 0)
        queue.repeatMode = .one
        #expect(queue.nextIndex(automatic: true) == 4)
        // The user's "next" skips even under repeat one.
        #expect(queue.nextIndex(automatic: false) == 0)
    }

    @Test("Given consume mode, when a track completes, then it leaves the queue and the next one is current")
    func consume() {
        var queue = PlayQueue()
        queue.insert(uids)
        queue.consume = true
        queue.setCurrent(0)
        #expect(queue.advanceAfterCompletion() == 0)
        #expect(queue.entries.map(\.uid.rawValue) == ["t2", "t3", "t4", "t5"])
        #expect(queue.currentEntry?.uid.rawValue == "t2")
    }

    @Test("Given shuffle, when advancing through the queue, then every entry plays once, starting with the current one")
    func shuffleVisitsAll() {
        var queue = PlayQueue()
        queue.insert(uids)
        queue.setCurrent(2)
        queue.setShuffle(true)
        #expect(queue.order.first == queue.currentEntry?.id)
        var seen = [queue.currentEntry!.uid]
        while let next = queue.advanceAfterCompletion() { seen.append(queue.entries[next].uid) }
        #expect(Set(seen) == Set(uids))
        #expect(seen.count == uids.count)
        #expect(queue.entries.map(\.uid) == uids, "shuffle does not reorder the queue itself")
    }

    @Test("Given a saved queue, when restored, then new entries get ids after the largest")
    func restoredIDs() {
        var queue = PlayQueue(entries: [QueueEntry(id: 7, uid: uids[0]), QueueEntry(id: 3, uid: uids[1])], currentEntryId: 3,
                              repeatMode: .all, shuffle: false, consume: false, order: [])
        #expect(queue.current == 1)
        let added = queue.insert([uids[2]])
        #expect(added.first?.id == 8)
    }
}

@Suite("Gain")
struct GainTests {
    @Test("Given ReplayGain tags, when computing the factor, then the mode picks the gain, pre-amp adds, and the peak limits it")
    func replayGain() {
        let tags = ReplayGain(trackGain: -6, trackPeak: 0.5, albumGain: 6, albumPeak: 0.9)
        #expect(Gain.replayGain(tags, mode: .off, preAmpDB: 0) == 1)
        #expect(abs(Gain.replayGain(tags, mode: .track, preAmpDB: 0) - 0.501187) < 1e-5)
        #expect(abs(Gain.replayGain(tags, mode: .track, preAmpDB: 6) - 1.0) < 1e-5)
        // +6 dB would push the 0.9 peak to 1.8: limited to 1/0.9.
        #expect(abs(Gain.replayGain(tags, mode: .album, preAmpDB: 0) - 1 / 0.9) < 1e-9)
        // Album mode without album tags falls back to the track's.
        #expect(abs(Gain.replayGain(ReplayGain(trackGain: -6), mode: .album, preAmpDB: 0) - 0.501187) < 1e-5)
        #expect(Gain.replayGain(nil, mode: .track, preAmpDB: 0) == 1)
    }

    @Test("Given 16-bit samples, when scaled by 2, then they clip at full scale instead of wrapping")
    func clipping() {
        var samples: [Int16] = [20_000, -20_000, 100]
        samples.withUnsafeMutableBytes { Gain.apply(2, to: $0, format: .s16) }
        #expect(samples == [32_767, -32_768, 200])
    }
}
