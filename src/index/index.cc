#include "index/index.h"

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "index/row.h"
#include "policy/decimal.h"
#include "policy/glob.h"
#include "storage/file.h"

namespace actledger::index {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS records(
  seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,
  recorded_at TEXT NOT NULL, recorded_at_us INTEGER NOT NULL,
  recorded_by TEXT, action_id TEXT, occurred_at TEXT, occurred_at_us INTEGER,
  trigger_type TEXT, trigger_source TEXT,
  action_type TEXT, system TEXT, target TEXT,
  subject_type TEXT, subject_id TEXT,
  model_provider TEXT, model_name TEXT, model_version TEXT,
  prompt_template_id TEXT, prompt_template_version TEXT,
  approval_mode TEXT, approver TEXT, approver_role TEXT,
  rule_id TEXT, rule_version TEXT, decision TEXT, gate_tier TEXT,
  policy_version TEXT, outcome_status TEXT, violation TEXT,
  environment TEXT, job_id TEXT, app_version TEXT,
  amount_value TEXT, amount_micros INTEGER, currency TEXT,
  retention_regime TEXT, retention_until TEXT,
  present INTEGER NOT NULL, leaf_bytes INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS records_action_id ON records(action_id);
CREATE INDEX IF NOT EXISTS records_subject ON records(subject_type, subject_id);
CREATE INDEX IF NOT EXISTS records_job_id ON records(job_id);
CREATE INDEX IF NOT EXISTS records_recorded_at ON records(recorded_at_us);
CREATE INDEX IF NOT EXISTS records_action_type ON records(action_type, seq);
CREATE INDEX IF NOT EXISTS records_model ON records(model_name, model_version);
CREATE INDEX IF NOT EXISTS records_rule_id ON records(rule_id);
CREATE INDEX IF NOT EXISTS records_approver ON records(approver);
CREATE TABLE IF NOT EXISTS actions(
  action_id TEXT NOT NULL PRIMARY KEY,
  first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  records INTEGER NOT NULL,
  first_recorded_at_us INTEGER NOT NULL, last_recorded_at_us INTEGER NOT NULL,
  proposal_seq INTEGER, action_seq INTEGER, approval_seq INTEGER,
  outcome_seq INTEGER, proposed_by TEXT, occurred_at_us INTEGER,
  action_type TEXT, system TEXT, target TEXT, subject_type TEXT,
  subject_id TEXT, model_provider TEXT, model_name TEXT, model_version TEXT,
  prompt_template_id TEXT, prompt_template_version TEXT, environment TEXT,
  job_id TEXT, app_version TEXT, amount_value TEXT, amount_micros INTEGER,
  currency TEXT, gate_decision TEXT, gate_tier TEXT, policy_version TEXT,
  gate_expires_at_us INTEGER, rule_id TEXT, rule_version TEXT,
  approval_mode TEXT, approval_decision TEXT, approver TEXT,
  approver_role TEXT, decided_at_us INTEGER, outcome_status TEXT,
  outcome_at_us INTEGER, violation TEXT);
CREATE INDEX IF NOT EXISTS actions_first_recorded_at
  ON actions(first_recorded_at_us);
CREATE INDEX IF NOT EXISTS actions_type_model
  ON actions(action_type, model_version);
CREATE INDEX IF NOT EXISTS actions_subject ON actions(subject_type, subject_id);
CREATE INDEX IF NOT EXISTS actions_rule_id ON actions(rule_id);
CREATE INDEX IF NOT EXISTS actions_job_id ON actions(job_id);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', 2);
INSERT OR IGNORE INTO meta(key, value) VALUES('applied_seq', -1);
)sql";

// How an `actions` column combines the records of one action
// (docs/INDEX.md).
enum class Merge { kKey, kFirst, kLast, kMin, kMax, kCount };

// Which records contribute a value to an `actions` column.
enum class From {
  kAny,           // every record of the action
  kDescriptive,   // proposal and action records only
  kProposal,      // proposal records only
  kAction,        // action records only
  kApprovalRec,   // approval records only
  kOutcomeRec,    // outcome records only
  kOutcomeField,  // records that carry `outcome` (action, outcome)
};

struct ActionColumn {
  const char* name;
  Merge merge;
  int col;  // Col of the row the value comes from; -1: the seq itself
  From from;
};

// Order = the order of the upsert's parameters.
const ActionColumn kActionColumns[] = {
    {"action_id", Merge::kKey, kActionId, From::kAny},
    {"first_seq", Merge::kMin, kSeq, From::kAny},
    {"last_seq", Merge::kMax, kSeq, From::kAny},
    {"records", Merge::kCount, -1, From::kAny},
    {"first_recorded_at_us", Merge::kMin, kRecordedAtUs, From::kAny},
    {"last_recorded_at_us", Merge::kMax, kRecordedAtUs, From::kAny},
    {"proposal_seq", Merge::kFirst, kSeq, From::kProposal},
    {"action_seq", Merge::kFirst, kSeq, From::kAction},
    {"approval_seq", Merge::kLast, kSeq, From::kApprovalRec},
    {"outcome_seq", Merge::kLast, kSeq, From::kOutcomeField},
    {"proposed_by", Merge::kFirst, kRecordedBy, From::kProposal},
    {"occurred_at_us", Merge::kFirst, kOccurredAtUs, From::kDescriptive},
    {"action_type", Merge::kFirst, kActionType, From::kDescriptive},
    {"system", Merge::kFirst, kSystem, From::kDescriptive},
    {"target", Merge::kFirst, kTarget, From::kDescriptive},
    {"subject_type", Merge::kFirst, kSubjectType, From::kDescriptive},
    {"subject_id", Merge::kFirst, kSubjectId, From::kDescriptive},
    {"model_provider", Merge::kFirst, kModelProvider, From::kDescriptive},
    {"model_name", Merge::kFirst, kModelName, From::kDescriptive},
    {"model_version", Merge::kFirst, kModelVersion, From::kDescriptive},
    {"prompt_template_id", Merge::kFirst, kPromptTemplateId,
     From::kDescriptive},
    {"prompt_template_version", Merge::kFirst, kPromptTemplateVersion,
     From::kDescriptive},
    {"environment", Merge::kFirst, kEnvironment, From::kDescriptive},
    {"job_id", Merge::kFirst, kJobId, From::kDescriptive},
    {"app_version", Merge::kFirst, kAppVersion, From::kDescriptive},
    {"amount_value", Merge::kFirst, kAmountValue, From::kDescriptive},
    {"amount_micros", Merge::kFirst, kAmountMicros, From::kDescriptive},
    {"currency", Merge::kFirst, kCurrency, From::kDescriptive},
    {"gate_decision", Merge::kFirst, kDecision, From::kProposal},
    {"gate_tier", Merge::kFirst, kGateTier, From::kProposal},
    {"policy_version", Merge::kFirst, kPolicyVersion, From::kProposal},
    {"gate_expires_at_us", Merge::kFirst, kGateExpiresAtUs, From::kProposal},
    {"rule_id", Merge::kLast, kRuleId, From::kAny},
    {"rule_version", Merge::kLast, kRuleVersion, From::kAny},
    {"approval_mode", Merge::kLast, kApprovalMode, From::kAny},
    {"approval_decision", Merge::kLast, kApprovalDecision, From::kAny},
    {"approver", Merge::kLast, kApprover, From::kAny},
    {"approver_role", Merge::kLast, kApproverRole, From::kAny},
    {"decided_at_us", Merge::kLast, kDecidedAtUs, From::kAny},
    {"outcome_status", Merge::kLast, kOutcomeStatus, From::kOutcomeField},
    {"outcome_at_us", Merge::kLast, kRecordedAtUs, From::kOutcomeField},
    {"violation", Merge::kFirst, kViolation, From::kOutcomeRec},
};

bool Contributes(From from, std::string_view kind, const Row& row) {
  switch (from) {
    case From::kAny:
      return true;
    case From::kDescriptive:
      return kind == "proposal" || kind == "action";
    case From::kProposal:
      return kind == "proposal";
    case From::kAction:
      return kind == "action";
    case From::kApprovalRec:
      return kind == "approval";
    case From::kOutcomeRec:
      return kind == "outcome";
    case From::kOutcomeField:
      return row[kOutcomeStatus].type != Cell::Type::kNull || kind == "outcome";
  }
  return false;
}

std::string InsertRecordSql() {
  std::string cols, params;
  for (int c = 0; c < kNumRecordCols; ++c) {
    cols += (c ? "," : "") + std::string(kRecordColumnNames[c]);
    params += c ? ",?" : "?";
  }
  return "INSERT INTO records(" + cols + ") VALUES(" + params + ")";
}

std::string UpsertActionSql() {
  std::string cols, params, updates;
  bool first = true;
  for (const ActionColumn& a : kActionColumns) {
    const std::string n = a.name;
    cols += (first ? "" : ",") + n;
    params += first ? "?" : ",?";
    first = false;
    std::string expr;
    switch (a.merge) {
      case Merge::kKey:
        continue;
      case Merge::kFirst:
        expr = "COALESCE(" + n + ", excluded." + n + ")";
        break;
      case Merge::kLast:
        expr = "COALESCE(excluded." + n + ", " + n + ")";
        break;
      case Merge::kMin:
        expr = "MIN(" + n + ", excluded." + n + ")";
        break;
      case Merge::kMax:
        expr = "MAX(" + n + ", excluded." + n + ")";
        break;
      case Merge::kCount:
        expr = n + " + excluded." + n;
        break;
    }
    updates += (updates.empty() ? "" : ", ") + n + " = " + expr;
  }
  return "INSERT INTO actions(" + cols + ") VALUES(" + params +
         ") ON CONFLICT(action_id) DO UPDATE SET " + updates;
}

// The `actions` values of the records of one action within one
// transaction, merged in memory the way the upsert merges them with the
// stored row (Merge), so each action costs one upsert per transaction
// rather than one per record. Cells point into the batch's rows, which
// outlive it.
class ActionMerger {
 public:
  static constexpr size_t kNumColumns = std::size(kActionColumns);

