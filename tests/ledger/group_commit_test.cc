// Group commit under concurrent appenders, and segment rolling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::Describe;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ParseSegment;
using ::actledger::testing::SegmentFiles;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;

TEST(LedgerGroupCommit, ConcurrentAppendersGetDistinctContiguousSeqs) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir, testing::SegmentOptions(64ull << 20, 1000));
  ASSERT_NE(ledger, nullptr);
  constexpr int kThreads = 8;
  constexpr int kBatches = 200;
  std::mutex mu;
  std::vector<Receipt> all;
  std::atomic<int> failures{0};
  std::atomic<int> non_contiguous{0};
  // A reader running beside the appenders: whatever size() says is readable.
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::thread reader([&] {
    while (!done.load()) {
      const uint64_t n = ledger->size();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (n == 0) continue;
      Result<std::string> b = ledger->Get(n - 1);
      Result<merkle::Hash> leaf = ledger->LeafHash(n - 1);
      if (!b.ok() || !leaf.ok() || merkle::HashLeaf(*b) != *leaf) {
        ++reader_errors;
      }
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int b = 0; b < kBatches; ++b) {
        const int n = 1 + static_cast<int>(rng() % 3);
        std::vector<AppendRequest> batch;
        for (int i = 0; i < n; ++i) {
          batch.push_back(SmallRequest("t" + std::to_string(t) + "-" +
                                       std::to_string(b) + "-" +
                                       std::to_string(i)));
        }
        Result<std::vector<Receipt>> r =
            ledger->Append(std::move(batch), "thread:" + std::to_string(t));
        if (!r.ok() || r->size() != static_cast<size_t>(n)) {
          ++failures;
          continue;
        }
        for (size_t i = 1; i < r->size(); ++i) {
          if ((*r)[i].seq != (*r)[0].seq + i) ++non_contiguous;
        }
        std::lock_guard<std::mutex> lock(mu);
        all.insert(all.end(), r->begin(), r->end());
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(non_contiguous.load(), 0) << "a batch's seqs must be contiguous";
  EXPECT_EQ(reader_errors.load(), 0);
  ASSERT_EQ(ledger->size(), all.size());
  std::set<uint64_t> seqs;
  for (const Receipt& rc : all) {
    EXPECT_TRUE(seqs.insert(rc.seq).second) << "duplicate seq " << rc.seq;
    Result<std::string> b = ledger->Get(rc.seq);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(merkle::HashLeaf(*b), rc.leaf_hash) << rc.seq;
    EXPECT_EQ(std::string(FindTopLevelMember(*b, "action_id")),
              "\"" + rc.action_id + "\"");
  }
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(*seqs.begin(), 0u);
  EXPECT_EQ(*seqs.rbegin(), all.size() - 1);
  ledger.reset();
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, all.size());
  EXPECT_GE(rep.checkpoints, 1u);
}

TEST(LedgerGroupCommit, AppendAsyncCallbacksCarryReceipts) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int pending = 50;
  std::vector<uint64_t> seqs;
  for (int i = 0; i < 50; ++i) {
    std::vector<AppendRequest> batch;
    batch.push_back(SmallRequest("async" + std::to_string(i)));
    ledger->AppendAsync(std::move(batch), "t:a",
                        [&](Result<std::vector<Receipt>> r) {
                          std::lock_guard<std::mutex> lock(mu);
                          if (r.ok()) seqs.push_back((*r)[0].seq);
                          --pending;
                          cv.notify_all();
                        });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return pending == 0; });
  ASSERT_EQ(seqs.size(), 50u);
  // Requests are committed in submission order.
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i);
}

