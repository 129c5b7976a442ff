#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdlib>

namespace actledger::crypto {

Digest Sha256(std::string_view data) {
  Digest out;
  unsigned int len = 0;
  int ok = EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(),
                      nullptr);
  // Hashing in memory cannot fail unless OpenSSL itself is broken.
  if (ok != 1 || len != out.size()) std::abort();
  return out;
}

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Hasher::Sha256Hasher() : impl_(new Impl) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr ||
      EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256Hasher::Update(std::string_view data) {
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) {
    std::abort();
  }
}

Digest Sha256Hasher::Final() {
  Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out.data(), &len) != 1) std::abort();
  return out;
}

}  // namespace actledger::crypto
