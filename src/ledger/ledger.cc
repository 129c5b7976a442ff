#include "actledger/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <future>

#include "common/time.h"
#include "ledger/paths.h"
#include "storage/file.h"
#include "storage/segment_log.h"
#include "storage/tree_store.h"

namespace actledger {
namespace {

// Makes the tree's level files and the positions durable, all at once.
Status SyncDerived(const storage::TreeStore& tree,
                   storage::FixedArrayFile& positions) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<storage::FixedArrayFile*> files,
                             tree.Files());
  files.push_back(&positions);
  return storage::SyncTogether(files);
}

int64_t MonotonicSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string U64Le(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

uint64_t ReadU64Le(std::string_view p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

std::string HostName() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') {
    return "localhost";
  }
  return buf;
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Kinds the ledger writes about itself: the audit trail of the audit trail
// is never purged (a purge record must outlive the stubs it authorizes).
bool IsSystemKind(std::string_view kind_json) {
  return kind_json == "\"policy\"" || kind_json == "\"hold\"" ||
         kind_json == "\"erasure\"" || kind_json == "\"purge\"" ||
         kind_json == "\"key\"";
}

// Names the segment whose offsets in log/positions may be stale: written
// before a purge renames a rewritten segment into place, removed once the
// offsets are rewritten. Open() rebuilds the derived files from that
// segment on when it finds it.
std::string StalePositionsPath(const std::string& dir) {
  return LedgerPaths(dir).log_dir() + "/positions.stale";
}

constexpr std::string_view kStubPrefix = "{\"kind\":\"";
constexpr std::string_view kStubHashKey = "\",\"leaf_hash\":\"";

}  // namespace

bool IsPurgedStubShaped(std::string_view payload) {
  if (payload.substr(0, kStubPrefix.size()) != kStubPrefix) return false;
  const size_t end = payload.find('"', kStubPrefix.size());
  return end != std::string_view::npos &&
         payload.substr(end, kStubHashKey.size()) == kStubHashKey;
}

std::optional<PurgedStub> ParsePurgedStub(std::string_view payload) {
  if (!IsPurgedStubShaped(payload)) return std::nullopt;
  const size_t hash_at =
      payload.find('"', kStubPrefix.size()) + kStubHashKey.size();
  if (payload.size() < hash_at + 65 || payload[hash_at + 64] != '"') {
    return std::nullopt;
  }
  Result<merkle::Hash> hash = merkle::HashFromHex(payload.substr(hash_at, 64));
  if (!hash.ok()) return std::nullopt;
  const std::string_view purged = FindTopLevelMember(payload, "purged");
  if (purged.empty()) return std::nullopt;
  Result<json::Value> v = json::Parse(purged);
  if (!v.ok() || !v->is_object()) return std::nullopt;
  const json::Value* by = v->Find("by");
  const json::Value* reason = v->Find("reason");
  if (by == nullptr || !by->is_number() || by->as_number() < 0 ||
      reason == nullptr || !reason->is_string()) {
    return std::nullopt;
  }
  PurgedStub stub;
  stub.leaf_hash = *hash;
  stub.purged_by = static_cast<uint64_t>(by->as_number());
  stub.reason = reason->as_string();
  return stub;
}

std::string RenderPurgedStub(std::string_view payload, uint64_t seq,
                             uint64_t purged_by, std::string_view reason) {
  // Members in RFC 8785 order; values are canonical text copied from the
  // canonical record, so the stub is canonical too.
  std::string out = "{\"kind\":";
  const std::string_view kind = FindTopLevelMember(payload, "kind");
  out += kind.empty() ? "\"action\"" : std::string(kind);
  out += ",\"leaf_hash\":\"" + merkle::ToHex(merkle::HashLeaf(payload)) + "\"";
  out += ",\"purged\":{\"by\":" + std::to_string(purged_by) + ",\"reason\":";
  json::AppendCanonicalString(reason, &out);
  out += "}";
  if (std::string_view at = FindTopLevelMember(payload, "recorded_at");
      !at.empty()) {
    out += ",\"recorded_at\":";
    out += at;
  }
  if (std::string_view ret = FindTopLevelMember(payload, "retention");
      !ret.empty()) {
    out += ",\"retention\":";
    out += ret;
  }
  out += ",\"seq\":" + std::to_string(seq) + "}";
  return out;
}

merkle::Hash StoredLeafHash(std::string_view payload) {
  if (IsPurgedStubShaped(payload)) {
    if (std::optional<PurgedStub> stub = ParsePurgedStub(payload)) {
      return stub->leaf_hash;
    }
  }
  return merkle::HashLeaf(payload);
}

struct Ledger::Request {
  std::vector<AppendRequest> batch;
  std::string recorded_by;  // canonical JSON string
  AppendCallback done;
  // A checkpoint request instead of records.
  std::function<void(Result<std::string>)> checkpoint_done;
  // Work that must not interleave with appends (a purge), instead of
  // records.
  std::function<void()> task;
};

