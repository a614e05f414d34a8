import Dispatch
import Foundation
import LocalStore
import Logging
import OmniModel
import Synchronization

/// The server-side player: a persisted queue, and an output thread that decodes the current
/// track and writes it to ALSA, joining tracks without a gap.
///
/// Concurrency (who may touch what):
/// - Every public method may be called from any thread or task. Each takes the state lock
///   briefly, changes what the user asked for (the queue, the wanted playback state, a seek or
///   a jump), wakes the output thread and returns; none waits for audio.
/// - The output thread (`PlayerEngine`, one `Thread` started by `start()`) alone owns the
///   decoders and the ALSA device. It reads the wanted state between writes (every period,
///   ~50 ms) and reports back what it did (position, output format, errors) under the lock.
/// - Library writes (the saved queue, play counts) go to one serial dispatch queue, in order,
///   off both the output thread and the cooperative pool.
public final class Player: Sendable {
    let library: Library
    let configuration: PlayerConfiguration
    let logger: Logger
    let publish: @Sendable (LibraryEvent) -> Void
    let shared: Mutex<Shared>
    /// The PCM names ALSA listed last time (`isAllowedOutput`).
    let knownOutputs = Mutex<Set<String>>([])
    let wake = DispatchSemaphore(value: 0)
    let store = DispatchQueue(label: "omnisonic-player-store")
    /// The entries the last queue save left in the library (nil: unknown, so the next save
    /// writes them all). Read and written only on `store`: a save then rewrites only the rows
    /// from the first position that changed (appending 10,000 songs to a 10,000-song queue
    /// writes 10,000 rows, not 20,000; a mode change writes none).
    private let storedEntries = Mutex<[QueueEntry]?>(nil)

    /// What the user wants and what the output thread reports, behind one lock.
    struct Shared {
        var queue = PlayQueue()
        var playback = PlaybackState.stopped
        var volume = 100
        var error: String?
        /// `device` is the one the user chose (`setOutput`, at start the configured one): the
        /// output thread reopens on it when it differs from the one it has open. The format
        /// fields describe the device open now.
        var output: OutputDescription
        var positionMs = 0
        var durationMs: Int?
        /// A seek (or the saved position) the output thread applies when it next plays.
        var pendingSeekMs: Int?
        /// The current entry changed by a user action: reopen it, cut what the device holds.
        var restart = false
        var shutdown = false
        var started = false
        var finished = false
        /// `shutdown()` waiting for the output thread to end.
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
        var underruns = 0
    }

    /// Creates the player and restores the saved queue: the current entry comes back paused
    /// at its saved position. Does not open the device (`start()` starts the output thread;
    /// the device opens on `play`).
    ///
    /// - Parameter publish: receives `LibraryEvent.player` (and `.tracksChanged` after a
    ///   completed play); any thread, must not block.
    public init(library: Library, configuration: PlayerConfiguration, logger: Logger,
                publish: @escaping @Sendable (LibraryEvent) -> Void) {
        self.library = library
        self.configuration = configuration
        self.logger = logger
        self.publish = publish
        var state = Shared(output: OutputDescription(device: configuration.output))
        do {
            let saved = try library.savedPlayerQueue()
            state.queue = PlayQueue(entries: saved.entries, currentEntryId: saved.currentEntryId, repeatMode: saved.repeatMode,
                                    shuffle: saved.shuffle, consume: saved.consume, order: saved.shuffleOrder)
            state.volume = saved.volume
            if state.queue.current != nil {
                state.playback = .paused
                let position = min(max(0, saved.positionMs), Self.maximumSeekMs)
                state.positionMs = position
                state.pendingSeekMs = position
                state.restart = true
            }
        } catch {
            logger.error("cannot restore the play queue; starting empty", metadata: ["detail": "\(error.expandedDescription)"])
        }
        shared = Mutex(state)
    }

    /// Starts the output thread (once). Any thread.
    public func start() {
        let first = shared.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        let thread = Thread { [self] in
            PlayerEngine(player: self).run()
            let waiters = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.finished = true
                defer { s.shutdownWaiters = [] }
                return s.shutdownWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "omnisonic-player"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the output thread, releases the device and saves the queue and position. Returns
    /// once the device is closed. Idempotent.
    public func shutdown() async {
        let running = shared.withLock { state -> Bool in
            state.shutdown = true
            return state.started && !state.finished
        }
        if running {
            await withCheckedContinuation { continuation in
                // Checked and stored under the lock the thread takes when it ends: no lost wake-up.
                let ended = shared.withLock { s -> Bool in
                    if s.finished { return true }
                    s.shutdownWaiters.append(continuation)
                    return false
                }
                if ended { continuation.resume() }
                wake.signal()
            }
        }
        let saved = snapshotForStore()
        // After every save queued before it; the task waits without holding a thread of the pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            store.async {
                self.persist(saved)
                continuation.resume()
            }
        }
    }

