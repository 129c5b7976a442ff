// The reports against numbers computed here from the generated records and
// from the lifecycles the tests drive through the gate — never from the
// index the reports read.
#include "report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

#include "actledger/json.h"
#include "common/time.h"
#include "gate/gate.h"
#include "report_fixture.h"

namespace actledger::report_testing {
namespace {

using report::ReportResult;
using report::Section;

double ParseRatio(const std::string& s) {
  EXPECT_FALSE(s.empty());
  return s.empty() ? -1 : std::stod(s);
}

// --- completeness -----------------------------------------------------------

struct PartCheck {
  const char* name;
  bool (*present)(const json::Value&);
};

const std::vector<PartCheck>& Parts() {
  static const std::vector<PartCheck> kParts = {
      {"trigger", [](const json::Value& v) { return Has(v, "trigger"); }},
      {"model", [](const json::Value& v) { return Has(v, "model"); }},
      {"model.version",
       [](const json::Value& v) { return Has(v, "model.version"); }},
      {"model.prompt_template",
       [](const json::Value& v) { return Has(v, "model.prompt_template"); }},
      {"ai_output", [](const json::Value& v) { return Has(v, "ai_output"); }},
      {"ai_output.reasoning",
       [](const json::Value& v) { return Has(v, "ai_output.reasoning"); }},
      {"action", [](const json::Value& v) { return Has(v, "action"); }},
      {"approval", [](const json::Value& v) { return Has(v, "approval"); }},
      {"approval.approver_or_rule",
       [](const json::Value& v) {
         const std::string mode = Str(v, "approval.mode");
         if (mode == "human") return Has(v, "approval.approver.id");
         if (mode == "rule") return Has(v, "approval.rule.id");
         return mode == "none";
       }},
      {"context", [](const json::Value& v) { return Has(v, "context"); }},
      {"outcome", [](const json::Value& v) { return Has(v, "outcome"); }},
      {"outcome.confirmed_at",
       [](const json::Value& v) { return Has(v, "outcome.confirmed_at"); }},
  };
  return kParts;
}

class ReportTest : public ReportFixture {};

TEST_F(ReportTest, CompletenessMatchesGeneratedRecords) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(800, 11, 0.3));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r = Run("completeness");

  std::map<std::string, uint64_t> missing;
  std::map<std::pair<std::string, std::string>,
           std::pair<uint64_t, std::map<std::string, uint64_t>>>
      groups;
  uint64_t complete = 0;
  for (const json::Value& v : generated_) {
    auto& g = groups[{Str(v, "action.system"), Str(v, "action.type")}];
    ++g.first;
    bool all = true;
    for (const PartCheck& p : Parts()) {
      if (p.present(v)) {
        ++g.second[p.name];
      } else {
        ++missing[p.name];
        all = false;
      }
    }
    complete += all;
  }
  ASSERT_GT(complete, 0u);
  ASSERT_LT(complete, generated_.size()) << "need incomplete records";

  EXPECT_EQ(SummaryValue(r, "actions"), std::to_string(generated_.size()));
  EXPECT_EQ(SummaryValue(r, "complete"), std::to_string(complete));

  const Section* fields = FindSection(r, "fields");
  ASSERT_NE(fields, nullptr);
  ASSERT_EQ(fields->rows.size(), Parts().size());
  uint64_t previous = UINT64_MAX;
  for (const auto& row : fields->rows) {
    const uint64_t m = std::stoull(row[ColumnIndex(*fields, "missing")]);
    EXPECT_EQ(m, missing[row[0]]) << row[0];
    EXPECT_LE(m, previous) << "fields must be most-often-missing first";
    previous = m;
  }
  // The three most-often-missing fields are named first.
  std::vector<std::pair<uint64_t, std::string>> ranked;
  for (const PartCheck& p : Parts())
    ranked.push_back({missing[p.name], p.name});
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.first > b.first; });
  EXPECT_EQ(SummaryValue(r, "most_missing_1"), ranked[0].second);
  EXPECT_EQ(SummaryValue(r, "most_missing_2"), ranked[1].second);
  EXPECT_EQ(SummaryValue(r, "most_missing_3"), ranked[2].second);

  const Section* by = FindSection(r, "by_system_and_type");
  ASSERT_NE(by, nullptr);
  EXPECT_EQ(by->rows.size(), groups.size());
  EXPECT_EQ(by->columns[4].name, ranked[0].second)
      << "the most-often-missing field is the first coverage column";
  for (const auto& row : by->rows) {
    auto it = groups.find({row[0], row[1]});
    ASSERT_NE(it, groups.end()) << row[0] << " " << row[1];
    const uint64_t n = it->second.first;
    EXPECT_EQ(row[ColumnIndex(*by, "actions")], std::to_string(n));
    for (const PartCheck& p : Parts()) {
      const double expected =
          static_cast<double>(it->second.second[p.name]) / n;
      EXPECT_NEAR(ParseRatio(row[ColumnIndex(*by, p.name)]), expected, 5e-5)
          << row[0] << "/" << row[1] << " " << p.name;
    }
  }
}

// --- approvals --------------------------------------------------------------

