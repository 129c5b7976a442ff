// actledger through its library (stores.h), and the tamperings of its data
// directory, done at the byte level the way an attacker with access to the
// files would.
#include "actledger/ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/checkpoint.h"
#include "actledger/json.h"
#include "actledger/merkle.h"
#include "actledger/record.h"
#include "compare/stores.h"
#include "index/index.h"
#include "storage/file.h"
#include "storage/segment_log.h"

namespace actledger::compare {
namespace {

namespace fs = std::filesystem;

constexpr char kRecordedBy[] = "bench:writer";

std::unique_ptr<Ledger> NewLedger(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  InitOptions init;
  init.origin = "bench.example/compare";
  Check(Ledger::Init(dir, init), "init " + dir);
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir, {});
  if (!l.ok()) Check(l.status(), "open " + dir);
  return *std::move(l);
}

void AppendRange(Ledger& ledger, const std::vector<BenchRecord>& records,
                 size_t begin, size_t end, size_t batch) {
  for (size_t i = begin; i < end; i += batch) {
    std::vector<AppendRequest> b;
    for (size_t k = i; k < std::min(end, i + batch); ++k) {
      b.push_back(records[k].request);
    }
    Result<std::vector<Receipt>> r = ledger.Append(std::move(b), kRecordedBy);
    if (!r.ok()) Check(r.status(), "append");
  }
}

std::string ReadAll(const std::string& path) {
  Result<std::string> r = storage::ReadFile(path);
  if (!r.ok()) Check(r.status(), "read " + path);
  return *std::move(r);
}

void WriteAll(const std::string& path, std::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Die("write " + path + ": " + std::strerror(errno));
  if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
      std::fclose(f) != 0) {
    Die("write " + path + ": " + std::strerror(errno));
  }
}

void CopyTree(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) Die("copy " + from + " to " + to + ": " + ec.message());
}

struct Frame {
  uint64_t seq = 0;
  std::string payload;
};

// Every frame of a framed file that starts at `offset`.
std::vector<Frame> ReadFrames(const std::string& bytes, size_t offset,
                              const std::string& path) {
  std::vector<Frame> out;
  while (offset < bytes.size()) {
    storage::DecodedFrame f;
    const storage::FrameStatus st =
        storage::DecodeFrame(std::string_view(bytes).substr(offset), &f);
    if (st != storage::FrameStatus::kOk) {
      Die(path + ": frame at offset " + std::to_string(offset) + ": " +
          storage::FrameStatusName(st));
    }
    out.push_back({f.seq, std::string(f.payload)});
    offset += f.size;
  }
  return out;
}

// The one segment of the tamper base (it is far below the segment size).
std::string OnlySegment(const std::string& dir) {
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path().string());
  }
  if (segs.size() != 1) {
    Die(dir + "/log holds " + std::to_string(segs.size()) +
        " segments; the tamper base must fit in one");
  }
  return segs.front();
}

// Replaces the value of action.amount.value in a canonical record.
void EditAmount(std::string* payload, const std::string& new_amount) {
  const size_t amount = payload->find("\"amount\":{");
  const size_t value = amount == std::string::npos
                           ? amount
                           : payload->find("\"value\":\"", amount);
  if (value == std::string::npos) Die("the victim record has no amount");
  const size_t begin = value + std::strlen("\"value\":\"");
  const size_t end = payload->find('"', begin);
  if (end - begin != new_amount.size()) {
    Die("the new amount must keep the length of '" +
        payload->substr(begin, end - begin) + "'");
  }
  payload->replace(begin, end - begin, new_amount);
}

// Sets the top-level "seq" member of a canonical record.
void Renumber(std::string* payload, uint64_t seq) {
  const std::string_view v = FindTopLevelMember(*payload, "seq");
  if (v.empty()) Die("a record without a seq member");
  const size_t at = static_cast<size_t>(v.data() - payload->data());
  payload->replace(at, v.size(), std::to_string(seq));
}

// RFC 6962 MTH over leaves [begin, end).
merkle::Hash TreeHash(const std::vector<merkle::Hash>& leaves, size_t begin,
                      size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t split = 1;
  while (split * 2 < end - begin) split *= 2;
  return merkle::HashChildren(TreeHash(leaves, begin, begin + split),
                              TreeHash(leaves, begin + split, end));
}

