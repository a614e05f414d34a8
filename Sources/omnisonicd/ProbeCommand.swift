import ArgumentParser
import Foundation
import Logging
import MediaIO
import OmniModel

/// `omnisonicd probe FILE...`: shows what the tag reader sees.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Print the tags and stream properties read from audio files.",
        discussion: "With --json, prints one JSON object per file (JSON lines). Exits 1 when any file could not be read.")

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    @Argument(help: "Audio files.", completion: .file())
    var files: [String]

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        let logger = try logging.makeMediaLogger("omnisonic.probe")
        let reader = TagReader(logger: logger)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var failures = 0
        for file in files {
            let path = RawArguments.bytes(of: file)
            let result: ProbeResult
            do {
                result = try reader.probe(path, withArtwork: false)
            } catch {
                failures += 1
                try ProbeFailure.report(file: file, error: error, json: json, encoder: encoder, logger: logger)
                continue
            }
            let document = TrackDocument(uid: result.uid, path: file, tags: result.tags, audio: result.audio,
                                         hasArtwork: result.hasArtwork)
            if json {
                print(String(decoding: try encoder.encode(ProbeLine(document: document, warnings: result.warnings)), as: UTF8.self))
            } else {
                printText(document)
                for warning in result.warnings { print("  warning: \(warning.message) (\(warning.code.rawValue))") }
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func printText(_ document: TrackDocument) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        print(document.path)
        for key in object.keys.sorted() where key != "path" {
            let value = object[key]!
            let text: String
            if let list = value as? [Any] {
                if list.isEmpty { continue }
                text = list.map { "\($0)" }.joined(separator: "; ")
            } else if let nested = value as? [String: Any] {
                text = nested.keys.sorted().map { "\($0)=\(nested[$0]!)" }.joined(separator: " ")
            } else {
                text = "\(value)"
            }
            print("  \(key): \(text)")
        }
    }
}

/// The JSON line printed for a file that was read: the track document, plus `warnings` (what
/// was skipped or repaired) when there are any.
struct ProbeLine: Encodable {
    var document: TrackDocument
    var warnings: [ProbeWarning]

    private enum Keys: String, CodingKey { case warnings }

    func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
        if !warnings.isEmpty {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(warnings, forKey: .warnings)
        }
    }
}

/// The JSON line printed for a file that could not be read.
struct ProbeFailure: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
    }
    var path: String
    var error: Detail
}

extension ProbeFailure {
    /// Reports a file that could not be read, the one way `probe` and `analyze` do: a JSON line
    /// on stdout when `json`, else the reason on stderr; the detail goes to the debug log.
    ///
    /// - Throws: when the line cannot be encoded.
    static func report(file: String, error: some OmniError, json: Bool, encoder: JSONEncoder, logger: Logger) throws {
        if json {
            let object = ProbeFailure(path: file, error: .init(code: error.code, message: error.description))
            print(String(decoding: try encoder.encode(object), as: UTF8.self))
        } else {
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
        }
        logger.debug("\(error.expandedDescription)")
    }
}
