import Foundation
import Glibc
import Synchronization

/// The Subsonic user's password and API keys, kept in the library folder.
///
/// Token authentication (`t = md5(password + salt)`) needs the password itself on the server,
/// so it cannot be stored as a one-way hash. It is stored encrypted (AES-256-GCM) in
/// `<data>/subsonic/credentials.json`, with the key in `<data>/subsonic/key`; the folder is
/// 0700 and both files 0600, so only the user can read them. (Whoever can read both files can
/// read the password: the encryption keeps it out of backups and copies of the JSON alone.)
/// API keys are stored as their SHA-256: the key itself is shown once, when made.
///
/// Written by `omnisonicd subsonic set-password/new-api-key` (also while the daemon runs:
/// writes are a rename of a complete file, under a lock file) and read by the daemon, which
/// reads the file again whenever it changed (`CredentialStore.current`). Synchronous; any thread.
public struct CredentialFile: Sendable {
    /// The folder: `<data>/subsonic`.
    public let folder: String

    public init(data: String) { folder = data + "/subsonic" }

    var path: String { folder + "/credentials.json" }
    var keyPath: String { folder + "/key" }

    /// What the file holds.
    struct Contents: Codable, Sendable, Equatable {
        var users: [String: User] = [:]

        struct User: Codable, Sendable, Equatable {
            /// base64 of nonce + ciphertext + tag (`Crypto.seal`); nil when only API keys are set.
            var password: String?
            var apiKeys: [APIKey] = []
        }

        struct APIKey: Codable, Sendable, Equatable {
            /// A short public id, for revoking (`omnisonicd subsonic ...`, the web UI).
            var id: String
            var sha256: String
            var created: Double
            var name: String?
        }
    }

    /// Sets `user`'s password (replacing any).
    ///
    /// - Throws: `SubsonicSetupError` when the folder or files cannot be written.
    public func setPassword(_ password: String, user: String) throws(SubsonicSetupError) {
        try update { contents, key throws(SubsonicSetupError) in
            guard let sealed = Crypto.seal(Array(password.utf8), key: key) else { throw SubsonicSetupError("cannot encrypt the password") }
            contents.users[user, default: .init()].password = Data(sealed).base64EncodedString()
        }
    }

    /// Makes a new API key for `user` and returns it (it is not stored: only its SHA-256 is).
    ///
    /// - Throws: `SubsonicSetupError` when the folder or files cannot be written.
    public func newAPIKey(user: String, name: String? = nil) throws(SubsonicSetupError) -> (id: String, key: String) {
        let key = "omni" + Crypto.hex(Crypto.randomBytes(24))
        let id = Crypto.hex(Crypto.randomBytes(4))
        try update { contents, _ throws(SubsonicSetupError) in
            contents.users[user, default: .init()].apiKeys.append(
                .init(id: id, sha256: Crypto.sha256Hex(Array(key.utf8)), created: Date().timeIntervalSince1970, name: name))
        }
        return (id, key)
    }

    /// Removes the API key with this id; false when there is none.
    ///
    /// - Throws: `SubsonicSetupError` when the files cannot be written.
    public func revokeAPIKey(id: String) throws(SubsonicSetupError) -> Bool {
        var found = false
        try update { contents, _ throws(SubsonicSetupError) in
            for (name, var user) in contents.users {
                let before = user.apiKeys.count
                user.apiKeys.removeAll { $0.id == id }
                if user.apiKeys.count != before { found = true; contents.users[name] = user }
            }
        }
        return found
    }

    /// What the settings page shows of `user`: whether a password is set, and the API keys
    /// (ids, names, dates; never the keys, which are not kept).
    ///
    /// - Throws: `SubsonicSetupError` when the file is damaged.
    public func summary(user: String) throws(SubsonicSetupError) -> SubsonicAccountSummary {
        let entry = try load().0.users[user]
        return SubsonicAccountSummary(user: user, passwordSet: entry?.password != nil,
                                      apiKeys: (entry?.apiKeys ?? []).map { .init(id: $0.id, name: $0.name, created: $0.created) })
    }

