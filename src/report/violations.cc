// violations: actions executed without the approval the policy required,
// outcomes nobody proposed, cleared proposals whose outcome never came,
// and threshold rules overdue for review.
#include <algorithm>
#include <map>

#include "actledger/json.h"
#include "actledger/policy.h"
#include "policy/duration.h"
#include "report/internal.h"

namespace actledger::report::internal {
namespace {

constexpr char kExecutedWithoutApproval[] = "executed_without_approval";
constexpr char kOutcomeWithoutProposal[] = "outcome_without_proposal";
constexpr char kStaleProposal[] = "proposal_without_outcome";
constexpr char kReviewOverdue[] = "rule_review_overdue";
constexpr char kReviewMissing[] = "rule_review_missing";

struct LoadedPolicy {
  int64_t seq = -1;
  policy::Policy policy;
  // Tier of each action type seen, under this policy.
  std::map<std::string, std::string, std::less<>> tiers;
};

// Every policy activation in the log, oldest first.
Result<std::vector<LoadedPolicy>> LoadPolicies(const ReportOptions& o) {
  ACTLEDGER_ASSIGN_OR_RETURN(
      Stmt s, Stmt::Prepare(o.index->db(),
                            "SELECT seq FROM records WHERE kind = 'policy' "
                            "ORDER BY seq"));
  std::vector<LoadedPolicy> out;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const int64_t seq = s.Int(0);
    ACTLEDGER_ASSIGN_OR_RETURN(std::string bytes,
                               o.ledger->Get(static_cast<uint64_t>(seq)));
    ACTLEDGER_ASSIGN_OR_RETURN(json::Value rec, json::Parse(bytes));
    const json::Value* text = rec.FindPath("policy.text");
    // Policy records whose content a retention purge removed carry no
    // text; there is nothing to check against then.
    if (text == nullptr || !text->is_string()) continue;
    Result<policy::Policy> p = policy::Policy::Parse(
        text->as_string(), "policy record " + std::to_string(seq));
    if (!p.ok()) {
      return DataLoss("the policy stored in record " + std::to_string(seq) +
                      " does not load: " + p.status().message());
    }
    out.push_back({seq, *std::move(p), {}});
  }
  return out;
}

const std::string& TierOf(LoadedPolicy* p, const std::string& action_type,
                          UtcTime now) {
  auto it = p->tiers.find(action_type);
  if (it == p->tiers.end()) {
    // The class tier does not depend on the rest of the proposal.
    json::Value action = json::Value::MakeObject();
    action.Set("type", json::Value::String(action_type));
    json::Value proposal = json::Value::MakeObject();
    proposal.Set("action", std::move(action));
    it = p->tiers.emplace(action_type, p->policy.Evaluate(proposal, now).tier)
             .first;
  }
  return it->second;
}

// "24h", "90m", "7d": the largest unit that divides it.
std::string DurationText(int64_t seconds) {
  if (seconds > 0 && seconds % 86400 == 0) {
    return std::to_string(seconds / 86400) + "d";
  }
  if (seconds > 0 && seconds % 3600 == 0) {
    return std::to_string(seconds / 3600) + "h";
  }
  if (seconds > 0 && seconds % 60 == 0) {
    return std::to_string(seconds / 60) + "m";
  }
  return std::to_string(seconds) + "s";
}

std::string DescribeApproval(Approval a, const std::string& rule_id) {
  switch (a) {
    case Approval::kAutoApproved:
      return "auto-approved by rule " + rule_id;
    case Approval::kNoApproval:
      return "approval mode none";
    case Approval::kNotRecorded:
      return "no approval recorded";
    case Approval::kRejected:
      return "rejected by a person";
    case Approval::kPending:
      return "not yet decided by a person";
    case Approval::kExpired:
      return "its approval request expired";
    case Approval::kDenied:
      return "denied";
    case Approval::kHumanApproved:
      return "approved by a person";
  }
  return "";
}

}  // namespace

