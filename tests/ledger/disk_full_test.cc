// Running out of space: a failed append stores nothing, says why, and the
// same ledger appends again once space returns.
#include <errno.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_test_util.h"
#include "storage/file.h"

namespace actledger {
namespace {

using ::actledger::testing::Describe;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;

// A 1 MiB tmpfs mounted for the test's lifetime.
class SmallFs {
 public:
  explicit SmallFs(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path_);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=1m") == 0) {
      mounted_ = true;
    } else {
      error_ = storage::ErrnoText(errno);
    }
  }
  ~SmallFs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// Fills the file system holding `path` until a write fails with ENOSPC.
void FillUp(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // cppcheck-suppress resourceLeak ; returns only when the open failed
  ASSERT_GE(fd, 0) << storage::ErrnoText(errno);
  const std::string chunk(4096, 'f');
  int err = 0;
  while (true) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n < 0) {
      err = errno;
      break;
    }
  }
  ::close(fd);
  ASSERT_EQ(err, ENOSPC);
}

std::vector<AppendRequest> BigBatch(const std::string& prefix, int n) {
  std::vector<AppendRequest> batch;
  batch.reserve(n);
  for (int i = 0; i < n; ++i) {
    batch.push_back(SmallRequest(prefix + std::to_string(i), 1000));
  }
  return batch;
}

TEST(LedgerDiskFull, FailedAppendStoresNothingAndSpaceReturns) {
  TempDir tmp;
  const std::string mnt = tmp.Sub("mnt");
  SmallFs fs(mnt);
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount tmpfs: " << fs.error();
  const std::string dir = mnt + "/data";
  MustInit(dir);
  auto ledger = MustOpen(dir);
  ASSERT_NE(ledger, nullptr);
  std::vector<Receipt> ok = testing::AppendSmall(*ledger, 20, "before", 4);
  ASSERT_EQ(ok.size(), 20u);
  const std::string seg = testing::SegmentPath(dir, 0);
  const uint64_t seg_size = testing::FileSize(seg);

  FillUp(mnt + "/filler");
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<std::vector<Receipt>> r =
        ledger->Append(BigBatch("full" + std::to_string(attempt), 10), "t:f");
    ASSERT_FALSE(r.ok()) << "append succeeded on a full file system";
    EXPECT_EQ(r.status().code(), StatusCode::kIoError) << r.status().ToString();
    // strerror, not the ledger's ErrnoText: an independent reference. The
    // ledger's threads are idle between appends.
    EXPECT_THAT(r.status().message(),
                // NOLINTNEXTLINE(concurrency-mt-unsafe)
                ::testing::HasSubstr(std::strerror(ENOSPC)));
    EXPECT_EQ(ledger->size(), 20u);
    EXPECT_EQ(testing::FileSize(seg), seg_size) << "partial frames left";
  }
  for (const Receipt& rc : ok) {
    Result<std::string> b = ledger->Get(rc.seq);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(merkle::HashLeaf(*b), rc.leaf_hash);
  }

  std::filesystem::remove(mnt + "/filler");
  Result<std::vector<Receipt>> r = ledger->Append(BigBatch("later", 10), "t:f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->front().seq, 20u);
  EXPECT_EQ(ledger->size(), 30u);
  Result<std::string> note = ledger->Checkpoint();
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  ledger.reset();
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, 30u);
}

