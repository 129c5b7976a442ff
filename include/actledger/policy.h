// The approval gate's policy: a YAML file that classifies action types into
// tiers and lists threshold rules, and the decision it makes for a proposal
// (PRODUCT.md section 3).
//
//   Result<policy::Policy> p = policy::Policy::Parse(yaml_text, "policy.yaml");
//   if (!p.ok()) return p.status();           // line:column in the message
//   policy::Decision d = p->Evaluate(proposal, NowUtc());
//   if (d.outcome == policy::Decision::Outcome::kPendingApproval) ...
//
// File format (every key is optional unless marked required):
//
//   policy: acme-ai-execute            # required: the policy's name
//   version: "2026-11.1"               # required: named by every decision
//   description: ...
//   defaults: { tier: human_approval, approval_ttl: 24h, approver_roles: [..] }
//   classes:                           # action type globs -> tier
//     - name: deletion                 # required, unique
//       match: ["*.delete"]            # required, non-empty
//       tier: human_approval           # required
//       approver_roles: [data-owner]
//       approval_ttl: 48h              # overrides defaults.approval_ttl
//   rules:
//     - id: T-2026-03                  # required, unique (duplicates: error)
//       description: ...
//       applies_to: ["payment.refund"] # required, non-empty list of globs
//       when: 'action.amount.value < 100'  # absent: the rule always matches
//       decision: auto_approve         # required:
//       auto_approve|require_human|deny approver_roles: [finance-ops]  # who
//       may approve when this rule pends owner: Finance Operations approved_by:
//       cfo@acme.example approved_at: 2026-03-01        # YYYY-MM-DD
//       review_every: 90d              # s, m, h, d, w, mo, y
//       last_reviewed: 2026-09-01
//   retention: ...                     # read by the retention module, not here
//
// Semantics:
//   - Globs: a pattern is dotted segments; a segment `*` matches ONE OR MORE
//     whole segments ("*.delete" matches "record.delete" and
//     "crm.contact.delete"; "payment.*" matches "payment.refund.partial" but
//     not "payment"). `*` inside a segment ("pay*") is a load error.
//   - Class: the most specific matching class wins: fewest `*` segments,
//     then the longest literal prefix, then the most segments, then the one
//     written first. Lint() warns about every pair of overlapping classes.
//     A type that no class matches gets defaults.tier (default
//     human_approval: the gate fails closed).
//   - Rules: every rule whose applies_to matches the action type (whatever
//     its class) is evaluated. Among those whose `when` is true, deny wins,
//     then require_human, then auto_approve; ties go to the rule written
//     first. A `when` that fails at run time (type error, missing field used
//     in a comparison) counts as require_human for that rule: it FAILS
//     CLOSED, and the decision's reason names the rule and the error.
//   - Tiers: log_only -> allow unless a rule denies or requires a human;
//     threshold -> allow only when an auto_approve rule matched (and nothing
//     stronger), otherwise a human; human_approval -> always a human (or
//     deny): rules can make it stricter, never looser, so an auto_approve
//     rule that matches a human_approval class is ignored (the reason says
//     so and Lint() warns about such rules).
//
// Expressions (`when`): a small CEL-like language, see src/policy/expr.h.
//   literals 99.99 "s" 's' true false null [..]; paths action.amount.value;
//   == != < <= > >= in && || ! ( ); has(path) size(x) x.size()
//   s.startsWith(t) s.endsWith(t) s.contains(t).
// Numbers compare as exact decimals: a JSON string holding decimal text
// ("99.99") compares numerically with a number ("99.99" < 100 is true).
//
// Thread safety: a Policy is immutable after Parse(); Evaluate() and Lint()
// may be called concurrently. Copies share the compiled policy.
#ifndef ACTLEDGER_POLICY_H_
#define ACTLEDGER_POLICY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actledger/json.h"
#include "actledger/status.h"
#include "common/time.h"

namespace actledger::policy {

// The rule that made a decision. `version` is the first 12 hex digits of the
// rule's content hash (Policy::RuleContentHash), so a decision names the
// exact rule text that produced it.
struct RuleRef {
  std::string id;
  std::string version;

  friend bool operator==(const RuleRef&, const RuleRef&) = default;
};

struct Decision {
  enum class Outcome { kAllow, kPendingApproval, kDeny };

