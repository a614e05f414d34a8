import GRDB
import OmniModel

/// Errors from the library database.
///
/// `description` is safe to show; `expandedDescription` may include SQL and its arguments.
public struct StoreError: ReasonedError {
    public enum Reason: String, ErrorReason {
        /// The database file could not be opened or migrated.
        case cannotOpen = "store.cannot_open"
        /// The disk is full: the transaction was rolled back, nothing was half-written.
        case diskFull = "store.disk_full"
        /// Another SQLite failure (I/O error, corruption, ...).
        case database = "store.database"
        /// A search query could not be understood (never raised for plain text).
        case badQuery = "store.bad_query"
        /// A user change was refused: a value of the wrong type, out of range or too long.
        case invalid = "store.invalid"
        /// A user change names something that does not exist (track, playlist, item, saved search).
        case notFound = "store.not_found"

        public var kind: ErrorKind {
            switch self {
            case .cannotOpen: .unavailable
            case .diskFull: .full
            case .database: .internal
            case .badQuery, .invalid: .invalid
            case .notFound: .notFound
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

    /// Wraps a GRDB error, recognising a full disk.
    public init(_ error: any Error, while doing: String) {
        if let dbError = error as? DatabaseError {
            let full = dbError.resultCode == .SQLITE_FULL || dbError.extendedResultCode == .SQLITE_IOERR_WRITE
            self.init(full ? .diskFull : .database,
                      message: full ? "the disk is full while \(doing)" : "database error while \(doing): \(dbError.message ?? "unknown")",
                      detail: dbError.description)
        } else if let storeError = error as? StoreError {
            self = storeError
        } else {
            self.init(.database, message: "database error while \(doing)", detail: String(describing: error))
        }
    }
}
