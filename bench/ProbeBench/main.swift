// ProbeBench: single-threaded tag-reader speed over a folder of audio files.
//
//   swift run -c release ProbeBench FOLDER        (or bench/probe/run.sh FOLDER)
//
// Probes every audio file (skipping `Broken/`) five times, with and without artwork bytes, and
// prints the best total and the mean time per file for each extension.
//
//   ProbeBench --files FILE...   (bench/hostile/run.sh)
//
// probes each file once and prints its time, what was read and the reader's warnings;
// `--json FILE...` prints what `omnisonicd probe --json` prints (the same reader, without the
// daemon's other modules: bench/taglib/run.sh uses it when PROBE=probebench).
import Foundation
import MediaIO
import OmniModel

let arguments = CommandLine.arguments
if arguments.count > 2, arguments[1] == "--json" {
    FFmpegLogging.route(to: nil)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    for file in arguments.dropFirst(2) {
        var object: [String: Any]
        do {
            let result = try TagReader().probe(RawPath(file), withArtwork: false)
            let document = TrackDocument(uid: result.uid, path: file, tags: result.tags, audio: result.audio, hasArtwork: result.hasArtwork)
            object = try JSONSerialization.jsonObject(with: encoder.encode(document)) as? [String: Any] ?? [:]
            if !result.warnings.isEmpty {
                object["warnings"] = result.warnings.map { ["code": $0.code.rawValue, "message": $0.message] }
            }
        } catch let error as MediaError {
            object = ["path": file, "error": ["code": error.code, "message": error.description]]
        } catch {
            object = ["path": file, "error": ["code": "encoding", "message": "\(error)"]]
        }
        let line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: line, as: UTF8.self))
    }
    exit(0)
}
if arguments.count > 2, arguments[1] == "--files" {
    FFmpegLogging.route(to: nil)
    for file in arguments.dropFirst(2) {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let result = try TagReader().probe(RawPath(file))
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            print(String(format: "%@: %.1f ms", file, ms), "title=\(result.tags.title)", "artists=\(result.tags.artists.count)",
                  "duration=\(result.audio.durationMs.map(String.init) ?? "-") ms", "warnings=\(result.warnings.count)")
            for warning in result.warnings { print("  \(warning.code.rawValue): \(warning.message)") }
        } catch {
            print("\(file): \(error.expandedDescription)")
        }
    }
    exit(0)
}
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: ProbeBench FOLDER\n".utf8))
    exit(2)
}
let root = arguments[1]
guard let enumerator = FileManager.default.enumerator(atPath: root) else {
    FileHandle.standardError.write(Data("ProbeBench: cannot read \(root)\n".utf8))
    exit(1)
}
let files = enumerator.compactMap { $0 as? String }
    .filter { AudioFileTypes.isAudio(RawPath($0)) && !$0.hasPrefix("Broken/") && !$0.hasPrefix(".") && !$0.contains("/.") }
    .map { RawPath("\(root)/\($0)") }
FFmpegLogging.route(to: nil)  // silence FFmpeg: only the figures are printed
let reader = TagReader()
var failures = 0
for file in files where (try? reader.probe(file)) == nil { failures += 1 }
print("ProbeBench: \(files.count) files (\(failures) unreadable) under \(root)")
for withArtwork in [true, false] {
    var best = Double.infinity
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for file in files { _ = try? reader.probe(file, withArtwork: withArtwork) }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    var byExtension: [String: (count: Int, nanoseconds: UInt64)] = [:]
    for file in files {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<5 { _ = try? reader.probe(file, withArtwork: withArtwork) }
        let spent = (DispatchTime.now().uptimeNanoseconds - start) / 5
        byExtension[file.lowercasedExtension, default: (0, 0)].count += 1
        byExtension[file.lowercasedExtension, default: (0, 0)].nanoseconds += spent
    }
    print(String(format: "withArtwork=%@: best of 5 %.1f ms total, %.3f ms/file", String(withArtwork), best, best / Double(max(1, files.count))))
    for (ext, entry) in byExtension.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  %-5@ %6d files  %.3f ms/file", ext, entry.count, Double(entry.nanoseconds) / Double(entry.count) / 1e6))
    }
}
