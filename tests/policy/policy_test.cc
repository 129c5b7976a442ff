// Policy loading (errors with line:column), decision precedence, tiers,
// fail-closed behaviour, content hashes and lint findings.
#include "actledger/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "common/encoding.h"
#include "common/time.h"
#include "crypto/sha256.h"

namespace actledger::policy {
namespace {

using Outcome = Decision::Outcome;

Policy MustParse(std::string_view yaml) {
  Result<Policy> p = Policy::Parse(yaml, "test.yaml");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) std::abort();
  return *p;
}

std::string ParseError(std::string_view yaml) {
  Result<Policy> p = Policy::Parse(yaml, "test.yaml");
  if (p.ok()) return "parsed";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  return p.status().message();
}

json::Value J(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : json::Value();
}

json::Value Action(std::string_view type, std::string_view params = "{}") {
  return J(std::string(R"({"action":{"type":")") + std::string(type) +
           R"(","params":)" + std::string(params) + "}}");
}

UtcTime At(std::string_view rfc3339) { return *ParseRfc3339Utc(rfc3339); }

// A threshold class "x.do" with three rules whose `when` reads a flag each,
// so one test can switch any combination on.
constexpr char kPrecedence[] = R"(
policy: p
version: "7"
classes:
  - name: x
    match: ["x.do"]
    tier: threshold
    approver_roles: [ops]
rules:
  - id: AUTO
    applies_to: ["x.do"]
    when: 'action.params.auto == true'
    decision: auto_approve
  - id: HUMAN
    applies_to: ["x.do"]
    when: 'action.params.human == true'
    decision: require_human
    approver_roles: [boss]
  - id: DENY
    applies_to: ["x.*"]
    when: 'action.params.deny == true'
    decision: deny
  - id: AUTO2
    applies_to: ["x.do"]
    when: 'action.params.auto == true'
    decision: auto_approve
)";

Decision Flags(const Policy& p, bool a, bool h, bool d) {
  auto b = [](bool v) { return v ? "true" : "false"; };
  return p.Evaluate(
      Action("x.do", std::string(R"({"auto":)") + b(a) + R"(,"human":)" + b(h) +
                         R"(,"deny":)" + b(d) + "}"),
      At("2026-11-28T00:00:00Z"));
}

TEST(PolicyDecision, DenyBeatsRequireHumanBeatsAutoApprove) {
  const Policy p = MustParse(kPrecedence);
  struct Case {
    bool a, h, d;
    Outcome outcome;
    const char* rule;
  };
  for (const Case& c :
       {Case{false, false, false, Outcome::kPendingApproval, ""},
        Case{true, false, false, Outcome::kAllow, "AUTO"},
        Case{false, true, false, Outcome::kPendingApproval, "HUMAN"},
        Case{true, true, false, Outcome::kPendingApproval, "HUMAN"},
        Case{false, false, true, Outcome::kDeny, "DENY"},
        Case{true, false, true, Outcome::kDeny, "DENY"},
        Case{false, true, true, Outcome::kDeny, "DENY"},
        Case{true, true, true, Outcome::kDeny, "DENY"}}) {
    SCOPED_TRACE(testing::Message() << c.a << c.h << c.d);
    const Decision d = Flags(p, c.a, c.h, c.d);
    EXPECT_EQ(d.outcome, c.outcome);
    EXPECT_EQ(d.rule ? d.rule->id : "", c.rule);
    EXPECT_EQ(d.tier, "threshold");
    EXPECT_EQ(d.class_name, "x");
    EXPECT_EQ(d.policy_version, "7");
  }
  // The pending rule's own approver roles replace the class's.
  EXPECT_EQ(Flags(p, false, true, false).approver_roles,
            std::vector<std::string>{"boss"});
  EXPECT_EQ(Flags(p, false, false, false).approver_roles,
            std::vector<std::string>{"ops"});
  EXPECT_EQ(Flags(p, false, true, false).reason, "rule HUMAN requires a human");
  EXPECT_EQ(Flags(p, false, false, true).reason, "denied by rule DENY");
  EXPECT_EQ(Flags(p, false, false, false).reason,
            "class x (threshold): no rule auto-approves this x.do, so a human "
            "must approve");
}

