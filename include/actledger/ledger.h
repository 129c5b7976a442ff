// The ledger: an append-only, tamper-evident log of canonical JSON records,
// with an RFC 6962 Merkle tree over them and Ed25519-signed checkpoints.
//
//   ACTLEDGER_RETURN_IF_ERROR(Ledger::Init("data", {.origin = "acme/ai"}));
//   auto ledger = Ledger::Open("data", {});
//   auto rec = ValidateRecord(line, {});
//   auto receipts = (*ledger)->Append({Ledger::Prepare(*std::move(rec))},
//                                     "local:alice");
//   // receipts are returned only once the records are durable (fdatasync).
//
// Files in the data directory are described in docs/FORMAT.md.
//
// Thread safety: a Ledger is safe to use from many threads. Concurrent
// Append calls are committed together (group commit): one writer thread
// writes every waiting batch and covers them with one fdatasync. One
// process at a time may open a directory for writing (a lock file); others
// may open it read-only.
#ifndef ACTLEDGER_LEDGER_H_
#define ACTLEDGER_LEDGER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/merkle.h"
#include "actledger/record.h"
#include "actledger/status.h"

namespace actledger {

namespace storage {
class SegmentLog;
class TreeStore;
class FixedArrayFile;
class File;
}  // namespace storage

struct InitOptions {
  // The checkpoint origin line and signing key name (default: "actledger/"
  // followed by the host name).
  std::string origin;
  // Where the Ed25519 private key is written (mode 0600). Default
  // DIR/keys/signing.key.
  std::string key_path;
  // Recorded in DIR/ledger.json and used by ConfiguredOptions(); 0 keeps
  // the LedgerOptions default.
  uint64_t checkpoint_every_records = 0;
  uint64_t checkpoint_every_seconds = 0;
  uint64_t max_segment_bytes = 0;
  // The principal who administers the ledger from the start (the CLI: its
  // OS user). The gate records the grant before its first write.
  std::string admin;
};

struct LedgerOptions {
  uint64_t max_segment_bytes = 64ull << 20;
  // Automatic checkpoints: after this many new records, or this many
  // seconds after the first unsigned record (0 disables either).
  uint64_t checkpoint_every_records = 10000;
  uint64_t checkpoint_every_seconds = 60;
  // Upper bound on the bytes one group commit writes.
  size_t max_group_bytes = 8u << 20;
  // Overrides the key path recorded in the ledger's configuration.
  std::string key_path;
};

// What opening found and repaired.
struct RecoveryReport {
  uint64_t records = 0;      // records in the log after recovery
  uint64_t rescanned = 0;    // records re-read to rebuild derived files
  bool tail_cut = false;     // a torn, unacknowledged tail was removed
  std::string tail_segment;  // file it was cut from
  uint64_t tail_offset = 0;  // where the cut starts
  uint64_t tail_bytes = 0;   // bytes removed
  std::string tail_reason;
};

struct Receipt {
  uint64_t seq = 0;
  std::string action_id;
  merkle::Hash leaf_hash{};
  std::vector<std::string> missing;
  RecordKind kind = RecordKind::kAction;
};

// A record ready to append: validated, canonicalized, envelope pending.
// Envelope members that others decide (the gate's `gate`, the retention
// module's `retention`) are added to `body` with CanonicalBody::Add by
// whoever prepares the request; the writer adds its own as it renders each
// leaf.
struct AppendRequest {
  RecordKind kind = RecordKind::kAction;
  std::string action_id;
  std::vector<std::string> missing;
  CanonicalBody body;
};

struct InclusionProofResult {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  merkle::Hash leaf_hash{};
  merkle::Hash root{};
  std::vector<merkle::Hash> path;
};

struct ConsistencyProofResult {
  uint64_t old_size = 0;
  uint64_t new_size = 0;
  merkle::Hash old_root{};
  merkle::Hash new_root{};
  std::vector<merkle::Hash> path;
};

class Ledger {
 public:
  // Creates DIR (which must not hold a ledger yet), its Ed25519 key and its
  // configuration. Errors: kFailedPrecondition if a ledger exists there.
  static Status Init(const std::string& dir, const InitOptions& options);

  // Opens for appending: takes the directory lock (kUnavailable naming the
  // holder when another process has it) and recovers: a torn tail is cut
  // and reported, derived files are rebuilt past the last checkpoint.
  // Errors: kDataLoss when the files show tampering (the ledger is then
  // marked tampered), kIoError, kNotFound when DIR holds no ledger.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                              const LedgerOptions& options);
  // Opens for reading. Takes the lock and recovers when no writer holds it;
  // otherwise (or when the ledger is marked tampered) reads the records
  // the writer has published, without repairing anything.
  static Result<std::unique_ptr<Ledger>> OpenForRead(const std::string& dir);
  // LedgerOptions with the values DIR/ledger.json records (set at init).
  static Result<LedgerOptions> ConfiguredOptions(const std::string& dir);

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Canonicalizes a validated record's body; call from any thread.
  static AppendRequest Prepare(ValidatedRecord record);

