// Power loss in the middle of a group commit, simulated on the segment
// files. The writer makes a group durable with one write and fdatasync per
// segment, and seals a full segment (synced) before it creates the next,
// so at a power cut every earlier write is on disk and only the last one
// is torn: it reached the disk up to some byte, and the file may be longer
// than that, the rest of its pages reading as zeros or as stale bytes. A
// segment file the group was creating may be missing altogether.
//
// For many random cuts: opening keeps every acknowledged record byte for
// byte, keeps exactly the in-flight records whose bytes all reached the
// disk, cuts and reports the rest, and the ledger then appends and
// verifies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::AppendSmall;
using ::actledger::testing::CopyTree;
using ::actledger::testing::Describe;
using ::actledger::testing::Exists;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ParseSegment;
using ::actledger::testing::RawFrame;
using ::actledger::testing::ReadBytes;
using ::actledger::testing::SegmentFiles;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;
using ::actledger::testing::WriteBytes;

constexpr uint64_t kPage = 4096;
constexpr int kAcked = 40;
constexpr int kInFlight = 40;
constexpr int kTrials = 80;

LedgerOptions Options() {
  // Segments of a few pages, so the in-flight group rolls into new files.
  return testing::SegmentOptions(16u << 10, 100000);
}

// One write of the in-flight group: bytes for `file` (a name under log/)
// at `offset`, in the order the writer issues them.
struct Write {
  std::string file;
  uint64_t offset = 0;
  std::string bytes;
  bool creates_file = false;
};

class LedgerPowerLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    acked_dir_ = tmp_.Sub("acked");
    MustInit(acked_dir_);
    {
      auto ledger = MustOpen(acked_dir_, Options());
      ASSERT_NE(ledger, nullptr);
      ASSERT_EQ(AppendSmall(*ledger, 25, "signed", 5, 300).size(), 25u);
      // A signed checkpoint below the acknowledged end: recovery may never
      // cut below it, and nothing here asks it to.
      ASSERT_TRUE(ledger->Checkpoint().ok());
      ASSERT_EQ(AppendSmall(*ledger, kAcked - 25, "acked", 3, 300).size(),
                static_cast<size_t>(kAcked - 25));
      for (uint64_t seq = 0; seq < kAcked; ++seq) {
        acked_.push_back(*ledger->Get(seq));
      }
    }
    // The in-flight group, written once for real to learn its bytes.
    full_dir_ = tmp_.Sub("full");
    CopyTree(acked_dir_, full_dir_);
    {
      auto ledger = MustOpen(full_dir_, Options());
      ASSERT_NE(ledger, nullptr);
      std::vector<AppendRequest> group;
      for (int i = 0; i < kInFlight; ++i) {
        group.push_back(SmallRequest("inflight" + std::to_string(i), 300));
      }
      ASSERT_TRUE(ledger->Append(std::move(group), "test:power").ok());
      for (uint64_t seq = kAcked; seq < kAcked + kInFlight; ++seq) {
        in_flight_.push_back(*ledger->Get(seq));
      }
    }
    std::set<std::string> acked_files;
    for (const std::string& path : SegmentFiles(acked_dir_)) {
      acked_files.insert(std::filesystem::path(path).filename().string());
    }
    for (const std::string& path : SegmentFiles(full_dir_)) {
      const std::string name = std::filesystem::path(path).filename().string();
      const std::string after = ReadBytes(path);
      full_[name] = after;
      if (acked_files.count(name) == 0) {
        writes_.push_back(Write{name, 0, after, true});
        continue;
      }
      const std::string before = ReadBytes(acked_dir_ + "/log/" + name);
      ASSERT_EQ(after.compare(0, before.size(), before), 0)
          << name << ": the group changed acknowledged bytes";
      if (after.size() > before.size()) {
        writes_.push_back(
            Write{name, before.size(), after.substr(before.size()), false});
      }
    }
    std::sort(writes_.begin(), writes_.end(),
              [](const Write& a, const Write& b) { return a.file < b.file; });
    ASSERT_GE(writes_.size(), 2u) << "the group must roll a segment";
  }

  TempDir tmp_;
  std::string acked_dir_;
  std::string full_dir_;
  std::vector<std::string> acked_;
  std::vector<std::string> in_flight_;
  std::map<std::string, std::string> full_;  // segment name -> bytes
  std::vector<Write> writes_;
};

