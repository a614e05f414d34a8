import CALSA
import Glibc
import MediaIO

/// One open ALSA playback device: opens it, negotiates the format, writes interleaved frames,
/// pauses, drains, and closes in one place (`close()`, also called by `deinit`).
///
/// Not `Sendable`: it lives on the player's output thread and only that thread calls it.
/// `write` blocks until the device has room (at most about one period on a real device).
final class AlsaDevice {
    /// Which device, and where its definition comes from.
    struct Target: Sendable, Equatable {
        /// The PCM name ("default", "hw:0,0", a name from `configuration`).
        var name: String
        /// A private ALSA configuration (ALSA's own syntax) to open `name` from instead of the
        /// system's; tests use it to define a `file` plugin over `null`.
        var configuration: String?
    }

    private var pcm: OpaquePointer?
    private var tree: OpaquePointer?
    /// The format the device was opened with (may differ from what was asked: then the caller
    /// converts).
    let format: PCMFormat
    /// Frames per period: the size of one write.
    let periodFrames: Int
    let canPause: Bool
    private(set) var isPaused = false
    /// Underruns recovered with `snd_pcm_recover` since the device was opened.
    private(set) var underruns = 0

    /// Opens `target` for `wanted`, or the nearest format the device accepts.
    ///
    /// The device is asked for exactly the source's rate, channels and sample format, with
    /// alsa-lib's own resampling off, so a device that accepts them receives the decoded samples
    /// untouched. Otherwise the nearest it takes is chosen (sample format: S32, float, S16).
    ///
    /// - Throws: `PlayerError` `.deviceUnavailable`, `.deviceBusy` or `.deviceFormat`.
    init(target: Target, wanted: PCMFormat, bufferMicroseconds: UInt32 = 400_000, periodMicroseconds: UInt32 = 50_000) throws(PlayerError) {
        omni_snd_silence_errors()
        var handle: OpaquePointer?
        var status: Int32
        if let configuration = target.configuration {
            var tree: OpaquePointer?
            status = omni_snd_pcm_open_from_text(&handle, target.name, configuration, 0, &tree)
            self.tree = tree
        } else {
            status = snd_pcm_open(&handle, target.name, SND_PCM_STREAM_PLAYBACK, 0)
        }
        guard status >= 0, let handle else {
            if let tree { snd_config_delete(tree) }
            throw AlsaDevice.error(opening: target.name, status: status)
        }
        pcm = handle
        var hw: OpaquePointer?
        snd_pcm_hw_params_malloc(&hw)
        defer { snd_pcm_hw_params_free(hw) }
        func check(_ call: String, _ status: Int32) throws(PlayerError) {
            guard status >= 0 else {
                throw PlayerError(.deviceFormat, message: "the device \(target.name) cannot play \(wanted)",
                                  detail: "\(call): \(String(cString: snd_strerror(status)))")
            }
        }
        do throws(PlayerError) {
            try check("snd_pcm_hw_params_any", snd_pcm_hw_params_any(handle, hw))
            try check("snd_pcm_hw_params_set_access", snd_pcm_hw_params_set_access(handle, hw, SND_PCM_ACCESS_RW_INTERLEAVED))
            _ = snd_pcm_hw_params_set_rate_resample(handle, hw, 0)
            var sample = wanted.sample
            if snd_pcm_hw_params_test_format(handle, hw, sample.alsa) != 0 {
                guard let other = [SampleFormat.s32, .float32, .s16].first(where: { snd_pcm_hw_params_test_format(handle, hw, $0.alsa) == 0 }) else {
                    throw PlayerError(.deviceFormat, message: "the device \(target.name) cannot play \(wanted)",
                                      detail: "snd_pcm_hw_params_set_format: \(String(cString: snd_strerror(-EINVAL)))")
                }
                sample = other
            }
            try check("snd_pcm_hw_params_set_format", snd_pcm_hw_params_set_format(handle, hw, sample.alsa))
            var channels = UInt32(wanted.channels)
            try check("snd_pcm_hw_params_set_channels_near", snd_pcm_hw_params_set_channels_near(handle, hw, &channels))
            var rate = UInt32(wanted.sampleRate)
            var direction: Int32 = 0
            try check("snd_pcm_hw_params_set_rate_near", snd_pcm_hw_params_set_rate_near(handle, hw, &rate, &direction))
            var buffer = bufferMicroseconds, period = periodMicroseconds
            direction = 0
            _ = snd_pcm_hw_params_set_buffer_time_near(handle, hw, &buffer, &direction)
            direction = 0
            _ = snd_pcm_hw_params_set_period_time_near(handle, hw, &period, &direction)
            try check("snd_pcm_hw_params", snd_pcm_hw_params(handle, hw))
            var periodSize: snd_pcm_uframes_t = 0
            direction = 0
            snd_pcm_hw_params_get_period_size(hw, &periodSize, &direction)
            periodFrames = max(256, Int(periodSize))
            canPause = snd_pcm_hw_params_can_pause(hw) != 0
            format = PCMFormat(sampleRate: Int(rate), channels: Int(channels), sample: sample)
        } catch {
            snd_pcm_close(handle)
            pcm = nil
            if let tree { snd_config_delete(tree) }
            self.tree = nil
            throw error
        }
    }

