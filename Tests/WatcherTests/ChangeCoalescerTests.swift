import OmniModel
import Testing
@testable import Watcher

/// A fake instant: milliseconds on a line. The coalescer never reads a clock, so none is slept on.
struct TestInstant: InstantProtocol {
    var offset: Duration
    static func ms(_ value: Int) -> TestInstant { TestInstant(offset: .milliseconds(value)) }
    func advanced(by duration: Duration) -> TestInstant { TestInstant(offset: offset + duration) }
    func duration(to other: TestInstant) -> Duration { other.offset - offset }
    static func < (lhs: TestInstant, rhs: TestInstant) -> Bool { lhs.offset < rhs.offset }
}

private func p(_ s: String) -> RawPath { RawPath(s) }

/// Feeds `changes` at one instant and flushes at once (for merging rules, where timing does not matter).
private func coalesce(_ changes: [WatchChange]) -> [FileChange] {
    var coalescer = ChangeCoalescer<TestInstant>()
    _ = coalescer.receive(changes, now: .ms(0))
    guard case .emit(let batch) = coalescer.tick(now: .ms(1000)) else { return [] }
    return batch
}

@Suite("Coalescing bursts of changes")
struct ChangeCoalescerTests {
    // MARK: Timing

    @Test("Given nothing received, when ticked, then it is idle")
    func idle() {
        var coalescer = ChangeCoalescer<TestInstant>()
        #expect(coalescer.tick(now: .ms(5)) == .idle)
        #expect(coalescer.deadline == nil)
    }

    @Test("Given one change, when time passes, then it waits the quiet period and then emits it")
    func quietPeriod() {
        var coalescer = ChangeCoalescer<TestInstant>()

        let first = coalescer.receive([.closedAfterWrite(p("a.mp3"))], now: .ms(10))

        #expect(first == .wait(until: .ms(60)))
        #expect(coalescer.tick(now: .ms(59)) == .wait(until: .ms(60)))
        #expect(coalescer.tick(now: .ms(60)) == .emit([.fileClosedAfterWrite(p("a.mp3"))]))
        #expect(coalescer.tick(now: .ms(61)) == .idle)
    }

    @Test("Given changes every 30 ms, when the burst goes on, then the first change waits at most the 100 ms max latency")
    func maxLatency() {
        var coalescer = ChangeCoalescer<TestInstant>()

        #expect(coalescer.receive([.closedAfterWrite(p("1.mp3"))], now: .ms(0)) == .wait(until: .ms(50)))
        #expect(coalescer.receive([.closedAfterWrite(p("2.mp3"))], now: .ms(30)) == .wait(until: .ms(80)))
        #expect(coalescer.receive([.closedAfterWrite(p("3.mp3"))], now: .ms(60)) == .wait(until: .ms(100)))
        #expect(coalescer.receive([.closedAfterWrite(p("4.mp3"))], now: .ms(90)) == .wait(until: .ms(100)))
        let batch = coalescer.tick(now: .ms(100))
        let next = coalescer.receive([.closedAfterWrite(p("5.mp3"))], now: .ms(120))

        #expect(batch == .emit(["1.mp3", "2.mp3", "3.mp3", "4.mp3"].map { .fileClosedAfterWrite(p($0)) }))
        #expect(next == .wait(until: .ms(170)))
    }

    @Test("Given a change received after its deadline already passed, when received, then the batch is emitted at once")
    func lateCaller() {
        var coalescer = ChangeCoalescer<TestInstant>()
        _ = coalescer.receive([.closedAfterWrite(p("a.mp3"))], now: .ms(0))

        let action = coalescer.receive([.closedAfterWrite(p("b.mp3"))], now: .ms(150))

        #expect(action == .emit([.fileClosedAfterWrite(p("a.mp3")), .fileClosedAfterWrite(p("b.mp3"))]))
    }

    @Test("Given custom timings, when configured, then they are used")
    func customTiming() {
        var coalescer = ChangeCoalescer<TestInstant>(configuration: .init(quietPeriod: .milliseconds(5), maxLatency: .milliseconds(8)))
        #expect(coalescer.receive([.closedAfterWrite(p("a"))], now: .ms(0)) == .wait(until: .ms(5)))
        #expect(coalescer.receive([.closedAfterWrite(p("b"))], now: .ms(4)) == .wait(until: .ms(8)))
    }

    @Test("Given only a file's IN_CREATE, when the batch is due, then nothing is emitted (a created file is not complete)")
    func createAlone() {
        var coalescer = ChangeCoalescer<TestInstant>()
        _ = coalescer.receive([.created(p("a.mp3"), isDirectory: false)], now: .ms(0))
        #expect(coalescer.tick(now: .ms(50)) == .idle)
        #expect(coalescer.deadline == nil)
    }

