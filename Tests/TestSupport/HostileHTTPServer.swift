import Foundation
import Glibc
import Synchronization

/// A loopback HTTP server that answers every request with what `answer` writes, byte for byte
/// (a hostile or broken sync server: endless bodies, lying lengths). Each connection is served on
/// a thread of its own until `answer` returns or a write fails (the client closed it); the
/// bytes written to every connection are counted, so a test can check how much a client let in.
public final class HostileHTTPServer: Sendable {
    public let port: Int
    private let listener: Int32
    private let written = Mutex(0)
    private let requests = Mutex<[String]>([])

    /// - Parameter answer: writes the answer through `send` (false once the client has gone);
    ///   gets the request head.
    public init(answer: @escaping @Sendable (_ head: String, _ send: ([UInt8]) -> Bool) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let server = self
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return } // closed
                Thread.detachNewThread { server.serve(client, answer) }
            }
        }
    }

    private func serve(_ client: Int32, _ answer: @Sendable (String, ([UInt8]) -> Bool) -> Void) {
        defer { close(client) }
        var head = [UInt8]()
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard recv(client, &byte, 1, 0) == 1 else { return }
            head.append(byte)
        }
        let text = String(decoding: head, as: UTF8.self)
        requests.withLock { $0.append(text) }
        answer(text) { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return false }
                offset += n
                written.withLock { $0 += n }
            }
            return true
        }
    }

    /// Bytes written to all connections so far.
    public var bytesWritten: Int { written.withLock { $0 } }
    /// The request heads received, in order.
    public var requestHeads: [String] { requests.withLock { $0 } }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