// What an attacker with the data directory (and, for `signer`, possibly the
// key in it) does to make changed records self-consistent: renumber, frame
// them into one segment, rebuild the positions and every tree level, and
// re-sign each checkpoint that still fits.
void RewriteLedger(const std::string& dir, std::vector<Frame> frames,
                   const NoteSigner& signer) {
  std::string seg = storage::EncodeSegmentHeader(0);
  std::string positions;
  std::vector<merkle::Hash> leaves;
  for (size_t i = 0; i < frames.size(); ++i) {
    Renumber(&frames[i].payload, i);
    const uint64_t offset = seg.size();
    for (int b = 0; b < 8; ++b) {
      positions += static_cast<char>((offset >> (8 * b)) & 0xFF);
    }
    storage::EncodeFrame(i, frames[i].payload, &seg);
    leaves.push_back(merkle::HashLeaf(frames[i].payload));
  }
  for (const auto& e : fs::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".seg") fs::remove(e.path());
  }
  WriteAll(dir + "/log/" + storage::SegmentFileName(0), seg);
  WriteAll(dir + "/log/positions", positions);
  fs::remove_all(dir + "/tree");
  fs::create_directories(dir + "/tree");
  std::vector<merkle::Hash> level = leaves;
  for (int l = 0; !level.empty(); ++l) {
    std::string bytes;
    for (const merkle::Hash& h : level) {
      bytes.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    char name[32];
    std::snprintf(name, sizeof(name), "/tree/level-%02d", l);
    WriteAll(dir + name, bytes);
    std::vector<merkle::Hash> up;
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      up.push_back(merkle::HashChildren(level[i], level[i + 1]));
    }
    level = std::move(up);
  }
  const std::string cp_path = dir + "/checkpoints";
  std::vector<Frame> notes = ReadFrames(ReadAll(cp_path), 0, cp_path);
  std::string out;
  uint64_t n = 0;
  uint64_t last_size = 0;
  auto sign = [&](Checkpoint cp) {
    cp.root = TreeHash(leaves, 0, cp.size);
    Result<std::string> note = signer.Sign(FormatCheckpoint(cp));
    if (!note.ok()) Check(note.status(), "sign");
    storage::EncodeFrame(n++, *note, &out);
    last_size = cp.size;
  };
  Checkpoint template_cp;
  for (const Frame& f : notes) {
    const size_t blank = f.payload.find("\n\n");
    Result<Checkpoint> cp =
        ParseCheckpoint(std::string_view(f.payload).substr(0, blank + 1));
    if (!cp.ok()) Check(cp.status(), "checkpoint in " + cp_path);
    template_cp = *cp;
    if (cp->size <= leaves.size() && cp->size > last_size) sign(*cp);
  }
  if (last_size != leaves.size() && !leaves.empty()) {
    template_cp.size = leaves.size();
    sign(template_cp);
  }
  WriteAll(cp_path, out);
}

struct CliVerdict {
  bool ok = false;
  std::vector<VerifyFinding> findings;
};

CliVerdict RunVerify(const std::string& cli, const std::string& dir,
                     const std::string& trusted) {
  std::vector<std::string> argv = {cli, "--data", dir, "verify", "--json"};
  if (!trusted.empty()) {
    argv.push_back("--trusted");
    argv.push_back(trusted);
  }
  std::string out;
  std::string err;
  const int rc = RunProcess(argv, &out, &err);
  if (rc != 0 && rc != 1) {
    Die("actledger verify exited " + std::to_string(rc) + ": " + err + out);
  }
  Result<json::Value> v = json::Parse(out);
  if (!v.ok()) Die("actledger verify --json printed '" + out + "'");
  CliVerdict c;
  const json::Value* ok = v->FindPath("ok");
  c.ok = ok != nullptr && ok->is_bool() && ok->as_bool();
  if (c.ok != (rc == 0)) Die("actledger verify: exit status and ok disagree");
  const json::Value* findings = v->FindPath("findings");
  if (findings != nullptr && findings->is_array()) {
    for (const json::Value& f : findings->as_array()) {
      VerifyFinding vf;
      if (const json::Value* w = f.FindPath("what"); w && w->is_string()) {
        vf.what = w->as_string();
      }
      if (const json::Value* w = f.FindPath("file"); w && w->is_string()) {
        vf.file = w->as_string();
      }
      if (const json::Value* w = f.FindPath("offset"); w && w->is_number()) {
        vf.offset = static_cast<int64_t>(w->as_number());
      }
      if (const json::Value* w = f.FindPath("seq"); w && w->is_number()) {
        vf.seq = static_cast<int64_t>(w->as_number());
      }
      c.findings.push_back(std::move(vf));
    }
  }
  return c;
}