Status Ledger::Init(const std::string& dir, const InitOptions& options) {
  ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(dir));
  const LedgerPaths paths(dir);
  if (storage::PathExists(paths.config())) {
    return FailedPrecondition(dir + " already holds a ledger (" +
                              paths.config() + " exists)");
  }
  std::string origin =
      options.origin.empty() ? "actledger/" + HostName() : options.origin;
  for (char c : origin) {
    if (c == '+' || c == ' ' || c == '\n' ||
        static_cast<unsigned char>(c) < 0x21) {
      return InvalidArgument(
          "origin may not contain '+', spaces or control characters", "origin");
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(NoteSigner signer, NoteSigner::Generate(origin));
  std::string key_path =
      options.key_path.empty() ? paths.default_key() : options.key_path;
  if (options.key_path.empty()) {
    ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(paths.keys_dir(), 0700));
  }
  if (storage::PathExists(key_path)) {
    return FailedPrecondition("key file " + key_path +
                              " already exists; refusing to overwrite it");
  }
  ACTLEDGER_RETURN_IF_ERROR(
      storage::WriteFileAtomically(key_path, signer.PrivateKey() + "\n", 0600));
  ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(paths.log_dir()));
  ACTLEDGER_RETURN_IF_ERROR(storage::MakeDir(paths.tree_dir()));
  LedgerConfig config;
  config.origin = origin;
  config.verifier_key = signer.VerifierKey();
  config.key_path = options.key_path.empty() ? "" : options.key_path;
  config.created_at = FormatRfc3339Utc(NowUtc());
  config.checkpoint_every_records = options.checkpoint_every_records;
  config.checkpoint_every_seconds = options.checkpoint_every_seconds;
  config.max_segment_bytes = options.max_segment_bytes;
  config.admin = options.admin;
  ACTLEDGER_RETURN_IF_ERROR(
      storage::WriteFileAtomically(paths.config(), config.ToJson()));
  return storage::SyncDir(dir);
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir,
                                             const LedgerOptions& options) {
  const LedgerPaths paths(dir);
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerConfig config, LedgerConfig::Load(dir));
  std::unique_ptr<Ledger> l(new Ledger());
  l->dir_ = dir;
  l->options_ = options;
  l->origin_ = config.origin;
  l->verifier_key_ = config.verifier_key;
  l->initial_admin_ = config.admin;

  // One writer per directory.
  ACTLEDGER_ASSIGN_OR_RETURN(
      storage::File lock,
      storage::File::Open(paths.lock(), O_RDWR | O_CREAT, 0644));
  if (::flock(lock.fd(), LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    (void)lock.ReadUpTo(0, 512, &holder);
    return Unavailable("the ledger in " + dir +
                       " is open for writing by another process (" +
                       TrimNewline(holder) + ")");
  }
  std::string me = "pid " + std::to_string(::getpid());
  (void)lock.Truncate(0);
  (void)::pwrite(lock.fd(), me.data(), me.size(), 0);
  l->lock_ = std::make_unique<storage::File>(std::move(lock));
  // A ledger marked tampered is evidence: repair nothing, append nothing.
  ACTLEDGER_RETURN_IF_ERROR(l->CheckNotTampered());

  std::string key_path = !options.key_path.empty()  ? options.key_path
                         : !config.key_path.empty() ? config.key_path
                                                    : paths.default_key();
  Result<std::string> key = storage::ReadFile(key_path);
  if (!key.ok()) {
    return Status(key.status().code(),
                  "cannot read the signing key: " + key.status().message());
  }
  ACTLEDGER_ASSIGN_OR_RETURN(NoteSigner signer,
                             NoteSigner::FromPrivateKey(TrimNewline(*key)));
  if (signer.VerifierKey() != config.verifier_key) {
    return PermissionDenied("the signing key " + key_path +
                            " does not belong to this ledger");
  }
  l->signer_ = std::move(signer);

  ACTLEDGER_RETURN_IF_ERROR(l->Recover());
  l->writer_ = std::thread([p = l.get()] { p->WriterLoop(); });
  return l;
}

Status Ledger::CheckNotTampered() const {
  const LedgerPaths paths(dir_);
  if (!storage::PathExists(paths.tampered())) return Status::Ok();
  Result<std::string> why = storage::ReadFile(paths.tampered());
  return DataLoss(
      "the ledger failed verification and refuses appends until an operator "
      "restores it and `actledger verify` passes: " +
      (why.ok() ? TrimNewline(*why) : std::string("(reason unreadable)")));
}

// Marks the ledger tampered (sticky) with a one-line reason.
static void MarkTampered(const std::string& dir, const std::string& reason) {
  (void)storage::WriteFileAtomically(
      LedgerPaths(dir).tampered(),
      FormatRfc3339Utc(NowUtc()) + " " + reason + "\n");
}

