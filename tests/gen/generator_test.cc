#include "gen/generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "actledger/json.h"

namespace actledger::gen {
namespace {

std::vector<json::Value> Generate(Options options, int n) {
  Generator g(options);
  std::vector<json::Value> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(g.Next());
  return out;
}

std::string Str(const json::Value& rec, std::string_view path) {
  const json::Value* v = rec.FindPath(path);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

// Whether `s` is exactly `n` lowercase hex digits.
bool IsHex(std::string_view s, size_t n) {
  return s.size() == n &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// Whether `s` matches `pattern`, where '9' stands for any digit and every
// other character for itself.
bool MatchesShape(std::string_view s, std::string_view pattern) {
  if (s.size() != pattern.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool digit = s[i] >= '0' && s[i] <= '9';
    if (pattern[i] == '9' ? !digit : s[i] != pattern[i]) return false;
  }
  return true;
}

// "340.00": digits, no leading zero unless the integer part is 0, a dot and
// exactly two decimals.
bool IsTwoDecimalString(std::string_view s) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || s.size() - dot != 3) {
    return false;
  }
  if (s[0] == '0' && dot != 1) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != dot && (s[i] < '0' || s[i] > '9')) return false;
  }
  return true;
}

bool IsIncomplete(const json::Value& rec) {
  return rec.FindPath("model.version") == nullptr ||
         rec.FindPath("model.prompt_template") == nullptr ||
         rec.Find("approval") == nullptr || rec.Find("ai_output") == nullptr ||
         rec.Find("outcome") == nullptr;
}

TEST(Generator, SameSeedGivesIdenticalOutput) {
  Generator a({.seed = 7});
  Generator b({.seed = 7});
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.NextLine(), b.NextLine()) << i;
}

TEST(Generator, DifferentSeedsDiffer) {
  Generator a({.seed = 7});
  Generator b({.seed = 8});
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += a.NextLine() == b.NextLine();
  EXPECT_EQ(same, 0);
}

TEST(Generator, NextLineIsCanonicalJsonOnOneLine) {
  Generator g({.seed = 3});
  for (int i = 0; i < 200; ++i) {
    const std::string line = g.NextLine();
    ASSERT_EQ(line.find('\n'), std::string::npos);
    Result<std::string> canonical = json::CanonicalizeText(line);
    ASSERT_TRUE(canonical.ok()) << canonical.status().ToString();
    EXPECT_EQ(*canonical, line);
  }
}

TEST(Generator, CanonicalSizeWithinTwoToFiveKilobytes) {
  for (double incomplete : {0.0, 0.05, 1.0}) {
    for (const json::Value& rec :
         Generate({.seed = 11, .incomplete_fraction = incomplete}, 2000)) {
      const size_t size = json::Canonical(rec).size();
      ASSERT_GE(size, 2048u) << json::Canonical(rec);
      ASSERT_LE(size, 5120u) << json::Canonical(rec);
    }
  }
}

TEST(Generator, RoundTripsThroughCanonicalForm) {
  for (const json::Value& rec : Generate({.seed = 5}, 1000)) {
    Result<json::Value> parsed = json::Parse(json::Canonical(rec));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ASSERT_TRUE(*parsed == rec) << json::Canonical(rec);
  }
}

TEST(Generator, EveryActionTypeOfTheMixAppears) {
  std::map<std::string, int> counts;
  for (const json::Value& rec : Generate({.seed = 2}, 2000)) {
    ++counts[Str(rec, "action.type")];
  }
  for (const char* type :
       {"payment.refund", "email.send", "crm.stage.update", "lead.route",
        "contract.update", "record.delete", "crm.contact.delete", "task.create",
        "calendar.event.create", "notification.internal.send",
        "record.status.update"}) {
    EXPECT_GT(counts[type], 0) << type;
  }
  EXPECT_EQ(counts.size(), 11u);
}

