import Foundation
import LocalStore
import OmniModel

/// The music database: the folder tree, listings, `list`, and the `find`/`search` family.
extension Commands {
    static func registerLibrary(_ add: Register) {
        add("lsinfo", 0, 1, false) { c in
            let uri = SongIndex.normalize(c.text(0) ?? "")
            let index = try c.songs()
            if let i = index.position(uri: uri) { return index.write(i, into: &c.response, tags: c.session.tags) }
            guard let dir = index.directories[uri] else { throw MPDError.noExist("No such directory") }
            // Songs, then folders, then (at the top) playlists: MPD's order.
            for i in dir.songs { index.write(i, into: &c.response, tags: c.session.tags) }
            for sub in dir.directories {
                c.response.add("directory", sub)
                c.response.add("Last-Modified", Song.isoDate(index.directories[sub]?.modified ?? 0))
            }
            if uri.isEmpty { try c.writePlaylistNames() }
        }
        add("listall", 0, 1, false) { c in try c.walk(c.text(0) ?? "", info: false) }
        add("listallinfo", 0, 1, false) { c in try c.walk(c.text(0) ?? "", info: true) }
        add("listfiles", 0, 1, false) { c in
            let uri = SongIndex.normalize(c.text(0) ?? "")
            let index = try c.songs()
            guard let dir = index.directories[uri] else { throw MPDError.noExist("No such directory") }
            for sub in dir.directories {
                c.response.add("directory", String(sub.split(separator: "/").last ?? ""))
                c.response.add("Last-Modified", Song.isoDate(index.directories[sub]?.modified ?? 0))
            }
            for i in dir.songs {
                let song = index.songs[i]
                c.response.add("file", String(song.uri.split(separator: "/").last ?? ""))
                c.response.add("Last-Modified", Song.isoDate(song.modified))
            }
        }
        add("find", 1, Int.max, false) { c in try c.find(foldCase: false) { c.write($0, of: $1) } }
        add("search", 1, Int.max, false) { c in try c.find(foldCase: true) { c.write($0, of: $1) } }
        add("findadd", 1, Int.max, false) { c in try c.find(foldCase: false) { positions, index in try c.player.enqueue(positions.map { index.songs[$0].track.uid }, fromLibrary: true) } }
        add("searchadd", 1, Int.max, false) { c in try c.find(foldCase: true) { positions, index in try c.player.enqueue(positions.map { index.songs[$0].track.uid }, fromLibrary: true) } }
        add("findaddpl", 2, Int.max, false) { c in try c.addToPlaylist(named: c.arguments[0], foldCase: false) }
        add("searchaddpl", 2, Int.max, false) { c in try c.addToPlaylist(named: c.arguments[0], foldCase: true) }
        add("count", 1, Int.max, false, count)
        add("list", 1, Int.max, false, list)
        add("update", 0, 1, false, update)
        add("rescan", 0, 1, false, update)
    }

    static func update(_ c: Call) throws {
        // As MPD: any safe relative path is accepted (a folder new on disk is what `update` is
        // for; the scan covers every folder anyway), an unsafe one is malformed.
        if let uri = c.text(0), !uri.isEmpty, uri != "/" {
            let segments = uri.split(separator: "/", omittingEmptySubsequences: false)
            guard !uri.hasPrefix("/"), !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw MPDError.arg("Malformed path")
            }
        }
        c.door.environment.requestScan()
        let job = c.door.updateJob.withLock { job -> Int in job += 1; return job }
        c.response.add("updating_db", job)
        c.door.hub.post([.update])
    }

    static func count(_ c: Call) throws {
        let (filter, rest) = try Filter.parse(c.arguments, legacyContains: false)
        let index = try c.songs()
        let songs = filter.map { $0.positions(in: index, foldCase: false).map { index.songs[$0] } } ?? index.songs
        if rest.isEmpty {
            c.response.add("songs", songs.count)
            c.response.add("playtime", songs.reduce(0) { $0 + ($1.track.durationMs ?? 0) } / 1000)
            return
        }
        guard rest.count == 2, rest[0].lowercased() == "group", let tag = Tag.named(rest[1]) else { throw MPDError.arg("Bad arguments") }
        var groups: [String: (Int, Int)] = [:]
        for song in songs {
            let values = song.matchValues(tag)
            for v in values.isEmpty ? [""] : values {
                let g = groups[v] ?? (0, 0)
                groups[v] = (g.0 + 1, g.1 + (song.track.durationMs ?? 0))
            }
        }
        for key in groups.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            c.response.add(tag.rawValue, key)
            c.response.add("songs", groups[key]!.0)
            c.response.add("playtime", groups[key]!.1 / 1000)
        }
    }

    /// `list TAG [FILTER] [group TAG]...`: the distinct values, grouped (MPD 0.21+), sorted by bytes.
    static func list(_ c: Call) throws {
        let name = c.arguments[0]
        let isFile = name.lowercased() == "file"
        guard isFile || Tag.named(name) != nil else { throw MPDError.arg("Unknown tag type: \(name)") }
        var arguments = Array(c.arguments.dropFirst())
        // The legacy `list album ARTIST` form.
        if Tag.named(name) == .album, arguments.count == 1, !arguments[0].hasPrefix("(") {
            arguments = ["artist", arguments[0]]
        }
        let (filter, rest) = try Filter.parse(arguments, legacyContains: false)
        var groups: [Tag] = []
        var i = 0
        while i < rest.count {
            guard rest[i].lowercased() == "group", i + 1 < rest.count, let tag = Tag.named(rest[i + 1]) else {
                throw MPDError.arg("Bad arguments")
            }
            groups.append(tag)
            i += 2
        }
        let index = try c.songs()
        let positions = filter.map { $0.positions(in: index, foldCase: false) } ?? Array(index.songs.indices)
        if isFile {
            for i in positions { c.response.add("file", index.songs[i].uri) }
            return
        }
        let tag = Tag.named(name)!
        // Each level's values as integers, cached by the index (outermost group first): a row
        // is `width` ids in `rows`, one per song and combination of its values.
        let columns = (groups + [tag]).map { index.internedValues($0) }
        let width = columns.count
        var rows: [Int32] = []
        rows.reserveCapacity(positions.count * width)
        var row = [Int32](repeating: 0, count: width)
        for i in positions {
            // Every combination of the song's values across the levels (usually one).
            func fill(_ level: Int) {
                if level == width { rows.append(contentsOf: row); return }
                for id in columns[level].ids[i] {
                    row[level] = id
                    fill(level + 1)
                }
            }
            fill(0)
        }
        let count = rows.count / width
        let order = rows.withUnsafeBufferPointer { r in
            (0..<count).sorted { a, b in
                for l in 0..<width where r[a * width + l] != r[b * width + l] { return r[a * width + l] < r[b * width + l] }
                return false
            }
        }
        let kinds = groups + [tag]
        var last: Int?
        for k in order {
            // The first level where this row differs from the last one written: a repeated row
            // is skipped, a group heading is written once for the run of rows under it.
            var from = 0
            if let last {
                while from < width, rows[last * width + from] == rows[k * width + from] { from += 1 }
                if from == width { continue }
            }
            for level in from..<width { c.response.add(kinds[level].rawValue, columns[level].values[Int(rows[k * width + level])]) }
            last = k
        }
    }
}

