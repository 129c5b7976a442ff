#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/encoding.h"

namespace actledger::crypto {
namespace {

template <size_t N>
std::array<uint8_t, N> FromHex(std::string_view hex) {
  Result<std::string> bytes = HexDecode(hex);
  std::array<uint8_t, N> out{};
  EXPECT_TRUE(bytes.ok()) << hex;
  EXPECT_EQ(bytes->size(), N) << hex;
  if (bytes.ok() && bytes->size() == N) {
    std::copy(bytes->begin(), bytes->end(), out.begin());
  }
  return out;
}

std::string BytesFromHex(std::string_view hex) {
  Result<std::string> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : std::string();
}

// RFC 8032 section 7.1, TEST 1 to TEST 3.
struct Rfc8032Vector {
  const char* name;
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

constexpr Rfc8032Vector kRfc8032Vectors[] = {
    {"TEST 1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"TEST 2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"TEST 3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519, FromSeedDerivesRfc8032PublicKeys) {
  for (const Rfc8032Vector& v : kRfc8032Vectors) {
    SCOPED_TRACE(v.name);
    Result<Ed25519KeyPair> key = Ed25519FromSeed(FromHex<32>(v.seed));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->seed, FromHex<32>(v.seed));
    EXPECT_EQ(key->public_key, FromHex<32>(v.public_key));
  }
}

TEST(Ed25519, SignProducesRfc8032Signatures) {
  for (const Rfc8032Vector& v : kRfc8032Vectors) {
    SCOPED_TRACE(v.name);
    Result<Ed25519KeyPair> key = Ed25519FromSeed(FromHex<32>(v.seed));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    Result<Ed25519Signature> sig = Ed25519Sign(*key, BytesFromHex(v.message));
    ASSERT_TRUE(sig.ok()) << sig.status().ToString();
    EXPECT_EQ(*sig, FromHex<64>(v.signature));
  }
}

TEST(Ed25519, VerifyAcceptsRfc8032Signatures) {
  for (const Rfc8032Vector& v : kRfc8032Vectors) {
    SCOPED_TRACE(v.name);
    EXPECT_TRUE(Ed25519Verify(FromHex<32>(v.public_key),
                              BytesFromHex(v.message),
                              FromHex<64>(v.signature)));
  }
}

TEST(Ed25519, VerifyRejectsEveryFlippedSignatureBit) {
  const Rfc8032Vector& v = kRfc8032Vectors[2];
  const Ed25519PublicKey key = FromHex<32>(v.public_key);
  const std::string message = BytesFromHex(v.message);
  const Ed25519Signature good = FromHex<64>(v.signature);
  for (size_t bit = 0; bit < good.size() * 8; ++bit) {
    Ed25519Signature bad = good;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(Ed25519Verify(key, message, bad)) << "bit " << bit;
  }
}

TEST(Ed25519, VerifyRejectsAlteredMessage) {
  const Rfc8032Vector& v = kRfc8032Vectors[2];
  EXPECT_FALSE(Ed25519Verify(FromHex<32>(v.public_key), BytesFromHex("af83"),
                             FromHex<64>(v.signature)));
  EXPECT_FALSE(Ed25519Verify(FromHex<32>(v.public_key), BytesFromHex("af"),
                             FromHex<64>(v.signature)));
}

TEST(Ed25519, VerifyRejectsSignatureUnderAnotherKey) {
  // TEST 2's signature checked against TEST 3's key.
  EXPECT_FALSE(Ed25519Verify(FromHex<32>(kRfc8032Vectors[2].public_key),
                             BytesFromHex(kRfc8032Vectors[1].message),
                             FromHex<64>(kRfc8032Vectors[1].signature)));
}

TEST(Ed25519, VerifyRejectsNonCanonicalScalar) {
  // S + L (the group order) verifies under a lax implementation; RFC 8032
  // section 5.1.7 requires rejecting S >= L, which closes signature
  // malleability.
  constexpr std::array<uint8_t, 32> kOrder = {
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
      0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};
  const Rfc8032Vector& v = kRfc8032Vectors[0];
  Ed25519Signature sig = FromHex<64>(v.signature);
  unsigned carry = 0;
  for (size_t i = 0; i < kOrder.size(); ++i) {
    const unsigned sum = sig[32 + i] + kOrder[i] + carry;
    sig[32 + i] = static_cast<uint8_t>(sum);
    carry = sum >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_FALSE(Ed25519Verify(FromHex<32>(v.public_key), "", sig));
}

TEST(Ed25519, GenerateProducesDistinctWorkingKeys) {
  Result<Ed25519KeyPair> a = GenerateEd25519();
  Result<Ed25519KeyPair> b = GenerateEd25519();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(a->seed, b->seed);
  EXPECT_NE(a->public_key, b->public_key);

  Result<Ed25519KeyPair> rederived = Ed25519FromSeed(a->seed);
  ASSERT_TRUE(rederived.ok());
  EXPECT_EQ(rederived->public_key, a->public_key);

  Result<Ed25519Signature> sig = Ed25519Sign(*a, "a message");
  ASSERT_TRUE(sig.ok()) << sig.status().ToString();
  EXPECT_TRUE(Ed25519Verify(a->public_key, "a message", *sig));
  EXPECT_FALSE(Ed25519Verify(b->public_key, "a message", *sig));
}

TEST(Ed25519, SignIsDeterministic) {
  Result<Ed25519KeyPair> key = GenerateEd25519();
  ASSERT_TRUE(key.ok());
  Result<Ed25519Signature> first = Ed25519Sign(*key, "same message");
  Result<Ed25519Signature> second = Ed25519Sign(*key, "same message");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

}  // namespace
}  // namespace actledger::crypto