// Space runs out at whatever point it happens to: in the segment, a new
// segment, the tree files, positions or a checkpoint.
TEST(LedgerDiskFull, RunningOutAnywhereKeepsEveryAcknowledgedRecord) {
  TempDir tmp;
  const std::string mnt = tmp.Sub("mnt");
  SmallFs fs(mnt);
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount tmpfs: " << fs.error();
  const std::string dir = mnt + "/data";
  MustInit(dir);
  // Leave ~150 KiB to the ledger by parking the rest in a filler file.
  FillUp(mnt + "/filler");
  ASSERT_EQ(::truncate((mnt + "/filler").c_str(),
                       static_cast<off_t>(testing::FileSize(mnt + "/filler") -
                                          (150 << 10))),
            0);
  const LedgerOptions options = testing::SegmentOptions(16 << 10, 25);
  auto ledger = MustOpen(dir, options);
  ASSERT_NE(ledger, nullptr);
  std::vector<Receipt> acked;
  int failures = 0;
  for (int i = 0; i < 2000 && failures < 8; ++i) {
    const uint64_t before = ledger->size();
    Result<std::vector<Receipt>> r =
        ledger->Append(BigBatch("x" + std::to_string(i) + "-", 3), "t:f");
    if (r.ok()) {
      ASSERT_EQ(r->size(), 3u);
      EXPECT_EQ(r->front().seq, before);
      acked.insert(acked.end(), r->begin(), r->end());
    } else {
      ++failures;
      EXPECT_EQ(r.status().code(), StatusCode::kIoError)
          << r.status().ToString();
      EXPECT_EQ(ledger->size(), before) << r.status().ToString();
    }
  }
  ASSERT_GT(failures, 0) << "never ran out of space";
  ASSERT_GT(acked.size(), 0u);
  EXPECT_EQ(ledger->size(), acked.size());
  std::filesystem::remove(mnt + "/filler");
  for (int i = 0; i < 5; ++i) {
    Result<std::vector<Receipt>> r =
        ledger->Append(BigBatch("y" + std::to_string(i) + "-", 3), "t:f");
    ASSERT_TRUE(r.ok()) << "after space returned: " << r.status().ToString();
    EXPECT_EQ(r->front().seq, acked.size());
    acked.insert(acked.end(), r->begin(), r->end());
  }
  for (const Receipt& rc : acked) {
    Result<std::string> b = ledger->Get(rc.seq);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(merkle::HashLeaf(*b), rc.leaf_hash) << rc.seq;
  }
  ledger.reset();
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, acked.size());
  auto again = MustOpen(dir, options);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->size(), acked.size());
}

// The same with a file size limit instead of a small file system (works
// where mounting is not allowed): writes past the limit fail with EFBIG.
// Runs in a child so the limit does not leak into the test process.
std::string RlimitChild(const std::string& dir) {
  auto fail = [](const std::string& what, const Status& st) {
    return what + ": " + st.ToString();
  };
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, {});
  if (!l.ok()) return fail("open", l.status());
  Ledger& ledger = **l;
  std::vector<merkle::Hash> leaves;
  for (int i = 0; i < 20; ++i) {
    Result<std::vector<Receipt>> r =
        ledger.Append({SmallRequest("r" + std::to_string(i))}, "t:r");
    if (!r.ok()) return fail("append before the limit", r.status());
    leaves.push_back((*r)[0].leaf_hash);
  }
  const std::string seg = testing::SegmentPath(dir, 0);
  const uint64_t seg_size = testing::FileSize(seg);
  if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return "signal";
  rlimit lim{};
  if (::getrlimit(RLIMIT_FSIZE, &lim) != 0) return "getrlimit";
  rlimit small = lim;
  small.rlim_cur = seg_size + 2000;
  if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return "setrlimit";
  Result<std::vector<Receipt>> r = ledger.Append(BigBatch("big", 10), "t:r");
  if (r.ok()) return "append past the file size limit succeeded";
  if (r.status().code() != StatusCode::kIoError) {
    return fail("wrong code for EFBIG", r.status());
  }
  if (ledger.size() != 20) return "size changed by a failed append";
  if (testing::FileSize(seg) != seg_size) return "partial frames left";
  for (uint64_t i = 0; i < 20; ++i) {
    Result<std::string> b = ledger.Get(i);
    if (!b.ok() || merkle::HashLeaf(*b) != leaves[i]) return "record damaged";
  }
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return "setrlimit restore";
  r = ledger.Append(BigBatch("after", 10), "t:r");
  if (!r.ok()) return fail("append after raising the limit", r.status());
  if (r->front().seq != 20) return "wrong seq after recovery";
  return "";
}

