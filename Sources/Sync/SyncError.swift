import OmniModel

/// Why a sync operation failed (server, storage or client side).
public struct SyncError: ReasonedError {
    public enum Reason: String, ErrorReason {
        /// No token, an unknown token or a revoked one (HTTP 401).
        case unauthorized = "sync.unauthorized"
        /// A request larger than the server accepts (HTTP 413).
        case tooLarge = "sync.too_large"
        /// Too many requests from one device (HTTP 429).
        case rateLimited = "sync.rate_limited"
        /// A malformed request or argument (HTTP 400).
        case invalid = "sync.invalid"
        /// The storage backend failed (HTTP 500).
        case storage = "sync.storage"
        /// The server cannot be reached or answered something unexpected (client side).
        case unavailable = "sync.unavailable"
        /// Something named does not exist (a device to revoke).
        case notFound = "sync.not_found"
        /// The user's stream is full: its operation or byte quota is reached (HTTP 507).
        case quotaExceeded = "sync.quota_exceeded"
        /// The pushing device's share of its user's stream is full (HTTP 507; decision 0017).
        case deviceQuotaExceeded = "sync.device_quota_exceeded"
        /// The request is understood but not allowed with these credentials (HTTP 403).
        case forbidden = "sync.forbidden"

        public var kind: ErrorKind {
            switch self {
            case .unauthorized, .forbidden: .denied
            case .tooLarge, .invalid: .invalid
            case .rateLimited: .busy
            case .storage: .internal
            case .unavailable: .unavailable
            case .notFound: .notFound
            case .quotaExceeded, .deviceQuotaExceeded: .full
            }
        }
    }

    public var reason: Reason
    public var message: String
    public var detail: String

    public init(_ reason: Reason, message: String, detail: String = "") {
        self.reason = reason
        self.message = message
        self.detail = detail
    }
}
