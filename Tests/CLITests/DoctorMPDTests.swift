import Foundation
import Glibc
import Testing
import TestSupport

/// `omnisonicd doctor` on the MPD front door's settings (decision 0020).
@Suite("doctor checks the MPD settings")
struct DoctorMPDTests {
    /// A TCP socket listening on 127.0.0.1 at a port the kernel picks (another program, to doctor).
    final class Listener {
        let fd: Int32
        let port: Int
        init(unix path: String? = nil) {
            let fd: Int32
            if let path {
                fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_un()
                address.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
                _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
                port = 0
            } else {
                fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
                port = Int(UInt16(bigEndian: address.sin_port))
            }
            listen(fd, 4)
            self.fd = fd
        }
        deinit { close(fd) }
    }

    @Test("Given MPD addresses that are taken, unwritable, open without a password, free or off, when doctor runs, then each is reported with a fix")
    func mpdSettings() throws {
        let dir = try TemporaryDirectory("doctor-mpd")
        try ServiceTests.write("music = \"\(dir.appending("music"))\"\ndata = \"\(dir.appending("data"))\"\n",
                               to: dir.appending("config/omnisonic/config.toml"))
        try FileManager.default.createDirectory(atPath: dir.appending("music"), withIntermediateDirectories: true)
        try ServiceTests.write("not a folder", to: dir.appending("file"))
        let taken = Listener(), live = Listener(unix: dir.appending("live.sock"))
        let free = Listener().port  // closed at once: free again (SO_REUSEADDR lets the probe bind it)
        func doctor(_ listen: String, _ extra: [String: String] = [:]) throws -> Binary.Output {
            try Binary.run(["doctor"], environment: ServiceTests.isolated(dir, ["OMNISONIC_MPD_LISTEN": listen, "OMNISONIC_MPD_PASSWORD": ""]
                .merging(extra) { $1 }))
        }

        let bad = try doctor("127.0.0.1:\(taken.port),\(dir.appending("file/sub/mpd.sock")),\(dir.appending("live.sock")),127.0.0.1:\(free)")
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("FAIL  mpd: 127.0.0.1:\(taken.port) is taken by another program: the daemon will not start"), "\(bad.stdout)")
        #expect(bad.stdout.contains("FAIL  mpd: \(dir.appending("file/sub/mpd.sock")) cannot be used: \(dir.appending("file")) cannot be written"), "\(bad.stdout)")
        #expect(bad.stdout.contains("fix: choose a socket path in a folder you own"), "\(bad.stdout)")
        #expect(bad.stdout.contains("FAIL  mpd: \(dir.appending("live.sock")) is taken by another program"), "\(bad.stdout)")
        #expect(bad.stdout.contains("ok    mpd: 127.0.0.1:\(free): free (this computer only)"), "\(bad.stdout)")

        let open = try doctor("0.0.0.0:\(free)")
        #expect(open.status == 1)
        #expect(open.stdout.contains("FAIL  config:") && open.stdout.contains("without an MPD password"), "\(open.stdout)")
        let guarded = try doctor("0.0.0.0:\(free)", ["OMNISONIC_MPD_PASSWORD": "s3cret"])
        #expect(guarded.stdout.contains("ok    mpd: 0.0.0.0:\(free): free (other computers too; a password is set)"), "\(guarded.stdout)")
        let unparsable = try doctor("here and there")
        #expect(unparsable.stdout.contains("FAIL  config: OMNISONIC_MPD_LISTEN must be HOST:PORT"), "\(unparsable.stdout)")
        let off = try doctor("off")
        #expect(off.stdout.contains("ok    mpd: off (mpd-listen = off)"), "\(off.stdout)")
        _ = live
    }
}
