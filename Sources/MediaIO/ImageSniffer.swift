/// Recognises picture formats from their first bytes, because tags often state the wrong mime
/// type (or "image/jpg", or none at all).
public enum ImageSniffer {
    /// The mime type the magic bytes name, or nil when they match no known picture format.
    public static func mimeType<C: Collection>(of bytes: C) -> String? where C.Element == UInt8, C.Index == Int {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return "image/webp" }
        if head.starts(with: Array("GIF87a".utf8)) || head.starts(with: Array("GIF89a".utf8)) { return "image/gif" }
        if head.starts(with: Array("BM".utf8)) { return "image/bmp" }
        return nil
    }
}
