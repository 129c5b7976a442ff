#include "crypto/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace actledger::crypto {

// Defined in src/crypto/crc32c.cc; not part of the public header.
namespace crc32c_internal {
uint32_t Portable(const void* data, size_t n, uint32_t crc);
uint32_t Sse42(const void* data, size_t n, uint32_t crc);
bool HasSse42();
}  // namespace crc32c_internal

namespace {

// Bit-at-a-time CRC-32C straight from the definition: reflected polynomial
// 0x82F63B78, initial value and final XOR 0xFFFFFFFF.
uint32_t ReferenceCrc32c(const std::string& data, uint32_t crc = 0) {
  uint32_t c = ~crc;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1) ? 0x82F63B78 : 0);
  }
  return ~c;
}

uint32_t Crc(const std::string& s, uint32_t crc = 0) {
  return Crc32c(s.data(), s.size(), crc);
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(Crc("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
}

// RFC 3720 (iSCSI) appendix B.4.
TEST(Crc32c, Rfc3720Vectors) {
  std::string buf(32, '\0');
  EXPECT_EQ(Crc(buf), 0x8A9136AAu);
  buf.assign(32, '\xFF');
  EXPECT_EQ(Crc(buf), 0x62A8AB43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(Crc(buf), 0x46DD794Eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(Crc(buf), 0x113FDB5Cu);
}

TEST(Crc32c, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(1);
  std::string data = RandomBytes(rng, 1100);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; offset + n <= data.size(); n += (n < 80 ? 1 : 37)) {
      std::string piece = data.substr(offset, n);
      ASSERT_EQ(Crc32c(data.data() + offset, n), ReferenceCrc32c(piece))
          << "offset " << offset << " length " << n;
    }
  }
}

TEST(Crc32c, ContinuationEqualsCrcOfConcatenation) {
  std::mt19937_64 rng(2);
  for (int trial = 0; trial < 200; ++trial) {
    std::string a = RandomBytes(rng, rng() % 100);
    std::string b = RandomBytes(rng, rng() % 100);
    ASSERT_EQ(Crc(b, Crc(a)), Crc(a + b))
        << "lengths " << a.size() << " + " << b.size();
  }
  // Byte by byte, the way a streaming reader would.
  std::string s = RandomBytes(rng, 77);
  uint32_t crc = 0;
  for (char c : s) crc = Crc32c(&c, 1, crc);
  EXPECT_EQ(crc, Crc(s));
}

TEST(Crc32c, DetectsSingleBitFlips) {
  std::mt19937_64 rng(3);
  std::string s = RandomBytes(rng, 64);
  uint32_t original = Crc(s);
  for (size_t bit = 0; bit < s.size() * 8; ++bit) {
    std::string flipped = s;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(Crc(flipped), original) << "bit " << bit;
  }
}

TEST(Crc32cPortable, MatchesBitwiseReference) {
  std::mt19937_64 rng(4);
  for (size_t n = 0; n < 300; ++n) {
    std::string s = RandomBytes(rng, n);
    uint32_t seed = static_cast<uint32_t>(rng());
    ASSERT_EQ(crc32c_internal::Portable(s.data(), s.size(), seed),
              ReferenceCrc32c(s, seed))
        << "length " << n;
  }
}

TEST(Crc32cSse42, MatchesPortable) {
  if (!crc32c_internal::HasSse42()) GTEST_SKIP() << "CPU lacks SSE4.2";
  std::mt19937_64 rng(5);
  std::string data = RandomBytes(rng, 5000);
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; offset + n <= data.size(); n += (n < 64 ? 1 : 97)) {
      uint32_t seed = static_cast<uint32_t>(rng());
      const char* p = data.data() + offset;
      ASSERT_EQ(crc32c_internal::Sse42(p, n, seed),
                crc32c_internal::Portable(p, n, seed))
          << "offset " << offset << " length " << n;
    }
  }
}

}  // namespace
}  // namespace actledger::crypto
