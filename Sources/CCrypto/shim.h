#ifndef OMNISONIC_CCRYPTO_SHIM_H
#define OMNISONIC_CCRYPTO_SHIM_H
// OpenSSL's libcrypto, for SHA-256 only: its implementation uses the CPU's SHA extensions
// (about 1.7 GB/s here, several times a portable implementation), and hashing audio packets
// is a large part of probing a file. The EVP interface is the one OpenSSL 3 does not deprecate.
#include <openssl/evp.h>
#endif
