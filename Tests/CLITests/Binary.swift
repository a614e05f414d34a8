import Foundation
import Glibc
import TestSupport

/// The `omnisonicd` executable built beside this test bundle, and a way to run it.
enum Binary {
    /// `$OMNISONICD_BIN`, else `omnisonicd` in the folder of the running test executable.
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["OMNISONICD_BIN"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("omnisonicd").path
    }

    typealias Output = Shell.Output

    /// Runs omnisonicd to completion (optionally through a wrapper such as `prlimit`).
    static func run(_ arguments: [String], wrapper: [String] = [], environment: [String: String] = [:]) throws -> Output {
        if wrapper.isEmpty { return try Shell.capture(path, arguments, environment: environment) }
        return try Shell.capture(wrapper[0], Array(wrapper.dropFirst()) + [path] + arguments, environment: environment)
    }

    /// Starts omnisonicd and returns the running process (output discarded).
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Parses JSON text into a dictionary.
    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: "json", status: 0, stderr: text)
        }
        return object
    }
}
