// Policy evaluation and lint. The hot path is Evaluate(): one hash lookup
// for the action type, then the pre-compiled `when` of each rule that
// applies to it. It writes into the caller's Decision so that steady-state
// evaluation reuses string capacity instead of allocating.
#include "actledger/policy.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "policy/policy_impl.h"

namespace actledger::policy {

const char* TierName(Tier t) {
  switch (t) {
    case Tier::kHumanApproval:
      return "human_approval";
    case Tier::kThreshold:
      return "threshold";
    case Tier::kLogOnly:
      return "log_only";
  }
  return "?";
}

const char* RuleDecisionName(RuleDecision d) {
  switch (d) {
    case RuleDecision::kAutoApprove:
      return "auto_approve";
    case RuleDecision::kRequireHuman:
      return "require_human";
    case RuleDecision::kDeny:
      return "deny";
  }
  return "?";
}

const char* OutcomeName(Decision::Outcome outcome) {
  switch (outcome) {
    case Decision::Outcome::kAllow:
      return "allow";
    case Decision::Outcome::kPendingApproval:
      return "pending_approval";
    case Decision::Outcome::kDeny:
      return "deny";
  }
  return "?";
}

int Policy::Impl::FindClass(std::string_view type) const {
  int best = -1;
  const Glob* best_glob = nullptr;
  for (size_t c = 0; c < classes.size(); ++c) {
    for (const Glob& g : classes[c].match) {
      if (!g.Matches(type)) continue;
      // Strictly more specific only: among equals the earlier class wins.
      if (best_glob == nullptr || g.CompareSpecificity(*best_glob) < 0) {
        best = static_cast<int>(c);
        best_glob = &g;
      }
    }
  }
  return best;
}

namespace {

bool RuleApplies(const RuleDef& r, std::string_view type) {
  for (const Glob& g : r.applies_to) {
    if (g.Matches(type)) return true;
  }
  return false;
}

}  // namespace

void Policy::Impl::BuildIndex() {
  auto add = [&](const Glob& g) {
    if (!g.is_literal() || by_type.count(g.pattern())) return;
    Resolution res;
    res.class_index = FindClass(g.pattern());
    for (size_t i = 0; i < rules.size(); ++i) {
      if (RuleApplies(rules[i], g.pattern()))
        res.rules.push_back(static_cast<int>(i));
    }
    by_type.emplace(g.pattern(), std::move(res));
  };
  for (const ClassDef& c : classes) {
    for (const Glob& g : c.match) add(g);
  }
  for (const RuleDef& r : rules) {
    for (const Glob& g : r.applies_to) add(g);
  }
}

Decision Policy::Evaluate(const json::Value& proposal, UtcTime now) const {
  Decision d;
  Evaluate(proposal, now, &d);
  return d;
}

void Policy::Evaluate(const json::Value& proposal, UtcTime now,
                      Decision* out) const {
  const Impl& p = *impl_;
  out->policy_version.assign(p.version);
  out->reason.clear();

  auto set_rule = [&](const RuleDef& r) {
    if (!out->rule) out->rule.emplace();
    out->rule->id.assign(r.id);
    out->rule->version.assign(r.version);
  };
  auto finish = [&](Decision::Outcome outcome, Tier tier, const ClassDef* cls) {
    out->outcome = outcome;
    out->tier.assign(TierName(tier));
    if (cls != nullptr) {
      out->class_name.assign(cls->name);
      out->approver_roles = cls->approver_roles;
      out->approval_ttl_seconds = cls->approval_ttl_seconds;
    } else {
      out->class_name.clear();
      out->approver_roles = p.default_approver_roles;
      out->approval_ttl_seconds = p.default_ttl_seconds;
    }
    out->approval_expires_at = now;
    out->approval_expires_at.seconds += out->approval_ttl_seconds;
  };

  const json::Value* action =
      proposal.is_object() ? proposal.Find("action") : nullptr;
  const json::Value* type_value =
      action != nullptr && action->is_object() ? action->Find("type") : nullptr;
  if (type_value == nullptr || !type_value->is_string()) {
    out->rule.reset();
    finish(Decision::Outcome::kPendingApproval, Tier::kHumanApproval, nullptr);
    out->reason.append(
        "the proposal has no action.type string, so no class or rule can "
        "apply: a human must approve (fail closed)");
    return;
  }
  const std::string_view type = type_value->as_string();

  int class_index;
  const std::vector<int>* indexed_rules = nullptr;
  if (auto it = p.by_type.find(type); it != p.by_type.end()) {
    class_index = it->second.class_index;
    indexed_rules = &it->second.rules;
  } else {
    class_index = p.FindClass(type);
  }
  const ClassDef* cls = class_index >= 0 ? &p.classes[class_index] : nullptr;
  const Tier tier = cls != nullptr ? cls->tier : p.default_tier;

  // Strength: 0 nothing matched, 1 auto_approve, 2 require_human (or a
  // `when` that failed: fail closed), 3 deny. The first rule of the highest
  // strength decides.
  int best_strength = 0;
  int best = -1;
  int first_auto = -1;
  bool best_failed = false;
  ExprError err;
  ExprError best_err;
  PathCache paths(*p.paths, proposal);
  auto consider = [&](int i) {
    const RuleDef& r = p.rules[i];
    Expression::Outcome o = Expression::Outcome::kTrue;
    if (r.has_when) o = r.when.Evaluate(paths, &err);
    if (o == Expression::Outcome::kFalse) return false;
    int strength;
    if (o == Expression::Outcome::kError) {
      strength = 2;
    } else {
      strength = r.decision == RuleDecision::kDeny           ? 3
                 : r.decision == RuleDecision::kRequireHuman ? 2
                                                             : 1;
    }
    if (strength == 1 && first_auto < 0) first_auto = i;
    if (strength > best_strength) {
      best_strength = strength;
      best = i;
      best_failed = o == Expression::Outcome::kError;
      if (best_failed) best_err = std::move(err);
    }
    return strength == 3;  // nothing can override a deny
  };
  if (indexed_rules != nullptr) {
    for (int i : *indexed_rules) {
      if (consider(i)) break;
    }
  } else {
    for (size_t i = 0; i < p.rules.size(); ++i) {
      if (RuleApplies(p.rules[i], type) && consider(static_cast<int>(i))) break;
    }
  }

  std::string& why = out->reason;
  if (best_strength >= 2) {
    const RuleDef& r = p.rules[best];
    set_rule(r);
    if (best_strength == 3) {
      finish(Decision::Outcome::kDeny, tier, cls);
      why.append("denied by rule ").append(r.id);
      if (!r.description.empty()) why.append(": ").append(r.description);
      return;
    }
    finish(Decision::Outcome::kPendingApproval, tier, cls);
    if (r.has_approver_roles) out->approver_roles = r.approver_roles;
    if (best_failed) {
      why.append("rule ").append(r.id).append(
          " failed closed: its condition could not be evaluated (column ");
      why.append(std::to_string(best_err.offset + 1)).append(": ");
      why.append(best_err.message).append("); a human must approve");
    } else {
      why.append("rule ").append(r.id).append(" requires a human");
      if (!r.description.empty()) why.append(": ").append(r.description);
    }
    return;
  }

  auto describe_class = [&] {
    if (cls != nullptr) {
      why.append("class ")
          .append(cls->name)
          .append(" (")
          .append(TierName(tier))
          .append(")");
    } else {
      why.append("no class matches action type \"")
          .append(type)
          .append("\", so defaults.tier (")
          .append(TierName(tier))
          .append(") applies");
    }
  };
  switch (tier) {
    case Tier::kHumanApproval:
      out->rule.reset();
      finish(Decision::Outcome::kPendingApproval, tier, cls);
      describe_class();
      why.append(cls != nullptr ? ": always needs a human"
                                : ": a human must approve (fail closed)");
      if (first_auto >= 0) {
        why.append("; rule ")
            .append(p.rules[first_auto].id)
            .append(" (auto_approve) matched but cannot relax human_approval");
      }
      return;
    case Tier::kThreshold:
      if (best_strength == 1) {
        const RuleDef& r = p.rules[best];
        set_rule(r);
        finish(Decision::Outcome::kAllow, tier, cls);
        why.append("auto-approved by rule ").append(r.id);
        if (!r.description.empty()) why.append(": ").append(r.description);
        return;
      }
      out->rule.reset();
      finish(Decision::Outcome::kPendingApproval, tier, cls);
      describe_class();
      why.append(": no rule auto-approves this ")
          .append(type)
          .append(", so a human must approve");
      return;
    case Tier::kLogOnly:
      if (best_strength == 1) {
        set_rule(p.rules[best]);
      } else {
        out->rule.reset();
      }
      finish(Decision::Outcome::kAllow, tier, cls);
      describe_class();
      why.append(": allowed and logged");
      return;
  }
}

// ---------------------------------------------------------------------------
// Lint

namespace {

Finding MakeFinding(Finding::Severity severity, int line, std::string code,
                    std::string message) {
  Finding f;
  f.severity = severity;
  f.line = line;
  f.code = std::move(code);
  f.message = std::move(message);
  return f;
}

std::string FormatDate(UtcTime t) {
  return FormatRfc3339Utc(t, 0).substr(0, 10);
}

}  // namespace

std::vector<Finding> Policy::Lint(UtcTime now) const {
  const Impl& p = *impl_;
  using S = Finding::Severity;
  std::vector<Finding> out = p.parse_findings;

  if (p.default_tier != Tier::kHumanApproval) {
    out.push_back(MakeFinding(
        S::kWarning, p.defaults_line, "defaults-not-closed",
        std::string("defaults.tier is ") + TierName(p.default_tier) +
            ": action types that no class matches will not need a human "
            "(the gate should fail closed with human_approval)"));
  }

  for (size_t i = 0; i < p.classes.size(); ++i) {
    for (size_t j = i + 1; j < p.classes.size(); ++j) {
      const ClassDef &a = p.classes[i], &b = p.classes[j];
      // One finding per pair of classes, about their first overlapping
      // patterns; the winner is decided per pattern pair.
      bool reported = false;
      for (size_t gi = 0; gi < a.match.size() && !reported; ++gi) {
        for (size_t gj = 0; gj < b.match.size() && !reported; ++gj) {
          const Glob &ga = a.match[gi], &gb = b.match[gj];
          if (!ga.Overlaps(gb)) continue;
          reported = true;
          const int cmp = ga.CompareSpecificity(gb);
          const ClassDef& winner = cmp <= 0 ? a : b;
          out.push_back(MakeFinding(
              S::kWarning, b.match_lines[gj], "class-overlap",
              "classes \"" + a.name + "\" (\"" + ga.pattern() + "\") and \"" +
                  b.name + "\" (\"" + gb.pattern() +
                  "\") overlap; types matching both go to \"" + winner.name +
                  (cmp == 0 ? "\" (equally specific: the one written first)"
                            : "\" (the more specific pattern)")));
        }
      }
    }
  }

  for (const RuleDef& r : p.rules) {
    const std::string who = "rule " + r.id;
    // Which tiers can the rule's action types land in?
    bool tier_seen[3] = {false, false, false};
    for (const Glob& g : r.applies_to) {
      bool any = false;
      for (const ClassDef& c : p.classes) {
        for (const Glob& cg : c.match) {
          if (g.Overlaps(cg)) {
            any = true;
            tier_seen[static_cast<int>(c.tier)] = true;
          }
        }
      }
      if (!any) {
        tier_seen[static_cast<int>(p.default_tier)] = true;
        out.push_back(MakeFinding(
            S::kWarning, r.applies_to_line, "rule-no-class",
            who + ": applies_to \"" + g.pattern() +
                "\" matches no class, so those types get defaults.tier (" +
                TierName(p.default_tier) + ")"));
      }
    }
    const bool threshold = tier_seen[static_cast<int>(Tier::kThreshold)];
    const bool log_only = tier_seen[static_cast<int>(Tier::kLogOnly)];
    if (r.decision == RuleDecision::kAutoApprove && !threshold) {
      out.push_back(MakeFinding(
          S::kWarning, r.line, "rule-ineffective",
          who +
              " (auto_approve) can never change a decision: its action "
              "types are in " +
              (log_only ? "log_only classes (already allowed)"
                        : "human_approval classes (a human is always needed; "
                          "rules can only make it stricter)")));
    }
    if (r.decision == RuleDecision::kRequireHuman && !threshold && !log_only) {
      out.push_back(MakeFinding(
          S::kWarning, r.line, "rule-ineffective",
          who + " (require_human) can never change a decision: its action "
                "types already always need a human"));
    }
    if (r.has_when && r.when.is_constant()) {
      ExprError err;
      const json::Value empty = json::Value::MakeObject();
      switch (r.when.Evaluate(empty, &err)) {
        case Expression::Outcome::kFalse:
          out.push_back(MakeFinding(S::kWarning, r.when_line, "when-constant",
                                    who + ": when is always false, so the "
                                          "rule can never match"));
          break;
        case Expression::Outcome::kTrue:
          out.push_back(MakeFinding(S::kWarning, r.when_line, "when-constant",
                                    who + ": when is always true (omit it to "
                                          "say the rule always applies)"));
          break;
        case Expression::Outcome::kError:
          out.push_back(MakeFinding(
              S::kError, r.when_line, "when-constant",
              who + ": when always fails (column " +
                  std::to_string(err.offset + 1) + ": " + err.message +
                  "), so the rule always sends the action to a human"));
          break;
      }
    }
    if (r.owner.empty()) {
      out.push_back(MakeFinding(S::kWarning, r.line, "owner-missing",
                                who + " has no owner"));
    }
    if (r.approved_by.empty()) {
      out.push_back(
          MakeFinding(S::kWarning, r.line, "approved-by-missing",
                      who + " does not say who approved it (approved_by)"));
    }
    const std::optional<UtcTime> base =
        r.last_reviewed ? r.last_reviewed : r.approved_at;
    if (!r.review_every) {
      out.push_back(MakeFinding(S::kWarning, r.line, "review-missing",
                                who + " has no review cadence (review_every)"));
    } else if (!base) {
      out.push_back(MakeFinding(
          S::kWarning, r.line, "review-missing",
          who + " has review_every but neither last_reviewed nor approved_at"));
    } else {
      const UtcTime due = r.review_every->AddTo(*base);
      if (due < now) {
        out.push_back(MakeFinding(
            S::kWarning, r.line, "review-overdue",
            who + ": review overdue since " + FormatDate(due) + " (last " +
                (r.last_reviewed ? "reviewed " : "approved ") +
                FormatDate(*base) + ")"));
      }
    }
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const Finding& a, const Finding& b) { return a.line < b.line; });
  return out;
}

