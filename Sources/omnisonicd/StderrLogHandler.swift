import Foundation
import Glibc
import Logging
import MediaIO
import Synchronization

/// Logs one line per event to standard error as `level=... msg="..." key=value ...`.
///
/// journald adds timestamps, so none are written. When standard error is a terminal the line
/// first clears the current line, so log lines and the scan's progress bar do not mix.
struct StderrLogHandler: LogHandler {
    /// The level: this handler's own, or the shared setting's (which SIGHUP may change).
    var logLevel: Logger.Level {
        get {
            guard let shared else { return ownLevel }
            let level = shared.level
            // Below debug the floor does not apply: debugging shows everything asked for.
            if let floor = sharedFloor, level > .debug { return max(level, floor) }
            return level
        }
        set { ownLevel = newValue; shared = nil }
    }
    var metadata: Logger.Metadata = [:]
    let label: String
    private var ownLevel: Logger.Level
    private var shared: LogLevelSetting?
    private var sharedFloor: Logger.Level?
    private let clearLine = isatty(STDERR_FILENO) == 1

    init(label: String, level: Logger.Level) {
        self.label = label
        self.ownLevel = level
    }

    /// A handler whose level follows `level` (the daemon's, changed by a configuration reload).
    ///
    /// - Parameter floor: the least severe level written unless `level` is debug or trace
    ///   (FFmpeg's own lines: the scan already logs one warning per unreadable file).
    init(label: String, level: LogLevelSetting, floor: Logger.Level? = nil) {
        self.label = label
        self.ownLevel = level.level
        self.shared = level
        self.sharedFloor = floor
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = clearLine ? "\r\u{1B}[K" : ""
        line += "level=\(event.level) msg=\(Self.quote("\(event.message)"))"
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quote("\(merged[key]!)"))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Quotes a value when it has spaces, quotes or is empty.
    static func quote(_ value: String) -> String {
        if !value.isEmpty && !value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

/// A log level that can change while loggers hold it (`omnisonicd run` on SIGHUP).
final class LogLevelSetting: Sendable {
    private let current: Mutex<Logger.Level>

    init(_ level: Logger.Level) { current = Mutex(level) }

    /// Any thread.
    var level: Logger.Level { current.withLock { $0 } }

    /// Any thread.
    func set(_ level: Logger.Level) { current.withLock { $0 = level } }
}

/// Log-level option shared by the commands.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var level: String = "warning"

    /// Installs the stderr handler and returns a logger for `label`.
    func makeLogger(_ label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: level) else {
            throw ValidationError("unknown log level '\(self.level)'")
        }
        return Logger(label: label) { StderrLogHandler(label: $0, level: level) }
    }

    /// `makeLogger(label)` for a command that reads audio files: FFmpeg's own log lines go to
    /// the same logger (`probe`, `analyze`, `scan`).
    func makeMediaLogger(_ label: String) throws -> Logger {
        let logger = try makeLogger(label)
        FFmpegLogging.route(to: logger)
        return logger
    }
}

import ArgumentParser