TEST(LedgerSegments, SmallSegmentsRollAndStayReadable) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  constexpr uint64_t kMax = 64 << 10;
  std::vector<std::string> stored;
  {
    auto ledger = MustOpen(dir, testing::SegmentOptions(kMax));
    ASSERT_NE(ledger, nullptr);
    gen::Generator g(testing::GenOptions(5));
    while (stored.size() < 400) {
      std::vector<AppendRequest> batch;
      std::vector<std::string> lines;
      for (int i = 0; i < 7; ++i) {
        batch.push_back(testing::Request(g.NextLine()));
      }
      Result<std::vector<Receipt>> r = ledger->Append(std::move(batch), "t:s");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const Receipt& rc : *r) {
        Result<std::string> b = ledger->Get(rc.seq);
        ASSERT_TRUE(b.ok()) << b.status().ToString();
        stored.push_back(*b);
      }
    }
  }
  std::vector<std::string> segs = SegmentFiles(dir);
  EXPECT_GE(segs.size(), 10u);
  uint64_t expected_seq = 0;
  for (const std::string& path : segs) {
    std::vector<testing::RawFrame> frames = ParseSegment(path);
    ASSERT_FALSE(frames.empty()) << path;
    // Named by its first record, within the size limit, frames contiguous.
    EXPECT_EQ(path, testing::SegmentPath(dir, frames.front().seq));
    EXPECT_EQ(frames.front().seq, expected_seq) << path;
    EXPECT_LE(testing::FileSize(path), kMax) << path;
    const testing::RawFrame& last = frames.back();
    EXPECT_EQ(last.offset + last.size, testing::FileSize(path)) << path;
    for (const testing::RawFrame& f : frames) {
      EXPECT_EQ(f.seq, expected_seq);
      ASSERT_LT(f.seq, stored.size());
      EXPECT_EQ(f.payload, stored[f.seq]);
      ++expected_seq;
    }
  }
  EXPECT_EQ(expected_seq, stored.size());

  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, stored.size());

  // Reopen (with a different limit) and keep going; Get works everywhere.
  auto ledger = MustOpen(dir, testing::SegmentOptions(32 << 10));
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->size(), stored.size());
  EXPECT_FALSE(ledger->recovery().tail_cut);
  for (uint64_t i = 0; i < stored.size(); ++i) {
    Result<std::string> b = ledger->Get(i);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(*b, stored[i]) << i;
  }
  gen::Generator g(testing::GenOptions(6));
  for (int k = 0; k < 30; ++k) {
    Result<std::vector<Receipt>> r =
        ledger->Append({testing::Request(g.NextLine())}, "t:s");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].seq, stored.size() + k);
  }
  Result<std::unique_ptr<Ledger>> reader = Ledger::OpenForRead(dir);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->size(), stored.size() + 30);
  for (uint64_t i = 0; i < stored.size(); i += 13) {
    EXPECT_EQ(*(*reader)->Get(i), stored[i]);
  }
  reader->reset();
  ledger.reset();
  rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, stored.size() + 30);
}

TEST(LedgerSegments, MissingMiddleSegmentIsReported) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  {
    auto ledger = MustOpen(dir, testing::SegmentOptions(4 << 10));
    ASSERT_NE(ledger, nullptr);
    testing::AppendSmall(*ledger, 120, "m", 4, 200);
  }
  std::vector<std::string> segs = SegmentFiles(dir);
  ASSERT_GE(segs.size(), 4u);
  const std::string victim = segs[1];
  const std::string saved = testing::ReadBytes(victim);
  const uint64_t victim_first = ParseSegment(victim).front().seq;
  ASSERT_EQ(std::remove(victim.c_str()), 0);
  VerifyReport rep = MustVerify(dir);
  ASSERT_FALSE(rep.ok());
  const std::string next =
      "log/" + std::filesystem::path(segs[2]).filename().string();
  EXPECT_TRUE(testing::HasFinding(rep, next, 0, victim_first)) << Describe(rep);
  EXPECT_TRUE(testing::Exists(dir + "/TAMPERED"));
  testing::WriteBytes(victim, saved);
  rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_FALSE(testing::Exists(dir + "/TAMPERED"));
}

}  // namespace
}  // namespace actledger
