// completeness: how much of the seven fields each integration records.
#include <algorithm>
#include <array>
#include <map>

#include "report/internal.h"

namespace actledger::report::internal {
namespace {

struct Part {
  const char* name;
  uint32_t bit;
};

// In field order; the report reorders them by how often they are missing.
constexpr std::array<Part, 12> kParts = {{
    {"trigger", index::kHasTrigger},
    {"model", index::kHasModel},
    {"model.version", index::kHasModelVersion},
    {"model.prompt_template", index::kHasPromptTemplate},
    {"ai_output", index::kHasAiOutput},
    {"ai_output.reasoning", index::kHasReasoning},
    {"action", index::kHasAction},
    {"approval", index::kHasApproval},
    {"approval.approver_or_rule", index::kHasApproverOrRule},
    {"context", index::kHasContext},
    {"outcome", index::kHasOutcome},
    {"outcome.confirmed_at", index::kHasOutcomeConfirmedAt},
}};

struct Counts {
  uint64_t actions = 0;
  uint64_t complete = 0;
  std::array<uint64_t, kParts.size()> present{};
};

}  // namespace

Result<ReportResult> Completeness(const ReportOptions& o) {
  Where w = ActionsWhere(o.filter);
  w.And("(a.action_seq IS NOT NULL OR a.proposal_seq IS NOT NULL)");
  // The primary record (the complete `action` record, else the proposal)
  // carries fields 1-4 and 6; an outcome record adds field 7.
  const std::string sql =
      "SELECT a.system, a.action_type, a.approval_mode, a.gate_decision, "
      "a.rule_id, a.approval_seq, p.present, o.present, "
      "a.action_seq IS NOT NULL "
      "FROM actions a "
      "LEFT JOIN records p ON p.seq = COALESCE(a.action_seq, a.proposal_seq) "
      "LEFT JOIN records o ON o.seq = a.outcome_seq" +
      w.sql;
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);
  constexpr uint32_t kAll = (1u << 12) - 1;
  constexpr uint32_t kOutcomeBits =
      index::kHasOutcome | index::kHasOutcomeConfirmedAt;
  Counts total;
  std::map<std::pair<std::string, std::string>, Counts> by_group;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    uint32_t mask = static_cast<uint32_t>(s.Int(6));
    mask |= static_cast<uint32_t>(s.Int(7)) & kOutcomeBits;
    const std::string_view mode = s.View(2);
    if (s.Int(8) == 0) {
      // A proposal: the gate's decision, recorded by the ledger, is its
      // approval step; who decided is the rule or the approval record.
      if (!s.IsNull(3)) mask |= index::kHasApproval;
      if (!s.IsNull(4) || !s.IsNull(5)) mask |= index::kHasApproverOrRule;
    }
    // With mode "none" there is no approver or rule to name.
    if (mode == "none") mask |= index::kHasApproverOrRule;
    Counts& g = by_group[{s.Text(0), s.Text(1)}];
    for (Counts* c : {&total, &g}) {
      ++c->actions;
      if ((mask & kAll) == kAll) ++c->complete;
      for (size_t i = 0; i < kParts.size(); ++i) {
        if (mask & kParts[i].bit) ++c->present[i];
      }
    }
  }

  // Most often missing first; ties keep field order.
  std::vector<size_t> order(kParts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return total.actions - total.present[a] > total.actions - total.present[b];
  });

  ReportResult r;
  r.name = "completeness";
  r.title = "Coverage of the seven fields, most often missing first";
  r.summary = {
      {"actions", std::to_string(total.actions), CellType::kInteger},
      {"complete", std::to_string(total.complete), CellType::kInteger},
      {"complete_ratio", Ratio(total.complete, total.actions),
       CellType::kRatio},
  };
  for (size_t k = 0; k < 3 && k < order.size(); ++k) {
    r.summary.push_back({"most_missing_" + std::to_string(k + 1),
                         kParts[order[k]].name, CellType::kText});
  }

  Section fields;
  fields.name = "fields";
  fields.title = "Fields by how often they are missing";
  fields.columns = {{"field", CellType::kText},
                    {"missing", CellType::kInteger},
                    {"present", CellType::kInteger},
                    {"coverage", CellType::kRatio}};
  for (size_t i : order) {
    fields.rows.push_back({kParts[i].name,
                           std::to_string(total.actions - total.present[i]),
                           std::to_string(total.present[i]),
                           Ratio(total.present[i], total.actions)});
  }

  Section groups;
  groups.name = "by_system_and_type";
  groups.title = "Coverage by system and action type";
  groups.columns = {{"system", CellType::kText},
                    {"action_type", CellType::kText},
                    {"actions", CellType::kInteger},
                    {"complete", CellType::kRatio}};
  for (size_t i : order) {
    groups.columns.push_back({kParts[i].name, CellType::kRatio});
  }
  for (const auto& [key, c] : by_group) {
    std::vector<std::string> row = {key.first, key.second,
                                    std::to_string(c.actions),
                                    Ratio(c.complete, c.actions)};
    for (size_t i : order) row.push_back(Ratio(c.present[i], c.actions));
    groups.rows.push_back(std::move(row));
  }
  r.sections.push_back(std::move(fields));
  r.sections.push_back(std::move(groups));
  return r;
}

}  // namespace actledger::report::internal
