import Foundation
import Indexer
import Logging
import OmniModel
import ServiceLifecycle
import Synchronization
import Watcher

/// Keeps the library following the music folders while the daemon runs: one inotify watcher per
/// root, each on its own thread, whose coalesced batches go to the `ScanService` lane as partial
/// rescans (`ScanService.refresh(root:scope:)`).
///
/// Start order (docs/decisions/0009-watching.md): every root is watched first, then one full
/// reconcile is requested, so nothing changed while the daemon was down or during its start is
/// missed (a change seen twice costs nothing: an unchanged file is not read).
///
/// Each root's thread:
/// - **Watching**: `InotifyWatcher` + `ChangeCoalescer` (50 ms quiet, 100 ms max latency).
///   Idle costs no CPU: the thread sleeps in `poll(2)` with no timeout.
/// - **Root gone or missing** (an unplugged disk): the root is marked offline (its tracks and
///   user data are kept) and its existence is checked every `Options.offlinePollInterval`; when it is
///   back, it is watched again and reconciled (its tracks come back with the same uids).
/// - **Overflow**: the watcher rebuilds its watches; the root is reconciled.
/// - **A folder that cannot be watched** (`max_user_watches`, permissions, a file system without
///   inotify) and **no inotify at all**: logged once, reconciled now and then every
///   `Options.fallbackInterval` (periodic rescans are the fallback where watching is impossible).
/// - **read/poll failing**: the watcher is dropped, made again, and the root reconciled.
///
/// Reload (SIGHUP): `reload(roots:)` stops the threads of folders no longer configured and starts
/// threads for new ones (the lane's own reload scans them).
///
/// Shutdown: graceful shutdown or cancellation fires every root's `StopSignal`, which wakes its
/// thread at once; `run()` returns when all have ended.
public final class WatchService: Service, Sendable {
    private let options: Options
    private let initialRoots: [RawPath]
    private let scans: ScanService
    private let logger: Logger
    private let state = Mutex(Status())
    /// The threads running now, by root, and whether the service is stopping.
    private let threads = Mutex(Threads())
    /// Resumed when the last thread ends during shutdown.
    private struct Threads {
        var byRoot: [RawPath: StopSignal] = [:]
        var running = 0
        var started = false
        var stopping = false
        var allEnded: CheckedContinuation<Void, Never>?
        var stopped: CheckedContinuation<Void, Never>?
    }

    /// What the watchers are doing, for `/api/scan` and `omnisonicd status`.
    public struct Status: Sendable, Equatable, Codable {
        /// One entry per music root, in configuration order.
        public var roots: [RootStatus] = []
    }

    /// How one root is followed.
    public struct RootStatus: Sendable, Equatable, Codable {
        public enum Mode: String, Sendable, Codable {
            /// Not started yet.
            case starting
            /// Every folder is watched with inotify.
            case watching
            /// Watched, but some folders could not be: those are rescanned periodically.
            case partial
            /// Not watched at all: rescanned periodically.
            case polling
            /// The folder is missing; looked for periodically.
            case offline
            /// Shut down.
            case stopped
        }
        public var path: String
        public var mode: Mode
        public var watchedFolders: Int
        /// The last problem, in plain words (nil when all is well).
        public var problem: String?
    }

    /// Timings and limits (the defaults suit a daemon; tests shorten them).
    public struct Options: Sendable {
        /// How often a missing root is looked for.
        public var offlinePollInterval: Duration
        /// How often what cannot be watched is rescanned instead.
        public var fallbackInterval: Duration
        /// Watches one root may use (default: the kernel's `max_user_watches` only).
        public var maximumWatchesPerRoot: Int

        public init(offlinePollInterval: Duration = .seconds(2), fallbackInterval: Duration = .seconds(300),
                    maximumWatchesPerRoot: Int = .max) {
            self.offlinePollInterval = offlinePollInterval
            self.fallbackInterval = fallbackInterval
            self.maximumWatchesPerRoot = maximumWatchesPerRoot
        }
    }

    /// - Parameters:
    ///   - roots: the music folders (absolute).
    ///   - scans: the lane that applies changes; create it with `scanAtStart: false`, since this
    ///     service asks for the start reconcile once the roots are watched.
    public init(roots: [RawPath], scans: ScanService, logger: Logger, options: Options = Options()) {
        self.initialRoots = roots
        self.scans = scans
        self.logger = logger
        self.options = options
        state.withLock { status in
            status.roots = roots.map { RootStatus(path: $0.displayString, mode: .starting, watchedFolders: 0, problem: nil) }
        }
    }