TEST(Generator, RecordsHaveTheSevenFieldShape) {
  for (const json::Value& rec :
       Generate({.seed = 4, .incomplete_fraction = 0}, 500)) {
    EXPECT_TRUE(Str(rec, "action_id").starts_with("act_"));
    for (const char* path : {"trigger.type",
                             "trigger.source",
                             "model.provider",
                             "model.name",
                             "model.version",
                             "model.prompt_template.id",
                             "model.prompt_template.version",
                             "ai_output.decision",
                             "ai_output.reasoning",
                             "action.type",
                             "action.system",
                             "action.target",
                             "approval.mode",
                             "context.occurred_at",
                             "context.environment",
                             "context.job_id",
                             "context.app_version",
                             "outcome.status",
                             "subject.type",
                             "subject.id",
                             "labels.team"}) {
      EXPECT_FALSE(Str(rec, path).empty()) << path << Str(rec, "action_id");
    }
    const json::Value* conf = rec.FindPath("ai_output.confidence");
    ASSERT_NE(conf, nullptr);
    EXPECT_GE(conf->as_number(), 0.0);
    EXPECT_LE(conf->as_number(), 1.0);
    EXPECT_TRUE(IsHex(Str(rec, "model.prompt_template.sha256"), 64));
    EXPECT_TRUE(IsHex(Str(rec, "context.trace_id"), 32));
    EXPECT_TRUE(IsHex(Str(rec, "context.span_id"), 16));
    const json::Value* attrs = rec.FindPath("subject.attributes");
    ASSERT_NE(attrs, nullptr);
    ASSERT_NE(attrs->Find("account_age_days"), nullptr);
    EXPECT_TRUE(attrs->Find("account_age_days")->is_number());
  }
}

TEST(Generator, ActionIdsAreUnique) {
  std::set<std::string> ids;
  for (const json::Value& rec : Generate({.seed = 9}, 3000)) {
    EXPECT_TRUE(ids.insert(Str(rec, "action_id")).second);
  }
}

TEST(Generator, AmountsAreTwoDecimalStringsWithIsoCurrency) {
  std::set<std::string> currencies;
  int refunds = 0, under_100 = 0, over_1000 = 0;
  for (const json::Value& rec : Generate({.seed = 13}, 2000)) {
    const json::Value* amount = rec.FindPath("action.amount");
    if (Str(rec, "action.type") == "payment.refund") {
      ASSERT_NE(amount, nullptr);
      ++refunds;
    }
    if (amount == nullptr) continue;
    const json::Value* value = amount->Find("value");
    ASSERT_NE(value, nullptr);
    ASSERT_TRUE(value->is_string()) << "money must never be a JSON number";
    ASSERT_TRUE(IsTwoDecimalString(value->as_string())) << value->as_string();
    const std::string currency = Str(*amount, "currency");
    EXPECT_TRUE(currency == "USD" || currency == "EUR" || currency == "GBP")
        << currency;
    currencies.insert(currency);
    const double v = std::stod(value->as_string());
    under_100 += v < 100;
    over_1000 += v > 1000;
  }
  EXPECT_GT(refunds, 200);
  EXPECT_EQ(currencies.size(), 3u);
  EXPECT_GT(under_100, 0);
  EXPECT_GT(over_1000, 0);
}

TEST(Generator, OccurredAtIsRfc3339UtcAndNonDecreasing) {
  std::string previous;
  bool saw_fraction = false, saw_whole = false;
  const auto recs = Generate({.seed = 17}, 2000);
  EXPECT_EQ(Str(recs.front(), "context.occurred_at").substr(0, 19),
            "2026-01-05T08:00:00");
  for (const json::Value& rec : recs) {
    const std::string at = Str(rec, "context.occurred_at");
    ASSERT_TRUE(MatchesShape(at, "9999-99-99T99:99:99Z") ||
                MatchesShape(at, "9999-99-99T99:99:99.999Z"))
        << at;
    // Same width up to the seconds, so string order is time order once
    // the optional fraction is normalized.
    const std::string normalized =
        at.size() == 20 ? at.substr(0, 19) + ".000Z" : at;
    ASSERT_GE(normalized, previous);
    previous = normalized;
    (at.size() == 20 ? saw_whole : saw_fraction) = true;
  }
  EXPECT_TRUE(saw_fraction);
  EXPECT_TRUE(saw_whole);
}

TEST(Generator, ModelVersionsChangeOverTime) {
  const auto recs = Generate({.seed = 21, .incomplete_fraction = 0}, 1000);
  std::set<std::string> first, last, first_refund, last_refund;
  for (int i = 0; i < 1000; ++i) {
    const std::string version = Str(recs[i], "model.version");
    const bool refund = Str(recs[i], "action.type") == "payment.refund";
    (i < 500 ? first : last).insert(version);
    if (refund) (i < 500 ? first_refund : last_refund).insert(version);
  }
  EXPECT_NE(first, last);
  // The refund agent's model was updated early: the newest version of the
  // late records never ran before the update.
  ASSERT_FALSE(first_refund.empty());
  ASSERT_FALSE(last_refund.empty());
  EXPECT_TRUE(first_refund.count("gpt-4o-2024-08-06"));
  EXPECT_FALSE(last_refund.count("gpt-4o-2024-08-06"));
}

TEST(Generator, PromptTemplateVersionsBumpOverTime) {
  std::set<std::string> versions;
  for (const json::Value& rec :
       Generate({.seed = 23, .incomplete_fraction = 0}, 3000)) {
    if (Str(rec, "model.prompt_template.id") == "refund-decision") {
      versions.insert(Str(rec, "model.prompt_template.version"));
    }
  }
  EXPECT_GE(versions.size(), 2u);
}

