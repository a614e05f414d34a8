import Testing
@testable import MPDProtocol

@Suite("MPD request lines")
struct TokenizerTests {
    @Test("Given quoted arguments with escapes, when split, then quotes and backslashes are unescaped and words stay whole")
    func quoting() throws {
        let (command, arguments) = try Tokenizer.split(Array(#"find "(Artist == \"AC\\DC\")" sort  -Track"#.utf8))
        #expect(command == "find")
        #expect(arguments == [#"(Artist == "AC\DC")"#, "sort", "-Track"])
    }

    @Test("Given a missing closing quote or a quote inside a word, when split, then the error is MPD's argument error")
    func badQuotes() {
        #expect(throws: MPDError(.arg, "Missing closing '\"'")) { _ = try Tokenizer.split(Array(#"add "a b"#.utf8)) }
        #expect(throws: MPDError(.arg, "Invalid unquoted character")) { _ = try Tokenizer.split(Array(#"add a"b"#.utf8)) }
    }

    @Test("Given an error, when written as an ACK, then it has MPD's code, list index and command")
    func ackLine() {
        #expect(MPDError(.unknown, "unknown command \"x\"").ack(index: 0, command: "") == "ACK [5@0] {} unknown command \"x\"\n")
        #expect(MPDError(.noExist, "No such song").ack(index: 2, command: "deleteid") == "ACK [50@2] {deleteid} No such song\n")
    }

    @Test("Given a value, when quoted and split back, then it is the same value")
    func quoteRoundTrip() throws {
        let value = #"a "b" \c d"#
        #expect(try Tokenizer.split(Array(("add " + Tokenizer.quote(value)).utf8)).arguments == [value])
    }
}

@Suite("MPD filter expressions")
struct FilterParseTests {
    @Test("Given nested expressions with AND and negation, when parsed, then the rest after sort and window is returned")
    func nested() throws {
        let (filter, rest) = try Filter.parse(["((artist == 'A') AND (!(album contains \"x\")))", "sort", "Title", "window", "0:2"], legacyContains: false)
        guard case .and(let parts)? = filter, parts.count == 2, case .not = parts[1] else {
            Issue.record("not an AND of two with a negation: \(String(describing: filter))")
            return
        }
        #expect(rest == ["sort", "Title", "window", "0:2"])
    }

    @Test("Given bad expressions, when parsed, then each is an argument error")
    func errors() {
        for bad in ["(artist == 'A'", "(nosuchtag == 'x')", "(artist ~~ 'x')", "(artist == x)", "((artist == 'a') OR (album == 'b'))"] {
            #expect(throws: MPDError.self, "\(bad)") { _ = try Filter.parse([bad], legacyContains: false) }
        }
        #expect(throws: MPDError.self) { _ = try Filter.parse(["artist"], legacyContains: false) }
    }
}
