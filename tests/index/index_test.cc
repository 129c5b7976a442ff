// The query index against a real ledger: every filter selects exactly the
// records an independent scan of the stored JSON says it should; paging,
// counting, catching up, rebuilding and the merged `actions` rows.
#include "index/index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actledger/json.h"
#include "actledger/ledger.h"
#include "actledger/record.h"
#include "common/time.h"
#include "gate/gate.h"
#include "gen/generator.h"

namespace actledger::index {
namespace {

using json::Value;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr char kAdmin[] = "local:admin";
constexpr char kAgent[] = "agent:refund-bot";
constexpr char kFinance[] = "user:fiona";

// --- Independent reference: plain code over the parsed stored records ----

std::optional<std::string> Text(const Value& rec, std::string_view path) {
  const Value* v = rec.FindPath(path);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::string Kind(const Value& rec) { return *Text(rec, "kind"); }

// The policy's action-type glob, written out independently: `*` is one or
// more whole dotted segments.
bool GlobMatch(const std::vector<std::string>& pat, size_t p,
               const std::vector<std::string>& segs, size_t s) {
  if (p == pat.size()) return s == segs.size();
  if (pat[p] == "*") {
    for (size_t take = 1; s + take <= segs.size(); ++take) {
      if (GlobMatch(pat, p + 1, segs, s + take)) return true;
    }
    return false;
  }
  return s < segs.size() && pat[p] == segs[s] &&
         GlobMatch(pat, p + 1, segs, s + 1);
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

bool TypeMatches(const std::string& pattern, const Value& rec) {
  std::optional<std::string> t = Text(rec, "action.type");
  return t.has_value() && GlobMatch(Split(pattern), 0, Split(*t), 0);
}

// Compares decimal texts exactly: normalize, then compare digit strings.
int DecimalCompare(const std::string& a, const std::string& b) {
  auto norm = [](std::string s, bool* neg, std::string* ip, std::string* fp) {
    *neg = !s.empty() && s[0] == '-';
    if (*neg) s.erase(0, 1);
    size_t dot = s.find('.');
    *ip = s.substr(0, dot);
    *fp = dot == std::string::npos ? "" : s.substr(dot + 1);
    while (!ip->empty() && (*ip)[0] == '0') ip->erase(0, 1);
    while (!fp->empty() && fp->back() == '0') fp->pop_back();
    if (ip->empty() && fp->empty()) *neg = false;
  };
  bool na, nb;
  std::string ia, fa, ib, fb;
  norm(a, &na, &ia, &fa);
  norm(b, &nb, &ib, &fb);
  if (na != nb) return na ? -1 : 1;
  int mag;
  if (ia.size() != ib.size()) {
    mag = ia.size() < ib.size() ? -1 : 1;
  } else if (ia != ib) {
    mag = ia < ib ? -1 : 1;
  } else {
    const size_t n = std::max(fa.size(), fb.size());
    fa.resize(n, '0');
    fb.resize(n, '0');
    mag = fa == fb ? 0 : fa < fb ? -1 : 1;
  }
  return na ? -mag : mag;
}

// approval_mode as docs/INDEX.md defines it.
std::optional<std::string> ApprovalMode(const Value& rec) {
  const std::string kind = Kind(rec);
  if (kind == "approval") return "human";
  if (kind == "proposal") {
    std::optional<std::string> d = Text(rec, "gate.decision");
    if (d == "allow") return Text(rec, "gate.rule.id") ? "rule" : "none";
    if (d == "pending_approval") return "human";
    if (d == "deny") return "none";
    return std::nullopt;
  }
  return Text(rec, "approval.mode");
}

std::optional<std::string> RuleId(const Value& rec) {
  if (Kind(rec) == "proposal") return Text(rec, "gate.rule.id");
  if (Kind(rec) == "approval") return std::nullopt;
  return Text(rec, "approval.rule.id");
}

std::optional<std::string> Approver(const Value& rec) {
  std::optional<std::string> a = Text(rec, "approval.approver.id");
  if (!a && Kind(rec) == "approval") return Text(rec, "recorded_by");
  return Kind(rec) == "proposal" ? std::nullopt : a;
}

UtcTime RecordedAt(const Value& rec) {
  return *ParseRfc3339Utc(*Text(rec, "recorded_at"));
}

// --- Fixture ---------------------------------------------------------------

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ValidatedRecord Validated(std::string_view text, bool proposal = false) {
  ValidationOptions vo;
  vo.proposal = proposal;
  Result<ValidatedRecord> r = ValidateRecord(text, vo);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in: " << text;
  return r.ok() ? *std::move(r) : ValidatedRecord();
}

std::string ProposalJson(const std::string& id, const std::string& type,
                         const std::string& amount) {
  return R"({"action_id":")" + id +
         R"(","trigger":{"type":"user_instruction","source":"zendesk"},)"
         R"("model":{"provider":"acme","name":"m","version":"7",)"
         R"("prompt_template":{"id":"refund","version":"3"}},)"
         R"("ai_output":{"decision":"refund","reasoning":"duplicate",)"
         R"("confidence":0.9},"action":{"type":")" +
         type + R"(","system":"stripe","target":"ch_1","amount":{"value":")" +
         amount +
         R"(","currency":"USD"}},"context":{"occurred_at":)"
         R"("2026-11-28T12:00:00Z","environment":"prod","job_id":"gate-job",)"
         R"("app_version":"1.0"},"subject":{"type":"customer","id":"cg-)" +
         id + R"(","attributes":{"account_age_days":400}}})";
}

