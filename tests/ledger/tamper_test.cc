// Tamper evidence: every stored structure altered on disk is reported by
// VerifyLedger with the file (and offset / seq) it is in, the ledger refuses
// appends until the damage is repaired, and a passing verify clears that.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger_test_util.h"

namespace actledger {
namespace {

using ::actledger::testing::AnyFindingMentions;
using ::actledger::testing::AppendSmall;
using ::actledger::testing::Describe;
using ::actledger::testing::Exists;
using ::actledger::testing::FileSize;
using ::actledger::testing::FlipByte;
using ::actledger::testing::HasFinding;
using ::actledger::testing::MustInit;
using ::actledger::testing::MustOpen;
using ::actledger::testing::MustVerify;
using ::actledger::testing::ParseSegment;
using ::actledger::testing::RawFrame;
using ::actledger::testing::ReadBytes;
using ::actledger::testing::SmallRequest;
using ::actledger::testing::TempDir;
using ::actledger::testing::WriteBytes;
using ::testing::HasSubstr;

constexpr uint64_t kRecords = 40;
constexpr uint64_t kVictim = 27;  // past checkpoint #0 (size 20)

// A closed ledger of 40 records of varying size in one segment, with
// checkpoint #0 at size 20 and #1 at size 40.
class LedgerTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.Sub("data");
    MustInit(dir_);
    auto ledger = MustOpen(dir_);
    ASSERT_NE(ledger, nullptr);
    for (uint64_t i = 0; i < kRecords; ++i) {
      Result<std::vector<Receipt>> r = ledger->Append(
          {SmallRequest("t" + std::to_string(i), 10 + (i * 37) % 90)},
          "test:tamper");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (i + 1 == 20) {
        Result<std::string> note = ledger->Checkpoint();
        ASSERT_TRUE(note.ok()) << note.status().ToString();
      }
    }
    verifier_key_ = ledger->verifier_key();
    ledger.reset();
    seg_ = testing::SegmentPath(dir_, 0);
    seg_name_ = "log/" + storage::SegmentFileName(0);
    frames_ = ParseSegment(seg_);
    ASSERT_EQ(frames_.size(), kRecords);
    VerifyReport rep = MustVerify(dir_);
    ASSERT_TRUE(rep.ok()) << Describe(rep);
    ASSERT_EQ(rep.checkpoints, 2u);
  }

  // The ledger is marked tampered and refuses appends, whether Open itself
  // fails or the first Append does; the records stay as they were.
  void ExpectAppendsRefused() {
    EXPECT_TRUE(Exists(dir_ + "/TAMPERED"));
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
    if (!l.ok()) {
      EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
          << l.status().ToString();
      return;
    }
    const uint64_t before = (*l)->size();
    Result<std::vector<Receipt>> r =
        (*l)->Append({SmallRequest("after-tamper")}, "test:tamper");
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss)
        << (r.ok() ? std::string("append succeeded") : r.status().ToString());
    EXPECT_EQ((*l)->size(), before);
  }

  // After the original bytes are back, verify passes, removes the mark, and
  // the ledger accepts appends again.
  void ExpectRestoredLedgerWorks(uint64_t records = kRecords) {
    VerifyReport rep = MustVerify(dir_);
    EXPECT_TRUE(rep.ok()) << Describe(rep);
    EXPECT_EQ(rep.records, records);
    EXPECT_FALSE(Exists(dir_ + "/TAMPERED"));
    auto ledger = MustOpen(dir_);
    ASSERT_NE(ledger, nullptr);
    Result<std::vector<Receipt>> r =
        ledger->Append({SmallRequest("after-restore")}, "test:tamper");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].seq, records);
  }

  // Rewrites frame `i` of the segment with a new payload (valid CRC).
  void RewriteFrame(uint64_t i, const std::string& payload) {
    std::string bytes = ReadBytes(seg_);
    std::string frame;
    storage::EncodeFrame(frames_[i].seq, payload, &frame);
    bytes.replace(frames_[i].offset, frames_[i].size, frame);
    WriteBytes(seg_, bytes);
  }

  TempDir tmp_;
  std::string dir_;
  std::string seg_;
  std::string seg_name_;
  std::string verifier_key_;
  std::vector<RawFrame> frames_;
};

