import Foundation
@testable import Subsonic
import Testing

/// The door's encoder copies strings that need no escape in one piece (decision 0026, "Speed"):
/// strings that do need one must still come out escaped, byte for byte as before.
@Suite("Subsonic: JSON and XML escaping")
struct SubsonicRenderTests {
    static let plain = "Plain title, é and 日本 – no escapes"
    static let awkward = "Quote \" backslash \\ tab\tline\nreturn\r bell\u{07} & <tag> \u{2028}\u{2029} end"

    func rendered(_ format: Format) -> String {
        var node = Node("song", [("plain", .string(Self.plain)), ("awkward", .string(Self.awkward))])
        node.add(values: "genre", [.string(Self.awkward)])
        return String(decoding: Renderer.render(node, format: format).bytes, as: UTF8.self)
    }

    @Test("Given a value with quotes, backslashes, controls and U+2028, when rendered as JSON, then each is escaped and the rest copied as is")
    func jsonEscapes() throws {
        let json = rendered(.json)
        let escaped = #""Quote \" backslash \\ tab\tline\nreturn\r bell\u0007 & <tag> \u2028\u2029 end""#
        #expect(json == #"{"subsonic-response":{"plain":"Plain title, é and 日本 – no escapes","awkward":"# + escaped + #","genre":["# + escaped + "]}}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
        #expect(object["subsonic-response"]?["awkward"] as? String == Self.awkward)
    }

    @Test("Given the same values, when rendered as XML, then markup characters and controls are escaped and the rest copied as is")
    func xmlEscapes() {
        let xml = rendered(.xml)
        let escaped = "Quote &quot; backslash \\ tab&#9;line&#10;return&#13; bell\u{FFFD} &amp; &lt;tag&gt; \u{2028}\u{2029} end"
        #expect(xml == #"<?xml version="1.0" encoding="UTF-8"?><song xmlns="http://subsonic.org/restapi" plain=""# + Self.plain
            + #"" awkward=""# + escaped + #""><genre>"# + escaped + "</genre></song>")
    }

    @Test("Given what clients type into search2/search3, when it is read as the search text, then spaces and tabs (ASCII or not) around it go, as Foundation's trimming does, and the empty forms are empty")
    func searchTextTrimsAsFoundationDoes() {
        let cases = ["love", " love ", "\tlove", "love\t", "love\u{3000}", "\u{00A0}love", "lo ve", "love*", "love**", "*", "\"\"", " \"\" ",
                     "", " ", "é", " é", "日本\u{2028}", "\nlove\n", "x"]
        for text in cases {
            var expected = text.trimmingCharacters(in: .whitespaces)
            if expected == "\"\"" || expected == "*" { expected = "" }
            while expected.hasSuffix("*") { expected.removeLast() }
            #expect(SubsonicAPI.searchText(text) == expected, "\(text.debugDescription)")
        }
        #expect(SubsonicAPI.searchText(nil) == "")
        #expect(SubsonicAPI.searchText(" love* ") == "love")
        #expect(SubsonicAPI.searchText("\u{3000}love\u{3000}") == "love")
    }
}
