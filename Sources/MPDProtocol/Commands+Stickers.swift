import Foundation
import Glibc
import LocalStore
import OmniModel

/// Stickers on songs are the track's user data: `rating` (0–10, MPD clients' scale) is the
/// track's rating (0–5) doubled, `favorite` (0/1) its favorite mark, `playcount` its plays
/// (read-only); any other sticker is kept as a `track.sticker` operation (`Library.stickers`).
/// Writes go through the one write path, so they sync. Pictures: `albumart` is the folder's
/// cover file, `readpicture` the embedded picture, in `binarylimit` chunks.
extension Commands {
    static let stickerNames = ["rating", "favorite", "playcount"]

    static func registerStickers(_ add: Register) {
        add("sticker", 3, 6, false, sticker)
        add("albumart", 2, 2, false) { c in try c.picture(embedded: false) }
        add("readpicture", 2, 2, false) { c in try c.picture(embedded: true) }
    }

    static func sticker(_ c: Call) throws {
        let action = c.arguments[0]
        guard c.arguments[1] == "song" else { throw MPDError.arg("unknown sticker domain") }
        let uri = c.arguments[2]
        let index = try c.songs()
        func track(_ uri: String) throws -> TrackRecord {
            guard let song = index.song(uri: SongIndex.normalize(uri)) else { throw MPDError.noExist("No such song") }
            return song.track
        }
        func all(_ t: TrackRecord) throws -> [String: String] {
            try stickers(of: t).merging(c.library.stickers(uid: t.uid)) { own, _ in own }
        }
        switch (action, c.arguments.count) {
        case ("get", 4):
            guard let value = try all(try track(uri))[c.arguments[3]] else { throw MPDError.noExist("no such sticker") }
            c.response.add("sticker", "\(c.arguments[3])=\(value)")
        case ("list", 3):
            for (name, value) in try all(try track(uri)).sorted(by: { $0.key < $1.key }) { c.response.add("sticker", "\(name)=\(value)") }
        case ("set", 5):
            let t = try track(uri)
            let value = c.arguments[4]
            switch c.arguments[3] {
            case "rating":
                guard let n = Int(value), (0...10).contains(n) else { throw MPDError.arg("rating is 0 to 10") }
                try c.record(.rate(t.uid, n == 0 ? nil : (n + 1) / 2))
            case "favorite":
                guard value == "0" || value == "1" else { throw MPDError.arg("favorite is 0 or 1") }
                try c.record(.favorite(t.uid, value == "1"))
            case "playcount":
                throw MPDError.arg("playcount is the number of plays and cannot be set")
            default:
                try c.record(.setSticker(t.uid, name: c.arguments[3], value: value))
            }
        case ("delete", 3), ("delete", 4):
            let t = try track(uri)
            let own = stickers(of: t), kept = try c.library.stickers(uid: t.uid)
            let names = c.text(3).map { [$0] } ?? Array(own.keys) + Array(kept.keys)
            // MPD answers a delete of nothing with "no such sticker".
            guard !names.isEmpty, names.allSatisfy({ own[$0] != nil || kept[$0] != nil }) else { throw MPDError.noExist("no such sticker") }
            for name in names {
                switch name {
                case "rating": try c.record(.rate(t.uid, nil))
                case "favorite": try c.record(.favorite(t.uid, false))
                case "playcount": if c.text(3) != nil { throw MPDError.arg("playcount is the number of plays and cannot be deleted") }
                default: try c.record(.setSticker(t.uid, name: name, value: nil))
                }
            }
        case ("find", 4), ("find", 6):
            let name = c.arguments[3]
            // MPD 0.23 compares sticker values as text (SQLite's `value < ?` on a TEXT column).
            var wanted: ((String) -> Bool)?
            if c.arguments.count == 6 {
                let v = c.arguments[5]
                switch c.arguments[4] {
                case "=": wanted = { $0 == v }
                case "<": wanted = { Array($0.utf8).lexicographicallyPrecedes(Array(v.utf8)) }
                case ">": wanted = { Array(v.utf8).lexicographicallyPrecedes(Array($0.utf8)) }
                default: throw MPDError.arg("bad operator")
                }
            }
            let kept = stickerNames.contains(name) ? [:] : try c.library.stickers(named: name)
            // MPD answers a folder that does not exist with no stickers, not an error.
            for song in (try? index.songs(at: uri)) ?? [] {
                let value = stickerNames.contains(name) ? stickers(of: song.track)[name] : kept[song.track.uid]
                guard let value else { continue }
                if let wanted, !wanted(value) { continue }
                c.response.add("file", song.uri)
                c.response.add("sticker", "\(name)=\(value)")
            }
        default:
            throw MPDError.arg("bad request")
        }
    }

    /// The stickers that are the track's own user data (none for what is unset: no rating, not
    /// a favorite, never played). Other stickers are kept in the library (`Library.stickers`).
    static func stickers(of t: TrackRecord) -> [String: String] {
        var out: [String: String] = [:]
        if let r = t.rating { out["rating"] = String(r * 2) }
        if t.favorite { out["favorite"] = "1" }
        if t.playCount > 0 { out["playcount"] = String(t.playCount) }
        return out
    }
}

extension Call {
    /// `albumart URI OFFSET` / `readpicture URI OFFSET`: `size`, (`type`), `binary` and a chunk.
    func picture(embedded: Bool) throws {
        let offset = try unsigned(1)
        guard let song = try songs().song(uri: SongIndex.normalize(arguments[0])) else { throw MPDError.noExist("No such file") }
        guard let id = embedded ? song.track.artworkId : song.track.folderArtworkId,
              let reference = try library.artwork(id: id) else {
            // MPD answers readpicture without a picture with an empty OK, albumart with an error.
            if embedded { return }
            throw MPDError.noExist("No file exists")
        }
        guard let data = FileManager.default.contents(atPath: door.environment.artwork.path(forHash: reference.hash)) else {
            throw MPDError.noExist("No file exists")
        }
        let bytes = [UInt8](data)
        guard offset <= bytes.count else { throw MPDError.arg("Bad file offset") }
        response.add("size", bytes.count)
        if embedded { response.add("type", reference.mimeType) }
        response.binary(bytes[offset..<min(bytes.count, offset + session.binaryLimit)])
    }
}
