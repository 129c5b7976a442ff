// Full verification of a ledger directory from its files alone.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "actledger/ledger.h"
#include "common/time.h"
#include "ledger/paths.h"
#include "storage/file.h"
#include "storage/segment_log.h"
#include "storage/tree_store.h"

namespace actledger {
namespace {

constexpr size_t kChunkBytes = 8u << 20;

struct Frame {
  uint64_t seq = 0;
  uint64_t offset = 0;
  std::string_view payload;
};

// Reads a stored array file sequentially, for comparison with recomputed
// values.
class StoredArray {
 public:
  StoredArray(const std::string& path, size_t entry) : entry_(entry) {
    Result<storage::File> f = storage::File::Open(path, O_RDONLY);
    if (f.ok()) file_ = std::move(f).value();
  }
  bool present() const { return file_.is_open(); }
  // Entry `index`, or empty when the file is shorter.
  std::string_view Get(uint64_t index) {
    if (!file_.is_open()) return {};
    if (index < start_ || index >= start_ + buf_.size() / entry_) {
      start_ = index;
      if (!file_.ReadUpTo(index * entry_, 4096 * entry_, &buf_).ok()) {
        buf_.clear();
      }
      buf_.resize(buf_.size() / entry_ * entry_);
    }
    if (index >= start_ + buf_.size() / entry_) return {};
    return std::string_view(buf_).substr((index - start_) * entry_, entry_);
  }

 private:
  storage::File file_;
  size_t entry_;
  uint64_t start_ = 0;
  std::string buf_;
};

class Verifier {
 public:
  Verifier(std::string dir, const VerifyOptions& options)
      : dir_(std::move(dir)), options_(options), paths_(dir_) {}

  Result<VerifyReport> Run();

 private:
  void Find(std::string what, std::string file = {}, int64_t offset = -1,
            int64_t seq = -1) {
    if (report_.findings.size() < options_.max_findings) {
      report_.findings.push_back(
          VerifyFinding{std::move(what), std::move(file), offset, seq});
    }
  }
  // One read of a segment: up to kChunkBytes of whole frames, walked by
  // their lengths, and what the worker threads found in each frame.
  struct Chunk {
    uint64_t pos = 0;       // file offset of buf
    uint64_t consumed = 0;  // bytes of whole frames in buf
    storage::FrameStatus stop = storage::FrameStatus::kOk;
    std::string buf;
    std::vector<Frame> frames;
    std::vector<std::string_view> raw;  // each frame's bytes
    std::vector<merkle::Hash> leaves;
    std::vector<char> crc_ok;
    // The record's own "seq" member when it disagrees with the frame's.
    std::vector<std::string> bad_seq;
    // The purge record a stub names (-1: a record; -2: a malformed stub).
    std::vector<int64_t> stub_by;
    // Last, so that they are destroyed (and their work joined) first.
    std::vector<std::future<void>> jobs;
  };

  Status LoadCheckpoints();
  Status ScanLog();
  Result<std::unique_ptr<Chunk>> ReadChunk(storage::File& f, uint64_t pos,
                                           uint64_t file_size);
  // Starts the per-frame checks of `c` on `threads` threads (c.jobs).
  void CheckChunk(Chunk& c, unsigned threads);
  // In seq order, once c.jobs are done: sequence continuity, stubs, the
  // fold into the tree, progress. Returns why reading stops (kOk: it goes
  // on) and, in *bad_at, where.
  storage::FrameStatus FoldChunk(Chunk& c, const std::string& name,
                                 uint64_t* expected, uint64_t* bad_at);
  void FoldLeaves(const std::vector<Frame>& frames,
                  const std::vector<merkle::Hash>& leaves);
  void CheckCheckpointsAt(uint64_t size);
  // A stub at `seq` naming purge record `by`; checked when `by` is read.
  void NoteStub(uint64_t seq, uint64_t by, const std::string& file,
                uint64_t offset);
  // Record `seq` is a purge record some stub named: its ranges must cover
  // those stubs.
  void CheckPurgeRecord(uint64_t seq, std::string_view payload);
  void FinishPurges();

  const std::string dir_;
  const VerifyOptions& options_;
  const LedgerPaths paths_;
  VerifyReport report_;
  std::optional<NoteVerifier> verifier_;

