// Verify beside a writer, made deterministic: the appends happen inside
// verify's progress callback, that is between two of its reads, so every
// run interleaves the same way. Regression test for the crash a soak run
// found (verify read past the size it had taken for a segment the writer
// was growing, then computed the length of a "torn tail" below zero).
//
// What verify checks, pinned here: the segments listed when it starts, each
// read up to the size it has when verify opens it; records appended after
// that are not read. The result is a prefix of the log whose root is the
// Merkle root of exactly those records.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/sha256.h"
#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::AppendSmall;
using ::actledger::testing::Describe;
using ::actledger::testing::Exists;
using ::actledger::testing::FileSize;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::SegmentFiles;
using ::actledger::testing::SegmentPath;
using ::actledger::testing::TempDir;

// RFC 6962 section 2.1, written out from the RFC with SHA-256 alone so the
// expected roots do not come from the code under test.
merkle::Hash ReferenceLeaf(std::string_view bytes) {
  std::string in(1, '\0');
  in.append(bytes);
  return crypto::Sha256(in);
}

merkle::Hash ReferenceRoot(const std::vector<merkle::Hash>& leaves,
                           size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  const merkle::Hash left = ReferenceRoot(leaves, begin, begin + k);
  const merkle::Hash right = ReferenceRoot(leaves, begin + k, end);
  std::string in(1, '\x01');
  in.append(reinterpret_cast<const char*>(left.data()), left.size());
  in.append(reinterpret_cast<const char*>(right.data()), right.size());
  return crypto::Sha256(in);
}

// The leaves of records [0, n) as stored (appends never change them).
std::vector<merkle::Hash> StoredLeaves(const Ledger& ledger, uint64_t n) {
  std::vector<merkle::Hash> leaves;
  for (uint64_t seq = 0; seq < n; ++seq) {
    Result<std::string> bytes = ledger.Get(seq);
    EXPECT_TRUE(bytes.ok())
        << "seq " << seq << ": " << bytes.status().ToString();
    if (!bytes.ok()) break;
    leaves.push_back(ReferenceLeaf(*bytes));
  }
  return leaves;
}

// The first seq of a segment, from its file name.
uint64_t FirstSeqOf(const std::string& segment_path) {
  return std::stoull(std::filesystem::path(segment_path).stem().string());
}

// Verify reads a segment in chunks of 8 MiB; records of 16 KB fill more
// than one chunk with a few hundred records.
constexpr size_t kBigPad = 16000;
constexpr int kRecordsPastOneChunk = 600;