  Outcome outcome = Outcome::kPendingApproval;
  std::string tier;        // "human_approval", "threshold" or "log_only"
  std::string class_name;  // empty when no class matched (defaults applied)
  std::optional<RuleRef> rule;  // the deciding rule, if a rule decided
  std::string policy_version;
  std::string reason;  // one sentence for people: which class/rule and why
  std::vector<std::string> approver_roles;  // meaningful when pending
  int64_t approval_ttl_seconds = 0;
  UtcTime approval_expires_at;  // now + approval_ttl_seconds
};

// "allow", "pending_approval", "deny" (the HTTP API's `decision`).
const char* OutcomeName(Decision::Outcome outcome);

struct Finding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kWarning;
  int line = 0;  // 1-based line in the policy file; 0 when not about a line
  // Stable short identifier: "unknown-key", "class-overlap",
  // "rule-no-class", "rule-ineffective", "when-constant", "review-overdue",
  // "review-missing", "owner-missing", "approved-by-missing",
  // "defaults-not-closed".
  std::string code;
  std::string message;
};

class Policy {
 public:
  // Parses and compiles a policy. Errors (kInvalidArgument) carry
  // "<source_name>:<line>:<column>: <what>" in the message: YAML syntax
  // errors, missing or mistyped required keys, duplicate keys, duplicate
  // class names or rule ids, bad globs, durations or dates, and `when`
  // expressions that do not compile (syntax errors, unknown functions,
  // methods or identifiers; the column points into the expression).
  static Result<Policy> Parse(std::string_view yaml_text,
                              std::string_view source_name);

  // The gate decision for `proposal` (a record of kind "proposal": at least
  // `action.type`). Never fails: anything unexpected yields
  // kPendingApproval with a reason. `now` sets approval_expires_at.
  Decision Evaluate(const json::Value& proposal, UtcTime now) const;
  // The same, reusing `out`'s buffers: no allocation per call once `out`
  // has seen decisions of similar size. Use it on hot paths.
  void Evaluate(const json::Value& proposal, UtcTime now, Decision* out) const;

  // Findings for `actledger policy check`, sorted by line. Findings found
  // while parsing (unknown keys) are included. `now` decides which reviews
  // are overdue (last_reviewed, or approved_at, + review_every < now).
  std::vector<Finding> Lint(UtcTime now) const;

  const std::string& name() const;
  const std::string& version() const;
  const std::string& source_name() const;
  // Lowercase hex SHA-256 of the exact YAML bytes given to Parse().
  const std::string& content_hash() const;
  // Rule ids in file order.
  std::vector<std::string> RuleIds() const;
  // Lowercase hex SHA-256 of the rule's canonical JSON form (RFC 8785 of
  // {id, description, applies_to, when, decision, approver_roles, owner,
  // approved_by, approved_at, review_every, last_reviewed}, each as written,
  // absent keys omitted). nullopt when there is no such rule.
  std::optional<std::string> RuleContentHash(std::string_view rule_id) const;
  // The canonical JSON a rule's content hash is computed over.
  std::optional<std::string> RuleCanonicalJson(std::string_view rule_id) const;

  struct Impl;

