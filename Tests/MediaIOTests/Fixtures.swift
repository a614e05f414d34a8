import Foundation
import TestSupport

/// Byte-level builders for tag fixtures (ID3v2, ID3v1, APEv2, FLAC Vorbis comments) and small
/// audio files made with the ffmpeg CLI.
enum Fixtures {
    // MARK: ID3v2

    static func syncsafe(_ value: Int) -> [UInt8] {
        [UInt8((value >> 21) & 0x7F), UInt8((value >> 14) & 0x7F), UInt8((value >> 7) & 0x7F), UInt8(value & 0x7F)]
    }

    static func bigEndian32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func littleEndian32(_ value: Int) -> [UInt8] { bigEndian32(value).reversed() }

    /// Encodes strings in an ID3v2 text encoding, NUL-separated (no trailing terminator).
    static func encode(_ values: [String], encoding: UInt8) -> [UInt8] {
        var out: [UInt8] = []
        for (index, value) in values.enumerated() {
            if index > 0 { out += encoding == 1 || encoding == 2 ? [0, 0] : [0] }
            switch encoding {
            case 0: out += value.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
            case 1: out += [0xFF, 0xFE] + value.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            case 2: out += value.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            default: out += Array(value.utf8)
            }
        }
        return out
    }

    /// One frame with a header for `version` (2, 3 or 4).
    static func frame(_ id: String, _ content: [UInt8], version: Int, flags: [UInt8] = [0, 0]) -> [UInt8] {
        switch version {
        case 2: return Array(id.utf8) + [UInt8((content.count >> 16) & 0xFF), UInt8((content.count >> 8) & 0xFF), UInt8(content.count & 0xFF)] + content
        case 3: return Array(id.utf8) + bigEndian32(content.count) + flags + content
        default: return Array(id.utf8) + syncsafe(content.count) + flags + content
        }
    }

    static func textFrame(_ id: String, _ values: [String], encoding: UInt8 = 3, version: Int = 4) -> [UInt8] {
        frame(id, [encoding] + encode(values, encoding: encoding), version: version)
    }

    static func txxx(_ description: String, _ values: [String], encoding: UInt8 = 3, version: Int = 4) -> [UInt8] {
        let terminator: [UInt8] = encoding == 1 || encoding == 2 ? [0, 0] : [0]
        return frame(version == 2 ? "TXX" : "TXXX", [encoding] + encode([description], encoding: encoding) + terminator + encode(values, encoding: encoding), version: version)
    }

    /// A whole tag: header + frames + padding.
    static func id3v2(version: Int, frames: [[UInt8]], flags: UInt8 = 0, padding: Int = 16) -> [UInt8] {
        let body = frames.flatMap { $0 } + [UInt8](repeating: 0, count: padding)
        return Array("ID3".utf8) + [UInt8(version), 0, flags] + syncsafe(body.count) + body
    }

    /// Inserts a 0x00 after every 0xFF (ID3 unsynchronisation).
    static func unsynchronise(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (index, byte) in bytes.enumerated() {
            out.append(byte)
            if byte == 0xFF, index + 1 == bytes.count || bytes[index + 1] == 0 || bytes[index + 1] >= 0xE0 { out.append(0) }
        }
        return out
    }

    // MARK: ID3v1 / APEv2

    static func id3v1(title: String, artist: String, album: String, year: String, comment: String, track: UInt8?, genre: UInt8) -> [UInt8] {
        func field(_ text: String, _ length: Int) -> [UInt8] {
            let bytes = Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }.prefix(length))
            return bytes + [UInt8](repeating: 0, count: length - bytes.count)
        }
        var out = Array("TAG".utf8) + field(title, 30) + field(artist, 30) + field(album, 30) + field(year, 4)
        if let track { out += field(comment, 28) + [0, track] } else { out += field(comment, 30) }
        return out + [genre]
    }

    static func apev2(_ items: [(String, [String])], withHeader: Bool = true) -> [UInt8] {
        var body: [UInt8] = []
        for (key, values) in items {
            let value = Array(values.joined(separator: "\0").utf8)
            body += littleEndian32(value.count) + littleEndian32(0) + Array(key.utf8) + [0] + value
        }
        let size = body.count + 32
        func block(_ flags: Int) -> [UInt8] {
            Array("APETAGEX".utf8) + littleEndian32(2000) + littleEndian32(size) + littleEndian32(items.count) + littleEndian32(flags) + [UInt8](repeating: 0, count: 8)
        }
        let hasHeader = withHeader ? Int(bitPattern: 0x8000_0000) : 0
        return (withHeader ? block(hasHeader | 0x2000_0000) : []) + body + block(hasHeader)
    }

    // MARK: FLAC

    /// Replaces a FLAC file's VORBIS_COMMENT block with `comments` (repeated keys allowed).
    static func setVorbisComments(flac path: String, _ comments: [(String, String)]) throws {
        var data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        precondition(data.starts(with: Array("fLaC".utf8)))
        var blocks: [(UInt8, [UInt8])] = []
        var position = 4
        while true {
            let header = data[position]
            let length = Int(data[position + 1]) << 16 | Int(data[position + 2]) << 8 | Int(data[position + 3])
            blocks.append((header & 0x7F, Array(data[(position + 4)..<(position + 4 + length)])))
            position += 4 + length
            if header & 0x80 != 0 { break }
        }
        let audio = Array(data[position...])
        let vendor = Array("omnisonic-test".utf8)
        var comment = littleEndian32(vendor.count) + vendor + littleEndian32(comments.count)
        for (key, value) in comments {
            let entry = Array("\(key)=\(value)".utf8)
            comment += littleEndian32(entry.count) + entry
        }
        blocks.removeAll { $0.0 == 4 }
        blocks.insert((4, comment), at: 1)
        data = Array("fLaC".utf8)
        for (index, block) in blocks.enumerated() {
            let last: UInt8 = index == blocks.count - 1 ? 0x80 : 0
            data += [block.0 | last, UInt8((block.1.count >> 16) & 0xFF), UInt8((block.1.count >> 8) & 0xFF), UInt8(block.1.count & 0xFF)] + block.1
        }
        try Data(data + audio).write(to: URL(fileURLWithPath: path))
    }

    // MARK: Audio made with ffmpeg

    /// A short sine tone encoded to `path` (format from the extension); extra ffmpeg arguments go
    /// before the output.
    static func tone(_ path: String, seconds: Double = 1.0, frequency: Int = 440, extra: [String] = []) throws {
        try Shell.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):duration=\(seconds):sample_rate=22050", "-ac", "1"] + extra + ["-bitexact", path])
    }

    /// An MP3 without any tag (ID3v2 disabled), Xing header included.
    static func bareMP3(_ path: String, seconds: Double = 1.0, frequency: Int = 440) throws {
        try tone(path, seconds: seconds, frequency: frequency, extra: ["-c:a", "libmp3lame", "-b:a", "32k", "-id3v2_version", "0"])
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