Status Ledger::Recover() {
  const LedgerPaths paths(dir_);
  // The checkpoint history: the newest checkpoint bounds what derived files
  // are known durable, and no record below its size may be missing.
  ACTLEDGER_ASSIGN_OR_RETURN(
      storage::File cps,
      storage::File::Open(paths.checkpoints(), O_RDWR | O_CREAT | O_APPEND));
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> notes,
                             ReadCheckpointHistory(cps, /*repair=*/true));
  checkpoints_ = std::make_unique<storage::File>(std::move(cps));
  checkpoint_count_ = notes.size();
  uint64_t signed_size = 0;
  merkle::Hash signed_root = merkle::EmptyRoot();
  if (!notes.empty()) {
    ACTLEDGER_ASSIGN_OR_RETURN(NoteVerifier verifier,
                               NoteVerifier::FromVerifierKey(verifier_key_));
    Result<std::string> body = verifier.Open(notes.back());
    if (!body.ok()) {
      std::string why =
          "newest checkpoint (#" + std::to_string(notes.size() - 1) +
          ") fails its signature check: " + body.status().message();
      MarkTampered(dir_, why);
      return DataLoss(why);
    }
    ACTLEDGER_ASSIGN_OR_RETURN(actledger::Checkpoint cp,
                               ParseCheckpoint(*body));
    signed_size = cp.size;
    signed_root = cp.root;
    latest_checkpoint_ = notes.back();
  }
  checkpoint_size_ = signed_size;

  // An interrupted purge: the segment named here may have been replaced
  // after its offsets were recorded.
  const std::string stale_path = StalePositionsPath(dir_);
  std::optional<uint64_t> stale_from;
  if (storage::PathExists(stale_path)) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string text, storage::ReadFile(stale_path));
    text = TrimNewline(text);
    if (text.empty() || text.size() > 20 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return DataLoss(stale_path + " does not hold a segment's first seq");
    }
    stale_from = std::stoull(text);
    (void)::unlink((paths.log_dir() + "/" +
                    storage::SegmentFileName(*stale_from) + ".rewrite")
                       .c_str());
  }

  storage::SegmentLog::Options log_options;
  log_options.max_segment_bytes = options_.max_segment_bytes;
  ACTLEDGER_ASSIGN_OR_RETURN(
      log_, storage::SegmentLog::Open(paths.log_dir(), log_options, true));
  ACTLEDGER_ASSIGN_OR_RETURN(tree_,
                             storage::TreeStore::Open(paths.tree_dir(), true));
  ACTLEDGER_ASSIGN_OR_RETURN(
      storage::FixedArrayFile positions,
      storage::FixedArrayFile::Open(paths.positions(), 8, true));
  positions_ = std::make_unique<storage::FixedArrayFile>(std::move(positions));

  // Derived files are durable up to the newest checkpoint; past it they
  // are rebuilt from the log. If they fall short even of it, rebuild all.
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t pos_count, positions_->Count());
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t tree_size, tree_->CompleteSize());
  uint64_t from = signed_size;
  if (pos_count < from || tree_size < from) from = 0;
  if (from > 0) {
    ACTLEDGER_ASSIGN_OR_RETURN(merkle::CompactRange r, tree_->LoadRange(from));
    if (r.Root() != signed_root) {
      std::string why =
          "stored tree nodes do not match the newest signed "
          "checkpoint (size " +
          std::to_string(signed_size) + ")";
      MarkTampered(dir_, why);
      return DataLoss(why + "; run `actledger verify` for details");
    }
  }
  if (stale_from.has_value() && *stale_from < from) from = *stale_from;
  Status st = RebuildDerived(from);
  if (!st.ok()) {
    if (st.code() == StatusCode::kDataLoss) MarkTampered(dir_, st.message());
    return st;
  }
  if (from < signed_size && size() >= signed_size) {
    // Rebuilt below the newest checkpoint (after an interrupted purge):
    // the stubs' leaf hashes must give the signed root again.
    ACTLEDGER_ASSIGN_OR_RETURN(merkle::Hash root,
                               merkle::RootAt(*tree_, signed_size));
    if (root != signed_root) {
      std::string why =
          "the log rebuilt after an interrupted purge does not match the "
          "newest signed checkpoint (size " +
          std::to_string(signed_size) + ")";
      MarkTampered(dir_, why);
      return DataLoss(why + "; run `actledger verify` for details");
    }
  }
  if (stale_from.has_value()) {
    ACTLEDGER_RETURN_IF_ERROR(SyncDerived(*tree_, *positions_));
    if (::unlink(stale_path.c_str()) != 0) {
      return storage::ErrnoStatus("remove", stale_path, errno);
    }
    ACTLEDGER_RETURN_IF_ERROR(storage::SyncDir(paths.log_dir()));
  }
  if (size() < signed_size) {
    std::string why = "the log holds " + std::to_string(size()) +
                      " records but checkpoint #" +
                      std::to_string(notes.size() - 1) + " signs " +
                      std::to_string(signed_size) +
                      " (records truncated or removed)";
    MarkTampered(dir_, why);
    return DataLoss(why);
  }
  return Status::Ok();
}

Result<uint64_t> Ledger::OffsetAfterPrevious(uint64_t seq) const {
  if (seq == 0) return storage::kSegmentHeaderSize;
  std::string buf;
  ACTLEDGER_RETURN_IF_ERROR(positions_->Read(seq - 1, &buf));
  const uint64_t prev = ReadU64Le(buf);
  ACTLEDGER_ASSIGN_OR_RETURN(std::string payload, log_->Read(seq - 1, prev));
  return prev + storage::kFrameHeaderSize + payload.size();
}