// An action record with a chosen amount and nothing else of interest.
std::string AmountRecordJson(const std::string& id, const std::string& value,
                             const std::string& currency) {
  return R"({"action_id":")" + id +
         R"(","action":{"type":"payment.payout","system":"bank",)"
         R"("target":"t","amount":{"value":")" +
         value + R"(","currency":")" + currency +
         R"("}},"approval":{"mode":"none"},"outcome":{"status":"pending"}})";
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string templ =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
        "/actledger-index-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    tmp_ = templ;
    dir_ = tmp_ + "/data";
    InitOptions init;
    init.origin = "example.com/index-test";
    ASSERT_TRUE(Ledger::Init(dir_, init).ok());
    Result<LedgerOptions> options = Ledger::ConfiguredOptions(dir_);
    ASSERT_TRUE(options.ok());
    Result<std::unique_ptr<Ledger>> l = Ledger::Open(dir_, *options);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }
  void TearDown() override {
    index_.reset();
    gate_.reset();
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  void AppendGenerated(uint64_t seed, int n) {
    gen::Generator g({.seed = seed, .incomplete_fraction = 0.2});
    std::vector<AppendRequest> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back(Ledger::Prepare(Validated(g.NextLine())));
    }
    Result<std::vector<Receipt>> r =
        ledger_->Append(std::move(batch), "local:t");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void AppendJson(const std::string& line) {
    std::vector<AppendRequest> batch;
    batch.push_back(Ledger::Prepare(Validated(line)));
    Result<std::vector<Receipt>> r =
        ledger_->Append(std::move(batch), "local:t");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // Proposals, approvals, rejections and outcomes through the real gate.
  void AppendGateFlows() {
    Result<std::unique_ptr<gate::Gate>> g = gate::Gate::Open(ledger_.get());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    gate_ = std::move(*g);
    ASSERT_TRUE(gate_->Bootstrap(kAdmin).ok());
    ASSERT_TRUE(gate_->Grant(kAdmin, kFinance, "finance-ops").ok());
    ASSERT_TRUE(gate_
                    ->ActivatePolicy(kAdmin,
                                     ReadFileBytes(ACTLEDGER_SOURCE_DIR
                                                   "/examples/policy.yaml"),
                                     "examples/policy.yaml")
                    .ok());
    // Small refunds auto-approve by rule; large ones wait for a person.
    const std::vector<std::pair<std::string, std::string>> props = {
        {"g-small", "40.00"},
        {"g-big-ok", "900.00"},
        {"g-big-no", "950.00"},
        {"g-big-open", "990.00"}};
    for (const auto& [id, amount] : props) {
      Result<gate::GateDecision> d = gate_->Propose(
          kAgent, Validated(ProposalJson(id, "payment.refund", amount), true));
      ASSERT_TRUE(d.ok()) << d.status().ToString();
      decisions_[id] = d->decision;
    }
    ASSERT_TRUE(gate_->Decide(kFinance, "g-big-ok", true, "checked").ok());
    ASSERT_TRUE(gate_->Decide(kFinance, "g-big-no", false, "fraud").ok());
    for (const char* id : {"g-small", "g-big-ok", "g-big-open"}) {
      Result<gate::OutcomeReceipt> o = gate_->RecordOutcome(
          kAgent, Validated(std::string(R"({"kind":"outcome","action_id":")") +
                            id + R"(","outcome":{"status":"success"}})"));
      ASSERT_TRUE(o.ok()) << o.status().ToString();
    }
  }

  void OpenIndex() {
    Result<std::unique_ptr<Index>> idx = Index::Open(dir_);
    ASSERT_TRUE(idx.ok()) << idx.status().ToString();
    index_ = std::move(*idx);
    ASSERT_TRUE(index_->CatchUp(*ledger_, nullptr).ok());
  }

  std::vector<Value> Stored() {
    std::vector<Value> out;
    for (uint64_t s = 0; s < ledger_->size(); ++s) {
      Result<std::string> b = ledger_->Get(s);
      EXPECT_TRUE(b.ok());
      Result<Value> v = json::Parse(*b);
      EXPECT_TRUE(v.ok());
      out.push_back(*std::move(v));
    }
    return out;
  }

  std::vector<uint64_t> Expected(const std::function<bool(const Value&)>& p) {
    std::vector<uint64_t> out;
    std::vector<Value> recs = Stored();
    for (uint64_t s = 0; s < recs.size(); ++s) {
      if (p(recs[s])) out.push_back(s);
    }
    return out;
  }

  // Every page of the query, concatenated; checks paging invariants.
  std::vector<uint64_t> QueryAll(Params params, uint32_t limit = 37) {
    params.emplace_back("limit", std::to_string(limit));
    std::vector<uint64_t> out;
    std::string cursor;
    for (int pages = 0; pages < 100000; ++pages) {
      Params p = params;
      if (!cursor.empty()) p.emplace_back("cursor", cursor);
      Result<QueryFilter> f = ParseQueryFilter(p);
      EXPECT_TRUE(f.ok()) << f.status().ToString();
      if (!f.ok()) return {};
      Result<QueryPage> page = index_->Query(*f);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return {};
      EXPECT_LE(page->records.size(), limit);
      for (const IndexedRecord& r : page->records) out.push_back(r.seq);
      if (page->next_cursor.empty()) break;
      EXPECT_EQ(page->records.size(), limit) << "a short page has a cursor";
      cursor = page->next_cursor;
    }
    Params count_params(params.begin(), params.end() - 1);
    Result<QueryFilter> f = ParseQueryFilter(count_params);
    EXPECT_TRUE(f.ok());
    Result<uint64_t> n = index_->Count(*f);
    EXPECT_TRUE(n.ok());
    EXPECT_EQ(*n, out.size()) << "Count disagrees with the pages";
    return out;
  }

  // Every row of `table`, rendered, in key order.
  std::vector<std::string> Dump(const char* sql) {
    std::vector<std::string> rows;
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(index_->db(), sql, -1, &s, nullptr),
              SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* t = sqlite3_column_text(s, c);
        row += t == nullptr ? "NULL" : reinterpret_cast<const char*>(t);
        row += "|";
      }
      rows.push_back(row);
    }
    sqlite3_finalize(s);
    return rows;
  }

  std::string tmp_, dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<gate::Gate> gate_;
  std::unique_ptr<Index> index_;
  std::map<std::string, std::string> decisions_;
};

