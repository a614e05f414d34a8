import Foundation
import Glibc
import LocalStore
import Logging
import MediaIO
import OmniModel
import Synchronization
import Watcher

/// Brings the library in step with the music folders: walk, compare, probe what changed, write.
///
/// The phases (see `Sources/Indexer/README.md`):
/// 1. **Walk** each root (`DirectoryWalker`); a missing root is marked offline and its tracks
///    are kept.
/// 2. **Compare** with the stored files of all online roots at once: a file whose size, mtime,
///    ctime and inode are unchanged is not touched; a path that disappeared while a new path
///    appeared with the same device, inode, size and mtime is a **move** (path updated, nothing
///    probed, identity and user data kept, across roots too); what is left over is removed.
/// 3. **Probe** new and changed files on `probeThreads` dedicated threads (never the Swift
///    cooperative pool), storing embedded artwork in the `ArtworkCache` from those threads.
/// 4. **Write** results in batched transactions from the calling thread; each batch is atomic,
///    so a crash (even `kill -9`) leaves a consistent library and the next scan carries on.
/// 5. **Finish**: drop tracks, albums, artists, genres and pictures nothing refers to.
///
/// `scan` blocks the calling thread until done. Call it from a dedicated thread. One scan at a
/// time per library (the daemon serialises them).
public final class Indexer: Sendable {
    /// The library it writes to (the scan service also keeps its scan log there).
    public let library: Library
    let reader: TagReader
    let artwork: ArtworkCache
    let logger: Logger
    private let probeThreads: Int
    private let batchSize: Int
    /// Probe results the writer waits for before it wakes (at most the queue's capacity, 128).
    static let handOff = 32

    /// The probe threads of a scan when none are asked for: one per usable core.
    public static var defaultProbeThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// - Parameters:
    ///   - library: the database to keep in step.
    ///   - artwork: where pictures are stored.
    ///   - probeThreads: threads that read tags (default: `defaultProbeThreads`).
    ///   - batchSize: probed files written per transaction.
    public init(library: Library, artwork: ArtworkCache, logger: Logger = Logger(label: "omnisonic.indexer"),
                probeThreads: Int? = nil, batchSize: Int = 500) {
        self.library = library
        self.reader = TagReader(logger: logger)
        self.artwork = artwork
        self.logger = logger
        self.probeThreads = max(1, probeThreads ?? Self.defaultProbeThreads)
        self.batchSize = batchSize
    }

    /// Scans `roots` (absolute paths) and returns what changed.
    ///
    /// - Parameters:
    ///   - cancellation: when cancelled (from any thread, before or during the scan), the scan
    ///     stops after its current batch and throws `IndexError.cancelled`.
    ///   - progress: called from the scanning thread, at most every 100 ms and once at the end.
    /// - Throws: `IndexError.store` when the database fails (full disk...): batches already
    ///   written stay, the rest is done by the next scan. Unreadable files and folders are not
    ///   errors: they are logged and counted in the summary.
    public func scan(roots: [RawPath], cancellation: ScanCancellation = ScanCancellation(),
                     progress: (@Sendable (ScanProgress) -> Void)? = nil) throws(IndexError) -> ScanSummary {
        let start = ContinuousClock.now
        var summary = ScanSummary()

        // 1. Walk.
        progress?(ScanProgress(phase: .walking, done: 0, total: 0, files: 0, elapsed: 0, rate: 0))
        var walked: [(root: MusicRoot, result: WalkResult)] = []
        do {
            for path in roots {
                let root = try library.ensureRoot(path)
                switch try walk(root, at: path, scope: .wholeRoot) {
                case .failure(let error):
                    logger.warning("music folder is offline; its tracks are kept", metadata: ["root": "\(path)", "detail": "\(error.detail)"])
                    summary.walkErrors += 1
                case .success(let result):
                    summary.walkErrors += result.errors.count
                    summary.files += result.files.count
                    walked.append((root, result))
                }
            }
        } catch {
            throw IndexError(error)
        }

        // 2. Compare.
        var plan: ScanPlan
        do {
            plan = try ScanPlan(walked: walked, library: library)
        } catch {
            throw IndexError(error)
        }
        var run = ScanRun(summary: summary, start: start, reportsChanges: false)
        try execute(&plan, walked: walked, run: &run, cancellation: cancellation, progress: progress)
        return run.summary
    }

