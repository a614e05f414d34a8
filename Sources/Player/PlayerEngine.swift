import Foundation
import LocalStore
import Logging
import MediaIO
import OmniModel

/// The output thread's loop: decode the current track, scale it when asked, convert it only
/// when the device needs another format, write it to ALSA; between writes, follow what the
/// user asked for (`Player.Shared`).
///
/// Gapless: when a track's decoder runs dry, the next entry's decoder is opened right away and
/// its first frames go to the device behind the last frames of the previous one, without
/// draining: the device still holds up to `bufferMicroseconds` of audio while the next file
/// opens (about a millisecond). Only a change of format (rate, channels, sample format) drains
/// and reopens the device.
///
/// Thread-confined: created and run on the player's thread, never shared.
final class PlayerEngine {
    private let player: Player
    private var device: AlsaDevice?
    /// The format the device was opened for (the source's), which may differ from `device.format`.
    private var requested: PCMFormat?
    private var converter: PCMConverter?
    private var track: OpenTrack?
    private var buffer: [UInt8] = []
    private var converted: [UInt8] = []
    private var scaled: [UInt8] = []
    private var lastSave = Date()
    /// Frames decoded into `buffer` but not written because the device could not open: written
    /// first when playback resumes, so a retry loses and repeats nothing.
    private var carried = 0
    /// The name of the device open now (nil when closed).
    private var openedName: String?

    struct OpenTrack {
        let entry: QueueEntry
        let decoder: AudioDecoder
        /// ReplayGain's linear factor (1 when off).
        let replayGain: Double
        let durationMs: Int?
    }

    private enum Step {
        case exit
        case idle(release: Bool)
        case play(entry: QueueEntry, restart: Bool, seekMs: Int?, volume: Int)
    }

    init(player: Player) { self.player = player }

    func run() {
        buffer.reserveCapacity(64 * 1024)
        while true {
            let step: Step = player.shared.withLock { s in
                if s.shutdown { return .exit }
                switch s.playback {
                case .stopped: return .idle(release: true)
                case .paused: return .idle(release: false)
                case .playing:
                    guard let entry = s.queue.currentEntry else {
                        s.playback = .stopped
                        return .idle(release: true)
                    }
                    defer { s.restart = false; s.pendingSeekMs = nil }
                    return .play(entry: entry, restart: s.restart, seekMs: s.pendingSeekMs, volume: s.volume)
                }
            }
            switch step {
            case .exit:
                releaseDevice(drain: false)
                track = nil; carried = 0
                return
            case .idle(let release):
                if release {
                    releaseDevice(drain: false)
                    track = nil; carried = 0
                } else {
                    device?.pause()
                    rememberPosition()
                }
                player.wake.wait()
            case let .play(entry, restart, seekMs, volume):
                playOnce(entry: entry, restart: restart, seekMs: seekMs, volume: volume)
            }
        }
    }

