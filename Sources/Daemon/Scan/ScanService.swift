import CMalloc
import Foundation
import Indexer
import LocalStore
import Logging
import OmniModel
import ServiceLifecycle
import Synchronization

/// The one lane through which the daemon changes the library from disk: full incremental scans
/// (one right away, then one per request) and the watcher's partial rescans, one at a time and
/// in order, so only this service ever runs the indexer.
///
/// - `Indexer.scan`/`refresh` block for as long as they take, so each runs on a dedicated
///   `Thread` (never the cooperative pool) and is awaited through a continuation.
/// - Partial rescans (`refresh(root:scope:)`, from `WatchService`) queue in arrival order;
///   consecutive ones for one root merge. A full scan that starts covers every partial rescan
///   queued before it. A partial rescan publishes `tracksChanged` / `tracksRemoved`.
/// - Requests coalesce: a request while a scan runs queues exactly one more scan, however many
///   requests arrive (the queued scan will see all their changes).
/// - Progress is published as `LibraryEvent.scan` at most every `progressInterval` (and at each
///   phase change), the end as `LibraryEvent.scanFinished`.
/// - Graceful shutdown (SIGTERM) or task cancellation asks the indexer to stop: the batch being
///   written commits, probe threads are joined, and `run()` returns.
///
/// Thread safety: `status()` and `requestScan()` may be called from any thread or task; the
/// state lives in a `Mutex` because the scanning thread updates it synchronously.
public final class ScanService: Service, Sendable {
    private let indexer: Indexer
    /// The music folders; replaced by `reload(roots:)` (SIGHUP). Each scan reads them once, at its start.
    private let currentRoots: Mutex<[RawPath]>
    private let publish: @Sendable (LibraryEvent) -> Void
    private let logger: Logger
    private let progressInterval: Double
    private let state = Mutex(State())
    private let refreshObserver = Mutex<(@Sendable (RefreshReport) -> Void)?>(nil)
    /// Cancelled once, at shutdown: stops the running scan and any that would start after.
    private let shutdown = ScanCancellation()
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    private struct State {
        var status = ScanStatus()
        var stopping = false
        var lastPublished = -Double.infinity
        var lastPhase: String?
        /// Partial rescans and offline notices waiting, oldest first.
        var pending: [Work] = []
        /// Roots whose last partial rescan failed: their next one covers the whole root.
        var needsWholeRoot: Set<RawPath> = []
    }

    /// One piece of work for the lane.
    enum Work: Sendable, Equatable {
        case fullScan
        /// `since`: when the oldest change merged into it was queued (for the latency figure).
        case refresh(RawPath, ScanScope, since: ContinuousClock.Instant)
        case offline(RawPath)
    }

    /// - Parameters:
    ///   - indexer: the indexer of the library (one scan at a time: only this service scans).
    ///   - roots: the music folders, absolute.
    ///   - scanAtStart: queue a scan as soon as `run()` starts.
    ///   - progressInterval: the least time between two progress events, in seconds.
    ///   - publish: receives events, from any thread; must not block.
    public init(indexer: Indexer, roots: [RawPath], scanAtStart: Bool = true, progressInterval: Double = 0.5,
                logger: Logger, publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.indexer = indexer
        self.currentRoots = Mutex(roots)
        self.publish = publish
        self.logger = logger
        self.progressInterval = progressInterval
        // Newest-1 buffering is the coalescing: any number of wake-ups while a scan runs leave one.
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if scanAtStart { _ = requestScan() }
    }

    /// What the scans are doing now and how the last one ended. Any thread.
    public func status() -> ScanStatus { state.withLock { $0.status } }

    /// The music folders the next scan walks. Any thread.
    public var roots: [RawPath] { currentRoots.withLock { $0 } }

