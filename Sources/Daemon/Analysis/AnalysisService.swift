import Analysis
import Foundation
import Glibc
import LocalStore
import Logging
import MediaIO
import OmniModel
import ServiceLifecycle
import Synchronization

/// The background analysis (issue 14, decision 0031): analyses every track of the library that
/// has no current analysis, with a few worker threads at the lowest CPU priority.
///
/// - The queue is the library itself (`Library.pendingAnalysis`): tracks without a
///   `trackAnalysis` row of this analyzer version, asked for again, or failed on a file that has
///   changed since. So it survives restarts, follows every scan and watched change (the scan
///   lane's events wake it, `noticed(_:)`), and a rename (same uid) is not work.
/// - Workers: `workers` dedicated threads (default cores − 1, at least 1), each switched to
///   `SCHED_IDLE` (else nice 19) before it decodes anything, so playback, scans and the API
///   never wait for them. Each track is decoded once (`FileAnalysis`).
/// - Results are derived data: written straight to `trackAnalysis`, never operations, never synced.
/// - Progress: `status()`, and `LibraryEvent.analysis` at most once a second and at each
///   pass's end.
/// - Graceful shutdown stops the workers between two blocks of audio; the track in flight is
///   simply analysed again next time.
///
/// Thread safety: `status()`, `noticed(_:)` and `requestAgain(_:)` may be called from any
/// thread or task; the state lives in a `Mutex` because worker threads update it.
public final class AnalysisService: Service, Sendable {
    /// The worker threads' name (shown in `top -H` and `/proc/PID/task/*/comm`; 15 bytes at most).
    public static let threadName = "omni-analysis"

    /// Cores − 1, at least 1.
    public static var defaultWorkers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    private let library: Library
    private let version: Int
    private let options: AnalysisOptions
    private let workers: Int
    private let batchSize: Int
    private let logger: Logger
    private let publish: @Sendable (LibraryEvent) -> Void
    private let state: Mutex<State>
    /// Where analyses are stored, at normal priority: a worker at `SCHED_IDLE` that took the
    /// library's write lock itself could be descheduled while holding it, and scans, edits and
    /// plays would wait on the machine's idlest thread (a priority inversion).
    private let writes = DispatchQueue(label: "omnisonic-analysis-store")
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private struct State {
        var status: AnalysisStatus
        var stopping = false
        var passStarted = ContinuousClock.now
        var passAnalysed = 0
        var lastPublished = ContinuousClock.now
    }

    /// - Parameters:
    ///   - library: the library whose tracks are analysed and where results go.
    ///   - workers: worker threads (clamped to at least 1).
    ///   - analyzerVersion: the version results are stored with and compared against; tests
    ///     pass another to check that a new analyzer re-analyses.
    ///   - publish: receives `LibraryEvent.analysis` from worker threads; must not block.
    public init(library: Library, workers: Int = AnalysisService.defaultWorkers, analyzerVersion: Int = TrackAnalyzer.version,
                options: AnalysisOptions = AnalysisOptions(), batchSize: Int = 64, logger: Logger,
                publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.library = library
        self.version = analyzerVersion
        self.options = options
        self.workers = max(1, workers)
        self.batchSize = max(1, batchSize)
        self.logger = logger
        self.publish = publish
        state = Mutex(State(status: AnalysisStatus(enabled: true, analyzerVersion: analyzerVersion, done: 0, queued: 0, failed: 0,
                                                   running: false, workers: max(1, workers), rate: 0, analysedSinceStart: 0, passes: 0)))
        // Newest-1 buffering coalesces: any number of wake-ups during a pass leave one more pass.
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        wake.yield()  // the first pass looks at what a previous run left
    }

    /// The current progress. Any thread; cheap.
    public func status() -> AnalysisStatus { state.withLock { $0.status } }

    /// Wakes the service after the library changed from disk (a scan's end, a watched change).
    /// Give it every event; it ignores the others. Any thread; never blocks.
    public func noticed(_ event: LibraryEvent) {
        switch event {
        case .scanFinished, .tracksChanged: wake.yield()
        default: break
        }
    }

