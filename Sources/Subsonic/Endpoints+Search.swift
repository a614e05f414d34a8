import Foundation
import LocalStore
import OmniModel

// search2 and search3 on the library's FTS5 search (accent-insensitive, typo-tolerant).
extension SubsonicAPI {
    static func registerSearch(_ t: inout [String: Endpoint]) {
        t["search2"] = { c in .node(try search(c, name: "searchResult2", id3: false)) }
        t["search3"] = { c in .node(try search(c, name: "searchResult3", id3: true)) }
    }

    /// What a client typed, as the library's search language reads it: `""` (what DSub and
    /// Symfonium send for "everything") and a lone `*` are the empty query; a trailing `*` is
    /// dropped (the search already matches the last word as a prefix).
    static func searchText(_ query: String?) -> String {
        // Foundation's trimming was 1 % of a search3 request; it changes nothing when the text
        // begins and ends with ASCII other than a space or tab (the only ASCII in `.whitespaces`).
        func kept(_ byte: UInt8?) -> Bool { byte.map { $0 < 0x80 && $0 != 0x20 && $0 != 0x09 } ?? true }
        let given = query ?? ""
        var text = kept(given.utf8.first) && kept(given.utf8.last) ? given : given.trimmingCharacters(in: .whitespaces)
        if text == "\"\"" || text == "*" { return "" }
        while text.hasSuffix("*") { text.removeLast() }
        return text
    }

    static func search(_ c: Call, name: String, id3: Bool) throws -> Node {
        let p = c.parameters
        let text = searchText(p.string("query"))
        let maxOffset = Int(Int32.max)
        let artistCount = try p.int("artistCount", default: 20, in: 0...500)
        let albumCount = try p.int("albumCount", default: 20, in: 0...500)
        let songCount = try p.int("songCount", default: 20, in: 0...500)
        let artists = artistCount == 0 ? [] : try c.library.searchArtists(text, limit: artistCount,
                                                                           offset: try p.int("artistOffset", default: 0, in: 0...maxOffset))
        let albums = albumCount == 0 ? [] : try c.library.searchAlbums(text, limit: albumCount,
                                                                        offset: try p.int("albumOffset", default: 0, in: 0...maxOffset))
        // The empty query lists every track by artist, album, disc, track and id: a stable
        // order, so a full sync paging `songOffset` by 500 sees each song exactly once.
        let songs = songCount == 0 ? [] : try c.library.search(SearchQuery(
            text: text, limit: songCount, offset: try p.int("songOffset", default: 0, in: 0...maxOffset),
            sort: text.isEmpty ? .artist : .relevance)).tracks
        let shapes = try c.shapes.prepared(c.library, songs)
        var n = Node(name)
        n.add(list: "artist", artists.map { shapes.artist($0, id3: id3) })
        n.add(list: "album", albums.map { id3 ? shapes.album($0) : shapes.albumDirectory($0) })
        n.add(list: "song", songs.map { shapes.song($0) })
        return n
    }
}
