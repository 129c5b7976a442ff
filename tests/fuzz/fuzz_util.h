// Helpers shared by the libFuzzer targets in this folder: a reader that
// turns the fuzzer's bytes into choices, and the check that turns a broken
// invariant into a crash libFuzzer records.
#ifndef ACTLEDGER_TESTS_FUZZ_FUZZ_UTIL_H_
#define ACTLEDGER_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace actledger::fuzz {

// Aborts with `what` (and an excerpt of `detail`) when `ok` is false.
inline void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\n", what);
  if (!detail.empty()) {
    const int shown =
        static_cast<int>(detail.size() < 2000 ? detail.size() : 2000);
    std::fprintf(stderr, "  detail: %.*s\n", shown, detail.data());
  }
  std::abort();
}

// Consumes the input from the front; once it runs out every value is zero,
// so any input is a valid script of choices.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(U8()) << (8 * i);
    return v;
  }
  // Up to `n` bytes (fewer at the end of the input).
  std::string_view Bytes(size_t n) {
    const size_t take = n < size_ - pos_ ? n : size_ - pos_;
    std::string_view out(reinterpret_cast<const char*>(data_ + pos_), take);
    pos_ += take;
    return out;
  }
  std::string_view Rest() { return Bytes(size_ - pos_); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace actledger::fuzz

#endif  // ACTLEDGER_TESTS_FUZZ_FUZZ_UTIL_H_