    /// Writes a plan: moves, removals and folder pictures first, then probes new and changed
    /// files on worker threads and writes them in batches, then finishes. Shared by full scans
    /// and the watcher's partial rescans. The plan's probe jobs are taken out of it, not copied.
    private func execute(_ plan: inout ScanPlan, walked: [(root: MusicRoot, result: WalkResult)], run: inout ScanRun,
                         cancellation: ScanCancellation, progress: (@Sendable (ScanProgress) -> Void)?) throws(IndexError) {
        // The probe threads stop on the caller's request or on this scan's own failure; the
        // failure must not cancel the caller's token (it may serve later scans).
        let failed = ScanCancellation()
        let cancelled = { @Sendable in cancellation.isCancelled || failed.isCancelled }
        let clock = ContinuousClock()
        let start = run.start
        func elapsed() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var summary = run.summary
        defer { run.summary = summary }
        summary.moved = plan.batch.moved.count
        summary.removed = plan.batch.removed.count
        var firstBatch = plan.batch
        let folderArtwork = resolveFolderArtwork(plan: plan, walked: walked, batch: &firstBatch)
        do {
            run.changed.formUnion(try library.apply(firstBatch, reportingChanges: run.reportsChanges))
        } catch {
            throw IndexError(error)
        }

        // 3 + 4. Probe on worker threads, write here.
        // Taken from the plan and completed in place: one array of jobs lives while the pool
        // works, not the plan's and a copy (10,000 files: ~1.1 MB at the scan's peak).
        var taken = plan.toProbe
        plan.toProbe = []
        for index in taken.indices {
            taken[index].folderArtwork = folderArtwork[FolderKey(rootID: taken[index].rootID,
                                                                 folder: taken[index].entry.relativePath.deletingLastComponent)]
        }
        let jobs = taken
        let rootPaths = Dictionary(uniqueKeysWithValues: walked.map { ($0.root.id, $0.root.path) })
        let reader = self.reader, artwork = self.artwork, logger = self.logger
        let pool = ProbePool(jobs: jobs, threads: probeThreads, name: "omnisonic-probe", stackSize: 4 << 20,
                             cancelled: cancelled) { job in
            Self.probe(job, rootPath: rootPaths[job.rootID]!, reader: reader, artwork: artwork, logger: logger)
        }
        let results = pool.results
        // A scan of more than one batch checkpoints the WAL every 4,096 pages, not every 1,000,
        // on this thread (`Library.spaceOutCheckpoints`, decision 0039).
        var checkpoints = jobs.count > batchSize ? library.spaceOutCheckpoints() : nil
        defer { checkpoints?.restore() }

        let probeStart = elapsed()
        var done = 0
        var lastReport = -1.0
        func report(_ phase: ScanProgress.Phase) {
            let now = elapsed()
            let rate = now > probeStart ? Double(done) / (now - probeStart) : 0
            progress?(ScanProgress(phase: phase, done: done, total: jobs.count, files: summary.files, elapsed: now, rate: rate))
            lastReport = now
        }
        report(.probing)
        /// Takes what the probe threads have made, up to `upTo` results, waiting at most
        /// `timeout` for a hand-off, into a chunk for the writer.
        func collect(upTo room: Int, timeout: TimeInterval) -> ScanBatch {
            var chunk = ScanBatch()
            for output in results.pop(atLeast: min(Self.handOff, jobs.count - done), upTo: room, timeout: timeout) {
                done += 1
                switch output.kind {
                case .probed(let probed):
                    if case .track(let result, _, _) = probed.outcome, !result.warnings.isEmpty { summary.warnings += 1 }
                    if case .failed = probed.outcome { summary.failed += 1 } else if output.job.existingFileID == nil {
                        summary.added += 1
                    } else {
                        summary.updated += 1
                    }
                    chunk.probed.append(probed)
                case .vanished:
                    if let id = output.job.existingFileID {
                        chunk.removed.append(id)
                        summary.removed += 1
                    }
                case .beingWritten:
                    summary.busy += 1
                }
            }
            if progress != nil && elapsed() - lastReport >= 0.1 { report(.probing) }
            return chunk
        }
        do {
            while done < jobs.count {
                if cancelled() { break }
                // The first hand-off is awaited outside any transaction, so that slow probing
                // never holds the database's writer.
                let first = collect(upTo: batchSize, timeout: 0.1)
                if first.isEmpty { continue }
                // Then one transaction takes each hand-off as it comes and writes it at once
                // (`Library.apply(chunks:)`, decision 0039), up to `batchSize` files or a
                // quarter of a second; a hand-off that does not come within 50 ms ends it
                // early. The transaction holds the database's writer: other writers (a star
                // from the web UI, a merge from sync) wait at most about that long.
                let opened = elapsed()
                var written = 0
                var pending: ScanBatch? = first
                run.changed.formUnion(try library.apply(chunks: {
                    if let chunk = pending {
                        pending = nil
                        written += chunk.probed.count + chunk.removed.count
                        return chunk
                    }
                    guard done < jobs.count, written < batchSize, !cancelled(), elapsed() - opened < 0.25 else { return nil }
                    let chunk = collect(upTo: batchSize - written, timeout: 0.05)
                    if chunk.isEmpty { return nil }
                    written += chunk.probed.count + chunk.removed.count
                    return chunk
                }, reportingChanges: run.reportsChanges))
            }
        } catch {
            // Stop the probe threads and wait for them before returning: a thread still inside
            // FFmpeg or libcrypto while the process exits crashes in their teardown.
            failed.cancel()
            pool.join()
            throw IndexError(error)
        }
        pool.join()

        // 5. Finish (only when something changed: a no-change rescan writes nothing).
        report(.finishing)
        checkpoints?.restore()  // before the last transaction, whose commit checkpoints
        if !firstBatch.isEmpty || !jobs.isEmpty {
            do {
                let cleanup = try library.finishScan()
                artwork.remove(hashes: cleanup.unusedArtwork)
                run.removed.append(contentsOf: cleanup.removedTracks)
            } catch {
                throw IndexError(error)
            }
        }
        if cancellation.isCancelled {
            throw IndexError(.cancelled, message: "scan cancelled after \(done) of \(jobs.count) files")
        }
        summary.seconds = elapsed()
        report(.finishing)
    }