// A realistic mix: generated action records, gate flows, odd amounts.
class PopulatedIndexTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(AppendGenerated(7, 400));
    ASSERT_NO_FATAL_FAILURE(AppendGateFlows());
    for (const auto& [id, value, cur] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
             {"amt-1", "100", "EUR"},
             {"amt-2", "100.000000", "EUR"},
             {"amt-3", "99.9999999", "EUR"},
             {"amt-4", "100.0000001", "EUR"},
             {"amt-5", "-5.50", "EUR"},
             {"amt-6", "123456789012345678901234.5", "EUR"},
             {"amt-7", "0.000001", "EUR"}}) {
      ASSERT_NO_FATAL_FAILURE(AppendJson(AmountRecordJson(id, value, cur)));
    }
    ASSERT_NO_FATAL_FAILURE(AppendGenerated(8, 100));
    ASSERT_NO_FATAL_FAILURE(OpenIndex());
    records_ = Stored();
  }

  // A value of `path` from the stored record `n` records after the first
  // that has one.
  std::string Pick(std::string_view path, size_t n = 0) {
    for (const Value& r : records_) {
      if (Text(r, path) && n-- == 0) return *Text(r, path);
    }
    ADD_FAILURE() << "no record has " << path;
    return "";
  }

  std::vector<Value> records_;
};

