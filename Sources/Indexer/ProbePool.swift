import Foundation
import Synchronization

/// The scan's probe threads: `threads` dedicated threads take jobs in order from a shared cursor
/// and push what they make into a bounded queue that the scanning thread pops. libavformat
/// blocks, so probing never runs on the cooperative pool (decision 0001); the bounded queue keeps
/// the threads from running ahead of the database writer.
///
/// The threads run `niceIncrement` steps below the thread that made the pool (decision 0039,
/// "The probe threads yield"): a scan is background work, so the probes take what the player,
/// the API and the scan's own writer leave, as MPD's update thread does (it runs at
/// `SCHED_IDLE`). The writer, the scan's longest thread, gets a core as soon as its hand-off
/// is ready: a first scan of 10,000 files took ~9 % less wall time (alternating runs).
///
/// The threads stop taking jobs when `cancelled()` turns true or the jobs run out. `join()`
/// waits for them, draining the queue so that none stays blocked on a full one: a thread still
/// inside FFmpeg or libcrypto while the process exits crashes in their teardown, so every path
/// out of a scan joins.
final class ProbePool<Job: Sendable, Output: Sendable> {
    /// What the threads made, in the order they finished.
    /// 128: four of the writer's hand-offs (`Indexer.handOff`) of room while it commits a batch.
    let results = BlockingQueue<Output>(capacity: 128)
    private let running = DispatchGroup()

    /// How many nice steps the threads run below their creator: a scheduler weight of 335
    /// against 1024, low enough to yield, not so low (`SCHED_IDLE`) that a busy machine stalls a
    /// scan the user is waiting for.
    static var niceIncrement: Int32 { 5 }

    /// Starts the threads (none when `jobs` is empty).
    ///
    /// - Parameters:
    ///   - name: the threads' name prefix (`omnisonic-probe-0`, …).
    ///   - stackSize: each thread's stack in bytes.
    ///   - work: makes one output; runs on the pool's threads and may block.
    init(jobs: [Job], threads: Int, name: String, stackSize: Int,
         cancelled: @escaping @Sendable () -> Bool, work: @escaping @Sendable (Job) -> Output) {
        let results = self.results, running = self.running
        // The next job's index, shared by the threads (an `Atomic` is not copyable: boxed).
        let shared = Cursor()
        for index in 0..<min(threads, max(1, jobs.count)) where !jobs.isEmpty {
            running.enter()
            let thread = Thread {
                defer { running.leave() }
                Self.lowerPriority(by: Self.niceIncrement)
                while !cancelled() {
                    let i = shared.next.add(1, ordering: .relaxed).oldValue
                    guard i < jobs.count else { break }
                    results.push(work(jobs[i]))
                }
            }
            thread.name = "\(name)-\(index)"
            thread.stackSize = stackSize
            thread.start()
        }
    }

    /// Waits for every thread to stop, draining the results meanwhile (what is drained is
    /// dropped: call it once the outputs wanted have been popped, or to abandon the rest).
    func join() {
        while running.wait(timeout: .now() + .milliseconds(20)) == .timedOut {
            while results.pop(timeout: 0) != nil {}
        }
    }

    /// Raises the calling thread's nice value by `steps` (Linux keeps one per thread; at most 19).
    static func lowerPriority(by steps: Int32) {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let current = getpriority(which, 0)
        guard errno == 0 else { return }
        _ = setpriority(which, 0, min(19, current + steps))
    }

    private final class Cursor: Sendable {
        let next = Atomic<Int>(0)
    }
}
