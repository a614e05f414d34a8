import ArgumentParser
import Foundation
import LocalStore
import OmniModel

/// `omnisonicd search QUERY`: ranked search of a library from the command line.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the library.",
        discussion: """
            Words match titles, artists, albums, genres, composers and file names, ignoring case and \
            accents; the last word matches as a prefix. Filters: artist:, album:, title:, genre:, \
            albumartist:, composer:, year:1990, year:1990..1999, year:>=2000. An empty query lists \
            the whole library.
            """)

    @Option(help: "The library folder (default: $XDG_DATA_HOME/omnisonic).", completion: .directory)
    var data: String?

    @Option(help: "At most this many results.")
    var limit: Int = 20

    @Option(help: "Skip this many results (paging).")
    var offset: Int = 0

    @Flag(help: "Print JSON: {\"tracks\": [...], \"total\": N, \"suggestion\": string|null}.")
    var json = false

    @Argument(help: "The query (several words are joined).")
    var query: [String] = []

    func validate() throws {
        if limit < 0 || limit > 10_000 { throw ValidationError("--limit must be between 0 and 10000") }
        if offset < 0 { throw ValidationError("--offset must not be negative") }
    }

    func run() throws {
        let paths = LibraryPaths(data: data, cache: nil)
        guard FileManager.default.fileExists(atPath: paths.database) else {
            FileHandle.standardError.write(Data("omnisonicd: no library at \(paths.data); run `omnisonicd scan --music DIR --data \(paths.data)` first\n".utf8))
            throw ExitCode(1)
        }
        let library = try Library(path: paths.database)
        let text = query.joined(separator: " ")
        let results = try library.search(SearchQuery(text: text, limit: limit, offset: offset))
        let documents = results.tracks.map(TrackDocument.init(record:))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let output = SearchOutput(tracks: documents, total: results.total, suggestion: results.suggestion)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
            return
        }
        if documents.isEmpty {
            if let suggestion = results.suggestion {
                print("Nothing found for \"\(text)\". Did you mean \"\(suggestion)\"?")
            } else {
                print("Nothing found for \"\(text)\".")
            }
            return
        }
        for document in documents {
            var line = document.title
            if let artist = document.artist { line += " — \(artist)" }
            if let album = document.album { line += " — \(album)" }
            if let year = document.year { line += " (\(year))" }
            print(line)
            print("    \(document.path)")
        }
        let shown = offset + documents.count
        print("\(offset + 1)–\(shown) of \(results.total)")
    }
}

/// The JSON shape of `search --json` (the same as `GET /api/search`).
struct SearchOutput: Encodable {
    var tracks: [TrackDocument]
    var total: Int
    var suggestion: String?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tracks, forKey: .tracks)
        try container.encode(total, forKey: .total)
        // Always present: null when there is no suggestion.
        try container.encode(suggestion, forKey: .suggestion)
    }

    enum CodingKeys: String, CodingKey { case tracks, total, suggestion }
}