    /// One step of playback: (re)open what is needed, then decode and write one period.
    private func playOnce(entry: QueueEntry, restart: Bool, seekMs: Int?, volume: Int) {
        if restart || track?.entry.id != entry.id {
            if restart { device?.discard() }
            track = nil
            carried = 0
            do {
                track = try open(entry)
            } catch {
                skipUnplayable(entry, error)
                return
            }
            let duration = track?.durationMs
            player.shared.withLock { $0.durationMs = duration }
            player.publishState()
        }
        guard let track else { return }
        if let seekMs {
            do {
                // A saved or requested position may be anything: clamped, never trapping.
                try track.decoder.seek(toFrame: CheckedArithmetic.clampedProduct(Int64(seekMs), Int64(track.decoder.format.sampleRate)) / 1000)
            } catch {
                skipUnplayable(entry, PlayerError(error))
                return
            }
            device?.discard()
            carried = 0
        }
        var frames = carried
        if carried == 0 {
            buffer.removeAll(keepingCapacity: true)
            do {
                frames = try track.decoder.read(minimumFrames: device?.periodFrames ?? 2048, into: &buffer)
            } catch {
                skipUnplayable(entry, PlayerError(error))
                return
            }
        }
        if frames == 0 {
            completed(track.entry)
            return
        }
        guard ensureDevice(for: track.decoder.format) else {
            carried = frames
            return
        }
        carried = 0
        guard let device else { return }
        // `buffer` stays as decoded (a failed write is retried from it); gain works on a copy.
        let factor = Gain.volume(volume) * track.replayGain
        if factor != 1 {
            scaled.removeAll(keepingCapacity: true)
            scaled.append(contentsOf: buffer)
            scaled.withUnsafeMutableBytes { Gain.apply(factor, to: $0, format: track.decoder.format.sample) }
        }
        let before = device.underruns
        let result: Result<Void, PlayerError>
        if let converter {
            converted.removeAll(keepingCapacity: true)
            (factor != 1 ? scaled : buffer).withUnsafeBytes { _ = converter.convert(interleaved: $0, appendingTo: &converted) }
            result = converted.withUnsafeBytes { bytes in
                Result { () throws(PlayerError) in try device.write(bytes.baseAddress!, frames: bytes.count / device.format.frameBytes) }
            }
        } else {
            result = (factor != 1 ? scaled : buffer).withUnsafeBytes { bytes in
                Result { () throws(PlayerError) in try device.write(bytes.baseAddress!, frames: frames) }
            }
        }
        if case .failure(let error) = result {
            carried = frames
            deviceFailed(error)
            return
        }
        let underruns = device.underruns - before
        // The hook runs as soon as the frames are written, where a user's command can land
        // while a real device blocks in `snd_pcm_writei` (tests use it to land one exactly there).
        player.configuration.onWrite?(frames, entry.id)
        let position = max(0, track.decoder.position - Int64(device.delayFrames))
        let ms = Int(CheckedArithmetic.clampedProduct(position, 1000) / Int64(track.decoder.format.sampleRate))
        player.shared.withLock { s in
            s.underruns += underruns
            // A stop, a jump (next at the end of the queue) or a seek made during the write wins:
            // the position of the frames just written belongs to what was playing before it.
            guard s.pendingSeekMs == nil, s.playback != .stopped, !s.restart, s.queue.currentEntry?.id == entry.id else { return }
            s.positionMs = ms
        }
        if Date().timeIntervalSince(lastSave) >= player.configuration.saveInterval {
            lastSave = Date()
            player.savePosition()
        }
    }

    /// Opens an entry's file with its ReplayGain.
    private func open(_ entry: QueueEntry) throws(PlayerError) -> OpenTrack {
        let library = player.library
        let file: MediaFile?
        let record: TrackRecord?
        do {
            file = try library.mediaFile(uid: entry.uid)
            record = try library.track(uid: entry.uid)
        } catch {
            throw PlayerError(error)
        }
        guard let file else { throw PlayerError(.trackMissing, message: "track \(entry.uid) has no file in the library") }
        let decoder: AudioDecoder
        do {
            decoder = try AudioDecoder(path: file.absolutePath)
        } catch {
            throw PlayerError(error)
        }
        var values = record?.replayGain
        // No gain tag: the analysed loudness stands in (issue 14), tags always win.
        if player.configuration.replayGain != .off, values?.trackGain == nil, values?.albumGain == nil,
           let analysed = player.configuration.analysedGain?(entry.uid) {
            values = analysed
        }
        let gain = Gain.replayGain(values, mode: player.configuration.replayGain, preAmpDB: player.configuration.preAmpDB)
        let duration = decoder.lengthFrames.map { Int(CheckedArithmetic.clampedProduct($0, 1000) / Int64(decoder.format.sampleRate)) } ?? record?.durationMs
        return OpenTrack(entry: entry, decoder: decoder, replayGain: gain, durationMs: duration)
    }