TEST_F(PopulatedIndexTest, EveryFilterMatchesAnIndependentScan) {
  struct Case {
    Params params;
    std::function<bool(const Value&)> expect;
  };
  const std::string subject_type = Pick("subject.type", 5);
  const std::string subject_id = Pick("subject.id", 5);
  const std::string job = Pick("context.job_id", 17);
  const std::string model = Pick("model.name", 3);
  const std::string model_version = Pick("model.version", 250);
  const std::string pt_id = Pick("model.prompt_template.id", 9);
  const std::string pt_version = Pick("model.prompt_template.version", 9);
  const std::string system = Pick("action.system", 11);
  const std::string approver = Pick("approval.approver.id", 2);
  const std::string rule = Pick("approval.rule.id", 1);
  const std::string env = Pick("context.environment", 1);
  const std::string action_id = "g-big-ok";
  auto eq = [](const std::string& path, const std::string& want) {
    return [path, want](const Value& r) { return Text(r, path) == want; };
  };
  std::vector<Case> cases = {
      {{{"system", system}}, eq("action.system", system)},
      {{{"subject", subject_type + ":" + subject_id}},
       [&](const Value& r) {
         return Text(r, "subject.type") == subject_type &&
                Text(r, "subject.id") == subject_id;
       }},
      {{{"model", model}}, eq("model.name", model)},
      {{{"model-version", model_version}}, eq("model.version", model_version)},
      {{{"prompt-template", pt_id}}, eq("model.prompt_template.id", pt_id)},
      {{{"prompt-template", pt_id + "@" + pt_version}},
       [&](const Value& r) {
         return Text(r, "model.prompt_template.id") == pt_id &&
                Text(r, "model.prompt_template.version") == pt_version;
       }},
      {{{"approval", "human"}},
       [](const Value& r) { return ApprovalMode(r) == "human"; }},
      {{{"approval", "rule"}},
       [](const Value& r) { return ApprovalMode(r) == "rule"; }},
      {{{"approval", "none"}},
       [](const Value& r) { return ApprovalMode(r) == "none"; }},
      {{{"rule", rule}}, [&](const Value& r) { return RuleId(r) == rule; }},
      {{{"rule", "T-2026-03"}},
       [](const Value& r) { return RuleId(r) == "T-2026-03"; }},
      {{{"approver", approver}},
       [&](const Value& r) { return Approver(r) == approver; }},
      {{{"approver", kFinance}},
       [](const Value& r) { return Approver(r) == kFinance; }},
      {{{"outcome", "success"}}, eq("outcome.status", "success")},
      {{{"outcome", "failure"}}, eq("outcome.status", "failure")},
      {{{"outcome", "pending"}}, eq("outcome.status", "pending")},
      {{{"env", env}}, eq("context.environment", env)},
      {{{"job", job}}, eq("context.job_id", job)},
      {{{"currency", "EUR"}}, eq("action.amount.currency", "EUR")},
      {{{"kind", "approval"}}, eq("kind", "approval")},
      {{{"kind", "proposal"}, {"kind", "outcome"}},
       [](const Value& r) {
         return Kind(r) == "proposal" || Kind(r) == "outcome";
       }},
      {{{"action-id", action_id}}, eq("action_id", action_id)},
      {{{"system", system}, {"outcome", "success"}, {"env", env}},
       [&](const Value& r) {
         return Text(r, "action.system") == system &&
                Text(r, "outcome.status") == "success" &&
                Text(r, "context.environment") == env;
       }},
  };
  for (const Case& c : cases) {
    std::string what;
    for (const auto& [k, v] : c.params) what += k + "=" + v + " ";
    const std::vector<uint64_t> want = Expected(c.expect);
    EXPECT_FALSE(want.empty()) << "test data has no match for " << what;
    EXPECT_EQ(QueryAll(c.params), want) << what;
  }
}

TEST_F(PopulatedIndexTest, TypeGlobsMatchWholeSegments) {
  for (const std::vector<std::string>& types :
       std::vector<std::vector<std::string>>{{"payment.refund"},
                                             {"payment.*"},
                                             {"*.delete"},
                                             {"crm.*"},
                                             {"*"},
                                             {"email.send", "payment.*"},
                                             {"no.such.type"}}) {
    Params params;
    std::string what;
    for (const std::string& t : types) {
      params.emplace_back("type", t);
      what += t + " ";
    }
    const std::vector<uint64_t> want = Expected([&](const Value& r) {
      return std::any_of(types.begin(), types.end(), [&](const std::string& t) {
        return TypeMatches(t, r);
      });
    });
    if (types[0] != "no.such.type") {
      EXPECT_FALSE(want.empty()) << what;
    }
    EXPECT_EQ(QueryAll(params), want) << what;
  }
}

