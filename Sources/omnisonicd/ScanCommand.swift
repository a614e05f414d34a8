import ArgumentParser
import Foundation
import Glibc
import Indexer
import LocalStore
import MediaIO
import OmniModel
import Synchronization

/// `omnisonicd scan`: brings a library up to date with its music folders and exits.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Index the audio files of music folders into the library, then exit.",
        discussion: """
            Incremental: only new and changed files are read; moved files keep their identity; \
            removed files leave the library. A missing folder is reported and its tracks are kept. \
            Exit status: 0 done (unreadable files are counted, not fatal), 1 the library could not \
            be written (for example a full disk; run again once fixed), 3 a music folder is missing.
            """)

    @Option(name: .customLong("music"), help: "A music folder (repeat for several).", completion: .directory)
    var music: [String]

    @Option(help: "The library folder (default: $XDG_DATA_HOME/omnisonic).", completion: .directory)
    var data: String?

    @Option(help: "The cache folder for artwork (default: <data>/cache).", completion: .directory)
    var cache: String?

    @Option(help: "Threads reading tags (default: one per core).")
    var threads: Int?

    @Option(help: .hidden)
    var batchSize: Int = 500

    @Flag(help: "Print a JSON summary instead of text.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if music.isEmpty { throw ValidationError("name at least one music folder with --music") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let logger = try logging.makeMediaLogger("omnisonic.scan")
        let paths = LibraryPaths(data: data, cache: cache)
        try paths.create()
        let library = try Library(path: paths.database)
        let indexer = Indexer(library: library, artwork: ArtworkCache(directory: paths.artwork), logger: logger,
                              probeThreads: threads, batchSize: max(1, batchSize))
        let rawRoots = music.map { RawArguments.absolutePath(of: $0) }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let summary: ScanSummary
        do {
            summary = try indexer.scan(roots: rawRoots) { progress in bar.update(progress) }
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("omnisonicd: \(error.description)\n".utf8))
            logger.debug("\(error.expandedDescription)")
            throw ExitCode(1)
        }
        bar.finish()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(String(format: "%d files: %d added, %d updated, %d moved, %d removed, %d unreadable, %d folder errors in %.2f s",
                         summary.files, summary.added, summary.updated, summary.moved, summary.removed, summary.failed,
                         summary.walkErrors, summary.seconds))
            if summary.warnings > 0 { print("\(summary.warnings) files read with warnings (what was skipped is in the log)") }
        }
        let offline = try library.roots().filter { root in !root.online && rawRoots.contains(root.path) }
        if !offline.isEmpty {
            for root in offline {
                FileHandle.standardError.write(Data("omnisonicd: music folder \(root.path) is missing; its tracks were kept\n".utf8))
            }
            throw ExitCode(3)
        }
    }
}

/// A one-line progress bar on standard error: files done / total, rate and time left.
final class ProgressBar: Sendable {
    private let enabled: Bool
    /// Whether a line is on screen; the lock also keeps two updates from interleaving.
    private let drawn = Mutex(false)

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: ScanProgress) {
        guard enabled else { return }
        let line: String
        switch progress.phase {
        case .walking:
            line = "Looking for music…"
        case .probing:
            let width = 30
            let fraction = progress.total > 0 ? Double(progress.done) / Double(progress.total) : 1
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var text = "\(bar) \(progress.done)/\(progress.total) files"
            if progress.rate > 0 { text += String(format: "  %.0f files/s", progress.rate) }
            if let remaining = progress.remaining { text += "  ETA \(Self.duration(remaining))" }
            line = text
        case .finishing:
            line = "Tidying up…"
        }
        drawn.withLock { drawn in
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        }
    }

    func finish() {
        drawn.withLock { drawn in
            if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            drawn = false
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.up))
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
