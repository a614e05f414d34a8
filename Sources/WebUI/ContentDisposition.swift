import Foundation

/// `Content-Disposition: attachment` for a download named after user data (a playlist's name).
///
/// RFC 6266: `filename*=UTF-8''…` (RFC 8187 percent-encoding) carries the real name in any
/// script, and `filename="…"` an ASCII fallback for clients that do not read `filename*`: the
/// name's letters without their accents (`Björk` → `Bjork`), a dash for a dash, other characters
/// dropped, or `fallback` when nothing readable is left (`坂本龍一` → `playlist.m3u8`).
enum ContentDisposition {
    /// - Parameters: `name` the name without extension; `ext` the extension (ASCII, no dot);
    ///   `fallback` the ASCII name used when `name` has nothing usable.
    static func attachment(name: String, ext: String, fallback: String) -> String {
        // Control characters and path separators never belong in a file name.
        let cleaned = String(String.UnicodeScalarView(name.unicodeScalars.filter {
            !($0.properties.generalCategory == .control || $0 == "/" || $0 == "\\" || $0.value == 0x7F)
        })).trimmingCharacters(in: .whitespacesAndNewlines)
        let full = (cleaned.isEmpty ? fallback : cleaned) + "." + ext
        return "attachment; filename=\"\(asciiFallback(cleaned, fallback: fallback)).\(ext)\"; filename*=UTF-8''\(percentEncoded(full))"
    }

    static func asciiFallback(_ name: String, fallback: String) -> String {
        var out = ""
        for scalar in name.decomposedStringWithCompatibilityMapping.unicodeScalars {
            switch scalar.value {
            case 0x22, 0x5C: continue  // `"` and `\` would need quoting
            case 0x20...0x7E: out.unicodeScalars.append(scalar)
            case 0x2010...0x2015: out += "-"  // hyphens and dashes
            default: continue  // combining marks (accents) and other scripts
            }
        }
        let collapsed = out.split(whereSeparator: { $0 == " " }).joined(separator: " ")
        return collapsed.contains(where: { $0.isLetter || $0.isNumber }) ? collapsed : fallback
    }

    /// RFC 8187 `value-chars`: attr-chars as they are, every other UTF-8 byte as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        let attrChars = Set("!#$&+-.^_`|~".utf8)
        var out = ""
        for byte in text.utf8 {
            let isAlnum = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if isAlnum || attrChars.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
