import OmniModel

/// Reading and writing M3U / extended M3U (`.m3u`, `.m3u8`) playlists.
enum M3U {
    struct Entries: Sequence {
        var items: [Entry]
        /// `#PLAYLIST:` when present.
        var title: String?
        func makeIterator() -> IndexingIterator<[Entry]> { items.makeIterator() }
    }

    struct Entry: Equatable {
        /// The path as written (bytes: `.m3u` files are often Latin-1), `file://` URLs decoded.
        var path: RawPath
    }

    /// The entries of a playlist file: every line that is not blank and not a `#` directive.
    /// Windows line ends and a UTF-8 byte-order mark are accepted; URLs other than `file://` are skipped.
    static func parse(_ bytes: [UInt8]) -> Entries {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var items: [Entry] = []
        var title: String?
        for rawLine in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var line = Array(rawLine)
            while let last = line.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { line.removeLast() }
            while let first = line.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { line.removeFirst() }
            guard !line.isEmpty else { continue }
            if line.first == UInt8(ascii: "#") {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix("#PLAYLIST:") { title = String(text.dropFirst("#PLAYLIST:".count)).trimmingCharacters(in: .whitespaces) }
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            if text.lowercased().hasPrefix("file://") {
                items.append(Entry(path: RawPath(bytes: percentDecoded(Array(line.dropFirst(7))))))
            } else if text.contains("://") {
                continue
            } else {
                items.append(Entry(path: RawPath(bytes: line.map { $0 == UInt8(ascii: "\\") ? UInt8(ascii: "/") : $0 })))
            }
        }
        return Entries(items: items, title: title)
    }

    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: b - 0x30
            case 0x41...0x46: b - 0x41 + 10
            case 0x61...0x66: b - 0x61 + 10
            default: nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// Text safe on one M3U line.
    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }
}
