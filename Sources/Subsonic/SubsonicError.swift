/// A Subsonic error: one of the API's codes and a message. Answered as HTTP 200 with
/// `status="failed"` and an `error` element, as every Subsonic client expects.
public struct SubsonicError: Error, Sendable, Equatable {
    /// The codes of the Subsonic API (1.16.1) and the OpenSubsonic `apiKeyAuthentication` extension.
    public enum Code: Int, Sendable {
        /// A generic error.
        case generic = 0
        /// A required parameter is missing.
        case missingParameter = 10
        /// Wrong username or password.
        case wrongCredentials = 40
        /// Token authentication is not supported for this user (no password is set: API keys only).
        case tokenNotSupported = 41
        /// The authentication mechanism is not supported.
        case mechanismNotSupported = 42
        /// Several conflicting authentication mechanisms were sent (an API key with `u`, `p` or `t`).
        case conflictingMechanisms = 43
        /// The API key is not valid.
        case invalidAPIKey = 44
        /// The user may not do this.
        case notAuthorized = 50
        /// The data asked for was not found.
        case notFound = 70
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func missing(_ name: String) -> SubsonicError { SubsonicError(.missingParameter, "required parameter is missing: \(name)") }
    static func notFound(_ what: String) -> SubsonicError { SubsonicError(.notFound, "\(what) not found") }
    static func invalid(_ name: String) -> SubsonicError { SubsonicError(.generic, "invalid value of parameter \(name)") }
}