    /// Opens (or reopens for a new format) the device. False when it cannot: the error is in
    /// the state, playback pauses at the current position, and playing again retries.
    private func ensureDevice(for format: PCMFormat) -> Bool {
        let wanted = player.shared.withLock { $0.output.device }
        if device != nil, requested == format, openedName == wanted { return true }
        // Another format or another device: the old one plays out what it holds first, so
        // nothing is lost or repeated across the switch.
        releaseDevice(drain: true)
        let target = AlsaDevice.Target(name: wanted, configuration: player.configuration.alsaConfiguration)
        do {
            let opened = try AlsaDevice(target: target, wanted: format)
            converter = opened.format == format ? nil : try Self.converter(from: format, to: opened.format)
            device = opened
            requested = format
            openedName = wanted
            let description = OutputDescription(device: target.name, sampleRate: opened.format.sampleRate,
                                                channels: opened.format.channels, format: opened.format.sample.rawValue)
            player.shared.withLock { s in
                // A newer choice made meanwhile stays visible (the next period opens it).
                if s.output.device == wanted { s.output = description }
                s.error = nil
            }
            player.logger.info("output opened", metadata: ["device": "\(target.name)", "format": "\(opened.format)",
                                                           "source": "\(format)", "converting": "\(converter != nil)"])
            player.publishState()
            return true
        } catch {
            deviceFailed(error, log: "cannot open the output")
            return false
        }
    }

    /// A converter from the source's format to the device's, or `.deviceFormat`.
    private static func converter(from source: PCMFormat, to device: PCMFormat) throws(PlayerError) -> PCMConverter {
        do {
            return try PCMConverter(from: source, to: device)
        } catch {
            throw PlayerError(.deviceFormat, message: "cannot convert \(source) to \(device)", detail: error.expandedDescription)
        }
    }

    /// The device could not be opened or written: the error goes into the state and playback
    /// pauses. The decoder and the chunk it decoded (or that failed) are kept: playing again (on
    /// a device that is back) resumes exactly with that chunk.
    private func deviceFailed(_ error: PlayerError, log message: Logger.Message = "the output failed") {
        player.logger.warning(message, metadata: ["detail": "\(error.expandedDescription)"])
        releaseDevice(drain: false)
        player.shared.withLock { s in
            s.error = error.description
            if s.playback == .playing { s.playback = .paused }
        }
        player.publishState()
    }

    /// The file cannot be played: say so and move on to the next entry.
    private func skipUnplayable(_ entry: QueueEntry, _ error: PlayerError) {
        player.logger.warning("cannot play a track; skipping it", metadata: ["uid": "\(entry.uid)", "detail": "\(error.expandedDescription)"])
        track = nil
        player.shared.withLock { s in
            s.error = error.description
            guard s.queue.currentEntry?.id == entry.id else { return }
            let next = s.queue.nextIndex(automatic: false)
            // Never loop forever over a queue of unplayable files: the wrap-around stops.
            if let next, next > s.queue.current ?? 0 || s.queue.shuffle {
                player.jump(&s, to: next)
            } else {
                player.jump(&s, to: nil)
            }
        }
        player.publishState()
        player.save()
    }

    /// The track played to its end: count it, move on without draining (gapless).
    private func completed(_ entry: QueueEntry) {
        player.recordPlayed(entry.uid)
        track = nil
        let next: Int? = player.shared.withLock { s in
            guard s.queue.currentEntry?.id == entry.id else { return s.queue.current }
            let next = s.queue.advanceAfterCompletion()
            s.positionMs = 0
            if next == nil {
                s.playback = .stopped
                s.durationMs = nil
            }
            return next
        }
        if next == nil { releaseDevice(drain: true) }
        player.publishState()
        player.save()
    }

    private func rememberPosition() {
        player.savePosition()
    }

    private func releaseDevice(drain: Bool) {
        guard let device else { return }
        if drain { device.drain() }
        device.close()
        self.device = nil
        requested = nil
        openedName = nil
        converter = nil
        player.shared.withLock { $0.output = OutputDescription(device: $0.output.device) }
    }
}