Status Ledger::RebuildDerived(uint64_t from) {
  const LedgerPaths paths(dir_);
  ACTLEDGER_RETURN_IF_ERROR(positions_->TruncateTo(from));
  ACTLEDGER_RETURN_IF_ERROR(tree_->TruncateToSize(from));
  ACTLEDGER_ASSIGN_OR_RETURN(range_, tree_->LoadRange(from));

  // Where record `from` starts: just after record from-1's frame.
  ACTLEDGER_ASSIGN_OR_RETURN(const uint64_t offset, OffsetAfterPrevious(from));
  std::string pos_buf;
  uint64_t count = 0;
  auto flush = [&]() -> Status {
    ACTLEDGER_RETURN_IF_ERROR(tree_->Flush());
    ACTLEDGER_RETURN_IF_ERROR(positions_->Append(pos_buf));
    pos_buf.clear();
    return Status::Ok();
  };
  auto sink = [this](int level, uint64_t index, const merkle::Hash& h) {
    tree_->Add(level, index, h);
  };
  Status fn_status;
  ACTLEDGER_ASSIGN_OR_RETURN(
      storage::SegmentLog::ScanResult scan,
      log_->Scan(from, offset,
                 [&](uint64_t, uint64_t off, std::string_view payload) {
                   range_.Append(StoredLeafHash(payload), sink);
                   pos_buf += U64Le(off);
                   if (++count % 65536 == 0) return flush();
                   return Status::Ok();
                 }));
  ACTLEDGER_RETURN_IF_ERROR(flush());
  if (scan.next_seq < checkpoint_size_) {
    // Never cut below a signed checkpoint: that is tampering, not a tear.
    size_.store(scan.next_seq, std::memory_order_release);
    return Status::Ok();
  }
  const std::vector<uint64_t> segs_before = log_->segments();
  ACTLEDGER_RETURN_IF_ERROR(log_->Recover(scan));
  recovery_.records = scan.next_seq;
  recovery_.rescanned += count;
  if (scan.tail_damaged) {
    recovery_.tail_cut = true;
    recovery_.tail_segment = storage::SegmentFileName(segs_before.back());
    if (scan.empty_segment_dropped) {
      recovery_.tail_reason = "segment without a complete header removed: ";
    }
    recovery_.tail_offset = scan.damage_offset;
    recovery_.tail_bytes = scan.damage_bytes;
    recovery_.tail_reason += scan.damage_reason;
  }
  size_.store(scan.next_seq, std::memory_order_release);
  derived_broken_ = false;
  return Status::Ok();
}

Status Ledger::RepairDerived() {
  // Entries this process wrote completely are sound; rebuild from where
  // both derived files are still whole.
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t pos_count, positions_->Count());
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t tree_size, tree_->CompleteSize());
  return RebuildDerived(std::min({pos_count, tree_size, size()}));
}

Result<LedgerOptions> Ledger::ConfiguredOptions(const std::string& dir) {
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerConfig config, LedgerConfig::Load(dir));
  LedgerOptions o;
  if (config.checkpoint_every_records > 0) {
    o.checkpoint_every_records = config.checkpoint_every_records;
  }
  if (config.checkpoint_every_seconds > 0) {
    o.checkpoint_every_seconds = config.checkpoint_every_seconds;
  }
  if (config.max_segment_bytes > 0) {
    o.max_segment_bytes = config.max_segment_bytes;
  }
  return o;
}

Result<std::unique_ptr<Ledger>> Ledger::OpenForRead(const std::string& dir) {
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerOptions options, ConfiguredOptions(dir));
  Result<std::unique_ptr<Ledger>> writable = Open(dir, options);
  if (writable.ok()) return writable;
  const StatusCode code = writable.status().code();
  if (code != StatusCode::kUnavailable && code != StatusCode::kDataLoss &&
      code != StatusCode::kPermissionDenied) {
    return writable.status();
  }
  // Another process writes (or the ledger is damaged): read what has been
  // published, repairing nothing.
  const LedgerPaths paths(dir);
  ACTLEDGER_ASSIGN_OR_RETURN(LedgerConfig config, LedgerConfig::Load(dir));
  std::unique_ptr<Ledger> l(new Ledger());
  l->dir_ = dir;
  l->read_only_ = true;
  l->origin_ = config.origin;
  l->verifier_key_ = config.verifier_key;
  l->initial_admin_ = config.admin;
  ACTLEDGER_ASSIGN_OR_RETURN(
      l->log_, storage::SegmentLog::Open(paths.log_dir(), {}, false));
  ACTLEDGER_ASSIGN_OR_RETURN(l->tree_,
                             storage::TreeStore::Open(paths.tree_dir(), false));
  if (storage::PathExists(paths.positions())) {
    ACTLEDGER_ASSIGN_OR_RETURN(
        storage::FixedArrayFile positions,
        storage::FixedArrayFile::Open(paths.positions(), 8, false));
    l->positions_ =
        std::make_unique<storage::FixedArrayFile>(std::move(positions));
  }
  uint64_t size = 0;
  if (l->positions_) {
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t pos_count, l->positions_->Count());
    ACTLEDGER_ASSIGN_OR_RETURN(uint64_t tree_size, l->tree_->CompleteSize());
    size = std::min(pos_count, tree_size);
  }
  l->size_.store(size);
  if (storage::PathExists(paths.checkpoints())) {
    ACTLEDGER_ASSIGN_OR_RETURN(
        storage::File cps, storage::File::Open(paths.checkpoints(), O_RDONLY));
    ACTLEDGER_ASSIGN_OR_RETURN(std::vector<std::string> notes,
                               ReadCheckpointHistory(cps, false));
    if (!notes.empty()) l->latest_checkpoint_ = notes.back();
  }
  return l;
}

Ledger::~Ledger() {
  if (writer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    writer_.join();
  }
}

AppendRequest Ledger::Prepare(ValidatedRecord record) {
  AppendRequest req;
  req.kind = record.kind;
  req.action_id = std::move(record.action_id);
  req.missing = std::move(record.missing);
  req.body = CanonicalBody(record.body);
  return req;
}

void Ledger::AppendAsync(std::vector<AppendRequest> batch,
                         const std::string& recorded_by, AppendCallback done) {
  if (read_only_) {
    done(FailedPrecondition("the ledger is open read-only"));
    return;
  }
  std::string by;
  json::AppendCanonicalString(recorded_by, &by);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      queue_.push_back(
          Request{std::move(batch), std::move(by), std::move(done), {}, {}});
      cv_.notify_one();
      return;
    }
  }
  done(Unavailable("the ledger is closing"));
}

