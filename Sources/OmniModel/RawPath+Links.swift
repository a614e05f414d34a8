import Glibc

extension RawPath {
    /// The path with every symbolic link, `.` and `..` resolved (`realpath(3)` on the bytes), or
    /// nil when it does not exist or cannot be resolved. Blocking (one system call per
    /// component); any thread.
    public var resolvingLinks: RawPath? {
        guard let resolved = withCString({ realpath($0, nil) }) else { return nil }
        defer { free(resolved) }
        return RawPath(bytes: Array(UnsafeBufferPointer(start: resolved, count: strlen(resolved))).map { UInt8(bitPattern: $0) })
    }

    /// The one symlink rule for everything read from disk (decision 0009, "One symlink rule"):
    /// true when this path, links resolved, is `realRoot` or lies under it. `realRoot` must be
    /// resolved already (`resolvingLinks`); compared as bytes, so names that are not UTF-8 are
    /// checked exactly. The walker and the watcher follow a link only when this holds for it,
    /// and the API serves a file, and the indexer reads a picture, only when it holds.
    public func resolves(within realRoot: RawPath) -> Bool {
        guard let real = resolvingLinks else { return false }
        return real.isWithin(realRoot)
    }
}