TEST_F(PopulatedIndexTest, AmountRangesCompareExactDecimals) {
  const std::vector<std::pair<std::string, std::string>> ranges = {
      {"100", "100"},        {"99.9999999", "100"},
      {"100.0000001", ""},   {"", "99.99999999"},
      {"-10", "0"},          {"0.000001", "0.000001"},
      {"1e3", ""},           {"50", "500.25"},
      {"1000000000000", ""}, {"0.0000005", "0.0000015"}};
  for (const auto& [lo, hi] : ranges) {
    Params params;
    if (!lo.empty()) params.emplace_back("min-amount", lo);
    if (!hi.empty()) params.emplace_back("max-amount", hi);
    if (lo == "1e3") {
      Result<QueryFilter> f = ParseQueryFilter(params);
      ASSERT_FALSE(f.ok());
      EXPECT_EQ(f.status().field(), "min-amount");
      continue;
    }
    // Named captures: clang 14 cannot capture structured bindings.
    const std::vector<uint64_t> want =
        Expected([&min = lo, &max = hi](const Value& r) {
          std::optional<std::string> v = Text(r, "action.amount.value");
          if (!v) return false;
          return (min.empty() || DecimalCompare(*v, min) >= 0) &&
                 (max.empty() || DecimalCompare(*v, max) <= 0);
        });
    EXPECT_EQ(QueryAll(params), want) << lo << " .. " << hi;
  }
  // "100" and "100.000000" are the same amount; the 7-decimal neighbours
  // are not.
  std::vector<uint64_t> hundred = QueryAll(
      {{"min-amount", "100"}, {"max-amount", "100"}, {"currency", "EUR"}});
  ASSERT_EQ(hundred.size(), 2u);
}

TEST_F(PopulatedIndexTest, TimeRangeIsFromInclusiveToExclusive) {
  // A batch shares one recorded_at: bound the range by distinct stamps.
  std::set<UtcTime> stamps;
  for (const Value& r : records_) stamps.insert(RecordedAt(r));
  ASSERT_GE(stamps.size(), 4u);
  const UtcTime lo = *std::next(stamps.begin());
  const UtcTime hi = *std::prev(stamps.end(), 2);
  const std::string t10 = FormatRfc3339Utc(lo, 6);
  const std::string t200 = FormatRfc3339Utc(hi, 6);
  auto in = [&](UtcTime a, UtcTime b) {
    return Expected([&](const Value& r) {
      UtcTime t = RecordedAt(r);
      return a <= t && t < b;
    });
  };
  std::vector<uint64_t> got = QueryAll({{"from", t10}, {"to", t200}});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got, in(lo, hi));
  EXPECT_EQ(got.front(), Expected([&](const Value& r) {
                           return RecordedAt(r) == lo;
                         }).front());
  // One nanosecond later excludes the records stamped exactly at `lo`.
  UtcTime lo1{lo.seconds, lo.nanos + 1};
  EXPECT_EQ(QueryAll({{"from", FormatRfc3339Utc(lo1, 9)}, {"to", t200}}),
            in(lo1, hi));
  // A bare date is midnight UTC.
  EXPECT_EQ(QueryAll({{"to", "2000-01-01"}}), std::vector<uint64_t>{});
  EXPECT_EQ(QueryAll({{"from", "2000-01-01"}}).size(), records_.size());
}

TEST_F(PopulatedIndexTest, CursorPagesConcatenateToTheWholeResult) {
  const std::vector<uint64_t> all = QueryAll({}, QueryFilter::kMaxLimit);
  ASSERT_EQ(all.size(), records_.size());
  for (uint32_t limit : {1u, 3u, 50u, 511u}) {
    std::vector<uint64_t> paged = QueryAll({}, limit);
    EXPECT_EQ(paged, all) << "limit " << limit;
    std::set<uint64_t> unique(paged.begin(), paged.end());
    EXPECT_EQ(unique.size(), paged.size());
  }
  // A page that ends exactly at the last match has no cursor.
  Result<QueryFilter> f =
      ParseQueryFilter({{"limit", std::to_string(records_.size())}});
  ASSERT_TRUE(f.ok());
  Result<QueryPage> page = index_->Query(*f);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->records.size(), records_.size());
  EXPECT_EQ(page->next_cursor, "");
}

