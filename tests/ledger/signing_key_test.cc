// The signing key a writer opens with must be the ledger's own: a key put
// in its place (another ledger's, or a fresh one an operator made to
// re-sign a rewritten history) is refused before anything is written.
#include <gtest/gtest.h>

#include <string>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::AppendSmall;
using ::actledger::testing::Describe;
using ::actledger::testing::FileSize;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ReadBytes;
using ::actledger::testing::SegmentPath;
using ::actledger::testing::TempDir;
using ::actledger::testing::WriteBytes;

TEST(LedgerSigningKey, KeyOfAnotherLedgerIsRefusedAndNothingIsWritten) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  const std::string other = tmp.Sub("other");
  MustInit(dir, "example.com/ours");
  MustInit(other, "example.com/ours");
  {
    auto ledger = MustOpen(dir);
    ASSERT_NE(ledger, nullptr);
    ASSERT_EQ(AppendSmall(*ledger, 5, "k").size(), 5u);
    ASSERT_TRUE(ledger->Checkpoint().ok());
  }
  const std::string key = dir + "/keys/signing.key";
  const std::string own_key = ReadBytes(key);
  const std::string segment = SegmentPath(dir, 0);
  const std::string log_before = ReadBytes(segment);
  const uint64_t checkpoints_before = FileSize(dir + "/checkpoints");

  // Same origin, same key name: only the key itself differs.
  WriteBytes(key, ReadBytes(other + "/keys/signing.key"));
  Result<std::unique_ptr<Ledger>> opened = Ledger::Open(dir, {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied)
      << opened.status().ToString();
  EXPECT_NE(opened.status().message().find(key), std::string::npos)
      << opened.status().ToString();
  EXPECT_NE(opened.status().message().find("does not belong"),
            std::string::npos)
      << opened.status().ToString();
  EXPECT_EQ(ReadBytes(segment), log_before);
  EXPECT_EQ(FileSize(dir + "/checkpoints"), checkpoints_before);

  // Reading never needs the key; with the right one back, writing works.
  Result<std::unique_ptr<Ledger>> reader = Ledger::OpenForRead(dir);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), 5u);
  reader->reset();
  WriteBytes(key, own_key);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(AppendSmall(*ledger, 1, "again").size(), 1u);
  ledger.reset();
  const VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, 6u);
}

}  // namespace
}  // namespace actledger