TEST_F(LedgerPowerLoss, TornLastWriteKeepsAcknowledgedAndIntactRecords) {
  int files_missing = 0, zero_pages = 0, stale_pages = 0, cuts = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    std::mt19937 rng(static_cast<uint32_t>(9000 + trial));
    const std::string dir = tmp_.Sub("trial-" + std::to_string(trial));
    CopyTree(acked_dir_, dir);

    // Writes before the torn one are durable; later ones never happened.
    const size_t torn = rng() % writes_.size();
    for (size_t i = 0; i < torn; ++i) {
      const std::string path = dir + "/log/" + writes_[i].file;
      if (writes_[i].creates_file) {
        WriteBytes(path, writes_[i].bytes);
      } else {
        testing::AppendBytes(path, writes_[i].bytes);
      }
    }
    const Write& w = writes_[torn];
    const std::string path = dir + "/log/" + w.file;
    const uint64_t len = w.bytes.size();
    const uint64_t reached = rng() % (len + 1);
    uint64_t kept_len = reached + rng() % (len - reached + 1);
    // Sometimes not even a new file's directory entry survived.
    const bool missing = w.creates_file && rng() % 4 == 0;
    if (missing) {
      kept_len = 0;
      ++files_missing;
    } else {
      std::string tail = w.bytes.substr(0, reached);
      // Past the last byte that reached the disk, each page (aligned in
      // the file) reads as zeros or as stale bytes of an earlier use.
      uint64_t at = w.offset + reached;
      const uint64_t end = w.offset + kept_len;
      while (at < end) {
        const uint64_t page_end = std::min(end, (at / kPage + 1) * kPage);
        if (rng() % 2 == 0) {
          tail.append(page_end - at, '\0');
          ++zero_pages;
        } else {
          for (uint64_t k = at; k < page_end; ++k) {
            tail.push_back(static_cast<char>(rng()));
          }
          ++stale_pages;
        }
        at = page_end;
      }
      if (w.creates_file) {
        WriteBytes(path, tail);
      } else {
        testing::AppendBytes(path, tail);
      }
    }

    // What must survive, worked out from the bytes alone: the in-flight
    // frames, in order, up to the first one not wholly on disk.
    uint64_t survivors = 0;
    uint64_t damaged_bytes = 0;
    bool broken = false;
    for (const Write& x : writes_) {
      const std::string on_disk = Exists(dir + "/log/" + x.file)
                                      ? ReadBytes(dir + "/log/" + x.file)
                                      : std::string();
      const std::string& full = full_[x.file];
      uint64_t good_end = x.offset;
      bool header_lost = false;
      if (x.creates_file) {
        header_lost = on_disk.compare(0, storage::kSegmentHeaderSize, full, 0,
                                      storage::kSegmentHeaderSize) != 0;
        broken = broken || header_lost;
        good_end = storage::kSegmentHeaderSize;
      }
      for (const RawFrame& f : ParseSegment(full_dir_ + "/log/" + x.file)) {
        if (broken) break;
        if (f.seq < static_cast<uint64_t>(kAcked)) continue;
        if (on_disk.size() < f.offset + f.size ||
            on_disk.compare(f.offset, f.size, full, f.offset, f.size) != 0) {
          broken = true;
          break;
        }
        ++survivors;
        good_end = f.offset + f.size;
      }
      if (&x == &w) {
        const uint64_t file_end = w.offset + kept_len;
        // A new segment without its header is removed whole.
        damaged_bytes = header_lost ? on_disk.size() : file_end - good_end;
        break;
      }
    }

    auto ledger = MustOpen(dir, Options());
    ASSERT_NE(ledger, nullptr) << "open after a power cut failed";
    const RecoveryReport& rec = ledger->recovery();
    ASSERT_EQ(ledger->size(), kAcked + survivors);
    if (damaged_bytes > 0) {
      ++cuts;
      EXPECT_TRUE(rec.tail_cut);
      EXPECT_EQ(rec.tail_bytes, damaged_bytes);
      EXPECT_FALSE(rec.tail_reason.empty());
    }
    for (uint64_t seq = 0; seq < kAcked; ++seq) {
      ASSERT_EQ(*ledger->Get(seq), acked_[seq]) << "acknowledged seq " << seq;
    }
    for (uint64_t i = 0; i < survivors; ++i) {
      ASSERT_EQ(*ledger->Get(kAcked + i), in_flight_[i])
          << "in-flight seq " << kAcked + i;
    }
    Result<std::vector<Receipt>> next =
        ledger->Append({SmallRequest("after-power-cut")}, "test:power");
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_EQ((*next)[0].seq, kAcked + survivors);
    ledger.reset();
    const VerifyReport rep = MustVerify(dir);
    ASSERT_TRUE(rep.ok()) << Describe(rep);
    EXPECT_EQ(rep.records, kAcked + survivors + 1);
    EXPECT_EQ(rep.torn_tail_bytes, 0u);
    auto again = MustOpen(dir, Options());
    ASSERT_NE(again, nullptr);
    EXPECT_FALSE(again->recovery().tail_cut);
    std::filesystem::remove_all(dir);
  }
  // The seeds reach every kind of tear.
  EXPECT_GT(files_missing, 0);
  EXPECT_GT(zero_pages, 0);
  EXPECT_GT(stale_pages, 0);
  EXPECT_GT(cuts, kTrials / 2);
}

}  // namespace
}  // namespace actledger