Result<std::vector<Receipt>> Ledger::Append(std::vector<AppendRequest> batch,
                                            const std::string& recorded_by) {
  std::promise<Result<std::vector<Receipt>>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(batch), recorded_by,
              [&promise](Result<std::vector<Receipt>> r) {
                promise.set_value(std::move(r));
              });
  return future.get();
}

Result<std::string> Ledger::Checkpoint() {
  if (read_only_) return FailedPrecondition("the ledger is open read-only");
  std::promise<Result<std::string>> promise;
  auto future = promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    Request r;
    r.checkpoint_done = [&promise](Result<std::string> note) {
      promise.set_value(std::move(note));
    };
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
  return future.get();
}

Result<std::string> Ledger::LatestCheckpoint() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (latest_checkpoint_.empty()) {
    return NotFound("no checkpoint has been signed yet");
  }
  return latest_checkpoint_;
}

// A group of records on its way to the log. The writer renders a group's
// frames, hands their write and fdatasync to the log thread, hashes the
// leaves meanwhile, and renders the next group while the sync runs; it
// finishes a group (tree, offsets, receipts) once the log thread is done.
struct Ledger::Group {
  std::vector<Request> requests;
  uint64_t first = 0;          // seq of the first record
  std::string frames;          // the frames, back to back
  std::vector<size_t> starts;  // where each frame starts in `frames`
  std::vector<merkle::Hash> leaves;
  std::vector<uint64_t> offsets;  // each frame's offset in its segment
  Status status;                  // of the write; set by the log thread

  uint64_t end() const { return first + starts.size(); }
};

// The thread that writes and syncs the log: one job at a time, which the
// writer posts and later waits for.
class Ledger::LogThread {
 public:
  LogThread() : thread_([this] { Run(); }) {}
  ~LogThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  LogThread(const LogThread&) = delete;
  LogThread& operator=(const LogThread&) = delete;

  void Post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      assert(!job_ && !busy_);
      job_ = std::move(job);
      busy_ = true;
    }
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !busy_; });
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || job_ != nullptr; });
      if (!job_) return;
      std::function<void()> job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

void Ledger::WriterLoop() {
  LogThread log_thread;
  // Two groups alternate: one written by the log thread while the next is
  // rendered.
  Group groups[2];
  int next = 0;
  Group* in_flight = nullptr;
  while (true) {
    std::vector<Request> requests;
    {
      std::unique_lock<std::mutex> lock(mu_);
      // With a group in flight, take what is queued without waiting.
      while (in_flight == nullptr && queue_.empty() && !stop_ &&
             !CheckpointDueByTime()) {
        if (first_unsigned_at_ != 0 && options_.checkpoint_every_seconds > 0) {
          cv_.wait_for(lock, std::chrono::milliseconds(250));
        } else {
          cv_.wait(lock);
        }
      }
      if (in_flight == nullptr && queue_.empty() && stop_) break;
      // Take everything waiting, up to the group byte limit.
      size_t bytes = 0;
      while (!queue_.empty()) {
        Request& r = queue_.front();
        size_t rb = 0;
        for (const AppendRequest& a : r.batch) rb += a.body.byte_size();
        if (!requests.empty() && bytes + rb > options_.max_group_bytes) break;
        bytes += rb;
        requests.push_back(std::move(r));
        queue_.pop_front();
        if (requests.back().checkpoint_done || requests.back().task) break;
      }
    }
    // A checkpoint or a task ends its group and runs with nothing in
    // flight, after the group's records.
    const bool special =
        !requests.empty() &&
        (requests.back().checkpoint_done || requests.back().task);
    Group* group = nullptr;
    if (!requests.empty()) {
      group = &groups[next];
      next ^= 1;
      group->requests = std::move(requests);
      if (!special) {
        RenderGroup(in_flight != nullptr ? in_flight->end() : size(), *group);
      }
    }
    if (in_flight != nullptr) {
      log_thread.Wait();
      FinishGroup(*in_flight);
      in_flight = nullptr;
    }
    // The log thread is idle: the log, the derived files and the
    // checkpoint history are this thread's alone until the next Post.
    const bool count_due =
        options_.checkpoint_every_records > 0 &&
        size() - checkpoint_size_ >= options_.checkpoint_every_records;
    if (count_due || CheckpointDueByTime()) (void)WriteCheckpoint();
    if (group != nullptr) {
      // Rendered after a group whose write failed: its seqs are taken.
      if (special || group->first != size()) RenderGroup(size(), *group);
      StartGroup(*group, log_thread);
      if (special) {
        log_thread.Wait();
        FinishGroup(*group);
      } else {
        in_flight = group;
      }
    }
  }
  // Leave a checkpoint over everything appended, so the next open starts
  // from a signed, synced state.
  if (size() > checkpoint_size_) (void)WriteCheckpoint();
}

void Ledger::RenderGroup(uint64_t first, Group& group) {
  // Each leaf is rendered straight into its frame, which the log writes as
  // it is: one copy of each record between its body and the kernel.
  group.first = first;
  group.frames.clear();
  group.starts.clear();
  std::string recorded_at;
  json::AppendCanonicalString(FormatRfc3339Utc(NowUtc(), 6), &recorded_at);
  std::string kinds[static_cast<size_t>(RecordKind::kKey) + 1];
  uint64_t seq = first;
  char seq_text[24];
  for (Request& r : group.requests) {
    if (r.checkpoint_done || r.task) continue;
    for (const AppendRequest& a : r.batch) {
      std::string& kind = kinds[static_cast<size_t>(a.kind)];
      if (kind.empty()) {
        json::AppendCanonicalString(RecordKindName(a.kind), &kind);
      }
      const auto [end, ec] =
          std::to_chars(seq_text, seq_text + sizeof(seq_text), seq);
      (void)ec;  // 24 characters hold any uint64_t
      // In RFC 8785 key order, as RenderTo needs them.
      const CanonicalBody::Extra envelope[] = {
          {"kind", kind},
          {"recorded_at", recorded_at},
          {"recorded_by", r.recorded_by},
          {"seq", std::string_view(seq_text, end - seq_text)}};
      const size_t start = storage::BeginFrame(&group.frames);
      a.body.RenderTo(envelope, &group.frames);
      storage::FinishFrame(seq, start, &group.frames);
      group.starts.push_back(start);
      ++seq;
    }
  }
}

