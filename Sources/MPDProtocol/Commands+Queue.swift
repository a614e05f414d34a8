import LocalStore
import OmniModel
import Player

/// The queue: the player's queue, positions and entry ids as MPD's positions and song ids.
extension Commands {
    static func registerQueue(_ add: Register) {
        add("add", 1, 2, false) { c in
            let index = try c.songs()
            let uids = try index.positions(at: c.arguments[0]).map { index.songs[$0].track.uid }
            try c.player.enqueue(uids, at: try c.text(1).map { _ in try c.insertPosition(1) }, fromLibrary: true)
        }
        add("addid", 1, 2, false) { c in
            guard let song = try c.songs().song(uri: SongIndex.normalize(c.arguments[0])) else { throw MPDError.noExist("No such song") }
            let added = try c.player.enqueue([song.track.uid], at: try c.text(1).map { _ in try c.insertPosition(1) }, fromLibrary: true)
            if let entry = added.first { c.response.add("Id", Int(entry.id)) }
        }
        add("delete", 1, 1, false) { c in
            let range = try c.range(0)
            let count = c.player.status().queue.count
            guard range.lowerBound < count, range.upperBound == Int.max || range.upperBound <= count else {
                throw MPDError.arg("Bad song index")
            }
            for i in range.clamped(to: 0..<count).reversed() { try c.player.remove(at: i) }
        }
        add("deleteid", 1, 1, false) { c in try c.player.remove(at: try c.indexOfId(0)) }
        add("move", 2, 2, false) { c in
            let range = try c.range(0)
            let count = c.player.status().queue.count
            let to = try c.int(1)
            let r = range.clamped(to: 0..<count)
            guard range.lowerBound < count, !r.isEmpty, to >= 0, to + r.count <= count else { throw MPDError.arg("Bad song index") }
            try c.moveRange(r, to: to)
        }
        add("moveid", 2, 2, false) { c in
            let from = try c.indexOfId(0)
            let to = try c.int(1)
            guard to >= 0, to < c.player.status().queue.count else { throw MPDError.arg("Bad song index") }
            try c.player.move(from: from, to: to)
        }
        add("clear", 0, 0, false) { c in c.player.clear() }
        add("shuffle", 0, 1, false) { c in c.player.shuffleEntries(in: try c.text(0).map { _ in try c.range(0) }) }
        add("swap", 2, 2, false) { c in try c.swap(try c.position(0), try c.position(1)) }
        add("swapid", 2, 2, false) { c in try c.swap(try c.indexOfId(0), try c.indexOfId(1)) }
        add("playlistinfo", 0, 1, false) { c in
            let queue = c.player.status().queue
            var range = 0..<queue.count
            if c.text(0) != nil {
                let r = try c.range(0)
                guard r.lowerBound < queue.count || (r.upperBound == Int.max && r.lowerBound == queue.count) else { throw MPDError.arg("Bad song index") }
                range = r.clamped(to: range)
            }
            try c.writeQueue(range.map { ($0, queue[$0]) })
        }
        add("playlist", 0, 0, false) { c in
            let queue = c.player.status().queue
            let index = try c.songs()
            for (i, entry) in queue.enumerated() { c.response.add("\(i)", "file: " + (index.song(uid: entry.uid)?.uri ?? entry.uid.rawValue)) }
        }
        add("playlistid", 0, 1, false) { c in
            let queue = c.player.status().queue
            if c.text(0) == nil { return try c.writeQueue(queue.enumerated().map { ($0.offset, $0.element) }) }
            let i = try c.indexOfId(0)
            try c.writeQueue([(i, queue[i])])
        }
        add("plchanges", 1, 2, false) { c in
            try c.changes(since: try c.int(0)) { i, entry in try c.writeQueue([(i, entry)]) }
        }
        add("plchangesposid", 1, 2, false) { c in
            try c.changes(since: try c.int(0)) { i, entry in
                c.response.add("cpos", i)
                c.response.add("Id", Int(entry.id))
            }
        }
        add("playlistfind", 1, Int.max, false) { c in try c.findInQueue(foldCase: false) }
        add("playlistsearch", 1, Int.max, false) { c in try c.findInQueue(foldCase: true) }
        add("prio", 2, Int.max, false) { c in for i in 1..<c.arguments.count { _ = try c.range(i) } }
        add("prioid", 2, Int.max, false) { c in for i in 1..<c.arguments.count { _ = try c.indexOfId(i) } }
    }
}

extension Call {
    /// A position to insert at: `N`, or `+N`/`-N` relative to the current song (MPD 0.23).
    func insertPosition(_ i: Int) throws(MPDError) -> Int {
        let t = text(i) ?? ""
        let s = player.status()
        if t.hasPrefix("+") || t.hasPrefix("-") {
            guard let current = s.currentIndex else { throw MPDError.arg("No current song") }
            guard let offset = Int(t.dropFirst()) else { throw MPDError.arg("Integer expected: \(t)") }
            return t.hasPrefix("+") ? current + 1 + offset : max(0, current - offset)
        }
        let p = try int(i)
        guard p >= 0, p <= s.queue.count else { throw MPDError.arg("Bad song index") }
        return p
    }

    /// Moves the entries of `range` so the first lands at `to`, keeping their order.
    func moveRange(_ range: Range<Int>, to: Int) throws {
        if to <= range.lowerBound {
            for (k, from) in range.enumerated() { try player.move(from: from, to: to + k) }
        } else {
            for _ in range { try player.move(from: range.lowerBound, to: to + range.count - 1) }
        }
    }

    func swap(_ a: Int, _ b: Int) throws {
        try player.swapEntries(a, b)
    }

    /// Calls `body` for each queue position changed after `version`, within an optional range argument.
    func changes(since version: Int, _ body: (Int, QueueEntry) throws -> Void) throws {
        let s = player.status()
        let (_, positions, _) = door.versions.observe(s.queue)
        var range = 0..<s.queue.count
        if text(1) != nil { range = try self.range(1).clamped(to: range) }
        for i in range where positions[i] > version { try body(i, s.queue[i]) }
    }

    func findInQueue(foldCase: Bool) throws {
        guard let filter = try Filter.parse(arguments, legacyContains: foldCase, foldCase: foldCase).filter?.prepared(foldCase: foldCase) else {
            throw MPDError.arg("Incorrect number of filter arguments")
        }
        let queue = player.status().queue
        let index = try songs()
        let hits = queue.enumerated().filter { index.position(uid: $0.element.uid).map { filter.matches(at: $0, in: index, foldCase: foldCase) } ?? false }
        try writeQueue(hits.map { ($0.offset, $0.element) })
    }
}
