#include "common/id.h"

#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "common/encoding.h"
#include "common/time.h"

namespace actledger {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string NewUuidV7() {
  // Monotonic within the process: the 48-bit millisecond field never goes
  // backwards, and the 12-bit rand_a field counts up within a millisecond.
  static std::atomic<uint64_t> last{0};
  UtcTime now = NowUtc();
  uint64_t ms = static_cast<uint64_t>(now.seconds) * 1000 +
                static_cast<uint64_t>(now.nanos / 1000000);
  uint64_t candidate = ms << 12;
  uint64_t prev = last.load();
  uint64_t next;
  do {
    next = candidate > prev ? candidate : prev + 1;
  } while (!last.compare_exchange_weak(prev, next));
  const uint64_t ts_ms = next >> 12;
  const uint16_t rand_a = static_cast<uint16_t>(next & 0xFFF);

  std::string b = RandomBytes(16);
  for (int i = 0; i < 6; ++i) {
    b[i] = static_cast<char>((ts_ms >> (40 - 8 * i)) & 0xFF);
  }
  b[6] = static_cast<char>(0x70 | (rand_a >> 8));
  b[7] = static_cast<char>(rand_a & 0xFF);
  b[8] = static_cast<char>((static_cast<uint8_t>(b[8]) & 0x3F) | 0x80);
  std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace actledger
