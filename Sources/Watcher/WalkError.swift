import OmniModel

/// A problem met while walking a music folder. Walk errors are reported and counted, never fatal:
/// the walk goes on with the rest of the tree.
public struct WalkError: OmniError, Equatable {
    public enum Reason: String, Sendable {
        /// A folder could not be opened (permission denied, `lost+found`, vanished).
        case unreadableFolder = "walk.unreadable_folder"
        /// A symbolic link points nowhere.
        case brokenSymlink = "walk.broken_symlink"
        /// A symbolic link leads back into a folder already being walked.
        case symlinkLoop = "walk.symlink_loop"
        /// The music root itself is missing or not a folder (unmounted disk).
        case rootMissing = "walk.root_missing"
        /// A file vanished or could not be examined between listing and `stat`.
        case statFailed = "walk.stat_failed"
    }

    public var reason: Reason
    /// The path concerned.
    public var path: RawPath
    /// errno's text, when a system call failed.
    public var detail: String

    public init(_ reason: Reason, path: RawPath, detail: String = "") {
        self.reason = reason
        self.path = path
        self.detail = detail
    }

    public var code: String { reason.rawValue }

    public var description: String {
        switch reason {
        case .unreadableFolder: "cannot read folder \(path)"
        case .brokenSymlink: "broken symbolic link \(path)"
        case .symlinkLoop: "symbolic link loop at \(path)"
        case .rootMissing: "music folder \(path) is missing"
        case .statFailed: "cannot examine \(path)"
        }
    }

    public var expandedDescription: String { detail.isEmpty ? description : "\(description): \(detail)" }
}
