// The OpenSSL primitives the key store and field encryption use, behind
// one adapter (the only file of the module that includes OpenSSL headers).
#ifndef ACTLEDGER_KEYSTORE_PRIMITIVES_H_
#define ACTLEDGER_KEYSTORE_PRIMITIVES_H_

#include <string>
#include <string_view>

#include "actledger/status.h"

namespace actledger::keystore::internal {

constexpr size_t kIvBytes = 12;   // AES-GCM nonce
constexpr size_t kTagBytes = 16;  // AES-GCM tag

// `n` bytes from OpenSSL's CSPRNG. kInternal when it fails (no entropy).
Result<std::string> RandBytes(size_t n);
// HKDF-SHA-256 (RFC 5869) with an empty salt: 32 bytes for `info`.
std::string HkdfSha256(std::string_view ikm, std::string_view info);
// HMAC-SHA-256, 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// AES-256-GCM: ciphertext || 16-byte tag. Preconditions: 32-byte key,
// 12-byte iv.
std::string SealGcm(std::string_view key, std::string_view iv,
                    std::string_view aad, std::string_view plaintext);
// The plaintext, or kDataLoss when the tag does not authenticate
// (wrong key, changed ciphertext, iv or aad).
Result<std::string> OpenGcm(std::string_view key, std::string_view iv,
                            std::string_view aad, std::string_view sealed);
// Overwrites `s`'s bytes so that no copy of a secret lingers in memory.
void Wipe(std::string* s);

}  // namespace actledger::keystore::internal

#endif  // ACTLEDGER_KEYSTORE_PRIMITIVES_H_
