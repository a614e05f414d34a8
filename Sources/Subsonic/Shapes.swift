import Foundation
import LocalStore
import OmniModel
import WebUI

/// How library values become Subsonic elements (`Child`, `AlbumID3`, `ArtistID3`...).
///
/// `legacy` leaves out the OpenSubsonic fields (`genres`, `artists`, `replayGain`, `played`...),
/// for clients that break on fields they do not know (DSub, by its client name `c`, as
/// Navidrome does): those get exactly the Subsonic 1.16.1 shape.
struct Shapes {
    var legacy: Bool
    /// Album row id → key, for the songs' `albumId`/`parent`.
    var albumKeys: [Int64: String] = [:]
    /// Favorite tracks' dates (`starred`).
    var starred: [String: Date] = [:]
    /// Artist name → id for the names of the tracks being shaped (each folded and encoded once
    /// per answer, not once per mention).
    var artistIDs: [String: String] = [:]

    /// Loads what songs need besides their records: album keys and favorite dates.
    static func prepare(_ library: Library, tracks: [TrackRecord], legacy: Bool) throws(StoreError) -> Shapes {
        var shapes = Shapes(legacy: legacy)
        shapes.albumKeys = try library.albumKeys(ids: Set(tracks.compactMap(\.albumId)))
        shapes.starred = try library.favoriteDates(uids: Set(tracks.filter(\.favorite).map(\.uid.rawValue)))
        for t in tracks {
            for name in t.artists + t.albumArtists where shapes.artistIDs[name] == nil { shapes.artistIDs[name] = ID.ofArtist(named: name) }
        }
        return shapes
    }

    /// The id of the artist named `name` (memoized for the tracks of this answer).
    func artistID(_ name: String) -> String { artistIDs[name] ?? ID.ofArtist(named: name) }

    /// The file's extension, lowercased (no Foundation path bridging: one per song).
    static func suffix(_ path: String) -> String {
        let utf8 = path.utf8
        guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")) else { return "" }
        if let slash = utf8.lastIndex(of: UInt8(ascii: "/")), slash > dot { return "" }
        return String(decoding: utf8[utf8.index(after: dot)...], as: UTF8.self).lowercased()
    }

    /// A song as a `Child` element named `name` (`song`, `child`, `entry`).
    func song(_ t: TrackRecord, name: String = "song") -> Node {
        var n = Node(name)
        let id = ID.ofSong(t.uid)
        n.set("id", .string(id))
        let albumID = t.albumId.flatMap { albumKeys[$0] }.map(ID.ofAlbum)
        n.set("parent", albumID.map(Value.string))
        n.set("isDir", false)
        n.set("title", .string(t.title))
        n.set("album", t.album.map(Value.string))
        n.set("artist", t.artist.map(Value.string))
        n.set("track", t.trackNumber.map(Value.int))
        n.set("year", t.year.map(Value.int))
        n.set("genre", t.genres.first.map(Value.string))
        if t.hasArtwork { n.set("coverArt", .string(id)) }
        n.set("contentType", .string(MediaResponder.mimeType(container: t.container, codec: t.codec, path: t.path)))
        let suffix = Self.suffix(t.path)
        if !suffix.isEmpty { n.set("suffix", .string(suffix)) }
        n.set("duration", t.durationMs.map { .int(($0 + 500) / 1000) })
        n.set("bitRate", t.bitrate.map { .int(($0 + 500) / 1000) })
        if !t.path.isEmpty { n.set("path", .string(t.path)) }
        n.set("isVideo", false)
        if let rating = t.rating, (1...5).contains(rating) { n.set("userRating", .int(rating)) }
        n.set("playCount", .int(t.playCount))
        n.set("discNumber", t.discNumber.map(Value.int))
        n.set("created", ISODate.value(t.addedAt))
        if t.favorite { n.set("starred", ISODate.value(starred[t.uid.rawValue] ?? t.updatedAt)) }
        n.set("albumId", albumID.map(Value.string))
        n.set("artistId", t.artists.first.map { .string(artistID($0)) })
        n.set("type", "music")
        guard !legacy else { return n }
        n.set("bitDepth", t.bitsPerSample.map(Value.int))
        n.set("samplingRate", t.sampleRate.map(Value.int))
        n.set("channelCount", t.channels.map(Value.int))
        n.set("played", t.lastPlayed.map(ISODate.value))
        n.set("bpm", t.bpm.map { .int(Int($0.rounded())) })
        n.set("comment", t.comment.map(Value.string))
        n.set("musicBrainzId", t.musicBrainz?.recordingId.map(Value.string))
        n.set("mediaType", "song")
        n.set("displayArtist", t.artist.map(Value.string))
        n.set("displayAlbumArtist", (t.albumArtist ?? t.artist).map(Value.string))
        n.set("displayComposer", t.composer.map(Value.string))
        n.add(list: "genres", t.genres.map { Node("genres", [("name", .string($0))]) })
        n.add(list: "artists", t.artists.map { Node("artists", [("id", .string(artistID($0))), ("name", .string($0))]) })
        let albumArtists = t.albumArtists.isEmpty ? t.artists : t.albumArtists
        n.add(list: "albumArtists", albumArtists.map { Node("albumArtists", [("id", .string(artistID($0))), ("name", .string($0))]) })
        if let gain = t.replayGain, !gain.isEmpty {
            var g = Node("replayGain")
            g.set("trackGain", gain.trackGain.map(Value.double))
            g.set("albumGain", gain.albumGain.map(Value.double))
            g.set("trackPeak", gain.trackPeak.map(Value.double))
            g.set("albumPeak", gain.albumPeak.map(Value.double))
            n.add(g)
        }
        return n
    }

