import Analysis
import Testing

@Suite("Key notations: standard, Camelot and Open Key")
struct MusicalKeyTests {
    /// The Camelot wheel and Open Key, as published (Mixed In Key; Beatunes' Open Key), typed out.
    static let table: [(standard: String, camelot: String, openKey: String)] = [
        ("A♭ minor", "1A", "6m"), ("B major", "1B", "6d"),
        ("E♭ minor", "2A", "7m"), ("F♯ major", "2B", "7d"),
        ("B♭ minor", "3A", "8m"), ("D♭ major", "3B", "8d"),
        ("F minor", "4A", "9m"), ("A♭ major", "4B", "9d"),
        ("C minor", "5A", "10m"), ("E♭ major", "5B", "10d"),
        ("G minor", "6A", "11m"), ("B♭ major", "6B", "11d"),
        ("D minor", "7A", "12m"), ("F major", "7B", "12d"),
        ("A minor", "8A", "1m"), ("C major", "8B", "1d"),
        ("E minor", "9A", "2m"), ("G major", "9B", "2d"),
        ("B minor", "10A", "3m"), ("D major", "10B", "3d"),
        ("F♯ minor", "11A", "4m"), ("A major", "11B", "4d"),
        ("C♯ minor", "12A", "5m"), ("E major", "12B", "5d"),
    ]

    @Test("All 24 keys have exactly the published Camelot and Open Key codes, and parse back from each")
    func allCodes() throws {
        #expect(Set(Self.table.map(\.camelot)).count == 24)
        for row in Self.table {
            let key = try #require(MusicalKey(parsing: row.standard), "\(row.standard)")
            #expect(key.standardName == row.standard)
            #expect(key.camelot == row.camelot, "\(row.standard)")
            #expect(key.openKey == row.openKey, "\(row.standard)")
            #expect(key.name(in: .camelot) == row.camelot && key.name(in: .openKey) == row.openKey)
            #expect(MusicalKey(parsing: row.camelot) == key, "\(row.camelot)")
            #expect(MusicalKey(parsing: row.openKey) == key, "\(row.openKey)")
            #expect(MusicalKey(parsing: key.shortName) == key, "\(key.shortName)")
        }
        #expect(Set(MusicalKey.all) == Set(Self.table.map { MusicalKey(parsing: $0.standard)! }))
    }

    @Test("Common spellings parse; nonsense does not", arguments: [
        ("Am", "A minor"), ("a minor", "A minor"), ("F#m", "F♯ minor"), ("Gb", "F♯ major"), ("g♭ major", "F♯ major"),
        ("Dbm", "C♯ minor"), ("8a", "A minor"), ("12B", "E major"), ("1d", "C major"), ("C", "C major"),
        ("A#", "B♭ major"), ("Cb", "B major"),
    ])
    func spellings(text: String, expected: String) {
        #expect(MusicalKey(parsing: text)?.standardName == expected, "\(text)")
    }

    @Test("Rejected: unknown letters, numbers off the wheel, extra words", arguments: ["H", "13A", "0B", "Am7", "", "8C", "minor"])
    func rejected(text: String) {
        #expect(MusicalKey(parsing: text) == nil, "\(text)")
    }

    @Test("Compatible keys: the same code, one step either way, and the relative major or minor")
    func compatible() throws {
        let am = try #require(MusicalKey(parsing: "8A"))
        #expect(Set(am.compatibleKeys.map(\.camelot)) == ["8A", "7A", "9A", "8B"])
        let b = try #require(MusicalKey(parsing: "1B"))
        #expect(Set(b.compatibleKeys.map(\.camelot)) == ["1B", "12B", "2B", "1A"])
        // For every pair of the 24: compatible exactly when the wheel says so, and symmetric.
        for x in MusicalKey.all {
            for y in MusicalKey.all {
                let dx = (x.camelotNumber - y.camelotNumber + 12) % 12
                let wheel = (x.mode == y.mode && (dx == 0 || dx == 1 || dx == 11)) || (x.mode != y.mode && dx == 0)
                #expect(x.compatibleKeys.contains(y) == wheel, "\(x.camelot) \(y.camelot)")
                #expect(x.compatibleKeys.contains(y) == y.compatibleKeys.contains(x))
            }
        }
    }
}
