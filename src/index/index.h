// The query index: DIR/index.db, a SQLite projection of the log with one
// row per record and one per action, for investigators' filters and the
// reports. The schema is a contract documented in docs/INDEX.md.
//
//   auto ledger = Ledger::OpenForRead(dir);
//   auto index = index::Index::Open(dir);
//   ACTLEDGER_RETURN_IF_ERROR((*index)->CatchUp(**ledger, nullptr));
//   auto filter = index::ParseQueryFilter({{"subject", "customer:cus_1"}});
//   auto page = (*index)->Query(*filter);   // rows in seq order
//
// The log is the truth: the index may lag behind it, and readers call
// CatchUp before answering. meta.applied_seq is written in the same
// transaction as the rows, so an interrupted catch-up leaves a consistent
// index that the next one continues.
//
// Thread safety: an Index is not thread-safe; use one per thread. Several
// Index objects, in one or several processes, may catch up the same
// directory at once (SQLite's write lock serializes them and no record is
// folded twice).
#ifndef ACTLEDGER_INDEX_INDEX_H_
#define ACTLEDGER_INDEX_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/status.h"

struct sqlite3;

namespace actledger::index {

constexpr int kSchemaVersion = 2;
constexpr char kIndexFile[] = "index.db";

// What a plaintext subject id is stored and looked up as. A record whose
// subject.id is encrypted (docs/ERASURE.md) is stored under its
// subject.blind_id instead, so the index never holds the plaintext id;
// lookups then need the blind id (QueryFilter::subject_blind_id).
std::string SubjectKey(std::string_view subject_id);

// Filters of docs/INDEX.md; every set member narrows the result.
struct QueryFilter {
  std::optional<int64_t> from_us;  // recorded_at_us >= from_us
  std::optional<int64_t> to_us;    // recorded_at_us < to_us
  std::vector<std::string> types;  // globs; a record matches any of them
  std::optional<std::string> system;
  std::optional<std::string> subject_type;  // both set, or neither
  std::optional<std::string> subject_id;    // as given (not SubjectKey'd)
  // HMAC blind id of "TYPE:ID" under the ledger's master key, set by the
  // caller (keystore::BlindIdForLookup) so encrypted records match too.
  std::optional<std::string> subject_blind_id;
  std::optional<std::string> model;
  std::optional<std::string> model_version;
  std::optional<std::string> prompt_template_id;
  std::optional<std::string> prompt_template_version;
  std::optional<std::string> approval;  // human | rule | none
  std::optional<std::string> rule;
  std::optional<std::string> approver;
  std::optional<std::string> outcome;
  std::optional<std::string> env;
  std::optional<std::string> job;
  std::optional<std::string> min_amount;  // decimal text, inclusive
  std::optional<std::string> max_amount;  // decimal text, inclusive
  std::optional<std::string> currency;
  std::vector<std::string> kinds;  // a record matches any of them
  std::optional<std::string> action_id;
  uint32_t limit = 100;  // 1 .. kMaxLimit
  // Only records with seq > after_seq (decoded from the cursor).
  std::optional<uint64_t> after_seq;

  static constexpr uint32_t kMaxLimit = 10000;
};

// Parses filters given as (name, value) pairs: the CLI flags without their
// dashes, or HTTP query parameters ("from", "type", "subject",
// "min-amount", "limit", "cursor", ...). Errors: kInvalidArgument whose
// field() is the parameter name, for an unknown name, a malformed value or
// a repeated name that may not repeat.
Result<QueryFilter> ParseQueryFilter(
    const std::vector<std::pair<std::string, std::string>>& params);

// A WHERE clause and the values it binds, built from constant SQL
// fragments only: every value is a parameter.
struct SqlWhere {
  struct Arg {
    bool is_int = false;
    int64_t i = 0;
    std::string s;
  };
  std::string sql;  // " WHERE …" or ""
  std::vector<Arg> args;

  // Adds a clause that takes no argument, or whose arguments the caller
  // appends with AddArg, in order.
  void And(std::string_view clause);
  void AddArg(std::string s);
  void AddArg(int64_t i);
  // `column` = v, when v is set.
  void Eq(std::string_view column, const std::optional<std::string>& v);
  // Binds args from parameter 1 on, through any statement wrapper with
  // Bind(int, int64_t) and Bind(int, const std::string&).
  template <typename Statement>
  void BindTo(Statement* stmt) const {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i].is_int) {
        stmt->Bind(static_cast<int>(i + 1), args[i].i);
      } else {
        stmt->Bind(static_cast<int>(i + 1), args[i].s);
      }
    }
  }
};

