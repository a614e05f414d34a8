import Foundation
import GRDB
import Testing
@testable import LocalStore
import OmniModel

@Suite("Search by analysed tempo, key and energy")
struct AnalysisSearchTests {
    /// Four tracks; three analysed (one tagged 95 BPM and "F#m", which win over the analysis).
    func library() throws -> Library {
        let library = try Library.inMemory()
        try library.insertFixtures([
            TrackFixture(title: "Slow Am", uid: "slow"), TrackFixture(title: "Fast C", uid: "fast"),
            TrackFixture(title: "Tagged", uid: "tagged"), TrackFixture(title: "Unanalysed", uid: "none"),
        ])
        try library.writer.write { db in
            try db.execute(sql: "UPDATE track SET bpm = 95, musicalKey = 'F#m' WHERE uid = 'tagged'")
        }
        func row(_ uid: String, bpm: Double, camelot: String, tonic: Int, minor: Bool, energy: Double) -> StoredAnalysis {
            var a = StoredAnalysis(uid: TrackUID(rawValue: uid), analyzerVersion: 1, status: .done, fileSize: 1, fileMtimeNs: 1)
            (a.bpm, a.camelot, a.keyTonic, a.keyMinor, a.energy) = (bpm, camelot, tonic, minor, energy)
            return a
        }
        try library.recordAnalysis(row("slow", bpm: 85.2, camelot: "8A", tonic: 9, minor: true, energy: 0.3))
        try library.recordAnalysis(row("fast", bpm: 128.4, camelot: "8B", tonic: 0, minor: false, energy: 0.8))
        try library.recordAnalysis(row("tagged", bpm: 140, camelot: "8A", tonic: 9, minor: true, energy: 0.75))
        return library
    }

    @Test("bpm:, key: (any notation) and energy: filter on the tag's value, else the analysed one")
    func filters() throws {
        let library = try library()
        #expect(try Set(library.titles("bpm:120..130")) == ["Fast C"])
        #expect(try Set(library.titles("bpm:128")) == ["Fast C"])
        #expect(try Set(library.titles("bpm:<100")) == ["Slow Am", "Tagged"], "the tag's 95 wins over the analysed 140")
        #expect(try Set(library.titles("key:Am")) == ["Slow Am"], "the tag's F♯ minor wins over the analysed A minor")
        #expect(try Set(library.titles("key:8A")) == ["Slow Am"])
        #expect(try Set(library.titles("key:11A")) == ["Tagged"], "F♯ minor is 11A")
        #expect(try Set(library.titles("key:1d")) == ["Fast C"], "Open Key 1d is C major")
        #expect(try Set(library.titles("energy:>0.7")) == ["Fast C", "Tagged"])
        #expect(try Set(library.titles("energy:>0.7 bpm:>100")) == ["Fast C"])
        #expect(try Set(library.titles("key:8A fast")).isEmpty)
        #expect(try library.titles("key:xyz").isEmpty, "not a key: plain text, which matches nothing")
    }

    @Test("sort by BPM and by key around the Camelot wheel; tracks without a value come last")
    func sorts() throws {
        let library = try library()
        #expect(try library.titles("", sort: .bpm) == ["Slow Am", "Tagged", "Fast C", "Unanalysed"])
        #expect(try library.titles("", sort: .bpm, descending: true).prefix(3) == ["Fast C", "Tagged", "Slow Am"])
        #expect(try library.titles("", sort: .key) == ["Slow Am", "Fast C", "Tagged", "Unanalysed"])
        #expect(try library.titles("a", sort: .bpm).first == "Slow Am")
    }

    @Test("Given analysed and tagged tracks, when read as records, then each carries its analysed BPM and Camelot code (nil when not analysed)")
    func recordsCarryTheAnalysis() throws {
        let library = try library()
        let page = try library.search(SearchQuery(text: "", limit: 50))
        let byTitle = Dictionary(uniqueKeysWithValues: page.tracks.map { ($0.title, $0) })
        #expect(byTitle["Slow Am"]?.analysedBpm == 85.2)
        #expect(byTitle["Slow Am"]?.analysedCamelot == "8A")
        #expect(byTitle["Tagged"]?.analysedBpm == 140, "the record keeps the analysis beside the tag (95); the API picks")
        #expect(byTitle["Tagged"]?.bpm == 95)
        #expect(byTitle["Unanalysed"]?.analysedBpm == nil)
        #expect(try library.track(uid: TrackUID(rawValue: "fast"))?.analysedCamelot == "8B")
    }
}