TEST_F(LedgerTamper, FlippedPayloadByteFailsTheFrameCrc) {
  const std::string original = ReadBytes(seg_);
  const RawFrame& f = frames_[kVictim];
  FlipByte(seg_, f.offset + storage::kFrameHeaderSize + f.payload.size() / 2);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_, static_cast<int64_t>(f.offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  EXPECT_TRUE(AnyFindingMentions(rep, "checksum")) << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, AlteredPayloadWithRecomputedCrcBreaksLeafAndCheckpoint) {
  const std::string original = ReadBytes(seg_);
  std::string payload = frames_[kVictim].payload;
  const size_t at = payload.find("\"ch_t");
  ASSERT_NE(at, std::string::npos);
  payload[at + 4] = 'X';  // "ch_t27" -> "ch_X27": still valid JSON
  RewriteFrame(kVictim, payload);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  // The altered record is named by seq; the stored leaf hash no longer
  // matches it.
  bool seq_named = false;
  for (const VerifyFinding& vf : rep.findings) {
    seq_named |= vf.seq == static_cast<int64_t>(kVictim);
  }
  EXPECT_TRUE(seq_named) << Describe(rep);
  EXPECT_TRUE(HasFinding(rep, "tree/level-00",
                         static_cast<int64_t>(kVictim * 32),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  // Checkpoint #1 covers it, #0 does not.
  EXPECT_TRUE(AnyFindingMentions(rep, "checkpoint #1")) << Describe(rep);
  EXPECT_FALSE(AnyFindingMentions(rep, "checkpoint #0")) << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

// The attacker rewrites the record and every derived tree file to match:
// only the signed checkpoint can tell, and it must.
TEST_F(LedgerTamper, AlteredPayloadWithRebuiltTreeFailsTheSignedCheckpoint) {
  const std::string original_seg = ReadBytes(seg_);
  std::string payload = frames_[kVictim].payload;
  const size_t at = payload.find("\"ch_t");
  ASSERT_NE(at, std::string::npos);
  payload[at + 4] = 'X';
  RewriteFrame(kVictim, payload);
  // Recompute every stored tree level from the altered leaves.
  std::vector<std::pair<std::string, std::string>> originals;
  std::vector<merkle::Hash> level;
  for (const RawFrame& f : ParseSegment(seg_)) {
    level.push_back(merkle::HashLeaf(f.payload));
  }
  ASSERT_EQ(level.size(), kRecords);
  for (int l = 0; !level.empty(); ++l) {
    char name[32];
    std::snprintf(name, sizeof(name), "/tree/level-%02d", l);
    const std::string path = dir_ + name;
    ASSERT_TRUE(Exists(path)) << path;
    originals.emplace_back(path, ReadBytes(path));
    std::string bytes;
    for (const merkle::Hash& h : level) {
      bytes.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    ASSERT_EQ(bytes.size(), originals.back().second.size()) << path;
    WriteBytes(path, bytes);
    std::vector<merkle::Hash> up;
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      up.push_back(merkle::HashChildren(level[i], level[i + 1]));
    }
    level = std::move(up);
  }
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(AnyFindingMentions(rep, "checkpoint #1")) << Describe(rep);
  EXPECT_FALSE(AnyFindingMentions(rep, "checkpoint #0")) << Describe(rep);
  // Opening must not accept the rewritten tree either.
  ExpectAppendsRefused();
  WriteBytes(seg_, original_seg);
  for (const auto& [path, bytes] : originals) WriteBytes(path, bytes);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedLengthHighByteIsAnInvalidFrame) {
  const std::string original = ReadBytes(seg_);
  const RawFrame& f = frames_[kVictim];
  FlipByte(seg_, f.offset + 7, 0x80);  // length += 2^31
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_, static_cast<int64_t>(f.offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedLengthLowByteIsReportedAtTheFrame) {
  const std::string original = ReadBytes(seg_);
  const RawFrame& f = frames_[kVictim];
  FlipByte(seg_, f.offset + 4, 0x01);  // length +-1
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_, static_cast<int64_t>(f.offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedSeqFieldIsReported) {
  const std::string original = ReadBytes(seg_);
  const RawFrame& f = frames_[kVictim];
  FlipByte(seg_, f.offset + 8, 0x04);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_, static_cast<int64_t>(f.offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedLeafHashInTreeLevel0) {
  const std::string path = dir_ + "/tree/level-00";
  const std::string original = ReadBytes(path);
  FlipByte(path, 13 * 32 + 5);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "tree/level-00", int64_t{13} * 32, 13))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedNodeInTreeLevel1) {
  const std::string path = dir_ + "/tree/level-01";
  const std::string original = ReadBytes(path);
  FlipByte(path, 5 * 32 + 31);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "tree/level-01", int64_t{5} * 32))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

// A node on the right edge of the signed tree: Open itself must notice.
TEST_F(LedgerTamper, FlippedFrontierNodeFailsOpen) {
  const std::string path = dir_ + "/tree/level-05";  // node (5, 0): 32 leaves
  const std::string original = ReadBytes(path);
  FlipByte(path, 0);
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? std::string("opened") : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  EXPECT_TRUE(Exists(dir_ + "/TAMPERED"));
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "tree/level-05", 0)) << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, FlippedStoredPositionIsReported) {
  const std::string path = dir_ + "/log/positions";
  const std::string original = ReadBytes(path);
  FlipByte(path, kVictim * 8, 0x02);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "log/positions", kVictim * 8, kVictim))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

// Where checkpoint `n`'s signature (base64 after the key name) starts in
// the checkpoints file, and the frame holding it.
struct NoteLocation {
  RawFrame frame;
  size_t signature_index = 0;  // into frame.payload
};

NoteLocation LocateSignature(const std::string& path, uint64_t n) {
  std::string bytes = ReadBytes(path);
  uint64_t pos = 0;
  NoteLocation loc;
  for (uint64_t i = 0; pos < bytes.size(); ++i) {
    storage::DecodedFrame f;
    EXPECT_EQ(storage::DecodeFrame(std::string_view(bytes).substr(pos), &f),
              storage::FrameStatus::kOk);
    if (i == n) {
      loc.frame = RawFrame{f.seq, pos, f.size, std::string(f.payload)};
      const size_t line = loc.frame.payload.find("\n\xE2\x80\x94 ");
      EXPECT_NE(line, std::string::npos);
      const size_t space = loc.frame.payload.find(' ', line + 5);
      EXPECT_NE(space, std::string::npos);
      loc.signature_index = space + 1;
      return loc;
    }
    pos += f.size;
  }
  ADD_FAILURE() << "no checkpoint #" << n;
  return loc;
}

TEST_F(LedgerTamper, FlippedCheckpointSignatureByteIsReported) {
  const std::string path = dir_ + "/checkpoints";
  const std::string original = ReadBytes(path);
  NoteLocation loc = LocateSignature(path, 1);
  FlipByte(path, loc.frame.offset + storage::kFrameHeaderSize +
                     loc.signature_index + 20);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "checkpoints")) << Describe(rep);
  // The damaged frame's offset is known; the finding should carry it.
  EXPECT_TRUE(
      HasFinding(rep, "checkpoints", static_cast<int64_t>(loc.frame.offset)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, ForgedCheckpointSignatureIsReported) {
  const std::string path = dir_ + "/checkpoints";
  const std::string original = ReadBytes(path);
  NoteLocation loc = LocateSignature(path, 1);
  std::string note = loc.frame.payload;
  char& c = note[loc.signature_index + 20];
  c = c == 'A' ? 'B' : 'A';
  std::string frame;
  storage::EncodeFrame(loc.frame.seq, note, &frame);
  std::string bytes = original;
  bytes.replace(loc.frame.offset, loc.frame.size, frame);
  WriteBytes(path, bytes);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "checkpoints")) << Describe(rep);
  EXPECT_TRUE(AnyFindingMentions(rep, "checkpoint #1")) << Describe(rep);
  // The newest checkpoint is forged: Open itself refuses.
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? std::string("opened") : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, ForgedCheckpointBodyIsReported) {
  // Checkpoint #0 re-signed by nobody: its size changed, signature kept.
  const std::string path = dir_ + "/checkpoints";
  const std::string original = ReadBytes(path);
  NoteLocation loc = LocateSignature(path, 0);
  std::string note = loc.frame.payload;
  const size_t nl = note.find('\n');
  ASSERT_EQ(note.substr(nl + 1, 3), "20\n");
  note[nl + 2] = '1';  // "20" -> "21"
  std::string frame;
  storage::EncodeFrame(loc.frame.seq, note, &frame);
  std::string bytes = original;
  bytes.replace(loc.frame.offset, loc.frame.size, frame);
  WriteBytes(path, bytes);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "checkpoints")) << Describe(rep);
  EXPECT_TRUE(AnyFindingMentions(rep, "checkpoint #0")) << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, DeletedRecordIsReported) {
  const std::string original = ReadBytes(seg_);
  std::string bytes = original;
  bytes.erase(frames_[kVictim].offset, frames_[kVictim].size);
  WriteBytes(seg_, bytes);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_,
                         static_cast<int64_t>(frames_[kVictim].offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, DuplicatedRecordIsReported) {
  const std::string original = ReadBytes(seg_);
  std::string bytes = original;
  const RawFrame& f = frames_[kVictim];
  bytes.insert(f.offset + f.size, original.substr(f.offset, f.size));
  WriteBytes(seg_, bytes);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  // Reported where the copy sits (the place of seq kVictim + 1).
  const int64_t dup_offset = static_cast<int64_t>(f.offset + f.size);
  EXPECT_TRUE(HasFinding(rep, seg_name_, dup_offset, kVictim + 1) ||
              HasFinding(rep, seg_name_, dup_offset, kVictim))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, SwappedRecordsAreReported) {
  const std::string original = ReadBytes(seg_);
  const RawFrame& a = frames_[kVictim];
  const RawFrame& b = frames_[kVictim + 1];
  ASSERT_NE(a.size, b.size);  // so the swap also moves offsets
  std::string bytes =
      original.substr(0, a.offset) + original.substr(b.offset, b.size) +
      original.substr(a.offset, a.size) + original.substr(b.offset + b.size);
  ASSERT_EQ(bytes.size(), original.size());
  WriteBytes(seg_, bytes);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, seg_name_, static_cast<int64_t>(a.offset),
                         static_cast<int64_t>(kVictim)))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, LogCutAtFrameBoundaryBelowCheckpointFailsOpen) {
  const std::string original = ReadBytes(seg_);
  WriteBytes(seg_, original.substr(0, frames_[30].offset));
  // Opening must refuse, and must not cut or repair anything.
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? "opened with size " + std::to_string((*l)->size())
                 : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  EXPECT_EQ(FileSize(seg_), frames_[30].offset);
  EXPECT_TRUE(Exists(dir_ + "/TAMPERED"));
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(AnyFindingMentions(rep, "holds only 30")) << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, LogCutMidFrameBelowCheckpointFailsOpen) {
  const std::string original = ReadBytes(seg_);
  const uint64_t cut = frames_[30].offset + 21;
  WriteBytes(seg_, original.substr(0, cut));
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? "opened with size " + std::to_string((*l)->size())
                 : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  EXPECT_EQ(FileSize(seg_), cut) << "Open cut below a signed checkpoint";
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(
      HasFinding(rep, seg_name_, static_cast<int64_t>(frames_[30].offset), 30))
      << Describe(rep);
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

// The attacker truncates the log and deletes the derived files so that
// Open has to rebuild from the log: it must still refuse.
TEST_F(LedgerTamper, LogCutWithDerivedFilesRemovedFailsOpen) {
  const std::string original = ReadBytes(seg_);
  WriteBytes(seg_, original.substr(0, frames_[30].offset + 5));
  std::filesystem::remove(dir_ + "/log/positions");
  std::filesystem::remove_all(dir_ + "/tree");
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? "opened with size " + std::to_string((*l)->size())
                 : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  EXPECT_EQ(FileSize(seg_), frames_[30].offset + 5)
      << "Open cut below a signed checkpoint";
  EXPECT_TRUE(Exists(dir_ + "/TAMPERED"));
  ExpectAppendsRefused();
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

TEST_F(LedgerTamper, WriterStopsAppendingOnceVerifyFindsTampering) {
  auto writer = MustOpen(dir_);
  ASSERT_NE(writer, nullptr);
  const std::string original = ReadBytes(seg_);
  FlipByte(seg_, frames_[3].offset + storage::kFrameHeaderSize + 2);
  VerifyReport rep = MustVerify(dir_);
  ASSERT_FALSE(rep.ok());
  Result<std::vector<Receipt>> r =
      writer->Append({SmallRequest("while-tampered")}, "test:tamper");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(writer->size(), kRecords);
  WriteBytes(seg_, original);
  rep = MustVerify(dir_);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  r = writer->Append({SmallRequest("repaired")}, "test:tamper");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].seq, kRecords);
}