Result<ReportResult> Violations(const ReportOptions& o) {
  ACTLEDGER_ASSIGN_OR_RETURN(std::vector<LoadedPolicy> policies,
                             LoadPolicies(o));
  const int64_t now_us = ToMicros(o.now);
  const int64_t stale_before = now_us - o.stale_after_seconds * 1000000;

  Where w = ActionsWhere(o.filter);
  // Only rows that can be a violation: gate-flagged outcomes, outcomes
  // without a proposal or action record, cleared proposals without an
  // outcome, and (when a policy was ever active) complete action records.
  std::string candidates =
      "(a.violation IS NOT NULL"
      " OR (a.outcome_seq IS NOT NULL AND a.proposal_seq IS NULL"
      " AND a.action_seq IS NULL)"
      " OR (a.proposal_seq IS NOT NULL AND a.outcome_seq IS NULL"
      " AND a.action_seq IS NULL AND a.first_recorded_at_us <= ?"
      " AND (a.gate_decision = 'allow' OR a.approval_decision = 'approve'))";
  if (!policies.empty()) candidates += " OR a.action_seq IS NOT NULL";
  candidates += ")";
  w.And(candidates);
  w.AddArg(stale_before);
  const std::string sql =
      "SELECT a.action_id, a.first_seq, a.first_recorded_at_us, "
      "a.proposal_seq, a.action_seq, a.outcome_seq, a.action_type, a.system, "
      "a.violation, a.gate_decision, a.approval_decision, a.approval_mode, "
      "a.gate_expires_at_us, a.rule_id, a.outcome_at_us FROM actions a" +
      w.sql + " ORDER BY a.first_seq";
  ACTLEDGER_ASSIGN_OR_RETURN(Stmt s, Stmt::Prepare(o.index->db(), sql));
  w.BindTo(&s);

  struct Finding {
    std::string kind, action_id, seq, at, action_type, system, rule_id, detail;
  };
  std::vector<Finding> found;
  for (;;) {
    ACTLEDGER_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const bool has_proposal = !s.IsNull(3), has_action = !s.IsNull(4),
               has_outcome = !s.IsNull(5);
    Finding f;
    f.action_id = s.Text(0);
    f.action_type = s.Text(6);
    f.system = s.Text(7);
    f.rule_id = s.Text(13);
    if (has_outcome && !has_proposal && !has_action) {
      f.kind = kOutcomeWithoutProposal;
      f.seq = std::to_string(s.Int(5));
      f.at = FormatMicros(s.Int(14));
      f.detail = s.IsNull(8) ? "outcome recorded for an action that has no "
                               "proposal or action record"
                             : s.Text(8);
      found.push_back(std::move(f));
      continue;
    }
    if (!s.IsNull(8)) {
      f.kind = kExecutedWithoutApproval;
      f.seq = std::to_string(s.Int(5));
      f.at = FormatMicros(s.Int(14));
      f.detail = s.Text(8);
      found.push_back(std::move(f));
      continue;
    }
    if (has_proposal && !has_outcome && !has_action) {
      if (s.Int(2) > stale_before) continue;
      f.kind = kStaleProposal;
      f.seq = std::to_string(s.Int(3));
      f.at = FormatMicros(s.Int(2));
      f.detail = std::string(s.View(9) == "allow" ? "allowed" : "approved") +
                 ", no outcome recorded within " +
                 DurationText(o.stale_after_seconds);
      found.push_back(std::move(f));
      continue;
    }
    if (!has_action || policies.empty()) continue;
    // A complete `action` record: the policy in force when it was recorded
    // says what approval it needed.
    const int64_t first_seq = s.Int(1);
    auto it = std::lower_bound(
        policies.begin(), policies.end(), first_seq,
        [](const LoadedPolicy& p, int64_t seq) { return p.seq < seq; });
    if (it == policies.begin()) continue;  // no policy was active yet
    LoadedPolicy& p = *std::prev(it);
    const std::string& tier = TierOf(&p, f.action_type, o.now);
    const Approval a = ClassifyApproval(s.View(11), s.View(9), s.View(10),
                                        s.OptInt(12), now_us);
    const bool ok = a == Approval::kHumanApproved ||
                    (tier == "threshold" && a == Approval::kAutoApproved) ||
                    tier == "log_only";
    if (ok) continue;
    f.kind = kExecutedWithoutApproval;
    f.seq = std::to_string(s.Int(4));
    f.at = FormatMicros(s.Int(2));
    f.detail = "policy " + p.policy.version() + " (record " +
               std::to_string(p.seq) + ") puts " + f.action_type + " in tier " +
               tier + "; the record says: " + DescribeApproval(a, f.rule_id);
    found.push_back(std::move(f));
  }

  // Reviews of the rules in the policy active now.
  if (!policies.empty()) {
    const LoadedPolicy& active = policies.back();
    for (const std::string& id : active.policy.RuleIds()) {
      if (o.filter.rule && *o.filter.rule != id) continue;
      std::optional<std::string> canon = active.policy.RuleCanonicalJson(id);
      if (!canon) continue;
      ACTLEDGER_ASSIGN_OR_RETURN(json::Value rule, json::Parse(*canon));
      auto text = [&](const char* key) -> std::string {
        const json::Value* v = rule.Find(key);
        return v != nullptr && v->is_string() ? v->as_string() : "";
      };
      Finding f;
      f.rule_id = id;
      f.seq = std::to_string(active.seq);
      const std::string every = text("review_every");
      const std::string last = text("last_reviewed");
      const std::string base = last.empty() ? text("approved_at") : last;
      if (every.empty() || base.empty()) {
        f.kind = kReviewMissing;
        f.detail = every.empty() ? "no review cadence (review_every)"
                                 : "review_every " + every +
                                       " but neither last_reviewed nor "
                                       "approved_at";
        found.push_back(std::move(f));
        continue;
      }
      // The policy loaded, so both parse.
      Result<policy::Duration> d = policy::Duration::Parse(every);
      Result<UtcTime> b = policy::ParseDate(base);
      if (!d.ok() || !b.ok()) continue;
      const UtcTime due = d->AddTo(*b);
      if (!(due < o.now)) continue;
      f.kind = kReviewOverdue;
      f.at = FormatRfc3339Utc(due, 0);
      f.detail = "review every " + every + ", last " +
                 (last.empty() ? "approved " : "reviewed ") + base + ", due " +
                 f.at.substr(0, 10) + " (policy " + active.policy.version() +
                 ")";
      found.push_back(std::move(f));
    }
  }

  ReportResult r;
  r.name = "violations";
  r.title =
      "Violations: executed without approval, outcomes without "
      "proposal, proposals without outcome, overdue rule reviews";
  std::map<std::string, uint64_t> counts;
  for (const char* k : {kExecutedWithoutApproval, kOutcomeWithoutProposal,
                        kStaleProposal, kReviewOverdue, kReviewMissing}) {
    counts[k] = 0;
  }
  for (const Finding& f : found) ++counts[f.kind];
  r.summary.push_back(
      {"violations", std::to_string(found.size()), CellType::kInteger});
  for (const char* k : {kExecutedWithoutApproval, kOutcomeWithoutProposal,
                        kStaleProposal, kReviewOverdue, kReviewMissing}) {
    r.summary.push_back({k, std::to_string(counts[k]), CellType::kInteger});
  }
  r.summary.push_back({"stale_after_seconds",
                       std::to_string(o.stale_after_seconds),
                       CellType::kInteger});
  Section sec;
  sec.name = "violations";
  sec.title = "Violations";
  sec.columns = {
      {"kind", CellType::kText},        {"action_id", CellType::kText},
      {"seq", CellType::kInteger},      {"at", CellType::kText},
      {"action_type", CellType::kText}, {"system", CellType::kText},
      {"rule_id", CellType::kText},     {"detail", CellType::kText}};
  for (Finding& f : found) {
    sec.rows.push_back({std::move(f.kind), std::move(f.action_id),
                        std::move(f.seq), std::move(f.at),
                        std::move(f.action_type), std::move(f.system),
                        std::move(f.rule_id), std::move(f.detail)});
  }
  r.sections.push_back(std::move(sec));
  return r;
}

}  // namespace actledger::report::internal
