import CCrypto

/// SHA-256 (FIPS 180-4), streaming, computed by OpenSSL's libcrypto.
///
/// libcrypto uses the CPU's SHA extensions where present (about 1.7 GB/s on this project's
/// machines against about 0.25 GB/s for the portable Swift implementation this replaced), and
/// hashing the first audio packets is a large share of probing a file. swift-crypto would add
/// minutes of BoringSSL build to every clean build; the system library costs nothing.
/// Checked against the FIPS test vectors in `SHA256Tests`.
///
/// A value owns one hashing context: it is meant to be used linearly (create, update, finalize),
/// not copied and updated in two places.
public struct SHA256: Sendable {
    private let context: Context

    /// Starts a new message.
    public init() { context = Context() }

    /// Adds bytes to the message.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) { return done }
        Array(bytes).withUnsafeBytes { update($0) }
    }

    /// Adds raw memory to the message (packet payloads, without a copy).
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        omni_sha256_update(&context.state, base, raw.count)
    }

    /// The 32-byte digest. Consumes the hasher's state.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { omni_sha256_final(&context.state, $0.baseAddress) }
        return digest
    }

    /// The digest of `bytes` in one call.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hex digits (content addresses of artwork files).
    public static func hexDigest<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in hash(bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Holds OpenSSL's SHA-256 state (a plain struct: nothing to free). Low-level SHA256_*
    /// rather than EVP: see Sources/CCrypto/shim.h (decision 0037).
    private final class Context: @unchecked Sendable {
        var state = omni_sha256_state()

        init() { omni_sha256_init(&state) }
    }
}
