import Foundation
import GRDB
@testable import Indexer
import LocalStore
import OmniModel
import Testing
import TestSupport

/// A scan of more than one batch checkpoints the WAL every `Library.scanCheckpointPages` pages
/// instead of every 1,000 on the writer's thread (`Library.spaceOutCheckpoints`, decision 0039,
/// "Writer, fourth round"): the setting is the writer connection's, put back when the scan ends,
/// however it ends.
@Suite("WAL checkpoints during a scan")
struct ScanCheckpointTests {
    /// What the scan looked like from inside, sampled from its progress callback.
    final class Seen: @unchecked Sendable {
        let lock = NSLock()
        /// The writer connection's checkpoint interval when probing began.
        var intervalProbing: Int?
        /// The same when the probes were all written, before the scan's last transaction.
        var intervalFinishing: Int?
        /// The tracks a reader on another thread saw then.
        var tracksReadFinishing: Int?
    }

    /// Samples the writer connection's interval when probing starts and when it has ended
    /// (the callback runs on the scanning thread, outside any transaction at those two points),
    /// and what a reader on another thread, with a connection of its own, sees at the second.
    func sampler(_ fixture: IndexerFixture, seen: Seen, whenProbing: (@Sendable () -> Void)? = nil) -> @Sendable (ScanProgress) -> Void {
        let pool = fixture.library.writer as! DatabasePool
        return { progress in
            let interval = { pool.unsafeReentrantWrite { db in (try? Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")) ?? -1 } }
            switch progress.phase {
            case .probing where seen.lock.withLock({ seen.intervalProbing == nil }):
                let value = interval()
                seen.lock.withLock { seen.intervalProbing = value }
                whenProbing?()
            case .finishing where seen.lock.withLock({ seen.intervalFinishing == nil }):
                let value = interval()
                let done = DispatchSemaphore(value: 0)
                Thread {
                    let count = (try? pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM track") }) ?? -1
                    seen.lock.withLock { seen.tracksReadFinishing = count ?? -1 }
                    done.signal()
                }.start()
                _ = done.wait(timeout: .now() + 10)
                seen.lock.withLock { seen.intervalFinishing = value }
            default:
                break
            }
        }
    }

    @Test("Given a scan of more files than a batch, while it writes the writer checkpoints every scanCheckpointPages pages and a reader sees the tracks written; afterwards the interval is SQLite's again")
    func spacedOutThenRestored() throws {
        let fixture = try IndexerFixture()
        #expect(try fixture.library.checkpointInterval() == 1000)
        let indexer = Indexer(library: fixture.library, artwork: fixture.artwork, batchSize: 10)
        let seen = Seen()
        let summary = try indexer.scan(roots: [RawPath(fixture.music)], progress: sampler(fixture, seen: seen))
        #expect(summary.added == fixture.corpus.visibleTracks.count)

        #expect(seen.intervalProbing == Library.scanCheckpointPages)
        #expect(seen.intervalFinishing == Library.scanCheckpointPages)
        #expect(seen.tracksReadFinishing == summary.added)
        #expect(try fixture.library.checkpointInterval() == 1000)
        #expect(try fixture.checkIndexes() == "ok")
    }

    @Test("Given a scan cancelled while it probes, then the writer's checkpoint interval is SQLite's again")
    func restoredWhenCancelled() throws {
        let fixture = try IndexerFixture()
        let indexer = Indexer(library: fixture.library, artwork: fixture.artwork, batchSize: 10)
        let cancellation = ScanCancellation()
        let seen = Seen()
        #expect(throws: IndexError.self) {
            try indexer.scan(roots: [RawPath(fixture.music)], cancellation: cancellation,
                             progress: sampler(fixture, seen: seen) { cancellation.cancel() })
        }
        #expect(seen.intervalProbing == Library.scanCheckpointPages)
        #expect(try fixture.library.checkpointInterval() == 1000)
    }

    @Test("Given a scan of fewer files than a batch (a watcher's rescan), then the interval is left alone")
    func smallScanLeavesIt() throws {
        let fixture = try IndexerFixture()
        let seen = Seen()
        try fixture.indexer.scan(roots: [RawPath(fixture.music)], progress: sampler(fixture, seen: seen))
        #expect(seen.intervalProbing == 1000)
        #expect(try fixture.library.checkpointInterval() == 1000)
    }
}