    // MARK: Merging

    @Test("Given several close-writes of one file, when coalesced, then one change remains")
    func duplicates() {
        let batch = coalesce([
            .created(p("a.mp3"), isDirectory: false), .closedAfterWrite(p("a.mp3")), .closedAfterWrite(p("a.mp3")),
            .closedAfterWrite(p("b.mp3")), .closedAfterWrite(p("a.mp3")),
        ])
        #expect(batch == [.fileClosedAfterWrite(p("a.mp3")), .fileClosedAfterWrite(p("b.mp3"))])
    }

    @Test("Given a file created, written and deleted in one batch, when coalesced, then nothing remains")
    func createThenDelete() {
        let batch = coalesce([.created(p("tmp.mp3"), isDirectory: false), .closedAfterWrite(p("tmp.mp3")),
                              .deleted(p("tmp.mp3"), isDirectory: false)])
        #expect(batch == [])
    }

    @Test("Given an existing file deleted, recreated and deleted again, when coalesced, then its deletion is kept")
    func deleteRecreateDelete() {
        let batch = coalesce([.deleted(p("a.mp3"), isDirectory: false), .created(p("a.mp3"), isDirectory: false),
                              .closedAfterWrite(p("a.mp3")), .deleted(p("a.mp3"), isDirectory: false)])
        #expect(batch == [.fileDeleted(p("a.mp3"))])
    }

    @Test("Given an existing file rewritten then deleted, when coalesced, then only the deletion remains")
    func rewriteThenDelete() {
        let batch = coalesce([.closedAfterWrite(p("a.mp3")), .deleted(p("a.mp3"), isDirectory: false)])
        #expect(batch == [.fileDeleted(p("a.mp3"))])
    }

    @Test("Given a file deleted and written again (a safe save), when coalesced, then it is re-probed, not deleted")
    func safeSave() {
        let batch = coalesce([.deleted(p("a.mp3"), isDirectory: false), .created(p("a.mp3"), isDirectory: false),
                              .closedAfterWrite(p("a.mp3"))])
        #expect(batch == [.fileClosedAfterWrite(p("a.mp3"))])
    }

    @Test("Given the two halves of a rename, when coalesced, then they pair into one move by cookie")
    func renamePairs() {
        let batch = coalesce([.movedFrom(p("A/1.mp3"), cookie: 7, isDirectory: false), .movedFrom(p("x.mp3"), cookie: 8, isDirectory: false),
                              .movedTo(p("B/1.mp3"), cookie: 7, isDirectory: false)])
        #expect(batch == [.moved(from: p("A/1.mp3"), to: p("B/1.mp3"), isDirectory: false), .fileMovedOut(p("x.mp3"))])
    }

    @Test("Given an IN_MOVED_FROM alone, when its IN_MOVED_TO does not arrive within the window, then it is a move out (a removal)")
    func unpairedMoveOut() {
        var coalescer = ChangeCoalescer<TestInstant>()
        #expect(coalescer.receive([.movedFrom(p("a.mp3"), cookie: 3, isDirectory: false)], now: .ms(0)) == .wait(until: .ms(50)))
        #expect(coalescer.tick(now: .ms(50)) == .emit([.fileMovedOut(p("a.mp3"))]))
        // A late IN_MOVED_TO is then simply a file moved in.
        _ = coalescer.receive([.movedTo(p("b.mp3"), cookie: 3, isDirectory: false)], now: .ms(60))
        #expect(coalescer.tick(now: .ms(110)) == .emit([.fileMovedIn(p("b.mp3"))]))
    }

    @Test("Given an IN_MOVED_FROM whose IN_MOVED_TO comes 40 ms later, when coalesced, then they still pair")
    func lateHalfPairs() {
        var coalescer = ChangeCoalescer<TestInstant>()
        _ = coalescer.receive([.movedFrom(p("a.mp3"), cookie: 3, isDirectory: false)], now: .ms(0))
        _ = coalescer.receive([.movedTo(p("b.mp3"), cookie: 3, isDirectory: false)], now: .ms(40))
        #expect(coalescer.tick(now: .ms(90)) == .emit([.moved(from: p("a.mp3"), to: p("b.mp3"), isDirectory: false)]))
    }