void Ledger::StartGroup(Group& group, LogThread& log_thread) {
  group.leaves.clear();
  group.offsets.clear();
  group.status = CheckNotTampered();
  if (group.status.ok() && derived_broken_) group.status = RepairDerived();
  if (!group.status.ok() || group.starts.empty()) {
    log_thread.Post([] {});
    return;
  }
  log_thread.Post([this, &group] {
    group.status =
        log_->Append(group.first, group.frames, group.starts, &group.offsets);
  });
  // The leaves are hashed here while the log thread writes and syncs.
  group.leaves.resize(group.starts.size());
  for (size_t k = 0; k < group.starts.size(); ++k) {
    const size_t begin = group.starts[k] + storage::kFrameHeaderSize;
    const size_t end =
        k + 1 < group.starts.size() ? group.starts[k + 1] : group.frames.size();
    group.leaves[k] = merkle::HashLeaf(
        std::string_view(group.frames.data() + begin, end - begin));
  }
  // The bodies are in the frames now: free them here too, rather than
  // after the sync.
  for (Request& r : group.requests) {
    for (AppendRequest& a : r.batch) a.body = CanonicalBody();
  }
}

void Ledger::FinishGroup(Group& group) {
  const Status& st = group.status;
  const uint64_t first = group.first;
  const size_t n = group.starts.size();
  if (st.ok() && n > 0) {
    // Durable. Now the derived files; a failure here loses nothing (the log
    // has the records) and is repaired before the next group.
    std::string pos_buf;
    pos_buf.reserve(n * 8);
    for (size_t i = 0; i < n; ++i) {
      range_.Append(group.leaves[i],
                    [this](int level, uint64_t index, const merkle::Hash& h) {
                      tree_->Add(level, index, h);
                    });
      pos_buf += U64Le(group.offsets[i]);
    }
    Status derived = tree_->Flush();
    if (derived.ok()) derived = positions_->Append(pos_buf);
    if (!derived.ok()) derived_broken_ = true;
    size_.store(first + n, std::memory_order_release);
    if (first_unsigned_at_ == 0) first_unsigned_at_ = MonotonicSeconds();
  }
  size_t i = 0;
  for (Request& r : group.requests) {
    if (r.task) {
      r.task();
      continue;
    }
    if (r.checkpoint_done) {
      if (!st.ok()) {
        r.checkpoint_done(st);
        continue;
      }
      Status cp = WriteCheckpoint();
      if (!cp.ok()) {
        r.checkpoint_done(cp);
      } else {
        std::string note;
        {
          std::lock_guard<std::mutex> lock(mu_);
          note = latest_checkpoint_;
        }
        r.checkpoint_done(std::move(note));
      }
      continue;
    }
    if (!st.ok()) {
      r.done(st);
      continue;
    }
    std::vector<Receipt> receipts;
    receipts.reserve(r.batch.size());
    for (AppendRequest& a : r.batch) {
      Receipt rc;
      rc.seq = first + i;
      rc.action_id = std::move(a.action_id);
      rc.leaf_hash = group.leaves[i];
      rc.missing = std::move(a.missing);
      rc.kind = a.kind;
      receipts.push_back(std::move(rc));
      ++i;
    }
    r.done(std::move(receipts));
  }
  group.requests.clear();
  // Keeps the buffer of a usual group; gives back one grown for a rare
  // giant (a group holds whatever is queued, up to max_group_bytes).
  if (group.frames.capacity() > 2 * options_.max_group_bytes) {
    std::string().swap(group.frames);
  }
}

bool Ledger::CheckpointDueByTime() const {
  return first_unsigned_at_ != 0 && options_.checkpoint_every_seconds > 0 &&
         MonotonicSeconds() - first_unsigned_at_ >=
             static_cast<int64_t>(options_.checkpoint_every_seconds);
}

Status Ledger::WriteCheckpoint() {
  if (derived_broken_) ACTLEDGER_RETURN_IF_ERROR(RepairDerived());
  // Derived files become durable up to the size being signed, so recovery
  // may trust them that far.
  ACTLEDGER_RETURN_IF_ERROR(SyncDerived(*tree_, *positions_));
  actledger::Checkpoint cp;
  cp.origin = origin_;
  cp.size = size();
  cp.root = range_.Root();
  ACTLEDGER_ASSIGN_OR_RETURN(std::string note,
                             signer_->Sign(FormatCheckpoint(cp)));
  ACTLEDGER_RETURN_IF_ERROR(
      AppendCheckpointNote(*checkpoints_, checkpoint_count_, note));
  ++checkpoint_count_;
  checkpoint_size_ = cp.size;
  first_unsigned_at_ = 0;
  std::lock_guard<std::mutex> lock(mu_);
  latest_checkpoint_ = std::move(note);
  return Status::Ok();
}

