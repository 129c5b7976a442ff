// OpenSSL adapter for the key store (see primitives.h).
#include "keystore/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cassert>
#include <memory>

namespace actledger::keystore::internal {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

Result<std::string> RandBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) != 1) {
    return Internal("OpenSSL RAND_bytes failed: no randomness available");
  }
  return out;
}

std::string HkdfSha256(std::string_view ikm, std::string_view info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  assert(kdf != nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(32, '\0');
  const int ok = EVP_KDF_derive(
      ctx, reinterpret_cast<unsigned char*>(out.data()), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  assert(ok == 1);
  (void)ok;
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const unsigned char* r =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), U(data),
           data.size(), mac, &len);
  assert(r != nullptr && len == 32);
  (void)r;
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string SealGcm(std::string_view key, std::string_view iv,
                    std::string_view aad, std::string_view plaintext) {
  assert(key.size() == 32 && iv.size() == kIvBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string out(plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key),
                               U(iv)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), o, &len, U(plaintext),
                              static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), o + len, &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                                static_cast<int>(kTagBytes),
                                o + plaintext.size()) == 1;
  assert(ok);
  (void)ok;
  return out;
}

Result<std::string> OpenGcm(std::string_view key, std::string_view iv,
                            std::string_view aad, std::string_view sealed) {
  assert(key.size() == 32);
  if (iv.size() != kIvBytes || sealed.size() < kTagBytes) {
    return DataLoss("malformed ciphertext: iv of " + std::to_string(iv.size()) +
                    " bytes (want 12), " + std::to_string(sealed.size()) +
                    " bytes of ciphertext and tag (want at least 16)");
  }
  const size_t n = sealed.size() - kTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string out(n, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::string tag(sealed.substr(n));
  bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key),
                               U(iv)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), o, &len, U(sealed),
                              static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                static_cast<int>(kTagBytes), tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), o + len, &len) == 1;
  if (!ok) {
    Wipe(&out);
    return DataLoss(
        "AES-256-GCM authentication failed (wrong key, or the ciphertext, "
        "its iv or what it is bound to was changed)");
  }
  return out;
}

void Wipe(std::string* s) {
  if (!s->empty()) OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

}  // namespace actledger::keystore::internal