TEST_F(ReportTest, ApprovalsCountRuleAndHumanDecisionsPerRuleAndApprover) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(700, 5, 0.1));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r = Run("approvals", {{"period", "day"}});

  // Period: the day each record was recorded (the ledger's clock).
  using Key = std::pair<std::string, std::string>;
  std::map<Key, std::map<std::string, uint64_t>> expected;
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::pair<uint64_t, uint64_t>>
      whom;
  for (size_t i = 0; i < generated_.size(); ++i) {
    const json::Value& v = generated_[i];
    Result<std::string> stored = ledger_->Get(generated_seqs_[i]);
    ASSERT_TRUE(stored.ok());
    Result<json::Value> rec = json::Parse(*stored);
    ASSERT_TRUE(rec.ok());
    const std::string day = Str(*rec, "recorded_at").substr(0, 10);
    const std::string rule = Str(v, "approval.rule.id");
    const std::string mode = Str(v, "approval.mode");
    std::string outcome;
    if (!Has(v, "approval")) {
      outcome = "not_recorded";
    } else if (mode == "rule") {
      outcome = "auto_approved";
    } else if (mode == "none") {
      outcome = "no_approval";
    } else if (Str(v, "approval.decision") == "reject") {
      outcome = "rejected";
    } else {
      outcome = "human_approved";
    }
    ++expected[{day, rule}][outcome];
    ++expected[{day, rule}]["actions"];
    if (mode == "human") {
      auto& w = whom[{day, rule, Str(v, "approval.approver.id"),
                      Str(v, "approval.approver.role")}];
      (outcome == "rejected" ? w.second : w.first)++;
    }
  }
  const Section* by_rule = FindSection(r, "by_rule");
  ASSERT_NE(by_rule, nullptr);
  ASSERT_EQ(by_rule->rows.size(), expected.size());
  std::set<std::string> rules_seen;
  for (const auto& row : by_rule->rows) {
    auto it = expected.find({row[0], row[1]});
    ASSERT_NE(it, expected.end()) << row[0] << " " << row[1];
    rules_seen.insert(row[1]);
    for (const char* c :
         {"actions", "auto_approved", "human_approved", "rejected", "expired",
          "denied", "pending", "no_approval", "not_recorded"}) {
      EXPECT_EQ(row[ColumnIndex(*by_rule, c)], std::to_string(it->second[c]))
          << row[0] << " rule " << row[1] << " " << c;
    }
  }
  EXPECT_GE(rules_seen.size(), 2u) << "the generator uses several rules";

  const Section* by_whom = FindSection(r, "by_approver");
  ASSERT_NE(by_whom, nullptr);
  ASSERT_EQ(by_whom->rows.size(), whom.size());
  for (const auto& row : by_whom->rows) {
    auto it = whom.find({row[0], row[1], row[2], row[3]});
    ASSERT_NE(it, whom.end()) << row[2];
    EXPECT_EQ(row[4], std::to_string(it->second.first)) << row[2];
    EXPECT_EQ(row[5], std::to_string(it->second.second)) << row[2];
  }
}

// --- model-versions ---------------------------------------------------------

TEST_F(ReportTest, ModelVersionsCountFailuresAndSumAmountsExactly) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(900, 3, 0.05));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r = Run("model-versions");
  struct Expect {
    uint64_t actions = 0, outcomes = 0, failures = 0;
    UtcTime first{INT64_MAX, 0}, last{INT64_MIN, 0};
    std::map<std::string, int64_t> cents;
    std::map<std::string, uint64_t> counts;
  };
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, Expect> expected;
  for (const json::Value& v : generated_) {
    Expect& e = expected[{Str(v, "action.type"), Str(v, "model.name"),
                          Str(v, "model.version")}];
    ++e.actions;
    const std::string status = Str(v, "outcome.status");
    if (status == "success" || status == "failure" || status == "error") {
      ++e.outcomes;
      e.failures += status != "success";
    }
    if (Has(v, "context.occurred_at")) {
      Result<UtcTime> t = ParseRfc3339Utc(Str(v, "context.occurred_at"));
      ASSERT_TRUE(t.ok());
      e.first = std::min(e.first, *t);
      e.last = std::max(e.last, *t);
    }
    if (Has(v, "action.amount.value")) {
      const std::string cur = Str(v, "action.amount.currency");
      e.cents[cur] += TextToCents(Str(v, "action.amount.value"));
      ++e.counts[cur];
    }
  }
  const Section* versions = FindSection(r, "versions");
  ASSERT_NE(versions, nullptr);
  ASSERT_EQ(versions->rows.size(), expected.size());
  size_t with_failures = 0;
  for (const auto& row : versions->rows) {
    const Key k{row[ColumnIndex(*versions, "action_type")],
                row[ColumnIndex(*versions, "model")],
                row[ColumnIndex(*versions, "model_version")]};
    auto it = expected.find(k);
    ASSERT_NE(it, expected.end()) << std::get<0>(k) << " " << std::get<2>(k);
    const Expect& e = it->second;
    EXPECT_EQ(row[ColumnIndex(*versions, "actions")],
              std::to_string(e.actions));
    EXPECT_EQ(row[ColumnIndex(*versions, "outcomes")],
              std::to_string(e.outcomes));
    EXPECT_EQ(row[ColumnIndex(*versions, "failures")],
              std::to_string(e.failures));
    with_failures += e.failures > 0;
    if (e.outcomes > 0) {
      EXPECT_NEAR(ParseRatio(row[ColumnIndex(*versions, "failure_rate")]),
                  static_cast<double>(e.failures) / e.outcomes, 5e-5);
    }
    if (e.first.seconds != INT64_MAX) {
      Result<UtcTime> first =
          ParseRfc3339Utc(row[ColumnIndex(*versions, "first_seen")]);
      Result<UtcTime> last =
          ParseRfc3339Utc(row[ColumnIndex(*versions, "last_seen")]);
      ASSERT_TRUE(first.ok() && last.ok());
      EXPECT_EQ(*first, e.first);
      EXPECT_EQ(*last, e.last);
    }
  }
  EXPECT_GT(with_failures, 0u) << "the generator produces failures";

  const Section* amounts = FindSection(r, "amounts");
  ASSERT_NE(amounts, nullptr);
  size_t expected_rows = 0;
  for (const auto& [k, e] : expected) expected_rows += e.cents.size();
  ASSERT_EQ(amounts->rows.size(), expected_rows);
  ASSERT_GT(expected_rows, 0u);
  for (const auto& row : amounts->rows) {
    const Expect& e = expected.at({row[0], row[1], row[2]});
    EXPECT_EQ(row[ColumnIndex(*amounts, "total")],
              CentsToText(e.cents.at(row[3])))
        << row[0] << " " << row[2] << " " << row[3];
    EXPECT_EQ(row[ColumnIndex(*amounts, "actions")],
              std::to_string(e.counts.at(row[3])));
  }
}