TEST_F(LedgerTamper, VerifyWithAnotherKeyReportsIt) {
  Result<NoteSigner> other = NoteSigner::Generate("example.com/test");
  ASSERT_TRUE(other.ok());
  VerifyOptions options;
  options.verifier_key = other->VerifierKey();
  VerifyReport rep = MustVerify(dir_, options);
  EXPECT_FALSE(rep.ok());
  EXPECT_TRUE(HasFinding(rep, "ledger.json")) << Describe(rep);
  EXPECT_TRUE(HasFinding(rep, "checkpoints")) << Describe(rep);
  // With the right key it passes again.
  options.verifier_key = verifier_key_;
  rep = MustVerify(dir_, options);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_FALSE(Exists(dir_ + "/TAMPERED"));
}

// --- Rollback and fork, caught with a checkpoint saved elsewhere. ------------

// Replaces everything in `dir` except TAMPERED with the contents of `from`.
void RestoreTree(const std::string& from, const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == kTamperedFile) continue;
    std::filesystem::remove_all(e.path());
  }
  testing::CopyTree(from, dir);
}

TEST(LedgerTrusted, RollbackToAnEarlierCopyIsReported) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  {
    auto ledger = MustOpen(dir);
    ASSERT_NE(ledger, nullptr);
    testing::AppendSmall(*ledger, 10, "old");
  }
  const std::string early = tmp.Sub("early");
  testing::CopyTree(dir, early);  // a copy at size 10
  std::string trusted;
  {
    auto ledger = MustOpen(dir);
    ASSERT_NE(ledger, nullptr);
    testing::AppendSmall(*ledger, 20, "mid");
    Result<std::string> note = ledger->Checkpoint();  // size 30
    ASSERT_TRUE(note.ok()) << note.status().ToString();
    trusted = *note;
    testing::AppendSmall(*ledger, 7, "new");
    ASSERT_TRUE(ledger->Checkpoint().ok());
  }
  VerifyOptions options;
  options.trusted_checkpoint = trusted;
  VerifyReport rep = MustVerify(dir, options);
  ASSERT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_TRUE(rep.trusted_checked);
  EXPECT_EQ(rep.trusted_size, 30u);
  EXPECT_EQ(rep.records, 37u);

  const std::string late = tmp.Sub("late");
  testing::CopyTree(dir, late);
  RestoreTree(early, dir);
  // Without the trusted note, the old copy is self-consistent.
  rep = MustVerify(dir);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  rep = MustVerify(dir, options);
  ASSERT_FALSE(rep.ok());
  EXPECT_TRUE(rep.trusted_checked);
  EXPECT_TRUE(AnyFindingMentions(rep, "rolled back")) << Describe(rep);
  EXPECT_TRUE(AnyFindingMentions(rep, "30")) << Describe(rep);
  EXPECT_TRUE(Exists(dir + "/TAMPERED"));
  {
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, {});
    if (l.ok()) {
      Result<std::vector<Receipt>> r =
          (*l)->Append({SmallRequest("x")}, "test:rollback");
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    } else {
      EXPECT_EQ(l.status().code(), StatusCode::kDataLoss);
    }
  }
  RestoreTree(late, dir);
  rep = MustVerify(dir, options);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_FALSE(Exists(dir + "/TAMPERED"));
}

