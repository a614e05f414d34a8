import Foundation
import GRDB
@testable import LocalStore
import Testing

@Suite("The scan's directly bound statements")
struct DirectStatementTests {
    @Test("Values are stored as GRDB stores them, RETURNING gives the id, and a failing step throws SQLite's error and leaves the statement reusable")
    func bindStepAndFail() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, blob BLOB, n INTEGER, x REAL, flag INTEGER)")
            let sql = "INSERT INTO t(name, blob, n, x, flag) VALUES (?, ?, ?, ?, ?) RETURNING id"
            // Given a row bound value by value,
            var row = DirectStatement(try db.cachedStatement(sql: sql))
            row.bind("Café"); row.bind(Data([0, 1, 2])); row.bind(Int?.none); row.bind(1.5); row.bind(true)
            // when it runs, then it returns the new id and stores what GRDB's arguments would have.
            #expect(try row.fetchInt64(db) == 1)
            try db.execute(sql: "INSERT INTO t(name, blob, n, x, flag) VALUES (?, ?, ?, ?, ?)",
                           arguments: ["Café", Data([0, 1, 2]), nil, 1.5, true])
            let rows = try Row.fetchAll(db, sql: "SELECT name, blob, n, x, flag, typeof(n), typeof(blob) FROM t ORDER BY id")
            #expect(rows.count == 2 && rows[0] == rows[1])

            // Given a NULL where the column forbids it, the step throws SQLite's constraint error
            var bad = DirectStatement(try db.cachedStatement(sql: sql))
            bad.bind(String?.none); bad.bind(Data()); bad.bind(1); bad.bind(0.0); bad.bind(false)
            #expect {
                try bad.execute(db)
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT
            }
            // and the same cached statement runs again with good values.
            var again = DirectStatement(try db.cachedStatement(sql: sql))
            again.bind("ok"); again.bind(Data()); again.bind(2); again.bind(0.0); again.bind(false)
            #expect(try again.fetchInt64(db) == 3)
        }
    }
}