    /// Replaces the music folders (a configuration reload) and asks for a scan when they
    /// changed. A scan already running finishes with the folders it started with; the queued
    /// one walks the new set. Tracks of a folder that is no longer listed stay in the library,
    /// as after a restart without it. Any thread.
    ///
    /// - Returns: nil when the folders are the same (no scan is asked for), else the outcome
    ///   of the scan request.
    @discardableResult
    public func reload(roots: [RawPath]) -> ScanRequestOutcome? {
        let changed = currentRoots.withLock { current in
            guard current != roots else { return false }
            current = roots
            return true
        }
        guard changed else { return nil }
        logger.info("music folders changed", metadata: ["roots": "\(roots.count)"])
        return requestScan()
    }

    /// Asks for a scan. Any thread.
    ///
    /// - Returns: `.started` when idle (the scan starts at once), `.queued` when one runs (one
    ///   more follows it), `.refused` during shutdown.
    @discardableResult
    public func requestScan() -> ScanRequestOutcome {
        let outcome: ScanRequestOutcome = state.withLock { state in
            if state.stopping { return .refused }
            if state.status.running {
                state.status.queued = true
                return .queued
            }
            state.status.queued = true
            return .started
        }
        if outcome != .refused { wake.yield() }
        return outcome
    }

    /// Queues a partial rescan of `root` (from the watcher). Any thread; never blocks.
    public func refresh(root: RawPath, scope: ScanScope) {
        let accepted: Bool = state.withLock { state in
            if state.stopping { return false }
            if case .refresh(let last, let lastScope, let since)? = state.pending.last, last == root {
                state.pending[state.pending.count - 1] = .refresh(root, ScanScope(folders: lastScope.folders + scope.folders), since: since)
            } else {
                state.pending.append(.refresh(root, scope, since: .now))
            }
            return true
        }
        if accepted { wake.yield() }
    }

