import Foundation
import LocalStore
import Logging
import OmniModel
import ServiceLifecycle
import Synchronization

/// The daemon's sync client: pushes this device's operations soon after they are recorded and
/// pulls the user's stream continuously (long poll), offline-first (decision 0013).
///
/// - Push: at start and whenever a transaction writes the operation log
///   (`Library.operationLogChanges`, a GRDB observation: no polling, no wake-up while nothing
///   changes), the operations of this device not yet acknowledged (`Library.unpushedOperations`)
///   go in batches of up to 1,000; the acknowledgement moves `pushed` (a crash in between only
///   re-sends: the server ignores operations it has). After a graceful shutdown what is pending
///   is pushed once more, for at most `flushSeconds`; what does not go out then stays in the log
///   for the next start.
/// - Pull: `GET /v1/pull` after the stored cursor, waiting up to `longPollSeconds` (25 s); new
///   operations are merged by `Library.applyPulled` (same merge as local changes) and the cursor
///   moves in the same transaction; their `LibraryEvent`s are published. A long poll that could
///   not acknowledge (a push was pending) gives way when this device's push lands, so the
///   acknowledgement follows at once rather than when the poll ends.
/// - Offline: any failure marks the state disconnected and retries with exponential backoff
///   (0.25 s doubling to 30 s, ±20 % jitter); local changes keep being recorded meanwhile.
/// - State: `state()` for `GET /api/sync`, and a `.sync` event whenever it changes.
///
/// Library calls block (SQLite), so each runs on a dedicated thread. A `Service`: graceful
/// shutdown cancels both loops (an open long poll is cancelled at once), then flushes.
public final class SyncService: Service, Sendable {
    private let library: Library
    private let client: SyncClient
    private let logger: Logger
    private let publish: @Sendable (LibraryEvent) -> Void
    private let flushSeconds: Double
    private let longPollSeconds: Double
    private let current = Mutex(SyncState(enabled: true))
    private let nudgeStream: AsyncStream<Void>
    private let nudgeContinuation: AsyncStream<Void>.Continuation
    /// Wakes a loop sleeping in backoff when the other loop reached the server (0: pull, 1: push),
    /// and a long poll that did not acknowledge when a push of this device landed (2).
    private let wakes = StreamNotifier()

