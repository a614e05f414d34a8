import Foundation

/// A request's parameters: the query string and, for a form POST, the body
/// (`application/x-www-form-urlencoded`) — the same names, so GET and POST answer the same.
/// Names may repeat (`id=1&id=2`).
struct Parameters: Sendable {
    private(set) var pairs: [(String, String)] = []

    init(pairs: [(String, String)] = []) { self.pairs = pairs }

    /// Adds the pairs of a query string or form body (`+` is a space, `%XX` a byte).
    mutating func add(urlEncoded text: Substring) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring, value: Substring
            if let eq = part.firstIndex(of: "=") {
                name = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                name = part
                value = ""
            }
            pairs.append((Self.decode(name), Self.decode(value)))
        }
    }

    static func decode(_ text: Substring) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count, let hex = Authenticator.hexBytes(Substring(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self)) {
                out.append(hex[0])
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first value of `name`, or nil.
    func string(_ name: String) -> String? { pairs.first(where: { $0.0 == name })?.1 }

    /// Every value of `name`, in order.
    func strings(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    /// The first value of `name`.
    ///
    /// - Throws: `SubsonicError` 10 when it is missing.
    func required(_ name: String) throws(SubsonicError) -> String {
        guard let value = string(name) else { throw SubsonicError.missing(name) }
        return value
    }

    /// An integer parameter clamped to `range`, or `fallback` when missing.
    ///
    /// - Throws: `SubsonicError` 0 when it is not an integer.
    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(SubsonicError) -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw SubsonicError.invalid(name) }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// An optional integer parameter.
    ///
    /// - Throws: `SubsonicError` 0 when it is present and not an integer.
    func optionalInt(_ name: String) throws(SubsonicError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw SubsonicError.invalid(name) }
        return value
    }

    /// A boolean parameter (`true`/`false`, `1`/`0`).
    func bool(_ name: String, default fallback: Bool) -> Bool {
        guard let text = string(name)?.lowercased() else { return fallback }
        return text == "true" || text == "1"
    }
}
