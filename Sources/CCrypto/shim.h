#ifndef OMNISONIC_CCRYPTO_SHIM_H
#define OMNISONIC_CCRYPTO_SHIM_H
// OpenSSL's libcrypto: SHA-256 for track identities and artwork addresses (OmniModel), and the
// EVP interface for Subsonic's MD5 and AES-GCM. Its SHA-256 uses the CPU's SHA extensions (about
// 1.7 GB/s here, several times a portable implementation), and hashing audio packets is a large
// part of probing a file.
//
// SHA-256 goes through OpenSSL's low-level SHA256_* functions, deprecated in OpenSSL 3 in favour
// of EVP but still exported (the same assembly underneath): EVP's first digest loads OpenSSL 3's
// provider machinery, 2 MiB of libcrypto's pages resident in every scanning daemon, and every
// EVP_DigestInit_ex repeats an algorithm fetch (decision 0037). Hence the suppressed warnings.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

/// A SHA-256 state (OpenSSL's SHA256_CTX) under a name that does not collide with the `SHA256`
/// one-shot function of <openssl/sha.h> or with OmniModel's `SHA256` type.
typedef SHA256_CTX omni_sha256_state;

static inline void omni_sha256_init(omni_sha256_state *state) { SHA256_Init(state); }
static inline void omni_sha256_update(omni_sha256_state *state, const void *data, size_t count) {
    SHA256_Update(state, data, count);
}
static inline void omni_sha256_final(omni_sha256_state *state, unsigned char *digest) { SHA256_Final(digest, state); }
#endif
