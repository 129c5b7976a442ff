// SHA-256 (OpenSSL adapter).
#ifndef ACTLEDGER_CRYPTO_SHA256_H_
#define ACTLEDGER_CRYPTO_SHA256_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string_view>

namespace actledger::crypto {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view data);

// SHA-256 of the concatenation of `parts`, without concatenating them.
Digest Sha256Concat(std::initializer_list<std::string_view> parts);

// Incremental hashing: Update() any number of times, then Final() once.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(std::string_view data);
  Digest Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace actledger::crypto

#endif  // ACTLEDGER_CRYPTO_SHA256_H_