 private:
  explicit Policy(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Compiles one `when` expression as Parse() would and evaluates it against
// `proposal`. Compile errors: kInvalidArgument "column N: ..."; run-time
// errors (what makes a rule fail closed): kFailedPrecondition
// "column N: ...". For tools (`policy test`) and fuzzing.
Result<bool> EvaluateExpression(std::string_view expression,
                                const json::Value& proposal);

// Whether `action_type` matches the glob `pattern` (semantics above). A
// malformed pattern matches nothing.
bool GlobMatches(std::string_view pattern, std::string_view action_type);

// --- Retention (PRODUCT.md section 5; docs/RETENTION.md) --------------------
//
// The `retention:` and `personal_fields:` sections of a policy file:
//
//   retention:
//     periods: { sox: 7y, hipaa: 6y, gdpr: 6y, general: 3y }  # merged over
//     legal_duty: [sox, hipaa]          # regimes that are legal duties    the
//     floor: 6mo                        # minimum for every record    defaults
//     rules:
//       - { match: ["payment.*"], regime: sox }       # action type globs
//       - { subject_types: [patient], regime: hipaa }
//       - { classes: [deletion], regime: gdpr }       # gate class names
//       - { match: ["*"], regime: general }
//   personal_fields: [subject.id, subject.attributes, action.recipient]
//   personal_access: { redacted_roles: [auditor] }    # see [redacted] only
//
//   Result<policy::RetentionPolicy> r =
//       policy::RetentionPolicy::Parse(yaml_text, "policy.yaml");
//   policy::RetentionAssignment a =
//       r->Assign({.action_type = "payment.refund"}, NowUtc());
//
// A rule applies when every condition it states holds (a condition lists
// alternatives); of all applicable rules the one whose period ends LAST
// wins (ties: the first written); no applicable rule means `general`. The
// floor then lengthens `until` if it ends earlier. Periods in months and
// years are calendar arithmetic that keeps the day of month, clamped to the
// month's last day: 2024-02-29 + 1y = 2025-02-28, 2024-02-29 + 4y =
// 2028-02-29.
//
// Thread safety: immutable after Parse().

// What Assign() looks at.
struct RetentionFacts {
  std::string_view action_type = {};   // "" when the record has none
  std::string_view subject_type = {};  // "" when the record has none
  std::string_view class_name = {};    // the gate class of action_type, or ""
};

struct RetentionAssignment {
  std::string regime;
  UtcTime until;
  bool floor_applied = false;  // the floor, not the regime, set `until`
};

class RetentionPolicy {
 public:
  // sox 7y, hipaa 6y, gdpr 6y, general 3y; legal duty sox and hipaa; floor
  // 6mo; no rules (every record: general). Used while no active policy has
  // a `retention:` section.
  static RetentionPolicy Defaults();
  // Reads the `retention:` and `personal_fields:` sections of a policy
  // file (absent sections: the defaults). Errors (kInvalidArgument): the
  // message reads "<source>:<line>:<column>: <what>" and field() names the
  // key ("retention.rules[2].regime").
  static Result<RetentionPolicy> Parse(std::string_view yaml_text,
                                       std::string_view source_name);

  RetentionAssignment Assign(const RetentionFacts& facts, UtcTime from) const;
  // When a record of `regime` stored at `from` may go; the floor applies.
  // nullopt for a regime without a period.
  std::optional<UtcTime> UntilFor(std::string_view regime, UtcTime from) const;

  // Whether the policy file had a `retention:` section.
  bool from_file() const { return from_file_; }
  // Regime -> period text ("7y"), sorted by regime.
  std::vector<std::pair<std::string, std::string>> Periods() const;
  const std::vector<std::string>& legal_duty() const { return legal_duty_; }
  bool IsLegalDuty(std::string_view regime) const;
  const std::string& floor() const { return floor_text_; }
  // Whether any rule matches on gate classes (the caller then needs them).
  bool uses_classes() const { return uses_classes_; }
  const std::vector<std::string>& personal_fields() const {
    return personal_fields_;
  }
  // `personal_access.redacted_roles`: principals all of whose roles are
  // listed see personal fields as "[redacted]" (e.g. [auditor]).
  const std::vector<std::string>& redacted_roles() const {
    return redacted_roles_;
  }

  struct Rule {
    std::vector<std::string> match;  // action type globs
    std::vector<std::string> subject_types;
    std::vector<std::string> classes;
    std::string regime;
    int line = 0;
  };
  const std::vector<Rule>& rules() const { return rules_; }

 private:
  struct Period {
    std::string text;
    int64_t count = 0;
    int unit = 0;  // policy::Duration::Unit
  };
  struct Compiled;  // rules' globs, compiled once
  static UtcTime Add(const Period& p, UtcTime t);
  const Period* FindPeriod(std::string_view regime) const;

  bool from_file_ = false;
  std::shared_ptr<const Compiled> compiled_;
  std::vector<std::pair<std::string, Period>> periods_;  // sorted by name
  std::vector<std::string> legal_duty_;
  Period floor_;
  std::string floor_text_;
  std::vector<Rule> rules_;
  bool uses_classes_ = false;
  std::vector<std::string> personal_fields_;
  std::vector<std::string> redacted_roles_;
};

}  // namespace actledger::policy

#endif  // ACTLEDGER_POLICY_H_
