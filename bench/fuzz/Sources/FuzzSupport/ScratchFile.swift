import Glibc

/// One scratch file per fuzzing process, rewritten with each input, for the readers that take a
/// path (the tag reader opens files; libavformat reads them). Under `$TMPDIR`, named by pid.
public enum ScratchFile {
    /// Writes `bytes` to this process's scratch file with `suffix` (".m4a") and returns its path.
    public static func write(_ data: UnsafeRawBufferPointer, suffix: String) -> String {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let path = "\(directory)/omnisonic-fuzz-\(getpid())\(suffix)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        var done = 0
        while done < data.count {
            let wrote = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            precondition(wrote > 0, "cannot write \(path)")
            done += wrote
        }
        close(fd)
        return path
    }
}
