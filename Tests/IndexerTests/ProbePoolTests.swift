import Foundation
@testable import Indexer
import Testing

@Suite("The scan's probe threads")
struct ProbePoolTests {
    @Test("The probe threads run below the thread that started them: a scan yields to the player, the API and its own writer")
    func probeThreadsYield() throws {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        let creator = getpriority(which, 0)
        // Given a pool of two threads whose jobs report their own nice value,
        let pool = ProbePool(jobs: Array(0..<6), threads: 2, name: "test-probe", stackSize: 1 << 20,
                             cancelled: { false }) { _ in getpriority(which, 0) }
        var seen: [Int32] = []
        while seen.count < 6 { seen += pool.results.pop(atLeast: 1, upTo: 6, timeout: 5) }
        pool.join()
        // then every job ran `niceIncrement` steps lower (at most 19), and the creator is unchanged.
        #expect(Set(seen) == [min(19, creator + ProbePool<Int, Int32>.niceIncrement)])
        #expect(getpriority(which, 0) == creator)
    }
}