// Two copies of one ledger diverge after size 10; each one's checkpoint
// must expose the other as a fork.
void CheckFork(uint64_t a_extra, uint64_t b_extra) {
  SCOPED_TRACE("a +" + std::to_string(a_extra) + ", b +" +
               std::to_string(b_extra));
  TempDir tmp;
  const std::string a = tmp.Sub("a");
  MustInit(a);
  std::string common;
  {
    auto ledger = MustOpen(a);
    ASSERT_NE(ledger, nullptr);
    testing::AppendSmall(*ledger, 10, "common");
    common = *ledger->Checkpoint();
  }
  const std::string b = tmp.Sub("b");
  testing::CopyTree(a, b);
  std::string note_b;
  {
    auto la = MustOpen(a);
    auto lb = MustOpen(b);
    ASSERT_NE(la, nullptr);
    ASSERT_NE(lb, nullptr);
    testing::AppendSmall(*la, static_cast<int>(a_extra), "fork-a");
    testing::AppendSmall(*lb, static_cast<int>(b_extra), "fork-b");
    ASSERT_TRUE(la->Checkpoint().ok());
    Result<std::string> nb = lb->Checkpoint();
    ASSERT_TRUE(nb.ok());
    note_b = *nb;
  }
  VerifyOptions options;
  options.trusted_checkpoint = note_b;
  VerifyReport rep = MustVerify(a, options);
  ASSERT_FALSE(rep.ok()) << "a fork went unnoticed";
  EXPECT_TRUE(rep.trusted_checked);
  EXPECT_EQ(rep.trusted_size, 10 + b_extra);
  EXPECT_TRUE(AnyFindingMentions(rep, "trusted checkpoint")) << Describe(rep);
  if (b_extra <= a_extra) {
    EXPECT_TRUE(AnyFindingMentions(rep, "fork")) << Describe(rep);
  }
  EXPECT_TRUE(Exists(a + "/TAMPERED"));
  {
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(a, {});
    if (l.ok()) {
      Result<std::vector<Receipt>> r =
          (*l)->Append({SmallRequest("x")}, "test:fork");
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    } else {
      EXPECT_EQ(l.status().code(), StatusCode::kDataLoss);
    }
  }
  // Against the common ancestor's checkpoint, each copy is consistent.
  options.trusted_checkpoint = common;
  rep = MustVerify(a, options);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
  EXPECT_FALSE(Exists(a + "/TAMPERED"));
  rep = MustVerify(b, options);
  EXPECT_TRUE(rep.ok()) << Describe(rep);
}