TEST(PolicyDecision, RuleVersionIsContentHashPrefix) {
  const Policy p = MustParse(kPrecedence);
  const Decision d = Flags(p, true, false, false);
  ASSERT_TRUE(d.rule.has_value());
  const std::optional<std::string> hash = p.RuleContentHash("AUTO");
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->size(), 64u);
  EXPECT_EQ(d.rule->version, hash->substr(0, 12));
  const std::optional<std::string> canon = p.RuleCanonicalJson("AUTO");
  EXPECT_EQ(
      *canon,
      R"({"applies_to":["x.do"],"decision":"auto_approve","id":"AUTO","when":"action.params.auto == true"})");
  const crypto::Digest dg = crypto::Sha256(*canon);
  EXPECT_EQ(*hash, HexEncode(std::string_view(
                       reinterpret_cast<const char*>(dg.data()), dg.size())));
  EXPECT_FALSE(p.RuleContentHash("NOPE").has_value());
  EXPECT_EQ(p.RuleIds(),
            (std::vector<std::string>{"AUTO", "HUMAN", "DENY", "AUTO2"}));
}

TEST(PolicyDecision, RuleHashChangesOnlyWithThatRule) {
  const Policy a = MustParse(kPrecedence);
  std::string text = kPrecedence;
  text.replace(text.find("action.params.deny == true"), 26,
               "action.params.deny != true");
  const Policy b = MustParse(text);
  EXPECT_EQ(a.RuleContentHash("AUTO"), b.RuleContentHash("AUTO"));
  EXPECT_NE(a.RuleContentHash("DENY"), b.RuleContentHash("DENY"));
  EXPECT_NE(a.content_hash(), b.content_hash());
  const crypto::Digest dg = crypto::Sha256(kPrecedence);
  EXPECT_EQ(a.content_hash(),
            HexEncode(std::string_view(reinterpret_cast<const char*>(dg.data()),
                                       dg.size())));
  EXPECT_EQ(a.name(), "p");
  EXPECT_EQ(a.version(), "7");
  EXPECT_EQ(a.source_name(), "test.yaml");
}

constexpr char kTiers[] = R"(
policy: p
version: "1"
defaults: { tier: human_approval, approval_ttl: 2h, approver_roles: [ops-lead] }
classes:
  - name: human
    match: ["h.*"]
    tier: human_approval
    approver_roles: [lead]
    approval_ttl: 30m
  - name: logged
    match: ["l.*"]
    tier: log_only
rules:
  - id: H-AUTO
    applies_to: ["h.*"]
    decision: auto_approve
  - id: L-DENY
    applies_to: ["l.bad"]
    decision: deny
    description: never do this
  - id: L-HUMAN
    applies_to: ["l.ask"]
    decision: require_human
  - id: L-BROKEN
    applies_to: ["l.broken"]
    when: 'action.params.n > 5'
    decision: deny
  - id: L-AUTO
    applies_to: ["l.named"]
    decision: auto_approve
)";

TEST(PolicyDecision, HumanApprovalIgnoresAutoApprove) {
  const Policy p = MustParse(kTiers);
  const Decision d = p.Evaluate(Action("h.pay"), At("2026-11-28T10:00:00Z"));
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  EXPECT_FALSE(d.rule.has_value());
  EXPECT_EQ(d.tier, "human_approval");
  EXPECT_EQ(d.reason,
            "class human (human_approval): always needs a human; rule H-AUTO "
            "(auto_approve) matched but cannot relax human_approval");
  EXPECT_EQ(d.approver_roles, std::vector<std::string>{"lead"});
  EXPECT_EQ(d.approval_ttl_seconds, 1800);
  EXPECT_EQ(d.approval_expires_at, At("2026-11-28T10:30:00Z"));
}

