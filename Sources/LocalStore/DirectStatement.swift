import GRDB
import GRDBSQLite

/// One execution of a cached statement whose arguments are bound in place, one by one, with
/// GRDB's own `StatementBinding.bind(to:at:)` (so a value is stored exactly as GRDB stores it),
/// instead of through `StatementArguments`.
///
/// Why: the scan's writer thread is the scan's critical path, and the 41-argument track row
/// spent as long boxing its values (an array of existentials, then one `DatabaseValue` each) as
/// SQLite spent inserting it. Only for the scan's hot statements; everything else goes through
/// GRDB's ordinary API. The statement is stepped directly, bypassing GRDB's per-statement
/// bookkeeping (transaction observers), inside a `write` transaction: whoever uses it tells the
/// observers of its tables itself. `Library.apply` does: it writes `track`, `file`, `trackArtist`
/// and `trackGenre` this way and invalidates the Subsonic album rows (`SubsonicAlbumSummaries`,
/// which observe `track`) after its commit; the sync observation watches `opLog` alone.
struct DirectStatement {
    private let statement: Statement
    private let handle: SQLiteStatement
    private var index: CInt = 0
    private var bindFailure: CInt = SQLITE_OK

    /// Takes `statement` (from `db.cachedStatement`) and resets it for new arguments.
    init(_ statement: Statement) {
        self.statement = statement
        self.handle = statement.sqliteStatement
        sqlite3_reset(handle)
    }

    /// Binds the next argument (NULL for nil).
    mutating func bind(_ value: (some StatementBinding)?) {
        index += 1
        let code = value.map { $0.bind(to: handle, at: index) } ?? sqlite3_bind_null(handle, index)
        if code != SQLITE_OK && bindFailure == SQLITE_OK { bindFailure = code }
    }

    /// Runs the statement to its end.
    ///
    /// - Throws: `DatabaseError` with SQLite's code and message (a full disk, a constraint).
    func execute(_ db: Database) throws {
        _ = try run(db, returningFirstColumn: false)
    }

    /// Runs a statement that returns at most one row whose first column is an integer
    /// (`… RETURNING id`, a lookup by a unique key) and returns it, nil when there is no row.
    func fetchInt64(_ db: Database) throws -> Int64? {
        try run(db, returningFirstColumn: true)
    }

    private func run(_ db: Database, returningFirstColumn: Bool) throws -> Int64? {
        precondition(index == sqlite3_bind_parameter_count(handle), "DirectStatement: \(index) arguments bound for \(statement.sql)")
        defer { sqlite3_reset(handle) }
        if bindFailure != SQLITE_OK { throw error(bindFailure, db) }
        var first: Int64?
        while true {
            let code = sqlite3_step(handle)
            switch code {
            case SQLITE_DONE: return first
            case SQLITE_ROW:
                if returningFirstColumn && first == nil { first = sqlite3_column_int64(handle, 0) }
            default: throw error(code, db)
            }
        }
    }

    private func error(_ code: CInt, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code),
                      message: db.sqliteConnection.map { String(cString: sqlite3_errmsg($0)) },
                      sql: statement.sql)
    }
}
