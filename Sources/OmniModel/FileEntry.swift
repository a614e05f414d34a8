/// One audio file found by a walk, with the `stat` facts used to decide whether it changed.
public struct FileEntry: Sendable, Hashable {
    /// The path relative to its music root, as bytes.
    public var relativePath: RawPath
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNs: Int64
    /// Status-change time in nanoseconds since the epoch (changes on rename, chmod, rewrite).
    public var ctimeNs: Int64
    public var inode: UInt64
    public var device: UInt64

    public init(relativePath: RawPath, size: Int64, mtimeNs: Int64, ctimeNs: Int64, inode: UInt64, device: UInt64) {
        self.relativePath = relativePath
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.inode = inode
        self.device = device
    }
}

