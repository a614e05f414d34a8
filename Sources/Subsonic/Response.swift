import Foundation

/// One element of a Subsonic answer, rendered as XML or JSON by one encoder (the way
/// Navidrome's `responses/` are): attributes become XML attributes and JSON keys, children
/// become XML elements and JSON objects, and a list (`Child.many`) is always a JSON array —
/// `[]` when empty, an array of one when it has one element — which is what clients crash on.
struct Node: Sendable {
    var name: String
    var attributes: [(String, Value)] = []
    var children: [Child] = []
    /// XML text content (`<genre>Rock</genre>`); JSON leaves it out (say it in an attribute too).
    var text: String?

    init(_ name: String, _ attributes: [(String, Value)] = [], children: [Child] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// An element holding one value as text (XML only: lists of values, `Child.values`).
    init(_ name: String, text value: Value) {
        self.name = name
        switch value {
        case .string(let s): text = s
        case .int(let i): text = String(i)
        case .bool(let b): text = b ? "true" : "false"
        case .double(let d): text = Renderer.number(d)
        }
    }

    /// Adds an attribute when `value` is not nil (unknown values are omitted, never `""`).
    mutating func set(_ key: String, _ value: Value?) {
        if let value { attributes.append((key, value)) }
    }

    mutating func add(_ child: Node) { children.append(.one(child)) }

    /// Adds a list: in JSON `name: [...]` even when empty.
    mutating func add(list name: String, _ nodes: [Node]) { children.append(.many(name, nodes)) }

    /// Adds a list of plain values: JSON `name: [1, 2]`, XML `<name>1</name><name>2</name>`.
    mutating func add(values name: String, _ values: [Value]) { children.append(.values(name, values)) }

    enum Child: Sendable {
        case one(Node)
        case many(String, [Node])
        case values(String, [Value])
    }
}

/// An attribute value with its JSON type.
enum Value: Sendable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case double(Double)
}

extension Value: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// The three formats of the API (`f`).
enum Format: Equatable {
    case xml
    case json
    /// JSON wrapped in a call of `callback`.
    case jsonp(callback: String)
}

/// Renders the `subsonic-response` envelope around an answer.
enum Renderer {
    static let apiVersion = "1.16.1"

    static func envelope(status: String, serverVersion: String, payload: [Node.Child]) -> Node {
        var root = Node("subsonic-response", [("status", .string(status)), ("version", .string(apiVersion)),
                                              ("type", "omnisonicd"), ("serverVersion", .string(serverVersion)),
                                              ("openSubsonic", true)])
        root.children = payload
        return root
    }

    /// The body and its content type.
    static func render(_ root: Node, format: Format) -> (bytes: [UInt8], contentType: String) {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        switch format {
        case .xml:
            out.append(contentsOf: #"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)
            var element = root
            element.attributes.insert(("xmlns", "http://subsonic.org/restapi"), at: 0)
            xml(element, into: &out)
            return (out, "text/xml; charset=utf-8")
        case .json:
            out.append(contentsOf: #"{"subsonic-response":"#.utf8)
            json(root, into: &out)
            out.append(UInt8(ascii: "}"))
            return (out, "application/json; charset=utf-8")
        case .jsonp(let callback):
            out.append(contentsOf: callback.utf8)
            out.append(contentsOf: #"({"subsonic-response":"#.utf8)
            json(root, into: &out)
            out.append(contentsOf: "});".utf8)
            return (out, "application/javascript; charset=utf-8")
        }
    }

    // MARK: XML

    static func xml(_ node: Node, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: node.name.utf8)
        for (key, value) in node.attributes {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: "=\"".utf8)
            switch value {
            case .string(let s): escapeXML(s, into: &out)
            case .int(let i): out.append(contentsOf: String(i).utf8)
            case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
            case .double(let d): out.append(contentsOf: number(d).utf8)
            }
            out.append(UInt8(ascii: "\""))
        }
        if node.children.isEmpty && node.text == nil {
            out.append(contentsOf: "/>".utf8)
            return
        }
        out.append(UInt8(ascii: ">"))
        if let text = node.text { escapeXML(text, into: &out) }
        for child in node.children {
            switch child {
            case .one(let n): xml(n, into: &out)
            case .many(_, let nodes): for n in nodes { xml(n, into: &out) }
            case .values(let name, let values):
                for v in values { xml(Node(name, text: v), into: &out) }
            }
        }
        out.append(contentsOf: "</".utf8)
        out.append(contentsOf: node.name.utf8)
        out.append(UInt8(ascii: ">"))
    }

    /// Escapes for an attribute value; characters XML 1.0 cannot carry at all (C0 controls
    /// other than tab, newline and return, lone surrogates cannot occur in a String) become U+FFFD.
    static func escapeXML(_ text: String, into out: inout [UInt8]) {
        // Most values need no escape: copied in one piece (as `escapeJSON` does).
        var contiguous = text
        let copied = contiguous.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") })
            else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied { return }
        for byte in contiguous.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case 0x09: out.append(contentsOf: "&#9;".utf8)
            case 0x0A: out.append(contentsOf: "&#10;".utf8)
            case 0x0D: out.append(contentsOf: "&#13;".utf8)
            case 0..<0x20: out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            default: out.append(byte)
            }
        }
    }

    // MARK: JSON

    static func json(_ node: Node, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: String) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            escapeJSON(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        for (k, value) in node.attributes {
            key(k)
            scalar(value, into: &out)
        }
        for child in node.children {
            switch child {
            case .one(let n):
                key(n.name)
                json(n, into: &out)
            case .many(let name, let nodes):
                key(name)
                out.append(UInt8(ascii: "["))
                for (i, n) in nodes.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    json(n, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .values(let name, let values):
                key(name)
                out.append(UInt8(ascii: "["))
                for (i, v) in values.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    scalar(v, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    static func scalar(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .string(let s): escapeJSON(s, into: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .double(let d): out.append(contentsOf: number(d).utf8)
        }
    }

    static func escapeJSON(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copied in one piece from the string's own storage (a
        // copy of every string into an array, then byte by byte, was a fifth of getAlbumList2's
        // CPU in `perf`).
        var contiguous = text
        let copied = contiguous.withUTF8 { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 == 0xE2 }) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied {
            out.append(UInt8(ascii: "\""))
            return
        }
        let bytes = Array(contiguous.utf8)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            // U+2028 and U+2029 are valid JSON but end a line in JavaScript (JSONP): escaped.
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                out.append(contentsOf: (bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                i += 2
            default: out.append(byte)
            }
            i += 1
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A finite number in plain notation (JSON has no NaN or infinity: those become 0).
    static func number(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(format: "%.6g", d)
    }
}