TEST(LedgerTrusted, ForkOfEqualLengthIsReported) { CheckFork(5, 5); }
TEST(LedgerTrusted, ForkShorterThanLedgerIsReported) { CheckFork(9, 4); }
TEST(LedgerTrusted, ForkLongerThanLedgerIsReported) { CheckFork(3, 8); }

TEST(LedgerTrusted, CheckpointOfAnotherLedgerIsRejected) {
  TempDir tmp;
  const std::string a = tmp.Sub("a");
  const std::string b = tmp.Sub("b");
  MustInit(a, "example.com/a");
  MustInit(b, "example.com/b");
  std::string note_b;
  {
    auto la = MustOpen(a);
    auto lb = MustOpen(b);
    ASSERT_NE(la, nullptr);
    ASSERT_NE(lb, nullptr);
    testing::AppendSmall(*la, 3);
    testing::AppendSmall(*lb, 3);
    note_b = *lb->Checkpoint();
  }
  VerifyOptions options;
  options.trusted_checkpoint = note_b;
  Result<VerifyReport> rep = VerifyLedger(a, options);
  // Signed by another key: not a checkpoint of this ledger at all.
  if (rep.ok()) {
    EXPECT_FALSE(rep->ok()) << Describe(*rep);
  } else {
    EXPECT_EQ(rep.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(rep.status().message(), HasSubstr("trusted"));
  }
}

}  // namespace
}  // namespace actledger

