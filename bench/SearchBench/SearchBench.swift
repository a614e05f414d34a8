// SearchBench: search latency on a synthetic 100,000-track library, in-process.
//
//     swift run -c release --scratch-path .build-search SearchBench [tracks] [queriesPerClass]
//
// Builds the library in a temporary SQLite file (WAL, as the daemon opens it) with plain SQL
// inserts (the FTS triggers fill the index), then runs each query class many times and prints
// p50/p95/p99/max per class and for the whole mix. Figures: docs/decisions/0005-search.md.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import LocalStore

/// SplitMix64: reproducible libraries and query mixes.
struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@main
enum SearchBench {
    static func main() throws {

        let arguments = CommandLine.arguments
        let trackCount = arguments.count > 1 ? Int(arguments[1]) ?? 100_000 : 100_000
        let perClass = arguments.count > 2 ? Int(arguments[2]) ?? 300 : 300

        var rng = Generator(state: 20_261_121)
        let words = WordList.words

        func phrase(_ range: ClosedRange<Int>) -> String {
            (0..<Int.random(in: range, using: &rng)).map { _ in words.randomElement(using: &rng)!.capitalized }.joined(separator: " ")
        }

        func json(_ list: [String]) -> String { String(decoding: try! JSONEncoder().encode(list), as: UTF8.self) }

        // MARK: - Build the library

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("searchbench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // SEARCHBENCH_KEEP=1 keeps the library file for inspection with sqlite3.
        let keep = ProcessInfo.processInfo.environment["SEARCHBENCH_KEEP"] == "1"
        defer { if keep { print("Kept \(directory.path)/library.sqlite") } else { try? FileManager.default.removeItem(at: directory) } }
        let databasePath = directory.appendingPathComponent("library.sqlite").path
        // SEARCHBENCH_CACHE_MB=n / SEARCHBENCH_MMAP_MB=n: connections keep an n MB page cache /
        // map n MB of the file (proposals for Library.init(path:); see docs/decisions/0005-search.md).
        // Default: the library exactly as Library(path:) opens it.
        let environment = ProcessInfo.processInfo.environment
        let cacheMB = environment["SEARCHBENCH_CACHE_MB"].flatMap { Int($0) }
        let mmapMB = environment["SEARCHBENCH_MMAP_MB"].flatMap { Int($0) }
        let tuned = cacheMB != nil || mmapMB != nil
        let library: Library
        if tuned {
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                if let cacheMB { try db.execute(sql: "PRAGMA cache_size = -\(cacheMB * 1024)") }
                if let mmapMB { try db.execute(sql: "PRAGMA mmap_size = \(mmapMB * 1024 * 1024)") }
            }
            library = try Library(writer: DatabasePool(path: databasePath, configuration: config))
        } else {
            library = try Library(path: databasePath)
        }
        print(tuned ? "Connections: cache \(cacheMB.map { "\($0) MB" } ?? "default"), mmap \(mmapMB.map { "\($0) MB" } ?? "off")"
                    : "Connections: Library(path:) defaults (2 MB page cache, no mmap)")

        let artists: [String] = (0..<4_000).map { _ in
            Double.random(in: 0..<1, using: &rng) < 0.06 ? WordList.unicodeArtists.randomElement(using: &rng)! : phrase(1...3)
        }
        let buildStart = ContinuousClock.now
        try library.writer.write { db in
            try db.execute(sql: "INSERT INTO root (id, path) VALUES (1, CAST('/music' AS BLOB))")
            let insertTrack = try db.makeStatement(sql: """
                INSERT INTO track (id, uid, title, titleKey, artist, artists, album, albumArtist, albumArtists, trackNumber,
                    discNumber, year, genres, genreText, composer, composers, compilation, codec, container, durationMs,
                    sampleRate, channels, bitrate, fileName, addedAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let insertFile = try db.makeStatement(sql: """
                INSERT INTO file (rootId, relPath, size, mtimeNs, ctimeNs, inode, device, trackId, scannedAt)
                VALUES (1, CAST(? AS BLOB), ?, 0, 0, ?, 1, ?, 0)
                """)
            var id = 0
            while id < trackCount {
                let artist = artists.randomElement(using: &rng)!
                let compilation = Double.random(in: 0..<1, using: &rng) < 0.05
                let album = phrase(1...3)
                let year = Int.random(in: 1955...2025, using: &rng)
                let genre = [WordList.genres.randomElement(using: &rng)!]
                let codec = ["flac", "mp3", "mp3", "opus", "aac", "vorbis"].randomElement(using: &rng)!
                for number in 1...Int.random(in: 6...16, using: &rng) where id < trackCount {
                    id += 1
                    let title = phrase(1...4)
                    let trackArtist = compilation ? artists.randomElement(using: &rng)! : artist
                    let composer: String? = Double.random(in: 0..<1, using: &rng) < 0.3 ? phrase(2...2) : nil
                    let fileName = String(format: "%02d - ", number) + title + "." + codec
                    try insertTrack.execute(arguments: [
                        id, String(format: "t%025d", id), title, TextKey.fold(title), trackArtist, json([trackArtist]),
                        album, compilation ? "Various Artists" : artist, json([compilation ? "Various Artists" : artist]),
                        number, 1, year, json(genre), genre[0], composer, json(composer.map { [$0] } ?? []), compilation,
                        codec, codec, Int.random(in: 90_000...600_000, using: &rng), 44_100, 2, 320_000, fileName,
                        1_700_000_000 + Double(id), 1_700_000_000 + Double(id),
                    ])
                    try insertFile.execute(arguments: ["\(artist)/\(album)/\(fileName)", 5_000_000, id, id])
                }
            }
        }
        // Rows were written directly: index them in one pass, as a scan batch does.
        try library.rebuildSearchIndex()
        let buildTime = ContinuousClock.now - buildStart
        print("Built \(try library.trackCount()) tracks in \(buildTime)")
        // SEARCHBENCH_OPTIMIZE=1 merges the FTS5 index into one segment first (what a scan could
        // do when it has written many tracks).
        if environment["SEARCHBENCH_OPTIMIZE"] == "1" {
            let start = ContinuousClock.now
            try library.writer.write { db in try db.execute(sql: "INSERT INTO trackFts(trackFts) VALUES('optimize')") }
            print("FTS5 optimize took \(ContinuousClock.now - start)")
        }

        // MARK: - Query classes

        func word() -> String { words.randomElement(using: &rng)! }
        func prefix(_ n: Int) -> String { String(word().prefix(n)) }
        func typo(_ w: String) -> String {
            var chars = Array(w)
            guard chars.count > 4 else { return w + "x" }
            let i = Int.random(in: 1..<(chars.count - 1), using: &rng)
            if Bool.random(using: &rng) { chars.swapAt(i, i + 1) } else { chars.remove(at: i) }
            return String(chars)
        }

        // The realistic mix (what a search box sends): words, prefixes while typing, filters, the
        // empty listing, misspellings. Then stress classes, reported apart: search results sorted
        // by a column rather than by relevance, on large match sets.
        let classes: [(name: String, stress: Bool, make: () -> SearchQuery)] = [
            ("single word", false, { SearchQuery(text: word()) }),
            ("two words", false, { SearchQuery(text: "\(word()) \(word())") }),
            ("word + prefix", false, { SearchQuery(text: "\(word()) \(prefix(2))") }),
            ("prefix 1 letter", false, { SearchQuery(text: prefix(1)) }),
            ("prefix 2 letters", false, { SearchQuery(text: prefix(2)) }),
            ("prefix 3 letters", false, { SearchQuery(text: prefix(3)) }),
            ("unicode name", false, { SearchQuery(text: ["bjork", "husker du", "坂本", "кино", "motor", "sigur ros", "Dvořák"].randomElement(using: &rng)!) }),
            ("artist: filter", false, { SearchQuery(text: "artist:\"\(artists.randomElement(using: &rng)!)\"") }),
            ("year range", false, { let y = Int.random(in: 1955...2015, using: &rng); return SearchQuery(text: "year:\(y)..\(y + 9)") }),
            ("word + year", false, { SearchQuery(text: "\(word()) year:>=\(Int.random(in: 1960...2020, using: &rng))") }),
            ("genre: + word", false, { SearchQuery(text: "genre:\(WordList.genres.randomElement(using: &rng)!.split(separator: " ")[0]) \(word())") }),
            ("empty page", false, { SearchQuery(text: "", offset: Int.random(in: 0...2_000, using: &rng)) }),
            ("empty by year desc", false, { SearchQuery(text: "", offset: Int.random(in: 0...500, using: &rng), sort: .year, descending: true) }),
            ("word by title", true, { SearchQuery(text: word(), sort: .title) }),
            ("prefix 1 by added", true, { SearchQuery(text: prefix(1), sort: .added, descending: true) }),
            ("misspelling", false, { SearchQuery(text: typo(word())) }),
            ("two words, 2nd misspelt", false, { SearchQuery(text: "\(word()) \(typo(word()))") }),
        ]

        func percentile(_ sorted: [Double], _ p: Double) -> Double {
            sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }

        func ms(_ d: Duration) -> Double {
            Double(d.components.seconds) * 1_000 + Double(d.components.attoseconds) / 1e15
        }

        // Warm up: the page cache, the statement caches.
        for _ in 0..<3 { for c in classes { _ = try library.search(c.make()) } }

        var all: [Double] = []
        var stressAll: [Double] = []
        var suggestions = 0
        print("")
        // SEARCHBENCH_ONLY=<class name> runs one class (for profiling).
        let only = ProcessInfo.processInfo.environment["SEARCHBENCH_ONLY"]
        /// This thread's CPU time in ms: unlike wall time, it leaves out the time other processes
        /// (two other engineers' builds on this 2-core machine) held the CPU.
        func cpuMs() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) * 1_000 + Double(ts.tv_nsec) / 1e6
        }
        var allCPU: [Double] = []
        func f(_ v: Double) -> String { String(format: "%8.2f", v) }
        print("class".padding(toLength: 24, withPad: " ", startingAt: 0)
              + "  wall: p50     p95     p99     max |  cpu: p50     p95     p99 | mean total")
        for c in classes where only == nil || c.name == only {
            var times: [Double] = []
            var cpu: [Double] = []
            var totals = 0
            for _ in 0..<perClass {
                let query = c.make()
                let cpuStart = cpuMs()
                let start = ContinuousClock.now
                let results = try library.search(query)
                times.append(ms(ContinuousClock.now - start))
                cpu.append(cpuMs() - cpuStart)
                totals += results.total
                if results.suggestion != nil { suggestions += 1 }
            }
            if c.stress { stressAll += times } else { all += times; allCPU += cpu }
            times.sort()
            cpu.sort()
            print((c.stress ? "* " : "  ") + c.name.padding(toLength: 22, withPad: " ", startingAt: 0)
                  + "  " + f(percentile(times, 0.5)) + f(percentile(times, 0.95)) + f(percentile(times, 0.99)) + f(times.last!)
                  + " |  " + f(percentile(cpu, 0.5)) + f(percentile(cpu, 0.95)) + f(percentile(cpu, 0.99))
                  + " | " + String(format: "%10d", totals / perClass))
        }
        guard !all.isEmpty, !stressAll.isEmpty else { return }
        all.sort()
        allCPU.sort()
        stressAll.sort()
        print(String(format: "\nrealistic mix (%d queries): p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms",
                     all.count, percentile(all, 0.5), percentile(all, 0.95), percentile(all, 0.99), all.last!))
        print(String(format: "realistic mix, CPU time: p50 %.3f ms, p95 %.3f ms, p99 %.3f ms",
                     percentile(allCPU, 0.5), percentile(allCPU, 0.95), percentile(allCPU, 0.99)))
        print(String(format: "stress classes (*) (%d queries): p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms",
                     stressAll.count, percentile(stressAll, 0.5), percentile(stressAll, 0.95), percentile(stressAll, 0.99),
                     stressAll.last!))
        print("\(suggestions) suggestions offered")

    }
}