    /// - Parameters:
    ///   - flushSeconds: how long a graceful shutdown may spend pushing what is pending (the
    ///     daemon promises to be gone within 5 s).
    ///   - longPollSeconds: how long a pull with nothing new waits for the server (within the
    ///     server's `maxWaitSeconds`, 30 s by default). Tests lengthen it to tell "answered at
    ///     once" from "answered when the poll ended" without a tight deadline.
    ///   - publish: receives the events of pulled operations and `.sync` state changes; any
    ///     thread, must not block.
    public init(library: Library, client: SyncClient, logger: Logger, flushSeconds: Double = 2,
                longPollSeconds: Double = 25, publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.library = library
        self.client = client
        self.logger = logger
        self.flushSeconds = flushSeconds
        self.longPollSeconds = longPollSeconds
        self.publish = publish
        (nudgeStream, nudgeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The former initializer: the push is now woken by the operation log itself, so neither
    /// events nor a polling interval are needed (both are ignored).
    @available(*, deprecated, message: "the operation log wakes the push; drop triggers and pollInterval")
    public convenience init(library: Library, client: SyncClient, logger: Logger, triggers: AsyncStream<LibraryEvent>?,
                            pollInterval: Duration = .milliseconds(500), publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.init(library: library, client: client, logger: logger, publish: publish)
    }

    /// The current state (cheap; any task).
    public func state() -> SyncState { current.withLock { $0 } }

    /// Asks for a push now (any thread; coalesces).
    public func nudge() { nudgeContinuation.yield() }

    public func run() async {
        let server = client.baseURL.absoluteString
        let library = self.library
        // The stored progress belongs to one server; another URL starts over.
        if case .success(let progress) = await Self.blocking({ () throws(StoreError) in try library.syncProgress(server: server) }) {
            update { $0.cursor = progress.cursor; $0.pending = progress.pending }
        }
        // Observed before the first push, so that nothing recorded in between is missed; starting
        // it waits for the writer, so off the pool.
        let changes = await DedicatedThread.run(named: "omnisonic-sync") { library.operationLogChanges() }
        nudge()  // what was recorded while the daemon was not running, or not yet acknowledged
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.pushLoop() }
                group.addTask { await self.pullLoop() }
                group.addTask {
                    // One wake-up per commit that wrote the log (a local change, or merged remote
                    // operations: then the push finds nothing of this device's and sleeps again).
                    for await _ in changes { self.nudge() }
                }
                // Every loop runs until cancelled (graceful shutdown, or the task's cancellation).
                await group.waitForAll()
            }
        }
        nudgeContinuation.finish()
        await flush()
    }

    /// Pushes what is pending once more, for at most `flushSeconds` (the daemon stops sync after
    /// the HTTP server and the MPD front door, so nothing new is recorded meanwhile). Offline, or
    /// when the task itself was cancelled, it gives up at once: the operations stay in the log
    /// and go out at the next start.
    private func flush() async {
        let library = self.library, client = self.client, seconds = flushSeconds
        guard case .success(let logged) = await Self.blocking({ () throws(StoreError) in try library.unpushedOperations(limit: 1000) }),
              let last = logged.last?.seq else { return }
        let ops = logged.map(\.operation)
        let pushed = await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.push(ops)) != nil }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if pushed, case .success(let progress) = await Self.blocking({ () throws(StoreError) in try library.markPushed(through: last) }) {
            update { $0.pending = progress.pending }
        }
        logger.debug("sync flushed at shutdown", metadata: ["operations": "\(ops.count)", "pushed": "\(pushed)"])
    }

    // MARK: - Loops

    private func pushLoop() async {
        var backoff = Backoff()
        let library = self.library
        // Halved when the server finds a batch too large (operations with long id lists).
        var batchSize = 1000
        // This library's device id, which the server binds the token to (decision 0017).
        var device: String?
        for await _ in nudgeStream {
            while !Task.isCancelled {
                let limit = batchSize
                let batch = await Self.blocking { () throws(StoreError) in try library.unpushedOperations(limit: limit) }
                guard case .success(let logged) = batch else {
                    if case .failure(let error) = batch { failed(error) }
                    break
                }
                if logged.isEmpty { break }
                update { $0.pending = max($0.pending, logged.count) }
                if device == nil, case .success(let id) = await Self.blocking({ () throws(StoreError) in try library.deviceID() }) {
                    device = id
                }
                do {
                    let answer = try await client.push(logged.map(\.operation), device: device)
                    let last = logged.last!.seq
                    let progress = await Self.blocking { () throws(StoreError) in try library.markPushed(through: last) }
                    if case .success(let progress) = progress { update { $0.pending = progress.pending } }
                    wakes.notify(2)
                    succeeded(wake: 0)
                    backoff.reset()
                    batchSize = min(1000, batchSize * 2)
                    logger.debug("pushed", metadata: ["accepted": "\(answer.accepted)", "duplicates": "\(answer.duplicates)"])
                } catch {
                    if error.reason == .tooLarge && batchSize > 1 {
                        batchSize = max(1, batchSize / 2)
                        continue
                    }
                    let seen = wakes.generation(of: 1)
                    failed(error)
                    await wakes.wait(for: 1, seen: seen, seconds: backoff.nextSeconds())
                }
            }
            if Task.isCancelled { return }
        }
    }

    private func pullLoop() async {
        var backoff = Backoff()
        let library = self.library
        var more = true
        // Halved when an answer passes this device's byte bound (nothing of it is applied, the
        // cursor stays), back up after each applied page: a server that keeps to `bytes=`
        // never needs it.
        var limit = 1000
        while !Task.isCancelled {
            let cursor = state().cursor
            let seen = wakes.generation(of: 0)
            do {
                // After a failure the first pull does not wait: the state turns connected as soon
                // as the server answers, not when a quiet stream's long poll ends.
                // Acknowledge the cursor only with nothing pending: the server may then forget
                // removals up to it, and an add it stored but never acknowledged, sent again,
                // would come back. `pending` stays above 0 from a push until its acknowledgement
                // is saved (and from the start when one was lost); changes recorded since the
                // last push were never sent, so they cannot be such an add.
                let wait: Double = more || !state().connected ? 0 : longPollSeconds
                let acknowledge = cursor > 0 && state().pending == 0
                let answer: PullResponse
                if wait > 0 && !acknowledge {
                    // A push of this device in flight: when it lands, ask again at once, with the
                    // acknowledgement, instead of holding this long poll to its end.
                    guard let polled = try await longPoll(after: cursor, limit: limit, pushSeen: wakes.generation(of: 2)) else { continue }
                    answer = polled
                } else {
                    answer = try await client.pull(after: cursor, limit: limit, wait: wait, acknowledge: acknowledge)
                }
                if answer.head < cursor {
                    // The server lost history (restored from an older backup, or replaced):
                    // start over; pushes are idempotent, so everything is sent again safely.
                    logger.warning("the sync server is behind this device; synchronizing from the start",
                                   metadata: ["cursor": "\(cursor)", "head": "\(answer.head)"])
                    let reset = await Self.blocking { () throws(StoreError) in try library.resetSyncProgress() }
                    if case .success(let progress) = reset { update { $0.cursor = progress.cursor; $0.pending = progress.pending } }
                    more = true
                    nudge()
                    continue
                }
                if !answer.ops.isEmpty {
                    let ops = answer.ops, next = answer.cursor
                    let applied = await Self.blocking { () throws(StoreError) in try library.applyPulled(ops, cursor: next) }
                    switch applied {
                    case .success(let new):
                        update { $0.cursor = next }
                        for event in UserOperation.events(for: new) { publish(event) }
                    case .failure(let error):
                        failed(error)
                        await wakes.wait(for: 0, seen: seen, seconds: backoff.nextSeconds())
                        continue
                    }
                }
                more = answer.more
                limit = min(1000, limit * 2)
                succeeded(wake: 1)
                backoff.reset()
            } catch {
                if Task.isCancelled { return }
                failed(error)
                if error.reason == .tooLarge && limit > 1 {
                    // Shown in the state and logged (failed), then at once with fewer operations.
                    limit = max(1, limit / 2)
                    continue
                }
                await wakes.wait(for: 0, seen: seen, seconds: backoff.nextSeconds())
            }
        }
    }

    /// A long poll without acknowledgement that gives way (nil) when a push of this device lands
    /// after `pushSeen`: then nothing may be pending any more, and the next pull acknowledges.
    private func longPoll(after cursor: Int64, limit: Int, pushSeen: UInt64) async throws(SyncError) -> PullResponse? {
        let client = self.client, wakes = self.wakes, seconds = longPollSeconds
        let first = await withTaskGroup(of: Result<PullResponse, SyncError>?.self) { group in
            group.addTask {
                do throws(SyncError) {
                    return .success(try await client.pull(after: cursor, limit: limit, wait: seconds))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                await wakes.wait(for: 2, seen: pushSeen, seconds: 3600)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return try first?.get()
    }

    // MARK: - State

    private func update(_ change: (inout SyncState) -> Void) {
        let (before, after) = current.withLock { state -> (SyncState, SyncState) in
            let before = state
            change(&state)
            return (before, state)
        }
        var a = before, b = after
        a.lastSync = nil
        b.lastSync = nil
        if a != b { publish(.sync(after)) }
    }

    /// Records a successful exchange; if the state was disconnected, wakes the other loop
    /// (`wake`) from its backoff, since the server is back.
    private func succeeded(wake other: Int64) {
        let now = Date().timeIntervalSince1970
        let wasConnected = state().connected
        update { $0.connected = true; $0.error = nil; $0.lastSync = now }
        if !wasConnected { wakes.notify(other) }
    }

    private func failed(_ error: some Error) {
        let message = (error as? any OmniError)?.description ?? "\(error)"
        if state().connected || state().error != message {
            logger.warning("sync failed; retrying", metadata: ["error": "\(message)"])
        }
        update { $0.connected = false; $0.error = message }
    }

    /// Runs a blocking library call on a dedicated thread (`omnisonic-sync`).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(StoreError) -> T) async -> Result<T, StoreError> {
        await DedicatedThread.run(named: "omnisonic-sync") { Result { () throws(StoreError) in try body() } }
    }
}

/// Exponential backoff with jitter: 0.25 s, 0.5 s, … up to 30 s.
struct Backoff {
    private var attempt = 0

    mutating func reset() { attempt = 0 }

    mutating func nextSeconds() -> Double {
        let base = min(30.0, 0.25 * pow(2.0, Double(attempt)))
        attempt = min(attempt + 1, 16)
        return base * Double.random(in: 0.8...1.2)
    }
}