    // MARK: - State

    /// The whole state, as `GET /api/player` shows it. Any thread.
    ///
    /// The position is within the current track: 0 without one, at most the track's length
    /// (for a seek made while stopped, before the track was opened, the library's length).
    public func status() -> PlayerStatus {
        var status = shared.withLock { s in
            PlayerStatus(state: s.playback, queue: s.queue.entries, currentIndex: s.queue.current,
                         positionMs: s.queue.current == nil ? 0 : s.pendingSeekMs ?? s.positionMs,
                         durationMs: s.queue.current == nil ? nil : s.durationMs,
                         volume: s.volume, repeatMode: s.queue.repeatMode, shuffle: s.queue.shuffle,
                         consume: s.queue.consume, output: s.output, error: s.error, underruns: s.underruns)
        }
        let length = status.durationMs ?? status.current.flatMap { entry in (try? library.track(uid: entry.uid))?.durationMs }
        if let length { status.positionMs = min(status.positionMs, max(0, length)) }
        return status
    }

    // MARK: - Queue

    /// Adds tracks to the queue (or replaces it), before `index` or at the end.
    ///
    /// - Parameter fromLibrary: the caller read `uids` from the library itself (MPD's song
    ///   index), so they are not looked up again (a track removed since then is what a queue
    ///   entry whose track was removed later already is: skipped when its turn comes).
    /// - Returns: the new entries, in order (their ids are what MPD clients call song ids).
    /// - Throws: `PlayerError.trackMissing` naming the first uid the library does not have
    ///   (nothing is added then); `.store` when the library fails.
    @discardableResult
    public func enqueue(_ uids: [TrackUID], replace: Bool = false, at index: Int? = nil, fromLibrary: Bool = false) throws(PlayerError) -> [QueueEntry] {
        if !fromLibrary {
            let known: Set<TrackUID>
            do { known = try library.existingTrackUIDs(uids) } catch { throw PlayerError(error) }
            if let missing = uids.first(where: { !known.contains($0) }) {
                throw PlayerError(.trackMissing, message: "no track \(missing)")
            }
        }
        var added: [QueueEntry] = []
        change(persist: true) { s in
            if replace {
                let wasCurrent = s.queue.current != nil
                s.queue.replace(with: uids)
                added = s.queue.entries
                if wasCurrent { self.jump(&s, to: nil) }
            } else {
                added = s.queue.insert(uids, at: index)
            }
        }
        return added
    }

    /// The tracks of a playlist, an album, a saved search or a search, in their order.
    ///
    /// - Throws: `PlayerError.trackMissing` when the playlist, album or saved search does not
    ///   exist; `.store` when the library fails.
    public func tracks(of source: QueueSource) throws(PlayerError) -> [TrackUID] {
        do {
            switch source {
            case .tracks(let uids):
                return uids
            case .playlist(let id):
                guard let playlist = try library.playlist(id: id) else { throw PlayerError(.trackMissing, message: "no playlist \(id)") }
                return playlist.items.map(\.uid)
            case .album(let id):
                guard let album = try library.album(id: id) else { throw PlayerError(.trackMissing, message: "no album \(id)") }
                return album.tracks.map(\.uid)
            case .savedSearch(let id):
                guard let results = try library.evaluate(savedSearch: id, limit: 10_000) else {
                    throw PlayerError(.trackMissing, message: "no saved search \(id)")
                }
                return results.tracks.map(\.uid)
            case .search(let text):
                return try library.search(SearchQuery(text: text, limit: 10_000)).tracks.map(\.uid)
            }
        } catch let error as PlayerError {
            throw error
        } catch let error as StoreError {
            throw PlayerError(error)
        } catch {
            throw PlayerError(.store, message: "\(error)")
        }
    }

    /// Removes the entry at `index`; removing the current entry moves on to the next one.
    ///
    /// - Throws: `PlayerError.entryMissing` for an index outside the queue.
    public func remove(at index: Int) throws(PlayerError) {
        try checked(index)
        change(persist: true) { s in
            if s.queue.remove(at: index) { self.jump(&s, to: s.queue.current) }
        }
    }

