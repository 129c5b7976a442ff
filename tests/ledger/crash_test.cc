// Crash safety: a writer process killed at a random instant loses no
// acknowledged record, and a torn tail is cut and reported on open.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::Describe;
using ::actledger::testing::Exists;
using ::actledger::testing::FileSize;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ReadBytes;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;

// One acknowledged record, as the child reports it through the pipe (one
// write() of less than PIPE_BUF bytes, so it arrives whole or not at all).
struct Ack {
  uint64_t seq;
  uint8_t leaf[32];
};
static_assert(sizeof(Ack) == 40);

LedgerOptions ChildOptions() {
  LedgerOptions o = testing::SegmentOptions(128 << 10, 97);
  o.checkpoint_every_seconds = 1;
  return o;
}
const LedgerOptions kChildOptions = ChildOptions();

// The child: appends from several threads until killed. Only returns via
// _exit.
[[noreturn]] void RunAppender(const std::string& dir, int fd, uint64_t seed) {
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, kChildOptions);
  if (!l.ok()) {
    std::fprintf(stderr, "child: open: %s\n", l.status().ToString().c_str());
    ::_exit(3);
  }
  Ledger* ledger = l->get();
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      gen::Generator g(
          testing::GenOptions(seed * 16 + static_cast<uint64_t>(t)));
      std::mt19937 rng(static_cast<uint32_t>(seed * 16 + t));
      for (int i = 0; i < 400 && !failed.load(); ++i) {
        std::vector<AppendRequest> batch;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int k = 0; k < n; ++k) {
          batch.push_back(rng() % 2 == 0
                              ? testing::Request(g.NextLine())
                              : SmallRequest("c" + std::to_string(seed) + "-" +
                                             std::to_string(t) + "-" +
                                             std::to_string(i)));
        }
        Result<std::vector<Receipt>> r =
            ledger->Append(std::move(batch), "crash:child");
        if (!r.ok()) {
          std::fprintf(stderr, "child: append: %s\n",
                       r.status().ToString().c_str());
          failed = true;
          return;
        }
        for (const Receipt& rc : *r) {
          Ack ack{};
          ack.seq = rc.seq;
          std::memcpy(ack.leaf, rc.leaf_hash.data(), 32);
          if (::write(fd, &ack, sizeof(ack)) != sizeof(ack)) {
            failed = true;
            return;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ::_exit(failed.load() ? 4 : 0);
}

// Reads whole Acks from `fd` into `acks`; `partial` keeps a split message.
// Returns false at end of file.
bool ReadAcks(int fd, std::string* partial, std::map<uint64_t, Ack>* acks) {
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  partial->append(buf, static_cast<size_t>(n));
  while (partial->size() >= sizeof(Ack)) {
    Ack ack{};
    std::memcpy(&ack, partial->data(), sizeof(Ack));
    partial->erase(0, sizeof(Ack));
    (*acks)[ack.seq] = ack;
  }
  return true;
}

TEST(LedgerCrash, KilledWriterLosesNoAcknowledgedRecord) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  std::mt19937 rng(4242);
  std::map<uint64_t, Ack> acked;  // over all cycles
  uint64_t cuts = 0;
  uint64_t killed = 0;
  const auto start = std::chrono::steady_clock::now();
  constexpr int kCycles = 36;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      RunAppender(dir, fds[1], static_cast<uint64_t>(cycle) + 1);
    }
    ::close(fds[1]);
    // The kill comes at a random moment after the child's first
    // acknowledgement, so slow builds (sanitizers) still kill mid-append.
    std::string partial;
    std::map<uint64_t, Ack> cycle_acks;
    bool open = true;
    const auto first_ack_deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    // cppcheck-suppress knownConditionTrueFalse ; ReadAcks fills it
    while (open && cycle_acks.empty() &&
           std::chrono::steady_clock::now() < first_ack_deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, 100) > 0) {
        open = ReadAcks(fds[0], &partial, &cycle_acks);
      }
    }
    const auto delay = std::chrono::milliseconds(rng() % 150);
    const auto deadline = std::chrono::steady_clock::now() + delay;
    while (open) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        open = ReadAcks(fds[0], &partial, &cycle_acks);
      }
    }
    ::kill(pid, SIGKILL);
    while (ReadAcks(fds[0], &partial, &cycle_acks)) {
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      EXPECT_EQ(WTERMSIG(status), SIGKILL);
      ++killed;
    } else {
      ASSERT_TRUE(WIFEXITED(status));
      ASSERT_EQ(WEXITSTATUS(status), 0) << "the child appender failed";
    }
    for (const auto& [seq, ack] : cycle_acks) {
      EXPECT_EQ(acked.count(seq), 0u) << "seq " << seq << " acknowledged twice";
      acked[seq] = ack;
    }

    auto ledger = MustOpen(dir, kChildOptions);
    ASSERT_NE(ledger, nullptr);
    const RecoveryReport& rec = ledger->recovery();
    if (rec.tail_cut) {
      ++cuts;
      EXPECT_FALSE(rec.tail_segment.empty());
      // A kill right after a new segment file was created leaves it empty:
      // it is removed with zero bytes. Any other tear cuts bytes.
      if (rec.tail_reason.rfind("segment without a complete header", 0) != 0) {
        EXPECT_GT(rec.tail_bytes, 0u) << rec.tail_reason;
      }
    }
    EXPECT_EQ(rec.records, ledger->size());
    if (!acked.empty()) {
      ASSERT_GT(ledger->size(), acked.rbegin()->first)
          << "acknowledged records are missing";
    }
    for (const auto& [seq, ack] : cycle_acks) {
      merkle::Hash want;
      std::memcpy(want.data(), ack.leaf, 32);
      Result<std::string> b = ledger->Get(seq);
      ASSERT_TRUE(b.ok()) << "seq " << seq << ": " << b.status().ToString();
      EXPECT_EQ(merkle::HashLeaf(*b), want) << "seq " << seq;
      Result<merkle::Hash> leaf = ledger->LeafHash(seq);
      ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
      EXPECT_EQ(*leaf, want) << "seq " << seq;
    }
    ledger.reset();
    if (cycle % 4 == 3 || cycle + 1 == kCycles) {
      VerifyReport rep = MustVerify(dir);
      ASSERT_TRUE(rep.ok()) << Describe(rep);
      ASSERT_FALSE(Exists(dir + "/TAMPERED"));
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(50) &&
        cycle >= 29) {
      break;
    }
  }
  // Every acknowledgement of every cycle is still there at the end.
  auto ledger = MustOpen(dir, kChildOptions);
  ASSERT_NE(ledger, nullptr);
  for (const auto& [seq, ack] : acked) {
    merkle::Hash want;
    std::memcpy(want.data(), ack.leaf, 32);
    Result<merkle::Hash> leaf = ledger->LeafHash(seq);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    EXPECT_EQ(*leaf, want) << "seq " << seq;
  }
  EXPECT_GT(acked.size(), 0u);
  EXPECT_GT(killed, 0u);
  std::printf(
      "crash cycles: %zu acknowledged records, %llu kills, %llu "
      "tail cuts, final size %llu\n",
      acked.size(), static_cast<unsigned long long>(killed),
      static_cast<unsigned long long>(cuts),
      static_cast<unsigned long long>(ledger->size()));
}

