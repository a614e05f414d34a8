import Foundation
import GRDB
@testable import LocalStore
import Testing

/// The folding rule of decision 0005 ("Folding names the way people type them"), checked on
/// names from many languages: each row is a name in the library and queries that must find it.
@Suite("Search folds names the way people type them")
struct SearchFoldingTests {
    /// (artist, title, queries that must find the track)
    static let table: [(artist: String, title: String, queries: [String])] = [
        ("Björk Guðmundsdóttir", "Jóga", ["gudmundsdottir", "guðmundsdóttir", "bjork gudm", "GUDMUNDSDOTTIR"]),
        ("Sigur Rós", "Ágætis byrjun", ["agaetis", "ágætis byrjun", "sigur ros agae", "\"agaetis byrjun\""]),
        ("Sinéad O'Connor", "Nothing Compares 2 U", ["sinead oconnor", "sinead o'connor", "o’connor", "connor", "\"sinéad o'connor\""]),
        ("坂本龍一", "Merry Christmas Mr. Lawrence", ["龍一", "坂本", "本龍", "一", "坂本龍一", "龍"]),
        ("Mo\u{308}tley Cru\u{308}e", "Kickstart My Heart", ["motley", "motley crue", "mötley crüe"]),
        ("Røyksopp", "Eple", ["royksopp", "røyksopp"]),
        ("Tool", "Ænima", ["aenima", "ænima"]),
        ("Œuvre Collective", "Cœur", ["oeuvre", "coeur"]),
        ("Rammstein", "Weißes Fleisch", ["weisses", "weiß", "weiss"]),
        ("Stanisław Moniuszko", "Łódź Nocą", ["stanislaw", "lodz noca"]),
        ("Đorđe Balašević", "Ne lomite mi bagrenje", ["dorde balasevic", "đorđe"]),
        ("Þursaflokkurinn", "Pínulítill karl", ["thursaflokkurinn", "pinulitill"]),
        ("Barış Manço", "Dağlar Dağlar", ["baris manco", "daglar"]),
        ("AC/DC", "Hells Bells", ["acdc", "ac/dc", "dc hells", "ac dc"]),
        ("Jay-Z", "99 Problems", ["jayz", "jay-z", "jay", "jay z"]),
        ("R.E.M.", "Losing My Religion", ["rem losing", "r.e.m."]),
        ("坂本龍一", "ベスト・コレクション", ["スト", "コレクション", "レク"]),
        ("방탄소년단", "봄날", ["소년", "방탄", "탄소년단"]),
        ("周杰伦", "晴天", ["杰伦", "周杰"]),
        ("Кино", "Группа крови", ["кино", "крови", "группа"]),
        ("Βαγγέλης", "Χρυσή", ["βαγγελης", "χρυση"]),
        ("Sơn Tùng M-TP", "Lạc trôi", ["son tung", "lac troi", "mtp"]),
        ("Françoise Hardy", "Tous les garçons et les filles", ["francoise", "garcons"]),
    ]

    @Test("Every name in the table is found by each of its queries, and by nothing else's")
    func table() throws {
        // Given a library holding one track per row of the table
        let library = try Library.inMemory()
        try library.insertFixtures(Self.table.map { TrackFixture(title: $0.title, artist: $0.artist) })
        for row in Self.table {
            for query in row.queries {
                // When searching as people type, then the track is found
                let titles = try library.titles(query)
                #expect(titles.contains(row.title), "\(query) did not find \(row.artist) — \(row.title): \(titles)")
            }
        }
        // And folding does not make everything match everything
        #expect(try library.titles("gudmundsdottir") == ["Jóga"])
        #expect(Set(try library.titles("龍一")) == ["Merry Christmas Mr. Lawrence", "ベスト・コレクション"])
        #expect(try library.titles("一二").isEmpty)
    }

    @Test("The document and query folds: transliteration, joined inner punctuation, CJK bigrams")
    func folds() {
        #expect(SearchFolding.document("Guðmundsdóttir") == "Gudmundsdóttir")
        #expect(SearchFolding.document("Sinéad O'Connor") == "Sinéad OConnor O Connor")
        #expect(SearchFolding.query("o'connor") == "oconnor")
        #expect(SearchFolding.document("AC/DC") == "ACDC AC DC")
        #expect(SearchFolding.document("Guns N' Roses") == "Guns N' Roses")
        #expect(SearchFolding.document("坂本龍一") == "坂本 本龍 龍一 一")
        #expect(SearchFolding.query("本龍一") == "本龍 龍一")
        #expect(SearchFolding.query("龍") == "龍")
        #expect(SearchFolding.document("Plain words stay as they are") == "Plain words stay as they are")
    }

    @Test("A library indexed before the folding rule is re-indexed by its migration")
    func migrationReindexes() throws {
        // Given a library at the schema before v7-search-folding, with a track indexed the old way
        var config = Configuration()
        config.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: config)
        try Schema.migrator().migrate(queue, upTo: "v6-sort-untagged-last")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO track(uid, title, titleKey, artist, artists, codec, container, fileName, addedAt, updatedAt)
                VALUES ('old', 'Jóga', 'joga', 'Björk Guðmundsdóttir', '["Björk Guðmundsdóttir"]', 'flac', 'flac', 'joga.flac', 0, 0);
                INSERT INTO trackFts(trackFts) VALUES('rebuild');
                """)
        }
        // When it is opened by this version
        let library = try Library(writer: queue)
        // Then the new folding applies to what was indexed before, and the index is consistent
        #expect(try library.titles("gudmundsdottir") == ["Jóga"])
        try queue.write { db in try db.execute(sql: "INSERT INTO trackFts(trackFts, rank) VALUES('integrity-check', 1)") }
    }
}