TEST(PolicyDecision, LogOnlyAllowsUnlessARuleIsStricter) {
  const Policy p = MustParse(kTiers);
  const UtcTime now = At("2026-11-28T10:00:00Z");
  Decision d = p.Evaluate(Action("l.fine"), now);
  EXPECT_EQ(d.outcome, Outcome::kAllow);
  EXPECT_EQ(d.reason, "class logged (log_only): allowed and logged");
  EXPECT_FALSE(d.rule.has_value());
  d = p.Evaluate(Action("l.bad"), now);
  EXPECT_EQ(d.outcome, Outcome::kDeny);
  EXPECT_EQ(d.reason, "denied by rule L-DENY: never do this");
  d = p.Evaluate(Action("l.ask"), now);
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  EXPECT_EQ(d.rule->id, "L-HUMAN");
  // Class approver roles default to the defaults' roles, TTL too.
  EXPECT_EQ(d.approver_roles, std::vector<std::string>{"ops-lead"});
  EXPECT_EQ(d.approval_ttl_seconds, 7200);
  d = p.Evaluate(Action("l.named"), now);
  EXPECT_EQ(d.outcome, Outcome::kAllow);
  EXPECT_EQ(d.rule->id, "L-AUTO");
}

TEST(PolicyDecision, RuntimeErrorFailsClosedNamingTheRule) {
  const Policy p = MustParse(kTiers);
  const UtcTime now = At("2026-11-28T10:00:00Z");
  // A deny rule whose condition cannot be evaluated neither denies nor lets
  // the log_only action through: a human decides.
  Decision d = p.Evaluate(Action("l.broken", R"({"n":"many"})"), now);
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  ASSERT_TRUE(d.rule.has_value());
  EXPECT_EQ(d.rule->id, "L-BROKEN");
  EXPECT_EQ(
      d.reason,
      "rule L-BROKEN failed closed: its condition could not be evaluated "
      "(column 1: cannot apply > to string \"many\" (action.params.n) and "
      "number); a human must approve");
  d = p.Evaluate(Action("l.broken"), now);
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  EXPECT_NE(d.reason.find("missing field action.params.n used with >"),
            std::string::npos)
      << d.reason;
  d = p.Evaluate(Action("l.broken", R"({"n":6})"), now);
  EXPECT_EQ(d.outcome, Outcome::kDeny);
  d = p.Evaluate(Action("l.broken", R"({"n":"5.01"})"), now);
  EXPECT_EQ(d.outcome, Outcome::kDeny);
  d = p.Evaluate(Action("l.broken", R"({"n":"5.00"})"), now);
  EXPECT_EQ(d.outcome, Outcome::kAllow);
}

TEST(PolicyDecision, UnmatchedTypeFailsClosedToDefaults) {
  const Policy p = MustParse(kTiers);
  const UtcTime now = At("2026-11-28T10:00:00Z");
  Decision d = p.Evaluate(Action("rocket.launch"), now);
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  EXPECT_EQ(d.tier, "human_approval");
  EXPECT_EQ(d.class_name, "");
  EXPECT_EQ(d.approver_roles, std::vector<std::string>{"ops-lead"});
  EXPECT_EQ(d.approval_ttl_seconds, 7200);
  EXPECT_EQ(d.reason,
            "no class matches action type \"rocket.launch\", so defaults.tier "
            "(human_approval) applies: a human must approve (fail closed)");
  for (const char* bad :
       {R"({})", R"({"action":{}})", R"({"action":{"type":3}})",
        R"({"action":"payment.refund"})", R"([])"}) {
    d = p.Evaluate(J(bad), now);
    EXPECT_EQ(d.outcome, Outcome::kPendingApproval) << bad;
    EXPECT_NE(d.reason.find("no action.type"), std::string::npos) << bad;
  }
}

