import OmniModel

/// One `struct inotify_event` record, decoded from the bytes `read(2)` returned.
///
/// A plain value: no file descriptor, no path resolution (a watch descriptor means nothing
/// without the watcher's table, see `InotifyWatcher`).
public struct InotifyEvent: Sendable, Hashable {
    /// The watch descriptor the event is about; -1 for `IN_Q_OVERFLOW`.
    public var watchDescriptor: Int32
    /// The raw `mask` field (see `Mask`).
    public var mask: Mask
    /// Pairs an `IN_MOVED_FROM` with its `IN_MOVED_TO` (0 for other events).
    public var cookie: UInt32
    /// The entry's name inside the watched folder, as bytes without the NUL padding; empty when
    /// the event is about the watched folder itself (`IN_DELETE_SELF`, `IN_IGNORED`, ...).
    public var name: RawPath

    public init(watchDescriptor: Int32, mask: Mask, cookie: UInt32 = 0, name: RawPath = RawPath(bytes: [])) {
        self.watchDescriptor = watchDescriptor
        self.mask = mask
        self.cookie = cookie
        self.name = name
    }

    /// The kernel's event bits (`<sys/inotify.h>`; values are Linux ABI and never change).
    public struct Mask: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let modify = Mask(rawValue: 0x0000_0002)
        public static let closeWrite = Mask(rawValue: 0x0000_0008)
        public static let movedFrom = Mask(rawValue: 0x0000_0040)
        public static let movedTo = Mask(rawValue: 0x0000_0080)
        public static let created = Mask(rawValue: 0x0000_0100)
        public static let deleted = Mask(rawValue: 0x0000_0200)
        public static let deleteSelf = Mask(rawValue: 0x0000_0400)
        public static let moveSelf = Mask(rawValue: 0x0000_0800)
        public static let unmount = Mask(rawValue: 0x0000_2000)
        public static let queueOverflow = Mask(rawValue: 0x0000_4000)
        public static let ignored = Mask(rawValue: 0x0000_8000)
        public static let onlyDirectory = Mask(rawValue: 0x0100_0000)
        public static let excludeUnlinked = Mask(rawValue: 0x0400_0000)
        public static let isDirectory = Mask(rawValue: 0x4000_0000)
    }

    public var isCreated: Bool { mask.contains(.created) }
    public var isCloseWrite: Bool { mask.contains(.closeWrite) }
    public var isMovedFrom: Bool { mask.contains(.movedFrom) }
    public var isMovedTo: Bool { mask.contains(.movedTo) }
    public var isDeleted: Bool { mask.contains(.deleted) }
    public var isDeleteSelf: Bool { mask.contains(.deleteSelf) }
    public var isMoveSelf: Bool { mask.contains(.moveSelf) }
    public var isDirectory: Bool { mask.contains(.isDirectory) }
    public var isQueueOverflow: Bool { mask.contains(.queueOverflow) }
    public var isIgnored: Bool { mask.contains(.ignored) }
    public var isUnmount: Bool { mask.contains(.unmount) }
}