    /// Records that `root` is gone (an unplugged disk): it is marked offline, its tracks kept.
    /// Any thread; never blocks.
    public func rootWentOffline(_ root: RawPath) {
        let accepted: Bool = state.withLock { state in
            if state.stopping { return false }
            state.pending.append(.offline(root))
            return true
        }
        if accepted { wake.yield() }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await _ in wakeups {
                    while let work = nextWork() {
                        if state.withLock({ $0.stopping }) || Task.isCancelled { break }
                        switch work {
                        case .fullScan: await scanOnce()
                        case .refresh(let root, let scope, let since): await refreshOnce(root: root, scope: scope, since: since)
                        case .offline(let root): await markOffline(root)
                        }
                    }
                    if state.withLock({ $0.stopping }) || Task.isCancelled { break }
                }
            } onCancel: {
                stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// The next piece of work: a requested full scan first (it covers the partial rescans queued
    /// before it), else the oldest queued item.
    private func nextWork() -> Work? {
        state.withLock { state in
            if state.stopping { return nil }
            if state.status.queued {
                state.pending.removeAll { if case .refresh = $0 { true } else { false } }
                state.needsWholeRoot = []
                return .fullScan
            }
            guard !state.pending.isEmpty else { return nil }
            let work = state.pending.removeFirst()
            if case .refresh(let root, _, let since) = work, state.needsWholeRoot.remove(root) != nil {
                return .refresh(root, .wholeRoot, since: since)
            }
            return work
        }
    }

    /// Receives a report after each partial rescan (for metrics). Any thread; replaces the
    /// previous observer.
    public func observeRefreshes(_ observer: @escaping @Sendable (RefreshReport) -> Void) {
        refreshObserver.withLock { $0 = observer }
    }

    /// Runs one partial rescan on its own thread and publishes what changed.
    private func refreshOnce(root: RawPath, scope: ScanScope, since: ContinuousClock.Instant) async {
        let indexer = self.indexer
        let shutdown = self.shutdown
        let result: Result<RefreshOutcome, IndexError> = await DedicatedThread.run(named: "omnisonic-refresh", stackSize: Self.threadStackSize) {
            Result { () throws(IndexError) in try indexer.refresh(root: root, scope: scope, cancellation: shutdown) }
        }
        switch result {
        case .success(let outcome):
            state.withLock { state in
                state.status.changesApplied += 1
                state.status.lastChangeAt = Date()
            }
            if outcome.summary.added + outcome.summary.updated + outcome.summary.moved + outcome.summary.removed > 0 {
                logger.info("library updated from disk", metadata: [
                    "root": "\(root)", "added": "\(outcome.summary.added)", "updated": "\(outcome.summary.updated)",
                    "moved": "\(outcome.summary.moved)", "removed": "\(outcome.summary.removed)",
                    "failed": "\(outcome.summary.failed)", "folders": "\(scope.folders.count)",
                    "seconds": "\(String(format: "%.3f", outcome.summary.seconds))",
                ])
            }
            let waited = ContinuousClock.now - since
            let latency = Double(waited.components.seconds) + Double(waited.components.attoseconds) * 1e-18
            refreshObserver.withLock { $0 }?(RefreshReport(outcome: outcome, latency: latency))
            if !outcome.changed.isEmpty { publish(.tracksChanged(uids: outcome.changed)) }
            if !outcome.removed.isEmpty { publish(.tracksRemoved(uids: outcome.removed)) }
        case .failure(let error):
            switch error.reason {
            case .cancelled:
                break
            case .rootMissing:
                logger.warning("music folder is offline; its tracks are kept", metadata: ["root": "\(root)"])
            default:
                // Nothing of this batch may have been written: the next rescan of the root is whole.
                state.withLock { _ = $0.needsWholeRoot.insert(root) }
                logger.error("updating the library from disk failed", metadata: [
                    "root": "\(root)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                ])
            }
        }
    }

    /// Marks a root offline (on its own thread: a database write).
    private func markOffline(_ root: RawPath) async {
        let indexer = self.indexer
        let outcome: Result<Bool, IndexError> = await DedicatedThread.run(named: "omnisonic-refresh", stackSize: Self.threadStackSize) {
            Result { () throws(IndexError) in try indexer.markOffline(root: root) }
        }
        switch outcome {
        case .success(true):
            logger.warning("music folder went offline; its tracks are kept until it returns", metadata: ["root": "\(root)"])
        case .success(false):
            break
        case .failure(let error):
            logger.error("cannot mark a music folder offline", metadata: ["root": "\(root)", "detail": "\(error.expandedDescription)"])
        }
    }

    /// Stops accepting requests and cancels the running scan (it ends after its current batch).
    private func stop() {
        state.withLock { $0.stopping = true }
        shutdown.cancel()
        wake.finish()
    }

    /// Runs one scan on its own thread and records the outcome.
    private func scanOnce() async {
        state.withLock { state in
            state.status.running = true
            state.status.queued = false
            state.status.phase = ScanProgress.Phase.walking.rawValue
            state.status.done = 0
            state.status.total = 0
            state.status.rate = 0
            state.status.startedAt = Date()
            state.lastPhase = nil
        }
        let roots = self.roots
        logger.info("scan started", metadata: ["roots": "\(roots.count)"])
        let indexer = self.indexer
        let shutdown = self.shutdown
        let result: Result<ScanSummary, IndexError> = await DedicatedThread.run(named: "omnisonic-scan", stackSize: Self.threadStackSize) { [self] in
            defer {
                // A scan's freed heap (probe results, SQLite's statements and pages) stays in
                // malloc's arenas; handing it back keeps the idle daemon ~3 MiB smaller after
                // a first scan (decision 0037). A few milliseconds, once per full scan.
                // SQLite's caches and pooled readers go first, so that their pages are free
                // for the trim: ~2.7 MiB less at rest after a no-change rescan (decision 0037).
                indexer.library.releaseMemory()
                _ = omni_malloc_trim()
            }
            do throws(IndexError) {
                return .success(try indexer.scan(roots: roots, cancellation: shutdown) { [self] progress in self.progressed(progress) })
            } catch {
                return .failure(error)
            }
        }
        let (event, wasStopping): (LibraryEvent, Bool) = state.withLock { state in
            state.status.running = false
            state.status.phase = "idle"
            state.status.finishedAt = Date()
            switch result {
            case .success(let summary):
                state.status.lastSummary = summary
                state.status.lastError = nil
                return (.scanFinished(added: summary.added, updated: summary.updated, moved: summary.moved,
                                      removed: summary.removed, failed: summary.failed, seconds: summary.seconds), state.stopping)
            case .failure(let error):
                state.status.lastError = ScanStatus.Failure(code: error.code, message: error.description)
                return (.scan(phase: "idle", done: state.status.done, total: state.status.total, rate: state.status.rate), state.stopping)
            }
        }
        switch result {
        case .success(let summary):
            logger.info("scan finished", metadata: [
                "added": "\(summary.added)", "updated": "\(summary.updated)", "moved": "\(summary.moved)",
                "removed": "\(summary.removed)", "failed": "\(summary.failed)",
                "seconds": "\(String(format: "%.2f", summary.seconds))",
            ])
        case .failure(let error) where error.reason == .cancelled:
            logger.info("scan stopped", metadata: ["detail": "\(error.description)"])
        case .failure(let error):
            logger.error("scan failed", metadata: ["code": "\(error.code)", "detail": "\(error.expandedDescription)"])
        }
        if !wasStopping || result.isSuccess { publish(event) }
        recordInLog(result)
    }

    /// Keeps the scan's outcome for the statistics page (`Library.scanLog`); a stopped one too.
    private func recordInLog(_ result: Result<ScanSummary, IndexError>) {
        let (started, finished) = state.withLock { ($0.status.startedAt ?? Date(), $0.status.finishedAt ?? Date()) }
        var entry = ScanLogEntry(startedAt: started.timeIntervalSince1970, finishedAt: finished.timeIntervalSince1970,
                                 files: 0, added: 0, updated: 0, removed: 0, failed: 0)
        switch result {
        case .success(let s):
            (entry.files, entry.added, entry.updated, entry.removed, entry.failed) = (s.files, s.added, s.updated, s.removed, s.failed)
        case .failure(let error):
            entry.error = error.description
        }
        do throws(StoreError) { try indexer.library.recordScan(entry) } catch {
            logger.warning("cannot record the scan in the scan log", metadata: ["detail": "\(error.expandedDescription)"])
        }
    }

    /// Called on the scanning thread (at most every 100 ms by the indexer).
    private func progressed(_ progress: ScanProgress) {
        let shouldPublish: Bool = state.withLock { state in
            state.status.phase = progress.phase.rawValue
            state.status.done = progress.done
            state.status.total = progress.total
            state.status.files = progress.files
            state.status.rate = progress.rate
            state.status.elapsed = progress.elapsed
            let phaseChanged = state.lastPhase != progress.phase.rawValue
            let due = progress.elapsed - state.lastPublished >= progressInterval
            if phaseChanged || due {
                state.lastPhase = progress.phase.rawValue
                state.lastPublished = progress.elapsed
                return true
            }
            return false
        }
        if shouldPublish {
            publish(.scan(phase: progress.phase.rawValue, done: progress.done, total: progress.total, rate: progress.rate))
        }
    }

    /// The stack of the daemon's scan, refresh, trash and import threads (`DedicatedThread.run`):
    /// 8 MiB, what Linux gives a main thread, for libavformat's probes and the tag parsers.
    static let threadStackSize = 8 << 20
}

/// What one partial rescan did, for metrics (`ScanService.observeRefreshes`).
public struct RefreshReport: Sendable {
    public var outcome: RefreshOutcome
    /// Seconds from the oldest change of the batch reaching the lane to the library showing it
    /// (queueing + the rescan; the watcher's coalescing, at most 100 ms, comes before).
    public var latency: Double
}

/// The answer to `ScanService.requestScan()`.
public enum ScanRequestOutcome: String, Sendable, Codable {
    /// No scan was running: one starts now.
    case started
    /// A scan is running: one more will follow it (requests coalesce).
    case queued
    /// The daemon is shutting down.
    case refused
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