  // What a checkpoint signs, keyed by its tree size in signed_.
  struct SignedSize {
    merkle::Hash root;
    // cppcheck-suppress unusedStructMember ; read in the root findings
    std::string label;  // "checkpoint #3" or "trusted checkpoint"
  };
  std::multimap<uint64_t, SignedSize> signed_;
  merkle::CompactRange range_;
  bool tree_trustworthy_ = true;  // false once framing is broken
  std::vector<std::unique_ptr<StoredArray>> levels_;
  std::unique_ptr<StoredArray> positions_;
  uint64_t total_bytes_ = 0;
  uint64_t done_bytes_ = 0;
  uint64_t stale_from_ = UINT64_MAX;
  // Purge record seq -> the stubs (seq ranges) naming it, until it is read.
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> pending_;
  std::vector<std::pair<uint64_t, uint64_t>> authorized_;  // stub ranges
};

void Verifier::NoteStub(uint64_t seq, uint64_t by, const std::string& file,
                        uint64_t offset) {
  if (by <= seq) {
    Find("record at seq " + std::to_string(seq) +
             " is a purged stub naming purge record " + std::to_string(by) +
             ", which does not come after it (forged stub)",
         file, static_cast<int64_t>(offset), static_cast<int64_t>(seq));
    return;
  }
  auto& ranges = pending_[by];
  if (!ranges.empty() && ranges.back().second + 1 == seq) {
    ranges.back().second = seq;
  } else {
    ranges.emplace_back(seq, seq);
  }
}

void Verifier::CheckPurgeRecord(uint64_t seq, std::string_view payload) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) return;
  std::vector<std::pair<uint64_t, uint64_t>> allowed;
  bool is_purge = FindTopLevelMember(payload, "kind") == "\"purge\"";
  if (is_purge) {
    Result<json::Value> purge =
        json::Parse(FindTopLevelMember(payload, "purge"));
    const json::Value* ranges = purge.ok() ? purge->Find("ranges") : nullptr;
    if (ranges != nullptr && ranges->is_array()) {
      for (const json::Value& r : ranges->as_array()) {
        if (r.is_array() && r.as_array().size() == 2 &&
            r.as_array()[0].is_number() && r.as_array()[1].is_number()) {
          allowed.emplace_back(
              static_cast<uint64_t>(r.as_array()[0].as_number()),
              static_cast<uint64_t>(r.as_array()[1].as_number()));
        }
      }
    }
  }
  for (const auto& [first, last] : it->second) {
    // Every stub of this run must lie in some range the purge names.
    uint64_t at = first;
    while (at <= last) {
      auto covering = std::find_if(
          allowed.begin(), allowed.end(),
          [&](const auto& r) { return r.first <= at && at <= r.second; });
      if (covering == allowed.end()) break;
      at = covering->second + 1;
    }
    if (at <= last) {
      Find("record at seq " + std::to_string(at) +
               " is a purged stub, but record " + std::to_string(seq) +
               (is_purge ? " (the purge it names) does not authorize purging it"
                         : " that it names is not a purge record") +
               " (content removed without authorization)",
           "", -1, static_cast<int64_t>(at));
    } else {
      authorized_.emplace_back(first, last);
    }
  }
  pending_.erase(it);
}

void Verifier::FinishPurges() {
  for (const auto& [by, ranges] : pending_) {
    Find("record at seq " + std::to_string(ranges.front().first) +
             " is a purged stub naming purge record " + std::to_string(by) +
             ", which is not in the log (forged stub)",
         "", -1, static_cast<int64_t>(ranges.front().first));
  }
  std::sort(authorized_.begin(), authorized_.end());
  for (const auto& [first, last] : authorized_) {
    report_.purged += last - first + 1;
    if (!report_.purged_ranges.empty() &&
        report_.purged_ranges.back().second + 1 == first) {
      report_.purged_ranges.back().second = last;
    } else {
      report_.purged_ranges.emplace_back(first, last);
    }
  }
}