Result<std::string> Ledger::Get(uint64_t seq) const {
  if (seq >= size()) {
    return NotFound("no record " + std::to_string(seq) + ": the ledger has " +
                    std::to_string(size()) + " records");
  }
  std::string buf;
  if (positions_->Read(seq, &buf).ok()) {
    Result<std::string> at = log_->Read(seq, ReadU64Le(buf));
    if (at.ok() || at.status().code() != StatusCode::kDataLoss) return at;
  }
  // The offsets file could not be written (e.g. the disk filled after the
  // record became durable) and is not yet repaired, or a purge has just
  // rewritten the segment: find the frame by walking its segment.
  const int idx = log_->SegmentIndexOf(seq);
  if (idx < 0) return NotFound("no segment holds seq " + std::to_string(seq));
  const std::string path = log_->SegmentPath(log_->segments()[idx]);
  ACTLEDGER_ASSIGN_OR_RETURN(storage::File f,
                             storage::File::Open(path, O_RDONLY));
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t file_size, f.Size());
  std::string bytes;
  ACTLEDGER_RETURN_IF_ERROR(f.ReadUpTo(0, file_size, &bytes));
  std::string_view rest(bytes);
  rest.remove_prefix(std::min(rest.size(), storage::kSegmentHeaderSize));
  storage::DecodedFrame frame;
  while (storage::DecodeFrame(rest, &frame) == storage::FrameStatus::kOk) {
    if (frame.seq == seq) return std::string(frame.payload);
    rest.remove_prefix(frame.size);
  }
  return DataLoss("record " + std::to_string(seq) +
                  " not found in its segment");
}

Status Ledger::ForEach(uint64_t first, uint64_t end, const LeafFn& fn) const {
  if (end > size()) {
    return NotFound("no record " + std::to_string(end - 1) +
                    ": the ledger has " + std::to_string(size()) + " records");
  }
  uint64_t next = first;
  if (first < end) {
    // One sequential scan of the segments from `first`. Whatever it cannot
    // read (the offsets not yet repaired after a full disk, or a segment a
    // purge has just rewritten) is read below one record at a time, as Get
    // reads it.
    Result<uint64_t> offset = OffsetAfterPrevious(first);
    Status fn_status;
    bool reached_end = false;
    if (offset.ok()) {
      (void)log_->Scan(first, *offset,
                       [&](uint64_t seq, uint64_t, std::string_view leaf) {
                         if (seq >= end) {
                           reached_end = true;
                           return Internal("end of range");  // stops Scan
                         }
                         fn_status = fn(seq, leaf);
                         if (!fn_status.ok()) return fn_status;
                         next = seq + 1;
                         return Status::Ok();
                       });
    }
    if (!fn_status.ok()) return fn_status;
    if (reached_end) return Status::Ok();
  }
  for (; next < end; ++next) {
    ACTLEDGER_ASSIGN_OR_RETURN(std::string leaf, Get(next));
    ACTLEDGER_RETURN_IF_ERROR(fn(next, leaf));
  }
  return Status::Ok();
}

Result<uint64_t> Ledger::PurgeRecords(const std::vector<uint64_t>& seqs,
                                      uint64_t purge_seq) {
  if (read_only_) return FailedPrecondition("the ledger is open read-only");
  for (size_t k = 0; k < seqs.size(); ++k) {
    if (seqs[k] >= size() || (k > 0 && seqs[k] <= seqs[k - 1])) {
      return InvalidArgument(
          "seqs to purge must be ascending records of the ledger (seq " +
              std::to_string(seqs[k]) + ")",
          "seqs");
    }
  }
  ACTLEDGER_ASSIGN_OR_RETURN(std::string purge, Get(purge_seq));
  if (FindTopLevelMember(purge, "kind") != "\"purge\"") {
    return InvalidArgument(
        "record " + std::to_string(purge_seq) + " is not a purge record",
        "purge_seq");
  }
  std::promise<Result<uint64_t>> promise;
  auto future = promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return Unavailable("the ledger is closing");
    Request r;
    r.task = [this, &seqs, purge_seq, &promise] {
      Status st = CheckNotTampered();
      if (st.ok() && derived_broken_) st = RepairDerived();
      if (!st.ok()) {
        promise.set_value(st);
        return;
      }
      uint64_t purged = 0;
      size_t k = 0;
      while (k < seqs.size()) {
        const int idx = log_->SegmentIndexOf(seqs[k]);
        const std::vector<uint64_t> segs = log_->segments();
        const uint64_t end =
            idx + 1 < static_cast<int>(segs.size()) ? segs[idx + 1] : size();
        std::vector<uint64_t> in_segment;
        while (k < seqs.size() && seqs[k] < end)
          in_segment.push_back(seqs[k++]);
        Result<uint64_t> n = PurgeSegment(idx, in_segment, purge_seq);
        if (!n.ok()) {
          promise.set_value(n.status());
          return;
        }
        purged += *n;
      }
      promise.set_value(purged);
    };
    queue_.push_back(std::move(r));
  }
  cv_.notify_one();
  return future.get();
}

