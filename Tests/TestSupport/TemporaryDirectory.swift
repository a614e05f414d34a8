import Foundation

/// A fresh folder under the system temporary directory, removed when the value is deinitialised.
///
/// Tests create real files here: real folders, real SQLite databases, real audio.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates `…/omnisonic-test-<label>-<random>`.
    public init(_ label: String = "t") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let url = URL(fileURLWithPath: base).appendingPathComponent("omnisonic-test-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// `path/relative`.
    public func appending(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    deinit {
        // Make every folder writable again first: tests chmod folders to 000.
        _ = try? Shell.run("/bin/chmod", ["-R", "u+rwx", path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs external programs (ffmpeg, make-corpus) for fixtures.
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var stderr: String
        public var description: String { "\(command) exited \(status): \(stderr.suffix(2000))" }
        public init(command: String, status: Int32, stderr: String) {
            self.command = command
            self.status = status
            self.stderr = stderr
        }
    }

    /// What a finished program printed and how it ended.
    public struct Output: Sendable {
        /// The exit status, or the signal number when it was killed by one.
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `executable` with `arguments` to the end and returns its status and output, whatever
    /// the status. `environment` entries are added to this process's environment.
    public static func capture(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes concurrently so a chatty child cannot fill one and deadlock.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs `executable` with `arguments`, waits, and returns its standard output.
    /// - Throws: `Failure` with the standard error when it exits non-zero.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let output = try capture(executable, arguments, environment: environment)
        if output.status != 0 {
            throw Failure(command: ([executable] + arguments).joined(separator: " "), status: output.status, stderr: output.stderr)
        }
        return output.stdout
    }

    /// Finds `name` on `PATH`.
    public static func which(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for dir in paths {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs ffmpeg quietly with `arguments` (overwrite allowed).
    public static func ffmpeg(_ arguments: [String]) throws {
        try run(which("ffmpeg") ?? "/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + arguments)
    }
}