Status Verifier::LoadCheckpoints() {
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerConfig config, LedgerConfig::Load(dir_));
  const std::string& key = options_.verifier_key.empty()
                               ? config.verifier_key
                               : options_.verifier_key;
  Result<NoteVerifier> v = NoteVerifier::FromVerifierKey(key);
  if (!v.ok()) {
    return InvalidArgument("verifier key: " + v.status().message());
  }
  verifier_ = std::move(v).value();
  if (!options_.verifier_key.empty() &&
      options_.verifier_key != config.verifier_key) {
    Find("the ledger's configuration names verifier key " +
             config.verifier_key + ", not the key given",
         "ledger.json");
  }

  if (storage::PathExists(paths_.checkpoints())) {
    ACTLEDGER_ASSIGN_OR_RETURN(
        storage::File f, storage::File::Open(paths_.checkpoints(), O_RDONLY));
    std::vector<uint64_t> offsets;
    uint64_t damage = 0;
    Result<std::vector<std::string>> notes =
        ReadCheckpointHistory(f, false, &offsets, &damage);
    if (!notes.ok()) {
      Find(notes.status().message(), "checkpoints",
           static_cast<int64_t>(damage));
    } else {
      uint64_t prev = 0;
      for (size_t i = 0; i < notes->size(); ++i) {
        const std::string label = "checkpoint #" + std::to_string(i);
        const int64_t at = static_cast<int64_t>(offsets[i]);
        Result<std::string> body = verifier_->Open((*notes)[i]);
        if (!body.ok()) {
          Find(label + ": " + body.status().message() +
                   " (forged or altered checkpoint)",
               "checkpoints", at);
          continue;
        }
        Result<Checkpoint> cp = ParseCheckpoint(*body);
        if (!cp.ok()) {
          Find(label + ": " + cp.status().ToString(), "checkpoints", at);
          continue;
        }
        if (cp->origin != config.origin) {
          Find(label + ": origin \"" + cp->origin + "\" is not this ledger's",
               "checkpoints", at);
        }
        if (cp->size < prev) {
          Find(label + ": size " + std::to_string(cp->size) +
                   " is smaller than an earlier checkpoint's " +
                   std::to_string(prev) + " (history rewritten)",
               "checkpoints", at);
        }
        prev = std::max(prev, cp->size);
        signed_.emplace(cp->size, SignedSize{cp->root, label});
        ++report_.checkpoints;
      }
    }
  }
  if (!options_.trusted_checkpoint.empty()) {
    report_.trusted_checked = true;
    Result<std::string> body = verifier_->Open(options_.trusted_checkpoint);
    if (!body.ok()) {
      return InvalidArgument("the trusted checkpoint does not verify: " +
                             body.status().message());
    }
    ACTLEDGER_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(*body));
    if (cp.origin != config.origin) {
      return InvalidArgument("the trusted checkpoint is for origin \"" +
                             cp.origin + "\", not \"" + config.origin + "\"");
    }
    report_.trusted_size = cp.size;
    signed_.emplace(cp.size, SignedSize{cp.root, "the trusted checkpoint"});
  }
  return Status::Ok();
}

void Verifier::CheckCheckpointsAt(uint64_t size) {
  auto [lo, hi] = signed_.equal_range(size);
  if (lo == hi) return;
  const merkle::Hash root = range_.Root();
  for (auto it = lo; it != hi; ++it) {
    if (it->second.root != root) {
      Find(it->second.label + " (size " + std::to_string(size) +
           ") does not match the records: the root recomputed from the "
           "log is " +
           merkle::ToHex(root) + ", the signed root " +
           merkle::ToHex(it->second.root) +
           (it->second.label == "the trusted checkpoint"
                ? " (a fork: the history was rewritten)"
                : " (records below seq " + std::to_string(size) +
                      " were altered)"));
    }
  }
}

void Verifier::FoldLeaves(const std::vector<Frame>& frames,
                          const std::vector<merkle::Hash>& leaves) {
  for (size_t i = 0; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    // The stored offset must point at this frame (unless an interrupted
    // purge left the offsets from stale_from_ on to be rebuilt).
    std::string_view pos =
        f.seq < stale_from_ ? positions_->Get(f.seq) : std::string_view();
    if (!pos.empty()) {
      uint64_t stored = 0;
      for (int k = 7; k >= 0; --k) {
        stored = (stored << 8) | static_cast<unsigned char>(pos[k]);
      }
      if (stored != f.offset) {
        Find("stored offset " + std::to_string(stored) + " for seq " +
                 std::to_string(f.seq) + " does not match the frame's offset",
             "log/positions", static_cast<int64_t>(f.seq * 8),
             static_cast<int64_t>(f.seq));
      }
    }
    range_.Append(leaves[i], [&](int level, uint64_t index,
                                 const merkle::Hash& h) {
      if (static_cast<size_t>(level) >= levels_.size()) return;
      std::string_view stored = levels_[level]->Get(index);
      if (stored.empty()) return;  // not yet derived: nothing to compare
      if (std::memcmp(stored.data(), h.data(), 32) != 0) {
        char name[32];
        std::snprintf(name, sizeof(name), "tree/level-%02d", level);
        std::string what =
            level == 0 ? "stored leaf hash of seq " + std::to_string(index) +
                             " does not match the record"
                       : "stored tree node (level " + std::to_string(level) +
                             ", index " + std::to_string(index) +
                             ") does not match the recomputed hash";
        Find(what, name, static_cast<int64_t>(index * 32),
             level == 0 ? static_cast<int64_t>(index) : -1);
      }
    });
    CheckCheckpointsAt(range_.size());
  }
}

