import Foundation
import MediaIO
import OmniModel
import Testing

/// Per-file probe time over a folder, opt-in: `OMNI_PROBE_BENCH=/tmp/corpus/small swift test
/// --filter ProbeSpeed` (ideally in release). Prints the figure; asserts nothing about speed,
/// which depends on the machine.
@Suite("Probe speed")
struct ProbeSpeedTests {
    @Test("Probing every audio file of a folder, one thread, reports the time per file",
          .enabled(if: ProcessInfo.processInfo.environment["OMNI_PROBE_BENCH"] != nil))
    func probeFolder() throws {
        TestLog.install()
        let root = ProcessInfo.processInfo.environment["OMNI_PROBE_BENCH"]!
        let files = FileManager.default.enumerator(atPath: root)!.compactMap { $0 as? String }
            .filter { AudioFileTypes.isAudio(RawPath($0)) && !$0.hasPrefix("Broken/") }
            .map { RawPath("\(root)/\($0)") }
        let reader = TagReader()
        for withArtwork in [true, false] {
            var best = Double.infinity
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                for file in files { _ = try? reader.probe(file, withArtwork: withArtwork) }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            var byExtension: [String: (Int, UInt64)] = [:]
            for file in files {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<5 { _ = try? reader.probe(file, withArtwork: withArtwork) }
                let spent = (DispatchTime.now().uptimeNanoseconds - start) / 5
                byExtension[file.lowercasedExtension, default: (0, 0)].0 += 1
                byExtension[file.lowercasedExtension, default: (0, 0)].1 += spent
            }
            for (ext, (count, total)) in byExtension.sorted(by: { $0.key < $1.key }) {
                print("probe-bench:   \(ext): \(count) files, \(String(format: "%.3f", Double(total) / Double(count) / 1e6)) ms/file")
            }
            print("probe-bench: \(files.count) files, withArtwork=\(withArtwork): best of 5 \(String(format: "%.1f", best)) ms total, \(String(format: "%.3f", best / Double(files.count))) ms/file")
        }
    }
}
