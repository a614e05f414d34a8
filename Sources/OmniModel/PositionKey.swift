/// Fractional position keys for playlist order: strings that sort (bytewise) in playlist order,
/// where a key can always be made between any two others, so an insert or a move writes one
/// item and never renumbers its neighbours, and concurrent inserts on two devices never collide
/// on anything but an equal key (ties are broken by item id).
///
/// The scheme is David Greenspan's / rocicorp's `fractional-indexing`: base-62 digits
/// (`0-9A-Za-z`, ASCII order), an integer part whose first character encodes its length (`a`: 1
/// digit, `b`: 2, ...; `Z`, `Y`, ... for the negative side), then a fraction without trailing `0`.
/// Appending and prepending increment or decrement the integer part, so a playlist built by
/// appending 10,000 tracks one at a time has keys of 3–4 characters; inserting between two
/// neighbours adds a digit about every 5 halvings.
///
/// Pure functions; any thread.
public enum PositionKey {
    /// The base-62 digits, in ASCII (and so in sort) order.
    public static let digits: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let zero = UInt8(ascii: "0")
    private static let smallestInteger: [UInt8] = [UInt8(ascii: "A")] + Array(repeating: UInt8(ascii: "0"), count: 26)

    /// Why no key could be made.
    public enum KeyError: Error, Equatable {
        case invalid(String)
        case outOfOrder
        case exhausted
    }

    /// True when `key` is a well-formed position key.
    public static func isValid(_ key: String) -> Bool {
        (try? validate(Array(key.utf8))) != nil
    }

    /// A key strictly between `a` and `b` (nil: open end). `a < b` when both are given.
    public static func between(_ a: String?, _ b: String?) throws(KeyError) -> String {
        String(decoding: try between(a.map { Array($0.utf8) }, b.map { Array($0.utf8) }), as: UTF8.self)
    }

    /// `n` keys in ascending order strictly between `a` and `b`, spread so that they stay short.
    public static func between(_ a: String?, _ b: String?, count n: Int) throws(KeyError) -> [String] {
        try keys(a.map { Array($0.utf8) }, b.map { Array($0.utf8) }, n).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func keys(_ a: [UInt8]?, _ b: [UInt8]?, _ n: Int) throws(KeyError) -> [[UInt8]] {
        if n <= 0 { return [] }
        if n == 1 { return [try between(a, b)] }
        if b == nil {
            var c = try between(a, b)
            var out = [c]
            for _ in 1..<n { c = try between(c, b); out.append(c) }
            return out
        }
        if a == nil {
            var c = try between(a, b)
            var out = [c]
            for _ in 1..<n { c = try between(a, c); out.append(c) }
            return out.reversed()
        }
        let mid = n / 2
        let c = try between(a, b)
        return try keys(a, c, mid) + [c] + keys(c, b, n - mid - 1)
    }

    private static func between(_ a: [UInt8]?, _ b: [UInt8]?) throws(KeyError) -> [UInt8] {
        if let a { try validate(a) }
        if let b { try validate(b) }
        if let a, let b, !a.lexicographicallyPrecedes(b) { throw .outOfOrder }
        guard let a else {
            guard let b else { return [UInt8(ascii: "a"), zero] }
            let ib = try integerPart(b)
            let fb = Array(b[ib.count...])
            if ib == smallestInteger { return ib + midpoint([], fb) }
            if ib.count < b.count { return ib }
            guard let decremented = decrement(ib) else { throw .exhausted }
            return decremented
        }
        let ia = try integerPart(a)
        let fa = Array(a[ia.count...])
        guard let b else {
            if let incremented = increment(ia) { return incremented }
            return ia + midpoint(fa, nil)
        }
        let ib = try integerPart(b)
        let fb = Array(b[ib.count...])
        if ia == ib { return ia + midpoint(fa, fb) }
        guard let incremented = increment(ia) else { throw .exhausted }
        if incremented.lexicographicallyPrecedes(b) { return incremented }
        return ia + midpoint(fa, nil)
    }

    /// A fraction strictly between fractions `a` and `b` (nil: 1). No trailing zeros in or out.
    private static func midpoint(_ a: [UInt8], _ b: [UInt8]?) -> [UInt8] {
        if let b {
            var n = 0
            while n < b.count, (n < a.count ? a[n] : zero) == b[n] { n += 1 }
            if n > 0 {
                return Array(b[..<n]) + midpoint(n < a.count ? Array(a[n...]) : [], Array(b[n...]))
            }
        }
        let digitA = a.isEmpty ? 0 : index(a[0])
        let digitB = b.map { $0.isEmpty ? digits.count : index($0[0]) } ?? digits.count
        if digitB - digitA > 1 {
            return [digits[(digitA + digitB + 1) / 2]]
        }
        if let b, b.count > 1 { return [b[0]] }
        return [digits[digitA]] + midpoint(a.isEmpty ? [] : Array(a.dropFirst()), nil)
    }

    private static func index(_ digit: UInt8) -> Int { digits.firstIndex(of: digit) ?? 0 }

    private static func integerLength(_ head: UInt8) throws(KeyError) -> Int {
        switch head {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(head - UInt8(ascii: "a")) + 2
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(UInt8(ascii: "Z") - head) + 2
        default: throw .invalid("bad head")
        }
    }

    private static func integerPart(_ key: [UInt8]) throws(KeyError) -> [UInt8] {
        guard let head = key.first else { throw .invalid("empty") }
        let length = try integerLength(head)
        guard length <= key.count else { throw .invalid("short") }
        return Array(key[..<length])
    }

    private static func validate(_ key: [UInt8]) throws(KeyError) {
        guard key.count <= 1024, key.allSatisfy({ digits.contains($0) }) else { throw .invalid("characters") }
        if key == smallestInteger { throw .invalid("smallest") }
        let integer = try integerPart(key)
        if key.count > integer.count, key.last == zero { throw .invalid("trailing zero") }
    }

    private static func increment(_ x: [UInt8]) -> [UInt8]? {
        let head = x[0]
        var digs = Array(x.dropFirst())
        var carry = true
        var i = digs.count - 1
        while carry, i >= 0 {
            let d = index(digs[i]) + 1
            if d == digits.count { digs[i] = zero } else { digs[i] = digits[d]; carry = false }
            i -= 1
        }
        guard carry else { return [head] + digs }
        if head == UInt8(ascii: "Z") { return [UInt8(ascii: "a"), zero] }
        if head == UInt8(ascii: "z") { return nil }
        let h = head + 1
        if h > UInt8(ascii: "a") { digs.append(zero) } else { digs.removeLast() }
        return [h] + digs
    }

    private static func decrement(_ x: [UInt8]) -> [UInt8]? {
        let head = x[0]
        var digs = Array(x.dropFirst())
        var borrow = true
        var i = digs.count - 1
        while borrow, i >= 0 {
            let d = index(digs[i]) - 1
            if d == -1 { digs[i] = digits[digits.count - 1] } else { digs[i] = digits[d]; borrow = false }
            i -= 1
        }
        guard borrow else { return [head] + digs }
        if head == UInt8(ascii: "a") { return [UInt8(ascii: "Z"), digits[digits.count - 1]] }
        if head == UInt8(ascii: "A") { return nil }
        let h = head - 1
        if h < UInt8(ascii: "Z") { digs.append(digits[digits.count - 1]) } else { digs.removeLast() }
        return [h] + digs
    }
}
