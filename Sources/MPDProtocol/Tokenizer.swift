/// Splits one request line into the command name and its arguments, as MPD's tokenizer does
/// (`src/util/Tokenizer.cxx`): words separated by spaces or tabs; an argument may be quoted
/// with `"`, inside which `\` escapes the next character.
public enum Tokenizer {
    /// The command and its arguments.
    ///
    /// - Throws: `MPDError` `.arg` for a missing closing quote, a quote inside an unquoted word,
    ///   or a command name that is not a word of letters, digits and `_`; `.unknown` for an
    ///   empty line.
    public static func split(_ line: [UInt8]) throws(MPDError) -> (command: String, arguments: [String]) {
        var i = 0
        let n = line.count
        func skipSpace() { while i < n, line[i] == 0x20 || line[i] == 0x09 { i += 1 } }
        skipSpace()
        let start = i
        while i < n, line[i] != 0x20, line[i] != 0x09 { i += 1 }
        let commandBytes = line[start..<i]
        guard !commandBytes.isEmpty else { throw MPDError(.unknown, "No command given") }
        guard commandBytes.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
            throw MPDError(.unknown, "unknown command \"\(String(decoding: commandBytes, as: UTF8.self))\"")
        }
        var arguments: [String] = []
        while true {
            skipSpace()
            guard i < n else { break }
            var word: [UInt8] = []
            if line[i] == 0x22 {
                i += 1
                var closed = false
                while i < n {
                    let b = line[i]
                    if b == 0x5C {
                        i += 1
                        guard i < n else { break }
                        word.append(line[i])
                    } else if b == 0x22 {
                        closed = true
                        i += 1
                        break
                    } else {
                        word.append(b)
                    }
                    i += 1
                }
                guard closed else { throw MPDError.arg("Missing closing '\"'") }
                // A quoted argument ends at white space.
                guard i >= n || line[i] == 0x20 || line[i] == 0x09 else { throw MPDError.arg("Space expected after closing '\"'") }
            } else {
                while i < n, line[i] != 0x20, line[i] != 0x09 {
                    guard line[i] != 0x22 else { throw MPDError.arg("Invalid unquoted character") }
                    word.append(line[i])
                    i += 1
                }
            }
            arguments.append(String(decoding: word, as: UTF8.self))
        }
        return (String(decoding: commandBytes, as: UTF8.self), arguments)
    }

    /// `value` quoted for a request line (tests and tools): `"…"` with `"` and `\` escaped.
    public static func quote(_ value: String) -> String {
        var out = "\""
        for c in value {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }
}
