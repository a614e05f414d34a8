import Foundation

/// A bounded FIFO for handing values between threads that may block (not async tasks).
///
/// Producers wait while the queue is full, so probe threads cannot run ahead of the database
/// writer and pile results up in memory.
///
/// The consumer takes items a batch at a time (`pop(atLeast:upTo:timeout:)`) and is woken only
/// when its batch is there: a scan's writer woke once per file before (about 18,000 context
/// switches for 10,000 files), for work that is written a batch at a time anyway. Producers and
/// the consumer wait on separate conditions, so a push wakes no other producer.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    private let notFull = NSCondition()
    private let readyCondition = NSCondition()
    private var items: [Element] = []
    private let capacity: Int
    /// How many items the waiting consumer wants before it is woken (0: none waiting).
    private var wanted = 0

    init(capacity: Int) { self.capacity = capacity }

    private var count: Int { items.count }

    func push(_ item: Element) {
        notFull.lock()
        while count >= capacity { notFull.wait() }
        items.append(item)
        let wake = wanted > 0 && count >= wanted
        notFull.unlock()
        if wake {
            readyCondition.lock()
            readyCondition.signal()
            readyCondition.unlock()
        }
    }

    /// Waits up to `timeout` seconds for an item; nil when none came.
    func pop(timeout: TimeInterval) -> Element? {
        pop(atLeast: 1, upTo: 1, timeout: timeout).first
    }

    /// Waits up to `timeout` seconds until `atLeast` items are there (fewer, possibly none, when
    /// the time runs out), and takes up to `upTo` of them in order.
    func pop(atLeast minimum: Int, upTo maximum: Int, timeout: TimeInterval) -> [Element] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let minimum = max(1, min(minimum, capacity))
        // One lock (notFull's) guards the items; readyCondition only carries the wake-up. The
        // consumer announces `wanted` under the items' lock, then sleeps on readyCondition; a
        // producer that fills the batch signals it. Timed waits bound any missed wake-up.
        notFull.lock()
        while count < minimum {
            wanted = minimum
            notFull.unlock()
            readyCondition.lock()
            notFull.lock()
            let ready = count >= minimum
            notFull.unlock()
            // The deadline, not `wait`'s answer, ends the wait, so a spurious wake-up only loops.
            if !ready { _ = readyCondition.wait(until: deadline) }
            readyCondition.unlock()
            notFull.lock()
            wanted = 0
            if Date() >= deadline { break }
        }
        let taken = min(count, maximum)
        let batch = Array(items[..<taken])
        // Taken items leave the array at once (at most `capacity` move): kept until a later
        // compaction, up to ~1,300 probe results with their tags stayed referenced (scanmem).
        items.removeFirst(taken)
        if taken > 0 { notFull.broadcast() }
        notFull.unlock()
        return batch
    }
}
