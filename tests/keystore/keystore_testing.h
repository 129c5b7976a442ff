// Shared by the key store suites: temporary directories, raw file access,
// and an independent implementation of the documented key derivations and
// the AES-256-GCM wrap, written against OpenSSL's other APIs so that the
// suites do not check the code against itself.
#ifndef ACTLEDGER_TESTS_KEYSTORE_KEYSTORE_TESTING_H_
#define ACTLEDGER_TESTS_KEYSTORE_KEYSTORE_TESTING_H_

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace actledger::keystore_testing {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void Spit(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every regular file under `dir` whose raw bytes contain `needle`.
inline std::vector<std::string> FilesContaining(const std::string& dir,
                                                std::string_view needle) {
  std::vector<std::string> hits;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (Slurp(e.path().string()).find(needle) != std::string::npos) {
      hits.push_back(e.path().string());
    }
  }
  return hits;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/actledger-keystore-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// HKDF-SHA-256 with an empty salt, through the EVP_PKEY interface.
inline std::string Hkdf(std::string_view ikm, std::string_view info) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  std::string out(32, '\0');
  size_t len = out.size();
  EXPECT_EQ(EVP_PKEY_derive_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()), 1);
  EXPECT_EQ(EVP_PKEY_CTX_set1_hkdf_key(
                ctx, reinterpret_cast<const unsigned char*>(ikm.data()),
                static_cast<int>(ikm.size())),
            1);
  EXPECT_EQ(EVP_PKEY_CTX_add1_hkdf_info(
                ctx, reinterpret_cast<const unsigned char*>(info.data()),
                static_cast<int>(info.size())),
            1);
  EXPECT_EQ(
      EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), &len),
      1);
  EVP_PKEY_CTX_free(ctx);
  return out;
}

inline std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

inline std::string Hex(std::string_view bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// AES-256-GCM decryption of ciphertext||tag; "" with *ok false on failure.
inline std::string GcmOpen(std::string_view key, std::string_view iv,
                           std::string_view aad, std::string_view sealed,
                           bool* ok) {
  *ok = false;
  if (sealed.size() < 16) return "";
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  std::string out(sealed.size() - 16, '\0');
  int len = 0;
  auto u = [](std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
  };
  std::string tag(sealed.substr(sealed.size() - 16));
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                      nullptr);
  EVP_DecryptInit_ex(ctx, nullptr, nullptr, u(key), u(iv));
  EVP_DecryptUpdate(ctx, nullptr, &len, u(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                    u(sealed), static_cast<int>(sealed.size() - 16));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data());
  *ok = EVP_DecryptFinal_ex(
            ctx, reinterpret_cast<unsigned char*>(out.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  return *ok ? out : "";
}

}  // namespace actledger::keystore_testing

#endif  // ACTLEDGER_TESTS_KEYSTORE_KEYSTORE_TESTING_H_