    /// Queues the track `uid` again ("Analyse again"): its current values stay until the new
    /// analysis replaces them.
    ///
    /// - Returns: false when the library has no such track.
    /// - Throws: `StoreError` when the library fails.
    public func requestAgain(_ uid: TrackUID) async throws(StoreError) -> Bool {
        let library = self.library
        let result: Result<Bool, StoreError> = await DedicatedThread.run(named: "omnisonic-analysis-request") {
            Result { () throws(StoreError) in try library.requestAnalysis(of: uid) }
        }
        let found = try result.get()
        if found {
            state.withLock { $0.status.queued += 1 }
            wake.yield()
        }
        return found
    }

    /// Groups of tracks that are the same recording, from the fingerprints analysed so far
    /// (`DuplicateFinder`), on a thread of its own; nil while nothing has been analysed.
    public func duplicates() async throws(StoreError) -> [[DuplicateFinder.Member]]? {
        let library = self.library, version = self.version
        let result: Result<[[DuplicateFinder.Member]]?, StoreError> = await DedicatedThread.run(named: "omnisonic-duplicates") {
            Result { () throws(StoreError) in
                let prints = try library.analysedFingerprints(version: version)
                guard !prints.isEmpty else { return nil }
                return DuplicateFinder.groups(prints.map { ($0.uid, $0.raw) })
            }
        }
        return try result.get()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await _ in wakeups {
                    if state.withLock({ $0.stopping }) || Task.isCancelled { break }
                    await pass()
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    private func stop() {
        state.withLock { $0.stopping = true }
        wake.finish()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    /// One walk through the queue: batches in track order until none is left.
    private func pass() async {
        await refreshCounts()
        state.withLock { state in
            state.passStarted = .now
            state.passAnalysed = 0
        }
        var cursor: Int64 = 0
        while !stopping {
            let library = self.library, version = self.version, limit = batchSize, after = cursor
            let batch: Result<[AnalysisWork], StoreError> = await DedicatedThread.run(named: "omnisonic-analysis-queue") {
                Result { () throws(StoreError) in try library.pendingAnalysis(version: version, after: after, limit: limit) }
            }
            let work: [AnalysisWork]
            switch batch {
            case .success(let found): work = found
            case .failure(let error):
                logger.error("cannot read the analysis queue", metadata: ["detail": "\(error.expandedDescription)"])
                work = []
            }
            guard let last = work.last else { break }
            cursor = last.trackID
            if !state.withLock({ $0.status.running }) {
                state.withLock { $0.status.running = true }
                logger.info("analysing tracks", metadata: ["queued": "\(status().queued)", "workers": "\(workers)"])
            }
            let queue = WorkQueue(work)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<min(workers, work.count) {
                    group.addTask { [self] in
                        await DedicatedThread.run(named: Self.threadName, stackSize: ScanService.threadStackSize,
                                                  prepare: { Self.lowerPriority() }) { self.work(queue) }
                    }
                }
            }
            // The batch's results are stored before the next batch is read (and before the
            // pass's counts are re-read from the library).
            await DedicatedThread.run(named: "omnisonic-analysis-queue") { self.writes.sync {} }
        }
        let wasRunning = state.withLock { state in
            defer { state.status.running = false }
            return state.status.running
        }
        await refreshCounts()
        state.withLock { $0.status.passes += 1 }
        if wasRunning {
            let s = status()
            logger.info("analysis pass finished", metadata: ["done": "\(s.done)", "failed": "\(s.failed)", "queued": "\(s.queued)"])
            publishProgress(force: true)
        }
    }

    /// Re-reads done/queued/failed from the library.
    private func refreshCounts() async {
        let library = self.library, version = self.version
        let counts: Result<AnalysisCounts, StoreError> = await DedicatedThread.run(named: "omnisonic-analysis-queue") {
            Result { () throws(StoreError) in try library.analysisCounts(version: version) }
        }
        switch counts {
        case .success(let c):
            state.withLock { state in
                state.status.done = c.done
                state.status.queued = c.queued
                state.status.failed = c.failed
            }
        case .failure(let error):
            logger.warning("cannot count analysed tracks", metadata: ["detail": "\(error.expandedDescription)"])
        }
    }

    /// A worker thread's life (at idle priority already): tracks until the batch is empty or shutdown.
    private func work(_ queue: WorkQueue) {
        // At idle priority already (`prepare`, before the thread took its name: a thread named
        // like a worker never runs at normal priority, which AnalysisServiceTests watches).
        // Named here too (what `top -H` and /proc/PID/task/*/comm show), whatever Foundation does
        // with `Thread.name`; Glibc's module lacks pthread_setname_np, the kernel file does it.
        try? Self.threadName.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while !stopping, let item = queue.next() {
            let started = ContinuousClock.now
            let stored: StoredAnalysis
            do throws(MediaError) {
                guard let analysis = try FileAnalysis.analyze(item.path, options: options, shouldStop: { self.stopping }) else { return }
                stored = StoredAnalysis(item, analysis: analysis, seconds: Self.seconds(since: started))
            } catch {
                logger.warning("cannot analyse a track; it is retried when its file changes",
                               metadata: ["uid": "\(item.uid)", "file": "\(item.path)", "reason": "\(error.description)"])
                stored = StoredAnalysis(uid: item.uid, analyzerVersion: version, status: .failed, reason: error.description,
                                        fileSize: item.fileSize, fileMtimeNs: item.fileMtimeNs, seconds: Self.seconds(since: started))
            }
            var record = stored
            record.analyzerVersion = version  // the version this service is current for (tests run others)
            writes.async { [self, record] in store(record) }
        }
    }

    /// Stores one analysis and counts it; runs on `writes`, at normal priority.
    private func store(_ record: StoredAnalysis) {
        do throws(StoreError) {
            try library.recordAnalysis(record)
        } catch {
            logger.error("cannot store an analysis", metadata: ["uid": "\(record.uid)", "detail": "\(error.expandedDescription)"])
            return
        }
        state.withLock { state in
            state.status.queued = max(0, state.status.queued - 1)
            if record.status == .done { state.status.done += 1 } else { state.status.failed += 1 }
            state.status.analysedSinceStart += 1
            state.passAnalysed += 1
            let elapsed = Self.seconds(since: state.passStarted)
            state.status.rate = elapsed > 0 ? Double(state.passAnalysed) / elapsed : 0
        }
        publishProgress(force: false)
    }

    /// Publishes `LibraryEvent.analysis` when a second has passed since the last (or `force`).
    private func publishProgress(force: Bool) {
        let due: AnalysisStatus? = state.withLock { state in
            guard force || ContinuousClock.now - state.lastPublished >= .seconds(1) else { return nil }
            state.lastPublished = .now
            return state.status
        }
        if let s = due { publish(.analysis(done: s.done, queued: s.queued, failed: s.failed, rate: s.rate)) }
    }

    /// Puts the calling thread at the lowest CPU priority: `SCHED_IDLE` (runs only when nothing
    /// else wants the core), else nice 19. Linux applies both per thread.
    ///
    /// - Returns: the thread's scheduling policy afterwards (5 = `SCHED_IDLE`).
    @discardableResult
    public static func lowerPriority() -> Int32 {
        var parameters = sched_param(sched_priority: 0)
        if sched_setscheduler(0, schedIdle, &parameters) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        }
        return sched_getscheduler(0)
    }

    /// Linux's `SCHED_IDLE` (Glibc's module does not export it: it is behind `__USE_GNU`).
    public static let schedIdle: Int32 = 5

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// The tracks of one batch, handed out one at a time to the workers.
private final class WorkQueue: Sendable {
    private let items: Mutex<ArraySlice<AnalysisWork>>
    init(_ items: [AnalysisWork]) { self.items = Mutex(items[...]) }
    func next() -> AnalysisWork? { items.withLock { $0.popFirst() } }
}