Result<uint64_t> Ledger::PurgeSegment(int segment_index,
                                      const std::vector<uint64_t>& seqs,
                                      uint64_t purge_seq) {
  const uint64_t first = log_->segments()[segment_index];
  const std::string path = log_->SegmentPath(first);
  ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes, storage::ReadFile(path));
  ACTLEDGER_ASSIGN_OR_RETURN(uint64_t header_seq,
                             storage::DecodeSegmentHeader(bytes));
  if (header_seq != first) {
    return DataLoss(path + ": segment header names first seq " +
                    std::to_string(header_seq));
  }
  std::string out = bytes.substr(0, storage::kSegmentHeaderSize);
  out.reserve(bytes.size());
  std::vector<uint64_t> offsets;
  std::string_view rest(bytes);
  rest.remove_prefix(storage::kSegmentHeaderSize);
  uint64_t purged = 0;
  size_t k = 0;
  while (!rest.empty()) {
    storage::DecodedFrame frame;
    const storage::FrameStatus st = storage::DecodeFrame(rest, &frame);
    if (st != storage::FrameStatus::kOk) {
      return DataLoss(path + " offset " +
                      std::to_string(bytes.size() - rest.size()) + ": " +
                      storage::FrameStatusName(st) + " while purging");
    }
    offsets.push_back(out.size());
    while (k < seqs.size() && seqs[k] < frame.seq) ++k;
    const bool wanted = k < seqs.size() && seqs[k] == frame.seq;
    if (wanted && !IsPurgedStubShaped(frame.payload) &&
        !IsSystemKind(FindTopLevelMember(frame.payload, "kind"))) {
      storage::EncodeFrame(
          frame.seq,
          RenderPurgedStub(frame.payload, frame.seq, purge_seq, "retention"),
          &out);
      ++purged;
    } else {
      out.append(rest.substr(0, frame.size));
    }
    rest.remove_prefix(frame.size);
  }
  if (purged == 0) return purged;
  const std::string stale = StalePositionsPath(dir_);
  ACTLEDGER_RETURN_IF_ERROR(
      storage::WriteFileAtomically(stale, std::to_string(first) + "\n"));
  ACTLEDGER_RETURN_IF_ERROR(log_->ReplaceSegment(first, out));
  ACTLEDGER_RETURN_IF_ERROR(RewritePositions(first, offsets));
  if (::unlink(stale.c_str()) != 0) {
    return storage::ErrnoStatus("remove", stale, errno);
  }
  ACTLEDGER_RETURN_IF_ERROR(storage::SyncDir(LedgerPaths(dir_).log_dir()));
  return purged;
}

Status Ledger::RewritePositions(uint64_t first_seq,
                                const std::vector<uint64_t>& offsets) {
  const LedgerPaths paths(dir_);
  // positions_ appends (O_APPEND ignores pwrite offsets on Linux): write
  // the entries in place through a second descriptor.
  ACTLEDGER_ASSIGN_OR_RETURN(storage::File f,
                             storage::File::Open(paths.positions(), O_WRONLY));
  std::string buf;
  buf.reserve(offsets.size() * 8);
  for (uint64_t off : offsets) buf += U64Le(off);
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::pwrite(f.fd(), buf.data() + done, buf.size() - done,
                               static_cast<off_t>(first_seq * 8 + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return storage::ErrnoStatus("write", paths.positions(), errno);
    }
    done += static_cast<size_t>(n);
  }
  return f.Sync();
}

Result<merkle::Hash> Ledger::LeafHash(uint64_t seq) const {
  if (seq >= size()) {
    return NotFound("no record " + std::to_string(seq));
  }
  return tree_->PerfectNode(0, seq);
}

Result<merkle::Hash> Ledger::Root(uint64_t tree_size) const {
  if (tree_size > size()) {
    return InvalidArgument("tree size " + std::to_string(tree_size) +
                           " exceeds the ledger's " + std::to_string(size()) +
                           " records");
  }
  return merkle::RootAt(*tree_, tree_size);
}

Result<InclusionProofResult> Ledger::ProveInclusion(uint64_t seq,
                                                    uint64_t tree_size) const {
  if (tree_size > size()) {
    return InvalidArgument("tree size " + std::to_string(tree_size) +
                           " exceeds the ledger's " + std::to_string(size()) +
                           " records");
  }
  if (seq >= tree_size) {
    return InvalidArgument("seq " + std::to_string(seq) +
                           " is not in a tree of size " +
                           std::to_string(tree_size));
  }
  InclusionProofResult r;
  r.leaf_index = seq;
  r.tree_size = tree_size;
  ACTLEDGER_ASSIGN_OR_RETURN(r.leaf_hash, tree_->PerfectNode(0, seq));
  ACTLEDGER_ASSIGN_OR_RETURN(r.root, merkle::RootAt(*tree_, tree_size));
  ACTLEDGER_ASSIGN_OR_RETURN(r.path,
                             merkle::InclusionProof(*tree_, seq, tree_size));
  return r;
}

Result<ConsistencyProofResult> Ledger::ProveConsistency(
    uint64_t old_size, uint64_t new_size) const {
  if (new_size > size()) {
    return InvalidArgument("tree size " + std::to_string(new_size) +
                           " exceeds the ledger's " + std::to_string(size()) +
                           " records");
  }
  if (old_size > new_size) {
    return InvalidArgument("the old size " + std::to_string(old_size) +
                           " is larger than the new size " +
                           std::to_string(new_size));
  }
  ConsistencyProofResult r;
  r.old_size = old_size;
  r.new_size = new_size;
  ACTLEDGER_ASSIGN_OR_RETURN(r.old_root, merkle::RootAt(*tree_, old_size));
  ACTLEDGER_ASSIGN_OR_RETURN(r.new_root, merkle::RootAt(*tree_, new_size));
  ACTLEDGER_ASSIGN_OR_RETURN(
      r.path, merkle::ConsistencyProof(*tree_, old_size, new_size));
  return r;
}

}  // namespace actledger
