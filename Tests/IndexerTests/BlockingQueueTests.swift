import Foundation
@testable import Indexer
import Testing

@Suite("The hand-off between the probe threads and the scan's writer")
struct BlockingQueueTests {
    @Test("The writer gets a whole hand-off at once, in order, and what there is when the time runs out")
    func batchPop() throws {
        let queue = BlockingQueue<Int>(capacity: 8)
        // Given a producer thread pushing 20 items, more than the queue holds,
        let producer = Thread { for i in 0..<20 { queue.push(i) } }
        producer.start()
        // when the writer asks for batches of at least 4 (at most 5),
        var taken: [Int] = []
        while taken.count < 20 {
            let wanted = min(4, 20 - taken.count)
            let batch = queue.pop(atLeast: wanted, upTo: 5, timeout: 5)
            // then each batch holds what was asked, up to 5 (the producer blocks on a full
            // queue, not lost; the last batch is the 1 to 3 that remain after batches of 5),
            #expect((wanted...5).contains(batch.count))
            taken += batch
        }
        // in the order they were pushed.
        #expect(taken == Array(0..<20))
        // Given an empty queue, a pop that times out returns nothing, and a short batch is
        // returned whole when its time is up.
        #expect(queue.pop(atLeast: 2, upTo: 2, timeout: 0.05).isEmpty)
        queue.push(42)
        #expect(queue.pop(atLeast: 2, upTo: 2, timeout: 0.05) == [42])
    }
}