    /// Moves the entry at `from` to `to` (clamped). Playback is not interrupted.
    ///
    /// - Throws: `PlayerError.entryMissing` for a `from` outside the queue.
    public func move(from: Int, to: Int) throws(PlayerError) {
        try checked(from)
        change(persist: true) { $0.queue.move(from: from, to: to) }
    }

    /// Shuffles the entries at `range` (clamped) in place; the current entry keeps playing.
    /// MPD's `shuffle` (the web UI's shuffle is a play order instead: `setShuffle`).
    public func shuffleEntries(in range: Range<Int>? = nil) {
        change(persist: true) { $0.queue.shuffleEntries(in: range) }
    }

    /// Exchanges the entries at `a` and `b` in one change (MPD's `swap`). Playback is not interrupted.
    ///
    /// - Throws: `PlayerError.entryMissing` for an index outside the queue.
    public func swapEntries(_ a: Int, _ b: Int) throws(PlayerError) {
        try checked(a)
        try checked(b)
        change(persist: true) { $0.queue.swapEntries(a, b) }
    }

    /// Empties the queue and stops.
    public func clear() {
        change(persist: true) { s in
            s.queue.clear()
            self.jump(&s, to: nil)
        }
    }

    public func setRepeat(_ mode: RepeatMode) { change(persist: true) { $0.queue.repeatMode = mode } }
    public func setShuffle(_ on: Bool) { change(persist: true) { $0.queue.setShuffle(on) } }
    public func setConsume(_ on: Bool) { change(persist: true) { $0.queue.consume = on } }

    // MARK: - Transport

    /// Plays the entry at `index`, or resumes (from a pause or a restored position), or starts
    /// the first entry. A failed start (no device) is retried by playing again.
    ///
    /// - Throws: `PlayerError.entryMissing` for an index outside the queue.
    public func play(index: Int? = nil) throws(PlayerError) {
        if let index { try checked(index) }
        change(persist: true) { s in
            if let index {
                self.jump(&s, to: index)
            } else if s.queue.current == nil {
                guard let first = s.queue.nextIndex(automatic: false) else { return }
                self.jump(&s, to: first)
            }
            s.playback = .playing
            s.error = nil
        }
    }

    /// Pauses (the device keeps its place, or plays out what it holds when it cannot pause).
    public func pause() {
        change(persist: true) { s in
            if s.playback == .playing { s.playback = .paused }
        }
    }

    /// Stops and releases the device; the current entry stays, from its start.
    public func stop() {
        change(persist: true) { s in
            s.playback = .stopped
            s.restart = true
            s.pendingSeekMs = nil
            s.positionMs = 0
        }
    }

    /// Skips to the next entry (stops at the end of the queue unless repeating).
    public func next() {
        change(persist: true) { s in
            let next = s.queue.nextIndex(automatic: false)
            self.jump(&s, to: next)
            if next == nil { s.playback = .stopped }
        }
    }

    /// Restarts the current track when more than 3 seconds in, else goes to the previous entry.
    public func previous() {
        change(persist: true) { s in
            if (s.pendingSeekMs ?? s.positionMs) > 3000, let current = s.queue.current {
                self.jump(&s, to: current)
            } else {
                self.jump(&s, to: s.queue.previousIndex())
            }
        }
    }

    /// The furthest a seek goes when the track's length is not known yet, in ms (366 days, the
    /// longest file the indexer accepts); a known length bounds it tighter.
    public static let maximumSeekMs = 366 * 24 * 3600 * 1000

    /// Moves within the current track, to the sample. `ms` is clamped to the track's length
    /// (or `maximumSeekMs` before it is known): a seek of 10^12 ms lands at the end.
    public func seek(toMs ms: Int) {
        change(persist: false) { s in
            guard s.queue.current != nil else { return }
            var target = min(max(0, ms), Self.maximumSeekMs)
            if let duration = s.durationMs { target = min(target, max(0, duration)) }
            s.pendingSeekMs = target
            s.positionMs = target
        }
    }

    /// Sets the software volume, 0...100 (clamped); 100 leaves samples untouched.
    public func setVolume(_ percent: Int) {
        change(persist: true) { $0.volume = min(100, max(0, percent)) }
    }