// --- subject ----------------------------------------------------------------

TEST_F(ReportTest, SubjectShowsEachDecisionOfThatSubjectAndNothingElse) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(600, 21, 0.1));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> by_subject;
  for (size_t i = 0; i < generated_.size(); ++i) {
    const json::Value& v = generated_[i];
    if (!Has(v, "subject.id")) continue;
    by_subject[{Str(v, "subject.type"), Str(v, "subject.id")}].push_back(i);
  }
  auto most = std::max_element(
      by_subject.begin(), by_subject.end(),
      [](auto& a, auto& b) { return a.second.size() < b.second.size(); });
  ASSERT_NE(most, by_subject.end());
  ASSERT_GE(most->second.size(), 2u) << "need a subject with several records";
  const auto& [type, id] = most->first;

  const ReportResult r = Run("subject", {{"subject", type + ":" + id}});
  const Section* decisions = FindSection(r, "decisions");
  ASSERT_NE(decisions, nullptr);
  ASSERT_EQ(decisions->rows.size(), most->second.size());
  const std::string narrative = Collapse(r.narrative);
  const std::string json = report::RenderJson(r);
  std::set<std::string> own_reasoning;
  for (size_t i : most->second) {
    const json::Value& v = generated_[i];
    const std::string action_id = Str(v, "action_id");
    auto row = std::find_if(
        decisions->rows.begin(), decisions->rows.end(),
        [&](const auto& candidate) {
          return candidate[ColumnIndex(*decisions, "action_id")] == action_id;
        });
    ASSERT_NE(row, decisions->rows.end()) << action_id;
    EXPECT_EQ((*row)[ColumnIndex(*decisions, "model_version")],
              Str(v, "model.version"));
    EXPECT_EQ((*row)[ColumnIndex(*decisions, "reasoning")],
              Str(v, "ai_output.reasoning"));
    EXPECT_EQ((*row)[ColumnIndex(*decisions, "seq")],
              std::to_string(generated_seqs_[i]));
    // The printable document carries the same, for the person who asked.
    EXPECT_NE(narrative.find(action_id), std::string::npos) << action_id;
    if (Has(v, "ai_output.reasoning")) {
      EXPECT_NE(narrative.find(Collapse(Str(v, "ai_output.reasoning"))),
                std::string::npos)
          << action_id;
      own_reasoning.insert(Str(v, "ai_output.reasoning"));
    }
    if (Has(v, "model.version")) {
      EXPECT_NE(narrative.find("version " + Str(v, "model.version")),
                std::string::npos);
    } else {
      EXPECT_NE(narrative.find("version not recorded"), std::string::npos);
    }
  }
  // Nothing about anyone else: no other record's action id or reasoning.
  for (size_t i = 0; i < generated_.size(); ++i) {
    const json::Value& v = generated_[i];
    if (Has(v, "subject.id") && Str(v, "subject.type") == type &&
        Str(v, "subject.id") == id) {
      continue;
    }
    EXPECT_EQ(json.find(Str(v, "action_id")), std::string::npos);
    EXPECT_EQ(r.narrative.find(Str(v, "action_id")), std::string::npos);
    const std::string reasoning = Str(v, "ai_output.reasoning");
    if (!reasoning.empty() && !own_reasoning.count(reasoning)) {
      EXPECT_EQ(narrative.find(Collapse(reasoning)), std::string::npos);
    }
  }
}

// --- incident ---------------------------------------------------------------