TEST_F(PopulatedIndexTest, RowsCarryTheStoredValues) {
  Result<QueryFilter> f = ParseQueryFilter({{"action-id", "amt-3"}});
  ASSERT_TRUE(f.ok());
  Result<QueryPage> page = index_->Query(*f);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->records.size(), 1u);
  const IndexedRecord& r = page->records[0];
  const Value& stored = records_[r.seq];
  EXPECT_EQ(r.amount_value, "99.9999999");
  EXPECT_EQ(r.amount_micros, std::nullopt) << "7 decimals are not micros";
  EXPECT_EQ(r.recorded_at, *Text(stored, "recorded_at"));
  EXPECT_EQ(r.leaf_bytes, ledger_->Get(r.seq)->size());
  EXPECT_EQ(r.present, kHasAction | kHasApproval | kHasOutcome);

  f = ParseQueryFilter({{"action-id", "amt-5"}});
  page = index_->Query(*f);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].amount_micros, -5500000);

  // A complete generated record has every present bit.
  for (const Value& rec : records_) {
    if (Kind(rec) != "action" || !rec.Find("trigger") ||
        !Text(rec, "model.version") || !rec.FindPath("ai_output.reasoning") ||
        !Text(rec, "approval.approver.id") ||
        !rec.FindPath("outcome.confirmed_at") ||
        !rec.FindPath("model.prompt_template")) {
      continue;
    }
    f = ParseQueryFilter({{"action-id", *Text(rec, "action_id")}});
    page = index_->Query(*f);
    ASSERT_EQ(page->records.size(), 1u);
    EXPECT_EQ(page->records[0].present, 0xfffu);
    break;
  }
}

TEST_F(PopulatedIndexTest, ActionsMergeTheLifecycle) {
  ASSERT_EQ(decisions_["g-small"], "allow");
  ASSERT_EQ(decisions_["g-big-ok"], "pending_approval");
  const std::vector<std::string> rows = Dump(
      "SELECT action_id, records, gate_decision, approval_mode, "
      "approval_decision, approver, outcome_status, violation, amount_value "
      "FROM actions WHERE action_id LIKE 'g-%' ORDER BY action_id");
  EXPECT_THAT(
      rows,
      ::testing::ElementsAre(
          "g-big-no|2|pending_approval|human|reject|user:fiona|NULL|NULL|"
          "950.00|",
          "g-big-ok|3|pending_approval|human|approve|user:fiona|success|NULL|"
          "900.00|",
          "g-big-open|2|pending_approval|human|NULL|NULL|success|executed "
          "without the required approval|990.00|",
          "g-small|2|allow|rule|NULL|NULL|success|NULL|40.00|"));
  // Every action id of the log has exactly one row, with its seq span.
  std::map<std::string, std::pair<uint64_t, uint64_t>> span;
  for (uint64_t s = 0; s < records_.size(); ++s) {
    if (auto id = Text(records_[s], "action_id")) {
      auto [it, fresh] = span.emplace(*id, std::make_pair(s, s));
      if (!fresh) it->second.second = s;
    }
  }
  std::vector<std::string> want;
  for (const auto& [id, fl] : span) {
    want.push_back(id + "|" + std::to_string(fl.first) + "|" +
                   std::to_string(fl.second) + "|");
  }
  EXPECT_EQ(Dump("SELECT action_id, first_seq, last_seq FROM actions "
                 "ORDER BY action_id"),
            want);
}

TEST_F(IndexTest, LaggingIndexCatchesUp) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(1, 50));
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  EXPECT_EQ(*index_->AppliedSeq(), 49);
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(2, 30));
  // Behind until caught up.
  EXPECT_EQ(QueryAll({}).size(), 50u);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  ASSERT_TRUE(index_
                  ->CatchUp(*ledger_,
                            [&](uint64_t done, uint64_t total) {
                              progress.emplace_back(done, total);
                            })
                  .ok());
  EXPECT_EQ(*index_->AppliedSeq(), 79);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(uint64_t{30}, uint64_t{30}));
  std::vector<uint64_t> want(80);
  for (uint64_t i = 0; i < 80; ++i) want[i] = i;
  EXPECT_EQ(QueryAll({}), want);
  // A second index object on the same file sees it caught up too.
  Result<std::unique_ptr<Index>> other = Index::Open(dir_);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*(*other)->AppliedSeq(), 79);
  ASSERT_TRUE((*other)->CatchUp(*ledger_, nullptr).ok());
  EXPECT_EQ(Dump("SELECT count(*), count(DISTINCT seq) FROM records"),
            std::vector<std::string>{"80|80|"});
}