// Runs `child` in a forked process (so a resource limit it sets stays
// there) and returns what it returned: "" when all went well, else what
// went wrong.
std::string RunInChild(const std::function<std::string()>& child) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe: " + storage::ErrnoText(errno);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return "fork: " + storage::ErrnoText(errno);
  if (pid == 0) {
    ::close(fds[0]);
    const std::string err = child();
    (void)!::write(fds[1], err.data(), err.size());
    ::_exit(err.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) {
    err.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (!WIFEXITED(status)) {
    return "child died, status " + std::to_string(status);
  }
  if (WEXITSTATUS(status) != 0 && err.empty()) return "child failed";
  return err;
}

TEST(LedgerDiskFull, FileSizeLimitFailsCleanlyAndRecovers) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  EXPECT_EQ(RunInChild([&] { return RlimitChild(dir); }), "");
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_EQ(rep.records, 30u);
}

// Concurrent appenders while the log's writes fail: the writer renders the
// next group while one is being written, so a failed write leaves a group
// already rendered with the seqs the failed one would have taken. Every
// failure must be the I/O error, and every acknowledged record exactly
// where its receipt says.
std::string ConcurrentRlimitChild(const std::string& dir) {
  Result<std::unique_ptr<Ledger>> l =
      Ledger::Open(dir, testing::SegmentOptions(1 << 20, 100000));
  if (!l.ok()) return "open: " + l.status().ToString();
  Ledger& ledger = **l;
  if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return "signal";
  rlimit lim{};
  if (::getrlimit(RLIMIT_FSIZE, &lim) != 0) return "getrlimit";
  rlimit small = lim;
  // The segment reaches this first: the derived files grow by 40 bytes a
  // record, the segment by over a kilobyte.
  small.rlim_cur = 48 << 10;
  if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return "setrlimit";
  std::mutex mu;
  std::vector<Receipt> acked;
  std::vector<std::string> errors;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200 && failures.load() < 24; ++i) {
        Result<std::vector<Receipt>> r = ledger.Append(
            BigBatch("c" + std::to_string(t) + "-" + std::to_string(i) + "-",
                     2),
            "t:f");
        std::lock_guard<std::mutex> lock(mu);
        if (!r.ok()) {
          ++failures;
          if (r.status().code() != StatusCode::kIoError) {
            errors.push_back("failure is not an I/O error: " +
                             r.status().ToString());
          }
          continue;
        }
        acked.insert(acked.end(), r->begin(), r->end());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  if (!errors.empty()) return errors.front();
  if (failures.load() == 0) return "never hit the file size limit";
  if (acked.size() != ledger.size()) {
    return std::to_string(acked.size()) + " records acknowledged, size " +
           std::to_string(ledger.size());
  }
  std::vector<bool> seen(acked.size(), false);
  for (const Receipt& rc : acked) {
    if (rc.seq >= seen.size() || seen[rc.seq]) {
      return "seq " + std::to_string(rc.seq) + " out of range or twice";
    }
    seen[rc.seq] = true;
    Result<std::string> b = ledger.Get(rc.seq);
    if (!b.ok())
      return "get " + std::to_string(rc.seq) + ": " + b.status().ToString();
    if (merkle::HashLeaf(*b) != rc.leaf_hash ||
        b->find("\"action_id\":\"" + rc.action_id + "\"") ==
            std::string::npos) {
      return "record " + std::to_string(rc.seq) + " is not its receipt's";
    }
  }
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return "setrlimit restore";
  Result<std::vector<Receipt>> r = ledger.Append(BigBatch("after-", 3), "t:f");
  if (!r.ok()) return "append after the limit: " + r.status().ToString();
  if (r->front().seq != acked.size()) return "wrong seq after recovery";
  return "";
}

TEST(LedgerDiskFull, ConcurrentAppendersAcrossFailedWritesKeepReceiptsExact) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  EXPECT_EQ(RunInChild([&] { return ConcurrentRlimitChild(dir); }), "");
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_GT(rep.records, 3u);
}

}  // namespace
}  // namespace actledger