    deinit { close() }

    static func error(opening name: String, status: Int32) -> PlayerError {
        let text = String(cString: snd_strerror(status))
        switch -status {
        case EBUSY, EAGAIN:
            return PlayerError(.deviceBusy, message: "the output device \(name) is busy (another program is using it)",
                               detail: "snd_pcm_open: \(text)")
        default:
            return PlayerError(.deviceUnavailable, message: "cannot open the output device \(name): \(text)",
                               detail: "snd_pcm_open: \(text) (\(status))")
        }
    }

    /// Writes `frames` interleaved frames, blocking until the device took them all. Underruns
    /// (and a suspended device) are recovered and counted.
    ///
    /// - Throws: `PlayerError.deviceFailed` when the device is gone or cannot recover.
    func write(_ bytes: UnsafeRawPointer, frames: Int) throws(PlayerError) {
        guard let pcm else { throw PlayerError(.deviceFailed, message: "the output device is closed") }
        if isPaused { resume() }
        var done = 0
        let frameBytes = format.frameBytes
        while done < frames {
            let written = snd_pcm_writei(pcm, bytes + done * frameBytes, snd_pcm_uframes_t(frames - done))
            if written >= 0 {
                done += Int(written)
                continue
            }
            let status = Int32(written)
            if status == -EPIPE { underruns += 1 }
            if status == -EAGAIN { continue }
            if snd_pcm_recover(pcm, status, 1) < 0 {
                throw PlayerError(.deviceFailed, message: "the output device stopped working: \(String(cString: snd_strerror(status)))",
                                  detail: "snd_pcm_writei: \(status)")
            }
        }
    }

    /// Stops playback where it is, keeping what is queued (hardware pause), or, on a device that
    /// cannot pause, lets the queued audio play out.
    func pause() {
        guard let pcm, !isPaused else { return }
        if canPause, snd_pcm_state(pcm) == SND_PCM_STATE_RUNNING, snd_pcm_pause(pcm, 1) == 0 {
            isPaused = true
            return
        }
        snd_pcm_drain(pcm)
        snd_pcm_prepare(pcm)
        isPaused = false
    }

    private func resume() {
        guard let pcm else { return }
        if snd_pcm_pause(pcm, 0) < 0 { snd_pcm_prepare(pcm) }
        isPaused = false
    }

    /// Throws away what the device has queued (seek, skip): the next write starts at once.
    func discard() {
        guard let pcm else { return }
        snd_pcm_drop(pcm)
        snd_pcm_prepare(pcm)
        isPaused = false
    }

    /// Frames written but not yet heard.
    var delayFrames: Int {
        guard let pcm else { return 0 }
        var delay: snd_pcm_sframes_t = 0
        return snd_pcm_delay(pcm, &delay) == 0 ? max(0, Int(delay)) : 0
    }

    /// Plays out what is queued.
    func drain() {
        guard let pcm else { return }
        if isPaused { resume() }
        snd_pcm_drain(pcm)
    }

    /// Releases the device (other programs can use it). Idempotent.
    func close() {
        if let pcm { snd_pcm_close(pcm) }
        pcm = nil
        if let tree { snd_config_delete(tree) }
        tree = nil
    }
}