TEST(PolicyDecision, DefaultsCanBeOpenButLintSaysSo) {
  const Policy p = MustParse(R"(
policy: p
version: "1"
defaults: { tier: log_only }
)");
  EXPECT_EQ(p.Evaluate(Action("a.b"), UtcTime{}).outcome, Outcome::kAllow);
  const std::vector<Finding> f = p.Lint(UtcTime{});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].code, "defaults-not-closed");
  EXPECT_EQ(f[0].line, 4);
}

TEST(PolicyDecision, MostSpecificClassWins) {
  const Policy p = MustParse(R"(
policy: p
version: "1"
classes:
  - name: anything_delete
    match: ["*.delete"]
    tier: human_approval
  - name: payments
    match: ["payment.*"]
    tier: human_approval
  - name: refund
    match: ["payment.refund"]
    tier: threshold
  - name: deep
    match: ["payment.refund.*"]
    tier: log_only
  - name: same_as_first
    match: ["*.remove", "*.delete"]
    tier: log_only
)");
  const UtcTime now{};
  EXPECT_EQ(p.Evaluate(Action("payment.refund"), now).class_name, "refund");
  EXPECT_EQ(p.Evaluate(Action("payment.capture"), now).class_name, "payments");
  EXPECT_EQ(p.Evaluate(Action("payment.delete"), now).class_name, "payments");
  EXPECT_EQ(p.Evaluate(Action("payment.refund.partial"), now).class_name,
            "deep");
  EXPECT_EQ(p.Evaluate(Action("crm.contact.delete"), now).class_name,
            "anything_delete");
  EXPECT_EQ(p.Evaluate(Action("crm.contact.remove"), now).class_name,
            "same_as_first");
  EXPECT_EQ(p.Evaluate(Action("payment"), now).class_name, "");
}

TEST(PolicyDecision, ReusedDecisionIsOverwrittenCompletely) {
  const Policy p = MustParse(kPrecedence);
  Decision d;
  p.Evaluate(Action("x.do", R"({"auto":false,"human":false,"deny":true})"),
             UtcTime{}, &d);
  EXPECT_EQ(d.rule->id, "DENY");
  p.Evaluate(Action("x.do", R"({"auto":false,"human":false,"deny":false})"),
             UtcTime{}, &d);
  EXPECT_FALSE(d.rule.has_value());
  EXPECT_EQ(d.outcome, Outcome::kPendingApproval);
  p.Evaluate(Action("x.do", R"({"auto":true,"human":false,"deny":false})"),
             UtcTime{}, &d);
  EXPECT_EQ(d.rule->id, "AUTO");
  EXPECT_EQ(d.reason, "auto-approved by rule AUTO");
}

// --- Load errors -----------------------------------------------------------

TEST(PolicyParse, YamlSyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(ParseError("policy: p\nversion: [1, 2\n"),
            "test.yaml:3:1: YAML: end of sequence flow not found");
  EXPECT_EQ(
      ParseError("policy: p\n  bad: indent: here\n").rfind("test.yaml:2:", 0),
      0u)
      << ParseError("policy: p\n  bad: indent: here\n");
}

TEST(PolicyParse, StructuralErrors) {
  EXPECT_EQ(ParseError(""), "test.yaml:1:1: the policy file is empty");
  EXPECT_EQ(ParseError("- a\n- b\n"),
            "test.yaml:1:1: policy file must be a mapping");
  EXPECT_EQ(ParseError("version: '1'\n"),
            "test.yaml:1:1: policy file: missing required key \"policy\"");
  EXPECT_EQ(ParseError("policy: p\nversion: '1'\npolicy: q\n"),
            "test.yaml:3:1: policy file: duplicate key \"policy\"");
  EXPECT_EQ(ParseError("policy: [p]\nversion: '1'\n"),
            "test.yaml:1:9: policy file: \"policy\" must be a string");
  EXPECT_EQ(ParseError("policy: p\nversion: '1'\nclasses: {}\n"),
            "test.yaml:3:10: classes must be a list");
  EXPECT_EQ(
      ParseError("policy: p\nversion: '1'\ndefaults: {approval_ttl: 24x}\n"),
      "test.yaml:3:26: defaults: duration \"24x\" has an unknown unit (use s, "
      "m, h, d, w, mo or y)");
}

