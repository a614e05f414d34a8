import Foundation
import Glibc

/// A minimal HTTP/1.1 client over a real socket, so tests can send any `Host`, `Origin` or raw
/// path (URLSession normalises those). Blocking socket calls run on their own thread, never on
/// the cooperative pool that the server under test also uses.
struct RawHTTP {
    struct Reply: Sendable {
        var status: Int
        /// Header names lowercased.
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] ?? [:]
        }
        var errorCode: String? { ((try? json())?["error"] as? [String: Any])?["code"] as? String }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    let port: Int

    /// Sends one request (`Connection: close`) and reads the whole reply.
    /// - Parameter chunked: `body` is already chunk-encoded (the caller sends `Transfer-Encoding`): no `Content-Length`.
    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
              host: String? = nil, chunked: Bool = false) async throws -> Reply {
        let port = self.port
        var head = "\(method) \(target) HTTP/1.1\r\n"
        head += "Host: \(host ?? "127.0.0.1:\(port)")\r\n"
        head += "Connection: close\r\n"
        if !chunked, !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body
        let raw = try await Self.onThread { () throws -> [UInt8] in
            let fd = try Self.connect(port: port)
            defer { close(fd) }
            try Self.writeAll(fd, request)
            return try Self.readAll(fd)
        }
        return try Self.parse(raw)
    }

    func get(_ target: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send("GET", target, headers: headers)
    }

    func json(_ method: String, _ target: String, _ object: Any) async throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try await send(method, target, headers: [("Content-Type", "application/json")], body: Array(body))
    }

    /// An open connection read incrementally (Server-Sent Events).
    final class Stream: @unchecked Sendable {
        let fd: Int32
        var received: [UInt8] = []
        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }

        /// Reads until `marker` appears after what was already consumed, or `timeout` passes.
        func read(until marker: String, timeout: Double = 10) async throws -> String {
            try await RawHTTP.onThread { [self] () throws -> String in
                let deadline = Date().addingTimeInterval(timeout)
                var chunk = [UInt8](repeating: 0, count: 4096)
                while Date() < deadline {
                    let text = String(decoding: received, as: UTF8.self)
                    if text.contains(marker) { return text }
                    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                    if n > 0 { received += chunk[..<n] } else if n == 0 { break } else if errno != EAGAIN && errno != EINTR { break }
                }
                throw Failure(description: "did not see \(marker) in: \(String(decoding: received, as: UTF8.self))")
            }
        }
    }

    func open(_ target: String) async throws -> Stream {
        let port = self.port
        return try await Self.onThread {
            let fd = try Self.connect(port: port)
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            try Self.writeAll(fd, Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
            return Stream(fd: fd)
        }
    }

    // MARK: - Sockets

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.start()
        }
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Failure(description: "connect: \(errno)")
        }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                // The server may answer (413) and close before reading everything.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw Failure(description: "send: \(errno)")
            }
            offset += n
        }
    }

    static func readAll(_ fd: Int32) throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { break }
                throw Failure(description: "recv: \(errno)")
            }
            if n == 0 { break }
            out += chunk[..<n]
        }
        return out
    }

    static func parse(_ raw: [UInt8]) throws -> Reply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0..<max(raw.count - 3, 0)).first(where: { Array(raw[$0..<$0 + 4]) == separator }) else {
            throw Failure(description: "no header end in \(raw.count) bytes: \(String(decoding: raw.prefix(300), as: UTF8.self))")
        }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = (i..<data.count - 1).first(where: { data[$0] == 13 && data[$0 + 1] == 10 }) else { break }
            let sizeText = String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd + 2
            out += data[start..<min(start + size, data.count)]
            i = start + size + 2
        }
        return out
    }
}