TEST_F(ReportTest, IncidentTotalsSubjectsAndDeadline) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(700, 9, 0.05));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r =
      Run("incident",
          {{"system", "stripe"}, {"discovered-at", "2026-02-27T23:30:00Z"}});
  // 72 hours after 23:30 on 27 February 2026 (not a leap year).
  EXPECT_EQ(SummaryValue(r, "notification_deadline"), "2026-03-02T23:30:00Z");

  uint64_t affected = 0;
  std::set<std::pair<std::string, std::string>> subjects;
  std::map<std::string, int64_t> cents;
  UtcTime first{INT64_MAX, 0}, last{INT64_MIN, 0};
  for (const json::Value& v : generated_) {
    if (Str(v, "action.system") != "stripe") continue;
    ++affected;
    if (Has(v, "subject.id")) {
      subjects.insert({Str(v, "subject.type"), Str(v, "subject.id")});
    }
    if (Has(v, "action.amount.value")) {
      cents[Str(v, "action.amount.currency")] +=
          TextToCents(Str(v, "action.amount.value"));
    }
    Result<UtcTime> t = ParseRfc3339Utc(Str(v, "context.occurred_at"));
    ASSERT_TRUE(t.ok());
    first = std::min(first, *t);
    last = std::max(last, *t);
  }
  ASSERT_GT(affected, 10u);
  EXPECT_EQ(SummaryValue(r, "affected_actions"), std::to_string(affected));
  EXPECT_EQ(SummaryValue(r, "affected_subjects"),
            std::to_string(subjects.size()));
  EXPECT_EQ(SummaryValue(r, "affected_systems"), "1");
  Result<UtcTime> f = ParseRfc3339Utc(SummaryValue(r, "first_occurrence"));
  Result<UtcTime> l = ParseRfc3339Utc(SummaryValue(r, "last_occurrence"));
  ASSERT_TRUE(f.ok() && l.ok());
  EXPECT_EQ(*f, first);
  EXPECT_EQ(*l, last);
  const Section* totals = FindSection(r, "totals_by_currency");
  ASSERT_NE(totals, nullptr);
  ASSERT_EQ(totals->rows.size(), cents.size());
  for (const auto& row : totals->rows) {
    EXPECT_EQ(row[2], CentsToText(cents.at(row[0]))) << row[0];
  }
  const Section* subj = FindSection(r, "subjects");
  ASSERT_NE(subj, nullptr);
  EXPECT_EQ(subj->rows.size(), subjects.size());
  // Listed by type, then id: the order of the set built above.
  std::vector<std::pair<std::string, std::string>> listed;
  for (const auto& row : subj->rows) listed.emplace_back(row[0], row[1]);
  const std::vector<std::pair<std::string, std::string>> sorted(
      subjects.begin(), subjects.end());
  EXPECT_EQ(listed, sorted);
  const Section* systems = FindSection(r, "systems");
  ASSERT_NE(systems, nullptr);
  ASSERT_EQ(systems->rows.size(), 1u);
  EXPECT_EQ(systems->rows[0][0], "stripe");
  EXPECT_EQ(systems->rows[0][1], std::to_string(affected));
  EXPECT_EQ(systems->rows[0][2], std::to_string(subjects.size()));
  const Section* actions = FindSection(r, "actions");
  ASSERT_NE(actions, nullptr);
  EXPECT_EQ(actions->rows.size(), affected);
  // In order of occurrence.
  for (size_t i = 1; i < actions->rows.size(); ++i) {
    Result<UtcTime> before = ParseRfc3339Utc(actions->rows[i - 1][0]);
    Result<UtcTime> at = ParseRfc3339Utc(actions->rows[i][0]);
    ASSERT_TRUE(before.ok() && at.ok()) << actions->rows[i][0];
    EXPECT_LE(*before, *at) << "row " << i;
  }
}

// Reports and `query` filter through one translation (index::FilterWhere):
// a type glob and an amount range select the same actions in both, and
// the ones counted here from the generated records.
TEST_F(ReportTest, ReportFiltersSelectWhatQuerySelects) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(900, 17, 0.0));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const std::vector<std::pair<std::string, std::string>> params = {
      {"type", "payment.*"},
      {"min-amount", "100.00"},
      {"max-amount", "500.00"},
      {"discovered-at", "2026-02-27T23:30:00Z"}};
  uint64_t expected = 0;
  for (const json::Value& v : generated_) {
    if (Str(v, "action.type") != "payment.refund") continue;
    if (!Has(v, "action.amount.value")) continue;
    const int64_t cents = TextToCents(Str(v, "action.amount.value"));
    if (cents >= 10000 && cents <= 50000) ++expected;
  }
  ASSERT_GT(expected, 5u);
  const ReportResult r = Run("incident", params);
  EXPECT_EQ(SummaryValue(r, "affected_actions"), std::to_string(expected));

  std::vector<std::pair<std::string, std::string>> query(params.begin(),
                                                         params.end() - 1);
  Result<index::QueryFilter> f = index::ParseQueryFilter(query);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Result<uint64_t> n = index_->Count(*f);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, expected);
}

