import Foundation

/// The one answer to "can only this computer reach this address?", for the daemon's
/// configuration, its HTTP server and the sync server (they once had a copy each, and the copies
/// disagreed about `::ffff:127.0.0.1`).
public enum Loopback {
    /// True for `localhost`, `127.0.0.0/8`, `::1` and IPv4-mapped `::ffff:127.x.y.z`, with or
    /// without the brackets of a URL (`[::1]`). False for anything else, names included: a name
    /// other than `localhost` could resolve to anything.
    ///
    /// Any thread.
    public static func isLoopback(_ host: String) -> Bool {
        var text = host.lowercased()
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            // s_addr is in network order: the first byte in memory is the first octet.
            return withUnsafeBytes(of: v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
        // ::ffff:127.x.y.z: an IPv4 loopback address seen through an IPv6 socket.
        return bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }
}
