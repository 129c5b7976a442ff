// approvals: the SOX 404 evidence of which actions were auto-approved by a
// rule and which a person reviewed, per rule and period, and by whom.
#include <array>
#include <map>
#include <tuple>

#include "report/internal.h"

namespace actledger::report::internal {
namespace {

constexpr std::array<const char*, 8> kOutcomeNames = {
    "auto_approved", "human_approved", "rejected",    "expired",
    "denied",        "pending",        "no_approval", "not_recorded"};

struct Tally {
  std::array<uint64_t, kOutcomeNames.size()> n{};
  uint64_t total = 0;
};

struct ByWhom {
  uint64_t approved = 0;
  uint64_t rejected = 0;
};

}  // namespace

Result<ReportResult> Approvals(const ReportOptions& o) {
  Where w = ActionsWhere(o.filter);
  w.And("(a.action_seq IS NOT NULL OR a.proposal_seq IS NOT NULL)");
  const std::string sql =
      "SELECT a.first_recorded_at_us, a.rule_id, a.approval_mode, "
      "a.gate_decision, a.approval_decision, a.gate_expires_at_us, "
      "a.approver, a.approver_role FROM actions a" +
      w.sql;
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);
  const int64_t now_us = ToMicros(o.now);
  Tally total;
  std::map<std::pair<std::string, std::string>, Tally> by_rule;
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           ByWhom>
      by_whom;
  // Period labels change rarely between consecutive rows; avoid
  // recomputing the calendar for each.
  int64_t day_start = 1, day_end = 0;
  std::string label;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int64_t t = s.Int(0);
    if (t < day_start || t >= day_end) {
      label = PeriodLabel(t, o.period);
      int64_t d = t / 86400000000;
      if (t % 86400000000 < 0) --d;
      day_start = d * 86400000000;
      day_end = day_start + 86400000000;
    }
    const Approval a =
        ClassifyApproval(s.View(2), s.View(3), s.View(4), s.OptInt(5), now_us);
    const size_t k = static_cast<size_t>(a);
    Tally& g = by_rule[{label, s.Text(1)}];
    ++g.n[k];
    ++g.total;
    ++total.n[k];
    ++total.total;
    if (a == Approval::kHumanApproved || a == Approval::kRejected) {
      ByWhom& b = by_whom[{label, s.Text(1), s.Text(6), s.Text(7)}];
      (a == Approval::kHumanApproved ? b.approved : b.rejected)++;
    }
  }

  ReportResult r;
  r.name = "approvals";
  r.title = "Approvals per rule and " + o.period +
            ": auto-approved, reviewed by a person, rejected, expired, denied";
  r.summary.push_back(
      {"actions", std::to_string(total.total), CellType::kInteger});
  for (size_t k = 0; k < kOutcomeNames.size(); ++k) {
    r.summary.push_back(
        {kOutcomeNames[k], std::to_string(total.n[k]), CellType::kInteger});
  }
  r.summary.push_back({"period", o.period, CellType::kText});

  Section rules;
  rules.name = "by_rule";
  rules.title = "By period and rule (empty rule: no rule decided)";
  rules.columns = {{"period", CellType::kText},
                   {"rule_id", CellType::kText},
                   {"actions", CellType::kInteger}};
  for (const char* n : kOutcomeNames) {
    rules.columns.push_back({n, CellType::kInteger});
  }
  for (const auto& [key, t] : by_rule) {
    std::vector<std::string> row = {key.first, key.second,
                                    std::to_string(t.total)};
    for (uint64_t n : t.n) row.push_back(std::to_string(n));
    rules.rows.push_back(std::move(row));
  }

  Section whom;
  whom.name = "by_approver";
  whom.title = "Human decisions by approver";
  whom.columns = {
      {"period", CellType::kText},      {"rule_id", CellType::kText},
      {"approver", CellType::kText},    {"approver_role", CellType::kText},
      {"approved", CellType::kInteger}, {"rejected", CellType::kInteger}};
  for (const auto& [key, b] : by_whom) {
    whom.rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key),
                         std::get<3>(key), std::to_string(b.approved),
                         std::to_string(b.rejected)});
  }
  r.sections.push_back(std::move(rules));
  r.sections.push_back(std::move(whom));
  return r;
}

}  // namespace actledger::report::internal
