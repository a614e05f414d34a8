import Foundation
import GRDB
import Testing
@testable import LocalStore

@Suite("Track records read by field")
struct TrackRecordTests {
    @Test("Each field of the selection sits where SQLite says its column is, and a query selecting more finds it after the width")
    func fieldsMatchTheSelectionsColumns() throws {
        // Given a library with one track
        let library = try Library.inMemory()
        try library.insertFixtures([TrackFixture(title: "Gymnopédie No. 1", artist: "Erik Satie", year: 1888)])

        // When the selection is read with one column after it, as `trackFiles()` does
        let row = try library.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(TrackRecord.selection()), 'after' AS marker FROM track")
        }
        let selected = try #require(row)

        // Then SQLite's name for every table column is the field's column, at the field's position
        let names = Array(selected.columnNames)
        #expect(names.count == TrackRecord.selectionWidth + 1)
        for field in TrackRecord.Field.allCases {
            if let column = field.column {
                #expect(names[field.rawValue] == column, "\(field) is read at \(field.rawValue)")
            }
        }
        #expect(names[TrackRecord.Field.path.rawValue] == "path")
        #expect(names[TrackRecord.selectionWidth] == "marker")
        // And the decoded record has the values the row holds
        let record = TrackRecord(row: selected)
        #expect(record.title == "Gymnopédie No. 1")
        #expect(record.artists == ["Erik Satie"])
        #expect(record.year == 1888)
        #expect(record.path == "")
        #expect(!record.favorite && record.playCount == 0 && !record.available)
    }
}