  void Add(const Row& row) {
    const std::string_view id = row[kActionId].s;
    auto [it, inserted] = slots_.try_emplace(id, pending_.size());
    if (inserted) pending_.emplace_back();
    Pending& p = pending_[it->second];
    ++p.count;
    const std::string_view kind = row[kKind].s;
    for (size_t i = 0; i < kNumColumns; ++i) {
      const ActionColumn& a = kActionColumns[i];
      if (a.col < 0 || !Contributes(a.from, kind, row)) continue;
      const Cell* v = &row[a.col];
      if (v->type == Cell::Type::kNull) continue;
      const Cell*& cur = p.cells[i];
      switch (a.merge) {
        case Merge::kKey:
        case Merge::kFirst:
          if (cur == nullptr) cur = v;
          break;
        case Merge::kLast:
          cur = v;
          break;
        case Merge::kMin:
          if (cur == nullptr || v->i < cur->i) cur = v;
          break;
        case Merge::kMax:
          if (cur == nullptr || v->i > cur->i) cur = v;
          break;
        case Merge::kCount:
          break;
      }
    }
  }

  // Binds each merged action, in order of first appearance, to `upsert`
  // and runs it; then forgets them.
  template <typename Upsert>
  Status Flush(Upsert* upsert) {
    for (const Pending& p : pending_) {
      for (size_t i = 0; i < kNumColumns; ++i) {
        const int param = static_cast<int>(i + 1);
        if (kActionColumns[i].merge == Merge::kCount) {
          upsert->Bind(param, p.count);
        } else if (p.cells[i] != nullptr) {
          upsert->Bind(param, *p.cells[i]);
        } else {
          upsert->BindNull(param);
        }
      }
      ACTLEDGER_RETURN_IF_ERROR(upsert->Exec("merge action"));
    }
    Clear();
    return Status::Ok();
  }