// --- Torn tails -------------------------------------------------------------

class LedgerTornTail : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("data");
    MustInit(dir_);
    auto ledger = MustOpen(dir_);
    ASSERT_NE(ledger, nullptr);
    testing::AppendSmall(*ledger, 20, "torn", 3, 50);
    for (uint64_t i = 0; i < 20; ++i) stored_.push_back(*ledger->Get(i));
    ledger.reset();
    seg_ = testing::SegmentPath(dir_, 0);
    clean_size_ = FileSize(seg_);
  }

  // A complete frame for seq 20 holding a plausible record.
  std::string NextFrame() const {
    std::string payload = stored_[19];
    const size_t at = payload.find("\"seq\":19");
    EXPECT_NE(at, std::string::npos);
    payload.replace(at, 8, "\"seq\":20");
    std::string frame;
    storage::EncodeFrame(20, payload, &frame);
    return frame;
  }

  // Opens after the tear: the tear is cut and reported, nothing else moves.
  void ExpectCut(const std::string& segment, uint64_t offset, uint64_t bytes,
                 uint64_t records = 20) {
    auto ledger = MustOpen(dir_);
    ASSERT_NE(ledger, nullptr);
    const RecoveryReport& rec = ledger->recovery();
    EXPECT_TRUE(rec.tail_cut);
    EXPECT_EQ(rec.tail_segment, segment);
    EXPECT_EQ(rec.tail_offset, offset);
    EXPECT_EQ(rec.tail_bytes, bytes);
    EXPECT_FALSE(rec.tail_reason.empty());
    EXPECT_EQ(rec.records, records);
    ASSERT_EQ(ledger->size(), records);
    for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(*ledger->Get(i), stored_[i]);
    Result<std::vector<Receipt>> r =
        ledger->Append({SmallRequest("after-tear")}, "test:torn");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].seq, records);
    ledger.reset();
    VerifyReport rep = MustVerify(dir_);
    EXPECT_TRUE(rep.ok()) << Describe(rep);
    EXPECT_EQ(rep.records, records + 1);
    auto again = MustOpen(dir_);
    ASSERT_NE(again, nullptr);
    EXPECT_FALSE(again->recovery().tail_cut);
    EXPECT_EQ(again->size(), records + 1);
  }

  TempDir tmp_;
  std::string dir_;
  std::string seg_;
  uint64_t clean_size_ = 0;
  std::vector<std::string> stored_;
};