constexpr char kHead[] = "policy: p\nversion: '1'\n";

TEST(PolicyParse, ClassErrors) {
  const std::string h = kHead;
  EXPECT_EQ(
      ParseError(
          h +
          "classes:\n  - name: a\n    match: ['pay*']\n    tier: log_only\n"),
      "test.yaml:5:13: class a: pattern \"pay*\": `*` must be a whole segment "
      "(it matches one or more dotted segments)");
  EXPECT_EQ(
      ParseError(h +
                 "classes:\n  - name: a\n    match: []\n    tier: log_only\n"),
      "test.yaml:5:12: class a: \"match\" must not be empty");
  EXPECT_EQ(
      ParseError(h + "classes:\n  - name: a\n    match: [x]\n    tier: auto\n"),
      "test.yaml:6:11: class a: tier must be human_approval, threshold or "
      "log_only");
  EXPECT_EQ(ParseError(h + "classes:\n  - name: a\n    match: [x]\n"),
            "test.yaml:4:5: class a: missing required key \"tier\"");
  EXPECT_EQ(
      ParseError(h + "classes:\n  - {name: a, match: [x], tier: log_only}\n"
                     "  - {name: a, match: [y], tier: log_only}\n"),
      "test.yaml:5:12: duplicate class name \"a\"");
}

TEST(PolicyParse, RuleErrors) {
  const std::string h = std::string(kHead) + "rules:\n";
  EXPECT_EQ(ParseError(h + "  - {id: R, applies_to: [x], decision: deny}\n"
                           "  - {id: R, applies_to: [y], decision: deny}\n"),
            "test.yaml:5:10: duplicate rule id \"R\" (first at line 4)");
  EXPECT_EQ(ParseError(h + "  - {id: R, applies_to: [x], decision: allow}\n"),
            "test.yaml:4:40: rule R: decision must be auto_approve, "
            "require_human or deny");
  EXPECT_EQ(ParseError(h + "  - {id: R, applies_to: [x]}\n"),
            "test.yaml:4:5: rule R: missing required key \"decision\"");
  EXPECT_EQ(ParseError(h + "  - {applies_to: [x], decision: deny}\n"),
            "test.yaml:4:5: rules[0]: missing required key \"id\"");
  EXPECT_EQ(ParseError(h + "  - {id: R, decision: deny}\n"),
            "test.yaml:4:5: rule R: missing required key \"applies_to\"");
  EXPECT_EQ(
      ParseError(h + "  - {id: R, applies_to: [x], decision: deny, "
                     "approved_at: 2026-02-30}\n"),
      "test.yaml:4:59: rule R: approved_at: date \"2026-02-30\" must be a "
      "calendar date YYYY-MM-DD");
  EXPECT_EQ(
      ParseError(
          h +
          "  - {id: R, applies_to: [x], decision: deny, review_every: 0d}\n"),
      "test.yaml:4:60: rule R: review_every: duration \"0d\" must be a "
      "positive "
      "integer (at most 1000000) followed by s, m, h, d, w, mo or y");
  EXPECT_EQ(
      ParseError(h +
                 "  - {id: R, applies_to: [x], decision: deny, when: ''}\n"),
      "test.yaml:4:52: rule R: when must be a non-empty expression string");
}