    /// What each root's watcher is doing. Any thread.
    public func status() -> Status { state.withLock { $0 } }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                // Every root reports once it is watched (or known unwatchable); then the start
                // reconcile is asked for.
                let ready = ReadyCounter(count: initialRoots.count)
                threads.withLock { $0.started = true }
                for root in initialRoots { start(root, ready: ready) }
                await ready.wait()
                if !threads.withLock({ $0.stopping }) {
                    logger.info("music folders watched; reconciling with the library", metadata: [
                        "roots": "\(initialRoots.count)",
                        "folders": "\(state.withLock { $0.roots.map(\.watchedFolders).reduce(0, +) })",
                    ])
                    scans.requestScan()
                }
                // Runs until shutdown; then every thread is stopped and awaited.
                await withCheckedContinuation { continuation in
                    let stopNow: Bool = threads.withLock { threads in
                        if threads.stopping { return true }
                        threads.stopped = continuation
                        return false
                    }
                    if stopNow { continuation.resume() }
                }
                await withCheckedContinuation { continuation in
                    let done: Bool = threads.withLock { threads in
                        if threads.running == 0 { return true }
                        threads.allEnded = continuation
                        return false
                    }
                    if done { continuation.resume() }
                }
            } onCancel: {
                self.stopAll()
            }
        } onGracefulShutdown: {
            self.stopAll()
        }
        state.withLock { status in
            for i in status.roots.indices { status.roots[i].mode = .stopped }
        }
    }

    /// Follows a new list of music folders (a configuration reload): threads of folders no longer
    /// listed stop, new folders get one. Any thread. Before `run()` it only changes the list.
    public func reload(roots: [RawPath]) {
        let (added, removed): ([RawPath], [StopSignal]) = threads.withLock { threads in
            if threads.stopping || !threads.started { return ([], []) }
            let current = Set(threads.byRoot.keys)
            let wanted = Set(roots)
            let removed = current.subtracting(wanted).compactMap { threads.byRoot.removeValue(forKey: $0) }
            return (roots.filter { !current.contains($0) }, removed)
        }
        for signal in removed { signal.stop() }
        state.withLock { status in
            let kept = status.roots.filter { entry in roots.contains { $0.displayString == entry.path } }
            status.roots = kept + added.map { RootStatus(path: $0.displayString, mode: .starting, watchedFolders: 0, problem: nil) }
        }
        for root in added {
            logger.info("watching a new music folder", metadata: ["root": "\(root)"])
            start(root, ready: nil)
        }
    }

    /// Starts the thread of one root (its first watcher counts towards `ready`).
    private func start(_ root: RawPath, ready: ReadyCounter?) {
        let signal: StopSignal
        do {
            signal = try StopSignal()
        } catch {
            logger.error("cannot watch a music folder", metadata: ["root": "\(root)", "detail": "\(error.expandedDescription)"])
            ready?.arrive()
            return
        }
        let accepted: Bool = threads.withLock { threads in
            if threads.stopping { return false }
            threads.byRoot[root] = signal
            threads.running += 1
            return true
        }
        guard accepted else {
            ready?.arrive()
            return
        }
        let thread = Thread { [self] in
            self.follow(root: root, stopSignal: signal, ready: ready)
            let waiter: CheckedContinuation<Void, Never>? = threads.withLock { threads in
                threads.running -= 1
                if threads.byRoot[root] === signal { threads.byRoot[root] = nil }
                guard threads.running == 0 else { return nil }
                defer { threads.allEnded = nil }
                return threads.allEnded
            }
            waiter?.resume()
        }
        thread.name = "omnisonic-watch"
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Stops every thread (shutdown).
    private func stopAll() {
        let (signals, waiter): ([StopSignal], CheckedContinuation<Void, Never>?) = threads.withLock { threads in
            threads.stopping = true
            defer { threads.stopped = nil }
            return (Array(threads.byRoot.values), threads.stopped)
        }
        for signal in signals { signal.stop() }
        waiter?.resume()
    }

    /// Updates the status entry of `root`.
    private func setStatus(_ root: RawPath, _ body: (inout RootStatus) -> Void) {
        state.withLock { status in
            if let i = status.roots.firstIndex(where: { $0.path == root.displayString }) { body(&status.roots[i]) }
        }
    }

    // MARK: - One root, on its own thread

    private func follow(root: RawPath, stopSignal: StopSignal, ready: ReadyCounter?) {
        var isFirst = true
        var wasOffline = false
        var reportedProblem: String?
        func markReady() {
            if isFirst { ready?.arrive() }
            isFirst = false
        }
        func set(_ mode: RootStatus.Mode, folders: Int = 0, problem: String? = nil) {
            setStatus(root) {
                $0.mode = mode
                $0.watchedFolders = folders
                $0.problem = problem
            }
        }

        while !stopSignal.isStopped {
            let watcher: InotifyWatcher
            do {
                watcher = try InotifyWatcher(root: root, maximumWatches: options.maximumWatchesPerRoot, stopSignal: stopSignal)
            } catch {
                if error.reason == .rootMissing {
                    if !wasOffline {
                        // The start reconcile marks it offline too; this covers a root that
                        // vanished while watched.
                        if !isFirst { scans.rootWentOffline(root) }
                        logger.warning("music folder is missing; its tracks are kept and it is looked for every \(options.offlinePollInterval)",
                                       metadata: ["root": "\(root)"])
                    }
                    wasOffline = true
                    set(.offline, problem: "the folder is missing (an unplugged disk?)")
                    markReady()
                    if stopSignal.wait(timeout: options.offlinePollInterval) { break }
                    continue
                }
                // No inotify for this root: rescan it periodically instead.
                let problem = "\(error.description): rescanned every \(options.fallbackInterval) instead"
                if reportedProblem != problem {
                    logger.error("cannot watch a music folder; falling back to periodic rescans", metadata: [
                        "root": "\(root)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                    ])
                    reportedProblem = problem
                }
                set(.polling, problem: problem)
                if !isFirst { scans.refresh(root: root, scope: .wholeRoot) }
                markReady()
                if stopSignal.wait(timeout: options.fallbackInterval) { break }
                scans.refresh(root: root, scope: .wholeRoot)
                continue
            }
            set(.watching, folders: watcher.watchedFolderCount)
            if wasOffline {
                logger.info("music folder is back; reconciling it", metadata: ["root": "\(root)"])
                wasOffline = false
            }
            // The first time, the start reconcile covers the root; after an offline spell or a
            // failure, this reconcile does.
            if !isFirst { scans.refresh(root: root, scope: .wholeRoot) }
            markReady()
            watch(watcher, root: root)
        }
        markReady()
        set(.stopped)
    }

    /// Runs one watcher until it stops (shutdown, the root gone, or a read failure).
    private func watch(_ watcher: InotifyWatcher, root: RawPath) {
        var coalescer = ChangeCoalescer<ContinuousClock.Instant>()
        // Folders that could not be watched, rescanned every `Options.fallbackInterval`.
        var unwatched: [RawPath: WatcherError] = [:]
        var nextFallback: ContinuousClock.Instant?
        while !watcher.isStopped {
            let deadline = [coalescer.deadline, nextFallback].compactMap { $0 }.min()
            let changes: [WatchChange]
            do {
                changes = try watcher.nextChanges(timeout: deadline.map { max(.zero, $0 - .now) })
            } catch {
                logger.error("watching a music folder failed; watching it again", metadata: [
                    "root": "\(root)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                ])
                scans.refresh(root: root, scope: .wholeRoot)
                return
            }
            let now = ContinuousClock.now
            if let due = nextFallback, now >= due {
                scans.refresh(root: root, scope: ScanScope(folders: unwatched.keys.map { ScanScope.Folder($0, recursive: true) }))
                nextFallback = now + options.fallbackInterval
            }
            guard case .emit(let batch) = coalescer.receive(changes, now: now) else { continue }
            var rootGone = false
            for change in batch {
                switch change {
                case .rootGone:
                    rootGone = true
                case .overflow:
                    logger.warning("inotify queue overflowed: events were lost; reconciling the folder", metadata: [
                        "root": "\(root)", "hint": "raise fs.inotify.max_queued_events",
                    ])
                case .watchFailed(let error):
                    // Past the watch limit no further folder is watched and only the first is
                    // named: the whole root needs the periodic rescans.
                    let relative = error.reason == .watchLimitReached
                        ? RawPath(bytes: []) : error.path.relative(to: root) ?? RawPath(bytes: [])
                    if unwatched.updateValue(error, forKey: relative) == nil {
                        logger.warning("a folder cannot be watched; it is rescanned every \(options.fallbackInterval)", metadata: [
                            "folder": "\(error.path)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                        ])
                    }
                    if nextFallback == nil { nextFallback = now + options.fallbackInterval }
                    setStatus(root) {
                        $0.mode = .partial
                        $0.problem = "\(unwatched.count) folder(s) cannot be watched (\(error.description)); rescanned every \(options.fallbackInterval)"
                    }
                default:
                    break
                }
            }
            let scope = ScanScope(changes: batch, root: root)
            if !scope.folders.isEmpty { scans.refresh(root: root, scope: scope) }
            if rootGone {
                scans.rootWentOffline(root)
                return
            }
            setStatus(root) { $0.watchedFolders = watcher.watchedFolderCount }
        }
    }
}

/// Counts roots that are ready and wakes the waiting task when all are. Thread-safe.
private final class ReadyCounter: Sendable {
    private let state: Mutex<(left: Int, waiter: CheckedContinuation<Void, Never>?)>

    init(count: Int) { state = Mutex((count, nil)) }

    func arrive() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.left -= 1
            guard state.left == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done: Bool = state.withLock { state in
                if state.left <= 0 { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }
}
