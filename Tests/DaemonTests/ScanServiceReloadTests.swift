import Foundation
import Testing
import TestSupport
@testable import Daemon
import OmniModel

@Suite("Scan service: music folders changed while running")
struct ScanServiceReloadTests {
    @Test("reload(roots:) with the same folders asks for nothing; with a new folder it scans it and its tracks join the library")
    func reloadRoots() async throws {
        let f = try DaemonFixture(tracks: 24)
        let extra = f.dir.appending("Extra")
        try Corpus.shared(tracks: 40).copy(to: extra)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await f.context.scans.run() }
            try await f.wait { f.events.finished == 1 }
            let before = try f.context.library.trackCount()
            #expect(f.context.scans.reload(roots: [RawPath(f.music)]) == nil)
            #expect(f.context.scans.roots == [RawPath(f.music)])

            let outcome = f.context.scans.reload(roots: [RawPath(f.music), RawPath(extra)])
            #expect(outcome == .started)
            #expect(f.context.scans.roots == [RawPath(f.music), RawPath(extra)])
            try await f.wait { f.events.finished == 2 }
            #expect(try f.context.library.trackCount() > before)
            #expect(f.context.scans.status().lastSummary?.added ?? 0 > 0)
            group.cancelAll()
        }
    }
}