// ---------------------------------------------------------------------------
// Accessors and helpers

const std::string& Policy::name() const { return impl_->name; }
const std::string& Policy::version() const { return impl_->version; }
const std::string& Policy::source_name() const { return impl_->source_name; }
const std::string& Policy::content_hash() const { return impl_->content_hash; }

std::vector<std::string> Policy::RuleIds() const {
  std::vector<std::string> ids;
  for (const RuleDef& r : impl_->rules) ids.push_back(r.id);
  return ids;
}

std::optional<std::string> Policy::RuleContentHash(
    std::string_view rule_id) const {
  for (const RuleDef& r : impl_->rules) {
    if (r.id == rule_id) return r.content_hash;
  }
  return std::nullopt;
}

std::optional<std::string> Policy::RuleCanonicalJson(
    std::string_view rule_id) const {
  for (const RuleDef& r : impl_->rules) {
    if (r.id == rule_id) return r.canonical_json;
  }
  return std::nullopt;
}

Result<bool> EvaluateExpression(std::string_view expression,
                                const json::Value& proposal) {
  Expression e;
  ExprError err;
  if (!Expression::Compile(expression, &e, &err)) {
    return InvalidArgument("column " + std::to_string(err.offset + 1) + ": " +
                           err.message);
  }
  switch (e.Evaluate(proposal, &err)) {
    case Expression::Outcome::kTrue:
      return true;
    case Expression::Outcome::kFalse:
      return false;
    case Expression::Outcome::kError:
      break;
  }
  return FailedPrecondition("column " + std::to_string(err.offset + 1) + ": " +
                            err.message);
}

bool GlobMatches(std::string_view pattern, std::string_view action_type) {
  Result<Glob> g = Glob::Compile(pattern);
  return g.ok() && g->Matches(action_type);
}

}  // namespace actledger::policy
