// Shared by the report implementations; internal to src/report.
#ifndef ACTLEDGER_REPORT_INTERNAL_H_
#define ACTLEDGER_REPORT_INTERNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actledger/status.h"
#include "index/index.h"
#include "report/report.h"

struct sqlite3;
struct sqlite3_stmt;

namespace actledger::report::internal {

// A prepared statement over the index connection. Values are always bound
// parameters, never spliced into SQL text.
class Stmt {
 public:
  static Result<Stmt> Prepare(sqlite3* db, const std::string& sql);
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  Stmt(const Stmt&) = delete;
  ~Stmt();

  void Bind(int i, const std::string& text);
  void Bind(int i, int64_t value);
  // true: a row is ready; false: done. Errors: kIoError.
  Result<bool> Step();

  bool IsNull(int c) const;
  int64_t Int(int c) const;  // 0 when NULL
  std::optional<int64_t> OptInt(int c) const;
  std::string Text(int c) const;       // "" when NULL
  std::string_view View(int c) const;  // valid until the next Step

 private:
  Stmt(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
  sqlite3* db_;
  sqlite3_stmt* s_;
};

using Where = index::SqlWhere;
// A QueryFilter as a WHERE clause over `actions a` (docs/INDEX.md):
// the same columns and semantics as `actledger query` (one translation,
// index::FilterWhere), except that from/to select on the time the action
// was first recorded.
Where ActionsWhere(const index::QueryFilter& f);

// Exact sums of decimal money per currency: integer micros where the index
// has them, decimal text arithmetic where it does not (more than six
// decimals).
class MoneyTotals {
 public:
  void Add(const std::string& currency, std::optional<int64_t> micros,
           std::string_view value_text);
  bool empty() const { return sums_.empty(); }
  // Currency -> exact total ("340.00", at least two decimals), by currency.
  std::map<std::string, std::string> Totals() const;
  // "340.00 USD; 12.50 EUR" (currencies in order).
  std::string ToText() const;
  // Number of amounts added per currency.
  std::map<std::string, uint64_t> Counts() const;

 private:
  struct Sum {
    int64_t micros = 0;
    // Values the micros cannot hold, and partial sums that would have
    // overflowed them.
    std::vector<std::string> exact;
    uint64_t count = 0;
  };
  std::map<std::string, Sum> sums_;
};

// Exact sum of decimal texts (-?[0-9]+(\.[0-9]+)?); nullopt if one is not
// decimal text.
std::optional<std::string> AddDecimals(const std::vector<std::string>& values);

// RFC 3339 UTC of microseconds since the epoch; 0, 3 or 6 decimals as
// needed.
std::string FormatMicros(int64_t us);
// The approvals period label of a time: "2026-11-28", "2026-W48",
// "2026-11".
std::string PeriodLabel(int64_t us, std::string_view period);
// num/den with four decimals ("0.2500"); "" when den is 0.
std::string Ratio(uint64_t num, uint64_t den);

// How an action's approval step ended, from its `actions` row.
enum class Approval {
  kAutoApproved,   // a rule approved it
  kHumanApproved,  // a person approved it
  kRejected,       // a person rejected it
  kExpired,        // pending, and its approval request expired
  kDenied,         // the policy denied it
  kPending,        // still waiting for a person
  kNoApproval,     // approval mode "none": executed and logged (log_only)
  kNotRecorded,    // the record carries no approval step at all
};
Approval ClassifyApproval(std::string_view approval_mode,
                          std::string_view gate_decision,
                          std::string_view approval_decision,
                          std::optional<int64_t> gate_expires_at_us,
                          int64_t now_us);

int64_t ToMicros(UtcTime t);

Result<ReportResult> Completeness(const ReportOptions& o);
Result<ReportResult> Approvals(const ReportOptions& o);
Result<ReportResult> ModelVersions(const ReportOptions& o);
Result<ReportResult> Violations(const ReportOptions& o);
Result<ReportResult> Subject(const ReportOptions& o);
Result<ReportResult> Incident(const ReportOptions& o);

}  // namespace actledger::report::internal

#endif  // ACTLEDGER_REPORT_INTERNAL_H_