TEST(LedgerVerifyConcurrent, AppendsBetweenChunkReadsAreNotRead) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir, testing::SegmentOptions(64ull << 20, 200));
  ASSERT_NE(ledger, nullptr);
  ASSERT_EQ(
      AppendSmall(*ledger, kRecordsPastOneChunk, "early", 50, kBigPad).size(),
      static_cast<size_t>(kRecordsPastOneChunk));
  const uint64_t start_records = ledger->size();
  const std::string segment = SegmentPath(dir, 0);
  ASSERT_EQ(SegmentFiles(dir).size(), 1u);
  const uint64_t start_bytes = FileSize(segment);
  ASSERT_GT(start_bytes, uint64_t{8} << 20) << "the segment must span chunks";

  bool appended_mid_segment = false;
  VerifyOptions options;
  options.progress = [&](uint64_t done, uint64_t total) {
    if (appended_mid_segment || done >= total) return;
    appended_mid_segment = true;
    // The file grows past where verify's next chunk would end if it read
    // a whole chunk instead of stopping at the size it took.
    const std::vector<Receipt> late =
        AppendSmall(*ledger, kRecordsPastOneChunk, "late", 50, kBigPad);
    EXPECT_EQ(late.size(), static_cast<size_t>(kRecordsPastOneChunk));
    EXPECT_GT(FileSize(segment),
              storage::kSegmentHeaderSize + done + (uint64_t{8} << 20));
  };
  const VerifyReport during = MustVerify(dir, options);
  ASSERT_TRUE(appended_mid_segment)
      << "verify never reported progress inside the segment";

  EXPECT_TRUE(during.ok()) << Describe(during);
  EXPECT_EQ(during.records, start_records);
  EXPECT_EQ(during.bytes, start_bytes - storage::kSegmentHeaderSize);
  EXPECT_EQ(during.torn_tail_bytes, 0u);
  EXPECT_GE(during.checkpoints, 1u);
  const uint64_t end_records = ledger->size();
  ASSERT_EQ(end_records, start_records + kRecordsPastOneChunk);
  const std::vector<merkle::Hash> leaves = StoredLeaves(*ledger, end_records);
  ASSERT_EQ(leaves.size(), end_records);
  EXPECT_EQ(during.root, ReferenceRoot(leaves, 0, start_records));
  EXPECT_FALSE(Exists(dir + "/" + kTamperedFile));

  // Nothing was damaged: the writer still appends, and a verify with no
  // writer in between sees every record.
  EXPECT_EQ(AppendSmall(*ledger, 1, "after").size(), 1u);
  const VerifyReport after = MustVerify(dir);
  EXPECT_TRUE(after.ok()) << Describe(after);
  EXPECT_EQ(after.records, end_records + 1);
  EXPECT_GT(after.checkpoints, during.checkpoints);
}

TEST(LedgerVerifyConcurrent, SegmentsRolledDuringVerifyEndAtAPrefix) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir, testing::SegmentOptions(16u << 10, 25));
  ASSERT_NE(ledger, nullptr);
  ASSERT_EQ(AppendSmall(*ledger, 50, "early", 5, 1000).size(), 50u);
  const uint64_t start_records = ledger->size();
  const size_t start_segments = SegmentFiles(dir).size();
  ASSERT_GE(start_segments, 3u);

  int appends = 0;
  VerifyOptions options;
  options.threads = 2;
  // Called once per segment (each is smaller than a chunk): every call
  // rolls at least one new segment, before verify opens the next one.
  options.progress = [&](uint64_t, uint64_t) {
    EXPECT_EQ(
        AppendSmall(*ledger, 20, "late" + std::to_string(appends), 5, 1000)
            .size(),
        20u);
    ++appends;
  };
  const VerifyReport during = MustVerify(dir, options);
  ASSERT_GE(appends, static_cast<int>(start_segments) - 1);

  // The segments listed at the start were all sealed by the time verify
  // opened them, so it read each whole and stopped where the first segment
  // it never listed begins.
  const std::vector<std::string> segments = SegmentFiles(dir);
  ASSERT_GT(segments.size(), start_segments);
  const uint64_t prefix = FirstSeqOf(segments[start_segments]);
  EXPECT_GT(prefix, start_records);
  uint64_t listed_bytes = 0;
  for (size_t i = 0; i < start_segments; ++i) {
    listed_bytes += FileSize(segments[i]) - storage::kSegmentHeaderSize;
  }
  EXPECT_TRUE(during.ok()) << Describe(during);
  EXPECT_EQ(during.records, prefix);
  EXPECT_EQ(during.bytes, listed_bytes);
  EXPECT_EQ(during.torn_tail_bytes, 0u);
  const std::vector<merkle::Hash> leaves = StoredLeaves(*ledger, prefix);
  ASSERT_EQ(leaves.size(), prefix);
  EXPECT_EQ(during.root, ReferenceRoot(leaves, 0, prefix));
  EXPECT_FALSE(Exists(dir + "/" + kTamperedFile));

  const VerifyReport after = MustVerify(dir);
  EXPECT_TRUE(after.ok()) << Describe(after);
  EXPECT_EQ(after.records, ledger->size());
}

}  // namespace
}  // namespace actledger