TEST_F(ReportTest, IncidentCountsEachSystemsDistinctSubjects) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(700, 9, 0.05));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r =
      Run("incident", {{"discovered-at", "2026-02-27T23:30:00Z"}});
  std::map<std::string, uint64_t> actions;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> subjects;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> seen_in;
  for (const json::Value& v : generated_) {
    const std::string system = Str(v, "action.system");
    ++actions[system];
    if (Has(v, "subject.id")) {
      const std::pair<std::string, std::string> subject{Str(v, "subject.type"),
                                                        Str(v, "subject.id")};
      subjects[system].insert(subject);
      seen_in[subject].insert(system);
    }
  }
  // Some subject meets several systems, so a count per system is not the
  // count of its rows' subjects.
  size_t shared = 0;
  for (const auto& [subject, systems] : seen_in) {
    shared += systems.size() > 1 ? 1 : 0;
  }
  ASSERT_GT(shared, 0u);
  const Section* sys = FindSection(r, "systems");
  ASSERT_NE(sys, nullptr);
  ASSERT_EQ(sys->rows.size(), actions.size());
  for (const auto& row : sys->rows) {
    SCOPED_TRACE(row[0]);
    EXPECT_EQ(row[1], std::to_string(actions.at(row[0])));
    EXPECT_EQ(row[2], std::to_string(subjects[row[0]].size()));
  }
  EXPECT_EQ(SummaryValue(r, "affected_subjects"),
            std::to_string(seen_in.size()));
}

TEST_F(ReportTest, IncidentDeadlineIsDiscoveryPlusExactly72Hours) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(20, 1, 0));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  for (const char* t : {"2026-11-28T09:15:00Z", "2026-12-30T18:00:00.250Z",
                        "2028-02-28T01:02:03Z"}) {
    const ReportResult r = Run("incident", {{"discovered-at", t}});
    Result<UtcTime> discovered = ParseRfc3339Utc(t);
    Result<UtcTime> deadline =
        ParseRfc3339Utc(SummaryValue(r, "notification_deadline"));
    ASSERT_TRUE(discovered.ok() && deadline.ok()) << t;
    EXPECT_EQ(deadline->seconds - discovered->seconds, 72 * 3600) << t;
    EXPECT_EQ(deadline->nanos, discovered->nanos) << t;
  }
  // Across a leap day, by the calendar.
  EXPECT_EQ(
      SummaryValue(Run("incident", {{"discovered-at", "2028-02-28T01:02:03Z"}}),
                   "notification_deadline"),
      "2028-03-02T01:02:03Z");
}

// --- the same answers after a rebuild ----------------------------------------

TEST_F(ReportTest, EveryReportIsIdenticalAfterAnIndexRebuild) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(400, 17, 0.2));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const json::Value& first = generated_[0];
  const std::string subject =
      Str(first, "subject.type") + ":" + Str(first, "subject.id");
  const UtcTime now = NowUtc();
  auto all = [&] {
    std::vector<std::string> out;
    for (const std::string& name : report::ReportNames()) {
      std::vector<std::pair<std::string, std::string>> params;
      if (name == "subject") params.push_back({"subject", subject});
      if (name == "incident") {
        params.push_back({"discovered-at", "2026-11-28T09:00:00Z"});
      }
      out.push_back(report::RenderJson(Run(name, params, now)));
    }
    return out;
  };
  const std::vector<std::string> before = all();
  ASSERT_TRUE(index_->Rebuild(*ledger_, {}).ok());
  EXPECT_EQ(all(), before) << "after Rebuild";
  index_.reset();
  std::filesystem::remove(dir_ + "/index.db");
  std::filesystem::remove(dir_ + "/index.db-wal");
  std::filesystem::remove(dir_ + "/index.db-shm");
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  EXPECT_EQ(all(), before) << "after deleting index.db";
}

// --- JSON shape
// ---------------------------------------------------------------

TEST_F(ReportTest, JsonHasSummaryAndSectionsWithTypedCells) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(150, 2, 0.2));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const std::string subject = Str(generated_[0], "subject.type") + ":" +
                              Str(generated_[0], "subject.id");
  for (const std::string& name : report::ReportNames()) {
    std::vector<std::pair<std::string, std::string>> params;
    if (name == "subject") params.push_back({"subject", subject});
    if (name == "incident") {
      params.push_back({"discovered-at", "2026-11-28T09:00:00Z"});
    }
    const ReportResult r = Run(name, params);
    Result<json::Value> v = json::Parse(report::RenderJson(r));
    ASSERT_TRUE(v.ok()) << name << ": " << v.status().ToString();
    EXPECT_EQ(Str(*v, "report"), name);
    ASSERT_NE(v->Find("summary"), nullptr);
    ASSERT_TRUE(v->Find("summary")->is_object()) << name;
    EXPECT_EQ(v->Find("summary")->as_object().size(), r.summary.size());
    const json::Value* sections = v->Find("sections");
    ASSERT_TRUE(sections != nullptr && sections->is_array()) << name;
    ASSERT_EQ(sections->as_array().size(), r.sections.size());
    for (size_t s = 0; s < r.sections.size(); ++s) {
      const json::Value& js = sections->as_array()[s];
      const Section& sec = r.sections[s];
      EXPECT_EQ(Str(js, "name"), sec.name);
      const json::Value* cols = js.Find("columns");
      ASSERT_TRUE(cols != nullptr && cols->is_array());
      ASSERT_EQ(cols->as_array().size(), sec.columns.size());
      const json::Value* rows = js.Find("rows");
      ASSERT_TRUE(rows != nullptr && rows->is_array());
      ASSERT_EQ(rows->as_array().size(), sec.rows.size()) << name;
      for (size_t i = 0; i < sec.rows.size(); ++i) {
        const json::Value& row = rows->as_array()[i];
        ASSERT_TRUE(row.is_object());
        ASSERT_EQ(row.as_object().size(), sec.columns.size());
        for (size_t c = 0; c < sec.columns.size(); ++c) {
          const json::Value* cell = row.Find(sec.columns[c].name);
          ASSERT_NE(cell, nullptr) << sec.columns[c].name;
          const std::string& text = sec.rows[i][c];
          switch (sec.columns[c].type) {
            case report::CellType::kInteger:
            case report::CellType::kRatio:
              if (text.empty()) {
                EXPECT_TRUE(cell->is_null());
              } else {
                ASSERT_TRUE(cell->is_number()) << sec.columns[c].name;
                EXPECT_NEAR(cell->as_number(), std::stod(text), 1e-9);
              }
              break;
            case report::CellType::kMoney:
              if (!text.empty()) {
                ASSERT_TRUE(cell->is_string());
                EXPECT_EQ(cell->as_string(), text);
              }
              break;
            case report::CellType::kText:
              ASSERT_TRUE(cell->is_string());
              EXPECT_EQ(cell->as_string(), text);
              break;
          }
        }
      }
    }
    if (name == "subject") {
      EXPECT_EQ(Str(*v, "narrative"), r.narrative);
      EXPECT_FALSE(r.narrative.empty());
    }
  }
}

