import Foundation
import Testing
@testable import Daemon

@Suite("Configuration: sync server and token")
struct SyncConfigurationTests {
    let base = ConfigurationTests()

    @Test("sync-url and sync-token come from flags or OMNISONIC_SYNC_*, flags winning; a trailing slash is dropped")
    func layers() throws {
        let fromEnv = try base.resolve(env: ["OMNISONIC_SYNC_URL": "http://10.0.0.2:7700/", "OMNISONIC_SYNC_TOKEN": "abc123"])
        #expect(fromEnv.syncURL == "http://10.0.0.2:7700")
        #expect(fromEnv.syncToken == "abc123")
        let fromFlags = try base.resolve(flags: [(.syncURL, ["https://sync.example.org"])],
                                         env: ["OMNISONIC_SYNC_URL": "http://10.0.0.2:7700", "OMNISONIC_SYNC_TOKEN": "abc123"])
        #expect(fromFlags.syncURL == "https://sync.example.org")
        #expect(try base.resolve().syncURL == nil)
    }

    @Test("a sync URL without a token, a token without a URL, or a URL that is not http(s) is refused, naming the key")
    func refused() {
        #expect(throws: ConfigurationError.self) { try base.resolve(flags: [(.syncURL, ["http://10.0.0.2:7700"])]) }
        #expect(throws: ConfigurationError.self) { try base.resolve(flags: [(.syncToken, ["abc"])]) }
        #expect(throws: ConfigurationError.self) {
            try base.resolve(flags: [(.syncURL, ["ftp://x"]), (.syncToken, ["abc"])])
        }
        do {
            _ = try base.resolve(flags: [(.syncURL, ["not a url"]), (.syncToken, ["abc"])])
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("--sync-url"))
        }
    }
}