    /// Walks the folders of `scope` in one root (stat only), logs what could not be read, and
    /// keeps the root's online flag in step: offline when the root itself is gone (its tracks are
    /// kept), back online when it is there again. Shared by full scans and partial rescans.
    ///
    /// - Returns: the folders' files, artwork and errors together, or the error that says the
    ///   root is gone.
    private func walk(_ root: MusicRoot, at path: RawPath, scope: ScanScope) throws(StoreError) -> Result<WalkResult, WatcherError> {
        var result = WalkResult()
        for folder in scope.folders {
            let walked: WalkResult
            do {
                walked = try DirectoryWalker().walk(root: path, folder: folder.path, recursive: folder.recursive)
            } catch {
                if root.online { try library.setRoot(root.id, online: false) }
                return .failure(error)
            }
            for error in walked.errors {
                logger.warning("\(error.description)", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            }
            result.files += walked.files
            result.folderArtwork += walked.folderArtwork
            result.errors += walked.errors
            result.unreadableFolders += walked.unreadableFolders
            result.folders += walked.folders
        }
        if !root.online {
            logger.info("music folder is back online", metadata: ["root": "\(path)"])
            try library.setRoot(root.id, online: true)
        }
        return .success(result)
    }

    /// Marks `root` offline (its disk is gone): its files, tracks and user data are kept, and
    /// the next scan or refresh that finds it brings it back online.
    ///
    /// - Returns: true when it was online.
    public func markOffline(root path: RawPath) throws(IndexError) -> Bool {
        try IndexError.store { () throws(StoreError) in
            let root = try library.ensureRoot(path)
            guard root.online else { return false }
            try library.setRoot(root.id, online: false)
            return true
        }
    }

    /// Rescans only the folders of one root that a batch of watched changes touched (stat only,
    /// probing what is new or changed), and returns what changed in the library.
    ///
    /// Moves inside the scope are recognised as in a full scan (same device, inode, size and
    /// mtime: path updated, uid and user data kept, nothing probed), so the watcher's rename
    /// pairs need no special path: both folders are simply in scope.
    /// - Parameters:
    ///   - root: a music root (absolute), as given to `scan`.
    ///   - scope: the folders to compare (see `ScanScope(changes:root:)`).
    /// - Throws: `IndexError.rootMissing` when the root itself is gone (the caller marks it
    ///   offline; nothing is removed), `IndexError.store` when the database fails.
    public func refresh(root path: RawPath, scope: ScanScope, cancellation: ScanCancellation = ScanCancellation()) throws(IndexError) -> RefreshOutcome {
        let start = ContinuousClock.now
        var summary = ScanSummary()
        let root: MusicRoot
        let walkedScope: Result<WalkResult, WatcherError>
        do {
            root = try library.ensureRoot(path)
            walkedScope = try walk(root, at: path, scope: scope)
        } catch {
            throw IndexError(error)
        }
        var result: WalkResult
        switch walkedScope {
        case .success(let walked): result = walked
        case .failure(let error):
            throw IndexError(.rootMissing, message: "music folder \(path) is offline; its tracks are kept", detail: error.detail)
        }
        // The scope's folders are disjoint (normalised), so concatenating and sorting keeps the
        // merge join's order.
        result.files.sort { $0.relativePath < $1.relativePath }
        result.folderArtwork.sort { $0.folder < $1.folder }
        summary.files = result.files.count
        summary.walkErrors = result.errors.count

        var plan: ScanPlan
        do {
            var stored: [StoredFile] = []
            for folder in scope.folders {
                stored += try library.storedFiles(root: root.id, folder: folder.path, recursive: folder.recursive)
            }
            // One read of the root's pictures (a row per folder), kept for the folders in scope.
            let pictures = try library.storedFolderArtwork(roots: [root.id]).filter { picture in
                scope.folders.contains { $0.recursive ? picture.folder.isWithin($0.path) : picture.folder == $0.path }
            }
            stored.sort { $0.relativePath < $1.relativePath }
            plan = ScanPlan(walked: [(root, result)], stored: stored, storedPictures: pictures)
        } catch {
            throw IndexError(error)
        }
        var run = ScanRun(summary: summary, start: start, reportsChanges: true)
        try execute(&plan, walked: [(root, result)], run: &run, cancellation: cancellation, progress: nil)
        let removed = Set(run.removed)
        return RefreshOutcome(summary: run.summary, changed: run.changed.subtracting(removed).sorted(), removed: removed.sorted())
    }

    /// Reads the folder pictures that are new or changed into the cache, and returns the
    /// picture of every folder that has one.
    ///
    /// The pictures are read, hashed and written on the probe threads: done here, one after the
    /// other, they were the start of every first scan that nothing else ran beside (a few
    /// hundred `cover.jpg` of a 10,000-file library: about 5 % of the scan's writer time).
    private func resolveFolderArtwork(plan: ScanPlan, walked: [(root: MusicRoot, result: WalkResult)],
                                      batch: inout ScanBatch) -> [FolderKey: StoredArtwork] {
        var byFolder: [FolderKey: StoredArtwork] = plan.unchangedFolderArtwork
        var pictures: [(index: Int, root: MusicRoot, picture: FolderArtworkEntry)] = []
        for (root, result) in walked {
            for picture in result.folderArtwork where plan.unchangedFolderArtwork[FolderKey(rootID: root.id, folder: picture.folder)] == nil {
                pictures.append((pictures.count, root, picture))
            }
        }
        let artwork = self.artwork, logger = self.logger
        // Each root's real path once, not once per picture (a `readlink` per component each time).
        let realRoots = Dictionary(walked.map { ($0.root.id, $0.root.path.resolvingLinks) }, uniquingKeysWith: { first, _ in first })
        let pool = ProbePool(jobs: pictures, threads: probeThreads, name: "omnisonic-picture", stackSize: 1 << 20,
                             cancelled: { false }) { job -> (index: Int, stored: StoredArtwork?) in
            do throws(IndexError) {
                // The walker checked the link; checked again at reading, since a picture is
                // served to clients (decision 0009: nothing outside a music folder is).
                let path = job.root.path.appending(job.picture.relativePath)
                guard let realRoot = realRoots[job.root.id] ?? nil, path.resolves(within: realRoot) else {
                    throw IndexError(.artwork, message: "the picture \(path) leads out of the music folder; not read")
                }
                return (job.index, try artwork.storeFile(at: path))
            } catch {
                logger.warning("\(error.description)", metadata: ["detail": "\(error.detail)"])
                return (job.index, nil)
            }
        }
        var stored = [StoredArtwork?](repeating: nil, count: pictures.count)
        var read = 0
        while read < pictures.count {
            for output in pool.results.pop(atLeast: pictures.count - read, upTo: pictures.count, timeout: 1) {
                stored[output.index] = output.stored
                read += 1
            }
        }
        pool.join()
        for (index, root, picture) in pictures {
            let key = FolderKey(rootID: root.id, folder: picture.folder)
            if let artwork = stored[index] { byFolder[key] = artwork }
            batch.folderPictures.append(ScanBatch.FolderPicture(
                rootID: root.id, folder: picture.folder, relativePath: picture.relativePath,
                size: picture.size, mtimeNs: picture.mtimeNs, artwork: stored[index]))
        }
        batch.removedFolderPictures = plan.removedFolderArtwork
        return byFolder
    }

    /// Probes one file (on a worker thread) and stores its artwork.
    static func probe(_ job: ProbeJob, rootPath: RawPath, reader: TagReader, artwork: ArtworkCache,
                              logger: Logger) -> ProbeOutput {
        let path = rootPath.appending(job.entry.relativePath)
        do {
            guard var result = try reader.probeUnlessBeingWritten(path, withArtwork: true) else {
                // A copy in progress: its close event (or the next scan) brings it in complete.
                return ProbeOutput(job: job, kind: .beingWritten)
            }
            // Read, but not all of it: kept with the file (`file.probeError`) and logged.
            for warning in result.warnings {
                logger.warning("\(warning.message)", metadata: ["file": "\(path)", "code": "\(warning.code.rawValue)"])
            }
            var stored: StoredArtwork?
            if let image = result.artwork {
                do {
                    stored = try artwork.store(image)
                } catch {
                    logger.warning("\(error.description)", metadata: ["file": "\(path)", "detail": "\(error.detail)"])
                }
                result.artwork = nil  // the bytes are in the cache; keep memory flat
            }
            var probed = ScanBatch.Probed(rootID: job.rootID, entry: job.entry,
                                          outcome: .track(result, artwork: stored, folderArtwork: job.folderArtwork))
            probed.foldSearchText()  // here, not on the writer thread
            return ProbeOutput(job: job, kind: .probed(probed))
        } catch {
            var st = stat()
            if path.withCString({ lstat($0, &st) }) != 0 && errno == ENOENT {
                // Deleted while we were scanning: not an error, just gone.
                return ProbeOutput(job: job, kind: .vanished)
            }
            logger.warning("\(error.description)", metadata: ["code": "\(error.code)", "detail": "\(error.detail)"])
            return ProbeOutput(job: job, kind: .probed(ScanBatch.Probed(
                rootID: job.rootID, entry: job.entry, outcome: .failed(code: error.code, message: error.description))))
        }
    }
}

/// What one scan accumulates while it writes.
struct ScanRun {
    var summary: ScanSummary
    var start: ContinuousClock.Instant
    /// Whether to collect `changed` (partial rescans announce it; a full scan does not, and
    /// saves a query per batch).
    let reportsChanges: Bool
    /// Tracks added, re-read or moved (when `reportsChanges`).
    var changed = Set<TrackUID>()
    /// Tracks gone from the library.
    var removed: [TrackUID] = []
}

/// A file to probe.
struct ProbeJob: Sendable {
    var rootID: Int64
    var entry: FileEntry
    /// The file row it replaces (a changed file), nil for a new file.
    var existingFileID: Int64?
    var folderArtwork: StoredArtwork?
}

/// What a worker thread hands back.
struct ProbeOutput: Sendable {
    enum Kind: Sendable {
        case probed(ScanBatch.Probed)
        case vanished
        /// Still open for writing by some process: left for its close event.
        case beingWritten
    }
    var job: ProbeJob
    var kind: Kind
}

/// A folder of a root.
struct FolderKey: Hashable, Sendable {
    var rootID: Int64
    var folder: RawPath
}