TEST_F(PopulatedIndexTest, RebuildGivesIdenticalAnswers) {
  const char* kRecords = "SELECT * FROM records ORDER BY seq";
  const char* kActions = "SELECT * FROM actions ORDER BY action_id";
  const std::vector<std::string> records = Dump(kRecords);
  const std::vector<std::string> actions = Dump(kActions);
  ASSERT_EQ(records.size(), records_.size());
  ASSERT_TRUE(index_->Rebuild(*ledger_, nullptr).ok());
  EXPECT_EQ(Dump(kRecords), records);
  EXPECT_EQ(Dump(kActions), actions);
  // From a deleted file, in small steps (a lagging index caught up in
  // pieces), the same rows again.
  index_.reset();
  std::filesystem::remove(dir_ + "/index.db");
  std::filesystem::remove(dir_ + "/index.db-wal");
  std::filesystem::remove(dir_ + "/index.db-shm");
  Result<std::unique_ptr<Index>> idx = Index::Open(dir_);
  ASSERT_TRUE(idx.ok());
  index_ = std::move(*idx);
  EXPECT_EQ(*index_->AppliedSeq(), -1);
  ASSERT_TRUE(index_->CatchUp(*ledger_, nullptr).ok());
  EXPECT_EQ(Dump(kRecords), records);
  EXPECT_EQ(Dump(kActions), actions);
}

// The secondary indexes of records and actions, by name.
std::vector<std::string> SecondaryIndexes(sqlite3* db) {
  std::vector<std::string> names;
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'index' AND "
                "tbl_name IN ('records', 'actions') AND sql IS NOT NULL "
                "ORDER BY name",
                -1, &s, nullptr),
            SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    names.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  }
  sqlite3_finalize(s);
  return names;
}

TEST_F(PopulatedIndexTest, BulkCatchUpGivesIdenticalRowsAndIndexes) {
  const char* kRecords = "SELECT * FROM records ORDER BY seq";
  const char* kActions = "SELECT * FROM actions ORDER BY action_id";
  const std::vector<std::string> records = Dump(kRecords);
  const std::vector<std::string> actions = Dump(kActions);
  const std::vector<std::string> indexes = SecondaryIndexes(index_->db());
  ASSERT_EQ(indexes.size(), 13u);
  index_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(dir_ + "/index.db" + suffix);
  }
  Result<std::unique_ptr<Index>> idx = Index::Open(dir_);
  ASSERT_TRUE(idx.ok());
  index_ = std::move(*idx);
  index_->set_bulk_min_records(1);
  ASSERT_TRUE(index_->CatchUp(*ledger_, nullptr).ok());
  EXPECT_EQ(Dump(kRecords), records);
  EXPECT_EQ(Dump(kActions), actions);
  EXPECT_EQ(SecondaryIndexes(index_->db()), indexes);
  // A lookup that uses an index answers as the scan does.
  const std::string action_id = Pick("action_id");
  EXPECT_EQ(QueryAll({{"action-id", action_id}}).size(),
            static_cast<size_t>(std::count_if(
                records_.begin(), records_.end(), [&](const Value& r) {
                  return Text(r, "action_id") == action_id;
                })));
}

TEST_F(IndexTest, OpenRecreatesIndexesAnInterruptedBulkCatchUpDropped) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(5, 60));
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  const std::vector<std::string> indexes = SecondaryIndexes(index_->db());
  ASSERT_EQ(indexes.size(), 13u);
  const std::vector<uint64_t> all = QueryAll({});
  // A bulk catch-up killed after committing rows, before recreating the
  // indexes: the tables are consistent, the indexes missing.
  for (const std::string& name : indexes) {
    ASSERT_EQ(sqlite3_exec(index_->db(), ("DROP INDEX " + name).c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  ASSERT_TRUE(SecondaryIndexes(index_->db()).empty());
  index_.reset();
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(6, 20));
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  EXPECT_EQ(SecondaryIndexes(index_->db()), indexes);
  EXPECT_EQ(*index_->AppliedSeq(), 79);
  std::vector<uint64_t> want(80);
  for (uint64_t i = 0; i < 80; ++i) want[i] = i;
  EXPECT_EQ(QueryAll({}), want);
  EXPECT_EQ(std::vector<uint64_t>(want.begin(), want.begin() + 60), all);
}

TEST_F(IndexTest, CorruptIndexFileIsRebuilt) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(3, 20));
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  index_.reset();
  std::filesystem::remove(dir_ + "/index.db-wal");
  std::filesystem::remove(dir_ + "/index.db-shm");
  {
    std::ofstream out(dir_ + "/index.db", std::ios::binary | std::ios::trunc);
    out << std::string(8192, 'x');
  }
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  EXPECT_EQ(*index_->AppliedSeq(), 19);
  EXPECT_EQ(QueryAll({}).size(), 20u);
}