TEST(PolicyParse, WhenErrorsPointIntoTheFile) {
  const std::string h =
      std::string(kHead) + "rules:\n  - id: R1\n    applies_to: [x]\n";
  // Single-quoted: the expression starts one column after the quote.
  EXPECT_EQ(
      ParseError(
          h +
          "    when: 'action.amount.value < frob(1)'\n    decision: deny\n"),
      "test.yaml:6:34: rule R1: when: unknown function \"frob\" (known: has, "
      "size; methods: startsWith, endsWith, contains, size) (expression column "
      "23)");
  // Plain scalar.
  EXPECT_EQ(
      ParseError(
          h + "    when: action.type == 'a' && acton.x\n    decision: deny\n"),
      "test.yaml:6:33: rule R1: when: unknown identifier \"acton\": a path "
      "starts "
      "with one of action, subject, trigger, model, ai_output, context, "
      "approval, outcome, labels, action_id, kind (expression column 23)");
  // Double-quoted.
  EXPECT_EQ(ParseError(h + "    when: \"1 <\"\n    decision: deny\n"),
            "test.yaml:6:15: rule R1: when: expected a value, found end of "
            "expression (expression column 4)");
  // Block scalar: line and column of the offending token inside the block.
  EXPECT_EQ(ParseError(
                h + "    when: |\n      action.amount.value < 100 &&\n"
                    "        action.type.lower() == 'x'\n    decision: deny\n"),
            "test.yaml:8:21: rule R1: when: unknown method \"lower\" (known: "
            "startsWith, endsWith, contains, size) (expression column 44)");
}

// --- Lint ----------------------------------------------------------------

constexpr char kLint[] = R"(policy: p
version: "1"
colour: blue
defaults: {tier: human_approval, escalate: true}
classes:
  - name: money
    match: ["payment.*"]
    tier: threshold
  - name: deletes
    match: ["*.delete"]
    tier: human_approval
    priority: 1
  - name: notes
    match: ["note.*"]
    tier: log_only
rules:
  - id: GOOD
    applies_to: ["payment.refund"]
    when: 'action.amount.value < 100'
    decision: auto_approve
    owner: Finance
    approved_by: cfo@x.example
    approved_at: 2026-01-01
    review_every: 90d
    last_reviewed: 2026-10-01
  - id: ORPHAN
    applies_to: ["rocket.launch"]
    decision: deny
    owner: Ops
    approved_by: cto@x.example
    review_every: 1y
    approved_at: 2026-01-01
  - id: IGNORED
    applies_to: ["record.delete"]
    decision: auto_approve
    owner: Ops
    approved_by: cto@x.example
    review_every: 1y
    approved_at: 2026-01-01
  - id: REDUNDANT
    applies_to: ["note.create"]
    decision: auto_approve
    owner: Ops
    approved_by: cto@x.example
    review_every: 1y
    approved_at: 2026-01-01
  - id: NEVER
    applies_to: ["payment.refund"]
    when: '1 > 2'
    decision: deny
    owner: Ops
    approved_by: cto@x.example
    review_every: 1y
    approved_at: 2026-01-01
  - id: ALWAYS-BROKEN
    applies_to: ["payment.refund"]
    when: '"abc" < 1'
    decision: deny
    owner: Ops
    approved_by: cto@x.example
    review_every: 1y
    approved_at: 2026-01-01
  - id: OLD
    applies_to: ["payment.refund"]
    decision: require_human
    whn: 'action.amount.value > 5000'
    review_every: 30d
    last_reviewed: 2026-06-01
  - id: SAME
    applies_to: ["record.delete"]
    decision: require_human
    owner: Ops
    approved_by: cto@x.example
)";

std::vector<std::string> Codes(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const Finding& x : f) {
    out.push_back(std::to_string(x.line) + " " +
                  (x.severity == Finding::Severity::kError ? "E " : "W ") +
                  x.code);
  }
  return out;
}

const Finding* FindingFor(const std::vector<Finding>& f, std::string_view code,
                          std::string_view fragment) {
  for (const Finding& x : f) {
    if (x.code == code && x.message.find(fragment) != std::string::npos)
      return &x;
  }
  return nullptr;
}