extension Call {
    /// Writes the songs at `positions` of `index`.
    func write(_ positions: [Int], of index: SongIndex) {
        for i in positions { index.write(i, into: &response, tags: session.tags) }
    }

    /// Runs a `find`-family filter with `sort` and `window`, then hands the songs (positions in
    /// the index) to `body`.
    func find(foldCase: Bool, _ body: ([Int], SongIndex) throws -> Void) throws {
        let (filter, rest) = try Filter.parse(arguments, legacyContains: foldCase, foldCase: foldCase)
        guard let filter else { throw MPDError.arg("Incorrect number of filter arguments") }
        let index = try self.songs()
        var positions = filter.positions(in: index, foldCase: foldCase)
        let songs = index.songs
        var i = 0
        var window: Range<Int>?
        while i < rest.count {
            guard i + 1 < rest.count else { throw MPDError.arg("Bad arguments") }
            switch rest[i].lowercased() {
            case "sort":
                var key = rest[i + 1]
                let descending = key.hasPrefix("-")
                if descending { key.removeFirst() }
                if key == "Last-Modified" {
                    positions.sort { descending ? songs[$0].modified > songs[$1].modified : songs[$0].modified < songs[$1].modified }
                } else {
                    guard let tag = Tag.named(key) else { throw MPDError.arg("Unknown sort tag: \(key)") }
                    let numeric = tag == .track || tag == .disc
                    positions.sort { a, b in
                        let x = songs[a].matchValues(tag).first ?? "", y = songs[b].matchValues(tag).first ?? ""
                        if numeric, let p = Int(x), let q = Int(y), p != q { return descending ? p > q : p < q }
                        return descending ? y.utf8.lexicographicallyPrecedes(x.utf8) : x.utf8.lexicographicallyPrecedes(y.utf8)
                    }
                }
            case "window":
                window = try Call.range(rest[i + 1])
            default:
                throw MPDError.arg("Bad arguments")
            }
            i += 2
        }
        if let window { positions = Array(positions[window.clamped(to: positions.indices)]) }
        try body(positions, index)
    }

    /// `listall` / `listallinfo`: directories depth first, then each folder's songs, as MPD walks.
    func walk(_ uri: String, info: Bool) throws {
        let index = try songs()
        let start = SongIndex.normalize(uri)
        if let i = index.position(uri: start) {
            if info { index.write(i, into: &response, tags: session.tags) } else { response.add("file", index.songs[i].uri) }
            return
        }
        guard index.directories[start] != nil else { throw MPDError.noExist("No such directory") }
        // As MPD walks: the folder itself (unless the top), its songs, then each sub-folder in turn.
        func directory(_ folder: String) {
            response.add("directory", folder)
            if info { response.add("Last-Modified", Song.isoDate(index.directories[folder]?.modified ?? 0)) }
        }
        func visit(_ folder: String) {
            guard let dir = index.directories[folder] else { return }
            for i in dir.songs {
                if info { index.write(i, into: &response, tags: session.tags) } else { response.add("file", index.songs[i].uri) }
            }
            for sub in dir.directories {
                directory(sub)
                visit(sub)
            }
        }
        if !start.isEmpty { directory(start) }
        visit(start)
    }
}
