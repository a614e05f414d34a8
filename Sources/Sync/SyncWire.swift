import Foundation
import Hummingbird
import OmniModel

// The wire protocol (HTTP/1.1, JSON; docs/decisions/0013-sync.md):
//
//   POST /v1/push            {"ops":[<UserOperation>...]}  → {"accepted":N,"duplicates":M,"head":S,"rejected":R}
//   GET  /v1/pull?after=C&limit=L&wait=W                   → {"cursor":C2,"head":S,"more":bool,"ops":[...]}
//
// Both need `Authorization: Bearer <device token>`; a push also says which library device id it
// writes under (`Omnisonic-Device`: a token writes under one, decision 0017). A pull with nothing after the cursor waits up
// to W seconds (≤ 30) for a push of the same user, then answers (possibly empty).

/// A batch of operations a device sends.
public struct PushRequest: Sendable, Codable, Equatable {
    public var ops: [UserOperation]
    public init(ops: [UserOperation]) { self.ops = ops }
}

/// The server's answer to a push.
public struct PushResponse: Sendable, Codable, Equatable {
    /// Operations appended to the stream.
    public var accepted: Int
    /// Operations the stream already had (a retried push): ignored.
    public var duplicates: Int
    /// The stream's last sequence number after the push.
    public var head: Int64
    /// Operations every replica would skip as invalid (decision 0007): dropped, not stored.
    public var rejected: Int
    public init(accepted: Int, duplicates: Int, head: Int64, rejected: Int = 0) {
        self.accepted = accepted
        self.duplicates = duplicates
        self.head = head
        self.rejected = rejected
    }
}

/// The server's answer to a pull.
public struct PullResponse: Sendable, Codable, Equatable {
    /// The sequence number of the last operation returned (the request's `after` when none).
    public var cursor: Int64
    /// The stream's last sequence number.
    public var head: Int64
    /// True when more operations follow `cursor` (ask again at once).
    public var more: Bool
    /// The operations after the request's cursor, in stream order.
    public var ops: [UserOperation]
    public init(cursor: Int64, head: Int64, more: Bool, ops: [UserOperation]) {
        self.cursor = cursor
        self.head = head
        self.more = more
        self.ops = ops
    }
}

/// One stored operation: its stream position and its JSON (as received, canonical encoding).
public struct StoredOperation: Sendable, Equatable {
    public var seq: Int64
    public var body: [UInt8]
    public init(seq: Int64, body: [UInt8]) {
        self.seq = seq
        self.body = body
    }
}

enum Wire {
    /// The canonical JSON of one operation (sorted keys): what the server stores and serves.
    static func encode(_ op: UserOperation, with encoder: JSONEncoder = canonicalEncoder()) throws -> [UInt8] {
        Array(try encoder.encode(op))
    }

    /// The encoder of `encode` (one per request: making one costs more than encoding an operation).
    static func canonicalEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// A pull answer written from the stored bodies without decoding them again, one
    /// operation at a time (each stored body is handed to the connection as it is, never
    /// concatenated into one buffer). The page itself is bounded in bytes by the storage read.
    static func pullResponse(cursor: Int64, head: Int64, more: Bool, ops: [StoredOperation]) -> Response {
        let opening = ByteBuffer(string: "{\"cursor\":\(cursor),\"head\":\(head),\"more\":\(more),\"ops\":[")
        let length = opening.readableBytes + ops.reduce(0) { $0 + $1.body.count } + max(ops.count - 1, 0) + 2
        let body = ResponseBody(contentLength: length) { writer in
            try await writer.write(opening)
            var batch = ByteBuffer()
            for (index, op) in ops.enumerated() {
                if index > 0 { batch.writeInteger(UInt8(ascii: ",")) }
                batch.writeBytes(op.body)
                // Small operations go out together; a page never sits in memory twice.
                if batch.readableBytes >= 64 << 10 {
                    try await writer.write(batch)
                    batch = ByteBuffer()
                }
            }
            batch.writeString("]}")
            try await writer.write(batch)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"], body: body)
    }
}