  void Clear() {
    pending_.clear();
    slots_.clear();
  }

 private:
  struct Pending {
    std::array<const Cell*, kNumColumns> cells{};
    int64_t count = 0;
  };
  std::vector<Pending> pending_;
  std::unordered_map<std::string_view, size_t> slots_;
};

Status SqlError(sqlite3* db, const std::string& what) {
  return IoError(std::string(kIndexFile) + ": " + what + ": " +
                 sqlite3_errmsg(db));
}

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status Prepare(sqlite3* db, const std::string& sql) {
    db_ = db;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      stmt_ = nullptr;
      return SqlError(db, "prepare");
    }
    return Status::Ok();
  }
  void Bind(int i, const Cell& c) {
    switch (c.type) {
      case Cell::Type::kNull:
        sqlite3_bind_null(stmt_, i);
        break;
      case Cell::Type::kInt:
        sqlite3_bind_int64(stmt_, i, c.i);
        break;
      case Cell::Type::kText:
        sqlite3_bind_text(stmt_, i, c.s.data(), static_cast<int>(c.s.size()),
                          SQLITE_STATIC);
        break;
    }
  }
  void Bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  int Step() { return sqlite3_step(stmt_); }
  // Steps once, expecting SQLITE_DONE or SQLITE_ROW, and resets.
  Status Exec(const char* what) {
    const int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqlError(db_, what);
    return Status::Ok();
  }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql, const char* what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return IoError(std::string(kIndexFile) + ": " + what + ": " + msg);
  }
  return Status::Ok();
}

Result<int64_t> ReadMeta(sqlite3* db, const char* key) {
  Stmt s;
  ACTLEDGER_RETURN_IF_ERROR(
      s.Prepare(db, "SELECT value FROM meta WHERE key = ?"));
  s.Bind(1, std::string(key));
  if (s.Step() != SQLITE_ROW) {
    return SqlError(db, std::string("read meta ") + key);
  }
  return static_cast<int64_t>(sqlite3_column_int64(s.get(), 0));
}

// actledger_glob(pattern, action_type): the policy's action-type glob
// (`*` = one or more whole dotted segments), which SQL's GLOB is not.
void GlobFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  const char* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  const std::string_view type(t, sqlite3_value_bytes(argv[1]));
  if (auto* glob = static_cast<policy::Glob*>(sqlite3_get_auxdata(ctx, 0))) {
    sqlite3_result_int(ctx, glob->Matches(type));
    return;
  }
  const char* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  Result<policy::Glob> g = policy::Glob::Compile(p != nullptr ? p : "");
  if (!g.ok()) {
    sqlite3_result_error(ctx, g.status().message().c_str(), -1);
    return;
  }
  sqlite3_result_int(ctx, g->Matches(type));
  // Cached for the statement's next rows (SQLite may drop it any time).
  sqlite3_set_auxdata(ctx, 0, new policy::Glob(*std::move(g)),
                      [](void* x) { delete static_cast<policy::Glob*>(x); });
}

