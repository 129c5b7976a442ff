// Retention periods from the policy file: defaults, boundaries (leap days,
// month ends, the floor), the longest of several regimes, and errors that
// name the key.
#include <gtest/gtest.h>

#include <string>

#include "actledger/policy.h"
#include "retention/retention.h"
#include "retention_testing.h"

namespace actledger {
namespace {

using policy::RetentionFacts;
using policy::RetentionPolicy;
using retention_testing::At;

constexpr char kHead[] = "policy: p\nversion: \"v7\"\n";

RetentionPolicy MustParse(const std::string& yaml) {
  Result<RetentionPolicy> r = RetentionPolicy::Parse(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : RetentionPolicy::Defaults();
}

constexpr char kIssuePolicy[] = R"(policy: p
version: "v7"
retention:
  periods: { sox: 7y, hipaa: 6y, gdpr: 6y, general: 3y }
  legal_duty: [sox, hipaa]
  floor: 6mo
  rules:
    - { match: ["payment.*", "invoice.*", "contract.*"], regime: sox }
    - { subject_types: [patient], regime: hipaa }
    - { match: ["*"], regime: general }
personal_fields: [subject.id, subject.attributes, action.recipient]
)";

TEST(RetentionPolicy, DefaultsWhenTheSectionIsAbsent) {
  RetentionPolicy r = MustParse(std::string(kHead));
  EXPECT_FALSE(r.from_file());
  const UtcTime from = At(2026, 3, 15, 3600);
  policy::RetentionAssignment a =
      r.Assign({.action_type = "payment.refund"}, from);
  EXPECT_EQ(a.regime, "general");
  EXPECT_EQ(a.until, At(2029, 3, 15, 3600));  // 3 calendar years later
  EXPECT_TRUE(r.IsLegalDuty("sox"));
  EXPECT_TRUE(r.IsLegalDuty("hipaa"));
  EXPECT_FALSE(r.IsLegalDuty("general"));
  EXPECT_EQ(r.floor(), "6mo");
}

TEST(RetentionPolicy, IssueShapeMapsTypesAndSubjects) {
  RetentionPolicy r = MustParse(kIssuePolicy);
  EXPECT_TRUE(r.from_file());
  const UtcTime from = At(2026, 1, 10);
  EXPECT_EQ(r.Assign({.action_type = "payment.refund"}, from).regime, "sox");
  EXPECT_EQ(r.Assign({.action_type = "payment.refund"}, from).until,
            At(2033, 1, 10));
  EXPECT_EQ(
      r.Assign({.action_type = "email.send", .subject_type = "patient"}, from)
          .regime,
      "hipaa");
  EXPECT_EQ(r.Assign({.action_type = "email.send"}, from).regime, "general");
  // An outcome with no action type matches no glob: general.
  EXPECT_EQ(r.Assign({}, from).regime, "general");
  EXPECT_EQ(r.personal_fields(),
            (std::vector<std::string>{"subject.id", "subject.attributes",
                                      "action.recipient"}));
}

TEST(RetentionPolicy, LongestOfSeveralApplicableRegimesWins) {
  RetentionPolicy r = MustParse(kIssuePolicy);
  const UtcTime from = At(2026, 6, 1);
  // sox (7y) and hipaa (6y) both apply: sox ends later.
  policy::RetentionAssignment a =
      r.Assign({.action_type = "invoice.pay", .subject_type = "patient"}, from);
  EXPECT_EQ(a.regime, "sox");
  EXPECT_EQ(a.until, At(2033, 6, 1));
  // With hipaa overridden to 10y, hipaa ends later and wins.
  std::string longer = kIssuePolicy;
  longer.replace(longer.find("hipaa: 6y"), 9, "hipaa: 10y");
  RetentionPolicy r2 = MustParse(longer);
  a = r2.Assign({.action_type = "invoice.pay", .subject_type = "patient"},
                from);
  EXPECT_EQ(a.regime, "hipaa");
  EXPECT_EQ(a.until, At(2036, 6, 1));
}

TEST(RetentionPolicy, LeapDayPlusYearsClampsToMonthEnd) {
  RetentionPolicy r = MustParse(std::string(kHead) +
                                "retention:\n  periods: { general: 1y, "
                                "four: 4y }\n  rules:\n    - { match: "
                                "[\"four.*\"], regime: four }\n");
  const UtcTime leap = At(2024, 2, 29, 12 * 3600);
  // 2025 has no Feb 29: the day clamps to Feb 28, the time of day stays.
  EXPECT_EQ(r.Assign({.action_type = "x.y"}, leap).until,
            At(2025, 2, 28, 12 * 3600));
  // 2028 is a leap year: Feb 29 exists again.
  EXPECT_EQ(r.Assign({.action_type = "four.y"}, leap).until,
            At(2028, 2, 29, 12 * 3600));
  // The day after the leap day is an ordinary March 1.
  EXPECT_EQ(r.Assign({.action_type = "x.y"}, At(2024, 3, 1)).until,
            At(2025, 3, 1));
}

TEST(RetentionPolicy, FloorLengthensShortPeriods) {
  RetentionPolicy r =
      MustParse(std::string(kHead) +
                "retention:\n  periods: { brief: 30d }\n  floor: 6mo\n  "
                "rules:\n    - { match: [\"*\"], regime: brief }\n");
  // 2026-08-31 + 6 months = 2027-02-28 (clamped), later than + 30 days.
  policy::RetentionAssignment a =
      r.Assign({.action_type = "a.b"}, At(2026, 8, 31));
  EXPECT_EQ(a.regime, "brief");
  EXPECT_TRUE(a.floor_applied);
  EXPECT_EQ(a.until, At(2027, 2, 28));
  // A period longer than the floor is untouched.
  RetentionPolicy general = MustParse(std::string(kHead));
  policy::RetentionAssignment g =
      general.Assign({.action_type = "a.b"}, At(2026, 8, 31));
  EXPECT_FALSE(g.floor_applied);
  EXPECT_EQ(g.until, At(2029, 8, 31));
  // UntilFor applies the floor too.
  EXPECT_EQ(r.UntilFor("brief", At(2026, 8, 31)), At(2027, 2, 28));
  EXPECT_FALSE(r.UntilFor("nope", At(2026, 8, 31)).has_value());
}

TEST(RetentionPolicy, ClassesMatchTheGateClass) {
  RetentionPolicy r = MustParse(
      std::string(kHead) +
      "retention:\n  rules:\n    - { classes: [deletion], regime: gdpr }\n");
  EXPECT_TRUE(r.uses_classes());
  EXPECT_EQ(r.Assign({.action_type = "record.delete", .class_name = "deletion"},
                     At(2026, 1, 1))
                .regime,
            "gdpr");
  EXPECT_EQ(r.Assign({.action_type = "record.delete"}, At(2026, 1, 1)).regime,
            "general");
}

struct BadCase {
  std::string yaml;
  std::string field;
  std::string words;
};

TEST(RetentionPolicy, ErrorsNameTheKey) {
  const std::string h = kHead;
  const std::vector<BadCase> cases = {
      {h + "retention:\n  rules:\n    - { match: [\"a.*\"], regime: soxx }\n",
       "retention.rules[0].regime", "unknown regime \"soxx\""},
      {h + "retention:\n  periods: { sox: seven }\n", "retention.periods.sox",
       "duration"},
      {h + "retention:\n  periods: { sox: 7h }\n", "retention.periods.sox",
       "d, w, mo or y"},
      {h + "retention:\n  rules:\n    - { match: [\"a.*\"], regim: sox }\n",
       "retention.rules[0].regim", "unknown key"},
      {h + "retention:\n  rules:\n    - { match: [\"a.*\"] }\n",
       "retention.rules[0].regime", "required"},
      {h + "retention:\n  rules:\n    - { regime: sox }\n",
       "retention.rules[0]", "needs match"},
      {h + "retention:\n  legal_duty: [sox, tax]\n", "retention.legal_duty[1]",
       "unknown regime \"tax\""},
      {h + "retention:\n  floor: soon\n", "retention.floor", "duration"},
      {h + "retention:\n  rules:\n    - { match: [\"pay*\"], regime: sox }\n",
       "retention.rules[0].match[0]", ""},
      {h + "retention:\n  retain: 1y\n", "retention.retain", "unknown key"},
      {h + "personal_fields: [subject..id]\n", "personal_fields[0]",
       "dotted field path"},
  };
  for (const BadCase& c : cases) {
    Result<RetentionPolicy> r = RetentionPolicy::Parse(c.yaml, "t.yaml");
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
    EXPECT_NE(r.status().message().find("t.yaml:"), std::string::npos);
    EXPECT_NE(r.status().message().find(c.words), std::string::npos)
        << r.status().message();
    // The gate's parser refuses the same file: a policy whose retention
    // section is wrong is never activated.
    EXPECT_FALSE(policy::Policy::Parse(c.yaml, "t.yaml").ok()) << c.yaml;
  }
}

TEST(RetentionPolicy, PersonalFieldsAreAKnownTopLevelKey) {
  Result<policy::Policy> p = policy::Policy::Parse(kIssuePolicy, "t.yaml");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (const policy::Finding& f : p->Lint(At(2026, 1, 1))) {
    EXPECT_NE(f.code, "unknown-key") << f.message;
  }
}

TEST(RetentionStamper, EnvelopeNamesRegimeUntilAndPolicyVersion) {
  retention::Stamper s(MustParse(kIssuePolicy), std::nullopt, "v7");
  Result<json::Value> body =
      json::Parse(R"({"action":{"type":"payment.refund"}})");
  ASSERT_TRUE(body.ok());
  UtcTime at = At(2026, 11, 28, 9 * 3600);
  at.nanos = 250000000;  // rounded up to the next second
  EXPECT_EQ(s.EnvelopeJson(RecordKind::kAction, *body, at),
            R"({"policy":"v7","regime":"sox","until":"2033-11-28T09:00:01Z"})");
  // System records are kept for the ledger's lifetime.
  EXPECT_EQ(s.EnvelopeJson(RecordKind::kHold, *body, at),
            R"({"regime":"ledger","until":null})");
  // The type of an outcome's action stands in for its missing action.type.
  Result<json::Value> outcome = json::Parse(R"({"outcome":{"status":"ok"}})");
  EXPECT_NE(s.EnvelopeJson(RecordKind::kOutcome, *outcome, at, "invoice.pay")
                .find("\"regime\":\"sox\""),
            std::string::npos);
  // The defaults name no policy.
  EXPECT_EQ(retention::Stamper().EnvelopeJson(RecordKind::kAction, *body,
                                              At(2026, 1, 1)),
            R"({"regime":"general","until":"2029-01-01T00:00:00Z"})");
}

}  // namespace
}  // namespace actledger