Result<std::unique_ptr<Verifier::Chunk>> Verifier::ReadChunk(
    storage::File& f, uint64_t pos, uint64_t file_size) {
  auto c = std::make_unique<Chunk>();
  c->pos = pos;
  ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(
      pos, std::min<uint64_t>(kChunkBytes, file_size - pos), &c->buf));
  std::string_view view(c->buf);
  // Walk the frames by their lengths; checksums, leaf hashes and each
  // record's own seq are checked by CheckChunk on all threads.
  while (!view.empty()) {
    storage::DecodedFrame frame;
    storage::FrameStatus st =
        storage::DecodeFrame(view, &frame, /*check_crc=*/false);
    if (st == storage::FrameStatus::kTruncated &&
        pos + c->consumed + view.size() < file_size) {
      if (c->frames.empty()) {
        // One frame larger than the chunk: read it whole.
        uint32_t len = 0;
        for (int k = 3; k >= 0; --k) {
          len = (len << 8) | static_cast<unsigned char>(view[4 + k]);
        }
        ACTLEDGER_RETURN_IF_ERROR(
            f.ReadUpTo(pos,
                       std::min<uint64_t>(storage::kFrameHeaderSize + len,
                                          file_size - pos),
                       &c->buf));
        view = c->buf;
        continue;
      }
      break;  // continue with the next chunk
    }
    if (st != storage::FrameStatus::kOk) {
      c->stop = st;
      break;
    }
    c->frames.push_back(Frame{frame.seq, pos + c->consumed, frame.payload});
    c->raw.push_back(view.substr(0, frame.size));
    c->consumed += frame.size;
    view.remove_prefix(frame.size);
  }
  return c;
}

void Verifier::CheckChunk(Chunk& c, unsigned threads) {
  const size_t n = c.frames.size();
  c.leaves.resize(n);
  c.crc_ok.assign(n, 1);
  c.bad_seq.resize(n);
  c.stub_by.assign(n, -1);
  const size_t per = (n + threads - 1) / std::max(1u, threads);
  for (size_t start = 0; start < n; start += per) {
    const size_t end = std::min(n, start + per);
    c.jobs.push_back(std::async(std::launch::async, [&c, start, end] {
      for (size_t k = start; k < end; ++k) {
        const std::string_view payload = c.frames[k].payload;
        c.crc_ok[k] = storage::FrameCrcOk(c.raw[k]) ? 1 : 0;
        if (IsPurgedStubShaped(payload)) {
          if (std::optional<PurgedStub> stub = ParsePurgedStub(payload)) {
            c.leaves[k] = stub->leaf_hash;
            c.stub_by[k] = static_cast<int64_t>(stub->purged_by);
          } else {
            c.leaves[k] = merkle::HashLeaf(payload);
            c.stub_by[k] = -2;
          }
        } else {
          c.leaves[k] = merkle::HashLeaf(payload);
        }
        std::string_view seq_text = FindTopLevelMemberFromEnd(payload, "seq");
        if (seq_text != std::to_string(c.frames[k].seq)) {
          c.bad_seq[k] = seq_text.empty() ? "(none)" : seq_text;
        }
      }
    }));
  }
}