TEST_F(LedgerTornTail, GarbagePageIsCut) {
  std::mt19937 rng(7);
  std::string garbage(4096, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  testing::AppendBytes(seg_, garbage);
  ExpectCut(storage::SegmentFileName(0), clean_size_, 4096);
}

TEST_F(LedgerTornTail, ZeroPageIsCut) {
  testing::AppendBytes(seg_, std::string(4096, '\0'));
  ExpectCut(storage::SegmentFileName(0), clean_size_, 4096);
}

TEST_F(LedgerTornTail, TwoZeroPagesAreCut) {
  testing::AppendBytes(seg_, std::string(8192, '\0'));
  ExpectCut(storage::SegmentFileName(0), clean_size_, 8192);
}

TEST_F(LedgerTornTail, PartialFrameIsCut) {
  const std::string frame = NextFrame();
  testing::AppendBytes(seg_, frame.substr(0, frame.size() / 2));
  ExpectCut(storage::SegmentFileName(0), clean_size_, frame.size() / 2);
}

TEST_F(LedgerTornTail, FrameHeaderWithoutPayloadIsCut) {
  const std::string frame = NextFrame();
  testing::AppendBytes(seg_, frame.substr(0, storage::kFrameHeaderSize));
  ExpectCut(storage::SegmentFileName(0), clean_size_,
            storage::kFrameHeaderSize);
}

TEST_F(LedgerTornTail, CompleteFrameIsKeptAndPartialOneCut) {
  const std::string frame = NextFrame();
  testing::AppendBytes(seg_, frame + frame.substr(0, 30));
  ExpectCut(storage::SegmentFileName(0), clean_size_ + frame.size(), 30,
            /*records=*/21);
}

TEST_F(LedgerTornTail, FrameWithZeroedPayloadPageIsCut) {
  // The header reached the disk, the payload's page did not.
  std::string frame = NextFrame();
  std::fill(frame.begin() + storage::kFrameHeaderSize, frame.end(), '\0');
  testing::AppendBytes(seg_, frame);
  ExpectCut(storage::SegmentFileName(0), clean_size_, frame.size());
}

TEST_F(LedgerTornTail, NewSegmentWithTornHeaderIsRemoved) {
  const std::string next = testing::SegmentPath(dir_, 20);
  testing::WriteBytes(next, storage::EncodeSegmentHeader(20).substr(0, 10));
  {
    auto ledger = MustOpen(dir_);
    ASSERT_NE(ledger, nullptr);
    const RecoveryReport& rec = ledger->recovery();
    EXPECT_TRUE(rec.tail_cut);
    EXPECT_EQ(rec.tail_bytes, 10u);
    EXPECT_EQ(ledger->size(), 20u);
    EXPECT_FALSE(Exists(next));
    // Which file was removed is part of the report.
    EXPECT_THAT(rec.tail_segment,
                ::testing::HasSubstr(storage::SegmentFileName(20)));
  }
  VerifyReport rep = MustVerify(dir_);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
}

TEST_F(LedgerTornTail, NewSegmentWithGarbageAfterHeaderIsCut) {
  const std::string next = testing::SegmentPath(dir_, 20);
  testing::WriteBytes(
      next, storage::EncodeSegmentHeader(20) + std::string(4096, '\x5a'));
  ExpectCut(storage::SegmentFileName(20), storage::kSegmentHeaderSize, 4096);
}

}  // namespace
}  // namespace actledger