    /// The file's contents and the encryption key, or empty contents when nothing is set up.
    func load() throws(SubsonicSetupError) -> (Contents, [UInt8]?) {
        guard let data = FileManager.default.contents(atPath: path) else { return (Contents(), readKey()) }
        do {
            return (try JSONDecoder().decode(Contents.self, from: data), readKey())
        } catch {
            throw SubsonicSetupError("\(path) is damaged: \(error)")
        }
    }

    func readKey() -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: keyPath), data.count == 32 else { return nil }
        return [UInt8](data)
    }

    /// Reads, changes and writes the file under `<folder>/lock` (two commands at once do not
    /// lose each other's change); makes the folder and the key on first use.
    func update(_ change: (inout Contents, [UInt8]) throws(SubsonicSetupError) -> Void) throws(SubsonicSetupError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SubsonicSetupError("cannot create \(folder): \(error.localizedDescription)")
        }
        _ = chmod(folder, 0o700)
        let lock = Glibc.open(folder + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw SubsonicSetupError("cannot open \(folder)/lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw SubsonicSetupError("cannot lock \(folder)/lock") }
        var key = readKey()
        if key == nil {
            let fresh = Crypto.randomBytes(32)
            try writePrivate(fresh, to: keyPath)
            key = fresh
        }
        var (contents, _) = try load()
        try change(&contents, key!)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: Data
        do { bytes = try encoder.encode(contents) } catch { throw SubsonicSetupError("cannot encode the credentials: \(error)") }
        try writePrivate([UInt8](bytes), to: path)
    }

    /// Writes a 0600 file whole and renames it into place: a reader sees the old or the new file.
    func writePrivate(_ bytes: [UInt8], to target: String) throws(SubsonicSetupError) {
        let temporary = target + ".tmp-\(getpid())"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SubsonicSetupError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n <= 0 { close(fd); unlink(temporary); throw SubsonicSetupError("cannot write \(temporary)") }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, target) == 0 else {
            unlink(temporary)
            throw SubsonicSetupError("cannot replace \(target): \(String(cString: strerror(errno)))")
        }
    }
}

/// The Subsonic user as the web UI's settings page shows it (`GET /api/subsonic`).
public struct SubsonicAccountSummary: Sendable, Equatable, Codable {
    public var user: String
    public var passwordSet: Bool
    public var apiKeys: [APIKeySummary]

    /// An API key without the key: its id (for revoking), name and creation time (s since 1970).
    public struct APIKeySummary: Sendable, Equatable, Codable {
        public var id: String
        public var name: String?
        public var created: Double
    }
}

/// Why setting up Subsonic credentials failed (a message for the user).
public struct SubsonicSetupError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The daemon's view of the credentials: the file read again when it changed (its inode,
/// size or modification time), so `omnisonicd subsonic set-password` takes effect at once.
final class CredentialStore: Sendable {
    let file: CredentialFile
    private let cache = Mutex<(stamp: [Int64], user: [String: Account])?>(nil)

    /// One user's usable credentials.
    struct Account: Sendable {
        var password: String?
        var apiKeyHashes: [String]
    }

    init(file: CredentialFile) { self.file = file }

    /// The accounts by user name (empty when nothing is set up or the files cannot be read).
    func current() -> [String: Account] {
        var info = stat()
        let stamp: [Int64] = stat(file.path, &info) == 0
            ? [Int64(info.st_ino), Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)] : []
        if let cached = cache.withLock({ $0 }), cached.stamp == stamp { return cached.user }
        var accounts: [String: Account] = [:]
        if !stamp.isEmpty, let (contents, key) = try? file.load() {
            for (name, user) in contents.users {
                var password: String?
                if let sealed = user.password, let data = Data(base64Encoded: sealed), let key,
                   let plain = Crypto.open([UInt8](data), key: key) {
                    password = String(decoding: plain, as: UTF8.self)
                }
                accounts[name] = Account(password: password, apiKeyHashes: user.apiKeys.map(\.sha256))
            }
        }
        cache.withLock { $0 = (stamp, accounts) }
        return accounts
    }
}
