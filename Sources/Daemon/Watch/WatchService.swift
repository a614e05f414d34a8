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
///   user data are kept) and its existence is checked every `offlinePollInterval`; when it is
///   back, it is watched again and reconciled (its tracks come back with the same uids).
/// - **Overflow**: the watcher rebuilds its watches; the root is reconciled.
/// - **A folder that cannot be watched** (`max_user_watches`, permissions, a file system without
///   inotify) and **no inotify at all**: logged once, reconciled now and then every
///   `fallbackInterval` (periodic rescans are the fallback where watching is impossible).
/// - **read/poll failing**: the watcher is dropped, made again, and the root reconciled.
///
/// Shutdown: graceful shutdown or cancellation fires the shared `StopSignal`, which wakes every
/// thread at once; `run()` returns when all have ended.
public final class WatchService: Service, Sendable {
    /// How often a missing root is looked for.
    public let offlinePollInterval: Duration
    /// How often a root (or part of one) that cannot be watched is rescanned instead.
    public let fallbackInterval: Duration
    /// Watches one root may use (default: the kernel's limit only).
    public let maximumWatchesPerRoot: Int

    private let roots: [RawPath]
    private let scans: ScanService
    private let logger: Logger
    private let stopSignal: StopSignal
    private let state = Mutex(Status())

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
    public init(roots: [RawPath], scans: ScanService, logger: Logger, options: Options = Options()) throws(DaemonError) {
        self.roots = roots
        self.scans = scans
        self.logger = logger
        self.offlinePollInterval = options.offlinePollInterval
        self.fallbackInterval = options.fallbackInterval
        self.maximumWatchesPerRoot = options.maximumWatchesPerRoot
        do {
            stopSignal = try StopSignal()
        } catch {
            throw DaemonError(.cannotStart, message: "cannot prepare watching the music folders", detail: error.expandedDescription)
        }
        state.withLock { status in
            status.roots = roots.map { RootStatus(path: $0.displayString, mode: .starting, watchedFolders: 0, problem: nil) }
        }
    }

    /// What each root's watcher is doing. Any thread.
    public func status() -> Status { state.withLock { $0 } }

    public func run() async throws {
        let stop = stopSignal
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    // Every root reports once it is watched (or known unwatchable); then the
                    // start reconcile is asked for.
                    let ready = ReadyCounter(count: roots.count)
                    for (index, root) in roots.enumerated() {
                        group.addTask { [self] in
                            await ScanService.onThread(named: "omnisonic-watch-\(index)") { [self] in
                                self.follow(root: root, index: index, ready: ready)
                            }
                        }
                    }
                    await ready.wait()
                    if !stop.isStopped {
                        logger.info("music folders watched; reconciling with the library", metadata: [
                            "roots": "\(roots.count)",
                            "folders": "\(state.withLock { $0.roots.map(\.watchedFolders).reduce(0, +) })",
                        ])
                        scans.requestScan()
                    }
                    await group.waitForAll()
                }
            } onCancel: {
                stop.stop()
            }
        } onGracefulShutdown: {
            stop.stop()
        }
        state.withLock { status in
            for i in status.roots.indices { status.roots[i].mode = .stopped }
        }
    }

    // MARK: - One root, on its own thread

    private func follow(root: RawPath, index: Int, ready: ReadyCounter) {
        var isFirst = true
        var wasOffline = false
        var reportedProblem: String?
        func markReady() {
            if isFirst { ready.arrive() }
            isFirst = false
        }
        func set(_ mode: RootStatus.Mode, folders: Int = 0, problem: String? = nil) {
            state.withLock {
                $0.roots[index].mode = mode
                $0.roots[index].watchedFolders = folders
                $0.roots[index].problem = problem
            }
        }

        while !stopSignal.isStopped {
            let watcher: InotifyWatcher
            do {
                watcher = try InotifyWatcher(root: root, maximumWatches: maximumWatchesPerRoot, stopSignal: stopSignal)
            } catch {
                if error.reason == .rootMissing {
                    if !wasOffline {
                        // The start reconcile marks it offline too; this covers a root that
                        // vanished while watched.
                        if !isFirst { scans.rootWentOffline(root) }
                        logger.warning("music folder is missing; its tracks are kept and it is looked for every \(offlinePollInterval)",
                                       metadata: ["root": "\(root)"])
                    }
                    wasOffline = true
                    set(.offline, problem: "the folder is missing (an unplugged disk?)")
                    markReady()
                    if stopSignal.wait(timeout: offlinePollInterval) { break }
                    continue
                }
                // No inotify for this root: rescan it periodically instead.
                let problem = "\(error.description): rescanned every \(fallbackInterval) instead"
                if reportedProblem != problem {
                    logger.error("cannot watch a music folder; falling back to periodic rescans", metadata: [
                        "root": "\(root)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                    ])
                    reportedProblem = problem
                }
                set(.polling, problem: problem)
                if !isFirst { scans.refresh(root: root, scope: .wholeRoot) }
                markReady()
                if stopSignal.wait(timeout: fallbackInterval) { break }
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
            watch(watcher, root: root, index: index)
        }
        markReady()
        set(.stopped)
    }

    /// Runs one watcher until it stops (shutdown, the root gone, or a read failure).
    private func watch(_ watcher: InotifyWatcher, root: RawPath, index: Int) {
        var coalescer = ChangeCoalescer<ContinuousClock.Instant>()
        // Folders that could not be watched, rescanned every `fallbackInterval`.
        var unwatched: [RawPath: WatchError] = [:]
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
                nextFallback = now + fallbackInterval
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
                        logger.warning("a folder cannot be watched; it is rescanned every \(fallbackInterval)", metadata: [
                            "folder": "\(error.path)", "code": "\(error.code)", "detail": "\(error.expandedDescription)",
                        ])
                    }
                    if nextFallback == nil { nextFallback = now + fallbackInterval }
                    state.withLock {
                        $0.roots[index].mode = .partial
                        $0.roots[index].problem = "\(unwatched.count) folder(s) cannot be watched (\(error.description)); rescanned every \(fallbackInterval)"
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
            state.withLock { $0.roots[index].watchedFolders = watcher.watchedFolderCount }
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
