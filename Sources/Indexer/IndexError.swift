import Glibc
import LocalStore
import OmniModel

/// Errors that stop or degrade a scan.
public struct IndexError: ReasonedError {
    public enum Reason: String, ErrorReason {
        /// The library database failed (a full disk among others): the scan stopped; what was
        /// written before is consistent and the next scan resumes from there.
        case store = "index.store"
        /// An artwork image could not be stored; the track is kept without it.
        case artwork = "index.artwork"
        /// The scan was cancelled (shutdown).
        case cancelled = "index.cancelled"
        /// A file could not be moved to the trash; it is where it was.
        case trash = "index.trash"
        /// An uploaded file was refused (not audio, too large, a bad name); nothing was kept.
        case importRejected = "import.rejected"
        /// An import could not be stored (the music folder is not writable, the disk is full).
        case importFailed = "import.failed"
        /// A music root is missing (an unplugged disk): it is marked offline, its tracks kept.
        case rootMissing = "index.root_missing"
        /// No track or file with this identity.
        case notFound = "index.not_found"

        public var kind: ErrorKind {
            switch self {
            case .store, .artwork, .trash: .internal
            case .cancelled, .rootMissing, .importFailed: .unavailable
            case .importRejected: .invalid
            case .notFound: .notFound
            }
        }
    }

    public var reason: Reason
    public var message: String
    public var detail: String
    /// The underlying store error, when there is one.
    public var storeError: StoreError?

    public init(_ reason: Reason, message: String, detail: String = "") {
        self.reason = reason
        self.message = message
        self.detail = detail
    }

    init(_ reason: Reason, message: String, errno code: Int32) {
        self.init(reason, message: message, detail: String(cString: strerror(code)))
    }

    init(_ error: StoreError) {
        self.init(.store, message: error.description, detail: error.expandedDescription)
        storeError = error
    }

    /// Runs a library call, converting its `StoreError` into an `IndexError.store`.
    public static func store<T>(_ body: () throws(StoreError) -> T) throws(IndexError) -> T {
        do {
            return try body()
        } catch {
            throw IndexError(error)
        }
    }

    /// The store error's code when a library failure stopped the scan (`store.disk_full`).
    public var code: String { storeError?.code ?? reason.rawValue }
    /// The store error's kind when there is one (a full disk stays `full`).
    public var kind: ErrorKind { storeError?.kind ?? reason.kind }
}