    @Test("Given a file renamed away and a new file written at its path, when coalesced, then the path is re-probed (as for a safe save), never cancelled")
    func pathReusedAfterMoveAway() {
        let batch = coalesce([.movedFrom(p("a.mp3"), cookie: 1, isDirectory: false), .created(p("a.mp3"), isDirectory: false),
                              .closedAfterWrite(p("a.mp3"))])
        #expect(batch == [.fileClosedAfterWrite(p("a.mp3"))])
    }

    @Test("Given an IN_MOVED_TO alone, when coalesced, then a complete file moved in; a folder is to be scanned")
    func moveIn() {
        let batch = coalesce([.movedTo(p("new.mp3"), cookie: 1, isDirectory: false), .closedAfterWrite(p("new.mp3")),
                              .movedTo(p("Album"), cookie: 2, isDirectory: true)])
        #expect(batch == [.fileMovedIn(p("new.mp3")), .folderCreated(p("Album"))])
    }

    @Test("Given a file renamed twice, when coalesced, then one move from the first to the last name remains; renamed back, nothing")
    func chainedRenames() {
        let chain = coalesce([.movedFrom(p("a"), cookie: 1, isDirectory: false), .movedTo(p("b"), cookie: 1, isDirectory: false),
                              .movedFrom(p("b"), cookie: 2, isDirectory: false), .movedTo(p("c"), cookie: 2, isDirectory: false)])
        let back = coalesce([.movedFrom(p("a"), cookie: 1, isDirectory: false), .movedTo(p("b"), cookie: 1, isDirectory: false),
                             .movedFrom(p("b"), cookie: 2, isDirectory: false), .movedTo(p("a"), cookie: 2, isDirectory: false)])
        #expect(chain == [.moved(from: p("a"), to: p("c"), isDirectory: false)])
        #expect(back == [])
    }

    @Test("Given a download written under a temporary name and renamed into place, when coalesced, then one new file at the final name")
    func temporaryNameRenamed() {
        let batch = coalesce([.created(p("x.mp3.part"), isDirectory: false), .closedAfterWrite(p("x.mp3.part")),
                              .movedFrom(p("x.mp3.part"), cookie: 9, isDirectory: false), .movedTo(p("x.mp3"), cookie: 9, isDirectory: false)])
        #expect(batch == [.fileClosedAfterWrite(p("x.mp3"))])
    }

    @Test("Given an existing file rewritten and then renamed, when coalesced, then it is moved and then re-probed")
    func rewriteThenRename() {
        let batch = coalesce([.closedAfterWrite(p("a.mp3")), .movedFrom(p("a.mp3"), cookie: 4, isDirectory: false),
                              .movedTo(p("b.mp3"), cookie: 4, isDirectory: false)])
        #expect(batch == [.moved(from: p("a.mp3"), to: p("b.mp3"), isDirectory: false), .fileClosedAfterWrite(p("b.mp3"))])
    }

    @Test("Given a file renamed and then deleted, when coalesced, then the original path is deleted")
    func renameThenDelete() {
        let batch = coalesce([.movedFrom(p("a.mp3"), cookie: 4, isDirectory: false), .movedTo(p("b.mp3"), cookie: 4, isDirectory: false),
                              .deleted(p("b.mp3"), isDirectory: false)])
        #expect(batch == [.fileDeleted(p("a.mp3"))])
    }

    @Test("Given a file created and moved out before the window ends, when coalesced, then nothing remains")
    func createThenMoveOut() {
        let batch = coalesce([.created(p("a.mp3"), isDirectory: false), .closedAfterWrite(p("a.mp3")),
                              .movedFrom(p("a.mp3"), cookie: 5, isDirectory: false)])
        #expect(batch == [])
    }

