// Shared helpers for the ledger tests: temporary directories, record
// construction, raw file surgery on segment files.
#ifndef ACTLEDGER_TESTS_LEDGER_LEDGER_TEST_UTIL_H_
#define ACTLEDGER_TESTS_LEDGER_LEDGER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/record.h"
#include "gen/generator.h"
#include "storage/segment_log.h"

namespace actledger::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-ledger-test-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << templ;
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const {
    return path_ + "/" + std::string(name);
  }

 private:
  std::string path_;
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(out.good()) << "cannot write " << path;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

inline void AppendBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  ASSERT_TRUE(out.good()) << "cannot append to " << path;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good());
}

inline uint64_t FileSize(const std::string& path) {
  return std::filesystem::file_size(path);
}

// XORs one byte of a file with `mask`.
inline void FlipByte(const std::string& path, uint64_t offset,
                     uint8_t mask = 0x01) {
  std::string bytes = ReadBytes(path);
  ASSERT_LT(offset, bytes.size()) << path;
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  WriteBytes(path, bytes);
}

// A small, valid action record. `pad` adds that many bytes of label text.
inline std::string RecordLine(const std::string& id, size_t pad = 0) {
  std::string line = R"({"action_id":")" + id +
                     R"(","action":{"type":"payment.refund","system":"stripe",)"
                     R"("target":"ch_)" +
                     id + R"("})";
  if (pad > 0) line += R"(,"labels":{"pad":")" + std::string(pad, 'p') + "\"}";
  line += "}";
  return line;
}

inline AppendRequest Request(const std::string& line) {
  Result<ValidatedRecord> r = ValidateRecord(line, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " for " << line;
  return Ledger::Prepare(std::move(r).value());
}

inline AppendRequest SmallRequest(const std::string& id, size_t pad = 0) {
  return Request(RecordLine(id, pad));
}

// Appends `n` small records one batch at a time (batches of `batch`).
// Returns the receipts.
inline std::vector<Receipt> AppendSmall(Ledger& ledger, int n,
                                        const std::string& prefix = "a",
                                        int batch = 1, size_t pad = 0) {
  std::vector<Receipt> out;
  for (int i = 0; i < n;) {
    std::vector<AppendRequest> reqs;
    for (int k = 0; k < batch && i < n; ++k, ++i) {
      reqs.push_back(SmallRequest(prefix + std::to_string(i), pad));
    }
    Result<std::vector<Receipt>> r = ledger.Append(std::move(reqs), "test:u");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) break;
    out.insert(out.end(), r->begin(), r->end());
  }
  return out;
}

// Options with designated fields only (the rest default).
inline gen::Options GenOptions(uint64_t seed) {
  gen::Options o;
  o.seed = seed;
  return o;
}

inline LedgerOptions SegmentOptions(uint64_t max_segment_bytes,
                                    uint64_t checkpoint_every_records = 10000) {
  LedgerOptions o;
  o.max_segment_bytes = max_segment_bytes;
  o.checkpoint_every_records = checkpoint_every_records;
  return o;
}

inline std::unique_ptr<Ledger> MustOpen(const std::string& dir,
                                        const LedgerOptions& options = {}) {
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, options);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  if (!l.ok()) return nullptr;
  return std::move(l).value();
}

inline void MustInit(const std::string& dir,
                     const std::string& origin = "example.com/test") {
  InitOptions options;
  options.origin = origin;
  Status st = Ledger::Init(dir, options);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

// One frame of a segment file, as found on disk.
struct RawFrame {
  uint64_t seq = 0;
  uint64_t offset = 0;
  uint64_t size = 0;  // header + payload
  std::string payload;
};

// Parses a segment file (header + frames) strictly; stops at the first
// invalid frame.
inline std::vector<RawFrame> ParseSegment(const std::string& path) {
  std::string bytes = ReadBytes(path);
  std::vector<RawFrame> frames;
  uint64_t pos = storage::kSegmentHeaderSize;
  while (pos < bytes.size()) {
    storage::DecodedFrame f;
    if (storage::DecodeFrame(std::string_view(bytes).substr(pos), &f) !=
        storage::FrameStatus::kOk) {
      break;
    }
    frames.push_back(RawFrame{f.seq, pos, f.size, std::string(f.payload)});
    pos += f.size;
  }
  return frames;
}

inline std::string SegmentPath(const std::string& dir, uint64_t first_seq) {
  return dir + "/log/" + storage::SegmentFileName(first_seq);
}

inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".seg") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline bool Exists(const std::string& path) {
  return std::filesystem::exists(path);
}

inline std::string Describe(const VerifyReport& report) {
  std::ostringstream s;
  s << report.findings.size() << " finding(s), records=" << report.records;
  for (const VerifyFinding& f : report.findings) {
    s << "\n  [" << f.file << " offset=" << f.offset << " seq=" << f.seq << "] "
      << f.what;
  }
  return s.str();
}

inline VerifyReport MustVerify(const std::string& dir,
                               const VerifyOptions& options = {}) {
  Result<VerifyReport> r = VerifyLedger(dir, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return VerifyReport{};
  return std::move(r).value();
}

// True when some finding names `file` (and, when >= 0, `offset` and `seq`).
inline bool HasFinding(const VerifyReport& report, const std::string& file,
                       int64_t offset = -2, int64_t seq = -2) {
  for (const VerifyFinding& f : report.findings) {
    if (f.file != file) continue;
    if (offset != -2 && f.offset != offset) continue;
    if (seq != -2 && f.seq != seq) continue;
    return true;
  }
  return false;
}

inline bool AnyFindingMentions(const VerifyReport& report,
                               std::string_view text) {
  for (const VerifyFinding& f : report.findings) {
    if (f.what.find(text) != std::string::npos) return true;
  }
  return false;
}

// Parses a signed checkpoint note with the ledger's verifier key.
inline Checkpoint ParseNote(const std::string& verifier_key,
                            const std::string& note) {
  Result<NoteVerifier> v = NoteVerifier::FromVerifierKey(verifier_key);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok()) return {};
  Result<std::string> body = v->Open(note);
  EXPECT_TRUE(body.ok()) << body.status().ToString();
  if (!body.ok()) return {};
  Result<Checkpoint> cp = ParseCheckpoint(*body);
  EXPECT_TRUE(cp.ok()) << cp.status().ToString();
  if (!cp.ok()) return {};
  return *cp;
}

// Copies a directory tree (regular files and directories).
inline void CopyTree(const std::string& from, const std::string& to) {
  std::filesystem::copy(from, to,
                        std::filesystem::copy_options::recursive |
                            std::filesystem::copy_options::overwrite_existing);
}

}  // namespace actledger::testing

#endif  // ACTLEDGER_TESTS_LEDGER_LEDGER_TEST_UTIL_H_