storage::FrameStatus Verifier::FoldChunk(Chunk& c, const std::string& name,
                                         uint64_t* expected, uint64_t* bad_at) {
  storage::FrameStatus stop = c.stop;
  // In order: the first bad checksum ends what can be read here.
  size_t good = c.frames.size();
  for (size_t k = 0; k < c.frames.size(); ++k) {
    if (!c.crc_ok[k]) {
      good = k;
      stop = storage::FrameStatus::kBadCrc;
      break;
    }
  }
  *bad_at = good < c.frames.size() ? c.frames[good].offset : c.pos + c.consumed;
  c.frames.resize(good);
  c.leaves.resize(good);
  for (size_t k = 0; k < c.frames.size(); ++k) {
    const Frame& fr = c.frames[k];
    if (fr.seq != *expected) {
      Find("expected seq " + std::to_string(*expected) + ", found seq " +
               std::to_string(fr.seq) +
               (fr.seq < *expected ? " (record duplicated or reordered)"
                                   : " (record deleted or reordered)"),
           name, static_cast<int64_t>(fr.offset),
           static_cast<int64_t>(*expected));
      tree_trustworthy_ = false;
      *expected = fr.seq;
    }
    if (c.stub_by[k] == -2) {
      Find("record at seq " + std::to_string(fr.seq) +
               " looks like a purged stub but is malformed (record "
               "altered)",
           name, static_cast<int64_t>(fr.offset), static_cast<int64_t>(fr.seq));
    } else if (c.stub_by[k] >= 0) {
      NoteStub(fr.seq, static_cast<uint64_t>(c.stub_by[k]), name, fr.offset);
    } else if (!pending_.empty()) {
      CheckPurgeRecord(fr.seq, fr.payload);
    }
    if (!c.bad_seq[k].empty()) {
      Find("record at seq " + std::to_string(fr.seq) +
               " carries \"seq\":" + c.bad_seq[k],
           name, static_cast<int64_t>(fr.offset), static_cast<int64_t>(fr.seq));
    }
    ++*expected;
  }
  if (tree_trustworthy_) FoldLeaves(c.frames, c.leaves);
  const uint64_t good_bytes = *bad_at - c.pos;
  report_.records += c.frames.size();
  report_.bytes += good_bytes;
  done_bytes_ += good_bytes;
  if (options_.progress) options_.progress(done_bytes_, total_bytes_);
  return stop;
}

Status Verifier::ScanLog() {
  ACTLEDGER_ASSIGN_OR_RETURN(
      auto log, storage::SegmentLog::Open(paths_.log_dir(), {}, false));
  std::vector<uint64_t> segs = log->segments();
  for (uint64_t s : segs) {
    Result<storage::File> f =
        storage::File::Open(log->SegmentPath(s), O_RDONLY);
    if (f.ok()) total_bytes_ += f->Size().ok() ? *f->Size() : 0;
  }
  for (int level = 0; level < storage::TreeStore::kMaxLevels; ++level) {
    char name[32];
    std::snprintf(name, sizeof(name), "/level-%02d", level);
    levels_.push_back(
        std::make_unique<StoredArray>(paths_.tree_dir() + name, 32));
  }
  positions_ = std::make_unique<StoredArray>(paths_.positions(), 8);
  // Written by a purge before it renames a rewritten segment into place,
  // removed once that segment's offsets are rewritten (docs/FORMAT.md):
  // offsets from that segment on are derived data awaiting repair.
  if (Result<std::string> stale =
          storage::ReadFile(paths_.log_dir() + "/positions.stale");
      stale.ok()) {
    stale_from_ = std::strtoull(stale->c_str(), nullptr, 10);
  }
  CheckCheckpointsAt(0);

  unsigned threads = options_.threads != 0
                         ? options_.threads
                         : std::max(1u, std::thread::hardware_concurrency());
  uint64_t expected = 0;
  for (size_t si = 0; si < segs.size(); ++si) {
    const std::string name = "log/" + storage::SegmentFileName(segs[si]);
    ACTLEDGER_ASSIGN_OR_RETURN(
        storage::File f,
        storage::File::Open(log->SegmentPath(segs[si]), O_RDONLY));
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t file_size, f.Size());
    std::string header;
    ACTLEDGER_RETURN_IF_ERROR(
        f.ReadUpTo(0, storage::kSegmentHeaderSize, &header));
    Result<uint64_t> first = storage::DecodeSegmentHeader(header);
    if (!first.ok()) {
      Find(first.status().message(), name, 0);
      tree_trustworthy_ = false;
      continue;
    }
    if (*first != segs[si]) {
      Find("segment header says it starts at seq " + std::to_string(*first) +
               ", its file name says " + std::to_string(segs[si]),
           name, 0);
    }
    if (*first != expected) {
      Find("segment starts at seq " + std::to_string(*first) + " but seq " +
               std::to_string(expected) +
               " comes next (records missing or duplicated)",
           name, 0, static_cast<int64_t>(expected));
      tree_trustworthy_ = false;
      expected = *first;
    }
    // A pipeline of two chunks: while the worker threads check chunk k+1,
    // this thread folds chunk k into the tree and then reads chunk k+2.
    // Reads stop at the size taken above: a writer may be appending while
    // verify runs, and bytes past that size are not part of this check.
    std::unique_ptr<Chunk> cur;
    if (storage::kSegmentHeaderSize < file_size) {
      ACTLEDGER_ASSIGN_OR_RETURN(
          cur, ReadChunk(f, storage::kSegmentHeaderSize, file_size));
      CheckChunk(*cur, threads);
    }
    while (cur != nullptr) {
      std::unique_ptr<Chunk> next;
      const uint64_t next_pos = cur->pos + cur->consumed;
      if (cur->stop == storage::FrameStatus::kOk && cur->consumed > 0 &&
          next_pos < file_size) {
        ACTLEDGER_ASSIGN_OR_RETURN(next, ReadChunk(f, next_pos, file_size));
        CheckChunk(*next, threads);
      }
      for (std::future<void>& j : cur->jobs) j.get();
      uint64_t bad_at = 0;
      const storage::FrameStatus stop =
          FoldChunk(*cur, name, &expected, &bad_at);
      if (stop == storage::FrameStatus::kOk) {
        cur = std::move(next);
        continue;
      }
      // The chunk read ahead is past the damage: it is dropped (its checks
      // finish first, as its futures are destroyed).
      next.reset();
      if (si + 1 == segs.size()) {
        // In the last segment, damage that nothing valid follows is a torn
        // write a crash left (unacknowledged); the next open cuts it.
        // Below a signed checkpoint it cannot be a tear.
        std::string rest;
        ACTLEDGER_RETURN_IF_ERROR(
            f.ReadUpTo(bad_at + 1, file_size - bad_at, &rest));
        const uint64_t max_signed =
            signed_.empty() ? 0 : signed_.rbegin()->first;
        if (expected >= max_signed &&
            !storage::ValidFrameFollows(rest, expected)) {
          report_.torn_tail_bytes = file_size - bad_at;
          break;
        }
      }
      Find(std::string(storage::FrameStatusName(stop)) +
               " (record altered, or the file was cut); records after "
               "it in this segment cannot be read",
           name, static_cast<int64_t>(bad_at), static_cast<int64_t>(expected));
      tree_trustworthy_ = false;
      break;
    }
  }
  FinishPurges();
  if (tree_trustworthy_) {
    report_.root = range_.Root();
    for (const auto& [size, s] : signed_) {
      if (size > range_.size()) {
        Find(s.label + " signs " + std::to_string(size) +
                 " records but the log holds only " +
                 std::to_string(range_.size()) +
                 (s.label == "the trusted checkpoint"
                      ? " (rolled back to an earlier state)"
                      : " (records truncated or removed)"),
             s.label == "the trusted checkpoint" ? "" : "checkpoints");
      }
    }
  } else {
    Find(
        "Merkle tree and checkpoint checks skipped: the log's framing or "
        "sequence is broken (see above)");
  }
  return Status::Ok();
}