namespace actledger {
namespace {

// The log write succeeds but a tree file cannot grow (the level-00 file is
// larger than any small segment, so a file size limit hits only it). The
// appends that follow fail until the limit is lifted; after that every
// acknowledged record must read back with its receipt's leaf hash, the tree
// must serve the right root, and verify must pass.
std::vector<std::string> DerivedFailureChild(const std::string& dir) {
  std::vector<std::string> errors;
  LedgerOptions options = testing::SegmentOptions(4 << 10, 0);
  options.checkpoint_every_seconds = 0;
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, options);
  if (!l.ok()) return {"open: " + l.status().ToString()};
  Ledger& ledger = **l;
  std::vector<merkle::Hash> leaves;
  for (int i = 0; i < 30; ++i) {
    std::vector<AppendRequest> batch;
    batch.reserve(10);
    for (int k = 0; k < 10; ++k) {
      batch.push_back(SmallRequest("d" + std::to_string(i * 10 + k)));
    }
    Result<std::vector<Receipt>> r = ledger.Append(std::move(batch), "t:d");
    if (!r.ok()) return {"append: " + r.status().ToString()};
    for (const Receipt& rc : *r) leaves.push_back(rc.leaf_hash);
  }
  const uint64_t level0 = testing::FileSize(dir + "/tree/level-00");
  if (level0 <= (4u << 10)) return {"level-00 is not the largest file"};
  if (::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return {"signal"};
  rlimit lim{};
  if (::getrlimit(RLIMIT_FSIZE, &lim) != 0) return {"getrlimit"};
  rlimit small = lim;
  small.rlim_cur = level0;
  if (::setrlimit(RLIMIT_FSIZE, &small) != 0) return {"setrlimit"};
  for (int i = 0; i < 3; ++i) {
    std::vector<AppendRequest> batch;
    batch.reserve(3);
    for (int k = 0; k < 3; ++k) {
      batch.push_back(SmallRequest("e" + std::to_string(i * 3 + k)));
    }
    const uint64_t before = ledger.size();
    Result<std::vector<Receipt>> r = ledger.Append(std::move(batch), "t:d");
    if (r.ok()) {
      for (const Receipt& rc : *r) leaves.push_back(rc.leaf_hash);
    } else if (ledger.size() != before) {
      errors.emplace_back("a failed append changed size()");
    }
  }
  // While the tree cannot grow, acknowledged records stay readable.
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    Result<std::string> b = ledger.Get(i);
    if (!b.ok()) {
      errors.push_back("during the outage Get(" + std::to_string(i) +
                       "): " + b.status().ToString());
      break;
    }
  }
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return {"setrlimit restore"};
  for (int i = 0; i < 3; ++i) {
    Result<std::vector<Receipt>> r =
        ledger.Append({SmallRequest("f" + std::to_string(i))}, "t:d");
    if (!r.ok()) {
      errors.push_back("append after the limit was lifted: " +
                       r.status().ToString());
      return errors;
    }
    leaves.push_back((*r)[0].leaf_hash);
  }
  if (ledger.size() != leaves.size()) errors.emplace_back("size mismatch");
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    Result<std::string> b = ledger.Get(i);
    Result<merkle::Hash> leaf = ledger.LeafHash(i);
    if (!b.ok() || merkle::HashLeaf(*b) != leaves[i] || !leaf.ok() ||
        *leaf != leaves[i]) {
      errors.push_back("after recovery, seq " + std::to_string(i) +
                       " does not read back with its receipt's leaf hash" +
                       (leaf.ok() ? "" : ": " + leaf.status().ToString()));
      break;
    }
  }
  merkle::CompactRange ref;
  for (const merkle::Hash& h : leaves) ref.Append(h);
  Result<merkle::Hash> root = ledger.Root(leaves.size());
  if (!root.ok() || *root != ref.Root()) {
    errors.emplace_back("after recovery, Root(size) is wrong");
  }
  return errors;
}

TEST(LedgerDiskFull, DerivedFileWriteFailureIsRepairedCorrectly) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    {
      for (const std::string& e : DerivedFailureChild(dir)) out += e + "\n";
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(out.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof(buf))) > 0;) {
    err.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died, status " << status;
  EXPECT_EQ(err, "");
  VerifyReport rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
}

}  // namespace
}  // namespace actledger
