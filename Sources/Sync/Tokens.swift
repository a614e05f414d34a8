import Foundation
import OmniModel

/// Device tokens: 32 random bytes, shown once as 64 hex digits; the server keeps only their
/// SHA-256 (hex), so a copy of its database does not let anyone sync.
public enum DeviceToken {
    /// A new token (from the system's CSPRNG: `SystemRandomNumberGenerator` reads getrandom(2)).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return hex(bytes)
    }

    /// The stored form of a token: SHA-256 of its UTF-8 text, in hex.
    public static func hash(_ token: String) -> String {
        hex(SHA256.hash(Array(token.utf8)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