// --- bad options
// --------------------------------------------------------------

TEST_F(ReportTest, BadOptionsAreRejectedNamingTheOption) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(5, 1, 0));
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  struct Case {
    std::string report;
    std::vector<std::pair<std::string, std::string>> params;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"approvals", {{"period", "year"}}, "period"},
      {"approvals", {{"period", "day"}, {"period", "week"}}, "period"},
      {"violations", {{"stale-after", "soon"}}, "stale-after"},
      {"violations", {{"stale-after", "-5h"}}, "stale-after"},
      {"incident", {{"discovered-at", "2026-11-28 09:00"}}, "discovered-at"},
      {"incident",
       {{"discovered-at", "2026-11-28T09:00:00+01:00"}},
       "discovered-at"},
      {"incident", {}, "discovered-at"},
      {"subject", {}, "subject"},
      {"subject", {{"subject", "no-colon"}}, "subject"},
      {"completeness", {{"limit", "10"}}, "limit"},
      {"completeness", {{"cursor", "abc"}}, "cursor"},
      {"completeness", {{"kind", "action"}}, "kind"},
      {"completeness", {{"colour", "red"}}, "colour"},
      {"completeness", {{"from", "yesterday"}}, "from"},
      {"completeness", {{"min-amount", "1e3"}}, "min-amount"},
      {"nosuch", {}, "name"},
  };
  for (const Case& c : cases) {
    Result<report::ReportResult> r = Try(c.report, c.params);
    ASSERT_FALSE(r.ok()) << c.report << " " << c.field;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument)
        << r.status().ToString();
    EXPECT_EQ(r.status().field(), c.field) << r.status().ToString();
  }
}

// --- the gate's lifecycle: approvals and violations --------------------------

constexpr char kAdmin[] = "local:admin";
constexpr char kAgent[] = "local:agent";
constexpr char kAlice[] = "alice@example.com";

constexpr char kPolicy[] = R"yaml(
policy: report-test
version: "rt-1"
defaults: { tier: human_approval, approval_ttl: 24h, approver_roles: [ops-lead] }
classes:
  - name: communication
    match: ["email.send"]
    tier: human_approval
    approver_roles: [support-lead]
  - name: deletion
    match: ["*.delete"]
    tier: human_approval
    approver_roles: [support-lead]
  - name: refunds
    match: ["payment.refund"]
    tier: threshold
    approver_roles: [support-lead]
  - name: internal
    match: ["task.create"]
    tier: log_only
rules:
  - id: T-SMALL
    description: small refunds
    applies_to: ["payment.refund"]
    when: 'action.amount.value < 100'
    decision: auto_approve
    owner: Finance
    approved_by: cfo@example.com
    approved_at: 2026-01-01
    review_every: 5y
    last_reviewed: 2026-01-01
  - id: D-BIG
    description: refunds over 1000 are never issued
    applies_to: ["payment.refund"]
    when: 'action.amount.value > 1000'
    decision: deny
    owner: Finance
    approved_by: cfo@example.com
  - id: R-OLD
    description: stage updates go to a person
    applies_to: ["crm.stage.update"]
    decision: require_human
    owner: Sales
    approved_by: vp@example.com
    approved_at: 2019-06-01
    review_every: 90d
    last_reviewed: 2020-01-01
)yaml";

std::string Proposal(const std::string& id, const std::string& type,
                     const std::string& amount = "") {
  std::string action =
      R"({"type":")" + type + R"(","system":"stripe","target":"t-)" + id + "\"";
  if (!amount.empty()) {
    action += R"(,"amount":{"value":")" + amount + R"(","currency":"USD"})";
  }
  action += "}";
  return R"({"action_id":")" + id +
         R"(","trigger":{"type":"event","source":"test"},)"
         R"("model":{"provider":"acme","name":"m","version":"1",)"
         R"("prompt_template":{"id":"p","version":"1"}},)"
         R"("ai_output":{"decision":"do it","reasoning":"because",)"
         R"("confidence":0.9},"action":)" +
         action +
         R"(,"context":{"occurred_at":"2026-11-28T10:00:00Z",)"
         R"("environment":"production","job_id":"j","app_version":"1"},)"
         R"("subject":{"type":"customer","id":"c-)" +
         id + R"("}})";
}

