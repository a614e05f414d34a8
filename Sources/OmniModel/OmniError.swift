/// What kind of failure an error is, in words every front door can translate.
///
/// The kind is what a caller acts on; the `code` says which failure it was. Each front door maps
/// the kind to its own codes in one table: the web API to an HTTP status
/// (`APIError.status(for:)`), the MPD protocol to an `ACK` code, the Subsonic API to its error
/// numbers. No front door derives a status from the text of a code (decision 0025).
public enum ErrorKind: String, Sendable, CaseIterable {
    /// Something named does not exist (a track, a playlist, a queue entry, a file).
    case notFound = "not_found"
    /// The request itself is wrong: a value of the wrong type, out of range, too long, refused.
    case invalid
    /// The request is fine but contradicts the current state (an edit of something changed meanwhile).
    case conflict
    /// A resource this machine needs is not there now (an unplugged disk, a missing device, a
    /// server that cannot be reached); the same request may work later.
    case unavailable
    /// Something else holds what is needed (a sound card in use, too many requests, another
    /// daemon on the same library); retry later.
    case busy
    /// The disk or a quota is full: nothing was written.
    case full
    /// The caller is not allowed to do this (no token, a revoked one, a forbidden request).
    case denied
    /// A failure of this machine that no request caused (a damaged database, a bug).
    case `internal`
}

/// The shape every module's error type takes.
///
/// Each module has one error type conforming to this protocol. `code` is stable (clients and
/// tests may match on it), `kind` says what sort of failure it is (front doors map it to their
/// own codes), `description` is safe to show a user, and `expandedDescription` adds what helps
/// debugging (paths, C return codes, SQL) and goes to the log.
public protocol OmniError: Error, CustomStringConvertible, Sendable {
    /// A stable, machine-readable code such as `"media.unreadable"`.
    var code: String { get }
    /// What sort of failure this is, for the front doors' tables.
    var kind: ErrorKind { get }
    /// A message fit for the user.
    var description: String { get }
    /// The message plus details for the log.
    var expandedDescription: String { get }
}

extension OmniError {
    public var expandedDescription: String { description }
}

/// A module's list of stable reasons: the raw value is the error code (`"store.not_found"`),
/// and each reason has one kind.
public protocol ErrorReason: RawRepresentable, Sendable, Hashable where RawValue == String {
    /// What sort of failure this reason is.
    var kind: ErrorKind { get }
}

/// An `OmniError` made of a reason, a message and a detail: the common case, written once.
///
/// A conforming type stores `reason`, `message` (for the user) and `detail` (for the log, may be
/// empty) and gets `code`, `kind`, `description` and `expandedDescription` ("message (detail)")
/// from this extension. A type whose message is computed (from a path, say) implements `message`.
public protocol ReasonedError: OmniError {
    associatedtype Reason: ErrorReason
    /// Why it failed; its raw value is the code.
    var reason: Reason { get }
    /// A message fit for the user.
    var message: String { get }
    /// The failing call, C return code or SQL, for the log; empty when there is nothing to add.
    var detail: String { get }
}

extension ReasonedError {
    public var code: String { reason.rawValue }
    public var kind: ErrorKind { reason.kind }
    public var description: String { message }
    public var expandedDescription: String { detail.isEmpty ? message : "\(message) (\(detail))" }
}
