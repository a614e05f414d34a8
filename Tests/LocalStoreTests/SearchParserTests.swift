@testable import LocalStore
import Testing

@Suite("The search query parser")
struct SearchParserTests {
    @Test("Only the last word is a prefix; earlier words are whole tokens, all quoted for FTS5")
    func lastWordPrefix() {
        // Given what a user has typed so far
        let parsed = SearchQueryParser.parse("hells be")
        // Then the FTS5 expression ANDs a whole word and a prefix
        #expect(SearchSQL.match(parsed) == #""hells" "be"*"#)
        #expect(parsed.exactTitleKey == "hells be")
    }

    @Test("A filter typed after the words leaves them whole: only the last thing typed is a prefix")
    func filterLast() {
        #expect(SearchSQL.match(SearchQueryParser.parse("love year:1990")) == #""love""#)
        #expect(SearchSQL.match(SearchQueryParser.parse("year:1990 love")) == #""love"*"#)
    }

    @Test("A CJK term is a prefix wherever it stands")
    func cjkPrefix() {
        let parsed = SearchQueryParser.parse("坂本 async")
        #expect(SearchSQL.match(parsed) == #""坂本"* "async"*"#)
    }

    @Test("Field filters map to FTS5 columns, with quoted values kept whole")
    func fieldFilters() {
        let parsed = SearchQueryParser.parse(#"artist:"guns n roses" album:appetite genre:rock title:x albumartist:y composer:z"#)
        #expect(parsed.terms.map(\.field) == [.artist, .album, .genre, .title, .albumartist, .composer])
        #expect(SearchSQL.match(parsed) == #"{artist} : "guns n roses" {album} : "appetite" {genreText} : "rock" {title} : "x" {albumArtist} : "y" {composer} : "z"*"#)
        #expect(parsed.exactTitleKey == nil)
    }

    @Test("Year filters accept a year, a range and comparisons, and intersect")
    func years() {
        func bounds(_ text: String) -> (Int?, Int?) {
            let p = SearchQueryParser.parse(text)
            return (p.yearMin, p.yearMax)
        }
        #expect(bounds("year:1990") == (1990, 1990))
        #expect(bounds("year:1990..1999") == (1990, 1999))
        #expect(bounds("year:>=2000").0 == 2000)
        #expect(bounds("year:>2000").0 == 2001)
        #expect(bounds("year:<1980").1 == 1979)
        #expect(bounds("year:<=1980").1 == 1980)
        #expect(bounds("year:1990..1999 year:>=1995") == (1995, 1999))
        #expect(SearchQueryParser.parse("year:1990").terms.isEmpty)
    }

    @Test("Year ranges accept the forms people type: a dash, reversed bounds, open ends")
    func yearRangesAsTyped() {
        func bounds(_ text: String) -> (Int?, Int?) {
            let p = SearchQueryParser.parse(text)
            return (p.yearMin, p.yearMax)
        }
        // Given the ranges the API document shows and users type, when parsed, then they are filters
        #expect(bounds("year:1990-1999") == (1990, 1999))
        #expect(bounds("year:1999..1990") == (1990, 1999))
        #expect(bounds("year:1999-1990") == (1990, 1999))
        #expect(bounds("year:1990..").0 == 1990)
        #expect(bounds("year:1990..").1 == Int(Int32.max))
        #expect(bounds("year:..1999").0 == Int(Int32.min))
        #expect(bounds("year:..1999").1 == 1999)
        #expect(SearchQueryParser.parse("year:1990-1999").terms.isEmpty)
        // And what is not a range stays text
        #expect(SearchQueryParser.parse("year:1990-").terms.map(\.text) == ["year:1990-"])
        #expect(SearchQueryParser.parse("year:-1990").terms.map(\.text) == ["year:-1990"])
        #expect(SearchQueryParser.parse("year:..").terms.map(\.text) == ["year:.."])
    }

    @Test("Unknown fields and malformed filters are plain text")
    func unknownFields() {
        let parsed = SearchQueryParser.parse("foo:bar year:abc is:weird")
        #expect(parsed.terms.map(\.text) == ["foo:bar", "year:abc", "is:weird"])
        #expect(parsed.terms.allSatisfy { $0.field == nil })
        #expect(!parsed.hasSQLFilters)
    }

    @Test("codec: and is:compilation are SQL filters")
    func codecAndCompilation() {
        let parsed = SearchQueryParser.parse("codec:FLAC is:compilation")
        #expect(parsed.codecs == ["flac"])
        #expect(parsed.compilationOnly)
        #expect(parsed.terms.isEmpty)
        #expect(!parsed.isEmpty)
    }

    @Test("Quotes inside terms are escaped and FTS5 operators are just words")
    func escaping() {
        let parsed = SearchQueryParser.parse(#"a"b NEAR(x OR -y) ^z"#)
        #expect(SearchSQL.match(parsed) == #""a""b" "NEAR(x" "OR" "-y)" "^z"*"#)
    }

    @Test("A closed phrase is not a prefix; an unclosed one is")
    func phrases() {
        #expect(SearchSQL.match(SearchQueryParser.parse(#""hells bells""#)) == #""hells bells""#)
        #expect(SearchSQL.match(SearchQueryParser.parse(#""hells be"#)) == #""hells be"*"#)
    }

    @Test("Input without token characters is an empty query")
    func punctuationOnly() {
        #expect(SearchQueryParser.parse("").isEmpty)
        #expect(SearchQueryParser.parse("  - * ( ) : 🎸 \"\" ").isEmpty)
        #expect(SearchQueryParser.parse("artist:").isEmpty)
    }

    @Test("A huge input is bounded in terms and term length, and control characters are removed")
    func bounded() {
        let parsed = SearchQueryParser.parse(String(repeating: "word ", count: 2_000) + String(repeating: "x", count: 10_000))
        #expect(parsed.terms.count == SearchQueryParser.maxTerms)
        let long = SearchQueryParser.parse(String(repeating: "y", count: 10_000))
        #expect(long.terms.first?.text.count == SearchQueryParser.maxTermLength)
        #expect(SearchQueryParser.parse("a\u{0}b").terms.map(\.text) == ["a", "b"])
    }

    @Test("The query is normalized to NFC")
    func nfc() {
        #expect(SearchQueryParser.parse("Bjo\u{308}rk").terms.first?.text == "Björk")
    }

    @Test("The suggestion distance is Damerau–Levenshtein with transpositions")
    func distance() {
        func d(_ a: String, _ b: String) -> Int? {
            SearchSuggester.damerauLevenshtein(Array(a.unicodeScalars), Array(b.unicodeScalars), max: 2)
        }
        #expect(d("bjrok", "bjork") == 1)
        #expect(d("apetite", "appetite") == 1)
        #expect(d("abc", "abc") == 0)
        #expect(d("kitten", "sitting") == nil)
    }

    @Test("JSON string lists are parsed by hand, and anything unusual is left to JSONDecoder")
    func jsonLists() {
        #expect(JSONStringList.parse("[]") == [])
        #expect(JSONStringList.parse(#"["a", "b\"c", "d\\e"]"#) == ["a", #"b"c"#, #"d\e"#])
        #expect(JSONStringList.parse(#"["Björk"]"#) == ["Björk"])
        #expect(JSONStringList.parse(#"["\u00e9"]"#) == nil)
        #expect(JSONStringList.parse(#"["a""#) == nil)
        #expect(JSONStringList.parse("null") == nil)
    }
}
