import Foundation
import OmniModel

/// Reads a pull answer (`{"cursor":C,"head":S,"more":b,"ops":[…]}`) as its bytes arrive, one
/// operation at a time, within byte bounds (decision 0017, "the client bounds what it accepts").
///
/// The answer is never held whole: each element of `ops` is collected alone (at most
/// `maxOperationBytes`), decoded as soon as its closing brace arrives, and its bytes dropped;
/// everything outside `ops` (the cursor, the head, `more`) is collected apart, at most
/// `maxEnvelopeBytes`. The caller counts the total and stops the transfer past its own bound.
///
/// A byte scanner, not a JSON parser: it only tracks strings (and their escapes) and nesting
/// depth to find where each operation ends; each operation and the envelope are then decoded by
/// `JSONDecoder`, which checks the JSON itself. Not thread-safe: one transfer feeds it in order.
struct PullStreamParser {
    enum Failure: Error, Equatable {
        /// One operation is longer than `maxOperationBytes`.
        case operationTooLarge(Int)
        /// The parts outside `ops` are longer than `maxEnvelopeBytes`.
        case envelopeTooLarge
        /// Not a pull answer (a stray byte between operations, unbalanced brackets, bad JSON).
        case malformed(String)
    }

    let maxOperationBytes: Int
    let maxEnvelopeBytes: Int

    /// The operations decoded so far, in order.
    private(set) var ops: [UserOperation] = []
    private var envelope: [UInt8] = []
    private var current: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Inside the `ops` array: `depth` is 2 between operations, more within one.
    private var inOps = false
    private let decoder = JSONDecoder()

    init(maxOperationBytes: Int, maxEnvelopeBytes: Int = 4096) {
        self.maxOperationBytes = maxOperationBytes
        self.maxEnvelopeBytes = maxEnvelopeBytes
    }

    /// Scans the next bytes of the answer, decoding every operation they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Failure) {
        for byte in bytes { try scan(byte) }
    }

    private mutating func scan(_ byte: UInt8) throws(Failure) {
        if inOps && depth >= 3 {
            // Inside an operation: collect, and decode when its object closes.
            current.append(byte)
            guard current.count <= maxOperationBytes else { throw .operationTooLarge(maxOperationBytes) }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                return
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 2 {
                    do {
                        ops.append(try decoder.decode(UserOperation.self, from: Data(current)))
                    } catch {
                        throw .malformed("operation \(ops.count + 1) cannot be read: \(error)")
                    }
                    current.removeAll(keepingCapacity: true)
                }
            default: break
            }
            return
        }
        if inOps {
            // Between operations (depth 2): separators, the next operation, or the array's end.
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"), UInt8(ascii: ","): return
            case UInt8(ascii: "{"):
                depth = 3
                current.append(byte)
            case UInt8(ascii: "]"):
                inOps = false
                depth = 1
                try keep(byte)
            default: throw .malformed("unexpected byte \(byte) between operations")
            }
            return
        }
        // The envelope.
        try keep(byte)
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            return
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"): depth += 1
        case UInt8(ascii: "["):
            depth += 1
            if depth == 2, isOpsKey() { inOps = true }
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 { throw .malformed("unbalanced brackets") }
        default: break
        }
    }

    private mutating func keep(_ byte: UInt8) throws(Failure) {
        envelope.append(byte)
        guard envelope.count <= maxEnvelopeBytes else { throw .envelopeTooLarge }
    }

    /// Whether the `[` just kept opens the value of the top-level key `ops`.
    private func isOpsKey() -> Bool {
        var end = envelope.count - 1 // before the `[`
        func skipSpace() { while end > 0, [0x20, 0x0A, 0x0D, 0x09].contains(envelope[end - 1]) { end -= 1 } }
        skipSpace()
        guard end > 0, envelope[end - 1] == UInt8(ascii: ":") else { return false }
        end -= 1
        skipSpace()
        let key = Array("\"ops\"".utf8)
        return end >= key.count && Array(envelope[(end - key.count)..<end]) == key
    }

    /// The answer once every byte is in: the envelope decoded, with the operations read.
    func finish() throws(Failure) -> PullResponse {
        guard depth == 0, !inOps, !inString else { throw .malformed("the answer ended early") }
        struct Envelope: Decodable { var cursor: Int64; var head: Int64; var more: Bool }
        let header: Envelope
        do {
            header = try decoder.decode(Envelope.self, from: Data(envelope))
        } catch {
            throw .malformed("\(error)")
        }
        return PullResponse(cursor: header.cursor, head: header.head, more: header.more, ops: ops)
    }
}
