#include "crypto/ed25519.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

namespace actledger::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// OpenSSL wants a non-null pointer even for an empty message; an empty
// std::string_view may carry nullptr.
const unsigned char* MessageBytes(std::string_view message) {
  static const unsigned char kEmpty = 0;
  return message.empty()
             ? &kEmpty
             : reinterpret_cast<const unsigned char*>(message.data());
}

PkeyPtr PrivateKeyFromSeed(const Ed25519Seed& seed) {
  return PkeyPtr(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              seed.data(), seed.size()));
}

}  // namespace

Result<Ed25519KeyPair> GenerateEd25519() {
  Ed25519Seed seed;
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return Internal("RAND_bytes failed to produce an Ed25519 seed");
  }
  Result<Ed25519KeyPair> key = Ed25519FromSeed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Result<Ed25519KeyPair> Ed25519FromSeed(const Ed25519Seed& seed) {
  PkeyPtr pkey = PrivateKeyFromSeed(seed);
  if (pkey == nullptr) return Internal("cannot load Ed25519 private key");
  Ed25519KeyPair key{};
  key.seed = seed;
  size_t len = key.public_key.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), key.public_key.data(), &len) !=
          1 ||
      len != key.public_key.size()) {
    return Internal("cannot derive Ed25519 public key");
  }
  return key;
}

Result<Ed25519Signature> Ed25519Sign(const Ed25519KeyPair& key,
                                     std::string_view message) {
  PkeyPtr pkey = PrivateKeyFromSeed(key.seed);
  if (pkey == nullptr) return Internal("cannot load Ed25519 private key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return Internal("EVP_MD_CTX_new failed");
  // Ed25519 is a one-shot scheme: no digest, and EVP_DigestSign only.
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) !=
      1) {
    return Internal("EVP_DigestSignInit failed for Ed25519");
  }
  Ed25519Signature signature;
  size_t len = signature.size();
  if (EVP_DigestSign(ctx.get(), signature.data(), &len, MessageBytes(message),
                     message.size()) != 1 ||
      len != signature.size()) {
    return Internal("Ed25519 signing failed");
  }
  return signature;
}

bool Ed25519Verify(const Ed25519PublicKey& key, std::string_view message,
                   const Ed25519Signature& signature) {
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           key.data(), key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = pkey != nullptr && ctx != nullptr &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                                 pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                             MessageBytes(message), message.size()) == 1;
  // A rejected signature is an expected outcome (hostile input), not an
  // error; leave nothing on the thread's OpenSSL error queue for an
  // unrelated later call to report.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace actledger::crypto
