import Foundation
import Synchronization

/// Checks a request's credentials, as clients send them (Subsonic 1.16.1 and OpenSubsonic):
///
/// - `u` + `p`: the password in clear, or `enc:` and its UTF-8 in hex;
/// - `u` + `t` + `s`: `t` is `md5(password + s)`. Any salt is accepted, as often as a client
///   sends it: DSub and Feishin reuse one salt for ever, so a replay check would lock them out.
/// - `apiKey` (the `apiKeyAuthentication` extension): a key from `omnisonicd subsonic new-api-key`.
///
/// There is one Subsonic user (`[subsonic] user`). Wrong credentials are counted per client
/// address: past `maxFailures` in `window`, that address is refused (code 40) without a check
/// until the window has passed. Any thread.
final class Authenticator: Sendable {
    let user: String
    let store: CredentialStore
    let maxFailures: Int
    let window: TimeInterval
    private let failures = Mutex<[String: (count: Int, since: Date)]>([:])

    init(user: String, store: CredentialStore, maxFailures: Int = 10, window: TimeInterval = 60) {
        self.user = user
        self.store = store
        self.maxFailures = maxFailures
        self.window = window
    }

    /// The user name when the credentials in `parameters` are right.
    ///
    /// - Throws: `SubsonicError` 10, 40, 41, 43 or 44.
    func authenticate(_ parameters: Parameters, peer: String, now: Date = Date()) throws(SubsonicError) -> String {
        if let blocked = failures.withLock({ table -> TimeInterval? in
            guard let entry = table[peer], now.timeIntervalSince(entry.since) < window, entry.count >= maxFailures else { return nil }
            return window - now.timeIntervalSince(entry.since)
        }) {
            throw SubsonicError(.wrongCredentials, "too many failed attempts from this address; try again in \(Int(blocked.rounded(.up))) s")
        }
        do {
            return try check(parameters)
        } catch {
            if error.code != .missingParameter && error.code != .conflictingMechanisms { recordFailure(peer: peer, now: now) }
            throw error
        }
    }

    private func check(_ p: Parameters) throws(SubsonicError) -> String {
        let accounts = store.current()
        if let key = p.string("apiKey") {
            if p.string("u") != nil || p.string("p") != nil || p.string("t") != nil {
                throw SubsonicError(.conflictingMechanisms, "an API key is given with a user name, password or token")
            }
            let hash = Crypto.sha256Hex(Array(key.utf8))
            guard let account = accounts[user], account.apiKeyHashes.contains(where: { Crypto.constantTimeEqual($0, hash) }) else {
                throw SubsonicError(.invalidAPIKey, "the API key is not valid")
            }
            return user
        }
        guard let name = p.string("u") else { throw SubsonicError.missing("u") }
        let account = name == user ? accounts[user] : nil
        if let given = p.string("p") {
            var password = given
            if given.hasPrefix("enc:") {
                guard let bytes = Self.hexBytes(given.dropFirst(4)) else { throw SubsonicError(.wrongCredentials, "wrong username or password") }
                password = String(decoding: bytes, as: UTF8.self)
            }
            guard let stored = account?.password, Crypto.constantTimeEqual(stored, password) else {
                throw SubsonicError(.wrongCredentials, "wrong username or password")
            }
            return user
        }
        if let token = p.string("t") {
            guard let salt = p.string("s") else { throw SubsonicError.missing("s") }
            guard let account else { throw SubsonicError(.wrongCredentials, "wrong username or password") }
            guard let stored = account.password else {
                throw SubsonicError(.tokenNotSupported, "token authentication needs a password: set one with omnisonicd subsonic set-password, or use an API key")
            }
            guard Crypto.constantTimeEqual(Crypto.md5Hex(Array((stored + salt).utf8)), token.lowercased()) else {
                throw SubsonicError(.wrongCredentials, "wrong username or password")
            }
            return user
        }
        throw SubsonicError.missing("p or t")
    }

    private func recordFailure(peer: String, now: Date) {
        failures.withLock { table in
            if table.count > 10_000 { table = table.filter { now.timeIntervalSince($0.value.since) < window } }
            if let entry = table[peer], now.timeIntervalSince(entry.since) < window {
                table[peer] = (entry.count + 1, entry.since)
            } else {
                table[peer] = (1, now)
            }
        }
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = Self.nibble(digits[i]), let lo = Self.nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
