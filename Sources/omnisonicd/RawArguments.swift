import Foundation
import OmniModel

/// Command-line arguments as bytes.
///
/// Swift decodes `argv` into `String`s, replacing bytes that are not UTF-8; a file name with
/// such bytes would then name a file that does not exist. This finds the original bytes.
enum RawArguments {
    /// The bytes of the `argv` entry that decodes to `argument` (its UTF-8 when none does).
    static func bytes(of argument: String) -> RawPath {
        for index in 0..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            if String(cString: pointer) == argument {
                var bytes: [UInt8] = []
                var p = pointer
                while p.pointee != 0 {
                    bytes.append(UInt8(bitPattern: p.pointee))
                    p += 1
                }
                return RawPath(bytes: bytes)
            }
        }
        return RawPath(argument)
    }

    /// The argument as an absolute path (relative to the working directory), without trailing slashes.
    static func absolutePath(of argument: String) -> RawPath {
        var path = bytes(of: argument)
        if path.bytes.first != UInt8(ascii: "/") {
            path = RawPath(FileManager.default.currentDirectoryPath).appending(path)
        }
        while path.bytes.count > 1 && path.bytes.last == UInt8(ascii: "/") { path.bytes.removeLast() }
        return path
    }
}
