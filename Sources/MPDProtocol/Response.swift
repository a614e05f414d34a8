/// The bytes one command answers with, before its final `OK` (or `list_OK` in a list):
/// `key: value` lines and, for `albumart`/`readpicture`, one binary chunk.
public struct Response: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Adds `key: value\n`. A newline in a value would end the line early, so it becomes a space
    /// (MPD's tags cannot hold one either).
    mutating func add(_ key: String, _ value: String) {
        bytes.append(contentsOf: key.utf8)
        bytes.append(0x3A)
        bytes.append(0x20)
        for b in value.utf8 { bytes.append(b == 0x0A || b == 0x0D ? 0x20 : b) }
        bytes.append(0x0A)
    }

    mutating func add(_ key: String, _ value: Int) { add(key, String(value)) }

    /// Adds `binary: N\n`, the bytes, and a newline (MPD's binary response framing).
    mutating func binary(_ chunk: ArraySlice<UInt8>) {
        add("binary", chunk.count)
        bytes.append(contentsOf: chunk)
        bytes.append(0x0A)
    }

    mutating func append(_ other: Response) {
        // The usual case (one command's answer into an empty response) takes the bytes as they are.
        if bytes.isEmpty { bytes = other.bytes } else { bytes.append(contentsOf: other.bytes) }
    }

    /// Appends lines made earlier by `add` (a cached song block).
    mutating func append(bytes more: [UInt8]) { bytes.append(contentsOf: more) }

    mutating func appendRaw(_ text: String) { bytes.append(contentsOf: text.utf8) }
}
