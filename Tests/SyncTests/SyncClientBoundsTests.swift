import Foundation
import OmniModel
@testable import Sync
import Testing
import TestSupport

/// The client's side of decision 0017's bounded pulls: a hostile or broken server cannot make a
/// device hold a whole oversized answer (issue 18's closing note: libcurl buffered it before).
@Suite("Sync client: pull answers are read as they arrive, within bounds")
struct SyncClientBoundsTests {
    /// One valid operation's JSON, with a title `padding` bytes long.
    static func op(_ index: Int, padding: Int = 100) -> [UInt8] {
        let op = UserOperation(hlc: HLCTimestamp(wallMs: 1_700_000_000_000 + Int64(index), counter: 0, device: "dev-x"), target: "p1",
                               payload: .playlistRename(name: String(repeating: "n", count: padding)))
        return Array(try! JSONEncoder().encode(op))
    }

    @Test("Given a server that streams an endless pull answer (chunked, no length), when a device pulls, then the client reads at most its bound plus one read, the connection is closed, nothing is returned, and the error says so")
    func endlessAnswerIsCut() async throws {
        let server = try HostileHTTPServer { _, send in
            guard send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)) else { return }
            func chunk(_ bytes: [UInt8]) -> Bool { send(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10]) }
            guard chunk(Array(#"{"cursor":1000000,"head":1000000,"more":false,"ops":["#.utf8)) else { return }
            var index = 0
            while index < 10_000_000 { // about 1.5 GB unless the client stops it
                var batch = [UInt8]()
                for _ in 0..<100 {
                    batch += (index == 0 ? [] : [UInt8(ascii: ",")]) + Self.op(index)
                    index += 1
                }
                guard chunk(batch) else { return }
            }
        }
        let client = SyncClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "t")
        let bound = 256 << 10
        do {
            let answer = try await client.pull(after: 0, maxBytes: bound)
            Issue.record("an endless answer was accepted: \(answer.ops.count) operations")
        } catch {
            #expect(error.reason == .tooLarge, "\(error)")
            #expect(error.message.contains("nothing of it was applied"))
        }
        // The device's bound is its request plus one operation of 1 MiB and the envelope; the
        // client reads one socket read at a time and asks for the next only within the bound.
        let limit = bound + SyncClient.maxOperationBytes + 4096 + HTTPConnector.readSize
        #expect(client.socketBytesRead <= limit, "\(client.socketBytesRead) bytes read for a bound of \(limit)")
        // What the server got out beyond that sat in the two loopback socket buffers when the
        // connection was closed; the server's next write then fails and it stops.
        try await Task.sleep(for: .milliseconds(500))
        let written = server.bytesWritten
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.bytesWritten == written, "the server is still writing to a closed connection")
        #expect(written <= limit + Self.socketBuffers, "\(written) bytes written by the server")
        #expect(server.requestHeads.first?.contains("bytes=\(bound)") == true)
    }

    /// The most a loopback connection holds in its socket buffers (the sender's and the
    /// receiver's, as Linux sizes them for a connection the receiver stopped reading).
    static let socketBuffers = 8 << 20

    @Test("Given a server announcing a Content-Length past the bound, when a device pulls, then it is refused after reading only the head, and nothing of it is applied")
    func announcedLengthIsRefused() async throws {
        let server = try HostileHTTPServer { _, send in
            guard send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 900000000\r\n\r\n".utf8)) else { return }
            let filler = [UInt8](repeating: 0x20, count: 64 << 10)
            for _ in 0..<(900_000_000 / filler.count) where send(filler) {}
        }
        let client = SyncClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "t")
        do {
            _ = try await client.pull(after: 0)
            Issue.record("a 900 MB answer was accepted")
        } catch {
            #expect(error.reason == .tooLarge, "\(error)")
        }
        // Refused at the head: the client read the head and at most the rest of that one read.
        #expect(client.socketBytesRead <= HTTPConnector.readSize, "\(client.socketBytesRead) bytes read")
        try await Task.sleep(for: .milliseconds(500))
        #expect(server.bytesWritten <= HTTPConnector.readSize + Self.socketBuffers, "\(server.bytesWritten) bytes written by the server")
    }

    @Test("Given one operation over 1 MiB inside an answer within the page bound, when a device pulls, then it is refused as too large, naming the operation bound")
    func oversizedOperationIsRefused() async throws {
        let big = Self.op(0, padding: (1 << 20) + 10)
        let body = Array(#"{"cursor":1,"head":1,"more":false,"ops":["#.utf8) + big + Array("]}".utf8)
        let server = try HostileHTTPServer { _, send in
            _ = send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        }
        let client = SyncClient(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!, token: "t")
        do {
            _ = try await client.pull(after: 0)
            Issue.record("an operation over the bound was accepted")
        } catch {
            #expect(error.reason == .tooLarge && error.message.contains("operation larger than"), "\(error)")
        }
    }

    @Test("Given answers cut into odd chunks, with escapes and brackets inside strings, when parsed as they arrive, then the operations and envelope are those of a whole decode")
    func parserMatchesAWholeDecode() throws {
        let ops = (0..<40).map { i in
            UserOperation(hlc: HLCTimestamp(wallMs: 1_700_000_000_000 + Int64(i), counter: 0, device: "dev-x"), target: "p\(i)",
                          payload: .playlistRename(name: "a \"quoted\" [name] {\(i)} \\ é \u{1F3B5}"))
        }
        let whole = try JSONEncoder().encode(PullResponse(cursor: 40, head: 52, more: true, ops: ops))
        for size in [1, 7, 64, 4096] {
            var parser = PullStreamParser(maxOperationBytes: 1 << 20)
            var offset = 0
            while offset < whole.count {
                try parser.feed(whole[offset..<min(offset + size, whole.count)])
                offset += size
            }
            let parsed = try parser.finish()
            #expect(parsed == PullResponse(cursor: 40, head: 52, more: true, ops: ops))
        }
        var truncated = PullStreamParser(maxOperationBytes: 1 << 20)
        try truncated.feed(whole.prefix(whole.count - 3))
        #expect(throws: PullStreamParser.Failure.self) { try truncated.finish() }
    }
}