// actledger_dec_cmp(a, b): -1, 0, 1 comparing decimal texts exactly; NULL
// when either is not decimal text.
void DecCmpFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto text = [](sqlite3_value* v) -> std::optional<std::string_view> {
    if (sqlite3_value_type(v) != SQLITE_TEXT) return std::nullopt;
    const char* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return std::string_view(t, sqlite3_value_bytes(v));
  };
  std::optional<std::string_view> a = text(argv[0]), b = text(argv[1]);
  std::optional<policy::Decimal> da, db;
  if (a) da = policy::Decimal::Parse(*a);
  if (b) db = policy::Decimal::Parse(*b);
  if (!da || !db) {
    sqlite3_result_null(ctx);
    return;
  }
  const int c = policy::Compare(*da, *db);
  sqlite3_result_int(ctx, c < 0 ? -1 : c > 0 ? 1 : 0);
}

// The literal dotted prefix of a glob before its first `*` segment, with
// the trailing dot ("payment.*" -> "payment."), or "" when it starts with
// `*`; a literal glob is returned whole.
std::string GlobPrefix(const std::string& pattern) {
  const size_t star = pattern.find('*');
  if (star == std::string::npos) return pattern;
  return pattern.substr(0, star);
}

// Smallest string greater than every string that starts with `prefix`.
std::string PrefixUpperBound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) {
    prefix.pop_back();
  }
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// One side of an amount range: exact on the integer micros where the
// stored value has them, exact on the decimal text where it does not.
void AmountBound(SqlWhere* w, std::string_view alias, const std::string& bound,
                 bool is_min) {
  const char* op = is_min ? ">=" : "<=";
  const std::string a(alias);
  std::optional<int64_t> micros =
      DecimalToMicros(bound, is_min ? Rounding::kCeil : Rounding::kFloor);
  std::string clause = "(";
  if (micros.has_value()) {
    clause += a + "amount_micros " + op + " ? OR ";
    w->AddArg(*micros);
  }
  clause += "(" + (micros.has_value() ? a + "amount_micros IS NULL AND " : "") +
            a + "amount_value IS NOT NULL AND actledger_dec_cmp(" + a +
            "amount_value, ?) " + op + " 0))";
  w->AddArg(bound);
  w->And(clause);
}

SqlWhere BuildWhere(const QueryFilter& f, bool paged) {
  SqlWhere w = FilterWhere(f, "", "recorded_at_us");
  if (!f.kinds.empty()) {
    std::string any;
    for (const std::string& k : f.kinds) {
      any += any.empty() ? "kind IN (?" : ", ?";
      w.AddArg(k);
    }
    w.And(any + ")");
  }
  if (paged && f.after_seq) {
    w.And("seq > ?");
    w.AddArg(static_cast<int64_t>(*f.after_seq));
  }
  return w;
}

std::optional<std::string> ColText(sqlite3_stmt* s, int c) {
  if (sqlite3_column_type(s, c) == SQLITE_NULL) return std::nullopt;
  const unsigned char* t = sqlite3_column_text(s, c);
  return std::string(reinterpret_cast<const char*>(t),
                     sqlite3_column_bytes(s, c));
}

std::optional<int64_t> ColInt(sqlite3_stmt* s, int c) {
  if (sqlite3_column_type(s, c) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, c);
}

IndexedRecord ReadRecord(sqlite3_stmt* s) {
  IndexedRecord r;
  r.seq = static_cast<uint64_t>(sqlite3_column_int64(s, kSeq));
  r.kind = ColText(s, kKind).value_or("");
  r.recorded_at = ColText(s, kRecordedAt).value_or("");
  r.recorded_at_us = ColInt(s, kRecordedAtUs).value_or(0);
  r.recorded_by = ColText(s, kRecordedBy);
  r.action_id = ColText(s, kActionId);
  r.occurred_at = ColText(s, kOccurredAt);
  r.occurred_at_us = ColInt(s, kOccurredAtUs);
  r.trigger_type = ColText(s, kTriggerType);
  r.trigger_source = ColText(s, kTriggerSource);
  r.action_type = ColText(s, kActionType);
  r.system = ColText(s, kSystem);
  r.target = ColText(s, kTarget);
  r.subject_type = ColText(s, kSubjectType);
  r.subject_id = ColText(s, kSubjectId);
  r.model_provider = ColText(s, kModelProvider);
  r.model_name = ColText(s, kModelName);
  r.model_version = ColText(s, kModelVersion);
  r.prompt_template_id = ColText(s, kPromptTemplateId);
  r.prompt_template_version = ColText(s, kPromptTemplateVersion);
  r.approval_mode = ColText(s, kApprovalMode);
  r.approver = ColText(s, kApprover);
  r.approver_role = ColText(s, kApproverRole);
  r.rule_id = ColText(s, kRuleId);
  r.rule_version = ColText(s, kRuleVersion);
  r.decision = ColText(s, kDecision);
  r.gate_tier = ColText(s, kGateTier);
  r.policy_version = ColText(s, kPolicyVersion);
  r.outcome_status = ColText(s, kOutcomeStatus);
  r.violation = ColText(s, kViolation);
  r.environment = ColText(s, kEnvironment);
  r.job_id = ColText(s, kJobId);
  r.app_version = ColText(s, kAppVersion);
  r.amount_value = ColText(s, kAmountValue);
  r.amount_micros = ColInt(s, kAmountMicros);
  r.currency = ColText(s, kCurrency);
  r.retention_regime = ColText(s, kRetentionRegime);
  r.retention_until = ColText(s, kRetentionUntil);
  r.present = static_cast<uint32_t>(ColInt(s, kPresent).value_or(0));
  r.leaf_bytes = static_cast<uint64_t>(ColInt(s, kLeafBytes).value_or(0));
  return r;
}

