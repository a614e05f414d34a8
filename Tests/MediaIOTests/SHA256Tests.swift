@testable import MediaIO
import Testing

@Suite("SHA-256 and base32")
struct SHA256Tests {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("The FIPS 180-2 test vectors hash to their published digests")
    func knownVectors() {
        // Given the three classic vectors, when hashed, then the digests are the published ones
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("Hashing in uneven pieces gives the same digest as hashing at once")
    func streamingMatchesOneShot() {
        // Given a million 'a's fed in pieces of odd sizes
        var hasher = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 997)
        var fed = 0
        while fed < 1_000_000 {
            let count = min(piece.count, 1_000_000 - fed)
            piece.prefix(count).withUnsafeBytes { hasher.update($0) }
            fed += count
        }
        // Then the digest is the FIPS "one million a" vector
        #expect(hex(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("Base32 follows RFC 4648 in lowercase without padding")
    func base32() {
        #expect(AudioIdentity.base32(Array("foobar".utf8)) == "mzxw6ytboi")
        #expect(AudioIdentity.base32(Array("f".utf8)) == "my")
        #expect(AudioIdentity.base32([UInt8](repeating: 0xFF, count: 16)).count == 26)
    }
}