    /// Plays through `device` from now on: while playing, the output thread lets the old
    /// device play out what it holds, closes it and goes on, at the same position, on the new
    /// one; while paused or stopped the new device is used at the next play. The state's
    /// `output.device` names it at once. A device that cannot be opened is reported like any
    /// device error (`error`, paused; playing again retries). Not saved: a restart uses the
    /// configured device again.
    ///
    /// Only a device the user could have chosen is taken (`isAllowedOutput`): alsa-lib reads a
    /// PCM name as a little program (`file:'|cmd'` runs `cmd` through `popen`, `file:'/path'`
    /// overwrites `/path`, `name:{...}` is configuration text), so a name from a client never
    /// reaches it unless ALSA itself listed it or the user configured it. May block briefly the
    /// first time (ALSA lists the cards); call it off the cooperative pool.
    ///
    /// - Throws: `PlayerError.badRequest` for a name that is empty, longer than 200
    ///   characters or holds control characters (`OutputDescription.isValidDevice`);
    ///   `PlayerError.deviceRefused` for a name that is not an allowed output.
    public func setOutput(_ device: String) throws(PlayerError) {
        guard OutputDescription.isValidDevice(device) else {
            throw PlayerError(.badRequest, message: "an output device name is 1 to 200 characters without control characters")
        }
        guard isAllowedOutput(device) else {
            throw PlayerError(.deviceRefused, message: """
                the output device "\(device)" is not one ALSA lists (GET /api/player/outputs) nor the output \
                set in the configuration; name it as `output` in config.toml to use it
                """)
        }
        change(persist: false) { s in
            // The error was the old device's: a new choice starts clean (it reports its own).
            if s.output.device != device { s.output = OutputDescription(device: device); s.error = nil }
        }
    }

    /// True when `device` may be handed to alsa-lib: "default", the configured output
    /// (`PlayerConfiguration.output`: the user's config file, `OMNISONIC_OUTPUT` or
    /// `--output`), or a name ALSA lists (`AlsaDevice.list`: the cards' hinted PCMs, or the
    /// private configuration's `pcm.NAME` definitions). Exact match only: `hw:0` being listed
    /// does not admit `hw:0,1` or `file:...`. The list is remembered and read again only for a
    /// name not in it (a card plugged in since). Blocking (ALSA may probe the cards).
    public func isAllowedOutput(_ device: String) -> Bool {
        if device == "default" || device == configuration.output { return true }
        if knownOutputs.withLock({ $0.contains(device) }) { return true }
        let names = Set(AlsaDevice.list(configuration: configuration.alsaConfiguration).map(\.name))
        knownOutputs.withLock { $0 = names }
        return names.contains(device)
    }

    /// The playback devices ALSA knows (from the private configuration when the player has
    /// one), always with "default", the configured device and the current one. Lists on a
    /// thread of its own (ALSA may probe the cards).
    public func outputs() async -> OutputList {
        await DedicatedThread.run(named: "omnisonic-outputs") { self.listOutputs() }
    }

    /// `outputs()` on the caller's thread, for callers that own a thread and may block (the MPD
    /// door's client threads); never on the cooperative pool.
    public func listOutputs() -> OutputList {
        let current = shared.withLock { $0.output.device }
        let found = AlsaDevice.list(configuration: configuration.alsaConfiguration)
        knownOutputs.withLock { $0 = Set(found.map(\.name)) }
        var outputs: [OutputChoice] = []
        var seen = Set<String>()
        for choice in [OutputChoice(name: "default", description: "ALSA's default device")] + found
            + [configuration.output, current].map({ OutputChoice(name: $0, description: "configured or chosen") }) where seen.insert(choice.name).inserted {
            outputs.append(choice)
        }
        return OutputList(outputs: outputs, current: current)
    }

    /// The ReplayGain the player applies (the `replaygain` setting; fixed while it runs).
    public var replayGain: ReplayGainMode { configuration.replayGain }

    // MARK: - Internals

    private func checked(_ index: Int) throws(PlayerError) {
        let count = shared.withLock { $0.queue.entries.count }
        guard (0..<count).contains(index) else {
            throw PlayerError(.entryMissing, message: "no queue entry at index \(index) (the queue has \(count))")
        }
    }

    /// Makes `index` current from its start and tells the output thread to cut over.
    func jump(_ s: inout Shared, to index: Int?) {
        s.queue.setCurrent(index)
        s.restart = true
        s.pendingSeekMs = nil
        s.positionMs = 0
        s.durationMs = nil
        if index == nil { s.playback = .stopped }
    }

