import Foundation
import Logging
import MediaIO

/// One capturing logger shared by every suite: FFmpeg's log destination is process-global, so all
/// suites route it to the same place (never to nil) and the logging test can assert on it without
/// racing the others.
enum TestLog {
    static let store = Store()

    static let logger = Logger(label: "omnisonic.test.ffmpeg") { _ in Handler(store: store) }

    /// Routes FFmpeg's messages to the shared capturing logger (idempotent).
    static func install() { FFmpegLogging.route(to: logger) }

    final class Store: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [(Logger.Level, String)] = []
        func append(_ level: Logger.Level, _ line: String) { lock.withLock { lines.append((level, line)) } }
        var all: [(Logger.Level, String)] { lock.withLock { lines } }
    }

    struct Handler: LogHandler {
        let store: Store
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            store.append(event.level, event.message.description)
        }
    }
}