ValidatedRecord Validated(const std::string& text, bool proposal) {
  ValidationOptions vo;
  vo.proposal = proposal;
  Result<ValidatedRecord> r = ValidateRecord(text, vo);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in " << text;
  return r.ok() ? *std::move(r) : ValidatedRecord();
}

class LifecycleTest : public ReportFixture {
 protected:
  void SetUp() override {
    ReportFixture::SetUp();
    if (HasFatalFailure()) return;
    Result<std::unique_ptr<gate::Gate>> g = gate::Gate::Open(ledger_.get());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gate_ = std::move(*g);
    ASSERT_TRUE(gate_->Bootstrap(kAdmin).ok());
    ASSERT_TRUE(gate_->Grant(kAdmin, kAlice, "support-lead").ok());
    Result<uint64_t> p = gate_->ActivatePolicy(kAdmin, kPolicy, "test.yaml");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
  }
  void TearDown() override {
    gate_.reset();
    ReportFixture::TearDown();
  }

  std::string Propose(const std::string& id, const std::string& type,
                      const std::string& amount = "") {
    Result<gate::GateDecision> d =
        gate_->Propose(kAgent, Validated(Proposal(id, type, amount), true));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? d->decision : "";
  }
  std::optional<std::string> Outcome(const std::string& id) {
    Result<gate::OutcomeReceipt> r = gate_->RecordOutcome(
        kAgent,
        Validated(R"({"kind":"outcome","action_id":")" + id +
                      R"(","outcome":{"status":"success","confirmed_at":)"
                      R"("2026-11-28T10:05:00Z"}})",
                  false));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->violation : std::nullopt;
  }
  // An after-the-fact `action` record (all seven fields).
  void AppendAction(const std::string& id, const std::string& type,
                    const std::string& approval) {
    std::string text = Proposal(id, type);
    text.pop_back();
    text +=
        R"(,"approval":)" + approval + R"(,"outcome":{"status":"success"}})";
    std::vector<AppendRequest> batch;
    batch.push_back(Ledger::Prepare(Validated(text, false)));
    ASSERT_TRUE(ledger_->Append(std::move(batch), kAgent).ok());
  }

  // Drives one of each: auto-approved, human-approved, rejected, expired
  // (with an outcome anyway), denied, allowed without approval and never
  // executed, an orphan outcome, and after-the-fact action records.
  void DriveLifecycles() {
    ASSERT_EQ(Propose("p-auto", "payment.refund", "50.00"), "allow");
    ASSERT_EQ(Outcome("p-auto"), std::nullopt);
    ASSERT_EQ(Propose("p-human", "email.send"), "pending_approval");
    ASSERT_TRUE(gate_->Decide(kAlice, "p-human", true, "fine").ok());
    ASSERT_EQ(Outcome("p-human"), std::nullopt);
    ASSERT_EQ(Propose("p-reject", "email.send"), "pending_approval");
    ASSERT_TRUE(gate_->Decide(kAlice, "p-reject", false, "wrong tone").ok());
    ASSERT_EQ(Propose("p-expire", "record.delete"), "pending_approval");
    ASSERT_NE(Outcome("p-expire"), std::nullopt) << "the gate flags it";
    ASSERT_EQ(Propose("p-deny", "payment.refund", "5000.00"), "deny");
    ASSERT_EQ(Propose("p-log", "task.create"), "allow");
    ASSERT_NE(Outcome("ghost-1"), std::nullopt);
    // Human tier, but the record says a rule approved it: a violation.
    ASSERT_NO_FATAL_FAILURE(
        AppendAction("a-email", "email.send",
                     R"({"mode":"rule","rule":{"id":"X-1","version":"1"}})"));
    // Log-only tier without approval: fine.
    ASSERT_NO_FATAL_FAILURE(
        AppendAction("a-task", "task.create", R"({"mode":"none"})"));
    // Human tier, approved by a person: fine.
    ASSERT_NO_FATAL_FAILURE(AppendAction(
        "a-delete", "record.delete",
        R"({"mode":"human","approver":{"id":"bob","role":"data-owner"},)"
        R"("decided_at":"2026-11-28T09:59:00Z"})"));
  }

  std::unique_ptr<gate::Gate> gate_;
};

