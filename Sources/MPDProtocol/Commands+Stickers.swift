import Foundation
import Glibc
import LocalStore
import OmniModel

/// Stickers on songs are the track's user data: `rating` (0–10, MPD clients' scale) is the
/// track's rating (0–5) doubled, `favorite` (0/1) its favorite mark, `playcount` its plays
/// (read-only). Writes go through the one write path. Pictures: `albumart` is the folder's
/// cover file, `readpicture` the embedded picture, in `binarylimit` chunks.
extension Commands {
    static let stickerNames = ["rating", "favorite", "playcount"]

    static func registerStickers(_ add: Register) {
        add("sticker", 3, 5, false, sticker)
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
        switch (action, c.arguments.count) {
        case ("get", 4):
            let t = try track(uri)
            guard let value = stickers(of: t)[c.arguments[3]] else { throw MPDError.noExist("no such sticker") }
            c.response.add("sticker", "\(c.arguments[3])=\(value)")
        case ("list", 3):
            for (name, value) in stickers(of: try track(uri)).sorted(by: { $0.key < $1.key }) { c.response.add("sticker", "\(name)=\(value)") }
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
            default:
                throw MPDError.arg("omnisonicd keeps the stickers rating (0-10) and favorite (0/1) only")
            }
        case ("delete", 3), ("delete", 4):
            let t = try track(uri)
            let name = c.text(3)
            if name == nil || name == "rating" { try c.record(.rate(t.uid, nil)) }
            if name == nil || name == "favorite" { try c.record(.favorite(t.uid, false)) }
            if let name, !["rating", "favorite"].contains(name) { throw MPDError.noExist("no such sticker") }
        case ("find", 4), ("find", 6):
            let name = c.arguments[3]
            var wanted: ((Int) -> Bool)?
            if c.arguments.count == 6, let v = Int(c.arguments[5]) {
                switch c.arguments[4] {
                case "=": wanted = { $0 == v }
                case "<": wanted = { $0 < v }
                case ">": wanted = { $0 > v }
                default: throw MPDError.arg("bad operator")
                }
            } else if c.arguments.count == 6 {
                throw MPDError.arg("Integer expected")
            }
            for song in try index.songs(at: uri) {
                guard let value = stickers(of: song.track)[name] else { continue }
                if let wanted, !(Int(value).map(wanted) ?? false) { continue }
                c.response.add("file", song.uri)
                c.response.add("sticker", "\(name)=\(value)")
            }
        default:
            throw MPDError.arg("bad request")
        }
    }

    /// The stickers a track has (none for what is unset: no rating, not a favorite, never played).
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