namespace actledger {
namespace {

// A bit flip that makes an older checkpoint's frame claim more bytes than
// the file holds looks like a torn final frame. Open must not "repair" the
// history by cutting every later signed checkpoint off.
TEST_F(LedgerTamper, CorruptCheckpointLengthDoesNotEraseHistoryOnOpen) {
  const std::string path = dir_ + "/checkpoints";
  const std::string original = ReadBytes(path);
  std::string bytes = original;
  const uint32_t huge = static_cast<uint32_t>(original.size());  // > rest
  for (int i = 0; i < 4; ++i) {
    bytes[4 + i] = static_cast<char>((huge >> (8 * i)) & 0xFF);
  }
  WriteBytes(path, bytes);
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, {});
  EXPECT_EQ(l.status().code(), StatusCode::kDataLoss)
      << (l.ok() ? std::string("opened") : l.status().ToString());
  if (l.ok()) l.value().reset();  // closes a ledger that opened anyway
  EXPECT_EQ(FileSize(path), original.size())
      << "Open cut the signed checkpoint history";
  VerifyReport rep = MustVerify(dir_);
  EXPECT_FALSE(rep.ok()) << "the damaged history went unreported";
  EXPECT_TRUE(HasFinding(rep, "checkpoints")) << Describe(rep);
  WriteBytes(path, original);
  ExpectRestoredLedgerWorks();
}

// OpenForRead on a ledger marked tampered must read without repairing
// anything (ledger.h: "or when the ledger is marked tampered ... without
// repairing anything").
TEST_F(LedgerTamper, OpenForReadOfTamperedLedgerRepairsNothing) {
  const std::string original = ReadBytes(seg_);
  FlipByte(seg_, frames_[3].offset + storage::kFrameHeaderSize + 2);
  ASSERT_FALSE(MustVerify(dir_).ok());
  ASSERT_TRUE(Exists(dir_ + "/TAMPERED"));
  // Evidence at the end of the log: must survive a read.
  testing::AppendBytes(seg_, std::string(100, '\x33'));
  const uint64_t size = FileSize(seg_);
  {
    Result<std::unique_ptr<Ledger>> r = Ledger::OpenForRead(dir_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE((*r)->read_only());
    EXPECT_FALSE((*r)->recovery().tail_cut);
    EXPECT_EQ(FileSize(seg_), size) << "a read-only open cut the log";
  }
  WriteBytes(seg_, original);
  ExpectRestoredLedgerWorks();
}

// verify is documented as safe while a writer appends; it must not report
// (and mark as tampering) a frame the writer is in the middle of writing.
TEST(LedgerVerifyConcurrent, VerifyBesideAnAppendingWriterPasses) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  auto ledger = MustOpen(dir, testing::SegmentOptions(4ull << 20, 200));
  ASSERT_NE(ledger, nullptr);
  std::atomic<bool> stop{false};
  std::atomic<int> append_errors{0};
  std::thread writer([&] {
    gen::Generator g(testing::GenOptions(99));
    while (!stop.load()) {
      std::vector<AppendRequest> batch;
      batch.reserve(40);
      for (int i = 0; i < 40; ++i)
        batch.push_back(testing::Request(g.NextLine()));
      Result<std::vector<Receipt>> r = ledger->Append(std::move(batch), "t:v");
      if (!r.ok()) {
        ++append_errors;
        return;
      }
    }
  });
  int bad = 0;
  std::string first_bad;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int i = 0; i < 25 || std::chrono::steady_clock::now() < until; ++i) {
    VerifyReport rep = MustVerify(dir);
    if (!rep.ok()) {
      if (bad++ == 0) first_bad = Describe(rep);
    }
  }
  stop = true;
  writer.join();
  EXPECT_EQ(bad, 0) << "verify beside a writer reported damage: " << first_bad;
  EXPECT_EQ(append_errors.load(), 0)
      << "a concurrent verify made the writer refuse appends";
}