Verdict ToVerdict(const CliVerdict& c, const TamperPlan& plan,
                  const std::string& how) {
  Verdict v;
  v.note = how;
  v.detected = !c.ok;
  if (!c.findings.empty()) {
    const VerifyFinding& f = c.findings.front();
    v.first_finding = f.file;
    if (f.offset >= 0) v.first_finding += " offset " + std::to_string(f.offset);
    if (f.seq >= 0) v.first_finding += " seq " + std::to_string(f.seq);
    v.first_finding += (v.first_finding.empty() ? "" : ": ") + f.what;
  }
  const auto k = static_cast<int64_t>(plan.victim);
  for (const VerifyFinding& f : c.findings) {
    switch (plan.tamper) {
      case Tamper::kEditAmount:
      case Tamper::kDeleteRow:
      case Tamper::kReorder:
        v.located |= f.seq >= k && f.seq <= k + 2;
        break;
      case Tamper::kForgeSignature:
        v.located |= f.file == "checkpoints";
        break;
      case Tamper::kTruncate:
      case Tamper::kRollback:
        // The finding must say which records are gone: it names the size.
        v.located |= f.what.find(std::to_string(plan.tamper == Tamper::kTruncate
                                                    ? plan.keep
                                                    : plan.backup_size)) !=
                     std::string::npos;
        break;
    }
  }
  return v;
}

}  // namespace

Sample LedgerStore::Ingest(const std::string& dir,
                           const std::vector<BenchRecord>& records,
                           size_t batch, unsigned clients) {
  std::unique_ptr<Ledger> ledger = NewLedger(dir);
  // Append consumes its batch: copies are made before the clock starts.
  std::vector<std::vector<AppendRequest>> batches;
  for (size_t i = 0; i < records.size(); i += batch) {
    std::vector<AppendRequest> b;
    for (size_t k = i; k < std::min(records.size(), i + batch); ++k) {
      b.push_back(records[k].request);
    }
    batches.push_back(std::move(b));
  }
  Sample s = RunClients(
      records.size(), batch, clients, [&](unsigned, size_t b, size_t) {
        Result<std::vector<Receipt>> r =
            ledger->Append(std::move(batches[b / batch]), kRecordedBy);
        if (!r.ok()) Check(r.status(), "append");
      });
  if (ledger->size() != records.size()) {
    Die("the ledger holds " + std::to_string(ledger->size()) + " records, " +
        std::to_string(records.size()) + " were appended");
  }
  return s;
}

uint64_t LedgerStore::Bytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

double LedgerStore::Verify(const std::string& dir) {
  const auto t0 = Clock::now();
  Result<VerifyReport> r = VerifyLedger(dir, {});
  const double seconds = Seconds(Clock::now() - t0);
  if (!r.ok()) Check(r.status(), "verify " + dir);
  if (!r->ok()) {
    Die("verify " + dir + " failed: " + r->findings.front().what);
  }
  return seconds;
}

QueryTimes LedgerStore::Query(const std::string& dir, const Questions& q,
                              std::string* how) {
  *how =
      "its query index (index.db): questions 1 and 2 through "
      "index::Index::Query, what `actledger query` runs, each matching "
      "record then read from the log; question 3 a GROUP BY over the "
      "index's documented records table";
  Result<std::unique_ptr<Ledger>> l = Ledger::OpenForRead(dir);
  if (!l.ok()) Check(l.status(), "open " + dir);
  Result<std::unique_ptr<index::Index>> opened = index::Index::Open(dir);
  if (!opened.ok()) Check(opened.status(), "open the index of " + dir);
  index::Index& idx = **opened;
  QueryTimes t;
  auto t0 = Clock::now();
  Check(idx.CatchUp(**l, nullptr), "index catch-up");
  t.catch_up = Seconds(Clock::now() - t0);

  // Every page of matches, and every matching record's stored bytes.
  auto fetch = [&](std::vector<std::pair<std::string, std::string>> params) {
    params.emplace_back("limit", "10000");
    Result<index::QueryFilter> f = index::ParseQueryFilter(params);
    if (!f.ok()) Check(f.status(), "query filter");
    uint64_t n = 0;
    for (;;) {
      Result<index::QueryPage> page = idx.Query(*f);
      if (!page.ok()) Check(page.status(), "query");
      for (const index::IndexedRecord& r : page->records) {
        Result<std::string> bytes = (*l)->Get(r.seq);
        if (!bytes.ok()) Check(bytes.status(), "get " + std::to_string(r.seq));
        ++n;
      }
      if (page->next_cursor.empty() || page->records.empty()) break;
      f->after_seq = page->records.back().seq;
    }
    return n;
  };
  t0 = Clock::now();
  t.answers.by_subject =
      fetch({{"subject", q.subject_type + ":" + q.subject_id}});
  t.by_subject = Seconds(Clock::now() - t0);
  t0 = Clock::now();
  t.answers.by_model_month = fetch({{"model-version", q.model_version},
                                    {"from", q.month_begin},
                                    {"to", q.month_end}});
  t.by_model_month = Seconds(Clock::now() - t0);
  t0 = Clock::now();
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(idx.db(),
                         "SELECT coalesce(rule_id, ''), count(*) FROM records "
                         "WHERE approval_mode = 'rule' GROUP BY rule_id",
                         -1, &s, nullptr) != SQLITE_OK) {
    Die(std::string("index: ") + sqlite3_errmsg(idx.db()));
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    t.answers.rule_approvals[reinterpret_cast<const char*>(sqlite3_column_text(
        s, 0))] = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
  }
  sqlite3_finalize(s);
  t.rule_approvals = Seconds(Clock::now() - t0);
  return t;
}