TEST_F(LifecycleTest, ApprovalsCountEachWayAnApprovalEnds) {
  ASSERT_NO_FATAL_FAILURE(DriveLifecycles());
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  // A day later the pending deletion's approval request (24h) has expired.
  const UtcTime later{NowUtc().seconds + 25 * 3600, 0};
  const ReportResult r = Run("approvals", {}, later);
  EXPECT_EQ(SummaryValue(r, "actions"), "9");         // ghost-1 has no proposal
  EXPECT_EQ(SummaryValue(r, "auto_approved"), "2");   // p-auto, a-email
  EXPECT_EQ(SummaryValue(r, "human_approved"), "2");  // p-human, a-delete
  EXPECT_EQ(SummaryValue(r, "rejected"), "1");
  EXPECT_EQ(SummaryValue(r, "expired"), "1");
  EXPECT_EQ(SummaryValue(r, "denied"), "1");
  EXPECT_EQ(SummaryValue(r, "pending"), "0");
  EXPECT_EQ(SummaryValue(r, "no_approval"), "2");  // p-log, a-task
  // Now (not a day later) the deletion is still pending.
  const ReportResult now = Run("approvals");
  EXPECT_EQ(SummaryValue(now, "expired"), "0");
  EXPECT_EQ(SummaryValue(now, "pending"), "1");

  const Section* by_rule = FindSection(r, "by_rule");
  ASSERT_NE(by_rule, nullptr);
  bool saw_small = false, saw_big = false;
  for (const auto& row : by_rule->rows) {
    if (row[1] == "T-SMALL") {
      saw_small = true;
      EXPECT_EQ(row[ColumnIndex(*by_rule, "auto_approved")], "1");
    }
    if (row[1] == "D-BIG") {
      saw_big = true;
      EXPECT_EQ(row[ColumnIndex(*by_rule, "denied")], "1");
    }
  }
  EXPECT_TRUE(saw_small && saw_big);
  const Section* whom = FindSection(r, "by_approver");
  ASSERT_NE(whom, nullptr);
  uint64_t alice_approved = 0, alice_rejected = 0, bob = 0;
  for (const auto& row : whom->rows) {
    if (row[2] == kAlice) {
      alice_approved += std::stoull(row[4]);
      alice_rejected += std::stoull(row[5]);
      EXPECT_EQ(row[3], "support-lead");
    }
    if (row[2] == "bob") bob += std::stoull(row[4]);
  }
  EXPECT_EQ(alice_approved, 1u);
  EXPECT_EQ(alice_rejected, 1u);
  EXPECT_EQ(bob, 1u);
}

TEST_F(LifecycleTest, ViolationsFindEachKindConstructed) {
  ASSERT_NO_FATAL_FAILURE(DriveLifecycles());
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const UtcTime later{NowUtc().seconds + 25 * 3600, 0};
  const ReportResult r = Run("violations", {}, later);
  const Section* v = FindSection(r, "violations");
  ASSERT_NE(v, nullptr);
  std::multimap<std::string, std::string> found;  // kind -> action or rule
  for (const auto& row : v->rows) {
    const std::string& kind = row[ColumnIndex(*v, "kind")];
    found.emplace(kind, kind.rfind("rule_", 0) == 0
                            ? row[ColumnIndex(*v, "rule_id")]
                            : row[ColumnIndex(*v, "action_id")]);
  }
  auto ids = [&](const std::string& kind) {
    std::set<std::string> out;
    auto [b, e] = found.equal_range(kind);
    for (auto it = b; it != e; ++it) out.insert(it->second);
    return out;
  };
  EXPECT_EQ(ids("executed_without_approval"),
            (std::set<std::string>{"p-expire", "a-email"}));
  EXPECT_EQ(ids("outcome_without_proposal"),
            (std::set<std::string>{"ghost-1"}));
  EXPECT_EQ(ids("proposal_without_outcome"), (std::set<std::string>{"p-log"}));
  EXPECT_EQ(ids("rule_review_overdue"), (std::set<std::string>{"R-OLD"}));
  EXPECT_EQ(ids("rule_review_missing"), (std::set<std::string>{"D-BIG"}));
  EXPECT_EQ(SummaryValue(r, "violations"), std::to_string(v->rows.size()));

  // Within the 24h default nothing is stale yet; a shorter --stale-after
  // finds it.
  const ReportResult soon = Run("violations");
  EXPECT_EQ(SummaryValue(soon, "proposal_without_outcome"), "0");
  const UtcTime two_hours{NowUtc().seconds + 2 * 3600, 0};
  const ReportResult short_deadline =
      Run("violations", {{"stale-after", "1h"}}, two_hours);
  EXPECT_EQ(SummaryValue(short_deadline, "proposal_without_outcome"), "1");
  // --rule narrows the review findings to that rule.
  const ReportResult one_rule = Run("violations", {{"rule", "T-SMALL"}}, later);
  EXPECT_EQ(SummaryValue(one_rule, "rule_review_overdue"), "0");
  EXPECT_EQ(SummaryValue(one_rule, "rule_review_missing"), "0");
}

TEST_F(LifecycleTest, SubjectReportShowsHumanReviewAndOutcome) {
  ASSERT_NO_FATAL_FAILURE(DriveLifecycles());
  ASSERT_NO_FATAL_FAILURE(CatchUpIndex());
  const ReportResult r = Run("subject", {{"subject", "customer:c-p-human"}});
  const Section* d = FindSection(r, "decisions");
  ASSERT_NE(d, nullptr);
  ASSERT_EQ(d->rows.size(), 1u);
  const std::string review = d->rows[0][ColumnIndex(*d, "human_review")];
  EXPECT_NE(review.find(std::string("approved by ") + kAlice),
            std::string::npos)
      << review;
  EXPECT_NE(review.find("fine"), std::string::npos) << review;
  EXPECT_EQ(d->rows[0][ColumnIndex(*d, "outcome")].rfind("success", 0), 0u);
  EXPECT_NE(r.narrative.find("Human review: approved by"), std::string::npos);

  const ReportResult auto_r =
      Run("subject", {{"subject", "customer:c-p-auto"}});
  const Section* a = FindSection(auto_r, "decisions");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->rows.size(), 1u);
  EXPECT_NE(a->rows[0][ColumnIndex(*a, "human_review")].find("rule T-SMALL"),
            std::string::npos);
}

}  // namespace
}  // namespace actledger::report_testing