TEST(PolicyLint, ReportsEveryKindOfFinding) {
  const Policy p = MustParse(kLint);
  const std::vector<Finding> f = p.Lint(At("2026-11-28T00:00:00Z"));
  EXPECT_EQ(Codes(f), (std::vector<std::string>{
                          "3 E unknown-key",        // colour
                          "4 E unknown-key",        // defaults.escalate
                          "10 W class-overlap",     // payment.* / *.delete
                          "12 E unknown-key",       // priority
                          "14 W class-overlap",     // *.delete / note.*
                          "27 W rule-no-class",     // ORPHAN
                          "33 W rule-ineffective",  // IGNORED
                          "40 W rule-ineffective",  // REDUNDANT
                          "49 W when-constant",     // NEVER
                          "57 E when-constant",     // ALWAYS-BROKEN
                          "63 W owner-missing",     // OLD
                          "63 W approved-by-missing",
                          "63 W review-overdue",
                          "66 E unknown-key",       // whn
                          "69 W rule-ineffective",  // SAME
                          "69 W review-missing",
                      }));
  const Finding* x = FindingFor(f, "unknown-key", "whn");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->message,
            "rule OLD: unknown key \"whn\" (known: id, description, "
            "applies_to, when, "
            "decision, approver_roles, owner, approved_by, approved_at, "
            "review_every, last_reviewed)");
  x = FindingFor(f, "class-overlap", "money");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->message,
            "classes \"money\" (\"payment.*\") and \"deletes\" (\"*.delete\") "
            "overlap; types matching both go to \"money\" (the more specific "
            "pattern)");
  x = FindingFor(f, "rule-no-class", "ORPHAN");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(
      x->message,
      "rule ORPHAN: applies_to \"rocket.launch\" matches no class, so those "
      "types get defaults.tier (human_approval)");
  EXPECT_NE(FindingFor(f, "rule-ineffective",
                       "IGNORED (auto_approve) can never change a "
                       "decision: its action types are in "
                       "human_approval classes"),
            nullptr);
  EXPECT_NE(FindingFor(f, "rule-ineffective",
                       "REDUNDANT (auto_approve) can never "
                       "change a decision: its action types are "
                       "in log_only classes"),
            nullptr);
  EXPECT_NE(FindingFor(f, "rule-ineffective", "SAME (require_human)"), nullptr);
  EXPECT_NE(FindingFor(f, "when-constant", "NEVER: when is always false"),
            nullptr);
  EXPECT_NE(FindingFor(f, "when-constant",
                       "ALWAYS-BROKEN: when always fails (column 1: "
                       "cannot apply < to string \"abc\" and number)"),
            nullptr);
  x = FindingFor(f, "review-overdue", "OLD");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(
      x->message,
      "rule OLD: review overdue since 2026-07-01 (last reviewed 2026-06-01)");
  EXPECT_NE(FindingFor(f, "review-missing", "SAME has no review cadence"),
            nullptr);
}

TEST(PolicyLint, ReviewBecomesOverdueAfterTheCadence) {
  const Policy p = MustParse(kLint);
  // GOOD: last_reviewed 2026-10-01 + 90d = 2026-12-30.
  auto overdue = [&](std::string_view now) {
    return FindingFor(p.Lint(At(now)), "review-overdue", "GOOD") != nullptr;
  };
  EXPECT_FALSE(overdue("2026-12-30T00:00:00Z"));
  EXPECT_TRUE(overdue("2026-12-30T00:00:01Z"));
  // ORPHAN has no last_reviewed: approved_at 2026-01-01 + 1y.
  EXPECT_TRUE(FindingFor(p.Lint(At("2027-01-01T00:00:01Z")), "review-overdue",
                         "ORPHAN: review overdue since 2027-01-01 (last "
                         "approved 2026-01-01)") != nullptr);
}

TEST(PolicyLint, UnknownKeysDoNotBlockLoadingButAreErrors) {
  const Policy p = MustParse(
      "policy: p\nversion: '1'\nrules:\n  - id: R\n"
      "    applies_to: [x]\n    decision: deny\n    desc: typo\n");
  const std::vector<Finding> f = p.Lint(UtcTime{});
  const Finding* x = FindingFor(f, "unknown-key", "desc");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->line, 7);
  EXPECT_EQ(x->severity, Finding::Severity::kError);
}

}  // namespace
}  // namespace actledger::policy
