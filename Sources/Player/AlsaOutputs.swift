import CALSA
import Glibc
import OmniModel

extension AlsaDevice {
    /// The playback PCMs ALSA knows: from the private configuration text when there is one
    /// (its `pcm.NAME` definitions), else from `snd_device_name_hint` over the system's
    /// configuration (which follows `ALSA_CONFIG_PATH`). Input-only devices are left out.
    /// Empty when ALSA knows none (no sound card, no configuration). Blocking: call it off the
    /// cooperative pool.
    static func list(configuration: String?) -> [OutputChoice] {
        omni_snd_silence_errors()
        if let configuration {
            guard let text = omni_snd_pcm_names_from_text(configuration) else { return [] }
            defer { free(text) }
            return String(cString: text).split(separator: "\n").map {
                OutputChoice(name: String($0), description: "defined in the player's ALSA configuration")
            }
        }
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        func hint(_ entry: UnsafeMutableRawPointer, _ id: String) -> String? {
            guard let value = snd_device_name_get_hint(entry, id) else { return nil }
            defer { free(value) }
            return String(cString: value)
        }
        var choices: [OutputChoice] = []
        var index = 0
        while let entry = hints[index] {
            index += 1
            guard let name = hint(entry, "NAME"), OutputDescription.isValidDevice(name) else { continue }
            if let direction = hint(entry, "IOID"), direction == "Input" { continue }
            let description = (hint(entry, "DESC") ?? "").split(whereSeparator: \.isNewline).joined(separator: " — ")
            choices.append(OutputChoice(name: name, description: description))
        }
        return choices
    }
}