// An index file of another schema version (here: an older one) is thrown
// away and rebuilt from the log when opened, never read or patched.
TEST_F(IndexTest, IndexOfAnotherSchemaVersionIsRebuilt) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(7, 30));
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  const char* kActions = "SELECT * FROM actions ORDER BY action_id";
  const std::vector<std::string> actions = Dump(kActions);
  ASSERT_FALSE(actions.empty());
  // What a version 1 file would hold, plus a row no rebuild would make.
  ASSERT_EQ(sqlite3_exec(index_->db(),
                         "UPDATE meta SET value = 1 WHERE key = "
                         "'schema_version'; UPDATE actions SET records = 99",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  index_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenIndex());
  EXPECT_EQ(*index_->AppliedSeq(), 29);
  EXPECT_EQ(Dump("SELECT value FROM meta WHERE key = 'schema_version'"),
            std::vector<std::string>{std::to_string(kSchemaVersion) + "|"});
  EXPECT_EQ(Dump(kActions), actions);
  // Version 2: actions lie in the order they were first seen (rowid order
  // is first_seq order), which time-range reports rely on.
  const std::vector<std::string> by_rowid =
      Dump("SELECT first_seq FROM actions ORDER BY rowid");
  std::vector<int64_t> seqs;
  for (const std::string& v : by_rowid) seqs.push_back(std::stoll(v));
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(seqs.size(), actions.size());
}

TEST_F(IndexTest, ReadsWhileThisProcessHoldsTheWriterLock) {
  ASSERT_NO_FATAL_FAILURE(AppendGenerated(4, 10));
  // ledger_ holds the lock; a reader opens the published records.
  Result<std::unique_ptr<Ledger>> reader = Ledger::OpenForRead(dir_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->read_only());
  Result<std::unique_ptr<Index>> idx = Index::Open(dir_);
  ASSERT_TRUE(idx.ok());
  index_ = std::move(*idx);
  ASSERT_TRUE(index_->CatchUp(**reader, nullptr).ok());
  EXPECT_EQ(QueryAll({}).size(), 10u);
}

TEST(ParseQueryFilter, RejectsBadValuesNamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"from", "yesterday"},    {"to", "2026-11-28T12:00:00+01:00"},
      {"type", "pay*"},         {"type", "a..b"},
      {"subject", "cus_1"},     {"subject", ":cus_1"},
      {"subject", "customer:"}, {"approval", "maybe"},
      {"outcome", "done"},      {"min-amount", "1,000"},
      {"max-amount", "12.5.1"}, {"kind", "banana"},
      {"limit", "0"},           {"limit", "10001"},
      {"limit", "ten"},         {"cursor", "123"},
      {"cursor", "s-1"},        {"prompt-template", "@v3"},
      {"colour", "red"},        {"system", ""},
  };
  for (const auto& [name, value] : bad) {
    Result<QueryFilter> f = ParseQueryFilter({{name, value}});
    ASSERT_FALSE(f.ok()) << name << "=" << value;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(f.status().field(), name) << value;
    EXPECT_THAT(f.status().message(), ::testing::HasSubstr(name));
  }
  Result<QueryFilter> twice =
      ParseQueryFilter({{"system", "a"}, {"system", "b"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().field(), "system");
  // type and kind may repeat.
  Result<QueryFilter> many = ParseQueryFilter({{"type", "a.*"},
                                               {"type", "b"},
                                               {"kind", "action"},
                                               {"kind", "outcome"}});
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->types.size(), 2u);
  EXPECT_EQ(many->kinds.size(), 2u);
}

TEST(ParseQueryFilter, ParsesEveryFilter) {
  Result<QueryFilter> f = ParseQueryFilter({{"from", "2026-01-05T08:00:00Z"},
                                            {"to", "2026-01-06"},
                                            {"subject", "customer:cus:1"},
                                            {"prompt-template", "refund@v3"},
                                            {"min-amount", "0.5"},
                                            {"limit", "10"},
                                            {"cursor", "s41"}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->from_us, int64_t{1767600000} * 1000000);
  EXPECT_EQ(f->to_us, int64_t{1767657600} * 1000000);
  EXPECT_EQ(f->subject_type, "customer");
  EXPECT_EQ(f->subject_id, "cus:1");
  EXPECT_EQ(f->prompt_template_id, "refund");
  EXPECT_EQ(f->prompt_template_version, "v3");
  EXPECT_EQ(f->min_amount, "0.5");
  EXPECT_EQ(f->limit, 10u);
  EXPECT_EQ(f->after_seq, 41u);
}

}  // namespace
}  // namespace actledger::index
