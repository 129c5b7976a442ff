// Ed25519 signatures (RFC 8032, OpenSSL adapter).
#ifndef ACTLEDGER_CRYPTO_ED25519_H_
#define ACTLEDGER_CRYPTO_ED25519_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "actledger/status.h"

namespace actledger::crypto {

using Ed25519Seed = std::array<uint8_t, 32>;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

struct Ed25519KeyPair {
  Ed25519Seed seed;  // the RFC 8032 private key
  Ed25519PublicKey public_key;
};

// A new key from the OS's CSPRNG. Errors: kInternal.
Result<Ed25519KeyPair> GenerateEd25519();
// Derives the public key. Errors: kInternal.
Result<Ed25519KeyPair> Ed25519FromSeed(const Ed25519Seed& seed);
// Deterministic (RFC 8032). Errors: kInternal.
Result<Ed25519Signature> Ed25519Sign(const Ed25519KeyPair& key,
                                     std::string_view message);
bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   const Ed25519Signature& signature);

}  // namespace actledger::crypto

#endif  // ACTLEDGER_CRYPTO_ED25519_H_
