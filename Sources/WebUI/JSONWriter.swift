import Foundation
import Hummingbird
import OmniModel

/// A minimal JSON writer for the hot responses (pages of tracks).
///
/// Why: Foundation's `JSONEncoder` on Linux costs ~30 µs per track document (about 40 keys), which
/// was most of a 100-track page (bench/api: 3.6 ms at one connection, ~0.4 ms of it the rest).
/// `APITrackTests` checks that this writer and `APITrack`'s `Encodable` give the same JSON.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// Writes `"name":` (the value follows).
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ value: Int) { separate(); bytes.append(contentsOf: String(value).utf8); needsComma = true }
    mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8); needsComma = true }
    mutating func null() { separate(); bytes.append(contentsOf: "null".utf8); needsComma = true }

    mutating func double(_ value: Double) {
        guard value.isFinite else { return null() }
        separate()
        if value == value.rounded(), abs(value) < 1e15 { bytes.append(contentsOf: String(Int(value)).utf8) } else { bytes.append(contentsOf: "\(value)".utf8) }
        needsComma = true
    }

    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A value encoded by Foundation (rare fields).
    mutating func encoded(_ value: some Encodable) {
        guard let data = try? JSONBody.encoder.encode(value) else { return null() }
        separate()
        bytes.append(contentsOf: data)
        needsComma = true
    }

    // Optional helpers: the key is written only when there is a value (like `encodeIfPresent`).
    mutating func field(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
    mutating func field(_ name: StaticString, _ value: Int?) { if let value { key(name); int(value) } }
    mutating func field(_ name: StaticString, _ value: Int64?) { if let value { key(name); int(Int(value)) } }
    mutating func field(_ name: StaticString, _ value: Double?) { if let value { key(name); double(value) } }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}

extension APITrack {
    /// The same JSON as `encode(to:)`, written by hand.
    func write(to w: inout JSONWriter) {
        let d = document
        w.beginObject()
        w.field("uid", d.uid)
        w.key("path"); w.string(d.path)
        w.key("title"); w.string(d.title)
        w.field("artist", d.artist)
        w.key("artists"); w.strings(d.artists)
        w.field("album", d.album)
        w.field("albumArtist", d.albumArtist)
        w.key("albumArtists"); w.strings(d.albumArtists)
        w.field("trackNumber", d.trackNumber)
        w.field("trackTotal", d.trackTotal)
        w.field("discNumber", d.discNumber)
        w.field("discTotal", d.discTotal)
        w.field("year", d.year)
        w.field("date", d.date)
        w.field("originalYear", d.originalYear)
        w.key("genres"); w.strings(d.genres)
        w.field("composer", d.composer)
        w.key("composers"); w.strings(d.composers)
        w.key("compilation"); w.bool(d.compilation)
        w.field("comment", d.comment)
        w.field("label", d.label)
        w.field("bpm", d.bpm)
        w.field("key", d.key)
        w.field("durationMs", d.durationMs)
        w.key("codec"); w.string(d.codec)
        w.key("container"); w.string(d.container)
        w.key("format"); w.string(d.formatName)
        w.field("sampleRate", d.sampleRate)
        w.field("channels", d.channels)
        w.field("bitsPerSample", d.bitsPerSample)
        w.field("bitrate", d.bitrate)
        w.key("hasArtwork"); w.bool(d.hasArtwork)
        w.key("titleFromFileName"); w.bool(d.titleFromFileName)
        if let replayGain = d.replayGain { w.key("replayGain"); w.encoded(replayGain) }
        if let musicBrainz = d.musicBrainz { w.key("musicBrainz"); w.encoded(musicBrainz) }
        w.field("albumId", albumId)
        w.key("favorite"); w.bool(favorite)
        w.key("rating"); if let rating { w.int(rating) } else { w.null() }
        w.key("playCount"); w.int(playCount)
        w.key("lastPlayed")
        if let lastPlayed { w.string(APITrack.timestamp(lastPlayed)) } else { w.null() }
        w.key("available"); w.bool(available)
        w.key("camelot"); if let camelot { w.string(camelot) } else { w.null() }
        w.key("bpmSource"); if let bpmSource { w.string(bpmSource) } else { w.null() }
        w.key("keySource"); if let keySource { w.string(keySource) } else { w.null() }
        w.endObject()
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    }
}

extension SearchResponse {
    func json() -> ByteBuffer {
        var w = JSONWriter(capacity: 256 + tracks.count * 700)
        w.beginObject()
        w.key("tracks"); w.beginArray()
        for track in tracks { track.write(to: &w) }
        w.endArray()
        w.key("total"); w.int(total)
        w.key("suggestion"); if let suggestion { w.string(suggestion) } else { w.null() }
        w.endObject()
        return ByteBuffer(bytes: w.bytes)
    }
}

extension PageResponse where Item == APITrack {
    func json() -> ByteBuffer {
        var w = JSONWriter(capacity: 256 + items.count * 700)
        w.beginObject()
        w.key("items"); w.beginArray()
        for track in items { track.write(to: &w) }
        w.endArray()
        w.key("total"); w.int(total)
        w.endObject()
        return ByteBuffer(bytes: w.bytes)
    }
}

extension JSONBody {
    /// A 200 JSON response from bytes already written.
    static func response(bytes: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: bytes))
    }
}
