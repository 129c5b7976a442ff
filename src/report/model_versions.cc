// model-versions: per action type and model version, when it ran, how
// often it failed or was approved, and the money it moved, so a change in
// behaviour can be lined up with a model update.
#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "report/internal.h"

namespace actledger::report::internal {
namespace {

struct VersionStats {
  std::string provider;
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = std::numeric_limits<int64_t>::min();
  uint64_t actions = 0;
  uint64_t with_outcome = 0;  // success, failure or error
  uint64_t failures = 0;      // failure or error
  uint64_t decided = 0;       // approved, rejected, denied or expired
  uint64_t approved = 0;      // by a rule or a person
  MoneyTotals money;
};

}  // namespace

Result<ReportResult> ModelVersions(const ReportOptions& o) {
  Where w = ActionsWhere(o.filter);
  w.And("(a.action_seq IS NOT NULL OR a.proposal_seq IS NOT NULL)");
  const std::string sql =
      "SELECT a.action_type, a.model_provider, a.model_name, "
      "a.model_version, COALESCE(a.occurred_at_us, a.first_recorded_at_us), "
      "a.outcome_status, a.approval_mode, a.gate_decision, "
      "a.approval_decision, a.gate_expires_at_us, a.amount_micros, "
      "a.amount_value, a.currency FROM actions a" +
      w.sql;
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);
  const int64_t now_us = ToMicros(o.now);
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, VersionStats> stats;
  Key key;
  VersionStats* v = nullptr;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    // Consecutive rows often share a key; skip the map lookup then.
    if (v == nullptr || std::get<0>(key) != s.View(0) ||
        std::get<1>(key) != s.View(2) || std::get<2>(key) != s.View(3)) {
      key = {s.Text(0), s.Text(2), s.Text(3)};
      v = &stats[key];
      if (v->provider.empty()) v->provider = s.Text(1);
    }
    const int64_t t = s.Int(4);
    v->first = std::min(v->first, t);
    v->last = std::max(v->last, t);
    ++v->actions;
    const std::string_view status = s.View(5);
    if (status == "success" || status == "failure" || status == "error") {
      ++v->with_outcome;
      if (status != "success") ++v->failures;
    }
    switch (ClassifyApproval(s.View(6), s.View(7), s.View(8), s.OptInt(9),
                             now_us)) {
      case Approval::kAutoApproved:
      case Approval::kHumanApproved:
        ++v->approved;
        ++v->decided;
        break;
      case Approval::kRejected:
      case Approval::kDenied:
      case Approval::kExpired:
        ++v->decided;
        break;
      case Approval::kPending:
      case Approval::kNoApproval:
      case Approval::kNotRecorded:
        break;
    }
    if (!s.IsNull(11) && !s.IsNull(12)) {
      v->money.Add(s.Text(12), s.OptInt(10), s.View(11));
    }
  }

  // Chronological within each action type, so a new version follows the
  // one it replaced.
  std::vector<const std::pair<const Key, VersionStats>*> order;
  order.reserve(stats.size());
  for (const auto& e : stats) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
    if (std::get<0>(a->first) != std::get<0>(b->first)) {
      return std::get<0>(a->first) < std::get<0>(b->first);
    }
    return a->second.first < b->second.first;
  });

  ReportResult r;
  r.name = "model-versions";
  r.title = "Model versions per action type: when they ran and how they did";
  uint64_t actions = 0;
  for (const auto& [k, st] : stats) actions += st.actions;
  r.summary = {
      {"actions", std::to_string(actions), CellType::kInteger},
      {"versions", std::to_string(stats.size()), CellType::kInteger},
  };
  Section versions;
  versions.name = "versions";
  versions.title =
      "By action type and model version (failure rate: failure or error "
      "among outcomes; approval rate: approved among decided)";
  versions.columns = {
      {"action_type", CellType::kText},    {"provider", CellType::kText},
      {"model", CellType::kText},          {"model_version", CellType::kText},
      {"first_seen", CellType::kText},     {"last_seen", CellType::kText},
      {"actions", CellType::kInteger},     {"outcomes", CellType::kInteger},
      {"failures", CellType::kInteger},    {"failure_rate", CellType::kRatio},
      {"decided", CellType::kInteger},     {"approved", CellType::kInteger},
      {"approval_rate", CellType::kRatio}, {"amounts", CellType::kText}};
  Section amounts;
  amounts.name = "amounts";
  amounts.title = "Amount totals by action type, model version and currency";
  amounts.columns = {
      {"action_type", CellType::kText},   {"model", CellType::kText},
      {"model_version", CellType::kText}, {"currency", CellType::kText},
      {"actions", CellType::kInteger},    {"total", CellType::kMoney}};
  for (const auto* e : order) {
    const auto& [k, st] = *e;
    versions.rows.push_back(
        {std::get<0>(k), st.provider, std::get<1>(k), std::get<2>(k),
         FormatMicros(st.first), FormatMicros(st.last),
         std::to_string(st.actions), std::to_string(st.with_outcome),
         std::to_string(st.failures), Ratio(st.failures, st.with_outcome),
         std::to_string(st.decided), std::to_string(st.approved),
         Ratio(st.approved, st.decided), st.money.ToText()});
    const auto counts = st.money.Counts();
    for (const auto& [currency, total] : st.money.Totals()) {
      amounts.rows.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k),
                              currency, std::to_string(counts.at(currency)),
                              total});
    }
  }
  r.sections.push_back(std::move(versions));
  r.sections.push_back(std::move(amounts));
  return r;
}

}  // namespace actledger::report::internal
