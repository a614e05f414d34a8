/// The shape every module's error type takes.
///
/// Each module has one error type conforming to this protocol. `code` is stable (clients and
/// tests may match on it), `description` is safe to show a user, and `expandedDescription` adds
/// what helps debugging (paths, C return codes, SQL) and goes to the log.
public protocol OmniError: Error, CustomStringConvertible, Sendable {
    /// A stable, machine-readable code such as `"media.unreadable"`.
    var code: String { get }
    /// A message fit for the user.
    var description: String { get }
    /// The message plus details for the log.
    var expandedDescription: String { get }
}

extension OmniError {
    public var expandedDescription: String { description }
}
