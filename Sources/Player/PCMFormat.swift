import CALSA
import MediaIO

/// ALSA's name for each sample format the pipeline carries (the formats themselves live in
/// MediaIO, where the decoder produces them).
extension SampleFormat {
    var alsa: snd_pcm_format_t {
        switch self {
        case .s16: SND_PCM_FORMAT_S16_LE
        case .s32: SND_PCM_FORMAT_S32_LE
        case .float32: SND_PCM_FORMAT_FLOAT_LE
        }
    }
}