void LedgerStore::CreateTamperBase(const std::string& work_dir,
                                   const std::vector<BenchRecord>& records,
                                   size_t batch, uint64_t backup_size) {
  base_ = work_dir + "/actledger-tamper-base";
  backup_ = work_dir + "/actledger-tamper-backup";
  trusted_file_ = work_dir + "/auditor-checkpoint.txt";
  {
    std::unique_ptr<Ledger> ledger = NewLedger(base_);
    AppendRange(*ledger, records, 0, backup_size, batch);
    Result<std::string> note = ledger->Checkpoint();
    if (!note.ok()) Check(note.status(), "checkpoint");
  }
  CopyTree(base_, backup_);
  Result<std::unique_ptr<Ledger>> l = Ledger::Open(base_, {});
  if (!l.ok()) Check(l.status(), "open " + base_);
  AppendRange(**l, records, backup_size, records.size(), batch);
  // The checkpoint an auditor collected and kept outside the operator's
  // reach (docs/AUDITING.md).
  Result<std::string> note = (*l)->Checkpoint();
  if (!note.ok()) Check(note.status(), "checkpoint");
  WriteAll(trusted_file_, *note);
}

std::pair<Verdict, Verdict> LedgerStore::RunTamper(
    const TamperPlan& plan, const std::string& work_dir) {
  const std::string dir = work_dir + "/actledger-tamper";
  CopyTree(plan.tamper == Tamper::kRollback ? backup_ : base_, dir);
  if (plan.tamper != Tamper::kRollback) {
    const std::string seg_path = OnlySegment(dir);
    const std::string seg = ReadAll(seg_path);
    std::vector<Frame> frames =
        ReadFrames(seg, storage::kSegmentHeaderSize, seg_path);
    const size_t k = plan.victim;
    switch (plan.tamper) {
      case Tamper::kEditAmount:
      case Tamper::kForgeSignature:
        EditAmount(&frames[k].payload, plan.new_amount);
        break;
      case Tamper::kDeleteRow:
        frames.erase(frames.begin() + static_cast<ptrdiff_t>(k));
        break;
      case Tamper::kReorder:
        std::swap(frames[k], frames[k + 1]);
        break;
      case Tamper::kTruncate:
        frames.resize(plan.keep);
        break;
      case Tamper::kRollback:
        break;
    }
    if (plan.tamper == Tamper::kForgeSignature ||
        plan.reach == Reach::kCoverTracks) {
      const std::string key_file = dir + "/keys/signing.key";
      std::string key = ReadAll(key_file);
      while (!key.empty() && key.back() == '\n') key.pop_back();
      Result<NoteSigner> stolen = NoteSigner::FromPrivateKey(key);
      if (!stolen.ok()) Check(stolen.status(), key_file);
      if (plan.reach == Reach::kCoverTracks) {
        RewriteLedger(dir, std::move(frames), *stolen);
      } else {
        // Without the key: a key of the attacker's own under the same name.
        Result<NoteSigner> own = NoteSigner::Generate(stolen->name());
        if (!own.ok()) Check(own.status(), "generate a key");
        RewriteLedger(dir, std::move(frames), *own);
      }
    } else {
      // The changed frames, each with a valid checksum, in place of the
      // originals; nothing else touched.
      std::string bytes = seg.substr(0, storage::kSegmentHeaderSize);
      for (const Frame& f : frames)
        storage::EncodeFrame(f.seq, f.payload, &bytes);
      WriteAll(seg_path, bytes);
    }
  }
  std::pair<Verdict, Verdict> out;
  out.first = ToVerdict(RunVerify(cli_, dir, ""), plan, "actledger verify");
  out.second = ToVerdict(RunVerify(cli_, dir, trusted_file_), plan,
                         "actledger verify --trusted");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace actledger::compare
