// Investigation reports over the query index (PRODUCT.md section 4,
// docs/REPORTS.md): the answers an incident responder, an auditor and a
// data subject ask for, computed from DIR/index.db and, where the reasoning
// or inputs are needed, from the ledger's stored records.
//
//   auto ledger = Ledger::OpenForRead(dir);
//   auto index = index::Index::Open(dir);
//   ACTLEDGER_RETURN_IF_ERROR((*index)->CatchUp(**ledger, nullptr));
//   auto options = report::ParseReportOptions(
//       {{"from", "2026-11-01T00:00:00Z"}, {"period", "week"}});
//   options->index = index->get();
//   options->ledger = ledger->get();
//   Result<report::ReportResult> r = report::RunReport("approvals", *options);
//   std::string json = report::RenderJson(*r);
//
// Reports count ACTIONS (one row of the index's `actions` table: a
// complete `action` record, or a proposal with its approval and outcome),
// not records. The QueryFilter therefore applies to the action's merged
// values, and `from`/`to` to the time the action was first recorded.
//
// Thread safety: RunReport uses options.index, which is not thread-safe;
// one report at a time per Index.
#ifndef ACTLEDGER_REPORT_REPORT_H_
#define ACTLEDGER_REPORT_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/ledger.h"
#include "actledger/status.h"
#include "common/time.h"
#include "index/index.h"
#include "keystore/access.h"

namespace actledger::report {

// Report names, in the order `actledger report --help` lists them.
const std::vector<std::string>& ReportNames();

struct ReportOptions {
  index::QueryFilter filter;
  // approvals: the period rows are grouped by: "day", "week" (ISO 8601,
  // weeks start on Monday) or "month".
  std::string period = "month";
  // violations: a proposal cleared to execute (allowed or approved) with no
  // outcome this long after it was recorded is reported.
  int64_t stale_after_seconds = 24 * 3600;
  // incident: when the incident was discovered (required there).
  std::optional<UtcTime> discovered_at;
  // The clock for expiry, staleness and overdue reviews.
  UtcTime now = NowUtc();
  // Not owned; both must be set. The index should be caught up.
  index::Index* index = nullptr;
  const Ledger* ledger = nullptr;
  // Not owned; renders personal fields for the reader. Null: records are
  // read as stored (encrypted fields stay envelopes).
  const keystore::RecordDecryptor* reader = nullptr;
};

// Splits `params` (CLI flags without dashes, or HTTP query parameters) into
// report options and the QueryFilter (index::ParseQueryFilter). Report
// options: "period" (day|week|month), "stale-after" (a duration: 30m, 24h,
// 7d), "discovered-at" (RFC 3339 UTC). "limit", "cursor" and "kind" are
// rejected: a report covers every matching action. Errors:
// kInvalidArgument whose field() names the parameter.
Result<ReportOptions> ParseReportOptions(
    const std::vector<std::pair<std::string, std::string>>& params);

// How a cell is typed in JSON: text as a string, integers and ratios as
// numbers, money as a decimal string (exact), empty cells as null.
enum class CellType { kText, kInteger, kRatio, kMoney };

struct Column {
  std::string name;  // snake_case, the JSON key and CSV header
  CellType type = CellType::kText;
};

struct Section {
  std::string name;   // snake_case id: JSON "name", --section in the CLI
  std::string title;  // for people
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;  // cells as text
};

struct SummaryItem {
  std::string name;  // snake_case
  std::string value;
  CellType type = CellType::kText;
};

struct ReportResult {
  std::string name;   // "approvals", ...
  std::string title;  // one line for people
  std::vector<SummaryItem> summary;
  std::vector<Section> sections;
  // A readable document for a person (the subject report: one paragraph
  // per decision); empty for the other reports.
  std::string narrative;
};

// Runs report `name` (ReportNames()). Errors: kInvalidArgument naming the
// option for an unknown report or a missing required option ("subject"
// for subject, "discovered-at" for incident), kIoError from SQLite, the
// ledger's errors when stored records are read.
Result<ReportResult> RunReport(std::string_view name,
                               const ReportOptions& options);

// {"report":"…","title":"…","summary":{name:value,…},
//  "sections":[{"name":"…","title":"…","columns":["…",…],
//               "rows":[{column:value,…},…]},…][,"narrative":"…"]}
std::string RenderJson(const ReportResult& result);

}  // namespace actledger::report

#endif  // ACTLEDGER_REPORT_REPORT_H_
