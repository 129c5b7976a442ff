#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace actledger::crypto {
namespace {

std::string Hex(const Digest& d) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// FIPS 180-2 appendix B and the empty message.
TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(Hex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ConcatEqualsHashOfConcatenation) {
  const std::string a = "abcdbcdecdefdefgefghfghighij";
  const std::string b = "hijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256Concat({a, b}), Sha256(a + b));
  EXPECT_EQ(Sha256Concat({}), Sha256(""));
  EXPECT_EQ(Sha256Concat({"", "abc", ""}), Sha256("abc"));
}

TEST(Sha256, HasherEqualsOneShotAndIsIndependentOfOneShotCalls) {
  Sha256Hasher h;
  h.Update("abc");
  // One-shot hashing in between must not disturb an open hasher.
  EXPECT_EQ(Hex(Sha256("unrelated")),
            "c2703a7ddf6c74b39505339af20dd6dd4f0794720e038b78ba395600c72417d4");
  h.Update("def");
  EXPECT_EQ(h.Final(), Sha256("abcdef"));
}

// Each thread has its own one-shot context: hashing from many threads at
// once gives every thread the right answers.
TEST(Sha256, ConcurrentOneShotHashesAreCorrect) {
  std::vector<std::string> inputs;
  std::vector<Digest> expected;
  for (int i = 0; i < 64; ++i) {
    inputs.push_back(std::string(static_cast<size_t>(i) * 97, 'x') +
                     std::to_string(i));
    expected.push_back(Sha256(inputs.back()));
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          const std::string& in =
              inputs[(i + static_cast<size_t>(t)) % inputs.size()];
          const Digest& want =
              expected[(i + static_cast<size_t>(t)) % inputs.size()];
          const size_t cut = in.size() / 2;
          if (Sha256Concat({in.substr(0, cut), in.substr(cut)}) != want) {
            ++wrong[static_cast<size_t>(t)];
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace actledger::crypto
