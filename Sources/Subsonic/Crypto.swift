import CCrypto
import Foundation

/// The little cryptography the door needs, through OpenSSL's EVP interface (libcrypto, already
/// linked for SHA-256 by MediaIO): MD5 for Subsonic's token (`t = md5(password + s)`, the
/// protocol's choice, not ours), SHA-256 to store API keys, AES-256-GCM to keep the password
/// encrypted at rest. Synchronous; any thread.
enum Crypto {
    /// Lowercase hex of the MD5 of `bytes`.
    static func md5Hex(_ bytes: [UInt8]) -> String { hex(digest(bytes, EVP_md5())) }

    /// Lowercase hex of the SHA-256 of `bytes`.
    static func sha256Hex(_ bytes: [UInt8]) -> String { hex(digest(bytes, EVP_sha256())) }

    static func digest(_ bytes: [UInt8], _ type: OpaquePointer?) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, type, nil)
        }
        precondition(ok == 1, "EVP_Digest failed")
        return Array(out.prefix(Int(length)))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `count` bytes from the system's random source (`getrandom`).
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// AES-256-GCM: a fresh 12-byte nonce, then the ciphertext, then the 16-byte tag.
    static func seal(_ plain: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard key.count == 32, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let nonce = randomBytes(12)
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: plain.count + 16)
        var length: Int32 = 0
        if !plain.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &length, plain, Int32(plain.count)) == 1 else { return nil }
        }
        var total = Int(length)
        guard out.withUnsafeMutableBufferPointer({ p in EVP_EncryptFinal_ex(ctx, p.baseAddress! + total, &length) }) == 1 else { return nil }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { return nil }
        return nonce + out.prefix(total) + tag
    }

    /// The plain text of `sealed` (from `seal`), or nil when the key is wrong or the bytes were changed.
    static func open(_ sealed: [UInt8], key: [UInt8]) -> [UInt8]? {
        guard key.count == 32, sealed.count >= 28, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let nonce = Array(sealed.prefix(12))
        let cipher = Array(sealed[12..<(sealed.count - 16)])
        var tag = Array(sealed.suffix(16))
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: cipher.count + 16)
        var length: Int32 = 0
        if !cipher.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &length, cipher, Int32(cipher.count)) == 1 else { return nil }
        }
        var total = Int(length)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tag) == 1 else { return nil }
        guard out.withUnsafeMutableBufferPointer({ p in EVP_DecryptFinal_ex(ctx, p.baseAddress! + total, &length) }) == 1 else { return nil }
        total += Int(length)
        return Array(out.prefix(total))
    }

    /// True when `a` and `b` are equal, in a time that does not depend on where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<min(x.count, y.count) { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