std::string SelectColumns() {
  std::string cols;
  for (int c = 0; c < kNumRecordCols; ++c) {
    cols += (c ? "," : "") + std::string(kRecordColumnNames[c]);
  }
  return cols;
}

// Rows handed from the parsing thread to the inserting one.
struct Batch {
  std::vector<Row> rows;
  Status status;  // not OK: reading or parsing failed; stop after this
};

// A bounded queue of batches between one producer and one consumer.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  void Push(Batch b) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return q_.size() < capacity_ || cancelled_; });
    if (cancelled_) return;
    q_.push_back(std::move(b));
    cv_.notify_all();
  }
  // False once the producer closed and the queue is drained.
  bool Pop(Batch* b) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *b = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  bool cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> q_;
  size_t capacity_;
  bool closed_ = false;
  bool cancelled_ = false;
};

constexpr size_t kBatchRecords = 4096;
// Records per transaction in a bulk catch-up.
constexpr uint64_t kBulkTxnRecords = 65536;

bool IsCorruption(int rc) {
  rc &= 0xff;
  return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB;
}

// Creates whatever of the schema is missing, secondary indexes included.
Status ApplySchema(sqlite3* db) {
  ACTLEDGER_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "begin"));
  Status st = Exec(db, kSchema, "create schema");
  if (!st.ok()) {
    Exec(db, "ROLLBACK", "rollback").IgnoreError();
    return st;
  }
  return Exec(db, "COMMIT", "commit schema");
}

// Drops the secondary indexes of `records` and `actions` (those with SQL
// text: not the tables' own keys), which ApplySchema recreates.
Status DropSecondaryIndexes(sqlite3* db) {
  ACTLEDGER_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE", "begin"));
  Status st = [&]() -> Status {
    std::vector<std::string> names;
    {
      Stmt list;
      ACTLEDGER_RETURN_IF_ERROR(list.Prepare(
          db,
          "SELECT name FROM sqlite_master WHERE type = 'index' AND "
          "tbl_name IN ('records', 'actions') AND sql IS NOT NULL"));
      int rc;
      while ((rc = list.Step()) == SQLITE_ROW) {
        names.emplace_back(
            reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 0)));
      }
      if (rc != SQLITE_DONE) return SqlError(db, "list indexes");
    }
    for (const std::string& name : names) {
      // Names come from our own schema, quoted all the same.
      ACTLEDGER_RETURN_IF_ERROR(Exec(
          db, ("DROP INDEX IF EXISTS \"" + name + "\"").c_str(), "drop index"));
    }
    return Status::Ok();
  }();
  if (!st.ok()) {
    Exec(db, "ROLLBACK", "rollback").IgnoreError();
    return st;
  }
  return Exec(db, "COMMIT", "commit");
}

}  // namespace

void SqlWhere::And(std::string_view clause) {
  sql += sql.empty() ? " WHERE " : " AND ";
  sql += clause;
}

void SqlWhere::AddArg(std::string s) {
  Arg a;
  a.s = std::move(s);
  args.push_back(std::move(a));
}

void SqlWhere::AddArg(int64_t i) {
  Arg a;
  a.is_int = true;
  a.i = i;
  args.push_back(std::move(a));
}

void SqlWhere::Eq(std::string_view column,
                  const std::optional<std::string>& v) {
  if (!v.has_value()) return;
  And(std::string(column) + " = ?");
  AddArg(*v);
}