    /// An album as `AlbumID3` (`name` is `album`).
    func album(_ a: SubsonicAlbumRow, name: String = "album") -> Node {
        var n = Node(name)
        let id = ID.ofAlbum(a.key)
        n.set("id", .string(id))
        n.set("name", .string(a.title))
        // The artist's id folded and encoded once: it is in `artistId` and in `artists`.
        let artist = a.albumArtist.map { (name: $0, id: ID.ofArtist(named: $0)) }
        n.set("artist", artist.map { .string($0.name) })
        n.set("artistId", artist.map { .string($0.id) })
        if a.hasArtwork { n.set("coverArt", .string(id)) }
        n.set("songCount", .int(a.songCount))
        n.set("duration", .int((a.durationMs + 500) / 1000))
        n.set("playCount", .int(a.playCount))
        n.set("created", ISODate.value(a.created))
        n.set("year", a.year.map(Value.int))
        n.set("genre", a.genre.map(Value.string))
        n.set("starred", a.starred.map(ISODate.value))
        guard !legacy else { return n }
        n.set("played", a.lastPlayed.map(ISODate.value))
        n.set("displayArtist", a.albumArtist.map(Value.string))
        n.set("isCompilation", .bool(a.compilation))
        n.add(list: "genres", a.genre.map { [Node("genres", [("name", .string($0))])] } ?? [])
        n.add(list: "artists", artist.map { [Node("artists", [("id", .string($0.id)), ("name", .string($0.name))])] } ?? [])
        return n
    }

    /// An album as a directory `Child` (`getAlbumList`, `getMusicDirectory` of an artist).
    func albumDirectory(_ a: SubsonicAlbumRow, name: String = "album") -> Node {
        var n = Node(name)
        let id = ID.ofAlbum(a.key)
        n.set("id", .string(id))
        n.set("parent", a.albumArtist.map { .string(ID.ofArtist(named: $0)) })
        n.set("isDir", true)
        n.set("title", .string(a.title))
        n.set("album", .string(a.title))
        n.set("artist", a.albumArtist.map(Value.string))
        n.set("year", a.year.map(Value.int))
        n.set("genre", a.genre.map(Value.string))
        if a.hasArtwork { n.set("coverArt", .string(id)) }
        n.set("duration", .int((a.durationMs + 500) / 1000))
        n.set("playCount", .int(a.playCount))
        n.set("created", ISODate.value(a.created))
        n.set("albumId", .string(id))
        n.set("artistId", a.albumArtist.map { .string(ID.ofArtist(named: $0)) })
        n.set("starred", a.starred.map(ISODate.value))
        return n
    }

    /// An artist as `ArtistID3` (or the legacy `Artist` of indexes when `id3` is false).
    func artist(_ a: SubsonicArtistRow, id3: Bool = true) -> Node {
        var n = Node("artist", [("id", .string(ID.ofArtist(a.key))), ("name", .string(a.name))])
        if id3 { n.set("albumCount", .int(a.albumCount)) }
        n.set("starred", a.starred.map(ISODate.value))
        return n
    }

    /// Artists grouped by first letter, as `getArtists` and `getIndexes` list them.
    func indexes(_ artists: [SubsonicArtistRow], id3: Bool) -> [Node] {
        var groups: [(String, [Node])] = []
        // By index letter (articles left out), then by name: "The Beatles" under B.
        let lettered: [(String, SubsonicArtistRow)] = artists.map { (Self.indexLetter($0.name), $0) }
            .sorted { (a: (String, SubsonicArtistRow), b: (String, SubsonicArtistRow)) -> Bool in Self.indexOrder(a, b) }
        for (letter, a) in lettered {
            if groups.last?.0 != letter { groups.append((letter, [])) }
            groups[groups.count - 1].1.append(artist(a, id3: id3))
        }
        return groups.map { letter, nodes in
            var index = Node("index", [("name", .string(letter))])
            index.add(list: "artist", nodes)
            return index
        }
    }

    /// Letters in order, `#` (not a letter) last; within a letter, by folded name.
    static func indexOrder(_ a: (String, SubsonicArtistRow), _ b: (String, SubsonicArtistRow)) -> Bool {
        if a.0 != b.0 {
            if a.0 == "#" { return false }
            if b.0 == "#" { return true }
            return a.0 < b.0
        }
        return a.1.key < b.1.key
    }

    /// The articles left out when sorting artists (`ignoredArticles`).
    static let ignoredArticles = "The El La Los Las Le Les"

    /// The index letter: the first letter of the folded name without a leading article, `#`
    /// for anything but a letter.
    static func indexLetter(_ name: String) -> String {
        var folded = TextKey.fold(name)
        for article in ignoredArticles.lowercased().split(separator: " ") where folded.hasPrefix(article + " ") {
            folded = String(folded.dropFirst(article.count + 1))
            break
        }
        guard let first = folded.unicodeScalars.first, first.properties.isAlphabetic else { return "#" }
        return String(first).uppercased()
    }
}