// A segment of several verify reads (24 MB; verify reads 8 MiB at a time and
// checks one read on the worker threads while it folds the one before):
// damage in any read is reported once, at its frame, with every record
// before it counted and nothing read past it; the intact ledger verifies
// with one thread and with several.
TEST(LedgerTamperMultiChunk, DamageInAnyReadIsReportedAtItsFrameOnly) {
  TempDir tmp;
  const std::string dir = tmp.Sub("data");
  MustInit(dir);
  {
    auto ledger = MustOpen(dir);
    ASSERT_NE(ledger, nullptr);
    AppendSmall(*ledger, 600, "big", 50, 40000);
  }
  const std::string seg = testing::SegmentPath(dir, 0);
  const std::string seg_name = "log/" + storage::SegmentFileName(0);
  const std::vector<RawFrame> frames = ParseSegment(seg);
  ASSERT_EQ(frames.size(), 600u);
  ASSERT_GT(FileSize(seg), 2 * (8u << 20)) << "the segment must span 3 reads";
  for (unsigned threads : {1u, 2u, 3u}) {
    VerifyOptions options;
    options.threads = threads;
    VerifyReport rep = MustVerify(dir, options);
    EXPECT_TRUE(rep.ok()) << threads << " threads: " << Describe(rep);
    EXPECT_EQ(rep.records, 600u);
  }
  const std::string original = ReadBytes(seg);
  for (uint64_t victim : {5u, 250u, 420u, 599u}) {
    const RawFrame& f = frames[victim];
    FlipByte(seg, f.offset + storage::kFrameHeaderSize + f.payload.size() / 3);
    VerifyReport rep = MustVerify(dir);
    ASSERT_FALSE(rep.ok()) << "victim " << victim;
    EXPECT_TRUE(HasFinding(rep, seg_name, static_cast<int64_t>(f.offset),
                           static_cast<int64_t>(victim)))
        << "victim " << victim << ": " << Describe(rep);
    EXPECT_TRUE(AnyFindingMentions(rep, "checksum")) << Describe(rep);
    EXPECT_EQ(rep.records, victim) << Describe(rep);
    for (const VerifyFinding& finding : rep.findings) {
      EXPECT_LE(finding.seq, static_cast<int64_t>(victim))
          << "a finding past the damage: " << Describe(rep);
    }
    WriteBytes(seg, original);
    VerifyReport restored = MustVerify(dir);
    EXPECT_TRUE(restored.ok()) << Describe(restored);
  }
}

}  // namespace
}  // namespace actledger