SqlWhere FilterWhere(const QueryFilter& f, std::string_view alias,
                     std::string_view time_column) {
  const std::string a(alias);
  SqlWhere w;
  if (f.from_us) {
    w.And(std::string(time_column) + " >= ?");
    w.AddArg(*f.from_us);
  }
  if (f.to_us) {
    w.And(std::string(time_column) + " < ?");
    w.AddArg(*f.to_us);
  }
  if (!f.types.empty()) {
    // actledger_glob is the policy's glob (`*` = whole dotted segments); a
    // literal prefix narrows the scan to a range of the index first.
    const std::string col = a + "action_type";
    std::string any;
    for (const std::string& t : f.types) {
      any += any.empty() ? "(" : " OR ";
      const std::string prefix = GlobPrefix(t);
      if (prefix == t) {
        any += col + " = ?";
        w.AddArg(t);
      } else if (!prefix.empty()) {
        any += "(" + col + " >= ? AND " + col + " < ? AND actledger_glob(?, " +
               col + "))";
        w.AddArg(prefix);
        w.AddArg(PrefixUpperBound(prefix));
        w.AddArg(t);
      } else {
        any += "actledger_glob(?, " + col + ")";
        w.AddArg(t);
      }
    }
    w.And(any + ")");
  }
  // Columns compared for equality with a filter value.
  static constexpr std::pair<const char*,
                             std::optional<std::string> QueryFilter::*>
      kEquals[] = {
          {"system", &QueryFilter::system},
          {"model_name", &QueryFilter::model},
          {"model_version", &QueryFilter::model_version},
          {"prompt_template_id", &QueryFilter::prompt_template_id},
          {"prompt_template_version", &QueryFilter::prompt_template_version},
          {"approval_mode", &QueryFilter::approval},
          {"rule_id", &QueryFilter::rule},
          {"approver", &QueryFilter::approver},
          {"outcome_status", &QueryFilter::outcome},
          {"environment", &QueryFilter::env},
          {"job_id", &QueryFilter::job},
          {"currency", &QueryFilter::currency},
          {"action_id", &QueryFilter::action_id},
      };
  for (const auto& [column, value] : kEquals) w.Eq(a + column, f.*value);
  if (f.subject_type && f.subject_id) {
    w.And(a + "subject_type = ? AND " + a + "subject_id IN (?, ?)");
    w.AddArg(*f.subject_type);
    w.AddArg(SubjectKey(*f.subject_id));
    w.AddArg(f.subject_blind_id.value_or(SubjectKey(*f.subject_id)));
  }
  if (f.min_amount) AmountBound(&w, alias, *f.min_amount, true);
  if (f.max_amount) AmountBound(&w, alias, *f.max_amount, false);
  return w;
}

Index::~Index() { sqlite3_close_v2(db_); }

Result<std::unique_ptr<Index>> Index::Open(const std::string& dir) {
  std::unique_ptr<Index> index(new Index());
  index->path_ = dir + "/" + kIndexFile;
  for (int attempt = 0;; ++attempt) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(
        index->path_.c_str(), &db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
        nullptr);
    index->db_ = db;
    if (rc != SQLITE_OK) {
      Status st = SqlError(db, "open " + index->path_);
      sqlite3_close_v2(db);
      index->db_ = nullptr;
      return st;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_extended_result_codes(db, 1);
    Status st = index->CreateSchema();
    Result<int64_t> version =
        st.ok() ? ReadMeta(db, "schema_version") : Result<int64_t>(st);
    const bool corrupt = !st.ok() || !version.ok()
                             ? IsCorruption(sqlite3_extended_errcode(db))
                             : false;
    if (version.ok() && *version == kSchemaVersion) break;
    if (attempt > 0 || (!corrupt && !version.ok())) {
      return version.ok() ? IoError(index->path_ +
                                    ": could not be recreated at schema "
                                    "version " +
                                    std::to_string(kSchemaVersion))
                          : version.status();
    }
    // Derived data: a corrupt index or one of another schema version is
    // thrown away and rebuilt from the log.
    sqlite3_close_v2(db);
    index->db_ = nullptr;
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string p = index->path_ + suffix;
      if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
        return IoError(p + ": cannot remove the unusable index: " +
                       storage::ErrnoText(errno));
      }
    }
  }
  const auto flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  if (sqlite3_create_function(index->db_, "actledger_glob", 2, flags, nullptr,
                              GlobFunction, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_create_function(index->db_, "actledger_dec_cmp", 2, flags,
                              nullptr, DecCmpFunction, nullptr,
                              nullptr) != SQLITE_OK) {
    return SqlError(index->db_, "register functions");
  }
  return index;
}

Status Index::CreateSchema() {
  // Effective only on a new, empty file.
  ACTLEDGER_RETURN_IF_ERROR(
      Exec(db_, "PRAGMA page_size=16384", "set page size"));
  ACTLEDGER_RETURN_IF_ERROR(
      Exec(db_, "PRAGMA journal_mode=WAL", "set WAL mode"));
  ACTLEDGER_RETURN_IF_ERROR(
      Exec(db_, "PRAGMA synchronous=NORMAL", "set synchronous"));
  // Purged content is overwritten on the pages that held it, where that
  // costs no extra I/O (docs/INDEX.md, "Purged records").
  ACTLEDGER_RETURN_IF_ERROR(
      Exec(db_, "PRAGMA secure_delete=FAST", "set secure_delete"));
  return ApplySchema(db_);
}

