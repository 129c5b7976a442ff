// CRC-32C (Castagnoli), as used by the segment framing. Uses the SSE4.2
// instruction when the CPU has it, a table otherwise; both give one answer.
#ifndef ACTLEDGER_CRYPTO_CRC32C_H_
#define ACTLEDGER_CRYPTO_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace actledger::crypto {

// CRC-32C of data[0, n), continuing from `crc` (0 to start).
// Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace actledger::crypto

#endif  // ACTLEDGER_CRYPTO_CRC32C_H_