// The conditions of `f` on the columns `records` and `actions` share (all
// but kinds and after_seq, which only `records` has): each column named
// with `alias` before it ("a." or ""), and from_us/to_us bounding
// `time_column` (recorded_at_us of a record, first_recorded_at_us of an
// action). The query command and every report filter through this one
// translation.
SqlWhere FilterWhere(const QueryFilter& f, std::string_view alias,
                     std::string_view time_column);

// One `records` row (docs/INDEX.md); absent values are nullopt.
struct IndexedRecord {
  uint64_t seq = 0;
  std::string kind;
  std::string recorded_at;
  int64_t recorded_at_us = 0;
  std::optional<std::string> recorded_by, action_id, occurred_at;
  std::optional<int64_t> occurred_at_us;
  std::optional<std::string> trigger_type, trigger_source, action_type, system,
      target, subject_type, subject_id, model_provider, model_name,
      model_version, prompt_template_id, prompt_template_version, approval_mode,
      approver, approver_role, rule_id, rule_version, decision, gate_tier,
      policy_version, outcome_status, violation, environment, job_id,
      app_version, amount_value;
  std::optional<int64_t> amount_micros;
  std::optional<std::string> currency, retention_regime, retention_until;
  uint32_t present = 0;
  uint64_t leaf_bytes = 0;
};

// Bits of IndexedRecord::present (docs/INDEX.md).
enum PresentBit : uint32_t {
  kHasTrigger = 1u << 0,
  kHasModel = 1u << 1,
  kHasModelVersion = 1u << 2,
  kHasPromptTemplate = 1u << 3,
  kHasAiOutput = 1u << 4,
  kHasReasoning = 1u << 5,
  kHasAction = 1u << 6,
  kHasApproval = 1u << 7,
  kHasApproverOrRule = 1u << 8,
  kHasContext = 1u << 9,
  kHasOutcome = 1u << 10,
  kHasOutcomeConfirmedAt = 1u << 11,
};

struct QueryPage {
  std::vector<IndexedRecord> records;  // in seq order
  // Pass back as the `cursor` filter for the next page; empty when this
  // page is the last.
  std::string next_cursor;
};

// Called now and then during catch-up with (records done, records to do).
using Progress = std::function<void(uint64_t done, uint64_t total)>;

class Index {
 public:
  // Opens DIR/index.db, creating it or, when it is corrupt or of another
  // schema version, recreating it empty. Errors: kIoError.
  static Result<std::unique_ptr<Index>> Open(const std::string& dir);
  ~Index();
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;

  // Folds records [applied_seq + 1, ledger.size()) into the index.
  // `progress` may be empty. Errors: kIoError (SQLite), kDataLoss (a stored
  // record that is not the JSON the ledger writes), the ledger's errors.
  Status CatchUp(const Ledger& ledger, const Progress& progress);
  // Empties the index and folds every record again. Interrupting it leaves
  // an index that the next CatchUp completes.
  Status Rebuild(const Ledger& ledger, const Progress& progress);

  // A catch-up of at least `n` records that also at least doubles the
  // index drops the secondary indexes, inserts, and recreates them at the
  // end (docs/INDEX.md). The default suits production; tests lower it.
  void set_bulk_min_records(uint64_t n) { bulk_min_records_ = n; }

  // The seq of the last record indexed, or -1.
  Result<int64_t> AppliedSeq();

  // Records matching `filter`, in seq order, at most filter.limit.
  Result<QueryPage> Query(const QueryFilter& filter);
  // How many records match (limit and cursor ignored).
  Result<uint64_t> Count(const QueryFilter& filter);

  // The connection, for modules that read the documented schema with
  // their own SQL (the reports). Owned by the Index.
  sqlite3* db() { return db_; }

 private:
  Index() = default;
  Status CreateSchema();

  std::string path_;
  sqlite3* db_ = nullptr;
  uint64_t bulk_min_records_ = 20000;
};

}  // namespace actledger::index

#endif  // ACTLEDGER_INDEX_INDEX_H_
