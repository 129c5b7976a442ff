// Decision table for examples/policy.yaml: every class and every rule
// boundary of the shipped example, plus the generator's action types.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "actledger/policy.h"
#include "common/time.h"
#include "gen/generator.h"

namespace actledger::policy {
namespace {

using Outcome = Decision::Outcome;

const Policy& Example() {
  static const Policy* p = [] {
    std::ifstream in(ACTLEDGER_SOURCE_DIR "/examples/policy.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    Result<Policy> r = Policy::Parse(ss.str(), "examples/policy.yaml");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) std::abort();
    return new Policy(std::move(*r));
  }();
  return *p;
}

UtcTime Now() { return *ParseRfc3339Utc("2026-11-28T12:00:00Z"); }

json::Value J(const std::string& text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : json::Value();
}

json::Value Refund(std::string_view value, std::string_view currency, int age,
                   std::string_view extra_params = "",
                   std::string_view extra_attrs = "") {
  return J(
      std::string(R"({"action":{"type":"payment.refund","amount":{"value":")") +
      std::string(value) + R"(","currency":")" + std::string(currency) +
      R"("},"params":{)" + std::string(extra_params) +
      R"(}},"subject":{"type":"customer","id":"c1","attributes":{"account_age_days":)" +
      std::to_string(age) + std::string(extra_attrs) + "}}}");
}

struct Row {
  std::string name;
  json::Value proposal;
  Outcome outcome;
  std::string class_name;
  std::string tier;
  std::string rule;  // "" for none
};

void Check(const Row& row) {
  SCOPED_TRACE(row.name);
  const Decision d = Example().Evaluate(row.proposal, Now());
  EXPECT_EQ(OutcomeName(d.outcome), std::string(OutcomeName(row.outcome)))
      << d.reason;
  EXPECT_EQ(d.class_name, row.class_name) << d.reason;
  EXPECT_EQ(d.tier, row.tier) << d.reason;
  EXPECT_EQ(d.rule ? d.rule->id : "", row.rule) << d.reason;
  EXPECT_EQ(d.policy_version, "2026-11.1");
  EXPECT_FALSE(d.reason.empty());
}

json::Value T(std::string_view type, std::string_view rest = "") {
  return J(std::string(R"({"action":{"type":")") + std::string(type) + "\"" +
           std::string(rest) + "}}");
}

constexpr Outcome kAllow = Outcome::kAllow;
constexpr Outcome kPending = Outcome::kPendingApproval;
constexpr Outcome kDeny = Outcome::kDeny;

TEST(ExamplePolicy, RefundThresholdBoundaries) {
  const std::vector<Row> rows = {
      {"99.99 USD, age 91", Refund("99.99", "USD", 91), kAllow, "refunds",
       "threshold", "T-2026-03"},
      {"100.00 USD, age 91", Refund("100.00", "USD", 91), kPending, "refunds",
       "threshold", ""},
      {"100 USD, age 91", Refund("100", "USD", 91), kPending, "refunds",
       "threshold", ""},
      {"0.01 USD, age 91", Refund("0.01", "USD", 91), kAllow, "refunds",
       "threshold", "T-2026-03"},
      {"99.99 USD, age 90", Refund("99.99", "USD", 90), kPending, "refunds",
       "threshold", ""},
      {"99.99 EUR, age 400: currency mismatch", Refund("99.99", "EUR", 400),
       kPending, "refunds", "threshold", ""},
      {"99.99 usd (lowercase) is not USD", Refund("99.99", "usd", 400),
       kPending, "refunds", "threshold", ""},
      {"refund above the original charge is denied",
       Refund("60.00", "USD", 200,
              R"("original_amount":{"value":"50.00","currency":"USD"})"),
       kDeny, "refunds", "threshold", "D-2026-01"},
      {"refund equal to the original charge is fine",
       Refund("50.00", "USD", 200,
              R"("original_amount":{"value":"50","currency":"USD"})"),
       kAllow, "refunds", "threshold", "T-2026-03"},
      {"fraud review overrides the auto-approval",
       Refund("10.00", "USD", 200, "", R"(,"fraud_review":true)"), kPending,
       "refunds", "threshold", "H-2026-04"},
      {"amount not decimal text: fails closed", Refund("1e2", "USD", 200),
       kPending, "refunds", "threshold", "T-2026-03"},
      {"no amount at all: fails closed",
       J(R"({"action":{"type":"payment.refund"},"subject":{"attributes":{"account_age_days":200}}})"),
       kPending, "refunds", "threshold", "T-2026-03"},
      {"partial refund is another payment type: human",
       T("payment.refund.partial"), kPending, "financial", "human_approval",
       ""},
      {"payout: human", T("payout.vendor.send"), kPending, "financial",
       "human_approval", ""},
  };
  for (const Row& r : rows) Check(r);

  const Decision d = Example().Evaluate(Refund("1e2", "USD", 200), Now());
  EXPECT_EQ(
      d.reason,
      "rule T-2026-03 failed closed: its condition could not be evaluated "
      "(column 36: cannot apply < to string \"1e2\" (action.amount.value) and "
      "number); a human must approve");
  const Decision pending =
      Example().Evaluate(Refund("100.00", "USD", 91), Now());
  EXPECT_EQ(pending.approver_roles, std::vector<std::string>{"finance-ops"});
  EXPECT_EQ(pending.approval_ttl_seconds, 8 * 3600);
}

TEST(ExamplePolicy, AlwaysHumanClasses) {
  const std::vector<Row> rows = {
      {"email", T("email.send"), kPending, "customer_communication",
       "human_approval", ""},
      {"sms", T("sms.send"), kPending, "customer_communication",
       "human_approval", ""},
      {"customer notification", T("notification.customer.push"), kPending,
       "customer_communication", "human_approval", ""},
      {"contract", T("contract.update"), kPending, "contract_legal",
       "human_approval", ""},
      {"legal", T("legal.notice.send"), kPending, "contract_legal",
       "human_approval", ""},
      {"personnel", T("hr.offer.send"), kPending, "personnel", "human_approval",
       ""},
      {"payroll", T("payroll.adjust"), kPending, "personnel", "human_approval",
       ""},
      {"record.delete", T("record.delete"), kPending, "deletion",
       "human_approval", ""},
      {"crm.contact.delete", T("crm.contact.delete"), kPending, "deletion",
       "human_approval", ""},
      {"deep delete", T("a.b.c.d.delete"), kPending, "deletion",
       "human_approval", ""},
      {"purge", T("storage.bucket.purge"), kPending, "deletion",
       "human_approval", ""},
      // "payment.*" is more specific than "*.delete"; both need a human.
      {"payment.delete", T("payment.delete"), kPending, "financial",
       "human_approval", ""},
  };
  for (const Row& r : rows) Check(r);
  EXPECT_EQ(Example().Evaluate(T("crm.contact.delete"), Now()).approver_roles,
            std::vector<std::string>{"data-owner"});
  EXPECT_EQ(Example().Evaluate(T("email.send"), Now()).approver_roles,
            std::vector<std::string>{"support-lead"});
  EXPECT_EQ(
      Example().Evaluate(T("contract.update"), Now()).approval_ttl_seconds,
      72 * 3600);
}

TEST(ExamplePolicy, ThresholdRulesForCrmAndRouting) {
  const std::string stage =
      R"(,"params":{"to":"Proposal/Price Quote"}},"ai_output":{"confidence":)";
  const std::vector<Row> rows = {
      {"confidence 0.75",
       J(R"({"action":{"type":"crm.stage.update")" + stage + "0.75}}"), kAllow,
       "crm_pipeline", "threshold", "T-2026-08"},
      {"confidence 0.749",
       J(R"({"action":{"type":"crm.stage.update")" + stage + "0.749}}"),
       kPending, "crm_pipeline", "threshold", ""},
      {"closing a deal",
       J(R"({"action":{"type":"crm.stage.update","params":{"to":"Closed Won"}},"ai_output":{"confidence":0.99}})"),
       kPending, "crm_pipeline", "threshold", ""},
      {"no confidence: fails closed",
       J(R"({"action":{"type":"crm.stage.update","params":{"to":"x"}}})"),
       kPending, "crm_pipeline", "threshold", "T-2026-08"},
      {"route to active owner",
       T("lead.route", R"(,"params":{"new_owner_status":"active"})"), kAllow,
       "internal_routing", "threshold", "T-2026-09"},
      {"route to deactivated owner",
       T("lead.route", R"(,"params":{"new_owner_status":"deactivated"})"),
       kPending, "internal_routing", "threshold", ""},
      {"ticket assign",
       T("ticket.assign", R"(,"params":{"new_owner_status":"active"})"), kAllow,
       "internal_routing", "threshold", "T-2026-09"},
  };
  for (const Row& r : rows) Check(r);
}

TEST(ExamplePolicy, LogOnlyAndUnknown) {
  const std::vector<Row> rows = {
      {"task", T("task.create"), kAllow, "internal", "log_only", ""},
      {"calendar", T("calendar.event.create"), kAllow, "internal", "log_only",
       ""},
      {"status", T("record.status.update"), kAllow, "internal", "log_only", ""},
      {"slack channel",
       T("notification.internal.send", R"(,"recipient":"#ops-alerts")"), kAllow,
       "internal", "log_only", ""},
      {"internal address",
       T("notification.internal.send", R"(,"recipient":"bob@acme.example")"),
       kAllow, "internal", "log_only", ""},
      {"outside address",
       T("notification.internal.send", R"(,"recipient":"bob@gmail.example")"),
       kPending, "internal", "log_only", "H-2026-10"},
      {"unknown type: fail closed", T("spaceship.launch"), kPending, "",
       "human_approval", ""},
      {"bare delete is no dotted deletion", T("delete"), kPending, "",
       "human_approval", ""},
      {"no action.type", J(R"({"action":{}})"), kPending, "", "human_approval",
       ""},
  };
  for (const Row& r : rows) Check(r);
  EXPECT_EQ(Example()
                .Evaluate(T("notification.internal.send",
                            R"(,"recipient":"x@y.example")"),
                          Now())
                .approver_roles,
            std::vector<std::string>{"support-lead"});
  const Decision d = Example().Evaluate(T("spaceship.launch"), Now());
  EXPECT_EQ(d.approver_roles, std::vector<std::string>{"ops-lead"});
  EXPECT_EQ(d.approval_ttl_seconds, 24 * 3600);
}

TEST(ExamplePolicy, EveryGeneratedActionTypeHasAClass) {
  gen::Generator g({.seed = 7,
                    .start_unix_seconds = 1767600000,
                    .incomplete_fraction = 0.05,
                    .rollout_period_seconds = 1800});
  std::set<std::string> types;
  int allowed = 0, pending = 0;
  for (int i = 0; i < 2000; ++i) {
    const json::Value rec = g.Next();
    const Decision d = Example().Evaluate(rec, Now());
    types.insert(rec.FindPath("action.type")->as_string());
    EXPECT_FALSE(d.class_name.empty())
        << rec.FindPath("action.type")->as_string();
    EXPECT_NE(d.outcome, Outcome::kDeny) << d.reason;
    (d.outcome == Outcome::kAllow ? allowed : pending)++;
  }
  EXPECT_EQ(types,
            (std::set<std::string>{
                "payment.refund", "email.send", "crm.stage.update",
                "lead.route", "contract.update", "record.delete",
                "crm.contact.delete", "task.create", "calendar.event.create",
                "notification.internal.send", "record.status.update"}));
  EXPECT_GT(allowed, 0);
  EXPECT_GT(pending, 0);
}

TEST(ExamplePolicy, LintHasNoErrorsAndNamesTheOverlaps) {
  const std::vector<Finding> f = Example().Lint(Now());
  std::vector<std::string> overlaps;
  for (const Finding& x : f) {
    EXPECT_EQ(x.severity, Finding::Severity::kWarning) << x.message;
    EXPECT_EQ(x.code, "class-overlap") << x.message;
    overlaps.push_back(x.message.substr(0, x.message.find(" overlap")));
  }
  EXPECT_EQ(overlaps.size(), 6u);
  // Review cadence: T-2026-03 was last reviewed 2026-09-01 every 90 days.
  bool overdue = false;
  for (const Finding& x :
       Example().Lint(*ParseRfc3339Utc("2026-12-01T00:00:00Z"))) {
    overdue =
        overdue || (x.code == "review-overdue" &&
                    x.message.starts_with(
                        "rule T-2026-03: review overdue since 2026-11-30"));
  }
  EXPECT_TRUE(overdue);
}

}  // namespace
}  // namespace actledger::policy