  // Appends `batch` (contiguous seqs) with `recorded_by` as the principal.
  // Returns once every record is durable, or an error with nothing of the
  // batch stored. Errors: kDataLoss when the ledger is marked tampered,
  // kIoError (e.g. no space; the ledger stays usable), kFailedPrecondition
  // when opened read-only.
  Result<std::vector<Receipt>> Append(std::vector<AppendRequest> batch,
                                      const std::string& recorded_by);
  using AppendCallback =
      std::function<void(Result<std::vector<Receipt>> receipts)>;
  // Like Append, but returns at once; `done` runs on the writer thread.
  void AppendAsync(std::vector<AppendRequest> batch,
                   const std::string& recorded_by, AppendCallback done);

  // Records visible to this handle.
  uint64_t size() const { return size_.load(std::memory_order_acquire); }
  const std::string& origin() const { return origin_; }
  const std::string& dir() const { return dir_; }
  const RecoveryReport& recovery() const { return recovery_; }
  bool read_only() const { return read_only_; }
  // "<name>+<key id>+<base64 key>".
  const std::string& verifier_key() const { return verifier_key_; }
  // InitOptions::admin, as recorded at init (may be empty).
  const std::string& initial_admin() const { return initial_admin_; }

  // The exact stored bytes of record `seq`. kNotFound beyond size().
  Result<std::string> Get(uint64_t seq) const;
  // Calls fn(seq, leaf) for records first..end-1 in order, each with its
  // exact stored bytes (as Get returns them; the view lives for the call).
  // Reads segments sequentially, one open per segment instead of one per
  // record: the way to read a range. Stops at fn's first error and returns
  // it. Errors: kNotFound when end > size(); Get's.
  using LeafFn = std::function<Status(uint64_t seq, std::string_view leaf)>;
  Status ForEach(uint64_t first, uint64_t end, const LeafFn& fn) const;
  Result<merkle::Hash> LeafHash(uint64_t seq) const;
  Result<merkle::Hash> Root(uint64_t tree_size) const;
  Result<InclusionProofResult> ProveInclusion(uint64_t seq,
                                              uint64_t tree_size) const;
  Result<ConsistencyProofResult> ProveConsistency(uint64_t old_size,
                                                  uint64_t new_size) const;

  // Replaces the content of records `seqs` (ascending) by purged stubs
  // (docs/FORMAT.md) naming the `purge` record `purge_seq`; leaf hashes,
  // the tree and every checkpoint stay valid. Runs on the writer thread,
  // one segment at a time: each segment is rewritten into a new file that
  // atomically replaces it, so a crash leaves the old or the new segment
  // and the next Open repairs the derived offsets. Records that already
  // are stubs, and system kinds (policy, hold, erasure, purge, key), are
  // left as they are. Returns how many records became stubs.
  // Errors: kInvalidArgument for a seq beyond size() or purge_seq not a
  // `purge` record, kFailedPrecondition when read-only, kIoError.
  Result<uint64_t> PurgeRecords(const std::vector<uint64_t>& seqs,
                                uint64_t purge_seq);

  // Signs a checkpoint over every record appended so far, stores it in the
  // checkpoint history and returns the signed note.
  Result<std::string> Checkpoint();
  // The newest stored checkpoint note; kNotFound when there is none.
  Result<std::string> LatestCheckpoint() const;

 private:
  struct Request;
  Ledger() = default;
  Status Recover();
  Status RebuildDerived(uint64_t from_size);
  // The segment offset just past record seq-1's frame: where record `seq`
  // starts when both share a segment (kSegmentHeaderSize for seq 0).
  Result<uint64_t> OffsetAfterPrevious(uint64_t seq) const;
  Status RepairDerived();
  struct Group;
  class LogThread;
  void WriterLoop();
  void RenderGroup(uint64_t first, Group& group);
  void StartGroup(Group& group, LogThread& log_thread);
  void FinishGroup(Group& group);
  Status WriteCheckpoint();
  // Whether an unsigned record has waited checkpoint_every_seconds.
  bool CheckpointDueByTime() const;
  Status CheckNotTampered() const;
  Result<uint64_t> PurgeSegment(int segment_index,
                                const std::vector<uint64_t>& seqs,
                                uint64_t purge_seq);
  Status RewritePositions(uint64_t first_seq,
                          const std::vector<uint64_t>& offsets);