Result<VerifyReport> Verifier::Run() {
  ACTLEDGER_RETURN_IF_ERROR(LoadCheckpoints());
  ACTLEDGER_RETURN_IF_ERROR(ScanLog());
  // An auditor's check, the way an outside tool would make it: a
  // consistency proof from the trusted size to the current one, served from
  // the stored tree and verified against the two roots.
  if (report_.trusted_checked && report_.ok() &&
      report_.trusted_size <= report_.records) {
    Result<std::unique_ptr<storage::TreeStore>> tree =
        storage::TreeStore::Open(paths_.tree_dir(), false);
    const SignedSize& trusted = signed_.find(report_.trusted_size)->second;
    if (tree.ok()) {
      Result<std::vector<merkle::Hash>> proof = merkle::ConsistencyProof(
          **tree, report_.trusted_size, report_.records);
      Status st = proof.ok() ? merkle::VerifyConsistency(
                                   report_.trusted_size, report_.records,
                                   trusted.root, report_.root, *proof)
                             : proof.status();
      if (!st.ok()) {
        Find("consistency proof from the trusted checkpoint fails: " +
             st.message());
      }
    }
  }
  if (!report_.ok()) {
    const VerifyFinding& f = report_.findings.front();
    std::string where = f.file.empty() ? "" : " (" + f.file + ")";
    (void)storage::WriteFileAtomically(
        paths_.tampered(),
        FormatRfc3339Utc(NowUtc()) + " " + f.what + where + "\n");
  } else if (storage::PathExists(paths_.tampered())) {
    (void)::unlink(paths_.tampered().c_str());
    (void)storage::SyncDir(dir_);
  }
  return report_;
}

}  // namespace

Result<VerifyReport> VerifyLedger(const std::string& dir,
                                  const VerifyOptions& options) {
  Verifier v(dir, options);
  return v.Run();
}

}  // namespace actledger