    @Test("Given a folder renamed after files inside it were written, when coalesced, then the move comes first and the files are re-addressed")
    func folderRenameReaddresses() {
        let batch = coalesce([
            .closedAfterWrite(p("Old/1.mp3")), .closedAfterWrite(p("other.mp3")),
            .movedFrom(p("Old"), cookie: 6, isDirectory: true), .movedTo(p("New"), cookie: 6, isDirectory: true),
            .closedAfterWrite(p("New/2.mp3")),
        ])
        #expect(batch == [.fileClosedAfterWrite(p("other.mp3")), .moved(from: p("Old"), to: p("New"), isDirectory: true),
                          .fileClosedAfterWrite(p("New/1.mp3")), .fileClosedAfterWrite(p("New/2.mp3"))])
    }

    @Test("Given a new folder renamed before the batch, when coalesced, then it is scanned under its final name")
    func newFolderRenamed() {
        let batch = coalesce([.created(p("untitled"), isDirectory: true), .closedAfterWrite(p("untitled/1.mp3")),
                              .movedFrom(p("untitled"), cookie: 2, isDirectory: true), .movedTo(p("Album"), cookie: 2, isDirectory: true)])
        #expect(batch == [.folderCreated(p("Album")), .fileClosedAfterWrite(p("Album/1.mp3"))])
    }

    @Test("Given a folder moved out of the root, when its IN_MOVED_TO never comes, then the folder is deleted with what was pending inside")
    func folderMovedOut() {
        let batch = coalesce([.closedAfterWrite(p("A/1.mp3")), .movedFrom(p("A"), cookie: 3, isDirectory: true)])
        #expect(batch == [.folderDeleted(p("A"))])
    }

    @Test("Given a folder created and then a folder inside it, when coalesced, then only the outer one is to be scanned")
    func nestedFolderCreated() {
        let batch = coalesce([.created(p("A"), isDirectory: true), .created(p("A/B"), isDirectory: true),
                              .movedTo(p("A/C"), cookie: 1, isDirectory: true), .created(p("AB"), isDirectory: true)])
        #expect(batch == [.folderCreated(p("A")), .folderCreated(p("AB"))])
    }

    @Test("Given a folder created, filled and deleted in one batch, when coalesced, then nothing remains")
    func folderCreateThenDelete() {
        let batch = coalesce([.created(p("T"), isDirectory: true), .created(p("T/1.mp3"), isDirectory: false), .closedAfterWrite(p("T/1.mp3")),
                              .deleted(p("T/1.mp3"), isDirectory: false), .deleted(p("T"), isDirectory: true)])
        #expect(batch == [])
    }

    @Test("Given a file moved into a folder that is then deleted, when coalesced, then the file's original path is deleted")
    func moveIntoDeletedFolder() {
        let batch = coalesce([.movedFrom(p("a.mp3"), cookie: 1, isDirectory: false), .movedTo(p("D/a.mp3"), cookie: 1, isDirectory: false),
                              .deleted(p("D/a.mp3"), isDirectory: false), .deleted(p("D"), isDirectory: true)])
        #expect(batch == [.fileDeleted(p("a.mp3")), .folderDeleted(p("D"))])
    }

    @Test("Given pending changes, when the queue overflows, then only the overflow is emitted, followed by later changes")
    func overflowDropsPending() {
        let batch = coalesce([.closedAfterWrite(p("a")), .movedFrom(p("b"), cookie: 1, isDirectory: false), .overflow,
                              .closedAfterWrite(p("c"))])
        #expect(batch == [.overflow, .fileClosedAfterWrite(p("c"))])
    }

    @Test("Given a watch failure and the root gone, when coalesced, then both are passed on in order")
    func failuresPassThrough() {
        let error = WatcherError(.watchLimitReached, path: p("/music/A"))
        let batch = coalesce([.watchFailed(error), .closedAfterWrite(p("a")), .rootGone(p("/music"))])
        #expect(batch == [.watchFailed(error), .fileClosedAfterWrite(p("a")), .rootGone(p("/music"))])
    }

    @Test("Given pending changes and an unpaired move, when flushed at shutdown, then everything is emitted whatever the time")
    func flushAtShutdown() {
        var coalescer = ChangeCoalescer<TestInstant>()
        _ = coalescer.receive([.closedAfterWrite(p("a")), .movedFrom(p("b"), cookie: 1, isDirectory: false)], now: .ms(0))
        #expect(coalescer.flush() == [.fileClosedAfterWrite(p("a")), .fileMovedOut(p("b"))])
        #expect(coalescer.deadline == nil)
    }

    @Test("Given a burst of 5,000 new files and 5,000 renames in one batch, when coalesced, then each is kept once and merging is not quadratic (under 1 s even in debug)")
    func largeBurst() {
        var coalescer = ChangeCoalescer<TestInstant>()
        let files = (0..<5000).map { RawPath("Artist \($0 / 100)/Album/\($0).flac") }
        let writes = files.flatMap { [WatchChange.created($0, isDirectory: false), .closedAfterWrite($0), .closedAfterWrite($0)] }
        let renames = files.enumerated().flatMap { index, file in
            [WatchChange.movedFrom(file, cookie: UInt32(index + 1), isDirectory: false),
             .movedTo(RawPath("Sorted/\(index).flac"), cookie: UInt32(index + 1), isDirectory: false)]
        }
        let started = ContinuousClock.now

        _ = coalescer.receive(writes, now: .ms(0))
        _ = coalescer.receive(renames, now: .ms(10))
        let batch = coalescer.flush()

        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(batch == (0..<5000).map { .fileClosedAfterWrite(RawPath("Sorted/\($0).flac")) })
    }
}
