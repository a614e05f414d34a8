import Foundation
import Glibc

/// A small blocking HTTP/1.1 client for the CLI's own needs (`status` asks the daemon,
/// `doctor` asks the sync server's `/healthz`): plain HTTP, `Connection: close`, a timeout on
/// every step. Not for the daemon itself.
enum LocalHTTP {
    struct Response {
        var status: Int
        var body: Data
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// GETs `path` from `host:port` (an IP literal or a name).
    ///
    /// - Throws: `Failure` saying what failed: resolving, connecting (refused, timed out), reading.
    static func get(host: String, port: Int, path: String, headers: [String: String] = [:],
                    timeout: Double = 5) throws(Failure) -> Response {
        let fd = try connect(host: host, port: port, timeout: timeout)
        defer { close(fd) }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var request = "GET \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\nAccept: application/json\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw Failure(description: "cannot send the request: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 { throw Failure(description: "no answer within \(Int(timeout)) s: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            received.append(contentsOf: buffer[..<n])
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)),
              let head = String(data: received[..<split.lowerBound], encoding: .utf8),
              let statusText = head.split(separator: " ").dropFirst().first, let status = Int(statusText) else {
            throw Failure(description: "the answer is not HTTP")
        }
        var body = Data(received[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return Response(status: status, body: body)
    }

    /// A connected TCP socket, with send and receive timeouts set.
    private static func connect(host: String, port: Int, timeout: Double) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
            // With SO_SNDTIMEO set, connect(2) gives up after the timeout too (EINPROGRESS).
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = errno == EINPROGRESS ? "timed out after \(Int(timeout)) s" : String(cString: strerror(errno))
            close(fd)
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(lastError)")
    }

    private static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var rest = data[...]
        while let lineEnd = rest.range(of: Data("\r\n".utf8)),
              let sizeText = String(data: rest[..<lineEnd.lowerBound], encoding: .ascii),
              let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 {
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            let end = rest.index(start, offsetBy: size)
            out.append(rest[start..<end])
            rest = rest[min(rest.index(end, offsetBy: 2, limitedBy: rest.endIndex) ?? rest.endIndex, rest.endIndex)...]
        }
        return out
    }

    /// The address to connect to for a listening address: a wildcard means this computer.
    static func connectHost(forListening host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::", "[::]": "::1"
        default: host
        }
    }
}