Result<int64_t> Index::AppliedSeq() { return ReadMeta(db_, "applied_seq"); }

Status Index::CatchUp(const Ledger& ledger, const Progress& progress) {
  ACTLEDGER_ASSIGN_OR_RETURN(int64_t applied, AppliedSeq());
  const uint64_t end = ledger.size();
  const uint64_t start = static_cast<uint64_t>(applied + 1);
  if (start >= end) return Status::Ok();

  Stmt insert, upsert, set_applied, get_applied, purge_actions, purge_records;
  ACTLEDGER_RETURN_IF_ERROR(insert.Prepare(db_, InsertRecordSql()));
  // A `purge` record's ranges lose their content here too: their rows keep
  // seq, kind, recorded_at, retention and size (what the ledger's stubs
  // keep), and the actions they belonged to leave the `actions` table.
  ACTLEDGER_RETURN_IF_ERROR(purge_actions.Prepare(
      db_,
      "DELETE FROM actions WHERE action_id IN (SELECT action_id FROM records "
      "WHERE seq BETWEEN ?1 AND ?2 AND action_id IS NOT NULL)"));
  {
    std::string sql = "UPDATE records SET present = 0";
    for (int c = kActionId; c <= kCurrency; ++c) {
      sql += std::string(", ") + kRecordColumnNames[c] + " = NULL";
    }
    sql += " WHERE seq BETWEEN ?1 AND ?2";
    ACTLEDGER_RETURN_IF_ERROR(purge_records.Prepare(db_, sql));
  }
  ACTLEDGER_RETURN_IF_ERROR(upsert.Prepare(db_, UpsertActionSql()));
  ACTLEDGER_RETURN_IF_ERROR(set_applied.Prepare(
      db_, "UPDATE meta SET value = ? WHERE key = 'applied_seq'"));
  ACTLEDGER_RETURN_IF_ERROR(get_applied.Prepare(
      db_, "SELECT value FROM meta WHERE key = 'applied_seq'"));
  // The index is derived: losing its last transactions to a power cut
  // costs a catch-up, never a record, so commits skip fsync.
  ACTLEDGER_RETURN_IF_ERROR(
      Exec(db_, "PRAGMA synchronous=OFF", "set synchronous"));
  Exec(db_, "PRAGMA cache_size=-262144", "set cache size").IgnoreError();
  Exec(db_, "PRAGMA temp_store=MEMORY", "set temp store").IgnoreError();
  // Lets CREATE INDEX sort on a second thread.
  Exec(db_, "PRAGMA threads=1", "set sorter threads").IgnoreError();

  // A catch-up that at least doubles the index inserts into the bare
  // tables and recreates the secondary indexes at the end: building an
  // index once from the finished table (one sort) costs a fraction of
  // updating eight of them row by row. Interrupted, it leaves the tables
  // consistent but without those indexes, which the next Open or bulk
  // catch-up recreates (queries stay correct meanwhile, only slower).
  const bool bulk = end - start >= bulk_min_records_ && end - start >= start;
  if (bulk) {
    Status st = DropSecondaryIndexes(db_);
    if (!st.ok()) {
      Exec(db_, "PRAGMA synchronous=NORMAL", "set synchronous").IgnoreError();
      return st;
    }
  }

  // Reading and parsing leaves runs on its own thread, ahead of the
  // inserts, which SQLite serializes on this one.
  BatchQueue queue(4);
  std::thread producer([&] {
    RowExtractor extractor;
    std::string leaf;  // Extract pads its capacity: reused across records
    Batch b;
    Status st = ledger.ForEach(
        start, end, [&](uint64_t seq, std::string_view bytes) -> Status {
          if (b.rows.empty()) {
            if (queue.cancelled()) return Internal("catch-up cancelled");
            b.rows.reserve(kBatchRecords);
          }
          leaf.assign(bytes);
          Status parsed = extractor.Extract(leaf, seq, &b.rows.emplace_back());
          if (!parsed.ok()) {
            b.rows.pop_back();
            return parsed;
          }
          if (b.rows.size() == kBatchRecords) queue.Push(std::exchange(b, {}));
          return Status::Ok();
        });
    b.status = std::move(st);
    if (!b.rows.empty() || !b.status.ok()) queue.Push(std::move(b));
    queue.Close();
  });

  // A transaction spans several batches in a bulk catch-up: each commit
  // writes every page it dirtied to the WAL again, and the unique index on
  // `actions`.action_id, keyed by random ids, has most of its pages dirtied
  // in every transaction.
  const uint64_t txn_records = bulk ? kBulkTxnRecords : 1;
  Status result = Status::Ok();
  uint64_t done = 0;
  uint64_t uncommitted = 0;
  bool in_txn = false;
  int64_t last = -1;  // the applied_seq the open transaction will write
  ActionMerger merger;
  auto fold = [&](const Batch& batch) -> Status {
    if (!in_txn) {
      ACTLEDGER_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE", "begin"));
      in_txn = true;
      // Another process may have folded some of these meanwhile.
      if (get_applied.Step() != SQLITE_ROW) {
        sqlite3_reset(get_applied.get());
        return SqlError(db_, "read applied_seq");
      }
      last = sqlite3_column_int64(get_applied.get(), 0);
      sqlite3_reset(get_applied.get());
    }
    for (const Row& row : batch.rows) {
      const int64_t seq = static_cast<int64_t>(row.seq());
      if (seq <= last) continue;
      if (seq != last + 1) {
        return FailedPrecondition("index applied_seq " + std::to_string(last) +
                                  " does not precede record " +
                                  std::to_string(seq) + "; run reindex");
      }
      for (int c = 0; c < kNumRecordCols; ++c) insert.Bind(c + 1, row[c]);
      ACTLEDGER_RETURN_IF_ERROR(insert.Exec("insert record"));
      if (row[kActionId].type == Cell::Type::kText) merger.Add(row);
      last = seq;
      if (!row.purged.empty()) {
        // Pending merges may name purged actions: written first, then
        // dropped with the rest.
        ACTLEDGER_RETURN_IF_ERROR(merger.Flush(&upsert));
        for (const auto& [first, last_purged] : row.purged) {
          for (Stmt* st : {&purge_actions, &purge_records}) {
            st->Bind(1, first);
            st->Bind(2, last_purged);
            ACTLEDGER_RETURN_IF_ERROR(st->Exec("drop purged content"));
          }
        }
      }
    }
    // The merger points into `batch`, so it is flushed before the next.
    ACTLEDGER_RETURN_IF_ERROR(merger.Flush(&upsert));
    uncommitted += batch.rows.size();
    return Status::Ok();
  };
  auto commit = [&]() -> Status {
    set_applied.Bind(1, last);
    ACTLEDGER_RETURN_IF_ERROR(set_applied.Exec("write applied_seq"));
    ACTLEDGER_RETURN_IF_ERROR(Exec(db_, "COMMIT", "commit"));
    in_txn = false;
    uncommitted = 0;
    return Status::Ok();
  };
  Batch b;
  while (queue.Pop(&b)) {
    Status st = b.rows.empty() ? Status::Ok() : fold(b);
    // A failed batch carries the rows before the failure: commit them.
    if (st.ok() && in_txn && (uncommitted >= txn_records || !b.status.ok())) {
      st = commit();
    }
    done += b.rows.size();
    if (st.ok()) st = b.status;
    if (!st.ok()) {
      result = st;
      queue.Cancel();
      break;
    }
    if (progress) progress(done, end - start);
  }
  // commit() clears in_txn; after a failure the transaction is rolled back.
  if (in_txn && result.ok()) result = commit();
  const bool still_open = in_txn;
  if (still_open) {
    merger.Clear();
    Exec(db_, "ROLLBACK", "rollback").IgnoreError();
  }
  // Drain so the producer is never blocked on a full queue.
  while (queue.Pop(&b)) {
  }
  producer.join();
  if (bulk) {
    // Also after a failure, so this connection is never left without them.
    Status st = ApplySchema(db_);
    if (result.ok()) result = st;
  }
  Exec(db_, "PRAGMA synchronous=NORMAL", "set synchronous").IgnoreError();
  return result;
}

