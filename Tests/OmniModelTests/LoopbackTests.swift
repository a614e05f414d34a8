import OmniModel
import Testing

@Suite("Loopback: one rule for every server and the configuration")
struct LoopbackTests {
    @Test("loopback addresses are recognised in every spelling the configuration and the servers see",
          arguments: ["localhost", "LOCALHOST", "127.0.0.1", "127.9.9.9", "::1", "[::1]", "0:0:0:0:0:0:0:1",
                      "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::FFFF:127.1.2.3"])
    func loopback(host: String) {
        #expect(Loopback.isLoopback(host))
    }

    @Test("other addresses, wildcards and names are not loopback",
          arguments: ["0.0.0.0", "::", "[::]", "192.168.1.5", "128.0.0.1", "::ffff:192.168.1.5", "::2",
                      "127.example.com", "127.", "localhost.example.com", "", "[::1", "fe80::1"])
    func notLoopback(host: String) {
        #expect(!Loopback.isLoopback(host))
    }
}