    /// Applies a user change and publishes the state it produced: the event is taken under the
    /// same lock as the change, before the output thread is woken, so it never shows what the
    /// output thread did next (a retry failing again) instead of what the user did.
    func change(persist: Bool, _ body: (inout Shared) -> Void) {
        let event = shared.withLock { s in
            body(&s)
            return Self.event(s)
        }
        wake.signal()
        publish(event)
        if persist { save() }
    }

    func publishState() {
        publish(shared.withLock { Self.event($0) })
    }

    private static func event(_ s: Shared) -> LibraryEvent {
        .player(state: s.playback, index: s.queue.current, uid: s.queue.currentEntry?.uid,
                positionMs: s.pendingSeekMs ?? s.positionMs, error: s.error)
    }

    func snapshotForStore() -> SavedPlayerQueue {
        shared.withLock { s in
            SavedPlayerQueue(entries: s.queue.entries, currentEntryId: s.queue.currentEntry?.id,
                             positionMs: s.pendingSeekMs ?? s.positionMs, volume: s.volume, repeatMode: s.queue.repeatMode,
                             shuffle: s.queue.shuffle, consume: s.queue.consume, shuffleOrder: s.queue.order)
        }
    }

    /// Saves only the current entry and position on the store queue (cheap: the timed save while
    /// playing and the save on pause; queue edits save everything with `save()`).
    func savePosition() {
        let (entryId, positionMs) = shared.withLock { s in (s.queue.currentEntry?.id, s.pendingSeekMs ?? s.positionMs) }
        let library = self.library, logger = self.logger
        store.async {
            do throws(StoreError) { try library.savePlayerPosition(currentEntryId: entryId, positionMs: positionMs) } catch {
                logger.error("cannot save the play position", metadata: ["detail": "\(error.expandedDescription)"])
            }
        }
    }

    /// Saves the queue and state on the store queue (in order, off every caller's thread).
    func save() {
        let saved = snapshotForStore()
        store.async { self.persist(saved) }
    }

    /// Writes `saved` to the library, only the rows that differ from the last save. On `store`.
    private func persist(_ saved: SavedPlayerQueue) {
        let previous = storedEntries.withLock { $0 }
        do throws(StoreError) {
            try library.savePlayerQueue(saved, replacing: previous)
            storedEntries.withLock { $0 = saved.entries }
        } catch {
            storedEntries.withLock { $0 = nil }
            logger.error("cannot save the play queue", metadata: ["detail": "\(error.expandedDescription)"])
        }
    }

    /// Records a completed play through the one write path, then tells clients.
    func recordPlayed(_ uid: TrackUID) {
        let library = self.library, logger = self.logger, publish = self.publish
        store.async {
            do throws(StoreError) {
                _ = try library.record(.completedPlay(uid, client: PlayClient.player))
                publish(.tracksChanged(uids: [uid]))
            } catch {
                logger.error("cannot record a play", metadata: ["uid": "\(uid)", "detail": "\(error.expandedDescription)"])
            }
        }
    }

    /// Waits until every queued library write is done (tests).
    public func flushStore() { store.sync {} }

    /// Applies one client command and returns the state after it. Any thread; blocks only for
    /// the short library reads an `enqueue` needs.
    ///
    /// - Throws: `PlayerError` `.trackMissing` (unknown track, playlist, album, saved search),
    ///   `.entryMissing` (an index outside the queue), `.store`.
    public func perform(_ command: PlayerCommand) throws(PlayerError) -> PlayerStatus {
        switch command {
        case let .enqueue(source, replace, index, play):
            let uids = try tracks(of: source)
            let before = shared.withLock { $0.queue.entries.count }
            try enqueue(uids, replace: replace, at: index)
            if play, !uids.isEmpty {
                try self.play(index: replace ? 0 : min(max(0, index ?? before), before))
            }
        case .play(let index): try play(index: index)
        case .pause: pause()
        case .stop: stop()
        case .next: next()
        case .previous: previous()
        case .seek(let ms): seek(toMs: ms)
        case .volume(let percent): setVolume(percent)
        case .remove(let index): try remove(at: index)
        case let .move(from, to): try move(from: from, to: to)
        case .clear: clear()
        case .output(let device): try setOutput(device)
        case let .modes(repeatMode, shuffle, consume):
            change(persist: true) { s in
                if let repeatMode { s.queue.repeatMode = repeatMode }
                if let shuffle, shuffle != s.queue.shuffle { s.queue.setShuffle(shuffle) }
                if let consume { s.queue.consume = consume }
            }
        }
        return status()
    }
}