Status Index::Rebuild(const Ledger& ledger, const Progress& progress) {
  ACTLEDGER_RETURN_IF_ERROR(Exec(db_,
                                 "BEGIN IMMEDIATE;"
                                 "DELETE FROM records;"
                                 "DELETE FROM actions;"
                                 "UPDATE meta SET value = -1 "
                                 "WHERE key = 'applied_seq';"
                                 "COMMIT;",
                                 "empty the index"));
  return CatchUp(ledger, progress);
}

Result<QueryPage> Index::Query(const QueryFilter& filter) {
  const SqlWhere w = BuildWhere(filter, true);
  Stmt s;
  ACTLEDGER_RETURN_IF_ERROR(s.Prepare(db_, "SELECT " + SelectColumns() +
                                               " FROM records" + w.sql +
                                               " ORDER BY seq LIMIT ?"));
  w.BindTo(&s);
  s.Bind(static_cast<int>(w.args.size() + 1),
         static_cast<int64_t>(filter.limit) + 1);
  QueryPage page;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (page.records.size() == filter.limit) {
      page.next_cursor = "s" + std::to_string(page.records.back().seq);
      break;
    }
    page.records.push_back(ReadRecord(s.get()));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SqlError(db_, "query");
  return page;
}

Result<uint64_t> Index::Count(const QueryFilter& filter) {
  const SqlWhere w = BuildWhere(filter, false);
  Stmt s;
  ACTLEDGER_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT count(*) FROM records" + w.sql));
  w.BindTo(&s);
  if (s.Step() != SQLITE_ROW) return SqlError(db_, "count");
  return static_cast<uint64_t>(sqlite3_column_int64(s.get(), 0));
}

}  // namespace actledger::index
