#include "crypto/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace actledger::crypto {

// Not in the header: the two implementations, exposed so that tests can check
// they agree on the machine that runs them. Both take and return the
// finalized (bit-inverted) CRC, like Crc32c().
namespace crc32c_internal {
uint32_t Portable(const void* data, size_t n, uint32_t crc);
// Precondition: HasSse42().
uint32_t Sse42(const void* data, size_t n, uint32_t crc);
bool HasSse42();
}  // namespace crc32c_internal

namespace {

// CRC-32C polynomial 0x1EDC6F41, bit-reflected.
constexpr uint32_t kPoly = 0x82F63B78;

// Slicing-by-8 tables: kTables[0] is the classic byte table; kTables[k][b] is
// the CRC of byte b followed by k zero bytes, so eight table lookups advance
// the CRC over eight bytes at once.
constexpr std::array<std::array<uint32_t, 256>, 8> MakeTables() {
  std::array<std::array<uint32_t, 256>, 8> t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1) ? kPoly : 0);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    }
  }
  return t;
}

constexpr auto kTables = MakeTables();

inline uint32_t StepByte(uint32_t c, uint8_t byte) {
  return (c >> 8) ^ kTables[0][(c ^ byte) & 0xFF];
}

}  // namespace

namespace crc32c_internal {

uint32_t Portable(const void* data, size_t n, uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t c = ~crc;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n >= 8; n -= 8, p += 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      word ^= c;
      c = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
          kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
          kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
          kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    }
  }
  for (; n > 0; --n, ++p) c = StepByte(c, *p);
  return ~c;
}

#if defined(__x86_64__)

__attribute__((target("sse4.2"))) uint32_t Sse42(const void* data, size_t n,
                                                 uint32_t crc) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; n > 0; --n, ++p) c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

#else

uint32_t Sse42(const void* data, size_t n, uint32_t crc) {
  return Portable(data, n, crc);
}

bool HasSse42() { return false; }

#endif

}  // namespace crc32c_internal

uint32_t Crc32c(const void* data, size_t n, uint32_t crc) {
  if (crc32c_internal::HasSse42()) return crc32c_internal::Sse42(data, n, crc);
  return crc32c_internal::Portable(data, n, crc);
}

}  // namespace actledger::crypto