TEST(Generator, AllThreeApprovalModesAppearWithTheirDetails) {
  std::map<std::string, int> modes;
  for (const json::Value& rec :
       Generate({.seed = 29, .incomplete_fraction = 0}, 1000)) {
    const std::string mode = Str(rec, "approval.mode");
    ++modes[mode];
    if (mode == "human") {
      EXPECT_FALSE(Str(rec, "approval.approver.id").empty());
      EXPECT_FALSE(Str(rec, "approval.approver.role").empty());
      EXPECT_LT(Str(rec, "approval.decided_at"),
                Str(rec, "context.occurred_at"));
    } else if (mode == "rule") {
      EXPECT_TRUE(Str(rec, "approval.rule.id").starts_with("T-2026-"));
      EXPECT_FALSE(Str(rec, "approval.rule.version").empty());
    } else {
      EXPECT_EQ(mode, "none");
    }
    // Deletions, contracts and customer emails always go to a human.
    const std::string type = Str(rec, "action.type");
    if (type == "record.delete" || type == "crm.contact.delete" ||
        type == "contract.update" || type == "email.send") {
      EXPECT_EQ(mode, "human") << type;
    }
  }
  EXPECT_GT(modes["human"], 0);
  EXPECT_GT(modes["rule"], 0);
  EXPECT_GT(modes["none"], 0);
}

TEST(Generator, NoOneApprovesAnActionTheyInstructed) {
  int instructed = 0;
  for (const json::Value& rec :
       Generate({.seed = 43, .incomplete_fraction = 0}, 2000)) {
    if (Str(rec, "trigger.type") != "user_instruction") continue;
    ++instructed;
    EXPECT_NE(Str(rec, "trigger.initiated_by"),
              "user:" + Str(rec, "approval.approver.id"));
  }
  EXPECT_GT(instructed, 0);
}

TEST(Generator, SmallRefundsToEstablishedCustomersAreRuleApproved) {
  for (const json::Value& rec :
       Generate({.seed = 31, .incomplete_fraction = 0}, 2000)) {
    if (Str(rec, "action.type") != "payment.refund") continue;
    const double amount = std::stod(Str(rec, "action.amount.value"));
    const double age =
        rec.FindPath("subject.attributes.account_age_days")->as_number();
    if (amount < 100 && age > 90) {
      EXPECT_EQ(Str(rec, "approval.rule.id"), "T-2026-03");
    }
    if (amount >= 500) {
      EXPECT_EQ(Str(rec, "approval.mode"), "human");
    }
  }
}

TEST(Generator, SomeOutcomesFailWithAnError) {
  std::map<std::string, int> status;
  const int n = 4000;
  for (const json::Value& rec :
       Generate({.seed = 37, .incomplete_fraction = 0}, n)) {
    const std::string s = Str(rec, "outcome.status");
    ++status[s];
    if (s == "failure" || s == "error") {
      EXPECT_FALSE(Str(rec, "outcome.error").empty());
    }
  }
  const double bad = status["failure"] + status["error"];
  EXPECT_GT(bad / n, 0.01);
  EXPECT_LT(bad / n, 0.06);
  EXPECT_GT(status["pending"], 0);
}

TEST(Generator, IncompleteFractionIsRespected) {
  for (const json::Value& rec :
       Generate({.seed = 41, .incomplete_fraction = 0}, 2000)) {
    ASSERT_FALSE(IsIncomplete(rec)) << json::Canonical(rec);
  }
  int incomplete = 0;
  std::map<std::string, int> missing;
  for (const json::Value& rec :
       Generate({.seed = 41, .incomplete_fraction = 0.2}, 2000)) {
    incomplete += IsIncomplete(rec);
    if (rec.FindPath("model.version") == nullptr) ++missing["model.version"];
    if (rec.Find("approval") == nullptr) ++missing["approval"];
    if (rec.Find("ai_output") == nullptr) ++missing["ai_output"];
    if (rec.Find("outcome") == nullptr) ++missing["outcome"];
  }
  EXPECT_GT(incomplete, 320);
  EXPECT_LT(incomplete, 480);
  // The article's three most-often-missing fields dominate.
  EXPECT_GT(missing["model.version"], missing["outcome"]);
  EXPECT_GT(missing["approval"], missing["outcome"]);
  EXPECT_GT(missing["ai_output"], missing["outcome"]);
  for (const json::Value& rec :
       Generate({.seed = 41, .incomplete_fraction = 1}, 300)) {
    ASSERT_TRUE(IsIncomplete(rec));
  }
}

}  // namespace
}  // namespace actledger::gen