  std::string dir_;
  LedgerOptions options_;
  bool read_only_ = false;
  std::string origin_;
  std::string verifier_key_;
  std::string initial_admin_;
  std::optional<NoteSigner> signer_;
  RecoveryReport recovery_;
  std::unique_ptr<storage::File> lock_;
  std::unique_ptr<storage::SegmentLog> log_;
  std::unique_ptr<storage::TreeStore> tree_;
  std::unique_ptr<storage::FixedArrayFile> positions_;
  std::unique_ptr<storage::File> checkpoints_;

  std::atomic<uint64_t> size_{0};
  // Writer-thread state.
  merkle::CompactRange range_;
  uint64_t checkpoint_size_ = 0;
  uint64_t checkpoint_count_ = 0;  // notes in the checkpoint history
  bool derived_broken_ = false;
  int64_t first_unsigned_at_ = 0;  // monotonic seconds, 0 = none

  mutable std::mutex mu_;  // guards queue_, stop_, latest_checkpoint_
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stop_ = false;
  std::string latest_checkpoint_;
  std::thread writer_;
};

// --- Verification -----------------------------------------------------------

struct VerifyFinding {
  std::string what;     // what is wrong, in words
  std::string file;     // the file, relative to the data directory
  int64_t offset = -1;  // byte offset in that file, when known
  int64_t seq = -1;     // the record, when known
};

struct VerifyOptions {
  // A checkpoint note saved elsewhere earlier: the ledger must be an
  // append-only extension of it.
  std::string trusted_checkpoint;
  // Verifier key to check signatures with, instead of the one in the
  // ledger's configuration (an auditor passes the key they hold).
  std::string verifier_key;
  // Called now and then with (bytes done, bytes total).
  std::function<void(uint64_t, uint64_t)> progress;
  // Hashing threads; 0 = hardware concurrency.
  unsigned threads = 0;
  // Stop collecting after this many findings.
  size_t max_findings = 50;
};

struct VerifyReport {
  bool ok() const { return findings.empty(); }
  uint64_t records = 0;
  // Records whose content a purge removed (stubs whose leaf hash the tree
  // confirms and a `purge` record authorizes), as [first, last] seq ranges.
  uint64_t purged = 0;
  std::vector<std::pair<uint64_t, uint64_t>> purged_ranges;
  uint64_t bytes = 0;
  uint64_t checkpoints = 0;
  // Bytes of a torn, unacknowledged tail at the end of the last segment (a
  // crash artifact, not tampering); the next open for writing cuts them.
  uint64_t torn_tail_bytes = 0;
  merkle::Hash root{};
  bool trusted_checked = false;
  uint64_t trusted_size = 0;
  std::vector<VerifyFinding> findings;
};

// Recomputes every leaf and the tree from the segment files, checks
// framing and sequence continuity, every stored tree node and record
// offset, every stored checkpoint (root and signature) and, with
// trusted_checkpoint, consistency with it. Reads files only; safe while a
// writer appends (it checks the records present when it starts). Marks the
// ledger tampered when it finds something, and clears that mark when a
// later run passes. Errors: only for a directory that cannot be read at
// all; findings are in the report.
Result<VerifyReport> VerifyLedger(const std::string& dir,
                                  const VerifyOptions& options);

// The tampered mark: appends are refused while it is present.
constexpr char kTamperedFile[] = "TAMPERED";

// --- Purged stubs (docs/FORMAT.md, docs/RETENTION.md) -----------------------
//
// A purged record's frame keeps its seq and holds, instead of the record, a
// canonical JSON stub:
//   {"kind":K,"leaf_hash":"<hex>","purged":{"by":P,"reason":R},
//    "recorded_at":T,"retention":{...},"seq":N}
// `leaf_hash` is the hash of the removed record, so the tree is unchanged;
// `by` is the seq of the `purge` record that authorized the removal.
// Client records can never look like this: the validator refuses unknown
// top-level members such as `purged`.
struct PurgedStub {
  merkle::Hash leaf_hash{};
  uint64_t purged_by = 0;
  std::string reason;
};
// The stub in `payload`, or nullopt when `payload` is a record (or a
// malformed stub: callers that care check IsPurgedStubShaped too).
std::optional<PurgedStub> ParsePurgedStub(std::string_view payload);
// Whether `payload` claims to be a stub (cheap prefix test).
bool IsPurgedStubShaped(std::string_view payload);
// The stub that replaces record `payload` (kind, recorded_at and
// retention copied from it).
std::string RenderPurgedStub(std::string_view payload, uint64_t seq,
                             uint64_t purged_by, std::string_view reason);
// The RFC 6962 leaf hash of a stored payload: the hash of the bytes for a
// record, the stub's `leaf_hash` for a stub.
merkle::Hash StoredLeafHash(std::string_view payload);

}  // namespace actledger

#endif  // ACTLEDGER_LEDGER_H_
